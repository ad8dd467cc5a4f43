"""GET /api/admin/metrics: the programme figures as JSON, or as CSV (?format=csv or
Accept: text/csv). Administrators only; the answer holds counts and days, never names, case
numbers or message text (see compute.py and queries.py)."""

from __future__ import annotations

from starlette.responses import Response

from odrchat import audit
from odrchat.api import Call, Endpoint
from odrchat.figures import queries, report
from odrchat.figures.bodies import CommentsQuery, Metrics, MetricsQuery, SurveyComments
from odrchat.figures.compute import compute
from odrchat.store.types import utcnow

__all__ = ["ENDPOINTS"]

CSV = "text/csv"


async def metrics(call: Call[None]) -> Metrics | Response:
    """Programme figures for cases filed in the period (all time without since/until)."""
    q = call.query
    assert isinstance(q, MetricsQuery)
    tz = call.services.settings.tz
    async with call.services.db.read() as s:
        cases = await queries.case_facts(s, q.since, q.until, tz)
        answers = await queries.survey_scores(s, q.since, q.until)
        paid = await queries.instalments(s, q.since, q.until, tz)
    figures = compute(cases, answers, tz=tz, instalments=paid)
    wants_csv = q.format == "csv" or (
        q.format is None and CSV in call.request.headers.get("accept", "")
    )
    if wants_csv:
        name = f"odr-figures-{q.since or 'start'}-{q.until or utcnow().date()}.csv"
        return Response(
            report.to_csv(figures, since=q.since, until=q.until),
            media_type=CSV,
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
    return Metrics.model_validate(
        report.to_json(figures, since=q.since, until=q.until, now=utcnow())
    )


async def survey_comments(call: Call[None]) -> SurveyComments:
    """The survey's comments answered in the months of the period (all without since/until):
    for administrators only, each with its month, never beside its scores; reading them is
    audited. Mediators and parties never see them."""
    q = call.query
    assert isinstance(q, CommentsQuery)
    assert call.current is not None
    async with call.services.db.session() as s:
        found = await queries.survey_comments(s, q.since, q.until)
        period = {"since": q.since, "until": q.until, "comments": len(found)}
        await audit.record(s, call.current.user.id, "survey.comments_read", None, period)
    return SurveyComments.model_validate(
        {"comments": [{"month": month, "comment": text} for month, text in found]}
    )


ENDPOINTS = (
    Endpoint(
        "GET",
        "/api/admin/metrics",
        metrics,
        "Programme figures (JSON or CSV)",
        access="admin",
        query=MetricsQuery,
        reply=Metrics,
        alternates=(CSV,),
        tag="admin",
    ),
    Endpoint(
        "GET",
        "/api/admin/survey/comments",
        survey_comments,
        "Survey comments, with their month",
        access="admin",
        query=CommentsQuery,
        reply=SurveyComments,
        tag="admin",
    ),
)
