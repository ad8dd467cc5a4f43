"""Plain-language agreement texts, one template per case kind, and the court cover sheet.

A template sees only structured terms, the case facts and the mediator's clarifying wording;
it never sees chat messages, so nothing said in mediation can leak into a filed document.
The text is plain (no markup): the agreement's SHA-256 is taken over exactly these characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from odrchat.agreements.machine import Filing, Signature
from odrchat.cases.kinds import CaseKind, is_court_filed, side_label
from odrchat.cases.roles import Role, Side
from odrchat.offers.terms import Dismissal, MoveOut, Payment, StayAway, Term, Terms, describe

FILING_NOTICE = "Filing: your mediator will advise you on how this agreement is filed."
TITLES = {
    CaseKind.SMALL_CLAIMS: "Settlement Agreement",
    CaseKind.UNLAWFUL_DETAINER: "Unlawful Detainer Settlement Agreement",
    CaseKind.CIVIL_HARASSMENT: "Civil Harassment Settlement Agreement",
    CaseKind.COMMUNITY: "Community Mediation Settlement Agreement",
}
# Per kind, the term sections in order: (heading, term type or None for everything left).
_SECTIONS: dict[CaseKind, tuple[tuple[str, type[Term] | None], ...]] = {
    CaseKind.SMALL_CLAIMS: (("Payments", Payment), ("Other terms", None)),
    CaseKind.UNLAWFUL_DETAINER: (
        ("Moving out and possession", MoveOut),
        ("Rent and other money", Payment),
        ("Other terms", None),
    ),
    CaseKind.CIVIL_HARASSMENT: (("Staying away and no contact", StayAway), ("Other terms", None)),
    CaseKind.COMMUNITY: (("What the parties agree to", None),),
}
_BINDING = (
    "This agreement is enforceable and binding. The parties agree that it may be disclosed and "
    "used as evidence to enforce it, as Evidence Code section 1123 allows."
)


class TemplateError(ValueError):
    """Terms that a kind's template cannot state truthfully."""

    code = "template_conflict"


@dataclass(frozen=True, slots=True)
class AgreementContext:
    """The case facts an agreement names. Court fields are empty for community cases."""

    kind: CaseKind
    court_name: str | None
    court_case_number: str | None
    plaintiff_name: str
    defendant_name: str
    mediator_name: str
    agreement_date: date

    def __post_init__(self) -> None:
        if not (self.plaintiff_name.strip() and self.defendant_name.strip()):
            raise ValueError("both parties need a name")
        court = (self.court_name or "").strip() and (self.court_case_number or "").strip()
        if is_court_filed(self.kind) and not court:
            raise ValueError("a court case needs the court name and case number")

    @property
    def names(self) -> dict[Side, str]:
        return {Side.PLAINTIFF: self.plaintiff_name, Side.DEFENDANT: self.defendant_name}

    def label(self, side: Side) -> str:
        """What this kind calls a side: community cases have no plaintiff or defendant."""
        return side_label(self.kind, side)


def render_agreement(case: AgreementContext, terms: Terms, clarifications: str = "") -> str:
    """The full agreement text for `case`, spelling out every term in plain language."""
    if not terms.items:
        raise TemplateError("an agreement needs at least one term")
    lines = [TITLES[case.kind], "", *_heading(case), ""]
    lines += ["What this agreement is", _purpose(case), ""]
    listed = _terms(case, terms)
    lines += _term_sections(case, listed)
    lines += _closing(case, listed)
    clarifications = clarifications.replace("\r\n", "\n").strip()
    if clarifications:
        lines += ["", "Clarifications from the mediator", clarifications]
    lines += [
        "",
        "Signatures",
        "Each party signs this agreement electronically by typing their name. The signature "
        "record at the end of this document lists who signed, when, and the SHA-256 fingerprint "
        "of the exact text they signed.",
    ]
    return "\n".join(lines) + "\n"


def render_cover_sheet(
    case: AgreementContext, signatures: Sequence[Signature], filing: Filing | None = None
) -> str:
    """The court filing cover sheet: case, court, parties, signers and dates, nothing else."""
    if not is_court_filed(case.kind):
        raise TemplateError("community agreements are not filed with a court")
    lines = [
        "Filing Cover Sheet",
        "",
        f"Court: {case.court_name}",
        f"Case number: {case.court_case_number}",
        f"Case type: {case.kind.value.replace('_', ' ').capitalize()}",
        f"Plaintiff: {case.plaintiff_name}",
        f"Defendant: {case.defendant_name}",
        "",
        "Settlement agreement signed electronically by:",
    ]
    for s in signatures:
        who = f"attorney for the {s.for_side}" if s.by_role is Role.ATTORNEY else str(s.for_side)
        lines.append(f"- {s.typed_name}, {who}, {format_timestamp(s.at)}")
    if filing is not None:
        lines += ["", f"Filed on: {filing.filed_on.isoformat()}"]
        lines.append(f"Court reference: {filing.court_reference}")
    return "\n".join(lines) + "\n"


