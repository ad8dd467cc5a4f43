"""The case lifecycle: from the first party's invitation to a final outcome."""

# Rules
# -----
# * A party opens a case for their side and invites the other side (INVITED). A party of the other
#   side accepts (AWAITING_CONSENT) or declines (DECLINED); an unanswered invitation is expired by
#   the system (EXPIRED). Declined and expired cases were never mediated (`Outcome.not_mediated`).
# * Each party consents to the agreement to mediate, naming the text version they read, which must
#   be the current AGREEMENT_TO_MEDIATE_VERSION. The initiator may consent before the invitee has
#   joined. Mediation is ready (AWAITING_MEDIATOR) only once BOTH parties have consented.
# * Where the case asks for safety screening (`screening_required`: civil harassment always, other
#   kinds by the centre's setting, see odrchat.safety.screening), a party consents only once their
#   side has answered it (`screened`), so no room opens for anyone before both sides were
#   screened. The answers themselves never reach the machine or any event.
# * An admin assigns a mediator and optionally a co-mediator (IN_MEDIATION), and may reassign while
#   in mediation. Neutrals must not already take part in the case as a party, attorney or observer.
# * Mediation is voluntary at every stage: a party, or an attorney on their party's behalf, may opt
#   out of any open case (OPTED_OUT). The opt-out reason is private: no event says who opted out or
#   why. It is kept for the record in `CaseState.opt_out`, hidden from repr; views must not show it.
# * In mediation, the mediator or co-mediator records an impasse (IMPASSE); the system records the
#   settlement once the agreement is fully signed (SETTLED).
# * Outcomes are final: every command on a closed case raises "wrong_state".
# * An attorney is added or removed by their own party and may also withdraw. An observer (a
#   mediator in training) is added by the mediator or an admin, takes part only once the mediator
#   (or an admin) approves them (ApproveObserver), may leave, and may be removed by the mediator.
#   Parties are never removed: they opt out instead.
# * Checks run in this order: no case yet / case closed, then the actor rule (PERMISSIONS), then the
#   status (TRANSITIONS), then the command's own checks. An illegal move raises CaseError; states
#   are frozen, so nothing changes.
# * Every event may be shown to every participant.
#
# Known gaps: attorneys cannot accept, decline or consent for their party (the party must say yes
# themselves). roles.Role has no SYSTEM role, so the system is an admin with the reserved user id 0
# (see system_actor); real users must never get id 0.

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeAlias

from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION

SYSTEM_USER_ID = 0
# Codes match odrchat.errors.from_domain; stale_text (a consent to an outdated text) is a conflict.
ERROR_CODES = frozenset(
    {
        "not_allowed",
        "wrong_state",
        "already_consented",
        "stale_text",
        "conflict",
        "not_found",
        "invalid",
        "screening_needed",
    }
)
_STATUS_HINTS = {"not_allowed": 403, "not_found": 404, "invalid": 422}


class CaseStatus(enum.StrEnum):
    INVITED = "invited"
    AWAITING_CONSENT = "awaiting_consent"
    AWAITING_MEDIATOR = "awaiting_mediator"
    IN_MEDIATION = "in_mediation"
    DECLINED = "declined"
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"
    IMPASSE = "impasse"
    SETTLED = "settled"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATUSES


class Outcome(enum.StrEnum):
    """How a case ended; each is also the final CaseStatus of the same name."""

    DECLINED = "declined"
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"
    IMPASSE = "impasse"
    SETTLED = "settled"

    @property
    def not_mediated(self) -> bool:
        return self in (Outcome.DECLINED, Outcome.EXPIRED)


_FINAL_STATUSES = frozenset(CaseStatus(outcome.value) for outcome in Outcome)


def N_(message: str) -> str:
    """Marks a catalog text (odrchat.i18n extracts every N_ call); this module stays pure."""
    return message


