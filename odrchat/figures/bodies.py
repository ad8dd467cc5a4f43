"""The programme figures' query and answer (GET /api/admin/metrics)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from odrchat.bodies import Choice, Day, Query, Reply, Timestamp

Count = int | None  # null: fewer than 5 cases (or answers), not published


class MetricsQuery(Query):
    since: Annotated[date, Day()] | None = Field(
        None, description="cases filed on or after this day (the centre's time zone)"
    )
    until: Annotated[date, Day()] | None = Field(
        None, description="cases filed on or before this day (the centre's time zone)"
    )
    format: Annotated[str, Choice(("json", "csv"))] | None = Field(
        None, description="csv for a table (also chosen by Accept: text/csv)"
    )


class KindMonth(Reply):
    month: str
    kind: str
    cases: Count


class MonthCount(Reply):
    month: str
    cases: Count


class KindCount(Reply):
    kind: str
    cases: Count


class RateFigure(Reply):
    eligible: Count
    count: Count
    share: float | None = Field(description="count / eligible, 0..1")


class OutcomeFigure(Reply):
    outcome: str
    cases: Count
    share: float | None = Field(description="of the closed cases, 0..1")


class DurationFigure(Reply):
    measure: str = Field(description="first_message or agreement")
    cases: Count
    median_days: float | None
    p90_days: float | None


class MediatorLoad(Reply):
    mediators: int
    open_median: float | None
    open_max: int | None
    cases_median: float | None


class Payments(Reply):
    """Agreed payments over the instalments that fell due (null: fewer than 5)."""

    tracked: bool
    agreements: Count = Field(description="signed agreements with a payment schedule")
    fallen_due: Count
    on_time: Count = Field(description="confirmed paid, reported paid by the due date")
    late: Count = Field(description="confirmed paid after the due date")
    unpaid: Count = Field(description="past due and not confirmed paid")
    on_time_share: float | None


class QuestionFigure(Reply):
    question: str
    answers: Count
    average: float | None


class SurveyFigures(Reply):
    answers: Count
    questions: list[QuestionFigure]


class Metrics(Reply):
    """Programme figures: counts, shares and days, with small cells suppressed (null)."""

    generated_at: Timestamp
    since: date | None
    until: date | None
    small_cell: int
    suppressed: str
    cases: Count
    months: list[str]
    kinds: list[str]
    by_kind_month: list[KindMonth]
    by_month: list[MonthCount]
    by_kind: list[KindCount]
    participation: RateFigure
    consent: RateFigure
    closed: Count
    outcomes: list[OutcomeFigure]
    durations: list[DurationFigure]
    mediator_load: MediatorLoad
    payments: Payments
    survey: SurveyFigures


class CommentsQuery(Query):
    since: Annotated[date, Day()] | None = Field(
        None, description="comments answered in this day's month or later"
    )
    until: Annotated[date, Day()] | None = Field(
        None, description="comments answered in this day's month or earlier"
    )


class SurveyComment(Reply):
    month: str = Field(description="YYYY-MM, the month it was answered (answers keep no day)")
    comment: str


class SurveyComments(Reply):
    """What people wrote in the survey, newest month first: no case, no name, no scores."""

    comments: list[SurveyComment]
