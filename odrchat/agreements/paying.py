"""Paying what was agreed: the schedule, marking payments, telling the parties, the worksheet.

Part of the agreement coordinator (`AgreementService`), like filing. Every change is one unit of
work: lock the case, then the agreement, then its instalment rows; rebuild the pure schedule
(`odrchat.agreements.payments`), run `apply`, write what its events say, audit, post the event
in the joint room and queue the notices (each person's in their language).

The schedule is written in the unit that signs the agreement (`schedule`), from the agreed
terms. Payments are marked after the case closed as settled: the case need not be in mediation,
only its agreement signed. Reminders before each due date come from the reminder engine's
`instalment.due` source (`odrchat.reminders.instalments`), which reads the rows written here.
"""

from __future__ import annotations

import asyncio
import enum
import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from odrchat.agreements import machine as am
from odrchat.agreements import payments as pm
from odrchat.agreements import rows, texts, views
from odrchat.agreements.dates import local_date
from odrchat.agreements.drafting import agreement_context
from odrchat.agreements.enforcement import render_worksheet
from odrchat.agreements.tables import AgreementRow, InstalmentRow
from odrchat.auth.tables import User
from odrchat.cases import notices
from odrchat.cases.kinds import CaseKind, is_court_filed
from odrchat.cases.queries import case_members
from odrchat.cases.roles import Role
from odrchat.cases.tables import Case
from odrchat.cases.unit import Unit, Units
from odrchat.errors import Conflict, Forbidden, from_domain
from odrchat.i18n import Texts, texts_for
from odrchat.offers.terms import Terms
from odrchat.store.types import utcnow

_SIGNED = (am.AgreementStatus.SIGNED.value, am.AgreementStatus.FILED.value)
_MARKERS = (Role.PARTY, Role.ATTORNEY)
_READERS = (Role.PARTY, Role.ATTORNEY, Role.MEDIATOR, Role.CO_MEDIATOR, Role.ADMIN)
_SIDED = (Role.PARTY.value, Role.ATTORNEY.value)


class PaymentAction(enum.StrEnum):
    """What a party does to one instalment (the request's `action`)."""

    REPORT_PAID = "report_paid"
    CONFIRM_PAID = "confirm_paid"
    DISPUTE = "dispute"
    REPORT_MISSED = "report_missed"


async def schedule(unit: Unit, row: AgreementRow) -> None:
    """Write the signed agreement's payment schedule (in the signing unit)."""
    assert row.id is not None
    terms: Terms = await rows.terms_of(unit.session, row)
    for i in pm.schedule_of(terms.items):
        unit.session.add(rows.instalment_row(row.id, i))
    await unit.session.flush()


def _command(action: PaymentAction, now: datetime, today: date) -> pm.Command:
    match action:
        case PaymentAction.REPORT_PAID:
            return pm.ReportPaid(now)
        case PaymentAction.CONFIRM_PAID:
            return pm.ConfirmPaid(now)
        case PaymentAction.DISPUTE:
            return pm.Dispute(now)
        case PaymentAction.REPORT_MISSED:
            return pm.ReportMissed(now, today)


async def _tell(
    unit: Unit,
    case_id: int,
    build: Callable[[Texts], notices.Notice],
    *,
    only_side: str | None = None,
) -> None:
    """One notice to each party and attorney (of `only_side`, if given), in their language;
    the mediators hear of it in the room."""
    link = notices.case_link(unit.settings.public_url, case_id)
    for part, user in await case_members(unit.session, case_id):
        if part.role not in _SIDED or (only_side is not None and part.side != only_side):
            continue
        await unit.send(user, build(texts_for(user.language)), link)


