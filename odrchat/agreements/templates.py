"""Plain-language agreement texts, one template per case kind, drafted for California practice.

A template sees only structured terms, the case facts, the mediator's clarifying wording and the
options the mediator set with the parties; it never sees chat messages, so nothing said in
mediation can leak into a filed document. The text is plain (no markup): the agreement's
SHA-256 is taken over exactly these characters.

What each kind says, and why (every sentence is our own wording):
* Small claims: the case is dismissed without prejudice, the parties themselves ask the court to
  keep jurisdiction to enforce the settlement (Code of Civil Procedure section 664.6), the
  agreement is binding and admissible (Evidence Code section 1123) while everything else said in
  mediation stays confidential (Evidence Code section 1119). The centre files the papers (the
  FAQ); the text chooses from the terms whether the hearing comes off calendar or stays.
* Unlawful detainer: the premises, the move-out date and the condition they are left in,
  possession and money; the route to enforcement (conditional dismissal or stipulated judgment)
  that the mediator chose with the parties; and what each route means for record masking
  (Code of Civil Procedure section 1161.2).
* Civil harassment: Petitioner and Respondent; each party signs personally (664.6(c) excludes
  signing by an attorney in these cases); a plain warning that dismissing the petition ends any
  temporary restraining order; stay-away terms stated as mutual or one-way, as the terms are.
* Community: no court wording at all: a private, binding agreement.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from odrchat.agreements.dates import DEFAULT_TIMEZONE, in_words, local_time
from odrchat.agreements.machine import Filing, Signature
from odrchat.cases.kinds import CaseKind, is_court_filed, side_label
from odrchat.cases.roles import Role, Side
from odrchat.i18n import N_
from odrchat.offers.terms import (
    Dismissal,
    InstallmentPlan,
    LumpSum,
    MoveOut,
    Payment,
    PropertyReturn,
    StayAway,
    Term,
    Terms,
    describe,
)

CENTRE = "the Center for Conflict Resolution (CCR)"
TITLES = {
    CaseKind.SMALL_CLAIMS: "Settlement Agreement",
    CaseKind.UNLAWFUL_DETAINER: "Unlawful Detainer Settlement Agreement",
    CaseKind.CIVIL_HARASSMENT: "Civil Harassment Settlement Agreement",
    CaseKind.COMMUNITY: "Community Mediation Agreement",
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


class StandardClause(enum.StrEnum):
    """Optional clauses the mediator switches on with the parties."""

    NO_ADMISSION = "no_admission"
    MUTUAL_RELEASE = "mutual_release"
    ENTIRE_AGREEMENT = "entire_agreement"


class UnlawfulDetainerRoute(enum.StrEnum):
    """How an unlawful detainer case ends, chosen by the mediator with the parties."""

    CONDITIONAL_DISMISSAL = "conditional_dismissal"
    STIPULATED_JUDGMENT = "stipulated_judgment"


class TemplateError(ValueError):
    """Terms that a kind's template cannot state truthfully."""

    code = "template_conflict"


@dataclass(frozen=True, slots=True)
class AgreementOptions:
    """What the mediator settled with the parties beyond the terms themselves."""

    clauses: frozenset[StandardClause] = frozenset()
    ud_route: UnlawfulDetainerRoute = UnlawfulDetainerRoute.CONDITIONAL_DISMISSAL

    def to_json(self) -> dict[str, object]:
        return {"clauses": sorted(c.value for c in self.clauses), "ud_route": self.ud_route.value}

    @classmethod
    def from_json(cls, raw: object) -> AgreementOptions:
        """Read stored or submitted options; unknown values raise ValueError."""
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise ValueError(N_("options must be an object"))
        clauses = raw.get("clauses", [])
        if not isinstance(clauses, list) or not all(isinstance(c, str) for c in clauses):
            raise ValueError(N_("clauses must be a list of names"))
        route = raw.get("ud_route", UnlawfulDetainerRoute.CONDITIONAL_DISMISSAL.value)
        if not isinstance(route, str):
            raise ValueError(N_("ud_route must be a name"))
        try:
            return cls(frozenset(StandardClause(c) for c in clauses), UnlawfulDetainerRoute(route))
        except ValueError:
            raise ValueError(N_("a clause or route this server does not know")) from None


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
    department: str | None = None
    hearing_date: date | None = None
    premises_address: str | None = None
    centre_reference: str | None = None  # community: what the centre keeps its record under

    def __post_init__(self) -> None:
        if not (self.plaintiff_name.strip() and self.defendant_name.strip()):
            raise ValueError(N_("both parties need a name"))
        court = (self.court_name or "").strip() and (self.court_case_number or "").strip()
        if is_court_filed(self.kind) and not court:
            raise ValueError(N_("a court case needs the court name and case number"))
        if self.kind is CaseKind.UNLAWFUL_DETAINER and not (self.premises_address or "").strip():
            raise ValueError(N_("an unlawful detainer agreement needs the premises address"))

    @property
    def names(self) -> dict[Side, str]:
        return {Side.PLAINTIFF: self.plaintiff_name, Side.DEFENDANT: self.defendant_name}

    def label(self, side: Side) -> str:
        """What this kind calls a side (Petitioner in civil harassment; none in community)."""
        return side_label(self.kind, side)

    def who(self, side: Side) -> str:
        """'José Núñez (the plaintiff)'."""
        return f"{self.names[side]} (the {self.label(side).lower()})"


