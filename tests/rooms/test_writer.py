"""Group commit keeps the log's invariants: contiguous seqs, one row per client id, sound chain."""

from __future__ import annotations

import asyncio

from sqlmodel import col, func, select

from odrchat.rooms import log
from odrchat.rooms.tables import RoomEvent
from odrchat.rooms.writer import RoomWriter
from odrchat.store.db import Database
from tests.rooms.world import build_world


def _body(i: int) -> dict[str, object]:
    return {"msg_id": f"m{i}", "text": f"message {i}", "sender": {"id": 1}}


async def _append(writer: RoomWriter, room: int, sender: int, client_id: str, i: int):  # type: ignore[no-untyped-def]
    return await writer.append(
        room,
        "chat.message",
        _body(i),
        confidentiality="joint",
        sender_id=sender,
        client_id=client_id,
    )


async def test_batches_assign_contiguous_seqs_and_dedupe(db_url: str) -> None:
    w = await build_world(db_url)
    joint, private = w.rooms["joint"], w.rooms["private:plaintiff"]
    paul, mia = w.users["paul"], w.users["mia"]
    db = Database(db_url)
    writer = RoomWriter(db)
    task = asyncio.create_task(writer.run())
    try:
        first = await _append(writer, joint, paul, "a", 0)
        assert first[0].seq == 1 and first[1] is False
        # Many at once (one or a few batches), with repeats inside and across batches.
        results = await asyncio.gather(
            *(
                _append(writer, joint if i % 3 else private, paul if i % 2 else mia, f"c{i}", i)
                for i in range(300)
            ),
            _append(writer, joint, paul, "a", 0),
            _append(writer, private, mia, "c0", 0),
            _append(writer, private, mia, "c0", 0),
        )
        assert writer.batches < 300  # group commit did group
        again_a, again_c0a, again_c0b = results[-3:]
        assert again_a == (first[0], True)
        assert again_c0a[0].seq == again_c0b[0].seq == results[0][0].seq
        assert again_c0a[1] is True and again_c0b[1] is True
        async with db.session() as s:
            for room in (joint, private):
                seqs = (
                    await s.exec(
                        select(RoomEvent.seq)
                        .where(RoomEvent.room_id == room)
                        .order_by(col(RoomEvent.seq))
                    )
                ).all()
                assert list(seqs) == list(range(1, len(seqs) + 1))
                assert await log.verify_room(s, room) is None
            total = (await s.exec(select(func.count()).select_from(RoomEvent))).one()
            assert total == 301
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await db.dispose()


async def test_two_writers_on_one_database_interleave_safely(db_url: str) -> None:
    """Two workers' writers (as on two machines) appending to the same room at once."""
    w = await build_world(db_url)
    joint = w.rooms["joint"]
    dbs = [Database(db_url), Database(db_url)]
    writers = [RoomWriter(db) for db in dbs]
    tasks = [asyncio.create_task(wr.run()) for wr in writers]
    try:
        results = await asyncio.gather(
            *(
                _append(writers[i % 2], joint, w.users["paul" if i % 2 else "dana"], f"x{i}", i)
                for i in range(200)
            )
        )
        assert sorted(r[0].seq for r in results) == list(range(1, 201))
        async with dbs[0].session() as s:
            assert await log.verify_room(s, joint) is None
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for db in dbs:
            await db.dispose()
