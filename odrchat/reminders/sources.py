"""The case reminders: each source loads plain rows, then decides with a pure ``due``.

* invitation.unanswered: 3 and 7 days after an invitation, while it is open; to the invitee
  and to the inviter.
* consent.missing: 2 and 5 days after a party joined without agreeing to mediate; to them.
* mediator.unassigned: 2 days after both sides consented, with no mediator; to every admin.
* signature.waiting: 2 and 5 days after the agreement went out for signature (its ``sent_at``;
  a signature changes the row, never that); to parties of unsigned sides.
* offer.expiring: 24 hours before an open offer's deadline; to the parties who must answer.
* hearing.approaching: 9:00 centre time, 7 and 2 days before the hearing; to everyone in it.

A reminder stops being due once its reason is gone (the invitation answered, the mediator
assigned, the agreement signed...), because ``load`` only returns rows that still need one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.agreements.tables import AgreementRow, SignatureRow
from odrchat.auth.tables import User
from odrchat.cases.machine import CaseStatus
from odrchat.cases.tables import Case, ConsentRow, Invitation, Participant
from odrchat.i18n import Texts
from odrchat.notify.notifier import Words
from odrchat.offers.tables import OfferRow
from odrchat.reminders import texts
from odrchat.reminders.engine import LATE, Letter, Recipient, Reminder, stage

__all__ = [
    "ConsentSource",
    "HearingSource",
    "InvitationSource",
    "MediatorSource",
    "OfferSource",
    "SignatureSource",
    "label_of",
]

DAY = timedelta(days=1)
OPEN = (
    CaseStatus.INVITED.value,
    CaseStatus.AWAITING_CONSENT.value,
    CaseStatus.AWAITING_MEDIATOR.value,
    CaseStatus.IN_MEDIATION.value,
)


def label_of(case: Case) -> str:
    """How a reminder names a case: its court number, else its number here."""
    return case.court_case_number or f"#{case.id}"


async def _parties(s: AsyncSession, case_ids: set[int]) -> dict[int, list[tuple[int, str, str]]]:
    """Active parties (user id, side, language) of each case."""
    out: dict[int, list[tuple[int, str, str]]] = {c: [] for c in case_ids}
    if not case_ids:
        return out
    stmt = (
        select(Participant, User.language)
        .join(User, col(User.id) == col(Participant.user_id))
        .where(
            col(Participant.case_id).in_(case_ids),
            col(Participant.active).is_(True),
            col(Participant.role) == "party",
        )
    )
    for row, language in (await s.exec(stmt)).all():
        out[row.case_id].append((row.user_id, row.side or "", language))
    return out


def _letters(
    people: Sequence[tuple[int, str]], words: Callable[[Texts], Words]
) -> tuple[Letter, ...]:
    """One letter per (user id, language), written as it is sent: in that person's language
    and time zone (`Notifier.tell`)."""
    return tuple(Letter(Recipient(user_id=u, language=lang), words) for u, lang in people)


# -- invitations -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenInvitation:
    id: int
    case_id: int
    label: str
    created_at: datetime
    expires_at: datetime
    email: str
    name: str
    inviter_id: int
    language: str  # the inviter's: the invitation went out in it


class InvitationSource:
    """An invitation not answered after 3 and 7 days: to the invitee, and to the inviter."""

    name = "invitations"
    kind = "invitation.unanswered"
    marks = (("3d", 3 * DAY), ("7d", 7 * DAY))

    async def load(self, s: AsyncSession, now: datetime) -> list[OpenInvitation]:
        stmt = (
            select(Invitation, Case, User.language)
            .join(Case, col(Case.id) == col(Invitation.case_id))
            .join(User, col(User.id) == col(Invitation.created_by))
            .where(
                col(Invitation.used_at).is_(None),
                col(Invitation.revoked_at).is_(None),
                col(Invitation.expires_at) > now,
                col(Invitation.created_at) > now - self.marks[-1][1] - LATE,
                col(Case.status).in_(OPEN),
            )
        )
        return [
            OpenInvitation(
                inv.id or 0,
                inv.case_id,
                label_of(case),
                inv.created_at,
                inv.expires_at,
                inv.email,
                inv.name,
                inv.created_by,
                language,
            )
            for inv, case, language in (await s.exec(stmt)).all()
        ]

    def due(self, rows: Sequence[OpenInvitation], now: datetime) -> list[Reminder]:
        out = []
        for r in rows:
            marks = [(name, r.created_at + after) for name, after in self.marks]
            occurrence = stage(now, marks, r.expires_at)
            if occurrence is None:
                continue
            # Each letter is written as it goes: the invitee's in the inviter's language (the
            # invitation's) and the centre's zone, the inviter's in their own language and zone.
            letters = (
                Letter(
                    Recipient(email=r.email, name=r.name, language=r.language),
                    partial(
                        texts.invitation_unanswered_invitee, label=r.label, expires=r.expires_at
                    ),
                ),
                Letter(
                    Recipient(user_id=r.inviter_id, language=r.language),
                    partial(
                        texts.invitation_unanswered_inviter,
                        label=r.label,
                        case_id=r.case_id,
                        name=r.name,
                        expires=r.expires_at,
                    ),
                ),
            )
            out.append(Reminder(self.kind, r.id, occurrence, letters))
        return out


# -- consent -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MissingConsent:
    participant_id: int
    case_id: int
    label: str
    user_id: int
    joined_at: datetime
    language: str


class ConsentSource:
    """A party who joined 2 and 5 days ago and has not agreed to mediate."""

    name = "consents"
    kind = "consent.missing"
    marks = (("2d", 2 * DAY), ("5d", 5 * DAY))

    async def load(self, s: AsyncSession, now: datetime) -> list[MissingConsent]:
        stmt = (
            select(Participant, Case, User.language)
            .join(Case, col(Case.id) == col(Participant.case_id))
            .join(User, col(User.id) == col(Participant.user_id))
            .where(
                col(Case.status).in_((CaseStatus.INVITED.value, CaseStatus.AWAITING_CONSENT.value)),
                col(Participant.role) == "party",
                col(Participant.active).is_(True),
                col(Participant.added_at) > now - self.marks[-1][1] - LATE,
            )
        )
        rows = (await s.exec(stmt)).all()
        case_ids = {p.case_id for p, _, _ in rows}
        consented: set[tuple[int, str]] = set()
        if case_ids:
            found = await s.exec(
                select(ConsentRow.case_id, ConsentRow.side).where(
                    col(ConsentRow.case_id).in_(case_ids)
                )
            )
            consented = {(c, side) for c, side in found.all()}
        return [
            MissingConsent(p.id or 0, p.case_id, label_of(case), p.user_id, p.added_at, language)
            for p, case, language in rows
            if (p.case_id, p.side or "") not in consented
        ]

    def due(self, rows: Sequence[MissingConsent], now: datetime) -> list[Reminder]:
        out = []
        for r in rows:
            occurrence = stage(now, [(n, r.joined_at + after) for n, after in self.marks])
            if occurrence is not None:
                words = partial(texts.consent_missing, label=r.label, case_id=r.case_id)
                letters = _letters([(r.user_id, r.language)], words)
                out.append(Reminder(self.kind, r.participant_id, occurrence, letters))
        return out


# -- mediator ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AwaitingMediator:
    case_id: int
    label: str
    ready_at: datetime  # when the last consent came in
    admins: tuple[tuple[int, str], ...]  # (user id, language)


class MediatorSource:
    """A case ready for a mediator for 2 days with none assigned: to the centre's admins."""

    name = "mediators"
    kind = "mediator.unassigned"
    after = 2 * DAY

    async def load(self, s: AsyncSession, now: datetime) -> list[AwaitingMediator]:
        stmt = (
            select(Case, func.max(ConsentRow.accepted_at))
            .join(ConsentRow, col(ConsentRow.case_id) == col(Case.id))
            .where(col(Case.status) == CaseStatus.AWAITING_MEDIATOR.value)
            .group_by(col(Case.id))
        )
        rows = (await s.exec(stmt)).all()
        if not rows:
            return []
        found = await s.exec(select(User.id, User.language).where(col(User.staff_role) == "admin"))
        admins = tuple((a, lang) for a, lang in found.all() if a is not None)
        return [
            AwaitingMediator(case.id or 0, label_of(case), ready, admins)
            for case, ready in rows
            if ready is not None
        ]

    def due(self, rows: Sequence[AwaitingMediator], now: datetime) -> list[Reminder]:
        out = []
        for r in rows:
            if stage(now, [("2d", r.ready_at + self.after)]) is None:
                continue
            words = partial(
                texts.mediator_unassigned, label=r.label, case_id=r.case_id, days=self.after.days
            )
            letters = _letters(r.admins, words)
            out.append(Reminder(self.kind, r.case_id, "2d", letters))
        return out


