"""Intake and invitations: opening a case, inviting the other side or an attorney, answers, expiry.

Rules and honest gaps:

* The token is 256 random bits, stored only as its SHA-256. A link works once; resending makes a
  new token and revokes the old one; the inviter may revoke. Expired, used or revoked links, and
  links to a case that moved on, are all refused alike ("invalid_token").
* Accepting needs a logged-in account with the invitation's email address. An account registered
  through the link starts unverified; the invitation verifies it, since the link proves the person
  reads that mailbox. A different account gets 403 "wrong_account" (a forwarded link cannot make
  someone else a party).
* Declining needs only the token: the invitee may have no account and should not need one to say
  no. The machine sees "the invited side" (user id 0 when nobody is logged in).
* A revoked invitation that is never resent still holds the case open until it would have
  expired, so the inviter can send a corrected one; after that the case expires, not mediated.
* The invitation email and page show the inviter's display name only, never their contacts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlmodel import col, exists, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.auth.tokens import hash_token, new_token
from odrchat.cases import machine as m
from odrchat.cases import notices
from odrchat.cases.kinds import CaseFactsError, CaseKind, validate_case_facts
from odrchat.cases.queries import load_case, open_invitation
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case, Invitation
from odrchat.cases.texts import odr_explainer
from odrchat.errors import Conflict, Forbidden, Invalid, NotFound, from_domain
from odrchat.notify.email import SmsMessage, build_email
from odrchat.notify.outbox import enqueue
from odrchat.store.types import utcnow

if TYPE_CHECKING:
    from odrchat.cases.service import CaseService


def invalid_token() -> Invalid:
    return Invalid(
        "This invitation link is invalid, already used or expired.", code="invalid_token"
    )


async def open_case(
    svc: CaseService,
    user: User,
    *,
    kind: str,
    side: str,
    court_name: str | None,
    court_case_number: str | None,
    hearing_date: date | None,
    description: str,
    other_name: str,
    other_email: str,
    other_phone: str | None,
    share_contact: bool,
    department: str | None = None,
    premises_address: str | None = None,
) -> int:
    """Open a case for the user's side and email the other side an invitation."""
    assert user.id is not None
    if user.email_verified_at is None:
        raise Forbidden(
            "Please confirm your email address before opening a case.", code="email_unverified"
        )
    try:
        facts = validate_case_facts(
            CaseKind(kind),
            court_name,
            court_case_number,
            hearing_date,
            description,
            department=department,
            premises_address=premises_address,
        )
    except CaseFactsError as exc:
        raise Invalid("Some fields need attention.", fields=exc.fields) from None
    if other_email.lower() == user.email.lower():
        raise Invalid(
            "Some fields need attention.",
            fields={"other_email": "must be the other side's address, not yours"},
        )
    now = utcnow()
    actor = Actor(user.id, Role.PARTY, Side(side))
    try:
        _, events = m.apply(None, m.OpenCase(Side(side)), actor, now)
    except m.CaseError as exc:
        raise from_domain(exc.code, exc.message) from None
    async with svc.transaction() as s:
        case = Case(
            kind=facts.kind.value,
            status=m.CaseStatus.INVITED.value,
            court_name=facts.court_name,
            court_case_number=facts.court_case_number,
            hearing_date=facts.hearing_date,
            department=facts.department,
            premises_address=facts.premises_address,
            description=facts.description,
            fee_review=facts.fee_review,
            initiator_side=side,
            created_at=now,
            created_by=user.id,
        )
        s.add(case)
        await s.flush()
        assert case.id is not None
        await svc.record_events(s, case.id, [], events, actor, now, share_contact=share_contact)
        invitation = Invitation(
            case_id=case.id,
            email=other_email.lower(),
            name=other_name,
            phone=other_phone,
            side=Side(side).other.value,
            role="party",
            created_by=user.id,
            created_at=now,
            token_hash="",
            expires_at=now + svc.settings.invitation_ttl,
        )
        await send_invitation(svc, s, case, invitation, user.display_name)
        return case.id


