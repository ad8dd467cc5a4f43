"""Group commit keeps the log's invariants: contiguous seqs, one row per client id, sound chain."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col, func, select

from odrchat.rooms import log, pg_batch
from odrchat.rooms.tables import RoomEvent
from odrchat.rooms.writer import RoomWriter
from odrchat.store.db import Database
from tests.rooms.world import build_world
from tests.services import create_pg_database, drop_pg_database


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


@pytest.mark.postgres
async def test_a_writer_started_on_an_empty_table_drops_its_plans_as_the_table_grows(
    pg_template: tuple[str, str],
) -> None:
    """The look-up of stored client ids is planned for the table as it is, not as it was.

    PostgreSQL settles on a generic plan after a statement's fifth execution. Made while
    `room_events` was empty, that plan read the whole table for every batch; the writer's
    `DISCARD PLANS` at each doubling of what it wrote makes the plan anew (writer.py)."""
    base, template = pg_template
    url = create_pg_database(base, template=template)
    w = await build_world(url)
    rooms = [w.rooms["joint"], w.rooms["private:plaintiff"]]
    paul = w.users["paul"]
    db = Database(url)
    writer = RoomWriter(db)
    task = asyncio.create_task(writer.run())
    try:
        await _append(writer, rooms[0], paul, "first", 0)  # the writer's connection opens
        assert writer._pg is not None
        conn = (await writer._pg.get_raw_connection()).driver_connection
        # PostgreSQL picks the generic plan or a fresh one by estimated cost; in the benchmark
        # (batches over many rooms) it took the generic one. Here it always does.
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        written = 1
        while written < 4200:  # past REPLAN_FIRST, twice and four times it
            await asyncio.gather(
                *(_append(writer, rooms[i % 2], paul, f"k{written + i}", i) for i in range(20))
            )
            written += 20
        assert writer.replans == 3
        names = await conn.fetch(
            "SELECT name, generic_plans FROM pg_prepared_statements WHERE statement = $1",
            pg_batch.READ,
        )
        assert len(names) == 1 and names[0]["generic_plans"] > 0  # a generic plan is in use
        plan = "\n".join(
            r[0]
            for r in await conn.fetch(
                f"EXPLAIN EXECUTE {names[0]['name']}('{{1}}', '{{1}}', '{{1}}', '{{x}}', '{{1}}')"
            )
        )
        assert "uq_room_events_client_id" in plan
        assert "Seq Scan on room_events" not in plan
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await db.dispose()
        drop_pg_database(base, url)
