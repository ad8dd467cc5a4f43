from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from odrchat.cases.roles import Actor, Role, Side
from odrchat.offers.machine import (
    REJECT_CODES,
    Accept,
    AgreementReached,
    Command,
    Counter,
    Expire,
    Offer,
    OfferAccepted,
    OfferCountered,
    OfferError,
    OfferExpired,
    OfferMade,
    OfferRejected,
    OfferStatus,
    OfferWithdrawn,
    Reject,
    Withdraw,
    apply,
    can_answer,
    make_offer,
    validate_new_offer,
)
from odrchat.offers.terms import Dismissal, Terms

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TERMS = Terms((Dismissal(),))
REASON = "The amount is more than the repair cost."

ACTORS = {
    "party_p": Actor(1, Role.PARTY, Side.PLAINTIFF),
    "attorney_p": Actor(2, Role.ATTORNEY, Side.PLAINTIFF),
    "party_d": Actor(3, Role.PARTY, Side.DEFENDANT),
    "attorney_d": Actor(4, Role.ATTORNEY, Side.DEFENDANT),
    "mediator": Actor(5, Role.MEDIATOR),
    "co_mediator": Actor(6, Role.CO_MEDIATOR),
    "observer": Actor(7, Role.OBSERVER, approved=True),
    "trainee": Actor(8, Role.OBSERVER, approved=False),
    "admin": Actor(9, Role.ADMIN),
}
SIDE_OF = {"party_p": "p", "attorney_p": "p", "party_d": "d", "attorney_d": "d"}

# Offer makers under test: who made it, and which side it speaks for ("" = mediator's proposal).
MAKERS = {"party_p": "p", "attorney_d": "d", "co_mediator": ""}
DEADLINES = {"none": None, "future": NOW + timedelta(hours=1), "past": NOW - timedelta(seconds=1)}
ACCEPTED_BY = {
    "nobody": frozenset(),
    "p": frozenset({Side.PLAINTIFF}),
    "d": frozenset({Side.DEFENDANT}),
}
COMMANDS: dict[str, Command] = {
    "accept": Accept(),
    "reject": Reject(REASON, "amount"),
    "counter": Counter(99),
    "withdraw": Withdraw(),
    "expire": Expire(NOW),
}


def _expected(
    maker: str, status: OfferStatus, accepted: str, deadline: str, command: str, actor: str
) -> tuple[str, str, list[type]]:
    """What should happen, reasoned case by case from the FAQ and the brief.

    Returns (outcome, new status, event types); outcome is "ok", "conflict" or "not_allowed".
    """
    open_ = status == "proposed"
    if command == "expire":
        if not open_:
            return ("conflict", "", [])
        if deadline != "past":
            return ("not_allowed", "", [])
        return ("ok", "expired", [OfferExpired])
    if command == "withdraw":
        if actor != maker:
            return ("not_allowed", "", [])
        if not open_ or deadline == "past":
            return ("conflict", "", [])
        return ("ok", "withdrawn", [OfferWithdrawn])
    # accept, reject, counter: only a party or attorney of a side the offer was made to.
    my_side = SIDE_OF.get(actor)
    offered_to = {"p": {"d"}, "d": {"p"}, "": {"p", "d"}}[MAKERS[maker]]
    if my_side not in offered_to:
        return ("not_allowed", "", [])
    if not open_ or deadline == "past":
        return ("conflict", "", [])
    mediators_proposal = MAKERS[maker] == ""
    if mediators_proposal and accepted == my_side:
        return ("conflict", "", [])  # this side has already given its word
    if command == "reject":
        return ("ok", "rejected", [OfferRejected])
    if command == "counter":
        return ("ok", "countered", [OfferCountered])
    if mediators_proposal and accepted == "nobody":
        return ("ok", "proposed", [OfferAccepted])  # waiting for the other side
    return ("ok", "accepted", [OfferAccepted, AgreementReached])


