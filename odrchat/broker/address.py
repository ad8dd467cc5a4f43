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

from dataclasses import dataclass
from typing import Any

from redis.asyncio import BlockingConnectionPool, ConnectionPool
from redis.asyncio.connection import parse_url
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool

__all__ = ["DEFAULT_URL", "RedisAddress", "close_pool"]

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
            k: kwargs[k] for k in ("socket_timeout", "socket_connect_timeout") if k in kwargs
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


async def close_pool(pool: ConnectionPool) -> None:
    """Close a pool's connections, and the sentinel clients behind a Sentinel pool."""
    await pool.disconnect()
    manager = getattr(pool, "sentinel_manager", None)
    if manager is not None:
        for client in manager.sentinels:
            await client.aclose()
