"""One socket's send queue and what it holds.

The hub and the socket's reader put items; the socket's one writer task takes them in order and
is the only code that writes to the socket (see rooms.connection). An item is either a frame
ready to send or an instruction the writer carries out (replay a room, fill a gap, re-check
access), because only the writer knows what this client has already been sent.
Items are immutable and small: one `Event` or `Live` is shared by every watcher of a room.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from odrchat.protocol import Subscribe


@dataclass(frozen=True, slots=True)
class Send:
    """A frame for this socket alone (hello, replies, errors), sent as is."""

    text: str


@dataclass(frozen=True, slots=True)
class Live:
    """A room's live state (typing, presence, read): sent only if the socket holds the room's
    snapshot already; never stored, never replayed."""

    room: int
    text: str


@dataclass(frozen=True, slots=True)
class Event:
    """A stored event: sent in seq order, a gap before it filled from the database first."""

    room: int
    seq: int
    text: str


@dataclass(frozen=True, slots=True)
class Sync:
    """The database head of a room is `head`: send whatever is missing up to it."""

    room: int
    head: int


@dataclass(frozen=True, slots=True)
class Replay:
    """Answer a subscription: the snapshot, then the events the client lacks."""

    frame: Subscribe


@dataclass(frozen=True, slots=True)
class Reauth:
    """A case changed: re-check this socket's rooms of it (`quiet`: say only what changed)."""

    case_id: int
    quiet: bool


@dataclass(frozen=True, slots=True)
class RoomsChanged:
    """Send the complete new list of rooms the user may read."""


ROOMS_CHANGED = RoomsChanged()


@dataclass(frozen=True, slots=True)
class Close:
    """Close the socket with `code` once everything queued before it is sent."""

    code: int


Item = Send | Live | Event | Sync | Replay | Reauth | RoomsChanged | Close


class Outbox:
    """A bounded FIFO drained by one writer task.

    What asyncio.Queue does here, in a fraction of its memory: a Queue keeps three deques and
    an Event (over 2 KiB empty) for each of thousands of mostly idle sockets; this keeps a
    list and, while the writer waits, one future.
    """

    __slots__ = ("_items", "_limit", "_waiter")

    def __init__(self, limit: int) -> None:
        self._items: list[Item] = []
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None

    def put(self, item: Item) -> bool:
        """Add an item; False (and nothing added) when the outbox is full."""
        if len(self._items) >= self._limit:
            return False
        self._items.append(item)
        self._wake()
        return True

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take_replays(self) -> list[Replay]:
        """Take the Replay items at the front of the queue, if any (the rest of a socket's
        subscriptions, opened together with the one just taken)."""
        n = 0
        for item in self._items:
            if not isinstance(item, Replay):
                break
            n += 1
        taken = self._items[:n]
        del self._items[:n]
        return taken  # type: ignore[return-value]

    async def get(self) -> Item:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)
