"""Broker fixtures: one factory per backend, so the contract runs unchanged against each.

Redis tests use the real server at REDIS_URL (default redis://127.0.0.1:6379/0): skipped with
the reason when it is not reachable, failed under CI (tests.services.redis_url). Every test gets
its own channel prefix, so runs and other users of that Redis do not interfere.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from odrchat.broker.base import Broker, BrokerEvent, Resynced
from odrchat.broker.memory import MemoryBroker
from odrchat.broker.redis import RedisBroker
from tests.services import redis_url as reachable_redis_url

BrokerFactory = Callable[..., Broker]
Running = Callable[[Broker], contextlib.AbstractAsyncContextManager[AsyncIterator[BrokerEvent]]]
WAIT = 5.0  # seconds: a bound on every wait, never a way to synchronise


@pytest.fixture(scope="session")
def redis_url() -> str:
    return reachable_redis_url()


@pytest.fixture
def prefix() -> str:
    return f"odrchat-test:{uuid.uuid4().hex}:"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def make_broker(request: pytest.FixtureRequest, prefix: str) -> BrokerFactory:
    """Build an unconnected broker of each kind (keyword arguments go to the constructor)."""
    if request.param == "memory":
        return MemoryBroker
    url: str = request.getfixturevalue("redis_url")

    def make(**kwargs: Any) -> Broker:
        return RedisBroker(url, prefix=prefix, **kwargs)

    return make


@contextlib.asynccontextmanager
async def _running(broker: Broker) -> AsyncIterator[AsyncIterator[BrokerEvent]]:
    await broker.connect()
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(broker.run())
        try:
            events = broker.events()
            assert await next_event(events) == Resynced()
            yield events
        finally:
            await broker.disconnect()


@pytest.fixture
def running() -> Running:
    """`async with running(broker) as events`: connected, run() going in a task group, the
    opening Resynced already consumed (so subscriptions are live); disconnected on exit."""
    return _running


async def next_event(events: AsyncIterator[BrokerEvent]) -> BrokerEvent:
    """The next event, failing the test if none arrives within WAIT seconds."""
    async with asyncio.timeout(WAIT):
        return await anext(events)
