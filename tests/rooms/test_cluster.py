"""Several real uvicorn workers, one PostgreSQL, one Redis: everyone sees one transcript.

Clients of the same room sit on different workers; every acknowledged message must be in the
database exactly once, and every subscribed client must hold exactly the database's
transcript of the room, in seq order, with no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster import cluster, converse, fresh_database
from tests.rooms.world import world
from tests.services import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


async def test_two_workers_agree_on_one_transcript(db: str, tmp_path: Path) -> None:
    """paul and mia on worker 1, dana on worker 2, all sending at once: same messages, same
    order, for everyone, equal to the database."""
    w = world(db)
    joint = w.rooms["joint"]
    with cluster(db, redis_url(), tmp_path) as cl:
        async with asyncio.timeout(120):
            paul, dana, mia = [
                await cl.client(who, n) for who, n in (("paul", 0), ("dana", 1), ("mia", 0))
            ]
            for c in (paul, dana, mia):
                await c.subscribe(joint)
            await asyncio.gather(*(converse(c, joint, 15, cl.workers) for c in (paul, dana, mia)))
            await cl.check([joint])
            assert len(await cl.transcript(joint)) == 45
            assert {c.connections for c in (paul, dana, mia)} == {1}  # nobody had to reconnect


async def test_private_room_crosses_workers_to_the_mediator_only(db: str, tmp_path: Path) -> None:
    """paul's private-room message on worker 1 reaches mia on worker 2; dana, on worker 2 too,
    is never sent a frame of that room, and cannot subscribe to it."""
    w = world(db)
    private, joint = w.rooms["private:plaintiff"], w.rooms["joint"]
    with cluster(db, redis_url(), tmp_path) as cl:
        async with asyncio.timeout(90):
            paul, mia, dana = [
                await cl.client(who, n) for who, n in (("paul", 0), ("mia", 1), ("dana", 1))
            ]
            assert private not in {r["room"] for r in dana.hello["rooms"]}
            for c in (paul, mia):
                await c.subscribe(private)
            await dana.subscribe(joint)
            await dana.send_frame({"type": "room.subscribe", "id": "peek", "room": private})
            refused = await dana.wait_for(lambda: dana.errors.get("peek"), "refusal")
            assert refused[0]["code"] == "not_found"
            ack = await paul.send(private, "My bottom line is $800")
            assert ack["type"] == "chat.ack"
            await mia.wait_for(lambda: mia.last(private) == ack["seq"], "the private message")
            # dana keeps talking in the joint room meanwhile; her socket is live and served.
            for i in range(5):
                await dana.send(joint, f"anyone there? {i}")
            await dana.wait_for(lambda: dana.last(joint) == 5, "her own messages")
            await cl.check([private, joint])
            assert all(
                f.get("room") != private for f in dana.frames[1:] if f.get("re") != "peek"
            ), "a private-room frame reached the other side"
            assert "My bottom line" not in "".join(str(f) for f in dana.frames)
