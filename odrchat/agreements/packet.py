"""The filing packet a centre's staff hand to the clerk: one PDF, papers in filing order.

Small claims and civil harassment: a cover sheet for the clerk, a worksheet for the Request for
Dismissal (Judicial Council form CIV-110: the official form cannot be shipped here, so the sheet
says, item by item, what to enter on it for this case), a proposed order retaining jurisdiction
under Code of Civil Procedure section 664.6 on pleading paper, and the signed agreement.
Unlawful detainer: the cover sheet, the parties' stipulation with a proposed judgment or a
proposed conditional dismissal (the route the agreement names), and the signed agreement.
Community agreements are never filed with a court: their packet is the centre's own closing
record, a record sheet (no caption; the centre's reference, on every page's footer too) and the
signed agreement, with no court wording at all. A party who prefers paper gets the text with a
signature page (`render_signature_page`) carrying the text's SHA-256, which staff record against.
Pure: texts in, PDF bytes out (CPU-bound: run it in a worker thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from odrchat.agreements.caption import Caption, caption_of
from odrchat.agreements.dates import DEFAULT_TIMEZONE, in_words, local_time
from odrchat.agreements.machine import Filing, Signature, SigningMethod, document_hash
from odrchat.agreements.pdf import Paper, render_papers
from odrchat.agreements.templates import (
    TITLES,
    AgreementContext,
    AgreementOptions,
    TemplateError,
    UnlawfulDetainerRoute,
    last_due,
    signer_role,
)
from odrchat.cases.kinds import CaseKind
from odrchat.cases.roles import Side
from odrchat.i18n import N_
from odrchat.offers.terms import MoveOut, Payment, Term, describe

COVER_TITLE = "Filing Cover Sheet"
RECORD_TITLE = "Closing Record of a Community Mediation Agreement"
# The one sentence of a community record that names a court: to say that it is not for one.
NOT_A_COURT_FILING = "It is not a court filing."
SIGNATURE_PAGE_TITLE = "Signature Page"
WORKSHEET_TITLE = "Worksheet: Request for Dismissal (Judicial Council form CIV-110)"
ORDER_TITLE = (
    "[Proposed] Order Retaining Jurisdiction to Enforce Settlement (Code Civ. Proc., § 664.6)"
)
UD_TITLES = {
    UnlawfulDetainerRoute.STIPULATED_JUDGMENT: (
        "Stipulation for Entry of Judgment and [Proposed] Judgment"
    ),
    UnlawfulDetainerRoute.CONDITIONAL_DISMISSAL: (
        "Stipulation for Conditional Dismissal and [Proposed] Order"
    ),
}
_KIND_NAMES = {
    CaseKind.SMALL_CLAIMS: "Small claims",
    CaseKind.UNLAWFUL_DETAINER: "Unlawful detainer (limited civil)",
    CaseKind.CIVIL_HARASSMENT: "Civil harassment",
}


def packet_papers(
    case: AgreementContext,
    agreement_text: str,
    terms: Sequence[Term],
    signatures: Sequence[Signature],
    options: AgreementOptions,
    *,
    filing: Filing | None = None,
    tz: ZoneInfo | None = None,
    recorders: dict[int, str] | None = None,
    scans: dict[int, str] | None = None,
    courtesy: Sequence[tuple[str, str]] = (),
) -> list[Paper]:
    """The packet's papers in filing order (a community agreement: the centre's record).

    `scans` names the documents holding scans of paper signatures (document id -> file name);
    `courtesy` holds (title, text) of each courtesy translation, placed after the signed
    agreement.
    """
    zone = tz or ZoneInfo(DEFAULT_TIMEZONE)
    labels = {s.signer_user_id: signer_role(case.kind, s) for s in signatures}
    caption = caption_of(case)
    if caption is None:
        ref = case.centre_reference
        if not ref:
            raise TemplateError(N_("a community agreement's record needs the centre's reference"))
        record = record_sheet(case, signatures, filing, zone, recorders or {}, scans or {})
        signed = Paper(
            TITLES[case.kind],
            agreement_text,
            signatures=tuple(signatures),
            signer_labels=labels,
            recorders=dict(recorders or {}),
            reference=ref,
        )
        extra = [Paper(title, text, reference=ref) for title, text in courtesy]
        return [Paper(RECORD_TITLE, record, reference=ref), signed, *extra]
    signed_on = max((s.at for s in signatures), default=None)
    papers = [
        Paper(
            COVER_TITLE,
            cover_sheet(case, signatures, options, filing, zone, recorders or {}, scans or {}),
            caption,
        ),
    ]
    if case.kind is CaseKind.UNLAWFUL_DETAINER:
        route = options.ud_route
        text = ud_stipulation(case, terms, signatures, route, zone)
        papers.append(Paper(UD_TITLES[route], text, caption, pleading=True))
    else:
        papers.append(Paper(WORKSHEET_TITLE, civ110_worksheet(case, caption), caption))
        papers.append(
            Paper(ORDER_TITLE, proposed_order(case, signed_on, zone), caption, pleading=True)
        )
    papers.append(
        Paper(
            TITLES[case.kind],
            agreement_text,
            caption,
            tuple(signatures),
            signer_labels=labels,
            recorders=dict(recorders or {}),
        )
    )
    papers += [Paper(title, text, caption) for title, text in courtesy]
    return papers


def render_packet(
    case: AgreementContext,
    agreement_text: str,
    terms: Sequence[Term],
    signatures: Sequence[Signature],
    options: AgreementOptions,
    *,
    filing: Filing | None = None,
    tz: ZoneInfo | None = None,
    created_at: datetime | None = None,
    recorders: dict[int, str] | None = None,
    scans: dict[int, str] | None = None,
    courtesy: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The whole packet as one PDF."""
    papers = packet_papers(
        case,
        agreement_text,
        terms,
        signatures,
        options,
        filing=filing,
        tz=tz,
        recorders=recorders,
        scans=scans,
        courtesy=courtesy,
    )
    caption = papers[0].caption
    if caption is None:
        title = f"Closing record, {TITLES[case.kind]}, reference {papers[0].reference}"
    else:
        title = f"Filing packet, {caption.short_title}, case number {caption.case_number}"
    return render_papers(papers, title=title, tz=tz, created_at=created_at)


