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
* A court case number another open case already has is filed all the same (the same dispute
  filed by its other side, or twice, is for staff to sort out, not for the form to refuse); it
  is audited with the other cases' ids, and the filer learns only that the number is in use.
  Asking first, before filing, would let anyone test numbers without a trace; a filing leaves
  one (the case, its invitation, the audit entry).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, exists, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.auth.tokens import hash_token, new_token
from odrchat.cases import machine as m
from odrchat.cases import notices
from odrchat.cases.kinds import CaseFactsError, CaseKind, validate_case_facts
from odrchat.cases.queries import load_case, open_invitation
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.staffing import duplicates
from odrchat.cases.tables import Case, Invitation, Participant
from odrchat.cases.texts import odr_explainer
from odrchat.cases.unit import Unit, Units
from odrchat.errors import Conflict, Forbidden, Invalid, NotFound, Say, from_domain
from odrchat.i18n import N_, Texts, texts_for
from odrchat.notify.email import SmsMessage
from odrchat.store.types import utcnow


def invalid_token() -> Invalid:
    return Invalid(
        N_("This invitation link is invalid, already used or expired."), code="invalid_token"
    )


async def send_invitation(
    unit: Unit,
    case: Case,
    inviter: str,
    now: datetime,
    *,
    email: str,
    name: str,
    side: str,
    role: str,
    created_by: int,
    phone: str | None = None,
) -> None:
    """A new invitation with a fresh token (only its hash is stored); queue the email (and text)."""
    assert case.id is not None
    token = new_token()
    inv = Invitation(
        case_id=case.id,
        email=email.lower(),
        name=name,
        phone=phone,
        side=side,
        role=role,
        created_by=created_by,
        created_at=now,
        token_hash=hash_token(token),
        expires_at=now + unit.settings.invitation_ttl,
    )
    unit.session.add(inv)
    kind = CaseKind(case.kind)
    facts = (case.court_case_number, case.court_name)
    url = unit.settings.public_url
    # Written in the inviter's language, with a line to the invitation in each other language;
    # its date in the centre's time zone (the invitee has chosen none).
    sender = await unit.session.get(User, created_by)
    t = texts_for(sender.language if sender is not None else None, unit.settings.tz)
    if inv.role == "party":
        message = notices.party_invitation(
            t, url, inv.email, inv.name, inviter, kind, Side(inv.side), token, inv.expires_at, facts
        )
    else:
        message = notices.attorney_invitation(
            t, url, inv.email, inv.name, inviter, kind, token, inv.expires_at, facts
        )
    await unit.mail(message)
    if inv.phone:
        await unit.mail(SmsMessage(to=inv.phone, text=notices.invited_sms(t, inviter)))


async def ask_interpreter(
    s: AsyncSession, case_id: int, user_id: int, language: str | None
) -> None:
    """Record a party's request for an interpreter in `language` (the admin queue shows it)."""
    if not language:
        return
    stmt = select(Participant).where(
        col(Participant.case_id) == case_id,
        col(Participant.user_id) == user_id,
        col(Participant.role) == Role.PARTY.value,
        col(Participant.active).is_(True),
    )
    row = (await s.exec(stmt)).first()
    if row is not None:
        row.interpreter = language
        s.add(row)


# An invitation is named by its emailed token, or (for its addressee, logged in with that
# confirmed address: the list on My cases) by its id.
Key = str | int


async def _find(s: AsyncSession, key: Key, *, lock: bool = False) -> Invitation:
    if isinstance(key, int):
        stmt = select(Invitation).where(col(Invitation.id) == key)
    else:
        stmt = select(Invitation).where(col(Invitation.token_hash) == hash_token(key))
    if lock:
        stmt = stmt.with_for_update()
    inv = (await s.exec(stmt)).first()
    if inv is None or inv.used_at or inv.revoked_at or inv.expires_at <= utcnow():
        raise invalid_token()
    return inv


def _answerable(inv: Invitation, case: Case) -> bool:
    """Whether the case still waits for this invitation's answer."""
    status = m.CaseStatus(case.status)
    return not (status.is_final or (inv.role == "party" and status is not m.CaseStatus.INVITED))


async def take(s: AsyncSession, key: Key, user: User | None = None) -> tuple[Invitation, Case]:
    """The live invitation and its case, both locked (the case row first, as everywhere). By
    id, only for `user` with its address confirmed; any other is refused like a dead link."""
    case = await load_case(s, (await _find(s, key)).case_id, lock=True)
    inv = await _find(s, key, lock=True)
    assert case is not None
    if not _answerable(inv, case):
        raise invalid_token()
    if isinstance(key, int) and (user is None or not addressed_to(inv, user)):
        raise invalid_token()
    return inv, case


def addressed_to(inv: Invitation, user: User) -> bool:
    """The invitation was sent to the user's address, and the user has confirmed it."""
    return user.email_verified_at is not None and inv.email.lower() == user.email.lower()


