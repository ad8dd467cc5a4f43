"""Sending the survey when a mediated case closes, and taking one answer per invitation.

`invite_parties` runs inside the unit of work that closes the case (cases/unit.py), so the
invitations and their emails are stored with the closing itself and leave through the outbox
after the commit. `answer` is its own transaction: it locks the invitation, refuses a second
answer, marks it answered and stores the answer with nothing that points back (see the
package's docstring).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tokens import hash_token, new_token
from odrchat.cases.queries import case_members
from odrchat.cases.tables import Case
from odrchat.errors import Conflict, Invalid
from odrchat.notify.notifier import reader_of
from odrchat.notify.outbox import enqueue
from odrchat.store.db import Database
from odrchat.survey import texts
from odrchat.survey.tables import SurveyAnswer, SurveyInvitation

SURVEY_TTL = timedelta(days=60)
# Cases that were mediated: someone can say whether they were heard and the mediator neutral.
MEDIATED = frozenset({"settled", "impasse", "opted_out"})

State = Literal["open", "answered", "expired"]


@dataclass(frozen=True, slots=True)
class Scores:
    """What one person answered: each score 1..5 or skipped, and a comment (may be empty)."""

    heard: int | None
    neutral: int | None
    clear: int | None
    again: int | None
    comment: str


async def invite_parties(
    s: AsyncSession,
    public_url: str,
    case: Case,
    outcome: str,
    now: datetime,
    centre: ZoneInfo,
) -> int:
    """Queue a survey link to each party of a mediated case that just closed; how many."""
    if outcome not in MEDIATED or case.mediator_id is None or case.id is None:
        return 0
    asked = set(
        (
            await s.exec(
                select(SurveyInvitation.user_id).where(col(SurveyInvitation.case_id) == case.id)
            )
        ).all()
    )
    sent = 0
    for participant, user in await case_members(s, case.id):
        if participant.role != "party" or user.id is None or user.id in asked:
            continue
        token = new_token()
        expires_at = now + SURVEY_TTL
        s.add(
            SurveyInvitation(
                case_id=case.id,
                user_id=user.id,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=expires_at,
            )
        )
        t = reader_of(user, centre)  # the expiry's date in the zone they chose
        await enqueue(
            s,
            texts.survey_email(t, user.email, user.display_name, public_url, token, expires_at),
        )
        if user.phone:
            await enqueue(s, texts.survey_sms(t, user.phone))
        asked.add(user.id)
        sent += 1
    return sent


def _state(inv: SurveyInvitation, now: datetime) -> State:
    if inv.answered:
        return "answered"
    return "expired" if inv.expires_at <= now else "open"


async def _find(s: AsyncSession, token: str, *, lock: bool = False) -> SurveyInvitation:
    stmt = select(SurveyInvitation).where(col(SurveyInvitation.token_hash) == hash_token(token))
    if lock:
        stmt = stmt.with_for_update()
    inv = (await s.exec(stmt)).first()
    if inv is None:
        # As for an unknown invitation link: the link is refused, nothing is "not found".
        raise Invalid(texts.UNKNOWN, code="invalid_token")
    return inv


async def state(db: Database, token: str, now: datetime) -> State:
    """Whether the survey behind `token` may still be answered (422 for an unknown token)."""
    async with db.read() as s:
        return _state(await _find(s, token), now)


async def answer(db: Database, token: str, scores: Scores, now: datetime, tz: ZoneInfo) -> None:
    """Store one answer for the invitation, once; the answer keeps no link to it."""
    if all(getattr(scores, q) is None for q in ("heard", "neutral", "clear", "again")):
        raise Invalid(texts.NOTHING)
    async with db.session() as s:
        inv = await _find(s, token, lock=True)
        current = _state(inv, now)
        if current == "answered":
            raise Conflict(texts.ANSWERED, code="already_answered")
        if current == "expired":
            raise Conflict(texts.EXPIRED, code="expired")
        inv.answered = True
        s.add(inv)
        s.add(
            SurveyAnswer(
                id=uuid.uuid4().hex,
                heard=scores.heard,
                neutral=scores.neutral,
                clear=scores.clear,
                again=scores.again,
                comment=scores.comment,
                month=now.astimezone(tz).strftime("%Y-%m"),
            )
        )