def render_agreement(
    case: AgreementContext,
    terms: Terms,
    clarifications: str = "",
    options: AgreementOptions | None = None,
) -> str:
    """The full agreement text for `case`, spelling out every term in plain language."""
    options = options or AgreementOptions()
    if not terms.items:
        raise TemplateError(N_("an agreement needs at least one term"))
    listed = _terms(case, terms)
    lines = [TITLES[case.kind], "", *_heading(case), ""]
    lines += ["What this agreement is", _purpose(case), ""]
    lines += _term_sections(case, listed)
    lines += _closing(case, listed, options)
    lines += _standard_clauses(case, options.clauses)
    clarifications = clarifications.replace("\r\n", "\n").strip()
    if clarifications:
        lines += ["", "Clarifications from the mediator", clarifications]
    lines += ["", "How this agreement is signed", _signing(case)]
    return "\n".join(lines) + "\n"


def render_cover_sheet(
    case: AgreementContext,
    signatures: Sequence[Signature],
    filing: Filing | None = None,
    *,
    tz: ZoneInfo | None = None,
) -> str:
    """The court filing cover sheet: case, court, parties, signers and dates, nothing else."""
    if not is_court_filed(case.kind):
        raise TemplateError(N_("community agreements are not filed with a court"))
    zone = tz or ZoneInfo(DEFAULT_TIMEZONE)
    lines = [
        "Filing Cover Sheet",
        "",
        f"Court: {case.court_name}",
        f"Case number: {case.court_case_number}",
        f"Case type: {case.kind.value.replace('_', ' ').capitalize()}",
        f"{case.label(Side.PLAINTIFF)}: {case.plaintiff_name}",
        f"{case.label(Side.DEFENDANT)}: {case.defendant_name}",
        "",
        "Settlement agreement signed electronically by:",
    ]
    for s in signatures:
        lines.append(f"- {s.typed_name}, {signer_role(case.kind, s)}, {local_time(s.at, zone)}")
    if filing is not None:
        lines += ["", f"Filed on: {in_words(filing.filed_on)}"]
        lines.append(f"Court reference: {filing.court_reference}")
    return "\n".join(lines) + "\n"


def signer_role(kind: CaseKind, s: Signature) -> str:
    """'plaintiff', 'petitioner', or 'attorney for the defendant'."""
    label = side_label(kind, s.for_side).lower()
    return f"attorney for the {label}" if s.by_role is Role.ATTORNEY else label


def last_due(terms: Iterable[Term]) -> date | None:
    """The last day anything in the terms falls due (payments, returns, moving out)."""
    days: list[date] = []
    for t in terms:
        if isinstance(t, Payment):
            if isinstance(t.schedule, LumpSum):
                days.append(t.schedule.due)
            elif isinstance(t.schedule, InstallmentPlan):
                days += [i.due for i in t.schedule.installments]
        elif isinstance(t, PropertyReturn | MoveOut):
            days.append(t.by)
    return max(days, default=None)


def hearing_stays(case: AgreementContext, terms: Iterable[Term]) -> bool:
    """Small claims: keep the hearing when something falls due on or after it."""
    last = last_due(terms)
    return case.hearing_date is not None and last is not None and last >= case.hearing_date


