"""The database handle: one async engine and its session factory, built per app.

SQLite (the embedded default) gets WAL, foreign keys and a busy timeout. Every `session()`
starts with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing half-way
with "database is locked" when a read transaction tries to upgrade; `read()` sessions start
with a plain ``BEGIN`` and read a WAL snapshot without touching the write lock. PostgreSQL goes
through asyncpg.

PgBouncer in transaction pooling mode hands each transaction to whichever server connection is
free, so a statement prepared in one transaction is not there in the next, and two clients'
statements can collide by name on one server connection. A PostgreSQL URL ending in
``?pgbouncer=true`` turns asyncpg's statement cache off (unnamed statements, re-parsed when
needed), turns SQLAlchemy's prepared-statement cache off and gives each statement it prepares a
unique name. Everything odrchat runs is in a transaction; the one session-level setting it makes
(the writer's ``application_name``) is a parameter PgBouncer tracks per client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long `dispose` waits for connections SQLAlchemy is still closing (see `_settle_closes`).
SETTLE_WITHIN = 1.0
# How long `dispose` waits for SQLite connections' worker threads to end (see `_stop_sqlite`).
SQLITE_STOP_WITHIN = 5.0
GRACEFUL_CLOSE = "_terminate_graceful_close"
# The batch pool: batched reads run under the room service's read slots, so a few suffice.
BATCH_POOL_SIZE = 8
BATCH_POOL_OPEN = 4  # connections opened when the app starts (`Database.open`) and kept open
BATCH_ACQUIRE_TIMEOUT = 30.0
BATCH_SPARE = 4  # batch connections kept checked out between batches (`fetch_batch`)

T = TypeVar("T")

log = logging.getLogger("odrchat.store")


def async_url(url: str) -> str:
    """Map a plain database URL onto the async driver we use for it."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    return url


def behind_pgbouncer(url: str) -> tuple[str, bool]:
    """The URL without its ``pgbouncer`` query parameter, and whether that said true."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    flags = [v.lower() for k, v in query if k == "pgbouncer"]
    if not flags:
        return url, False
    if any(v not in ("true", "false", "1", "0") for v in flags):
        raise ValueError("the database URL's pgbouncer= must be true or false")
    kept = urlencode([(k, v) for k, v in query if k != "pgbouncer"])
    return urlunsplit(parts._replace(query=kept)), flags[-1] in ("true", "1")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """A batch connection goes back to its pool as it is: its statements leave no session
    state behind, so asyncpg's reset query would be a round trip for nothing."""


def _statement_name() -> str:
    # Unique across every client sharing a PgBouncer server connection.
    return f"__asyncpg_{uuid.uuid4().hex}__"


