"""Group commit for chat messages: every message that arrives while a write is in flight goes
into the next transaction together, so the database does one round of work per batch instead
of one per message.

Each batch keeps the room log's invariants (see log.py): seqs and chain hashes are assigned in
arrival order after each room's head, and the batch commits or fails as a whole. SQLite's
BEGIN IMMEDIATE holds the whole database while it reads the heads and writes; PostgreSQL reads
them in one statement and stores in another only if no head has moved in between (and reads
again if one has: pg_batch.py). A client id already stored (or repeated inside the batch)
resolves to the original event, marked duplicate. If a batch fails on a unique index, its
messages are retried one by one. Every caller learns its own outcome: stored, duplicate,
refused by the mediator's control (`Blocked`: checked against the control in force when the
batch is stored, see guard.py), or the database error (nothing stored, so the socket answers
`unavailable` and the client retries with the same id).

Each backend runs a batch below the ORM: SQLite on its own sqlite3 connection in one thread
hop (sqlite_batch.py), PostgreSQL straight on asyncpg in two statements (pg_batch.py).

On PostgreSQL the writer's statements are prepared once per connection, and after five
executions PostgreSQL may settle on a generic plan, which it keeps until the table is analyzed.
A writer that started on a nearly empty `room_events` kept a plan that looked up stored client
ids by reading the whole table: at a steady 3,244 messages a second on two workers, with
autovacuum off, PostgreSQL's CPU rose from 0.48 to 0.75 cores and the acknowledgement p99 from
44 to 235 ms within 50 seconds, and it only got worse as the table grew. So the writer drops its
plans (`DISCARD PLANS`) each time the events it has written on its connection double, from
REPLAN_FIRST on: the next plan is made for a table at least half its real size, a handful of
times in the life of a connection. (Planning every execution instead, PostgreSQL's
``force_custom_plan``, cost about 0.2 cores of PostgreSQL at 2,162 messages a second.) Behind
PgBouncer the statements are unnamed and planned at each execution already.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from odrchat import tracing
from odrchat.background import stop_if_cancelled
from odrchat.metrics import Metrics
from odrchat.rooms import pg_batch, sqlite_batch
from odrchat.rooms.guard import Blocked
from odrchat.rooms.log import StoredEvent
from odrchat.store.db import Database
from odrchat.store.types import utcnow

logger = logging.getLogger("odrchat.rooms")

MAX_BATCH = 256
# Events written on the writer's PostgreSQL connection before it first drops its plans; then
# again at every doubling (see the module docstring).
REPLAN_FIRST = 1000
# The writer's PostgreSQL connection shows under this name in pg_stat_activity.
APPLICATION_NAME = "odrchat-writer"


@dataclass
class Append:
    room_id: int
    type: str
    body: dict[str, Any]
    confidentiality: str
    sender_id: int
    client_id: str
    done: asyncio.Future[tuple[StoredEvent, bool]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    trace: tracing.AckTrace | None = field(default_factory=tracing.current.get)


class RoomWriter:
    """One per worker; `run()` lives in the app's task group."""

    def __init__(self, db: Database, metrics: Metrics | None = None) -> None:
        self.db = db
        self.metrics = metrics or Metrics()
        self._queue: asyncio.Queue[Append] = asyncio.Queue()
        self.batches = 0
        self.messages = 0
        self._sqlite: sqlite3.Connection | None = None
        self._pg: AsyncConnection | None = None
        self._written = 0  # events written on `_pg`
        self._replan_at = REPLAN_FIRST
        self.replans = 0  # DISCARD PLANS sent, for tests
        self._thread: ThreadPoolExecutor | None = None
        if db.is_sqlite:
            self._sqlite_path = db.url.split("///", 1)[1]

    async def append(
        self,
        room_id: int,
        type_: str,
        body: dict[str, Any],
        *,
        confidentiality: str,
        sender_id: int,
        client_id: str,
    ) -> tuple[StoredEvent, bool]:
        """Store one message (or find the one stored under its client id); (event, duplicate)."""
        request = Append(room_id, type_, body, confidentiality, sender_id, client_id)
        self._queue.put_nowait(request)
        return await request.done

    async def run(self) -> None:
        if self.db.is_sqlite:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="odrchat-writer")
            self._sqlite = await asyncio.get_running_loop().run_in_executor(
                self._thread, sqlite_batch.connect, self._sqlite_path
            )
        try:
            while True:
                stop_if_cancelled()
                batch = [await self._queue.get()]
                while len(batch) < MAX_BATCH and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                with tracing.batch(r.trace for r in batch):
                    await self._write(batch)
        finally:
            if self._sqlite is not None:
                self._sqlite.close()
            if self._pg is not None:
                # Shutting down: return the connection, but never hang on a dead server.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(2):
                        await self._pg.close()
            if self._thread is not None:
                self._thread.shutdown(wait=False)

    async def _write(self, batch: list[Append]) -> None:
        try:
            results = await self._commit(batch, utcnow())
        except IntegrityError:
            results = None
        except Exception as exc:  # supervision boundary: each caller gets the error
            for request in batch:
                if not request.done.done():
                    request.done.set_exception(_unavailable(exc))
            return
        if results is None:
            for request in batch:
                try:
                    outcome = await self._commit([request], utcnow())
                except Exception as exc:  # supervision boundary, as above
                    if not request.done.done():
                        request.done.set_exception(_unavailable(exc))
                    continue
                self._settle([request], outcome)
            return
        self.batches += 1
        self.messages += len(batch)
        self._settle(batch, results)

    def _settle(
        self, batch: list[Append], results: list[tuple[StoredEvent, bool] | Blocked]
    ) -> None:
        """Each caller hears its outcome: stored, duplicate, or Blocked by the mediator."""
        self.metrics.batch_written([r for r in results if not isinstance(r, Blocked)])
        for request, result in zip(batch, results, strict=True):
            if request.done.done():
                continue
            if isinstance(result, Blocked):
                request.done.set_exception(result)
            else:
                request.done.set_result(result)

    async def _commit(
        self, batch: list[Append], at: datetime
    ) -> list[tuple[StoredEvent, bool] | Blocked]:
        requests = [
            (r.room_id, r.type, r.body, r.confidentiality, r.sender_id, r.client_id) for r in batch
        ]
        if self._sqlite is not None:
            try:
                return await asyncio.get_running_loop().run_in_executor(
                    self._thread, sqlite_batch.commit, self._sqlite, requests, at
                )
            except sqlite3.IntegrityError as exc:
                raise IntegrityError("batch", None, exc) from exc
            except sqlite3.Error as exc:
                raise OperationalError("batch", None, exc) from exc
        try:
            fresh = self._pg is None
            if self._pg is None:
                # Held for the writer's life: no pool checkout (and pre-ping round trip) per
                # batch.
                self._pg = await self.db.engine.connect()
            conn = (await self._pg.get_raw_connection()).driver_connection
            assert conn is not None
            if fresh:  # named, so an operator (or a fault test) finds it in pg_stat_activity
                await conn.execute(f"SET application_name = '{APPLICATION_NAME}'")
                self._written, self._replan_at = 0, REPLAN_FIRST
            if self._written >= self._replan_at and not self.db.pgbouncer:
                await conn.execute("DISCARD PLANS")
                self.replans += 1
                self._replan_at *= 2
            results = await pg_batch.commit(conn, requests, at, self.metrics.head_moved.inc)
            self._written += len(requests)
            return results
        except asyncpg.UniqueViolationError as exc:
            raise IntegrityError("batch", None, exc) from exc
        except Exception as exc:
            # Any other failure may have left the connection unusable, and not always as a
            # closed connection: a backend that was terminated (failover, pooler restart) sends
            # its FATAL before the stream ends, and a batch begun in between meets asyncpg
            # mid-protocol (InternalClientError "cannot switch to state 15"). So the
            # connection goes, whatever the error, and the next batch opens a fresh one.
            # Every caller hears `unavailable`; its resend under the same client id finds the
            # batch's event if a COMMIT did reach the server before the connection died.
            await self._drop_pg()
            if isinstance(exc, SQLAlchemyError):
                raise
            raise OperationalError("batch", None, exc) from exc

    async def _drop_pg(self) -> None:
        """Forget the writer's connection; a dead one is closed without a word to the server."""
        sa_conn, self._pg = self._pg, None
        if sa_conn is None:
            return
        with contextlib.suppress(Exception):  # it is being thrown away either way
            await sa_conn.invalidate()
        with contextlib.suppress(Exception):
            await sa_conn.close()


def _unavailable(exc: Exception) -> SQLAlchemyError:
    """What a caller hears when its message was not stored: always a database error, which the
    socket answers with `unavailable` (retryable), never an exception that ends the socket."""
    if isinstance(exc, SQLAlchemyError):
        return exc
    logger.error("group commit failed", exc_info=exc)
    return OperationalError("batch", None, exc)
