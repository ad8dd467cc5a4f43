"""HTTP endpoints for cases, invitations, consent, outcomes, participants and administration.

Thin: each handler checks nothing itself beyond reading the body; `CaseService` decides.
Anything about a case the caller does not take part in answers 404, never 403.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

from starlette.responses import Response

from odrchat import audit
from odrchat.api import Call, Endpoint
from odrchat.auth.tables import User
from odrchat.cases import bodies as b
from odrchat.cases import legal, staffing, views
from odrchat.cases.fees import FeeStatus
from odrchat.cases.service import CaseService
from odrchat.cases.tables import Case


def _cases(call: Call[Any]) -> CaseService:
    return call.services.cases


def _me(call: Call[Any]) -> User:
    assert call.current is not None
    return call.current.user


def _case_id(call: Call[Any]) -> int:
    return int(call.params["case_id"])


async def _detail(call: Call[Any], case_id: int) -> b.CaseDetail:
    detail = await _cases(call).detail(_me(call), case_id)
    return b.CaseDetail.model_validate(views.in_language(detail, call.texts))


# -- cases ------------------------------------------------------------------------------------


async def open_case(call: Call[b.OpenCase]) -> b.OpenedCase:
    """Open a case and invite the other side (the invitation email links to `#/invite/<token>`).
    A court case number that another open case already has is filed all the same, flagged for
    staff, and the filer is told only that (`court_case_number_in_use`)."""
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
        interpreter=body.interpreter or None,
    )
    detail = await _detail(call, case_id)
    async with call.services.db.read() as s:
        case = await s.get(Case, case_id)
        assert case is not None
        in_use = bool(await staffing.duplicates(s, case))
    return b.OpenedCase.model_validate({**detail.model_dump(), "court_case_number_in_use": in_use})


async def list_cases(call: Call[None]) -> b.CaseList:
    """My cases, each with its status and whether it waits on me."""
    async with call.services.db.session() as s:
        cases = await views.case_list(
            s, _me(call), screening_kinds=call.services.settings.screening_kinds
        )
    return b.CaseList.model_validate({"cases": [views.in_language(c, call.texts) for c in cases]})


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
    body = call.body
    language = body.language or call.language
    await _cases(call).consent(_me(call), _case_id(call), body.text_version, language)
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
    """The mediator or an admin adds an observer (a mediator in training), pending approval."""
    await _cases(call).add_observer(
        _me(call), _case_id(call), call.body.user_id, email=call.body.email
    )
    return await _detail(call, _case_id(call))


async def approve_observer(call: Call[None]) -> b.CaseDetail:
    """The mediator or an admin approves an observer."""
    await _cases(call).approve_observer(_me(call), _case_id(call), int(call.params["user_id"]))
    return await _detail(call, _case_id(call))


async def remove_participant(call: Call[None]) -> b.Removed:
    """Remove an attorney or observer (or leave, for oneself)."""
    await _cases(call).remove_participant(_me(call), _case_id(call), int(call.params["user_id"]))
    return b.Removed(status="removed")


# -- invitations ------------------------------------------------------------------------------


async def get_invitation(call: Call[None]) -> b.InvitationInfo:
    """What an invitation (`#/invite/<token>`) is about: explainer, kind, case number, inviter."""
    info = await _cases(call).invitation_info(call.params["token"], call.language)
    return b.InvitationInfo.model_validate(info)


async def accept_invitation(call: Call[b.AcceptInvitation]) -> b.CaseDetail:
    """Join the case with the account that has the invited email address."""
    case_id = await _cases(call).accept_invitation(
        _me(call),
        call.params["token"],
        share_contact=bool(call.body.share_contact),
        interpreter=call.body.interpreter or None,
    )
    return await _detail(call, case_id)


async def decline_invitation(call: Call[None]) -> b.Declined:
    """Say no to mediation; no account needed."""
    user = call.current.user if call.current else None
    await _cases(call).decline_invitation(call.params["token"], user)
    return b.Declined(status="declined")


def _invitation_id(call: Call[Any]) -> int:
    return int(call.params["invitation_id"])


async def my_invitations(call: Call[None]) -> b.MyInvitations:
    """Invitations sent to my confirmed address that nobody answered yet (My cases lists them:
    an invitee who confirmed the address on another device still finds the invitation)."""
    found = await _cases(call).my_invitations(_me(call), call.language)
    return b.MyInvitations.model_validate({"invitations": found})


async def my_invitation(call: Call[None]) -> b.InvitationInfo:
    """One of my open invitations, as the invitation page shows it."""
    info = await _cases(call).invitation_info(_invitation_id(call), call.language, _me(call))
    return b.InvitationInfo.model_validate(info)


async def accept_my_invitation(call: Call[b.AcceptInvitation]) -> b.CaseDetail:
    """Join the case of one of my open invitations (as with the emailed link)."""
    case_id = await _cases(call).accept_invitation(
        _me(call),
        _invitation_id(call),
        share_contact=bool(call.body.share_contact),
        interpreter=call.body.interpreter or None,
    )
    return await _detail(call, case_id)


async def decline_my_invitation(call: Call[None]) -> b.Declined:
    """Say no to one of my open invitations."""
    await _cases(call).decline_invitation(_invitation_id(call), _me(call))
    return b.Declined(status="declined")


async def agreement_to_mediate(call: Call[None]) -> b.AgreementToMediate:
    """The agreement to mediate and its version (consenting sends the version back)."""
    shown = legal.agreement_to_mediate(call.language)
    return b.AgreementToMediate(
        version=shown.version,
        text=shown.text,
        language=shown.language,
        language_version=shown.language_version,
        sha256=shown.sha256,
    )


# -- administration ---------------------------------------------------------------------------


def _today(call: Call[Any]) -> date:
    return staffing.local_today(call.services.settings.tz)


def _day_start(call: Call[Any], day: date | None, *, after: bool = False) -> datetime | None:
    """Midnight in the centre's zone starting `day` (or the day after it, for an "until")."""
    if day is None:
        return None
    start = day + timedelta(days=1) if after else day
    return datetime.combine(start, time(), tzinfo=call.services.settings.tz)


