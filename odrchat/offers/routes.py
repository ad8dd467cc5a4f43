"""HTTP endpoints for offers: make, counter, accept, reject, withdraw, and the offer thread.

Thin: each handler reads the body and calls `OfferService`, which decides. Anything about a case
the caller does not take part in answers 404.
"""

from __future__ import annotations

from typing import Any

from odrchat.api import Call, Endpoint
from odrchat.auth.tables import User
from odrchat.offers.bodies import Offer, OfferBody, RejectBody, Thread
from odrchat.offers.service import OfferService


def _offers(call: Call[Any]) -> OfferService:
    return call.services.offers


def _me(call: Call[Any]) -> User:
    assert call.current is not None
    return call.current.user


def _offer_fields(body: OfferBody) -> dict[str, Any]:
    return {"explanation": body.explanation or "", "deadline": body.deadline}


async def make_offer(call: Call[OfferBody]) -> Offer:
    """Make an offer, or (mediators) a mediator's proposal, in the joint room."""
    offer = await _offers(call).make(
        _me(call), int(call.params["case_id"]), call.body.terms, **_offer_fields(call.body)
    )
    return Offer.model_validate(offer)


async def offer_thread(call: Call[None]) -> Thread:
    """Every offer of the case and the timeline of answers."""
    return Thread.model_validate(await _offers(call).thread(_me(call), int(call.params["case_id"])))


async def counter_offer(call: Call[OfferBody]) -> Offer:
    """Answer an offer with a new one, linked to it."""
    offer = await _offers(call).counter(
        _me(call), int(call.params["offer_id"]), call.body.terms, **_offer_fields(call.body)
    )
    return Offer.model_validate(offer)


async def accept_offer(call: Call[None]) -> Offer:
    """Accept an offer made to my side (a proposal needs both sides)."""
    return Offer.model_validate(await _offers(call).accept(_me(call), int(call.params["offer_id"])))


async def reject_offer(call: Call[RejectBody]) -> Offer:
    """Reject an offer, saying why."""
    body = call.body
    offer_id = int(call.params["offer_id"])
    return Offer.model_validate(
        await _offers(call).reject(_me(call), offer_id, body.reason, body.code)
    )


async def withdraw_offer(call: Call[None]) -> Offer:
    """Take back my open offer."""
    return Offer.model_validate(
        await _offers(call).withdraw(_me(call), int(call.params["offer_id"]))
    )


CASE = "/api/cases/{case_id:int}"
OFFER = "/api/offers/{offer_id:int}"
ANSWER = (403, 404, 409)
ENDPOINTS = (
    Endpoint(
        "POST",
        CASE + "/offers",
        make_offer,
        "Make an offer",
        body=OfferBody,
        reply=Offer,
        status=201,
        responses=ANSWER,
        tag="offers",
    ),
    Endpoint(
        "GET",
        CASE + "/offers",
        offer_thread,
        "The offer thread",
        reply=Thread,
        responses=(404,),
        tag="offers",
    ),
    Endpoint(
        "POST",
        OFFER + "/counter",
        counter_offer,
        "Counter an offer",
        body=OfferBody,
        reply=Offer,
        status=201,
        responses=ANSWER,
        tag="offers",
    ),
    Endpoint(
        "POST",
        OFFER + "/accept",
        accept_offer,
        "Accept an offer",
        reply=Offer,
        responses=ANSWER,
        tag="offers",
    ),
    Endpoint(
        "POST",
        OFFER + "/reject",
        reject_offer,
        "Reject an offer, saying why",
        body=RejectBody,
        reply=Offer,
        responses=ANSWER,
        tag="offers",
    ),
    Endpoint(
        "POST",
        OFFER + "/withdraw",
        withdraw_offer,
        "Withdraw my offer",
        reply=Offer,
        responses=ANSWER,
        tag="offers",
    ),
)
