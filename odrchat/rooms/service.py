"""Rooms: the one place where the access rule, the room log, presence and read markers meet.

The hub and the socket endpoint call this for everything that touches the database; it never
touches a socket. Access is decided by the pure rule in `rooms.access` from the caller's `Actor`
in the case, read from the worker's `Directory` of cases (dropped whenever the case changes),
then kept per subscription and re-checked whenever the case changes (see `Hub._reauthorise`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat import protocol, tracing
from odrchat.cases.kinds import CaseKind, is_court_filed
from odrchat.cases.queries import case_members, user_case_ids
from odrchat.cases.roles import Role, Side
from odrchat.cases.tables import Case
from odrchat.errors import Conflict
from odrchat.i18n import N_
from odrchat.metrics import Metrics
from odrchat.rooms import log
from odrchat.rooms.access import RoomKind, RoomRef, case_rooms, confidentiality
from odrchat.rooms.arrivals import Arrivals
from odrchat.rooms.directory import Directory, Person, RoomAccess, load_views
from odrchat.rooms.log import StoredEvent
from odrchat.rooms.presence import Presence
from odrchat.rooms.replays import Opened, Replays, Want
from odrchat.rooms.tables import MessageFlag, ReadMarker, Room
from odrchat.rooms.transcript import Heading
from odrchat.rooms.writer import RoomWriter
from odrchat.settings import SESSION_IDLE
from odrchat.store.db import Database
from odrchat.store.types import utcnow


def ref_of(room: Room) -> RoomRef:
    return RoomRef(RoomKind(room.kind), Side(room.side) if room.side else None)


READ_SLOTS = 16


class RoomService:
    def __init__(
        self,
        db: Database,
        presence: Presence,
        metrics: Metrics | None = None,
        tracer: tracing.Tracer | None = None,
        *,
        session_idle: timedelta = SESSION_IDLE,
    ) -> None:
        self.db = db
        self.presence = presence
        self.metrics = metrics or Metrics()
        self.tracer = tracer or tracing.Tracer()
        self.writer = RoomWriter(db, self.metrics)
        self.directory = Directory(db)
        # Socket reads (hello, access, snapshots, replays) queue here instead of all asking the
        # connection pool at once: a reconnect storm of thousands of sockets then drains in
        # order rather than timing out on the pool. Below the pool size, so writes always fit.
        self.read_slots = asyncio.Semaphore(READ_SLOTS)
        self.replays = Replays(db, self.read_slots, presence)
        self.arrivals = Arrivals(db, self.read_slots, self.directory, session_idle=session_idle)

    # -- rooms and access -------------------------------------------------------------------

    async def open_case_rooms(self, session: AsyncSession, case_id: int) -> list[Room]:
        """Create the joint, two private and the mediators' rooms of a case (idempotent)."""
        existing = {(r.kind, r.side): r for r in await self._rooms_of(session, case_id)}
        rooms = []
        for ref in case_rooms():
            key = (str(ref.kind), str(ref.side) if ref.side else None)
            room = existing.get(key)
            if room is None:
                room = Room(case_id=case_id, kind=key[0], side=key[1])
                session.add(room)
            rooms.append(room)
        await session.flush()
        return rooms

    async def _rooms_of(self, session: AsyncSession, case_id: int) -> list[Room]:
        rows = await session.exec(
            select(Room).where(col(Room.case_id) == case_id).order_by(col(Room.id))
        )
        return list(rows.all())

    async def joint_room_id(self, session: AsyncSession, case_id: int) -> int:
        rooms = await self.open_case_rooms(session, case_id)
        joint = next(r for r in rooms if r.kind == RoomKind.JOINT)
        assert joint.id is not None
        return joint.id

    async def access(self, user: Person, room_id: int) -> RoomAccess | None:
        """The user's access to one room, or None (unknown room and no access look the same).

        Every chat.send asks this: a cached view answers without waiting for a read slot, which
        replays may all hold during a reconnect storm; only a load takes one."""
        assert user.id is not None
        view = self.directory.cached_room(room_id)
        if view is None:
            async with self.read_slots:
                case_id = await self.directory.case_of_room(room_id)
                view = await self.directory.view(case_id) if case_id is not None else None
        if view is None:
            return None
        found = view.access(user.id, is_admin=user.is_admin, only=[room_id])
        return found[0] if found else None

    async def accessible_rooms(self, user: Person) -> list[tuple[RoomAccess, int]]:
        """Every room the user may read in every case of theirs, with each room's head."""
        assert user.id is not None
        async with self.read_slots, self.db.read() as s:
            case_ids = await user_case_ids(s, user.id)
            rows = await s.exec(
                select(col(Room.id), col(Room.head_seq)).where(col(Room.case_id).in_(case_ids))
            )
            heads = {room_id: head for room_id, head in rows.all() if room_id is not None}
        return await self.rooms_in(user, case_ids, heads)

    async def rooms_in(
        self, user: Person, case_ids: Sequence[int], heads: Mapping[int, int]
    ) -> list[tuple[RoomAccess, int]]:
        """The rooms the user may read in these cases (theirs, newest first), with the heads
        read for them (an arriving socket's hello: `rooms.arrivals`, whose read on PostgreSQL
        left these cases' views in the directory)."""
        assert user.id is not None
        views = await self.directory.views(list(case_ids))
        out: list[tuple[RoomAccess, int]] = []
        for case_id in case_ids:
            view = views.get(case_id)
            if view is None:
                continue
            for acc in view.access(user.id, is_admin=user.is_admin):
                out.append((acc, heads.get(acc.room_id, 0)))
        return out

    async def case_rooms(self, user: Person, case_id: int) -> list[tuple[RoomAccess, int]]:
        """The rooms of one case this user may read (none: unknown case or no access), with
        each room's head. Administrators read every room of every case, read-only."""
        assert user.id is not None
        async with self.read_slots:
            view = await self.directory.view(case_id)
            if view is None:
                return []
            found = view.access(user.id, is_admin=user.is_admin)
            heads = await self.heads([a.room_id for a in found]) if found else {}
        return [(a, heads.get(a.room_id, 0)) for a in found]

    async def open_rooms(
        self, subs: Sequence[tuple[RoomAccess, str | None, int | None]], user_id: int
    ) -> list[tuple[str, Opened]]:
        """Subscriptions' starts: for each (access, frame id, after), the room.snapshot frame and
        where its events begin, read in a batch with every other subscription opening now (see
        rooms.replays): a socket that subscribes to its rooms together costs one read of the
        database and one of presence, not one of each per room."""
        for acc, _re_id, _after in subs:
            if acc.actor.role == Role.ADMIN:
                from odrchat.audit import record

                # Every administrator view of a transcript is on the record.
                async with self.db.session() as s:
                    await record(
                        s,
                        user_id,
                        "room.view",
                        acc.case_id,
                        {"room": acc.room_id, "kind": str(acc.ref.kind)},
                    )
        opened = await self.replays.open_many(
            [Want(acc.room_id, user_id, after) for acc, _re_id, after in subs]
        )
        out: list[tuple[str, Opened]] = []
        for (acc, re_id, _after), found in zip(subs, opened, strict=True):
            if found is None:  # the room went away (a purged case) between access and here
                found = Opened(0, 0, 0, 0, [], False)
            view = self.directory.cached(acc.case_id)
            if view is None:
                async with self.read_slots:
                    view = await self.directory.view(acc.case_id)
            seen = view.audience(acc.ref) if view is not None else []
            now = utcnow()
            frame = protocol.snapshot(
                re_id=re_id,
                room=acc.room_id,
                case_id=acc.case_id,
                kind=str(acc.ref.kind),
                side=str(acc.ref.side) if acc.ref.side else None,
                title=acc.title,
                confidentiality=confidentiality(acc.ref),
                audience=seen,
                presence=list(found.online),
                head=found.head,
                read=found.read,
                unread=found.unread,
                writable=acc.may_write(now),
                control=acc.control_info(now),
            )
            out.append((frame, found))
        return out

    # -- the log ----------------------------------------------------------------------------

    async def send_chat(
        self, acc: RoomAccess, user: Person, client_id: str, text: str
    ) -> tuple[StoredEvent, bool]:
        """Store a chat message (or find the one already stored under this client id).

        A client id names one message per sender and room: a resend with the same text is
        that message (a duplicate); the same id with other text is refused (Conflict
        `client_id_reused`) rather than acknowledged as if it had been stored."""
        assert user.id is not None
        body = {
            "msg_id": client_id,
            "text": text,
            "sender": {
                "id": user.id,
                "name": user.display_name,
                "role": str(acc.actor.role),
                "side": str(acc.actor.side) if acc.actor.side else None,
            },
        }
        self.tracer.start()  # ACK_TRACE_MS: stages are marked on it down to the doorbell
        with self.metrics.ack_seconds.time():
            event, duplicate = await self.writer.append(
                acc.room_id,
                "chat.message",
                body,
                confidentiality=confidentiality(acc.ref),
                sender_id=user.id,
                client_id=client_id,
            )
        tracing.mark("acked")
        if duplicate:  # a duplicate is not published: its trace ends here
            tracing.finish()
            if event.body.get("text") != text:
                raise Conflict(
                    N_("This message id was already used for a different message."),
                    code="client_id_reused",
                )
        return event, duplicate

    async def append_event(
        self,
        session: AsyncSession,
        room_id: int,
        type_: str,
        body: dict[str, Any],
        *,
        sender_id: int | None = None,
    ) -> StoredEvent:
        """Store a case/offer/agreement event in a room inside the caller's transaction."""
        room = await session.get(Room, room_id)
        assert room is not None
        return await log.append(
            session,
            room_id,
            type_,
            body,
            confidentiality=confidentiality(ref_of(room)),
            at=utcnow(),
            sender_id=sender_id,
        )

    async def events_after(
        self, room_id: int, after: int, limit: int, upto: int | None = None
    ) -> list[StoredEvent]:
        async with self.read_slots, self.db.read() as s:
            return await log.events_after(s, room_id, after, limit, upto)

    async def events_before(self, room_id: int, before: int, limit: int) -> list[StoredEvent]:
        async with self.db.read() as s:
            return await log.events_before(s, room_id, before, limit)

    async def heads(self, room_ids: Sequence[int]) -> dict[int, int]:
        async with self.db.read() as s:
            return await log.heads(s, room_ids)

    async def mark_read(self, room_id: int, user_id: int, seq: int) -> int:
        """Move a read marker forward (never back, never past the head); returns it."""
        async with self.db.session() as s:
            room = await s.get(Room, room_id)
            assert room is not None
            seq = min(seq, room.head_seq)
            marker = await s.get(ReadMarker, (room_id, user_id))
            if marker is None:
                marker = ReadMarker(room_id=room_id, user_id=user_id, seq=seq)
            elif seq > marker.seq:
                marker.seq = seq
                marker.updated_at = utcnow()
            s.add(marker)
            return marker.seq

    async def flag(self, acc: RoomAccess, user_id: int, seq: int, reason: str) -> bool:
        """Record a mediator's flag on a message for the administrator."""
        from odrchat.audit import record

        async with self.db.session() as s:
            room = await s.get(Room, acc.room_id)
            if room is None or not 1 <= seq <= room.head_seq:
                return False
            s.add(MessageFlag(room_id=acc.room_id, seq=seq, flagged_by=user_id, reason=reason))
            await record(s, user_id, "message.flag", acc.case_id, {"room": acc.room_id, "seq": seq})
        return True

    async def transcript(
        self, user: Person, case_id: int
    ) -> list[tuple[RoomAccess, list[dict[str, Any]], list[StoredEvent]]]:
        """Every room of the case this user may read, with its audience and full log."""
        assert user.id is not None
        out = []
        async with self.db.session() as s:
            # Read afresh inside the export's own transaction, not from the directory's cache.
            view = (await load_views(await s.connection(), [case_id])).get(case_id)
            if view is None:
                return []
            found = view.access(user.id, is_admin=user.is_admin)
            if not found:
                return []
            if found[0].actor.role == Role.ADMIN:
                from odrchat.audit import record

                await record(
                    s, user.id, "transcript.export", case_id, {"rooms": [a.room_id for a in found]}
                )
            for acc in found:
                events: list[StoredEvent] = []
                after = 0
                while True:
                    page = await log.events_after(s, acc.room_id, after, 1000)
                    events.extend(page)
                    if len(page) < 1000:
                        break
                    after = page[-1].seq
                out.append((acc, view.audience(acc.ref), _without_hidden(acc, events)))
        return out

    async def transcript_heading(self, case_id: int) -> Heading:
        """What a printed transcript's caption names (ask only after `transcript` allowed it)."""
        async with self.db.read() as s:
            case = await s.get(Case, case_id)
            if case is None:
                return Heading(case_id)
            names = {
                part.side: user.display_name
                for part, user in await case_members(s, case_id)
                if part.role == Role.PARTY and part.side
            }
        if not is_court_filed(CaseKind(case.kind)):
            return Heading(case_id)
        first, second = names.get(Side.PLAINTIFF), names.get(Side.DEFENDANT)
        short = f"{_surname(first)} v. {_surname(second)}" if first and second else None
        return Heading(case_id, case.court_name, case.court_case_number, short)

    async def member_ids(self, case_id: int) -> list[int]:
        """Users actively taking part in a case."""
        async with self.db.read() as s:
            return [u.id for _, u in await case_members(s, case_id) if u.id is not None]

    async def flags(self, limit: int = 200) -> list[dict[str, Any]]:
        """Messages mediators flagged for the administrator, newest first."""
        async with self.db.read() as s:
            rows = (
                await s.exec(
                    select(MessageFlag, Room)
                    .join(Room, col(Room.id) == col(MessageFlag.room_id))
                    .order_by(col(MessageFlag.id).desc())
                    .limit(limit)
                )
            ).all()
            return [
                {
                    "id": f.id,
                    "case_id": r.case_id,
                    "room": f.room_id,
                    "seq": f.seq,
                    "flagged_by": f.flagged_by,
                    "reason": f.reason,
                    "at": f.at.isoformat(),
                }
                for f, r in rows
            ]

    async def case_rooms_access(
        self, user: Person, case_id: int, room_ids: Sequence[int]
    ) -> dict[int, tuple[RoomAccess, list[dict[str, Any]]]]:
        """Current access and audience for the given rooms of one case (lost rooms are absent).

        Called after the hub has dropped the case from the directory, so the first socket to
        ask reads the case afresh and the others share that read."""
        assert user.id is not None
        async with self.read_slots:
            view = await self.directory.view(case_id)
        if view is None:
            return {}
        return {
            a.room_id: (a, view.audience(a.ref))
            for a in view.access(user.id, is_admin=user.is_admin, only=room_ids)
        }


def _without_hidden(acc: RoomAccess, events: list[StoredEvent]) -> list[StoredEvent]:
    """A transcript omits the messages the mediator hid; only an administrator's export keeps
    them, marked `hidden`."""
    if not acc.control.hidden:
        return events
    keep_marked = acc.actor.role == Role.ADMIN
    out = []
    for ev in events:
        if not acc.is_hidden(ev.seq):
            out.append(ev)
        elif keep_marked:
            out.append(dataclasses.replace(ev, body={**ev.body, "hidden": True}))
    return out


def _surname(name: str) -> str:
    """The last word of a display name, as a clerk indexes a case ("Perez v. Diaz")."""
    words = name.split()
    return words[-1] if words else name
