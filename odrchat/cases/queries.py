"""Reading cases: rows to the pure CaseState, who may see a case, members and invitations.

Access rule: a user sees a case only through an active participant row; admins see every case
(as Actor(user_id, Role.ADMIN), audited by the caller). Anyone else gets None, which the
service turns into 404 so that an outsider cannot even learn that a case exists.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.cases.machine import CaseState, CaseStatus, ConsentRecord, Outcome
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case, ConsentRow, Invitation, Participant
from odrchat.safety import screening
from odrchat.safety.tables import Screening

__all__ = [
    "actor_for",
    "actor_of",
    "case_members",
    "consents_of",
    "load_case",
    "number_key",
    "open_by_number",
    "open_invitation",
    "participants_of",
    "same_number",
    "screenings_of",
    "state_of",
    "user_case_ids",
]

_NEUTRAL_SEATS = (Role.MEDIATOR.value, Role.CO_MEDIATOR.value)


def number_key(number: str) -> str:
    """A court case number as compared: spacing and letter case do not matter."""
    return "".join(number.split()).upper()


async def open_by_number(session: AsyncSession) -> dict[str, list[int]]:
    """The open cases' ids by court case number (`number_key`), in id order."""
    stmt = (
        select(Case.id, Case.court_case_number)
        .where(col(Case.court_case_number).is_not(None), col(Case.closed_at).is_(None))
        .order_by(col(Case.id))
    )
    found: dict[str, list[int]] = {}
    for cid, number in (await session.exec(stmt)).all():
        if cid is not None and number and number_key(number):
            found.setdefault(number_key(number), []).append(cid)
    return found


def same_number(case: Case, by_number: dict[str, list[int]]) -> list[int]:
    """The other open cases with this case's court case number (none for a closed case)."""
    if not case.court_case_number or case.closed_at is not None:
        return []
    return [cid for cid in by_number.get(number_key(case.court_case_number), []) if cid != case.id]


async def load_case(session: AsyncSession, case_id: int, *, lock: bool = False) -> Case | None:
    """The case row; `lock` takes a row lock so racing changes on PostgreSQL serialise."""
    stmt = select(Case).where(col(Case.id) == case_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.exec(stmt)).first()


async def participants_of(session: AsyncSession, case_id: int) -> list[Participant]:
    """The active participant rows of a case, oldest first."""
    stmt = (
        select(Participant)
        .where(col(Participant.case_id) == case_id, col(Participant.active).is_(True))
        .order_by(col(Participant.id))
    )
    return list((await session.exec(stmt)).all())


async def consents_of(session: AsyncSession, case_id: int) -> list[ConsentRow]:
    stmt = select(ConsentRow).where(col(ConsentRow.case_id) == case_id).order_by(col(ConsentRow.id))
    return list((await session.exec(stmt)).all())


async def screenings_of(session: AsyncSession, case_id: int) -> list[Screening]:
    """The parties' screening answers in a case (confidential: callers decide who sees them)."""
    stmt = select(Screening).where(col(Screening.case_id) == case_id).order_by(col(Screening.id))
    return list((await session.exec(stmt)).all())


def actor_of(row: Participant) -> Actor:
    """The pure Actor a participant row stands for."""
    return Actor.stored(row.user_id, row.role, row.side, row.approved)


def state_of(
    case: Case,
    participants: Iterable[Participant],
    consents: Iterable[ConsentRow],
    screenings: Iterable[Screening] = (),
    screening_kinds: Iterable[str] = screening.ALWAYS_SCREENED,
) -> CaseState:
    """Rebuild the pure state from rows (active participants only).

    Only which sides answered the screening reaches the state, never what they answered.
    """
    rows = list(participants)
    # Neutrals are known to the machine by id (from the case row), not as participants.
    members = frozenset(actor_of(p) for p in rows if p.role not in _NEUTRAL_SEATS)
    initiator = Side(case.initiator_side)
    joined = {initiator} | {Side(p.side) for p in rows if p.role == Role.PARTY and p.side}
    return CaseState(
        status=CaseStatus(case.status),
        initiator=initiator,
        joined=frozenset(joined),
        participants=members,
        consents={Side(c.side): ConsentRecord(c.text_version, c.accepted_at) for c in consents},
        mediator_id=case.mediator_id,
        co_mediator_id=case.co_mediator_id,
        outcome=Outcome(case.outcome) if case.outcome else None,
        closed_at=case.closed_at,
        screening_required=screening.required(case.kind, screening_kinds),
        screened=frozenset(Side(r.side) for r in screenings),
    )


async def actor_for(session: AsyncSession, case_id: int, user: User) -> Actor | None:
    """The user's Actor in the case; an admin outside it is Role.ADMIN; None means no access."""
    assert user.id is not None
    stmt = select(Participant).where(
        col(Participant.case_id) == case_id,
        col(Participant.user_id) == user.id,
        col(Participant.active).is_(True),
    )
    row = (await session.exec(stmt)).first()
    if row is not None:
        return actor_of(row)
    if user.is_admin and await load_case(session, case_id) is not None:
        return Actor(user.id, Role.ADMIN)
    return None


async def case_members(session: AsyncSession, case_id: int) -> list[tuple[Participant, User]]:
    """Active participants with their accounts, oldest first."""
    stmt = (
        select(Participant, User)
        .join(User, col(User.id) == col(Participant.user_id))
        .where(col(Participant.case_id) == case_id, col(Participant.active).is_(True))
        .order_by(col(Participant.id))
    )
    return [(p, u) for p, u in (await session.exec(stmt)).all()]


async def user_case_ids(session: AsyncSession, user_id: int | None) -> list[int]:
    """Ids of the cases the user actively takes part in, newest first."""
    stmt = (
        select(Participant.case_id)
        .where(col(Participant.user_id) == user_id, col(Participant.active).is_(True))
        .distinct()
        .order_by(col(Participant.case_id).desc())
    )
    return list((await session.exec(stmt)).all())


async def open_invitation(
    session: AsyncSession,
    case_id: int,
    role: str = "party",
    created_by: int | None = None,
    *,
    include_revoked: bool = False,
) -> Invitation | None:
    """The newest unused invitation of this role in the case (revoked ones only if asked)."""
    stmt = (
        select(Invitation)
        .where(
            col(Invitation.case_id) == case_id,
            col(Invitation.role) == role,
            col(Invitation.used_at).is_(None),
        )
        .order_by(col(Invitation.id).desc())
    )
    if not include_revoked:
        stmt = stmt.where(col(Invitation.revoked_at).is_(None))
    if created_by is not None:
        stmt = stmt.where(col(Invitation.created_by) == created_by)
    return (await session.exec(stmt)).first()
