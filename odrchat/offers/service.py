"""The offer coordinator: make, answer, withdraw and expire offers in a case's joint room.

Every change follows one path: lock the case row, then the offer row (``SELECT ... FOR UPDATE``;
the same order the agreement and case coordinators take, so none of them can deadlock), rebuild
the pure `Offer`, run `machine.apply`, write the row, and store one `offer.*` event per machine
event in the joint room, all in one transaction; the feed is flushed after the commit. Two racing
answers to one offer therefore serialise: the second sees the first's result and the machine
refuses it with a conflict, and nothing of it is written.

Rules the machine leaves to this coordinator (its "known gaps"):
* A side (or, for proposals, the mediators) has at most one open offer at a time; a counter
  counts as that side's new offer.
* Once an agreement exists in a case, no new offer is made and no offer is accepted.
* Offers are made and answered only while the case is in mediation; terms must be ones the
  case kind's agreement template can state, so an accepted offer always yields a draft.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.agreements.courtesy import term_text
from odrchat.agreements.drafting import check_terms, draft, refuse_second
from odrchat.auth.tables import User
from odrchat.background import stop_if_cancelled
from odrchat.cases import notices
from odrchat.cases.kinds import CaseKind, side_label
from odrchat.cases.queries import case_members, load_case
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.tables import Case
from odrchat.cases.unit import Unit, Units
from odrchat.errors import Conflict, Invalid, NotFound, Say, from_domain
from odrchat.i18n import DEFAULT, N_, Texts, languages, texts_for
from odrchat.offers import machine as m
from odrchat.offers.tables import OfferRow, stored_terms
from odrchat.offers.terms import Terms, TermsError, describe, parse_terms, terms_to_json
from odrchat.rooms.access import RoomKind
from odrchat.rooms.tables import Room, RoomEvent
from odrchat.store.types import utcnow

log = logging.getLogger("odrchat.offers")

EXPIRY_EVERY = 60.0  # seconds between sweeps for offers past their deadline
EVENT_TYPES: dict[type[m.Event], str] = {
    m.OfferMade: "offer.made",
    m.OfferAccepted: "offer.accepted",
    m.OfferRejected: "offer.rejected",
    m.OfferCountered: "offer.countered",
    m.OfferWithdrawn: "offer.withdrawn",
    m.OfferExpired: "offer.expired",
}


def offer_of(row: OfferRow) -> m.Offer:
    """Rebuild the pure offer from its row."""
    assert row.id is not None
    return m.Offer(
        id=row.id,
        maker_user_id=row.maker_user_id,
        maker_side=Side(row.maker_side) if row.maker_side else None,
        terms=stored_terms(row),
        status=m.OfferStatus(row.status),
        explanation=row.explanation,
        answers_offer_id=row.answers_offer_id,
        deadline=row.deadline,
        accepted_by=frozenset(Side(x) for x in row.accepted_by.split(",") if x),
        reject_reason=row.reject_reason,
        reject_code=row.reject_code,
    )


def _write(row: OfferRow, offer: m.Offer, now: datetime) -> None:
    row.status = offer.status.value
    row.accepted_by = ",".join(sorted(s.value for s in offer.accepted_by))
    row.reject_reason, row.reject_code = offer.reject_reason, offer.reject_code
    row.updated_at = now


def _parse(raw: object, now: datetime) -> Terms:
    try:
        return parse_terms(raw, today=now.date())
    except TermsError as exc:
        # The body field is "terms"; parse_terms calls the list "items".
        fields: dict[str, str | Say] = {
            "terms" + k.removeprefix("items"): Say(*exc.says[k]) for k in exc.fields
        }
        raise Invalid(N_("Some terms need attention."), code=exc.code, fields=fields) from None


class OfferService:
    """Structured offers and mediator's proposals, and their answers."""

    def __init__(self, units: Units) -> None:
        self.units = units
        self.db = units.db

    # -- making ------------------------------------------------------------------------------

    async def make(
        self,
        user: User,
        case_id: int,
        terms: object,
        *,
        explanation: str = "",
        deadline: datetime | None = None,
        answers_offer_id: int | None = None,
    ) -> dict[str, Any]:
        """Make an offer (or, with `answers_offer_id`, a counter-offer linked to that one)."""
        now = utcnow()
        async with self.units.begin() as unit:
            s = unit.session
            case, actor = await unit.lock(case_id, user, approved=True)
            unit.require_mediation(case)
            parsed = _parse(terms, now)
            await check_terms(s, case, parsed, now.date())
            answers = None
            if answers_offer_id is not None:
                answered_row = await _locked_offer(s, answers_offer_id, case_id)
                answers = offer_of(answered_row)
            try:
                side = m.validate_new_offer(
                    actor, now=now, deadline=deadline, explanation=explanation, answers=answers
                )
            except m.OfferError as exc:
                field = "deadline" if "deadline" in exc.reason else "explanation"
                raise _refused(exc, field) from None
            await refuse_second(s, case_id)
            await _refuse_second_open(s, case_id, side)
            row = OfferRow(
                case_id=case_id,
                maker_user_id=actor.user_id,
                maker_role=actor.role.value,
                maker_side=side.value if side else None,
                terms=json.dumps(terms_to_json(parsed)),
                explanation=explanation.strip(),
                deadline=deadline,
                answers_offer_id=answers_offer_id,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            await s.flush()
            assert row.id is not None
            _, events = m.make_offer(
                row.id,
                actor,
                parsed,
                now=now,
                explanation=explanation,
                deadline=deadline,
                answers=answers,
            )
            if answers is not None:
                # The answered offer is countered in the same transaction the counter is made.
                countered, more = m.apply(answers, m.Counter(row.id), actor, now)
                _write(answered_row, countered, now)
                s.add(answered_row)
                await _record(unit, case, answered_row, more, actor)
            await _record(unit, case, row, events, actor)
            await _tell_other_side(unit, case_id, actor, answers is not None)
            return await offer_json(s, row)

    # -- answering ---------------------------------------------------------------------------

    async def accept(self, user: User, offer_id: int) -> dict[str, Any]:
        """Accept; once both sides agree, the agreement draft is written in the same step."""
        return await self._act(user, offer_id, m.Accept())

    async def reject(
        self, user: User, offer_id: int, reason: str, code: str | None = None
    ) -> dict[str, Any]:
        """Reject, saying why (10 to 1000 characters)."""
        return await self._act(user, offer_id, m.Reject(reason, code))

    async def withdraw(self, user: User, offer_id: int) -> dict[str, Any]:
        """The maker takes their open offer back."""
        return await self._act(user, offer_id, m.Withdraw())

    async def counter(
        self,
        user: User,
        offer_id: int,
        terms: object,
        *,
        explanation: str = "",
        deadline: datetime | None = None,
    ) -> dict[str, Any]:
        """Answer an offer with a new one; both happen in one transaction."""
        async with self.db.session() as s:
            found = await s.get(OfferRow, offer_id)
        if found is None:
            raise NotFound(N_("Not found."))
        return await self.make(
            user,
            found.case_id,
            terms,
            explanation=explanation,
            deadline=deadline,
            answers_offer_id=offer_id,
        )

    async def _act(self, user: User, offer_id: int, command: m.Command) -> dict[str, Any]:
        now = utcnow()
        async with self.units.begin() as unit:
            s = unit.session
            found = await s.get(OfferRow, offer_id)
            if found is None:
                raise NotFound(N_("Not found."))
            case, actor = await unit.lock(found.case_id, user, approved=True)
            row = await _locked_offer(s, offer_id, found.case_id)
            unit.require_mediation(case)
            try:
                new, events = m.apply(offer_of(row), command, actor, now)
            except m.OfferError as exc:
                raise _refused(exc, "reason" if isinstance(command, m.Reject) else None) from None
            if isinstance(command, m.Accept):
                await refuse_second(s, row.case_id)
            _write(row, new, now)
            s.add(row)
            await _record(unit, case, row, events, actor)
            reached = next((e for e in events if isinstance(e, m.AgreementReached)), None)
            if reached is not None:
                await draft(unit, case, reached.offer_id, reached.terms, now)
            return await offer_json(s, row)

    async def expire_offers(self, now: datetime) -> int:
        """Expire every open offer whose deadline has passed by `now`; returns how many."""
        async with self.db.session() as s:
            stmt = select(OfferRow.id, OfferRow.case_id).where(
                col(OfferRow.status) == m.OfferStatus.PROPOSED.value,
                col(OfferRow.deadline) <= now,
            )
            due = [(i, c) for i, c in (await s.exec(stmt)).all() if i is not None]
        count = 0
        for offer_id, case_id in due:
            async with self.units.begin() as unit:
                case = await load_case(unit.session, case_id, lock=True)
                row = await _locked_offer(unit.session, offer_id, case_id)
                if case is None or row.status != m.OfferStatus.PROPOSED.value:
                    continue  # answered since the query: nothing to expire
                new, events = m.apply(offer_of(row), m.Expire(now), _NOBODY, now)
                _write(row, new, now)
                unit.session.add(row)
                await _record(unit, case, row, events, None)
                count += 1
        return count

    async def run(self) -> None:
        """Sweep for offers past their deadline every minute until cancelled."""
        while True:
            stop_if_cancelled()
            # Sleep first: a minute's delay in expiring is harmless, and start-up is busy enough.
            await asyncio.sleep(EXPIRY_EVERY)
            try:
                count = await self.expire_offers(utcnow())
                if count:
                    log.info("expired %d offer(s)", count)
            except Exception:  # supervision boundary: a database blip must not end the sweeper
                log.exception("offer expiry sweep failed")

    async def thread(self, user: User, case_id: int) -> dict[str, Any]:
        """Every offer of the case and the timeline of what happened to them, oldest first."""
        async with self.units.begin() as unit:
            s = unit.session
            _, actor = await unit.enter(case_id, user, approved=True)
            if actor.role is Role.ADMIN:
                await unit.audit(user.id, "offers.viewed", case_id, {})
            stmt = (
                select(OfferRow).where(col(OfferRow.case_id) == case_id).order_by(col(OfferRow.id))
            )
            offers = [await offer_json(s, row) for row in (await s.exec(stmt)).all()]
            timeline: list[dict[str, Any]] = []
            events = (
                select(RoomEvent)
                .join(Room, col(Room.id) == col(RoomEvent.room_id))
                .where(
                    col(Room.case_id) == case_id,
                    col(Room.kind) == RoomKind.JOINT.value,
                    col(RoomEvent.type).startswith("offer."),
                )
                .order_by(col(RoomEvent.seq))
            )
            for ev in (await s.exec(events)).all():
                body = json.loads(ev.body)
                timeline.append(
                    {
                        "seq": ev.seq,
                        "at": ev.at.isoformat(),
                        "type": ev.type,
                        "offer_id": body["offer"]["id"],
                        "status": body["offer"]["status"],
                        "answers_offer_id": body["offer"]["answers_offer_id"],
                        "by": body.get("by"),
                    }
                )
        return {"case_id": case_id, "offers": offers, "timeline": timeline}


async def _locked_offer(s: AsyncSession, offer_id: int, case_id: int) -> OfferRow:
    """The offer row, locked (after its case); an offer of another case is not found."""
    stmt = select(OfferRow).where(col(OfferRow.id) == offer_id).with_for_update()
    row = (await s.exec(stmt.execution_options(populate_existing=True))).first()
    if row is None or row.case_id != case_id:
        raise NotFound(N_("Not found."))
    return row


async def _refuse_second_open(s: AsyncSession, case_id: int, side: Side | None) -> None:
    stmt = select(OfferRow.id).where(
        col(OfferRow.case_id) == case_id,
        col(OfferRow.status) == m.OfferStatus.PROPOSED.value,
        col(OfferRow.maker_side) == side.value if side else col(OfferRow.maker_side).is_(None),
    )
    if (await s.exec(stmt)).first() is not None:
        raise Conflict(
            N_("Your side already has an open offer: withdraw it first.")
            if side
            else N_("The mediators already have an open offer: withdraw it first."),
            code="open_offer_exists",
        )


async def _tell_other_side(unit: Unit, case_id: int, actor: Actor, counter: bool) -> None:
    own = {
        p.user_id
        for p, _ in await case_members(unit.session, case_id)
        if p.user_id == actor.user_id or (actor.side and p.side == actor.side.value)
    }
    what = "counter" if counter else "offer"
    if actor.side is None:
        what = "proposal"
    await unit.notify(
        case_id, notices.offer_made(what), optional=False, exclude=own, topic="offers"
    )


async def _record(
    unit: Unit, case: Case, row: OfferRow, events: list[m.Event], actor: Actor | None
) -> None:
    """Store one joint-room event per machine event, inside the unit."""
    assert case.id is not None
    for event in events:
        kind = EVENT_TYPES.get(type(event))
        if kind is None:
            continue  # AgreementReached: the agreement.drafted event says it
        body = {
            "case_id": case.id,
            "offer": await offer_json(unit.session, row),
            "by": await _person(unit.session, actor),
        }
        await unit.post(case.id, kind, body, sender_id=actor.user_id if actor else None)


async def offer_json(s: AsyncSession, row: OfferRow) -> dict[str, Any]:
    """An offer as participants see it, with a plain-language line per term."""
    names: dict[Side, str] = {}
    maker = None
    for part, user in await case_members(s, row.case_id):
        if part.role == Role.PARTY and part.side:
            names[Side(part.side)] = user.display_name
    maker = await s.get(User, row.maker_user_id)
    terms = stored_terms(row)
    case = await s.get(Case, row.case_id)
    kind = CaseKind(case.kind) if case else CaseKind.COMMUNITY
    return {
        "id": row.id,
        "case_id": row.case_id,
        "status": row.status,
        "maker": {
            "user_id": row.maker_user_id,
            "name": maker.display_name if maker else "",
            "role": row.maker_role,
            "side": row.maker_side,
        },
        "mediator_proposal": row.maker_side is None,
        "terms": terms_to_json(terms),
        "description": [describe(t, names) for t in terms.items],
        "descriptions": _descriptions(terms, names, kind),
        "explanation": row.explanation,
        "answers_offer_id": row.answers_offer_id,
        "deadline": row.deadline.isoformat() if row.deadline else None,
        "accepted_by": [x for x in row.accepted_by.split(",") if x],
        "reject_reason": row.reject_reason or None,
        "reject_code": row.reject_code,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def _descriptions(terms: Terms, names: dict[Side, str], kind: CaseKind) -> dict[str, list[str]]:
    """The terms' lines in each language besides English (the words people typed, as typed)."""
    out = {}
    for code in languages():
        if code == DEFAULT:
            continue
        t = texts_for(code)

        def who(side: Side, t: Texts = t) -> str:
            return names.get(side) or t.gettext(side_label(kind, side))

        out[code] = [term_text(t, term, who) for term in terms.items]
    return out


_NOBODY = Actor(user_id=0, role=Role.ADMIN)  # expiry is a fact of time: nobody's decision


def _refused(exc: m.OfferError, field: str | None) -> Exception:
    said = Say(exc.template, exc.params)
    fields: dict[str, str | Say] | None = {field: said} if field and exc.code == "invalid" else None
    return from_domain(exc.code, exc.template, fields, exc.params)


async def _person(s: AsyncSession, actor: Actor | None) -> dict[str, Any] | None:
    if actor is None:
        return None
    user = await s.get(User, actor.user_id)
    return {
        "user_id": actor.user_id,
        "name": user.display_name if user else "",
        "role": actor.role.value,
        "side": actor.side.value if actor.side else None,
    }
