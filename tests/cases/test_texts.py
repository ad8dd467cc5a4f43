from __future__ import annotations

import itertools
import re
from datetime import date

import pytest

from odrchat.cases.kinds import CaseKind, is_court_filed
from odrchat.cases.machine import Outcome
from odrchat.cases.texts import (
    AGREEMENT_TEXT,
    AGREEMENT_TO_MEDIATE_VERSION,
    closed_notice,
    format_date,
    not_mediated_notice,
    odr_explainer,
)

HEARING = date(2027, 1, 15)
FILED = [k for k in CaseKind if is_court_filed(k)]


def every_text() -> list[str]:
    texts = [AGREEMENT_TEXT]
    for kind, when in itertools.product(CaseKind, (None, HEARING)):
        texts.append(not_mediated_notice(kind, when))
        texts.append(odr_explainer(kind))
        texts += [closed_notice(outcome, kind, when) for outcome in Outcome]
    return texts


def test_the_agreement_to_mediate_has_a_version() -> None:
    assert AGREEMENT_TO_MEDIATE_VERSION == "2026-11-1"


@pytest.mark.parametrize(
    "phrase",
    [
        "voluntary at every stage",
        "stop at any time, without penalty from the court",
        "neutral",
        "not anyone's lawyer",
        "gives no legal advice",
        "decides nothing",
        "not shared with the court",
        "statutory confidentiality",
        "limited exceptions, such as a threat to harm",
        "signed agreement is not confidential",
        "filed with the court",
        "You do not need a lawyer",
        "may take part with you or for you",
    ],
)
def test_the_agreement_says_it_in_plain_words(phrase: str) -> None:
    assert phrase in AGREEMENT_TEXT


def test_no_text_suggests_a_penalty() -> None:
    """ "penalty" may appear only as "without penalty"; no threats, blame or sanctions."""
    for text in every_text():
        lowered = text.lower()
        assert "penal" not in lowered.replace("without penalty", "")
        for word in ("sanction", "contempt", "punish", "fault", "blame", "must", "fine "):
            assert word not in lowered, (word, text)


@pytest.mark.parametrize("kind", list(CaseKind))
def test_an_opt_out_notice_never_says_who_or_why(kind: CaseKind) -> None:
    text = closed_notice(Outcome.OPTED_OUT, kind, HEARING).lower()
    assert text.startswith("mediation has ended.")
    assert "without penalty" in text
    for word in ("plaintiff", "defendant", "party", "other side", "because", "reason", "chose"):
        assert word not in text
    assert "decided" not in text and "opted" not in text


@pytest.mark.parametrize("kind", FILED)
def test_not_mediated_filed_case_points_to_the_hearing(kind: CaseKind) -> None:
    with_date = not_mediated_notice(kind, HEARING)
    assert "follow the procedures the court gave you" in with_date
    assert "attend your court hearing on Friday, January 15, 2027" in with_date
    without = not_mediated_notice(kind, None)
    assert "attend your court hearing," in without and "court papers show the date" in without


def test_not_mediated_community_case_has_no_court_date() -> None:
    text = not_mediated_notice(CaseKind.COMMUNITY, None)
    assert "no court date" in text and "hearing" not in text


@pytest.mark.parametrize("outcome", [Outcome.DECLINED, Outcome.EXPIRED])
def test_declined_and_expired_read_as_not_mediated(outcome: Outcome) -> None:
    for kind in CaseKind:
        assert closed_notice(outcome, kind, HEARING) == not_mediated_notice(kind, HEARING)


@pytest.mark.parametrize("kind", FILED)
def test_an_impasse_explains_how_to_attend_the_hearing(kind: CaseKind) -> None:
    text = closed_notice(Outcome.IMPASSE, kind, HEARING)
    assert "without an agreement" in text
    assert "attend your court hearing on Friday, January 15, 2027" in text
    assert "present your case to the judge" in text and "Bring your court papers" in text


def test_a_settlement_is_filed_for_court_cases_only() -> None:
    filed = closed_notice(Outcome.SETTLED, CaseKind.SMALL_CLAIMS)
    community = closed_notice(Outcome.SETTLED, CaseKind.COMMUNITY)
    assert "not confidential" in filed and "file the signed agreement with the court" in filed
    assert "court" not in community


def test_every_outcome_has_a_notice_and_nothing_else_does() -> None:
    assert all(closed_notice(o, k) for o, k in itertools.product(Outcome, CaseKind))
    with pytest.raises(ValueError):
        closed_notice("in_mediation", CaseKind.COMMUNITY)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", list(CaseKind))
def test_the_invitation_explainer(kind: CaseKind) -> None:
    text = odr_explainer(kind)
    for phrase in (
        "Online Dispute Resolution (ODR)",
        "voluntary",
        "either side can stop at any time",
        "You do not need a lawyer",
        "does not give legal advice",
    ):
        assert phrase in text
    fee = "subject to fee review" if kind is CaseKind.COMMUNITY else "no fee for a filed case"
    assert fee in text


def test_dates_are_written_out_without_the_locale() -> None:
    assert format_date(date(2026, 3, 2)) == "Monday, March 2, 2026"
    assert re.fullmatch(r"\w+, \w+ \d{1,2}, \d{4}", format_date(HEARING))