def _info(inv: Invitation, case: Case, inviter: User, t: Texts) -> dict[str, object]:
    kind = CaseKind(case.kind)
    return {
        "id": inv.id,
        "kind": case.kind,
        "kind_label": t.gettext(notices.KIND_LABELS[kind]),
        "court_name": case.court_name,
        "court_case_number": case.court_case_number,
        "hearing_date": case.hearing_date,
        "inviter": inviter.display_name,
        "name": inv.name,
        "role": inv.role,
        "side": inv.side,
        "expires_at": inv.expires_at,
        "explainer": odr_explainer(kind, t),
    }


async def _inviters(
    s: AsyncSession, case: Case, actor: Actor, role: str, *, include_revoked: bool = False
) -> Invitation:
    assert case.id is not None
    if m.CaseStatus(case.status).is_final:
        raise Conflict(N_("This case is closed."), code="wrong_state")
    # Attorney invitations belong to the party who sent them; the case has one party invitation.
    by = actor.user_id if role == "attorney" else None
    inv = await open_invitation(s, case.id, role, by, include_revoked=include_revoked)
    if inv is None:
        raise NotFound(N_("There is no open invitation."), code="no_invitation")
    if inv.created_by != actor.user_id:
        raise Forbidden(
            N_("Only the person who sent the invitation can do that."), code="not_allowed"
        )
    return inv


