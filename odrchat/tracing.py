"""Optional per-stage timing of chat acks, to find where a slow one spent its time.

Off unless `ACK_TRACE_MS` is set. Then every chat message whose ack took at least that many
milliseconds of server time (0: every message) gets one log line (logger `odrchat.trace`):

    slow ack 128.8 ms: loop_lag 13.5, queue 0.1, commit 128.6 (batch 1), wake 0.1, local 0.1,
    publish 0.0

- loop_lag: the worst event-loop lag seen while the message was in flight (a 20 ms ticker
  measures how late it wakes; a blocked loop delays every stage below).
- queue: from the message reaching the room writer to its batch starting.
- commit: the batch's transaction (its size in brackets).
- wake: from the commit to the sending socket's task running again (the ack is queued then).
- local: handing the stored event to this worker's sockets' queues.
- publish: ringing the other workers' doorbell (Redis PUBLISH; in-process: nothing).
- gc: the longest garbage collection pause of Python's collector while it was in flight.

The same threshold (20 ms at least) also names whole-loop stalls, whatever task they hit: a
ticker woken at least that late logs "event loop blocked", with the garbage collections inside
that window and where the loop was while blocked (a watchdog thread samples the loop thread's
stack once the ticker is that late: the innermost frames of odrchat and of the library it was
in).

Stages are marked on a trace held in a context variable of the socket's task; the writer
stamps the traces of the messages in each batch. Known gaps: the time a frame waits in a
socket's send queue, and the delivery on other workers, are not traced (each is another task
or process). A line holds timings and a batch size only: no text, no ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import FrameType

from odrchat.background import stop_if_cancelled

__all__ = ["AckTrace", "Tracer", "batch", "current", "finish", "mark"]

log = logging.getLogger("odrchat.trace")

TICK = 0.02  # seconds between the lag ticker's wake-ups
# (reported name, the mark that ends it); each stage starts where the one before ended.
STAGES = (
    ("queue", "batch"),
    ("commit", "committed"),
    ("wake", "acked"),
    ("local", "local"),
    ("publish", "published"),
)

current: contextvars.ContextVar[AckTrace | None] = contextvars.ContextVar("ack_trace", default=None)


@dataclass(slots=True, eq=False)
class AckTrace:
    tracer: Tracer
    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)
    batch_size: int = 0


class Tracer:
    """One per app; `threshold_ms` None means tracing is off (then every call is a no-op)."""

    def __init__(self, threshold_ms: float | None = None) -> None:
        self.threshold = None if threshold_ms is None else threshold_ms / 1000
        # A stall is at least one tick late (with ACK_TRACE_MS=0 every tick would be one).
        self.stall = None if self.threshold is None else max(self.threshold, TICK)
        self._lags: deque[tuple[float, float]] = deque(maxlen=int(10 / TICK))
        # (ended, seconds, generation) of recent collections; a collection runs in whatever
        # code allocated, so it is timed by the interpreter's own callbacks.
        self._gcs: deque[tuple[float, float, int]] = deque(maxlen=256)
        self._gc_started = 0.0
        self._ticked = time.perf_counter()  # when the ticker last woke
        self._stuck_at = ""  # where the watchdog found the loop during the current stall

    @property
    def enabled(self) -> bool:
        return self.threshold is not None

    def start(self) -> None:
        """A chat message reached storage in this task: time it from here."""
        if self.threshold is not None:
            current.set(AckTrace(self))

    async def watch_loop(self) -> None:
        """Record how late the event loop wakes a ticker (the lag every task suffers), and
        time the garbage collector meanwhile."""
        gc.callbacks.append(self._on_gc)
        done = threading.Event()
        if self.stall is not None:
            watchdog = threading.Thread(
                target=self._watch, args=(threading.get_ident(), done), daemon=True
            )
            watchdog.start()
        try:
            while True:
                stop_if_cancelled()
                before = self._ticked = time.perf_counter()
                await asyncio.sleep(TICK)
                now = time.perf_counter()
                lag = max(0.0, now - before - TICK)
                self._lags.append((now, lag))
                if self.stall is not None and lag >= self.stall:
                    self._report_stall(before, lag)
                self._stuck_at = ""
        finally:
            done.set()
            gc.callbacks.remove(self._on_gc)

    def _watch(self, loop_thread: int, done: threading.Event) -> None:
        """Sample the loop thread's stack once per stall, while it is still blocked."""
        assert self.stall is not None
        while not done.wait(TICK / 2):
            late = time.perf_counter() - self._ticked - TICK
            if late >= self.stall and not self._stuck_at:
                frame = sys._current_frames().get(loop_thread)
                self._stuck_at = where(frame) if frame is not None else "?"

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_started = now
        elif self._gc_started:
            self._gcs.append((now, now - self._gc_started, info.get("generation", -1)))
            self._gc_started = 0.0

    def gc_pauses(self, since: float, until: float | None = None) -> list[tuple[float, int]]:
        """(seconds, generation) of the collections that ended in the window."""
        end = time.perf_counter() if until is None else until
        return [(took, gen) for at, took, gen in self._gcs if since <= at <= end]

    def _report_stall(self, since: float, lag: float) -> None:
        pauses = self.gc_pauses(since)
        in_gc = sum(took for took, _ in pauses)
        worst = max(pauses, default=(0.0, -1))
        log.info(
            "event loop blocked %.1f ms: gc %.1f ms in %d collections (longest %.1f ms, gen %d);"
            " at %s",
            1000 * lag,
            1000 * in_gc,
            len(pauses),
            1000 * worst[0],
            worst[1],
            self._stuck_at or "?",
        )

    def worst_lag(self, since: float) -> float:
        return max((lag for at, lag in self._lags if at >= since), default=0.0)

    def report(self, trace: AckTrace, end: float) -> None:
        total = end - trace.started
        if self.threshold is None or total < self.threshold:
            return
        parts, previous = [], trace.started
        for name, stage in STAGES:
            at = trace.marks.get(stage)
            if at is None:
                continue
            part = f"{name} {1000 * (at - previous):.1f}"
            parts.append(part + (f" (batch {trace.batch_size})" if name == "commit" else ""))
            previous = at
        lag = 1000 * self.worst_lag(trace.started)
        paused = 1000 * max((took for took, _ in self.gc_pauses(trace.started, end)), default=0.0)
        log.info(
            "slow ack %.1f ms: loop_lag %.1f, %s, gc %.1f",
            1000 * total,
            lag,
            ", ".join(parts),
            paused,
        )


