"""The broker port (doorbell between workers) and its two backends.

    broker = RedisBroker(url)                        # or MemoryBroker(): same contract
    await broker.connect()                           # never fails: see broker.status
    task_group.create_task(broker.run())             # listens, reconnects
    async for event in broker.events():              # Resynced first, then Message(s)
        ...
    await broker.disconnect()                        # run() returns, events() ends

See odrchat.broker.base for the contract.
"""

from __future__ import annotations

from odrchat.broker.base import Broker, BrokerError, BrokerEvent, Message, Resynced
from odrchat.broker.memory import MemoryBroker
from odrchat.broker.redis import RedisBroker

__all__ = [
    "Broker",
    "BrokerError",
    "BrokerEvent",
    "MemoryBroker",
    "Message",
    "RedisBroker",
    "Resynced",
]
