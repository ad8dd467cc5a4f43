"""HTTP endpoints for agreements: read, clarify, send, authorise, sign, download, file.

Thin: each handler reads the body and calls `AgreementService`, which decides. Anything about a
case the caller does not take part in answers 404; so does the signed PDF for non-participants.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from odrchat.agreements import bodies as b
from odrchat.agreements.paying import PaymentAction
from odrchat.agreements.service import AgreementService
from odrchat.api import Call, Endpoint
from odrchat.auth.tables import User
from odrchat.errors import Invalid
from odrchat.i18n import N_


def _agreements(call: Call[Any]) -> AgreementService:
    return call.services.agreements


def _me(call: Call[Any]) -> User:
    assert call.current is not None
    return call.current.user


def _id(call: Call[Any]) -> int:
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


async def case_agreement(call: Call[None]) -> b.AgreementView:
    """The case's agreement and its status (drafted, out for signature, signed, filed)."""
    view = await _agreements(call).view(_me(call), case_id=int(call.params["case_id"]))
    return b.AgreementView.model_validate(view)


async def mark_reached(call: Call[b.MarkReached]) -> b.Agreement:
    """The mediator marks agreement reached from an accepted offer's terms.

    Accepting an offer already drafts the agreement from it; marking it reached afterwards
    answers 409 `conflict`, and the drafted agreement is at `GET /api/cases/{case_id}/agreement`.
    """
    found = await _agreements(call).create_from_offer(
        _me(call), int(call.params["case_id"]), call.body.offer_id
    )
    return b.Agreement.model_validate(found)


async def get_agreement(call: Call[None]) -> b.AgreementView:
    """One agreement, with the e-signature disclosure and what I may do."""
    return b.AgreementView.model_validate(
        await _agreements(call).view(_me(call), agreement_id=_id(call))
    )


async def edit_agreement(call: Call[b.Edit]) -> b.Agreement:
    """The mediator adds clarifying wording and sets the options chosen with the parties
    (standard clauses, the unlawful detainer route); signatures already given are voided."""
    body = call.body
    options = None if body.options is None else body.options.model_dump()
    return b.Agreement.model_validate(
        await _agreements(call).edit(_me(call), _id(call), body.clarifications, options)
    )


async def send_agreement(call: Call[None]) -> b.Agreement:
    """The lead mediator sends the text for signature."""
    sent = await _agreements(call).send_for_signature(_me(call), _id(call))
    return b.Agreement.model_validate(sent)


async def authorise_attorney(call: Call[b.AuthoriseAttorney]) -> b.Agreement:
    """A party authorises their attorney to sign for them (never in civil harassment)."""
    return b.Agreement.model_validate(
        await _agreements(call).authorise_attorney(_me(call), _id(call), call.body.attorney_user_id)
    )


async def sign_agreement(call: Call[b.Sign]) -> b.Agreement:
    """Sign electronically: consent, password, typed name, agreement to be bound, hash."""
    body = call.body
    signed = await _agreements(call).sign(
        _me(call),
        _id(call),
        password=body.password,
        typed_name=body.typed_name,
        esign_consent=body.esign_consent,
        agree_bound=body.agree_bound,
        document_sha256=body.document_sha256,
        ip=call.ip,
        user_agent=call.request.headers.get("user-agent", ""),
    )
    return b.Agreement.model_validate(signed)


async def paper_signature(call: Call[b.PaperSignature]) -> b.Agreement:
    """Staff record a party's wet-ink signature against the printed text's hash."""
    body = call.body
    if body.signed_at is None:
        raise Invalid(N_("Some fields need attention."), fields={"signed_at": N_("is required")})
    recorded = await _agreements(call).record_paper_signature(
        _me(call),
        _id(call),
        signer_user_id=body.signer_user_id,
        signed_at=body.signed_at,
        document_sha256=body.document_sha256,
        scan_document_id=body.scan_document_id,
    )
    return b.Agreement.model_validate(recorded)


async def signature_page(call: Call[None]) -> Response:
    """The text out for signature with a page to sign in ink (parties and staff)."""
    return _pdf(*await _agreements(call).signature_page(_me(call), _id(call)))


async def mark_payment(call: Call[b.MarkPayment]) -> b.AgreementView:
    """A party marks one payment of the schedule, or answers the other side's mark."""
    marked = await _agreements(call).mark_payment(
        _me(call), _id(call), int(call.params["number"]), PaymentAction(call.body.action)
    )
    return b.AgreementView.model_validate(marked)


async def enforcement_worksheet(call: Call[None]) -> Response:
    """The worksheet for asking the court to enforce the settlement after a missed payment."""
    return _pdf(*await _agreements(call).enforcement_worksheet(_me(call), _id(call)))


async def agreement_pdf(call: Call[None]) -> Response:
    """The signed agreement as a PDF (participants only)."""
    return _pdf(*await _agreements(call).pdf(_me(call), _id(call)))


async def filing_queue(call: Call[None]) -> b.FilingQueue:
    """Signed agreements waiting to be filed (community ones: to be kept on file)."""
    return b.FilingQueue.model_validate({"agreements": await _agreements(call).filing_queue()})


async def filing_package(call: Call[None]) -> Response:
    """The packet for the court, or a community agreement's closing record (audited)."""
    return _pdf(*await _agreements(call).filing_package(_me(call), _id(call)))


