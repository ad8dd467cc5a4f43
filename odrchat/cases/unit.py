"""One unit of work for a case change: the single path every coordinator takes to the database.

A unit is one transaction. Inside it a coordinator locks the case (``SELECT ... FOR UPDATE``, so
racing changes serialise on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already does), resolves the
actor (an outsider gets 404, so a case's existence does not leak), runs the pure case machine,
writes what its events say, records room events through the `Feed`, and queues mail and audit
entries in the same transaction. When the transaction commits, the unit wakes the outbox and
flushes the feed, exactly once however many coordinators took part (an offer acceptance that
drafts an agreement is one unit, not three).

Lock order: the case row first, then any offer or agreement row of it. Every coordinator keeps
to it, so none can deadlock another.

Coordinators (cases, invitations, staffing, offers, agreements) take `Units`, never each other,
and never the socket hub: the rooms implement `Feed`. The opt-out reason goes to the case row and
the audit log only, never into an event, a feed payload, an email or a participant's view.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any, Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat import audit
from odrchat.auth.tables import User
from odrchat.cases import machine as m
from odrchat.cases import notices
from odrchat.cases.kinds import CaseKind
from odrchat.cases.queries import (
    actor_for,
    case_members,
    consents_of,
    load_case,
    participants_of,
    screenings_of,
    state_of,
)
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case, ConsentRow, Invitation, Participant
from odrchat.errors import Conflict, NotFound, from_domain
from odrchat.i18n import N_, Texts, texts_for
from odrchat.notify.email import Message, build_email
from odrchat.notify.notifier import Notifier, Words
from odrchat.notify.outbox import enqueue
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from odrchat.survey import service as survey

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


class Feed(Protocol):
    """Room events of a case, stored with the change and pushed after it (the rooms implement it).

    `record` and `post` run inside the unit's transaction; `flush` runs once after it committed.
    """

    async def record(
        self, session: AsyncSession, case_id: int, event_type: str, payload: dict[str, object]
    ) -> None:
        """Store a case lifecycle event in the case's joint room."""
        ...

    async def post(
        self,
        session: AsyncSession,
        case_id: int,
        event_type: str,
        body: dict[str, Any],
        *,
        sender_id: int | None = None,
    ) -> None:
        """Store an offer or agreement event (its body as given) in the case's joint room."""
        ...

    async def post_in_room(
        self,
        session: AsyncSession,
        room_id: int,
        event_type: str,
        body: dict[str, Any],
        *,
        sender_id: int | None = None,
    ) -> Any:
        """Store an event in one given room of the case (a relay, a hidden message's notice);
        returns the stored event (its `seq`)."""
        ...

    def changed(self, session: AsyncSession, case_id: int) -> None:
        """After the commit, every worker re-reads the case (access, control state)."""
        ...

    async def flush(self, session: AsyncSession) -> None:
        """Publish what this committed session recorded."""
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


