"""The database handle: SQLite readers never wait for a writer; a connection closed because its
task was cancelled mid-statement does not keep the event loop from stopping; a batched read on
PostgreSQL survives a connection whose backend died."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from odrchat.store.db import BATCH_POOL_OPEN, Database, closing_connections
from tests.services import postgres_url


async def test_sqlite_reads_do_not_wait_for_an_open_write(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/db.sqlite3")
    try:
        async with db.session() as s:
            await s.exec(text("CREATE TABLE t (v INTEGER)"))  # type: ignore[call-overload]
            await s.exec(text("INSERT INTO t VALUES (1)"))  # type: ignore[call-overload]
        writing = asyncio.Event()
        release = asyncio.Event()

        async def writer() -> None:
            async with db.session() as s:
                await s.exec(text("UPDATE t SET v = 2"))  # type: ignore[call-overload]
                writing.set()
                await release.wait()

        task = asyncio.create_task(writer())
        await writing.wait()
        async with asyncio.timeout(5), db.read() as s:
            # The reader sees the last committed value while the write is still open.
            value = (await s.exec(text("SELECT v FROM t"))).scalar()  # type: ignore[call-overload]
        assert value == 1
        release.set()
        await task
        async with db.read() as s:
            assert (await s.exec(text("SELECT v FROM t"))).scalar() == 2  # type: ignore[call-overload]
    finally:
        await db.dispose()


async def _until(condition: object, turns: int = 10_000) -> None:
    for _ in range(turns):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


async def test_a_connection_cancelled_mid_statement_is_closed_by_dispose(tmp_path: Path) -> None:
    """A background loop cancelled at shutdown while it waits for SQLite's write lock: the
    close SQLAlchemy starts for its connection must not outlive `dispose` (left over, it could
    keep the event loop's teardown waiting for ever: CI's worker hung in a TestClient's exit)."""
    path = tmp_path / "db.sqlite3"
    db = Database(f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        await db.ping()  # the file exists, in WAL mode
        holder.execute("BEGIN IMMEDIATE")  # someone else holds the write lock

        async def writer() -> None:
            async with db.session() as s:
                await s.exec(text("SELECT 1"))  # type: ignore[call-overload]  # BEGIN IMMEDIATE waits

        task = asyncio.create_task(writer())
        await _until(lambda: task.done() or db.engine.pool.checkedout() == 1)
        await _until(lambda: True, turns=10)  # BEGIN IMMEDIATE is queued on the worker thread
        task.cancel()  # mid-statement: SQLAlchemy closes the connection in a shielded task
        await _until(lambda: bool(closing_connections()))
        task.cancel()  # a shutdown that gives up on it: SQLAlchemy force-closes as well
        holder.rollback()  # the worker thread finishes the BEGIN, the close, and stops
        await asyncio.wait([task], timeout=10)
        assert task.cancelled()
        assert closing_connections(), "SQLAlchemy's close is still waiting"

        async with asyncio.timeout(10):
            await db.dispose()
        assert closing_connections() == []
    finally:
        holder.close()
        await db.dispose()


def _sqlite_threads() -> set[threading.Thread]:
    """aiosqlite's worker threads (one per open connection) alive now."""
    return {
        t for t in threading.enumerate() if "_connection_worker_thread" in t.name and t.is_alive()
    }


async def test_dispose_ends_a_write_left_open_and_the_connection_waiting_behind_it(
    tmp_path: Path,
) -> None:
    """At shutdown a cancelled background loop left its connection checked out in the middle of a
    write transaction, and another loop's connection waited for SQLite's write lock behind it.
    `dispose` closed neither: the waiting thread outlived the event loop and failed there
    ("Event loop is closed"). Both threads must end before `dispose` returns."""
    db = Database(f"sqlite:///{tmp_path}/db.sqlite3")
    before = _sqlite_threads()
    spare = await db.engine.connect()
    held = await db.engine.connect()  # its owner is gone: nobody will close it
    await spare.close()  # back in the pool, open: the waiter below takes it
    await held.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: it holds the write lock

    async def waiter() -> None:
        async with db.session() as s:
            await s.exec(text("SELECT 1"))  # type: ignore[call-overload]  # BEGIN IMMEDIATE waits

    task = asyncio.create_task(waiter())
    await _until(lambda: task.done() or db.engine.pool.checkedout() == 2)
    threads = _sqlite_threads() - before
    assert len(threads) == 2 and not task.done(), "the writer's and the waiter's connections"

    async with asyncio.timeout(20):
        await db.dispose()
    assert [t for t in threads if t.is_alive()] == []
    async with asyncio.timeout(5):
        with contextlib.suppress(Exception):  # its connection was closed under it
            await task
    with contextlib.suppress(Exception):  # closed under it as well
        await held.invalidate()
    await held.close()


@pytest.mark.postgres
async def test_a_batched_read_whose_connection_died_runs_again_on_a_fresh_one() -> None:
    """Batched reads skip the pool's pre-ping; a connection whose backend was terminated (a
    failover, a pooler restart) must cost one retry, not a failed batch of sockets."""
    db = Database(postgres_url())
    try:
        [(first,)] = await db.fetch_batch("SELECT pg_backend_pid()")
        async with db.engine.connect() as conn:
            killed = await conn.execute(text(f"SELECT pg_terminate_backend({int(first)})"))
            assert killed.scalar() is True
        [(second,)] = await db.fetch_batch("SELECT pg_backend_pid()")
        assert second != first
        [(third,)] = await db.fetch_batch("SELECT pg_backend_pid()")
        assert third == second  # the fresh connection is kept and reused
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_open_connects_the_batch_reads_before_anyone_asks() -> None:
    """After a restart the first sockets used to pay for opening the batch pool's connections:
    `open` (run as the app starts) opens them, and reads then use those."""
    db = Database(postgres_url())
    try:
        assert db.batch_connections == 0
        await db.open()
        assert db.batch_connections == BATCH_POOL_OPEN
        pids = await asyncio.gather(*(db.fetch_batch("SELECT pg_backend_pid()") for _ in range(3)))
        assert len({pid for [(pid,)] in pids}) == 3
        assert db.batch_connections == BATCH_POOL_OPEN  # none more was needed
        await db.open()  # once only
        assert db.batch_connections == BATCH_POOL_OPEN
    finally:
        # The connections kept aside between batches go back first: the pool's close waits
        # for every connection (for 5 s, then terminates them).
        async with asyncio.timeout(2):
            await db.dispose()
    assert db.batch_connections == 0


@pytest.mark.postgres
async def test_batched_statements_are_not_compiled_by_postgresql_jit() -> None:
    """A socket's arrival on tables never analyzed was estimated dear enough for PostgreSQL's
    JIT: 50 ms of compiling for every batch. Batched statements are short; JIT stays off."""
    db = Database(postgres_url())
    try:
        # Every plan passes the threshold on this connection (the next batch reuses it).
        await db.fetch_batch("SELECT set_config('jit_above_cost', '0', false)")
        [(plan,)] = await db.fetch_batch(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT sum(g) FROM generate_series(1, 1000) g"
        )
        assert '"JIT"' not in plan
    finally:
        await db.dispose()


async def test_open_on_sqlite_has_nothing_to_open(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'open.db'}")
    try:
        await db.open()
        assert db.batch_connections == 0
    finally:
        await db.dispose()
