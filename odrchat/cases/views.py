"""What participants see of a case: list lines, the case page and the next step in plain words.

Built from reads (`queries`); the words themselves live in `texts`. Contacts show only to the
neutrals and admins, to the person themselves, or where the person chose to share them; the
opt-out reason never shows.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.cases.kinds import CaseKind, side_label
from odrchat.cases.machine import CaseState, CaseStatus, duties
from odrchat.cases.queries import (
    actor_for,
    case_members,
    consents_of,
    load_case,
    open_invitation,
    participants_of,
    state_of,
    user_case_ids,
)
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case
from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION, NEXT_STEP, closed_notice
from odrchat.notify.sms import mask_number

__all__ = ["case_detail", "case_list", "case_summary", "next_step"]


def next_step(state: CaseState, actor: Actor) -> tuple[bool, str]:
    """Whether the case waits on this actor, and the next step in plain words."""
    status = state.status
    if status.is_final:
        return False, NEXT_STEP["closed"]
    if actor.role is Role.PARTY and actor.side not in state.consents:
        return True, NEXT_STEP["consent"]
    if status is CaseStatus.INVITED:
        return False, NEXT_STEP["invited"]
    if status is CaseStatus.AWAITING_CONSENT:
        return False, NEXT_STEP["other_consent"]
    if status is CaseStatus.AWAITING_MEDIATOR:
        if actor.role is Role.ADMIN:
            return True, NEXT_STEP["assign"]
        return False, NEXT_STEP["awaiting_mediator"]
    if actor.role is Role.OBSERVER and not actor.approved:
        return False, NEXT_STEP["observer_waiting"]
    return actor.role is not Role.ADMIN, NEXT_STEP["in_mediation"]


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
