"""Reminders that fired: one row per occurrence, the key that makes a sweep idempotent."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from odrchat.store.types import UTCDateTime

__all__ = ["FiredReminder"]


class FiredReminder(SQLModel, table=True):
    """A reminder occurrence that was queued, by ``<kind>:<subject>:<occurrence>``.

    The row is inserted in the transaction that queues the reminder's messages, with ``ON
    CONFLICT DO NOTHING``: of two workers sweeping at once, exactly one inserts it and sends.
    """

    __tablename__: ClassVar[str] = "reminders_fired"
    __table_args__ = (Index("ix_reminders_fired_at", "fired_at"),)  # the retention sweep

    key: str = Field(primary_key=True, max_length=200)
    kind: str = Field(max_length=40)
    fired_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