class CaseError(Exception):
    """An illegal move; `code` is one of ERROR_CODES, `message` is plain words for the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def status_hint(self) -> int:
        return _STATUS_HINTS.get(self.code, 409)


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    text_version: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OptOutRecord:
    """Private record of an opt-out: never part of an event or a participant's view."""

    side: Side
    user_id: int
    reason: str | None = field(repr=False)
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseState:
    """One case. Parties, attorneys and observers are `participants`; neutrals are by id."""

    status: CaseStatus
    initiator: Side
    joined: frozenset[Side]
    participants: frozenset[Actor]
    consents: Mapping[Side, ConsentRecord] = field(default_factory=dict)
    mediator_id: int | None = None
    co_mediator_id: int | None = None
    outcome: Outcome | None = None
    closed_at: datetime | None = None
    opt_out: OptOutRecord | None = field(default=None, repr=False)
    screening_required: bool = False
    screened: frozenset[Side] = frozenset()

    def __post_init__(self) -> None:
        # A read-only copy, so a caller's dict can never change a frozen state.
        object.__setattr__(self, "consents", MappingProxyType(dict(self.consents)))


# Commands. The actor is passed to apply(), never carried in the command.
@dataclass(frozen=True, slots=True)
class OpenCase:
    initiator: Side


@dataclass(frozen=True, slots=True)
class AcceptInvitation:
    """A party of the invited side joins the case."""


@dataclass(frozen=True, slots=True)
class DeclineInvitation:
    """A party of the invited side says no: the case is not mediated."""


@dataclass(frozen=True, slots=True)
class ExpireInvitation:
    """System only: the invitation went unanswered."""


@dataclass(frozen=True, slots=True)
class Consent:
    text_version: str


@dataclass(frozen=True, slots=True)
class AssignMediator:
    mediator_id: int
    co_mediator_id: int | None = None


@dataclass(frozen=True, slots=True)
class AddParticipant:
    """Add an attorney (with the side they act for) or an observer (no side)."""

    user_id: int
    role: Role
    side: Side | None = None


@dataclass(frozen=True, slots=True)
class RemoveParticipant:
    user_id: int


@dataclass(frozen=True, slots=True)
class ApproveObserver:
    user_id: int


@dataclass(frozen=True, slots=True)
class OptOut:
    reason: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class RecordImpasse:
    """The mediator or co-mediator records that no agreement was reached."""


@dataclass(frozen=True, slots=True)
class RecordSettlement:
    """System only: the agreement is signed by everyone who must sign it."""


Command: TypeAlias = (
    OpenCase
    | AcceptInvitation
    | DeclineInvitation
    | ExpireInvitation
    | Consent
    | AssignMediator
    | AddParticipant
    | RemoveParticipant
    | ApproveObserver
    | OptOut
    | RecordImpasse
    | RecordSettlement
)


# Events: each one may be shown to every participant.
@dataclass(frozen=True, slots=True)
class CaseOpened:
    initiator: Side
    user_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class InvitationAccepted:
    side: Side
    user_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class InvitationDeclined:
    at: datetime


@dataclass(frozen=True, slots=True)
class ConsentRecorded:
    side: Side
    text_version: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReadyForMediator:
    at: datetime


@dataclass(frozen=True, slots=True)
class MediatorAssigned:
    mediator_id: int
    co_mediator_id: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ParticipantAdded:
    user_id: int
    role: Role
    side: Side | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ParticipantRemoved:
    user_id: int
    role: Role
    side: Side | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ObserverApproved:
    user_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseClosed:
    """The end of a case. For an opt-out it deliberately says neither who nor why."""

    outcome: Outcome
    at: datetime


Event: TypeAlias = (
    CaseOpened
    | InvitationAccepted
    | InvitationDeclined
    | ConsentRecorded
    | ReadyForMediator
    | MediatorAssigned
    | ParticipantAdded
    | ParticipantRemoved
    | ObserverApproved
    | CaseClosed
)
Result: TypeAlias = tuple[CaseState, list[Event]]


def system_actor() -> Actor:
    """The actor for moves nobody makes by hand: expiring invitations, recording settlements."""
    return Actor(user_id=SYSTEM_USER_ID, role=Role.ADMIN)


