"""Agreement templates: each kind's required wording, every term spelled out, no chat text."""

from __future__ import annotations

import inspect
from dataclasses import replace
from datetime import date

import pytest

from odrchat.agreements.machine import Filing
from odrchat.agreements.templates import (
    AgreementContext,
    AgreementOptions,
    StandardClause,
    TemplateError,
    UnlawfulDetainerRoute,
    hearing_stays,
    render_agreement,
    render_cover_sheet,
)
from odrchat.cases.kinds import CaseKind
from odrchat.cases.roles import Side
from odrchat.offers.terms import (
    Dismissal,
    FreeTerm,
    LumpSum,
    Payment,
    PropertyReturn,
    StayAway,
    Terms,
)
from tests.agreements.checklist import FORBIDDEN, PLACEHOLDERS, REQUIRED
from tests.agreements.samples import (
    DEFENDANT,
    PLAINTIFF,
    PLAN,
    PREMISES,
    TERMS,
    context,
    signatures,
)

SC, UD, CH, COMMUNITY = (
    CaseKind.SMALL_CLAIMS,
    CaseKind.UNLAWFUL_DETAINER,
    CaseKind.CIVIL_HARASSMENT,
    CaseKind.COMMUNITY,
)


def payment(late: str = "") -> Payment:
    return Payment(Side.DEFENDANT, Side.PLAINTIFF, 125_000, PLAN, late)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("kind", list(CaseKind))
def test_each_kind_has_its_statutory_points_and_none_it_must_not(kind: CaseKind) -> None:
    text = flat(render_agreement(context(kind), TERMS[kind]))
    for needle in REQUIRED[kind]:
        assert needle in text, needle
    for needle in FORBIDDEN[kind]:
        found = needle.lower() in text.lower() if needle.islower() else needle in text
        assert not found, needle
    for word in PLACEHOLDERS:
        assert word.lower() not in text.lower()


def test_small_claims_is_filed_by_the_centre_and_dismissed_without_prejudice() -> None:
    text = flat(render_agreement(context(SC, hearing=None), Terms((payment(),))))
    assert "the Center for Conflict Resolution (CCR) files this agreement with the court" in text
    assert f"{PLAINTIFF} (the plaintiff) signs the Request for Dismissal" in text
    assert "form CIV-110) and CCR files it: the entire case is dismissed WITHOUT PREJUDICE" in text
    assert "will file" not in text
    assert "each party personally asks the court to keep jurisdiction over the parties" in text
    assert "enforceable and binding" in text and "admissible in court" in text


def test_the_hearing_comes_off_calendar_when_everything_is_due_before_it() -> None:
    ctx = context(SC, hearing=date(2026, 6, 1))  # last instalment: May 1
    text = flat(render_agreement(ctx, Terms((payment(),))))
    assert not hearing_stays(ctx, (payment(),))
    assert "The hearing set for June 1, 2026 is taken off calendar once the court has the " in text
    assert "the entire case is dismissed WITHOUT PREJUDICE" in text


def test_the_hearing_stays_when_payments_outlast_it() -> None:
    ctx = context(SC, hearing=date(2026, 4, 20))  # the May 1 instalment comes after it
    text = flat(render_agreement(ctx, Terms((payment(),))))
    assert hearing_stays(ctx, (payment(),))
    assert (
        "The hearing set for April 20, 2026 stays on the calendar, because the last term of "
        "this agreement falls due on May 1, 2026, after the hearing." in text
    )
    assert "When every term has been performed, María Pérez (the plaintiff) signs" in text
    assert "Both parties should attend unless the court tells them otherwise. " in text
    assert "taken off calendar" not in text


def test_without_a_hearing_date_the_text_says_what_happens_to_any_hearing() -> None:
    text = flat(render_agreement(context(SC, hearing=None), Terms((payment(),))))
    assert "Any hearing set in this case is taken off calendar once the court has the" in text


