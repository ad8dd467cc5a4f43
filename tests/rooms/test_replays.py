"""Opening subscriptions in batches gives each one the answer it would get alone (both backends)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from odrchat import protocol
from odrchat.rooms.presence import MemoryPresence, Presence, RedisPresence
from odrchat.rooms.replays import Replays, Want
from odrchat.rooms.writer import RoomWriter
from odrchat.store.db import Database
from tests.rooms.world import build_world
from tests.services import redis_url


async def _fill(writer: RoomWriter, room: int, sender: int, count: int, tag: str) -> None:
    await asyncio.gather(
        *(
            writer.append(
                room,
                "chat.message",
                {"msg_id": f"{tag}{i}", "text": f"{tag} {i}", "sender": {"id": sender}},
                confidentiality="joint",
                sender_id=sender,
                client_id=f"{tag}{i}",
            )
            for i in range(count)
        )
    )


async def test_a_batch_answers_every_kind_of_subscription_as_one_at_a_time_would(
    db_url: str,
) -> None:
    w = await build_world(db_url)
    joint, private = w.rooms["joint"], w.rooms["private:plaintiff"]
    paul, dana = w.users["paul"], w.users["dana"]
    db = Database(db_url)
    writer = RoomWriter(db)
    task = asyncio.create_task(writer.run())
    try:
        # Joint: 60 of Paul's messages, then 3 of Dana's; private room: 520 of Paul's.
        await _fill(writer, joint, paul, 60, "j")
        await _fill(writer, joint, dana, 3, "d")
        await _fill(writer, private, paul, 520, "p")
        replays = Replays(db, asyncio.Semaphore(1))
        latest, resume, beyond, long, unknown = await asyncio.gather(
            replays.open(Want(joint, dana, None)),
            replays.open(Want(joint, paul, 58)),
            replays.open(Want(joint, paul, 99)),
            replays.open(Want(private, paul, 0)),
            replays.open(Want(987654, paul, None)),
        )
        # With one read slot the first caller reads alone and the next takes the other four.
        assert replays.requests == 5 and replays.batches == 2

        assert latest is not None
        assert (latest.head, latest.read, latest.unread) == (63, 0, 60)  # Dana's own excluded
        assert latest.start == 63 - protocol.LATEST_PAGE
        assert [e.seq for e in latest.events] == list(range(14, 64))
        assert not latest.more
        first = latest.events[0]
        assert first.room_id == joint and first.type == "chat.message"
        assert first.body["text"].startswith("j ") and first.sender_id == paul
        assert first.client_id and first.at.tzinfo is not None

        assert resume is not None and resume.unread == 3 and resume.start == 58
        assert [e.seq for e in resume.events] == [59, 60, 61, 62, 63] and not resume.more

        assert beyond is not None and beyond.start == beyond.head == 63 and beyond.events == []

        assert long is not None and long.more and long.start == 0
        assert [e.seq for e in long.events] == list(range(1, protocol.RESUME_PAGE + 1))
        assert long.head == 520

        assert unknown is None
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await db.dispose()


async def test_a_failed_batch_reaches_every_caller_and_the_next_batch_reads_again(
    db_url: str,
) -> None:
    w = await build_world(db_url)
    db = Database(db_url)
    # A database that cannot be reached: a missing directory, a missing PostgreSQL database.
    nowhere = db_url.rsplit("/", 1)[0] + (
        "/no/such/dir/x.sqlite3" if "sqlite" in db_url else "/odrchat_no_such_database"
    )
    replays = Replays(Database(nowhere), asyncio.Semaphore(1))
    try:
        outcomes = await asyncio.gather(
            *(replays.open(Want(w.rooms["joint"], w.users["paul"], None)) for _ in range(3)),
            return_exceptions=True,
        )
        assert all(isinstance(o, Exception) for o in outcomes), outcomes
        assert replays.batches == 0
        await replays.db.dispose()
        replays.db = db
        again = await replays.open(Want(w.rooms["joint"], w.users["paul"], None))
        assert again is not None and again.head == 0 and again.events == []
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def test_a_batch_reads_who_is_online_in_each_room_in_one_go(
    db_url: str, backend: str
) -> None:
    w = await build_world(db_url)
    joint, private = w.rooms["joint"], w.rooms["private:plaintiff"]
    presence: Presence
    if backend == "redis":
        presence = RedisPresence(redis_url(), "w1", prefix=f"odrchat:test:{uuid.uuid4().hex}:")
    else:
        presence = MemoryPresence()
    db = Database(db_url)
    try:
        await presence.add(joint, w.users["paul"])
        await presence.add(joint, w.users["mia"])
        await presence.add(private, w.users["mia"])
        replays = Replays(db, asyncio.Semaphore(1), presence)
        first, a, b = await asyncio.gather(
            replays.open(Want(joint, w.users["dana"], None)),
            replays.open(Want(joint, w.users["paul"], None)),
            replays.open(Want(private, w.users["paul"], None)),
        )
        assert first is not None and a is not None and b is not None
        assert first.online == a.online == tuple(sorted([w.users["paul"], w.users["mia"]]))
        assert b.online == (w.users["mia"],)
        assert await presence.online_in([joint, private, 999_999]) == {
            joint: {w.users["paul"], w.users["mia"]},
            private: {w.users["mia"]},
            999_999: set(),
        }
    finally:
        await presence.close()
        await db.dispose()


async def test_subscriptions_opened_together_are_one_read(db_url: str) -> None:
    """A socket's rooms opened together cost one statement, answered in the order asked."""
    w = await build_world(db_url)
    rooms = [w.rooms[k] for k in ("joint", "private:plaintiff", "private:defendant")]
    db = Database(db_url)
    writer = RoomWriter(db)
    task = asyncio.create_task(writer.run())
    try:
        await _fill(writer, rooms[1], w.users["mia"], 3, "p")
        replays = Replays(db, asyncio.Semaphore(1), MemoryPresence())
        found = await replays.open_many([Want(r, w.users["mia"], 0) for r in rooms])
        assert replays.batches == 1 and replays.requests == 3
        assert [(f.head, len(f.events)) if f else None for f in found] == [(0, 0), (3, 3), (0, 0)]
        alone = await replays.open(Want(rooms[1], w.users["mia"], 0))
        assert alone == found[1]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await db.dispose()
