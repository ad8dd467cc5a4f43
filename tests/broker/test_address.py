"""`exchange`: commands sent together on a held connection, answered in order."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from redis.exceptions import ResponseError

from odrchat.broker.address import RedisAddress, close_pool, exchange

pytestmark = pytest.mark.redis


async def test_an_error_answer_is_raised_after_every_answer_is_read(
    redis_url: str, prefix: str
) -> None:
    """A bad command among several must not leave the later answers unread on the connection,
    where the next exchange would take them for its own."""
    pool = RedisAddress(redis_url).pool()
    conn = pool.make_connection()  # type: ignore[no-untyped-call]
    key = f"{prefix}counter"
    try:
        assert await exchange(conn, [("SET", key, "1"), ("GET", key)], 2.0) == [b"OK", b"1"]
        with pytest.raises(ResponseError, match="not an integer"):
            await exchange(conn, [("INCRBY", key, "x"), ("GET", key), ("INCR", key)], 2.0)
        # Redis ran the INCR after the bad INCRBY; the next exchange reads its own answers.
        assert await exchange(conn, [("PING",), ("GET", key)], 2.0) == [b"PONG", b"2"]
    finally:
        await exchange(conn, [("DEL", key)], 2.0)
        await conn.disconnect()
        await close_pool(pool)


async def test_a_closed_connection_is_opened_again(redis_url: str) -> None:
    pool = RedisAddress(redis_url).pool()
    conn = pool.make_connection()  # type: ignore[no-untyped-call]
    try:
        assert await exchange(conn, [("PING",)], 2.0) == [b"PONG"]
        await conn.disconnect()
        assert await exchange(conn, [("ECHO", "again")], 2.0) == [b"again"]
    finally:
        await conn.disconnect()
        await close_pool(pool)


async def test_a_held_connection_starts_no_task_per_exchange(redis_url: str) -> None:
    """`held` connections have no socket timeout of their own: redis-py's default bounds each
    send with `asyncio.wait_for`, which starts a task every time."""
    pool = RedisAddress(redis_url).held(connect_timeout=2.0)
    conn = pool.make_connection()  # type: ignore[no-untyped-call]
    loop = asyncio.get_running_loop()
    started: list[object] = []

    def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        started.append(coro)
        return asyncio.Task(coro, loop=loop, **kwargs)

    try:
        assert await exchange(conn, [("PING",)], 2.0) == [b"PONG"]  # connected
        loop.set_task_factory(counting)
        try:
            for _ in range(3):
                assert await exchange(conn, [("ECHO", "x"), ("PING",)], 2.0) == [b"x", b"PONG"]
        finally:
            loop.set_task_factory(None)
        assert started == []
    finally:
        await conn.disconnect()
        await close_pool(pool)


async def test_a_held_connection_to_a_silent_server_times_out_within_the_exchange() -> None:
    """Without a socket timeout, the exchange's own timer is what bounds a Redis that accepts
    and never answers; the connection is closed afterwards, so a late answer is never read."""
    heard = asyncio.Event()
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.read(100)
        heard.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = RedisAddress(f"redis://127.0.0.1:{port}/0").held(connect_timeout=2.0)
    conn = pool.make_connection()  # type: ignore[no-untyped-call]
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await exchange(conn, [("PING",)], 0.3)
        assert 0.3 <= time.monotonic() - started < 2.0
        assert heard.is_set()
        assert not conn.is_connected
    finally:
        await conn.disconnect()
        await close_pool(pool)
        server.close()
        for writer in writers:
            writer.close()
            await writer.wait_closed()
        await server.wait_closed()