# -- signatures --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AwaitingSignature:
    agreement_id: int
    case_id: int
    label: str
    version: str  # the text's hash: a re-sent text gets its own reminders
    sent_at: datetime
    unsigned: tuple[tuple[int, str], ...]  # (user id, language) of unsigned sides' parties


class SignatureSource:
    """An agreement out for signature for 2 and 5 days: to the parties of unsigned sides."""

    name = "signatures"
    kind = "signature.waiting"
    marks = (("2d", 2 * DAY), ("5d", 5 * DAY))

    async def load(self, s: AsyncSession, now: datetime) -> list[AwaitingSignature]:
        stmt = (
            select(AgreementRow, Case)
            .join(Case, col(Case.id) == col(AgreementRow.case_id))
            .where(
                col(AgreementRow.status) == "out_for_signature",
                col(Case.status) == CaseStatus.IN_MEDIATION.value,
            )
        )
        rows = (await s.exec(stmt)).all()
        parties = await _parties(s, {a.case_id for a, _ in rows})
        out = []
        for agreement, case in rows:
            signed = await s.exec(
                select(SignatureRow.for_side).where(
                    col(SignatureRow.agreement_id) == agreement.id,
                    col(SignatureRow.voided_at).is_(None),
                    col(SignatureRow.document_sha256) == agreement.document_sha256,
                )
            )
            sides = set(signed.all())
            unsigned = tuple(
                (u, lang) for u, side, lang in parties[agreement.case_id] if side not in sides
            )
            out.append(
                AwaitingSignature(
                    agreement.id or 0,
                    agreement.case_id,
                    label_of(case),
                    agreement.document_sha256[:12],
                    agreement.sent_at or agreement.updated_at,
                    unsigned,
                )
            )
        return out

    def due(self, rows: Sequence[AwaitingSignature], now: datetime) -> list[Reminder]:
        out = []
        for r in rows:
            occurrence = stage(now, [(n, r.sent_at + after) for n, after in self.marks])
            if occurrence is None or not r.unsigned:
                continue
            words = partial(texts.signature_waiting, label=r.label, case_id=r.case_id)
            letters = _letters(r.unsigned, words)
            key = f"{r.version}-{occurrence}"
            out.append(Reminder(self.kind, r.agreement_id, key, letters, "offers"))
        return out


