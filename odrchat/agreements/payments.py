"""Paying what was agreed: the payment schedule of a signed agreement and each instalment's state.

Pure: no I/O, no clock. The coordinator (`odrchat.agreements.paying`) builds the schedule from
the agreed terms once the agreement is signed, loads instalments, calls `apply`, and writes
what the events say.

Rules
-----
* The schedule is derived from the agreed terms only: every payment term gives one instalment
  per due date (a lump sum is one instalment), numbered 1.. in order of due date, then of the
  term's place in the agreement. Amounts are integer cents; the instalments of a term add up
  to its total (the terms parser already refuses anything else).
* An instalment runs ``due -> reported_paid -> paid``, or ``due -> missed``:
  - the receiving party (the payee's side) reports it paid (`ReportPaid`) when the money
    arrived, and the paying party (the payer's side) confirms (`ConfirmPaid`): both sides agree
    that it was paid before it counts as paid;
  - the receiving party reports it missed (`ReportMissed`), only after its due date has passed;
    the paying party is told, and a late payment is then reported paid from ``missed`` and
    confirmed like any other;
  - a paying party who disagrees with a report of payment (it was not the amount, or not yet)
    sends it back (`Dispute`): ``reported_paid`` returns to ``due``, or to ``missed`` when it
    had been reported missed before.
* Only parties and attorneys act, each for their own side. Mediators, co-mediators, observers
  and admins never mark payments: the parties know whether money moved, the centre does not.
* Every step records who and when; `paid` is final. When every instalment is paid the schedule
  is performed (`is_performed`).
* Every illegal move raises `PaymentError` and returns nothing: the old instalment is unchanged.

Known gaps: only money terms are tracked; moving out, returning property and staying away are
not (the case record says "performed" for the payments alone, and says so). A payment made in
part is not a state: the receiving party reports an instalment paid only when all of it came.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from odrchat.cases.roles import Actor, Role, Side
from odrchat.offers.terms import InstallmentPlan, LumpSum, Payment, Term


class InstalmentStatus(enum.StrEnum):
    DUE = "due"
    REPORTED_PAID = "reported_paid"
    PAID = "paid"
    MISSED = "missed"


class PaymentError(Exception):
    """An illegal move; `code` is stable for clients, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Step:
    """One change of an instalment: to which status, by whom, when."""

    status: InstalmentStatus
    by_user_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Instalment:
    number: int
    payer: Side
    payee: Side
    amount_cents: int
    due: date
    status: InstalmentStatus = InstalmentStatus.DUE
    history: tuple[Step, ...] = ()

    @property
    def was_missed(self) -> bool:
        """Whether the receiving party ever reported this instalment missed."""
        return any(s.status is InstalmentStatus.MISSED for s in self.history)


def schedule_of(terms: Iterable[Term]) -> tuple[Instalment, ...]:
    """The instalments the agreed terms call for, numbered in order of due date."""
    parts: list[tuple[date, int, int, Payment, int]] = []
    for place, term in enumerate(terms):
        if not isinstance(term, Payment):
            continue
        if isinstance(term.schedule, LumpSum):
            parts.append((term.schedule.due, place, 0, term, term.amount_cents))
        elif isinstance(term.schedule, InstallmentPlan):
            for index, part in enumerate(term.schedule.installments):
                parts.append((part.due, place, index, term, part.amount_cents))
    parts.sort(key=lambda p: (p[0], p[1], p[2]))
    return tuple(
        Instalment(n, term.payer, term.payee, cents, due)
        for n, (due, _, _, term, cents) in enumerate(parts, 1)
    )


# Commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportPaid:
    at: datetime


@dataclass(frozen=True, slots=True)
class ConfirmPaid:
    at: datetime


@dataclass(frozen=True, slots=True)
class Dispute:
    at: datetime


@dataclass(frozen=True, slots=True)
class ReportMissed:
    at: datetime
    today: date  # the centre's calendar day at `at`: missed only once the due date has passed


Command = ReportPaid | ConfirmPaid | Dispute | ReportMissed


# Events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstalmentChanged:
    number: int
    before: InstalmentStatus
    after: InstalmentStatus
    step: Step


