"""The PostgreSQL half of group commit: a batch in two statements, no ORM, no transaction block.

Through the ORM each statement of a batch cost more Python than the database spent on it, so
the batch goes straight to asyncpg on the writer's own connection. It writes exactly the
columns the models define and keeps the log's invariants (see log.py): seqs and chain hashes
assigned in arrival order, each room's records chained to its head, the batch stored whole or
not at all.

A batch is optimistic: two round trips, each its own transaction.
1. READ, one statement (so one snapshot): the heads of the batch's rooms, the client ids
   already stored, and the mediator's control of the joint rooms to check (`rooms.guard`).
   Python numbers and chains the batch (`log.sequence`) and applies the guard.
2. STORE_IF_HEADS, one statement: it locks the rooms it writes, in id order, and stores every
   new row and head only if each of those rooms still has the head READ saw; else it stores
   nothing and says so, and the batch is read and sequenced again.

Why that is as safe as locking first: a room's head moves with every event stored in it, and
every control change posts its event in the joint room (`control.service`). So if the heads are
unchanged when STORE_IF_HEADS holds the locks, nothing has been stored in those rooms since the
snapshot, and the control rows READ saw are still the ones in force: the batch goes in exactly
as if it had held the locks since READ. A pause committed in between moves the joint room's
head, the batch is read again, and the guard sees the pause.

The locks are held only for the one statement (no round trip while they are held), which is
what the old shape, five round trips with the locks held across three of them, cost in
acknowledgement latency. After `OPTIMISTIC_TRIES` moved heads in a row (two workers writing to
the same rooms at once), the batch takes the locks first (`commit_locked`), which always
finishes.

A duplicate committed by another worker after READ makes the unique index refuse the insert:
asyncpg's UniqueViolationError, nothing stored; the writer then retries one message at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from odrchat.rooms import guard, log
from odrchat.rooms.guard import Blocked
from odrchat.rooms.log import StoredEvent

# Optimistic attempts before a batch takes its rooms' locks first.
OPTIMISTIC_TRIES = 3

# One snapshot of everything a batch depends on: kind 0 rows are heads, kind 1 stored events,
# kind 2 a case's caucus and pause (in `flag_a`, `flag_b`), kind 3 one member's mute and
# removal (user in `n`, muted_until in `at`, removed in `flag_a`).
READ = (
    "SELECT 0, id, head_seq, head_hash::text, NULL::int, NULL::text, NULL::text,"
    " NULL::timestamptz, NULL::bool, NULL::bool FROM rooms WHERE id = ANY($1::int[])"
    " UNION ALL"
    " SELECT 1, e.room_id, e.seq, e.type::text, e.sender_id, e.client_id::text, e.body, e.at,"
    " NULL, NULL FROM room_events e"
    " JOIN unnest($2::int[], $3::int[], $4::text[]) AS k(room_id, sender_id, client_id)"
    " ON e.room_id = k.room_id AND e.sender_id = k.sender_id AND e.client_id = k.client_id"
    " UNION ALL"
    " SELECT 2, r.id, NULL, NULL, NULL, NULL, NULL, NULL, c.caucus, c.paused"
    " FROM rooms r JOIN case_controls c ON c.case_id = r.case_id WHERE r.id = ANY($5::int[])"
    " UNION ALL"
    " SELECT 3, r.id, m.user_id, NULL, NULL, NULL, NULL, m.muted_until, m.removed, NULL"
    " FROM rooms r JOIN member_controls m ON m.case_id = r.case_id WHERE r.id = ANY($5::int[])"
)
# Lock the written rooms in id order; if every one still has the head READ saw ($11, $14),
# insert every new row and move every head; else change nothing. Returns that verdict.
STORE_IF_HEADS = (
    "WITH locked AS MATERIALIZED ("
    " SELECT id, head_seq FROM rooms WHERE id = ANY($11::int[]) ORDER BY id FOR UPDATE),"
    " verdict AS MATERIALIZED ("
    " SELECT count(*) = cardinality($11::int[]) AS ok FROM locked l"
    " JOIN unnest($11::int[], $14::int[]) AS h(id, seq) ON h.id = l.id AND h.seq = l.head_seq),"
    " stored AS ("
    " INSERT INTO room_events"
    " (room_id, seq, type, sender_id, client_id, body, confidentiality, at, prev_hash, hash)"
    " SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[],"
    " $7::text[], $8::timestamptz[], $9::text[], $10::text[])"
    " WHERE (SELECT ok FROM verdict)),"
    " moved AS ("
    " UPDATE rooms SET head_seq = u.seq, head_hash = u.hash"
    " FROM unnest($11::int[], $12::int[], $13::text[]) AS u(id, seq, hash)"
    " WHERE rooms.id = u.id AND (SELECT ok FROM verdict))"
    " SELECT ok FROM verdict"
)

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


def _lookup(batch: list[log.Request]) -> tuple[list[int], list[int], list[int], list[str]]:
    """The batch's rooms (sorted) and its (room, sender, client id) keys, column-wise."""
    return (
        sorted({r[0] for r in batch}),
        [r[0] for r in batch],
        [r[4] for r in batch],
        [r[5] for r in batch],
    )


