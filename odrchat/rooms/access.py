"""Who may see and write in which room of a case: one pure rule.

Every case has four rooms. The joint room holds everyone taking part. Each side has a private room
with the mediators (the FAQ's "[your name] + Mediator" tab): what is said there is kept from the
other side. The mediators' room is for the neutrals alone.

The rule, by role:

* Parties and attorneys read and write the joint room and their own side's private room, and
  nothing else: never the other side's private room, never the mediators' room.
* The mediator and co-mediator read and write every room.
* Observers (mediators in training) read the joint and mediators' rooms once the mediator has
  approved them, write nowhere, and never see a private room.
* CCR administration reads every room ("the mediation space is private to you, the other party,
  the mediator and the system administrator") and writes nowhere.
* Nobody writes once the case is closed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from odrchat.cases.roles import Actor, Role, Side


class RoomKind(enum.StrEnum):
    JOINT = "joint"
    PRIVATE = "private"
    MEDIATORS = "mediators"


@dataclass(frozen=True, slots=True)
class RoomRef:
    """One room of a case; `side` names whose private room it is and is None otherwise."""

    kind: RoomKind
    side: Side | None = None

    def __post_init__(self) -> None:
        if (self.kind is RoomKind.PRIVATE) != (self.side is not None):
            raise ValueError("a private room needs a side and only a private room has one")


JOINT = RoomRef(RoomKind.JOINT)
MEDIATORS = RoomRef(RoomKind.MEDIATORS)

_MEDIATORS = frozenset({Role.MEDIATOR, Role.CO_MEDIATOR})


def case_rooms() -> tuple[RoomRef, ...]:
    """The rooms every case has, in tab order."""
    return (
        JOINT,
        RoomRef(RoomKind.PRIVATE, Side.PLAINTIFF),
        RoomRef(RoomKind.PRIVATE, Side.DEFENDANT),
        MEDIATORS,
    )


def can_read(actor: Actor, room: RoomRef) -> bool:
    """Whether the actor may see the room and its history."""
    role = actor.role
    if role in _MEDIATORS or role is Role.ADMIN:
        return True
    if role is Role.OBSERVER:
        # Training observers never hear a side's confidences, approved or not.
        return actor.approved and room.kind is not RoomKind.PRIVATE
    # Parties and attorneys.
    if room.kind is RoomKind.JOINT:
        return True
    return room.kind is RoomKind.PRIVATE and room.side is actor.side


def can_write(actor: Actor, room: RoomRef, *, case_open: bool) -> bool:
    """Whether the actor may post in the room; observers and admins only ever read."""
    if not case_open or actor.role in (Role.OBSERVER, Role.ADMIN):
        return False
    return can_read(actor, room)


class Titles(Protocol):
    """What a title needs of the reader's language (`odrchat.i18n.Texts` is one)."""

    def gettext(self, message: str, /, **values: object) -> str: ...


class _English:
    def gettext(self, message: str, /, **values: object) -> str:
        return message.format(**values) if values else message


def room_title(room: RoomRef, party_names: Mapping[Side, str], t: Titles | None = None) -> str:
    """The tab title, in the reader's language: "Joint", "<display name> + Mediator" or
    "Mediators only" ("Conjunta", "<nombre> + Mediador(a)", ...)."""
    t = t or _English()
    if room.kind is RoomKind.JOINT:
        return t.gettext("Joint")
    if room.kind is RoomKind.MEDIATORS:
        return t.gettext("Mediators only")
    assert room.side is not None  # RoomRef guarantees a private room has a side
    name = party_names.get(room.side) or room.side.capitalize()
    return t.gettext("{name} + Mediator", name=name)


def audience(room: RoomRef, actors: Iterable[Actor]) -> list[Actor]:
    """The actors, in the order given, who can see the room."""
    return [actor for actor in actors if can_read(actor, room)]


def confidentiality(room: RoomRef) -> str:
    """How a room's content is labelled: "joint", "private" or "mediators"."""
    return str(room.kind)


def room_key(room: RoomRef) -> str:
    """A stable name for URLs and channels: "joint", "private:plaintiff", "mediators"."""
    return f"{room.kind}:{room.side}" if room.side is not None else str(room.kind)


def parse_room_key(key: str) -> RoomRef:
    """The inverse of room_key; raise ValueError for anything else."""
    kind, _, side = key.partition(":")
    try:
        room = RoomRef(RoomKind(kind), Side(side) if side else None)
    except ValueError:
        room = None
    if room is None or room_key(room) != key:
        raise ValueError(f"not a room: {key!r}")
    return room
