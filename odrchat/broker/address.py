"""Where Redis is: one server (`REDIS_URL`) or a master found through Sentinel.

With Sentinel (`REDIS_SENTINELS`, `REDIS_SENTINEL_MASTER`) every connection asks the sentinels
for the current master when it connects, and a connection to a master that was demoted is
dropped on its first READONLY reply (redis-py's SentinelManagedConnection). So after a failover
the broker's listener reconnects (Resynced: the hub catches up from the database), the
publisher's next command reconnects once, and presence writes resume. Doorbells rung during the
failover may be lost; the database is the truth, and the Resynced and the hub's head checks
cover the gap. `REDIS_URL`, when also set, gives the database number, user and password (its
host and port are ignored).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import BlockingConnectionPool, ConnectionPool
from redis.asyncio.connection import AbstractConnection, parse_url
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.exceptions import ResponseError

__all__ = ["DEFAULT_URL", "RedisAddress", "close_pool", "exchange"]

DEFAULT_URL = "redis://127.0.0.1:6379/0"


class _BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """A Sentinel pool whose callers wait for a free connection instead of failing."""


@dataclass(frozen=True, slots=True)
class RedisAddress:
    url: str = DEFAULT_URL
    sentinels: tuple[tuple[str, int], ...] = ()
    master: str = ""
    sentinel_password: str | None = None

    def __str__(self) -> str:  # for log lines: never the password
        if self.sentinels:
            hosts = ",".join(f"{h}:{p}" for h, p in self.sentinels)
            return f"sentinel {self.master}@{hosts}"
        return self.url.split("@", 1)[-1]

    def pool(self, *, blocking: bool = False, **kwargs: Any) -> ConnectionPool:
        """A connection pool to the (current) master; `kwargs` go to every connection."""
        if not self.sentinels:
            plain: type[ConnectionPool] = BlockingConnectionPool if blocking else ConnectionPool
            return plain.from_url(self.url, **kwargs)
        given = parse_url(self.url)
        options: dict[str, Any] = {
            k: given[k] for k in ("db", "username", "password") if given.get(k)
        }
        if self.url.startswith("rediss://"):
            options["ssl"] = True  # TLS to the master (the sentinels are asked in the clear)
        timeouts: dict[str, Any] = {
            k: kwargs[k]
            for k in ("socket_timeout", "socket_connect_timeout")
            if kwargs.get(k) is not None  # None: the sentinels keep redis-py's default
        }
        # Untyped in redis-py before 8.2, typed since.
        manager = Sentinel(  # type: ignore[no-untyped-call,unused-ignore]
            list(self.sentinels),
            sentinel_kwargs={**timeouts, "password": self.sentinel_password},
        )
        cls: type[SentinelConnectionPool] = (
            _BlockingSentinelPool if blocking else SentinelConnectionPool
        )
        pool: ConnectionPool = cls(self.master, manager, **options, **kwargs)
        return pool

    def held(self, *, connect_timeout: float, **kwargs: Any) -> ConnectionPool:
        """A pool for connections that their owner holds and uses only through `exchange`.

        They have no socket timeout of their own: `exchange` bounds each call with one timer.
        redis-py's default (5 s) would also bound every send with `asyncio.wait_for`, a task
        per exchange, and every read with a timer of its own; in a connect round of 1,518
        sockets that was 3,275 tasks (presence's script calls and the publisher's flushes).
        """
        return self.pool(socket_connect_timeout=connect_timeout, socket_timeout=None, **kwargs)


async def close_pool(pool: ConnectionPool) -> None:
    """Close a pool's connections, and the sentinel clients behind a Sentinel pool."""
    await pool.disconnect()
    manager = getattr(pool, "sentinel_manager", None)
    if manager is not None:
        for client in manager.sentinels:
            await client.aclose()


async def exchange(
    conn: AbstractConnection, commands: Sequence[tuple[Any, ...]], within: float
) -> list[Any]:
    """Send `commands` together on a connection its owner holds (no pool) and read their
    answers in order, all within `within` seconds; reconnects first if the connection is closed.

    One timer for the whole exchange: through a redis-py client every command also took a
    connection from a pool and checked it for stray data, started a task to bound its send and
    set a timer to bound its read. A failure or a timeout leaves the connection closed (redis-py
    closes it on any error, cancellation included), so a late answer is never read as the next
    exchange's. An error answer (ResponseError) is raised once every answer has been read, for
    the same reason.
    """
    async with asyncio.timeout(within):
        await conn.send_packed_command(conn.pack_commands(commands), check_health=False)
        answers: list[Any] = []
        error: ResponseError | None = None
        for _ in commands:
            try:
                answers.append(await conn.read_response())
            except ResponseError as exc:
                error = error or exc
                answers.append(exc)
    if error is not None:
        raise error
    return answers
