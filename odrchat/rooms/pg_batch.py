"""The PostgreSQL half of group commit: one batch, one transaction, two statements, no ORM.

Through the ORM each statement of a batch cost more Python than the database spent on it
(statement compilation and caching, unit-of-work bookkeeping, a greenlet switch per call): the
profile of a two-worker run put a third of each worker's CPU in the writer. This module sends
the batch straight to asyncpg on a connection borrowed from the app's pool, in two statements:
the room locks with the look-up of client ids already stored, then every new row (INSERT ...
SELECT FROM unnest) with every new head (UPDATE) in one data-modifying WITH. It writes exactly
the columns the models define and keeps the log's invariants (rows locked in id order, heads
read under the lock, seqs and chain hashes assigned in arrival order; see log.py).

Reading stored client ids in the statement that takes the locks means a duplicate committed
by another worker while we waited for a lock is not seen; the unique index then refuses the
insert and the writer retries the batch one message at a time (as before, when the look-up
came before the locks).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from odrchat.rooms import guard, log
from odrchat.rooms.guard import Blocked
from odrchat.rooms.log import StoredEvent

# The room locks (taken in id order) and the look-up of client ids already stored, in one
# round trip: kind 0 rows are the locked heads, kind 1 rows are stored events.
LOCK_AND_FIND = (
    "WITH locked AS MATERIALIZED ("
    " SELECT id, head_seq, head_hash FROM rooms WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE)"
    " SELECT 0, id, head_seq, head_hash::text, NULL::int, NULL::text, NULL::text,"
    " NULL::timestamptz FROM locked"
    " UNION ALL"
    " SELECT 1, e.room_id, e.seq, e.type::text, e.sender_id, e.client_id::text, e.body, e.at"
    " FROM room_events e"
    " JOIN unnest($2::int[], $3::int[], $4::text[]) AS k(room_id, sender_id, client_id)"
    " ON e.room_id = k.room_id AND e.sender_id = k.sender_id AND e.client_id = k.client_id"
)
# The mediator's control of the batch's joint rooms, read after the locks in a statement of its
# own (so with a snapshot that sees a change committed while we waited: `rooms.guard`): kind 0
# rows are the case's caucus and pause, kind 1 rows one member's mute and removal.
CONTROL = (
    "SELECT 0, r.id, NULL::int, c.caucus, c.paused, NULL::timestamptz, NULL::bool"
    " FROM rooms r JOIN case_controls c ON c.case_id = r.case_id WHERE r.id = ANY($1::int[])"
    " UNION ALL"
    " SELECT 1, r.id, m.user_id, NULL::bool, NULL::bool, m.muted_until, m.removed"
    " FROM rooms r JOIN member_controls m ON m.case_id = r.case_id WHERE r.id = ANY($1::int[])"
)
# Every new row and every new head, in one statement.
STORE = (
    "WITH stored AS ("
    " INSERT INTO room_events"
    " (room_id, seq, type, sender_id, client_id, body, confidentiality, at, prev_hash, hash)"
    " SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[],"
    " $7::text[], $8::timestamptz[], $9::text[], $10::text[]))"
    " UPDATE rooms SET head_seq = u.seq, head_hash = u.hash"
    " FROM unnest($11::int[], $12::int[], $13::text[]) AS u(id, seq, hash) WHERE rooms.id = u.id"
)


async def _blocked(
    conn: Any,
    batch: list[log.Request],
    stored: dict[tuple[int, int, str], StoredEvent],
    at: datetime,
) -> dict[int, str]:
    room_ids = guard.rooms_to_check(batch)
    if not room_ids:
        return {}
    rows = await conn.fetch(CONTROL, room_ids)
    by_room = guard.states(
        ((r[1], bool(r[3]), bool(r[4])) for r in rows if r[0] == 0),
        ((r[1], r[2], r[5], bool(r[6])) for r in rows if r[0] == 1),
    )
    return guard.blocked(batch, stored, by_room, at)


async def commit(
    conn: Any, batch: list[log.Request], at: datetime
) -> list[tuple[StoredEvent, bool] | Blocked]:
    """Store a batch in one transaction on an asyncpg connection; (event, duplicate) per request,
    or Blocked for a message the mediator's control refuses (`rooms.guard`).

    A unique violation (another worker stored the same client id after our look-up) escapes as
    asyncpg's UniqueViolationError with nothing stored; the writer then retries one by one.
    """
    async with conn.transaction():
        stored: dict[tuple[int, int, str], StoredEvent] = {}
        heads: dict[int, tuple[int, str]] = {}
        rows = await conn.fetch(
            LOCK_AND_FIND,
            sorted({r[0] for r in batch}),
            [r[0] for r in batch],
            [r[4] for r in batch],
            [r[5] for r in batch],
        )
        for kind, room_id, seq, text, sender_id, client_id, body, when in rows:
            if kind == 0:
                heads[room_id] = (seq, text)
            else:
                stored[(room_id, sender_id, client_id)] = StoredEvent(
                    room_id, seq, text, when, sender_id, client_id, json.loads(body)
                )
        blocks = await _blocked(conn, batch, stored, at)
        kept = [r for i, r in enumerate(batch) if i not in blocks]
        results, records = log.sequence(kept, heads, stored, at)
        # Column-wise for unnest, with the batch's timestamp between confidentiality and hashes.
        columns = [list(c) for c in zip(*((*r[:7], at, *r[7:]) for r in records), strict=True)]
        if columns:
            await conn.execute(
                STORE,
                *columns,
                list(heads),
                [seq for seq, _ in heads.values()],
                [h for _, h in heads.values()],
            )
        return guard.merge(batch, blocks, results)
