from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odrchat.cases.roles import Side
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
    TermsError,
    describe,
    format_cents,
    parse_terms,
    terms_to_json,
)

TODAY = date(2026, 6, 1)
NAMES = {Side.PLAINTIFF: "Paul Plaintiff", Side.DEFENDANT: "Dana Defendant"}


def _payment(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "kind": "payment",
        "payer": "defendant",
        "payee": "plaintiff",
        "amount_cents": 125_000,
        "schedule": {
            "kind": "installments",
            "installments": [
                {"amount_cents": 50_000, "due": "2027-01-15"},
                {"amount_cents": 50_000, "due": "2027-02-15"},
                {"amount_cents": 25_000, "due": "2027-03-15"},
            ],
        },
        "late_consequence": "the whole balance is due at once",
    }
    raw.update(changes)
    return raw


ALL_KINDS: list[dict[str, object]] = [
    _payment(),
    {"kind": "move_out", "by": "2026-08-31", "tenant": "defendant"},
    {
        "kind": "stay_away",
        "restrained": "defendant",
        "distance_feet": 100,
        "no_contact": True,
        "details": "including the workplace",
    },
    {
        "kind": "property_return",
        "returner": "plaintiff",
        "description": "a bike",
        "by": "2026-07-01",
    },
    {"kind": "dismissal", "with_prejudice": True},
    {"kind": "free_text", "text": "Both sides keep this private.\nNo admission of fault."},
]


def _errors(raw: object) -> dict[str, str]:
    with pytest.raises(TermsError) as info:
        parse_terms(raw, today=TODAY)
    return info.value.fields


def test_every_kind_parses_to_its_dataclass_and_round_trips_exactly() -> None:
    terms = parse_terms(ALL_KINDS, today=TODAY)
    assert terms.items[0] == Payment(
        payer=Side.DEFENDANT,
        payee=Side.PLAINTIFF,
        amount_cents=125_000,
        schedule=InstallmentPlan(
            (
                Installment(50_000, date(2027, 1, 15)),
                Installment(50_000, date(2027, 2, 15)),
                Installment(25_000, date(2027, 3, 15)),
            )
        ),
        late_consequence="the whole balance is due at once",
    )
    assert terms.items[1:] == (
        MoveOut(by=date(2026, 8, 31), tenant=Side.DEFENDANT),
        StayAway(Side.DEFENDANT, 100, True, "including the workplace"),
        PropertyReturn(Side.PLAINTIFF, "a bike", date(2026, 7, 1)),
        Dismissal(with_prejudice=True),
        FreeTerm("Both sides keep this private.\nNo admission of fault."),
    )
    assert terms_to_json(terms) == ALL_KINDS
    assert parse_terms(terms_to_json(terms), today=TODAY) == terms


def test_optional_fields_take_their_defaults() -> None:
    raw = [
        {
            "kind": "payment",
            "payer": "plaintiff",
            "payee": "defendant",
            "amount_cents": 1,
            "schedule": {"kind": "lump_sum", "due": "2026-06-02"},
        },
        {"kind": "stay_away", "restrained": "plaintiff", "no_contact": True},
        {"kind": "dismissal"},
    ]
    assert parse_terms(raw, today=TODAY).items == (
        Payment(Side.PLAINTIFF, Side.DEFENDANT, 1, LumpSum(date(2026, 6, 2)), ""),
        StayAway(Side.PLAINTIFF, None, True, ""),
        Dismissal(with_prejudice=False),
    )


