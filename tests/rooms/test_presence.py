"""Presence across workers in Redis: changes written behind, in order, and seen at once by the
worker that made them."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from odrchat.rooms.presence import RedisPresence
from tests.services import redis_url

pytestmark = pytest.mark.redis


def _presence(prefix: str, worker: str) -> RedisPresence:
    return RedisPresence(redis_url(), worker, prefix=prefix)


async def _stored(prefix: str, room: int) -> list[str]:
    """The members Redis itself holds for a room, read with a connection of the test's own."""
    redis = Redis.from_url(redis_url())
    try:
        return sorted(m.decode() for m in await redis.zrange(prefix + str(room), 0, -1))
    finally:
        await redis.aclose()


async def test_changes_reach_redis_in_the_order_they_were_made() -> None:
    prefix = f"odrchat:test:{uuid.uuid4().hex}:"
    one = _presence(prefix, "w1")
    try:
        # Each pair arrives and leaves before anything is written: the last change wins.
        await one.add(7, 1)
        await one.remove(7, 1)
        await one.add(7, 2)
        await one.remove(8, 3)
        await one.add(8, 3)
        await one.flush()
        assert await _stored(prefix, 7) == ["2:w1"]
        assert await _stored(prefix, 8) == ["3:w1"]
        await one.remove(8, 3)
        await one.flush()
        assert await _stored(prefix, 8) == []
    finally:
        await one.close()


async def test_a_worker_sees_its_own_changes_before_they_are_written() -> None:
    prefix = f"odrchat:test:{uuid.uuid4().hex}:"
    one, two = _presence(prefix, "w1"), _presence(prefix, "w2")
    try:
        await two.add(5, 20)
        await two.flush()
        await one.add(5, 10)
        await one.add(6, 10)
        await one.add(5, 20)
        await one.remove(5, 20)  # the same user stays online through the other worker
        # Asked at once, before the writer ran: its own member is there already.
        assert await one.online_in([5, 6, 9]) == {5: {10, 20}, 6: {10}, 9: set()}
        assert await one.online(6) == {10}
        # The other worker sees them once written.
        await one.flush()
        assert await two.online_in([5, 6]) == {5: {10, 20}, 6: {10}}
        await one.remove(6, 10)
        assert await one.online(6) == set()
    finally:
        await one.close()
        await two.close()


async def test_closing_writes_what_is_queued() -> None:
    prefix = f"odrchat:test:{uuid.uuid4().hex}:"
    one = _presence(prefix, "w1")
    await one.add(3, 4)
    await one.close()
    assert await _stored(prefix, 3) == ["4:w1"]


async def test_expired_members_are_not_online_and_scripts_survive_a_flushed_cache() -> None:
    """Presence reads and writes are server-side scripts: a Redis that forgot them (a restart,
    a failover to a replica) is sent them again, and an expired member is not online."""
    prefix = f"odrchat:test:{uuid.uuid4().hex}:"
    one = _presence(prefix, "w1")
    admin = Redis.from_url(redis_url())
    try:
        await one.add(9, 1)
        await one.flush()
        await admin.zadd(prefix + "9", {"2:gone-worker": 1.0})  # expired long ago
        await admin.zadd(prefix + "10", {"3:w3": 4102444800.0})  # another worker's, fresh
        await admin.script_flush()
        assert await one.online_in([9, 10, 11]) == {9: {1}, 10: {3}, 11: set()}
        await admin.script_flush()
        await one.remove(9, 1)
        await one.flush()
        assert await _stored(prefix, 9) == ["2:gone-worker"]
    finally:
        await admin.aclose()
        await one.close()


async def test_a_read_of_more_rooms_than_one_script_call_takes_is_whole() -> None:
    """An away-notice sweep asks about thousands of rooms at once: every one is answered."""
    prefix = f"odrchat:test:{uuid.uuid4().hex}:"
    one = _presence(prefix, "w1")
    try:
        await one.add(1, 10)
        await one.add(2_499, 11)
        await one.flush()
        await one.add(1_500, 12)  # not yet written: laid over what Redis says
        found = await one.online_in(range(2_500))
        assert len(found) == 2_500
        assert {room: users for room, users in found.items() if users} == {
            1: {10},
            1_500: {12},
            2_499: {11},
        }
        assert await one.online(2_499) == {11}
    finally:
        await one.close()


async def test_changes_and_reads_queued_together_go_to_redis_in_one_call() -> None:
    """A connect round's subscriptions write presence and read it: whatever is queued while an
    exchange is out goes in the next one, changes first, so a read sees the worker's own
    changes made before it without a round trip of its own."""
    prefix = f"odrchat:test:{uuid.uuid4().hex}:"
    one = _presence(prefix, "w1")
    calls: list[tuple[int, int]] = []
    out = asyncio.Event()
    real = one._sync

    async def counted(*, keys: list[str], args: list[str]) -> object:
        calls.append((int(args[2]), len(keys) - int(args[2])))  # (changes, rooms read)
        out.set()
        return await real(keys=keys, args=args)

    one._sync = counted  # type: ignore[assignment]
    try:
        first = asyncio.ensure_future(one.online_in([1]))
        await one.add(1, 10)  # queued before the exchange starts: written, then read
        await out.wait()  # the first exchange is out
        await one.add(2, 10)
        await one.add(2, 11)
        more = asyncio.gather(one.online_in([1, 2]), one.online_in([2, 3]))
        assert await first == {1: {10}}
        assert await more == [{1: {10}, 2: {10, 11}}, {2: {10, 11}, 3: set()}]
        assert calls == [(1, 1), (2, 4)]
        assert await _stored(prefix, 2) == ["10:w1", "11:w1"]
    finally:
        await one.close()


async def test_with_redis_away_a_read_answers_with_the_workers_own_members() -> None:
    """Nothing listens on the port: the exchange fails, every read taken is still answered
    (with what this worker itself made online), and nothing raises."""
    one = RedisPresence("redis://127.0.0.1:9/0", "w1", prefix="odrchat:test:away:")
    try:
        await one.add(4, 40)
        await one.add(4, 41)
        await one.remove(4, 41)
        assert await asyncio.wait_for(one.online_in([4, 5]), 10) == {4: {40}, 5: set()}
    finally:
        await asyncio.wait_for(one.close(), 10)
