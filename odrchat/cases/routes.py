"""HTTP endpoints for cases, invitations, consent, outcomes, participants and administration.

Thin: each handler checks nothing itself beyond reading the body; `CaseService` decides.
Anything about a case the caller does not take part in answers 404, never 403.
"""

from __future__ import annotations

from typing import Any

from odrchat import audit
from odrchat.api import Call, Endpoint
from odrchat.auth.tables import User
from odrchat.cases import bodies as b
from odrchat.cases import staffing, views
from odrchat.cases.service import CaseService
from odrchat.cases.texts import AGREEMENT_TEXT, AGREEMENT_TO_MEDIATE_VERSION


def _cases(call: Call[Any]) -> CaseService:
    return call.services.cases


def _me(call: Call[Any]) -> User:
    assert call.current is not None
    return call.current.user


def _case_id(call: Call[Any]) -> int:
    return int(call.params["case_id"])


async def _detail(call: Call[Any], case_id: int) -> b.CaseDetail:
    return b.CaseDetail.model_validate(await _cases(call).detail(_me(call), case_id))


# -- cases ------------------------------------------------------------------------------------


async def open_case(call: Call[b.OpenCase]) -> b.CaseDetail:
    """Open a case and invite the other side (the invitation email links to `#/invite/<token>`)."""
    body = call.body
    case_id = await _cases(call).open_case(
        _me(call),
        kind=body.kind,
        side=body.side,
        court_name=body.court_name,
        court_case_number=body.court_case_number,
        hearing_date=body.hearing_date,
        department=body.department,
        premises_address=body.premises_address,
        description=body.description,
        other_name=body.other_name,
        other_email=body.other_email,
        other_phone=body.other_phone or None,
        share_contact=bool(body.share_contact),
    )
    return await _detail(call, case_id)


async def list_cases(call: Call[None]) -> b.CaseList:
    """My cases, each with its status and whether it waits on me."""
    async with call.services.db.session() as s:
        return b.CaseList.model_validate(
            {
                "cases": await views.case_list(
                    s, _me(call), screening_kinds=call.services.settings.screening_kinds
                )
            }
        )


async def get_case(call: Call[None]) -> b.CaseDetail:
    """One case as I may see it (admins' views are audited)."""
    return await _detail(call, _case_id(call))


async def resend_invitation(call: Call[b.ResendInvitation]) -> b.Sent:
    """Send a fresh invitation link (optionally to a corrected address)."""
    body = call.body
    await _cases(call).resend_invitation(
        _me(call), _case_id(call), role=body.role or "party", email=body.email, name=body.name
    )
    return b.Sent(status="sent")


async def revoke_invitation(call: Call[b.RevokeInvitation]) -> b.Revoked:
    """Stop my open invitation link from working."""
    await _cases(call).revoke_invitation(_me(call), _case_id(call), role=call.body.role or "party")
    return b.Revoked(status="revoked")


async def consent(call: Call[b.Consent]) -> b.CaseDetail:
    """Accept the agreement to mediate: the version I read, from `GET /api/agreement-to-mediate`."""
    await _cases(call).consent(_me(call), _case_id(call), call.body.text_version)
    return await _detail(call, _case_id(call))


async def opt_out(call: Call[b.OptOut]) -> b.CaseDetail:
    """Stop mediation for everybody; the optional reason stays private."""
    await _cases(call).opt_out(_me(call), _case_id(call), call.body.reason or None)
    return await _detail(call, _case_id(call))


async def impasse(call: Call[None]) -> b.CaseDetail:
    """The mediator records that no agreement was reached."""
    await _cases(call).record_impasse(_me(call), _case_id(call))
    return await _detail(call, _case_id(call))


async def invite_attorney(call: Call[b.InviteAttorney]) -> b.Sent:
    """Invite my attorney by email (the email links to `#/invite/<token>`)."""
    await _cases(call).invite_attorney(_me(call), _case_id(call), call.body.email, call.body.name)
    return b.Sent(status="sent")


async def add_observer(call: Call[b.AddObserver]) -> b.CaseDetail:
    """The mediator adds an observer (a mediator in training), pending approval."""
    await _cases(call).add_observer(_me(call), _case_id(call), call.body.user_id)
    return await _detail(call, _case_id(call))