def test_every_term_is_spelled_out_with_amounts_dates_in_words_and_names() -> None:
    terms = Terms(
        (
            payment(),
            PropertyReturn(Side.PLAINTIFF, "the blue bicycle", date(2026, 3, 20)),
            FreeTerm("Both parties leave the fence as it is."),
        )
    )
    text = render_agreement(context(SC), terms)
    assert f"1. {DEFENDANT} pays {PLAINTIFF} $1,250.00 in 2 installments" in text
    assert "$625.00 by April 1, 2026, $625.00 by May 1, 2026" in text
    assert f"2. {PLAINTIFF} returns to {DEFENDANT} by March 20, 2026: the blue bicycle" in text
    assert "3. Both parties leave the fence as it is." in text
    assert "Date: March 1, 2026" in text
    assert "2026-" not in text  # no ISO dates in a paper people read


def test_missed_payment_gets_default_wording_unless_the_parties_wrote_their_own() -> None:
    default = render_agreement(context(SC), Terms((payment(),)))
    assert f"If a payment is missed: {PLAINTIFF} may ask the court to enforce" in default
    own = render_agreement(context(SC), Terms((payment("The whole balance is due at once."),)))
    assert "If a payment is missed: The whole balance is due at once." in own


def test_small_claims_states_dismissal_once_and_refuses_with_prejudice() -> None:
    text = render_agreement(context(SC), Terms((payment(), Dismissal())))
    assert text.count("WITHOUT PREJUDICE") == 1
    with pytest.raises(TemplateError):
        render_agreement(context(SC), Terms((payment(), Dismissal(True))))


def test_unlawful_detainer_names_premises_move_out_condition_possession_and_money() -> None:
    text = flat(render_agreement(context(UD), TERMS[UD]))
    assert f"Premises: {PREMISES}" in text
    assert (
        f"{DEFENDANT} moves out of the premises at {PREMISES} by April 30, 2026 and gives "
        f"{PLAINTIFF} back possession of the premises that day, with all keys." in text
    )
    assert "Condition: the premises are left empty of belongings and trash, broom-clean" in text
    assert "Rent and other money 2. Daniel O’Diaz pays María Pérez $1,800.00 by April 15" in text


def test_unlawful_detainer_route_is_the_one_chosen_and_says_what_it_means_for_masking() -> None:
    conditional = flat(render_agreement(context(UD), TERMS[UD]))
    assert "How this case ends (conditional dismissal)" in conditional
    assert "A dismissal keeps that limit in place." in conditional
    assert "stipulated judgment" not in conditional
    judgment = flat(
        render_agreement(
            context(UD),
            TERMS[UD],
            options=AgreementOptions(ud_route=UnlawfulDetainerRoute.STIPULATED_JUDGMENT),
        )
    )
    assert "How this case ends (stipulated judgment)" in judgment
    assert "the parties agree that the court may enter that judgment" in judgment
    assert "within 60 days after the complaint was filed" in judgment
    assert "conditional dismissal" not in judgment


def test_unlawful_detainer_needs_the_premises() -> None:
    with pytest.raises(ValueError, match="premises"):
        replace(context(UD), premises_address=" ")


def test_civil_harassment_uses_petitioner_and_respondent_and_warns_about_the_order() -> None:
    text = flat(render_agreement(context(CH), TERMS[CH]))
    assert f"Petitioner: {PLAINTIFF}" in text and f"Respondent: {DEFENDANT}" in text
    assert "Plaintiff" not in text and "Defendant" not in text
    assert "it ends when the petition is dismissed" in text
    assert "they are not a restraining order" in text
    assert "an attorney cannot sign this agreement for a party" in text
    assert "No contact means no contact in person" in text


def test_stay_away_terms_say_whether_they_are_one_way_or_mutual() -> None:
    one_way = render_agreement(context(CH), TERMS[CH])
    assert f"Staying away and no contact, one-way (binding only {DEFENDANT})" in one_way
    both = Terms(
        (StayAway(Side.DEFENDANT, 100, False, ""), StayAway(Side.PLAINTIFF, 100, False, ""))
    )
    mutual = render_agreement(context(CH), both)
    assert "Staying away and no contact, mutual (binding both parties)" in mutual
    assert f"1. {DEFENDANT} stays at least 100 feet away from {PLAINTIFF}." in mutual
    assert f"2. {PLAINTIFF} stays at least 100 feet away from {DEFENDANT}." in mutual