# -- offers ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpiringOffer:
    offer_id: int
    case_id: int
    label: str
    created_at: datetime
    deadline: datetime
    to_answer: tuple[tuple[int, str], ...]  # (user id, language): sides yet to accept


class OfferSource:
    """An open offer whose deadline is 24 hours away: to the parties who still have to answer."""

    name = "offers"
    kind = "offer.expiring"
    before = DAY

    async def load(self, s: AsyncSession, now: datetime) -> list[ExpiringOffer]:
        stmt = (
            select(OfferRow, Case)
            .join(Case, col(Case.id) == col(OfferRow.case_id))
            .where(
                col(OfferRow.status) == "proposed",
                col(OfferRow.deadline).is_not(None),
                col(OfferRow.deadline) > now,
                col(OfferRow.deadline) <= now + self.before + LATE,
                col(Case.status) == CaseStatus.IN_MEDIATION.value,
            )
        )
        rows = (await s.exec(stmt)).all()
        parties = await _parties(s, {o.case_id for o, _ in rows})
        out = []
        for offer, case in rows:
            assert offer.deadline is not None
            answered = set(filter(None, offer.accepted_by.split(",")))
            if offer.maker_side:
                answered.add(offer.maker_side)
            to_answer = tuple(
                (u, lang) for u, side, lang in parties[offer.case_id] if side not in answered
            )
            out.append(
                ExpiringOffer(
                    offer.id or 0,
                    offer.case_id,
                    label_of(case),
                    offer.created_at,
                    offer.deadline,
                    to_answer,
                )
            )
        return out

    def due(self, rows: Sequence[ExpiringOffer], now: datetime) -> list[Reminder]:
        out = []
        for r in rows:
            mark = r.deadline - self.before
            if r.created_at >= mark or not r.to_answer:
                continue  # made with less than a day to go: the offer notice said it all
            if stage(now, [("24h", mark)], r.deadline) is None:
                continue
            words = partial(
                texts.offer_expiring, label=r.label, case_id=r.case_id, deadline=r.deadline
            )
            letters = _letters(r.to_answer, words)
            out.append(Reminder(self.kind, r.offer_id, "24h", letters, "offers"))
        return out


