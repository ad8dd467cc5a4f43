"""Who is online in which room, across workers.

Each worker announces its own connected members; entries expire 60 s after the worker last
refreshed them, so the members of a worker that dies (kill -9) drop out without anyone
cleaning up. Memory is the one-worker backend; Redis is the many-worker backend.

Redis presence is best effort: its errors are logged, never raised. A subscribe during a Redis
outage must still work; the member just does not show online to other workers meanwhile.

A worker's own arrivals and departures are written behind: `add` and `remove` queue the change
and return. Reads queue too. One exchange with Redis is out at a time, and it carries
everything queued since the last one: every change, in order, then every read, in one script
call (`SYNC`). A socket's subscribe thus never waits for a Redis round trip of its own (in a
connect round the awaited, mostly one-entry pipelines were 8% of the worker's CPU), a read
always sees the worker's own changes made before it, and a connect round costs one call per
round trip instead of one to write and one to read per batch of subscriptions. If Redis cannot
be reached, a read answers with the worker's own members only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Protocol, cast

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError

from odrchat.broker.address import RedisAddress, close_pool, exchange

TTL = 60.0
REFRESH_EVERY = 20.0
REDIS_TIMEOUT = 1.0
CHUNK = 1000  # changes, or rooms read, per script call

# One script call per exchange instead of a pipeline of one command per room: redis-py's Python
# cost is per command, and on a busy worker that cost, not Redis, was the price of presence.
# KEYS: the changes' room sets, then the rooms read. ARGV[1]: the expiry of an entry marked
# online now; ARGV[2]: now; ARGV[3]: how many changes; ARGV[3 + i]: change i, "+member" (online)
# or "-member" (gone). Returns the unexpired members of each room read, in KEYS order.
SYNC = """
local expiry, now, changes = ARGV[1], ARGV[2], tonumber(ARGV[3])
for i = 1, changes do
  local change = ARGV[3 + i]
  if string.sub(change, 1, 1) == '+' then
    redis.call('ZADD', KEYS[i], expiry, string.sub(change, 2))
  else
    redis.call('ZREM', KEYS[i], string.sub(change, 2))
  end