def test_community_is_a_private_agreement_without_court_words() -> None:
    text = render_agreement(context(COMMUNITY), TERMS[COMMUNITY])
    assert text.startswith("Community Mediation Agreement\n")
    assert f"Filing party: {PLAINTIFF}" in text and f"Responding party: {DEFENDANT}" in text
    assert "court" not in text.lower()
    with pytest.raises(TemplateError):
        render_agreement(context(COMMUNITY), Terms((Dismissal(),)))


@pytest.mark.parametrize("kind", list(CaseKind))
def test_standard_clauses_appear_only_when_switched_on(kind: CaseKind) -> None:
    plain = render_agreement(context(kind), TERMS[kind])
    for word in ("No admission:", "Mutual release:", "Entire agreement:"):
        assert word not in plain
    every = AgreementOptions(frozenset(StandardClause))
    text = flat(render_agreement(context(kind), TERMS[kind], options=every))
    assert "No admission: by making this agreement no party admits fault or liability." in text
    assert "Mutual release: once every term of this agreement is performed" in text
    assert "Entire agreement: this document is the whole agreement" in text
    only = AgreementOptions(frozenset({StandardClause.MUTUAL_RELEASE}))
    one = render_agreement(context(kind), TERMS[kind], options=only)
    assert "Mutual release:" in one and "No admission:" not in one


def test_options_round_trip_through_json_and_refuse_unknown_names() -> None:
    opts = AgreementOptions(
        frozenset({StandardClause.ENTIRE_AGREEMENT}), UnlawfulDetainerRoute.STIPULATED_JUDGMENT
    )
    assert AgreementOptions.from_json(opts.to_json()) == opts
    assert AgreementOptions.from_json(None) == AgreementOptions()
    assert AgreementOptions.from_json({}) == AgreementOptions()
    for bad in ({"clauses": ["waive_everything"]}, {"ud_route": "eviction"}, [], {"clauses": "x"}):
        with pytest.raises(ValueError):
            AgreementOptions.from_json(bad)


def test_the_text_says_how_it_is_signed() -> None:
    text = flat(render_agreement(context(SC), TERMS[SC]))
    assert "they consent to sign electronically, re-enter their password and type" in text
    assert "or signs a printed copy of this exact text in ink" in text
    assert "SHA-256 fingerprint of the exact text they signed" in text


def test_clarifications_are_included_verbatim() -> None:
    text = render_agreement(context(SC), Terms((payment(),)), "“Keys” means all keys.\r\n")
    assert "Clarifications from the mediator\n“Keys” means all keys.\n" in text


def test_template_takes_only_structured_inputs_never_chat() -> None:
    params = list(inspect.signature(render_agreement).parameters)
    assert params == ["case", "terms", "clarifications", "options"]


def test_rendering_is_deterministic_and_needs_terms() -> None:
    ctx = context(UD)
    terms = Terms(
        (payment(), Payment(Side.PLAINTIFF, Side.DEFENDANT, 30_000, LumpSum(date(2026, 4, 15)), ""))
    )
    assert render_agreement(ctx, terms) == render_agreement(ctx, terms)
    with pytest.raises(TemplateError):
        render_agreement(ctx, Terms(()))


def test_court_context_needs_court_and_case_number() -> None:
    with pytest.raises(ValueError, match="case number"):
        AgreementContext(SC, "", "", "A", "B", "M", date(2026, 3, 1))
    with pytest.raises(ValueError, match="name"):
        AgreementContext(COMMUNITY, "", "", " ", "B", "M", date(2026, 3, 1))


def test_cover_sheet_lists_case_court_parties_and_local_signing_times_only() -> None:
    text = render_agreement(context(SC), TERMS[SC])
    filing = Filing(date(2026, 3, 5), "SC-REF-77", 8)
    cover = render_cover_sheet(context(SC), signatures(text), filing)
    assert "Case number: 26SMSC01234" in cover
    assert f"Plaintiff: {PLAINTIFF}\nDefendant: {DEFENDANT}" in cover
    assert f"- {PLAINTIFF}, plaintiff, 03/02/2026 at 9:05 AM PST" in cover
    assert "Filed on: March 5, 2026" in cover and "Court reference: SC-REF-77" in cover
    for private in ("Pat Mediator", "$", "UTC"):
        assert private not in cover
    with pytest.raises(TemplateError):
        render_cover_sheet(context(COMMUNITY), ())
