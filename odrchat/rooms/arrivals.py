"""A socket's arrival, read in batches: its session and account, its cases and their rooms' heads.

Authenticating a socket and building its hello took two transactions (the session and account,
then the case list and room heads), each a pool check-out with BEGIN and COMMIT. Sockets arrive
together (a reconnect storm, a centre's morning), so arrivals are read together instead
(`odrchat.store.batches`): on PostgreSQL one statement for the whole batch, on SQLite one read
transaction. Whether the session still stands is decided afterwards by the same rule as every
HTTP request (`odrchat.auth.validity`); the read decides nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import col, select

from odrchat.auth.tables import AuthSession, User
from odrchat.auth.tokens import hash_token
from odrchat.auth.validity import Stamp
from odrchat.cases.tables import Participant
from odrchat.rooms.tables import Room
from odrchat.store.batches import Batches
from odrchat.store.db import Database

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


# One statement per batch. Kind 0 rows: session i and its account; kind 1 rows: a room of one
# of that account's cases with its head (cases newest first).
PG_ARRIVE = (
    "WITH k AS (SELECT * FROM unnest($1::text[]) WITH ORDINALITY AS k(token_hash, i)),"
    " s AS MATERIALIZED ("
    "  SELECT k.i, a.id AS session_id, a.user_id, a.expires_at, a.last_seen_at, a.revoked_at,"
    "   u.disabled_at, u.display_name, u.staff_role"
    "  FROM k JOIN auth_sessions a ON a.token_hash = k.token_hash"
    "  JOIN users u ON u.id = a.user_id)"
    " SELECT 0 AS kind, s.i, s.session_id, s.user_id, s.expires_at, s.last_seen_at,"
    "  s.revoked_at, s.disabled_at, s.display_name::text, s.staff_role::text,"
    "  NULL::int AS case_id, NULL::int AS room_id, NULL::int AS head"
    " FROM s"
    " UNION ALL"
    " SELECT 1, s.i, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, p.case_id, r.id, r.head_seq"
    " FROM s CROSS JOIN LATERAL (SELECT DISTINCT case_id FROM participants"
    "  WHERE user_id = s.user_id AND active) p"
    " LEFT JOIN rooms r ON r.case_id = p.case_id"
    " ORDER BY 1, 2, 11 DESC, 12"
)


def _arrival(row: Sequence[object], cases: list[int], heads: dict[int, int]) -> Arrival:
    session_id, user_id, expires, seen, revoked, disabled, name, role = row
    stamp = Stamp(session_id, user_id, expires, seen, revoked, disabled)  # type: ignore[arg-type]
    return Arrival(stamp, str(name), role == "admin", tuple(cases), heads)


async def _read_pg(db: Database, hashes: Sequence[str]) -> list[Arrival | None]:
    rows = await db.fetch_batch(PG_ARRIVE, list(hashes))
    sessions: dict[int, Sequence[object]] = {}
    cases: dict[int, list[int]] = {}
    heads: dict[int, dict[int, int]] = {}
    for r in rows:
        i = r[1]
        if r[0] == 0:
            sessions[i] = tuple(r[2:10])
            continue
        mine = cases.setdefault(i, [])
        if not mine or mine[-1] != r[10]:
            mine.append(r[10])
        if r[11] is not None:
            heads.setdefault(i, {})[r[11]] = r[12]
    return [
        _arrival(sessions[i], cases.get(i, []), heads.get(i, {})) if i in sessions else None
        for i in range(1, len(hashes) + 1)
    ]


async def _read_generic(db: Database, hashes: Sequence[str]) -> list[Arrival | None]:
    """SQLite (and any other database): the same answers, one read transaction per batch."""
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
        by_hash[a.token_hash] = _arrival((*row, u.display_name, u.staff_role), mine, heads)
    return [by_hash.get(h) for h in hashes]


class Arrivals:
    """Batches arriving sockets' reads behind the room service's read slots."""

    def __init__(self, db: Database, slots: asyncio.Semaphore) -> None:
        self.db = db
        read = _read_generic if db.is_sqlite else _read_pg
        self._batches: Batches[str, Arrival | None] = Batches(
            lambda hashes: read(db, hashes), slots, MAX_BATCH
        )

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