async def mark_filed(call: Call[b.MarkFiled]) -> b.Agreement:
    """Record the filing date and the court's reference (community: the day kept on file)."""
    body = call.body
    return b.Agreement.model_validate(
        await _agreements(call).mark_filed(
            _me(call), _id(call), body.filed_on, body.court_reference
        )
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
        reply=b.AgreementView,
        responses=(404,),
        tag="agreements",
    ),
    Endpoint(
        "POST",
        CASE + "/agreement",
        mark_reached,
        "Mark agreement reached (mediator)",
        description=(
            "Drafts the agreement from an accepted offer's terms. Accepting an offer (or both "
            "sides accepting a mediator's proposal) already drafts it in the same step, so "
            'once any offer of the case is accepted this answers 409 `conflict` ("An agreement '
            'has already been reached in this case."); read the draft with GET on the same '
            "path. An offer not accepted also answers 409. The browser never offers this "
            "action: it shows the drafted agreement on the Agreement tab instead."
        ),
        body=b.MarkReached,
        reply=b.Agreement,
        status=201,
        responses=CHANGE,
        tag="agreements",
    ),
    Endpoint(
        "GET",
        AGREEMENT,
        get_agreement,
        "One agreement",
        reply=b.AgreementView,
        responses=(404,),
        tag="agreements",
    ),
    Endpoint(
        "POST",
        AGREEMENT + "/edit",
        edit_agreement,
        "Add clarifying wording and set the options (mediator)",
        body=b.Edit,
        reply=b.Agreement,
        responses=CHANGE,
        tag="agreements",
    ),
    Endpoint(
        "POST",
        AGREEMENT + "/send",
        send_agreement,
        "Send for signature (mediator)",
        reply=b.Agreement,
        responses=CHANGE,
        tag="agreements",
    ),
    Endpoint(
        "POST",
        AGREEMENT + "/authorise-attorney",
        authorise_attorney,
        "Authorise my attorney to sign for me",
        body=b.AuthoriseAttorney,
        reply=b.Agreement,
        responses=CHANGE,
        tag="agreements",
    ),
    Endpoint(
        "POST",
        AGREEMENT + "/sign",
        sign_agreement,
        "Sign electronically",
        body=b.Sign,
        reply=b.Agreement,
        responses=(*CHANGE, 429),
        tag="agreements",
    ),
    Endpoint(
        "GET",
        AGREEMENT + "/signature-page",
        signature_page,
        "Download the text with a page to sign in ink",
        responses=(404, 409),
        tag="agreements",
        media_type="application/pdf",
    ),
    Endpoint(
        "POST",
        AGREEMENT + "/paper-signature",
        paper_signature,
        "Record a wet-ink signature (mediator, co-mediator or admin)",
        body=b.PaperSignature,
        reply=b.Agreement,
        responses=CHANGE,
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
        "POST",
        AGREEMENT + "/payments/{number:int}",
        mark_payment,
        "Mark a payment paid or missed, or confirm or dispute the other side's mark (parties)",
        description=(
            "The receiving side reports a payment paid (`report_paid`) or, after its due date, "
            "missed (`report_missed`); the paying side confirms a reported payment "
            "(`confirm_paid`) or sends it back (`dispute`). When the last payment is confirmed, "
            "both parties are told and the case record shows the payments as performed. "
            "Answers 409 before the agreement is signed, for a move the payment's status rules "
            "out, and for `report_missed` before the due date has passed."
        ),
        body=b.MarkPayment,
        reply=b.AgreementView,
        responses=CHANGE,
        tag="agreements",
    ),
    Endpoint(
        "GET",
        AGREEMENT + "/enforcement-worksheet",
        enforcement_worksheet,
        "Download the worksheet for asking the court to enforce the settlement",
        description=(
            "Court cases with a payment reported missed: a US Letter worksheet with the caption "
            "that gathers the facts for a request under Code of Civil Procedure section 664.6. "
            "Community cases answer 409 `not_court_case` (there is no court case to enforce a "
            "private agreement in); without a missed payment, 409 `nothing_missed`."
        ),
        responses=(403, 404, 409),
        tag="agreements",
        media_type="application/pdf",
    ),
    Endpoint(
        "GET",
        "/api/admin/filing",
        filing_queue,
        "The filing queue",
        access="admin",
        reply=b.FilingQueue,
        tag="admin",
    ),
    Endpoint(
        "GET",
        ADMIN + "/filing-package",
        filing_package,
        "Download the filing package",
        description=(
            "Court cases: the cover sheet, the papers for the court and the signed agreement. "
            "Community cases: the centre's closing record, a record sheet under the centre's "
            "reference (`centre_reference`, also in every page's footer) that says it is not a "
            "court filing, and the signed agreement with its signature record."
        ),
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
        description=(
            "Court cases: filed with the court on `filed_on`, under `court_reference` "
            "(required). Community cases: kept on file by the centre since `filed_on`; omit "
            "`court_reference` (a community agreement has none: giving one answers 422). The "
            "status becomes `filed` for every kind; `court_filed` says which it means."
        ),
        access="admin",
        body=b.MarkFiled,
        reply=b.Agreement,
        responses=(404, 409),
        tag="admin",
    ),
)
