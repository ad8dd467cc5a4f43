"""The pure programme figures: counts, shares, medians and 90th percentiles, and small cells."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from odrchat.figures.compute import (
    SMALL,
    CaseFacts,
    InstalmentFacts,
    SurveyScores,
    cell,
    compute,
    duration,
    payments,
    protect,
    protect_table,
)

LA = ZoneInfo("America/Los_Angeles")
T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def case(status: str = "in_mediation", kind: str = "small_claims", **kw: object) -> CaseFacts:
    return CaseFacts(kind=kind, status=status, filed_at=kw.pop("filed_at", T0), **kw)  # type: ignore[arg-type]


def test_counts_of_one_to_four_are_never_published_and_zero_is() -> None:
    assert [cell(n) for n in range(7)] == [0, None, None, None, None, 5, 6]
    assert SMALL == 5


def test_median_and_90th_percentile_interpolate_between_ranks() -> None:
    d = duration("x", [float(n) for n in range(10, 0, -1)])
    assert (d.cases, d.median_days, d.p90_days) == (10, 5.5, 9.1)
    five = duration("x", [1.0, 2.0, 3.0, 4.0, 50.0])
    assert (five.median_days, five.p90_days) == (3.0, 31.6)


def test_a_duration_over_fewer_than_five_cases_is_suppressed() -> None:
    d = duration("x", [1.0, 2.0, 3.0, 4.0])
    assert (d.cases, d.median_days, d.p90_days) == (None, None, None)
    assert duration("x", []).cases == 0


def test_a_single_hidden_cell_is_joined_by_the_next_smallest_so_the_total_does_not_reveal_it() -> (
    None
):
    assert protect({"a": 3, "b": 6, "c": 9}) == {"a": None, "b": None, "c": 9}
    # Two hidden already: neither can be worked out alone.
    assert protect({"a": 3, "b": 2, "c": 9}) == {"a": None, "b": None, "c": 9}
    # Zero is no secret and is never used to cover a hidden cell.
    assert protect({"a": 0, "b": 4, "c": 7, "d": 8}) == {"a": 0, "b": None, "c": None, "d": 8}


def test_a_two_way_table_is_protected_along_rows_and_columns() -> None:
    counts = {("m1", "x"): 2, ("m1", "y"): 8, ("m2", "x"): 9, ("m2", "y"): 7}
    out = protect_table(counts)
    # m1/x is small; its row then hides m1/y, its column m2/x, and m2/y follows.
    assert out == {k: None for k in counts}
    big = {("m1", "x"): 6, ("m1", "y"): 8, ("m2", "x"): 9, ("m2", "y"): 7}
    assert protect_table(big) == big


def test_months_are_counted_in_the_centres_time_zone() -> None:
    # 2026-04-01 03:00 UTC is still March 31 in Los Angeles.
    late = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
    f = compute([case(filed_at=late) for _ in range(5)], [], tz=LA)
    assert f.months == ("2026-03",)
    assert f.by_kind_month[("2026-03", "small_claims")] == 5


def test_participation_consent_and_outcomes_over_a_programme() -> None:
    cases = (
        [case("invited") for _ in range(3)]  # not yet answered: in neither rate
        + [case("declined") for _ in range(5)]
        + [case("expired") for _ in range(5)]
        + [
            case("settled", sides_consented=2, closed_at=T0 + timedelta(days=d))
            for d in range(1, 11)
        ]
        + [case("impasse", sides_consented=2) for _ in range(6)]
        + [case("opted_out", sides_consented=1) for _ in range(5)]
        + [case("in_mediation", sides_consented=2) for _ in range(6)]
    )
    f = compute(cases, [], tz=LA)
    assert f.cases == 40
    # 37 past the invitation, 27 of them joined.
    assert (f.participation.whole, f.participation.part, f.participation.share) == (37, 27, 0.73)
    # 22 of the 27 who joined had both sides accept the agreement to mediate.
    assert (f.consent.whole, f.consent.part, f.consent.share) == (27, 22, 0.815)
    assert f.closed == 31
    assert dict(f.outcomes) == {
        "settled": 10,
        "impasse": 6,
        "opted_out": 5,
        "declined": 5,
        "expired": 5,
    }
    assert f.outcome_shares["settled"] == round(10 / 31, 3)
    agreement = f.durations[1]
    assert (agreement.measure, agreement.cases, agreement.median_days) == ("agreement", 10, 5.5)


def test_small_outcomes_and_their_shares_are_suppressed() -> None:
    cases = [case("settled", closed_at=T0 + timedelta(days=3)) for _ in range(9)] + [
        case("impasse") for _ in range(2)
    ]
    f = compute(cases, [], tz=LA)
    assert f.outcomes["impasse"] is None and f.outcome_shares["impasse"] is None
    # The one hidden cell would follow from the total: the next smallest is hidden with it.
    assert f.outcomes["settled"] is None and f.outcome_shares["settled"] is None
    assert f.outcomes["declined"] == 0


def test_first_message_days_count_only_cases_that_had_one() -> None:
    cases = [case(first_message_at=T0 + timedelta(hours=12 * n)) for n in range(1, 7)] + [case()]
    first = compute(cases, [], tz=LA).durations[0]
    assert (first.cases, first.median_days) == (6, 1.8)


def test_mediator_load_is_spread_without_naming_anyone() -> None:
    cases = [case(mediator=1) for _ in range(4)] + [case("settled", mediator=2) for _ in range(2)]
    cases += [case(mediator=2)]
    load = compute(cases, [], tz=LA).load
    assert (load.mediators, load.open_median, load.open_max, load.cases_median) == (2, 2.5, 4, 3.5)


def test_survey_averages_need_five_answers() -> None:
    answers = [SurveyScores(5, 4, 3, None) for _ in range(5)] + [SurveyScores(1, 4, 3, None)]
    f = compute([], answers, tz=LA)
    by = {q.question: q for q in f.survey}
    assert (by["heard"].answers, by["heard"].average) == (6, 4.33)
    assert (by["again"].answers, by["again"].average) == (0, None)
    few = compute([], answers[:4], tz=LA)
    assert few.survey_answers is None
    assert all(q.average is None for q in few.survey)


@pytest.mark.parametrize("n", [1, 4])
def test_a_tiny_programme_publishes_no_count_at_all(n: int) -> None:
    f = compute([case("settled", closed_at=T0) for _ in range(n)], [], tz=LA)
    assert f.cases is None
    assert set(f.by_kind_month.values()) == {None}
    assert f.outcomes["settled"] is None


def test_payments_on_time_late_and_unpaid_over_instalments_that_fell_due() -> None:
    today = date(2026, 6, 1)
    due = date(2026, 5, 1)
    rows = [InstalmentFacts(a, due, "paid", date(2026, 4, 30)) for a in range(6)]  # on time
    rows += [InstalmentFacts(a, due, "paid", date(2026, 5, 2)) for a in range(5)]  # late
    rows += [InstalmentFacts(a, due, "missed") for a in range(3)]
    rows += [InstalmentFacts(a, due, "reported_paid", date(2026, 5, 1)) for a in range(2)]
    rows += [InstalmentFacts(9, date(2026, 7, 1), "due")]  # not yet due: not counted
    p = payments(rows, today)
    assert (p.tracked, p.agreements, p.fallen_due) == (True, 7, 16)
    assert (p.on_time, p.late, p.unpaid, p.on_time_share) == (6, 5, 5, 0.375)


def test_payments_of_fewer_than_five_agreements_are_not_published() -> None:
    rows = [InstalmentFacts(a, date(2026, 5, 1), "paid", date(2026, 5, 1)) for a in range(4)]
    p = payments(rows, date(2026, 6, 1))
    assert (p.agreements, p.fallen_due, p.on_time, p.on_time_share) == (None, None, None, None)
    assert payments([], date(2026, 6, 1)).agreements == 0
    assert compute([], [], tz=LA).payments.tracked is False
