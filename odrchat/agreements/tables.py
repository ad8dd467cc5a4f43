"""Agreements as stored rows: the document, its signatures and attorney authorisations.

Rows are not domain objects: `odrchat.agreements.service` rebuilds the pure `Agreement` from
them and runs every change through `odrchat.agreements.machine.apply` first. A case has at most
one agreement. Voided signatures keep their rows (with `voided_at`) for the record; only the
live ones are part of the agreement.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from odrchat.store.types import UTCDateTime, utcnow


class AgreementRow(SQLModel, table=True):
    """The settlement agreement of one case. `text` is exactly what `document_sha256` covers."""

    __tablename__ = "agreements"
    __table_args__ = (
        UniqueConstraint("case_id", name="uq_agreements_case_id"),
        CheckConstraint(
            "status IN ('draft', 'out_for_signature', 'signed', 'filed')",
            name="ck_agreements_status",
        ),
        Index("ix_agreements_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    offer_id: int = Field(foreign_key="offers.id")
    status: str = Field(default="draft", max_length=24)  # an AgreementStatus value
    text: str = Field(sa_column=Column(Text(), nullable=False))
    document_sha256: str = Field(max_length=64)
    clarifications: str = Field(default="", sa_column=Column(Text(), nullable=False))
    # JSON of templates.AgreementOptions: standard clauses and the unlawful detainer route.
    options: str = Field(
        default="{}", sa_column=Column(Text(), nullable=False, server_default="{}")
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # When the current text went out for signature (None while a draft): signature reminders
    # count from it, not from `updated_at`, which moves each time a side signs.
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    voided_notes: str = Field(default="[]", sa_column=Column(Text(), nullable=False))  # JSON
    filed_on: date | None = Field(default=None)
    court_reference: str | None = Field(default=None, max_length=120)
    filed_by: int | None = Field(default=None, foreign_key="users.id")


class SignatureRow(SQLModel, table=True):
    """One signature: who, for which side, when, how, from where, over which bytes.

    Electronic signatures carry the signer's IP and browser; a paper (wet-ink) signature carries
    the staff member who recorded it and when (`recorded_by`, `recorded_at`) instead.
    """

    __tablename__ = "agreement_signatures"

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreements.id", index=True)
    signer_user_id: int = Field(foreign_key="users.id")
    for_side: str = Field(max_length=16)
    by_role: str = Field(max_length=16)
    typed_name: str = Field(max_length=120)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)
    document_sha256: str = Field(max_length=64)
    esign_consent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    voided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    method: str = Field(
        default="electronic",
        sa_column=Column(String(16), nullable=False, server_default="electronic"),
    )
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # paper: the staff member's scan of the signed page (a document of the case), if attached
    scan_document_id: int | None = Field(default=None, foreign_key="documents.id")


class AuthorisationRow(SQLModel, table=True):
    """A party's express authorisation for their attorney to sign the agreement for them."""

    __tablename__ = "agreement_authorisations"

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreements.id", index=True)
    attorney_user_id: int = Field(foreign_key="users.id")
    side: str = Field(max_length=16)
    by_user_id: int = Field(foreign_key="users.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class InstalmentRow(SQLModel, table=True):
    """One payment the signed agreement calls for (`odrchat.agreements.payments`).

    Written once, when the agreement is signed, from the agreed terms; afterwards only `status`
    and `history` change (JSON list of {status, by_user_id, at}: who moved it, and when).
    """

    __tablename__ = "agreement_instalments"
    __table_args__ = (
        UniqueConstraint("agreement_id", "number", name="uq_agreement_instalments_number"),
        CheckConstraint(
            "status IN ('due', 'reported_paid', 'paid', 'missed')",
            name="ck_agreement_instalments_status",
        ),
        CheckConstraint("amount_cents > 0", name="ck_agreement_instalments_amount"),
        Index("ix_agreement_instalments_due", "status", "due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreements.id", index=True)
    number: int
    payer: str = Field(max_length=16)  # a Side value
    payee: str = Field(max_length=16)
    amount_cents: int
    due: date
    status: str = Field(default="due", max_length=16)  # an InstalmentStatus value
    history: str = Field(default="[]", sa_column=Column(Text(), nullable=False))  # JSON
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
