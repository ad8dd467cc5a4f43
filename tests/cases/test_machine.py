from __future__ import annotations

import ast
import dataclasses
import itertools
import sys
import typing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import odrchat.cases.machine as machine
from odrchat.cases.machine import (
    AcceptInvitation,
    AddParticipant,
    ApproveObserver,
    AssignMediator,
    CaseClosed,
    CaseError,
    CaseOpened,
    CaseState,
    CaseStatus,
    Command,
    Consent,
    ConsentRecord,
    ConsentRecorded,
    DeclineInvitation,
    Event,
    ExpireInvitation,
    InvitationAccepted,
    InvitationDeclined,
    MediatorAssigned,
    ObserverApproved,
    OpenCase,
    OptOut,
    Outcome,
    ParticipantAdded,
    ParticipantRemoved,
    ReadyForMediator,
    RecordImpasse,
    RecordSettlement,
    RemoveParticipant,
    apply,
    duties,
    system_actor,
)
from odrchat.cases.roles import Actor, Role, Side
from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
VERSION = AGREEMENT_TO_MEDIATE_VERSION
REASON = "PRIVATE-REASON: I do not trust the other side"

# ---------------------------------------------------------------------------------------------
# The cast. Names say how each actor relates to the case; "i" is the initiator's side, "v" the
# invitee's side.
# ---------------------------------------------------------------------------------------------
SIDE_OF = {
    "initiator": "i",
    "invitee": "v",
    "initiator_attorney": "i",
    "invitee_attorney": "v",
    "outsider_same": "i",  # a party of the initiator's side who is not in the case
    "outsider_other": "v",  # a party of the invitee's side who is not in the case
    "impostor": "i",  # the initiator's attorney's user id, claiming to be a party
}
PARTIES = {"initiator", "invitee", "outsider_same", "outsider_other", "impostor"}


def make_cast(init: Side) -> dict[str, Actor]:
    side = {"i": init, "v": init.other}
    return {
        "initiator": Actor(1, Role.PARTY, side["i"]),
        "invitee": Actor(2, Role.PARTY, side["v"]),
        "initiator_attorney": Actor(3, Role.ATTORNEY, side["i"]),
        "invitee_attorney": Actor(4, Role.ATTORNEY, side["v"]),
        "outsider_same": Actor(5, Role.PARTY, side["i"]),
        "outsider_other": Actor(6, Role.PARTY, side["v"]),
        "impostor": Actor(3, Role.PARTY, side["i"]),
        "mediator": Actor(10, Role.MEDIATOR),
        "co_mediator": Actor(11, Role.CO_MEDIATOR),
        "observer": Actor(20, Role.OBSERVER, approved=True),
        "trainee": Actor(21, Role.OBSERVER, approved=False),
        "admin": Actor(30, Role.ADMIN),
        "system": system_actor(),
    }


# ---------------------------------------------------------------------------------------------
# Scenarios: (status, who takes part, which sides consented). Built by hand, not through apply.
# ---------------------------------------------------------------------------------------------
OPENER = {"initiator", "initiator_attorney"}
JOINED = OPENER | {"invitee", "invitee_attorney"}
MEDIATING = JOINED | {"mediator", "co_mediator", "observer", "trainee"}
S = CaseStatus
SCENARIOS: dict[str, tuple[CaseStatus | None, set[str], set[str]]] = {
    "none": (None, set(), set()),
    "invited": (S.INVITED, OPENER, set()),
    "invited_consented": (S.INVITED, OPENER, {"i"}),
    "awaiting_consent": (S.AWAITING_CONSENT, JOINED, set()),
    "awaiting_consent_i": (S.AWAITING_CONSENT, JOINED, {"i"}),
    "awaiting_consent_v": (S.AWAITING_CONSENT, JOINED, {"v"}),
    "awaiting_mediator": (S.AWAITING_MEDIATOR, JOINED, {"i", "v"}),
    "in_mediation": (S.IN_MEDIATION, MEDIATING, {"i", "v"}),
    "declined": (S.DECLINED, OPENER, set()),
    "expired": (S.EXPIRED, OPENER, {"i"}),
    "opted_out": (S.OPTED_OUT, JOINED, {"i"}),
    "impasse": (S.IMPASSE, MEDIATING, {"i", "v"}),
    "settled": (S.SETTLED, MEDIATING, {"i", "v"}),
    # Screening required (a civil harassment case): only the initiator's side has answered.
    "screening_i": (S.AWAITING_CONSENT, JOINED, set()),
    "screening_i_consented": (S.AWAITING_CONSENT, JOINED, {"i"}),
}
# Scenarios where the case asks for safety screening -> the sides that have answered it.
SCREENED: dict[str, set[str]] = {"screening_i": {"i"}, "screening_i_consented": {"i"}}