def format_timestamp(at: datetime) -> str:
    """A signature time for people and courts: '2026-03-02 17:05 UTC'."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _heading(case: AgreementContext) -> list[str]:
    lines = []
    if is_court_filed(case.kind):
        lines += [f"Court: {case.court_name}", f"Case number: {case.court_case_number}"]
    lines += [
        f"Date: {case.agreement_date.isoformat()}",
        f"{case.label(Side.PLAINTIFF)}: {case.plaintiff_name}",
        f"{case.label(Side.DEFENDANT)}: {case.defendant_name}",
        f"Mediator: {case.mediator_name}",
    ]
    return lines


def _purpose(case: AgreementContext) -> str:
    both = f"{case.plaintiff_name} and {case.defendant_name}"
    if case.kind is CaseKind.COMMUNITY:
        return (
            f"{both} reached this agreement in community mediation. It is not part of any court "
            "case. The mediator is neutral and did not give legal advice to either party."
        )
    return (
        f"{both} reached this agreement in online mediation to settle the case named above. "
        "The mediator is neutral and did not give legal advice to either party."
    )


def _terms(case: AgreementContext, terms: Terms) -> list[Term]:
    """The terms to list; small claims state the dismissal in their own fixed wording."""
    dismissals = [t for t in terms.items if isinstance(t, Dismissal)]
    if case.kind is CaseKind.COMMUNITY and dismissals:
        raise TemplateError("a community agreement has no court case to dismiss")
    if case.kind is not CaseKind.SMALL_CLAIMS:
        return list(terms.items)
    if any(t.with_prejudice for t in dismissals):
        raise TemplateError("small claims settlements are dismissed without prejudice")
    return [t for t in terms.items if not isinstance(t, Dismissal)]


def _term_sections(case: AgreementContext, terms: list[Term]) -> list[str]:
    """Terms grouped under the kind's headings, numbered straight through."""
    lines: list[str] = []
    number = 0
    left = list(terms)
    for heading, kind in _SECTIONS[case.kind]:
        group = [t for t in left if kind is None or isinstance(t, kind)]
        left = [t for t in left if t not in group]
        if not group:
            continue
        lines.append(heading)
        for term in group:
            number += 1
            lines.append(f"{number}. {_sentence(case, term)}")
        lines.append("")
    return lines


def _sentence(case: AgreementContext, term: Term) -> str:
    sentence = describe(term, case.names)
    if isinstance(term, Payment) and not term.late_consequence:
        sentence += f" If a payment is missed: {_default_late(case, term)}"
    if isinstance(term, MoveOut) and case.kind is CaseKind.UNLAWFUL_DETAINER:
        tenant, landlord = case.names[term.tenant], case.names[term.tenant.other]
        sentence += (
            f" By that date {tenant} gives {landlord} back possession of the premises, "
            f"including all keys. If {tenant} has not moved out by then, {landlord} may ask "
            "the court to enforce this agreement."
        )
    return sentence


def _default_late(case: AgreementContext, term: Payment) -> str:
    payee = case.names[term.payee]
    if case.kind is CaseKind.COMMUNITY:
        return f"the unpaid amount is still owed, and {payee} may enforce this contract."
    if case.kind is CaseKind.SMALL_CLAIMS:
        return (
            f"{payee} may ask the court to enforce this agreement and enter judgment "
            "for the unpaid amount."
        )
    return f"{payee} may ask the court to enforce this agreement for the unpaid amount."


def _closing(case: AgreementContext, terms: list[Term]) -> list[str]:
    match case.kind:
        case CaseKind.SMALL_CLAIMS:
            return [
                "Dismissal and enforcement",
                f"{case.plaintiff_name}, the plaintiff, will file a request to dismiss this case "
                "WITHOUT PREJUDICE. Without prejudice means that if the terms of this agreement "
                "are not met, the case can be brought back before a judge.",
                "The parties ask the court to retain jurisdiction to enforce this settlement under "
                "Code of Civil Procedure section 664.6 until the agreement is performed in full.",
                _BINDING,
            ]
        case CaseKind.UNLAWFUL_DETAINER:
            return ["Enforcement and filing", _BINDING, FILING_NOTICE]
        case CaseKind.CIVIL_HARASSMENT:
            lines = ["Signing, enforcement and filing"]
            if any(isinstance(t, StayAway) and t.no_contact for t in terms):
                lines.append(
                    "No contact means no contact in person, by phone, by text, by email, by "
                    "social media, or through another person, unless a term above allows it."
                )
            lines.append("Each party signs this agreement personally; an attorney cannot sign.")
            return [*lines, _BINDING, FILING_NOTICE]
        case CaseKind.COMMUNITY:
            return [
                "Binding contract",
                "The parties intend to be legally bound: this agreement is a binding contract "
                "between the parties. There is no court case, and it is not filed with any court.",
                _BINDING,
            ]
    raise AssertionError(case.kind)  # pragma: no cover