def test_every_state_command_actor_and_offer_kind_matches_the_expectation() -> None:
    combos = itertools.product(MAKERS, OfferStatus, ACCEPTED_BY, DEADLINES, COMMANDS, ACTORS)
    outcomes = set()
    for maker, status, accepted, deadline, command, actor in combos:
        if MAKERS[maker] and accepted != "nobody":
            continue  # only a mediator's proposal collects acceptances
        offer = Offer(
            id=7,
            maker_user_id=ACTORS[maker].user_id,
            maker_side=ACTORS[maker].side,
            terms=TERMS,
            status=status,
            deadline=DEADLINES[deadline],
            accepted_by=ACCEPTED_BY[accepted],
        )
        want, want_status, want_events = _expected(
            maker, status, accepted, deadline, command, actor
        )
        case = (maker, status, accepted, deadline, command, actor)
        outcomes.add(want)
        if want != "ok":
            with pytest.raises(OfferError) as info:
                apply(offer, COMMANDS[command], ACTORS[actor], NOW)
            assert info.value.code == want, case
            continue
        new, events = apply(offer, COMMANDS[command], ACTORS[actor], NOW)
        assert new.status == want_status, case
        assert [type(e) for e in events] == want_events, case
        assert all(e.offer_id == offer.id for e in events), case
        assert new.terms == offer.terms and new.id == offer.id, case
    assert outcomes == {"ok", "conflict", "not_allowed"}


def test_answer_events_name_the_answering_side_and_carry_details() -> None:
    offer = Offer(1, maker_user_id=1, maker_side=Side.PLAINTIFF, terms=TERMS)
    lawyer = ACTORS["attorney_d"]
    rejected, events = apply(offer, Reject(f"  {REASON}  ", "amount"), lawyer, NOW)
    assert events == [OfferRejected(1, Side.DEFENDANT, REASON, "amount")]
    assert (rejected.reject_reason, rejected.reject_code) == (REASON, "amount")
    _, events = apply(offer, Counter(2), lawyer, NOW)
    assert events == [OfferCountered(1, Side.DEFENDANT, 2)]
    accepted, events = apply(offer, Accept(), lawyer, NOW)
    assert events == [OfferAccepted(1, Side.DEFENDANT), AgreementReached(1, TERMS)]
    assert accepted.accepted_by == {Side.DEFENDANT}
    assert offer.status is OfferStatus.PROPOSED  # the original value is untouched


def test_a_mediators_proposal_needs_both_sides_in_either_order() -> None:
    for first, second in [("party_p", "attorney_d"), ("attorney_d", "party_p")]:
        offer, _ = make_offer(3, ACTORS["mediator"], TERMS, now=NOW)
        assert offer.maker_side is None
        half, events = apply(offer, Accept(), ACTORS[first], NOW)
        assert half.status is OfferStatus.PROPOSED and len(events) == 1
        assert not can_answer(half, ACTORS[first]) and can_answer(half, ACTORS[second])
        done, events = apply(half, Accept(), ACTORS[second], NOW)
        assert done.status is OfferStatus.ACCEPTED
        assert done.accepted_by == frozenset(Side)
        assert events[-1] == AgreementReached(3, TERMS)


def test_the_loser_of_an_accept_race_gets_a_conflict() -> None:
    offer = Offer(1, maker_user_id=1, maker_side=Side.PLAINTIFF, terms=TERMS)
    won, _ = apply(offer, Accept(), ACTORS["party_d"], NOW)
    late_moves: list[Command] = [Accept(), Reject(REASON), Counter(5)]
    for late in late_moves:
        with pytest.raises(OfferError) as info:
            apply(won, late, ACTORS["attorney_d"], NOW)
        assert info.value.code == "conflict" and info.value.status_hint == 409
    with pytest.raises(OfferError) as info:
        apply(won, Withdraw(), ACTORS["party_p"], NOW)
    assert info.value.code == "conflict"


@pytest.mark.parametrize("reason", ["", "no", "         no", "x" * 9, "x" * 1001, "bad\x00reason"])
def test_a_rejection_needs_a_real_reason(reason: str) -> None:
    offer = Offer(1, maker_user_id=1, maker_side=Side.PLAINTIFF, terms=TERMS)
    with pytest.raises(OfferError) as info:
        apply(offer, Reject(reason), ACTORS["party_d"], NOW)
    assert info.value.code == "invalid" and info.value.status_hint == 422


def test_reject_codes_come_from_the_fixed_set_or_none() -> None:
    offer = Offer(1, maker_user_id=1, maker_side=Side.PLAINTIFF, terms=TERMS)
    for code in [*sorted(REJECT_CODES), None]:
        new, _ = apply(offer, Reject("x" * 10, code), ACTORS["party_d"], NOW)
        assert new.reject_code == code
    with pytest.raises(OfferError):
        apply(offer, Reject(REASON, "insulting"), ACTORS["party_d"], NOW)


