"""Opening a subscription: a room's head, read marker, unread count and first events, in batches.

Every `room.subscribe` needs the same read: the room's head, the subscriber's read marker and
unread count (for `room.snapshot`) and the events from where the client stands (the latest page,
or everything after its `after`). One at a time that cost two transactions per room, each with
a pool check-out and its own BEGIN and COMMIT, and on PostgreSQL the round trips, not the
queries, were most of a connect's CPU. Here the requests that arrive together (the rooms of one
socket, a reconnect storm's thousands) are read together: whoever holds a read slot takes every
request queued so far and answers them all, on PostgreSQL in one statement (one snapshot, so
the events never run past the head it reports), on SQLite in one read transaction.

What a request gets back is pure data; `Connection._replay` turns it into frames.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, func, select

from odrchat import protocol
from odrchat.rooms import log
from odrchat.rooms.log import StoredEvent
from odrchat.rooms.presence import Presence
from odrchat.rooms.tables import ReadMarker, Room, RoomEvent
from odrchat.store.batches import Batches
from odrchat.store.db import Database

ROOMS: Table = Room.__table__  # type: ignore[attr-defined]
EVENTS: Table = RoomEvent.__table__  # type: ignore[attr-defined]
MARKERS: Table = ReadMarker.__table__  # type: ignore[attr-defined]

# Requests answered by one statement at most (each may bring RESUME_PAGE + 1 events).
MAX_BATCH = 32


@dataclass(frozen=True, slots=True)
class Want:
    """One subscription to open: `after` None means "the latest page"."""

    room_id: int
    user_id: int
    after: int | None


@dataclass(frozen=True, slots=True)
class Opened:
    """What a subscription starts from.

    `start` is the seq the client is treated as having (events follow it); `more` says the
    resume was longer than a page, so the client must page on (`room.behind`)."""

    head: int
    read: int
    unread: int
    start: int
    events: list[StoredEvent]
    more: bool
    online: tuple[int, ...] = ()  # who is in the room now, by user id (sorted)


def page(want: Want, head: int) -> tuple[int, int]:
    """Where a subscription's events start and how many rows to read (one more than a resume
    page, to tell whether there is more)."""
    if want.after is None:
        return max(0, head - protocol.LATEST_PAGE), protocol.LATEST_PAGE
    return min(want.after, head), protocol.RESUME_PAGE + 1


def opened(want: Want, head: int, read: int, unread: int, events: list[StoredEvent]) -> Opened:
    start, _ = page(want, head)
    events = [e for e in events if e.seq > start]
    if want.after is None:
        return Opened(head, read, unread, start, [e for e in events if e.seq <= head], False)
    if len(events) > protocol.RESUME_PAGE:
        events = events[: protocol.RESUME_PAGE]
        return Opened(max(head, events[-1].seq), read, unread, start, events, True)
    return Opened(head, read, unread, start, events, False)


# PostgreSQL: every request of a batch in one statement. Kind 0 rows: head, read marker and
# unread count of request i; kind 1 rows: its events, oldest first.
PG_OPEN = (
    "WITH k AS (SELECT * FROM unnest($1::int[], $2::int[], $3::int[])"
    "  WITH ORDINALITY AS k(room_id, user_id, after_seq, i)),"
    " r AS MATERIALIZED ("
    "  SELECT k.i, k.room_id, k.user_id, rooms.head_seq AS head, coalesce(m.seq, 0) AS read_seq,"
    "   CASE WHEN k.after_seq < 0 THEN greatest(0, rooms.head_seq - $4::int)"
    "        ELSE least(k.after_seq, rooms.head_seq) END AS start,"
    "   CASE WHEN k.after_seq < 0 THEN $4::int ELSE $5::int END AS lim"
    "  FROM k JOIN rooms ON rooms.id = k.room_id"
    "  LEFT JOIN read_markers m ON m.room_id = k.room_id AND m.user_id = k.user_id)"
    " SELECT 0, r.i, r.head, r.read_seq,"
    "  (SELECT count(*) FROM room_events e WHERE e.room_id = r.room_id AND e.seq > r.read_seq"
    "   AND e.type = 'chat.message' AND e.sender_id <> r.user_id)::int,"
    "  NULL::text, NULL::timestamptz, NULL::int, NULL::text, NULL::text"
    " FROM r"
    " UNION ALL"
    " SELECT 1, r.i, e.seq, NULL::int, NULL::int, e.type::text, e.at, e.sender_id,"
    "  e.client_id::text, e.body"
    " FROM r CROSS JOIN LATERAL (SELECT seq, type, at, sender_id, client_id, body"
    "  FROM room_events WHERE room_id = r.room_id AND seq > r.start ORDER BY seq LIMIT r.lim) e"
    " ORDER BY 1, 2, 3"
)


async def _read_pg(db: Database, wants: Sequence[Want]) -> list[Opened | None]:
    rows = await db.fetch_batch(
        PG_OPEN,
        [w.room_id for w in wants],
        [w.user_id for w in wants],
        [-1 if w.after is None else w.after for w in wants],
        protocol.LATEST_PAGE,
        protocol.RESUME_PAGE + 1,
    )
    heads: dict[int, tuple[int, int, int]] = {}
    events: dict[int, list[StoredEvent]] = {}
    for kind, i, seq, read, unread, type_, at, sender_id, client_id, body in rows:
        if kind == 0:
            heads[i] = (seq, read, unread)
        else:
            want = wants[i - 1]
            events.setdefault(i, []).append(
                StoredEvent(want.room_id, seq, type_, at, sender_id, client_id, json.loads(body))
            )
    out: list[Opened | None] = []
    for i, want in enumerate(wants, 1):
        found = heads.get(i)
        out.append(None if found is None else opened(want, *found, events.get(i, [])))
    return out


async def _read_generic(db: Database, wants: Sequence[Want]) -> list[Opened | None]:
    """SQLite (and any other database): the same answers, one read transaction per batch."""
    out: list[Opened | None] = []
    async with db.read() as s:
        conn = await s.connection()
        for want in wants:
            read_seq = func.coalesce(MARKERS.c.seq, 0)
            unread_q = (
                select(func.count())
                .select_from(EVENTS)
                .where(
                    EVENTS.c.room_id == ROOMS.c.id,
                    EVENTS.c.seq > read_seq,
                    EVENTS.c.type == "chat.message",
                    EVENTS.c.sender_id != want.user_id,
                )
                .scalar_subquery()
            )
            stmt = (
                select(ROOMS.c.head_seq, read_seq, unread_q)
                .select_from(
                    ROOMS.outerjoin(
                        MARKERS,
                        (MARKERS.c.room_id == ROOMS.c.id) & (MARKERS.c.user_id == want.user_id),
                    )
                )
                .where(ROOMS.c.id == want.room_id)
            )
            row = (await conn.execute(stmt)).one_or_none()
            if row is None:
                out.append(None)
                continue
            head, read, unread = int(row[0]), int(row[1]), int(row[2])
            start, limit = page(want, head)
            events = await log.events_after(s, want.room_id, start, limit)
            out.append(opened(want, head, read, unread, events))
    return out


class Replays:
    """Batches subscription reads behind the room service's read slots (see the module doc)."""

    def __init__(
        self, db: Database, slots: asyncio.Semaphore, presence: Presence | None = None
    ) -> None:
        self.db = db
        self.presence = presence
        self._batches: Batches[Want, Opened | None] = Batches(self._read, slots, MAX_BATCH)

    @property
    def batches(self) -> int:
        """Statements (or transactions) run, for tests and metrics."""
        return self._batches.batches

    @property
    def requests(self) -> int:
        return self._batches.requests

    async def open(self, want: Want) -> Opened | None:
        """The subscription's starting point (None: no such room)."""
        return await self._batches.ask(want)

    async def open_many(self, wants: Sequence[Want]) -> list[Opened | None]:
        """`open` for several subscriptions, queued together so they share a batch."""
        return await self._batches.ask_many(wants)

    async def _read(self, wants: Sequence[Want]) -> list[Opened | None]:
        if self.db.is_sqlite:
            results = await _read_generic(self.db, wants)
        else:
            results = await _read_pg(self.db, wants)
        if self.presence is None:
            return results
        # Who is online, for every room of the batch in one round trip.
        online = await self.presence.online_in(w.room_id for w in wants)
        return [
            None if r is None else dataclasses.replace(r, online=tuple(sorted(online[w.room_id])))
            for w, r in zip(wants, results, strict=True)
        ]