class Invitations:
    """Intake and invitation flows; part of the case coordinator (`CaseService`)."""

    units: Units

    async def open_case(
        self,
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
        interpreter: str | None = None,
    ) -> int:
        """Open a case for the user's side and email the other side an invitation; the party
        may ask for an interpreter (the language)."""
        assert user.id is not None
        if user.email_verified_at is None:
            raise Forbidden(
                N_("Please confirm your email address before opening a case."),
                code="email_unverified",
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
            fields = {k: Say(v, exc.values.get(k)) for k, v in exc.fields.items()}
            raise Invalid(N_("Some fields need attention."), fields=fields) from None
        if other_email.lower() == user.email.lower():
            raise Invalid(
                N_("Some fields need attention."),
                fields={"other_email": N_("must be the other side's address, not yours")},
            )
        now = utcnow()
        actor = Actor(user.id, Role.PARTY, Side(side))
        try:
            _, events = m.apply(None, m.OpenCase(Side(side)), actor, now)
        except m.CaseError as exc:
            raise from_domain(exc.code, exc.message) from None
        async with self.units.begin() as unit:
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
            unit.session.add(case)
            await unit.session.flush()
            assert case.id is not None
            await unit.record_events(case.id, [], events, actor, now, share_contact=share_contact)
            await ask_interpreter(unit.session, case.id, user.id, interpreter)
            same = await duplicates(unit.session, case)
            if same:  # filed all the same; staff check it (the queue shows it too)
                await unit.audit(
                    user.id, "case.same_court_number", case.id, {"open_cases": same}, now=now
                )
            await send_invitation(
                unit,
                case,
                user.display_name,
                now,
                email=other_email,
                name=other_name,
                phone=other_phone,
                side=Side(side).other.value,
                role="party",
                created_by=user.id,
            )
            return case.id

    async def invitation_info(
        self, key: Key, language: str | None = None, user: User | None = None
    ) -> dict[str, object]:
        """The public invitation page: explainer, kind, court number, inviter's name only;
        the words in `language` (the request's). By id, only for its addressee `user`."""
        t = texts_for(language)
        async with self.units.db.session() as s:
            inv, case = await take(s, key, user)
            inviter = await s.get(User, inv.created_by)
        assert inviter is not None
        return _info(inv, case, inviter, t)

    async def my_invitations(
        self, user: User, language: str | None = None
    ) -> list[dict[str, object]]:
        """The invitations still open that were sent to the user's confirmed address, newest
        first (none until the address is confirmed: a typed address proves nothing)."""
        if user.email_verified_at is None:
            return []
        t = texts_for(language)
        async with self.units.db.session() as s:
            stmt = (
                select(Invitation, Case, User)
                .join(Case, col(Case.id) == col(Invitation.case_id))
                .join(User, col(User.id) == col(Invitation.created_by))
                .where(
                    col(Invitation.email) == user.email.lower(),
                    col(Invitation.used_at).is_(None),
                    col(Invitation.revoked_at).is_(None),
                    col(Invitation.expires_at) > utcnow(),
                )
                .order_by(col(Invitation.id).desc())
            )
            rows = (await s.exec(stmt)).all()
        return [
            _info(inv, case, inviter, t) for inv, case, inviter in rows if _answerable(inv, case)
        ]

    async def accept_invitation(
        self,
        user: User,
        token: Key,
        *,
        share_contact: bool = False,
        interpreter: str | None = None,
    ) -> int:
        """Join the invited case (party or attorney); returns the case id. A party may ask
        for an interpreter (the language)."""
        assert user.id is not None
        now = utcnow()
        async with self.units.begin() as unit:
            s = unit.session
            inv, case = await take(s, token, user)
            assert case.id is not None
            if user.email.lower() != inv.email.lower():
                raise Forbidden(
                    N_(
                        "This invitation was sent to a different email address. Please log "
                        "in with that address."
                    ),
                    code="wrong_account",
                )
            account = await s.get(User, user.id)
            assert account is not None
            if account.email_verified_at is None:
                account.email_verified_at = now  # the emailed link proves the address
                s.add(account)
            side = Side(inv.side)
            if inv.role == "party":
                command: m.Command = m.AcceptInvitation()
                actor = Actor(user.id, Role.PARTY, side)
                notice = notices.joined(CaseKind(case.kind), side, user.display_name)
            else:
                # The party who invited their attorney is the one who adds them.
                command = m.AddParticipant(user.id, Role.ATTORNEY, side)
                actor = Actor(inv.created_by, Role.PARTY, side)
                notice = notices.participant_added(
                    user.display_name, notices.ROLE_WORDS[Role.ATTORNEY]
                )
            await unit.change(case, command, actor, now, share_contact=share_contact)
            if inv.role == "party":
                await ask_interpreter(s, case.id, user.id, interpreter)
            inv.used_at = now
            s.add(inv)
            await unit.notify(case.id, notice, optional=True, exclude={user.id})
            return case.id

    async def decline_invitation(self, token: Key, user: User | None = None) -> None:
        """Say no; a declined party invitation closes the case, not mediated."""
        now = utcnow()
        async with self.units.begin() as unit:
            inv, case = await take(unit.session, token, user)
            inv.used_at = now
            unit.session.add(inv)
            if inv.role != "party":
                return
            who = user.id if user is not None and user.id is not None else m.SYSTEM_USER_ID
            actor = Actor(who, Role.PARTY, Side(inv.side))
            await unit.change(case, m.DeclineInvitation(), actor, now)
            await unit.tell_invitee(case, inv, m.Outcome.DECLINED)
            await unit.close(case, m.Outcome.DECLINED, now)

    async def resend_invitation(
        self,
        user: User,
        case_id: int,
        *,
        role: str = "party",
        email: str | None = None,
        name: str | None = None,
    ) -> None:
        """A fresh link (optionally to a corrected address); the old one dies."""
        now = utcnow()
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            old = await _inviters(unit.session, case, actor, role, include_revoked=True)
            if role == "party" and case.status != m.CaseStatus.INVITED.value:
                raise Conflict(N_("The other side has already answered."), code="wrong_state")
            old.revoked_at = old.revoked_at or now
            unit.session.add(old)
            await send_invitation(
                unit,
                case,
                user.display_name,
                now,
                email=email or old.email,
                name=name or old.name,
                phone=None if email else old.phone,
                side=old.side,
                role=old.role,
                created_by=old.created_by,
            )

    async def revoke_invitation(self, user: User, case_id: int, *, role: str = "party") -> None:
        """The inviter kills their open link; the case waits for a resend until it would expire."""
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            inv = await _inviters(unit.session, case, actor, role)
            inv.revoked_at = utcnow()
            unit.session.add(inv)

    async def invite_attorney(self, user: User, case_id: int, email: str, name: str) -> None:
        """A party invites their own attorney by email."""
        assert user.id is not None
        now = utcnow()
        async with self.units.begin() as unit:
            case, actor = await unit.lock(case_id, user)
            if actor.role is not Role.PARTY or actor.side is None:
                raise Forbidden(N_("Only a party can invite their attorney."), code="not_allowed")
            if m.CaseStatus(case.status).is_final:
                raise Conflict(N_("This case is closed."), code="wrong_state")
            await send_invitation(
                unit,
                case,
                user.display_name,
                now,
                email=email,
                name=name,
                side=actor.side.value,
                role="attorney",
                created_by=user.id,
            )

    async def expire_invitations(self, now: datetime) -> int:
        """Close invited cases whose invitation went unanswered by `now`; returns how many."""
        live = exists().where(
            col(Invitation.case_id) == col(Case.id),
            col(Invitation.role) == "party",
            col(Invitation.used_at).is_(None),
            col(Invitation.expires_at) > now,
        )
        stmt = select(Case.id).where(col(Case.status) == m.CaseStatus.INVITED.value, ~live)
        async with self.units.db.session() as s:
            due = [case_id for case_id in (await s.exec(stmt)).all() if case_id is not None]
        expired = 0
        for case_id in due:
            async with self.units.begin() as unit:
                s = unit.session
                case = await load_case(s, case_id, lock=True)
                # Re-check under the lock: an answer or a resend may have come in meanwhile.
                still = stmt.where(col(Case.id) == case_id)
                if case is None or (await s.exec(still)).first() is None:
                    continue
                await unit.change(case, m.ExpireInvitation(), m.system_actor(), now)
                last = await open_invitation(s, case_id, include_revoked=True)
                if last is not None and last.revoked_at is None:
                    await unit.tell_invitee(case, last, m.Outcome.EXPIRED)
                await unit.close(case, m.Outcome.EXPIRED, now)
                expired += 1
        return expired
