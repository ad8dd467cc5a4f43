"""Mediator staffing: the admin queue, suggestions, assignment, profiles, days off and conflicts.

The suggestion for a waiting case is, among the mediators who fit, the one with the fewest cases
in mediation (as mediator or co-mediator); ties go to the lowest id. A mediator fits when their
account is enabled and marked available, today (in the centre's time zone) is not one of their
days off, the case's kind is among their case kinds (none listed: every kind), they are under
their cap of active cases (none: no cap), they take no part in the case already and no conflict
of interest is recorded with a party or attorney of it. If some who fit speak every language the
parties chose, the suggestion is one of them.

A conflict names a person by account, by email address or by name; a name matches a party's or
attorney's display name on the case, or the name on an open invitation, ignoring case and spacing.
An explicit assignment may pick a mediator who does not fit (availability only steers the
suggestion), but one with a recorded conflict only with an override and a reason, which is
audited. Every admin action here is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.cases import machine as m
from odrchat.cases import notices
from odrchat.cases.kinds import CaseKind
from odrchat.cases.queries import (
    case_members,
    open_by_number,
    same_number,
    screenings_of,
)
from odrchat.cases.roles import Actor, Role
from odrchat.cases.tables import Case, Invitation, MediatorConflict, MediatorDayOff, Participant
from odrchat.cases.unit import Units
from odrchat.errors import Conflict, Invalid, NotFound, Say
from odrchat.i18n import DEFAULT, N_, Texts, texts_for
from odrchat.safety import texts as safety_texts
from odrchat.store.types import utcnow

_SEATS = (Role.MEDIATOR.value, Role.CO_MEDIATOR.value)
_SIDED = (Role.PARTY.value, Role.ATTORNEY.value)


def local_today(tz: ZoneInfo) -> date:
    """Today's date in the centre's time zone."""
    return datetime.now(tz).date()


def split(value: str) -> list[str]:
    """A comma-separated column as a list ('' is none)."""
    return [v for v in value.split(",") if v]


def same_name(a: str, b: str) -> bool:
    """Names compared as people write them: case and spacing do not matter."""
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


# -- the pure rule --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseNeeds:
    """What a waiting case asks of a mediator."""

    kind: str
    languages: frozenset[str]  # the parties' chosen languages
    excluded: frozenset[int]  # conflicted, or already in the case


def fits(user: User, needs: CaseNeeds, load: int, off_today: bool) -> bool:
    """Whether a mediator may be suggested for a case (see the module's docstring)."""
    kinds = split(user.case_kinds)
    return (
        user.id is not None
        and not user.disabled
        and user.available
        and not off_today
        and user.id not in needs.excluded
        and (not kinds or needs.kind in kinds)
        and (user.max_active_cases is None or load < user.max_active_cases)
    )


def speaks(user: User, languages: Iterable[str]) -> bool:
    """Whether the mediator speaks each of these languages (no languages listed: English)."""
    spoken = set(split(user.languages)) or {"en"}
    return all(lang in spoken for lang in languages)


def suggest_mediator(
    mediators: Sequence[User],
    loads: dict[int, int],
    needs: CaseNeeds,
    off_today: frozenset[int] = frozenset(),
) -> User | None:
    """The best fitting mediator: speaking the parties' languages if any does, then the fewest
    active cases, then the lowest id."""
    fit = [
        u for u in mediators if fits(u, needs, loads.get(u.id or 0, 0), (u.id or 0) in off_today)
    ]
    fluent = [u for u in fit if speaks(u, needs.languages)]
    return min(fluent or fit, key=lambda u: (loads.get(u.id or 0, 0), u.id or 0), default=None)


# -- reading ----------------------------------------------------------------------------------


async def active_loads(session: AsyncSession) -> dict[int, int]:
    """Cases in mediation per mediator or co-mediator (both seats count)."""
    stmt = (
        select(Participant.user_id, func.count())
        .join(Case, col(Case.id) == col(Participant.case_id))
        .where(
            col(Participant.role).in_(_SEATS),
            col(Participant.active).is_(True),
            col(Case.status) == m.CaseStatus.IN_MEDIATION.value,
        )
        .group_by(col(Participant.user_id))
    )
    return {user_id: count for user_id, count in (await session.exec(stmt)).all()}


async def case_conflicts(session: AsyncSession, case_id: int) -> dict[int, list[MediatorConflict]]:
    """The recorded conflicts touching this case's parties, attorneys or invitees, by mediator."""
    members = await case_members(session, case_id)
    people = [u for p, u in members if p.role in _SIDED]
    ids = {u.id for u in people}
    emails = {u.email.lower() for u in people}
    names = [u.display_name for u in people]
    invited = select(Invitation).where(
        col(Invitation.case_id) == case_id,
        col(Invitation.used_at).is_(None),
        col(Invitation.revoked_at).is_(None),
    )
    for inv in (await session.exec(invited)).all():
        emails.add(inv.email.lower())
        names.append(inv.name)
    found: dict[int, list[MediatorConflict]] = {}
    for row in (await session.exec(select(MediatorConflict))).all():
        if (
            (row.user_id is not None and row.user_id in ids)
            or (row.email is not None and row.email.lower() in emails)
            or (row.party_name is not None and any(same_name(row.party_name, n) for n in names))
        ):
            found.setdefault(row.mediator_id, []).append(row)
    return found


async def days_off(session: AsyncSession, since: date) -> dict[int, list[date]]:
    """Each mediator's days off from `since` on, in date order."""
    stmt = (
        select(MediatorDayOff)
        .where(col(MediatorDayOff.day) >= since)
        .order_by(col(MediatorDayOff.day))
    )
    out: dict[int, list[date]] = {}
    for row in (await session.exec(stmt)).all():
        out.setdefault(row.mediator_id, []).append(row.day)
    return out


async def mediator_accounts(session: AsyncSession) -> list[User]:
    stmt = select(User).where(col(User.staff_role) == "mediator").order_by(col(User.id))
    return list((await session.exec(stmt)).all())


async def mediators(session: AsyncSession, today: date) -> list[dict[str, Any]]:
    """Every mediator with availability, profile, upcoming days off and current load."""
    loads = await active_loads(session)
    off = await days_off(session, today)
    return [
        {
            "id": u.id,
            "display_name": u.display_name,
            "email": u.email,
            "available": u.available,
            "disabled": u.disabled,
            "active_cases": loads.get(u.id or 0, 0),
            "languages": split(u.languages),
            "case_kinds": split(u.case_kinds),
            "max_active_cases": u.max_active_cases,
            "days_off": off.get(u.id or 0, []),
        }
        for u in await mediator_accounts(session)
    ]


def _say(t: Texts, text: str | Say) -> str:
    """`text` in `t`'s language when it is a catalog text with values, else as it is."""
    return t.gettext(text.text, **text.values) if isinstance(text, Say) else text


def _describe(row: MediatorConflict) -> str | Say:
    """Who a conflict names, for the admin's warning (never a case's words); a bare account
    is worded in the reader's language where the text is shown."""
    return row.party_name or row.email or Say(N_("account {id}"), {"id": row.user_id})


async def duplicates(session: AsyncSession, case: Case) -> list[int]:
    """Other open cases with the same court case number (spacing and case ignored)."""
    return same_number(case, await open_by_number(session))


async def queue(session: AsyncSession, today: date, t: Texts | None = None) -> list[dict[str, Any]]:
    """Cases waiting for a mediator, oldest first, each with a suggested mediator, the recorded
    conflicts that touch it and other open cases with the same court case number. `today` is
    the centre's date (`local_today`): days off are the centre's days. `t`: the reader's
    language (English by default)."""
    t = t or texts_for(DEFAULT)
    stmt = (
        select(Case)
        .where(col(Case.status) == m.CaseStatus.AWAITING_MEDIATOR.value)
        .order_by(col(Case.id))
    )
    cases = list((await session.exec(stmt)).all())
    pool = await mediator_accounts(session)
    loads = await active_loads(session)
    off = await days_off(session, today)
    off_today = frozenset(mid for mid, days in off.items() if days and days[0] == today)
    by_number = await open_by_number(session)  # once, not once per queued case
    out = []
    for case in cases:
        assert case.id is not None
        members = await case_members(session, case.id)
        conflicts = await case_conflicts(session, case.id)
        needs = CaseNeeds(
            kind=case.kind,
            languages=frozenset(u.language for p, u in members if p.role == Role.PARTY.value),
            excluded=frozenset(conflicts) | {p.user_id for p, _ in members},
        )
        pick = suggest_mediator(pool, loads, needs, off_today)
        out.append(
            {
                "id": case.id,
                "kind": case.kind,
                "court_case_number": case.court_case_number,
                "hearing_date": case.hearing_date,
                "created_at": case.created_at,
                "parties": [
                    {
                        "display_name": u.display_name,
                        "side": p.side,
                        "language": u.language,
                        "interpreter": p.interpreter,
                    }
                    for p, u in members
                    if p.role == Role.PARTY.value
                ],
                "suggested": None
                if pick is None
                else {"id": pick.id, "display_name": pick.display_name},
                # Only that a screening asks for care; the answers stay behind their endpoint.
                "safety_flag": any(r.flagged for r in await screenings_of(session, case.id)),
                "conflicts": [
                    {"mediator_id": mid, "person": _say(t, _describe(row)), "note": row.note}
                    for mid, rows in sorted(conflicts.items())
                    for row in rows
                ],
                "duplicates": same_number(case, by_number),
            }
        )
    return out


async def conflicts(session: AsyncSession) -> list[dict[str, Any]]:
    """Every recorded conflict, with the mediator's name."""
    stmt = (
        select(MediatorConflict, User)
        .join(User, col(User.id) == col(MediatorConflict.mediator_id))
        .order_by(col(User.display_name), col(MediatorConflict.id))
    )
    return [
        {
            "id": row.id,
            "mediator_id": row.mediator_id,
            "mediator_name": mediator.display_name,
            "email": row.email,
            "user_id": row.user_id,
            "party_name": row.party_name,
            "note": row.note,
            "created_at": row.created_at,
        }
        for row, mediator in (await session.exec(stmt)).all()
    ]


async def _mediator_account(s: AsyncSession, user_id: int, field: str) -> User:
    found = await s.get(User, user_id)
    if found is None or found.staff_role != "mediator":
        raise Invalid(N_("Some fields need attention."), fields={field: N_("is not a mediator")})
    return found


async def observer_by_email(s: AsyncSession, email: str | None) -> int:
    """The id of the mediator account with this address (an observer is named by either)."""
    found = None
    if email:
        stmt = select(User).where(func.lower(col(User.email)) == email.lower())
        found = (await s.exec(stmt)).first()
    if found is None or found.id is None or found.staff_role != "mediator":
        raise Invalid(N_("Some fields need attention."), fields={"email": N_("is not a mediator")})
    return found.id


async def observer_account(s: AsyncSession, user_id: int) -> User:
    """An observer must be a mediator (in training)."""
    return await _mediator_account(s, user_id, "user_id")


class Staffing:
    """The admin's staffing actions; part of the case coordinator (`CaseService`)."""

    units: Units

    async def assign(
        self,
        admin: User,
        case_id: int,
        mediator_id: int,
        co_mediator_id: int | None = None,
        *,
        override_reason: str | None = None,
    ) -> None:
        """Assign or reassign; new neutrals and the parties are told; the intro goes on the case.

        A recorded conflict refuses the assignment (409 `mediator_conflict`, naming whom it
        concerns) unless `override_reason` says why it goes ahead; the override is audited."""
        assert admin.id is not None
        now = utcnow()
        async with self.units.begin() as unit:
            s = unit.session
            case, _ = await unit.lock(case_id)
            seats = [(await _mediator_account(s, mediator_id, "mediator_id"), "mediator")]
            if co_mediator_id is not None:
                co = await _mediator_account(s, co_mediator_id, "co_mediator_id")
                seats.append((co, "co-mediator"))
            if any(u.disabled for u, _ in seats):
                raise Conflict(N_("That account is disabled."), code="mediator_disabled")
            members = await case_members(s, case_id)
            found = await case_conflicts(s, case_id)
            hits = [(u, row) for u, _ in seats for row in found.get(u.id or 0, [])]
            if hits and not override_reason:
                who, row = hits[0]
                raise Conflict(
                    Say(
                        N_(
                            "A conflict of interest is recorded between {mediator} and "
                            "{person}. Choose another mediator, or give a reason to assign "
                            "anyway."
                        ),
                        {"mediator": who.display_name, "person": _describe(row)},
                    ),
                    code="mediator_conflict",
                )
            seated = {p.user_id for p, _ in members if p.role in _SEATS}
            command = m.AssignMediator(mediator_id, co_mediator_id)
            await unit.change(case, command, Actor(admin.id, Role.ADMIN), now)
            kind = CaseKind(case.kind)
            co_name = seats[1][0].display_name if len(seats) > 1 else None
            mediator_name = seats[0][0].display_name
            intro = notices.mediator_intro(mediator_name, co_name, kind)
            case.mediator_intro = intro  # the record's (English) copy; readers get their own
            s.add(case)
            detail: dict[str, Any] = {"mediator_id": mediator_id, "co_mediator_id": co_mediator_id}
            if hits:
                override = {
                    "reason": override_reason,
                    "conflict_ids": [row.id for _, row in hits],
                    **detail,
                }
                await unit.audit(admin.id, "case.conflict_override", case_id, override, now=now)
            await unit.audit(admin.id, "case.assigned", case_id, detail, now=now)
            link = notices.case_link(unit.settings.public_url, case_id)
            flagged = any(r.flagged for r in await screenings_of(s, case_id))
            for user, seat in seats:
                if user.id not in seated:
                    assigned = notices.assigned_to_you(
                        kind, case.court_case_number, case.court_name, seat
                    )
                    await unit.send(user, assigned, link)
                    if flagged:  # that it needs care, never the answers
                        care = safety_texts.screening_flagged(texts_for(user.language), case_id)
                        await unit.send(user, care, link)
            neutrals = {u.id or 0 for u, _ in seats}
            notice = notices.mediator_assigned(mediator_name, co_name, kind)
            await unit.notify(case_id, notice, optional=False, exclude=neutrals)

    async def set_availability(self, admin: User, user_id: int, available: bool) -> None:
        """Whether a mediator takes new cases (suggestions skip unavailable mediators)."""
        async with self.units.begin() as unit:
            mediator = await _mediator_account(unit.session, user_id, "user_id")
            mediator.available = available
            unit.session.add(mediator)
            detail = {"mediator_id": user_id, "available": available}
            await unit.audit(admin.id, "mediator.availability", None, detail)

    async def set_profile(
        self,
        admin: User,
        user_id: int,
        languages: Sequence[str],
        case_kinds: Sequence[str],
        max_active_cases: int | None,
    ) -> None:
        """A mediator's languages, case kinds and cap on active cases (for the suggestion)."""
        async with self.units.begin() as unit:
            mediator = await _mediator_account(unit.session, user_id, "user_id")
            mediator.languages = ",".join(dict.fromkeys(languages))
            mediator.case_kinds = ",".join(dict.fromkeys(case_kinds))
            mediator.max_active_cases = max_active_cases
            unit.session.add(mediator)
            detail = {
                "mediator_id": user_id,
                "languages": mediator.languages,
                "case_kinds": mediator.case_kinds,
                "max_active_cases": max_active_cases,
            }
            await unit.audit(admin.id, "mediator.profile", None, detail)

    async def set_days_off(self, admin: User, user_id: int, days: Sequence[date]) -> None:
        """Replace a mediator's days off from today on with `days` (earlier ones stay)."""
        today = local_today(self.units.settings.tz)
        async with self.units.begin() as unit:
            await _mediator_account(unit.session, user_id, "user_id")
            await unit.session.exec(
                delete(MediatorDayOff).where(
                    col(MediatorDayOff.mediator_id) == user_id, col(MediatorDayOff.day) >= today
                )
            )
            kept = sorted({d for d in days if d >= today})
            for day in kept:
                unit.session.add(MediatorDayOff(mediator_id=user_id, day=day))
            detail = {"mediator_id": user_id, "days_off": [d.isoformat() for d in kept]}
            await unit.audit(admin.id, "mediator.days_off", None, detail)

    async def add_conflict(
        self,
        admin: User,
        mediator_id: int,
        email: str | None,
        user_id: int | None,
        note: str,
        *,
        party_name: str | None = None,
    ) -> int:
        """Record a conflict of interest between a mediator and a person."""
        if email is None and user_id is None and not party_name:
            raise Invalid(
                N_("Some fields need attention."),
                fields={"party_name": N_("give the person's name, email address or account")},
            )
        async with self.units.begin() as unit:
            await _mediator_account(unit.session, mediator_id, "mediator_id")
            row = MediatorConflict(
                mediator_id=mediator_id,
                email=email,
                user_id=user_id,
                party_name=" ".join((party_name or "").split()) or None,
                note=note,
            )
            unit.session.add(row)
            await unit.session.flush()
            assert row.id is not None
            detail = {"mediator_id": mediator_id, "conflict_id": row.id}
            await unit.audit(admin.id, "mediator.conflict", None, detail)
            return row.id

    async def remove_conflict(self, admin: User, conflict_id: int) -> None:
        """Delete a recorded conflict (the audit log keeps that it existed)."""
        async with self.units.begin() as unit:
            row = await unit.session.get(MediatorConflict, conflict_id)
            if row is None:
                raise NotFound(N_("Not found."))
            detail = {"mediator_id": row.mediator_id, "conflict_id": conflict_id}
            await unit.session.delete(row)
            await unit.audit(admin.id, "mediator.conflict_removed", None, detail)