def render_signature_page(
    case: AgreementContext, agreement_text: str, *, tz: ZoneInfo | None = None
) -> bytes:
    """The text out for signature and a page to sign it in ink, for a party who prefers paper."""
    caption = caption_of(case)
    ref = None if caption else case.centre_reference
    papers = [
        Paper(TITLES[case.kind], agreement_text, caption, reference=ref),
        Paper(SIGNATURE_PAGE_TITLE, signature_page(case, agreement_text), caption, reference=ref),
    ]
    return render_papers(papers, title=f"{TITLES[case.kind]}: signature page", tz=tz)


def signature_page(case: AgreementContext, agreement_text: str) -> str:
    """Lines to sign and date in ink, tied to the exact text by its SHA-256."""
    lines = [
        SIGNATURE_PAGE_TITLE,
        "",
        "How to sign on paper",
        "Read the whole agreement printed before this page. Sign and date on your line below in "
        "ink, and give this page with the agreement back to your mediator or to CCR. Do not "
        "change anything in the text: staff record your signature against the fingerprint "
        "below, and a changed text would not match it. Each party signs personally.",
        "",
        "Fingerprint of the text",
        f"Document SHA-256: {document_hash(agreement_text)}",
    ]
    for side in Side:
        lines += [
            "",
            f"{case.label(side)}: {case.names[side]}",
            "Signature: ______________________________________",
            "Date signed: ____________________",
        ]
    return "\n".join(lines) + "\n"


