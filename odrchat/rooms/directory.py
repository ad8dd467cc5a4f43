"""What a worker knows about each case's rooms and members, kept between sockets.

Every hello, subscribe and re-check needs the same few facts about a case: its status, its
rooms, and who takes part with which role, side and name. Reading them costs three queries;
a mediator's browser subscribing to ten rooms used to read them ten times over. The directory
reads a case once and keeps a `CaseView`, from which the pure rule (`rooms.access`) decides
every user's access without touching the database.

A view is dropped when it may be wrong:
- the hub calls `forget(case_id)` whenever the case changes (on the worker that changed it at
  once, on every other worker when the control message arrives) - the same signal that already
  re-checks every live subscription of the case;
- `forget_all()` after a broker resync (control messages may have been lost meanwhile);
- every view expires after MAX_AGE seconds, a backstop for anything that changed without a
  signal (a renamed account, a lost control message).
A load that overlaps a `forget` of its case is handed to its caller but not kept, so a read
that began before a change can never be cached after it (generation counters).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from odrchat.auth.tables import User
from odrchat.cases.machine import CaseStatus
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case, Participant
from odrchat.rooms.access import (
    RoomKind,
    RoomRef,
    can_read,
    can_write,
    room_title,
)
from odrchat.rooms.tables import Room
from odrchat.store.db import Database

MAX_AGE = 30.0
# The facts are small (a few rows per case) but unbounded in number: keep the recent ones.
MAX_CASES = 20_000


class Person(Protocol):
    """Whoever is asking, as the rooms see them: an account row, or a socket's Viewer."""

    @property
    def id(self) -> int | None: ...
    @property
    def display_name(self) -> str: ...
    @property
    def is_admin(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Viewer:
    """The account behind a socket, reduced to what the rooms use. A socket lives for hours;
    it keeps this rather than the account's ORM row and its session."""

    id: int
    display_name: str
    is_admin: bool


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


@dataclass(frozen=True, slots=True)
class Member:
    """An active participant as the rooms see them."""

    actor: Actor
    name: str


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case's status, rooms (in id order) and active members (oldest first). Pure: the
    only state is a memo of each user's access, so every socket of a user shares one set of
    RoomAccess objects for as long as the view lives."""

    case_id: int
    status: str
    rooms: tuple[tuple[int, RoomRef], ...]
    members: tuple[Member, ...]
    _memo: dict[tuple[int, bool], tuple[RoomAccess, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def actor(self, user_id: int, *, is_admin: bool) -> Actor | None:
        """The user's Actor here; an administrator outside the case reads as Role.ADMIN."""
        for m in self.members:
            if m.actor.user_id == user_id:
                return m.actor
        return Actor(user_id, Role.ADMIN) if is_admin else None

    def access(
        self, user_id: int, *, is_admin: bool, only: Iterable[int] | None = None
    ) -> list[RoomAccess]:
        """The rooms (all, or those in `only`) this user may read, with what they may do."""
        key = (user_id, is_admin)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = tuple(self._access(user_id, is_admin=is_admin))
        if only is None:
            return list(found)
        wanted = set(only)
        return [a for a in found if a.room_id in wanted]

    def _access(self, user_id: int, *, is_admin: bool) -> list[RoomAccess]:
        actor = self.actor(user_id, is_admin=is_admin)
        if actor is None:
            return []
        names = {
            m.actor.side: m.name
            for m in self.members
            if m.actor.role is Role.PARTY and m.actor.side is not None
        }
        is_open = self.status == CaseStatus.IN_MEDIATION
        return [
            RoomAccess(
                room_id,
                self.case_id,
                ref,
                actor,
                can_write(actor, ref, case_open=is_open),
                room_title(ref, names),
            )
            for room_id, ref in self.rooms
            if can_read(actor, ref)
        ]

    def audience(self, ref: RoomRef) -> list[dict[str, Any]]:
        """Everyone who can see the room, with role and side (shown in every room, always)."""
        seen: list[dict[str, Any]] = [
            {
                "user_id": m.actor.user_id,
                "name": m.name,
                "role": str(m.actor.role),
                "side": str(m.actor.side) if m.actor.side else None,
            }
            for m in self.members
            if can_read(m.actor, ref)
        ]
        # The FAQ: the space is private to the parties, the mediator and the system
        # administrator; say so in every room.
        seen.append({"user_id": None, "name": "CCR administration", "role": "admin", "side": None})
        return seen


CASES: Table = Case.__table__  # type: ignore[attr-defined]
ROOMS: Table = Room.__table__  # type: ignore[attr-defined]
PARTICIPANTS: Table = Participant.__table__  # type: ignore[attr-defined]
USERS: Table = User.__table__  # type: ignore[attr-defined]


class Directory:
    """The per-worker cache of CaseViews (see the module docstring for when views drop)."""

    def __init__(self, db: Database, *, max_age: float = MAX_AGE) -> None:
        self.db = db
        self.max_age = max_age
        self._views: dict[int, tuple[float, CaseView]] = {}
        self._room_case: dict[int, int] = {}  # rooms never change case
        self._generation: dict[int, int] = {}
        self._epoch = 0
        self.loads = 0

    def forget(self, case_id: int) -> None:
        self._views.pop(case_id, None)
        self._generation[case_id] = self._generation.get(case_id, 0) + 1

    def forget_all(self) -> None:
        self._views.clear()
        self._epoch += 1

    def cached(self, case_id: int) -> CaseView | None:
        found = self._views.get(case_id)
        if found is None:
            return None
        if time.monotonic() - found[0] > self.max_age:
            del self._views[case_id]
            return None
        return found[1]

    async def case_of_room(self, room_id: int) -> int | None:
        """The case a room belongs to (None: no such room)."""
        case_id = self._room_case.get(room_id)
        if case_id is None:
            async with self.db.read() as s:
                conn = await s.connection()
                case_id = (
                    await conn.execute(select(ROOMS.c.case_id).where(ROOMS.c.id == room_id))
                ).scalar()
            if case_id is None:
                return None
            self._room_case[room_id] = case_id
        return case_id

    async def views(self, case_ids: Iterable[int]) -> dict[int, CaseView]:
        """The views of these cases (missing cases are absent), loading the ones not cached."""
        out: dict[int, CaseView] = {}
        wanted: list[int] = []
        for case_id in case_ids:
            view = self.cached(case_id)
            if view is None:
                wanted.append(case_id)
            else:
                out[case_id] = view
        if wanted:
            out.update(await self._load(wanted))
        return out

    async def view(self, case_id: int) -> CaseView | None:
        return (await self.views([case_id])).get(case_id)

    async def _load(self, case_ids: list[int]) -> dict[int, CaseView]:
        started = {c: self._generation.get(c, 0) for c in case_ids}
        epoch = self._epoch
        async with self.db.read() as s:
            found = await load_views(await s.connection(), case_ids)
        now = time.monotonic()
        for case_id, view in found.items():
            for room_id, _ in view.rooms:
                self._room_case[room_id] = case_id
            if epoch == self._epoch and started[case_id] == self._generation.get(case_id, 0):
                self._views[case_id] = (now, view)
        self.loads += 1
        if len(self._views) > MAX_CASES:
            for case_id in list(self._views)[: len(self._views) - MAX_CASES]:
                del self._views[case_id]
        return found


async def load_views(conn: AsyncConnection, case_ids: Iterable[int]) -> dict[int, CaseView]:
    """Read the views of these cases in the caller's transaction (three queries in all)."""
    case_ids = list(case_ids)
    found = await conn.execute(select(CASES.c.id, CASES.c.status).where(CASES.c.id.in_(case_ids)))
    statuses: dict[int, str] = {case_id: status for case_id, status in found}
    rooms = (
        await conn.execute(
            select(ROOMS.c.id, ROOMS.c.case_id, ROOMS.c.kind, ROOMS.c.side)
            .where(ROOMS.c.case_id.in_(case_ids))
            .order_by(ROOMS.c.id)
        )
    ).all()
    people = (
        await conn.execute(
            select(
                PARTICIPANTS.c.case_id,
                PARTICIPANTS.c.user_id,
                PARTICIPANTS.c.role,
                PARTICIPANTS.c.side,
                PARTICIPANTS.c.approved,
                USERS.c.display_name,
            )
            .join(USERS, USERS.c.id == PARTICIPANTS.c.user_id)
            .where(PARTICIPANTS.c.case_id.in_(case_ids), PARTICIPANTS.c.active.is_(True))
            .order_by(PARTICIPANTS.c.id)
        )
    ).all()
    by_case_rooms: dict[int, list[tuple[int, RoomRef]]] = {c: [] for c in statuses}
    for room_id, case_id, kind, side in rooms:
        if case_id in by_case_rooms:
            by_case_rooms[case_id].append(
                (room_id, RoomRef(RoomKind(kind), Side(side) if side else None))
            )
    by_case_people: dict[int, list[Member]] = {c: [] for c in statuses}
    for case_id, user_id, role, side, approved, name in people:
        if case_id in by_case_people:
            by_case_people[case_id].append(
                Member(Actor(user_id, Role(role), Side(side) if side else None, approved), name)
            )
    return {
        case_id: CaseView(
            case_id, status, tuple(by_case_rooms[case_id]), tuple(by_case_people[case_id])
        )
        for case_id, status in statuses.items()
    }
