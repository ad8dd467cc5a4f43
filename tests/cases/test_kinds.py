from __future__ import annotations

from datetime import date

import pytest

from odrchat.cases.kinds import (
    CaseFacts,
    CaseFactsError,
    CaseKind,
    is_court_filed,
    needs_fee_review,
    side_label,
    validate_case_facts,
)
from odrchat.cases.roles import Side

FILED = [CaseKind.SMALL_CLAIMS, CaseKind.UNLAWFUL_DETAINER, CaseKind.CIVIL_HARASSMENT]
HEARING = date(2027, 1, 15)


def test_the_four_kinds_and_which_are_filed_in_court() -> None:
    assert [k.value for k in CaseKind] == [
        "small_claims",
        "unlawful_detainer",
        "civil_harassment",
        "community",
    ]
    assert [is_court_filed(k) for k in CaseKind] == [True, True, True, False]
    assert [needs_fee_review(k) for k in CaseKind] == [False, False, False, True]


@pytest.mark.parametrize("kind", [CaseKind.SMALL_CLAIMS, CaseKind.UNLAWFUL_DETAINER])
def test_side_labels_in_court(kind: CaseKind) -> None:
    assert side_label(kind, Side.PLAINTIFF) == "Plaintiff"
    assert side_label(kind, Side.DEFENDANT) == "Defendant"


def test_civil_harassment_is_a_petition_between_petitioner_and_respondent() -> None:
    assert side_label(CaseKind.CIVIL_HARASSMENT, Side.PLAINTIFF) == "Petitioner"
    assert side_label(CaseKind.CIVIL_HARASSMENT, Side.DEFENDANT) == "Respondent"


def test_side_labels_in_community_mediation() -> None:
    assert side_label(CaseKind.COMMUNITY, Side.PLAINTIFF) == "Filing party"
    assert side_label(CaseKind.COMMUNITY, Side.DEFENDANT) == "Responding party"


@pytest.mark.parametrize("kind", FILED)
def test_a_filed_case_is_free_and_normalised(kind: CaseKind) -> None:
    premises = " 12 Elm St, Apt 3 " if kind is CaseKind.UNLAWFUL_DETAINER else None
    facts = validate_case_facts(
        kind,
        "  Superior Court, Los Angeles  ",
        " 24SM-CV 01234 ",
        HEARING,
        "  Unpaid rent.  ",
        department=" 77 ",
        premises_address=premises,
    )
    assert facts == CaseFacts(
        kind,
        "Superior Court, Los Angeles",
        "24SM-CV 01234",
        HEARING,
        "Unpaid rent.",
        "77",
        premises.strip() if premises else None,
    )
    assert facts.fee_review is False


def test_a_filed_case_may_not_know_its_hearing_date_yet() -> None:
    facts = validate_case_facts(CaseKind.SMALL_CLAIMS, "Court", "A1", None, "Deposit")
    assert facts.hearing_date is None


def test_a_community_case_has_no_court_and_is_subject_to_fee_review() -> None:
    facts = validate_case_facts(CaseKind.COMMUNITY, None, "  ", None, "Noise at night")
    assert (facts.court_name, facts.court_case_number, facts.hearing_date) == (None, None, None)
    assert facts.fee_review is True


@pytest.mark.parametrize("kind", FILED)
def test_a_filed_case_needs_court_name_number_and_description(kind: CaseKind) -> None:
    with pytest.raises(CaseFactsError) as error:
        validate_case_facts(kind, " ", None, None, "\n")
    needed = {"court_name", "court_case_number", "description"}
    if kind is CaseKind.UNLAWFUL_DETAINER:
        needed.add("premises_address")
    assert set(error.value.fields) == needed
    assert error.value.code == "invalid"
    assert "required" in error.value.fields["court_case_number"]


def test_a_community_case_refuses_court_details() -> None:
    with pytest.raises(CaseFactsError) as error:
        validate_case_facts(
            CaseKind.COMMUNITY, "Court", "A1", HEARING, "Fence", department="4",
            premises_address="x",
        )  # fmt: skip
    assert set(error.value.fields) == {
        "court_name",
        "court_case_number",
        "hearing_date",
        "department",
        "premises_address",
    }


def test_only_an_unlawful_detainer_names_premises_and_it_must() -> None:
    with pytest.raises(CaseFactsError) as error:
        validate_case_facts(CaseKind.UNLAWFUL_DETAINER, "Court", "A1", None, "Rent")
    assert set(error.value.fields) == {"premises_address"}
    with pytest.raises(CaseFactsError) as error:
        validate_case_facts(
            CaseKind.SMALL_CLAIMS, "Court", "A1", None, "Deposit", premises_address="12 Elm St"
        )
    assert set(error.value.fields) == {"premises_address"}


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("A" * 40, True),
        ("A" * 41, False),
        ("24-SC 0001", True),
        ("24/SC/0001", False),
        ("-24", False),
        ("24_SC", False),
        ("２４", False),  # full-width digits are not plain digits
    ],
)
def test_court_case_number_shape(number: str, ok: bool) -> None:
    try:
        validate_case_facts(CaseKind.SMALL_CLAIMS, "Court", number, None, "x")
    except CaseFactsError as error:
        assert not ok and set(error.fields) == {"court_case_number"}
    else:
        assert ok


@pytest.mark.parametrize(
    ("field", "limit"),
    [("court_name", 120), ("description", 4000), ("department", 40), ("premises_address", 300)],
)
def test_length_limits(field: str, limit: int) -> None:
    def facts(length: int) -> CaseFacts:
        text = {
            "court_name": "Court",
            "description": "x",
            "department": "1",
            "premises_address": "12 Elm St",
            field: "y" * length,
        }
        return validate_case_facts(
            CaseKind.UNLAWFUL_DETAINER,
            text["court_name"],
            "1",
            None,
            text["description"],
            department=text["department"],
            premises_address=text["premises_address"],
        )

    assert len(getattr(facts(limit), field)) == limit
    with pytest.raises(CaseFactsError) as error:
        facts(limit + 1)
    assert list(error.value.fields) == [field]
    assert error.value.fields[field] == "use at most {max} characters"  # a catalog msgid
    assert error.value.values[field] == {"max": limit}


def test_facts_are_frozen() -> None:
    facts = validate_case_facts(CaseKind.COMMUNITY, None, None, None, "x")
    with pytest.raises(AttributeError):
        facts.description = "y"  # type: ignore[misc]
