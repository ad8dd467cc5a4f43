"""Reading cases: rows to the pure CaseState, who may see a case, and what they see.

Access rule: a user sees a case only through an active participant row; admins see every case
(as Actor(user_id, Role.ADMIN), audited by the caller). Anyone else gets None, which the
service turns into 404 so that an outsider cannot even learn that a case exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.cases.kinds import CaseKind, side_label
from odrchat.cases.machine import CaseState, CaseStatus, ConsentRecord, Outcome, duties
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case, ConsentRow, Invitation, Participant
from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION, closed_notice
from odrchat.notify.sms import mask_number

__all__ = [
    "actor_for",
    "actor_of",
    "case_detail",
    "case_list",
    "case_members",
    "case_summary",
    "consents_of",
    "load_case",
    "next_step",
    "open_invitation",
    "participants_of",
    "state_of",
    "user_case_ids",
]

_NEUTRAL_SEATS = (Role.MEDIATOR.value, Role.CO_MEDIATOR.value)


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


def actor_of(row: Participant) -> Actor:
    """The pure Actor a participant row stands for."""
    return Actor(row.user_id, Role(row.role), Side(row.side) if row.side else None, row.approved)


def state_of(
    case: Case, participants: Iterable[Participant], consents: Iterable[ConsentRow]
) -> CaseState:
    """Rebuild the pure state from rows (active participants only)."""
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


# -- what participants see -------------------------------------------------------------------


def next_step(state: CaseState, actor: Actor) -> tuple[bool, str]:
    """Whether the case waits on this actor, and the next step in plain words."""
    status = state.status
    if status.is_final:
        return False, "This case is closed."
    if actor.role is Role.PARTY and actor.side not in state.consents:
        return True, "Please read and accept the agreement to mediate."
    if status is CaseStatus.INVITED:
        return False, "Waiting for the other side to answer the invitation."
    if status is CaseStatus.AWAITING_CONSENT:
        return False, "Waiting for the other side to accept the agreement to mediate."
    if status is CaseStatus.AWAITING_MEDIATOR:
        if actor.role is Role.ADMIN:
            return True, "Please assign a mediator."
        return False, "Both sides agreed to mediate. CCR will assign a mediator soon."
    if actor.role is Role.OBSERVER and not actor.approved:
        return False, "Waiting for the mediator to approve you as an observer."
    return actor.role is not Role.ADMIN, "Mediation is under way: join the conversation."


def case_summary(case: Case, state: CaseState, actor: Actor) -> dict[str, Any]:
    """One line of a case list."""
    waiting, step = next_step(state, actor)
    return {
        "id": case.id,
        "kind": case.kind,
        "court_case_number": case.court_case_number,
        "status": case.status,
        "outcome": case.outcome,
        "my_role": actor.role.value,
        "my_side": actor.side.value if actor.side else None,
        "waiting_on_me": waiting,
        "next_step": step,
        "created_at": case.created_at,
    }


async def case_list(
    session: AsyncSession, user: User, *, every: bool = False
) -> list[dict[str, Any]]:
    """The user's cases (or, for an admin with `every`, all cases), newest first."""
    ids = await user_case_ids(session, user.id)
    if every:
        every_id = await session.exec(select(Case.id).order_by(col(Case.id).desc()))
        ids = [case_id for case_id in every_id.all() if case_id is not None]
    out = []
    for case_id in ids:
        case = await load_case(session, case_id)
        actor = await actor_for(session, case_id, user)
        if case is None or actor is None:
            continue
        state = state_of(
            case, await participants_of(session, case_id), await consents_of(session, case_id)
        )
        out.append(case_summary(case, state, actor))
    return out


async def case_detail(session: AsyncSession, case: Case, actor: Actor) -> dict[str, Any]:
    """Everything a participant (or an admin) may see of a case; never the opt-out reason."""
    assert case.id is not None
    kind = CaseKind(case.kind)
    members = await case_members(session, case.id)
    consents = await consents_of(session, case.id)
    state = state_of(case, [p for p, _ in members], consents)
    sees_contacts = actor.role in (Role.ADMIN, Role.MEDIATOR, Role.CO_MEDIATOR)
    people = []
    for p, u in members:
        role = Role(p.role)
        shown = sees_contacts or p.share_contact or p.user_id == actor.user_id
        people.append(
            {
                "user_id": p.user_id,
                "display_name": u.display_name,
                "role": role.value,
                "side": p.side,
                "side_label": side_label(kind, Side(p.side)) if p.side else None,
                "duties": duties(role),
                "approved": p.approved,
                "added_at": p.added_at,
                "email": u.email if shown else None,
                # A number is shown in full to its owner only; others see its last digits.
                "phone": (u.phone if p.user_id == actor.user_id else mask_number(u.phone))
                if shown and u.phone
                else None,
            }
        )
    waiting, step = next_step(state, actor)
    needs = (
        actor.role is Role.PARTY and actor.side not in state.consents and not state.status.is_final
    )
    invitation = (
        await open_invitation(session, case.id) if state.status is CaseStatus.INVITED else None
    )
    return {
        **case_summary(case, state, actor),
        "court_name": case.court_name,
        "hearing_date": case.hearing_date,
        "department": case.department,
        "premises_address": case.premises_address,
        "description": case.description,
        "fee_review": case.fee_review,
        "initiator_side": case.initiator_side,
        "closed_at": case.closed_at,
        "notice": closed_notice(state.outcome, kind, case.hearing_date) if state.outcome else None,
        "participants": people,
        "consents": [
            {
                "side": c.side,
                "user_id": c.user_id,
                "text_version": c.text_version,
                "accepted_at": c.accepted_at,
            }
            for c in consents
        ],
        "mediator_intro": case.mediator_intro,
        "consent_needed": AGREEMENT_TO_MEDIATE_VERSION if needs else None,
        "invitation": None
        if invitation is None
        else {
            "name": invitation.name,
            "sent_at": invitation.created_at,
            "expires_at": invitation.expires_at,
            # Only the inviter (and admins) see the address they typed.
            "email": invitation.email
            if actor.role is Role.ADMIN or invitation.created_by == actor.user_id
            else None,
        },
        "waiting_on_me": waiting,
        "next_step": step,
    }