async def send_invitation(
    svc: CaseService, s: AsyncSession, case: Case, inv: Invitation, inviter: str
) -> None:
    """Give the invitation a fresh token, store its hash and queue the email (and a text)."""
    token = new_token()
    inv.token_hash = hash_token(token)
    s.add(inv)
    kind = CaseKind(case.kind)
    what = notices.describe_case(kind, case.court_case_number, case.court_name)
    url = svc.settings.public_url
    if inv.role == "party":
        message = notices.party_invitation(
            url, inv.email, inv.name, inviter, kind, Side(inv.side), what, token, inv.expires_at
        )
    else:
        message = notices.attorney_invitation(
            url, inv.email, inv.name, inviter, kind, what, token, inv.expires_at
        )
    await enqueue(s, message)
    if inv.phone:
        await enqueue(s, SmsMessage(to=inv.phone, text=notices.invited_sms(inviter)))


async def _find(s: AsyncSession, token: str, *, lock: bool = False) -> Invitation:
    stmt = select(Invitation).where(col(Invitation.token_hash) == hash_token(token))
    if lock:
        stmt = stmt.with_for_update()
    inv = (await s.exec(stmt)).first()
    if inv is None or inv.used_at or inv.revoked_at or inv.expires_at <= utcnow():
        raise invalid_token()
    return inv


async def take(s: AsyncSession, token: str) -> tuple[Invitation, Case]:
    """The live invitation and its case, both locked (the case row first, as everywhere)."""
    case = await load_case(s, (await _find(s, token)).case_id, lock=True)
    inv = await _find(s, token, lock=True)
    assert case is not None
    status = m.CaseStatus(case.status)
    if status.is_final or (inv.role == "party" and status is not m.CaseStatus.INVITED):
        raise invalid_token()
    return inv, case


async def invitation_info(svc: CaseService, token: str) -> dict[str, object]:
    """What the invitation page shows before anyone logs in (no contact details)."""
    async with svc.db.session() as s:
        inv, case = await take(s, token)
        inviter = await s.get(User, inv.created_by)
    assert inviter is not None
    kind = CaseKind(case.kind)
    return {
        "kind": case.kind,
        "kind_label": notices.KIND_LABELS[kind],
        "court_name": case.court_name,
        "court_case_number": case.court_case_number,
        "hearing_date": case.hearing_date,
        "inviter": inviter.display_name,
        "name": inv.name,
        "role": inv.role,
        "side": inv.side,
        "expires_at": inv.expires_at,
        "explainer": odr_explainer(kind),
    }


async def accept(svc: CaseService, user: User, token: str, share_contact: bool) -> int:
    """Join the case the invitation is for (as the other party or as an attorney)."""
    assert user.id is not None
    now = utcnow()
    async with svc.transaction() as s:
        inv, case = await take(s, token)
        assert case.id is not None
        if user.email.lower() != inv.email.lower():
            raise Forbidden(
                "This invitation was sent to a different email address. Please log "
                "in with that address.",
                code="wrong_account",
            )
        account = await s.get(User, user.id)
        assert account is not None
        if account.email_verified_at is None:
            account.email_verified_at = now  # the emailed link proves the address
            s.add(account)
        side = Side(inv.side)
        if inv.role == "party":
            await svc.change(
                s,
                case,
                m.AcceptInvitation(),
                Actor(user.id, Role.PARTY, side),
                now,
                share_contact=share_contact,
            )
            notice = notices.joined(CaseKind(case.kind), side, user.display_name)
        else:
            # The party who invited their attorney is the one who adds them.
            party = Actor(inv.created_by, Role.PARTY, side)
            await svc.change(
                s,
                case,
                m.AddParticipant(user.id, Role.ATTORNEY, side),
                party,
                now,
                share_contact=share_contact,
            )
            notice = notices.participant_added(user.display_name, "an attorney")
        inv.used_at = now
        s.add(inv)
        await svc.notify(s, case.id, notice, optional=True, exclude={user.id})
        return case.id


async def decline(svc: CaseService, token: str, user: User | None) -> None:
    """Say no to mediation (party) or to acting as attorney; the token is enough."""
    now = utcnow()
    async with svc.transaction() as s:
        inv, case = await take(s, token)
        inv.used_at = now
        s.add(inv)
        if inv.role != "party":
            return
        who = user.id if user is not None and user.id is not None else m.SYSTEM_USER_ID
        await svc.change(
            s, case, m.DeclineInvitation(), Actor(who, Role.PARTY, Side(inv.side)), now
        )
        await tell_invitee(s, case, inv, m.Outcome.DECLINED)
        await svc.announce_closed(s, case, m.Outcome.DECLINED, now)


