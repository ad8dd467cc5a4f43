"""The court-paper checklist: what a clerk would look for in every generated PDF, per kind.

Each check reads the PDF back with pypdf (text and page boxes), so it sees what a reader sees.
`check_pdf` returns the problems found; tests assert the list is empty, so a failure names them.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pypdf

from odrchat.cases.kinds import CaseKind

LETTER = (0.0, 0.0, 612.0, 792.0)
# Words that must never reach any paper: the old placeholder and template leftovers.
PLACEHOLDERS = (
    "your mediator will advise",
    "placeholder",
    "TODO",
    "TBD",
    "lorem ipsum",
    "{nb}",
    " of 00",
    "[name]",
    "XX/XX",
)
REQUIRED = {
    CaseKind.SMALL_CLAIMS: (
        "WITHOUT PREJUDICE",
        "Code of Civil Procedure section 664.6",
        "each party personally asks the court to keep jurisdiction",
        "Evidence Code section 1123",
        "Evidence Code section 1119",
        "stays confidential",
        "The hearing",
        "CCR files",
    ),
    CaseKind.UNLAWFUL_DETAINER: (
        "Premises:",
        "possession of the premises",
        "Condition:",
        "How this case ends (",
        "Code of Civil Procedure section 1161.2",
        "Code of Civil Procedure section 664.6",
        "Evidence Code section 1123",
    ),
    CaseKind.CIVIL_HARASSMENT: (
        "Petitioner:",
        "Respondent:",
        "Warning about any temporary restraining order",
        "Each party signs personally",
        "WITHOUT PREJUDICE",
        "Code of Civil Procedure section 664.6",
        "Evidence Code section 1123",
    ),
    CaseKind.COMMUNITY: ("private agreement", "binding and enforceable", "stays confidential"),
}
FORBIDDEN = {
    CaseKind.SMALL_CLAIMS: ("Plaintiff will file", "will file a request", "UTC"),
    CaseKind.UNLAWFUL_DETAINER: ("Plaintiff will file", "UTC"),
    CaseKind.CIVIL_HARASSMENT: (
        "Plaintiff",
        "Defendant",
        "attorney for the",
        "through their attorney",
        "UTC",
    ),
    # No court wording at all in a private agreement.
    CaseKind.COMMUNITY: (
        "court",
        "Case number",
        "664.6",
        "Evidence Code",
        "dismiss",
        "Plaintiff",
        "Defendant",
        "Petitioner",
        "hearing",
        "jurisdiction",
        "CIV-110",
        "UTC",
    ),
}

# A community agreement is never filed with a court. Its packet is the centre's closing record:
# a record sheet under the centre's reference, then the signed agreement. It says once, in these
# words, that it is not a court filing; no other word of it may name a court or court papers.
NOT_A_COURT_FILING = "It is not a court filing."
RECORD_REQUIRED = (
    "Closing Record of a Community Mediation Agreement",
    "Center for Conflict Resolution",
    NOT_A_COURT_FILING,
    "Centre reference:",
    "Community Mediation Agreement",
    "Signature record",
    "Kept on file",
)
RECORD_FORBIDDEN = (
    "Superior Court",
    "Court:",
    "Court reference",
    "filed with the court",
    "Filing Cover Sheet",
    "Request for Dismissal",
    "[Proposed]",
    "PROPOSED",
    "Judicial Officer",
    "Judicial Council",
    "Short title",
    " v. ",
)


@dataclass(frozen=True, slots=True)
class Read:
    pages: list[str]  # each page's text, whitespace collapsed
    boxes: list[tuple[float, float, float, float]]
    title: str | None
    lang: str | None

    @property
    def text(self) -> str:
        return " ".join(self.pages)


def read(pdf: bytes) -> Read:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    boxes = [tuple(float(v) for v in p.mediabox) for p in reader.pages]
    root = reader.trailer["/Root"]
    lang = root.get("/Lang")
    title = reader.metadata.title if reader.metadata else None
    return Read(pages, boxes, title, str(lang) if lang else None)  # type: ignore[arg-type]


def check_pdf(
    pdf: bytes,
    kind: CaseKind,
    *,
    case_number: str | None,
    parties: tuple[str, str],
    court: str | None = None,
    short_title: str | None = None,
    must_have: tuple[str, ...] = (),
    must_not_have: tuple[str, ...] = (),
    whole_agreement: bool = True,
    allowed: tuple[str, ...] = (),
) -> list[str]:
    """Every problem a clerk (or a party) would find in this PDF; empty when it passes.

    `allowed` names exact sentences taken out before the forbidden words are looked for (the
    community record's one sentence saying it is not a court filing)."""
    doc = read(pdf)
    problems: list[str] = []
    for n, box in enumerate(doc.boxes, 1):
        if box != LETTER:
            problems.append(f"page {n} is {box}, not US Letter")
    if not doc.title:
        problems.append("no title in the metadata")
    if doc.lang != "en-US":
        problems.append(f"language is {doc.lang!r}, not en-US")
    for n, page in enumerate(doc.pages, 1):
        if not re.search(r"Page \d+ of \d+", page):
            problems.append(f"page {n} has no 'Page X of Y'")
        if case_number is not None and case_number not in page:
            problems.append(f"page {n} lacks the case number")
    text = doc.text
    for name in parties:
        if name not in text:
            problems.append(f"party {name!r} is not named")
    if court is not None and court.upper() not in text.upper():
        problems.append("the court is not named")
    if short_title is not None and short_title not in text:
        problems.append(f"short title {short_title!r} missing")
    lowered = text.lower()
    for word in PLACEHOLDERS:
        if word.lower() in lowered:
            problems.append(f"placeholder text {word!r}")
    required = (*REQUIRED[kind], *must_have) if whole_agreement else must_have
    for needle in required:
        if needle not in text:
            problems.append(f"missing {needle!r}")
    said = text
    for sentence in allowed:
        said = said.replace(sentence, "")
    for needle in (*FORBIDDEN[kind], *must_not_have):
        found = needle.lower() in said.lower() if needle.islower() else needle in said
        if found:
            problems.append(f"must not say {needle!r}")
    return problems


def check_record(
    pdf: bytes,
    *,
    reference: str,
    parties: tuple[str, str],
    must_have: tuple[str, ...] = (),
) -> list[str]:
    """Every problem in the centre's closing record of a community agreement (its packet):
    the community agreement's checks, the centre's reference on every page's footer and in
    the title, the record's own wording, and no court caption, case number or court paper."""
    doc = read(pdf)
    problems = [
        f"page {n} lacks 'Reference {reference}' in its footer"
        for n, page in enumerate(doc.pages, 1)
        if f"Reference {reference}" not in page
    ]
    if reference not in (doc.title or ""):
        problems.append(f"the title {doc.title!r} does not name {reference}")
    if doc.text.count(NOT_A_COURT_FILING) != 1:
        problems.append(f"{NOT_A_COURT_FILING!r} is not said exactly once")
    if f"Centre reference: {reference}" not in doc.pages[0]:
        problems.append("the first page does not give the centre's reference")
    return problems + check_pdf(
        pdf,
        CaseKind.COMMUNITY,
        case_number=None,
        parties=parties,
        must_have=(*RECORD_REQUIRED, *must_have),
        must_not_have=RECORD_FORBIDDEN,
        allowed=(NOT_A_COURT_FILING,),
    )
