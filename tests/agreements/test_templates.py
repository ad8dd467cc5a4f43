"""Agreement templates: each kind's required wording, every term spelled out, no chat text."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime

import pytest

from odrchat.agreements.machine import Filing, Signature
from odrchat.agreements.templates import (
    FILING_NOTICE,
    AgreementContext,
    TemplateError,
    render_agreement,
    render_cover_sheet,
)
from odrchat.cases.kinds import CaseKind
from odrchat.cases.roles import Role, Side
from odrchat.offers.terms import (
    Dismissal,
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

PLAINTIFF = "José Núñez"
DEFENDANT = "Ann “Annie” O’Neil"
AT = datetime(2026, 3, 2, 17, 5, tzinfo=UTC)
PLAN = InstallmentPlan(
    (Installment(62_500, date(2026, 4, 1)), Installment(62_500, date(2026, 5, 1)))
)


def context(kind: CaseKind) -> AgreementContext:
    court = kind is not CaseKind.COMMUNITY
    return AgreementContext(
        kind=kind,
        court_name="Superior Court of California, County of San Mateo" if court else None,
        court_case_number="24-SC-01234" if court else None,
        plaintiff_name=PLAINTIFF,
        defendant_name=DEFENDANT,
        mediator_name="Pat Mediator",
        agreement_date=date(2026, 3, 1),
    )


def payment(late: str = "") -> Payment:
    return Payment(Side.DEFENDANT, Side.PLAINTIFF, 125_000, PLAN, late)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_small_claims_has_dismissal_jurisdiction_and_binding_wording() -> None:
    text = render_agreement(context(CaseKind.SMALL_CLAIMS), Terms((payment(),)))
    assert text.startswith("Settlement Agreement\n")
    assert "will file a request to dismiss this case WITHOUT PREJUDICE" in text
    assert "retain jurisdiction to enforce this settlement under Code of Civil Procedure " in text
    assert "Code of Civil Procedure section 664.6 until the agreement is performed in full" in text
    assert "enforceable and binding" in text
    assert "Evidence Code section 1123" in text
    assert "Case number: 24-SC-01234" in text
    assert FILING_NOTICE not in text


def test_every_term_is_spelled_out_with_amounts_dates_and_names() -> None:
    terms = Terms(
        (
            payment(),
            PropertyReturn(Side.PLAINTIFF, "the blue bicycle", date(2026, 3, 20)),
            FreeTerm("Both parties leave the fence as it is."),
        )
    )
    text = render_agreement(context(CaseKind.SMALL_CLAIMS), terms)
    assert f"1. {DEFENDANT} pays {PLAINTIFF} $1,250.00 in 2 installments" in text
    assert "$625.00 by 2026-04-01, $625.00 by 2026-05-01" in text
    assert "2. José Núñez returns to Ann “Annie” O’Neil by 2026-03-20: the blue bicycle" in text
    assert "3. Both parties leave the fence as it is." in text


def test_missed_payment_gets_default_wording_unless_the_parties_wrote_their_own() -> None:
    default = render_agreement(context(CaseKind.SMALL_CLAIMS), Terms((payment(),)))
    assert f"If a payment is missed: {PLAINTIFF} may ask the court to enforce" in default
    own = render_agreement(
        context(CaseKind.SMALL_CLAIMS), Terms((payment("The whole balance is due at once."),))
    )
    assert "If a payment is missed: The whole balance is due at once." in own
    assert "may ask the court to enforce this agreement and enter judgment" not in own


def test_small_claims_states_dismissal_once_and_refuses_with_prejudice() -> None:
    text = render_agreement(context(CaseKind.SMALL_CLAIMS), Terms((payment(), Dismissal())))
    assert text.count("dismiss") == 1
    with pytest.raises(TemplateError):
        render_agreement(context(CaseKind.SMALL_CLAIMS), Terms((payment(), Dismissal(True))))


def test_unlawful_detainer_covers_move_out_possession_rent_and_filing_notice() -> None:
    terms = Terms((payment(), MoveOut(date(2026, 4, 30), Side.DEFENDANT)))
    text = render_agreement(context(CaseKind.UNLAWFUL_DETAINER), terms)
    assert text.startswith("Unlawful Detainer Settlement Agreement\n")
    assert "Moving out and possession\n1. Ann “Annie” O’Neil moves out of the premises by " in text
    assert "gives José Núñez back possession of the premises, including all keys" in text
    assert "Rent and other money\n2. " in text
    assert FILING_NOTICE in text
    assert "Evidence Code section 1123" in text


def test_civil_harassment_covers_stay_away_no_contact_and_filing_notice() -> None:
    terms = Terms((StayAway(Side.DEFENDANT, 100, True, "This includes the workplace."),))
    text = render_agreement(context(CaseKind.CIVIL_HARASSMENT), terms)
    assert text.startswith("Civil Harassment Settlement Agreement\n")
    assert "stays at least 100 feet away from José Núñez and has no contact with José Núñez" in text
    assert "No contact means no contact in person" in text
    assert "an attorney cannot sign" in text
    assert FILING_NOTICE in text


def test_community_is_a_binding_contract_with_no_court_and_no_filing() -> None:
    text = render_agreement(context(CaseKind.COMMUNITY), Terms((payment(),)))
    assert text.startswith("Community Mediation Settlement Agreement\n")
    assert "binding contract between the parties" in text
    assert "Filing party: José Núñez" in text and "Responding party: Ann" in text
    for court_word in ("Court:", "Case number", "664.6", FILING_NOTICE, "WITHOUT PREJUDICE"):
        assert court_word not in text
    with pytest.raises(TemplateError):
        render_agreement(context(CaseKind.COMMUNITY), Terms((Dismissal(),)))


def test_clarifications_are_included_verbatim() -> None:
    text = render_agreement(
        context(CaseKind.SMALL_CLAIMS), Terms((payment(),)), "“Keys” means all keys.\r\n"
    )
    assert "Clarifications from the mediator\n“Keys” means all keys.\n" in text


def test_template_takes_only_structured_inputs_never_chat() -> None:
    params = list(inspect.signature(render_agreement).parameters)
    assert params == ["case", "terms", "clarifications"]


def test_rendering_is_deterministic_and_needs_terms() -> None:
    ctx = context(CaseKind.UNLAWFUL_DETAINER)
    terms = Terms((payment(), lump_sum_payment()))
    assert render_agreement(ctx, terms) == render_agreement(ctx, terms)
    with pytest.raises(TemplateError):
        render_agreement(ctx, Terms(()))


def lump_sum_payment() -> Payment:
    return Payment(Side.PLAINTIFF, Side.DEFENDANT, 30_000, LumpSum(date(2026, 4, 15)), "")


def test_court_context_needs_court_and_case_number() -> None:
    with pytest.raises(ValueError, match="case number"):
        AgreementContext(CaseKind.SMALL_CLAIMS, "", "", "A", "B", "M", date(2026, 3, 1))
    with pytest.raises(ValueError, match="name"):
        AgreementContext(CaseKind.COMMUNITY, "", "", " ", "B", "M", date(2026, 3, 1))


def signatures() -> list[Signature]:
    return [
        Signature(
            1, Side.PLAINTIFF, Role.PARTY, PLAINTIFF, AT, "203.0.113.9", "Mozilla/5.0", "h", AT
        ),
        Signature(
            3,
            Side.DEFENDANT,
            Role.ATTORNEY,
            "Lee Counsel",
            AT,
            "203.0.113.9",
            "Mozilla/5.0",
            "h",
            AT,
        ),
    ]


def test_cover_sheet_lists_case_court_parties_and_signatures_only() -> None:
    filing = Filing(date(2026, 3, 5), "SC-REF-77", 8)
    text = render_cover_sheet(context(CaseKind.SMALL_CLAIMS), signatures(), filing)
    assert "Court: Superior Court of California, County of San Mateo" in text
    assert "Case number: 24-SC-01234" in text
    assert f"Plaintiff: {PLAINTIFF}\nDefendant: {DEFENDANT}" in text
    assert "- José Núñez, plaintiff, 2026-03-02 17:05 UTC" in text
    assert "- Lee Counsel, attorney for the defendant, 2026-03-02 17:05 UTC" in text
    assert "Filed on: 2026-03-05" in text and "Court reference: SC-REF-77" in text
    for private in ("Pat Mediator", "$", "203.0.113.9", "Mozilla"):
        assert private not in text


def test_community_has_no_cover_sheet() -> None:
    with pytest.raises(TemplateError):
        render_cover_sheet(context(CaseKind.COMMUNITY), signatures())
