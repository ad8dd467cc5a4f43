"""Filing packets: one PDF per kind, papers in filing order, each passing the checklist
(a community agreement's is the centre's closing record, with no court paper)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from odrchat.agreements.machine import Filing
from odrchat.agreements.packet import (
    COVER_TITLE,
    ORDER_TITLE,
    RECORD_TITLE,
    UD_TITLES,
    WORKSHEET_TITLE,
    packet_papers,
    render_packet,
)
from odrchat.agreements.pdf import PLEADING_LINES
from odrchat.agreements.templates import (
    TITLES,
    AgreementOptions,
    TemplateError,
    UnlawfulDetainerRoute,
)
from odrchat.cases.kinds import CaseKind
from tests.agreements.checklist import check_pdf, check_record, read
from tests.agreements.samples import (
    CENTRE_REFERENCE,
    COURT,
    DEFENDANT,
    NUMBERS,
    PLAINTIFF,
    PREMISES,
    TERMS,
    agreement_text,
    context,
    options,
    signatures,
)

COURT_KINDS = [CaseKind.SMALL_CLAIMS, CaseKind.UNLAWFUL_DETAINER, CaseKind.CIVIL_HARASSMENT]


def packet(kind: CaseKind, opts: AgreementOptions | None = None) -> bytes:
    opts = opts or options(kind)
    text = agreement_text(kind, opts)
    return render_packet(context(kind), text, TERMS[kind].items, signatures(text), opts)


@pytest.mark.parametrize("kind", COURT_KINDS)
def test_each_packet_passes_the_checklist_on_every_page(kind: CaseKind) -> None:
    problems = check_pdf(
        packet(kind),
        kind,
        case_number=NUMBERS[kind],
        parties=(PLAINTIFF, DEFENDANT),
        court=COURT,
        short_title="Pérez v. O’Diaz",
        must_have=("Filing Cover Sheet", "Judicial Officer of the Superior Court"),
    )
    assert problems == []


@pytest.mark.parametrize("kind", [CaseKind.SMALL_CLAIMS, CaseKind.CIVIL_HARASSMENT])
def test_dismissal_packets_hold_cover_worksheet_order_and_agreement_in_that_order(
    kind: CaseKind,
) -> None:
    text = agreement_text(kind)
    papers = packet_papers(context(kind), text, TERMS[kind].items, signatures(text), options(kind))
    assert [p.title for p in papers] == [COVER_TITLE, WORKSHEET_TITLE, ORDER_TITLE, TITLES[kind]]
    assert [p.pleading for p in papers] == [False, False, True, False]
    doc = read(packet(kind))
    starts = [
        next(i for i, pg in enumerate(doc.pages) if f"· {p.title[:25]}" in pg) for p in papers
    ]
    assert starts == sorted(starts) and starts[0] == 0


def test_the_worksheet_says_item_by_item_what_to_enter_and_that_it_is_not_the_form() -> None:
    doc = read(packet(CaseKind.SMALL_CLAIMS))
    sheet = " ".join(p for p in doc.pages if f"· {WORKSHEET_TITLE[:25]}" in p)
    for needle in (
        "This page is not the official form",
        "Item 1a, type of dismissal",
        "WITHOUT PREJUDICE with the court keeping jurisdiction under Code of Civil Procedure "
        "section 664.6",
        "Never check With prejudice",
        "Item 1b, what is dismissed",
        "Entire action of all parties and all causes of action",
        "Item 2, court fees",
        f"{PLAINTIFF} signs personally as the plaintiff",
        "Case number: 26SMSC01234",
    ):
        assert needle in sheet, needle


def test_the_proposed_order_is_on_pleading_paper_with_a_judges_signature_line() -> None:
    doc = read(packet(CaseKind.SMALL_CLAIMS))
    order = [p for p in doc.pages if "· [Proposed] Order" in p]
    assert order
    first = order[0]
    numbers = [str(n) for n in range(1, PLEADING_LINES + 1)]
    tokens = first.split()
    assert all(n in tokens for n in numbers)  # all 28 line numbers are printed
    assert "SUPERIOR COURT OF CALIFORNIA, COUNTY OF LOS ANGELES" in first
    joined = " ".join(order)
    assert "the court retains jurisdiction over the parties to enforce the settlement" in joined
    assert "Dated: ____" in joined and "Judicial Officer of the Superior Court" in joined
    assert "completed on March 2, 2026" in joined


def test_civil_harassment_packet_dismisses_the_petition_and_repeats_the_warning() -> None:
    doc = read(packet(CaseKind.CIVIL_HARASSMENT))
    assert "The dismissal of the petition without prejudice" in doc.text
    assert "any temporary restraining order in this case ends" in doc.text
    assert "Petitioner: María Pérez" in doc.pages[0]


@pytest.mark.parametrize("route", list(UnlawfulDetainerRoute))
def test_unlawful_detainer_packet_carries_the_stipulation_for_the_chosen_route(
    route: UnlawfulDetainerRoute,
) -> None:
    kind = CaseKind.UNLAWFUL_DETAINER
    opts = AgreementOptions(ud_route=route)
    text = agreement_text(kind, opts)
    papers = packet_papers(context(kind), text, TERMS[kind].items, signatures(text), opts)
    assert [p.title for p in papers] == [COVER_TITLE, UD_TITLES[route], TITLES[kind]]
    doc = read(packet(kind, opts))
    assert WORKSHEET_TITLE not in doc.text
    assert PREMISES in doc.text
    assert "by April 30, 2026" in doc.text and "$1,800.00 by April 15, 2026" in doc.text
    other = next(r for r in UnlawfulDetainerRoute if r is not route)
    assert UD_TITLES[route] in doc.text and UD_TITLES[other] not in doc.text
    if route is UnlawfulDetainerRoute.STIPULATED_JUDGMENT:
        assert "Judgment may be entered on these terms" in doc.text
    else:
        assert "the entire case is dismissed" in doc.text


def test_a_community_packet_is_the_centres_closing_record_not_a_court_paper() -> None:
    kind = CaseKind.COMMUNITY
    text = agreement_text(kind)
    sigs = signatures(text)
    papers = packet_papers(context(kind), text, TERMS[kind].items, sigs, options(kind))
    assert [p.title for p in papers] == [RECORD_TITLE, TITLES[kind]]
    assert all(p.caption is None and p.reference == CENTRE_REFERENCE for p in papers)
    assert not any(p.pleading for p in papers)
    filing = Filing(date(2026, 3, 9), "", 8)
    pdf = render_packet(context(kind), text, TERMS[kind].items, sigs, options(kind), filing=filing)
    problems = check_record(
        pdf,
        reference=CENTRE_REFERENCE,
        parties=(PLAINTIFF, DEFENDANT),
        must_have=("Kept on file by CCR since: March 9, 2026", "03/02/2026 at 9:05 AM PST"),
    )
    assert problems == []
    doc = read(pdf)
    assert doc.title == f"Closing record, {TITLES[kind]}, reference {CENTRE_REFERENCE}"
    cover = doc.pages[0]
    assert "Page 1 of 1" in cover and "the ladder" not in cover and "$" not in cover


def test_the_record_checklist_refuses_court_papers_and_a_missing_reference() -> None:
    court = check_record(packet(CaseKind.SMALL_CLAIMS), reference="CCR-000042", parties=("", ""))
    for problem in (
        "page 1 lacks 'Reference CCR-000042' in its footer",
        "must not say 'court'",
        "must not say '664.6'",
        "must not say 'CIV-110'",
        "must not say 'Superior Court'",
    ):
        assert problem in court
    kind = CaseKind.COMMUNITY
    text = agreement_text(kind)
    no_ref = replace(context(kind), centre_reference=None)
    with pytest.raises(TemplateError):
        render_packet(no_ref, text, TERMS[kind].items, signatures(text), options(kind))


def test_the_cover_sheet_carries_no_terms_or_amounts() -> None:
    doc = read(packet(CaseKind.SMALL_CLAIMS))
    cover = doc.pages[0]
    assert "$" not in cover and "Pat Mediator" not in cover
    assert "03/02/2026 at 9:05 AM PST" in cover
