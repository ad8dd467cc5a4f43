from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odrchat.cases.roles import Actor, Role, Side
from odrchat.rooms.access import (
    JOINT,
    MEDIATORS,
    RoomKind,
    RoomRef,
    audience,
    can_read,
    can_write,
    case_rooms,
    confidentiality,
    parse_room_key,
    room_key,
    room_title,
)

P_ROOM = RoomRef(RoomKind.PRIVATE, Side.PLAINTIFF)
D_ROOM = RoomRef(RoomKind.PRIVATE, Side.DEFENDANT)

# The access rule written out by hand, one row per kind of actor, read off the FAQ.
# Columns: joint, plaintiff's private room, defendant's private room, mediators' room.
# W = reads and writes (while the case is open), R = reads only, - = sees nothing.
# approved: "*" means the flag does not matter for this role.
EXPECTED_TABLE = """
party        plaintiff  *    W  W  -  -
party        defendant  *    W  -  W  -
attorney     plaintiff  *    W  W  -  -
attorney     defendant  *    W  -  W  -
mediator     -          *    W  W  W  W
co_mediator  -          *    W  W  W  W
observer     -          yes  R  -  -  R
observer     -          no   -  -  -  -
admin        -          *    R  R  R  R
"""
COLUMNS = (JOINT, P_ROOM, D_ROOM, MEDIATORS)


def _expected(actor: Actor, room: RoomRef) -> str:
    side = str(actor.side) if actor.side else "-"
    approved = "yes" if actor.approved else "no"
    for line in EXPECTED_TABLE.strip().splitlines():
        role, row_side, row_approved, *cells = line.split()
        if role == actor.role and row_side == side and row_approved in ("*", approved):
            return cells[COLUMNS.index(room)]
    raise AssertionError(f"no expectation written for {actor}")


def _all_actors() -> list[Actor]:
    actors = []
    for role, side, approved in itertools.product(Role, [None, *Side], [True, False]):
        if role.has_side == (side is not None):
            actors.append(Actor(user_id=1, role=role, side=side, approved=approved))
    return actors


def test_every_role_side_room_approval_and_case_state_matches_the_written_table() -> None:
    checked = 0
    for actor, room, case_open in itertools.product(_all_actors(), case_rooms(), [True, False]):
        cell = _expected(actor, room)
        assert can_read(actor, room) is (cell in "RW"), (actor, room)
        assert can_write(actor, room, case_open=case_open) is (cell == "W" and case_open), (
            actor,
            room,
            case_open,
        )
        checked += 1
    # 4 neutral roles x 2 approvals + 2 sided roles x 2 sides x 2 approvals = 16 actors.
    assert checked == 16 * 4 * 2


def test_case_rooms_are_joint_both_private_rooms_and_mediators_in_tab_order() -> None:
    assert case_rooms() == (JOINT, P_ROOM, D_ROOM, MEDIATORS)


def test_a_private_room_needs_a_side_and_other_rooms_refuse_one() -> None:
    with pytest.raises(ValueError):
        RoomRef(RoomKind.PRIVATE)
    with pytest.raises(ValueError):
        RoomRef(RoomKind.JOINT, Side.PLAINTIFF)
    with pytest.raises(ValueError):
        RoomRef(RoomKind.MEDIATORS, Side.DEFENDANT)


def test_room_titles_follow_the_faq_tab_names() -> None:
    names = {Side.PLAINTIFF: "Paul Plaintiff", Side.DEFENDANT: "Dana Defendant"}
    assert room_title(JOINT, names) == "Joint"
    assert room_title(P_ROOM, names) == "Paul Plaintiff + Mediator"
    assert room_title(D_ROOM, names) == "Dana Defendant + Mediator"
    assert room_title(MEDIATORS, names) == "Mediators only"
    assert room_title(D_ROOM, {}) == "Defendant + Mediator"


def test_audience_keeps_order_and_drops_whoever_cannot_read() -> None:
    party_p = Actor(1, Role.PARTY, Side.PLAINTIFF)
    party_d = Actor(2, Role.PARTY, Side.DEFENDANT)
    mediator = Actor(3, Role.MEDIATOR)
    trainee = Actor(4, Role.OBSERVER, approved=True)
    pending = Actor(5, Role.OBSERVER, approved=False)
    admin = Actor(6, Role.ADMIN)
    everyone = [party_p, party_d, mediator, trainee, pending, admin]
    assert audience(JOINT, everyone) == [party_p, party_d, mediator, trainee, admin]
    assert audience(P_ROOM, everyone) == [party_p, mediator, admin]
    assert audience(D_ROOM, everyone) == [party_d, mediator, admin]
    assert audience(MEDIATORS, everyone) == [mediator, trainee, admin]


def test_confidentiality_labels_each_kind_of_room() -> None:
    assert [confidentiality(room) for room in case_rooms()] == [
        "joint",
        "private",
        "private",
        "mediators",
    ]


def test_room_keys_round_trip_and_reject_anything_else() -> None:
    assert [room_key(room) for room in case_rooms()] == [
        "joint",
        "private:plaintiff",
        "private:defendant",
        "mediators",
    ]
    for room in case_rooms():
        assert parse_room_key(room_key(room)) == room
    for bad in ["", "private", "joint:", "joint:plaintiff", "private:judge", "lobby", "JOINT"]:
        with pytest.raises(ValueError):
            parse_room_key(bad)


rooms = st.sampled_from(case_rooms())


@st.composite
def actors(draw: st.DrawFn) -> Actor:
    role = draw(st.sampled_from(list(Role)))
    side = draw(st.sampled_from(list(Side))) if role.has_side else None
    return Actor(draw(st.integers(1, 10**9)), role, side, draw(st.booleans()))


@given(actors(), rooms, st.booleans())
def test_writing_always_implies_reading(actor: Actor, room: RoomRef, case_open: bool) -> None:
    if can_write(actor, room, case_open=case_open):
        assert can_read(actor, room)
        assert case_open
        assert actor.role not in (Role.OBSERVER, Role.ADMIN)


@given(actors())
def test_no_party_or_attorney_ever_sees_the_other_sides_private_room(actor: Actor) -> None:
    if actor.side is not None:
        other = RoomRef(RoomKind.PRIVATE, actor.side.other)
        assert not can_read(actor, other)
        assert not can_write(actor, other, case_open=True)
        assert not can_read(actor, MEDIATORS)


@given(actors(), rooms)
def test_observers_never_see_private_rooms_and_unapproved_ones_see_nothing(
    actor: Actor, room: RoomRef
) -> None:
    if actor.role is Role.OBSERVER and (room.kind is RoomKind.PRIVATE or not actor.approved):
        assert not can_read(actor, room)
