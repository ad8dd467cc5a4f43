"""Response bodies of the room list, transcript and flag endpoints (talk goes over /ws)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field

from odrchat.bodies import Reply, Timestamp
from odrchat.cases.roles import Role, Side
from odrchat.rooms.access import RoomKind


class RoomEntry(Reply):
    """A room the caller may read, as listed in the socket's `hello.rooms`."""

    room: int = Field(description="the room id, for `room.subscribe`")
    case_id: int
    kind: RoomKind
    side: Side | None = Field(description="whose private room this is; null for the others")
    title: str
    head: int = Field(description="the room's last seq")
    writable: bool = Field(description="whether the caller may post here (admins: never)")


class CaseRooms(Reply):
    case_id: int
    rooms: list[RoomEntry]


class Viewer(Reply):
    """Someone who can see a room; the last entry is always CCR administration (no user id)."""

    user_id: int | None
    name: str
    role: Role
    side: Side | None


class Line(Reply):
    """One stored room event: `seq`, `type` and `at`, then the event's own fields as sent on
    the socket (docs/protocol.md lists them per type)."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="allow")

    seq: int
    type: str
    at: Timestamp


class RoomLog(Reply):
    room: int = Field(description="the room id, as in the socket's `hello.rooms`")
    kind: RoomKind
    title: str
    audience: list[Viewer]
    events: list[Line]


class Transcript(Reply):
    case_id: int
    viewer: str
    generated_at: Timestamp
    rooms: list[RoomLog]


class Flag(Reply):
    id: int
    case_id: int
    room: int
    seq: int
    flagged_by: int
    reason: str
    at: Timestamp


class Flags(Reply):
    flags: list[Flag]