def cover_sheet(
    case: AgreementContext,
    signatures: Sequence[Signature],
    options: AgreementOptions,
    filing: Filing | None,
    tz: ZoneInfo,
    recorders: dict[int, str] | None = None,
    scans: dict[int, str] | None = None,
) -> str:
    """What the clerk is handed, and in which order; no terms, no amounts, no mediation talk.

    Each signer is listed with how they signed; a paper signature names the staff member who
    recorded it and, when staff attached one, the scan of the signed page kept with the record.
    """
    lines = [
        COVER_TITLE,
        "",
        "To the clerk",
        "The parties settled this case in mediation through the Center for Conflict Resolution "
        "(CCR). CCR files the papers below for the parties, who represent themselves.",
        "",
        "Case",
        f"Court: {case.court_name}",
        f"Case number: {case.court_case_number}",
        f"Case type: {_KIND_NAMES[case.kind]}",
        f"{case.label(Side.PLAINTIFF)}: {case.plaintiff_name}",
        f"{case.label(Side.DEFENDANT)}: {case.defendant_name}",
    ]
    if case.department:
        lines.append(f"Department: {case.department}")
    if case.hearing_date:
        lines.append(f"Hearing date on file: {in_words(case.hearing_date)}")
    lines += ["", "Papers in this packet, in filing order"]
    if case.kind is CaseKind.UNLAWFUL_DETAINER:
        lines += [
            "1. This cover sheet.",
            f"2. {UD_TITLES[options.ud_route]}, for the judicial officer's signature.",
            f"3. {TITLES[case.kind]}, signed by the parties, with its signature record.",
        ]
    else:
        lines += [
            "1. This cover sheet.",
            "2. A worksheet for the Request for Dismissal (form CIV-110). The official form is "
            "completed from it and filed with this packet.",
            "3. A proposed order retaining jurisdiction under Code of Civil Procedure section "
            "664.6, for the judicial officer's signature.",
            f"4. {TITLES[case.kind]}, signed by the parties, with its signature record.",
        ]
    lines += ["", "Signed by"]
    lines += _signers(case, signatures, tz, recorders or {}, scans or {})
    if filing is not None:
        lines += ["", "Filing", f"Filed on: {in_words(filing.filed_on)}"]
        lines.append(f"Court reference: {filing.court_reference}")
    return "\n".join(lines) + "\n"


def record_sheet(
    case: AgreementContext,
    signatures: Sequence[Signature],
    filing: Filing | None,
    tz: ZoneInfo,
    recorders: dict[int, str] | None = None,
    scans: dict[int, str] | None = None,
) -> str:
    """The centre's closing record of a community agreement: what it is, under which reference,
    who signed and how, and since when the centre keeps it on file; no terms, no amounts."""
    lines = [
        RECORD_TITLE,
        "",
        "What this record is",
        "This is the Center for Conflict Resolution's (CCR) own record of a private agreement "
        f"reached in community mediation. {NOT_A_COURT_FILING} CCR keeps this record and the "
        "signed agreement on file under the reference below; each party has their own copy of "
        "the signed agreement.",
        "",
        "Record",
        f"Centre reference: {case.centre_reference}",
        "Kind: Community mediation (a private agreement)",
        f"{case.label(Side.PLAINTIFF)}: {case.plaintiff_name}",
        f"{case.label(Side.DEFENDANT)}: {case.defendant_name}",
        f"Mediator: {case.mediator_name}",
        f"Agreement reached on: {in_words(case.agreement_date)}",
        "",
        "Papers in this record",
        "1. This closing record.",
        f"2. {TITLES[case.kind]}, signed by the parties, with its signature record.",
    ]
    lines += ["", "Signed by"]
    lines += _signers(case, signatures, tz, recorders or {}, scans or {})
    lines += ["", "Kept on file"]
    if filing is not None:
        lines.append(f"Kept on file by CCR since: {in_words(filing.filed_on)}")
    else:
        lines.append("Not yet marked as kept on file by CCR.")
    return "\n".join(lines) + "\n"