async def approve_observer(call: Call[None]) -> b.CaseDetail:
    """The mediator approves an observer."""
    await _cases(call).approve_observer(_me(call), _case_id(call), int(call.params["user_id"]))
    return await _detail(call, _case_id(call))


async def remove_participant(call: Call[None]) -> b.Removed:
    """Remove an attorney or observer (or leave, for oneself)."""
    await _cases(call).remove_participant(_me(call), _case_id(call), int(call.params["user_id"]))
    return b.Removed(status="removed")


# -- invitations ------------------------------------------------------------------------------


async def get_invitation(call: Call[None]) -> b.InvitationInfo:
    """What an invitation (`#/invite/<token>`) is about: explainer, kind, case number, inviter."""
    return b.InvitationInfo.model_validate(await _cases(call).invitation_info(call.params["token"]))


async def accept_invitation(call: Call[b.AcceptInvitation]) -> b.CaseDetail:
    """Join the case with the account that has the invited email address."""
    case_id = await _cases(call).accept_invitation(
        _me(call), call.params["token"], share_contact=bool(call.body.share_contact)
    )
    return await _detail(call, case_id)


async def decline_invitation(call: Call[None]) -> b.Declined:
    """Say no to mediation; no account needed."""
    user = call.current.user if call.current else None
    await _cases(call).decline_invitation(call.params["token"], user)
    return b.Declined(status="declined")


async def agreement_to_mediate(call: Call[None]) -> b.AgreementToMediate:
    """The agreement to mediate and its version (consenting sends the version back)."""
    return b.AgreementToMediate(version=AGREEMENT_TO_MEDIATE_VERSION, text=AGREEMENT_TEXT)


# -- administration ---------------------------------------------------------------------------


async def admin_queue(call: Call[None]) -> b.Queue:
    """Cases waiting for a mediator, each with a suggested mediator."""
    async with call.services.db.session() as s:
        return b.Queue.model_validate({"cases": await staffing.queue(s)})


async def admin_cases(call: Call[None]) -> b.CaseList:
    """Every case."""
    async with call.services.db.session() as s:
        return b.CaseList.model_validate(
            {
                "cases": await views.case_list(
                    s,
                    _me(call),
                    every=True,
                    screening_kinds=call.services.settings.screening_kinds,
                )
            }
        )


async def assign(call: Call[b.Assign]) -> b.CaseDetail:
    """Assign or reassign the mediator and optional co-mediator."""
    body = call.body
    await _cases(call).assign(_me(call), _case_id(call), body.mediator_id, body.co_mediator_id)
    return await _detail(call, _case_id(call))


async def admin_mediators(call: Call[None]) -> b.Mediators:
    """Mediators with availability and load."""
    async with call.services.db.session() as s:
        return b.Mediators.model_validate({"mediators": await staffing.mediators(s)})


async def set_availability(call: Call[b.Availability]) -> b.Done:
    """Whether a mediator takes new cases."""
    user_id = int(call.params["user_id"])
    await _cases(call).set_availability(_me(call), user_id, call.body.available)
    return b.Done(status="ok")


async def add_conflict(call: Call[b.AddConflict]) -> b.Created:
    """Record a conflict of interest between a mediator and a person."""
    body = call.body
    conflict_id = await _cases(call).add_conflict(
        _me(call), body.mediator_id, body.email, body.user_id, body.note or ""
    )
    return b.Created(id=conflict_id)


async def audit_log(call: Call[None]) -> b.AuditLog:
    """The audit log, newest first, 100 entries a page (admins only)."""
    query = call.query
    assert isinstance(query, b.AuditQuery)
    async with call.services.db.read() as s:
        rows = await audit.entries(s, case_id=query.case_id, before_id=query.before)
    return b.AuditLog.model_validate({"entries": [audit.entry_json(row) for row in rows]})


