"""The broker port: a doorbell that tells other workers "room X changed, go and look".

    BrokerError          publish failed or the broker is unreachable (retryable)

    Broker               the port; MemoryBroker and RedisBroker implement it
    Message(channel, payload)
    Resynced()           "you may have missed doorbells: catch up from the database"

Invariants, in plain words:

- The database is the truth. A Message is only a hint; losing one is survivable as long as the
  consumer is told. Every gap the broker knows about (start, reconnect, queue overflow) is
  reported as a Resynced event, never swallowed.
- Once run() is live, the first event after every (re)connection is Resynced, and it is queued
  only after all remembered subscriptions are active again, so a catch-up read that starts after
  it cannot miss a message published after that read.
- Exactly one consumer loop reads events(). Between the broker and that loop sits one bounded
  queue (EventQueue). When it is full the backlog is thrown away and replaced by a single
  Resynced: publishers never block on a slow consumer and nothing is lost silently.
- Messages for a channel that is no longer subscribed are dropped when read, so unsubscribe()
  stops delivery at once even for messages already queued.
- Lifecycle: connect(); run() in the lifespan's task group (it reconnects forever, and returns
  after disconnect()); disconnect(). A broker is used once: connect after disconnect is not
  supported.

Known gap: health (status/healthy) describes the subscription side only. A failed publish raises
BrokerError to its caller, which logs it; it does not mark the broker down.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_QUEUE_SIZE",
    "Broker",
    "BrokerError",
    "BrokerEvent",
    "EventQueue",
    "Message",
    "Resynced",
]

logger = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE: Final = 10_000


class BrokerError(Exception):
    """Publishing failed or the broker is unavailable; the caller may retry later."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class Message:
    """A doorbell rung on `channel` (channel name without any backend prefix)."""

    channel: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Resynced:
    """Subscriptions are (again) live, but doorbells may have been missed: read the database."""


BrokerEvent = Message | Resynced

_CLOSED: Final = object()


class EventQueue:
    """Bounded buffer between a broker and its one consumer; overflow becomes one Resynced."""

    def __init__(self, maxsize: int = DEFAULT_QUEUE_SIZE) -> None:
        if maxsize < 2:
            raise ValueError("queue needs room for a Resynced and at least one message")
        self._queue: asyncio.Queue[BrokerEvent | object] = asyncio.Queue(maxsize)
        self._closed = False
        self.overflows = 0

    def put(self, event: BrokerEvent) -> None:
        """Queue an event without ever blocking; on overflow replace the backlog by Resynced."""
        if self._closed:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflows += 1
            dropped = self._drain()
            logger.warning("broker queue full: dropped %d events, consumer must resync", dropped)
            self._queue.put_nowait(Resynced())

    def close(self) -> None:
        """End the consumer's iteration; whatever is still queued is discarded."""
        if self._closed:
            return
        self._closed = True
        self._drain()
        self._queue.put_nowait(_CLOSED)

    async def get(self) -> BrokerEvent | None:
        """Wait for the next event; None once closed. Safe to cancel."""
        if self._closed and self._queue.empty():
            return None
        item = await self._queue.get()
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)  # keep later get() calls ending too
            return None
        assert isinstance(item, Message | Resynced)
        return item

    def _drain(self) -> int:
        count = 0
        while not self._queue.empty():
            self._queue.get_nowait()
            count += 1
        return count


class _EventStream:
    """Iterator over a broker's queue; a plain class (not a generator) so a cancelled wait
    leaves it usable."""

    def __init__(self, queue: EventQueue, channels: set[str]) -> None:
        self._queue = queue
        self._channels = channels  # shared with the broker: unsubscribing filters at once

    def __aiter__(self) -> _EventStream:
        return self

    async def __anext__(self) -> BrokerEvent:
        while (event := await self._queue.get()) is not None:
            if isinstance(event, Message) and event.channel not in self._channels:
                continue
            return event
        raise StopAsyncIteration


class Broker(abc.ABC):
    """Pub/sub across workers. Subclasses call `_deliver` and set `_status`."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._queue = EventQueue(queue_size)
        self._channels: set[str] = set()
        self._status = "connecting"
        self.resyncs = 0  # Resynced events handed to the consumer's queue (for metrics)

    @abc.abstractmethod
    async def connect(self) -> None:
        """Open connections. Never fails for an unreachable backend: status says so instead."""

    @abc.abstractmethod
    async def run(self) -> None:
        """Listen (and reconnect) until disconnect(); run it in the lifespan's task group."""

    @abc.abstractmethod
    async def disconnect(self) -> None:
        """Close connections, end events() and make run() return."""

    @abc.abstractmethod
    async def subscribe(self, channel: str) -> None:
        """Receive `channel` from now on (idempotent); remembered across reconnects."""

    @abc.abstractmethod
    async def unsubscribe(self, channel: str) -> None:
        """Stop receiving `channel`, including messages already queued for it."""

    @abc.abstractmethod
    async def publish(self, channel: str, payload: bytes) -> None:
        """Ring the doorbell on `channel`; raise BrokerError when that is not possible."""

    @abc.abstractmethod
    def post(self, channel: str, payload: bytes) -> None:
        """Ring the doorbell on `channel` without waiting to hear that it rang (best effort:
        for live frames that are never stored, such as presence and typing). It goes out in
        order with every publish; if it cannot, it is dropped without a word."""

    def events(self) -> AsyncIterator[BrokerEvent]:
        """Iterate events for the single consumer loop until disconnect(); safe to cancel."""
        return _EventStream(self._queue, self._channels)

    @property
    def channels(self) -> frozenset[str]:
        """The channels currently subscribed to."""
        return frozenset(self._channels)

    @property
    def status(self) -> str:
        """'ok', 'connecting' or 'down: <reason>', for /readyz."""
        return self._status

    @property
    def healthy(self) -> bool:
        """True when subscriptions are live and doorbells are arriving."""
        return self._status == "ok"

    @property
    def overflows(self) -> int:
        """How often the event queue overflowed (each time the consumer was told to resync)."""
        return self._queue.overflows

    def _deliver(self, event: BrokerEvent) -> None:
        if isinstance(event, Resynced):
            self.resyncs += 1
        self._queue.put(event)
