"""The safety coordinator: screening answers and "need help" alerts, each one unit of work.

Who sees what:
* A party answers the screening for themselves and reads back only their own answers.
* The case's mediator and co-mediator, and CCR administration (audited), read every party's
  answers. Attorneys, observers and the other side get 403; outsiders 404.
* A flagged answer tells the case's mediators that the screening needs care (a notice with no
  detail) and puts the case in caucus-only mode at once (the hook `on_flagged`, given by the
  room control), whatever stage the open case is at. Known gap: caucus mode switched on by the
  system before a mediator is assigned tells a careful reader of the joint room that a
  screening asked for it (not whose, nor why).
* "Need help" stores which of four reasons the party picked (never their words), puts a
  `case.help_requested` event in that side's private room (so the mediators see it in the room
  and the party sees it was sent), and queues a notice to the case's mediators, and to CCR
  administration when no mediator is online. One alert per party and case every HELP_EVERY.
* The case's mediators and CCR administration list a case's help requests, open and handled,
  and mark one handled: who and when are stored on the request and in the audit log. The party
  and the other side are not told (nothing is posted in a room).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from odrchat.auth.tables import User
from odrchat.cases import machine as m
from odrchat.cases import notices
from odrchat.cases.kinds import CaseKind, side_label
from odrchat.cases.queries import screenings_of
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case
from odrchat.cases.unit import Unit, Units
from odrchat.errors import Conflict, Forbidden, Invalid, NotFound, TooMany
from odrchat.i18n import texts_for
from odrchat.rooms.access import RoomKind
from odrchat.rooms.feed import RoomFeed
from odrchat.rooms.presence import Presence
from odrchat.rooms.tables import Room
from odrchat.safety import screening as rules
from odrchat.safety import texts
from odrchat.safety.tables import HelpRequest, Screening
from odrchat.store.types import utcnow

HELP_EVERY = timedelta(minutes=2)
HELP_EVENT = "case.help_requested"
_READERS = (Role.MEDIATOR, Role.CO_MEDIATOR, Role.ADMIN)

# Called inside the unit that first flagged an open case (its row locked): caucus-only mode.
FlagHook = Callable[[Unit, Case, datetime], Awaitable[None]]


def answers_json(row: Screening, name: str) -> dict[str, Any]:
    """One party's answers as the mediators' view shows them."""
    return {
        "user_id": row.user_id,
        "display_name": name,
        "side": row.side,
        "order": row.protective_order,
        "afraid": row.afraid,
        "support_person": row.support_person,
        "accommodation": row.accommodation,
        "note": row.note,
        "flagged": row.flagged,
        "answered_at": row.answered_at,
    }


class SafetyService:
    """Screening and help requests for the parties; the neutrals' view of both."""

    def __init__(
        self,
        units: Units,
        presence: Presence,
        feed: RoomFeed | None = None,
        *,
        on_flagged: FlagHook | None = None,
    ) -> None:
        self.units = units
        self.settings = units.settings
        self.presence = presence
        self.feed = feed
        self.on_flagged = on_flagged

    # -- screening ---------------------------------------------------------------------------

    async def answer(self, user: User, case_id: int, answers: rules.Answers) -> dict[str, Any]:
        """A party stores (or replaces) their answers; a new flag tells the mediators."""
        now = utcnow()
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            side = _party_side(actor, texts.NOT_PARTY_SCREENING)
            if m.CaseStatus(case.status).is_final:
                raise Conflict(texts.CLOSED, code="wrong_state")
            s = unit.session
            rows = await screenings_of(s, case_id)
            was_flagged = any(r.flagged for r in rows)
            row = next((r for r in rows if r.user_id == actor.user_id), None)
            if row is None:
                row = Screening(
                    case_id=case_id,
                    user_id=actor.user_id,
                    side=side.value,
                    protective_order="",
                    afraid=False,
                    support_person=False,
                    accommodation=False,
                    flagged=False,
                )
                rows.append(row)
            row.protective_order = answers.order.value
            row.afraid = answers.afraid
            row.support_person = answers.support_person
            row.accommodation = answers.accommodation
            row.note = answers.note
            row.flagged = answers.flagged
            row.answered_at = now
            s.add(row)
            # The audit log says that a party answered, and whether it flagged: never what.
            detail = {"side": side.value, "flagged": row.flagged}
            await unit.audit(user.id, "screening.answered", case_id, detail, now=now)
            if row.flagged and not was_flagged:
                await self._flagged(unit, case, now)
            await s.flush()
            return self._view(case, actor, rows, {actor.user_id: user.display_name})

    async def _flagged(self, unit: Unit, case: Case, now: datetime) -> None:
        assert case.id is not None
        link = notices.case_link(self.settings.public_url, case.id)
        for neutral in await _neutrals(unit, case):
            notice = texts.screening_flagged(texts_for(neutral.language), case.id)
            await unit.send(neutral, notice, link)
        # Screening comes before consent, so a case is usually flagged long before a mediator is
        # assigned: caucus-only mode is set then, and the joint room opens in it.
        if self.on_flagged is not None:
            await self.on_flagged(unit, case, now)

    async def read(self, user: User, case_id: int) -> dict[str, Any]:
        """The answers this user may see: their own (a party), or all (mediators, admins)."""
        async with self.units.begin() as unit:
            case, actor = await unit.enter(case_id, user)
            if actor.role not in _READERS and actor.role is not Role.PARTY:
                raise Forbidden(texts.NOT_ALLOWED_SCREENING, code="not_allowed")
            rows = await screenings_of(unit.session, case_id)
            if actor.role is Role.ADMIN:
                await unit.audit(user.id, "screening.viewed", case_id, {})
            names: dict[int, str] = {}
            for row in rows:
                person = await unit.session.get(User, row.user_id)
                names[row.user_id] = person.display_name if person else ""
            return self._view(case, actor, rows, names)

    def _view(
        self, case: Case, actor: Actor, rows: list[Screening], names: dict[int, str]
    ) -> dict[str, Any]:
        seen = rows if actor.role in _READERS else [r for r in rows if r.user_id == actor.user_id]
        return {
            "required": rules.required(case.kind, self.settings.screening_kinds),
            "flagged": any(r.flagged for r in rows) if actor.role in _READERS else None,
            "answers": [answers_json(r, names.get(r.user_id, "")) for r in seen],
        }

    # -- need help ---------------------------------------------------------------------------

    async def ask_help(
        self, user: User, case_id: int, reason: str, room_id: int | None = None
    ) -> dict[str, Any]:
        """A party asks for help: store it, show it in their private room, tell the mediators
        (and CCR administration when no mediator is online)."""
        if reason not in texts.HELP_REASONS:
            raise Invalid("Some fields need attention.", fields={"reason": texts.NOT_A_REASON})
        now = utcnow()
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            side = _party_side(actor, texts.NOT_PARTY_HELP)
            s = unit.session
            last = (
                await s.exec(
                    select(HelpRequest.at)
                    .where(
                        col(HelpRequest.case_id) == case_id,
                        col(HelpRequest.user_id) == actor.user_id,
                    )
                    .order_by(col(HelpRequest.id).desc())
                    .limit(1)
                )
            ).first()
            if last is not None and now - last < HELP_EVERY:
                wait = int((HELP_EVERY - (now - last)).total_seconds()) + 1
                raise TooMany(texts.TOO_SOON, retry_after=wait)
            rooms = list((await s.exec(select(Room).where(col(Room.case_id) == case_id))).all())
            private = next(
                (r for r in rooms if r.kind == RoomKind.PRIVATE and r.side == side.value), None
            )
            neutrals = await _neutrals(unit, case)
            online = await self._online(rooms, {u.id for u in neutrals})
            admins = [] if online else await _admins(unit)
            link = notices.case_link(self.settings.public_url, case_id)
            label = side_label(CaseKind(case.kind), side)
            for person in [*neutrals, *admins]:
                t = texts_for(person.language)  # the side's name in the reader's language too
                notice = texts.help_requested(t, case_id, reason, t.gettext(label).lower())
                await unit.send(person, notice, link)
            s.add(
                HelpRequest(
                    case_id=case_id,
                    user_id=actor.user_id,
                    side=side.value,
                    room_id=private.id if private else None,
                    reason=reason,
                    mediators_online=online,
                    admins_told=bool(admins),
                    at=now,
                )
            )
            await unit.audit(
                user.id, "help.requested", case_id, {"side": side.value, "reason": reason}, now=now
            )
            if private is not None and private.id is not None and self.feed is not None:
                body = {
                    "case_id": case_id,
                    "event": {
                        "user_id": actor.user_id,
                        "side": side.value,
                        "reason": reason,
                        "at": now.isoformat(),
                    },
                }
                await self.feed.post_in_room(s, private.id, HELP_EVENT, body)
        return {
            "status": "recorded",
            "mediators_online": online,
            "admins_told": bool(admins),
            "has_mediator": bool(neutrals),
        }

    async def help_requests(self, user: User, case_id: int) -> list[dict[str, Any]]:
        """A case's help requests, newest first (its mediators and CCR administration)."""
        async with self.units.begin() as unit:
            _case, actor = await unit.enter(case_id, user)
            if actor.role not in _READERS:
                raise Forbidden(texts.NOT_ALLOWED_HELP, code="not_allowed")
            stmt = (
                select(HelpRequest)
                .where(col(HelpRequest.case_id) == case_id)
                .order_by(col(HelpRequest.id).desc())
            )
            rows = list((await unit.session.exec(stmt)).all())
            return [await _help_json(unit, row) for row in rows]

    async def handle_help(self, user: User, case_id: int, help_id: int) -> dict[str, Any]:
        """Mark a help request handled (its case's mediators, CCR administration); audited."""
        now = utcnow()
        async with self.units.begin() as unit:
            _case, actor = await unit.lock(case_id, user)
            if actor.role not in _READERS:
                raise Forbidden(texts.NOT_ALLOWED_HELP, code="not_allowed")
            s = unit.session
            row = await s.get(HelpRequest, help_id)  # the case's lock serialises the markers
            if row is None or row.case_id != case_id:
                raise NotFound(texts.NO_SUCH_HELP)
            if row.handled_at is not None:
                raise Conflict(texts.ALREADY_HANDLED, code="wrong_state")
            row.handled_by, row.handled_at = user.id, now
            s.add(row)
            detail = {"help": help_id, "side": row.side, "reason": row.reason}
            await unit.audit(user.id, "help.handled", case_id, detail, now=now)
            await s.flush()
            return await _help_json(unit, row)

    async def _online(self, rooms: list[Room], neutral_ids: set[int | None]) -> bool:
        for room in rooms:
            if room.id is not None and await self.presence.online(room.id) & neutral_ids:
                return True
        return False


