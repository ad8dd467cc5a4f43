"""Request and response bodies of the case, invitation and administration endpoints."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from odrchat.auth.bodies import Email, Name, Phone
from odrchat.bodies import (
    MAX_ID,
    Body,
    Choice,
    Day,
    Flag,
    Id,
    Int,
    LanguageCode,
    Query,
    QueryInt,
    Reply,
    Text,
    Timestamp,
)
from odrchat.cases.kinds import (
    CASE_NUMBER_MAX,
    COURT_FILED_KINDS,
    COURT_NAME_MAX,
    DEPARTMENT_MAX,
    DESCRIPTION_MAX,
    PREMISES_MAX,
    CaseKind,
)
from odrchat.cases.machine import CaseStatus, Outcome
from odrchat.cases.roles import Role, Side
from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION

SideName = Annotated[str, Choice(tuple(s.value for s in Side))]
_ACTION = re.compile(r"^[a-z_]+\.(?:[a-z_.]*)$")
InviteRole = Annotated[str, Choice(("party", "attorney"))]
Bool = Annotated[bool, Flag()]
# The language an interpreter is asked for: any language (not only those with a catalog).
Interpreter = Annotated[str, Text(40)]

# What the published schema adds to `OpenCase`: the court fields per kind. The server checks
# the same rules (cases/kinds.py validate_case_facts) and names every bad field in its 422.
_COURT = sorted(k.value for k in COURT_FILED_KINDS)
_NOT_BLANK = r"\S"
_PER_KIND: dict[str, Any] = {
    "allOf": [
        {
            "if": {"properties": {"kind": {"enum": _COURT}}, "required": ["kind"]},
            "then": {
                "required": ["court_name", "court_case_number"],
                "properties": {
                    "court_name": {"type": "string", "pattern": _NOT_BLANK},
                    "court_case_number": {
                        "type": "string",
                        "pattern": r"^\s*[A-Za-z0-9][A-Za-z0-9 -]*\s*$",
                    },
                },
            },
        },
        {
            "if": {"properties": {"kind": {"const": CaseKind.COMMUNITY.value}}},
            "then": {
                "properties": {
                    "court_name": {"type": "null"},
                    "court_case_number": {"type": "null"},
                    "hearing_date": {"type": "null"},
                    "department": {"type": "null"},
                },
            },
        },
        {
            "if": {
                "properties": {"kind": {"const": CaseKind.UNLAWFUL_DETAINER.value}},
                "required": ["kind"],
            },
            "then": {
                "required": ["premises_address"],
                "properties": {"premises_address": {"type": "string", "pattern": _NOT_BLANK}},
            },
            "else": {"properties": {"premises_address": {"type": "null"}}},
        },
    ]
}

# -- requests ---------------------------------------------------------------------------------


class OpenCase(Body):
    """Court cases (small claims, unlawful detainer, civil harassment) need `court_name` and
    `court_case_number`, and unlawful detainer also `premises_address`; a community mediation
    has no court, case number, department or hearing."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=_PER_KIND
    )

    kind: Annotated[str, Choice(tuple(k.value for k in CaseKind))]
    side: SideName = Field(description="your side")
    court_name: Annotated[str, Text(COURT_NAME_MAX)] | None = Field(
        None, description="required for court cases; absent for community mediation"
    )
    court_case_number: Annotated[str, Text(CASE_NUMBER_MAX)] | None = Field(
        None, description="required for court cases: letters, digits, dashes and spaces"
    )
    hearing_date: Annotated[date, Day()] | None = None
    department: Annotated[str, Text(DEPARTMENT_MAX)] | None = Field(
        None, description="court department (court cases only)"
    )
    premises_address: Annotated[str, Text(PREMISES_MAX)] | None = Field(
        None, description="unlawful detainer: the rented premises (required there, only there)"
    )
    description: Annotated[str, Text(DESCRIPTION_MAX, 1, multiline=True)]
    other_name: Name
    other_email: Email
    other_phone: Phone | None = None
    share_contact: Bool | None = Field(
        None,
        description="let my own attorney and observers see my email and phone (the other side "
        "never sees them)",
    )
    interpreter: Interpreter | None = Field(
        None, description="ask for an interpreter: the language (e.g. `Spanish`, `Mixtec`)"
    )