async def admin_queue(call: Call[None]) -> b.Queue:
    """Cases waiting for a mediator: a suggested mediator, conflicts, same court numbers."""
    async with call.services.db.session() as s:
        return b.Queue.model_validate({"cases": await staffing.queue(s, _today(call), call.texts)})


async def admin_cases(call: Call[None]) -> b.AdminCaseList:
    """Every case, or those the filters select (all must hold), newest first."""
    q = call.query
    assert isinstance(q, b.CaseQuery)
    where = views.CaseFilter(
        kind=q.kind,
        status=q.status,
        mediator_id=q.mediator_id,
        court_case_number=q.court_case_number,
        party=q.party,
        since=_day_start(call, q.since),
        until=_day_start(call, q.until, after=True),
    )
    async with call.services.db.session() as s:
        found = await views.admin_case_list(
            s, _me(call), where, call.services.settings.screening_kinds
        )
    return b.AdminCaseList.model_validate({"cases": found})


async def assign(call: Call[b.Assign]) -> b.CaseDetail:
    """Assign or reassign the mediator and optional co-mediator (a recorded conflict needs
    `override_reason`)."""
    body = call.body
    await _cases(call).assign(
        _me(call),
        _case_id(call),
        body.mediator_id,
        body.co_mediator_id,
        override_reason=body.override_reason,
    )
    return await _detail(call, _case_id(call))


async def review_fee(call: Call[b.FeeReview]) -> b.CaseDetail:
    """Community mediations: record the fee as waived, paid or due; the filing party is told."""
    await _cases(call).review_fee(_me(call), _case_id(call), FeeStatus(call.body.status))
    return await _detail(call, _case_id(call))


async def admin_mediators(call: Call[None]) -> b.Mediators:
    """Mediators with availability, profile, days off and load."""
    async with call.services.db.session() as s:
        return b.Mediators.model_validate({"mediators": await staffing.mediators(s, _today(call))})


async def set_availability(call: Call[b.Availability]) -> b.Done:
    """Whether a mediator takes new cases."""
    user_id = int(call.params["user_id"])
    await _cases(call).set_availability(_me(call), user_id, call.body.available)
    return b.Done(status="ok")


async def set_profile(call: Call[b.MediatorProfile]) -> b.Done:
    """A mediator's languages, case kinds and most active cases (the suggestion follows them)."""
    body = call.body
    await _cases(call).set_profile(
        _me(call),
        int(call.params["user_id"]),
        body.languages,
        body.case_kinds,
        body.max_active_cases,
    )
    return b.Done(status="ok")


async def set_days_off(call: Call[b.DaysOff]) -> b.Done:
    """A mediator's days off from today on (no suggestion on those days)."""
    await _cases(call).set_days_off(_me(call), int(call.params["user_id"]), call.body.days)
    return b.Done(status="ok")


async def add_conflict(call: Call[b.AddConflict]) -> b.Created:
    """Record a conflict of interest between a mediator and a person (name, email or account)."""
    body = call.body
    conflict_id = await _cases(call).add_conflict(
        _me(call),
        body.mediator_id,
        body.email,
        body.user_id,
        body.note or "",
        party_name=body.party_name,
    )
    return b.Created(id=conflict_id)


async def list_conflicts(call: Call[None]) -> b.Conflicts:
    """Every recorded conflict of interest."""
    async with call.services.db.read() as s:
        return b.Conflicts.model_validate({"conflicts": await staffing.conflicts(s)})


async def remove_conflict(call: Call[None]) -> b.Done:
    """Delete a recorded conflict (audited)."""
    await _cases(call).remove_conflict(_me(call), int(call.params["conflict_id"]))
    return b.Done(status="ok")


