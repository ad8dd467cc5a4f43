"""The screening's pure rules, checked against expectations written out by hand."""

from __future__ import annotations

import itertools

import pytest

from odrchat.safety.screening import (
    ALWAYS_SCREENED,
    NOTE_MAX,
    Answers,
    Order,
    ScreeningError,
    answers_of,
    flagged,
    parse_kinds,
    required,
)


def test_civil_harassment_always_asks_and_the_rest_only_when_the_centre_says() -> None:
    assert required("civil_harassment")
    assert required("civil_harassment", ())
    for kind in ("small_claims", "unlawful_detainer", "community"):
        assert not required(kind)
        assert required(kind, {kind})
    assert not required("small_claims", {"unlawful_detainer"})


def test_an_order_that_exists_or_may_exist_or_fear_flags_the_case() -> None:
    """Expected by hand: "not sure" counts as yes; support and accommodation never flag."""
    for order, afraid, support, accommodation in itertools.product(
        Order, (False, True), (False, True), (False, True)
    ):
        answers = Answers(order, afraid, support, accommodation)
        want = order in (Order.YES, Order.UNSURE) or afraid
        assert flagged(answers) is want and answers.flagged is want


def test_answers_are_checked_and_the_note_is_trimmed() -> None:
    got = answers_of("no", False, True, True, "  an interpreter (Spanish)  ")
    assert got == Answers(Order.NO, False, True, True, "an interpreter (Spanish)")
    assert answers_of("yes", False, False, False, "   ").note is None
    with pytest.raises(ScreeningError) as caught:
        answers_of("maybe", False, False, False, "x" * (NOTE_MAX + 1))
    assert set(caught.value.fields) == {"order", "note"}


def test_the_note_stays_out_of_reprs() -> None:
    assert "SECRET" not in repr(answers_of("no", False, False, False, "SECRET"))


def test_screening_kinds_setting() -> None:
    assert parse_kinds("") == ALWAYS_SCREENED
    assert parse_kinds(" small_claims , community") == {
        "civil_harassment",
        "small_claims",
        "community",
    }
    with pytest.raises(ValueError, match="divorce"):
        parse_kinds("divorce")
