"""instalment.due: 9:00 centre time, 3 days and 1 day before a payment the agreement calls for.

To the parties of the case, in each one's language. Only instalments still ``due`` are loaded:
once the receiving side reports a payment paid (or missed) its reminders stop. The due date is
in the key, so each instalment is reminded of once per stage across workers and restarts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.agreements import texts
from odrchat.agreements.tables import AgreementRow, InstalmentRow
from odrchat.auth.tables import User
from odrchat.cases.tables import Participant
from odrchat.reminders.engine import Letter, Recipient, Reminder, stage

__all__ = ["DueInstalment", "InstalmentSource"]


@dataclass(frozen=True, slots=True)
class DueInstalment:
    instalment_id: int
    case_id: int
    number: int
    count: int  # instalments in the schedule
    due: date
    parties: tuple[tuple[int, str], ...]  # (user id, language) of the case's active parties


class InstalmentSource:
    """A payment of a signed agreement 3 days and 1 day away and still due: to both parties."""

    name = "instalments"
    kind = "instalment.due"
    marks = (("3d", 3), ("1d", 1))
    at = time(9, 0)  # centre time

    def __init__(self, centre: ZoneInfo) -> None:
        self.centre = centre

    async def load(self, s: AsyncSession, now: datetime) -> list[DueInstalment]:
        today = now.astimezone(self.centre).date()
        first = self.marks[0][1]
        stmt = (
            select(InstalmentRow, AgreementRow.case_id)
            .join(AgreementRow, col(AgreementRow.id) == col(InstalmentRow.agreement_id))
            .where(
                col(InstalmentRow.status) == "due",
                col(InstalmentRow.due) >= today,
                col(InstalmentRow.due) <= today + timedelta(days=first + 1),
            )
        )
        found = (await s.exec(stmt)).all()
        if not found:
            return []
        agreements = {r.agreement_id for r, _ in found}
        counted = await s.exec(
            select(InstalmentRow.agreement_id, func.count())
            .where(col(InstalmentRow.agreement_id).in_(agreements))
            .group_by(col(InstalmentRow.agreement_id))
        )
        counts = dict(counted.all())
        cases = {case_id for _, case_id in found}
        parties: dict[int, list[tuple[int, str]]] = {c: [] for c in cases}
        people = await s.exec(
            select(Participant.case_id, User.id, User.language)
            .join(User, col(User.id) == col(Participant.user_id))
            .where(
                col(Participant.case_id).in_(cases),
                col(Participant.active).is_(True),
                col(Participant.role) == "party",
            )
        )
        for case_id, user_id, language in people.all():
            if user_id is not None:
                parties[case_id].append((user_id, language))
        return [
            DueInstalment(
                r.id, case_id, r.number, counts[r.agreement_id], r.due, tuple(parties[case_id])
            )
            for r, case_id in found
            if r.id is not None
        ]

    def due(self, rows: Sequence[DueInstalment], now: datetime) -> list[Reminder]:
        out = []
        for r in rows:
            marks = [
                (name, datetime.combine(r.due - timedelta(days=days), self.at, self.centre))
                for name, days in self.marks
            ]
            end = datetime.combine(r.due + timedelta(days=1), time(0, 0), self.centre)
            occurrence = stage(now, marks, end)
            if occurrence is None or not r.parties:
                continue
            words = partial(
                texts.instalment_due, number=r.number, count=r.count, due=r.due, case_id=r.case_id
            )
            letters = tuple(
                Letter(Recipient(user_id=u, language=lang), words) for u, lang in r.parties
            )
            key = f"{r.due.isoformat()}-{occurrence}"
            out.append(Reminder(self.kind, r.instalment_id, key, letters, "offers"))
        return out