def build(name: str, init: Side) -> CaseState | None:
    status, members, consented = SCENARIOS[name]
    if status is None:
        return None
    cast = make_cast(init)
    side = {"i": init, "v": init.other}
    neutral = {"mediator", "co_mediator"}
    final = status in {S.DECLINED, S.EXPIRED, S.OPTED_OUT, S.IMPASSE, S.SETTLED}
    return CaseState(
        status=status,
        initiator=init,
        joined=frozenset({init, init.other} if "invitee" in members else {init}),
        participants=frozenset(cast[name] for name in members - neutral),
        consents={side[s]: ConsentRecord(VERSION, NOW) for s in consented},
        mediator_id=10 if "mediator" in members else None,
        co_mediator_id=11 if "co_mediator" in members else None,
        outcome=Outcome(status.value) if final else None,
        closed_at=NOW if final else None,
        screening_required=name in SCREENED,
        screened=frozenset(side[s] for s in SCREENED.get(name, set())),
    )


# ---------------------------------------------------------------------------------------------
# Commands, one representative of each kind of move.
# ---------------------------------------------------------------------------------------------
COMMANDS: dict[str, Callable[[Side], Command]] = {
    "open": lambda init: OpenCase(init),
    "accept": lambda init: AcceptInvitation(),
    "decline": lambda init: DeclineInvitation(),
    "expire": lambda init: ExpireInvitation(),
    "consent": lambda init: Consent(VERSION),
    "consent_stale": lambda init: Consent("1999-1-1"),
    "assign": lambda init: AssignMediator(12, 13),
    "assign_party": lambda init: AssignMediator(1),
    "assign_same_twice": lambda init: AssignMediator(12, 12),
    "add_attorney_same": lambda init: AddParticipant(40, Role.ATTORNEY, init),
    "add_attorney_other": lambda init: AddParticipant(41, Role.ATTORNEY, init.other),
    "add_attorney_again": lambda init: AddParticipant(3, Role.ATTORNEY, init),
    "add_observer": lambda init: AddParticipant(22, Role.OBSERVER),
    "add_admin": lambda init: AddParticipant(42, Role.ADMIN),
    "remove_attorney": lambda init: RemoveParticipant(3),
    "remove_observer": lambda init: RemoveParticipant(20),
    "remove_party": lambda init: RemoveParticipant(2),
    "approve": lambda init: ApproveObserver(21),
    "approve_approved": lambda init: ApproveObserver(20),
    "approve_attorney": lambda init: ApproveObserver(3),
    "opt_out": lambda init: OptOut(REASON),
    "impasse": lambda init: RecordImpasse(),
    "settle": lambda init: RecordSettlement(),
}


