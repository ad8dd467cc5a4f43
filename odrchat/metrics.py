"""Prometheus metrics: what an operator watches, never what a mediation says.

Served at `/metrics` only when `METRICS_TOKEN` is set, and only to a request that presents it
as `Authorization: Bearer <token>` (404 when unset, 401 otherwise). Labels hold fixed words
(a channel, a status, a broker state) and nothing else: no message text, no names, no case or
room numbers.

    odrchat_sockets                     open WebSockets (gauge)
    odrchat_rooms_watched               rooms with at least one local watcher (gauge)
    odrchat_room_subscriptions          socket-room subscriptions (gauge)
    odrchat_messages_stored_total       chat messages stored (counter: rate() is messages/s)
    odrchat_chat_ack_seconds            chat.send reaching storage -> outcome known (histogram)
    odrchat_writer_batch_messages       messages per group commit (histogram)
    odrchat_broker_state{state}         1 for the broker's state: ok, connecting, down (gauge)
    odrchat_broker_resyncs_total        times the broker told the hub to catch up (counter)
    odrchat_outbox_messages{channel,status}  outbox rows not sent, by status (gauge)
    odrchat_outbox_oldest_pending_seconds    age of the oldest pending outbox row (gauge)

Workers. One process serves its own figures. `odrchat serve --workers N` runs N processes on
one listening socket, so a scrape reaches any one of them: there the CLI points
`PROMETHEUS_MULTIPROC_DIR` at a fresh directory and prometheus-client's multiprocess mode sums
every worker's counters, histograms and gauges (gauges as `livesum`: live workers only) in
whichever worker answers. Gauges are sampled from the hub when scraped and every
`SAMPLE_EVERY` seconds (so the other workers' files stay fresh). The outbox figures are one
database query per scrape and describe the whole installation, not a worker.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import col, select

from odrchat.background import stop_if_cancelled
from odrchat.notify.tables import PENDING, SENT, OutboxMessage
from odrchat.store.types import utcnow

if TYPE_CHECKING:
    from odrchat.broker.base import Broker
    from odrchat.store.db import Database

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "authorised", "multiprocess_dir"]


class Watched(Protocol):
    """What the gauges read of the socket hub (`rooms.hub.Hub` is one). A protocol, so that the
    rooms, which count into `Metrics`, and this module do not import each other."""

    @property
    def by_user(self) -> Mapping[int, Collection[Any]]: ...

    @property
    def watchers(self) -> Mapping[int, Collection[Any]]: ...

    @property
    def rooms_of(self) -> Mapping[Any, Collection[int]]: ...


SAMPLE_EVERY = 5.0
BROKER_STATES = ("ok", "connecting", "down")
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def multiprocess_dir() -> str | None:
    """The directory of prometheus-client's multiprocess mode, if this process is in it."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def authorised(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries the operator's bearer token."""
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


class Metrics:
    """One per app: its own registry, so tests and several apps in a process never mix."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.stored = Counter(
            "odrchat_messages_stored", "Chat messages stored (duplicates not counted).", registry=r
        )
        self.ack_seconds = Histogram(
            "odrchat_chat_ack_seconds",
            "Seconds from a chat message reaching storage to its outcome (the ack follows).",
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.batch_messages = Histogram(
            "odrchat_writer_batch_messages",
            "Messages per group commit of the room writer.",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.head_moved = Counter(
            "odrchat_writer_heads_moved",
            "Group commits read again because another writer stored in one of their rooms first.",
            registry=r,
        )
        self.sockets = Gauge(
            "odrchat_sockets", "Open WebSockets.", registry=r, multiprocess_mode="livesum"
        )
        self.rooms_watched = Gauge(
            "odrchat_rooms_watched",
            "Rooms with at least one watching socket (per worker, summed).",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.subscriptions = Gauge(
            "odrchat_room_subscriptions",
            "Subscriptions of sockets to rooms.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.broker_state = Gauge(
            "odrchat_broker_state",
            "Workers whose broker is in this state (ok: doorbells arriving).",
            ["state"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.resyncs = Counter(
            "odrchat_broker_resyncs",
            "Times the broker told the hub it may have missed doorbells (connects, overflows).",
            registry=r,
        )
        self._resyncs_seen = 0
        self._outbox = _OutboxCollector()
        if multiprocess_dir() is None:
            r.register(self._outbox)

    # -- event-time observations (one call at the point where the event happens) ---------------

    def batch_written(self, outcomes: Sequence[tuple[object, bool]]) -> None:
        """A group commit finished: its size, and how many messages were new."""
        self.batch_messages.observe(len(outcomes))
        self.stored.inc(sum(1 for _, duplicate in outcomes if not duplicate))

    # -- sampled state -----------------------------------------------------------------------

    def sample(self, hub: Watched, broker: Broker) -> None:
        """Copy the hub's and broker's current state into the gauges (cheap: sizes only)."""
        self.sockets.set(sum(len(conns) for conns in hub.by_user.values()))
        self.rooms_watched.set(len(hub.watchers))
        self.subscriptions.set(sum(len(rooms) for rooms in hub.rooms_of.values()))
        state = broker.status.split(":", 1)[0]
        for name in BROKER_STATES:
            self.broker_state.labels(name).set(1 if state == name else 0)
        resyncs = broker.resyncs + broker.overflows
        if resyncs > self._resyncs_seen:
            self.resyncs.inc(resyncs - self._resyncs_seen)
        self._resyncs_seen = resyncs

    async def sample_loop(self, hub: Watched, broker: Broker) -> None:
        """Keep the gauges fresh for scrapes answered by another worker."""
        while True:
            stop_if_cancelled()
            self.sample(hub, broker)
            await asyncio.sleep(SAMPLE_EVERY)

    async def render(self, hub: Watched, broker: Broker, db: Database) -> bytes:
        """The text exposition of every metric (all workers' in multiprocess mode)."""
        self.sample(hub, broker)
        await self._outbox.refresh(db)
        path = multiprocess_dir()
        if path is None:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        _forget_dead_workers(path)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
        registry.register(self._outbox)
        return generate_latest(registry)

    def close(self) -> None:
        """This worker stops: its live gauges leave the sum at once."""
        path = multiprocess_dir()
        if path is not None:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid(), path)  # type: ignore[no-untyped-call]


class _OutboxCollector(Collector):
    """Outbox backlog, read from the database when scraped (installation-wide)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        self.oldest: float = 0.0

    async def refresh(self, db: Database) -> None:
        async with db.read() as session:
            rows = await session.exec(
                select(OutboxMessage.channel, OutboxMessage.status, func.count())
                .where(col(OutboxMessage.status) != SENT)
                .group_by(OutboxMessage.channel, OutboxMessage.status)
            )
            counts = {(str(c), str(s)): int(n) for c, s, n in rows.all()}
            oldest = (
                await session.exec(
                    select(func.min(OutboxMessage.created_at)).where(
                        OutboxMessage.status == PENDING
                    )
                )
            ).one()
        self.counts = counts
        self.oldest = max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0

    def collect(self) -> Iterator[Metric]:
        backlog = GaugeMetricFamily(
            "odrchat_outbox_messages",
            "Outbox messages not sent, by status (pending, dead, unsent), installation-wide.",
            labels=["channel", "status"],
        )
        for (channel, status), n in sorted(self.counts.items()):
            backlog.add_metric([channel, status], n)
        yield backlog
        yield GaugeMetricFamily(
            "odrchat_outbox_oldest_pending_seconds",
            "Age of the oldest pending outbox message (0 when none).",
            value=self.oldest,
        )


_LIVE_FILE = re.compile(r"gauge_live\w*?_(\d+)\.db$")


def _forget_dead_workers(path: str) -> None:
    """A worker killed without a shutdown leaves its live gauges behind: drop them."""
    from prometheus_client import multiprocess

    for file in Path(path).glob("gauge_live*_*.db"):
        found = _LIVE_FILE.search(file.name)
        if found and not _alive(int(found.group(1))):
            multiprocess.mark_process_dead(int(found.group(1)), path)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