@dataclass(frozen=True, slots=True)
class SchedulePerformed:
    """The last instalment was confirmed paid."""


Event = InstalmentChanged | SchedulePerformed


class Who(enum.StrEnum):
    PAYEE = "payee"  # the receiving side
    PAYER = "payer"  # the paying side


# status -> command -> (whose side acts, status after). Dispute's status after depends on the
# history (back to missed if it had been missed), so `apply` decides that one step.
_Rule = tuple[Who, InstalmentStatus]
TRANSITIONS: Mapping[InstalmentStatus, Mapping[type[Command], _Rule]] = {
    InstalmentStatus.DUE: {
        ReportPaid: (Who.PAYEE, InstalmentStatus.REPORTED_PAID),
        ReportMissed: (Who.PAYEE, InstalmentStatus.MISSED),
    },
    InstalmentStatus.REPORTED_PAID: {
        ConfirmPaid: (Who.PAYER, InstalmentStatus.PAID),
        Dispute: (Who.PAYER, InstalmentStatus.DUE),
    },
    InstalmentStatus.MISSED: {
        ReportPaid: (Who.PAYEE, InstalmentStatus.REPORTED_PAID),
    },
    InstalmentStatus.PAID: {},
}
_ACTORS = frozenset({Role.PARTY, Role.ATTORNEY})


def may(instalment: Instalment, command: type[Command], actor: Actor) -> bool:
    """Whether `actor` may give `command` now (ReportMissed still needs the due date past)."""
    rule = TRANSITIONS[instalment.status].get(command)
    return rule is not None and _refusal(instalment, rule[0], actor) is None


def apply(
    schedule: Sequence[Instalment], number: int, command: Command, actor: Actor
) -> tuple[tuple[Instalment, ...], tuple[Event, ...]]:
    """Decide `command` by `actor` on instalment `number`; the new schedule and its events."""
    if actor.role not in _ACTORS or actor.side is None:
        raise PaymentError("forbidden", "only the parties mark payments")
    found = next((i for i in schedule if i.number == number), None)
    if found is None:
        raise PaymentError("not_found", f"there is no payment number {number}")
    rule = TRANSITIONS[found.status].get(type(command))
    if rule is None:
        raise PaymentError(
            "wrong_status", f"{type(command).__name__} is not allowed while it is {found.status}"
        )
    who, after = rule
    refused = _refusal(found, who, actor)
    if refused is not None:
        raise refused
    if isinstance(command, ReportMissed) and command.today <= found.due:
        raise PaymentError("not_yet_due", "a payment is missed only after its due date")
    if isinstance(command, Dispute) and found.was_missed:
        after = InstalmentStatus.MISSED
    step = Step(after, actor.user_id, command.at)
    changed = replace(found, status=after, history=(*found.history, step))
    new = tuple(changed if i.number == number else i for i in schedule)
    events: list[Event] = [InstalmentChanged(number, found.status, after, step)]
    if after is InstalmentStatus.PAID and is_performed(new):
        events.append(SchedulePerformed())
    return new, tuple(events)


def _refusal(instalment: Instalment, who: Who, actor: Actor) -> PaymentError | None:
    side = instalment.payee if who is Who.PAYEE else instalment.payer
    if actor.role not in _ACTORS or actor.side is not side:
        does = "receiving" if who is Who.PAYEE else "paying"
        return PaymentError("forbidden", f"only the {does} side may do this")
    return None


def is_performed(schedule: Sequence[Instalment]) -> bool:
    """Every instalment confirmed paid (an empty schedule is never 'performed')."""
    return bool(schedule) and all(i.status is InstalmentStatus.PAID for i in schedule)


def missed(schedule: Sequence[Instalment]) -> tuple[Instalment, ...]:
    """The instalments standing as missed now."""
    return tuple(i for i in schedule if i.status is InstalmentStatus.MISSED)


def totals(schedule: Sequence[Instalment]) -> tuple[int, int]:
    """(cents confirmed paid, cents not yet confirmed paid)."""
    paid = sum(i.amount_cents for i in schedule if i.status is InstalmentStatus.PAID)
    return paid, sum(i.amount_cents for i in schedule) - paid
