"""In-process broker for a single worker (development, tests, one-process deployments).

Publishing to a subscribed channel puts a Message straight into the consumer's bounded queue;
when that queue is full the backlog is replaced by one Resynced (see base.EventQueue), so a
publisher never waits on the consumer. connect() queues the opening Resynced; run() only waits
for disconnect(), so the lifespan can treat both backends alike.
"""

from __future__ import annotations

import asyncio

from odrchat.broker.base import DEFAULT_QUEUE_SIZE, Broker, BrokerError, Message, Resynced

__all__ = ["MemoryBroker"]


class MemoryBroker(Broker):
    """Pub/sub within one process, with the same contract as RedisBroker."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        super().__init__(queue_size=queue_size)
        self._connected = False
        self._stopped = asyncio.Event()

    async def connect(self) -> None:
        """Start accepting publishes; the first event is Resynced."""
        self._connected = True
        self._status = "ok"
        self._deliver(Resynced())

    async def run(self) -> None:
        """Nothing to listen to: wait until disconnect()."""
        await self._stopped.wait()

    async def disconnect(self) -> None:
        """Stop accepting publishes and end events()."""
        self._connected = False
        self._status = "down: disconnected"
        self._queue.close()
        self._stopped.set()

    async def subscribe(self, channel: str) -> None:
        """Receive `channel` from now on."""
        self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        """Stop receiving `channel`."""
        self._channels.discard(channel)

    def post(self, channel: str, payload: bytes) -> None:
        if self._connected and channel in self._channels:
            self._deliver(Message(channel, payload))

    async def publish(self, channel: str, payload: bytes) -> None:
        """Deliver to our own consumer if subscribed; BrokerError when not connected."""
        if not self._connected:
            raise BrokerError("memory broker is not connected")
        if channel in self._channels:
            self._deliver(Message(channel, payload))