class ResendInvitation(Body):
    role: InviteRole | None = Field(
        None, description="which of your invitations (default: the other party's)"
    )
    email: Email | None = Field(None, description="a corrected address")
    name: Name | None = None


class RevokeInvitation(Body):
    role: InviteRole | None = Field(
        None, description="which of your invitations (default: the other party's)"
    )


class Consent(Body):
    text_version: Annotated[str, Text(32, 1)] = Field(
        description="the `version` of the agreement to mediate the person read, from "
        "`GET /api/agreement-to-mediate` (a case also shows it in `consent_needed`); an older "
        "version answers 409 `stale_text`"
    )
    language: LanguageCode | None = Field(
        None,
        description="the `language` of the text the person read (default: the request's); the "
        "consent records it with the SHA-256 of that language's text",
    )


class OptOut(Body):
    reason: Annotated[str, Text(2000, multiline=True)] | None = Field(
        None, description="private: only CCR administration sees it"
    )


class InviteAttorney(Body):
    email: Email
    name: Name


class AddObserver(Body):
    user_id: Id | None = Field(None, description="the observer's account")
    email: Email | None = Field(
        None, description="or the address of their account (a mediator in training)"
    )


class AcceptInvitation(Body):
    share_contact: Bool | None = Field(
        None,
        description="let my own attorney and observers see my email and phone (the other side "
        "never sees them)",
    )
    interpreter: Interpreter | None = Field(
        None, description="ask for an interpreter: the language (e.g. `Spanish`, `Mixtec`)"
    )


class Assign(Body):
    mediator_id: Id
    co_mediator_id: Id | None = None
    override_reason: Annotated[str, Text(500, 1)] | None = Field(
        None,
        description="why a mediator with a recorded conflict of interest is assigned anyway "
        "(without it such an assignment answers 409 `mediator_conflict`); audited",
    )


class MediatorProfile(Body):
    languages: list[Annotated[str, Text(16, 2)]] = Field(
        max_length=20, description="language codes the mediator mediates in (none: English)"
    )
    case_kinds: list[Annotated[str, Choice(tuple(k.value for k in CaseKind))]] = Field(
        max_length=4, description="kinds of case to suggest them for (none: every kind)"
    )
    max_active_cases: Annotated[int, Int(1, 500)] | None = Field(
        None, description="no suggestion beyond this many cases in mediation (none: no cap)"
    )


class DaysOff(Body):
    days: list[Annotated[date, Day()]] = Field(
        max_length=366,
        description="every day off from today on (replaces the ones given before; past days "
        "are kept as they were)",
    )


class FeeReview(Body):
    status: Annotated[str, Choice(("waived", "paid", "due"))]


class Availability(Body):
    available: Bool


class AddConflict(Body):
    mediator_id: Id
    email: Email | None = Field(None, description="the person's address")
    user_id: Id | None = Field(None, description="or their account")
    party_name: Name | None = Field(
        None, description="or their name, matched against the names on each case"
    )
    note: Annotated[str, Text(500)] | None = None


class AuditQuery(Query):
    case_id: Annotated[int, QueryInt(1, MAX_ID)] | None = Field(
        None, description="only this case's entries"
    )
    before: Annotated[int, QueryInt(1, MAX_ID)] | None = Field(
        None, description="entries older than this entry id (the next page)"
    )
    action: Annotated[str, Text(64, pattern=_ACTION, pattern_message="is not an action")] | None = (
        Field(
            None, description="one action (`case.assigned`) or a family ending in a dot (`user.`)"
        )
    )
    actor: Annotated[str, Text(120)] | None = Field(
        None, description="a part of the actor's name or email address"
    )
    since: Annotated[date, Day()] | None = Field(
        None, description="from this day on (the centre's time zone)"
    )
    until: Annotated[date, Day()] | None = Field(
        None, description="up to and including this day (the centre's time zone)"
    )


