"""Mediator staffing: the admin queue, suggestions, assignment, availability and conflicts.

The suggestion for a waiting case is the available mediator with the fewest cases in
mediation (as mediator or co-mediator), skipping anyone with a recorded conflict with a party
or attorney of the case and anyone already taking part in it; ties go to the lowest id. An
explicit assignment may pick an unavailable mediator (availability only steers suggestions) but
never one with a recorded conflict. Every admin action here is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.cases import machine as m
from odrchat.cases import notices
from odrchat.cases.kinds import CaseKind
from odrchat.cases.queries import case_members, screenings_of
from odrchat.cases.roles import Actor, Role
from odrchat.cases.tables import Case, MediatorConflict, Participant
from odrchat.cases.unit import Units
from odrchat.errors import Conflict, Invalid
from odrchat.store.types import utcnow

_SEATS = (Role.MEDIATOR.value, Role.CO_MEDIATOR.value)
_SIDED = (Role.PARTY.value, Role.ATTORNEY.value)


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


async def conflicted_mediators(session: AsyncSession, people: Sequence[User]) -> set[int]:
    """Mediators with a recorded conflict with any of these people (by account or email)."""
    if not people:
        return set()
    ids = [u.id for u in people if u.id is not None]
    emails = [u.email.lower() for u in people]
    stmt = select(MediatorConflict.mediator_id).where(
        or_(
            col(MediatorConflict.user_id).in_(ids),
            func.lower(col(MediatorConflict.email)).in_(emails),
        )
    )
    return set((await session.exec(stmt)).all())


def suggest_mediator(
    mediators: Sequence[User], loads: dict[int, int], excluded: set[int]
) -> User | None:
    """The available, unexcluded mediator with the fewest active cases (lowest id on ties)."""
    fit = [u for u in mediators if u.available and u.id is not None and u.id not in excluded]
    return min(fit, key=lambda u: (loads.get(u.id or 0, 0), u.id or 0), default=None)


async def mediator_accounts(session: AsyncSession) -> list[User]:
    stmt = select(User).where(col(User.staff_role) == "mediator").order_by(col(User.id))
    return list((await session.exec(stmt)).all())


async def mediators(session: AsyncSession) -> list[dict[str, Any]]:
    """Every mediator with availability and current load, for the admin screen."""
    loads = await active_loads(session)
    return [
        {
            "id": u.id,
            "display_name": u.display_name,
            "email": u.email,
            "available": u.available,
            "active_cases": loads.get(u.id or 0, 0),
        }
        for u in await mediator_accounts(session)
    ]


async def queue(session: AsyncSession) -> list[dict[str, Any]]:
    """Cases waiting for a mediator, oldest first, each with a suggested mediator."""
    stmt = (
        select(Case)
        .where(col(Case.status) == m.CaseStatus.AWAITING_MEDIATOR.value)
        .order_by(col(Case.id))
    )
    cases = list((await session.exec(stmt)).all())
    pool = await mediator_accounts(session)
    loads = await active_loads(session)
    out = []
    for case in cases:
        assert case.id is not None
        members = await case_members(session, case.id)
        sided = [u for p, u in members if p.role in _SIDED]
        excluded = await conflicted_mediators(session, sided) | {p.user_id for p, _ in members}
        pick = suggest_mediator(pool, loads, excluded)
        out.append(
            {
                "id": case.id,
                "kind": case.kind,
                "court_case_number": case.court_case_number,
                "hearing_date": case.hearing_date,
                "created_at": case.created_at,
                "parties": [
                    {"display_name": u.display_name, "side": p.side}
                    for p, u in members
                    if p.role == Role.PARTY.value
                ],
                "suggested": None
                if pick is None
                else {"id": pick.id, "display_name": pick.display_name},
                # Only that a screening asks for care; the answers stay behind their endpoint.
                "safety_flag": any(r.flagged for r in await screenings_of(session, case.id)),
            }
        )
    return out


async def _mediator_account(s: AsyncSession, user_id: int, field: str) -> User:
    found = await s.get(User, user_id)
    if found is None or found.staff_role != "mediator":
        raise Invalid("Some fields need attention.", fields={field: "is not a mediator"})
    return found


async def observer_account(s: AsyncSession, user_id: int) -> User:
    """An observer must be a mediator (in training)."""
    return await _mediator_account(s, user_id, "user_id")


class Staffing:
    """The admin's staffing actions; part of the case coordinator (`CaseService`)."""

    units: Units

    async def assign(
        self, admin: User, case_id: int, mediator_id: int, co_mediator_id: int | None = None
    ) -> None:
        """Assign or reassign; new neutrals and the parties are told; the intro goes on the case."""
        assert admin.id is not None
        now = utcnow()
        async with self.units.begin() as unit:
            s = unit.session
            case, _ = await unit.lock(case_id)
            seats = [(await _mediator_account(s, mediator_id, "mediator_id"), "mediator")]
            if co_mediator_id is not None:
                co = await _mediator_account(s, co_mediator_id, "co_mediator_id")
                seats.append((co, "co-mediator"))
            members = await case_members(s, case_id)
            conflicted = await conflicted_mediators(s, [u for p, u in members if p.role in _SIDED])
            if any(u.id in conflicted for u, _ in seats):
                raise Conflict(
                    "A conflict of interest is recorded for this mediator and a party.",
                    code="mediator_conflict",
                )
            seated = {p.user_id for p, _ in members if p.role in _SEATS}
            command = m.AssignMediator(mediator_id, co_mediator_id)
            await unit.change(case, command, Actor(admin.id, Role.ADMIN), now)
            kind = CaseKind(case.kind)
            co_name = seats[1][0].display_name if len(seats) > 1 else None
            intro = notices.mediator_intro(seats[0][0].display_name, co_name, kind)
            case.mediator_intro = intro
            s.add(case)
            detail = {"mediator_id": mediator_id, "co_mediator_id": co_mediator_id}
            await unit.audit(admin.id, "case.assigned", case_id, detail, now=now)
            what = notices.describe_case(kind, case.court_case_number, case.court_name)
            link = notices.case_link(unit.settings.public_url, case_id)
            for user, seat in seats:
                if user.id not in seated:
                    await unit.send(user, notices.assigned_to_you(what, seat), link)
            neutrals = {u.id or 0 for u, _ in seats}
            notice = notices.mediator_assigned(intro)
            await unit.notify(case_id, notice, optional=False, exclude=neutrals)

    async def set_availability(self, admin: User, user_id: int, available: bool) -> None:
        """Whether a mediator takes new cases (suggestions skip unavailable mediators)."""
        async with self.units.begin() as unit:
            mediator = await _mediator_account(unit.session, user_id, "user_id")
            mediator.available = available
            unit.session.add(mediator)
            detail = {"mediator_id": user_id, "available": available}
            await unit.audit(admin.id, "mediator.availability", None, detail)

    async def add_conflict(
        self, admin: User, mediator_id: int, email: str | None, user_id: int | None, note: str
    ) -> int:
        """Record a conflict of interest between a mediator and a person."""
        if email is None and user_id is None:
            raise Invalid(
                "Some fields need attention.",
                fields={"email": "give the person's email address or account"},
            )
        async with self.units.begin() as unit:
            await _mediator_account(unit.session, mediator_id, "mediator_id")
            row = MediatorConflict(mediator_id=mediator_id, email=email, user_id=user_id, note=note)
            unit.session.add(row)
            await unit.session.flush()
            assert row.id is not None
            detail = {"mediator_id": mediator_id, "conflict_id": row.id}
            await unit.audit(admin.id, "mediator.conflict", None, detail)
            return row.id