def test_only_parties_attorneys_and_mediators_make_offers() -> None:
    expected_sides = {
        "party_p": Side.PLAINTIFF,
        "attorney_p": Side.PLAINTIFF,
        "party_d": Side.DEFENDANT,
        "attorney_d": Side.DEFENDANT,
        "mediator": None,
        "co_mediator": None,
    }
    for name, actor in ACTORS.items():
        if name in expected_sides:
            offer, events = make_offer(4, actor, TERMS, now=NOW, explanation=" why ")
            assert offer.maker_side is expected_sides[name]
            assert (offer.status, offer.maker_user_id, offer.explanation) == (
                "proposed",
                actor.user_id,
                "why",
            )
            assert events == [OfferMade(4, expected_sides[name], None)]
        else:
            with pytest.raises(OfferError) as info:
                validate_new_offer(actor, now=NOW)
            assert info.value.code == "not_allowed"


@pytest.mark.parametrize(
    "deadline",
    [NOW, NOW - timedelta(minutes=1), datetime(2026, 6, 2, 12, 0)],
)
def test_a_deadline_must_be_aware_and_in_the_future(deadline: datetime) -> None:
    with pytest.raises(OfferError) as info:
        validate_new_offer(ACTORS["party_p"], now=NOW, deadline=deadline)
    assert info.value.code == "invalid"
    later = NOW + timedelta(days=2)
    assert make_offer(1, ACTORS["party_p"], TERMS, now=NOW, deadline=later)[0].deadline == later


def test_explanations_are_bounded_plain_text() -> None:
    for bad in ["x" * 2001, "ring\x07"]:
        with pytest.raises(OfferError):
            validate_new_offer(ACTORS["party_p"], now=NOW, explanation=bad)
    assert validate_new_offer(ACTORS["party_p"], now=NOW, explanation="a\nb\tc") is Side.PLAINTIFF


def test_a_counter_offer_is_checked_against_the_offer_it_answers() -> None:
    original = Offer(1, maker_user_id=1, maker_side=Side.PLAINTIFF, terms=TERMS)
    counter, events = make_offer(2, ACTORS["attorney_d"], TERMS, now=NOW, answers=original)
    assert counter.answers_offer_id == 1 and events == [OfferMade(2, Side.DEFENDANT, 1)]
    countered, _ = apply(original, Counter(counter.id), ACTORS["attorney_d"], NOW)
    refusals: list[tuple[str, Offer, str]] = [
        ("attorney_p", original, "not_allowed"),  # own side's offer
        ("mediator", original, "not_allowed"),  # mediators propose afresh
        ("observer", original, "not_allowed"),
        ("party_d", countered, "conflict"),  # already answered
        ("party_d", Offer(1, 1, Side.PLAINTIFF, TERMS, deadline=NOW), "conflict"),
    ]
    for name, answers, code in refusals:
        with pytest.raises(OfferError) as info:
            validate_new_offer(ACTORS[name], now=NOW, answers=answers)
        assert info.value.code == code, name


def test_a_side_that_accepted_a_mediators_proposal_cannot_counter_it() -> None:
    proposal = Offer(1, 5, None, TERMS, accepted_by=frozenset({Side.DEFENDANT}))
    with pytest.raises(OfferError) as info:
        validate_new_offer(ACTORS["party_d"], now=NOW, answers=proposal)
    assert info.value.code == "conflict"
    assert validate_new_offer(ACTORS["party_p"], now=NOW, answers=proposal) is Side.PLAINTIFF


def test_can_answer_agrees_with_apply_for_every_actor() -> None:
    offers = [
        Offer(1, 1, Side.PLAINTIFF, TERMS),
        Offer(1, 4, Side.DEFENDANT, TERMS),
        Offer(1, 5, None, TERMS),
        Offer(1, 5, None, TERMS, accepted_by=frozenset({Side.PLAINTIFF})),
    ]
    for offer, actor in itertools.product(offers, ACTORS.values()):
        try:
            apply(offer, Accept(), actor, NOW)
        except OfferError:
            allowed = False
        else:
            allowed = True
        assert can_answer(offer, actor) is allowed, (offer, actor)


def test_offer_errors_carry_a_transport_hint() -> None:
    assert OfferError("not_allowed", "x").status_hint == 403
    assert OfferError("conflict", "x").status_hint == 409
    assert str(OfferError("conflict", "already accepted")) == "conflict: already accepted"
