"""PDF rendering: text survives the round trip through pypdf, fonts cover real names."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pypdf
import pytest

from odrchat.agreements.machine import Signature, document_hash
from odrchat.agreements.pdf import FONT_DIR, render_filing_package, render_pdf
from odrchat.agreements.templates import AgreementContext, render_agreement, render_cover_sheet
from odrchat.cases.kinds import CaseKind
from odrchat.cases.roles import Role, Side
from odrchat.offers.terms import Installment, InstallmentPlan, Payment, Terms

AT = datetime(2026, 3, 2, 17, 5, tzinfo=UTC)
CONTEXT = AgreementContext(
    kind=CaseKind.SMALL_CLAIMS,
    court_name="Superior Court of California, County of San Mateo",
    court_case_number="24-SC-01234",
    plaintiff_name="José Núñez",
    defendant_name="Ann “Annie” O’Neil",
    mediator_name="Pat Mediator",
    agreement_date=date(2026, 3, 1),
)
PLAN = InstallmentPlan(
    (Installment(62_500, date(2026, 4, 1)), Installment(62_500, date(2026, 5, 1)))
)
TEXT = render_agreement(
    CONTEXT,
    Terms((Payment(Side.DEFENDANT, Side.PLAINTIFF, 125_000, PLAN, ""),)),
    "Payments go to the account José gave on 2026-03-01 — not by cash.",
)
SHA = document_hash(TEXT)
SIGNATURES = (
    Signature(
        1, Side.PLAINTIFF, Role.PARTY, "José Núñez", AT, "203.0.113.9", "Mozilla/5.0", SHA, AT
    ),
    Signature(
        2,
        Side.DEFENDANT,
        Role.PARTY,
        "Ann “Annie” O’Neil",
        AT,
        "203.0.113.9",
        "Mozilla/5.0",
        SHA,
        AT,
    ),
)


def extract(pdf: bytes) -> tuple[int, str]:
    """Page count and all text, whitespace collapsed (pypdf breaks lines where it likes)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def test_agreement_pdf_carries_every_fact_back_out() -> None:
    _, text = extract(render_pdf("Settlement Agreement", TEXT, signatures=SIGNATURES))
    for needle in (
        "$1,250.00",
        "$625.00 by 2026-04-01",
        "2026-05-01",
        "José Núñez",
        "Ann “Annie” O’Neil",
        "Case number: 24-SC-01234",
        "Code of Civil Procedure section 664.6",
        "Evidence Code section 1123",
        "WITHOUT PREJUDICE",
        "2026-03-01 — not by cash",
    ):
        assert needle in text
    assert text.count("Settlement Agreement") == 1  # the title is not printed twice


def test_signature_block_lists_each_signer_time_and_document_hash() -> None:
    _, text = extract(render_pdf("Settlement Agreement", TEXT, signatures=SIGNATURES))
    assert "/s/ José Núñez Signed electronically for the plaintiff on 2026-03-02 17:05 UTC" in text
    assert "/s/ Ann “Annie” O’Neil Signed electronically for the defendant on" in text
    assert text.count(f"Document SHA-256: {SHA}") == 2
    assert "203.0.113.9" not in text and "Mozilla" not in text  # no IP or browser in print


def test_unsigned_pdf_has_no_signature_block() -> None:
    _, text = extract(render_pdf("Draft", "José Núñez pays nothing.\n"))
    assert "Draft José Núñez pays nothing." in text
    assert "Signature record" not in text


def test_output_is_deterministic_and_dated_from_the_signatures() -> None:
    first = render_pdf("Settlement Agreement", TEXT, signatures=SIGNATURES)
    assert first == render_pdf("Settlement Agreement", TEXT, signatures=SIGNATURES)
    reader = pypdf.PdfReader(io.BytesIO(first))
    assert reader.metadata is not None
    assert reader.metadata.creation_date == AT
    assert reader.metadata.title == "Settlement Agreement"
    later = datetime(2026, 3, 9, tzinfo=UTC)
    dated = pypdf.PdfReader(io.BytesIO(render_pdf("T", "x", created_at=later)))
    assert dated.metadata is not None and dated.metadata.creation_date == later


def test_naive_creation_date_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render_pdf("T", "x", created_at=datetime(2026, 3, 9))


def test_filing_package_is_cover_sheet_then_signed_agreement() -> None:
    cover = render_cover_sheet(CONTEXT, SIGNATURES)
    pdf = render_filing_package(TEXT, cover, SIGNATURES)
    pages, text = extract(pdf)
    assert pages >= 2
    first_page = " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert first_page.startswith("Filing Cover Sheet Court: Superior Court of California")
    assert "Case number: 24-SC-01234" in first_page
    assert "- Ann “Annie” O’Neil, defendant, 2026-03-02 17:05 UTC" in first_page
    assert "Code of Civil Procedure section 664.6" not in first_page
    assert text.index("Filing Cover Sheet") < text.index("Settlement Agreement")
    assert "Evidence Code section 1123" in text and f"Document SHA-256: {SHA}" in text


def test_long_documents_break_across_numbered_pages() -> None:
    pages, text = extract(render_pdf("Long", "\n".join(f"Term {n} for Núñez." for n in range(200))))
    assert pages > 1
    assert f"Page 1 of {pages}" in text and "Term 199 for Núñez." in text


def test_bundled_fonts_are_truetype() -> None:
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        assert (FONT_DIR / name).read_bytes()[:4] == b"\x00\x01\x00\x00"
