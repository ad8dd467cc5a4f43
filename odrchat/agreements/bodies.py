"""Request and response bodies of the agreement endpoints."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field

from odrchat.agreements.machine import AgreementStatus, SigningMethod
from odrchat.agreements.payments import InstalmentStatus
from odrchat.bodies import Body, Day, Flag, Id, Moment, Reply, Text, Timestamp
from odrchat.cases.kinds import CaseKind
from odrchat.cases.roles import Role, Side

CLARIFICATIONS_MAX = 4000
SHA256 = re.compile(r"^[0-9a-f]{64}$")
Sha256 = Annotated[str, Field(pattern=SHA256.pattern, description="SHA-256, 64 lowercase hex")]

# -- requests ---------------------------------------------------------------------------------


class MarkReached(Body):
    offer_id: Id = Field(description="the accepted offer whose terms the agreement takes")


class Options(Body):
    """What the mediator settled with the parties beyond the terms (templates.AgreementOptions)."""

    clauses: list[Literal["no_admission", "mutual_release", "entire_agreement"]] = Field(
        default_factory=list, max_length=3, description="optional standard clauses switched on"
    )
    ud_route: Literal["conditional_dismissal", "stipulated_judgment"] = Field(
        "conditional_dismissal", description="unlawful detainer: how the case ends"
    )


class Edit(Body):
    clarifications: Annotated[str, Text(CLARIFICATIONS_MAX, multiline=True)]
    options: Options | None = Field(None, description="omitted: the options stay as they are")


class AuthoriseAttorney(Body):
    attorney_user_id: Id


class Sign(Body):
    esign_consent: Annotated[bool, Flag()] = Field(description="I consent to sign electronically")
    password: Annotated[str, Text(1024, 1, strip=False)] = Field(
        description="my password, re-entered"
    )
    typed_name: Annotated[str, Text(120, 1)] = Field(description="my full name as on my account")
    agree_bound: Annotated[bool, Flag()] = Field(
        description="I agree to be bound by this agreement"
    )
    document_sha256: Annotated[
        str, Text(64, 64, pattern=SHA256, pattern_message="must be 64 lowercase hex digits")
    ] = Field(description="SHA-256 of the text I was shown (the agreement's `document_sha256`)")


class PaperSignature(Body):
    signer_user_id: Id = Field(description="the party who signed in ink")
    signed_at: Annotated[datetime, Moment()] = Field(
        description="when they signed, as written on the page, with its zone"
    )
    document_sha256: Annotated[
        str, Text(64, 64, pattern=SHA256, pattern_message="must be 64 lowercase hex digits")
    ] = Field(description="the SHA-256 printed on the signed page")
    scan_document_id: Id | None = Field(
        None, description="a document of this case: the scan of the signed page, kept with it"
    )


class MarkPayment(Body):
    action: Literal["report_paid", "confirm_paid", "dispute", "report_missed"] = Field(
        description=(
            "report_paid / report_missed: the receiving side; confirm_paid / dispute: the "
            "paying side, answering a report of payment"
        )
    )


class MarkFiled(Body):
    filed_on: Annotated[date, Day()] = Field(
        description="court cases: the day it was filed; community: the day it was put on file"
    )
    court_reference: Annotated[str, Text(120)] | None = Field(
        None,
        description=(
            "court cases: the court's reference (required); community cases: omit it (the "
            "centre keeps the agreement on file under its own reference)"
        ),
    )


# -- responses --------------------------------------------------------------------------------


class Signature(Reply):
    signer_user_id: int
    for_side: Side
    by_role: Role
    typed_name: str
    at: Timestamp
    document_sha256: Sha256
    method: SigningMethod = Field(description="electronic, or paper (wet ink, recorded by staff)")
    scan_document_id: int | None = Field(
        None, description="paper: the document holding the scan of the signed page"
    )


class Authorisation(Reply):
    attorney_user_id: int
    side: Side
    at: Timestamp


class Filing(Reply):
    filed_on: date
    court_reference: str | None


class AgreementOptions(Reply):
    clauses: list[str]
    ud_route: str


class PaymentStep(Reply):
    status: InstalmentStatus
    by_user_id: int
    at: Timestamp


class Instalment(Reply):
    number: int
    payer: Side
    payee: Side
    amount_cents: int = Field(description="integer cents")
    due: date
    status: InstalmentStatus = Field(description="due, reported_paid, paid or missed")
    history: list[PaymentStep] = Field(description="who moved it to which status, and when")


class Payments(Reply):
    """The signed agreement's payment schedule (empty before signing or without money terms)."""

    instalments: list[Instalment]
    paid_cents: int = Field(description="confirmed paid by both sides")
    unpaid_cents: int
    performed_at: Timestamp | None = Field(description="when the last payment was confirmed")


class Agreement(Reply):
    """The agreement as every participant may see it (no IP addresses or user agents)."""

    id: int
    case_id: int
    offer_id: int
    status: AgreementStatus
    court_filed: bool
    centre_reference: str | None = Field(
        description="community cases: the centre's reference its closing record is kept under"
    )
    text: str
    document_sha256: Sha256 = Field(description="SHA-256 of `text`; signing sends it back")
    clarifications: str
    options: AgreementOptions
    signatures: list[Signature]
    authorisations: list[Authorisation]
    voided_notes: list[str] = Field(description="why earlier signatures were voided")
    filing: Filing | None
    created_at: Timestamp
    updated_at: Timestamp
    payments: Payments


class Mine(Reply):
    role: Role
    side: Side | None
    signed: bool
    may_sign: bool
    payment_actions: dict[str, list[str]] = Field(
        description="per instalment number, the actions I may take on it now"
    )


class AgreementView(Agreement):
    """The agreement with the e-signature disclosure and what I may do."""

    esign_disclosure: str
    my: Mine


class Filable(Reply):
    agreement_id: int
    case_id: int
    kind: CaseKind
    court_name: str | None
    court_case_number: str | None
    centre_reference: str | None = Field(description="community cases: the centre's reference")
    signed_at: Timestamp
    document_sha256: Sha256


class FilingQueue(Reply):
    agreements: list[Filable]
