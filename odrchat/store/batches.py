"""Reads answered in batches: one leader reads for everyone waiting.

Sockets arrive together (a reconnect storm, the members of one case, a page that opens three
rooms) and each needs the same kind of read. One at a time, each read is a pool check-out, a
BEGIN and a COMMIT, and on PostgreSQL those round trips, not the queries, were most of a
connect's CPU. A `Batches` queues each request. While fewer than `leaders` callers are leading,
a caller becomes a leader: it takes a slot of the shared `slots` semaphore (which bounds all of
a worker's reads) and answers every request queued by then (up to `max_batch`) with one `read`
call, and goes on until the queue is empty. Everyone else just waits for their answer, so a
storm of thousands queues on futures, not on the semaphore (whose every acquire looks at all
its waiters). A leader that is cancelled (its socket went away) puts its unanswered batch back
and hands the lead on.

One leader by default: while its read is out, everything asked meanwhile queues for the next
one, so the reads are as few and as full as the traffic allows. With four leaders per kind of
read, a connect round of 1,518 sockets (25 connecting at a time, two workers) made many
one-socket batches and cost 2.6-2.7 ms of server CPU per socket; with one, 2.0-2.1 ms, and
each socket was connected sooner (median 45-49 ms against 68 ms).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

K = TypeVar("K")
R = TypeVar("R")


class Batches(Generic[K, R]):
    def __init__(
        self,
        read: Callable[[Sequence[K]], Awaitable[Sequence[R]]],
        slots: asyncio.Semaphore,
        max_batch: int,
        leaders: int = 1,
    ) -> None:
        self._read = read
        self.slots = slots
        self.max_batch = max_batch
        self.leaders = leaders
        self._queue: list[_Ask[K, R]] = []
        self._leading = 0
        self._vacancy: asyncio.Future[None] | None = None
        self.batches = 0  # reads run, for tests and metrics
        self.requests = 0

    async def ask(self, request: K) -> R:
        """The answer to `request`, read with whatever else is asked meanwhile."""
        return (await self.ask_many([request]))[0]

    async def ask_many(self, requests: Sequence[K]) -> list[R]:
        """The answers to `requests`, queued together (so one leader's batch can take them
        all) and read with whatever else is asked meanwhile. An error of any of their
        batches is raised (the first, in request order)."""
        loop = asyncio.get_running_loop()
        entries: list[_Ask[K, R]] = [_Ask(r, loop.create_future()) for r in requests]
        self._queue.extend(entries)
        try:
            while pending := [e.done for e in entries if not e.done.done()]:
                # Lead only while one of ours is still queued: the others are in another
                # leader's batch and just wait.
                if self._leading < self.leaders and any(not e.taken for e in entries):
                    await self._lead()
                    continue
                if self._vacancy is None or self._vacancy.done():
                    self._vacancy = loop.create_future()
                either: list[asyncio.Future[Any]] = [*pending, self._vacancy]
                await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            for e in entries:
                if not e.taken and e in self._queue:
                    self._queue.remove(e)
            raise
        return [e.done.result() for e in entries]

    async def _lead(self) -> None:
        self._leading += 1
        try:
            while self._queue:
                async with self.slots:
                    if self._queue:
                        await self._serve()
        finally:
            self._leading -= 1
            if self._vacancy is not None and not self._vacancy.done():
                self._vacancy.set_result(None)

    async def _serve(self) -> None:
        batch = self._queue[: self.max_batch]
        del self._queue[: self.max_batch]
        for entry in batch:
            entry.taken = True
        try:
            results = await self._read([e.request for e in batch])
        except Exception as exc:  # every caller of the batch hears it
            for e in batch:
                if not e.done.done():
                    e.done.set_exception(exc)
            # A caller cancelled meanwhile never reads its error: mark it seen.
            for e in batch:
                if not e.done.cancelled():
                    e.done.exception()
            return
        except BaseException:
            # This leader was cancelled mid-read: the batch goes back, unanswered, for the next.
            back = [e for e in batch if not e.done.done()]
            for e in back:
                e.taken = False
            self._queue[:0] = back
            raise
        self.batches += 1
        self.requests += len(batch)
        for e, result in zip(batch, results, strict=True):
            if not e.done.done():
                e.done.set_result(result)


class _Ask(Generic[K, R]):
    """One queued request; `taken` while a leader's batch holds it."""

    __slots__ = ("done", "request", "taken")

    def __init__(self, request: K, done: asyncio.Future[R]) -> None:
        self.request = request
        self.done = done
        self.taken = False
