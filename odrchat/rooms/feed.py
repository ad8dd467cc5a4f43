"""Case, offer and agreement events into the joint room's log, then out to every worker.

`record` and `post` run inside the unit of work's transaction (the event is stored atomically with
the change that caused it); `flush` runs once after the commit and publishes what was recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.rooms.log import StoredEvent

if TYPE_CHECKING:
    from odrchat.rooms.hub import Hub
    from odrchat.rooms.service import RoomService

_PENDING = "odrchat.feed.pending"
_CASES = "odrchat.feed.cases"


class RoomFeed:
    """The rooms' side of `odrchat.cases.unit.Feed`."""

    def __init__(self, rooms: RoomService, hub: Hub) -> None:
        self.rooms = rooms
        self.hub = hub

    async def record(
        self, session: AsyncSession, case_id: int, event_type: str, payload: dict[str, Any]
    ) -> None:
        """Store one event in the case's joint room (rooms are opened on first use)."""
        await self.post(session, case_id, event_type, {"case_id": case_id, "event": payload})

    async def post(
        self,
        session: AsyncSession,
        case_id: int,
        event_type: str,
        body: dict[str, Any],
        *,
        sender_id: int | None = None,
    ) -> None:
        """Store an offer or agreement event, its body as given, in the case's joint room."""
        room_id = await self.rooms.joint_room_id(session, case_id)
        event = await self.rooms.append_event(
            session, room_id, event_type, body, sender_id=sender_id
        )
        session.info.setdefault(_PENDING, []).append(event)
        session.info.setdefault(_CASES, set()).add(case_id)

    async def flush(self, session: AsyncSession) -> None:
        """Publish everything recorded in this (committed) session."""
        events: list[StoredEvent] = session.info.pop(_PENDING, [])
        cases: set[int] = session.info.pop(_CASES, set())
        for event in events:
            await self.hub.publish(event)
        for case_id in cases:
            await self.hub.case_changed(case_id)

    async def post_in_room(
        self,
        session: AsyncSession,
        room_id: int,
        event_type: str,
        body: dict[str, Any],
        *,
        sender_id: int | None = None,
    ) -> StoredEvent:
        """Store an event in one given room (a shared document, in the room it was shared in);
        `flush` publishes it. The case itself did not change: no access re-check follows."""
        event = await self.rooms.append_event(
            session, room_id, event_type, body, sender_id=sender_id
        )
        session.info.setdefault(_PENDING, []).append(event)
        return event

    def changed(self, session: AsyncSession, case_id: int) -> None:
        """After the commit, every worker re-reads the case and re-checks its subscriptions
        (a change of the mediator's control of the rooms)."""
        session.info.setdefault(_CASES, set()).add(case_id)