def find_participant(state: CaseState, user_id: int) -> Actor | None:
    """The party, attorney or observer with this user id, if any."""
    return next((p for p in state.participants if p.user_id == user_id), None)


def is_member(state: CaseState, actor: Actor) -> bool:
    """Whether the actor takes part in the case in exactly this role (and side)."""
    if actor.role is Role.MEDIATOR:
        return actor.user_id == state.mediator_id
    if actor.role is Role.CO_MEDIATOR:
        return actor.user_id == state.co_mediator_id
    found = find_participant(state, actor.user_id)
    return found is not None and (found.role, found.side) == (actor.role, actor.side)


# The actor rule: who may issue each command, whatever the status.
def _is_system(actor: Actor) -> bool:
    return actor.role is Role.ADMIN and actor.user_id == SYSTEM_USER_ID


def _is_party(state: CaseState, actor: Actor) -> bool:
    return actor.role is Role.PARTY and is_member(state, actor)


def _is_mediator(state: CaseState, actor: Actor) -> bool:
    return actor.role is Role.MEDIATOR and is_member(state, actor)


def _may_open(state: CaseState | None, command: OpenCase, actor: Actor) -> bool:
    return actor.role is Role.PARTY and actor.side is command.initiator


def _may_answer(state: CaseState, command: Any, actor: Actor) -> bool:
    return actor.role is Role.PARTY and actor.side is state.initiator.other


def _may_act_for_side(state: CaseState, command: Any, actor: Actor) -> bool:
    return actor.role.has_side and is_member(state, actor)


def _may_add(state: CaseState, command: AddParticipant, actor: Actor) -> bool:
    if command.role is Role.ATTORNEY:
        return _is_party(state, actor) and actor.side is command.side
    return command.role is Role.OBSERVER and _runs_observers(state, actor)


def _runs_observers(state: CaseState, actor: Actor) -> bool:
    """The case's mediator, or the centre's staff (an admin, not the system)."""
    return _is_mediator(state, actor) or (actor.role is Role.ADMIN and not _is_system(actor))


def _may_remove(state: CaseState, command: RemoveParticipant, actor: Actor) -> bool:
    target = find_participant(state, command.user_id)
    if target is None or target.role is Role.PARTY:
        return False
    if actor.user_id == target.user_id and is_member(state, actor):
        return True  # an attorney or observer may always leave
    if target.role is Role.ATTORNEY:
        return _is_party(state, actor) and actor.side is target.side
    return _is_mediator(state, actor)


PERMISSIONS: dict[type[Any], Callable[[Any, Any, Actor], bool]] = {
    OpenCase: _may_open,
    AcceptInvitation: _may_answer,
    DeclineInvitation: _may_answer,
    ExpireInvitation: lambda state, command, actor: _is_system(actor),
    Consent: lambda state, command, actor: _is_party(state, actor),
    AssignMediator: lambda state, command, actor: (
        actor.role is Role.ADMIN and not _is_system(actor)
    ),
    AddParticipant: _may_add,
    RemoveParticipant: _may_remove,
    ApproveObserver: lambda state, command, actor: _runs_observers(state, actor),
    OptOut: _may_act_for_side,
    RecordImpasse: lambda state, command, actor: (
        actor.role in (Role.MEDIATOR, Role.CO_MEDIATOR) and is_member(state, actor)
    ),
    RecordSettlement: lambda state, command, actor: _is_system(actor),
}


# Handlers: called only after the actor rule and the status allowed the move.
def _open(state: None, command: OpenCase, actor: Actor, now: datetime) -> Result:
    initiator = Actor(actor.user_id, Role.PARTY, command.initiator)
    opened = CaseState(
        status=CaseStatus.INVITED,
        initiator=command.initiator,
        joined=frozenset({command.initiator}),
        participants=frozenset({initiator}),
    )
    return opened, [CaseOpened(command.initiator, actor.user_id, now)]


def _require_newcomer(state: CaseState, user_id: int) -> None:
    if find_participant(state, user_id) is not None or user_id in (
        state.mediator_id,
        state.co_mediator_id,
    ):
        raise CaseError("conflict", N_("this person already takes part in the case"))


