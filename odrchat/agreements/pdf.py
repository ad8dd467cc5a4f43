"""PDF rendering of agreements and court filing packages with fpdf2.

The bundled DejaVu Sans covers curly quotes, dashes and accented names ("José Núñez"), which the
PDF core fonts cannot. Output is deterministic: the creation date comes from the caller, or from
the last signature, or is a fixed date, so the same inputs always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

from odrchat.agreements.machine import Signature
from odrchat.agreements.templates import format_timestamp
from odrchat.cases.roles import Role

FONT_DIR = Path(__file__).parent / "fonts"
FONT = "DejaVu"
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)
_BODY_SIZE = 10.5
_LINE = 5.5  # mm per body line


class _Document(FPDF):
    """An A4 document with the bundled font and a 'Page n of N' footer."""

    def __init__(self, title: str, created_at: datetime) -> None:
        super().__init__(format="A4")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_creation_date(created_at)
        self.set_title(title)
        self.set_creator("odrchat")
        self.set_producer("odrchat")
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")

    def write_section(self, title: str, text: str) -> None:
        """Start a page with a bold title, then the text paragraph by paragraph."""
        self.add_page()
        self.set_font(FONT, "B", 15)
        self.multi_cell(0, 8, title, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        after_blank = True
        for line in text.splitlines():
            if line.strip():
                style = "B" if after_blank and _looks_like_heading(line) else ""
                self.set_font(FONT, style, _BODY_SIZE)
                self.multi_cell(0, _LINE, line, align="L", new_x="LMARGIN", new_y="NEXT")
            else:
                self.ln(_LINE / 2)
            after_blank = not line.strip()

    def write_signatures(self, signatures: Sequence[Signature]) -> None:
        """The signature record: who signed for which side, when, and the text's SHA-256."""
        self.ln(4)
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 7, "Signature record", new_x="LMARGIN", new_y="NEXT")
        if not signatures:
            self.set_font(FONT, "", _BODY_SIZE)
            self.multi_cell(0, _LINE, "Not signed yet.", new_x="LMARGIN", new_y="NEXT")
        for s in signatures:
            who = f"attorney for the {s.for_side}" if s.by_role is Role.ATTORNEY else s.for_side
            self.ln(2)
            self.set_font(FONT, "B", _BODY_SIZE)
            self.multi_cell(0, _LINE, f"/s/ {s.typed_name}", new_x="LMARGIN", new_y="NEXT")
            self.set_font(FONT, "", 9)
            for line in (
                f"Signed electronically for the {who} on {format_timestamp(s.at)}",
                f"Document SHA-256: {s.document_sha256}",
            ):
                self.multi_cell(0, 4.8, line, new_x="LMARGIN", new_y="NEXT")


def render_pdf(
    title: str,
    text: str,
    *,
    signatures: Sequence[Signature] = (),
    created_at: datetime | None = None,
) -> bytes:
    """One document: the title, the text and, when given, the signature record.

    A text that already opens with the title (as rendered agreements do) does not repeat it.
    """
    first, body = _split_title(text)
    doc = _Document(title, _creation_date(signatures, created_at))
    doc.write_section(title, body if first == title.strip() else text)
    if signatures:
        doc.write_signatures(signatures)
    return bytes(doc.output())


def render_filing_package(
    agreement_text: str,
    cover_text: str,
    signatures: Sequence[Signature],
    *,
    created_at: datetime | None = None,
) -> bytes:
    """The court package: the cover sheet, then the agreement with its signature record.

    Each text's first line is its title (as `render_agreement` and `render_cover_sheet` write).
    """
    agreement_title, agreement_body = _split_title(agreement_text)
    cover_title, cover_body = _split_title(cover_text)
    doc = _Document(agreement_title, _creation_date(signatures, created_at))
    doc.write_section(cover_title, cover_body)
    doc.write_section(agreement_title, agreement_body)
    doc.write_signatures(signatures)
    return bytes(doc.output())


def _looks_like_heading(line: str) -> bool:
    # Templates write headings as short lines after a blank line, without punctuation; a
    # paragraph of the mediator's that looks the same is merely printed bold.
    line = line.strip()
    return len(line) <= 60 and ":" not in line and line[-1] not in ".,;!?" and line[0].isalpha()


def _split_title(text: str) -> tuple[str, str]:
    title, _, body = text.lstrip().partition("\n")
    return title.strip(), body.strip("\n")


def _creation_date(signatures: Sequence[Signature], created_at: datetime | None) -> datetime:
    if created_at is not None:
        if created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        return created_at
    return max((s.at for s in signatures), default=FIXED_DATE)
