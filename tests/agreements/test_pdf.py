"""PDF rendering: US Letter, captions, per-paper page numbers, metadata, the signature record."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pypdf
import pytest

from odrchat.agreements.caption import caption_of
from odrchat.agreements.dates import in_words, local_time, numeric
from odrchat.agreements.machine import SigningMethod
from odrchat.agreements.pdf import FONT_DIR, Paper, render_papers, render_pdf
from odrchat.agreements.templates import TITLES
from odrchat.cases.kinds import CaseKind
from odrchat.cases.roles import Role, Side
from tests.agreements.checklist import check_pdf, read
from tests.agreements.samples import (
    COURT,
    DEFENDANT,
    NUMBERS,
    PLAINTIFF,
    agreement_text,
    context,
    signatures,
)


def signed_pdf(kind: CaseKind, **kw: object) -> bytes:
    text = agreement_text(kind)
    labels = {1: "plaintiff", 2: "defendant"}
    return render_pdf(
        TITLES[kind],
        text,
        signatures=signatures(text),
        caption=caption_of(context(kind)),
        signer_labels=labels,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("kind", list(CaseKind))
def test_every_signed_agreement_passes_the_court_checklist(kind: CaseKind) -> None:
    caption = caption_of(context(kind))
    problems = check_pdf(
        signed_pdf(kind),
        kind,
        case_number=NUMBERS.get(kind),
        parties=(PLAINTIFF, DEFENDANT),
        court=COURT if caption else None,
        short_title="Pérez v. O’Diaz" if caption else None,
        must_have=("Signature record", "Method: electronic signature", "03/02/2026 at 9:05 AM PST"),
    )
    assert problems == []


def test_the_caption_names_court_parties_case_number_department_and_short_title() -> None:
    doc = read(signed_pdf(CaseKind.SMALL_CLAIMS))
    first = doc.pages[0]
    assert first.startswith("SUPERIOR COURT OF CALIFORNIA, COUNTY OF LOS ANGELES")
    for needle in (
        f"Plaintiff: {PLAINTIFF}",
        f"Defendant: {DEFENDANT}",
        "Case number: 26SMSC01234",
        "Department: Dept. 77",
        "Short title: Pérez v. O’Diaz",
    ):
        assert needle in first
    assert first.index("Short title") < first.index("Settlement Agreement")


def test_civil_harassment_caption_says_petitioner_and_respondent() -> None:
    first = read(signed_pdf(CaseKind.CIVIL_HARASSMENT)).pages[0]
    assert f"Petitioner: {PLAINTIFF}" in first and f"Respondent: {DEFENDANT}" in first


def test_signature_record_says_how_when_in_the_centres_zone_and_which_bytes() -> None:
    text = agreement_text(CaseKind.SMALL_CLAIMS)
    doc = read(signed_pdf(CaseKind.SMALL_CLAIMS))
    sha = signatures(text)[0].document_sha256
    assert (
        f"/s/ {PLAINTIFF} Signed electronically for the plaintiff, personally, on 03/02/2026 at "
        "9:05 AM PST." in doc.text
    )
    assert "Consent to sign electronically recorded on 03/02/2026 at 9:03 AM PST." in doc.text
    assert doc.text.count(f"Document SHA-256: {sha}") == 2
    assert "UTC" not in doc.text and "ip" not in doc.text.split()  # no IP or browser in print


def test_an_attorneys_signature_says_so() -> None:
    text = agreement_text(CaseKind.SMALL_CLAIMS)
    sigs = (
        signatures(text)[0].__class__(
            3,
            Side.DEFENDANT,
            Role.ATTORNEY,
            "Lee Counsel",
            datetime(2026, 3, 2, 18, 0, tzinfo=UTC),
            "ip",
            "ua",
            "h",
            datetime(2026, 3, 2, 18, 0, tzinfo=UTC),
        ),
    )
    doc = read(
        render_pdf(
            "Settlement Agreement",
            text,
            signatures=sigs,
            signer_labels={3: "attorney for the defendant"},
        )
    )
    assert "for the attorney for the defendant, by their attorney, expressly authorised" in doc.text


def test_other_time_zones_print_their_own_local_time() -> None:
    doc = read(signed_pdf(CaseKind.SMALL_CLAIMS, tz=ZoneInfo("America/New_York")))
    assert "03/02/2026 at 12:05 PM EST" in doc.text


def test_unsigned_pdf_has_no_signature_block() -> None:
    doc = read(render_pdf("Draft", "José Núñez pays nothing.\n"))
    assert "Draft José Núñez pays nothing." in doc.text
    assert "Signature record" not in doc.text


def test_output_is_deterministic_dated_from_the_signatures_and_titled() -> None:
    first = signed_pdf(CaseKind.SMALL_CLAIMS)
    assert first == signed_pdf(CaseKind.SMALL_CLAIMS)
    reader = pypdf.PdfReader(io.BytesIO(first))
    assert reader.metadata is not None
    assert reader.metadata.creation_date == datetime(2026, 3, 2, 17, 5, tzinfo=UTC)
    assert reader.metadata.title == "Settlement Agreement"
    assert reader.trailer["/Root"]["/Lang"] == "en-US"
    later = datetime(2026, 3, 9, tzinfo=UTC)
    dated = pypdf.PdfReader(io.BytesIO(render_pdf("T", "x", created_at=later)))
    assert dated.metadata is not None and dated.metadata.creation_date == later


def test_naive_creation_date_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render_pdf("T", "x", created_at=datetime(2026, 3, 9))


def test_long_documents_number_every_page_with_the_case_number() -> None:
    caption = caption_of(context(CaseKind.SMALL_CLAIMS))
    body = "\n".join(f"Term {n} for Núñez." for n in range(200))
    doc = read(render_pdf("Long", body, caption=caption))
    assert len(doc.pages) > 2
    for n, page in enumerate(doc.pages, 1):
        assert f"Page {n} of {len(doc.pages)}" in page
        assert "Case No. 26SMSC01234" in page
    assert "Term 199 for Núñez." in doc.text


def test_papers_in_one_pdf_are_each_numbered_on_their_own() -> None:
    caption = caption_of(context(CaseKind.SMALL_CLAIMS))
    long = "\n".join(f"Line {n}." for n in range(120))
    pdf = render_papers(
        [
            Paper("First", long, caption),
            Paper("Second", "Short.", caption),
            Paper("Third", long, caption, pleading=True),
        ],
        title="Bundle",
    )
    doc = read(pdf)
    numbers = [p[p.rindex("Page ") :] for p in doc.pages]
    first_pages = sum(1 for p in doc.pages if "· First" in p)
    assert numbers[0] == f"Page 1 of {first_pages}"
    assert numbers[first_pages] == "Page 1 of 1"
    assert numbers[-1].startswith("Page ") and numbers[first_pages + 1].startswith("Page 1 of ")
    assert doc.title == "Bundle"


def test_dates_and_times_are_written_for_people() -> None:
    at = datetime(2026, 7, 4, 3, 30, tzinfo=UTC)
    assert local_time(at, ZoneInfo("America/Los_Angeles")) == "07/03/2026 at 8:30 PM PDT"
    assert numeric(at.date()) == "07/04/2026"
    assert in_words(at.date()) == "July 4, 2026"
    with pytest.raises(ValueError):
        local_time(datetime(2026, 7, 4), ZoneInfo("UTC"))


def test_bundled_fonts_are_truetype() -> None:
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        assert (FONT_DIR / name).read_bytes()[:4] == b"\x00\x01\x00\x00"


def test_a_paper_signature_is_printed_as_ink_with_who_recorded_it() -> None:
    text = agreement_text(CaseKind.CIVIL_HARASSMENT)
    first, second = signatures(text)
    recorded = datetime(2026, 3, 3, 18, 30, tzinfo=UTC)
    ink = replace(second, method=SigningMethod.PAPER, recorded_by=9, recorded_at=recorded, ip="")
    doc = read(
        render_pdf(
            TITLES[CaseKind.CIVIL_HARASSMENT],
            text,
            signatures=(first, ink),
            caption=caption_of(context(CaseKind.CIVIL_HARASSMENT)),
            signer_labels={1: "petitioner", 2: "respondent"},
            recorders={9: "Casey Clerk"},
        )
    )
    assert "Method: electronic signature and signature in ink on paper." in doc.text
    assert (
        f"(signed in ink) {DEFENDANT} Signed in ink on paper for the respondent, personally, on "
        "03/02/2026 at 9:05 AM PST." in doc.text
    )
    assert "Paper signature recorded by Casey Clerk on 03/03/2026 at 10:30 AM PST." in doc.text
    assert doc.text.count("Consent to sign electronically") == 1  # the e-signer's only