def expected(scenario: str, command: str, who: str) -> tuple[str, CaseStatus | None]:
    """The expected result, reasoned from the rules: ("ok", next status) or (error code, None)."""
    status, members, consented = SCENARIOS[scenario]
    member = who in members
    side = SIDE_OF.get(who)
    party = who in PARTIES
    if status is None:
        if command != "open":
            return "wrong_state", None
        return ("ok", S.INVITED) if party and side == "i" else ("not_allowed", None)
    if status in {S.DECLINED, S.EXPIRED, S.OPTED_OUT, S.IMPASSE, S.SETTLED}:
        return "wrong_state", None

    def check(
        allowed: bool, when: set[CaseStatus], then: CaseStatus | None = None
    ) -> tuple[str, CaseStatus | None]:
        if not allowed:
            return "not_allowed", None
        if status not in when:
            return "wrong_state", None
        return "ok", then or status

    open_ = {S.INVITED, S.AWAITING_CONSENT, S.AWAITING_MEDIATOR, S.IN_MEDIATION}
    mediating = member and who == "mediator"
    if command == "open":
        return check(party and side == "i", set())
    if command in ("accept", "decline"):
        then = S.AWAITING_CONSENT if command == "accept" else S.DECLINED
        return check(party and side == "v", {S.INVITED}, then)
    if command == "expire":
        return check(who == "system", {S.INVITED}, S.EXPIRED)
    if command in ("consent", "consent_stale"):
        result = check(party and member, {S.INVITED, S.AWAITING_CONSENT})
        if result[0] != "ok":
            return result
        if side in consented:
            return "already_consented", None
        if scenario in SCREENED and side not in SCREENED[scenario]:
            return "screening_needed", None
        if command == "consent_stale":
            return "stale_text", None
        both = consented | {side} == {"i", "v"}
        return "ok", S.AWAITING_MEDIATOR if both else status
    if command.startswith("assign"):
        result = check(who == "admin", {S.AWAITING_MEDIATOR, S.IN_MEDIATION}, S.IN_MEDIATION)
        if result[0] == "ok" and command == "assign_party":
            return "conflict", None
        if result[0] == "ok" and command == "assign_same_twice":
            return "invalid", None
        return result
    if command in ("add_attorney_same", "add_attorney_again"):
        result = check(party and member and side == "i", open_)
        return ("conflict", None) if result[0] == "ok" and command.endswith("again") else result
    if command == "add_attorney_other":
        return check(party and member and side == "v", open_)
    if command == "add_observer":  # the mediator, or the centre's staff
        return check(mediating or who == "admin", open_)
    if command == "add_admin":
        return "not_allowed", None
    if command == "remove_attorney":  # the initiator's attorney is in every scenario
        return check(who in ("initiator", "initiator_attorney") and member, open_)
    if command == "remove_observer":
        present = "observer" in members
        return check(present and who in ("mediator", "observer") and member, open_)
    if command == "remove_party":
        return "not_allowed", None
    if command.startswith("approve"):
        result = check(mediating or who == "admin", {S.IN_MEDIATION})
        if result[0] == "ok" and command == "approve_approved":
            return "conflict", None
        return ("not_found", None) if result[0] == "ok" and command.endswith("attorney") else result
    if command == "opt_out":
        return check(member and side is not None, open_, S.OPTED_OUT)
    if command == "impasse":
        return check(member and who in ("mediator", "co_mediator"), {S.IN_MEDIATION}, S.IMPASSE)
    if command == "settle":
        return check(who == "system", {S.IN_MEDIATION}, S.SETTLED)
    raise AssertionError(command)


def event_values(events: list[Event]) -> list[object]:
    return [value for event in events for value in dataclasses.asdict(event).values()]


@pytest.mark.parametrize("init", list(Side))
def test_every_status_command_and_actor_matches_the_rules(init: Side) -> None:
    """Every status x every command x every actor: the outcome the rules predict, nothing else."""
    cast = make_cast(init)
    mismatches = []
    got: tuple[str, CaseStatus | None]
    for scenario, command_name, who in itertools.product(SCENARIOS, COMMANDS, cast):
        state = build(scenario, init)
        command = COMMANDS[command_name](init)
        want_code, want_status = expected(scenario, command_name, who)
        try:
            new, events = apply(state, command, cast[who], NOW)
        except CaseError as error:
            got = (error.code, None)
            assert error.code in machine.ERROR_CODES
            assert state == build(scenario, init)  # an illegal move changes nothing
        else:
            got = ("ok", new.status)
            assert events, (scenario, command_name, who)
            closing = [e for e in events if isinstance(e, CaseClosed)]
            assert bool(closing) == new.status.is_final
            assert closing == ([CaseClosed(new.outcome, NOW)] if new.outcome else [])
            assert REASON not in event_values(events)
        if got != (want_code, want_status):
            mismatches.append((scenario, command_name, who, got, (want_code, want_status)))
    assert mismatches == []