# -- hearing date ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpcomingHearing:
    case_id: int
    label: str
    hearing: date
    members: tuple[tuple[int, str], ...]  # (user id, language): parties, attorneys, mediators


class HearingSource:
    """A court date 7 and 2 days away with no agreement yet: to everyone in the case."""

    name = "hearings"
    kind = "hearing.approaching"
    marks = (("7d", 7), ("2d", 2))
    at = time(9, 0)  # centre time

    def __init__(self, centre: ZoneInfo) -> None:
        self.centre = centre

    async def load(self, s: AsyncSession, now: datetime) -> list[UpcomingHearing]:
        today = now.astimezone(self.centre).date()
        first = self.marks[0][1]
        stmt = select(Case).where(
            col(Case.hearing_date).is_not(None),
            col(Case.hearing_date) > today,
            col(Case.hearing_date) <= today + timedelta(days=first + 1),
            col(Case.status).in_(OPEN),
        )
        cases = (await s.exec(stmt)).all()
        ids = {c.id for c in cases if c.id is not None}
        members: dict[int, list[tuple[int, str]]] = {c: [] for c in ids}
        if ids:
            found = await s.exec(
                select(Participant.case_id, Participant.user_id, User.language)
                .join(User, col(User.id) == col(Participant.user_id))
                .where(
                    col(Participant.case_id).in_(ids),
                    col(Participant.active).is_(True),
                    col(Participant.role).in_(("party", "attorney", "mediator", "co_mediator")),
                )
            )
            for case_id, user_id, language in found.all():
                members[case_id].append((user_id, language))
        return [
            UpcomingHearing(c.id, label_of(c), c.hearing_date, tuple(members[c.id]))
            for c in cases
            if c.id is not None and c.hearing_date is not None
        ]

    def due(self, rows: Sequence[UpcomingHearing], now: datetime) -> list[Reminder]:
        out = []
        for r in rows:
            marks = [
                (name, datetime.combine(r.hearing - timedelta(days=days), self.at, self.centre))
                for name, days in self.marks
            ]
            end = datetime.combine(r.hearing, time(0, 0), self.centre)
            occurrence = stage(now, marks, end)
            if occurrence is None or not r.members:
                continue
            days = dict(self.marks)[occurrence]
            words = partial(
                texts.hearing_approaching,
                label=r.label,
                case_id=r.case_id,
                hearing=r.hearing,
                days=days,
            )
            letters = _letters(r.members, words)
            # The date is in the key: a hearing moved to another day gets its own reminders.
            key = f"{r.hearing.isoformat()}-{occurrence}"
            out.append(Reminder(self.kind, r.case_id, key, letters, "case"))
        return out