def _party_side(actor: Actor, message: str) -> Side:
    if actor.role is not Role.PARTY or actor.side is None:
        raise Forbidden(message, code="not_allowed")
    return actor.side


async def _neutrals(unit: Unit, case: Case) -> list[User]:
    out = []
    for user_id in (case.mediator_id, case.co_mediator_id):
        if user_id is not None:
            found = await unit.session.get(User, user_id)
            if found is not None:
                out.append(found)
    return out


async def _admins(unit: Unit) -> list[User]:
    stmt = select(User).where(col(User.staff_role) == "admin").order_by(col(User.id))
    return list((await unit.session.exec(stmt)).all())


async def _help_json(unit: Unit, row: HelpRequest) -> dict[str, Any]:
    asker = await unit.session.get(User, row.user_id)
    handler = await unit.session.get(User, row.handled_by) if row.handled_by else None
    return {
        "id": row.id,
        "user_id": row.user_id,
        "name": asker.display_name if asker else "",
        "side": row.side,
        "reason": row.reason,
        "at": row.at,
        "mediators_online": row.mediators_online,
        "admins_told": row.admins_told,
        "handled_at": row.handled_at,
        "handled_by": (
            {"user_id": handler.id, "name": handler.display_name}
            if handler is not None and handler.id is not None
            else None
        ),
    }