def test_the_matrix_reaches_every_outcome_and_every_error_code() -> None:
    """Guards the exhaustive test itself: it exercises every code and every next status."""
    results = {
        expected(s, c, w)
        for s, c, w in itertools.product(SCENARIOS, COMMANDS, make_cast(Side.PLAINTIFF))
    }
    assert {code for code, _ in results} == machine.ERROR_CODES | {"ok"}
    assert {status for code, status in results if code == "ok"} == set(CaseStatus)


def walk(
    steps: list[tuple[Command, Actor]], state: CaseState | None = None
) -> tuple[CaseState, list[Event]]:
    events: list[Event] = []
    for i, (command, actor) in enumerate(steps):
        state, new = apply(state, command, actor, NOW + timedelta(minutes=i))
        events += new
    assert state is not None
    return state, events


P, D = make_cast(Side.PLAINTIFF)["initiator"], make_cast(Side.PLAINTIFF)["invitee"]
PA, DA = Actor(3, Role.ATTORNEY, Side.PLAINTIFF), Actor(4, Role.ATTORNEY, Side.DEFENDANT)
MED, CO, ADMIN = Actor(10, Role.MEDIATOR), Actor(11, Role.CO_MEDIATOR), Actor(30, Role.ADMIN)


def at(minute: int) -> datetime:
    return NOW + timedelta(minutes=minute)


def test_walk_to_settlement_with_early_consent_observer_and_reassignment() -> None:
    state, events = walk(
        [
            (OpenCase(Side.PLAINTIFF), P),
            (Consent(VERSION), P),  # before the defendant has even joined
            (AddParticipant(3, Role.ATTORNEY, Side.PLAINTIFF), P),
            (AcceptInvitation(), D),
            (AddParticipant(4, Role.ATTORNEY, Side.DEFENDANT), D),
            (Consent(VERSION), D),
            (AssignMediator(9), ADMIN),
            (AssignMediator(10, 11), ADMIN),  # reassigned while in mediation
            (AddParticipant(20, Role.OBSERVER), MED),
            (ApproveObserver(20), MED),
            (RecordSettlement(), system_actor()),
        ]
    )
    assert events == [
        CaseOpened(Side.PLAINTIFF, 1, at(0)),
        ConsentRecorded(Side.PLAINTIFF, VERSION, at(1)),
        ParticipantAdded(3, Role.ATTORNEY, Side.PLAINTIFF, at(2)),
        InvitationAccepted(Side.DEFENDANT, 2, at(3)),
        ParticipantAdded(4, Role.ATTORNEY, Side.DEFENDANT, at(4)),
        ConsentRecorded(Side.DEFENDANT, VERSION, at(5)),
        ReadyForMediator(at(5)),
        MediatorAssigned(9, None, at(6)),
        MediatorAssigned(10, 11, at(7)),
        ParticipantAdded(20, Role.OBSERVER, None, at(8)),
        ObserverApproved(20, at(9)),
        CaseClosed(Outcome.SETTLED, at(10)),
    ]
    assert (state.status, state.outcome, state.closed_at) == (S.SETTLED, Outcome.SETTLED, at(10))
    assert Actor(20, Role.OBSERVER, None, approved=True) in state.participants
    assert dict(state.consents) == {
        Side.PLAINTIFF: ConsentRecord(VERSION, at(1)),
        Side.DEFENDANT: ConsentRecord(VERSION, at(5)),
    }


