"""Who is online in which room, across workers.

Each worker announces its own connected members; entries expire 60 s after the worker last
refreshed them, so the members of a worker that dies (kill -9) drop out without anyone
cleaning up. Memory is the one-worker backend; Redis is the many-worker backend.

Redis presence is best effort: its errors are logged, never raised. A subscribe during a Redis
outage must still work; the member just does not show online to other workers meanwhile.

A worker's own arrivals and departures are written behind: `add` and `remove` queue the change
and return, and one writer sends everything queued so far in one script call, in order, while the
next changes queue behind it. A socket's subscribe no longer waits for a Redis round trip of
its own (in a connect round the awaited, mostly one-entry pipelines were 8% of the worker's
CPU). What the worker asks of Redis (`online`, `online_in`) is read with its own unwritten
changes laid over it, so a member always sees themself online at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Protocol

from odrchat.broker.address import RedisAddress, close_pool

TTL = 60.0
REFRESH_EVERY = 20.0
REDIS_TIMEOUT = 1.0
CHUNK = 1000  # changes, or rooms read, per script call

# One script call per batch instead of a pipeline of one command per room: redis-py's Python
# cost is per command, and on a busy worker that cost, not Redis, was the price of presence.
# KEYS: room sets; ARGV[1]: the expiry; ARGV[i + 1]: "+member" (online) or "-member" (gone).
APPLY = """
local expiry = ARGV[1]
for i, key in ipairs(KEYS) do
  local change = ARGV[i + 1]
  if string.sub(change, 1, 1) == '+' then
    redis.call('ZADD', key, expiry, string.sub(change, 2))
  else
    redis.call('ZREM', key, string.sub(change, 2))
  end
end
return #KEYS
"""
# KEYS: room sets; ARGV[1]: now. The unexpired members of each, in KEYS order.
ONLINE_IN = """
local found = {}
for i, key in ipairs(KEYS) do
  found[i] = redis.call('ZRANGEBYSCORE', key, ARGV[1], '+inf')