def _signers(
    case: AgreementContext,
    signatures: Sequence[Signature],
    tz: ZoneInfo,
    recorders: dict[int, str],
    scans: dict[int, str],
) -> list[str]:
    """One line per signer: how and when they signed (a paper signature: who recorded it)."""
    lines = []
    for s in signatures:
        who = f"- {s.typed_name}, {signer_role(case.kind, s)}"
        if s.method is SigningMethod.PAPER:
            staff = recorders.get(s.recorded_by or 0, "CCR staff")
            line = f"{who}, signed in ink on paper on {local_time(s.at, tz)}, recorded by {staff}."
            if s.scan_document_id is not None:
                name = scans.get(s.scan_document_id, "a scanned page")
                line += (
                    f" Scan of the signed page kept with the signature record: {name} "
                    f"(document {s.scan_document_id})."
                )
            else:
                line += " No scan of the signed page is attached; CCR keeps the original."
            lines.append(line)
        else:
            lines.append(f"{who}, signed electronically on {local_time(s.at, tz)}.")
    return lines


def civ110_worksheet(case: AgreementContext, caption: Caption) -> str:
    """Item by item, what to enter on the official Request for Dismissal for this case."""
    first = case.label(Side.PLAINTIFF).lower()
    petition = case.kind is CaseKind.CIVIL_HARASSMENT
    lines = [
        WORKSHEET_TITLE,
        "",
        "About this worksheet",
        "This page is not the official form. Judicial Council form CIV-110 cannot be included "
        "here: print the current edition from the California courts' forms page or take one "
        "from the clerk, and fill it in exactly as set out below. Check that the edition you "
        "use has the items named here.",
        "",
        "Top of the form",
        f"Party without attorney: {case.plaintiff_name}, {first}, representing themselves. "
        "Use the mailing address and phone number the party gives CCR for the court; CCR does "
        "not print a party's contact details here.",
        f"Court: {case.court_name}",
        f"{case.label(Side.PLAINTIFF)}: {case.plaintiff_name}",
        f"{case.label(Side.DEFENDANT)}: {case.defendant_name}",
        f"Case number: {case.court_case_number}",
        "",
        "Item 1a, type of dismissal",
        "Check the box for a dismissal WITHOUT PREJUDICE with the court keeping jurisdiction "
        "under Code of Civil Procedure section 664.6. If the edition in hand has no such box, "
        "check Without prejudice and file the proposed order in this packet with it. Never "
        "check With prejudice: the agreement is dismissed without prejudice.",
        "",
        "Item 1b, what is dismissed",
        "Check Entire action of all parties and all causes of action."
        + (" This dismisses the petition." if petition else ""),
        "",
        "Item 2, court fees",
        "Say whether the court waived fees and costs for any party in this case. CCR does not "
        "know this: look in the court file or ask the parties. If fees were waived, the court "
        "may ask for more before it dismisses.",
        "",
        "Date, name and signature",
        f"Date: the day {case.plaintiff_name} signs the form. Type or print the name "
        f"{case.plaintiff_name}. {case.plaintiff_name} signs personally as the {first}.",
        "",
        "Items for the clerk and for cross-complaints",
        "Leave the consent to dismissal item blank unless a cross-complaint was filed. Leave "
        "every item marked for the clerk blank.",
    ]
    if petition:
        lines += [
            "",
            "Before filing",
            "Tell both parties again: once the petition is dismissed, any temporary "
            "restraining order in this case ends.",
        ]
    return "\n".join(lines) + "\n"


