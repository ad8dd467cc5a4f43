"""Drafting: accepted terms and case facts into the agreement's first text.

The template sees structured terms, case facts and the mediator's clarifications only, never
chat. A draft is written inside the unit of work that accepted the offer (or in which the
mediator marked agreement reached), with the case already locked.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.agreements import machine as am
from odrchat.agreements import rows, views
from odrchat.agreements.tables import AgreementRow
from odrchat.agreements.templates import AgreementContext, TemplateError, render_agreement
from odrchat.auth.tables import User
from odrchat.cases import notices
from odrchat.cases.kinds import CaseKind, centre_reference, is_court_filed
from odrchat.cases.queries import case_members
from odrchat.cases.roles import Role, Side
from odrchat.cases.tables import Case
from odrchat.cases.unit import Unit
from odrchat.errors import Conflict, Say
from odrchat.i18n import N_
from odrchat.offers.terms import Terms

ALREADY_REACHED = N_("An agreement has already been reached in this case.")


async def agreement_context(s: AsyncSession, case: Case, on: date) -> AgreementContext:
    """The case facts an agreement names: kind, court, parties by side, mediator, date."""
    assert case.id is not None
    names = {Side.PLAINTIFF: "", Side.DEFENDANT: ""}
    for part, user in await case_members(s, case.id):
        if part.role == Role.PARTY and part.side:
            names[Side(part.side)] = user.display_name
    mediator = await s.get(User, case.mediator_id) if case.mediator_id else None
    try:
        return AgreementContext(
            kind=CaseKind(case.kind),
            court_name=case.court_name,
            court_case_number=case.court_case_number,
            plaintiff_name=names[Side.PLAINTIFF],
            defendant_name=names[Side.DEFENDANT],
            mediator_name=mediator.display_name if mediator else "",
            agreement_date=on,
            department=case.department,
            hearing_date=case.hearing_date,
            premises_address=case.premises_address,
            centre_reference=None
            if is_court_filed(CaseKind(case.kind))
            else centre_reference(case.id),
        )
    except ValueError as exc:
        raise Conflict(
            N_("An agreement cannot be written yet: {reason}."), params={"reason": Say(str(exc))}
        ) from None


async def refuse_second(s: AsyncSession, case_id: int) -> None:
    """A case has at most one agreement: once one exists, no offer is made or accepted."""
    if await rows.of_case(s, case_id) is not None:
        raise Conflict(ALREADY_REACHED)


async def check_terms(s: AsyncSession, case: Case, terms: Terms, on: date) -> None:
    """Refuse terms the case kind's template cannot state (so acceptance always drafts)."""
    try:
        render_agreement(await agreement_context(s, case, on), terms)
    except TemplateError as exc:
        raise rows.ask(exc) from None


async def draft(unit: Unit, case: Case, offer_id: int, terms: Terms, now: datetime) -> AgreementRow:
    """Write the draft for accepted terms in the caller's unit (the case is locked)."""
    assert case.id is not None
    s = unit.session
    await refuse_second(s, case.id)
    context = await agreement_context(s, case, now.astimezone(unit.settings.tz).date())
    try:
        first = am.new_agreement(CaseKind(case.kind), render_agreement(context, terms))
    except (am.AgreementError, TemplateError) as exc:
        raise rows.ask(exc) from None
    row = AgreementRow(
        case_id=case.id,
        offer_id=offer_id,
        status=first.status.value,
        text=first.text,
        document_sha256=first.document_sha256,
        created_at=now,
        updated_at=now,
    )
    s.add(row)
    await s.flush()
    await views.announce(unit, case, row, "agreement.drafted")
    await unit.notify(case.id, notices.agreement_reached(), optional=False, topic="offers")
    return row
