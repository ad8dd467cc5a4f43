"""PDF rendering of agreements and court papers with fpdf2, on US Letter.

Every paper is 8.5 x 11 inches (612 x 792 points, California Rules of Court 2.103), with a left
margin of at least one inch. A court paper opens with its caption (court, parties by role, case
number, department, short title); every page's footer carries the paper's title, the case number
and "Page X of Y" counted within that paper. A paper with no court case (the centre's record of a
community agreement) carries the centre's reference in the footer instead. Pleading sections
(proposed orders, stipulations) have 28 numbered lines per page beside a double rule (rules 2.108
and 2.111).

A PDF may hold several papers (the filing packet). Page totals per paper are only known after
layout, so a multi-paper PDF is laid out twice: the first pass counts, the second prints.
fpdf2 work is CPU-bound (hundreds of milliseconds): callers run it in a worker thread, never on
the event loop and never inside a database transaction.

The bundled DejaVu Sans covers curly quotes, dashes and accented names ("José Núñez"), which the
PDF core fonts cannot. Output is deterministic: the creation date comes from the caller, or from
the last signature, or is a fixed date, so the same inputs always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF

from odrchat.agreements.caption import Caption
from odrchat.agreements.dates import DEFAULT_TIMEZONE, local_time
from odrchat.agreements.machine import Signature, SigningMethod
from odrchat.cases.roles import Role

FONT_DIR = Path(__file__).parent / "fonts"
FONT = "DejaVu"
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)
AUTHOR = "Center for Conflict Resolution"
LANGUAGE = "en-US"
PAGE_WIDTH_PT, PAGE_HEIGHT_PT = 612, 792
_BODY_SIZE = 10.5
_LINE = 5.5  # mm per body line
_LEFT, _RIGHT, _TOP, _BOTTOM = 25.4, 19.0, 18.0, 24.0  # mm; 1 inch on the left
# Pleading paper: 28 lines, double spaced at 12 points (24 pt = 8.4667 mm apart).
PLEADING_LINES = 28
_PL_STEP = 24 * 25.4 / 72
_PL_TOP = 18.0
_PL_TEXT_X = 30.0
_PL_RULE_X = 26.5


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper in a PDF: its title, its caption (court papers) and what it says.

    `text` is plain text, paragraph per line; a short line after a blank line prints as a
    heading. A pleading paper prints its text on numbered lines. `signatures` adds the
    signature record (None: no record at all; empty: "Not signed yet").
    """

    title: str
    text: str
    caption: Caption | None = None
    signatures: Sequence[Signature] | None = None
    pleading: bool = False
    signer_labels: dict[int, str] = field(default_factory=dict)  # user id -> "plaintiff"
    recorders: dict[int, str] = field(default_factory=dict)  # staff user id -> name
    reference: str | None = None  # no caption: the centre's reference, printed in the footer