def _heading(case: AgreementContext) -> list[str]:
    lines = []
    if is_court_filed(case.kind):
        lines += [f"Court: {case.court_name}", f"Case number: {case.court_case_number}"]
        if case.department:
            lines.append(f"Department: {case.department}")
    lines += [
        f"Date: {in_words(case.agreement_date)}",
        f"{case.label(Side.PLAINTIFF)}: {case.plaintiff_name}",
        f"{case.label(Side.DEFENDANT)}: {case.defendant_name}",
    ]
    if case.kind is CaseKind.UNLAWFUL_DETAINER:
        lines.append(f"Premises: {case.premises_address}")
    lines.append(f"Mediator: {case.mediator_name}")
    return lines


def _purpose(case: AgreementContext) -> str:
    both = f"{case.plaintiff_name} and {case.defendant_name}"
    neutral = "The mediator is neutral and did not give legal advice to either party."
    if case.kind is CaseKind.COMMUNITY:
        return f"{both} reached this private agreement in community mediation. {neutral}"
    return (
        f"{both} reached this agreement in online mediation to settle the case named above. "
        f"{neutral}"
    )


def _terms(case: AgreementContext, terms: Terms) -> list[Term]:
    """The terms to list; court kinds state the dismissal in their own fixed wording."""
    dismissals = [t for t in terms.items if isinstance(t, Dismissal)]
    if case.kind is CaseKind.COMMUNITY and dismissals:
        raise TemplateError(N_("a community agreement has no court case to dismiss"))
    if any(t.with_prejudice for t in dismissals) and case.kind is not CaseKind.UNLAWFUL_DETAINER:
        raise TemplateError(N_("this kind of settlement is dismissed without prejudice"))
    if case.kind is CaseKind.UNLAWFUL_DETAINER:
        return list(terms.items)
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
        if heading == "Staying away and no contact":
            heading = f"{heading}, {_stay_away_scope(case, group)}"
        lines.append(heading)
        for term in group:
            number += 1
            lines.append(f"{number}. {_sentence(case, term)}")
        lines.append("")
    return lines


def _stay_away_scope(case: AgreementContext, group: list[Term]) -> str:
    restrained = {t.restrained for t in group if isinstance(t, StayAway)}
    if len(restrained) == 2:
        return "mutual (binding both parties)"
    (side,) = restrained
    return f"one-way (binding only {case.names[side]})"


def _sentence(case: AgreementContext, term: Term) -> str:
    if isinstance(term, Dismissal):  # unlawful detainer only; the route says the rest
        how = "with prejudice" if term.with_prejudice else "without prejudice"
        return (
            f"When the case is dismissed under this agreement, the dismissal is {how} and "
            "covers the entire case."
        )
    sentence = describe(term, case.names, day=in_words)
    if isinstance(term, Payment) and not term.late_consequence:
        sentence += f" If a payment is missed: {_default_late(case, term)}"
    if isinstance(term, MoveOut) and case.kind is CaseKind.UNLAWFUL_DETAINER:
        tenant, landlord = case.names[term.tenant], case.names[term.tenant.other]
        sentence = (
            f"{tenant} moves out of the premises at {case.premises_address} by "
            f"{in_words(term.by)} and gives {landlord} back possession of the premises that day, "
            "with all keys. Condition: the premises are left empty of belongings and trash, "
            "broom-clean, and in the same condition as when the tenancy began apart from "
            f"ordinary wear and tear. If {tenant} has not moved out by then, {landlord} may ask "
            "the court to enforce this agreement."
        )
    return sentence


def _default_late(case: AgreementContext, term: Payment) -> str:
    payee = case.names[term.payee]
    if case.kind is CaseKind.COMMUNITY:
        return f"the unpaid amount is still owed, and {payee} may enforce this agreement."
    if case.kind is CaseKind.SMALL_CLAIMS:
        return (
            f"{payee} may ask the court to enforce this agreement and enter judgment "
            "for the unpaid amount."
        )
    return f"{payee} may ask the court to enforce this agreement for the unpaid amount."


def _closing(case: AgreementContext, terms: list[Term], options: AgreementOptions) -> list[str]:
    match case.kind:
        case CaseKind.SMALL_CLAIMS:
            return _small_claims(case, terms)
        case CaseKind.UNLAWFUL_DETAINER:
            return _unlawful_detainer(case, terms, options.ud_route)
        case CaseKind.CIVIL_HARASSMENT:
            return _civil_harassment(case, terms)
        case CaseKind.COMMUNITY:
            return [
                "A binding private agreement",
                "This is a private agreement between the parties. They intend to be legally "
                "bound by it: it is binding and enforceable, and they agree that it may be "
                "shown to others and used as evidence to enforce it.",
                "",
                "Confidentiality",
                "Apart from this signed agreement, everything said or written in the mediation "
                "stays confidential, including offers and private conversations with the "
                "mediator.",
            ]
    raise AssertionError(case.kind)  # pragma: no cover


