"""Kinds of case and the facts a case is opened with.

Filed cases (small claims, unlawful detainer, civil harassment) carry a court name and case number
and are free; community mediations are not filed in court, carry neither, and are subject to fee
review (the FAQ's "Is there a fee for participation?"). Pure: no I/O.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from odrchat.cases.roles import Side

CASE_NUMBER_MAX = 40
COURT_NAME_MAX = 120
DEPARTMENT_MAX = 40
PREMISES_MAX = 300
DESCRIPTION_MAX = 4000
_CASE_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]*")


class CaseKind(enum.StrEnum):
    SMALL_CLAIMS = "small_claims"
    UNLAWFUL_DETAINER = "unlawful_detainer"
    CIVIL_HARASSMENT = "civil_harassment"
    COMMUNITY = "community"


COURT_FILED_KINDS = frozenset(
    {CaseKind.SMALL_CLAIMS, CaseKind.UNLAWFUL_DETAINER, CaseKind.CIVIL_HARASSMENT}
)


def N_(message: str) -> str:
    """Marks a catalog text (odrchat.i18n extracts every N_ call); this module stays pure."""
    return message


# Catalog msgids: a reader sees them through their language's catalog.
_SIDE_LABELS = {
    (True, Side.PLAINTIFF): N_("Plaintiff"),
    (True, Side.DEFENDANT): N_("Defendant"),
    (False, Side.PLAINTIFF): N_("Filing party"),
    (False, Side.DEFENDANT): N_("Responding party"),
}
# A civil harassment case is a petition: the court forms say Petitioner and Respondent.
_PETITION_LABELS = {Side.PLAINTIFF: N_("Petitioner"), Side.DEFENDANT: N_("Respondent")}


def is_court_filed(kind: CaseKind) -> bool:
    """Whether cases of this kind are filed in court (and so carry a case number)."""
    return kind in COURT_FILED_KINDS


def centre_reference(case_id: int) -> str:
    """The centre's own reference for a case ("CCR-000042"): what its closing record of a
    community agreement is kept under, since such a case has no court case number."""
    return f"CCR-{case_id:06d}"


def needs_fee_review(kind: CaseKind) -> bool:
    """Whether CCR reviews a fee for this kind: community mediations only; filed cases are free."""
    return not is_court_filed(kind)


def side_label(kind: CaseKind, side: Side) -> str:
    """What to call a side: Plaintiff/Defendant in court (Petitioner/Respondent in civil
    harassment), Filing/Responding party in community mediation."""
    if kind is CaseKind.CIVIL_HARASSMENT:
        return _PETITION_LABELS[side]
    return _SIDE_LABELS[(is_court_filed(kind), side)]


class CaseFactsError(Exception):
    """Invalid case facts; `fields` maps each bad field to a plain-words message."""

    code = "invalid"

    def __init__(
        self, fields: Mapping[str, str], values: Mapping[str, Mapping[str, object]] | None = None
    ) -> None:
        self.fields = dict(fields)  # field -> catalog msgid; `values` fill its {names}
        self.values = {k: dict(v) for k, v in (values or {}).items()}
        self.message = "please correct: " + ", ".join(sorted(self.fields))
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What a case is about. Build it with validate_case_facts, which normalises and checks."""

    kind: CaseKind
    court_name: str | None
    court_case_number: str | None
    hearing_date: date | None
    description: str
    department: str | None = None  # the court department, when the case has one
    premises_address: str | None = None  # unlawful detainer: the rented premises

    @property
    def fee_review(self) -> bool:
        return needs_fee_review(self.kind)


def _clean(text: str | None) -> str | None:
    # Blank and missing mean the same thing in a form.
    stripped = (text or "").strip()
    return stripped or None


def validate_case_facts(
    kind: CaseKind,
    court_name: str | None,
    court_case_number: str | None,
    hearing_date: date | None,
    description: str | None,
    *,
    department: str | None = None,
    premises_address: str | None = None,
) -> CaseFacts:
    """Check the facts for this kind of case; raise CaseFactsError naming every bad field."""
    court_name, court_case_number = _clean(court_name), _clean(court_case_number)
    text = _clean(description)
    department, premises = _clean(department), _clean(premises_address)
    errors: dict[str, str] = {}
    values: dict[str, dict[str, object]] = {}
    if is_court_filed(kind):
        if court_case_number is None:
            errors["court_case_number"] = N_("the court case number is required for a filed case")
        elif len(court_case_number) > CASE_NUMBER_MAX:
            errors["court_case_number"], values["court_case_number"] = (
                N_("use at most {max} characters"),
                {"max": CASE_NUMBER_MAX},
            )
        elif not _CASE_NUMBER.fullmatch(court_case_number):
            errors["court_case_number"] = N_("use only letters, digits, dashes and spaces")
        if court_name is None:
            errors["court_name"] = N_("the court's name is required for a filed case")
        elif len(court_name) > COURT_NAME_MAX:
            errors["court_name"], values["court_name"] = (
                N_("use at most {max} characters"),
                {"max": COURT_NAME_MAX},
            )
        if department is not None and len(department) > DEPARTMENT_MAX:
            errors["department"], values["department"] = (
                N_("use at most {max} characters"),
                {"max": DEPARTMENT_MAX},
            )
    else:
        if court_case_number is not None:
            errors["court_case_number"] = N_("a community mediation has no court case number")
        if court_name is not None:
            errors["court_name"] = N_("a community mediation has no court")
        if hearing_date is not None:
            errors["hearing_date"] = N_("a community mediation has no court hearing")
        if department is not None:
            errors["department"] = N_("a community mediation has no court department")
    if kind is CaseKind.UNLAWFUL_DETAINER:
        if premises is None:
            errors["premises_address"] = N_("the address of the rented premises is required")
        elif len(premises) > PREMISES_MAX:
            errors["premises_address"], values["premises_address"] = (
                N_("use at most {max} characters"),
                {"max": PREMISES_MAX},
            )
    elif premises is not None:
        errors["premises_address"] = N_("only an unlawful detainer case names rented premises")
    if text is None:
        errors["description"] = N_("please describe the dispute")
    elif len(text) > DESCRIPTION_MAX:
        errors["description"], values["description"] = (
            N_("use at most {max} characters"),
            {"max": DESCRIPTION_MAX},
        )
    if errors or text is None:
        raise CaseFactsError(errors, values)
    return CaseFacts(kind, court_name, court_case_number, hearing_date, text, department, premises)
