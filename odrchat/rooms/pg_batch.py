"""The PostgreSQL half of group commit: one batch, one transaction, four statements, no ORM.

Through the ORM each statement of a batch cost more Python than the database spent on it
(statement compilation and caching, unit-of-work bookkeeping, a greenlet switch per call): the
profile of a two-worker run put a third of each worker's CPU in the writer. This module sends
the batch straight to asyncpg on a connection borrowed from the app's pool: the client-id
look-up, the room locks, every new row in one INSERT ... SELECT FROM unnest, and every head in
one UPDATE. It writes exactly the columns the models define and keeps the log's invariants
(rows locked in id order, heads read under the lock, seqs and chain hashes assigned in arrival
order; see log.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from odrchat.rooms import log
from odrchat.rooms.log import StoredEvent

Request = tuple[int, str, dict[str, Any], str, int, str]  # room, type, body, conf., sender, id

FIND = (
    "SELECT e.room_id, e.sender_id, e.client_id, e.seq, e.type, e.at, e.body"
    " FROM room_events e"
    " JOIN unnest($1::int[], $2::int[], $3::text[]) AS k(room_id, sender_id, client_id)"
    " ON e.room_id = k.room_id AND e.sender_id = k.sender_id AND e.client_id = k.client_id"
)
LOCK = "SELECT id, head_seq, head_hash FROM rooms WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE"
INSERT = (
    "INSERT INTO room_events"
    " (room_id, seq, type, sender_id, client_id, body, confidentiality, at, prev_hash, hash)"
    " SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[],"
    " $7::text[], $8::timestamptz[], $9::text[], $10::text[])"
)
HEADS = (
    "UPDATE rooms SET head_seq = u.seq, head_hash = u.hash"
    " FROM unnest($1::int[], $2::int[], $3::text[]) AS u(id, seq, hash) WHERE rooms.id = u.id"
)


async def commit(conn: Any, batch: list[Request], at: datetime) -> list[tuple[StoredEvent, bool]]:
    """Store a batch in one transaction on an asyncpg connection; (event, duplicate) per request.

    A unique violation (another worker stored the same client id after our look-up) escapes as
    asyncpg's UniqueViolationError with nothing stored; the writer then retries one by one.
    """
    async with conn.transaction():
        stored: dict[tuple[int, int, str], StoredEvent] = {}
        for room_id, sender_id, client_id, seq, type_, when, body in await conn.fetch(
            FIND, [r[0] for r in batch], [r[4] for r in batch], [r[5] for r in batch]
        ):
            stored[(room_id, sender_id, client_id)] = StoredEvent(
                room_id, seq, type_, when, sender_id, client_id, json.loads(body)
            )
        heads: dict[int, tuple[int, str]] = {
            rid: (seq, h) for rid, seq, h in await conn.fetch(LOCK, sorted({r[0] for r in batch}))
        }
        results: list[tuple[StoredEvent, bool]] = []
        columns: list[list[Any]] = [[] for _ in range(10)]
        for room_id, type_, body, conf, sender_id, client_id in batch:
            key = (room_id, sender_id, client_id)
            if key in stored:
                results.append((stored[key], True))
                continue
            seq, prev = heads[room_id]
            seq += 1
            encoded = log.encode_body(body)
            digest = log.chain_hash(prev, room_id, seq, type_, sender_id, client_id, at, encoded)
            heads[room_id] = (seq, digest)
            event = StoredEvent(room_id, seq, type_, at, sender_id, client_id, body)
            stored[key] = event
            results.append((event, False))
            row = (room_id, seq, type_, sender_id, client_id, encoded, conf, at, prev, digest)
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        if columns[0]:
            await conn.execute(INSERT, *columns)
            await conn.execute(
                HEADS,
                list(heads),
                [seq for seq, _ in heads.values()],
                [h for _, h in heads.values()],
            )
        return results
