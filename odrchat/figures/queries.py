"""The rows the programme figures need, read without names, case numbers or message text.

Each query selects only the columns `compute.CaseFacts` holds (kind, status, times, the
mediator's id as an opaque key, how many sides consented, when the first chat message came);
nothing that names a case or a person is ever selected, so it cannot leak into the figures.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.agreements.tables import AgreementRow, InstalmentRow
from odrchat.cases.tables import Case, ConsentRow
from odrchat.figures.compute import CaseFacts, InstalmentFacts, SurveyScores
from odrchat.rooms.tables import Room, RoomEvent
from odrchat.survey.tables import SurveyAnswer

CHAT = "chat.message"


def bounds(since: date | None, until: date | None, tz: ZoneInfo) -> tuple[datetime | None, ...]:
    """The filing times [start, end) of the days since..until (inclusive) in the centre's zone."""
    start = datetime.combine(since, time(0), tz) if since else None
    end = datetime.combine(until + timedelta(days=1), time(0), tz) if until else None
    return start, end


async def case_facts(
    s: AsyncSession, since: date | None, until: date | None, tz: ZoneInfo
) -> list[CaseFacts]:
    """One `CaseFacts` per case filed in the period."""
    start, end = bounds(since, until, tz)
    period = []
    if start is not None:
        period.append(col(Case.created_at) >= start)
    if end is not None:
        period.append(col(Case.created_at) < end)
    stmt = sa_select(
        col(Case.id),
        col(Case.kind),
        col(Case.status),
        col(Case.created_at),
        col(Case.closed_at),
        col(Case.mediator_id),
    ).where(*period)
    rows = (await (await s.connection()).execute(stmt)).all()
    if not rows:
        return []
    ids = select(Case.id).where(*period)

    sides = dict(
        (
            await s.exec(
                select(ConsentRow.case_id, func.count(func.distinct(ConsentRow.side)))
                .where(col(ConsentRow.case_id).in_(ids))
                .group_by(col(ConsentRow.case_id))
            )
        ).all()
    )
    first = dict(
        (
            await s.exec(
                select(Room.case_id, func.min(RoomEvent.at))
                .join(RoomEvent, col(RoomEvent.room_id) == col(Room.id))
                .where(col(Room.case_id).in_(ids), col(RoomEvent.type) == CHAT)
                .group_by(col(Room.case_id))
            )
        ).all()
    )
    return [
        CaseFacts(
            kind=kind,
            status=status,
            filed_at=_aware(created_at) or created_at,
            closed_at=_aware(closed_at),
            mediator=mediator_id,
            sides_consented=int(sides.get(case_id or 0, 0)),
            first_message_at=_aware(first.get(case_id or 0)),
        )
        for case_id, kind, status, created_at, closed_at, mediator_id in rows
    ]


def _aware(at: datetime | None) -> datetime | None:
    """min() over a UTC column comes back naive from SQLite: it is UTC."""
    if at is not None and at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at


async def survey_scores(
    s: AsyncSession, since: date | None, until: date | None
) -> list[SurveyScores]:
    """The anonymous survey answers given in the months of the period (answers keep only
    their month): the scores, never the comment."""
    stmt = select(SurveyAnswer.heard, SurveyAnswer.neutral, SurveyAnswer.clear, SurveyAnswer.again)
    if since is not None:
        stmt = stmt.where(col(SurveyAnswer.month) >= since.strftime("%Y-%m"))
    if until is not None:
        stmt = stmt.where(col(SurveyAnswer.month) <= until.strftime("%Y-%m"))
    return [SurveyScores(*row) for row in (await s.exec(stmt)).all()]


async def survey_comments(
    s: AsyncSession, since: date | None, until: date | None
) -> list[tuple[str, str]]:
    """(month, comment) of the survey answers with a comment in the months of the period,
    newest month first: never the scores beside it, nothing that points to a case."""
    stmt = select(SurveyAnswer.month, SurveyAnswer.comment).where(col(SurveyAnswer.comment) != "")
    if since is not None:
        stmt = stmt.where(col(SurveyAnswer.month) >= since.strftime("%Y-%m"))
    if until is not None:
        stmt = stmt.where(col(SurveyAnswer.month) <= until.strftime("%Y-%m"))
    # Within a month, by the random id: no order that follows when people answered.
    stmt = stmt.order_by(col(SurveyAnswer.month).desc(), col(SurveyAnswer.id))
    return [(month, comment) for month, comment in (await s.exec(stmt)).all()]


async def instalments(
    s: AsyncSession, since: date | None, until: date | None, tz: ZoneInfo
) -> list[InstalmentFacts]:
    """The payment schedules of the agreements of cases filed in the period: due dates, states
    and the day each was last reported paid (the history's user ids are dropped here)."""
    start, end = bounds(since, until, tz)
    stmt = (
        sa_select(
            col(InstalmentRow.agreement_id),
            col(InstalmentRow.due),
            col(InstalmentRow.status),
            col(InstalmentRow.history),
        )
        .join(AgreementRow, col(AgreementRow.id) == col(InstalmentRow.agreement_id))
        .join(Case, col(Case.id) == col(AgreementRow.case_id))
    )
    if start is not None:
        stmt = stmt.where(col(Case.created_at) >= start)
    if end is not None:
        stmt = stmt.where(col(Case.created_at) < end)
    rows = (await (await s.connection()).execute(stmt)).all()
    return [
        InstalmentFacts(agreement_id, due, status, _reported_paid_on(history, tz))
        for agreement_id, due, status, history in rows
    ]


def _reported_paid_on(history: str, tz: ZoneInfo) -> date | None:
    """The day of the last "reported_paid" step, in the centre's zone."""
    days = [
        datetime.fromisoformat(step["at"]).astimezone(tz).date()
        for step in json.loads(history or "[]")
        if step.get("status") == "reported_paid"
    ]
    return days[-1] if days else None
