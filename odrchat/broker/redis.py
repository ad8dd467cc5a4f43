"""Redis pub/sub broker (redis-py asyncio) for fan-out across workers.

One Redis channel, the bus (`<prefix>bus`), carries every broker channel except the few named
`direct`: a publish is framed with its channel name, and the publishes that go out together
travel as one Redis message. Every worker subscribes to the bus once and keeps what its own
subscriptions ask for, so subscribing to a room costs no Redis command and no round trip, and
a burst of doorbells costs one PUBLISH, one delivery per worker and one read. The price is that
every worker reads every doorbell of the deployment: cheap at a few workers (a skipped doorbell
costs a dictionary lookup), and the reason to shard the bus before running dozens of workers.
Direct channels (the hub's control channel) keep a Redis channel of their own, as before the
bus, so that workers of the previous release still hear case changes and ended sessions during
a rolling restart (their room doorbells are not heard across the two releases meanwhile; the
hub's head check fetches what they stored within a few seconds).

Two connections, both owned here:

- Publisher: ONE connection, held here (no pool). Concurrent publish() calls append to an
  outbox; one sender task sends the whole outbox at once (bus items framed into one PUBLISH,
  direct ones as their own, in order, written together and answered in order) while the next
  publishes queue behind it. Thousands of concurrent publishes cost a few round trips and one
  socket (a task per publish on an ordinary pool runs into "Too many connections"). One timeout
  bounds each send and its answers (`address.exchange`). A send that finds the connection
  broken (a Redis restart) reconnects and is tried once more.
- Listener: one raw connection, read only by run(). redis-py's PubSub is not used because its
  retry layer reconnects and re-subscribes silently, and a silent reconnect is exactly the gap
  the consumer must hear about.

run() loop: connect, SUBSCRIBE the bus and every remembered direct channel, PING. Redis answers
in order, so the PONG proves the subscriptions are active; only then is Resynced queued and
status "ok". Messages read before that PONG are dropped: the Resynced sends the consumer to the
database, which already holds them (the service persists before it publishes). While live, run()
PINGs every `ping_interval`; hearing nothing for three intervals (DEBUG SLEEP, a half-open
socket) counts as dead. On any Redis or socket error: status "down: <reason>", wait with
exponential backoff and jitter (capped at `max_backoff`), start again. Redis itself drops a
subscriber that falls too far behind (client-output-buffer-limit pubsub): one more disconnect,
one more Resynced.

Redis exceptions never leave this module: publish() raises BrokerError from them, and run()
turns them into status and a retry. Channel names are prefixed (`prefix`, no spaces) so tests
and deployments can share a Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from odrchat.background import stop_if_cancelled
from odrchat.broker.address import DEFAULT_URL, RedisAddress, close_pool, exchange
from odrchat.broker.base import DEFAULT_QUEUE_SIZE, Broker, BrokerError, Message, Resynced

__all__ = ["DEFAULT_URL", "RedisBroker"]

logger = logging.getLogger(__name__)
_FIRST_BACKOFF: Final = 0.05
_MISSED_PINGS: Final = 3
BUS: Final = "bus"
# A bus frame: channel length, payload length, channel, payload; frames concatenated.
_FRAME: Final = struct.Struct("!HI")
_BUS_MESSAGE_MAX: Final = 512 * 1024  # bytes of frames per PUBLISH (one big payload goes alone)


def pack(items: Iterable[tuple[bytes, bytes]]) -> bytes:
    """Frame (channel, payload) pairs for one bus message."""
    parts: list[bytes] = []
    for channel, payload in items:
        parts.append(_FRAME.pack(len(channel), len(payload)))
        parts.append(channel)
        parts.append(payload)
    return b"".join(parts)


def unpack(message: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The (channel, payload) pairs of a bus message, in order; ValueError if it is malformed."""
    view, at, size = memoryview(message), 0, _FRAME.size
    while at < len(message):
        if at + size > len(message):
            raise ValueError("truncated bus frame")
        clen, plen = _FRAME.unpack_from(message, at)
        at += size
        end = at + clen + plen
        if end > len(message):
            raise ValueError("truncated bus frame")
        yield bytes(view[at : at + clen]), bytes(view[at + clen : end])
        at = end


@dataclass(slots=True, eq=False)
class _Outgoing:
    channel: str  # as named by the caller (no prefix)
    payload: bytes
    direct: bool  # on its own Redis channel, not the bus
    sent: asyncio.Future[None]  # resolved once its pipeline is answered (or failed)
    error: BrokerError | None = None


