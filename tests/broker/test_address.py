"""`exchange`: commands sent together on a held connection, answered in order."""

from __future__ import annotations

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