def test_mediation_waits_for_both_consents() -> None:
    state, _ = walk([(OpenCase(Side.DEFENDANT), D), (AcceptInvitation(), P), (Consent(VERSION), P)])
    assert state.status is S.AWAITING_CONSENT
    with pytest.raises(CaseError) as error:
        apply(state, AssignMediator(10), ADMIN, NOW)
    assert error.value.code == "wrong_state"
    state, _ = walk([(Consent(VERSION), D)], state)
    assert state.status is S.AWAITING_MEDIATOR


def test_walk_to_impasse_recorded_by_the_co_mediator() -> None:
    state, events = walk(
        [
            (OpenCase(Side.PLAINTIFF), P),
            (AcceptInvitation(), D),
            (Consent(VERSION), D),
            (Consent(VERSION), P),
            (AssignMediator(10, 11), ADMIN),
            (RecordImpasse(), CO),
        ]
    )
    assert state.outcome is Outcome.IMPASSE and events[-1] == CaseClosed(Outcome.IMPASSE, at(5))


@pytest.mark.parametrize(
    ("command", "actor", "outcome"),
    [(DeclineInvitation(), D, Outcome.DECLINED), (ExpireInvitation(), system_actor(), None)],
)
def test_walk_to_not_mediated(command: Command, actor: Actor, outcome: Outcome | None) -> None:
    state, events = walk([(OpenCase(Side.PLAINTIFF), P), (command, actor)])
    want = outcome or Outcome.EXPIRED
    assert state.outcome is want and want.not_mediated
    assert events[-1] == CaseClosed(want, at(1))
    assert isinstance(events[-2], InvitationDeclined) == (want is Outcome.DECLINED)
    for late in (AcceptInvitation(), Consent(VERSION), OptOut()):
        with pytest.raises(CaseError, match="closed"):
            apply(state, late, D, NOW)


OPT_OUT_POINTS = [
    [(OpenCase(Side.PLAINTIFF), P)],
    [(OpenCase(Side.PLAINTIFF), P), (AcceptInvitation(), D), (Consent(VERSION), P)],
    [
        (OpenCase(Side.PLAINTIFF), P),
        (AcceptInvitation(), D),
        (AddParticipant(4, Role.ATTORNEY, Side.DEFENDANT), D),
        (Consent(VERSION), P),
        (Consent(VERSION), D),
    ],
    [
        (OpenCase(Side.PLAINTIFF), P),
        (AcceptInvitation(), D),
        (AddParticipant(4, Role.ATTORNEY, Side.DEFENDANT), D),
        (Consent(VERSION), P),
        (Consent(VERSION), D),
        (AssignMediator(10), ADMIN),
    ],
]


@pytest.mark.parametrize("steps", OPT_OUT_POINTS)
@pytest.mark.parametrize("who", ["initiator", "invitee", "invitee_attorney"])
def test_opt_out_reason_is_in_no_event(steps: list[tuple[Command, Actor]], who: str) -> None:
    """Opting out works at every open stage; no event says who or why, the record keeps both."""
    state, events = walk(steps)
    actor = {"initiator": P, "invitee": D, "invitee_attorney": DA}[who]
    if not machine.is_member(state, actor):
        with pytest.raises(CaseError):
            apply(state, OptOut(REASON), actor, NOW)
        return
    closed, new = apply(state, OptOut(REASON), actor, NOW)
    assert new == [CaseClosed(Outcome.OPTED_OUT, NOW)]
    for event in events + new:
        assert REASON not in str(dataclasses.asdict(event))
        assert {f.name for f in dataclasses.fields(event)}.isdisjoint({"reason", "opt_out"})
    assert REASON not in repr(closed) and REASON not in repr(OptOut(REASON))
    assert closed.opt_out is not None
    assert (closed.opt_out.reason, closed.opt_out.user_id, closed.opt_out.side) == (
        REASON,
        actor.user_id,
        actor.side,
    )


def test_no_event_type_can_carry_a_reason_or_name_who_closed() -> None:
    event_types = typing.get_args(Event)
    assert len(event_types) == 10
    for kind in event_types:
        assert "reason" not in {f.name for f in dataclasses.fields(kind)}
    assert [f.name for f in dataclasses.fields(CaseClosed)] == ["outcome", "at"]