end
return found
"""

log = logging.getLogger("odrchat.rooms")


@contextlib.contextmanager
def _best_effort(what: str) -> Iterator[None]:
    """Presence is a courtesy: while Redis is away only a worker's own members
    show online, and no socket fails."""
    from redis.exceptions import RedisError

    try:
        yield
    except (RedisError, OSError) as exc:
        log.warning("presence %s failed (%s); shown as offline until Redis is back", what, exc)


class Presence(Protocol):
    async def add(self, room: int, user: int) -> None: ...
    async def remove(self, room: int, user: int) -> None: ...
    async def refresh(self, entries: Iterable[tuple[int, int]]) -> None: ...
    async def online(self, room: int) -> set[int]: ...
    async def online_in(self, rooms: Iterable[int]) -> dict[int, set[int]]: ...
    async def close(self) -> None: ...


class MemoryPresence:
    """Presence for a single worker: its own connections are the whole truth."""

    def __init__(self) -> None:
        self._rooms: dict[int, set[int]] = {}

    async def add(self, room: int, user: int) -> None:
        self._rooms.setdefault(room, set()).add(user)

    async def remove(self, room: int, user: int) -> None:
        members = self._rooms.get(room)
        if members is not None:
            members.discard(user)
            if not members:
                del self._rooms[room]

    async def refresh(self, entries: Iterable[tuple[int, int]]) -> None:
        return None

    async def online(self, room: int) -> set[int]:
        return set(self._rooms.get(room, ()))

    async def online_in(self, rooms: Iterable[int]) -> dict[int, set[int]]:
        return {room: set(self._rooms.get(room, ())) for room in rooms}

    async def close(self) -> None:
        return None


class RedisPresence:
    """A sorted set per room: member "<user>:<worker>", score = expiry time."""

    def __init__(
        self, url: str | RedisAddress, worker_id: str, *, prefix: str = "odrchat:presence:"
    ) -> None:
        from redis.asyncio import Redis

        address = url if isinstance(url, RedisAddress) else RedisAddress(url)
        # A blocking pool: a burst of subscriptions (a reconnect storm) queues for the four
        # connections instead of failing with "Too many connections".
        pool = address.pool(
            blocking=True,
            max_connections=4,
            timeout=REDIS_TIMEOUT,
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
        )
        self._redis = Redis(connection_pool=pool)
        self._apply_script = self._redis.register_script(APPLY)
        self._online_in_script = self._redis.register_script(ONLINE_IN)
        self.worker_id = worker_id
        self.prefix = prefix
        # This worker's changes not yet in Redis, oldest first: (online?, room, user). The
        # writer takes the queue whole; `_sending` is what it is writing now.
        self._queued: list[tuple[bool, int, int]] = []
        self._sending: list[tuple[bool, int, int]] = []
        self._writer: asyncio.Task[None] | None = None

    def _member(self, user: int) -> str:
        return f"{user}:{self.worker_id}"

    async def add(self, room: int, user: int) -> None:
        """Mark a member of this worker online (written behind, see the module docstring)."""
        self._queue((True, room, user))

    async def remove(self, room: int, user: int) -> None:
        self._queue((False, room, user))

    def _queue(self, change: tuple[bool, int, int]) -> None:
        self._queued.append(change)
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        try:
            while self._queued:
                self._sending, self._queued = self._queued, []
                with _best_effort("write"):
                    await self._apply(self._sending)
                self._sending = []
        finally:
            self._writer = None

    def _overlay(
        self, found: dict[int, list[object]], pending: Iterable[tuple[bool, int, int]]
    ) -> dict[int, set[int]]:
        """The users online in each room: its members as Redis had them ("<user>:<worker>"),
        with the worker's `pending` changes applied in one pass over them (the same user may
        be online on another worker too, so a change touches only this worker's member)."""
        names = {
            room: {m.decode() if isinstance(m, bytes) else str(m) for m in members}
            for room, members in found.items()
        }
        for online, room, user in pending:
            if (members := names.get(room)) is not None:
                if online:
                    members.add(self._member(user))
                else:
                    members.discard(self._member(user))
        return {room: _users(members) for room, members in names.items()}

    async def flush(self) -> None:
        """Wait until every change queued so far has been sent (or has failed)."""
        while self._writer is not None:
            await asyncio.shield(self._writer)

    async def refresh(self, entries: Iterable[tuple[int, int]]) -> None:
        with _best_effort("refresh"):
            await self._apply((True, room, user) for room, user in entries)

    async def _apply(self, changes: Iterable[tuple[bool, int, int]]) -> None:
        """Write changes (online?, room, user) in order, CHUNK to a script call; an entry
        marked online expires TTL seconds from now unless refreshed."""
        expiry = repr(time.time() + TTL)
        keys: list[str] = []
        args: list[str] = [expiry]
        for online, room, user in changes:
            keys.append(self.prefix + str(room))
            args.append(("+" if online else "-") + self._member(user))
            if len(keys) == CHUNK:
                await self._apply_script(keys=keys, args=args)
                keys, args = [], [expiry]
        if keys:
            await self._apply_script(keys=keys, args=args)

    async def online(self, room: int) -> set[int]:
        return (await self.online_in([room]))[room]

    async def online_in(self, rooms: Iterable[int]) -> dict[int, set[int]]:
        """Many rooms in one script call per CHUNK (the subscriptions a batch opens together,
        the rooms of an away-notice sweep)."""
        rooms = list(dict.fromkeys(rooms))
        # What was unwritten when the read began: the writer may finish meanwhile (between two
        # script calls, or before this task resumes), and a change it wrote after Redis
        # answered for its room must still be laid over that answer.
        pending = (*self._sending, *self._queued)
        found: dict[int, list[object]] = {room: [] for room in rooms}
        with _best_effort("online"):  # Redis away: only this worker's own members show online
            now = repr(time.time())
            for start in range(0, len(rooms), CHUNK):
                chunk = rooms[start : start + CHUNK]
                keys = [self.prefix + str(room) for room in chunk]
                answer = await self._online_in_script(keys=keys, args=[now])
                found.update(zip(chunk, answer, strict=True))
        return self._overlay(found, pending)

    async def close(self) -> None:
        await self.flush()
        await self._redis.aclose(close_connection_pool=False)
        await close_pool(self._redis.connection_pool)


def _users(names: Iterable[str]) -> set[int]:
    """User ids from sorted-set members "<user>:<worker>"."""
    return {int(name.split(":", 1)[0]) for name in names}
