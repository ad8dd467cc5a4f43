"""The database handle: SQLite readers never wait for a writer; a batched read on PostgreSQL
survives a connection whose backend died."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from odrchat.store.db import Database
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
