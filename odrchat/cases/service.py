"""The case coordinator: load rows, decide with the pure machine, persist, notify, push.

Every change follows one path (`change`): lock the case row (``SELECT ... FOR UPDATE``, so two
racing changes on PostgreSQL serialise; SQLite's ``BEGIN IMMEDIATE`` already does), rebuild the
pure state, run `machine.apply`, write what its events say, queue the notifications in the same
transaction, and hand each public event to the feed. After the commit the outbox is woken and
the feed flushed (`after_commit`). A user outside a case gets 404 for everything about it.

Invitation flows live in `odrchat.cases.invitations`; this class exposes them.
The opt-out reason goes to `cases.opt_out_reason` and the audit log, never into an event, a
feed payload, an email or a participant's view.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any, Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat import audit
from odrchat.auth.tables import User
from odrchat.cases import invitations, notices, staffing
from odrchat.cases import machine as m
from odrchat.cases.kinds import CaseKind
from odrchat.cases.queries import (
    actor_for,
    case_detail,
    case_members,
    consents_of,
    load_case,
    participants_of,
    state_of,
)
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case, ConsentRow, Invitation, Participant
from odrchat.errors import NotFound, from_domain
from odrchat.notify.email import build_email
from odrchat.notify.outbox import enqueue
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow

log = logging.getLogger("odrchat.cases")

EXPIRY_EVERY = 60.0  # seconds between sweeps for unanswered invitations
EVENT_TYPES: dict[type[Any], str] = {
    m.CaseOpened: "case.opened",
    m.InvitationAccepted: "case.joined",
    m.InvitationDeclined: "case.declined",
    m.ConsentRecorded: "case.consented",
    m.ReadyForMediator: "case.ready_for_mediator",
    m.MediatorAssigned: "case.mediator_assigned",
    m.ParticipantAdded: "case.participant_added",
    m.ParticipantRemoved: "case.participant_removed",
    m.ObserverApproved: "case.observer_approved",
    m.CaseClosed: "case.closed",
}
_ROLE_WORDS = {
    Role.ATTORNEY: "an attorney",
    Role.OBSERVER: "an observer (a mediator in training)",
    Role.MEDIATOR: "the mediator",
    Role.CO_MEDIATOR: "the co-mediator",
}


class CaseFeed(Protocol):
    """Real-time push of public case events (implemented by the rooms hub)."""

    async def record(
        self, session: AsyncSession, case_id: int, event_type: str, payload: dict[str, object]
    ) -> None:
        """Called inside the transaction for each public event."""
        ...

    async def flush(self, session: AsyncSession) -> None:
        """Called after the transaction committed."""
        ...


def event_payload(event: m.Event) -> dict[str, object]:
    """A machine event as JSON-safe values (events never carry contacts or opt-out reasons)."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        out[f.name] = value
    return out


