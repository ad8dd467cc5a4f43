"""Survey rows: who was asked (with a one-time token) and the answers, with no key between them.

See `odrchat.survey` for why the two share nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from odrchat.store.types import UTCDateTime, utcnow

SCORES = ("heard", "neutral", "clear", "again")


class SurveyInvitation(SQLModel, table=True):
    """One party asked about one case: their token's hash and whether they answered (not when)."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("case_id", "user_id", name="uq_survey_invitations_case_user"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    user_id: int = Field(foreign_key="users.id")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    answered: bool = Field(default=False)


def _score(name: str) -> CheckConstraint:
    return CheckConstraint(f"{name} IS NULL OR {name} BETWEEN 1 AND 5", name=f"ck_survey_{name}")


class SurveyAnswer(SQLModel, table=True):
    """One anonymous answer: four scores from 1 to 5 (any may be skipped), a comment, a month."""

    __tablename__ = "survey_answers"
    __table_args__ = tuple(_score(name) for name in SCORES)

    id: str = Field(primary_key=True, max_length=32)  # random (uuid4 hex): no order to read
    heard: int | None = Field(default=None)
    neutral: int | None = Field(default=None)
    clear: int | None = Field(default=None)
    again: int | None = Field(default=None)
    comment: str = Field(default="", sa_column=Column(Text(), nullable=False, server_default=""))
    month: str = Field(max_length=7, index=True)  # "YYYY-MM" in the centre's time zone
