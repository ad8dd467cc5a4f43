"""One client socket: a reader that turns frames into actions and a writer that sends in order.

The reader authorises every frame against the subscription's cached access (re-checked whenever
the case changes) and calls the room service; it never writes to the socket itself. Everything
outgoing goes through one bounded queue drained by the writer, which is the only place that
knows what this client has already seen (`Sub.last`), so resume, gap filling and de-duplication
all happen in one spot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from starlette.websockets import WebSocket, WebSocketDisconnect

from odrchat import protocol as p
from odrchat.cases.roles import Role
from odrchat.control.texts import refusal
from odrchat.errors import Conflict
from odrchat.rooms.bucket import TokenBucket
from odrchat.rooms.directory import RoomAccess, Viewer
from odrchat.rooms.limits import Limit, SocketLimits, Verdict
from odrchat.rooms.log import StoredEvent
from odrchat.rooms.sendqueue import (
    Close,
    Event,
    Item,
    Live,
    Outbox,
    Reauth,
    Replay,
    RoomsChanged,
    Send,
    Sync,
)
from odrchat.store.types import utcnow

if TYPE_CHECKING:
    from odrchat.rooms.hub import Hub

log = logging.getLogger("odrchat.rooms")

SEND_QUEUE = 1000
BAD_FRAMES_ALLOWED = 20
BAD_FRAME_WINDOW = 60.0
# How long a close frame may wait behind unread data (a slow reader that starts reading again
# within this time still sees its close code; after it the socket is abandoned).
CLOSE_WAIT = 10.0
LOST_ACCESS = "You no longer have access to this room."


def _block(access: RoomAccess) -> str | None:
    """`error.block` for a refused write: the mediator's control that stops it, if any."""
    return access.block if access.block in p.BLOCKS else None


@dataclass(slots=True)
class Sub:
    access: RoomAccess
    last: int = 0
    mode: str = "pending"  # pending (replay queued) | live | paging (client must page on)


class _Stop(Exception):
    pass


