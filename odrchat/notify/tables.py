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

__all__ = [
    "DEAD",
    "PENDING",
    "SENT",
    "STATUSES",
    "UNSENT",
    "AwayNotice",
    "InboundReply",
    "OutboxMessage",
    "PhoneCode",
    "PhoneNumber",
]

PENDING = "pending"  # waiting for its (next) attempt
SENT = "sent"  # a server (SMTP, SMS provider) accepted it; nothing less
DEAD = "dead"  # refused for good, or out of attempts
UNSENT = "unsent"  # withheld on purpose (no provider, number unconfirmed, STOP); never retried
STATUSES = (PENDING, SENT, DEAD, UNSENT)

LAST_ERROR_MAX = 500


class OutboxMessage(SQLModel, table=True):
    """One outgoing message and its delivery state."""

    __tablename__: ClassVar[str] = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'dead', 'unsent')", name="ck_outbox_status"),
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
    # JSON list of [name, value]: extra email headers (List-Unsubscribe).
    headers: str = Field(
        default="[]", sa_column=Column(Text(), nullable=False, server_default="[]")
    )
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


class PhoneNumber(SQLModel, table=True):
    """What we know of one number: confirmed by code (texts may go), or opted out (none may)."""

    __tablename__: ClassVar[str] = "phone_numbers"

    number: str = Field(primary_key=True, max_length=16)  # E.164
    # Who proved by code that they receive texts at this number (the latest to do so).
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    confirmed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    # Set by a STOP reply, cleared by START; no text goes to the number while it is set.
    opted_out_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class PhoneCode(SQLModel, table=True):
    """The one pending confirmation code of a user (a new request replaces it)."""

    __tablename__: ClassVar[str] = "phone_codes"

    user_id: int = Field(primary_key=True, foreign_key="users.id")
    number: str = Field(max_length=16)
    code_hash: str = Field(max_length=64)  # HMAC-SHA256 keyed with SECRET_KEY: no offline guessing
    attempts: int = Field(default=0)
    sent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class InboundReply(SQLModel, table=True):
    """A reply we acted on, by the provider's message id: a second request for it is a replay.

    Only the id and time are kept, never the reply's text.
    """

    __tablename__: ClassVar[str] = "inbound_replies"
    __table_args__ = (Index("ix_inbound_replies_received_at", "received_at"),)  # retention

    key: str = Field(primary_key=True, max_length=80)  # "<provider>:<message id>"
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AwayNotice(SQLModel, table=True):
    """The last notice a member got about news in a room while away (odrchat.notify.away)."""

    __tablename__: ClassVar[str] = "away_notices"

    room_id: int = Field(foreign_key="rooms.id", primary_key=True)
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    sent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    seq: int  # the newest event that notice covered
