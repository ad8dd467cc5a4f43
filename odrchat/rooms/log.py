"""The room log: persist an event with the room's next sequence number, read ranges back.

Invariants:
- `seq` increases by exactly one per stored event in a room. The increment is an UPDATE on the
  room row inside the same transaction as the INSERT, so the row lock (PostgreSQL) or the
  database write lock (SQLite, BEGIN IMMEDIATE) serialises writers: no gaps, no duplicates,
  correct with any number of workers.
- A (room, sender, client id) is stored at most once (unique index). A retry returns the
  original event, marked duplicate, and stores nothing.
- Each record's hash covers the previous record's hash and every field of its own, so editing
  or deleting a row breaks the chain at that point (`verify_room`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.rooms.tables import Room, RoomEvent

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class StoredEvent:
    room_id: int
    seq: int
    type: str
    at: datetime
    sender_id: int | None
    client_id: str | None
    body: dict[str, Any]  # its wire frame: protocol.event


def chain_hash(
    prev: str,
    room_id: int,
    seq: int,
    type_: str,
    sender_id: int | None,
    client_id: str | None,
    at: datetime,
    body: str,
) -> str:
    """The hash of one record, chained to the previous record's hash."""
    h = hashlib.sha256()
    for part in (
        prev,
        str(room_id),
        str(seq),
        type_,
        str(sender_id),
        str(client_id),
        at.isoformat(),
        body,
    ):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def encode_body(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# A chat message waiting for group commit: room, type, body, confidentiality, sender, client id.
Request = tuple[int, str, dict[str, Any], str, int, str]
# A new record as both backends store it: room, seq, type, sender, client id, body (JSON),
# confidentiality, prev_hash, hash.
NewRecord = tuple[int, int, str, int, str, str, str, str, str]


def sequence(
    batch: Sequence[Request],
    heads: dict[int, tuple[int, str]],
    stored: dict[tuple[int, int, str], StoredEvent],
    at: datetime,
) -> tuple[list[tuple[StoredEvent, bool]], list[NewRecord]]:
    """Number and chain a batch in arrival order (pure; group commit's one rule for both
    backends). `heads` (room -> seq, hash, read under the lock) advances in place; a client id
    in `stored`, or repeated earlier in the batch, resolves to that event as a duplicate.
    Returns (event, duplicate) per request and the records to insert."""
    results: list[tuple[StoredEvent, bool]] = []
    records: list[NewRecord] = []
    for room_id, type_, body, conf, sender_id, client_id in batch:
        key = (room_id, sender_id, client_id)
        if key in stored:
            results.append((stored[key], True))
            continue
        seq, prev = heads[room_id]
        seq += 1
        encoded = encode_body(body)
        digest = chain_hash(prev, room_id, seq, type_, sender_id, client_id, at, encoded)
        heads[room_id] = (seq, digest)
        event = StoredEvent(room_id, seq, type_, at, sender_id, client_id, body)
        stored[key] = event
        results.append((event, False))
        records.append((room_id, seq, type_, sender_id, client_id, encoded, conf, prev, digest))
    return results, records


async def append(
    session: AsyncSession,
    room_id: int,
    type_: str,
    body: dict[str, Any],
    *,
    confidentiality: str,
    at: datetime,
    sender_id: int | None = None,
    client_id: str | None = None,
) -> StoredEvent:
    """Store one event at the room's next seq (the caller's transaction commits it)."""
    tip = (
        await session.exec(
            update(Room)
            .where(col(Room.id) == room_id)
            .values(head_seq=col(Room.head_seq) + 1)
            .returning(col(Room.head_seq), col(Room.head_hash))
        )
    ).one()
    seq, prev = int(tip[0]), str(tip[1])
    encoded = encode_body(body)
    digest = chain_hash(prev, room_id, seq, type_, sender_id, client_id, at, encoded)
    await session.exec(
        insert(RoomEvent).values(
            room_id=room_id,
            seq=seq,
            type=type_,
            sender_id=sender_id,
            client_id=client_id,
            body=encoded,
            confidentiality=confidentiality,
            at=at,
            prev_hash=prev,
            hash=digest,
        )
    )
    await session.exec(update(Room).where(col(Room.id) == room_id).values(head_hash=digest))
    return StoredEvent(room_id, seq, type_, at, sender_id, client_id, body)


async def events_after(
    session: AsyncSession, room_id: int, after: int, limit: int, upto: int | None = None
) -> list[StoredEvent]:
    """Events with seq > after (and <= upto), oldest first."""
    query = select(RoomEvent).where(col(RoomEvent.room_id) == room_id, col(RoomEvent.seq) > after)
    if upto is not None:
        query = query.where(col(RoomEvent.seq) <= upto)
    rows = await session.exec(query.order_by(col(RoomEvent.seq)).limit(limit))
    return [stored(r) for r in rows.all()]


async def events_before(
    session: AsyncSession, room_id: int, before: int, limit: int
) -> list[StoredEvent]:
    """Up to `limit` events with seq < before, oldest first."""
    rows = await session.exec(
        select(RoomEvent)
        .where(col(RoomEvent.room_id) == room_id, col(RoomEvent.seq) < before)
        .order_by(col(RoomEvent.seq).desc())
        .limit(limit)
    )
    return [stored(r) for r in reversed(rows.all())]


async def heads(session: AsyncSession, room_ids: Sequence[int]) -> dict[int, int]:
    """The head seq of each room."""
    if not room_ids:
        return {}
    rows = await session.exec(
        select(col(Room.id), col(Room.head_seq)).where(col(Room.id).in_(list(room_ids)))
    )
    return {int(room or 0): int(head) for room, head in rows.all()}


@dataclass(frozen=True, slots=True)
class ChainBreak:
    room_id: int
    seq: int
    reason: str


async def verify_room(session: AsyncSession, room_id: int, batch: int = 1000) -> ChainBreak | None:
    """Walk a room's log and report the first record whose chain does not hold."""
    room = await session.get(Room, room_id)
    if room is None:
        return ChainBreak(room_id, 0, "room missing")
    prev, expected_seq, after = GENESIS, 1, 0
    while True:
        rows = (
            await session.exec(
                select(RoomEvent)
                .where(col(RoomEvent.room_id) == room_id, col(RoomEvent.seq) > after)
                .order_by(col(RoomEvent.seq))
                .limit(batch)
            )
        ).all()
        for ev in rows:
            if ev.seq != expected_seq:
                return ChainBreak(room_id, expected_seq, f"record {expected_seq} is missing")
            digest = chain_hash(
                prev, room_id, ev.seq, ev.type, ev.sender_id, ev.client_id, ev.at, ev.body
            )
            if ev.prev_hash != prev or ev.hash != digest:
                return ChainBreak(room_id, ev.seq, "record altered")
            prev, expected_seq, after = ev.hash, ev.seq + 1, ev.seq
        if len(rows) < batch:
            break
    if room.head_seq != expected_seq - 1 or room.head_hash != prev:
        return ChainBreak(
            room_id, expected_seq, "log shorter than the room's head (records removed)"
        )
    return None


def stored(ev: RoomEvent) -> StoredEvent:
    return StoredEvent(
        ev.room_id, ev.seq, ev.type, ev.at, ev.sender_id, ev.client_id, json.loads(ev.body)
    )