def proposed_order(case: AgreementContext, signed_on: datetime | None, tz: ZoneInfo) -> str:
    """A proposed order retaining jurisdiction under 664.6, for the judicial officer."""
    when = in_words(signed_on.astimezone(tz).date()) if signed_on else "the date shown on it"
    first, second = case.who(Side.PLAINTIFF), case.who(Side.DEFENDANT)
    dismissed = "petition" if case.kind is CaseKind.CIVIL_HARASSMENT else "case"
    lines = [
        ORDER_TITLE.upper(),
        "",
        f"The parties to this case, {first} and {second}, settled it in mediation through the "
        f"Center for Conflict Resolution. Each party personally signed a written settlement "
        f"agreement, completed on {when}, that asks the court to retain jurisdiction to "
        "enforce the settlement.",
        "",
        "Good cause appearing, IT IS ORDERED:",
        "",
        "1. Under Code of Civil Procedure section 664.6, the court retains jurisdiction over the "
        "parties to enforce the settlement until its terms are performed in full.",
        "",
        f"2. The dismissal of the {dismissed} without prejudice does not end the jurisdiction "
        "retained in paragraph 1.",
        "",
        "Dated: ____________________",
        "",
        "______________________________________",
        "Judicial Officer of the Superior Court",
    ]
    return "\n".join(lines) + "\n"


def ud_stipulation(
    case: AgreementContext,
    terms: Sequence[Term],
    signatures: Sequence[Signature],
    route: UnlawfulDetainerRoute,
    tz: ZoneInfo,
) -> str:
    """The parties' stipulation and the proposed judgment or conditional dismissal."""
    move = next((t for t in terms if isinstance(t, MoveOut)), None)
    tenant_side = move.tenant if move else Side.DEFENDANT
    tenant, landlord = case.who(tenant_side), case.who(tenant_side.other)
    lines = [UD_TITLES[route].upper(), "", "STIPULATION", ""]
    lines.append(
        f"{case.who(Side.PLAINTIFF)} and {case.who(Side.DEFENDANT)} settled this unlawful "
        f"detainer case in mediation and stipulate as follows about the premises at "
        f"{case.premises_address}:"
    )
    n = 0
    if move is not None:
        n += 1
        lines.append(
            f"{n}. {tenant} moves out and gives {landlord} possession of the premises, with all "
            f"keys, by {in_words(move.by)}, leaving them empty and clean."
        )
    for t in terms:
        if isinstance(t, Payment):
            n += 1
            lines.append(f"{n}. {describe(t, case.names, day=in_words)}")
    n += 1
    last = last_due(terms)
    if route is UnlawfulDetainerRoute.STIPULATED_JUDGMENT:
        lines.append(
            f"{n}. Judgment may be entered on these terms: possession of the premises to "
            f"{landlord}"
            + (f" on {in_words(move.by)}" if move else "")
            + ", and the money terms above."
        )
    else:
        lines.append(
            f"{n}. When {tenant} has performed every term"
            + (f" (the last falls due on {in_words(last)})" if last else "")
            + f", the entire case is dismissed. If {tenant} does not perform, {landlord} may "
            "apply for judgment on these terms, including possession."
        )
    n += 1
    lines.append(
        f"{n}. The parties ask the court to retain jurisdiction under Code of Civil Procedure "
        "section 664.6 to enforce the settlement until it is performed in full."
    )
    lines += ["", "Signed by the parties (see the agreement's signature record):"]
    for s in signatures:
        mark = "/s/" if s.method is SigningMethod.ELECTRONIC else "(signed in ink)"
        lines.append(f"{mark} {s.typed_name}, {signer_role(case.kind, s)}, {local_time(s.at, tz)}")
    order = "JUDGMENT" if route is UnlawfulDetainerRoute.STIPULATED_JUDGMENT else "ORDER"
    lines += ["", f"[PROPOSED] {order}", ""]
    if route is UnlawfulDetainerRoute.STIPULATED_JUDGMENT:
        lines.append(
            "On the parties' stipulation, judgment is entered on the terms stated above, and "
            "the court retains jurisdiction under Code of Civil Procedure section 664.6."
        )
    else:
        lines.append(
            "On the parties' stipulation, IT IS ORDERED that the court retains jurisdiction "
            "under Code of Civil Procedure section 664.6; the case is dismissed when the terms "
            "are performed, and judgment may be entered on application if they are not."
        )
    lines += [
        "",
        "Dated: ____________________",
        "",
        "______________________________________",
        "Judicial Officer of the Superior Court",
    ]
    return "\n".join(lines) + "\n"