class CaseQuery(Query):
    kind: Annotated[str, Choice(tuple(k.value for k in CaseKind))] | None = None
    status: Annotated[str, Choice(tuple(s.value for s in CaseStatus))] | None = None
    mediator_id: Annotated[int, QueryInt(1, MAX_ID)] | None = Field(
        None, description="cases this mediator (or co-mediator) sits in"
    )
    court_case_number: Annotated[str, Text(CASE_NUMBER_MAX)] | None = Field(
        None, description="a part of the court case number (spacing and case ignored)"
    )
    party: Annotated[str, Text(120)] | None = Field(
        None, description="a part of a party's name (or an invited party's)"
    )
    since: Annotated[date, Day()] | None = Field(
        None, description="opened on or after this day (the centre's time zone)"
    )
    until: Annotated[date, Day()] | None = Field(
        None, description="opened on or before this day (the centre's time zone)"
    )


# -- responses --------------------------------------------------------------------------------


class CaseSummary(Reply):
    """One line of a case list."""

    id: int
    kind: CaseKind
    court_case_number: str | None
    status: CaseStatus
    outcome: Outcome | None
    my_role: Role
    my_side: Side | None
    waiting_on_me: bool
    next_step: str
    created_at: Timestamp
    safety_flag: bool | None = Field(
        description="mediators and admins only: a party's safety screening flagged the case "
        "(the answers are at `GET /api/cases/{case_id}/screening`); null for everyone else"
    )
    help_requested_at: Timestamp | None = Field(
        description='mediators and admins only: when a party last pressed "need help"'
    )
    help_open: int | None = Field(
        default=None,
        description="mediators and admins only: help requests nobody has marked handled yet "
        "(`GET /api/cases/{case_id}/help`)",
    )


class CaseParticipant(Reply):
    user_id: int
    display_name: str
    role: Role
    side: Side | None
    side_label: str | None
    duties: str = Field(description="what this role may and may not do, in plain words")
    approved: bool
    added_at: Timestamp
    email: str | None = Field(
        description="shown to neutrals, admins and oneself; when shared, also to one's own side "
        "and observers; never to the other side"
    )
    phone: str | None
    language: str | None = Field(
        None, description="the person's language (a catalog code); shown to mediators and admins"
    )
    interpreter: str | None = Field(
        None,
        description="the language a party asked an interpreter for; shown to mediators, admins "
        "and the party",
    )


class CaseConsent(Reply):
    side: Side
    user_id: int
    text_version: str
    language: str = Field(description="the language of the text that was accepted")
    text_sha256: str = Field(description="SHA-256 of the exact text accepted (empty: before 0016)")
    accepted_at: Timestamp


class SentInvitation(Reply):
    name: str
    sent_at: Timestamp
    expires_at: Timestamp
    email: str | None = Field(description="only the inviter and admins see it")


class CaseDetail(CaseSummary):
    """Everything a participant (or an admin) may see of a case."""

    court_name: str | None
    hearing_date: date | None
    department: str | None = Field(description="court department, when the case names one")
    premises_address: str | None = Field(description="unlawful detainer: the rented premises")
    description: str
    fee_review: bool
    fee_status: Literal["waived", "paid", "due"] | None = Field(
        description="community mediations: the centre's fee decision, once reviewed"
    )
    initiator_side: Side
    closed_at: Timestamp | None
    performed_at: Timestamp | None = Field(
        None, description="settled cases: when both sides confirmed the agreement's last payment"
    )
    notice: str | None = Field(description="what happens next, once the case has closed")
    participants: list[CaseParticipant]
    consents: list[CaseConsent]
    mediator_intro: str | None
    consent_needed: str | None = Field(
        description=f"the agreement-to-mediate version I still have to accept (now "
        f"{AGREEMENT_TO_MEDIATE_VERSION!r}); send it back as `text_version` to "
        "`POST /api/cases/{case_id}/consent`"
    )
    invitation: SentInvitation | None = Field(description="the open invitation, while invited")
    screening_required: bool = Field(
        description="parties of this case answer the safety screening before agreeing to mediate"
    )
    screening_answered: bool | None = Field(
        description="for a party: whether I have answered the screening; null for others"
    )


