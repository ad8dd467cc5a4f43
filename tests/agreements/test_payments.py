"""The payment schedule and the instalment machine, walked exhaustively and rule by rule."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from odrchat.agreements.payments import (
    ConfirmPaid,
    Dispute,
    Instalment,
    InstalmentChanged,
    InstalmentStatus,
    PaymentError,
    ReportMissed,
    ReportPaid,
    SchedulePerformed,
    apply,
    is_performed,
    may,
    missed,
    schedule_of,
    totals,
)
from odrchat.cases.roles import Actor, Role, Side
from odrchat.offers.terms import (
    FreeTerm,
    Installment,
    InstallmentPlan,
    LumpSum,
    MoveOut,
    Payment,
)

AT = datetime(2026, 5, 2, 17, 0, tzinfo=UTC)
D, P = Side.DEFENDANT, Side.PLAINTIFF
PAYEE = Actor(1, Role.PARTY, P)  # the plaintiff receives
PAYER = Actor(2, Role.PARTY, D)
PAYEE_ATTORNEY = Actor(3, Role.ATTORNEY, P)
PAYER_ATTORNEY = Actor(4, Role.ATTORNEY, D)
STAFF = (Actor(5, Role.MEDIATOR), Actor(6, Role.CO_MEDIATOR), Actor(7, Role.OBSERVER))
EVERYONE = (PAYEE, PAYER, PAYEE_ATTORNEY, PAYER_ATTORNEY, *STAFF)
COMMANDS = (
    ReportPaid(AT),
    ConfirmPaid(AT),
    Dispute(AT),
    ReportMissed(AT, date(2026, 5, 2)),
)
S = InstalmentStatus

# Written from the rules, separately from the machine's table: (status, command) -> who may,
# and the status after.
EXPECTED: dict[tuple[InstalmentStatus, type], tuple[Side, InstalmentStatus]] = {
    (S.DUE, ReportPaid): (P, S.REPORTED_PAID),
    (S.DUE, ReportMissed): (P, S.MISSED),
    (S.MISSED, ReportPaid): (P, S.REPORTED_PAID),
    (S.REPORTED_PAID, ConfirmPaid): (D, S.PAID),
    (S.REPORTED_PAID, Dispute): (D, S.DUE),
}


def one(status: InstalmentStatus = S.DUE, due: date = date(2026, 5, 1)) -> Instalment:
    return Instalment(1, D, P, 50_000, due, status)


def test_the_schedule_follows_the_terms_in_order_of_due_date() -> None:
    plan = InstallmentPlan(
        (Installment(30_000, date(2026, 4, 1)), Installment(20_000, date(2026, 6, 1)))
    )
    terms = (
        MoveOut(date(2026, 4, 30), D),
        Payment(D, P, 50_000, plan, ""),
        FreeTerm("Keep the gate shut."),
        Payment(P, D, 7_500, LumpSum(date(2026, 5, 1)), ""),
    )
    schedule = schedule_of(terms)
    assert [(i.number, i.payer, i.payee, i.amount_cents, i.due) for i in schedule] == [
        (1, D, P, 30_000, date(2026, 4, 1)),
        (2, P, D, 7_500, date(2026, 5, 1)),
        (3, D, P, 20_000, date(2026, 6, 1)),
    ]
    assert all(i.status is S.DUE and i.history == () for i in schedule)
    assert sum(i.amount_cents for i in schedule) == 57_500


def test_terms_without_money_give_no_schedule_and_it_is_never_performed() -> None:
    assert schedule_of((MoveOut(date(2026, 4, 30), D),)) == ()
    assert not is_performed(())


@pytest.mark.parametrize(
    ("status", "command", "actor"),
    list(itertools.product(tuple(S), COMMANDS, EVERYONE)),
)
def test_every_status_command_and_actor(
    status: InstalmentStatus, command: object, actor: Actor
) -> None:
    before = one(status)
    expected = EXPECTED.get((status, type(command)))
    allowed = expected is not None and actor.role in (Role.PARTY, Role.ATTORNEY)
    allowed = allowed and expected is not None and actor.side is expected[0]
    assert may(before, type(command), actor) is allowed  # type: ignore[arg-type]
    if not allowed:
        with pytest.raises(PaymentError):
            apply((before,), 1, command, actor)  # type: ignore[arg-type]
        return
    assert expected is not None
    (after,), events = apply((before,), 1, command, actor)  # type: ignore[arg-type]
    assert after.status is expected[1]
    assert after.history[-1].by_user_id == actor.user_id and after.history[-1].at == AT
    assert events[0] == InstalmentChanged(1, status, expected[1], after.history[-1])
    assert (SchedulePerformed() in events) is (expected[1] is S.PAID)


def test_a_payment_is_missed_only_after_its_due_date() -> None:
    due = date(2026, 5, 1)
    with pytest.raises(PaymentError) as refused:
        apply((one(due=due),), 1, ReportMissed(AT, due), PAYEE)
    assert refused.value.code == "not_yet_due"
    (after,), _ = apply((one(due=due),), 1, ReportMissed(AT, date(2026, 5, 2)), PAYEE)
    assert after.status is S.MISSED


def test_a_late_payment_is_reported_and_confirmed_and_a_dispute_returns_to_missed() -> None:
    schedule: tuple[Instalment, ...] = (one(),)
    schedule, _ = apply(schedule, 1, ReportMissed(AT, date(2026, 5, 2)), PAYEE)
    assert missed(schedule) == schedule
    schedule, _ = apply(schedule, 1, ReportPaid(AT), PAYEE_ATTORNEY)
    schedule, _ = apply(schedule, 1, Dispute(AT), PAYER)
    assert schedule[0].status is S.MISSED  # it had been missed: the dispute says so again
    schedule, _ = apply(schedule, 1, ReportPaid(AT), PAYEE)
    schedule, events = apply(schedule, 1, ConfirmPaid(AT), PAYER_ATTORNEY)
    assert schedule[0].status is S.PAID and SchedulePerformed() in events
    assert [s.status for s in schedule[0].history] == [
        S.MISSED,
        S.REPORTED_PAID,
        S.MISSED,
        S.REPORTED_PAID,
        S.PAID,
    ]


def test_performed_only_when_the_last_instalment_is_confirmed() -> None:
    schedule = (one(), Instalment(2, D, P, 25_000, date(2026, 6, 1)))
    schedule, _ = apply(schedule, 1, ReportPaid(AT), PAYEE)
    schedule, events = apply(schedule, 1, ConfirmPaid(AT), PAYER)
    assert SchedulePerformed() not in events and not is_performed(schedule)
    assert totals(schedule) == (50_000, 25_000)
    schedule, _ = apply(schedule, 2, ReportPaid(AT), PAYEE)
    assert not is_performed(schedule)  # reported is not yet paid
    schedule, events = apply(schedule, 2, ConfirmPaid(AT), PAYER)
    assert SchedulePerformed() in events and is_performed(schedule)
    assert totals(schedule) == (75_000, 0)


def test_a_refused_move_changes_nothing() -> None:
    schedule = (one(),)
    for number, command, actor in (
        (2, ReportPaid(AT), PAYEE),  # no such instalment
        (1, ConfirmPaid(AT), PAYER),  # nothing reported yet
        (1, ReportPaid(AT), PAYER),  # the payer does not report receipt
        (1, ReportPaid(AT), STAFF[0]),  # the centre does not know whether money moved
    ):
        with pytest.raises(PaymentError):
            apply(schedule, number, command, actor)
    assert schedule == (one(),)
