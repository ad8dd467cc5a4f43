"""The E.164 rule, against expectations written out by hand."""

from __future__ import annotations

import pytest

from odrchat.notify.phone import InvalidPhone, to_e164

GOOD = [
    ("+1 213 555 0100", "+12135550100"),
    ("(213) 555-0100", "+12135550100"),
    ("213.555.0100", "+12135550100"),
    ("1-213-555-0100", "+12135550100"),
    ("2135550100", "+12135550100"),
    ("tel:+1-213-555-0100", "+12135550100"),
    ("  +12135550100  ", "+12135550100"),
    ("011 44 20 7946 0958", "+442079460958"),
    ("0044 20 7946 0958", "+442079460958"),
    ("+44 20 7946 0958", "+442079460958"),
    ("+52 55 1234 5678", "+525512345678"),
    ("+1 (604) 555-0199", "+16045550199"),  # Canada shares the plan
]

BAD = [
    "call me maybe",
    "555-0100",  # seven digits: no area code
    "+1 555 0100",  # too short for +1
    "+1 113 555 0100",  # area codes never start with 1
    "+1 213 055 0100",  # nor exchanges with 0
    "+1 911 555 0100",  # N11 codes are services, not area codes
    "213 555 0100 ext 7",
    "+0 123 4567",
    "+12 34",
    "+1234567890123456",  # 16 digits: longer than E.164 allows
    "12+135550100",
    "",
    "+",
]


@pytest.mark.parametrize(("raw", "e164"), GOOD)
def test_typed_numbers_become_e164(raw: str, e164: str) -> None:
    assert to_e164(raw) == e164


@pytest.mark.parametrize("raw", BAD)
def test_what_is_not_a_textable_number_is_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        to_e164(raw)


def test_normalising_twice_changes_nothing() -> None:
    for _, e164 in GOOD:
        assert to_e164(e164) == e164


def test_only_the_north_american_plan_is_a_default_region() -> None:
    assert to_e164("213 555 0100", region="CA") == "+12135550100"
    with pytest.raises(ValueError, match="national numbers"):
        to_e164("020 7946 0958", region="GB")
