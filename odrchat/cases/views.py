"""What participants see of a case: list lines, the case page and the next step in plain words.

Built from reads (`queries`); the words themselves live in `texts`. Contacts show only to the
neutrals and admins, to the person themselves, or, where the person chose to share them, to their
own side and observers: never to the other side, whatever was chosen. The opt-out reason never
shows. Screening answers never show here: the neutrals and admins see only whether a case is
flagged (`safety_flag`) and when a party last asked for help; everyone else sees neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.cases.kinds import CaseKind, side_label
from odrchat.cases.machine import CaseState, CaseStatus, duties
from odrchat.cases.notices import mediator_intro
from odrchat.cases.queries import (
    actor_for,
    case_members,
    consents_of,
    load_case,
    open_by_number,
    open_invitation,
    participants_of,
    same_number,
    screenings_of,
    state_of,
    user_case_ids,
)
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case, Invitation, Participant
from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION, NEXT_STEP, closed_notice
from odrchat.i18n import Texts
from odrchat.notify.sms import mask_number
from odrchat.safety.screening import ALWAYS_SCREENED
from odrchat.safety.tables import HelpRequest, Screening

_SAFETY_READERS = (Role.ADMIN, Role.MEDIATOR, Role.CO_MEDIATOR)


@dataclass(frozen=True, slots=True)
class SafetyMarks:
    """What the neutrals and admins see of a case's safety, without any answer."""

    flagged: bool
    last_help: datetime | None
    open_help: int  # help requests nobody has marked handled yet


async def safety_marks(
    session: AsyncSession, case_id: int, screenings: list[Screening]
) -> SafetyMarks:
    """Whether any screening flagged the case, the newest help request's time, and how many
    help requests are still open."""
    stmt = select(HelpRequest.at, HelpRequest.handled_at).where(col(HelpRequest.case_id) == case_id)
    helps = list((await session.exec(stmt)).all())
    last = max((at for at, _ in helps), default=None)
    still_open = sum(1 for _, handled in helps if handled is None)
    return SafetyMarks(any(r.flagged for r in screenings), last, still_open)


__all__ = ["case_detail", "case_list", "case_summary", "in_language", "next_step"]


def next_step(state: CaseState, actor: Actor) -> tuple[bool, str]:
    """Whether the case waits on this actor, and the next step in plain words."""
    status = state.status
    if status.is_final:
        return False, NEXT_STEP["closed"]
    if actor.role is Role.PARTY and actor.side not in state.consents:
        if state.screening_required and actor.side not in state.screened:
            return True, NEXT_STEP["screening"]
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


def case_summary(
    case: Case, state: CaseState, actor: Actor, marks: SafetyMarks | None = None
) -> dict[str, Any]:
    """One line of a case list; the safety marks only for the neutrals and admins."""
    waiting, step = next_step(state, actor)
    shown = marks if actor.role in _SAFETY_READERS else None
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
        "safety_flag": shown.flagged if shown else None,
        "help_requested_at": shown.last_help if shown else None,
        "help_open": shown.open_help if shown else None,
    }