def _accept(state: CaseState, command: AcceptInvitation, actor: Actor, now: datetime) -> Result:
    _require_newcomer(state, actor.user_id)
    side = state.initiator.other
    joined = replace(
        state,
        status=CaseStatus.AWAITING_CONSENT,
        joined=state.joined | {side},
        participants=state.participants | {Actor(actor.user_id, Role.PARTY, side)},
    )
    return joined, [InvitationAccepted(side, actor.user_id, now)]


def _close(state: CaseState, outcome: Outcome, now: datetime, **record: Any) -> Result:
    closed = replace(
        state, status=CaseStatus(outcome.value), outcome=outcome, closed_at=now, **record
    )
    return closed, [CaseClosed(outcome, now)]


def _decline(state: CaseState, command: DeclineInvitation, actor: Actor, now: datetime) -> Result:
    _require_newcomer(state, actor.user_id)
    closed, events = _close(state, Outcome.DECLINED, now)
    return closed, [InvitationDeclined(now), *events]


def _consent(state: CaseState, command: Consent, actor: Actor, now: datetime) -> Result:
    side = actor.side
    assert side is not None  # the actor rule admits parties only
    if side in state.consents:
        raise CaseError("already_consented", N_("you have already agreed to mediate"))
    if state.screening_required and side not in state.screened:
        raise CaseError(
            "screening_needed",
            N_("please answer the safety questions before agreeing to mediate"),
        )
    if command.text_version != AGREEMENT_TO_MEDIATE_VERSION:
        raise CaseError(
            "stale_text", N_("the agreement to mediate has changed; please read it again")
        )
    consents = {**state.consents, side: ConsentRecord(command.text_version, now)}
    events: list[Event] = [ConsentRecorded(side, command.text_version, now)]
    status = state.status
    if consents.keys() == set(Side):
        status = CaseStatus.AWAITING_MEDIATOR
        events.append(ReadyForMediator(now))
    return replace(state, status=status, consents=consents), events


def _assign(state: CaseState, command: AssignMediator, actor: Actor, now: datetime) -> Result:
    if command.mediator_id == command.co_mediator_id:
        raise CaseError("invalid", N_("the co-mediator must be a different person"))
    for user_id in (command.mediator_id, command.co_mediator_id):
        if user_id is not None and find_participant(state, user_id) is not None:
            raise CaseError("conflict", N_("a neutral must not already take part in the case"))
    assigned = replace(
        state,
        status=CaseStatus.IN_MEDIATION,
        mediator_id=command.mediator_id,
        co_mediator_id=command.co_mediator_id,
    )
    return assigned, [MediatorAssigned(command.mediator_id, command.co_mediator_id, now)]


def _add(state: CaseState, command: AddParticipant, actor: Actor, now: datetime) -> Result:
    if command.role is Role.OBSERVER and command.side is not None:
        raise CaseError("invalid", N_("an observer takes no side"))
    _require_newcomer(state, command.user_id)
    # Observers wait for the mediator's approval; attorneys take part at once.
    added = Actor(command.user_id, command.role, command.side, command.role is not Role.OBSERVER)
    return replace(state, participants=state.participants | {added}), [
        ParticipantAdded(added.user_id, added.role, added.side, now)
    ]


def _remove(state: CaseState, command: RemoveParticipant, actor: Actor, now: datetime) -> Result:
    target = find_participant(state, command.user_id)
    assert target is not None  # the actor rule admits known targets only
    return replace(state, participants=state.participants - {target}), [
        ParticipantRemoved(target.user_id, target.role, target.side, now)
    ]


def _approve(state: CaseState, command: ApproveObserver, actor: Actor, now: datetime) -> Result:
    target = find_participant(state, command.user_id)
    if target is None or target.role is not Role.OBSERVER:
        raise CaseError("not_found", N_("no such observer in this case"))
    if target.approved:
        raise CaseError("conflict", N_("this observer is already approved"))
    approved = replace(target, approved=True)
    return replace(state, participants=(state.participants - {target}) | {approved}), [
        ObserverApproved(target.user_id, now)
    ]


