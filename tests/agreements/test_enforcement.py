"""The worksheet for asking the court to enforce a settlement after a missed payment (pure),
read back from the PDF with pypdf: US Letter, caption, the case number on every page."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from odrchat.agreements.enforcement import TITLE, render_worksheet, worksheet
from odrchat.agreements.payments import Instalment, InstalmentStatus, Step, schedule_of
from odrchat.agreements.templates import TemplateError
from odrchat.cases.kinds import CaseKind
from odrchat.cases.roles import Side
from odrchat.offers.terms import LumpSum, Payment
from tests.agreements.checklist import check_pdf, read
from tests.agreements.samples import (
    DEFENDANT,
    NUMBERS,
    PLAINTIFF,
    TERMS,
    agreement_text,
    context,
    signatures,
)

LA = ZoneInfo("America/Los_Angeles")
TODAY = date(2026, 4, 3)
REPORTED = datetime(2026, 4, 2, 18, 0, tzinfo=UTC)


def missed_first(kind: CaseKind) -> tuple[Instalment, ...]:
    terms = TERMS[kind].items
    if not any(isinstance(t, Payment) for t in terms):
        terms = (Payment(Side.DEFENDANT, Side.PLAINTIFF, 30_000, LumpSum(date(2026, 4, 1)), ""),)
    first, *rest = schedule_of(terms)
    step = Step(InstalmentStatus.MISSED, 1, REPORTED)
    return (replace(first, status=InstalmentStatus.MISSED, history=(step,)), *rest)


@pytest.mark.parametrize(
    "kind", [CaseKind.SMALL_CLAIMS, CaseKind.UNLAWFUL_DETAINER, CaseKind.CIVIL_HARASSMENT]
)
def test_the_worksheet_is_a_court_paper_with_the_facts_of_the_missed_payment(
    kind: CaseKind,
) -> None:
    schedule = missed_first(kind)
    sigs = signatures(agreement_text(kind))
    pdf = render_worksheet(context(kind), schedule, sigs, None, TODAY, LA)
    problems = check_pdf(
        pdf,
        kind,
        case_number=NUMBERS[kind],
        parties=(PLAINTIFF, DEFENDANT),
        court="Superior Court of California, County of Los Angeles",
        whole_agreement=False,
        must_have=(
            "Code of Civil Procedure section 664.6",
            "The court's own forms and local rules govern",
            "not legal advice",
            "MISSED",
            "reported missed on 04/02/2026 at 11:00 AM PDT",
            "A copy of the signed agreement",
            "April 3, 2026",
        ),
        must_not_have=("Plaintiff will file",),
    )
    assert problems == []
    assert (read(pdf).title or "").startswith(TITLE)


def test_civil_harassment_says_the_promises_are_not_a_restraining_order() -> None:
    kind = CaseKind.CIVIL_HARASSMENT
    text = worksheet(context(kind), missed_first(kind), (), None, TODAY, LA)
    assert "not a restraining order" in text and "Plaintiff" not in text


def test_no_worksheet_for_a_community_agreement_or_without_a_missed_payment() -> None:
    with pytest.raises(TemplateError):
        worksheet(
            context(CaseKind.COMMUNITY), missed_first(CaseKind.SMALL_CLAIMS), (), None, TODAY, LA
        )
    on_time = schedule_of(TERMS[CaseKind.SMALL_CLAIMS].items)
    with pytest.raises(TemplateError):
        worksheet(context(CaseKind.SMALL_CLAIMS), on_time, (), None, TODAY, LA)
