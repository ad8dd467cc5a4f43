"""Relay rules, pure: who starts, who consents, when the words go."""

from __future__ import annotations

import pytest

from odrchat.cases.roles import Actor, Role, Side
from odrchat.control import relay as r
from odrchat.control.machine import ControlError

MEDIATOR = Actor(1, Role.MEDIATOR)
PAUL = Actor(3, Role.PARTY, Side.PLAINTIFF)
ALEX = Actor(5, Role.ATTORNEY, Side.PLAINTIFF)
DANA = Actor(4, Role.PARTY, Side.DEFENDANT)
OTTO = Actor(6, Role.OBSERVER)
WORDS = "I could pay $300 now and $300 in March."


def test_the_mediator_sharing_a_partys_own_words_waits_for_their_consent() -> None:
    state = r.start(Side.PLAINTIFF, WORDS, True, MEDIATOR)
    assert state.status is r.RelayStatus.AWAITING
    with pytest.raises(ControlError):
        r.decide(state, r.Confirm(), DANA)  # the other side cannot consent for paul
    with pytest.raises(ControlError):
        r.decide(state, r.Confirm(), MEDIATOR)  # nor the mediator
    assert r.decide(state, r.Confirm(), PAUL).status is r.RelayStatus.SHARED
    assert r.decide(state, r.Confirm(), ALEX).status is r.RelayStatus.SHARED


def test_rephrased_words_go_at_once() -> None:
    state = r.start(Side.PLAINTIFF, "Paul offers $600 over two months.", False, MEDIATOR)
    assert state.status is r.RelayStatus.SHARED


def test_a_party_proposes_and_the_mediator_approves_as_written_or_rephrased() -> None:
    state = r.start(Side.PLAINTIFF, WORDS, True, PAUL)
    assert state.status is r.RelayStatus.PROPOSED
    with pytest.raises(ControlError):
        r.decide(state, r.Approve(), PAUL)
    with pytest.raises(ControlError):
        r.decide(state, r.Confirm(), PAUL)  # proposing was consent; the mediator decides
    same = r.decide(state, r.Approve(), MEDIATOR)
    assert (same.status, same.text, same.own_words) == (r.RelayStatus.SHARED, WORDS, True)
    new = r.decide(state, r.Approve("Paul offers $600 in two parts."), MEDIATOR)
    assert (new.status, new.own_words) == (r.RelayStatus.SHARED, False)
    assert new.text == "Paul offers $600 in two parts."


def test_a_party_proposes_an_offer_summary_which_is_not_its_words_as_written() -> None:
    state = r.start(Side.PLAINTIFF, "Offer 3: Paul pays $600.", False, ALEX)
    assert (state.status, state.own_words) == (r.RelayStatus.PROPOSED, False)
    assert r.decide(state, r.Approve(), MEDIATOR).status is r.RelayStatus.SHARED


def test_only_this_side_proposes_its_words() -> None:
    for actor in (DANA, OTTO):
        with pytest.raises(ControlError):
            r.start(Side.PLAINTIFF, WORDS, True, actor)


def test_declining() -> None:
    asked = r.start(Side.PLAINTIFF, WORDS, True, MEDIATOR)
    assert r.decide(asked, r.Decline(), PAUL).status is r.RelayStatus.DECLINED
    assert r.decide(asked, r.Decline(), MEDIATOR).status is r.RelayStatus.DECLINED  # withdrawn
    with pytest.raises(ControlError):
        r.decide(asked, r.Decline(), DANA)
    proposed = r.start(Side.PLAINTIFF, WORDS, True, PAUL)
    assert r.decide(proposed, r.Decline(), MEDIATOR).status is r.RelayStatus.DECLINED
    with pytest.raises(ControlError):
        r.decide(proposed, r.Decline(), PAUL)


def test_a_settled_relay_is_final() -> None:
    shared = r.decide(r.start(Side.PLAINTIFF, WORDS, True, MEDIATOR), r.Confirm(), PAUL)
    for command in (r.Approve(), r.Confirm(), r.Decline()):
        with pytest.raises(ControlError):
            r.decide(shared, command, MEDIATOR)


@pytest.mark.parametrize("text", ["", "   ", "x" * (r.MAX_TEXT + 1)])
def test_empty_or_overlong_text_is_refused(text: str) -> None:
    with pytest.raises(ControlError):
        r.start(Side.PLAINTIFF, text, False, MEDIATOR)
