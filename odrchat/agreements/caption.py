"""The caption block that heads every court paper: court, parties by role, case number.

California papers name the court, each party with their role (Plaintiff/Defendant, or
Petitioner/Respondent in civil harassment), the case number, the department when one is
assigned, and the short title the clerk files under ("Perez v. Diaz"). Community agreements
have no caption: they are private papers. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from odrchat.agreements.templates import AgreementContext
from odrchat.cases.kinds import is_court_filed
from odrchat.cases.roles import Side


@dataclass(frozen=True, slots=True)
class Caption:
    court_name: str
    department: str | None
    case_number: str
    first_label: str
    first_name: str
    second_label: str
    second_name: str

    @property
    def short_title(self) -> str:
        """'Perez v. Diaz': each side's surname, as the clerk indexes the case."""
        return f"{_surname(self.first_name)} v. {_surname(self.second_name)}"

    def party_lines(self) -> tuple[str, str]:
        return (
            f"{self.first_label}: {self.first_name}",
            f"{self.second_label}: {self.second_name}",
        )

    def case_lines(self) -> tuple[str, ...]:
        lines = [f"Case number: {self.case_number}"]
        lines.append(f"Department: {self.department}" if self.department else "Department: ")
        lines.append(f"Short title: {self.short_title}")
        return tuple(lines)


def caption_of(case: AgreementContext) -> Caption | None:
    """The caption for a court case's papers; None for a community agreement."""
    if not is_court_filed(case.kind):
        return None
    assert case.court_name is not None and case.court_case_number is not None
    return Caption(
        court_name=case.court_name,
        department=case.department,
        case_number=case.court_case_number,
        first_label=case.label(Side.PLAINTIFF),
        first_name=case.plaintiff_name,
        second_label=case.label(Side.DEFENDANT),
        second_name=case.defendant_name,
    )


def _surname(name: str) -> str:
    words = name.split()
    return words[-1] if words else name
