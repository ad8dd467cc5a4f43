"""Rooms and their durable, numbered, hash-chained event logs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from odrchat.store.types import UTCDateTime, utcnow


class Room(SQLModel, table=True):
    """One conversation space of a case. `head_seq`/`head_hash` are the log's tip."""

    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("case_id", "kind", "side", name="uq_rooms_case_kind_side"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    kind: str = Field(max_length=16)  # joint | private | mediators
    side: str | None = Field(default=None, max_length=16)  # private rooms: whose
    head_seq: int = Field(default=0)
    head_hash: str = Field(default="0" * 64, max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class RoomEvent(SQLModel, table=True):
    """A stored event: chat text exactly as typed, or a case/offer/agreement event.

    `confidentiality` is the room's (joint, private, mediators) copied onto every record, so an
    export or a purge never has to guess. `hash` covers `prev_hash` and every field, making the
    log tamper-evident (`odrchat verify`).
    """

    __tablename__ = "room_events"
    __table_args__ = (
        UniqueConstraint("room_id", "seq", name="uq_room_events_room_seq"),
        UniqueConstraint("room_id", "sender_id", "client_id", name="uq_room_events_client_id"),
        # The away-notice sweep reads the last few days of events across rooms.
        Index("ix_room_events_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="rooms.id")
    seq: int
    type: str = Field(max_length=40)
    sender_id: int | None = Field(default=None, foreign_key="users.id")
    client_id: str | None = Field(default=None, max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    confidentiality: str = Field(max_length=16)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class ReadMarker(SQLModel, table=True):
    """How far one member has read in one room."""

    __tablename__ = "read_markers"

    room_id: int = Field(foreign_key="rooms.id", primary_key=True)
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    seq: int = 0
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class MessageFlag(SQLModel, table=True):
    """A mediator's flag on a message for the administrator (never disclosed automatically)."""

    __tablename__ = "message_flags"
    __table_args__ = (Index("ix_message_flags_room_seq", "room_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="rooms.id")
    seq: int
    flagged_by: int = Field(foreign_key="users.id")
    reason: str = Field(max_length=500)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
