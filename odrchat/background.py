"""Background loops: how they notice that they must stop, and how the lifespan stops them.

A worker that ignores SIGTERM holds up every deploy and restart. Two things have made ours do
that: a library that swallows a cancellation (redis-py's reads and 3.11's `wait_for` can) and
leaves a `while True` loop running, and a shutdown step that waits on a dead peer. Every loop
calls `stop_if_cancelled()` at the top of each turn; the lifespan calls `stop()`, which cancels
again whatever is still running and names it in the log with the line it is stuck on.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Coroutine, Iterable
from typing import Any

log = logging.getLogger("odrchat.background")

FIRST_GRACE = 3.0  # seconds a task has after one cancellation to finish what it must
RECANCEL_EVERY = 0.5  # then, seconds between cancellations of a task that is still running
STOP_WITHIN = 8.0  # stop()'s default bound; the lifespan waits without one (Loops.close)


def stop_if_cancelled() -> None:
    """Raise if this task was asked to stop, even when a library swallowed the cancellation."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _where(task: asyncio.Task[object]) -> str:
    out = io.StringIO()
    task.print_stack(limit=6, file=out)
    return out.getvalue().strip()


async def stop(
    tasks: Iterable[asyncio.Task[None]], within: float | None = STOP_WITHIN
) -> list[str]:
    """Cancel `tasks` and wait until they end. A task may finish what it must after the
    first cancellation (the outbox writes down a message it has just sent) for FIRST_GRACE
    seconds; after that it is cancelled again every RECANCEL_EVERY seconds (a cancellation can
    be swallowed). Returns the names of the tasks still running after `within` seconds: they
    are logged with where they are stuck, and the caller goes on."""
    pending = {t for t in tasks if not t.done()}
    for task in pending:
        task.cancel()
    loop = asyncio.get_running_loop()
    deadline = None if within is None else loop.time() + within
    if pending:
        grace = FIRST_GRACE if within is None else min(FIRST_GRACE, within)
        _, pending = await asyncio.wait(pending, timeout=grace)
    told: set[str] = set()
    while pending:
        left = RECANCEL_EVERY if deadline is None else deadline - loop.time()
        if left <= 0:
            break
        for task in pending:
            if task.get_name() not in told:
                told.add(task.get_name())
                where = _where(task)
                log.warning("stopping: %s ignored a cancellation at\n%s", task.get_name(), where)
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=min(RECANCEL_EVERY, left))
    stuck = sorted(t.get_name() for t in pending)
    if stuck:
        log.error("stopping: gave up waiting for %s after %.0f s", ", ".join(stuck), within or 0)
    return stuck


async def bounded(step: Awaitable[object], name: str, within: float = 5.0) -> None:
    """Await one shutdown step (closing a pool, a client), but never longer than `within`
    seconds and never letting its failure skip the steps after it."""
    try:
        async with asyncio.timeout(within):
            await step
    except TimeoutError:
        log.error("stopping: %s did not finish within %.0f s; going on", name, within)
    except Exception:  # supervision boundary: the next resource must still be closed
        log.exception("stopping: %s failed; going on", name)


class Loops:
    """The app's background loops. Like a TaskGroup, a loop that crashes stops the app loudly
    (the task that started them is cancelled, and `close()` raises); unlike one, closing never
    waits for ever on a loop that will not stop."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []
        self.crashed: BaseException | None = None
        self._owner = asyncio.current_task()
        self._closing = False

    def start(self, loop: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.ensure_future(loop)
        task.set_name(name)
        task.add_done_callback(self._ended)
        self.tasks.append(task)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if self._closing or task.cancelled():
            return
        error = task.exception()
        if error is None:
            error = RuntimeError(f"background loop {task.get_name()} returned")
        log.critical("background loop %s ended: the app stops", task.get_name(), exc_info=error)
        if self.crashed is None:
            self.crashed = error
            if self._owner is not None:
                self._owner.cancel()

    async def close(self, within: float | None = None) -> list[str]:
        """Stop every loop (see `stop`). By default this waits until every loop has ended, as
        a TaskGroup would: a loop given up on could still be using the database that the
        lifespan closes next, and a task left waiting on a closed connection never ends (the
        event loop's own shutdown then waits on it for ever). Returns those not stopped."""
        self._closing = True
        return await stop(self.tasks, within)

    def raise_if_crashed(self) -> None:
        """Last step of shutting down: a crashed loop makes the app's stop an error."""
        if self.crashed is not None:
            raise RuntimeError("a background loop crashed") from self.crashed