@dataclass(eq=False, slots=True)
class Connection:
    ws: WebSocket
    user: Viewer
    hub: Hub
    ip: str
    user_bucket: TokenBucket
    session_id: int = 0  # the login session whose cookie opened this socket
    subs: dict[int, Sub] = field(default_factory=dict)
    outbox: Outbox = field(default_factory=lambda: Outbox(SEND_QUEUE))
    close_code: int | None = None
    dead: bool = False
    limits: SocketLimits | None = None  # made on the first rate-limited frame
    bad_frames: list[float] = field(default_factory=list)
    writer_task: asyncio.Future[None] | None = None
    reader_task: asyncio.Task[Any] | None = None
    abandoned: bool = False

    @property
    def user_id(self) -> int:
        return self.user.id

    # -- called by the hub (never blocks) -----------------------------------------------------

    def offer(self, item: Item) -> None:
        if self.dead:
            return
        if not self.outbox.put(item):
            log.warning("slow reader user=%s: send queue full, closing", self.user_id)
            self.kill(p.CLOSE_SLOW)

    def finish(self, code: int) -> None:
        """Close with `code` after what is queued, so a misbehaving client reads why (the
        errors that led here) before the close; at once if the queue is full."""
        if self.dead:
            return
        if not self.outbox.put(Close(code)):
            self.kill(code)
            return
        self.close_code = code
        self.dead = True  # the reader stops; hub items are no longer taken

    def kill(self, code: int) -> None:
        """Close this socket soon with `code` (slow reader, revoked session, shutdown)."""
        if self.close_code is None:
            self.close_code = code
        self.dead = True
        if self.writer_task is not None:
            self.writer_task.cancel()

    # -- lifecycle ------------------------------------------------------------------------------

    async def run(self, hello: str) -> None:
        """Read in this task and write in a child task until the client goes away.

        The reader stays in the endpoint's own task and nothing awaits after the client has
        gone: cleanup is synchronous (the hub defers its broker and presence chores to its own
        loop), so a server that is shutting down never waits on a departed client.
        """
        self.reader_task = asyncio.current_task()
        try:
            # First, ahead of anything the hub queued while hello was being read (rooms.changed),
            # and in the same turn as the handshake's answer (they leave in one send).
            await self.ws.send_text(hello)
            del hello  # this frame would otherwise live as long as the socket
            self.writer_task = asyncio.ensure_future(self._writer())
            await self._reader()
        except (_Stop, WebSocketDisconnect):
            pass
        except asyncio.CancelledError:
            # Only the writer's abandon() is ours to absorb; any other cancellation goes on.
            if not self.abandoned or self.reader_task is None or self.reader_task.uncancel():
                raise
        finally:
            self.dead = True
            if self.writer_task is not None:
                self.writer_task.cancel()
            self.hub.release(self)

    # -- reader -------------------------------------------------------------------------------

    async def _reader(self) -> None:
        while not self.dead:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                raise _Stop
            raw = message.get("text")
            if raw is None:
                raw = message.get("bytes")
            try:
                frame = p.parse(raw)
                await self._handle(frame)
            except p.FrameError as exc:
                self._reply(
                    p.error(
                        exc.code, exc.message, re_id=exc.re_id, fields=exc.fields, block=exc.block
                    )
                )
                if exc.code in ("bad_json", "bad_frame", "unknown_type", "too_long"):
                    self._count_bad_frame()
        # Killed while the client is still there: let the writer send the close frame.
        if self.writer_task is not None:
            await asyncio.wait([self.writer_task], timeout=3)

    def _count_bad_frame(self) -> None:
        now = time.monotonic()
        self.bad_frames = [t for t in self.bad_frames if now - t < BAD_FRAME_WINDOW]
        self.bad_frames.append(now)
        if len(self.bad_frames) > BAD_FRAMES_ALLOWED:
            self.finish(p.CLOSE_BAD_CLIENT)

    def _reply(self, text: str) -> None:
        self.offer(Send(text))

    def _limits(self) -> SocketLimits:
        if self.limits is None:
            self.limits = SocketLimits()
        return self.limits

    def _over(self, limit: Limit, wait: float, re_id: str | None) -> bool:
        """Refuse a frame `wait` seconds too early, once per wait (docs/protocol.md); False
        if the frame may go ahead (`wait` is 0)."""
        if not wait:
            return False
        verdict = self._limits().refuse(limit, wait)
        if verdict is Verdict.ANSWER:
            self._reply(
                p.error(
                    "rate_limited",
                    "You are sending too fast.",
                    re_id=re_id,
                    retry_after_ms=int(wait * 1000) + 1,
                )
            )
        elif verdict is Verdict.CLOSE:
            log.warning("flooding client user=%s: closing", self.user_id)
            self.finish(p.CLOSE_BAD_CLIENT)
        return True

    async def _handle(self, frame: p.ClientFrame) -> None:
        match frame:
            case p.Subscribe():
                await self._subscribe(frame)
            case p.Unsubscribe():
                # Answered alike whether or not the room was subscribed, or may be read.
                self.subs.pop(frame.room, None)
                self.hub.leave(self, frame.room)
                self._reply(p.unsubscribed(frame.id, frame.room))
            case p.SendChat():
                await self._send_chat(frame)
            case p.History():
                sub = self._subscribed(frame.room, frame.id)
                limit = self._limits().history
                if self._over(limit, limit.bucket.take(), frame.id):
                    return
                events = await self.hub.rooms.events_before(
                    sub.access.room_id, frame.before, frame.limit + 1
                )
                more = len(events) > frame.limit
                events = events[-frame.limit :] if more else events
                self._reply(p.history(frame.id, frame.room, events, more, self._shown(sub)))
            case p.Typing():
                sub = self._subscribed(frame.room, frame.id)
                if not sub.access.may_write(utcnow()):
                    raise p.FrameError(
                        "forbidden",
                        "You cannot write in this room.",
                        re_id=frame.id,
                        block=_block(sub.access),
                    )
                limit = self._limits().typing
                if self._over(limit, limit.bucket.take(), frame.id):
                    return
                await self.hub.typing(frame.room, self.user_id, frame.on)
            case p.MarkRead():
                self._subscribed(frame.room, frame.id)
                seq = await self.hub.rooms.mark_read(frame.room, self.user_id, frame.seq)
                await self.hub.ephemeral(frame.room, p.read(frame.room, self.user_id, seq))
            case p.Flag():
                sub = self._subscribed(frame.room, frame.id)
                if sub.access.actor.role not in (Role.MEDIATOR, Role.CO_MEDIATOR):
                    raise p.FrameError(
                        "forbidden", "Only the mediator can flag a message.", re_id=frame.id
                    )
                if not await self.hub.rooms.flag(sub.access, self.user_id, frame.seq, frame.reason):
                    raise p.FrameError(
                        "bad_frame",
                        "No such message.",
                        re_id=frame.id,
                        fields={"seq": "is not in this room"},
                    )
                self._reply(p.flagged(frame.id, frame.room, frame.seq))

    def _subscribed(self, room: int, re_id: str | None) -> Sub:
        sub = self.subs.get(room)
        if sub is None:
            raise p.FrameError("not_subscribed", "Subscribe to the room first.", re_id=re_id)
        return sub

    async def _subscribe(self, frame: p.Subscribe) -> None:
        acc = await self.hub.rooms.access(self.user, frame.room)
        if acc is None:
            raise p.FrameError("not_found", "No such room.", re_id=frame.id)
        self.subs[frame.room] = Sub(acc)
        await self.hub.join(self, frame.room, acc.case_id)
        self.offer(Replay(frame))

    async def _send_chat(self, frame: p.SendChat) -> None:
        # Read from the worker's directory every time, not the subscription's copy: a pause,
        # mute or removal drops the case's view on every worker the moment it is heard, so a
        # message sent after that is refused even before this socket's own re-check has run.
        acc = await self.hub.rooms.access(self.user, frame.room)
        if acc is None:
            raise p.FrameError("not_found", "No such room.", re_id=frame.id)
        if not acc.may_write(utcnow()):
            raise p.FrameError("forbidden", refusal(acc.block), re_id=frame.id, block=_block(acc))
        limit = self._limits().chat
        if self._over(limit, max(limit.bucket.take(), self.user_bucket.take()), frame.id):
            return
        try:
            event, duplicate = await self.hub.rooms.send_chat(acc, self.user, frame.id, frame.text)
        except Conflict as exc:  # the client id names another message
            self._reply(p.error(exc.detail_code, exc.message, re_id=frame.id))
            return
        except (DBAPIError, SQLAlchemyError, OSError):
            log.exception("could not store a message")
            self._reply(
                p.error(
                    "unavailable",
                    "The message could not be stored. Try again.",
                    re_id=frame.id,
                    retryable=True,
                )
            )
            return
        self._reply(p.ack(frame.id, frame.room, event.seq, event.at, duplicate))
        if not duplicate:
            await self.hub.publish(event)

    # -- writer -------------------------------------------------------------------------------

    async def _writer(self) -> None:
        try:
            await self._write_loop()
        except asyncio.CancelledError:
            if self.close_code is not None and not await self._close_socket(self.close_code):
                self._abandon()
        except (WebSocketDisconnect, OSError, RuntimeError):
            self.dead = True  # the client is gone; the reader sees the disconnect
        except Exception:  # supervision boundary: a socket must never stay open but deaf
            # A database error while replaying or filling a gap (e.g. the pool timing out in
            # a reconnect storm) used to end this task silently: the client stayed connected
            # and was sent nothing ever again. Close instead, so it reconnects and resumes.
            log.exception("socket writer failed user=%s; closing the socket", self.user_id)
            self.dead = True
            if not await self._close_socket(p.CLOSE_SERVER_ERROR):
                self._abandon()

    async def _close_socket(self, code: int) -> bool:
        """Send the close frame; False if it could not be sent within CLOSE_WAIT."""
        try:
            async with asyncio.timeout(CLOSE_WAIT):
                await self.ws.close(code)
        except (TimeoutError, OSError, RuntimeError):
            return False
        return True

    def _abandon(self) -> None:
        """Stop waiting for a client that reads nothing (so no close frame reaches it) and
        sends nothing (so the reader would wait for ever): the endpoint returns, the hub
        forgets the socket, and the server closes the connection after its unread data."""
        self.abandoned = True
        if self.reader_task is not None and not self.reader_task.done():
            self.reader_task.cancel()

    async def _write_loop(self) -> None:
        while True:
            match await self.outbox.get():
                case Send(text):
                    await self.ws.send_text(text)
                case Event(room, seq, text):
                    await self._event(room, seq, text)
                case Live(room, text):
                    sub = self.subs.get(room)
                    # Not before the room's snapshot (which holds presence as it is then),
                    # nor after an unsubscribe.
                    if sub is not None and sub.mode != "pending":
                        await self.ws.send_text(text)
                case Sync(room, head):
                    sub = self.subs.get(room)
                    if sub is not None and sub.mode == "live" and sub.last < head:
                        await self._fill(room, sub, head)
                case Replay(frame):
                    # A client subscribes to its rooms back to back: one turn of the loop lets
                    # the reader queue the subscriptions already received, so they are opened
                    # in one batch and answered in one send.
                    await asyncio.sleep(0)
                    more = self.outbox.take_replays()
                    await self._replay([frame, *(r.frame for r in more)])
                case Reauth(case_id, quiet):
                    await self._reauth(case_id, quiet=quiet)
                case RoomsChanged():
                    rooms = await self.hub.rooms.accessible_rooms(self.user)
                    await self.ws.send_text(p.rooms_changed([a.describe(h) for a, h in rooms]))
                case Close(code):
                    if not await self._close_socket(code):
                        self._abandon()
                    return

    async def _event(self, room_id: int, seq: int, text: str) -> None:
        sub = self.subs.get(room_id)
        if sub is None or sub.mode != "live" or seq <= sub.last:
            return  # not watching, replay pending (the replay covers it), or seen already
        if seq > sub.last + 1:
            await self._fill(room_id, sub, seq - 1)
            if seq <= sub.last:
                return
        await self.ws.send_text(text)
        sub.last = seq

    async def _fill(self, room_id: int, sub: Sub, upto: int) -> None:
        """Send the stored events between what the client has and `upto`, in order."""
        while sub.last < upto:
            events = await self.hub.rooms.events_after(room_id, sub.last, p.RESUME_PAGE, upto)
            if not events:
                return
            await self._send_events(sub, events)

    async def _send_events(self, sub: Sub, events: list[StoredEvent]) -> None:
        shown = self._shown(sub)
        for ev in events:
            if ev.seq > sub.last:
                await self.ws.send_text(p.event(ev, shown(ev)))
                sub.last = ev.seq

    @staticmethod
    def _shown(sub: Sub) -> Callable[[p.Stored], str | None]:
        """How this subscriber is sent each stored event: a message the mediator hid reaches
        mediators and administrators marked, everyone else without its text."""
        acc = sub.access
        if not acc.control.hidden:
            return lambda ev: None
        how = "mark" if acc.sees_hidden() else "omit"
        return lambda ev: how if acc.is_hidden(ev.seq) else None

    async def _replay(self, frames: list[p.Subscribe]) -> None:
        """Answer subscriptions in order: each room's snapshot, the events the client lacks,
        then room.synced (or room.behind). Read together: one batch for all of them."""
        wanted = [(f, sub) for f in frames if (sub := self.subs.get(f.room)) is not None]
        if not wanted:
            return  # unsubscribed meanwhile
        opened = await self.hub.rooms.open_rooms(
            [(sub.access, f.id, f.after) for f, sub in wanted], self.user_id
        )
        for (frame, sub), (snapshot, found) in zip(wanted, opened, strict=True):
            if self.subs.get(frame.room) is not sub:
                continue  # unsubscribed (or subscribed afresh) while the batch was read
            await self.ws.send_text(snapshot)
            if frame.after is not None and frame.after > found.head:
                await self.ws.send_text(
                    p.error(
                        "bad_frame",
                        "after is beyond the room's last event.",
                        re_id=frame.id,
                        fields={"after": f"must be at most {found.head}"},
                    )
                )
            sub.last = found.start
            await self._send_events(sub, found.events)
            if found.more:
                sub.mode = "paging"
                # The room's head, not the page's end (an event read past the snapshot counts).
                await self.ws.send_text(p.behind(frame.room, sub.last, found.head))
                continue
            sub.mode = "live"
            await self.ws.send_text(p.synced(frame.room, sub.last))

    async def _reauth(self, case_id: int, *, quiet: bool = False) -> None:
        """Re-check this socket's rooms of a case; `quiet`: say only what changed."""
        mine = [r for r, s in self.subs.items() if s.access.case_id == case_id]
        if not mine:
            return
        fresh = await self.hub.rooms.case_rooms_access(self.user, case_id, mine)
        for room_id in mine:
            sub = self.subs.get(room_id)
            if sub is None:
                continue
            found = fresh.get(room_id)
            if found is None:
                del self.subs[room_id]
                self.hub.leave(self, room_id)
                await self.ws.send_text(p.closed(room_id, LOST_ACCESS))
            else:
                acc, seen = found
                if quiet and acc == sub.access:
                    continue
                sub.access = acc
                now = utcnow()
                await self.ws.send_text(
                    p.updated(room_id, acc.may_write(now), seen, acc.control_info(now))
                )
