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
- every view expires between MAX_AGE and twice that after its load, a backstop for anything
  that changed without a signal (a renamed account, a lost control message). The moment is
  drawn for each view: views loaded together (every case after a restart or a storm) must not
  all expire together, or the next chat message of every case reloads its view in the same
  second (in the benchmark that wave stalled acks for 150-330 ms every 30 s).
A load that overlaps a `forget` of its case is handed to its caller but not kept, so a read
that began before a change can never be cached after it (generation counters).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from odrchat.auth.tables import User
from odrchat.cases.machine import CaseStatus
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case, Participant
from odrchat.control import machine as ctl
from odrchat.control.tables import CaseControl, HiddenMessage, MemberControl
from odrchat.i18n import texts_for
from odrchat.rooms.access import (
    RoomKind,
    RoomRef,
    can_read,
    can_write,
    room_title,
)
from odrchat.rooms.tables import Room
from odrchat.store.db import Database
from odrchat.store.types import utcnow

MAX_AGE = 30.0
# The facts are small (a few rows per case) but unbounded in number: keep the recent ones.
MAX_CASES = 20_000
# Loads in flight at once per worker, and the cases one load reads at most.
LOADERS = 4
MAX_LOAD = 500


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
    # Why the room's own rule would let them write but the mediator's control does not
    # ("caucus", "paused", "muted", "removed"); the case's control state as it was read.
    block: str | None = None
    control: ctl.ControlState = ctl.NO_CONTROL

    def muted_until(self, now: datetime) -> datetime | None:
        """When this user's mute in this room ends (mutes apply to the joint room)."""
        if self.ref.kind is not RoomKind.JOINT:
            return None
        return self.control.muted_until(self.actor.user_id, now)

    def may_write(self, now: datetime) -> bool:
        """Whether a message may be stored now (a mute ends by itself, without a new read)."""
        return self.writable or (self.block == "muted" and self.muted_until(now) is None)

    def sees_hidden(self) -> bool:
        """Mediators and administrators see hidden messages (marked); nobody else does."""
        return self.actor.role in (Role.MEDIATOR, Role.CO_MEDIATOR, Role.ADMIN)

    def is_hidden(self, seq: int) -> bool:
        return (self.room_id, seq) in self.control.hidden

    def control_info(self, now: datetime) -> dict[str, Any]:
        """The room's control state as this user may know it (`room.snapshot.control`).

        Parties hear whether the joint room is in caucus mode or paused and when their own
        mute ends; the mediators also hear who is muted or removed and whether caucus mode
        was forced by a safety concern (never told to the parties: it comes from screening)."""
        state = self.control
        until = self.muted_until(now)
        info: dict[str, Any] = {
            "caucus": state.caucus,
            "paused": state.paused,
            "block": None if self.may_write(now) else self.block,
            "muted_until": until.isoformat() if until else None,
        }
        if ctl.is_neutral(self.actor) or self.actor.role is Role.ADMIN:
            info["safety"] = state.safety
            info["muted"] = [
                {"user_id": uid, "until": t.isoformat()} for uid, t in state.muted if t > now
            ]
            info["removed"] = sorted(state.removed)
        return info

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
    language: str = "en"  # the member's own: their room titles are written in it


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case's status, rooms (in id order) and active members (oldest first). Pure: the
    only state is a memo of each user's access, so every socket of a user shares one set of
    RoomAccess objects for as long as the view lives."""

    case_id: int
    status: str
    rooms: tuple[tuple[int, RoomRef], ...]
    members: tuple[Member, ...]
    control: ctl.ControlState = ctl.NO_CONTROL
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
        state, now = self.control, utcnow()
        reader = next((m for m in self.members if m.actor.user_id == user_id), None)
        t = texts_for(reader.language if reader is not None else None)
        found = []
        for room_id, ref in self.rooms:
            if not self._reads(actor, ref):
                continue
            writes = can_write(actor, ref, case_open=is_open)
            block = None
            if writes and ref.kind is RoomKind.JOINT:
                block = ctl.joint_write_block(state, actor)
                if block is None and state.muted_until(actor.user_id, now) is not None:
                    block = "muted"
            found.append(
                RoomAccess(
                    room_id,
                    self.case_id,
                    ref,
                    actor,
                    writes and block is None,
                    room_title(ref, names, t),
                    block,
                    state,
                )
            )
        return found

    def _reads(self, actor: Actor, ref: RoomRef) -> bool:
        """The room rule, less the joint room for someone the mediator removed from it."""
        if not can_read(actor, ref):
            return False
        return ref.kind is not RoomKind.JOINT or ctl.may_read_joint(self.control, actor)

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
            if self._reads(m.actor, ref)
        ]
        # The FAQ: the space is private to the parties, the mediator and the system
        # administrator; say so in every room.
        seen.append({"user_id": None, "name": "CCR administration", "role": "admin", "side": None})
        return seen


CASES: Table = Case.__table__  # type: ignore[attr-defined]
ROOMS: Table = Room.__table__  # type: ignore[attr-defined]
PARTICIPANTS: Table = Participant.__table__  # type: ignore[attr-defined]
USERS: Table = User.__table__  # type: ignore[attr-defined]
CONTROLS: Table = CaseControl.__table__  # type: ignore[attr-defined]
MEMBER_CONTROLS: Table = MemberControl.__table__  # type: ignore[attr-defined]
HIDDEN: Table = HiddenMessage.__table__  # type: ignore[attr-defined]


def expiry(now: float, max_age: float, draw: float) -> float:
    """When a view loaded at `now` expires: `draw` (uniform in [0, 1)) spreads it over
    [max_age, 2 * max_age)."""
    return now + max_age * (1.0 + draw)


class Directory:
    """The per-worker cache of CaseViews (see the module docstring for when views drop)."""

    def __init__(self, db: Database, *, max_age: float = MAX_AGE, loaders: int = LOADERS) -> None:
        self.db = db
        self.max_age = max_age
        self._views: dict[int, tuple[float, CaseView]] = {}  # case id -> (expires at, view)
        self._draw = random.Random().random
        self._room_case: dict[int, int] = {}  # rooms never change case
        self._generation: dict[int, int] = {}
        self._epoch = 0
        self._changes = 0  # every forget, of one case or all
        self.loads = 0
        self._waiting: list[tuple[list[int], asyncio.Future[dict[int, CaseView]]]] = []
        self._loading = asyncio.Semaphore(loaders)

    def forget(self, case_id: int) -> None:
        self._views.pop(case_id, None)
        self._generation[case_id] = self._generation.get(case_id, 0) + 1
        self._changes += 1

    def forget_all(self) -> None:
        self._views.clear()
        self._epoch += 1
        self._changes += 1

    @property
    def changes(self) -> int:
        """How many times views were dropped so far. Views read elsewhere (with an arriving
        socket's session, `rooms.arrivals`) while this stayed the same are still current."""
        return self._changes

    def keep(self, views: dict[int, CaseView], since: int) -> None:
        """Cache views read elsewhere, whose read began when `changes` was `since`; not if any
        view was dropped since then (the read may predate the change that dropped it)."""
        now = time.monotonic()
        for case_id, view in views.items():
            self._cache(now, case_id, view, current=since == self._changes)
        self._trim()

    def _cache(self, now: float, case_id: int, view: CaseView, *, current: bool) -> None:
        """Note the rooms' case (rooms never change case); keep the view if it is `current`."""
        for room_id, _ in view.rooms:
            self._room_case[room_id] = case_id
        if current:
            self._views[case_id] = (expiry(now, self.max_age, self._draw()), view)

    def cached(self, case_id: int) -> CaseView | None:
        found = self._views.get(case_id)
        if found is None:
            return None
        if time.monotonic() >= found[0]:
            del self._views[case_id]
            return None
        return found[1]

    def cached_room(self, room_id: int) -> CaseView | None:
        """The cached view of a room's case, or None when it must be loaded (no I/O)."""
        case_id = self._room_case.get(room_id)
        return self.cached(case_id) if case_id is not None else None

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
            out.update(await self._load_together(wanted))
        return out

    async def _load_together(self, case_ids: list[int]) -> dict[int, CaseView]:
        """Load with whoever else is waiting: sockets that connect together (a reconnect storm,
        the parties of one case) share one read instead of a transaction each. Whoever holds
        the loading slot reads every case queued by then and answers everybody."""
        done: asyncio.Future[dict[int, CaseView]] = asyncio.get_running_loop().create_future()
        entry = (case_ids, done)
        self._waiting.append(entry)
        try:
            async with self._loading:
                if not done.done():
                    await self._serve()
        except asyncio.CancelledError:
            if entry in self._waiting:
                self._waiting.remove(entry)
            raise
        return await done

    async def _serve(self) -> None:
        batch: list[tuple[list[int], asyncio.Future[dict[int, CaseView]]]] = []
        wanted: set[int] = set()
        while self._waiting and (not batch or len(wanted) < MAX_LOAD):
            entry = self._waiting.pop(0)
            batch.append(entry)
            wanted.update(entry[0])
        try:
            found = await self._load(sorted(wanted))
        except Exception as exc:  # every caller of the batch hears it
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
                if not fut.cancelled():
                    fut.exception()  # retrieved: a caller that went away leaves no warning
            return
        for ids, fut in batch:
            if not fut.done():
                fut.set_result({c: found[c] for c in ids if c in found})

    async def view(self, case_id: int) -> CaseView | None:
        return (await self.views([case_id])).get(case_id)

    async def _load(self, case_ids: list[int]) -> dict[int, CaseView]:
        started = {c: self._generation.get(c, 0) for c in case_ids}
        epoch = self._epoch
        # Batched (many sockets' cases at once) and repeatable: the batch engine's read.
        if self.db.is_sqlite:
            found = await self.db.read_batch(lambda conn: load_views(conn, case_ids))
        else:
            found = views_from_rows(await self.db.fetch_batch(PG_VIEWS, case_ids))
        now = time.monotonic()
        for case_id, view in found.items():
            current = epoch == self._epoch and started[case_id] == self._generation.get(case_id, 0)
            self._cache(now, case_id, view, current=current)
        self.loads += 1
        self._trim()
        return found

    def _trim(self) -> None:
        if len(self._views) > MAX_CASES:
            for case_id in list(self._views)[: len(self._views) - MAX_CASES]:
                del self._views[case_id]


# PostgreSQL: the views of a batch of cases in one statement, one row per case (the same
# facts `load_views` reads in six queries; a cold cache after a restart or a storm reads
# hundreds of cases, and the six statements' building and binding was most of its CPU).
VIEW_COLUMNS = (
    "c.id, c.status,"
    " ARRAY(SELECT ROW(r.id, r.kind, r.side) FROM rooms r WHERE r.case_id = c.id ORDER BY r.id),"
    " ARRAY(SELECT ROW(p.user_id, p.role, p.side, p.approved, u.display_name, u.language)"
    "  FROM participants p JOIN users u ON u.id = p.user_id"
    "  WHERE p.case_id = c.id AND p.active ORDER BY p.id),"
    " coalesce(cc.caucus, false), coalesce(cc.safety, false), coalesce(cc.paused, false),"
    " ARRAY(SELECT ROW(m.user_id, m.muted_until, m.removed)"
    "  FROM member_controls m WHERE m.case_id = c.id),"
    " ARRAY(SELECT ROW(h.room_id, h.seq) FROM hidden_messages h WHERE h.case_id = c.id)"
)
VIEW_FROM = " FROM cases c LEFT JOIN case_controls cc ON cc.case_id = c.id"
PG_VIEWS = f"SELECT {VIEW_COLUMNS}{VIEW_FROM} WHERE c.id = ANY($1::int[])"


def views_from_rows(rows: Iterable[Any]) -> dict[int, CaseView]:
    """CaseViews from PG_VIEWS rows."""
    out: dict[int, CaseView] = {}
    for case_id, status, rooms, people, caucus, safety, paused, members, hidden in rows:
        muted = sorted((user_id, until) for user_id, until, _ in members if until is not None)
        control = ctl.ControlState(
            caucus,
            safety,
            paused,
            tuple(muted),
            frozenset(user_id for user_id, _, removed in members if removed),
            frozenset((room_id, seq) for room_id, seq in hidden),
        )
        out[case_id] = CaseView(
            case_id,
            status,
            tuple(
                (room_id, RoomRef(RoomKind(kind), Side(side) if side else None))
                for room_id, kind, side in rooms
            ),
            tuple(
                Member(Actor.stored(user_id, role, side, approved), name, language)
                for user_id, role, side, approved, name, language in people
            ),
            control,
        )
    return out


async def load_views(conn: AsyncConnection, case_ids: Iterable[int]) -> dict[int, CaseView]:
    """Read the views of these cases in the caller's transaction (six queries in all)."""
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
                USERS.c.language,
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
    for case_id, user_id, role, side, approved, name, language in people:
        if case_id in by_case_people:
            actor = Actor.stored(user_id, role, side, approved)
            by_case_people[case_id].append(Member(actor, name, language))
    controls = await load_controls(conn, list(statuses))
    return {
        case_id: CaseView(
            case_id,
            status,
            tuple(by_case_rooms[case_id]),
            tuple(by_case_people[case_id]),
            controls.get(case_id, ctl.ControlState()),
        )
        for case_id, status in statuses.items()
    }


async def load_controls(conn: AsyncConnection, case_ids: list[int]) -> dict[int, ctl.ControlState]:
    """The mediator's control state of each case (cases with none set are absent)."""
    if not case_ids:
        return {}
    flags: dict[int, tuple[bool, bool, bool]] = {
        row[0]: (bool(row[1]), bool(row[2]), bool(row[3]))
        for row in await conn.execute(
            select(
                CONTROLS.c.case_id, CONTROLS.c.caucus, CONTROLS.c.safety, CONTROLS.c.paused
            ).where(CONTROLS.c.case_id.in_(case_ids))
        )
    }
    muted: dict[int, list[tuple[int, datetime]]] = {}
    removed: dict[int, set[int]] = {}
    members = await conn.execute(
        select(
            MEMBER_CONTROLS.c.case_id,
            MEMBER_CONTROLS.c.user_id,
            MEMBER_CONTROLS.c.muted_until,
            MEMBER_CONTROLS.c.removed,
        ).where(MEMBER_CONTROLS.c.case_id.in_(case_ids))
    )
    for case_id, user_id, until, is_removed in members:
        if until is not None:
            muted.setdefault(case_id, []).append((user_id, until))
        if is_removed:
            removed.setdefault(case_id, set()).add(user_id)
    hidden: dict[int, set[tuple[int, int]]] = {}
    for case_id, room_id, seq in await conn.execute(
        select(HIDDEN.c.case_id, HIDDEN.c.room_id, HIDDEN.c.seq).where(
            HIDDEN.c.case_id.in_(case_ids)
        )
    ):
        hidden.setdefault(case_id, set()).add((room_id, seq))
    out: dict[int, ctl.ControlState] = {}
    for case_id in set(flags) | set(muted) | set(removed) | set(hidden):
        caucus, safety, paused = flags.get(case_id, (False, False, False))
        out[case_id] = ctl.ControlState(
            caucus,
            safety,
            paused,
            tuple(sorted(muted.get(case_id, []))),
            frozenset(removed.get(case_id, set())),
            frozenset(hidden.get(case_id, set())),
        )
    return out