class Paying:
    """The parties' payment marks and the worksheet; part of `AgreementService`."""

    units: Units

    async def mark_payment(
        self, user: User, agreement_id: int, number: int, action: PaymentAction
    ) -> dict[str, Any]:
        """A party marks one instalment (paid, missed) or answers the other side's mark."""
        async with self.units.begin() as unit:
            s = unit.session
            case, row, actor = await rows.lock(unit, agreement_id, user)
            if actor.role not in _MARKERS:
                raise Forbidden(texts.ONLY_PARTIES)
            if row.status not in _SIGNED:
                raise Conflict(texts.NOT_SIGNED)
            found = await rows.instalments(s, row, lock=True)
            if not found:
                raise Conflict(texts.NO_SCHEDULE)
            now = utcnow()
            today = local_date(now, unit.settings.tz)
            command = _command(action, now, today)
            try:
                new, events = pm.apply([rows.instalment(r) for r in found], number, command, actor)
            except pm.PaymentError as exc:
                raise from_domain(exc.code, texts.REFUSALS.get(exc.code, exc.message)) from None
            by_number = {r.number: r for r in found}
            for event in events:
                if isinstance(event, pm.InstalmentChanged):
                    await self._changed(unit, case, row, by_number, new, event, actor.user_id)
                elif isinstance(event, pm.SchedulePerformed):
                    await self._performed(unit, case, row, now, actor.user_id)
            await s.flush()
            return await views.personal(s, case, row, actor, today=today)

    async def _changed(
        self,
        unit: Unit,
        case: Case,
        row: AgreementRow,
        by_number: dict[int, InstalmentRow],
        new: tuple[pm.Instalment, ...],
        event: pm.InstalmentChanged,
        user_id: int | None,
    ) -> None:
        assert case.id is not None
        r = by_number[event.number]
        assert r.id is not None
        rows.write_instalment(r, next(i for i in new if i.number == event.number))
        unit.session.add(r)
        detail = {
            "agreement_id": row.id,
            "number": event.number,
            "from": event.before.value,
            "to": event.after.value,
        }
        await unit.audit(user_id, "agreement.payment_marked", case.id, detail, now=event.step.at)
        await unit.session.flush()
        n, count, due = event.number, len(by_number), r.due
        S = pm.InstalmentStatus
        if event.after is S.REPORTED_PAID:
            await _tell(
                unit, case.id, lambda t: texts.payment_reported(t, n, count, due), only_side=r.payer
            )
        elif event.after is S.MISSED and event.before is S.DUE:
            await _tell(unit, case.id, lambda t: texts.payment_missed(t, n, count, due))
        elif event.after in (S.DUE, S.MISSED):
            await _tell(unit, case.id, lambda t: texts.payment_disputed(t, n, count, due))
        await views.announce(
            unit, case, row, "agreement.payment", number=event.number, status=event.after.value
        )

    async def _performed(
        self, unit: Unit, case: Case, row: AgreementRow, now: datetime, user_id: int | None
    ) -> None:
        assert case.id is not None
        case.performed_at = now
        unit.session.add(case)
        await unit.audit(user_id, "case.performed", case.id, {"agreement_id": row.id}, now=now)
        await unit.session.flush()
        await _tell(unit, case.id, texts.performed)
        await views.announce(unit, case, row, "agreement.performed")

    async def enforcement_worksheet(self, user: User, agreement_id: int) -> tuple[str, bytes]:
        """The worksheet for asking the court to enforce, once a payment stands as missed."""
        async with self.units.begin() as unit:
            s = unit.session
            case, row, actor = await rows.lock(unit, agreement_id, user)
            if actor.role not in _READERS:
                raise Forbidden(texts.WORKSHEET_READERS)
            if not is_court_filed(CaseKind(case.kind)):
                raise Conflict(texts.COMMUNITY_WORKSHEET, code="not_court_case")
            if row.status not in _SIGNED:
                raise Conflict(texts.NOT_SIGNED)
            schedule_ = tuple(rows.instalment(r) for r in await rows.instalments(s, row))
            if not pm.missed(schedule_):
                raise Conflict(texts.NO_MISSED_PAYMENT, code="nothing_missed")
            state = await rows.state(s, case, row)
            context = await agreement_context(s, case, rows.agreement_day(row, unit.settings.tz))
            detail = {"agreement_id": row.id}
            await unit.audit(user.id, "agreement.worksheet_downloaded", case.id, detail)
        tz = self.units.settings.tz
        pdf = await asyncio.to_thread(
            functools.partial(
                render_worksheet,
                context,
                schedule_,
                state.signatures,
                state.filing,
                local_date(utcnow(), tz),
                tz,
            )
        )
        return f"enforcement-worksheet-case-{row.case_id}.pdf", pdf
