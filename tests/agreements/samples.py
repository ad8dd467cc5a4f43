"""One realistic case of each kind, with its terms and signatures, for the rendering tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from odrchat.agreements.machine import Signature, document_hash
from odrchat.agreements.templates import (
    AgreementContext,
    AgreementOptions,
    StandardClause,
    UnlawfulDetainerRoute,
    render_agreement,
)
from odrchat.cases.kinds import CaseKind
from odrchat.cases.roles import Role, Side
from odrchat.offers.terms import (
    FreeTerm,
    Installment,
    InstallmentPlan,
    LumpSum,
    MoveOut,
    Payment,
    PropertyReturn,
    StayAway,
    Terms,
)

COURT = "Superior Court of California, County of Los Angeles"
NUMBERS = {
    CaseKind.SMALL_CLAIMS: "26SMSC01234",
    CaseKind.UNLAWFUL_DETAINER: "26STUD05678",
    CaseKind.CIVIL_HARASSMENT: "26STRO00912",
}
PLAINTIFF, DEFENDANT = "María Pérez", "Daniel O’Diaz"
PREMISES = "1234 Sunset Blvd., Apt. 5, Los Angeles, CA 90026"
SIGNED_AT = datetime(2026, 3, 2, 17, 5, tzinfo=UTC)  # 9:05 AM PST
CONSENT_AT = datetime(2026, 3, 2, 17, 3, tzinfo=UTC)
PLAN = InstallmentPlan(
    (Installment(62_500, date(2026, 4, 1)), Installment(62_500, date(2026, 5, 1)))
)
TERMS = {
    CaseKind.SMALL_CLAIMS: Terms((Payment(Side.DEFENDANT, Side.PLAINTIFF, 125_000, PLAN, ""),)),
    CaseKind.UNLAWFUL_DETAINER: Terms(
        (
            MoveOut(date(2026, 4, 30), Side.DEFENDANT),
            Payment(Side.DEFENDANT, Side.PLAINTIFF, 180_000, LumpSum(date(2026, 4, 15)), ""),
        )
    ),
    CaseKind.CIVIL_HARASSMENT: Terms(
        (StayAway(Side.DEFENDANT, 100, True, "This includes the shared driveway."),)
    ),
    CaseKind.COMMUNITY: Terms(
        (
            PropertyReturn(Side.DEFENDANT, "the ladder and the hedge trimmer", date(2026, 3, 20)),
            FreeTerm("Both neighbours keep the fence as it is."),
        )
    ),
}
KINDS = tuple(CaseKind)
CENTRE_REFERENCE = "CCR-000042"


def context(kind: CaseKind, *, hearing: date | None = date(2026, 4, 20)) -> AgreementContext:
    court = kind is not CaseKind.COMMUNITY
    return AgreementContext(
        kind=kind,
        court_name=COURT if court else None,
        court_case_number=NUMBERS.get(kind),
        plaintiff_name=PLAINTIFF,
        defendant_name=DEFENDANT,
        mediator_name="Pat Mediator",
        agreement_date=date(2026, 3, 1),
        department="Dept. 77" if court else None,
        hearing_date=hearing if court else None,
        premises_address=PREMISES if kind is CaseKind.UNLAWFUL_DETAINER else None,
        centre_reference=None if court else CENTRE_REFERENCE,
    )


def options(kind: CaseKind) -> AgreementOptions:
    route = UnlawfulDetainerRoute.CONDITIONAL_DISMISSAL
    return AgreementOptions(frozenset({StandardClause.NO_ADMISSION}), route)


def agreement_text(kind: CaseKind, opts: AgreementOptions | None = None) -> str:
    return render_agreement(context(kind), TERMS[kind], "", opts or options(kind))


def signatures(text: str) -> tuple[Signature, ...]:
    sha = document_hash(text)
    return (
        Signature(1, Side.PLAINTIFF, Role.PARTY, PLAINTIFF, SIGNED_AT, "ip", "ua", sha, CONSENT_AT),
        Signature(2, Side.DEFENDANT, Role.PARTY, DEFENDANT, SIGNED_AT, "ip", "ua", sha, CONSENT_AT),
    )
