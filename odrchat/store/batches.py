"""Reads answered in batches: whoever holds a slot reads for everyone waiting.

Sockets arrive together (a reconnect storm, the members of one case, a page that opens three
rooms) and each needs the same kind of read. One at a time, each read is a pool check-out, a
BEGIN and a COMMIT, and on PostgreSQL those round trips, not the queries, were most of a
connect's CPU. A `Batches` queues each request; a caller that gets a read slot while its request
is still queued takes every request queued by then (up to `max_batch`) and answers them all with
one `read` call. Callers that were answered meanwhile never take a slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
R = TypeVar("R")


class Batches(Generic[K, R]):
    def __init__(
        self,
        read: Callable[[Sequence[K]], Awaitable[Sequence[R]]],
        slots: asyncio.Semaphore,
        max_batch: int,
    ) -> None:
        self._read = read
        self.slots = slots
        self.max_batch = max_batch
        self._queue: list[tuple[K, asyncio.Future[R]]] = []
        self.batches = 0  # reads run, for tests and metrics
        self.requests = 0

    async def ask(self, request: K) -> R:
        """The answer to `request`, read with whatever else is asked meanwhile."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        entry = (request, done)
        self._queue.append(entry)
        try:
            async with self.slots:
                if not done.done():
                    # Still queued: this caller leads a batch of whatever waits by now.
                    await self._serve()
        except asyncio.CancelledError:
            if entry in self._queue:
                self._queue.remove(entry)
            raise
        return await done

    async def _serve(self) -> None:
        batch = self._queue[: self.max_batch]
        self._queue = self._queue[self.max_batch :]
        try:
            results = await self._read([k for k, _ in batch])
        except Exception as exc:  # every caller of the batch hears it
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            # A caller cancelled meanwhile never reads its error: mark it seen.
            for _, fut in batch:
                if not fut.cancelled():
                    fut.exception()
            return
        self.batches += 1
        self.requests += len(batch)
        for (_, fut), result in zip(batch, results, strict=True):
            if not fut.done():
                fut.set_result(result)
