"""Offers as stored rows: one row per offer, changed in place as it is answered.

Rows are not domain objects: `odrchat.offers.service` rebuilds the pure `Offer` from a row and
runs every change through `odrchat.offers.machine.apply` first. The history of an offer (who
answered what, when) is the sequence of `offer.*` events in the case's joint room.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from odrchat.offers.terms import Terms, parse_terms
from odrchat.store.types import UTCDateTime, utcnow


class OfferRow(SQLModel, table=True):
    """One offer or mediator's proposal. `terms` is the JSON `terms_to_json` writes."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'accepted', 'rejected', 'countered', 'withdrawn', 'expired')",
            name="ck_offers_status",
        ),
        # The expiry sweep's one query: open offers by deadline.
        Index("ix_offers_status_deadline", "status", "deadline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    maker_user_id: int = Field(foreign_key="users.id")
    maker_role: str = Field(max_length=16)  # a Role value
    maker_side: str | None = Field(default=None, max_length=16)  # None: a mediator's proposal
    terms: str = Field(sa_column=Column(Text(), nullable=False))
    explanation: str = Field(default="", sa_column=Column(Text(), nullable=False))
    status: str = Field(default="proposed", max_length=16)  # an OfferStatus value
    answers_offer_id: int | None = Field(default=None, foreign_key="offers.id")
    deadline: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    accepted_by: str = Field(default="", max_length=40)  # sides, comma-separated
    reject_reason: str = Field(default="", sa_column=Column(Text(), nullable=False))
    reject_code: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


def stored_terms(row: OfferRow) -> Terms:
    """The row's terms, checked as they were on the day the offer was made."""
    # Dates in terms had to lie after the day the offer was made; later they may be past.
    return parse_terms(json.loads(row.terms), today=row.created_at.date())
