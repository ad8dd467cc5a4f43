"""Request and response bodies of the offer endpoints, and settlement terms as a schema.

The term models describe, per `kind`, the JSON that `offers/terms.py` reads and writes
(`parse_terms` / `terms_to_json`): the OpenAPI document publishes them as a `oneOf` on `kind`,
and every answer's terms are validated against them. Requests keep `parse_terms` as the judge
of terms (it knows today's date, ordering and totals, and names each problem by its path).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator

from odrchat.bodies import Body, Choice, Moment, Reply, Text, Timestamp, refuse
from odrchat.cases.roles import Role, Side
from odrchat.offers.machine import EXPLANATION_MAX, REASON_MAX, REJECT_CODES, OfferStatus
from odrchat.offers.terms import (
    MAX_CENTS,
    MAX_FEET,
    MAX_INSTALLMENTS,
    MAX_TERMS,
    MAX_YEARS,
    TEXT_LIMITS,
)

Cents = Annotated[int, Field(ge=1, le=MAX_CENTS, description="whole cents")]
Due = Annotated[date, Field(description=f"after today, at most {MAX_YEARS} years ahead")]

# -- terms ------------------------------------------------------------------------------------


class Installment(Reply):
    amount_cents: Cents
    due: Due


class LumpSum(Reply):
    kind: Literal["lump_sum"]
    due: Due


class Installments(Reply):
    """Installments in date order; their amounts add up to the payment's total."""

    kind: Literal["installments"]
    installments: list[Installment] = Field(min_length=1, max_length=MAX_INSTALLMENTS)


Schedule = Annotated[LumpSum | Installments, Field(discriminator="kind")]


class PaymentTerm(Reply):
    """One side pays the other, at once or in installments."""

    kind: Literal["payment"]
    payer: Side
    payee: Side = Field(description="the other side than the payer")
    amount_cents: Cents
    schedule: Schedule
    late_consequence: str = Field(
        "",
        max_length=TEXT_LIMITS["late_consequence"],
        description="what happens if a payment is missed (empty: the template's wording)",
    )


class MoveOutTerm(Reply):
    """Unlawful detainer: the tenant leaves the premises by a date."""

    kind: Literal["move_out"]
    by: Due
    tenant: Side


class StayAwayTerm(Reply):
    """Civil harassment: a distance, no contact, or both."""

    kind: Literal["stay_away"]
    restrained: Side
    distance_feet: int | None = Field(None, ge=1, le=MAX_FEET)
    no_contact: bool = False
    details: str = Field("", max_length=TEXT_LIMITS["details"])


class PropertyReturnTerm(Reply):
    kind: Literal["property_return"]
    returner: Side
    description: str = Field(min_length=1, max_length=TEXT_LIMITS["description"])
    by: Due


class DismissalTerm(Reply):
    """The plaintiff dismisses the case."""

    kind: Literal["dismissal"]
    with_prejudice: bool = False


class FreeTextTerm(Reply):
    kind: Literal["free_text"]
    text: str = Field(min_length=1, max_length=TEXT_LIMITS["text"])


Term = Annotated[
    PaymentTerm | MoveOutTerm | StayAwayTerm | PropertyReturnTerm | DismissalTerm | FreeTextTerm,
    Field(discriminator="kind"),
]
TermList = Annotated[list[Term], Field(min_length=1, max_length=MAX_TERMS)]


def _any_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise refuse("must be an array")
    return value


# -- requests ---------------------------------------------------------------------------------


class OfferBody(Body):
    terms: Annotated[list[Any], PlainValidator(_any_list, json_schema_input_type=TermList)] = Field(
        description="money in whole cents, dates YYYY-MM-DD; problems are named by path"
    )
    explanation: Annotated[str, Text(EXPLANATION_MAX, multiline=True)] | None = None
    deadline: Annotated[datetime, Moment()] | None = Field(
        None, description="ISO 8601 time with a time zone, in the future"
    )


class RejectBody(Body):
    reason: Annotated[str, Text(REASON_MAX, multiline=True)] = Field(
        description="10 to 1000 characters"
    )
    code: Annotated[str, Choice(tuple(sorted(REJECT_CODES)))] | None = None


# -- responses --------------------------------------------------------------------------------


class Person(Reply):
    user_id: int
    name: str
    role: Role
    side: Side | None


class Offer(Reply):
    id: int
    case_id: int
    status: OfferStatus
    maker: Person
    mediator_proposal: bool
    terms: list[Term]
    description: list[str] = Field(description="each term in one plain sentence")
    descriptions: dict[str, list[str]] = Field(
        description="the same sentences in each other language, by language code"
    )
    explanation: str
    answers_offer_id: int | None = Field(description="the offer this one counters")
    deadline: Timestamp | None
    accepted_by: list[Side]
    reject_reason: str | None
    reject_code: str | None
    created_at: Timestamp
    updated_at: Timestamp


class Moved(Reply):
    """One step of the offer timeline (the joint room's offer events)."""

    seq: int
    at: Timestamp
    type: Literal[
        "offer.made",
        "offer.accepted",
        "offer.rejected",
        "offer.countered",
        "offer.withdrawn",
        "offer.expired",
    ]
    offer_id: int
    status: OfferStatus
    answers_offer_id: int | None
    by: Person | None = Field(description="null when time expired the offer")


class Thread(Reply):
    case_id: int
    offers: list[Offer]
    timeline: list[Moved]