def test_a_user_cannot_take_both_sides() -> None:
    state, _ = walk([(OpenCase(Side.PLAINTIFF), P)])
    for command in (AcceptInvitation(), DeclineInvitation()):
        with pytest.raises(CaseError) as error:
            apply(state, command, Actor(1, Role.PARTY, Side.DEFENDANT), NOW)
        assert error.value.code == "conflict"


def test_an_attorney_and_an_observer_may_withdraw_themselves() -> None:
    state, _ = walk(
        [
            (OpenCase(Side.PLAINTIFF), P),
            (AcceptInvitation(), D),
            (AddParticipant(4, Role.ATTORNEY, Side.DEFENDANT), D),
            (RemoveParticipant(4), DA),
        ]
    )
    assert machine.find_participant(state, 4) is None
    state, _ = walk(
        [
            (Consent(VERSION), P),
            (Consent(VERSION), D),
            (AssignMediator(10), ADMIN),
            (AddParticipant(21, Role.OBSERVER), MED),
        ],
        state,
    )
    assert Actor(21, Role.OBSERVER, approved=False) in state.participants
    state, events = walk([(RemoveParticipant(21), Actor(21, Role.OBSERVER, approved=False))], state)
    assert events == [ParticipantRemoved(21, Role.OBSERVER, None, at(0))]


def test_bad_commands_and_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        apply(None, OpenCase(Side.PLAINTIFF), P, datetime(2026, 12, 1, 10))
    with pytest.raises(TypeError):
        apply(None, "open", P, NOW)  # type: ignore[arg-type]
    state, _ = walk([(OpenCase(Side.PLAINTIFF), P), (AcceptInvitation(), D)])
    with pytest.raises(CaseError) as error:
        apply(state, AddParticipant(22, Role.OBSERVER, Side.PLAINTIFF), MED, NOW)
    assert error.value.code == "not_allowed"  # no mediator is assigned yet


def test_state_commands_and_events_are_frozen() -> None:
    state, events = walk([(OpenCase(Side.PLAINTIFF), P), (Consent(VERSION), P)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.status = S.SETTLED  # type: ignore[misc]
    with pytest.raises(TypeError):
        state.consents[Side.DEFENDANT] = ConsentRecord(VERSION, NOW)  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        events[0].at = NOW  # type: ignore[misc]


def test_error_hints_for_the_transport() -> None:
    hints = {code: CaseError(code, "x").status_hint for code in machine.ERROR_CODES}
    assert hints["not_allowed"] == 403 and hints["wrong_state"] == 409
    assert hints["already_consented"] == 409 and hints["invalid"] == 422


def test_system_actor_is_not_an_ordinary_admin() -> None:
    assert system_actor() == Actor(machine.SYSTEM_USER_ID, Role.ADMIN)
    state, _ = walk([(OpenCase(Side.PLAINTIFF), P)])
    with pytest.raises(CaseError, match="not_allowed"):
        apply(state, ExpireInvitation(), ADMIN, NOW)


def test_every_role_has_plain_duties() -> None:
    assert duties(Role.OBSERVER) == (
        "a mediator in training; reads the joint conversation, never writes, present only "
        "with the mediator's approval"
    )
    assert "does not give legal advice or decide the outcome" in duties(Role.MEDIATOR)
    assert "does not give legal advice or decide the outcome" in duties(Role.CO_MEDIATOR)
    assert "never required" in duties(Role.ATTORNEY)
    assert all(len(duties(role)) > 40 for role in Role)


def test_the_core_imports_only_the_standard_library_and_pure_case_modules() -> None:
    root = Path(machine.__file__).parent
    for name in ("machine.py", "kinds.py", "texts.py"):
        tree = ast.parse((root / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                assert top in sys.stdlib_module_names or module.startswith("odrchat.cases."), (
                    name,
                    module,
                )
