"""HTTP endpoints for offers: make, counter, accept, reject, withdraw, and the offer thread.

Thin: each handler reads the body and calls `OfferService`, which decides. Anything about a case
the caller does not take part in answers 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.responses import Response

from odrchat.api import Call, Endpoint, json_response
from odrchat.auth.tables import User
from odrchat.errors import Invalid
from odrchat.offers.machine import EXPLANATION_MAX, REASON_MAX, REJECT_CODES
from odrchat.offers.service import OfferService
from odrchat.schema import Body, Choice, F, Json, Str

TERMS = F(
    Json(
        "array",
        "the terms: a list of {kind: payment|move_out|stay_away|property_return|"
        "dismissal|free_text, ...}; money in whole cents, dates YYYY-MM-DD",
    ),
)
OFFER_BODY = Body(
    {
        "terms": TERMS,
        "explanation": F(Str(EXPLANATION_MAX, multiline=True), required=False),
        "deadline": F(
            Str(40), required=False, description="ISO 8601 time with a time zone, in the future"
        ),
    }
)


def _offers(call: Call) -> OfferService:
    return call.services.offers


def _me(call: Call) -> User:
    assert call.current is not None
    return call.current.user


def _deadline(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise Invalid(
            "Some fields need attention.",
            fields={"deadline": "must be a time like 2027-01-31T17:00:00+00:00 (with a zone)"},
        )
    return value


def _offer_fields(call: Call) -> dict[str, Any]:
    b = call.body
    return {"explanation": b["explanation"] or "", "deadline": _deadline(b["deadline"])}


async def make_offer(call: Call) -> Response:
    """Make an offer, or (mediators) a mediator's proposal, in the joint room."""
    offer = await _offers(call).make(
        _me(call), int(call.params["case_id"]), call.body["terms"], **_offer_fields(call)
    )
    return json_response(offer, 201)


async def offer_thread(call: Call) -> object:
    """Every offer of the case and the timeline of answers."""
    return await _offers(call).thread(_me(call), int(call.params["case_id"]))


async def counter_offer(call: Call) -> Response:
    """Answer an offer with a new one, linked to it."""
    offer = await _offers(call).counter(
        _me(call), int(call.params["offer_id"]), call.body["terms"], **_offer_fields(call)
    )
    return json_response(offer, 201)


async def accept_offer(call: Call) -> object:
    """Accept an offer made to my side (a proposal needs both sides)."""
    return await _offers(call).accept(_me(call), int(call.params["offer_id"]))


async def reject_offer(call: Call) -> object:
    """Reject an offer, saying why."""
    b = call.body
    offer_id = int(call.params["offer_id"])
    return await _offers(call).reject(_me(call), offer_id, b["reason"], b["code"])


async def withdraw_offer(call: Call) -> object:
    """Take back my open offer."""
    return await _offers(call).withdraw(_me(call), int(call.params["offer_id"]))


CASE = "/api/cases/{case_id:int}"
OFFER = "/api/offers/{offer_id:int}"
ANSWER = (403, 404, 409)
ENDPOINTS = (
    Endpoint(
        "POST",
        CASE + "/offers",
        make_offer,
        "Make an offer",
        body=OFFER_BODY,
        status=201,
        responses=ANSWER,
        tag="offers",
    ),
    Endpoint(
        "GET", CASE + "/offers", offer_thread, "The offer thread", responses=(404,), tag="offers"
    ),
    Endpoint(
        "POST",
        OFFER + "/counter",
        counter_offer,
        "Counter an offer",
        body=OFFER_BODY,
        status=201,
        responses=ANSWER,
        tag="offers",
    ),
    Endpoint(
        "POST", OFFER + "/accept", accept_offer, "Accept an offer", responses=ANSWER, tag="offers"
    ),
    Endpoint(
        "POST",
        OFFER + "/reject",
        reject_offer,
        "Reject an offer, saying why",
        body=Body(
            {
                "reason": F(Str(REASON_MAX, multiline=True), description="10 to 1000 characters"),
                "code": F(Choice(tuple(sorted(REJECT_CODES))), required=False),
            }
        ),
        responses=ANSWER,
        tag="offers",
    ),
    Endpoint(
        "POST",
        OFFER + "/withdraw",
        withdraw_offer,
        "Withdraw my offer",
        responses=ANSWER,
        tag="offers",
    ),
)
