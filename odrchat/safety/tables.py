"""Screening answers and help requests as stored rows.

Both are confidential to the case's mediators and CCR administration: nothing here is ever put
in a room event, a transcript, an email, a text, a log line or a court paper. A help request
stores no words from the party at all, only which of four plain reasons they picked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from odrchat.store.types import UTCDateTime, utcnow


class Screening(SQLModel, table=True):
    """One party's newest screening answers in one case (answering again replaces them)."""

    __tablename__ = "screenings"
    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_screenings_case_user"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    user_id: int = Field(foreign_key="users.id")
    side: str = Field(max_length=16)
    protective_order: str = Field(max_length=8)  # an Order value
    afraid: bool
    support_person: bool
    accommodation: bool
    note: str | None = Field(default=None, sa_column=Column(Text()))
    flagged: bool
    answered_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class HelpRequest(SQLModel, table=True):
    """A party pressed "need help": who, where, which reason, who was told, and who dealt
    with it."""

    __tablename__ = "help_requests"
    __table_args__ = (Index("ix_help_requests_case_user_at", "case_id", "user_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    user_id: int = Field(foreign_key="users.id")
    side: str = Field(max_length=16)
    room_id: int | None = Field(default=None, foreign_key="rooms.id")
    reason: str = Field(max_length=16)  # a help.Reason value
    mediators_online: bool
    admins_told: bool
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # A mediator or administrator dealt with it (None: still open).
    handled_by: int | None = Field(default=None, foreign_key="users.id")
    handled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
