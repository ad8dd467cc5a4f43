"""RedisBroker against a real Redis: fan-out, dropped connections, outages, a frozen server."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from odrchat.broker.base import BrokerError, Message, Resynced
from odrchat.broker.redis import RedisBroker, pack, unpack
from tests.broker.conftest import WAIT, Running, next_event
from tests.services import unavailable

pytestmark = pytest.mark.redis

UNREACHABLE = "redis://127.0.0.1:1/0"


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[Redis]:
    """A separate connection for poking the server, as an operator would."""
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def kill_client(admin: Redis, name: str) -> None:
    """CLIENT KILL the one connection called `name` (not TYPE pubsub: that would also cut
    anyone else's subscribers on a shared Redis)."""
    clients = await admin.client_list(_type="pubsub")
    ids = [client["id"] for client in clients if client["name"] == name]
    assert len(ids) == 1, clients
    assert await admin.client_kill_filter(_id=ids[0]) == 1


async def test_messages_fan_out_to_every_worker(
    redis_url: str, prefix: str, running: Running
) -> None:
    """Two brokers (two workers) sharing a prefix both hear a doorbell rung by one of them."""
    one, two = RedisBroker(redis_url, prefix=prefix), RedisBroker(redis_url, prefix=prefix)
    async with running(one) as events_one, running(two) as events_two:
        await one.subscribe("room:7")
        await two.subscribe("room:7")
        await one.publish("room:7", b"ding")
        assert await next_event(events_one) == Message("room:7", b"ding")
        assert await next_event(events_two) == Message("room:7", b"ding")


async def test_killed_listener_reconnects_resubscribes_and_resyncs(
    redis_url: str, prefix: str, admin: Redis, running: Running
) -> None:
    """After the subscriber connection is cut the consumer is told (Resynced), and delivery
    resumes on the channels it had subscribed to, including one added while it was down."""
    broker = RedisBroker(redis_url, prefix=prefix)
    async with running(broker) as events:
        await broker.subscribe("a")
        await broker.publish("a", b"before")
        assert await next_event(events) == Message("a", b"before")

        await kill_client(admin, broker.listener_name)
        await broker.subscribe("b")  # lands before, during or after the reconnect: all must work
        assert await next_event(events) == Resynced()
        assert broker.healthy
        await broker.publish("a", b"after")
        await broker.publish("b", b"new")
        assert await next_event(events) == Message("a", b"after")
        assert await next_event(events) == Message("b", b"new")


async def test_killed_publisher_connection_is_replaced(
    redis_url: str, prefix: str, admin: Redis, running: Running
) -> None:
    """A publish after the publishing connection was cut succeeds on a fresh one."""
    broker = RedisBroker(redis_url, prefix=prefix)
    async with running(broker) as events:
        await broker.subscribe("a")
        await broker.publish("a", b"1")
        clients = await admin.client_list()
        [publisher] = [c["id"] for c in clients if c["name"] == f"{prefix}publisher"]
        assert await admin.client_kill_filter(_id=publisher) == 1
        await broker.publish("a", b"2")
        assert [await next_event(events) for _ in range(2)] == [
            Message("a", b"1"),
            Message("a", b"2"),
        ]


async def test_concurrent_publishes_share_one_connection(
    redis_url: str, prefix: str, admin: Redis, running: Running
) -> None:
    broker = RedisBroker(redis_url, prefix=prefix)
    async with running(broker):
        await asyncio.gather(*(broker.publish("x", b"%d" % i) for i in range(2000)))
        names = [client["name"] for client in await admin.client_list()]
        assert names.count(f"{prefix}publisher") == 1
        assert names.count(broker.listener_name) == 1


async def test_publishes_arrive_in_order_and_a_flusher_cancelled_midway_hands_on(
    redis_url: str, prefix: str, running: Running
) -> None:
    """Publishes queued behind one in flight go out together, in order; when the caller that
    is flushing goes away (its socket closed), the others are still sent."""
    broker = RedisBroker(redis_url, prefix=prefix)
    async with running(broker) as events:
        await broker.subscribe("o")
        first = asyncio.ensure_future(broker.publish("o", b"0"))
        await asyncio.sleep(0)  # the first caller is flushing, its PUBLISH in flight
        rest = [asyncio.ensure_future(broker.publish("o", b"%d" % i)) for i in range(1, 300)]
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.gather(*rest)
        heard = []
        async with asyncio.timeout(WAIT):
            while len(heard) < 299:
                event = await next_event(events)
                # The cancelled first one may or may not have reached Redis.
                if isinstance(event, Message) and event.channel == "o" and event.payload != b"0":
                    heard.append(int(event.payload))
        assert heard == list(range(1, 300))


async def test_publish_to_unreachable_redis_raises_broker_error_quickly() -> None:
    broker = RedisBroker(UNREACHABLE)
    await broker.connect()
    try:
        async with asyncio.timeout(2):
            with pytest.raises(BrokerError) as raised:
                await broker.publish("a", b"x")
        assert raised.value.retryable
        assert isinstance(raised.value.__cause__, RedisError)  # translated at the boundary
    finally:
        await broker.disconnect()


async def test_broker_started_without_redis_reports_down_and_keeps_retrying() -> None:
    """Start-up does not fail the app: status says what is wrong, and run() retries until
    disconnect() (which ends it promptly, with no event ever delivered)."""
    broker = RedisBroker(UNREACHABLE)
    await broker.connect()
    assert broker.status.startswith("down: ")
    assert "127.0.0.1:1" in broker.status
    assert not broker.healthy
    async with asyncio.timeout(WAIT), asyncio.TaskGroup() as tasks:
        tasks.create_task(broker.run())
        await broker.disconnect()
    assert [event async for event in broker.events()] == []


@pytest.fixture
def private_redis() -> Iterator[str]:
    """A throwaway redis-server that allows DEBUG, so freezing it disturbs nobody else."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed: the frozen-server test needs its own server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    args += ["--appendonly", "no", "--enable-debug-command", "yes", "--logfile", ""]
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            if not any("Ready to accept connections" in line for line in server.stdout):
                pytest.fail("private redis-server exited before accepting connections")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()


async def freeze(admin: Redis, *, seconds: int) -> None:
    """DEBUG SLEEP: Redis stops answering anyone; returns when it wakes."""
    await admin.execute_command("DEBUG", "SLEEP", seconds)  # type: ignore[no-untyped-call]


async def test_frozen_server_is_detected_and_resynced(
    private_redis: str, prefix: str, running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """DEBUG SLEEP freezes Redis without closing any socket: only the listener's PINGs can
    notice. It must give up on the silent connection, reconnect once Redis wakes, and resync."""
    broker = RedisBroker(private_redis, prefix=prefix, ping_interval=0.2, timeout=0.5)
    admin = Redis.from_url(private_redis)
    try:
        async with running(broker) as events:
            await broker.subscribe("a")
            await freeze(admin, seconds=2)
            assert await next_event(events) == Resynced()
            assert "no reply from redis" in caplog.text
            await broker.publish("a", b"awake")
            assert await next_event(events) == Message("a", b"awake")
    finally:
        await admin.aclose()


def test_bus_frames_round_trip_and_malformed_ones_are_refused() -> None:
    items = [(b"room:1", b"E|x|1|1|{}"), ("room:\u00e9".encode(), b""), (b"c", b"\x00" * 70000)]
    assert list(unpack(pack(items))) == items
    assert list(unpack(b"")) == []
    with pytest.raises(ValueError):
        list(unpack(pack(items)[:-1]))
    with pytest.raises(ValueError):
        list(unpack(b"\x00\x05"))


class Tap:
    """What an outside subscriber of one Redis channel hears (a worker of the previous
    release, say)."""

    def __init__(self) -> None:
        self.heard: list[bytes] = []
        self._changed = asyncio.Condition()

    async def hear(self, data: bytes) -> None:
        async with self._changed:
            self.heard.append(data)
            self._changed.notify_all()

    async def until(self, done: Callable[[list[bytes]], bool]) -> list[bytes]:
        """Wait (at most WAIT seconds) until what was heard satisfies `done`."""
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(lambda: done(self.heard))
        return self.heard


@contextlib.asynccontextmanager
async def tap(redis_url: str, channel: str) -> AsyncIterator[Tap]:
    """A Tap on `channel`, subscribed before the block starts."""
    found = Tap()
    client = Redis.from_url(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)

    async def read() -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                await found.hear(message["data"])

    reader = asyncio.ensure_future(read())
    try:
        yield found
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        await pubsub.aclose()
        await client.aclose()


async def test_publishes_queued_together_travel_as_one_bus_message(
    redis_url: str, prefix: str, admin: Redis, running: Running
) -> None:
    """Room channels cost Redis nothing to subscribe to, and a burst of doorbells is one
    PUBLISH on the bus, delivered whole and in order."""
    broker = RedisBroker(redis_url, prefix=prefix)
    async with running(broker) as events, tap(redis_url, prefix + "bus") as bus:
        await broker.subscribe("room:1")
        await broker.subscribe("room:2")
        numsub = dict(await admin.pubsub_numsub(prefix + "room:1", prefix + "bus"))
        assert numsub[(prefix + "room:1").encode()] == 0
        assert numsub[(prefix + "bus").encode()] == 2  # the broker's listener and the tap
        await asyncio.gather(*(broker.publish(f"room:{i % 2 + 1}", b"%d" % i) for i in range(300)))
        got = [await next_event(events) for _ in range(300)]
        assert got == [Message(f"room:{i % 2 + 1}", b"%d" % i) for i in range(300)]
        await broker.publish("room:1", b"marker")
        assert await next_event(events) == Message("room:1", b"marker")
        # Once the tap hears the marker it has heard everything before it (one connection).
        heard = await bus.until(lambda h: bool(h) and (b"room:1", b"marker") in unpack(h[-1]))
        frames = [frame for message in heard for frame in unpack(message)]
        assert len(frames) == 301
        assert len(heard) < 10  # the first publish alone, then the rest together


async def test_a_bus_message_over_the_size_cap_is_split_in_order(
    redis_url: str, prefix: str, running: Running
) -> None:
    broker = RedisBroker(redis_url, prefix=prefix)
    async with running(broker) as events, tap(redis_url, prefix + "bus") as bus:
        await broker.subscribe("big")
        big = [bytes([i]) * 300_000 for i in range(4)]
        await asyncio.gather(*(broker.publish("big", payload) for payload in big))
        assert [await next_event(events) for _ in big] == [Message("big", p) for p in big]
        heard = await bus.until(lambda h: sum(len(list(unpack(m))) for m in h) == 4)
        assert len(heard) >= 3  # no message holds two of them


async def test_direct_channels_keep_their_own_redis_channel_in_order_with_the_bus(
    redis_url: str, prefix: str, admin: Redis, running: Running
) -> None:
    """A direct channel (the hub's control channel) is heard and spoken on its own Redis
    channel, as by a worker of the previous release; order across bus and direct holds."""
    broker = RedisBroker(redis_url, prefix=prefix, direct=("control",))
    async with running(broker) as events, tap(redis_url, prefix + "control") as control:
        await broker.subscribe("control")
        await broker.subscribe("room:1")
        numsub = dict(await admin.pubsub_numsub(prefix + "control"))
        assert numsub[(prefix + "control").encode()] == 2
        sent = [("room:1", b"a1"), ("control", b"C|x|1"), ("room:1", b"a2")]
        await asyncio.gather(*(broker.publish(c, p) for c, p in sent))
        assert [await next_event(events) for _ in sent] == [Message(c, p) for c, p in sent]
        assert await control.until(bool) == [b"C|x|1"]  # the raw payload, unframed
        await admin.publish(prefix + "control", b"S|old-worker|7")  # from the old release
        assert await next_event(events) == Message("control", b"S|old-worker|7")
    with pytest.raises(ValueError):
        RedisBroker(redis_url, prefix=prefix, direct=("bus",))


async def test_a_malformed_bus_message_resyncs_the_consumer(
    redis_url: str, prefix: str, admin: Redis, running: Running
) -> None:
    broker = RedisBroker(redis_url, prefix=prefix)
    async with running(broker) as events:
        await broker.subscribe("a")
        await admin.publish(prefix + "bus", b"\x00\x01")
        assert await next_event(events) == Resynced()
        await broker.publish("a", b"after")
        assert await next_event(events) == Message("a", b"after")
