"""Programme figures from plain facts: the numbers a court and funders ask for every year.

Pure and synchronous (standard library only). The query module hands in `CaseFacts` and
`SurveyScores` that carry no names, no case numbers and no message text, so nothing computed
here can contain them either.

Rules this module keeps:
- Filing is the moment the case was opened in odrchat (`cases.created_at`); months are counted
  in the centre's time zone.
- Small cells: a count of 1 to 4 cases is never published (`None`, shown as "fewer than 5");
  neither is a share, a median, a percentile or an average computed from fewer than 5 cases
  or answers. Zero is published: it says nothing about anyone.
- Complementary suppression: where a total is published, a single hidden cell could be
  recovered by subtraction, so the smallest visible cell of that group is hidden too (rows and
  columns of the kind-by-month table, and the outcomes against the number of closed cases).
- Percentiles interpolate between ranks (`statistics.quantiles(..., method="inclusive")`), so
  the 90th percentile of 1..10 days is 9.1 days.

Known gap: figures for a narrow date range can still single out a case to someone who knows
when it was filed; the suppression only protects counts, not knowledge from elsewhere.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import TypeVar

SMALL = 5  # cells of fewer than this many cases are suppressed
KINDS = ("small_claims", "unlawful_detainer", "civil_harassment", "community")
OUTCOMES = ("settled", "impasse", "opted_out", "declined", "expired")
NOT_JOINED = frozenset({"invited", "declined", "expired"})
OPEN = frozenset({"in_mediation"})
QUESTIONS = ("heard", "neutral", "clear", "again")

Cell = int | None  # None: fewer than SMALL, not published
K = TypeVar("K", str, tuple[str, str])


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the figures may know about one case (nothing that names it or anyone in it)."""

    kind: str
    status: str
    filed_at: datetime
    closed_at: datetime | None = None
    mediator: int | None = None  # an opaque key for the load figures; never published
    sides_consented: int = 0
    first_message_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SurveyScores:
    """One anonymous survey answer: four scores from 1 to 5 (any may be skipped)."""

    heard: int | None
    neutral: int | None
    clear: int | None
    again: int | None


@dataclass(frozen=True, slots=True)
class InstalmentFacts:
    """One payment a signed agreement calls for: when it was due, its state, and the day (in
    the centre's zone) the receiving side last reported it paid."""

    agreement: int  # an opaque key, to count agreements; never published
    due: date
    status: str  # due | reported_paid | paid | missed
    reported_paid_on: date | None = None


@dataclass(frozen=True, slots=True)
class PaymentFigures:
    """How agreed payments went, over the instalments that have fallen due.

    On time: confirmed paid, and reported paid on or before the due date. Late: confirmed paid
    after it. Not paid: past due and not confirmed (missed, still due, or reported and waiting
    for the paying side's confirmation)."""

    tracked: bool
    agreements: Cell = 0
    fallen_due: Cell = 0
    on_time: Cell = 0
    late: Cell = 0
    unpaid: Cell = 0
    on_time_share: float | None = None


def payments(instalments: Iterable[InstalmentFacts], today: date) -> PaymentFigures:
    """Payment performance; nothing is published for fewer than 5 agreements."""
    rows = list(instalments)
    agreements = len({i.agreement for i in rows})
    if agreements == 0:
        return PaymentFigures(True)
    if agreements < SMALL:
        return PaymentFigures(True, None, None, None, None, None)
    fallen = [i for i in rows if i.due < today or i.status == "paid"]
    on_time = sum(
        1
        for i in fallen
        if i.status == "paid" and i.reported_paid_on is not None and i.reported_paid_on <= i.due
    )
    paid = sum(1 for i in fallen if i.status == "paid")
    counts = protect({"on_time": on_time, "late": paid - on_time, "unpaid": len(fallen) - paid})
    return PaymentFigures(
        True,
        agreements,
        cell(len(fallen)),
        counts["on_time"],
        counts["late"],
        counts["unpaid"],
        share(on_time, len(fallen)) if counts["on_time"] is not None else None,
    )


@dataclass(frozen=True, slots=True)
class Rate:
    """`part` of `whole`, with the share (0..1) when both may be published."""

    whole: Cell
    part: Cell
    share: float | None


@dataclass(frozen=True, slots=True)
class Duration:
    """Days from filing to a moment, over the cases that reached it."""

    measure: str
    cases: Cell
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True, slots=True)
class Load:
    """How cases spread over mediators (no mediator is named or numbered)."""

    mediators: int
    open_median: float | None
    open_max: int | None
    cases_median: float | None