def test_text_is_trimmed_and_crlf_becomes_lf() -> None:
    terms = parse_terms([{"kind": "free_text", "text": "  one\r\ntwo\tthree  "}], today=TODAY)
    assert terms.items == (FreeTerm("one\ntwo\tthree"),)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"kind": "dismissal"}, "items"),
        ([], "items"),
        ([{"kind": "dismissal"}] * 21, "items"),
        (["dismissal"], "items/0"),
        ([{"kind": "settle"}], "items/0/kind"),
        ([{"with_prejudice": True}], "items/0/kind"),
        ([{"kind": "dismissal", "with_prejudice": 1}], "items/0/with_prejudice"),
        ([{"kind": "dismissal", "judge": "x"}], "items/0/judge"),
        ([_payment(amount_cents=0)], "items/0/amount_cents"),
        ([_payment(amount_cents=-5)], "items/0/amount_cents"),
        ([_payment(amount_cents=100_000_001)], "items/0/amount_cents"),
        ([_payment(amount_cents=True)], "items/0/amount_cents"),
        ([_payment(amount_cents=125_000.0)], "items/0/amount_cents"),
        ([_payment(amount_cents="125000")], "items/0/amount_cents"),
        ([_payment(payer="judge")], "items/0/payer"),
        ([_payment(payee="defendant")], "items/0/payee"),
        ([_payment(schedule=None)], "items/0/schedule"),
        ([_payment(schedule={"kind": "weekly"})], "items/0/schedule/kind"),
        ([_payment(schedule={"kind": "lump_sum"})], "items/0/schedule/due"),
        (
            [_payment(schedule={"kind": "installments", "installments": []})],
            "items/0/schedule/installments",
        ),
        ([_payment(late_consequence=7)], "items/0/late_consequence"),
        ([_payment(late_consequence="x" * 1001)], "items/0/late_consequence"),
        ([{"kind": "payment"}], "items/0/amount_cents"),
        ([{"kind": "move_out", "by": "2026-06-01", "tenant": "defendant"}], "items/0/by"),
        ([{"kind": "move_out", "by": "2036-06-02", "tenant": "defendant"}], "items/0/by"),
        ([{"kind": "move_out", "by": "20270115", "tenant": "defendant"}], "items/0/by"),
        ([{"kind": "move_out", "by": "2027-W01-1", "tenant": "defendant"}], "items/0/by"),
        ([{"kind": "move_out", "by": "2027-02-30", "tenant": "defendant"}], "items/0/by"),
        ([{"kind": "move_out", "by": 20270115, "tenant": "defendant"}], "items/0/by"),
        ([{"kind": "stay_away", "restrained": "plaintiff"}], "items/0"),
        (
            [{"kind": "stay_away", "restrained": "plaintiff", "distance_feet": 0}],
            "items/0/distance_feet",
        ),
        (
            [{"kind": "stay_away", "restrained": "plaintiff", "distance_feet": 5.5}],
            "items/0/distance_feet",
        ),
        (
            [{"kind": "stay_away", "restrained": "plaintiff", "no_contact": "yes"}],
            "items/0/no_contact",
        ),
        (
            [
                {
                    "kind": "stay_away",
                    "restrained": "plaintiff",
                    "no_contact": True,
                    "details": "x" * 1001,
                }
            ],
            "items/0/details",
        ),
        (
            [
                {
                    "kind": "property_return",
                    "returner": "plaintiff",
                    "description": " ",
                    "by": "2026-07-01",
                }
            ],
            "items/0/description",
        ),
        (
            [
                {
                    "kind": "property_return",
                    "returner": "plaintiff",
                    "description": "x" * 501,
                    "by": "2026-07-01",
                }
            ],
            "items/0/description",
        ),
        ([{"kind": "free_text", "text": "x" * 2001}], "items/0/text"),
        ([{"kind": "free_text", "text": "bell\x07"}], "items/0/text"),
        ([{"kind": "free_text", "text": "nul\x00"}], "items/0/text"),
        ([{"kind": "free_text", "text": None}], "items/0/text"),
    ],
)
def test_each_invalid_field_is_reported_at_its_path(raw: object, path: str) -> None:
    assert path in _errors(raw)


def test_text_limits_are_inclusive() -> None:
    raw = [
        {"kind": "free_text", "text": "x" * 2000},
        _payment(late_consequence="y" * 1000),
        {
            "kind": "property_return",
            "returner": "defendant",
            "description": "z" * 500,
            "by": "2026-07-01",
        },
    ]
    assert len(parse_terms(raw, today=TODAY).items) == 3


def test_dates_run_from_tomorrow_to_ten_years_out_even_from_a_leap_day() -> None:
    leap = date(2028, 2, 29)
    for due, ok in [("2028-03-01", True), ("2038-02-28", True), ("2038-03-01", False)]:
        raw = [{"kind": "move_out", "by": due, "tenant": "defendant"}]
        if ok:
            assert parse_terms(raw, today=leap).items == (
                MoveOut(date.fromisoformat(due), Side.DEFENDANT),
            )
        else:
            with pytest.raises(TermsError):
                parse_terms(raw, today=leap)


def test_installments_must_sum_to_the_total_and_the_message_says_both() -> None:
    errors = _errors([_payment(amount_cents=130_000)])
    message = errors["items/0/schedule/installments"]
    assert "$1,250.00" in message
    assert "$1,300.00" in message


def test_installment_due_dates_must_strictly_increase() -> None:
    plan = {
        "kind": "installments",
        "installments": [
            {"amount_cents": 500, "due": "2027-01-15"},
            {"amount_cents": 500, "due": "2027-01-15"},
        ],
    }
    assert "items/0/schedule/installments/1/due" in _errors(
        [_payment(amount_cents=1000, schedule=plan)]
    )


