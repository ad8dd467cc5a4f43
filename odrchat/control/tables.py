"""Room control and relays as stored rows (the current state; the history is in the room logs).

`CaseControl` and `MemberControl` hold what `odrchat.control.machine.ControlState` says for a
case; `HiddenMessage` one hidden chat message; `Relay` one request to share words from a private
room with the other side. Relayed text is a mediation communication: it is purged with the
transcripts (`odrchat.records`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from odrchat.store.types import UTCDateTime, utcnow


class CaseControl(SQLModel, table=True):
    """Caucus-only mode and pause of one case (no row: neither)."""

    __tablename__ = "case_controls"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    caucus: bool = Field(default=False)
    safety: bool = Field(default=False)  # caucus forced on by a safety concern
    paused: bool = Field(default=False)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class MemberControl(SQLModel, table=True):
    """A participant's mute and removal from the joint room, in one case."""

    __tablename__ = "member_controls"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    muted_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    removed: bool = Field(default=False)


class HiddenMessage(SQLModel, table=True):
    """A chat message the mediator hid from the parties (kept in the record)."""

    __tablename__ = "hidden_messages"

    room_id: int = Field(foreign_key="rooms.id", primary_key=True)
    seq: int = Field(primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    hidden_by: int = Field(foreign_key="users.id")
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Relay(SQLModel, table=True):
    """Words from one side's private room on their way to the other side."""

    __tablename__ = "relays"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    source_room_id: int = Field(foreign_key="rooms.id")
    source_seq: int | None = Field(default=None)  # the chat message relayed
    offer_id: int | None = Field(default=None)  # or the offer summarised
    side: str = Field(max_length=16)  # whose private room
    text: str = Field(sa_column=Column(Text(), nullable=False))
    own_words: bool = Field(default=True)  # the party's words as written (needs their consent)
    status: str = Field(max_length=24)  # a RelayStatus value
    proposed_by: int = Field(foreign_key="users.id")
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    target_room_id: int | None = Field(default=None, foreign_key="rooms.id")
    target_seq: int | None = Field(default=None)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
