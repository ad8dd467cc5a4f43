"""A socket's arrival, read in batches: its session and account, its cases and their rooms' heads.

Authenticating a socket and building its hello took two transactions (the session and account,
then the case list and room heads), each a pool check-out with BEGIN and COMMIT. Sockets arrive
together (a reconnect storm, a centre's morning), so arrivals are read together instead
(`odrchat.store.batches`): on PostgreSQL one statement for the whole batch, on SQLite one read
transaction. Whether the session still stands is decided afterwards by the same rule as every
HTTP request (`odrchat.auth.validity`). On PostgreSQL the statement also writes the touch that
rule asks for (the same conditions, in SQL) and reads the views of the cases (`rooms.directory`),
so a socket's arrival is one statement however many of those it needs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import col, select

from odrchat.auth.tables import AuthSession, User
from odrchat.auth.tokens import hash_token
from odrchat.auth.validity import TOUCH_EVERY, Stamp
from odrchat.cases.tables import Participant
from odrchat.rooms.directory import VIEW_COLUMNS, VIEW_FROM, Directory, views_from_rows
from odrchat.rooms.tables import Room
from odrchat.store.batches import Batches
from odrchat.store.db import Database
from odrchat.store.types import utcnow

MAX_BATCH = 64
MAX_TOKEN = 128  # longer cookies are not ours; refused before any read


@dataclass(frozen=True, slots=True)
class Arrival:
    """Who a session cookie belongs to, and what their hello needs."""

    stamp: Stamp
    display_name: str
    is_admin: bool
    case_ids: tuple[int, ...]  # the cases they take part in, newest first
    heads: dict[int, int] = field(default_factory=dict)  # room id -> head seq, those cases
    read_at: float = 0.0  # monotonic time the read began (a logout after it: hub.ended_since)


# One statement per batch (PostgreSQL). Kind 0 rows: session i, its account, and whether this
# statement touched it; kind 1 rows: a case that account takes part in; kind 2 rows: the view
# of one of those cases (the directory's columns) and its rooms' heads. A session due a touch
# (`Stamp.stands` and `needs_touch`, the same rule in SQL) is touched here, not by a statement
# of its own, and its case views come with it instead of from a read of the directory's: a
# connect round of 1,518 sockets made about 3,700 statements, a third of them view reads and a
# sixth touches.
PG_ARRIVE = (
    "WITH k AS (SELECT * FROM unnest($1::text[]) WITH ORDINALITY AS k(token_hash, i)),"
    " s AS MATERIALIZED ("
    "  SELECT k.i, a.id AS session_id, a.user_id, a.expires_at, a.last_seen_at, a.revoked_at,"
    "   u.disabled_at, u.display_name, u.staff_role"
    "  FROM k JOIN auth_sessions a ON a.token_hash = k.token_hash"
    "  JOIN users u ON u.id = a.user_id),"
    " t AS (UPDATE auth_sessions a SET last_seen_at = $2 FROM s"
    "  WHERE a.id = s.session_id AND a.revoked_at IS NULL AND s.disabled_at IS NULL"
    "  AND s.expires_at > $2 AND s.last_seen_at + $3::interval > $2"
    "  AND s.last_seen_at <= $2 - $4::interval RETURNING a.id),"
    " m AS MATERIALIZED (SELECT DISTINCT s.i, p.case_id FROM s"
    "  JOIN participants p ON p.user_id = s.user_id AND p.active)"
    " SELECT 0 AS kind, s.i, s.session_id, s.user_id, s.expires_at, s.last_seen_at,"
    "  s.revoked_at, s.disabled_at, s.display_name::text, s.staff_role::text,"
    "  s.session_id IN (SELECT id FROM t), NULL::int AS case_id, NULL::text,"
    "  NULL::record[], NULL::record[], NULL::bool, NULL::bool, NULL::bool,"
    "  NULL::record[], NULL::record[], NULL::record[]"
    " FROM s"
    " UNION ALL"
    " SELECT 1, m.i, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, m.case_id,"
    "  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    " FROM m"
    " UNION ALL"
    " SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, " + VIEW_COLUMNS + ","
    "  ARRAY(SELECT ROW(r.id, r.head_seq) FROM rooms r WHERE r.case_id = c.id)"
    + VIEW_FROM
    + " WHERE c.id = ANY(ARRAY(SELECT case_id FROM m))"
    " ORDER BY 1, 2, 12 DESC"
)


def _arrival(
    row: Sequence[object], cases: list[int], heads: dict[int, int], read_at: float
) -> Arrival:
    session_id, user_id, expires, seen, revoked, disabled, name, role = row
    stamp = Stamp(session_id, user_id, expires, seen, revoked, disabled)  # type: ignore[arg-type]
    return Arrival(stamp, str(name), role == "admin", tuple(cases), heads, read_at)


async def _read_pg(
    db: Database, hashes: Sequence[str], idle: timedelta, directory: Directory
) -> list[Arrival | None]:
    since = directory.changes
    now, read_at = utcnow(), time.monotonic()
    rows = await db.fetch_batch(PG_ARRIVE, list(hashes), now, idle, TOUCH_EVERY)
    sessions: dict[int, Sequence[object]] = {}
    cases: dict[int, list[int]] = {}
    view_rows: list[Sequence[object]] = []
    heads_of: dict[int, list[tuple[int, int]]] = {}
    for r in rows:
        kind = r[0]
        if kind == 0:
            # Touched by this statement: last seen now, as written.
            sessions[r[1]] = (*r[2:5], now if r[10] else r[5], *r[6:10])
        elif kind == 1:
            cases.setdefault(r[1], []).append(r[11])
        else:
            view_rows.append(tuple(r[11:20]))
            heads_of[r[11]] = [(room_id, head) for room_id, head in r[20]]
    # Kept for the hello that follows (`RoomService.rooms_in` reads them from the directory).
    directory.keep(views_from_rows(view_rows), since)
    out: list[Arrival | None] = []
    for i in range(1, len(hashes) + 1):
        if i not in sessions:
            out.append(None)
            continue
        mine = cases.get(i, [])
        heads = {room: head for c in mine for room, head in heads_of.get(c, ())}
        out.append(_arrival(sessions[i], mine, heads, read_at))
    return out


async def _read_generic(db: Database, hashes: Sequence[str]) -> list[Arrival | None]:
    """SQLite (and any other database): the same answers, one read transaction per batch."""
    read_at = time.monotonic()
    async with db.read() as s:
        found = (
            await s.exec(
                select(AuthSession, User)
                .join(User, col(User.id) == col(AuthSession.user_id))
                .where(col(AuthSession.token_hash).in_(set(hashes)))
            )
        ).all()
        user_ids = {a.user_id for a, _ in found}
        taking_part = (
            await s.exec(
                select(Participant.user_id, Participant.case_id)
                .where(col(Participant.user_id).in_(user_ids), col(Participant.active).is_(True))
                .distinct()
            )
        ).all()
        case_ids = {c for _, c in taking_part}
        rooms = (
            await s.exec(
                select(Room.case_id, Room.id, Room.head_seq).where(col(Room.case_id).in_(case_ids))
            )
        ).all()
    cases_of: dict[int, list[int]] = {}
    for user_id, case_id in taking_part:
        cases_of.setdefault(user_id, []).append(case_id)
    heads_of: dict[int, dict[int, int]] = {}
    for case_id, room_id, head in rooms:
        assert room_id is not None
        heads_of.setdefault(case_id, {})[room_id] = head
    by_hash: dict[str, Arrival] = {}
    for a, u in found:
        mine = sorted(cases_of.get(a.user_id, []), reverse=True)
        heads = {r: h for c in mine for r, h in heads_of.get(c, {}).items()}
        row = (a.id, a.user_id, a.expires_at, a.last_seen_at, a.revoked_at, u.disabled_at)
        by_hash[a.token_hash] = _arrival((*row, u.display_name, u.staff_role), mine, heads, read_at)
    return [by_hash.get(h) for h in hashes]


class Arrivals:
    """Batches arriving sockets' reads behind the room service's read slots. On PostgreSQL
    the read also touches the sessions due a touch (`session_idle` is the centre's idle limit)
    and reads their cases' views, which `directory` keeps."""

    def __init__(
        self,
        db: Database,
        slots: asyncio.Semaphore,
        directory: Directory,
        *,
        session_idle: timedelta,
    ) -> None:
        self.db = db

        async def read(hashes: Sequence[str]) -> list[Arrival | None]:
            if db.is_sqlite:
                return await _read_generic(db, hashes)
            return await _read_pg(db, hashes, session_idle, directory)

        self._batches: Batches[str, Arrival | None] = Batches(read, slots, MAX_BATCH)

    @property
    def batches(self) -> int:
        return self._batches.batches

    @property
    def requests(self) -> int:
        return self._batches.requests

    async def read(self, token: str | None) -> Arrival | None:
        """The arrival behind a session cookie as stored (None: no such session). Whether it
        may come in is the caller's question (`Stamp.stands`)."""
        if not token or len(token) > MAX_TOKEN:
            return None
        return await self._batches.ask(hash_token(token))