def _retention(case: AgreementContext) -> str:
    return (
        "By signing this agreement, each party personally asks the court to keep jurisdiction "
        "over the parties to enforce this settlement until every term is performed in full, as "
        "Code of Civil Procedure section 664.6 allows. If a term is not met, either party may "
        "ask the court, in this same case, to enforce the settlement or to enter judgment on "
        "its terms."
    )


def _evidence(case: AgreementContext) -> list[str]:
    return [
        "",
        "Binding and admissible",
        "This agreement is enforceable and binding. The parties agree that it is admissible "
        "in court and may be disclosed, so that it can be used to enforce it (Evidence Code "
        "section 1123).",
        "",
        "Confidentiality",
        "Apart from this signed agreement, everything said or written in the mediation stays "
        "confidential and cannot be used as evidence, including offers, the chat and private "
        "conversations with the mediator (Evidence Code section 1119).",
    ]


def _small_claims(case: AgreementContext, terms: list[Term]) -> list[str]:
    plaintiff = case.who(Side.PLAINTIFF)
    filing = (
        f"Once every party has signed, {CENTRE} files this agreement with the court. "
        f"{plaintiff} signs the Request for Dismissal (Judicial Council form CIV-110) and CCR "
        "files it: the entire case is dismissed WITHOUT PREJUDICE. Without prejudice means "
        "that if the terms of this agreement are not met, the case can be brought back before "
        "a judge."
    )
    hearing: str
    if hearing_stays(case, terms):
        assert case.hearing_date is not None
        last = last_due(terms)
        assert last is not None
        filing = (
            f"Once every party has signed, {CENTRE} files this agreement with the court. When "
            f"every term has been performed, {plaintiff} signs the Request for Dismissal "
            "(Judicial Council form CIV-110) and CCR files it: the entire case is then "
            "dismissed WITHOUT PREJUDICE. Without prejudice means that if the terms of this "
            "agreement are not met, the case can be brought back before a judge."
        )
        hearing = (
            f"The hearing set for {in_words(case.hearing_date)} stays on the calendar, because "
            f"the last term of this agreement falls due on {in_words(last)}, after the hearing. "
            "Both parties should attend unless the court tells them otherwise."
        )
    elif case.hearing_date is not None:
        hearing = (
            f"The hearing set for {in_words(case.hearing_date)} is taken off calendar once the "
            "court has the dismissal. Until CCR confirms that it was filed, keep the date."
        )
    else:
        hearing = (
            "Any hearing set in this case is taken off calendar once the court has the "
            "dismissal. Until CCR confirms that it was filed, keep any date the court gave you."
        )
    return [
        "Dismissal and filing",
        filing,
        "",
        "Court keeps the power to enforce (Code of Civil Procedure section 664.6)",
        _retention(case),
        "",
        "The hearing",
        hearing,
        *_evidence(case),
    ]


def _unlawful_detainer(
    case: AgreementContext, terms: list[Term], route: UnlawfulDetainerRoute
) -> list[str]:
    tenant_side = next((t.tenant for t in terms if isinstance(t, MoveOut)), Side.DEFENDANT)
    tenant, landlord = case.who(tenant_side), case.who(tenant_side.other)
    if route is UnlawfulDetainerRoute.CONDITIONAL_DISMISSAL:
        how = [
            "How this case ends (conditional dismissal)",
            f"The parties chose, with the mediator, to end this case by conditional dismissal. "
            f"Once every party has signed, {CENTRE} files this agreement with the court. When "
            f"{tenant} has done everything this agreement requires, the entire case is "
            f"dismissed. If {tenant} does not, {landlord} may ask the court to enforce this "
            "agreement and to enter judgment on its terms, including judgment for possession "
            "of the premises.",
        ]
        masking = (
            "The court limits who may see the records of an unlawful detainer case (Code of "
            "Civil Procedure section 1161.2). A dismissal keeps that limit in place. If "
            "judgment is later entered for the landlord, the records may become open to the "
            "public."
        )
    else:
        how = [
            "How this case ends (stipulated judgment)",
            f"The parties chose, with the mediator, to end this case by stipulated judgment. "
            f"Once every party has signed, {CENTRE} files this agreement with the court together "
            "with a proposed judgment on its terms, and the parties agree that the court may "
            "enter that judgment: possession of the premises and the money terms exactly as "
            "written above.",
        ]
        masking = (
            "The court limits who may see the records of an unlawful detainer case (Code of "
            "Civil Procedure section 1161.2). A judgment for the landlord can open those "
            "records to the public, for example when it is entered within 60 days after the "
            "complaint was filed. The parties agreed to a judgment knowing this."
        )
    return [
        *how,
        "",
        "Court keeps the power to enforce (Code of Civil Procedure section 664.6)",
        _retention(case),
        "",
        "Notice about the court record",
        masking,
        *_evidence(case),
    ]