def test_installment_count_is_between_one_and_one_hundred_twenty() -> None:
    def plan(count: int) -> dict[str, object]:
        parts = [
            {"amount_cents": 100, "due": (TODAY + timedelta(days=i + 1)).isoformat()}
            for i in range(count)
        ]
        return {"kind": "installments", "installments": parts}

    assert parse_terms([_payment(amount_cents=12_000, schedule=plan(120))], today=TODAY)
    errors = _errors([_payment(amount_cents=12_100, schedule=plan(121))])
    assert "items/0/schedule/installments" in errors


def test_each_installment_amount_must_be_positive_whole_cents() -> None:
    plan = {
        "kind": "installments",
        "installments": [
            {"amount_cents": 0, "due": "2027-01-15"},
            {"amount_cents": 1.5, "due": "2027-02-15"},
            {"amount_cents": 100, "due": "2027-03-15", "note": "x"},
        ],
    }
    errors = _errors([_payment(amount_cents=100, schedule=plan)])
    assert {
        "items/0/schedule/installments/0/amount_cents",
        "items/0/schedule/installments/1/amount_cents",
        "items/0/schedule/installments/2/note",
    } <= errors.keys()


def test_all_problems_are_reported_at_once_and_input_is_not_modified() -> None:
    raw = [_payment(amount_cents=0), {"kind": "nope"}, {"kind": "free_text", "text": ""}]
    before = copy.deepcopy(raw)
    errors = _errors(raw)
    assert {"items/0/amount_cents", "items/1/kind", "items/2/text"} <= errors.keys()
    assert raw == before


def test_terms_error_message_lists_each_path() -> None:
    error = TermsError({"items/0/by": "required", "items": "too many"})
    assert error.fields == {"items/0/by": "required", "items": "too many"}
    assert str(error) == "items/0/by: required; items: too many"


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (5, "$0.05"),
        (125_000, "$1,250.00"),
        (100_000_000, "$1,000,000.00"),
        (-250, "-$2.50"),
    ],
)
def test_format_cents(cents: int, text: str) -> None:
    assert format_cents(cents) == text


def test_describe_says_each_term_in_plain_words() -> None:
    terms = parse_terms(ALL_KINDS, today=TODAY)
    assert [describe(term, NAMES) for term in terms.items] == [
        "Dana Defendant pays Paul Plaintiff $1,250.00 in 3 installments: $500.00 by 2027-01-15, "
        "$500.00 by 2027-02-15, $250.00 by 2027-03-15. "
        "If a payment is missed: the whole balance is due at once",
        "Dana Defendant moves out of the premises by 2026-08-31.",
        "Dana Defendant stays at least 100 feet away from Paul Plaintiff and has no contact "
        "with Paul Plaintiff. including the workplace",
        "Paul Plaintiff returns to Dana Defendant by 2026-07-01: a bike",
        "Paul Plaintiff dismisses the case with prejudice.",
        "Both sides keep this private.\nNo admission of fault.",
    ]


def test_describe_lump_sums_and_falls_back_to_the_side_name() -> None:
    pay = Payment(Side.PLAINTIFF, Side.DEFENDANT, 99, LumpSum(date(2026, 7, 1)), "")
    assert describe(pay, {}) == "The plaintiff pays The defendant $0.99 by 2026-07-01."
    assert describe(Dismissal(), NAMES) == "Paul Plaintiff dismisses the case without prejudice."
    assert describe(StayAway(Side.PLAINTIFF, 5280, False, ""), NAMES) == (
        "Paul Plaintiff stays at least 5,280 feet away from Dana Defendant."
    )


sides = st.sampled_from(list(Side))
days = st.integers(1, 3650).map(lambda n: TODAY + timedelta(days=n))
texts = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\r") | st.just("\n"),
    max_size=40,
).map(str.strip)


@st.composite
def payments(draw: st.DrawFn) -> Payment:
    payer = draw(sides)
    dues = sorted(draw(st.sets(days, min_size=1, max_size=6)))
    parts = tuple(Installment(draw(st.integers(1, 10_000_000)), due) for due in dues)
    schedule: LumpSum | InstallmentPlan = LumpSum(dues[0])
    if draw(st.booleans()):
        schedule = InstallmentPlan(parts)
    total = sum(p.amount_cents for p in parts)
    return Payment(payer, payer.other, total, schedule, draw(texts))


terms_strategy = st.lists(
    st.one_of(
        payments(),
        st.builds(MoveOut, days, sides),
        st.builds(StayAway, sides, st.integers(1, 26_400), st.booleans(), texts),
        st.builds(PropertyReturn, sides, texts.filter(bool), days),
        st.builds(Dismissal, st.booleans()),
        st.builds(FreeTerm, texts.filter(bool)),
    ),
    min_size=1,
    max_size=20,
).map(lambda items: Terms(tuple(items)))


@given(terms_strategy)
def test_any_valid_terms_round_trip_through_json(terms: Terms) -> None:
    assert parse_terms(terms_to_json(terms), today=TODAY) == terms