class _Document(FPDF):
    """Letter pages with the bundled font; each paper paginated on its own."""

    def __init__(self, title: str, created_at: datetime, totals: Sequence[int] | None) -> None:
        super().__init__(format="Letter", unit="mm")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_creation_date(created_at)
        self.set_title(title)
        self.set_lang(LANGUAGE)
        self.set_author(AUTHOR)
        self.set_creator("odrchat")
        self.set_producer("odrchat")
        self.set_margins(_LEFT, _TOP, _RIGHT)
        self.set_auto_page_break(auto=True, margin=_BOTTOM)
        self.totals = totals
        self.starts: list[int] = []
        self._current: Paper | None = None
        self._pending: Paper | None = None

    # -- page furniture -----------------------------------------------------------------------

    def begin(self, paper: Paper) -> None:
        """Start `paper` on a fresh page."""
        self._pending = paper
        self.set_auto_page_break(auto=not paper.pleading, margin=_BOTTOM)
        self.add_page()
        self._current = paper
        self.starts.append(self.page_no())

    def header(self) -> None:
        if self._pending is not None and self._pending.pleading:
            self._pleading_rules()

    def footer(self) -> None:
        paper = self._current
        if paper is None:
            return
        index = len(self.starts) - 1
        number = self.page_no() - self.starts[index] + 1
        if self.totals is not None:
            total = str(self.totals[index])
        elif len(self.starts) == 1:
            total = self.str_alias_nb_pages  # one paper: the whole document's page count
        else:
            total = "00"  # counting pass: the figure is replaced on the second pass
        self.set_draw_color(0)
        self.set_line_width(0.2)
        x = _PL_TEXT_X if paper.pleading else _LEFT
        self.line(x, 279.4 - 16, 215.9 - _RIGHT, 279.4 - 16)
        self.set_xy(x, -15)
        self.set_font(FONT, "", 8)
        left = paper.title
        if paper.caption is not None:
            left = f"{paper.caption.short_title} · Case No. {paper.caption.case_number} · {left}"
        elif paper.reference is not None:
            left = f"Reference {paper.reference} · {left}"
        room = 215.9 - _RIGHT - x - 24
        if self.get_string_width(left) > room:  # shorten the title, never the page number
            while left and self.get_string_width(left + "…") > room:
                left = left[:-1]
            left = left.rstrip() + "…"
        self.cell(room + 2, 4.5, left, align="L")
        self.cell(0, 4.5, f"Page {number} of {total}", align="R")

    def _pleading_rules(self) -> None:
        self.set_draw_color(0)
        self.set_line_width(0.2)
        self.line(_PL_RULE_X, 0, _PL_RULE_X, 279.4)
        self.line(_PL_RULE_X + 0.8, 0, _PL_RULE_X + 0.8, 279.4)
        self.line(215.9 - 12, 0, 215.9 - 12, 279.4)
        self.set_font(FONT, "", 10)
        for n in range(1, PLEADING_LINES + 1):
            self.set_xy(12, _PL_TOP + (n - 1) * _PL_STEP)
            self.cell(12, _PL_STEP, str(n), align="R")

    # -- ordinary papers ----------------------------------------------------------------------

    def write_caption(self, caption: Caption, title: str) -> None:
        """Court, the parties box and the case box, then the paper's title."""
        width = self.epw
        self.set_font(FONT, "B", 11)
        self.multi_cell(0, 6, caption.court_name.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        top = self.get_y()
        left_w = width * 0.58
        self.set_font(FONT, "", 10)
        first, second = caption.party_lines()
        self.set_xy(_LEFT + 2, top + 2)
        self.multi_cell(left_w - 4, 5.5, f"{first}\n\nv.\n\n{second}", new_x="LMARGIN")
        left_bottom = self.get_y()
        self.set_xy(_LEFT + left_w + 2, top + 2)
        self.multi_cell(width - left_w - 4, 5.5, "\n".join(caption.case_lines()), new_x="LMARGIN")
        bottom = max(left_bottom, self.get_y()) + 2
        self.rect(_LEFT, top, width, bottom - top)
        self.line(_LEFT + left_w, top, _LEFT + left_w, bottom)
        self.set_xy(_LEFT, bottom + 4)
        self.set_font(FONT, "B", 13)
        self.multi_cell(0, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def write_title(self, title: str) -> None:
        self.set_font(FONT, "B", 15)
        self.multi_cell(0, 8, title, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def write_text(self, text: str) -> None:
        after_blank = True
        for line in text.splitlines():
            if line.strip():
                style = "B" if after_blank and _looks_like_heading(line) else ""
                if style and self.get_y() > self.page_break_trigger - 4 * _LINE:
                    self.add_page()  # keep a heading with the paragraph it heads
                self.set_font(FONT, style, _BODY_SIZE)
                self.multi_cell(0, _LINE, line, align="L", new_x="LMARGIN", new_y="NEXT")
            else:
                self.ln(_LINE / 2)
            after_blank = not line.strip()

    def write_signatures(self, paper: Paper, tz: ZoneInfo) -> None:
        """The signature record: who signed for which side, how, when, and the text's SHA-256."""
        signatures = paper.signatures or ()
        self.ln(4)
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 7, "Signature record", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 9)
        if not signatures:
            self.multi_cell(0, 4.8, "Not signed yet.", new_x="LMARGIN", new_y="NEXT")
        else:
            self.multi_cell(
                0,
                4.8,
                _method_note({s.method for s in signatures}),
                align="L",
                new_x="LMARGIN",
                new_y="NEXT",
            )
        for s in signatures:
            role = paper.signer_labels.get(s.signer_user_id, str(s.for_side))
            self.ln(2)
            self.set_font(FONT, "B", _BODY_SIZE)
            mark = "/s/ " if s.method is SigningMethod.ELECTRONIC else "(signed in ink) "
            self.multi_cell(0, _LINE, f"{mark}{s.typed_name}", new_x="LMARGIN", new_y="NEXT")
            self.set_font(FONT, "", 9)
            if s.method is SigningMethod.PAPER:
                staff = paper.recorders.get(s.recorded_by or 0, "the centre's staff")
                recorded = local_time(s.recorded_at, tz) if s.recorded_at else "a later date"
                lines = (
                    f"Signed in ink on paper for the {role}, personally, on "
                    f"{local_time(s.at, tz)}.",
                    f"Paper signature recorded by {staff} on {recorded}.",
                )
            else:
                how = (
                    "by their attorney, expressly authorised"
                    if s.by_role is Role.ATTORNEY
                    else "personally"
                )
                lines = (
                    f"Signed electronically for the {role}, {how}, on {local_time(s.at, tz)}.",
                    "Consent to sign electronically recorded on "
                    f"{local_time(s.esign_consent_at, tz)}.",
                )
            for line in (*lines, f"Document SHA-256: {s.document_sha256}"):
                self.multi_cell(0, 4.8, line, align="L", new_x="LMARGIN", new_y="NEXT")

    # -- pleading papers ----------------------------------------------------------------------

    def write_pleading(self, paper: Paper) -> None:
        """Caption and text on numbered lines, 28 to a page, each line of type on a number."""
        assert paper.caption is not None
        c = paper.caption
        slots: list[tuple[str, str, str]] = []  # (text, style, align), one per numbered line
        preparer = [
            f"{c.first_name}, {c.first_label}, without an attorney",
            f"{c.second_name}, {c.second_label}, without an attorney",
            "Prepared through the Center for Conflict Resolution (ODR program)",
        ]
        slots += [(t, "", "L") for t in preparer]
        slots += [("", "", "L")] * (7 - len(slots))
        slots.append((c.court_name.upper(), "B", "C"))  # line 8, as rule 2.111 places it
        slots.append(("", "", "L"))
        self._pleading_slots(slots)
        caption_top = len(slots)
        left_lines = [
            *self._wrap(c.party_lines()[0], 95),
            "v.",
            *self._wrap(c.party_lines()[1], 95),
        ]
        right_lines = [*c.case_lines(), *self._wrap(paper.title, 70, bold=True)]
        rows = max(len(left_lines), len(right_lines)) + 1
        self._caption_box(caption_top, rows, left_lines, right_lines)
        body: list[tuple[str, str, str]] = [("", "", "L")] * (rows + 1)
        after_blank = True
        for line in paper.text.splitlines():
            if not line.strip():
                if not after_blank:
                    body.append(("", "", "L"))
                after_blank = True
                continue
            shouting = after_blank and line.isupper()  # a paper's own title, centred in bold
            style = "B" if shouting or (after_blank and _looks_like_heading(line)) else ""
            align = "C" if shouting else "L"
            body += [(t, style, align) for t in self._wrap(line, 170, bold=bool(style))]
            after_blank = False
        self._pleading_slots(body, offset=caption_top)

    def _wrap(self, text: str, width: float, *, bold: bool = False) -> list[str]:
        self.set_font(FONT, "B" if bold else "", 11)
        lines = self.multi_cell(width, _PL_STEP, text, dry_run=True, output="LINES")
        assert isinstance(lines, list)  # output="LINES" returns the wrapped lines alone
        return [str(x) for x in lines]

    def _caption_box(self, first: int, rows: int, left: list[str], right: list[str]) -> None:
        top = _PL_TOP + first * _PL_STEP
        left_w, right_x = 100.0, _PL_TEXT_X + 100
        self.set_draw_color(0)
        self.line(_PL_TEXT_X, top + rows * _PL_STEP, right_x, top + rows * _PL_STEP)
        self.line(right_x, top, right_x, top + rows * _PL_STEP)
        for i, text in enumerate(left):
            self.set_font(FONT, "", 11)
            self.set_xy(_PL_TEXT_X, top + i * _PL_STEP)
            self.cell(left_w - 3, _PL_STEP, text)
        for i, text in enumerate(right):
            self.set_font(FONT, "B" if i >= 3 else "", 11)
            self.set_xy(right_x + 3, top + i * _PL_STEP)
            self.cell(0, _PL_STEP, text)

    def _pleading_slots(self, slots: list[tuple[str, str, str]], offset: int = 0) -> None:
        line = offset
        for text, style, align in slots:
            if line >= PLEADING_LINES:
                self.add_page()
                line = 0
            if text:
                self.set_font(FONT, style, 11)
                self.set_xy(_PL_TEXT_X, _PL_TOP + line * _PL_STEP)
                self.cell(215.9 - 14 - _PL_TEXT_X, _PL_STEP, text, align=align)
            line += 1
        self.set_y(_PL_TOP + line * _PL_STEP)


def render_papers(
    papers: Sequence[Paper],
    *,
    title: str | None = None,
    tz: ZoneInfo | None = None,
    created_at: datetime | None = None,
) -> bytes:
    """One PDF holding `papers` in order, each paginated on its own."""
    if not papers:
        raise ValueError("nothing to render")
    zone = tz or ZoneInfo(DEFAULT_TIMEZONE)
    signed = [s for p in papers for s in (p.signatures or ())]
    when = _creation_date(signed, created_at)
    doc_title = title or papers[0].title
    totals = None
    if len(papers) > 1:
        counting = _lay_out(papers, doc_title, zone, when, None)
        ends = [*counting.starts[1:], counting.page_no() + 1]
        totals = [end - start for start, end in zip(counting.starts, ends, strict=True)]
        _close(counting)
    doc = _lay_out(papers, doc_title, zone, when, totals)
    try:
        return bytes(doc.output())
    finally:
        _close(doc)


def _close(doc: FPDF) -> None:
    # fpdf2 opens fonts lazily and never closes them: close here, not whenever GC runs.
    for font in doc.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.close()


def _lay_out(
    papers: Sequence[Paper],
    title: str,
    tz: ZoneInfo,
    created_at: datetime,
    totals: Sequence[int] | None,
) -> _Document:
    doc = _Document(title, created_at, totals)
    if papers[0].caption is not None:
        c = papers[0].caption
        doc.set_subject(f"{c.short_title}, case number {c.case_number}, {c.court_name}")
    elif papers[0].reference is not None:
        doc.set_subject(f"Center for Conflict Resolution, reference {papers[0].reference}")
    for paper in papers:
        doc.begin(paper)
        if paper.pleading:
            doc.write_pleading(paper)
            continue
        if paper.caption is not None:
            doc.write_caption(paper.caption, paper.title)
        else:
            doc.write_title(paper.title)
        doc.write_text(_without_title(paper.title, paper.text))
        if paper.signatures is not None:
            doc.write_signatures(paper, tz)
    return doc


def render_pdf(
    title: str,
    text: str,
    *,
    signatures: Sequence[Signature] = (),
    created_at: datetime | None = None,
    caption: Caption | None = None,
    tz: ZoneInfo | None = None,
    signer_labels: dict[int, str] | None = None,
    recorders: dict[int, str] | None = None,
) -> bytes:
    """One document: caption (court papers), the text and, when signed, the signature record.

    A text that already opens with the title (as rendered agreements do) does not repeat it.
    """
    paper = Paper(
        title,
        text,
        caption=caption,
        signatures=tuple(signatures) if signatures else None,
        signer_labels=dict(signer_labels or {}),
        recorders=dict(recorders or {}),
    )
    return render_papers([paper], tz=tz, created_at=created_at)


def _method_note(methods: set[SigningMethod]) -> str:
    """How the signatures below were given, in words."""
    names = {
        SigningMethod.ELECTRONIC: "electronic signature",
        SigningMethod.PAPER: "signature in ink on paper",
    }
    parts = [f"Method: {' and '.join(names[m] for m in SigningMethod if m in methods)}."]
    if SigningMethod.ELECTRONIC in methods:
        parts.append(
            "Each electronic signer consented to sign electronically (the time of consent is "
            "recorded below), re-entered their password and typed their full name."
        )
    if SigningMethod.PAPER in methods:
        parts.append(
            "Each paper signer signed a printed copy of this exact text in ink, and a member of "
            "the centre's staff recorded the signature against the fingerprint printed on it."
        )
    parts.append("Times are in the centre's time zone.")
    return " ".join(parts)


def _without_title(title: str, text: str) -> str:
    first, _, body = text.lstrip().partition("\n")
    return body.strip("\n") if first.strip() == title.strip() else text


def _looks_like_heading(line: str) -> bool:
    # Templates write headings as short lines after a blank line, without closing punctuation;
    # a paragraph of the mediator's that looks the same is merely printed bold.
    line = line.strip()
    return (
        len(line) <= 80
        and not line.endswith((".", ",", ";", "!", "?", ":"))
        and ": " not in line
        and line[0].isalpha()
    )


def _creation_date(signatures: Sequence[Signature], created_at: datetime | None) -> datetime:
    if created_at is not None:
        if created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        return created_at
    return max((s.at for s in signatures), default=FIXED_DATE)