CASE = "/api/cases/{case_id:int}"
ENDPOINTS = (
    Endpoint(
        "POST",
        "/api/cases",
        open_case,
        "Open a case and invite the other side",
        body=b.OpenCase,
        reply=b.CaseDetail,
        status=201,
        responses=(404,),
        tag="cases",
    ),
    Endpoint("GET", "/api/cases", list_cases, "My cases", reply=b.CaseList, tag="cases"),
    Endpoint("GET", CASE, get_case, "One case", reply=b.CaseDetail, responses=(404,), tag="cases"),
    Endpoint(
        "POST",
        CASE + "/invitation/resend",
        resend_invitation,
        "Resend my invitation",
        body=b.ResendInvitation,
        reply=b.Sent,
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/invitation/revoke",
        revoke_invitation,
        "Revoke my invitation",
        body=b.RevokeInvitation,
        reply=b.Revoked,
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/consent",
        consent,
        "Accept the agreement to mediate",
        body=b.Consent,
        reply=b.CaseDetail,
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/opt-out",
        opt_out,
        "Stop mediation",
        body=b.OptOut,
        reply=b.CaseDetail,
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/impasse",
        impasse,
        "Record an impasse (mediator)",
        reply=b.CaseDetail,
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/attorneys",
        invite_attorney,
        "Invite my attorney",
        body=b.InviteAttorney,
        reply=b.Sent,
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/observers",
        add_observer,
        "Add an observer (mediator)",
        body=b.AddObserver,
        reply=b.CaseDetail,
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/observers/{user_id:int}/approve",
        approve_observer,
        "Approve an observer (mediator)",
        reply=b.CaseDetail,
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "DELETE",
        CASE + "/participants/{user_id:int}",
        remove_participant,
        "Remove an attorney or observer",
        reply=b.Removed,
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "GET",
        "/api/invitations/{token}",
        get_invitation,
        "Read an invitation",
        access="public",
        reply=b.InvitationInfo,
        responses=(422,),
        tag="invitations",
    ),
    Endpoint(
        "POST",
        "/api/invitations/{token}/accept",
        accept_invitation,
        "Accept an invitation",
        body=b.AcceptInvitation,
        reply=b.CaseDetail,
        responses=(422,),
        tag="invitations",
    ),
    Endpoint(
        "POST",
        "/api/invitations/{token}/decline",
        decline_invitation,
        "Decline an invitation",
        access="public",
        reply=b.Declined,
        responses=(422,),
        tag="invitations",
    ),
    Endpoint(
        "GET",
        "/api/agreement-to-mediate",
        agreement_to_mediate,
        "The agreement to mediate",
        access="public",
        reply=b.AgreementToMediate,
        tag="invitations",
    ),
    Endpoint(
        "GET",
        "/api/admin/queue",
        admin_queue,
        "Cases awaiting a mediator",
        access="admin",
        reply=b.Queue,
        tag="admin",
    ),
    Endpoint(
        "GET",
        "/api/admin/cases",
        admin_cases,
        "All cases",
        access="admin",
        reply=b.CaseList,
        tag="admin",
    ),
    Endpoint(
        "POST",
        "/api/admin/cases/{case_id:int}/assign",
        assign,
        "Assign a mediator",
        access="admin",
        body=b.Assign,
        reply=b.CaseDetail,
        responses=(404, 409),
        tag="admin",
    ),
    Endpoint(
        "GET",
        "/api/admin/mediators",
        admin_mediators,
        "Mediators",
        access="admin",
        reply=b.Mediators,
        tag="admin",
    ),
    Endpoint(
        "POST",
        "/api/admin/mediators/{user_id:int}/availability",
        set_availability,
        "Set a mediator's availability",
        access="admin",
        body=b.Availability,
        reply=b.Done,
        tag="admin",
    ),
    Endpoint(
        "POST",
        "/api/admin/conflicts",
        add_conflict,
        "Record a conflict of interest",
        access="admin",
        body=b.AddConflict,
        reply=b.Created,
        status=201,
        tag="admin",
    ),
    Endpoint(
        "GET",
        "/api/admin/audit",
        audit_log,
        "The audit log",
        access="admin",
        query=b.AuditQuery,
        reply=b.AuditLog,
        responses=(422,),
        tag="admin",
    ),
)
