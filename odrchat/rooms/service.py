"""Rooms: the one place where the access rule, the room log, presence and read markers meet.

The hub and the socket endpoint call this for everything that touches the database; it never
touches a socket. Access is decided by the pure rule in `rooms.access` from the caller's `Actor`
in the case (`cases.queries.actor_for`), then cached per subscription and re-checked whenever
the case changes (see `Hub.reauthorise`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.cases.machine import CaseStatus
from odrchat.cases.queries import actor_for, actor_of, case_members, user_case_ids
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case
from odrchat.rooms import log
from odrchat.rooms.access import (
    RoomKind,
    RoomRef,
    audience,
    can_read,
    can_write,
    case_rooms,
    confidentiality,
    room_title,
)
from odrchat.rooms.log import StoredEvent
from odrchat.rooms.presence import Presence
from odrchat.rooms.tables import MessageFlag, ReadMarker, Room, RoomEvent
from odrchat.rooms.writer import RoomWriter
from odrchat.store.db import Database
from odrchat.store.types import utcnow


@dataclass(frozen=True, slots=True)
class RoomAccess:
    """What one user may do in one room, decided by the pure rule at one moment."""

    room_id: int
    case_id: int
    ref: RoomRef
    actor: Actor
    writable: bool
    title: str

    def describe(self, head: int) -> dict[str, Any]:
        return {
            "room": self.room_id,
            "case_id": self.case_id,
            "kind": str(self.ref.kind),
            "side": str(self.ref.side) if self.ref.side else None,
            "title": self.title,
            "head": head,
            "writable": self.writable,
        }


def ref_of(room: Room) -> RoomRef:
    return RoomRef(RoomKind(room.kind), Side(room.side) if room.side else None)


READ_SLOTS = 16


class RoomService:
    def __init__(self, db: Database, presence: Presence) -> None:
        self.db = db
        self.presence = presence
        self.writer = RoomWriter(db)
        # Socket reads (hello, access, snapshots, replays) queue here instead of all asking the
        # connection pool at once: a reconnect storm of thousands of sockets then drains in
        # order rather than timing out on the pool. Below the pool size, so writes always fit.
        self.read_slots = asyncio.Semaphore(READ_SLOTS)

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

    async def _access(
        self, session: AsyncSession, user: User, case: Case, rooms: Sequence[Room]
    ) -> list[RoomAccess]:
        assert case.id is not None
        actor = await actor_for(session, case.id, user)
        if actor is None:
            return []
        names = await self._party_names(session, case.id)
        is_open = case.status == CaseStatus.IN_MEDIATION
        found = []
        for room in rooms:
            ref = ref_of(room)
            if can_read(actor, ref):
                assert room.id is not None
                found.append(
                    RoomAccess(
                        room.id,
                        case.id,
                        ref,
                        actor,
                        can_write(actor, ref, case_open=is_open),
                        room_title(ref, names),
                    )
                )
        return found

    async def _party_names(self, session: AsyncSession, case_id: int) -> dict[Side, str]:
        names: dict[Side, str] = {}
        for part, user in await case_members(session, case_id):
            if part.role == Role.PARTY and part.side:
                names[Side(part.side)] = user.display_name
        return names

    async def access(self, user: User, room_id: int) -> RoomAccess | None:
        """The user's access to one room, or None (unknown room and no access look the same)."""
        async with self.read_slots, self.db.read() as s:
            room = await s.get(Room, room_id)
            if room is None:
                return None
            case = await s.get(Case, room.case_id)
            if case is None:
                return None
            found = await self._access(s, user, case, [room])
            return found[0] if found else None

    async def accessible_rooms(self, user: User) -> list[tuple[RoomAccess, int]]:
        """Every room the user may read in every case of theirs, with each room's head."""
        out: list[tuple[RoomAccess, int]] = []
        async with self.read_slots, self.db.read() as s:
            case_ids = await user_case_ids(s, user)
            for case_id in case_ids:
                case = await s.get(Case, case_id)
                if case is None:
                    continue
                rooms = await self._rooms_of(s, case_id)
                heads = {r.id: r.head_seq for r in rooms}
                for acc in await self._access(s, user, case, rooms):
                    out.append((acc, heads[acc.room_id]))
        return out

    async def snapshot(
        self, acc: RoomAccess, user_id: int, re_id: str | None
    ) -> tuple[dict[str, Any], int]:
        """The room.snapshot frame and the room's head."""
        # Only an administrator's view writes (the audit entry); everyone else just reads.
        is_admin = acc.actor.role == Role.ADMIN
        async with self.read_slots, self.db.session() if is_admin else self.db.read() as s:
            room = await s.get(Room, acc.room_id)
            assert room is not None
            seen = await self.audience_of(s, acc)
            if acc.actor.role == Role.ADMIN:
                from odrchat.audit import record

                # Every administrator view of a transcript is on the record.
                await record(
                    s,
                    user_id,
                    "room.view",
                    acc.case_id,
                    {"room": acc.room_id, "kind": str(acc.ref.kind)},
                )
            marker = await s.get(ReadMarker, (acc.room_id, user_id))
            read = marker.seq if marker else 0
            unread = (
                await s.exec(
                    select(func.count())
                    .select_from(RoomEvent)
                    .where(
                        col(RoomEvent.room_id) == acc.room_id,
                        col(RoomEvent.seq) > read,
                        col(RoomEvent.type) == "chat.message",
                        col(RoomEvent.sender_id) != user_id,
                    )
                )
            ).one()
        online = sorted(await self.presence.online(acc.room_id))
        frame = {
            "type": "room.snapshot",
            "room": acc.room_id,
            "case_id": acc.case_id,
            "kind": str(acc.ref.kind),
            "side": str(acc.ref.side) if acc.ref.side else None,
            "title": acc.title,
            "confidentiality": confidentiality(acc.ref),
            "audience": seen,
            "presence": online,
            "head": room.head_seq,
            "read": read,
            "unread": int(unread),
            "writable": acc.writable,
        }
        if re_id is not None:
            frame["re"] = re_id
        return frame, room.head_seq

    # -- the log ----------------------------------------------------------------------------

    async def send_chat(
        self, acc: RoomAccess, user: User, client_id: str, text: str
    ) -> tuple[StoredEvent, bool]:
        """Store a chat message (or find the one already stored under this client id)."""
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
        return await self.writer.append(
            acc.room_id,
            "chat.message",
            body,
            confidentiality=confidentiality(acc.ref),
            sender_id=user.id,
            client_id=client_id,
        )

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

    async def audience_of(self, session: AsyncSession, acc: RoomAccess) -> list[dict[str, Any]]:
        """Everyone who can see a room, with role and side (shown in every room, always)."""
        members = await case_members(session, acc.case_id)
        seen = [
            {
                "user_id": member.id,
                "name": member.display_name,
                "role": part.role,
                "side": part.side,
            }
            for part, member in members
            if audience(acc.ref, [actor_of(part)])
        ]
        # The FAQ: the space is private to the parties, the mediator and the system
        # administrator; say so in every room.
        seen.append({"user_id": None, "name": "CCR administration", "role": "admin", "side": None})
        return seen

    async def transcript(
        self, user: User, case_id: int
    ) -> list[tuple[RoomAccess, list[dict[str, Any]], list[StoredEvent]]]:
        """Every room of the case this user may read, with its audience and full log."""
        assert user.id is not None
        out = []
        async with self.db.session() as s:
            case = await s.get(Case, case_id)
            if case is None:
                return []
            found = await self._access(s, user, case, await self._rooms_of(s, case_id))
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
                out.append((acc, await self.audience_of(s, acc), events))
        return out

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
        self, user: User, case_id: int, room_ids: Sequence[int]
    ) -> dict[int, tuple[RoomAccess, list[dict[str, Any]]]]:
        """Fresh access and audience for the given rooms of one case (lost rooms are absent)."""
        async with self.db.read() as s:
            case = await s.get(Case, case_id)
            if case is None:
                return {}
            rooms = [r for r in await self._rooms_of(s, case_id) if r.id in set(room_ids)]
            return {
                a.room_id: (a, await self.audience_of(s, a))
                for a in await self._access(s, user, case, rooms)
            }
