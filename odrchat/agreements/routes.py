"""HTTP endpoints for agreements: read, clarify, send, authorise, sign, download, file.

Thin: each handler reads the body and calls `AgreementService`, which decides. Anything about a
case the caller does not take part in answers 404; so does the signed PDF for non-participants.
"""

from __future__ import annotations

import re

from starlette.responses import Response

from odrchat.agreements.service import AgreementService
from odrchat.api import Call, Endpoint, json_response
from odrchat.auth.tables import User
from odrchat.schema import Body, Bool, Date, F, Int, Str

MAX_ID = 2**31 - 1
CLARIFICATIONS_MAX = 4000
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _agreements(call: Call) -> AgreementService:
    return call.services.agreements


def _me(call: Call) -> User:
    assert call.current is not None
    return call.current.user


def _id(call: Call) -> int:
    return int(call.params["agreement_id"])


def _pdf(name: str, data: bytes) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


async def case_agreement(call: Call) -> object:
    """The case's agreement and its status (drafted, out for signature, signed, filed)."""
    return await _agreements(call).view(_me(call), case_id=int(call.params["case_id"]))


async def mark_reached(call: Call) -> Response:
    """The mediator marks agreement reached from an accepted offer's terms."""
    found = await _agreements(call).create_from_offer(
        _me(call), int(call.params["case_id"]), call.body["offer_id"]
    )
    return json_response(found, 201)


async def get_agreement(call: Call) -> object:
    """One agreement, with the e-signature disclosure and what I may do."""
    return await _agreements(call).view(_me(call), agreement_id=_id(call))


async def edit_agreement(call: Call) -> object:
    """The mediator adds clarifying wording; signatures already given are voided."""
    return await _agreements(call).edit(_me(call), _id(call), call.body["clarifications"])


async def send_agreement(call: Call) -> object:
    """The lead mediator sends the text for signature."""
    return await _agreements(call).send_for_signature(_me(call), _id(call))


async def authorise_attorney(call: Call) -> object:
    """A party authorises their attorney to sign for them (never in civil harassment)."""
    return await _agreements(call).authorise_attorney(
        _me(call), _id(call), call.body["attorney_user_id"]
    )


async def sign_agreement(call: Call) -> object:
    """Sign electronically: consent, password, typed name, agreement to be bound, hash."""
    b = call.body
    return await _agreements(call).sign(
        _me(call),
        _id(call),
        password=b["password"],
        typed_name=b["typed_name"],
        esign_consent=b["esign_consent"],
        agree_bound=b["agree_bound"],
        document_sha256=b["document_sha256"],
        ip=call.ip,
        user_agent=call.request.headers.get("user-agent", ""),
    )


async def agreement_pdf(call: Call) -> Response:
    """The signed agreement as a PDF (participants only)."""
    return _pdf(*await _agreements(call).pdf(_me(call), _id(call)))


async def filing_queue(call: Call) -> object:
    """Signed court-case agreements waiting to be filed."""
    return {"agreements": await _agreements(call).filing_queue()}


async def filing_package(call: Call) -> Response:
    """The cover sheet and signed agreement for the court (audited)."""
    return _pdf(*await _agreements(call).filing_package(_me(call), _id(call)))


async def mark_filed(call: Call) -> object:
    """Record the filing date and the court's reference."""
    b = call.body
    return await _agreements(call).mark_filed(
        _me(call), _id(call), b["filed_on"], b["court_reference"]
    )


CASE = "/api/cases/{case_id:int}"
AGREEMENT = "/api/agreements/{agreement_id:int}"
ADMIN = "/api/admin/agreements/{agreement_id:int}"
CHANGE = (403, 404, 409)
ENDPOINTS = (
    Endpoint(
        "GET",
        CASE + "/agreement",
        case_agreement,
        "The case's agreement",
        responses=(404,),
        tag="agreements",
    ),
    Endpoint(
        "POST",
        CASE + "/agreement",
        mark_reached,
        "Mark agreement reached (mediator)",
        body=Body({"offer_id": F(Int(1, MAX_ID))}),
        status=201,
        responses=CHANGE,
        tag="agreements",
    ),
    Endpoint("GET", AGREEMENT, get_agreement, "One agreement", responses=(404,), tag="agreements"),
    Endpoint(
        "POST",
        AGREEMENT + "/edit",
        edit_agreement,
        "Add clarifying wording (mediator)",
        body=Body({"clarifications": F(Str(CLARIFICATIONS_MAX, multiline=True))}),
        responses=CHANGE,
        tag="agreements",
    ),
    Endpoint(
        "POST",
        AGREEMENT + "/send",
        send_agreement,
        "Send for signature (mediator)",
        responses=CHANGE,
        tag="agreements",
    ),
    Endpoint(
        "POST",
        AGREEMENT + "/authorise-attorney",
        authorise_attorney,
        "Authorise my attorney to sign for me",
        body=Body({"attorney_user_id": F(Int(1, MAX_ID))}),
        responses=CHANGE,
        tag="agreements",
    ),
    Endpoint(
        "POST",
        AGREEMENT + "/sign",
        sign_agreement,
        "Sign electronically",
        body=Body(
            {
                "esign_consent": F(Bool(), description="I consent to sign electronically"),
                "password": F(Str(1024, 1, strip=False), description="my password, re-entered"),
                "typed_name": F(Str(120, 1), description="my full name as on my account"),
                "agree_bound": F(Bool(), description="I agree to be bound by this agreement"),
                "document_sha256": F(
                    Str(64, 64, pattern=SHA256, pattern_message="must be 64 lowercase hex digits"),
                    description="SHA-256 of the text I was shown",
                ),
            }
        ),
        responses=(*CHANGE, 429),
        tag="agreements",
    ),
    Endpoint(
        "GET",
        AGREEMENT + "/pdf",
        agreement_pdf,
        "Download the signed PDF",
        responses=(404, 409),
        tag="agreements",
        media_type="application/pdf",
    ),
    Endpoint(
        "GET", "/api/admin/filing", filing_queue, "The filing queue", access="admin", tag="admin"
    ),
    Endpoint(
        "GET",
        ADMIN + "/filing-package",
        filing_package,
        "Download the filing package",
        access="admin",
        responses=(404, 409),
        tag="admin",
        media_type="application/pdf",
    ),
    Endpoint(
        "POST",
        ADMIN + "/filed",
        mark_filed,
        "Mark filed",
        access="admin",
        body=Body({"filed_on": F(Date()), "court_reference": F(Str(120, 1))}),
        responses=(404, 409),
        tag="admin",
    ),
)
