"""The broker contract, one body run unchanged against every backend (memory and Redis)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from odrchat.broker.base import BrokerError, Message, Resynced
from odrchat.broker.memory import MemoryBroker
from tests.broker.conftest import BrokerFactory, Running, next_event


async def test_opening_event_is_resynced_and_status_is_ok(
    make_broker: BrokerFactory, running: Running
) -> None:
    """A consumer always starts by catching up from the database; /readyz sees "ok"."""
    broker = make_broker()
    assert not broker.healthy
    async with running(broker):  # asserts the first event is Resynced
        assert broker.status == "ok"
        assert broker.healthy


async def test_publish_reaches_subscriber(make_broker: BrokerFactory, running: Running) -> None:
    broker = make_broker()
    async with running(broker) as events:
        await broker.subscribe("room:1")
        await broker.publish("room:1", b"hello")
        assert await next_event(events) == Message("room:1", b"hello")
        assert broker.channels == {"room:1"}


async def test_only_subscribed_channels_are_delivered(
    make_broker: BrokerFactory, running: Running
) -> None:
    """A message on a channel nobody here subscribed to never shows up (the marker, published
    after it on the same connection, arrives first)."""
    broker = make_broker()
    async with running(broker) as events:
        await broker.subscribe("mine")
        await broker.publish("other", b"not for us")
        await broker.publish("mine", b"marker")
        assert await next_event(events) == Message("mine", b"marker")


async def test_unsubscribe_stops_delivery_even_of_queued_messages(
    make_broker: BrokerFactory, running: Running
) -> None:
    broker = make_broker()
    async with running(broker) as events:
        await broker.subscribe("a")
        await broker.subscribe("b")
        await broker.publish("a", b"a1")
        assert await next_event(events) == Message("a", b"a1")
        await broker.publish("a", b"a2")  # may already be queued when we unsubscribe
        await broker.unsubscribe("a")
        await broker.publish("a", b"a3")
        await broker.publish("b", b"marker")
        assert await next_event(events) == Message("b", b"marker")
        assert broker.channels == {"b"}


async def test_subscribe_is_idempotent(make_broker: BrokerFactory, running: Running) -> None:
    """Subscribing twice delivers once; one unsubscribe is enough."""
    broker = make_broker()
    async with running(broker) as events:
        await broker.subscribe("a")
        await broker.subscribe("a")
        await broker.subscribe("b")
        await broker.publish("a", b"once")
        await broker.publish("b", b"marker")
        assert await next_event(events) == Message("a", b"once")
        assert await next_event(events) == Message("b", b"marker")
        await broker.unsubscribe("a")
        await broker.publish("a", b"gone")
        await broker.publish("b", b"marker2")
        assert await next_event(events) == Message("b", b"marker2")


async def test_order_is_preserved_per_channel(make_broker: BrokerFactory, running: Running) -> None:
    broker = make_broker()
    async with running(broker) as events:
        for channel in ("a", "b"):
            await broker.subscribe(channel)
        for i in range(300):
            await broker.publish("a" if i % 3 else "b", str(i).encode())
        received: dict[str, list[int]] = {"a": [], "b": []}
        for _ in range(300):
            event = await next_event(events)
            assert isinstance(event, Message)
            received[event.channel].append(int(event.payload))
        assert received["a"] == [i for i in range(300) if i % 3]
        assert received["b"] == [i for i in range(300) if not i % 3]


async def test_post_goes_out_in_order_with_publishes_without_waiting(
    make_broker: BrokerFactory, running: Running
) -> None:
    """A post returns before Redis has it, keeps its place among publishes, and a post on a
    broker that is not connected is dropped without an error (presence and typing are best
    effort; stored events always go through publish)."""
    broker = make_broker()
    broker.post("a", b"before connect")  # nothing to send it on: dropped
    async with running(broker) as events:
        await broker.subscribe("a")
        for i in range(30):
            if i % 2:
                broker.post("a", str(i).encode())
            else:
                await broker.publish("a", str(i).encode())
        received = []
        for _ in range(30):
            event = await next_event(events)
            assert isinstance(event, Message)
            received.append(int(event.payload))
        assert received == list(range(30))
    broker.post("a", b"after disconnect")  # dropped too, no error


async def test_many_concurrent_publishes_are_all_delivered(
    make_broker: BrokerFactory, running: Running
) -> None:
    """5000 publishes from 5000 tasks at once: none fails, none is lost or duplicated. (One task
    per publish on an ordinary redis-py pool fails with "Too many connections".)"""
    broker = make_broker()
    channels = [f"room:{n}" for n in range(10)]
    sent = {(channels[i % 10], str(i).encode()) for i in range(5000)}
    async with running(broker) as events:
        for channel in channels:
            await broker.subscribe(channel)
        await asyncio.gather(*(broker.publish(channel, payload) for channel, payload in sent))
        received = set()
        for _ in range(len(sent)):
            event = await next_event(events)
            assert isinstance(event, Message)
            received.add((event.channel, event.payload))
        assert received == sent


async def test_disconnect_ends_events_and_run_and_refuses_publish(
    make_broker: BrokerFactory, running: Running
) -> None:
    broker = make_broker()
    async with running(broker) as events:
        await broker.subscribe("a")
    # leaving the block awaited run(): it returned after disconnect()
    assert [event async for event in events] == []
    assert not broker.healthy
    assert broker.status.startswith("down:")
    with pytest.raises(BrokerError) as raised:
        await broker.publish("a", b"late")
    assert raised.value.retryable


async def test_full_queue_is_replaced_by_one_resynced() -> None:
    """Overflow never blocks the publisher and never loses silently: the backlog is dropped and
    one Resynced sends the consumer to the database. The policy lives in base.EventQueue, shared
    by both backends; the memory backend lets a test fill it deterministically."""
    for size, published in itertools.product(range(2, 7), range(15)):
        expected: list[Message | Resynced] = [Resynced()]  # written independently of EventQueue
        overflows = 0
        for i in range(published):
            if len(expected) == size:  # full: everything unread, this one too, becomes Resynced
                expected, overflows = [Resynced()], overflows + 1
            else:
                expected.append(Message("a", bytes([i])))
        broker = MemoryBroker(queue_size=size)
        await broker.connect()
        await broker.subscribe("a")
        await broker.subscribe("marker")
        for i in range(published):
            await broker.publish("a", bytes([i]))  # returns at once: nobody is reading
        events = broker.events()
        received = [await next_event(events) for _ in expected]
        await broker.publish("marker", b"")
        assert await next_event(events) == Message("marker", b""), (size, published)
        assert received == expected, (size, published)
        assert broker.overflows == overflows
        await broker.disconnect()