class Database:
    """An async engine plus a session factory; `dispose()` when the app stops."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        engine_url, self.pgbouncer = behind_pgbouncer(self.url)
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            _ensure_sqlite_dir(self.url)
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
            kwargs["pool_pre_ping"] = True
            if self.pgbouncer:
                kwargs["connect_args"] = {
                    "statement_cache_size": 0,  # asyncpg: unnamed statements only
                    "prepared_statement_cache_size": 0,  # SQLAlchemy's own cache
                    "prepared_statement_name_func": _statement_name,
                }
        self.engine: AsyncEngine = create_async_engine(engine_url, **kwargs)
        # Batched reads (odrchat.store.batches) on PostgreSQL: one statement each, outside any
        # transaction, on an asyncpg pool of their own (opened on first use), with no pre-ping
        # and no reset round trip; a failure throws the connection away and the read is tried
        # once more (see fetch_batch). Through SQLAlchemy, the check-out and return of each
        # batch's connection cost about a tenth of a connecting socket's CPU.
        self._batch_dsn = engine_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self._batch_pool: asyncpg.Pool | None = None
        self._spare: list[Any] = []  # checked out of the batch pool, for the next batch
        self._batch_pool_opening: asyncio.Future[asyncpg.Pool] | None = None
        if self.is_sqlite:
            # aiosqlite connections this engine opened, to stop their threads at `dispose`.
            self._sqlite_opened: weakref.WeakSet[Any] = weakref.WeakSet()
            _configure_sqlite(self.engine, self._sqlite_opened)
        self.sessionmaker = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # Reads take no write lock on SQLite (plain BEGIN, a WAL snapshot); PostgreSQL is the
        # same engine either way.
        self.read_sessionmaker = async_sessionmaker(
            self.engine.execution_options(odrchat_read_only=True),
            class_=AsyncSession,
            expire_on_commit=False,
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only: on SQLite it never waits for, or holds, the write lock."""
        async with self.read_sessionmaker() as session, session.begin():
            yield session

    async def fetch_batch(self, sql: str, *args: Any) -> list[Any]:
        """PostgreSQL: the rows of one statement (a batched read, or a write that may safely
        run twice, such as a session touch), run on its own as one snapshot that commits by
        itself. Reads repeat safely, so one that fails (a backend that died, a failover)
        discards its connection and runs once more on a fresh one."""
        assert not self.is_sqlite, "fetch_batch is for PostgreSQL"
        pool = self._batch_pool or await self._open_batch_pool()
        for attempt in (1, 2):
            if self._spare:
                conn = self._spare.pop()
            elif pool.get_idle_size():
                # No wait: asyncpg's own timeout would start a task for every check-out.
                conn = await pool.acquire()
            else:
                async with asyncio.timeout(BATCH_ACQUIRE_TIMEOUT):
                    conn = await pool.acquire()
            kept = False
            try:
                rows = list(await conn.fetch(sql, *args))
            except Exception:
                # Thrown away; the pool opens a new one. A connection whose backend died may
                # already be back in the pool, released by asyncpg as it closed: then both
                # calls refuse, and there is nothing left to do.
                with contextlib.suppress(asyncpg.InterfaceError):
                    conn.terminate()
                if attempt == 2:
                    raise
                continue
            else:
                if len(self._spare) < BATCH_SPARE:
                    # Kept checked out for the next batch: asyncpg's release starts a task and
                    # a timeout each time. A connect round of 1,518 sockets (two workers, three
                    # rounds each way, alternating) cost 1.63-1.71 ms of server CPU per socket
                    # with this against 1.71-1.88 ms without.
                    self._spare.append(conn)
                    kept = True
                return rows
            finally:
                if not kept:  # failed, cancelled mid-statement, or enough are kept already
                    with contextlib.suppress(asyncpg.InterfaceError):
                        await pool.release(conn)
        raise AssertionError("unreachable")

    async def open(self) -> None:
        """Open now what the first requests would otherwise wait for: on PostgreSQL, the batch
        pool with BATCH_POOL_OPEN connections (after a restart, the first sockets to arrive
        paid for them, about a tenth of a millisecond of CPU each in a round of 1,518)."""
        if not self.is_sqlite:
            await self._open_batch_pool()

    @property
    def batch_connections(self) -> int:
        """Connections the batch pool holds open now (0 before it is opened, and on SQLite)."""
        return self._batch_pool.get_size() if self._batch_pool is not None else 0

    async def _open_batch_pool(self) -> asyncpg.Pool:
        """Open the batch pool once, however many callers ask for it at the same time."""
        if self._batch_pool_opening is None:
            self._batch_pool_opening = asyncio.ensure_future(
                asyncpg.create_pool(
                    self._batch_dsn,
                    min_size=BATCH_POOL_OPEN,
                    max_size=BATCH_POOL_SIZE,
                    # Kept open: closing an idle one would cost a timer at every check-in.
                    max_inactive_connection_lifetime=0,
                    reset=_keep_session,
                    # Behind PgBouncer: unnamed statements only (see the module docstring).
                    statement_cache_size=0 if self.pgbouncer else 100,
                    # No JIT for these short statements. PostgreSQL compiles a plan whose cost
                    # estimate passes jit_above_cost, and on tables not yet analyzed (a new
                    # install) a socket's arrival was estimated dear enough: 112 functions
                    # compiled for every batch, 50 ms of PostgreSQL's CPU each. PgBouncer
                    # refuses startup parameters it does not know; there, set it in PostgreSQL.
                    server_settings={} if self.pgbouncer else {"jit": "off"},
                )
            )
        opening = self._batch_pool_opening
        try:
            self._batch_pool = await asyncio.shield(opening)
        except BaseException:
            if opening.done():  # it failed: the next caller tries again
                self._batch_pool_opening = None
            raise
        return self._batch_pool

    async def read_batch(self, read: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """A batched read on SQLite (`odrchat.store.batches`): an ordinary read transaction.
        PostgreSQL batches use `fetch_batch`."""
        async with self.read() as s:
            return await read(await s.connection())

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        await _settle_closes()
        if self.is_sqlite:
            _stop_sqlite(list(self._sqlite_opened))
        pool, self._batch_pool = self._batch_pool, None
        self._batch_pool_opening = None
        spare, self._spare = self._spare, []
        if pool is not None:
            for conn in spare:  # the pool's close waits for every connection to come back
                with contextlib.suppress(asyncpg.InterfaceError):
                    await pool.release(conn)
            try:
                async with asyncio.timeout(5):
                    await pool.close()
            except TimeoutError:
                pool.terminate()


def closing_connections() -> list[asyncio.Task[Any]]:
    """The connection closes SQLAlchemy is running in tasks of their own on this loop."""
    current = asyncio.current_task()
    return [
        t
        for t in asyncio.all_tasks()
        if t is not current and getattr(t.get_coro(), "__qualname__", "").endswith(GRACEFUL_CLOSE)
    ]


async def _settle_closes(within: float = SETTLE_WITHIN) -> None:
    """End the closes SQLAlchemy left running, so the event loop can stop.

    A task cancelled in the middle of a statement (a background loop at shutdown) has its
    connection closed by SQLAlchemy in a shielded task of its own. With aiosqlite 0.22 that task
    can end up waiting for a worker thread that has already stopped: it then ends only when
    cancelled while it waits there. `asyncio.run` cancels each leftover task once when the loop
    stops, and if that one cancel lands earlier in the close, the loop's teardown waits for ever
    (a test run's worker, or a server's shutdown, hung). So: wait for them briefly, then cancel
    each until it has ended (sqlalchemy#13039 and wapiti#802 describe the same deadlock).
    """
    closing = closing_connections()
    if not closing:
        return
    _, pending = await asyncio.wait(closing, timeout=within)
    for task in pending:
        for _ in range(3):
            task.cancel()
            await asyncio.wait([task], timeout=within)
            if task.done():
                break


def _stop_sqlite(opened: list[Any], within: float = SQLITE_STOP_WITHIN) -> None:
    """Close every SQLite connection still open and wait until its worker thread has ended.

    aiosqlite runs each connection's statements on a thread of its own, which hands every
    result back to the event loop. A thread still running when the loop closes fails there
    ("Event loop is closed"). At shutdown that happened: a background loop cancelled in the
    middle of a read left its connection checked out, its transaction open and nobody to close
    it, and a second loop's connection waited on SQLite's write lock behind it. SQLAlchemy's
    `engine.dispose()` closes only the connections it holds, so the waiting thread outlived the
    loop by the busy timeout. Stopping every connection still open (their owners are gone or
    are being stopped) ends the open transaction, lets the waiter through, and the threads end
    while the loop still runs.
    """
    threads: list[threading.Thread] = []
    for conn in opened:
        thread = getattr(conn, "_thread", None)  # aiosqlite's worker thread (0.22)
        if thread is None or not thread.is_alive():
            continue
        conn.stop()  # queues "close, then end the thread" after whatever is running
        threads.append(thread)
    if not threads:
        return
    # Joined on the event loop's own thread, blocking it: while the loop ran, a task still
    # using one of these connections could reach aiosqlite's `close()` after the stop above
    # and before the thread had taken it, and that close then waits for ever on a thread that
    # has ended. The threads need nothing from the loop, and nothing else runs at this point of
    # a shutdown; usually this takes microseconds.
    _join(threads, within)
    stuck = sum(t.is_alive() for t in threads)
    if stuck:
        log.error("stopping: %d SQLite connection(s) still busy after %.0f s", stuck, within)


def _join(threads: list[threading.Thread], within: float) -> None:
    end = time.monotonic() + within
    for thread in threads:
        thread.join(timeout=max(0.0, end - time.monotonic()))


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine, opened: weakref.WeakSet[Any]) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        opened.add(record.driver_connection)
        # Take transaction control away from the driver so "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get("odrchat_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