class Units:
    """Opens units of work; the one dependency every case coordinator shares."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        wake_outbox: Callable[[], None] = lambda: None,
        feed: Feed | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.wake_outbox = wake_outbox
        self.feed = feed
        self.notifier = notifier or Notifier(settings.public_url, settings.secret_key, settings.tz)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Unit]:
        """One transaction; after it commits, wake the outbox and flush the feed, once."""
        async with self.db.session() as s:
            yield Unit(self, s)
        self.wake_outbox()
        if self.feed is not None:
            await self.feed.flush(s)


class Unit:
    """The session of one case change and everything that goes with it."""

    def __init__(self, units: Units, session: AsyncSession) -> None:
        self.units = units
        self.settings = units.settings
        self.session = session

    # -- locking -----------------------------------------------------------------------------

    async def lock(
        self, case_id: int, user: User | None = None, *, approved: bool = False
    ) -> tuple[Case, Actor]:
        """Lock the case and resolve the user's actor (the system's without a user).

        Outsiders, and with `approved` observers the mediator has not let in yet, get 404.
        """
        return await self._resolve(case_id, user, approved, lock=True)

    async def enter(
        self, case_id: int, user: User, *, approved: bool = False
    ) -> tuple[Case, Actor]:
        """Like `lock`, without the lock: for reading a case (outsiders still get 404)."""
        return await self._resolve(case_id, user, approved, lock=False)

    async def _resolve(
        self, case_id: int, user: User | None, approved: bool, *, lock: bool
    ) -> tuple[Case, Actor]:
        case = await load_case(self.session, case_id, lock=lock)
        actor: Actor | None = m.system_actor()
        if user is not None:
            actor = await actor_for(self.session, case_id, user) if case is not None else None
        if case is None or actor is None or (approved and not actor.approved):
            raise NotFound(N_("Not found."))
        return case, actor

    @staticmethod
    def require_mediation(case: Case) -> None:
        """Offers and agreements move only while the case is in mediation."""
        if case.status != m.CaseStatus.IN_MEDIATION:
            raise Conflict(N_("This case is not in mediation."), code="wrong_state")

    # -- the case machine --------------------------------------------------------------------

    async def change(
        self,
        case: Case,
        command: m.Command,
        actor: Actor,
        now: datetime,
        *,
        share_contact: bool = False,
    ) -> tuple[m.CaseState, list[m.Event]]:
        """Decide with the machine, then write exactly what the events say."""
        assert case.id is not None
        s = self.session
        rows = await participants_of(s, case.id)
        state = state_of(
            case,
            rows,
            await consents_of(s, case.id),
            await screenings_of(s, case.id),
            self.settings.screening_kinds,
        )
        try:
            new, events = m.apply(state, command, actor, now)
        except m.CaseError as exc:
            raise from_domain(exc.code, exc.message) from None
        case.status = new.status.value
        case.outcome = new.outcome.value if new.outcome else None
        case.closed_at = new.closed_at
        case.mediator_id, case.co_mediator_id = new.mediator_id, new.co_mediator_id
        s.add(case)
        await self.record_events(case.id, rows, events, actor, now, share_contact=share_contact)
        await s.flush()
        return new, events

    async def record_events(
        self,
        case_id: int,
        rows: list[Participant],
        events: Sequence[m.Event],
        actor: Actor,
        now: datetime,
        *,
        share_contact: bool = False,
    ) -> None:
        """Write what each event says and hand it to the feed."""
        feed = self.units.feed
        for event in events:
            _write(self.session, case_id, rows, event, actor, now, share_contact)
            if feed is not None:
                payload = event_payload(event)
                await feed.record(self.session, case_id, EVENT_TYPES[type(event)], payload)

    async def close(self, case: Case, outcome: m.Outcome, now: datetime) -> None:
        """Tell everyone (and a still-invited person) that the case ended; kill open links."""
        assert case.id is not None
        notice = notices.closed(outcome, CaseKind(case.kind), case.hearing_date)
        await self.notify(case.id, notice, optional=False)
        # Each party of a mediated case gets the satisfaction survey (odrchat/survey).
        await survey.invite_parties(
            self.session, self.settings.public_url, case, outcome, now, self.settings.tz
        )
        stmt = select(Invitation).where(
            col(Invitation.case_id) == case.id,
            col(Invitation.used_at).is_(None),
            col(Invitation.revoked_at).is_(None),
        )
        for inv in (await self.session.exec(stmt)).all():
            if inv.role == "party" and inv.expires_at > now:
                await self.tell_invitee(case, inv, outcome)
            inv.revoked_at = now
            self.session.add(inv)

    async def settle(self, case: Case, now: datetime) -> None:
        """The agreement is fully signed: close the (locked) case as settled."""
        await self.change(case, m.RecordSettlement(), m.system_actor(), now)
        await self.close(case, m.Outcome.SETTLED, now)

    # -- room events, mail and audit ---------------------------------------------------------

    async def post(
        self, case_id: int, event_type: str, body: dict[str, Any], *, sender_id: int | None = None
    ) -> None:
        """Store an offer or agreement event in the case's joint room."""
        if self.units.feed is not None:
            await self.units.feed.post(self.session, case_id, event_type, body, sender_id=sender_id)

    async def post_in_room(
        self, room_id: int, event_type: str, body: dict[str, Any], *, sender_id: int | None = None
    ) -> int | None:
        """Store an event in one given room; its seq (None without a feed)."""
        if self.units.feed is None:
            return None
        event = await self.units.feed.post_in_room(
            self.session, room_id, event_type, body, sender_id=sender_id
        )
        return int(event.seq)

    def changed(self, case_id: int) -> None:
        """Have every worker re-read the case once this unit commits."""
        if self.units.feed is not None:
            self.units.feed.changed(self.session, case_id)

    async def mail(self, message: Message) -> None:
        """Queue a message in the outbox; it leaves after the commit."""
        await enqueue(self.session, message)

    async def audit(
        self,
        user_id: int | None,
        action: str,
        case_id: int | None,
        detail: dict[str, Any],
        *,
        now: datetime | None = None,
    ) -> None:
        """Write an audit entry in this transaction."""
        await audit.record(self.session, user_id, action, case_id, detail, now=now)

    async def notify(
        self,
        case_id: int,
        notice: notices.Notice,
        optional: bool,
        *,
        exclude: Collection[int] = (),
        topic: str | None = None,
    ) -> int:
        """Queue the notice to every active participant; returns how many were told.

        Each person's choices for the topic decide email and text (`odrchat.notify.prefs`): an
        optional notice is an "updates" one unless a topic is given, a required one "case".
        """
        link = notices.case_link(self.settings.public_url, case_id)
        sent = 0
        for _, user in await case_members(self.session, case_id):
            if user.id in exclude:
                continue
            if await self.send(user, notice, link, topic or ("updates" if optional else "case")):
                sent += 1
        return sent

    async def send(
        self, user: User, notice: notices.Notice, link: str, topic: str = "case"
    ) -> bool:
        """One notice to one person, in their language, by the channels they chose for its
        topic; False if none."""

        def words(t: Texts) -> Words:  # in the reader's language and time zone
            return Words(notice.subject(t), notice.paragraphs(t), notices.sms_lead(t, notice), link)

        return await self.units.notifier.tell(self.session, user, topic, words, utcnow())

    async def tell_invitee(self, case: Case, inv: Invitation, outcome: m.Outcome) -> None:
        """The closing notice for someone who was invited but never joined, in the language
        the invitation was written in (its sender's)."""
        notice = notices.closed(outcome, CaseKind(case.kind), case.hearing_date)
        inviter = await self.session.get(User, inv.created_by)
        t = texts_for(inviter.language if inviter is not None else None, self.settings.tz)
        await self.mail(
            build_email(
                inv.email,
                notice.subject(t),
                notices.paragraphs_with_greeting(t, inv.name, notice.paragraphs(t)),
            )
        )


def _write(
    s: AsyncSession,
    case_id: int,
    rows: list[Participant],
    event: m.Event,
    actor: Actor,
    now: datetime,
    share_contact: bool,
) -> None:
    """The rows one case event stands for."""

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