def _civil_harassment(case: AgreementContext, terms: list[Term]) -> list[str]:
    petitioner = case.who(Side.PLAINTIFF)
    lines = ["Dismissal of the petition and filing"]
    lines.append(
        f"Once every party has signed, {CENTRE} files this agreement with the court. "
        f"{petitioner} signs the Request for Dismissal (Judicial Council form CIV-110) and CCR "
        "files it: the petition is dismissed WITHOUT PREJUDICE."
    )
    lines += [
        "",
        "Warning about any temporary restraining order",
        "If the court issued a temporary restraining order in this case, it ends when the "
        "petition is dismissed, and the court will not decide whether to make a longer "
        "restraining order. From then on, the promises in this agreement are a contract between "
        "the parties that the court can enforce; they are not a restraining order, and the "
        "police cannot enforce them as one.",
    ]
    if any(isinstance(t, StayAway) and t.no_contact for t in terms):
        lines += [
            "",
            "What no contact means",
            "No contact means no contact in person, by phone, by text, by email, by social "
            "media, or through another person, unless a term above allows it.",
        ]
    lines += [
        "",
        "Court keeps the power to enforce (Code of Civil Procedure section 664.6)",
        _retention(case),
        "",
        "Each party signs personally",
        "In a civil harassment case an attorney cannot sign this agreement for a party: each "
        "party signs it personally.",
        *_evidence(case),
    ]
    return lines


def _standard_clauses(case: AgreementContext, clauses: frozenset[StandardClause]) -> list[str]:
    if not clauses:
        return []
    dispute = "the dispute" if case.kind is CaseKind.COMMUNITY else "this case"
    lines = ["", "Standard terms the parties chose"]
    if StandardClause.NO_ADMISSION in clauses:
        lines.append(
            "No admission: by making this agreement no party admits fault or liability. Each "
            f"party agrees only to resolve {dispute}."
        )
    if StandardClause.MUTUAL_RELEASE in clauses:
        lines.append(
            f"Mutual release: once every term of this agreement is performed, each party gives "
            f"up the claims they have against the other about {dispute}. Nobody gives up the "
            "right to enforce this agreement."
        )
    if StandardClause.ENTIRE_AGREEMENT in clauses:
        lines.append(
            f"Entire agreement: this document is the whole agreement between the parties about "
            f"{dispute}. It replaces any earlier promises about it, and it can be changed only in "
            "a writing signed by every party."
        )
    return lines


def _signing(case: AgreementContext) -> str:
    who = "Each party signs personally."
    if case.kind in (CaseKind.SMALL_CLAIMS, CaseKind.UNLAWFUL_DETAINER):
        who = (
            "Each party signs personally, or through their attorney only if the party has "
            "expressly authorised that attorney to sign (the authorisation is recorded)."
        )
    return (
        f"{who} A signer signs electronically (they consent to sign electronically, re-enter "
        "their password and type their full name, which binds them just as a signature in "
        "ink), or signs a printed copy of this exact text in ink, which the centre's staff then "
        "record against the fingerprint printed on it. The signature record attached to this "
        "agreement lists each signer, the side they signed for, how and when they signed, and "
        "the SHA-256 fingerprint of the exact text they signed."
    )


def format_timestamp(at: datetime, tz: ZoneInfo | None = None) -> str:
    """A signature time in the centre's zone: '03/02/2026 at 9:05 AM PST'."""
    return local_time(at, tz or ZoneInfo(DEFAULT_TIMEZONE))