def where(frame: FrameType) -> str:
    """The innermost odrchat frame and the innermost frame below it (a library's, or the
    collector's callback), as "odrchat/rooms/hub.py:341 check_heads < sqlalchemy/...". Code
    locations only: no values."""
    ours = theirs = ""
    f: FrameType | None = frame
    while f is not None and not ours:
        code = f.f_code
        name = code.co_filename
        cut = name.rfind("/odrchat/")
        at = f"{name[cut + 1 :] if cut >= 0 else name.rsplit('/', 2)[-1]}:{f.f_lineno} "
        at += code.co_name
        if cut >= 0 and "/site-packages/" not in name[:cut]:
            ours = at
        elif not theirs:
            theirs = at
        f = f.f_back
    return " < ".join(part for part in (ours, theirs) if part) or "?"


def mark(stage: str) -> None:
    """Stamp a stage on the trace of the running task, if there is one."""
    trace = current.get()
    if trace is not None:
        trace.marks[stage] = time.perf_counter()


def finish() -> None:
    """The ack's path is complete in this task: report it if it was slow."""
    trace = current.get()
    if trace is not None:
        current.set(None)
        trace.tracer.report(trace, time.perf_counter())


@contextlib.contextmanager
def batch(traces: Iterable[AckTrace | None]) -> Iterator[None]:
    """Stamp the start and end of a writer batch on the traces of its messages."""
    every = list(traces)
    mine = [t for t in every if t is not None]
    if not mine:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        ended = time.perf_counter()
        for t in mine:
            t.marks["batch"], t.marks["committed"], t.batch_size = started, ended, len(every)