def _columns(records: list[log.NewRecord], at: datetime) -> list[list[Any]]:
    """New records column-wise for unnest, the batch's timestamp between confidentiality and
    the hashes."""
    return [list(c) for c in zip(*((*r[:7], at, *r[7:]) for r in records), strict=True)]


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
    conn: Any,
    batch: list[log.Request],
    at: datetime,
    moved: Callable[[], None] | None = None,
) -> list[tuple[StoredEvent, bool] | Blocked]:
    """Store a batch on an asyncpg connection (outside a transaction block); (event, duplicate)
    per request, or Blocked for a message the mediator's control refuses (`rooms.guard`).

    A unique violation (another worker stored the same client id after READ) escapes as
    asyncpg's UniqueViolationError with nothing stored; the writer then retries one by one.
    `moved` is called each time a try met a moved head (the writer counts them: metrics).
    """
    for _ in range(OPTIMISTIC_TRIES):
        outcome = await attempt(conn, batch, at)
        if outcome is not None:
            return outcome
        if moved is not None:
            moved()
    return await commit_locked(conn, batch, at)


@dataclass(frozen=True, slots=True)
class Plan:
    """A batch read and sequenced against one snapshot, not yet stored."""

    outcome: list[tuple[StoredEvent, bool] | Blocked]
    records: list[log.NewRecord]
    at: datetime
    read: dict[int, tuple[int, str]]  # room -> head as READ saw it
    heads: dict[int, tuple[int, str]]  # room -> head after this batch


async def attempt(
    conn: Any, batch: list[log.Request], at: datetime
) -> list[tuple[StoredEvent, bool] | Blocked] | None:
    """One optimistic try; None if a head had moved (nothing stored)."""
    plan = await read(conn, batch, at)
    return plan.outcome if await store(conn, plan) else None


async def read(conn: Any, batch: list[log.Request], at: datetime) -> Plan:
    """READ, then number, chain and guard the batch against that one snapshot (pure)."""
    checked = guard.rooms_to_check(batch)
    rows = await conn.fetch(READ, *_lookup(batch), checked)
    heads: dict[int, tuple[int, str]] = {}
    stored: dict[tuple[int, int, str], StoredEvent] = {}
    cases: list[tuple[int, bool, bool]] = []
    members: list[tuple[int, int, datetime | None, bool]] = []
    for kind, room_id, n, text, sender_id, client_id, body, when, flag_a, flag_b in rows:
        if kind == 0:
            heads[room_id] = (n, text)
        elif kind == 1:
            stored[(room_id, sender_id, client_id)] = StoredEvent(
                room_id, n, text, when, sender_id, client_id, json.loads(body)
            )
        elif kind == 2:
            cases.append((room_id, bool(flag_a), bool(flag_b)))
        else:
            members.append((room_id, n, when, bool(flag_a)))
    seen = dict(heads)
    blocks = guard.blocked(batch, stored, guard.states(cases, members), at) if checked else {}
    kept = [r for i, r in enumerate(batch) if i not in blocks]
    results, records = log.sequence(kept, heads, stored, at)
    return Plan(guard.merge(batch, blocks, results), records, at, seen, heads)


async def store(conn: Any, plan: Plan) -> bool:
    """STORE_IF_HEADS: True if the plan's records are stored (or it has none), False if a room
    it writes has moved past the head READ saw, in which case nothing was stored."""
    if not plan.records:
        return True
    written = sorted({r[0] for r in plan.records})
    columns = _columns(plan.records, plan.at)
    return bool(
        await conn.fetchval(
            STORE_IF_HEADS,
            *columns,
            written,
            [plan.heads[room][0] for room in written],
            [plan.heads[room][1] for room in written],
            [plan.read[room][0] for room in written],
        )
    )


async def commit_locked(
    conn: Any, batch: list[log.Request], at: datetime
) -> list[tuple[StoredEvent, bool] | Blocked]:
    """Store a batch in one transaction that takes its rooms' locks first (five round trips,
    always finishes): the way out when optimistic tries keep meeting moved heads."""
    async with conn.transaction():
        stored: dict[tuple[int, int, str], StoredEvent] = {}
        heads: dict[int, tuple[int, str]] = {}
        rows = await conn.fetch(LOCK_AND_FIND, *_lookup(batch))
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
        columns = _columns(records, at)
        if columns:
            await conn.execute(
                STORE,
                *columns,
                list(heads),
                [seq for seq, _ in heads.values()],
                [h for _, h in heads.values()],
            )
        return guard.merge(batch, blocks, results)
