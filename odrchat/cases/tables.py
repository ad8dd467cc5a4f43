"""Cases as stored rows: the case, who takes part, invitations, consents and mediator conflicts.

Rows are not domain objects: `odrchat.cases.queries.state_of` rebuilds the pure `CaseState`
from them, and every change runs through `odrchat.cases.machine.apply` first. Mediators,
co-mediators and observers are participant rows like parties and attorneys; admins are not
participants (they reach every case through their staff role, and each view is audited).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from odrchat.store.types import UTCDateTime, utcnow


class Case(SQLModel, table=True):
    """One dispute. `opt_out_reason` is private: only the audit log shows it, to admins."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    status: str = Field(max_length=32)  # a CaseStatus value
    court_name: str | None = Field(default=None, max_length=120)
    court_case_number: str | None = Field(default=None, max_length=40)
    hearing_date: date | None = Field(default=None)
    department: str | None = Field(default=None, max_length=40)
    premises_address: str | None = Field(default=None, max_length=300)  # unlawful detainer
    description: str = Field(sa_column=Column(Text(), nullable=False))
    fee_review: bool = Field(default=False)
    fee_status: str | None = Field(default=None, max_length=16)  # a FeeStatus value, once reviewed
    initiator_side: str = Field(max_length=16)  # a Side value
    outcome: str | None = Field(default=None, max_length=32)  # an Outcome value
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    created_by: int = Field(foreign_key="users.id")
    mediator_id: int | None = Field(default=None, foreign_key="users.id")
    co_mediator_id: int | None = Field(default=None, foreign_key="users.id")
    mediator_intro: str | None = Field(default=None, sa_column=Column(Text()))
    opt_out_reason: str | None = Field(default=None, sa_column=Column(Text()))
    # Settled cases: when both sides confirmed the agreement's last payment (its payments are
    # performed; other terms are not tracked).
    performed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class Participant(SQLModel, table=True):
    """One person's part in one case. Removal keeps the row (inactive) for the record."""

    __tablename__ = "participants"
    __table_args__ = (
        CheckConstraint(
            "role IN ('party', 'attorney', 'mediator', 'co_mediator', 'observer')",
            name="ck_participants_role",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    role: str = Field(max_length=16)  # a Role value
    side: str | None = Field(default=None, max_length=16)  # a Side value, parties and attorneys
    approved: bool = Field(default=True)  # observers wait for the mediator's approval
    active: bool = Field(default=True)
    added_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    removed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    share_contact: bool = Field(default=False)  # others may see this person's email and phone
    # A party's request for an interpreter at intake: the language they asked for (free words,
    # e.g. "Spanish" or "Mixtec"); None when they asked for none.
    interpreter: str | None = Field(default=None, max_length=40)


class Invitation(SQLModel, table=True):
    """An emailed, single-use invitation to join a case as the other party or as an attorney.

    Only the SHA-256 of the token is stored. Resending makes a new row and revokes the old one.
    """

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("role IN ('party', 'attorney')", name="ck_invitations_role"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    email: str = Field(max_length=254)
    name: str = Field(max_length=120)
    phone: str | None = Field(default=None, max_length=32)
    side: str = Field(max_length=16)  # the side the invitee joins or acts for
    role: str = Field(max_length=16)  # "party" | "attorney"
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ConsentRow(SQLModel, table=True):
    """A party's acceptance of the agreement to mediate, with the text version they read."""

    __tablename__ = "consents"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    user_id: int = Field(foreign_key="users.id")
    side: str = Field(max_length=16)
    text_version: str = Field(max_length=32)
    # The language of the text the party read and the SHA-256 of exactly that text
    # (odrchat.cases.legal): which language version was accepted.
    text_language: str = Field(default="en", max_length=16)
    text_sha256: str = Field(default="", max_length=64)
    accepted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class MediatorConflict(SQLModel, table=True):
    """A recorded conflict of interest between a mediator and a person: by email, account or
    name (a name matches a party's or attorney's name on the case, and an invited one's)."""

    __tablename__ = "mediator_conflicts"

    id: int | None = Field(default=None, primary_key=True)
    mediator_id: int = Field(foreign_key="users.id", index=True)
    email: str | None = Field(default=None, max_length=254)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    party_name: str | None = Field(default=None, max_length=120)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class MediatorDayOff(SQLModel, table=True):
    """A day a mediator takes no new case (the suggestion skips them that day)."""

    __tablename__ = "mediator_days_off"
    __table_args__ = (UniqueConstraint("mediator_id", "day", name="uq_mediator_days_off"),)

    id: int | None = Field(default=None, primary_key=True)
    mediator_id: int = Field(foreign_key="users.id", index=True)
    day: date
