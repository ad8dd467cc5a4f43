"""Regenerate the court-paper screenshots in docs/screenshots from the tests' sample cases.

Run from the repository root: `python tools/court_pages.py` (needs pdftoppm). One page of each
kind's agreement, the unlawful detainer stipulation, the cover page of a community agreement's
closing record (its packet: the centre's record, not a court filing), and the worksheet for
asking the court to enforce a settlement after a missed payment.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from odrchat.agreements.caption import caption_of
from odrchat.agreements.enforcement import render_worksheet
from odrchat.agreements.machine import Filing
from odrchat.agreements.packet import render_packet
from odrchat.agreements.payments import InstalmentStatus, Step, schedule_of
from odrchat.agreements.pdf import render_pdf
from odrchat.agreements.templates import TITLES, AgreementOptions, UnlawfulDetainerRoute
from odrchat.cases.kinds import CaseKind
from tests.agreements.samples import TERMS, agreement_text, context, options, signatures

HERE = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def agreement(kind: CaseKind) -> bytes:
    text = agreement_text(kind)
    labels = {1: "plaintiff", 2: "defendant"}
    if kind is CaseKind.CIVIL_HARASSMENT:
        labels = {1: "petitioner", 2: "respondent"}
    if kind is CaseKind.COMMUNITY:
        labels = {1: "filing party", 2: "responding party"}
    return render_pdf(
        TITLES[kind],
        text,
        signatures=signatures(text),
        caption=caption_of(context(kind)),
        signer_labels=labels,
    )


def ud_packet() -> bytes:
    kind = CaseKind.UNLAWFUL_DETAINER
    opts = AgreementOptions(ud_route=UnlawfulDetainerRoute.STIPULATED_JUDGMENT)
    text = agreement_text(kind, opts)
    return render_packet(context(kind), text, TERMS[kind].items, signatures(text), opts)


def community_record() -> bytes:
    """The centre's closing record of a community agreement, kept on file a week after."""
    kind = CaseKind.COMMUNITY
    text = agreement_text(kind)
    kept = Filing(date(2026, 3, 9), "", 0)
    zone = ZoneInfo("America/Los_Angeles")
    sigs = signatures(text)
    return render_packet(
        context(kind), text, TERMS[kind].items, sigs, options(kind), filing=kept, tz=zone
    )


def worksheet() -> bytes:
    """Small claims: the first of two payments reported missed by the receiving party."""
    kind = CaseKind.SMALL_CLAIMS
    first, second = schedule_of(TERMS[kind].items)
    reported = datetime(2026, 4, 3, 17, 30, tzinfo=UTC)
    missed = replace(
        first,
        status=InstalmentStatus.MISSED,
        history=(Step(InstalmentStatus.MISSED, 1, reported),),
    )
    text = agreement_text(kind)
    zone = ZoneInfo("America/Los_Angeles")
    sigs = signatures(text)
    return render_worksheet(context(kind), (missed, second), sigs, None, date(2026, 4, 3), zone)


def main() -> None:
    pages = {
        "court-small-claims.png": (agreement(CaseKind.SMALL_CLAIMS), 1),
        "court-unlawful-detainer-stipulation.png": (ud_packet(), 2),
        "court-civil-harassment.png": (agreement(CaseKind.CIVIL_HARASSMENT), 1),
        "court-community.png": (agreement(CaseKind.COMMUNITY), 1),
        "court-community-record.png": (community_record(), 1),
        "court-enforcement-worksheet.png": (worksheet(), 1),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, (pdf, page) in pages.items():
            source = Path(tmp) / "paper.pdf"
            source.write_bytes(pdf)
            out = Path(tmp) / "page"
            subprocess.run(
                ["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page),
                 "-singlefile", str(source), str(out)],
                check=True,
            )  # fmt: skip
            (HERE / name).write_bytes(out.with_suffix(".png").read_bytes())
            print(HERE / name)


if __name__ == "__main__":
    main()