end
local found = {}
for i = changes + 1, #KEYS do
  found[#found + 1] = redis.call('ZRANGEBYSCORE', KEYS[i], now, '+inf')
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
        address = url if isinstance(url, RedisAddress) else RedisAddress(url)
        # One exchange is out at a time, so one connection, held here rather than pooled, with
        # one timeout per call (`address.exchange`), not a task and a timer per command.
        self._pool = address.held(connect_timeout=REDIS_TIMEOUT)
        self._conn: AbstractConnection = self._pool.make_connection()  # type: ignore[no-untyped-call]
        self._sha = hashlib.sha1(SYNC.encode()).hexdigest()
        self.worker_id = worker_id
        self.prefix = prefix
        # This worker's changes not yet in Redis, oldest first: (online?, room, user), and the
        # reads waiting for the next exchange. `_sending` is what the exchange out now writes.
        self._queued: list[tuple[bool, int, int]] = []
        self._reads: list[tuple[list[int], asyncio.Future[dict[int, list[object]] | None]]] = []
        self._sending: list[tuple[bool, int, int]] = []
        self._exchanger: asyncio.Task[None] | None = None

    def _member(self, user: int) -> str:
        return f"{user}:{self.worker_id}"

    async def add(self, room: int, user: int) -> None:
        """Mark a member of this worker online (written behind, see the module docstring)."""
        self._queue((True, room, user))

    async def remove(self, room: int, user: int) -> None:
        self._queue((False, room, user))

    def _queue(self, change: tuple[bool, int, int]) -> None:
        self._queued.append(change)
        self._start()

    def _start(self) -> None:
        if self._exchanger is None:
            self._exchanger = asyncio.get_running_loop().create_task(self._exchange_all())

    async def _exchange_all(self) -> None:
        """Send what is queued, one exchange at a time, until nothing is left."""
        try:
            while self._queued or self._reads:
                self._sending, self._queued = self._queued, []
                reads, self._reads = self._reads, []
                answers: list[dict[int, list[object]]] | None = None
                try:
                    with _best_effort("exchange"):
                        answers = await self._exchange(self._sending, [r for r, _ in reads])
                finally:  # every read taken is answered, whatever became of the exchange
                    self._sending = []
                    for i, (_rooms, answer) in enumerate(reads):
                        if not answer.done():
                            answer.set_result(None if answers is None else answers[i])
        finally:
            self._exchanger = None
            for _rooms, answer in self._reads:  # cancelled (closing) with reads still queued
                if not answer.done():
                    answer.set_result(None)
            self._reads = []

    async def _exchange(
        self, changes: list[tuple[bool, int, int]], reads: list[list[int]]
    ) -> list[dict[int, list[object]]]:
        """Write `changes` in order, then read every room of `reads`: one script call for up
        to CHUNK keys, as few as that allows for more. An entry marked online expires TTL
        seconds from now unless refreshed."""
        expiry, now = repr(time.time() + TTL), repr(time.time())
        writes = [
            (self.prefix + str(room), ("+" if online else "-") + self._member(user))
            for online, room, user in changes
        ]
        wanted = [room for rooms in reads for room in rooms]
        members: list[list[object]] = []
        while True:
            chunk, writes = writes[:CHUNK], writes[CHUNK:]
            room_chunk: list[int] = []
            if not writes:
                room_chunk, wanted = wanted[: CHUNK - len(chunk)], wanted[CHUNK - len(chunk) :]
            if not chunk and not room_chunk:
                break
            keys = [key for key, _ in chunk] + [self.prefix + str(room) for room in room_chunk]
            args = [expiry, now, str(len(chunk)), *(change for _, change in chunk)]
            members.extend(await self._sync(keys=keys, args=args))
        answers: list[dict[int, list[object]]] = []
        at = 0
        for rooms in reads:
            answers.append(dict(zip(rooms, members[at : at + len(rooms)], strict=True)))
            at += len(rooms)
        return answers

    async def _sync(self, *, keys: list[str], args: list[str]) -> list[list[object]]:
        """Run SYNC by its digest, or by EVAL (which loads it) if Redis does not have it."""
        try:
            [found] = await exchange(
                self._conn, [("EVALSHA", self._sha, len(keys), *keys, *args)], REDIS_TIMEOUT
            )
        except NoScriptError:
            [found] = await exchange(
                self._conn, [("EVAL", SYNC, len(keys), *keys, *args)], REDIS_TIMEOUT
            )
        return cast(list[list[object]], found)

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
        while self._exchanger is not None:
            await asyncio.shield(self._exchanger)

    async def refresh(self, entries: Iterable[tuple[int, int]]) -> None:
        """Mark these members online again (their expiry starts over)."""
        self._queued.extend((True, room, user) for room, user in entries)
        self._start()
        await self.flush()

    async def online(self, room: int) -> set[int]:
        return (await self.online_in([room]))[room]

    async def online_in(self, rooms: Iterable[int]) -> dict[int, set[int]]:
        """Many rooms in one read (the subscriptions a batch opens together, the rooms of an
        away-notice sweep), answered after every change this worker made before asking."""
        rooms = list(dict.fromkeys(rooms))
        if not rooms:
            return {}
        # What is unwritten now: if the exchange fails, these are laid over an empty answer.
        pending = (*self._sending, *self._queued)
        answer: asyncio.Future[dict[int, list[object]] | None]
        answer = asyncio.get_running_loop().create_future()
        self._reads.append((rooms, answer))
        self._start()
        found = await answer
        if found is None:  # Redis away: only this worker's own members show online
            return self._overlay({room: [] for room in rooms}, pending)
        return self._overlay(found, ())

    async def close(self) -> None:
        await self.flush()
        await self._conn.disconnect()
        await close_pool(self._pool)


def _users(names: Iterable[str]) -> set[int]:
    """User ids from sorted-set members "<user>:<worker>"."""
    return {int(name.split(":", 1)[0]) for name in names}