def _opt_out(state: CaseState, command: OptOut, actor: Actor, now: datetime) -> Result:
    side = actor.side
    assert side is not None  # the actor rule admits parties and attorneys only
    return _close(
        state,
        Outcome.OPTED_OUT,
        now,
        opt_out=OptOutRecord(side, actor.user_id, command.reason, now),
    )


def _closer(outcome: Outcome) -> Callable[[CaseState, Any, Actor, datetime], Result]:
    return lambda state, command, actor, now: _close(state, outcome, now)


_OPEN = (
    CaseStatus.INVITED,
    CaseStatus.AWAITING_CONSENT,
    CaseStatus.AWAITING_MEDIATOR,
    CaseStatus.IN_MEDIATION,
)
_ANY_OPEN: dict[type[Any], Callable[..., Result]] = {
    AddParticipant: _add,
    RemoveParticipant: _remove,
    OptOut: _opt_out,
}
TRANSITIONS: dict[tuple[CaseStatus | None, type[Any]], Callable[..., Result]] = {
    (None, OpenCase): _open,
    (CaseStatus.INVITED, AcceptInvitation): _accept,
    (CaseStatus.INVITED, DeclineInvitation): _decline,
    (CaseStatus.INVITED, ExpireInvitation): _closer(Outcome.EXPIRED),
    (CaseStatus.INVITED, Consent): _consent,
    (CaseStatus.AWAITING_CONSENT, Consent): _consent,
    (CaseStatus.AWAITING_MEDIATOR, AssignMediator): _assign,
    (CaseStatus.IN_MEDIATION, AssignMediator): _assign,
    (CaseStatus.IN_MEDIATION, ApproveObserver): _approve,
    (CaseStatus.IN_MEDIATION, RecordImpasse): _closer(Outcome.IMPASSE),
    (CaseStatus.IN_MEDIATION, RecordSettlement): _closer(Outcome.SETTLED),
    **{(status, kind): handler for status in _OPEN for kind, handler in _ANY_OPEN.items()},
}


def apply(state: CaseState | None, command: Command, actor: Actor, now: datetime) -> Result:
    """Decide one move: the new state and the events it caused, or raise CaseError."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if type(command) not in PERMISSIONS:
        raise TypeError(f"not a case command: {command!r}")
    if state is None and not isinstance(command, OpenCase):
        raise CaseError("wrong_state", N_("this case has not been opened"))
    if state is not None and state.status.is_final:
        raise CaseError("wrong_state", N_("this case is closed"))
    if not PERMISSIONS[type(command)](state, command, actor):
        raise CaseError("not_allowed", N_("you may not do that in this case"))
    handler = TRANSITIONS.get((state.status if state else None, type(command)))
    if handler is None:
        raise CaseError("wrong_state", N_("that is not possible at this stage of the case"))
    return handler(state, command, actor, now)


_DUTIES = {
    Role.PARTY: N_(
        "a side of the dispute; takes part by choice, may make, accept or reject offers, "
        "decides whether to agree, and may stop at any time"
    ),
    Role.ATTORNEY: N_(
        "a lawyer for one party; takes part with or for that party and may end mediation on "
        "the party's behalf; a lawyer is never required"
    ),
    Role.MEDIATOR: N_(
        "a neutral; helps both sides talk and look for an agreement, is nobody's lawyer, "
        "does not give legal advice or decide the outcome"
    ),
    Role.CO_MEDIATOR: N_(
        "a second neutral working with the mediator; does not give legal advice or decide "
        "the outcome"
    ),
    Role.OBSERVER: N_(
        "a mediator in training; reads the joint conversation, never writes, present only "
        "with the mediator's approval"
    ),
    Role.ADMIN: N_(
        "CCR administration; assigns mediators and helps with the platform, takes no side "
        "and does not decide the outcome"
    ),
}


def duties(role: Role) -> str:
    """What someone in this role may and may not do, in plain words for every participant."""
    return _DUTIES[role]