async def case_list(
    session: AsyncSession,
    user: User,
    *,
    every: bool = False,
    screening_kinds: frozenset[str] = ALWAYS_SCREENED,
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
        screenings = await screenings_of(session, case_id)
        state = state_of(
            case,
            await participants_of(session, case_id),
            await consents_of(session, case_id),
            screenings,
            screening_kinds,
        )
        marks = await safety_marks(session, case_id, screenings)
        out.append(case_summary(case, state, actor, marks))
    return out


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """The administration's case search; every condition given must hold."""

    kind: str | None = None
    status: str | None = None
    mediator_id: int | None = None
    court_case_number: str | None = None  # a part of it, spacing and case ignored
    party: str | None = None  # a part of a party's (or invitee's) name
    since: datetime | None = None  # opened at or after
    until: datetime | None = None  # opened before


async def admin_case_list(
    session: AsyncSession,
    admin: User,
    where: CaseFilter,
    screening_kinds: frozenset[str] = ALWAYS_SCREENED,
) -> list[dict[str, Any]]:
    """Every case matching `where`, newest first, with its mediator, parties, fee status and
    the other open cases with its court case number."""
    stmt = select(Case).order_by(col(Case.id).desc())
    if where.kind:
        stmt = stmt.where(col(Case.kind) == where.kind)
    if where.status:
        stmt = stmt.where(col(Case.status) == where.status)
    if where.mediator_id is not None:
        seated = select(Participant.case_id).where(
            col(Participant.user_id) == where.mediator_id,
            col(Participant.role).in_((Role.MEDIATOR.value, Role.CO_MEDIATOR.value)),
            col(Participant.active).is_(True),
        )
        stmt = stmt.where(col(Case.id).in_(seated))
    if where.court_case_number:
        wanted = "".join(where.court_case_number.split()).upper()
        squeezed = func.upper(func.replace(col(Case.court_case_number), " ", ""))
        stmt = stmt.where(squeezed.contains(wanted))
    if where.party:
        like = f"%{where.party.lower()}%"
        named = (
            select(Participant.case_id)
            .join(User, col(User.id) == col(Participant.user_id))
            .where(
                col(Participant.role) == Role.PARTY.value,
                func.lower(col(User.display_name)).like(like),
            )
        )
        invited = select(Invitation.case_id).where(func.lower(col(Invitation.name)).like(like))
        stmt = stmt.where(or_(col(Case.id).in_(named), col(Case.id).in_(invited)))
    if where.since is not None:
        stmt = stmt.where(col(Case.created_at) >= where.since)
    if where.until is not None:
        stmt = stmt.where(col(Case.created_at) < where.until)
    out = []
    by_number = await open_by_number(session)
    for case in (await session.exec(stmt.limit(500))).all():
        assert case.id is not None
        members = await case_members(session, case.id)
        actor = await actor_for(session, case.id, admin)
        if actor is None:
            continue
        screenings = await screenings_of(session, case.id)
        consents = await consents_of(session, case.id)
        participants = await participants_of(session, case.id)
        state = state_of(case, participants, consents, screenings, screening_kinds)
        marks = await safety_marks(session, case.id, screenings)
        mediator = next((u for p, u in members if p.role == Role.MEDIATOR.value), None)
        out.append(
            {
                **case_summary(case, state, actor, marks),
                "mediator": mediator.display_name if mediator else None,
                "parties": [u.display_name for p, u in members if p.role == Role.PARTY.value],
                "fee_review": case.fee_review,
                "fee_status": case.fee_status,
                "duplicates": same_number(case, by_number),
            }
        )
    return out


async def case_detail(
    session: AsyncSession,
    case: Case,
    actor: Actor,
    screening_kinds: frozenset[str] = ALWAYS_SCREENED,
) -> dict[str, Any]:
    """Everything a participant (or an admin) may see of a case; never the opt-out reason."""
    assert case.id is not None
    kind = CaseKind(case.kind)
    members = await case_members(session, case.id)
    consents = await consents_of(session, case.id)
    screenings = await screenings_of(session, case.id)
    state = state_of(case, [p for p, _ in members], consents, screenings, screening_kinds)
    sees_contacts = actor.role in _SAFETY_READERS
    people = []
    for p, u in members:
        role = Role(p.role)
        other_side = actor.side is not None and p.side is not None and p.side != actor.side
        shared = p.share_contact and not other_side
        shown = sees_contacts or p.user_id == actor.user_id or shared
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
                # Messages are never translated: the neutrals see who reads which language.
                "language": u.language if sees_contacts else None,
                "interpreter": p.interpreter
                if sees_contacts or p.user_id == actor.user_id
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
    marks = await safety_marks(session, case.id, screenings)
    screened_me = any(r.user_id == actor.user_id for r in screenings)
    return {
        **case_summary(case, state, actor, marks),
        "screening_required": state.screening_required,
        "screening_answered": screened_me if actor.role is Role.PARTY else None,
        "court_name": case.court_name,
        "hearing_date": case.hearing_date,
        "department": case.department,
        "premises_address": case.premises_address,
        "description": case.description,
        "fee_review": case.fee_review,
        "fee_status": case.fee_status,
        "initiator_side": case.initiator_side,
        "closed_at": case.closed_at,
        "performed_at": case.performed_at,
        "notice": closed_notice(state.outcome, kind, case.hearing_date) if state.outcome else None,
        "participants": people,
        "consents": [
            {
                "side": c.side,
                "user_id": c.user_id,
                "text_version": c.text_version,
                "language": c.text_language,
                "text_sha256": c.text_sha256,
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


def in_language(shown: dict[str, Any], t: Texts) -> dict[str, Any]:
    """A case (list line or detail) with its words in the reader's language.

    The views build the English words (catalog msgids); the stored copies (the mediator's
    introduction) stay in English, and each reader gets theirs written here.
    """
    out = dict(shown)
    out["next_step"] = t.gettext(shown["next_step"])
    people = shown.get("participants")
    if people is None:
        return out
    out["participants"] = [
        {
            **person,
            "side_label": t.gettext(person["side_label"]) if person["side_label"] else None,
            "duties": t.gettext(person["duties"]),
        }
        for person in people
    ]
    kind = CaseKind(shown["kind"])
    if shown.get("notice") and shown.get("outcome"):
        out["notice"] = closed_notice(shown["outcome"], kind, shown["hearing_date"], t)
    if shown.get("mediator_intro"):
        seated = {p["role"]: p["display_name"] for p in people}
        mediator = seated.get(Role.MEDIATOR.value)
        if mediator is not None:
            out["mediator_intro"] = mediator_intro(
                mediator, seated.get(Role.CO_MEDIATOR.value), kind, t
            )
    return out