def _audit_filter(call: Call[Any], q: b.AuditQuery) -> audit.Filter:
    return audit.Filter(
        case_id=q.case_id,
        action=q.action,
        actor=q.actor,
        since=_day_start(call, q.since),
        until=_day_start(call, q.until, after=True),
        before_id=q.before,
    )


async def audit_log(call: Call[None]) -> b.AuditLog:
    """The audit log, newest first, 100 entries a page, with names, roles and local times."""
    query = call.query
    assert isinstance(query, b.AuditQuery)
    tz = call.services.settings.tz
    async with call.services.db.read() as s:
        found = await audit.read(s, _audit_filter(call, query))
        roles = await audit.case_roles(s, _pairs(found))
    entries = [audit.entry_json(e, u, audit.role_of(e, u, roles), tz) for e, u in found]
    return b.AuditLog.model_validate({"entries": entries})


async def audit_csv(call: Call[None]) -> Response:
    """Every matching entry as CSV: dates in the centre's zone, names and roles; typed words
    (reasons, notes) and message text are never in it."""
    query = call.query
    assert isinstance(query, b.AuditQuery)
    async with call.services.db.read() as s:
        found = await audit.read(s, _audit_filter(call, query), limit=None)
        roles = await audit.case_roles(s, _pairs(found))
    out = io.StringIO()
    writer = csv.writer(out)
    for row in audit.csv_rows(found, roles, call.services.settings.tz):
        # A cell starting with = + - @ would be a formula to a spreadsheet.
        writer.writerow([f"'{c}" if c[:1] in ("=", "+", "-", "@") else c for c in row])
    name = f"audit-{_today(call).isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _pairs(found: list[tuple[audit.AuditEntry, User | None]]) -> set[tuple[int, int]]:
    return {
        (e.case_id, u.id)
        for e, u in found
        if e.case_id is not None and u is not None and u.id is not None and not u.staff_role
    }


CASE = "/api/cases/{case_id:int}"
ENDPOINTS = (
    Endpoint(
        "POST",
        "/api/cases",
        open_case,
        "Open a case and invite the other side",
        body=b.OpenCase,
        reply=b.OpenedCase,
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
        "Add an observer (mediator or admin)",
        body=b.AddObserver,
        reply=b.CaseDetail,
        responses=(404, 409),
        tag="cases",
    ),
    Endpoint(
        "POST",
        CASE + "/observers/{user_id:int}/approve",
        approve_observer,
        "Approve an observer (mediator or admin)",
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
        "/api/me/invitations",
        my_invitations,
        "My open invitations",
        reply=b.MyInvitations,
        tag="invitations",
    ),
    Endpoint(
        "GET",
        "/api/me/invitations/{invitation_id:int}",
        my_invitation,
        "Read one of my invitations",
        reply=b.InvitationInfo,
        responses=(422,),
        tag="invitations",
    ),
    Endpoint(
        "POST",
        "/api/me/invitations/{invitation_id:int}/accept",
        accept_my_invitation,
        "Accept one of my invitations",
        body=b.AcceptInvitation,
        reply=b.CaseDetail,
        responses=(422,),
        tag="invitations",
    ),
    Endpoint(
        "POST",
        "/api/me/invitations/{invitation_id:int}/decline",
        decline_my_invitation,
        "Decline one of my invitations",
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
        "All cases, or a search",
        access="admin",
        query=b.CaseQuery,
        reply=b.AdminCaseList,
        responses=(422,),
        tag="admin",
    ),
    Endpoint(
        "POST",
        "/api/admin/cases/{case_id:int}/fee",
        review_fee,
        "Record the fee review of a community mediation",
        access="admin",
        body=b.FeeReview,
        reply=b.CaseDetail,
        responses=(404, 409),
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
        "PUT",
        "/api/admin/mediators/{user_id:int}/profile",
        set_profile,
        "Set a mediator's languages, case kinds and most active cases",
        access="admin",
        body=b.MediatorProfile,
        reply=b.Done,
        tag="admin",
    ),
    Endpoint(
        "PUT",
        "/api/admin/mediators/{user_id:int}/days-off",
        set_days_off,
        "Set a mediator's days off",
        access="admin",
        body=b.DaysOff,
        reply=b.Done,
        tag="admin",
    ),
    Endpoint(
        "GET",
        "/api/admin/conflicts",
        list_conflicts,
        "Recorded conflicts of interest",
        access="admin",
        reply=b.Conflicts,
        tag="admin",
    ),
    Endpoint(
        "DELETE",
        "/api/admin/conflicts/{conflict_id:int}",
        remove_conflict,
        "Delete a recorded conflict of interest",
        access="admin",
        reply=b.Done,
        responses=(404,),
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
    Endpoint(
        "GET",
        "/api/admin/audit.csv",
        audit_csv,
        "The audit log as CSV",
        access="admin",
        query=b.AuditQuery,
        responses=(422,),
        media_type="text/csv",
        tag="admin",
    ),
)