async def tell_invitee(s: AsyncSession, case: Case, inv: Invitation, outcome: m.Outcome) -> None:
    """The closing notice for someone who was invited but never joined."""
    notice = notices.closed(outcome, CaseKind(case.kind), case.hearing_date)
    await enqueue(
        s,
        build_email(
            inv.email, notice.subject, notices.paragraphs_with_greeting(inv.name, notice.paragraphs)
        ),
    )


async def _inviters(
    s: AsyncSession, case: Case, actor: Actor, role: str, *, include_revoked: bool = False
) -> Invitation:
    assert case.id is not None
    if m.CaseStatus(case.status).is_final:
        raise Conflict("This case is closed.", code="wrong_state")
    # Attorney invitations belong to the party who sent them; the case has one party invitation.
    by = actor.user_id if role == "attorney" else None
    inv = await open_invitation(s, case.id, role, by, include_revoked=include_revoked)
    if inv is None:
        raise NotFound("There is no open invitation.", code="no_invitation")
    if inv.created_by != actor.user_id:
        raise Forbidden("Only the person who sent the invitation can do that.", code="not_allowed")
    return inv


async def resend(
    svc: CaseService, user: User, case_id: int, role: str, email: str | None, name: str | None
) -> None:
    """Send a fresh link (optionally to a corrected address); the old link stops working."""
    now = utcnow()
    async with svc.transaction() as s:
        case, actor = await svc.locked(s, case_id, user)
        old = await _inviters(s, case, actor, role, include_revoked=True)
        if role == "party" and case.status != m.CaseStatus.INVITED.value:
            raise Conflict("The other side has already answered.", code="wrong_state")
        old.revoked_at = old.revoked_at or now
        s.add(old)
        fresh = Invitation(
            case_id=case_id,
            email=(email or old.email).lower(),
            name=name or old.name,
            phone=None if email else old.phone,
            side=old.side,
            role=old.role,
            created_by=old.created_by,
            created_at=now,
            token_hash="",
            expires_at=now + svc.settings.invitation_ttl,
        )
        await send_invitation(svc, s, case, fresh, user.display_name)


async def revoke(svc: CaseService, user: User, case_id: int, role: str) -> None:
    """Kill the open link; the case waits for a resend until the old link would expire."""
    async with svc.transaction() as s:
        case, actor = await svc.locked(s, case_id, user)
        inv = await _inviters(s, case, actor, role)
        inv.revoked_at = utcnow()
        s.add(inv)


async def invite_attorney(
    svc: CaseService, user: User, case_id: int, email: str, name: str
) -> None:
    """A party invites their own attorney by email."""
    assert user.id is not None
    now = utcnow()
    async with svc.transaction() as s:
        case, actor = await svc.locked(s, case_id, user)
        if actor.role is not Role.PARTY or actor.side is None:
            raise Forbidden("Only a party can invite their attorney.", code="not_allowed")
        if m.CaseStatus(case.status).is_final:
            raise Conflict("This case is closed.", code="wrong_state")
        inv = Invitation(
            case_id=case_id,
            email=email.lower(),
            name=name,
            side=actor.side.value,
            role="attorney",
            created_by=user.id,
            created_at=now,
            token_hash="",
            expires_at=now + svc.settings.invitation_ttl,
        )
        await send_invitation(svc, s, case, inv, user.display_name)


async def expire(svc: CaseService, now: datetime) -> int:
    """Close every invited case whose invitation went unanswered; returns how many."""
    live = exists().where(
        col(Invitation.case_id) == col(Case.id),
        col(Invitation.role) == "party",
        col(Invitation.used_at).is_(None),
        col(Invitation.expires_at) > now,
    )
    stmt = select(Case.id).where(col(Case.status) == m.CaseStatus.INVITED.value, ~live)
    async with svc.db.session() as s:
        due = [case_id for case_id in (await s.exec(stmt)).all() if case_id is not None]
    expired = 0
    for case_id in due:
        async with svc.transaction() as s:
            case = await load_case(s, case_id, lock=True)
            # Re-check under the lock: an answer or a resend may have come in meanwhile.
            if case is None or (await s.exec(stmt.where(col(Case.id) == case_id))).first() is None:
                continue
            await svc.change(s, case, m.ExpireInvitation(), m.system_actor(), now)
            last = await open_invitation(s, case_id, include_revoked=True)
            if last is not None and last.revoked_at is None:
                await tell_invitee(s, case, last, m.Outcome.EXPIRED)
            await svc.announce_closed(s, case, m.Outcome.EXPIRED, now)
            expired += 1
    return expired
