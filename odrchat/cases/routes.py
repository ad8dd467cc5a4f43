"""HTTP endpoints for cases, invitations, consent, outcomes, participants and administration.

Thin: each handler checks nothing itself beyond reading the body; `CaseService` decides.
Anything about a case the caller does not take part in answers 404, never 403.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from odrchat import audit
from odrchat.api import Call, Endpoint, json_response
from odrchat.auth.routes import EmailField, NameField, PhoneField
from odrchat.auth.tables import User
from odrchat.cases import queries, staffing
from odrchat.cases.kinds import (
    CASE_NUMBER_MAX,
    COURT_NAME_MAX,
    DEPARTMENT_MAX,
    DESCRIPTION_MAX,
    PREMISES_MAX,
    CaseKind,
)
from odrchat.cases.service import CaseService
from odrchat.cases.texts import AGREEMENT_TEXT, AGREEMENT_TO_MEDIATE_VERSION
from odrchat.errors import Invalid
from odrchat.schema import Body, Bool, Choice, Date, F, Int, Str

MAX_ID = 2**31 - 1
Id = Int(1, MAX_ID)
SIDES = Choice(("plaintiff", "defendant"))
INVITE_ROLE = F(
    Choice(("party", "attorney")),
    required=False,
    description="which of your invitations (default: the other party's)",
)


def _cases(call: Call) -> CaseService:
    return call.services.cases


def _me(call: Call) -> User:
    assert call.current is not None
    return call.current.user


def _case_id(call: Call) -> int:
    return int(call.params["case_id"])


async def _detail(call: Call, case_id: int) -> dict[str, Any]:
    return await _cases(call).detail(_me(call), case_id)


# -- cases ------------------------------------------------------------------------------------


async def open_case(call: Call) -> Response:
    """Open a case and invite the other side."""
    b = call.body
    case_id = await _cases(call).open_case(
        _me(call),
        kind=b["kind"],
        side=b["side"],
        court_name=b["court_name"],
        court_case_number=b["court_case_number"],
        hearing_date=b["hearing_date"],
        department=b["department"],
        premises_address=b["premises_address"],
        description=b["description"],
        other_name=b["other_name"],
        other_email=b["other_email"],
        other_phone=b["other_phone"] or None,
        share_contact=bool(b["share_contact"]),
    )
    return json_response(await _detail(call, case_id), 201)


async def list_cases(call: Call) -> object:
    """My cases, each with its status and whether it waits on me."""
    async with call.services.db.session() as s:
        return {"cases": await queries.case_list(s, _me(call))}


async def get_case(call: Call) -> object:
    """One case as I may see it (admins' views are audited)."""
    return await _detail(call, _case_id(call))


async def resend_invitation(call: Call) -> object:
    """Send a fresh invitation link (optionally to a corrected address)."""
    b = call.body
    await _cases(call).resend_invitation(
        _me(call), _case_id(call), role=b["role"] or "party", email=b["email"], name=b["name"]
    )
    return {"status": "sent"}


async def revoke_invitation(call: Call) -> object:
    """Stop my open invitation link from working."""
    await _cases(call).revoke_invitation(
        _me(call), _case_id(call), role=call.body["role"] or "party"
    )
    return {"status": "revoked"}


async def consent(call: Call) -> object:
    """Accept the agreement to mediate (the version I read)."""
    await _cases(call).consent(_me(call), _case_id(call), call.body["text_version"])
    return await _detail(call, _case_id(call))


async def opt_out(call: Call) -> object:
    """Stop mediation for everybody; the optional reason stays private."""
    await _cases(call).opt_out(_me(call), _case_id(call), call.body["reason"] or None)
    return await _detail(call, _case_id(call))


async def impasse(call: Call) -> object:
    """The mediator records that no agreement was reached."""
    await _cases(call).record_impasse(_me(call), _case_id(call))
    return await _detail(call, _case_id(call))


async def invite_attorney(call: Call) -> object:
    """Invite my attorney by email."""
    await _cases(call).invite_attorney(
        _me(call), _case_id(call), call.body["email"], call.body["name"]
    )
    return {"status": "sent"}


async def add_observer(call: Call) -> object:
    """The mediator adds an observer (a mediator in training), pending approval."""
    await _cases(call).add_observer(_me(call), _case_id(call), call.body["user_id"])
    return await _detail(call, _case_id(call))


async def approve_observer(call: Call) -> object:
    """The mediator approves an observer."""
    await _cases(call).approve_observer(_me(call), _case_id(call), int(call.params["user_id"]))
    return await _detail(call, _case_id(call))


async def remove_participant(call: Call) -> object:
    """Remove an attorney or observer (or leave, for oneself)."""
    await _cases(call).remove_participant(_me(call), _case_id(call), int(call.params["user_id"]))
    return {"status": "removed"}


# -- invitations ------------------------------------------------------------------------------


async def get_invitation(call: Call) -> object:
    """What an invitation is about: explainer, kind, case number and the inviter's name."""
    return await _cases(call).invitation_info(call.params["token"])


async def accept_invitation(call: Call) -> object:
    """Join the case with the account that has the invited email address."""
    case_id = await _cases(call).accept_invitation(
        _me(call), call.params["token"], share_contact=bool(call.body["share_contact"])
    )
    return await _detail(call, case_id)


async def decline_invitation(call: Call) -> object:
    """Say no to mediation; no account needed."""
    user = call.current.user if call.current else None
    await _cases(call).decline_invitation(call.params["token"], user)
    return {"status": "declined"}


async def agreement_to_mediate(call: Call) -> object:
    """The agreement to mediate and its version."""
    return {"version": AGREEMENT_TO_MEDIATE_VERSION, "text": AGREEMENT_TEXT}


# -- administration ---------------------------------------------------------------------------


async def admin_queue(call: Call) -> object:
    """Cases waiting for a mediator, each with a suggested mediator."""
    async with call.services.db.session() as s:
        return {"cases": await staffing.queue(s)}


async def admin_cases(call: Call) -> object:
    """Every case."""
    async with call.services.db.session() as s:
        return {"cases": await queries.case_list(s, _me(call), every=True)}


async def assign(call: Call) -> object:
    """Assign or reassign the mediator and optional co-mediator."""
    b = call.body
    await _cases(call).assign(_me(call), _case_id(call), b["mediator_id"], b["co_mediator_id"])
    return await _detail(call, _case_id(call))


async def admin_mediators(call: Call) -> object:
    """Mediators with availability and load."""
    async with call.services.db.session() as s:
        return {"mediators": await staffing.mediators(s)}


async def set_availability(call: Call) -> object:
    """Whether a mediator takes new cases."""
    user_id = int(call.params["user_id"])
    await _cases(call).set_availability(_me(call), user_id, call.body["available"])
    return {"status": "ok"}


async def add_conflict(call: Call) -> Response:
    """Record a conflict of interest between a mediator and a person."""
    b = call.body
    conflict_id = await _cases(call).add_conflict(
        _me(call), b["mediator_id"], b["email"], b["user_id"], b["note"] or ""
    )
    return json_response({"id": conflict_id}, 201)


async def audit_log(call: Call) -> object:
    """The audit log, newest first (admins only)."""
    query = call.request.query_params
    try:
        case_id = int(query["case_id"]) if query.get("case_id") else None
        before = int(query["before"]) if query.get("before") else None
    except ValueError:
        raise Invalid("case_id and before must be whole numbers.") from None
    if any(v is not None and not 0 < v < 2**31 for v in (case_id, before)):
        raise Invalid("case_id and before must be between 1 and 2147483647.")
    async with call.services.db.read() as s:
        rows = await audit.entries(s, case_id=case_id, before_id=before)
    return {"entries": [audit.entry_json(row) for row in rows]}


CASE = "/api/cases/{case_id:int}"
ENDPOINTS = (
    Endpoint(
        "POST",
        "/api/cases",
        open_case,
        "Open a case and invite the other side",
        body=Body(
            {
                "kind": F(Choice(tuple(k.value for k in CaseKind))),
                "side": F(SIDES, description="your side"),
                "court_name": F(Str(COURT_NAME_MAX), required=False),
                "court_case_number": F(Str(CASE_NUMBER_MAX), required=False),
                "hearing_date": F(Date(), required=False),
                "department": F(
                    Str(DEPARTMENT_MAX), required=False, description="court department"
                ),
                "premises_address": F(
                    Str(PREMISES_MAX),
                    required=False,
                    description="unlawful detainer: the rented premises (required there)",
                ),
                "description": F(Str(DESCRIPTION_MAX, 1, multiline=True)),
                "other_name": F(NameField),
                "other_email": F(EmailField),
                "other_phone": F(PhoneField, required=False),
                "share_contact": F(
                    Bool(), required=False, description="let the other side see my email and phone"
                ),
            }
        ),
        status=201,
        responses=(404,),
        tag="cases",
    ),
    Endpoint("GET", "/api/cases", list_cases, "My cases", tag="cases"),
    Endpoint("GET", CASE, get_case, "One case", responses=(404,), tag="cases"),
    Endpoint(
        "POST",
        CASE + "/invitation/resend",
        resend_invitation,
        "Resend my invitation",
        body=Body(
            {
                "role": INVITE_ROLE,
                "email": F(EmailField, required=False),
                "name": F(NameField, required=False),
            }
        ),
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/invitation/revoke",
        revoke_invitation,
        "Revoke my invitation",
        body=Body({"role": INVITE_ROLE}),
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/consent",
        consent,
        "Accept the agreement to mediate",
        body=Body({"text_version": F(Str(32, 1))}),
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/opt-out",
        opt_out,
        "Stop mediation",
        body=Body(
            {
                "reason": F(
                    Str(2000, multiline=True),
                    required=False,
                    description="private: only CCR administration sees it",
                )
            }
        ),
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/impasse",
        impasse,
        "Record an impasse (mediator)",
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/attorneys",
        invite_attorney,
        "Invite my attorney",
        body=Body({"email": F(EmailField), "name": F(NameField)}),
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/observers",
        add_observer,
        "Add an observer (mediator)",
        body=Body({"user_id": F(Id)}),
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/observers/{user_id:int}/approve",
        approve_observer,
        "Approve an observer (mediator)",
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "DELETE",
        CASE + "/participants/{user_id:int}",
        remove_participant,
        "Remove an attorney or observer",
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "GET",
        "/api/invitations/{token}",
        get_invitation,
        "Read an invitation",
        access="public",
        responses=(422,),
        tag="invitations",
    ),
    Endpoint(
        "POST",
        "/api/invitations/{token}/accept",
        accept_invitation,
        "Accept an invitation",
        body=Body({"share_contact": F(Bool(), required=False)}),
        responses=(422,),
        tag="invitations",
    ),
    Endpoint(
        "POST",
        "/api/invitations/{token}/decline",
        decline_invitation,
        "Decline an invitation",
        access="public",
        responses=(422,),
        tag="invitations",
    ),
    Endpoint(
        "GET",
        "/api/agreement-to-mediate",
        agreement_to_mediate,
        "The agreement to mediate",
        access="public",
        tag="invitations",
    ),
    Endpoint(
        "GET",
        "/api/admin/queue",
        admin_queue,
        "Cases awaiting a mediator",
        access="admin",
        tag="admin",
    ),
    Endpoint("GET", "/api/admin/cases", admin_cases, "All cases", access="admin", tag="admin"),
    Endpoint(
        "POST",
        "/api/admin/cases/{case_id:int}/assign",
        assign,
        "Assign a mediator",
        access="admin",
        body=Body({"mediator_id": F(Id), "co_mediator_id": F(Id, required=False)}),
        responses=(404, 409),
        tag="admin",
    ),
    Endpoint(
        "GET", "/api/admin/mediators", admin_mediators, "Mediators", access="admin", tag="admin"
    ),
    Endpoint(
        "POST",
        "/api/admin/mediators/{user_id:int}/availability",
        set_availability,
        "Set a mediator's availability",
        access="admin",
        body=Body({"available": F(Bool())}),
        tag="admin",
    ),
    Endpoint(
        "POST",
        "/api/admin/conflicts",
        add_conflict,
        "Record a conflict of interest",
        access="admin",
        body=Body(
            {
                "mediator_id": F(Id),
                "email": F(EmailField, required=False),
                "user_id": F(Id, required=False),
                "note": F(Str(500), required=False),
            }
        ),
        status=201,
        tag="admin",
    ),
    Endpoint("GET", "/api/admin/audit", audit_log, "The audit log", access="admin", tag="admin"),
)
