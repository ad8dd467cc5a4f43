"""The outbox table: every email and text message the server means to send, until it is sent.

A row is written in the same transaction as the action that caused it, so a message exists if
and only if the action committed. ``next_attempt_at`` doubles as the claim lease: a worker that
takes a row pushes it into the future before sending, so no other worker sees it as due.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from odrchat.store.types import UTCDateTime, utcnow

__all__ = ["DEAD", "PENDING", "SENT", "STATUSES", "UNSENT", "OutboxMessage"]

PENDING = "pending"  # waiting for its (next) attempt
SENT = "sent"  # a server (SMTP, SMS provider) accepted it; nothing less
DEAD = "dead"  # refused for good, or out of attempts
UNSENT = "unsent"  # its channel has no provider configured; last_error says so; never retried
STATUSES = (PENDING, SENT, DEAD, UNSENT)

LAST_ERROR_MAX = 500


class OutboxMessage(SQLModel, table=True):
    """One outgoing message and its delivery state."""

    __tablename__: ClassVar[str] = "outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sent', 'dead', 'unsent')", name="ck_outbox_status"
        ),
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
        # The sender's one query: due pending rows, oldest first.
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # A name in odrchat.notify.outbox.RENDERERS; no CHECK, so a new channel needs no migration.
    channel: str = Field(max_length=8)
    recipient: str = Field(max_length=320)
    subject: str = Field(default="", sa_column=Column(Text(), nullable=False))
    body_text: str = Field(sa_column=Column(Text(), nullable=False))
    body_html: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    # JSON list of {"filename", "content_type", "data" (base64)}: readable from any SQL shell.
    attachments: str = Field(default="[]", sa_column=Column(Text(), nullable=False))
    status: str = Field(default=PENDING, max_length=8)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_error: str | None = Field(default=None, max_length=LAST_ERROR_MAX)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    dedupe_key: str | None = Field(default=None, max_length=200)
