"""The worker's switchboard: which local sockets watch which rooms, fed by the broker.

Delivery rules (the database is the truth, the broker is a doorbell):
- An event is stored first, then handed to local subscribers at once, then published so other
  workers hear it. Each socket's writer sends a room's events strictly in seq order; an event
  that arrives ahead of a gap makes the writer fetch the gap from the database first.
- A worker that may have missed doorbells (broker reconnect, queue overflow: `Resynced`) or a
  lost last message (no later event to reveal the gap) is caught by `check_heads`, which compares
  the database heads of every locally watched room with what was delivered; it runs after every
  Resynced and every HEAD_CHECK_EVERY seconds (the periodic check acts on a head only when the
  check before it read it too, so an event on its way is not fetched twice).
- Hub methods never await a socket: each socket has a bounded queue, and a socket whose queue is
  full is closed (4408) instead of slowing everybody else.
- Control messages on one channel tell every worker that a case changed (re-check every local
  subscription of that case now) or that sessions ended (close the sockets they opened, 4401).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any, Protocol

from odrchat import protocol as p
from odrchat import tracing
from odrchat.auth.revocation import Revoked
from odrchat.background import stop_if_cancelled
from odrchat.broker.base import Broker, BrokerError, Message, Resynced
from odrchat.rooms.bucket import TokenBucket
from odrchat.rooms.limits import CHAT_PER_USER, TypingGate
from odrchat.rooms.log import StoredEvent
from odrchat.rooms.sendqueue import ROOMS_CHANGED, Event, Item, Live, Reauth, Sync

if TYPE_CHECKING:
    from odrchat.rooms.service import RoomService

log = logging.getLogger("odrchat.rooms")

HEAD_CHECK_EVERY = 5.0
CONTROL = "control"
# How long the hub remembers ended sessions for sockets still arriving: far longer than an
# arriving socket's read of its session takes, even in a reconnect storm.
REVOKED_MEMORY = 60.0


class Watcher(Protocol):
    """What the hub needs of a live socket (`rooms.connection.Connection` is one). A protocol,
    so that the hub and the connection that calls it do not import each other."""

    @property
    def user_id(self) -> int: ...

    @property
    def ip(self) -> str: ...

    @property
    def session_id(self) -> int: ...

    def offer(self, item: Item) -> None:
        """Queue an item for the socket's writer (never blocks)."""
        ...

    def kill(self, code: int) -> None:
        """Close the socket soon with `code`."""
        ...


def room_channel(room_id: int) -> str:
    return f"room:{room_id}"


OUTSIDE_WORKER = b"command-line"  # 12 bytes like a worker id; no worker has it


async def ring_sessions_revoked(broker: Broker, revoked: Revoked) -> None:
    """Tell every worker that sessions ended, from outside any worker (`odrchat user disable`):
    each closes the sockets of those sessions, as after `Hub.sessions_revoked`."""
    await broker.publish(CONTROL, b"S|%s|%s" % (OUTSIDE_WORKER, revoked.encode()))


