"""The room-control rules, pure: who may switch what, and what each state means for writing.

Expectations are written from the issue (caucus-only mode, pause, mute, removal, hiding), not
read off the code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from odrchat.cases.roles import Actor, Role, Side
from odrchat.control import machine as m

NOW = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
MEDIATOR = Actor(1, Role.MEDIATOR)
CO = Actor(2, Role.CO_MEDIATOR)
PAUL = Actor(3, Role.PARTY, Side.PLAINTIFF)
DANA = Actor(4, Role.PARTY, Side.DEFENDANT)
ALEX = Actor(5, Role.ATTORNEY, Side.PLAINTIFF)
OTTO = Actor(6, Role.OBSERVER)
ADMIN = Actor(7, Role.ADMIN)
SYSTEM = Actor(m.SYSTEM_USER_ID, Role.ADMIN)
OFF = m.ControlState()


def refused(state: m.ControlState, command: m.Command, actor: Actor, code: str) -> None:
    with pytest.raises(m.ControlError) as info:
        m.apply(state, command, actor, NOW)
    assert info.value.code == code


@pytest.mark.parametrize("actor", [PAUL, DANA, ALEX, OTTO, ADMIN])
def test_only_mediators_control_the_rooms(actor: Actor) -> None:
    for command in (
        m.SetCaucus(True),
        m.Pause(),
        m.Mute(DANA, NOW + timedelta(minutes=5)),
        m.Remove(DANA, "shouting"),
        m.Hide(10, 1, "insult"),
    ):
        refused(OFF, command, actor, "not_allowed")


@pytest.mark.parametrize("actor", [MEDIATOR, CO])
def test_a_mediator_switches_caucus_on_and_off(actor: Actor) -> None:
    on, events = m.apply(OFF, m.SetCaucus(True), actor, NOW)
    assert (on.caucus, on.safety, events) == (True, False, [m.CaucusChanged(True)])
    off, events = m.apply(on, m.SetCaucus(False), actor, NOW)
    assert (off.caucus, events) == (False, [m.CaucusChanged(False)])
    refused(off, m.SetCaucus(False), actor, "wrong_state")
    refused(on, m.SetCaucus(True), actor, "wrong_state")


def test_a_safety_flag_forces_caucus_and_ending_it_needs_a_reason() -> None:
    forced, events = m.apply(OFF, m.SetCaucus(True, safety=True), SYSTEM, NOW)
    assert (forced.caucus, forced.safety, events) == (True, True, [m.CaucusChanged(True)])
    refused(forced, m.SetCaucus(False), MEDIATOR, "reason_required")
    refused(forced, m.SetCaucus(False, "   "), MEDIATOR, "reason_required")
    refused(forced, m.SetCaucus(False, "all clear"), SYSTEM, "not_allowed")
    off, events = m.apply(forced, m.SetCaucus(False, "Both asked for a joint session."), CO, NOW)
    assert (off.caucus, off.safety, events) == (False, False, [m.CaucusChanged(False)])


def test_a_safety_flag_on_a_caucus_already_on_marks_it_without_an_event() -> None:
    on, _ = m.apply(OFF, m.SetCaucus(True), MEDIATOR, NOW)
    forced, events = m.apply(on, m.SetCaucus(True, safety=True), SYSTEM, NOW)
    assert (forced.caucus, forced.safety, events) == (True, True, [])
    refused(forced, m.SetCaucus(False), MEDIATOR, "reason_required")


def test_events_never_carry_a_reason_or_the_safety_flag() -> None:
    _, events = m.apply(OFF, m.SetCaucus(True, "PRIVATE", safety=True), SYSTEM, NOW)
    _, more = m.apply(OFF, m.Remove(DANA, "PRIVATE"), MEDIATOR, NOW)
    for event in [*events, *more]:
        assert "PRIVATE" not in repr(event) and "safety" not in repr(event)


def test_pause_and_resume() -> None:
    paused, events = m.apply(OFF, m.Pause(), MEDIATOR, NOW)
    assert paused.paused and events == [m.Paused()]
    refused(paused, m.Pause(), MEDIATOR, "wrong_state")
    resumed, events = m.apply(paused, m.Resume(), CO, NOW)
    assert not resumed.paused and events == [m.Resumed()]
    refused(resumed, m.Resume(), MEDIATOR, "wrong_state")


def test_a_mute_lasts_from_a_moment_to_a_day_and_ends_by_itself() -> None:
    until = NOW + timedelta(minutes=10)
    muted, events = m.apply(OFF, m.Mute(DANA, until), MEDIATOR, NOW)
    assert events == [m.Muted(DANA.user_id, until)]
    assert muted.muted_until(DANA.user_id, NOW) == until
    assert muted.muted_until(DANA.user_id, until) is None  # over at `until`
    assert muted.muted_until(PAUL.user_id, NOW) is None
    refused(OFF, m.Mute(DANA, NOW), MEDIATOR, "bad_time")
    refused(OFF, m.Mute(DANA, NOW + m.MAX_MUTE + timedelta(seconds=1)), MEDIATOR, "bad_time")
    unmuted, events = m.apply(muted, m.Unmute(DANA), MEDIATOR, NOW)
    assert events == [m.Unmuted(DANA.user_id)] and unmuted.muted_until(DANA.user_id, NOW) is None
    refused(unmuted, m.Unmute(DANA), MEDIATOR, "wrong_state")
    # A mute that has run out is over: lifting it then is refused.
    with pytest.raises(m.ControlError):
        m.apply(muted, m.Unmute(DANA), MEDIATOR, until + timedelta(seconds=1))


@pytest.mark.parametrize("target", [MEDIATOR, CO, OTTO])
def test_neutrals_and_observers_are_never_muted_or_removed(target: Actor) -> None:
    refused(OFF, m.Mute(target, NOW + timedelta(minutes=1)), MEDIATOR, "not_allowed")
    refused(OFF, m.Remove(target, "reason"), MEDIATOR, "not_allowed")


def test_removal_needs_a_reason_and_readmission_undoes_it() -> None:
    refused(OFF, m.Remove(ALEX, " "), MEDIATOR, "reason_required")
    out, events = m.apply(OFF, m.Remove(ALEX, "threats"), MEDIATOR, NOW)
    assert events == [m.Removed(ALEX.user_id)] and not m.may_read_joint(out, ALEX)
    assert m.may_read_joint(out, PAUL)
    refused(out, m.Remove(ALEX, "again"), MEDIATOR, "wrong_state")
    back, events = m.apply(out, m.Readmit(ALEX), MEDIATOR, NOW)
    assert events == [m.Readmitted(ALEX.user_id)] and m.may_read_joint(back, ALEX)
    refused(back, m.Readmit(ALEX), MEDIATOR, "wrong_state")


def test_a_hidden_message_stays_hidden() -> None:
    hidden, events = m.apply(OFF, m.Hide(10, 4, "slur"), MEDIATOR, NOW)
    assert events == [m.Hidden(10, 4)] and (10, 4) in hidden.hidden
    refused(hidden, m.Hide(10, 4, "again"), MEDIATOR, "wrong_state")
    refused(OFF, m.Hide(10, 5, ""), MEDIATOR, "reason_required")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (OFF, None),
        (m.ControlState(caucus=True), "caucus"),
        (m.ControlState(paused=True), "paused"),
        (m.ControlState(caucus=True, paused=True), "paused"),
        (m.ControlState(removed=frozenset({PAUL.user_id})), "removed"),
    ],
)
def test_what_blocks_a_party_in_the_joint_room(state: m.ControlState, expected: str | None) -> None:
    assert m.joint_write_block(state, PAUL) == expected
    # Mediators write whatever the mediator set.
    assert m.joint_write_block(state, MEDIATOR) is None
    assert m.joint_write_block(state, CO) is None


def test_an_illegal_move_changes_nothing() -> None:
    state = m.ControlState(paused=True)
    refused(state, m.Pause(), MEDIATOR, "wrong_state")
    assert state == m.ControlState(paused=True)