@dataclass(frozen=True, slots=True)
class Question:
    question: str
    answers: Cell
    average: float | None


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything the Figures page and the export show."""

    cases: Cell
    months: tuple[str, ...]
    by_kind_month: Mapping[tuple[str, str], Cell]  # (month "YYYY-MM", kind) -> cases
    by_month: Mapping[str, Cell]
    by_kind: Mapping[str, Cell]
    participation: Rate
    consent: Rate
    closed: Cell
    outcomes: Mapping[str, Cell]
    outcome_shares: Mapping[str, float | None]
    durations: tuple[Duration, ...]
    load: Load
    survey_answers: Cell
    survey: tuple[Question, ...]
    payments: PaymentFigures = field(default_factory=lambda: PaymentFigures(False))


def cell(n: int) -> Cell:
    """A count as published: itself, or None when it is 1 to 4."""
    return None if 0 < n < SMALL else n


def protect(counts: Mapping[K, int]) -> dict[K, Cell]:
    """Suppress small counts of one group whose total is published, and one more cell when a
    single hidden one could be worked out from the total."""
    out = {k: cell(v) for k, v in counts.items()}
    _complement(out, counts)
    return out


def _complement(out: dict[K, Cell], counts: Mapping[K, int]) -> bool:
    hidden = [k for k, v in out.items() if v is None]
    if len(hidden) != 1:
        return False
    visible = sorted((counts[k], k) for k, v in out.items() if v)
    if not visible:
        return False
    out[visible[0][1]] = None
    return True


def protect_table(counts: Mapping[tuple[str, str], int]) -> dict[tuple[str, str], Cell]:
    """Small-cell and complementary suppression of a two-way table whose row and column
    totals are both published: repeat over rows and columns until nothing changes."""
    out: dict[tuple[str, str], Cell] = {k: cell(v) for k, v in counts.items()}
    changed = True
    while changed:
        changed = False
        for axis in (0, 1):
            for key in {k[axis] for k in counts}:
                group = {k: v for k, v in out.items() if k[axis] == key}
                sub_counts = {k: counts[k] for k in group}
                sub: dict[tuple[str, str], Cell] = dict(group)
                if _complement(sub, sub_counts):
                    out.update(sub)
                    changed = True
    return out


def share(part: int, whole: int) -> float | None:
    """part/whole rounded to 3 places, unless either is a suppressed count."""
    if whole == 0 or cell(part) is None or cell(whole) is None:
        return None
    return round(part / whole, 3)


def days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400


def duration(measure: str, values: Sequence[float]) -> Duration:
    """Median and 90th percentile of `values` (days), suppressed under SMALL of them."""
    if len(values) < SMALL:
        return Duration(measure, cell(len(values)), None, None)
    ordered = sorted(values)
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[8]
    return Duration(measure, len(values), round(statistics.median(ordered), 1), round(p90, 1))


def month(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m")


def compute(
    cases: Iterable[CaseFacts],
    answers: Iterable[SurveyScores],
    *,
    tz: tzinfo,
    instalments: Iterable[InstalmentFacts] | None = None,
    today: date | None = None,
) -> Figures:
    """The programme figures of `cases` and the survey `answers`, suppressed for publication;
    payment performance when `instalments` are given (None: payments are not tracked)."""
    facts = list(cases)
    total = len(facts)

    table = Counter((month(c.filed_at, tz), c.kind) for c in facts)
    months = tuple(sorted({m for m, _ in table}))
    kinds = [k for k in KINDS if any(c.kind == k for c in facts)] + sorted(
        {c.kind for c in facts} - set(KINDS)
    )
    full = {(m, k): table.get((m, k), 0) for m in months for k in kinds}
    by_month = Counter(m for m, _ in table.elements())
    by_kind = Counter(k for _, k in table.elements())

    past_invitation = [c for c in facts if c.status != "invited"]
    joined = [c for c in past_invitation if c.status not in NOT_JOINED]
    consented = [c for c in joined if c.sides_consented >= 2]

    closed = [c for c in facts if c.status in OUTCOMES]
    outcome_counts = Counter(c.status for c in closed)
    outcomes = protect({o: outcome_counts.get(o, 0) for o in OUTCOMES})

    first = [days(c.filed_at, c.first_message_at) for c in facts if c.first_message_at]
    settled = [
        days(c.filed_at, c.closed_at) for c in closed if c.status == "settled" and c.closed_at
    ]

    per_mediator = Counter(c.mediator for c in facts if c.mediator is not None)
    open_load = Counter(c.mediator for c in facts if c.mediator is not None and c.status in OPEN)
    open_counts = [open_load.get(m, 0) for m in per_mediator]
    load = Load(
        mediators=len(per_mediator),
        open_median=float(statistics.median(open_counts)) if open_counts else None,
        open_max=max(open_counts) if open_counts else None,
        cases_median=float(statistics.median(per_mediator.values())) if per_mediator else None,
    )

    scored = list(answers)
    questions = []
    for q in QUESTIONS:
        given = [v for a in scored if (v := getattr(a, q)) is not None]
        average = round(statistics.fmean(given), 2) if len(given) >= SMALL else None
        questions.append(Question(q, cell(len(given)), average))

    return Figures(
        cases=cell(total),
        months=months,
        by_kind_month=protect_table(full),
        by_month=protect({m: by_month[m] for m in months}),
        by_kind=protect({k: by_kind[k] for k in kinds}),
        participation=Rate(
            cell(len(past_invitation)), cell(len(joined)), share(len(joined), len(past_invitation))
        ),
        consent=Rate(cell(len(joined)), cell(len(consented)), share(len(consented), len(joined))),
        closed=cell(len(closed)),
        outcomes=outcomes,
        outcome_shares={
            o: (share(outcome_counts.get(o, 0), len(closed)) if outcomes[o] is not None else None)
            for o in OUTCOMES
        },
        durations=(duration("first_message", first), duration("agreement", settled)),
        load=load,
        survey_answers=cell(len(scored)),
        survey=tuple(questions),
        payments=(
            payments(instalments, today or datetime.now(tz).date())
            if instalments is not None
            else PaymentFigures(False)
        ),
    )
