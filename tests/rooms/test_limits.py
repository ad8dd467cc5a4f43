"""Rate limits (issue 20, defects 4-6), on two uvicorn workers sharing PostgreSQL and Redis.

A flooding client talks to worker 0 while another member watches the room from worker 1: the
flood is told `rate_limited` once per wait (never one error per frame), closed 4400 when it
goes on (never 4408: its own errors used to overflow its send queue), and typing reaches the
other member at most once a second. The rules themselves are tested pure at the end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from odrchat import protocol as p
from odrchat.rooms.limits import TYPING_EVERY, SocketLimits, TypingGate, Verdict
from tests.cluster import Client, Cluster, Disconnected, cluster, fresh_database
from tests.rooms.world import World, world
from tests.services import redis_url

FLOOD = 10_000


@pytest.fixture(scope="module")
def two(
    pg_template: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Cluster, World]]:
    with fresh_database(pg_template) as db:
        w = world(db)
        with cluster(db, redis_url(), tmp_path_factory.mktemp("limits"), n=2) as cl:
            yield cl, w


def typing_of(c: Client, room: int, user_id: int) -> list[bool]:
    return [
        f["on"]
        for f in c.frames
        if f["type"] == "typing" and f["room"] == room and f["user_id"] == user_id
    ]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_a_chat_flood_is_told_once_per_wait_and_closed_4400_never_4408(
    two: tuple[Cluster, World],
) -> None:
    cl, w = two
    joint = w.rooms["joint"]
    async with cl, asyncio.timeout(60):
        paul, dana = await cl.client("paul", 0), await cl.client("dana", 1)
        for c in (paul, dana):
            await c.subscribe(joint)
        frames = [
            {"type": "chat.send", "id": f"f{i}", "room": joint, "text": f"flood {i}"}
            for i in range(FLOOD)
        ]
        took = await send_all(paul, frames)
        assert await paul.closed() == p.CLOSE_BAD_CLIENT
        limited = [e for errs in paul.errors.values() for e in errs if e["code"] == "rate_limited"]
        assert limited, "a flooding sender is told rate_limited"
        # One answer per wait (a wait is at most 1/5 s), not one per refused frame.
        assert len(limited) <= 5 * (took + 1) + 2, (len(limited), took)
        assert 20 <= len(paul.acks) < 100, len(paul.acks)
        # What was acknowledged is stored once and reached the other worker in order.
        await cl.check([joint], [dana])
        ids = {r["client_id"] for r in await cl.transcript(joint) if r["client_id"]}
        assert set(paul.acks) == ids


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_room_history_is_rate_limited_like_chat(two: tuple[Cluster, World]) -> None:
    cl, w = two
    joint = w.rooms["joint"]
    async with cl, asyncio.timeout(60):
        mia = await cl.client("mia", 0)
        await mia.subscribe(joint)
        frames = [
            {"type": "room.history", "id": f"h{i}", "room": joint, "before": 1_000}
            for i in range(FLOOD)
        ]
        await send_all(mia, frames)
        assert await mia.closed() == p.CLOSE_BAD_CLIENT
        pages = [f for f in mia.frames if f["type"] == "room.history"]
        limited = [e for errs in mia.errors.values() for e in errs if e["code"] == "rate_limited"]
        assert 10 <= len(pages) < 50, len(pages)  # the burst, not ten thousand pages
        assert 1 <= len(limited) < 20, len(limited)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_typing_reaches_the_room_once_a_second_and_a_typing_flood_is_closed(
    two: tuple[Cluster, World],
) -> None:
    """Ten changes at once (within the socket's burst) reach dana on the other worker as two:
    the first, and a second later the last state; a flood of ten thousand is closed 4400 and
    adds at most one more."""
    cl, w = two
    joint = w.rooms["joint"]
    async with cl, asyncio.timeout(60):
        alex, paul, dana = (
            await cl.client("alex", 0),
            await cl.client("paul", 0),
            await cl.client("dana", 1),
        )
        for c in (alex, paul, dana):
            await c.subscribe(joint)
        alex_id, paul_id = alex.hello["user"]["id"], paul.hello["user"]["id"]
        started = time.monotonic()
        for i in range(10):
            await alex.send_frame({"type": "typing", "room": joint, "on": i % 2 == 0})
        await dana.wait_for(lambda: typing_of(dana, joint, alex_id) == [True, False], "on, off")
        assert time.monotonic() - started >= TYPING_EVERY * 0.9  # held back for the second
        assert alex.open

        before = time.monotonic()
        frames = [{"type": "typing", "room": joint, "on": i % 2 == 0} for i in range(FLOOD)]
        await send_all(paul, frames)
        assert await paul.closed() == p.CLOSE_BAD_CLIENT
        # paul going offline is the last thing dana hears of him: wait for it, then count.
        await dana.wait_for(
            lambda: any(
                f["type"] == "presence" and f["user_id"] == paul_id and not f["online"]
                for f in dana.frames
            ),
            "paul offline",
        )
        seconds = time.monotonic() - before
        got = typing_of(dana, joint, paul_id)
        assert 1 <= len(got) <= seconds / TYPING_EVERY + 2, (len(got), seconds)
        assert typing_of(dana, joint, alex_id) == [True, False]


async def send_all(c: Client, frames: list[dict[str, Any]]) -> float:
    """Send the frames as fast as the socket takes them, until done or closed; seconds taken."""
    started = time.monotonic()
    for f in frames:
        try:
            await c.send_frame(f)
        except Disconnected:
            break
    return time.monotonic() - started


# -- the rules, pure ---------------------------------------------------------------------------


def test_a_refusal_is_answered_once_per_wait_then_patience_runs_out() -> None:
    limits = SocketLimits()
    assert limits.refuse(limits.chat, 0.2) is Verdict.ANSWER
    quiet = [limits.refuse(limits.chat, 0.2) for _ in range(100)]
    assert set(quiet) == {Verdict.QUIET}
    assert limits.refuse(limits.chat, 0.2) is Verdict.CLOSE
    # Another kind has its own wait: its first refusal is answered.
    assert limits.refuse(limits.history, 0.5) is Verdict.ANSWER


def test_the_typing_gate_sends_the_first_change_and_the_last_held_one() -> None:
    gate, key = TypingGate(), (1, 7)
    assert gate.offer(key, True, 10.0) == (True, None)
    assert gate.offer(key, False, 10.1) == (False, pytest.approx(0.9))
    assert gate.offer(key, True, 10.2) == (False, None)  # the release is due already
    assert gate.offer(key, False, 10.3) == (False, None)
    assert gate.release(key, 11.0) is False  # differs from the last sent (on): goes out
    assert gate.offer(key, False, 11.5) == (False, pytest.approx(0.5))
    assert gate.release(key, 12.0) is None  # the same as the last sent: nothing to say
    assert gate.offer(key, True, 12.1) == (True, None)  # a second after the last one sent
    gate.forget(key)
    assert gate.release(key, 13.0) is None
