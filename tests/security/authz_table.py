"""The authorisation matrix, written from the FAQ and docs/protocol.md (not from the code).

Every HTTP endpoint of `odrchat.app.all_endpoints()` needs a POLICY row here, and every WebSocket
client frame type a WS row; `test_authz_matrix.py` fails when one is missing, so a new endpoint
cannot reach CI without someone deciding who may call it.

Answer classes: "ok" means the request got past authorisation (any status but 401, 403 and 404:
a 409 for a move the state rules out, or a 422 for a body the handler refuses, is still "ok");
"401", "403" and "404" are those statuses. Anyone outside a case gets 404 for anything of that
case, never 403, so an outsider cannot learn that a case exists.

An invitation answered by id (/api/me/invitations/{id}) is only its addressee's, with the address
confirmed; anyone else is answered "dead": exactly what a link that never existed gets (422
invalid_token, the same body), so nobody learns an invitation is there.

Roles: the seven seats of case A and A2 (see tests/security/world.py), an admin (CCR staff, no
seat), a stranger (a user with a case of their own) and an anonymous visitor. Scope: "own" is
the case the role sits in (A, or A2 for agreement endpoints), "other" is case B, where none of
them sits; for invitations by id, "own" is bob's invitation to paul (the plaintiff of A) and
"other" paul's to ivy, who has no account; endpoints that are not about a case have the single
scope "-".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tests.security.world import PASSWORD, World, terms

Answer = Literal["ok", "401", "403", "404", "dead"]
Kind = Literal["public", "user", "admin", "case", "invitation"]

SEATS = (
    "plaintiff",
    "defendant",
    "plaintiff_attorney",
    "defendant_attorney",
    "mediator",
    "co_mediator",
    "observer",
)
ROLES = (*SEATS, "admin", "stranger", "anonymous")
PARTIES = frozenset({"plaintiff", "defendant"})
ATTORNEYS = frozenset({"plaintiff_attorney", "defendant_attorney"})
NEUTRALS = frozenset({"mediator", "co_mediator"})
EVERY_SEAT = frozenset(SEATS)
DEFENCE = frozenset({"defendant", "defendant_attorney"})
PLAINTIFF = frozenset({"plaintiff"})
LEAD = frozenset({"mediator"})

Body = Callable[[World], dict[str, Any]] | None


@dataclass(frozen=True, slots=True)
class Policy:
    """Who may call one endpoint. `allowed` names seats (and "admin" for admins' answers)."""

    kind: Kind
    allowed: frozenset[str] = frozenset()
    admin: Answer = "ok"
    body: Body = None
    # the own case: A (cases, offers), A2 (agreement), I (invitation), K (invitation by id)
    target: str = "A"
    user: str = "otto"  # who {user_id} names
    seated: frozenset[str] = frozenset(SEATS)  # the seats that sit in the own case
    other: str = "B"  # the other case

    def expect(self, role: str, scope: str) -> Answer:
        """The expected answer class for `role` on `scope` ("own", "other" or "-")."""
        if self.kind == "public":
            return "ok"
        if role == "anonymous":
            return "401"
        if self.kind == "user":
            return "ok"
        if self.kind == "admin":
            return "ok" if role == "admin" else "403"
        if self.kind == "invitation":
            return "ok" if role in self.allowed and scope == "own" else "dead"
        if role == "admin":
            return self.admin
        if role == "stranger" or scope == "other" or role not in self.seated:
            return "404"
        return "ok" if role in self.allowed else "403"


def public(body: Body = None) -> Policy:
    return Policy("public", body=body)


def user(body: Body = None) -> Policy:
    return Policy("user", body=body)


def admin(body: Body = None, target: str = "A", user: str = "mia") -> Policy:
    return Policy("admin", body=body, target=target, user=user)


def case(
    allowed: frozenset[str],
    *,
    admin: Answer = "403",
    body: Body = None,
    target: str = "A",
    user: str = "otto",
    seated: frozenset[str] = frozenset(SEATS),
    other: str = "B",
) -> Policy:
    return Policy("case", allowed, admin, body, target, user, seated, other)


def addressee(body: Body = None) -> Policy:
    """An invitation by id: bob's to paul (the plaintiff) in the own scope, paul's to ivy in
    the other; only the addressee, with the address confirmed, gets past the dead-link answer."""
    return Policy("invitation", PLAINTIFF, "dead", body, target="K", other="I")


def reads(target: str = "A") -> Policy:
    """Every seat of the case reads it; admins read every case (audited)."""
    return case(EVERY_SEAT, admin="ok", target=target)


TOKEN = "x" * 43  # no such invitation or email token

POLICIES: Mapping[tuple[str, str], Policy] = {
    # -- accounts ---------------------------------------------------------------------------
    ("GET", "/api/session"): public(),
    ("POST", "/api/auth/register"): public(
        lambda w: {
            "email": "new@example.org",
            "display_name": "New",
            "password": "a long new password",
        }
    ),
    ("POST", "/api/auth/verify"): public(lambda w: {"token": TOKEN}),
    ("POST", "/api/auth/login"): public(
        lambda w: {"email": "paul@example.org", "password": PASSWORD}
    ),
    ("POST", "/api/auth/logout"): user(),
    ("POST", "/api/auth/password/forgot"): public(lambda w: {"email": "paul@example.org"}),
    ("POST", "/api/auth/password/reset"): public(
        lambda w: {"token": TOKEN, "password": "a long new password"}
    ),
    ("POST", "/api/auth/password/change"): user(
        lambda w: {"current_password": PASSWORD, "new_password": "a long new password"}
    ),
    ("GET", "/api/me"): user(),
    ("PATCH", "/api/me"): user(lambda w: {"display_name": "Renamed"}),
    ("GET", "/api/me/phone"): user(),
    ("POST", "/api/me/phone"): user(lambda w: {"phone": "+12135550100"}),
    # No code is waiting: every caller gets 422, never another person's state.
    ("POST", "/api/me/phone/confirm"): user(lambda w: {"code": "123456"}),
    ("DELETE", "/api/me/phone"): user(),
    ("GET", "/api/me/notifications"): user(),
    ("PUT", "/api/me/notifications"): user(lambda w: {"messages": {"email": False}}),
    # -- cases ------------------------------------------------------------------------------
    ("POST", "/api/cases"): user(
        lambda w: {
            "kind": "small_claims",
            "side": "plaintiff",
            "description": "A new dispute.",
            "court_name": "Superior Court",
            "court_case_number": "SC-2026-0100",
            "other_name": "Zed",
            "other_email": "zed@example.org",
        }
    ),
    ("GET", "/api/cases"): user(),
    ("GET", "/api/cases/{case_id:int}"): reads(),
    # Case I: paul invited ivy, who has not answered; only paul sits in it so far (J: bob's).
    ("POST", "/api/cases/{case_id:int}/invitation/resend"): case(
        PLAINTIFF, body=lambda w: {}, target="I", seated=PLAINTIFF, other="J"
    ),
    ("POST", "/api/cases/{case_id:int}/invitation/revoke"): case(
        PLAINTIFF, body=lambda w: {}, target="I", seated=PLAINTIFF, other="J"
    ),
    ("POST", "/api/cases/{case_id:int}/consent"): case(
        PARTIES, body=lambda w: {"text_version": "2026-01"}
    ),
    ("POST", "/api/cases/{case_id:int}/opt-out"): case(
        PARTIES | ATTORNEYS, body=lambda w: {"reason": "no"}
    ),
    ("POST", "/api/cases/{case_id:int}/impasse"): case(NEUTRALS),
    ("POST", "/api/cases/{case_id:int}/attorneys"): case(
        PARTIES, body=lambda w: {"email": "lee@example.org", "name": "Lee"}
    ),
    # The case's mediator and admins add and approve observers (the case machine's rule since
    # issue 17; a co-mediator may not); only the mediator removes one (an observer may leave).
    # Adding max, who sits in neither case, passes; in B he mediates, so the admin gets a 409.
    ("POST", "/api/cases/{case_id:int}/observers"): case(
        LEAD, admin="ok", body=lambda w: {"user_id": w.users["max"]}
    ),
    # tia waits for approval as an observer of A and of B.
    ("POST", "/api/cases/{case_id:int}/observers/{user_id:int}/approve"): case(
        LEAD, admin="ok", user="tia"
    ),
    ("DELETE", "/api/cases/{case_id:int}/participants/{user_id:int}"): case(LEAD | {"observer"}),
    ("GET", "/api/invitations/{token}"): public(),
    ("POST", "/api/invitations/{token}/accept"): user(lambda w: {}),
    ("POST", "/api/invitations/{token}/decline"): public(),
    # Invitations sent to my confirmed address: the list is each user's own (tests/cases checks
    # it holds only theirs); by id, only the addressee reads and answers one.
    ("GET", "/api/me/invitations"): user(),
    ("GET", "/api/me/invitations/{invitation_id:int}"): addressee(),
    ("POST", "/api/me/invitations/{invitation_id:int}/accept"): addressee(lambda w: {}),
    ("POST", "/api/me/invitations/{invitation_id:int}/decline"): addressee(),
    ("GET", "/api/agreement-to-mediate"): public(),
    ("GET", "/api/cases/{case_id:int}/rooms"): reads(),
    ("GET", "/api/cases/{case_id:int}/transcript"): reads(),
    ("GET", "/api/cases/{case_id:int}/transcript.html"): reads(),
    # -- documents (the joint room of A; "A-private" is paul's file in his private room) -----
    ("POST", "/api/rooms/{room_id:int}/documents"): case(PARTIES | ATTORNEYS | NEUTRALS),
    ("GET", "/api/rooms/{room_id:int}/documents"): reads(),
    ("GET", "/api/documents/{document_id:int}/download"): reads(),
    ("GET", "/api/documents/{document_id:int}/thumbnail"): reads(),
    # Only the owner shares a private file; whoever cannot read that room is told nothing.
    ("POST", "/api/documents/{document_id:int}/share"): case(
        PLAINTIFF,
        body=lambda w: {"confirm": True},
        target="A-private",
        other="B-private",
        seated=PLAINTIFF | {"plaintiff_attorney"} | NEUTRALS,
    ),
    # A person's own uploads: an administrator who sits in no case has none there.
    ("GET", "/api/cases/{case_id:int}/documents/mine.zip"): case(EVERY_SEAT, admin="404"),
    # -- administration ---------------------------------------------------------------------
    ("GET", "/api/admin/queue"): admin(),
    ("GET", "/api/admin/cases"): admin(),
    ("POST", "/api/admin/cases/{case_id:int}/assign"): admin(
        lambda w: {"mediator_id": w.users["mia"]}
    ),
    ("GET", "/api/admin/mediators"): admin(),
    ("POST", "/api/admin/mediators/{user_id:int}/availability"): admin(
        lambda w: {"available": False}
    ),
    ("PUT", "/api/admin/mediators/{user_id:int}/profile"): admin(
        lambda w: {"languages": ["es"], "case_kinds": ["community"], "max_active_cases": 3}
    ),
    ("PUT", "/api/admin/mediators/{user_id:int}/days-off"): admin(
        lambda w: {"days": ["2099-01-02"]}
    ),
    ("GET", "/api/admin/conflicts"): admin(),
    ("DELETE", "/api/admin/conflicts/{conflict_id:int}"): admin(),
    ("POST", "/api/admin/cases/{case_id:int}/fee"): admin(lambda w: {"status": "waived"}),
    ("GET", "/api/admin/audit.csv"): admin(),
    ("POST", "/api/admin/conflicts"): admin(
        lambda w: {"mediator_id": w.users["mia"], "email": "zed@example.org"}
    ),
    ("GET", "/api/admin/audit"): admin(),
    # -- staff administration ------------------------------------------------------------------
    ("GET", "/api/admin/users"): admin(),
    ("POST", "/api/admin/users"): admin(
        lambda w: {"email": "newstaff@example.org", "display_name": "New", "role": "mediator"}
    ),
    ("POST", "/api/admin/users/{user_id:int}/disable"): admin(user="otto"),
    ("POST", "/api/admin/users/{user_id:int}/enable"): admin(user="otto"),
    ("POST", "/api/admin/users/{user_id:int}/role"): admin(lambda w: {"role": "admin"}),
    ("POST", "/api/admin/users/{user_id:int}/password-reset"): admin(user="otto"),
    ("GET", "/api/admin/flags"): admin(),
    ("GET", "/api/admin/filing"): admin(),
    ("GET", "/api/admin/notify"): admin(),
    ("GET", "/api/admin/metrics"): admin(),
    # What people wrote in the survey, each with its month only: administrators alone.
    ("GET", "/api/admin/survey/comments"): admin(),
    ("GET", "/api/surveys/{token}"): public(),
    ("POST", "/api/surveys/{token}"): public(lambda w: {"heard": 5}),
    ("GET", "/api/admin/agreements/{agreement_id:int}/filing-package"): admin(target="A2"),
    ("POST", "/api/admin/agreements/{agreement_id:int}/filed"): admin(
        lambda w: {"filed_on": "2026-01-02", "court_reference": "REF-1"}, target="A2"
    ),
    # -- offers (case A: paul's open offer to the defence) ------------------------------------
    ("POST", "/api/cases/{case_id:int}/offers"): case(
        PARTIES | ATTORNEYS | NEUTRALS, body=lambda w: {"terms": terms()}
    ),
    ("GET", "/api/cases/{case_id:int}/offers"): reads(),
    ("POST", "/api/offers/{offer_id:int}/counter"): case(
        DEFENCE, body=lambda w: {"terms": terms("Half the ladder.")}
    ),
    ("POST", "/api/offers/{offer_id:int}/accept"): case(DEFENCE),
    ("POST", "/api/offers/{offer_id:int}/reject"): case(
        DEFENCE, body=lambda w: {"reason": "That is not enough for me."}
    ),
    # Only the maker takes an offer back (paul made it; his attorney may not).
    ("POST", "/api/offers/{offer_id:int}/withdraw"): case(PLAINTIFF),
    # -- agreements (case A2: an agreement out for signature) ------------------------------------
    ("GET", "/api/cases/{case_id:int}/agreement"): reads("A2"),
    ("POST", "/api/cases/{case_id:int}/agreement"): case(
        NEUTRALS, target="A2", body=lambda w: {"offer_id": w.offers["A2"]}
    ),
    ("GET", "/api/agreements/{agreement_id:int}"): reads("A2"),
    ("POST", "/api/agreements/{agreement_id:int}/edit"): case(
        NEUTRALS, target="A3", other="B3", body=lambda w: {"clarifications": "Clearer."}
    ),
    # The lead mediator declares the text final.
    ("POST", "/api/agreements/{agreement_id:int}/send"): case(LEAD, target="A3", other="B3"),
    ("POST", "/api/agreements/{agreement_id:int}/authorise-attorney"): case(
        PARTIES, target="A2", body=lambda w: {"attorney_user_id": w.users["alex"]}
    ),
    # Attorneys sign only once their party has authorised them (nobody has, here).
    ("POST", "/api/agreements/{agreement_id:int}/sign"): case(
        PARTIES,
        target="A2",
        body=lambda w: {
            "esign_consent": True,
            "password": PASSWORD,
            "typed_name": "Someone",
            "agree_bound": True,
            "document_sha256": "0" * 64,
        },
    ),
    # The text with a page to sign in ink: the parties who sign and the staff who record it.
    ("GET", "/api/agreements/{agreement_id:int}/signature-page"): case(
        PARTIES | NEUTRALS, admin="ok", target="A2"
    ),
    # Only the mediators (and admins) record a wet-ink signature; the hash here matches no text.
    ("POST", "/api/agreements/{agreement_id:int}/paper-signature"): case(
        NEUTRALS,
        admin="ok",
        target="A2",
        body=lambda w: {
            "signer_user_id": w.users["paul"],
            "signed_at": "2026-01-02T10:00:00Z",
            "document_sha256": "0" * 64,
        },
    ),
    # -- safety (issue 16): answers only to the case's mediators and admins; parties their own --
    ("GET", "/api/cases/{case_id:int}/screening"): case(PARTIES | NEUTRALS, admin="ok"),
    ("POST", "/api/cases/{case_id:int}/screening"): case(
        PARTIES,
        body=lambda w: {
            "order": "no",
            "afraid": False,
            "support_person": False,
            "accommodation": False,
        },
    ),
    ("POST", "/api/cases/{case_id:int}/help"): case(PARTIES, body=lambda w: {"reason": "question"}),
    # Help requests (dana's, open): the case's mediators and admins list them and mark one
    # handled (the second marker gets 409, past authorisation); the parties, attorneys and
    # observers may not.
    ("GET", "/api/cases/{case_id:int}/help"): case(NEUTRALS, admin="ok"),
    ("POST", "/api/cases/{case_id:int}/help/{help_id:int}/handled"): case(NEUTRALS, admin="ok"),
    # Payments are marked by the parties (and their attorneys) only, for their own side; here
    # the agreement is not signed yet, so those get past authorisation to a 409.
    ("POST", "/api/agreements/{agreement_id:int}/payments/{number:int}"): case(
        PARTIES | ATTORNEYS, target="A2", body=lambda w: {"action": "report_paid"}
    ),
    # The worksheet for a missed payment: parties, attorneys, mediators and admins (409 here).
    ("GET", "/api/agreements/{agreement_id:int}/enforcement-worksheet"): case(
        PARTIES | ATTORNEYS | NEUTRALS, admin="ok", target="A2"
    ),
    # -- the mediator's room controls (issue 16): the mediator and co-mediator only ---------------
    ("POST", "/api/cases/{case_id:int}/control/caucus"): case(
        NEUTRALS, body=lambda w: {"on": True}
    ),
    ("POST", "/api/cases/{case_id:int}/control/pause"): case(
        NEUTRALS, body=lambda w: {"paused": True}
    ),
    ("POST", "/api/cases/{case_id:int}/control/mute"): case(
        NEUTRALS, body=lambda w: {"user_id": w.users["dana"], "minutes": 5}
    ),
    ("POST", "/api/cases/{case_id:int}/control/remove"): case(
        NEUTRALS, body=lambda w: {"user_id": w.users["dana"], "reason": "Threats."}
    ),
    # Nobody is removed in the world: the mediators get 409, which is past authorisation.
    ("POST", "/api/cases/{case_id:int}/control/readmit"): case(
        NEUTRALS, body=lambda w: {"user_id": w.users["dana"]}
    ),
    # A message of the joint room of A: every seat reads it, only the mediators hide it.
    ("POST", "/api/rooms/{room_id:int}/messages/{seq:int}/hide"): case(
        NEUTRALS, body=lambda w: {"reason": "An insult."}
    ),
    # -- relays (from paul's private room of A; the other side, observers and administrators
    # cannot read that room and are told nothing) ------------------------------------------------
    # paul's own message there: his side proposes relaying it, the mediators share it.
    ("POST", "/api/rooms/{room_id:int}/relays"): case(
        PLAINTIFF | {"plaintiff_attorney"} | NEUTRALS,
        admin="404",
        target="A-private",
        seated=PLAINTIFF | {"plaintiff_attorney"} | NEUTRALS,
        body=lambda w: {"seq": w.messages["A-private"]},
    ),
    # paul's proposal, waiting for the mediator: the mediators approve or decline it; paul's
    # side may confirm only a relay the mediator asked for (409 here, past authorisation).
    ("POST", "/api/relays/{relay_id:int}/approve"): case(
        NEUTRALS,
        admin="404",
        seated=PLAINTIFF | {"plaintiff_attorney"} | NEUTRALS,
        body=lambda w: {},
    ),
    ("POST", "/api/relays/{relay_id:int}/confirm"): case(
        PLAINTIFF | {"plaintiff_attorney"},
        admin="404",
        seated=PLAINTIFF | {"plaintiff_attorney"} | NEUTRALS,
    ),
    ("POST", "/api/relays/{relay_id:int}/decline"): case(
        NEUTRALS, admin="404", seated=PLAINTIFF | {"plaintiff_attorney"} | NEUTRALS
    ),
    # Participants get the signed PDF (409 while unsigned); admins take the filing package.
    ("GET", "/api/agreements/{agreement_id:int}/pdf"): case(EVERY_SEAT, admin="404", target="A2"),
}


@dataclass(frozen=True, slots=True)
class Row:
    method: str
    path: str
    role: str
    scope: str
    expected: Answer


def scopes(policy: Policy, path: str) -> tuple[str, ...]:
    """ "own" and "other" for anything that names a case (or its offer or agreement)."""
    names_case = any(
        p in path for p in ("{case_id", "{offer_id", "{agreement_id", "{invitation_id")
    )
    return ("own", "other") if names_case else ("-",)


def table() -> list[Row]:
    """Every (endpoint, role, scope) with its expected answer class."""
    return [
        Row(method, path, role, scope, policy.expect(role, scope))
        for (method, path), policy in POLICIES.items()
        for scope in scopes(policy, path)
        for role in ROLES
    ]


def fill(path: str, policy: Policy, world: World, scope: str) -> str:
    """The concrete URL for a row: own scope names case A/A2, other scope case B."""
    own = scope != "other"
    key = policy.target if own else policy.other
    values: dict[str, Callable[[], object]] = {
        "case_id": lambda: world.cases[key],
        "offer_id": lambda: world.offers["A" if own else "B"],
        "agreement_id": lambda: world.agreements[key],
        "user_id": lambda: world.users[policy.user],
        "room_id": lambda: (
            world.rooms[key[: -len("-private")]]["private:plaintiff"]
            if key.endswith("-private")
            else world.rooms[key]["joint"]
        ),
        "seq": lambda: world.messages[key],
        "relay_id": lambda: world.relays[key],
        "help_id": lambda: world.helps[key],
        "invitation_id": lambda: world.invitations[key],
        "document_id": lambda: world.documents[key],
        "token": lambda: TOKEN,
        "conflict_id": lambda: world.conflict,
        "number": lambda: 1,
    }
    out = []
    for part in path.split("/"):
        if part.startswith("{"):
            part = str(values[part.strip("{}").split(":")[0]]())
        out.append(part)
    return "/".join(out)


# -- WebSocket frames ---------------------------------------------------------------------------

WS_ROLES = (*SEATS, "admin", "stranger")
ROOMS = ("joint", "private:plaintiff", "private:defendant", "mediators")
ALL_ROOMS = frozenset(ROOMS)
# Who reads which room of their own case (the FAQ: "[name] + Mediator" tabs are kept from the
# other side; observers never hear a side's confidences; administration sees every room).
READS: Mapping[str, frozenset[str]] = {
    "plaintiff": frozenset({"joint", "private:plaintiff"}),
    "plaintiff_attorney": frozenset({"joint", "private:plaintiff"}),
    "defendant": frozenset({"joint", "private:defendant"}),
    "defendant_attorney": frozenset({"joint", "private:defendant"}),
    "mediator": ALL_ROOMS,
    "co_mediator": ALL_ROOMS,
    "observer": frozenset({"joint", "mediators"}),
    "admin": ALL_ROOMS,
    "stranger": frozenset(),
}
READ_ONLY = frozenset({"observer", "admin"})
FRAMES = (
    "room.subscribe",
    "room.history",
    "typing",
    "read.mark",
    "chat.send",
    "message.flag",
    "room.unsubscribe",
)


@dataclass(frozen=True, slots=True)
class WsRow:
    role: str
    scope: str
    room: str
    frame: str
    expected: str  # "ok" or "error:<code>"


def ws_expect(role: str, scope: str, room: str, frame: str) -> str:
    """The answer to one frame: ok, or the error code docs/protocol.md gives."""
    reads = room in READS[role] and (scope == "own" or role == "admin")
    writes = reads and role not in READ_ONLY
    if frame == "room.unsubscribe":
        return "ok"
    if frame == "room.subscribe":
        return "ok" if reads else "error:not_found"
    if frame == "chat.send":
        return "ok" if writes else ("error:forbidden" if reads else "error:not_found")
    if not reads:
        return "error:not_subscribed"  # the subscribe above was refused
    if frame == "typing":  # typing is writing: refused to read-only seats
        return "ok" if writes else "error:forbidden"
    if frame == "message.flag":
        return "ok" if role in NEUTRALS else "error:forbidden"
    return "ok"


def ws_table() -> list[WsRow]:
    return [
        WsRow(role, scope, room, frame, ws_expect(role, scope, room, frame))
        for role in WS_ROLES
        for scope in ("own", "other")
        for room in ROOMS
        for frame in FRAMES
    ]