class OpenedCase(CaseDetail):
    """The case just opened, as `GET /api/cases/{case_id}` shows it, and one warning."""

    court_case_number_in_use: bool = Field(
        description="another open case at the centre already has this court case number: the "
        "case is filed all the same and staff will check it (nothing about the other case is "
        "said)"
    )


class CaseList(Reply):
    cases: list[CaseSummary]


class InvitationInfo(Reply):
    """What the invitation page (`#/invite/<token>`) shows before anyone logs in."""

    id: int = Field(description="its addressee may also answer it as /api/me/invitations/{id}")
    kind: CaseKind
    kind_label: str
    court_name: str | None
    court_case_number: str | None
    hearing_date: date | None
    inviter: str
    name: str
    role: Literal["party", "attorney"]
    side: Side
    expires_at: Timestamp
    explainer: str


class MyInvitations(Reply):
    """Invitations still open that were sent to my confirmed email address, newest first."""

    invitations: list[InvitationInfo]


class AgreementToMediate(Reply):
    version: str = Field(description="send it as `text_version` when consenting")
    text: str = Field(description="in the request's language")
    language: str = Field(description="the language of `text`; send it back when consenting")
    language_version: str = Field(
        description="this language's version: `<version>/<language>/<start of sha256>`"
    )
    sha256: str = Field(description="SHA-256 of `text` (UTF-8), recorded with a consent")


class QueueParty(Reply):
    display_name: str
    side: Side | None
    language: str = Field(description="the party's language (a catalog code)")
    interpreter: str | None = Field(description="the language an interpreter was asked for")


class Mediator(Reply):
    id: int
    display_name: str


class QueueConflict(Reply):
    mediator_id: int
    person: str = Field(description="whom the conflict names (a name or an email address)")
    note: str


class QueuedCase(Reply):
    id: int
    kind: CaseKind
    court_case_number: str | None
    hearing_date: date | None
    created_at: Timestamp
    parties: list[QueueParty]
    suggested: Mediator | None
    safety_flag: bool = Field(
        description="a party's safety screening flagged the case (details: its screening)"
    )
    conflicts: list[QueueConflict] = Field(
        description="recorded conflicts between a mediator and someone on this case"
    )
    duplicates: list[int] = Field(
        description="other open cases with the same court case number (check before assigning)"
    )


class Queue(Reply):
    cases: list[QueuedCase]


class MediatorLoad(Reply):
    id: int
    display_name: str
    email: str
    available: bool
    disabled: bool
    active_cases: int
    languages: list[str]
    case_kinds: list[CaseKind]
    max_active_cases: int | None
    days_off: list[date] = Field(description="from today (the centre's date) on")


class ConflictRow(Reply):
    id: int
    mediator_id: int
    mediator_name: str
    email: str | None
    user_id: int | None
    party_name: str | None
    note: str
    created_at: Timestamp


class Conflicts(Reply):
    conflicts: list[ConflictRow]


class Mediators(Reply):
    mediators: list[MediatorLoad]


class Created(Reply):
    id: int


class AuditEntry(Reply):
    id: int
    at: Timestamp
    at_local: str | None = Field(description="the moment in the centre's time zone, as printed")
    actor_user_id: int | None
    actor_name: str | None = Field(description="null for the system")
    actor_role: str = Field(
        description="admin, mediator, the role in the case (party, attorney...), user or system"
    )
    action: str
    case_id: int | None
    detail: dict[str, Any]


class AdminCase(CaseSummary):
    """One line of the administration's case list."""

    mediator: str | None
    parties: list[str]
    fee_review: bool
    fee_status: Literal["waived", "paid", "due"] | None
    duplicates: list[int] = Field(
        description="open cases only: the other open cases with the same court case number "
        "(spacing and letter case ignored), for staff to check"
    )


class AdminCaseList(Reply):
    cases: list[AdminCase] = Field(description="newest first, at most 500")


class AuditLog(Reply):
    entries: list[AuditEntry]


class Sent(Reply):
    status: Literal["sent"]


class Revoked(Reply):
    status: Literal["revoked"]


class Removed(Reply):
    status: Literal["removed"]


class Declined(Reply):
    status: Literal["declined"]


class Done(Reply):
    status: Literal["ok"]