class Hub:
    def __init__(
        self, broker: Broker, rooms: RoomService, *, max_per_user: int = 10, max_per_ip: int = 200
    ) -> None:
        self.broker = broker
        self.rooms = rooms
        self.worker = uuid.uuid4().hex[:12]
        self._worker_b = self.worker.encode()
        self.max_per_user = max_per_user
        self.max_per_ip = max_per_ip
        self.watchers: dict[int, set[Watcher]] = {}
        self.rooms_of: dict[Watcher, set[int]] = {}
        self.room_case: dict[int, int] = {}
        self.delivered: dict[int, int] = {}  # room -> highest seq handed to local sockets
        self._heads_read: dict[int, int] = {}  # room -> head seq at the last head check
        self.by_user: dict[int, set[Watcher]] = {}
        self.per_ip: Counter[str] = Counter()
        self.members: Counter[tuple[int, int]] = Counter()  # (room, user) -> local sockets
        self._user_buckets: dict[int, TokenBucket] = {}
        self.typists = TypingGate()
        self._revoked: list[tuple[float, Revoked]] = []  # (applied at, monotonic), oldest first
        # Unbounded on purpose: one small tuple per departed socket, drained continuously.
        self._chores: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    def user_bucket(self, user_id: int) -> TokenBucket:
        """The per-user send budget on this worker, shared by all of that user's sockets."""
        bucket = self._user_buckets.get(user_id)
        if bucket is None:
            bucket = self._user_buckets[user_id] = TokenBucket(*CHAT_PER_USER)
        return bucket

    # -- sockets ------------------------------------------------------------------------------

    def admit(self, conn: Watcher) -> bool:
        """Count a new socket against the per-user and per-address caps."""
        if len(self.by_user.get(conn.user_id, ())) >= self.max_per_user:
            return False
        if self.per_ip[conn.ip] >= self.max_per_ip:
            return False
        self.by_user.setdefault(conn.user_id, set()).add(conn)
        self.per_ip[conn.ip] += 1
        return True

    def release(self, conn: Watcher) -> None:
        """Forget a socket that closed (synchronous: the client is gone, nothing to wait for)."""
        for room_id in list(self.watching(conn)):
            self.leave(conn, room_id)
        users = self.by_user.get(conn.user_id)
        if users is not None and conn in users:
            users.discard(conn)
            if not users:
                del self.by_user[conn.user_id]
                self._user_buckets.pop(conn.user_id, None)
            self.per_ip[conn.ip] -= 1
            if self.per_ip[conn.ip] <= 0:
                del self.per_ip[conn.ip]

    def watching(self, conn: Watcher) -> list[int]:
        """The rooms this socket watches (kept per socket: a close never scans every room)."""
        return list(self.rooms_of.get(conn, ()))

    async def join(self, conn: Watcher, room_id: int, case_id: int) -> None:
        watchers = self.watchers.get(room_id)
        if watchers is None:
            watchers = self.watchers[room_id] = set()
            self.room_case[room_id] = case_id
            await self.broker.subscribe(room_channel(room_id))
        if conn in watchers:
            return
        watchers.add(conn)
        self.rooms_of.setdefault(conn, set()).add(room_id)
        key = (room_id, conn.user_id)
        self.members[key] += 1
        if self.members[key] == 1:
            await self.rooms.presence.add(room_id, conn.user_id)
            await self.ephemeral(room_id, p.presence(room_id, conn.user_id, True))

    def leave(self, conn: Watcher, room_id: int) -> None:
        """Stop delivering a room to a socket; broker and presence work is queued as a chore."""
        watchers = self.watchers.get(room_id)
        if watchers is None or conn not in watchers:
            return
        watchers.discard(conn)
        mine = self.rooms_of.get(conn)
        if mine is not None:
            mine.discard(room_id)
            if not mine:
                del self.rooms_of[conn]
        key = (room_id, conn.user_id)
        self.members[key] -= 1
        if self.members[key] <= 0:
            del self.members[key]
            self.typists.forget(key)
            self._chore(("offline", room_id, conn.user_id))
        if not watchers:
            del self.watchers[room_id]
            self.room_case.pop(room_id, None)
            self.delivered.pop(room_id, None)
            self._chore(("unsubscribe", room_id))

    def _chore(self, chore: tuple[Any, ...]) -> None:
        self._chores.put_nowait(chore)

    async def chores_loop(self) -> None:
        """Broker unsubscribes and presence updates left behind by departed sockets."""
        while True:
            stop_if_cancelled()
            chore = await self._chores.get()
            try:
                if chore[0] == "unsubscribe":
                    if chore[1] not in self.watchers:  # nobody re-joined meanwhile
                        await self.broker.unsubscribe(room_channel(chore[1]))
                elif chore[0] == "members":
                    # Members of a changed case may have gained rooms: tell their sockets here.
                    told = chore[2]
                    for user_id in await self.rooms.member_ids(chore[1]):
                        if user_id not in told:
                            for conn in list(self.by_user.get(user_id, ())):
                                conn.offer(ROOMS_CHANGED)
                elif chore[0] == "offline" and len(chore) == 3:
                    room_id, user_id = chore[1], chore[2]
                    if (room_id, user_id) not in self.members:
                        await self.rooms.presence.remove(room_id, user_id)
                        await self.ephemeral(room_id, p.presence(room_id, user_id, False))
                elif chore[0] == "typing":
                    await self.ephemeral(chore[1], p.typing(chore[1], chore[2], chore[3]))
            except Exception:  # supervision boundary: one failed chore must not stop the rest
                log.exception("hub chore %s failed", chore[0])

    # -- outgoing -----------------------------------------------------------------------------

    async def publish(self, event: StoredEvent) -> None:
        """Hand a stored event to local watchers now, then ring the other workers' doorbell."""
        text = p.event(event)
        self._deliver(event.room_id, event.seq, text)
        tracing.mark("local")
        await self._ring(
            room_channel(event.room_id),
            b"E|%s|%d|%d|" % (self._worker_b, event.room_id, event.seq) + text.encode(),
        )
        tracing.mark("published")
        tracing.finish()

    async def ephemeral(self, room_id: int, text: str) -> None:
        """Typing, presence, read markers: delivered live, never stored, never replayed. The
        doorbell is posted, not awaited: a socket subscribing to three rooms used to wait for
        three Redis round trips here before its first snapshot."""
        self._deliver(room_id, 0, text)
        self.broker.post(
            room_channel(room_id), b"E|%s|%d|0|" % (self._worker_b, room_id) + text.encode()
        )

    async def typing(self, room_id: int, user_id: int, on: bool) -> None:
        """Forward a typing change, at most one per user and room a second (limits.TypingGate)."""
        key = (room_id, user_id)
        now, later = self.typists.offer(key, on, time.monotonic())
        if now:
            await self.ephemeral(room_id, p.typing(room_id, user_id, on))
        elif later is not None:
            asyncio.get_running_loop().call_later(later, self._typing_held, key)

    def _typing_held(self, key: tuple[int, int]) -> None:
        on = self.typists.release(key, time.monotonic())
        if on is not None:
            self._chore(("typing", key[0], key[1], on))

    async def case_changed(self, case_id: int) -> None:
        """Every worker re-checks the access of its subscriptions in this case."""
        self._reauthorise(case_id)
        await self._ring(CONTROL, b"C|%s|%d" % (self._worker_b, case_id))

    async def sessions_revoked(self, revoked: Revoked) -> None:
        """Every worker closes the sockets of the sessions that ended (see auth.revocation)."""
        self._close_sessions(revoked)
        await self._ring(CONTROL, b"S|%s|%s" % (self._worker_b, revoked.encode()))

    async def _ring(self, channel: str, payload: bytes) -> None:
        try:
            await self.broker.publish(channel, payload)
        except BrokerError:
            # Stored already; other workers catch up through their head checks.
            log.warning(
                "broker publish failed on %s; peers will catch up from the database", channel
            )

    def _deliver(self, room_id: int, seq: int, text: str) -> None:
        watchers = self.watchers.get(room_id)
        if not watchers:
            return
        if seq:
            if seq > self.delivered.get(room_id, 0):
                self.delivered[room_id] = seq
            item: Item = Event(room_id, seq, text)
        else:
            item = Live(room_id, text)
        for conn in list(watchers):
            conn.offer(item)

    def _reauthorise(self, case_id: int) -> None:
        # What this worker knew of the case may be wrong now: read it afresh when next asked.
        self.rooms.directory.forget(case_id)
        rooms = [r for r, c in self.room_case.items() if c == case_id]
        seen: set[Watcher] = set()
        for room_id in rooms:
            for conn in self.watchers.get(room_id, ()):
                if conn not in seen:
                    seen.add(conn)
                    conn.offer(Reauth(case_id, False))
                    conn.offer(ROOMS_CHANGED)
        # Members who watch nothing of this case yet (just joined, just assigned) hear too.
        self._chore(("members", case_id, frozenset(c.user_id for c in seen)))

    def recheck_all(self) -> None:
        """After a broker gap a case change may have gone unheard: forget every case view and
        re-check every open subscription against a fresh read (one per case, shared). Only a
        subscription whose access changed hears about it (`room.updated` or `room.closed`)."""
        self.rooms.directory.forget_all()
        for conn, rooms in list(self.rooms_of.items()):
            for case_id in {self.room_case[r] for r in rooms if r in self.room_case}:
                conn.offer(Reauth(case_id, True))

    def ended_since(self, user_id: int, session_id: int, read_at: float) -> bool:
        """Whether this worker heard of the end of this session after `read_at` (monotonic),
        when an arriving socket's read of it began. Such a socket read the session as it was
        before, and was not here yet to be closed: it must not come in."""
        return any(
            at >= read_at and r.user_id == user_id and r.ends(session_id) for at, r in self._revoked
        )

    def _close_sessions(self, revoked: Revoked) -> None:
        now = time.monotonic()
        self._revoked = [(at, r) for at, r in self._revoked if now - at < REVOKED_MEMORY]
        self._revoked.append((now, revoked))
        for conn in list(self.by_user.get(revoked.user_id, ())):
            if revoked.ends(conn.session_id):
                conn.kill(p.CLOSE_UNAUTHENTICATED)

    # -- incoming -----------------------------------------------------------------------------

    async def listen(self) -> None:
        """Consume the broker (runs in the lifespan's task group for the app's lifetime)."""
        await self.broker.subscribe(CONTROL)
        async for event in self.broker.events():
            stop_if_cancelled()
            if isinstance(event, Resynced):
                self.recheck_all()
                await self.check_heads()
            elif isinstance(event, Message):
                self._on_message(event.payload)

    def _on_message(self, payload: bytes) -> None:
        kind, worker, rest = payload[:1], payload[2:14], payload[15:]
        if worker == self._worker_b:
            return  # our own doorbell: delivered locally already
        if kind == b"E":
            room_b, seq_b, text = rest.split(b"|", 2)
            self._deliver(int(room_b), int(seq_b), text.decode())
        elif kind == b"C":
            self._reauthorise(int(rest))
        elif kind == b"S":
            self._close_sessions(Revoked.decode(rest))
        elif kind == b"U":  # from a worker of the previous release: all of a user's sessions
            self._close_sessions(Revoked(int(rest)))

    async def check_heads(self, *, settled: bool = False) -> None:
        """Compare database heads with what was delivered; nudge sockets that are behind.

        `settled` (the periodic check): a head read now may be an event still on its way here
        (committed, its doorbell not yet rung or heard), and nudging for it sent every socket
        of the room to the database for what was about to arrive anyway, in every busy room at
        every check. So a room is nudged only when the head the previous check read is still
        not delivered: a lost last message is caught one period later. After a broker gap
        (not `settled`) every room behind is nudged at once."""
        room_ids = list(self.watchers)
        if not room_ids:
            return
        try:
            heads = await self.rooms.heads(room_ids)
        except Exception:  # supervision boundary: the next check retries
            log.exception("head check failed")
            return
        previous, self._heads_read = self._heads_read, heads
        for room_id, head in heads.items():
            delivered = self.delivered.get(room_id, 0)
            if head <= delivered or (settled and previous.get(room_id, 0) <= delivered):
                continue
            self.delivered[room_id] = head
            for conn in list(self.watchers.get(room_id, ())):
                conn.offer(Sync(room_id, head))

    async def head_check_loop(self) -> None:
        """Catch a lost last message even when no later event reveals the gap."""
        while True:
            stop_if_cancelled()
            await asyncio.sleep(HEAD_CHECK_EVERY)
            await self.check_heads(settled=True)

    async def presence_loop(self) -> None:
        """Keep this worker's presence entries alive (they expire if the worker dies)."""
        from odrchat.rooms.presence import REFRESH_EVERY

        while True:
            stop_if_cancelled()
            await asyncio.sleep(REFRESH_EVERY)
            try:
                await self.rooms.presence.refresh(list(self.members))
            except Exception:  # supervision boundary
                log.exception("presence refresh failed")

    def close_all(self, code: int) -> None:
        """Tell every socket to close (graceful shutdown: 1012, reconnect elsewhere)."""
        for conns in list(self.by_user.values()):
            for conn in list(conns):
                conn.kill(code)