class RedisBroker(Broker):
    """Pub/sub through Redis; see the module docstring for the connection design."""

    def __init__(
        self,
        url: str | RedisAddress = DEFAULT_URL,
        *,
        prefix: str = "odrchat:",
        queue_size: int = DEFAULT_QUEUE_SIZE,
        timeout: float = 2.0,
        ping_interval: float = 1.0,
        max_backoff: float = 2.0,
        direct: Iterable[str] = (),
    ) -> None:
        super().__init__(queue_size=queue_size)
        self._direct = frozenset(direct)
        if BUS in self._direct:
            raise ValueError(f"{BUS!r} names the bus itself; it cannot be a direct channel")
        self._address = url if isinstance(url, RedisAddress) else RedisAddress(url)
        self._prefix = prefix
        self._timeout = timeout
        self._ping_interval = ping_interval
        self._max_backoff = max_backoff
        self._publisher_pool: ConnectionPool | None = None
        self._publisher: AbstractConnection | None = None
        self._listener_pool: ConnectionPool | None = None
        self._conn: AbstractConnection | None = None  # the listener's, once subscriptions are sent
        # Held while writing to or closing the listener connection. redis-py reconnects a closed
        # connection on the next send; the lock and the is_connected check stop that.
        self._write_lock = asyncio.Lock()
        self._outbox: list[_Outgoing] = []
        self._sender: asyncio.Future[None] | None = None  # sends the outbox while it has any
        self._confirmations: dict[str, asyncio.Event] = {}
        self._drop_reason: str | None = None
        self._stopping = asyncio.Event()

    @property
    def listener_name(self) -> str:
        """CLIENT SETNAME of the listener connection (the publisher's ends in "publisher")."""
        return f"{self._prefix}listener"

    async def connect(self) -> None:
        """Create both connection pools and probe Redis once; an outage only sets status."""
        common: dict[str, Any] = {
            "protocol": 2,  # pub/sub messages as plain arrays, no RESP3 push handling
            "socket_connect_timeout": self._timeout,
            "socket_timeout": self._timeout,
        }
        self._publisher_pool = self._address.held(
            connect_timeout=self._timeout,
            protocol=2,
            retry=Retry(NoBackoff(), 0),
            client_name=f"{self._prefix}publisher",
        )
        self._publisher = self._publisher_pool.make_connection()  # type: ignore[no-untyped-call]
        self._listener_pool = self._address.pool(
            retry=Retry(NoBackoff(), 0), client_name=self.listener_name, **common
        )
        try:
            await exchange(self._publisher, [("PING",)], self._timeout)
        except (RedisError, OSError) as exc:
            self._mark_down(str(exc))
            logger.warning("redis broker: %s unreachable at start (%s)", self._address, exc)

    async def run(self) -> None:
        """Listen, and reconnect with backoff after any trouble, until disconnect()."""
        if self._listener_pool is None:
            raise RuntimeError("RedisBroker.connect() must be awaited before run()")
        failures = 0
        while not self._stopping.is_set():
            stop_if_cancelled()
            try:
                await self._listen(self._listener_pool)
            except (RedisError, OSError) as exc:
                if self._stopping.is_set():
                    break
                if self._status == "ok":
                    failures = 0
                reason, self._drop_reason = self._drop_reason or str(exc), None
                self._mark_down(reason)
                delay = min(self._max_backoff, _FIRST_BACKOFF * 2**failures)
                delay *= random.uniform(0.5, 1.0)  # jitter: workers must not reconnect in step
                failures = min(failures + 1, 16)
                logger.warning("redis broker down (%s); reconnecting in %.2fs", reason, delay)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._stopping.wait()

    async def disconnect(self) -> None:
        """Close everything; run() returns and events() ends."""
        self._stopping.set()
        self._status = "down: disconnected"
        async with self._write_lock:
            if self._conn is not None:
                await self._conn.disconnect(nowait=True)  # wakes run() out of its read
        self._queue.close()
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        if self._publisher is not None:
            await self._publisher.disconnect()
            self._publisher = None
        if self._publisher_pool is not None:
            await close_pool(self._publisher_pool)
        if self._listener_pool is not None:
            await close_pool(self._listener_pool)

    async def subscribe(self, channel: str) -> None:
        """Subscribe. A bus channel is live at once: the bus subscription is live whenever the
        broker is, and while it is not, a Resynced follows the next connection. A direct channel
        returns once Redis confirms, or at once while not live (the same Resynced follows)."""
        if channel not in self._direct:
            self._channels.add(channel)
            return
        confirmed = self._confirmations.get(channel)
        if confirmed is None and channel not in self._channels:
            self._channels.add(channel)
            confirmed = self._confirmations[channel] = asyncio.Event()
            try:
                sent = await self._send("SUBSCRIBE", self._key(channel))
            except (RedisError, OSError) as exc:
                logger.warning("redis broker: SUBSCRIBE %s failed (%s)", channel, exc)
                sent = False  # the broken connection fails run()'s read: reconnect, Resynced
            if not sent:
                if self._confirmations.get(channel) is confirmed:
                    del self._confirmations[channel]
                return
        if confirmed is None:
            return
        try:
            async with asyncio.timeout(self._timeout):
                await confirmed.wait()
        except TimeoutError:
            await self._drop(f"SUBSCRIBE {channel} not confirmed within {self._timeout}s")

    async def unsubscribe(self, channel: str) -> None:
        """Unsubscribe; delivery stops at once (queued messages for it are skipped)."""
        self._channels.discard(channel)
        if channel not in self._direct:
            return
        if (confirmed := self._confirmations.pop(channel, None)) is not None:
            confirmed.set()
        try:
            await self._send("UNSUBSCRIBE", self._key(channel))
        except (RedisError, OSError) as exc:
            # The next connection will not subscribe it, so there is nothing to undo.
            logger.warning("redis broker: UNSUBSCRIBE %s failed (%s)", channel, exc)

    async def publish(self, channel: str, payload: bytes) -> None:
        """Publish through the shared connection; BrokerError if Redis cannot take it.

        Publishes that arrive while a batch is in flight go out together in the next one. One
        sender task (started when the first publish finds none) sends the outbox, in arrival
        order, until nothing is left; each caller only waits for its own message's answer.
        (Waiting on a lock instead made every caller pass through it one loop turn at a time
        after each flush: hundreds of turns, 100-250 ms of ack latency at a few hundred
        messages a second; and a caller that flushed for the others had to hand over to them
        when its socket closed.)"""
        item = self._enqueue(channel, payload)
        if item is None:
            raise BrokerError("redis broker is not connected")
        try:
            await asyncio.shield(item.sent)
        finally:
            if not item.sent.done():  # cancelled while waiting: do not send it later
                with contextlib.suppress(ValueError):
                    self._outbox.remove(item)
        if item.error is not None:
            raise item.error

    def post(self, channel: str, payload: bytes) -> None:
        """Queue a publish for the sender task and return at once (nobody hears how it went)."""
        self._enqueue(channel, payload)

    def _enqueue(self, channel: str, payload: bytes) -> _Outgoing | None:
        """Queue one publish for the sender task (started if none runs); None if not connected."""
        publisher = self._publisher
        if publisher is None:
            return None
        item = _Outgoing(
            channel, payload, channel in self._direct, asyncio.get_running_loop().create_future()
        )
        self._outbox.append(item)
        if self._sender is None:
            self._sender = asyncio.ensure_future(self._send_all(publisher))
        return item

    async def _send_all(self, publisher: AbstractConnection) -> None:
        try:
            while self._outbox:
                batch, self._outbox = self._outbox, []
                await self._flush(publisher, batch)
        finally:
            self._sender = None
            for item in self._outbox:  # cancelled (shut down) with these still queued
                item.error = BrokerError("redis broker is shutting down")
                if not item.sent.done():
                    item.sent.set_result(None)
            self._outbox = []

    async def _flush(self, publisher: AbstractConnection, batch: list[_Outgoing]) -> None:
        reason, cause = "publish interrupted", None
        try:
            commands = [("PUBLISH", key, payload) for key, payload in self._commands(batch)]
            try:
                await exchange(publisher, commands, self._timeout)
            except RedisConnectionError:
                # Most likely the connection a Redis restart left behind: once more, afresh.
                await exchange(publisher, commands, self._timeout)
            reason = ""
        except (RedisError, OSError) as exc:
            reason, cause = f"redis publish failed: {exc}", exc
        finally:
            for item in batch:
                if reason:
                    item.error = BrokerError(reason)
                    item.error.__cause__ = cause
                if not item.sent.done():
                    item.sent.set_result(None)

    def _commands(self, batch: list[_Outgoing]) -> Iterator[tuple[str, bytes]]:
        """The PUBLISH commands (Redis channel, payload) for a batch, in the batch's order:
        each run of bus items framed into bus messages of at most _BUS_MESSAGE_MAX bytes."""
        bus = self._key(BUS)
        run: list[tuple[bytes, bytes]] = []
        size = 0
        for item in batch:
            if item.direct:
                if run:
                    yield bus, pack(run)
                    run, size = [], 0
                yield self._key(item.channel), item.payload
                continue
            frame = (item.channel.encode(), item.payload)
            grows = _FRAME.size + len(frame[0]) + len(frame[1])
            if run and size + grows > _BUS_MESSAGE_MAX:
                yield bus, pack(run)
                run, size = [], 0
            run.append(frame)
            size += grows
        if run:
            yield bus, pack(run)

    async def _listen(self, pool: ConnectionPool) -> None:
        # redis-py leaves these two unannotated.
        conn: AbstractConnection = pool.make_connection()  # type: ignore[no-untyped-call]
        try:
            await conn.connect()  # type: ignore[no-untyped-call]
            async with self._write_lock:
                if self._stopping.is_set():
                    return
                direct = sorted(self._channels & self._direct)
                channels = [self._key(BUS), *(self._key(name) for name in direct)]
                await conn.send_command("SUBSCRIBE", *channels, check_health=False)
                await conn.send_command("PING", check_health=False)
                self._conn = conn
            while not _is_pong(await conn.read_response(disconnect_on_error=False)):
                pass  # subscribe confirmations, and messages the coming Resynced covers
            self._status = "ok"
            logger.info("redis broker: listening on the bus and %d direct channels", len(direct))
            self._deliver(Resynced())
            await self._read(conn)
        finally:
            async with self._write_lock:
                self._conn = None
                for confirmed in self._confirmations.values():
                    confirmed.set()  # nobody waits on a dead connection; Resynced will follow
                self._confirmations.clear()
                await conn.disconnect(nowait=True)

    async def _read(self, conn: AbstractConnection) -> None:
        loop = asyncio.get_running_loop()
        heard = next_ping = loop.time()
        while not self._stopping.is_set():
            stop_if_cancelled()
            now = loop.time()
            if now - heard > self._ping_interval * _MISSED_PINGS:
                raise RedisTimeoutError(f"no reply from redis for {now - heard:.1f}s")
            if now >= next_ping:
                await self._send("PING")
                next_ping = now + self._ping_interval
            response = await conn.read_response(
                timeout=max(next_ping - loop.time(), 0.001), disconnect_on_error=False
            )
            if response is not None:
                heard = loop.time()
                self._handle(response)

    def _handle(self, response: Any) -> None:
        # RESP2 pub/sub replies: [kind, channel, payload-or-count]; PONGs have two items.
        if not isinstance(response, list) or len(response) != 3:
            return
        kind = response[0]
        if kind not in (b"message", b"subscribe"):
            return
        name = response[1].decode().removeprefix(self._prefix)
        if kind == b"message" and name == BUS:
            self._from_bus(response[2])
        elif kind == b"message":
            self._deliver(Message(name, response[2]))
        elif kind == b"subscribe" and (confirmed := self._confirmations.pop(name, None)):
            confirmed.set()

    def _from_bus(self, message: bytes) -> None:
        """Deliver the doorbells of a bus message that this worker subscribed to."""
        wanted = self._channels
        try:
            for channel_b, payload in unpack(message):
                channel = channel_b.decode()
                if channel in wanted:
                    self._deliver(Message(channel, payload))
        except (ValueError, UnicodeDecodeError) as exc:
            # Not ours (something else published on the bus): what it held is unknown, so the
            # consumer catches up from the database.
            logger.warning("redis broker: malformed bus message (%s); resyncing", exc)
            self._deliver(Resynced())

    async def _send(self, *args: str) -> bool:
        """Write on the live listener connection; False when there is none."""
        async with self._write_lock:
            conn = self._conn
            if conn is None or not conn.is_connected:
                return False
            await conn.send_command(*args, check_health=False)
            return True

    async def _drop(self, reason: str) -> None:
        """Close the live listener connection so run() reconnects and queues Resynced."""
        logger.warning("redis broker: dropping listener connection: %s", reason)
        async with self._write_lock:
            if self._conn is not None:
                self._drop_reason = reason
                await self._conn.disconnect(nowait=True)

    def _mark_down(self, reason: str) -> None:
        self._status = f"down: {reason}"

    def _key(self, channel: str) -> str:
        return self._prefix + channel


def _is_pong(response: Any) -> bool:
    return response == b"PONG" or (isinstance(response, list) and response[:1] == [b"pong"])