class CaseService:
    """Opens cases, runs invitations, consent, assignment and outcomes."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        wake_outbox: Callable[[], None] = lambda: None,
        feed: CaseFeed | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.wake_outbox = wake_outbox
        self.feed = feed

    # -- plumbing ----------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.db.session() as s:
            yield s
        await self.after_commit(s)

    async def after_commit(self, session: AsyncSession) -> None:
        """Wake the outbox and flush the feed; call after committing a session you passed in."""
        self.wake_outbox()
        if self.feed is not None:
            await self.feed.flush(session)

    async def locked(self, s: AsyncSession, case_id: int, user: User) -> tuple[Case, Actor]:
        case = await load_case(s, case_id, lock=True)
        actor = await actor_for(s, case_id, user) if case is not None else None
        if case is None or actor is None:
            raise NotFound("Not found.")
        return case, actor

    async def change(
        self,
        s: AsyncSession,
        case: Case,
        command: m.Command,
        actor: Actor,
        now: datetime,
        *,
        share_contact: bool = False,
    ) -> tuple[m.CaseState, list[m.Event]]:
        """Decide with the machine, then write exactly what the events say."""
        assert case.id is not None
        rows = await participants_of(s, case.id)
        state = state_of(case, rows, await consents_of(s, case.id))
        try:
            new, events = m.apply(state, command, actor, now)
        except m.CaseError as exc:
            raise from_domain(exc.code, exc.message) from None
        case.status = new.status.value
        case.outcome = new.outcome.value if new.outcome else None
        case.closed_at = new.closed_at
        case.mediator_id, case.co_mediator_id = new.mediator_id, new.co_mediator_id
        s.add(case)
        await self.record_events(s, case.id, rows, events, actor, now, share_contact=share_contact)
        await s.flush()
        return new, events

    def write(
        self,
        s: AsyncSession,
        case_id: int,
        rows: list[Participant],
        event: m.Event,
        actor: Actor,
        now: datetime,
        share_contact: bool,
    ) -> None:
        def seat(user_id: int, role: Role, side: Side | None = None, approved: bool = True) -> None:
            s.add(
                Participant(
                    case_id=case_id,
                    user_id=user_id,
                    role=role.value,
                    side=side.value if side else None,
                    approved=approved,
                    added_at=now,
                    share_contact=share_contact,
                )
            )

        def unseat(row: Participant) -> None:
            row.active, row.removed_at = False, now
            s.add(row)

        if isinstance(event, m.CaseOpened):
            seat(event.user_id, Role.PARTY, event.initiator)
        elif isinstance(event, m.InvitationAccepted):
            seat(event.user_id, Role.PARTY, event.side)
        elif isinstance(event, m.ConsentRecorded):
            s.add(
                ConsentRow(
                    case_id=case_id,
                    user_id=actor.user_id,
                    side=event.side.value,
                    text_version=event.text_version,
                    accepted_at=now,
                )
            )
        elif isinstance(event, m.ParticipantAdded):
            seat(event.user_id, event.role, event.side, event.role is not Role.OBSERVER)
        elif isinstance(event, m.ParticipantRemoved):
            for row in rows:
                if row.user_id == event.user_id and row.role == event.role.value:
                    unseat(row)
        elif isinstance(event, m.ObserverApproved):
            for row in rows:
                if row.user_id == event.user_id and row.role == Role.OBSERVER.value:
                    row.approved = True
                    s.add(row)
        elif isinstance(event, m.MediatorAssigned):
            wanted = {
                Role.MEDIATOR.value: event.mediator_id,
                Role.CO_MEDIATOR.value: event.co_mediator_id,
            }
            for row in rows:
                if row.role in wanted and wanted[row.role] != row.user_id:
                    unseat(row)
            for role, user_id in wanted.items():
                if user_id is not None and not any(
                    r.role == role and r.user_id == user_id for r in rows
                ):
                    seat(user_id, Role(role))

    # -- notifications ---------------------------------------------------------------------

    async def notify_participants(
        self,
        session: AsyncSession,
        case_id: int,
        subject: str,
        paragraphs: Sequence[str],
        optional: bool,
        *,
        exclude: Collection[int] = (),
    ) -> int:
        """Queue an email (and a text for those with a phone) to every active participant.

        Optional notices skip users who turned them off. Call `after_commit` (or wake the
        outbox) once the session commits. Returns how many people were notified.
        """
        notice = notices.Notice(subject, tuple(paragraphs))
        link = notices.case_link(self.settings.public_url, case_id)
        sent = 0
        for _, user in await case_members(session, case_id):
            if user.id in exclude or (optional and not user.notify_optional):
                continue
            await self.send(session, user, notice, link)
            sent += 1
        return sent

    async def send(self, s: AsyncSession, user: User, notice: notices.Notice, link: str) -> None:
        await enqueue(
            s,
            build_email(
                user.email,
                notice.subject,
                notices.paragraphs_with_greeting(user.display_name, notice.paragraphs),
                ("Open your case", link),
                "You can choose which optional updates you receive in your account settings.",
            ),
        )
        if user.phone:
            await enqueue(s, notices.sms_message(user.phone, notice, link))

    async def notify(
        self,
        s: AsyncSession,
        case_id: int,
        notice: notices.Notice,
        optional: bool,
        exclude: Collection[int] = (),
    ) -> None:
        await self.notify_participants(
            s, case_id, notice.subject, notice.paragraphs, optional, exclude=exclude
        )

    async def announce_closed(
        self, s: AsyncSession, case: Case, outcome: m.Outcome, now: datetime
    ) -> None:
        """Tell everyone (and a still-invited person) that the case ended; kill open links."""
        assert case.id is not None
        notice = notices.closed(outcome, CaseKind(case.kind), case.hearing_date)
        await self.notify(s, case.id, notice, optional=False)
        stmt = select(Invitation).where(
            col(Invitation.case_id) == case.id,
            col(Invitation.used_at).is_(None),
            col(Invitation.revoked_at).is_(None),
        )
        for inv in (await s.exec(stmt)).all():
            if inv.role == "party" and inv.expires_at > now:
                await invitations.tell_invitee(s, case, inv, outcome)
            inv.revoked_at = now
            s.add(inv)

    async def record_events(
        self,
        s: AsyncSession,
        case_id: int,
        rows: list[Participant],
        events: Sequence[m.Event],
        actor: Actor,
        now: datetime,
        *,
        share_contact: bool = False,
    ) -> None:
        """Write what each event says and hand it to the feed (inside the transaction)."""
        for event in events:
            self.write(s, case_id, rows, event, actor, now, share_contact)
            if self.feed is not None:
                await self.feed.record(s, case_id, EVENT_TYPES[type(event)], event_payload(event))

    # -- intake and invitations (the flows live in odrchat.cases.invitations) -------------------

    async def open_case(self, user: User, **facts: Any) -> int:
        """Open a case for the user's side and email the other side an invitation."""
        return await invitations.open_case(self, user, **facts)

    async def invitation_info(self, token: str) -> dict[str, object]:
        """The public invitation page: explainer, kind, court number, inviter's name only."""
        return await invitations.invitation_info(self, token)

    async def accept_invitation(
        self, user: User, token: str, *, share_contact: bool = False
    ) -> int:
        """Join the invited case (party or attorney); returns the case id."""
        return await invitations.accept(self, user, token, share_contact)

    async def decline_invitation(self, token: str, user: User | None = None) -> None:
        """Say no; a declined party invitation closes the case, not mediated."""
        await invitations.decline(self, token, user)

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
        await invitations.resend(self, user, case_id, role, email, name)

    async def revoke_invitation(self, user: User, case_id: int, *, role: str = "party") -> None:
        """The inviter kills their open link."""
        await invitations.revoke(self, user, case_id, role)

    async def invite_attorney(self, user: User, case_id: int, email: str, name: str) -> None:
        """A party invites their attorney by email."""
        await invitations.invite_attorney(self, user, case_id, email, name)

    async def expire_invitations(self, now: datetime) -> int:
        """Close invited cases whose invitation went unanswered by `now`; returns how many."""
        return await invitations.expire(self, now)

    # -- consent and outcomes ---------------------------------------------------------------

    async def consent(self, user: User, case_id: int, text_version: str) -> None:
        """A party accepts the agreement to mediate, naming the version they read."""
        now = utcnow()
        async with self.transaction() as s:
            case, actor = await self.locked(s, case_id, user)
            _, events = await self.change(s, case, m.Consent(text_version), actor, now)
            if any(isinstance(e, m.ReadyForMediator) for e in events):
                await self.notify(s, case_id, notices.ready_for_mediator(), optional=True)

    async def opt_out(self, user: User, case_id: int, reason: str | None) -> None:
        """Stop mediation for everybody; the reason is kept for admins' audit only."""
        now = utcnow()
        async with self.transaction() as s:
            case, actor = await self.locked(s, case_id, user)
            await self.change(s, case, m.OptOut(reason), actor, now)
            case.opt_out_reason = reason
            s.add(case)
            await audit.record(
                s,
                user.id,
                "case.opted_out",
                case_id,
                {"role": actor.role.value, "side": actor.side, "reason": reason},
                now=now,
            )
            await self.announce_closed(s, case, m.Outcome.OPTED_OUT, now)

    async def record_impasse(self, user: User, case_id: int) -> None:
        """The mediator records that no agreement was reached."""
        now = utcnow()
        async with self.transaction() as s:
            case, actor = await self.locked(s, case_id, user)
            await self.change(s, case, m.RecordImpasse(), actor, now)
            await self.announce_closed(s, case, m.Outcome.IMPASSE, now)

    async def record_settlement(self, case_id: int, *, session: AsyncSession | None = None) -> None:
        """The agreement is fully signed: close the case as settled.

        Pass `session` to settle inside your own transaction; then call `after_commit(session)`
        once it commits.
        """
        if session is not None:
            await self._settle(session, case_id)
            return
        async with self.transaction() as s:
            await self._settle(s, case_id)

    async def _settle(self, s: AsyncSession, case_id: int) -> None:
        now = utcnow()
        case = await load_case(s, case_id, lock=True)
        if case is None:
            raise NotFound("Not found.")
        await self.change(s, case, m.RecordSettlement(), m.system_actor(), now)
        await self.announce_closed(s, case, m.Outcome.SETTLED, now)

    # -- participants ------------------------------------------------------------------------

    async def add_observer(self, user: User, case_id: int, observer_id: int) -> None:
        """The mediator adds a mediator in training, who waits for the mediator's approval."""
        async with self.transaction() as s:
            case, actor = await self.locked(s, case_id, user)
            await staffing.observer_account(s, observer_id)
            await self.change(
                s, case, m.AddParticipant(observer_id, Role.OBSERVER), actor, utcnow()
            )

    async def approve_observer(self, user: User, case_id: int, observer_id: int) -> None:
        """The mediator approves an observer, who from now on reads the joint conversation."""
        async with self.transaction() as s:
            case, actor = await self.locked(s, case_id, user)
            await self.change(s, case, m.ApproveObserver(observer_id), actor, utcnow())
            observer = await s.get(User, observer_id)
            assert observer is not None
            notice = notices.participant_added(observer.display_name, _ROLE_WORDS[Role.OBSERVER])
            await self.notify(s, case_id, notice, optional=True, exclude={observer_id})

    async def remove_participant(self, user: User, case_id: int, target_id: int) -> None:
        """Remove (or, for oneself, leave as) an attorney or observer."""
        async with self.transaction() as s:
            case, actor = await self.locked(s, case_id, user)
            await self.change(s, case, m.RemoveParticipant(target_id), actor, utcnow())
            target = await s.get(User, target_id)
            assert target is not None
            notice = notices.participant_removed(target.display_name)
            await self.notify(s, case_id, notice, optional=True, exclude={user.id or 0})

    # -- administration (the flows live in odrchat.cases.staffing) -----------------------------

    async def assign(
        self, admin: User, case_id: int, mediator_id: int, co_mediator_id: int | None = None
    ) -> None:
        """Assign or reassign the mediator (and co-mediator); everyone is told."""
        await staffing.assign(self, admin, case_id, mediator_id, co_mediator_id)

    async def set_availability(self, admin: User, user_id: int, available: bool) -> None:
        """Whether a mediator takes new cases."""
        await staffing.set_availability(self, admin, user_id, available)

    async def add_conflict(
        self, admin: User, mediator_id: int, email: str | None, user_id: int | None, note: str
    ) -> int:
        """Record a conflict of interest between a mediator and a person."""
        return await staffing.add_conflict(self, admin, mediator_id, email, user_id, note)

    # -- reading -----------------------------------------------------------------------------

    async def detail(self, user: User, case_id: int) -> dict[str, Any]:
        """A case as this user may see it; an admin's view is written to the audit log."""
        async with self.transaction() as s:
            case = await load_case(s, case_id)
            actor = await actor_for(s, case_id, user) if case is not None else None
            if case is None or actor is None:
                raise NotFound("Not found.")
            if actor.role is Role.ADMIN:
                await audit.record(s, user.id, "case.viewed", case_id, {})
            return await case_detail(s, case, actor)

    async def run(self) -> None:
        """Sweep for unanswered invitations every minute until cancelled."""
        while True:
            try:
                count = await self.expire_invitations(utcnow())
                if count:
                    log.info("expired %d unanswered invitation(s)", count)
            except Exception:  # supervision boundary: a database blip must not end the sweeper
                log.exception("invitation expiry sweep failed")
            await asyncio.sleep(EXPIRY_EVERY)
