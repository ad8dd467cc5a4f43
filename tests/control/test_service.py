"""ControlService on real SQLite and PostgreSQL: each control is a state row, a stored event in
the right room, an audit entry with the reason, and a fresh view of the case for every socket.

What a party may do is read back through the rooms' own access (the worker's directory, which
the change drops), as the socket does before storing a message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from odrchat import audit
from odrchat.auth.tables import User
from odrchat.broker.memory import MemoryBroker
from odrchat.cases.unit import Units
from odrchat.control import relay as r
from odrchat.control.service import ControlService
from odrchat.errors import Conflict, Forbidden, Invalid, NotFound
from odrchat.offers.service import OfferService
from odrchat.rooms.directory import RoomAccess
from odrchat.rooms.feed import RoomFeed
from odrchat.rooms.hub import Hub
from odrchat.rooms.presence import MemoryPresence
from odrchat.rooms.service import RoomService
from odrchat.rooms.tables import RoomEvent
from odrchat.safety.screening import Answers, Order
from odrchat.safety.service import SafetyService
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.rooms.world import World, build_world

SECRET = "PRIVATE-bottom-line-is-800"
REASON = "REASON-only-for-the-audit-log"


@dataclass
class Stack:
    db: Database
    world: World
    users: dict[str, User]
    rooms: RoomService
    control: ControlService
    offers: OfferService
    safety: SafetyService

    def __getitem__(self, name: str) -> User:
        return self.users[name]

    @property
    def case_id(self) -> int:
        return self.world.case_id

    def room(self, key: str) -> int:
        return self.world.rooms[key]

    async def events(self, room: str) -> list[tuple[int, str, dict[str, Any]]]:
        async with self.db.session() as s:
            stmt = (
                select(RoomEvent)
                .where(col(RoomEvent.room_id) == self.room(room))
                .order_by(col(RoomEvent.seq))
            )
            return [(e.seq, e.type, json.loads(e.body)) for e in (await s.exec(stmt)).all()]

    async def access(self, who: str, room: str) -> RoomAccess | None:
        return await self.rooms.access(self.users[who], self.room(room))

    async def say(self, who: str, room: str, text: str) -> int:
        acc = await self.access(who, room)
        assert acc is not None
        event, _ = await self.rooms.send_chat(
            acc, self.users[who], f"m{utcnow().timestamp()}", text
        )
        return event.seq

    async def audit_details(self) -> list[dict[str, Any]]:
        async with self.db.session() as s:
            rows = (await s.exec(select(audit.AuditEntry))).all()
            return [json.loads(e.detail) if isinstance(e.detail, str) else e.detail for e in rows]


@pytest.fixture
async def stack(db_url: str, make_settings: Callable[..., Settings]) -> AsyncIterator[Stack]:
    world = await build_world(db_url)
    db = Database(db_url)
    broker = MemoryBroker()
    await broker.connect()
    rooms = RoomService(db, MemoryPresence())
    writer = rooms.writer
    import asyncio

    task = asyncio.ensure_future(writer.run())
    feed = RoomFeed(rooms, Hub(broker, rooms))
    units = Units(make_settings(db_url), db, feed=feed)
    control = ControlService(units)
    safety = SafetyService(units, MemoryPresence(), feed, on_flagged=control.on_flagged)
    async with db.session() as s:
        by_id = {u.id: u for u in (await s.exec(select(User))).all()}
    users = {name: by_id[uid] for name, uid in world.users.items()}
    try:
        yield Stack(db, world, users, rooms, control, OfferService(units), safety)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await broker.disconnect()
        await db.dispose()


def now_ok(acc: RoomAccess | None) -> bool:
    assert acc is not None
    return acc.may_write(utcnow())


async def test_caucus_mode_makes_the_joint_room_read_only_for_the_parties(stack: Stack) -> None:
    state = await stack.control.set_caucus(stack.case_id, True, stack["mia"])
    assert state["caucus"] and not state["safety"]
    for who in ("paul", "dana", "alex"):
        acc = await stack.access(who, "joint")
        assert acc is not None and not now_ok(acc) and acc.block == "caucus", who
        assert now_ok(await stack.access(who, f"private:{acc.actor.side}"))
    assert now_ok(await stack.access("mia", "joint"))
    events = await stack.events("joint")
    assert events[-1][1:] == (
        "control.caucus",
        {
            "on": True,
            "by": {"id": stack["mia"].id, "name": "Mia", "role": "mediator", "side": None},
        },
    )
    await stack.control.set_caucus(stack.case_id, False, stack["mia"])
    assert now_ok(await stack.access("paul", "joint"))


async def test_a_safety_flag_forces_caucus_and_only_a_reason_ends_it(stack: Stack) -> None:
    """The system (screening) switches it on; a mediator must say why it may end; the reason
    is in the audit log and nowhere a party can read."""
    await stack.control.set_caucus(stack.case_id, True, None, safety=True)
    joint = await stack.events("joint")
    assert joint[-1][1:] == ("control.caucus", {"on": True, "by": None})
    with pytest.raises(Invalid):
        await stack.control.set_caucus(stack.case_id, False, stack["mia"])
    with pytest.raises(NotFound):  # a party is not a mediator, nor an outsider told anything
        await stack.control.set_caucus(stack.case_id, False, stack["eve"], REASON)
    with pytest.raises(Forbidden):
        await stack.control.set_caucus(stack.case_id, False, stack["paul"], REASON)
    await stack.control.set_caucus(stack.case_id, False, stack["mia"], REASON)
    assert any(d.get("reason") == REASON for d in await stack.audit_details())
    for room in ("joint", "private:plaintiff", "private:defendant"):
        assert REASON not in json.dumps(await stack.events(room))
        assert "safety" not in json.dumps(await stack.events(room))
    paul = await stack.access("paul", "joint")
    assert paul is not None and "safety" not in paul.control_info(utcnow())
    mia = await stack.access("mia", "joint")
    assert mia is not None and mia.control_info(utcnow())["safety"] is False


async def test_pause_lets_only_mediators_write(stack: Stack) -> None:
    await stack.control.pause(stack["mia"], stack.case_id, True)
    for who in ("paul", "dana", "alex"):
        acc = await stack.access(who, "joint")
        assert acc is not None and not now_ok(acc) and acc.block == "paused"
    assert now_ok(await stack.access("mia", "joint"))
    with pytest.raises(Conflict):
        await stack.control.pause(stack["mia"], stack.case_id, True)
    await stack.control.pause(stack["mia"], stack.case_id, False)
    assert now_ok(await stack.access("paul", "joint"))
    assert [t for _, t, _ in await stack.events("joint")][-2:] == [
        "control.paused",
        "control.resumed",
    ]


async def test_a_mute_holds_until_its_time_and_only_in_the_joint_room(stack: Stack) -> None:
    dana = stack.world.users["dana"]
    state = await stack.control.mute(stack["mia"], stack.case_id, dana, 5)
    assert [m["user_id"] for m in state["muted"]] == [dana]
    acc = await stack.access("dana", "joint")
    assert acc is not None and acc.block == "muted" and not now_ok(acc)
    until = acc.muted_until(utcnow())
    assert until is not None and timedelta(minutes=4) < until - utcnow() <= timedelta(minutes=5)
    assert acc.may_write(until)  # over at its time, with no new read of the case
    assert now_ok(await stack.access("dana", "private:defendant"))
    assert now_ok(await stack.access("paul", "joint"))
    await stack.control.mute(stack["mia"], stack.case_id, dana, 0)
    assert now_ok(await stack.access("dana", "joint"))
    with pytest.raises(NotFound):
        await stack.control.mute(stack["mia"], stack.case_id, stack.world.users["eve"], 5)
    with pytest.raises(Forbidden):
        await stack.control.mute(stack["mia"], stack.case_id, stack.world.users["mia"], 5)


async def test_removal_takes_the_joint_room_and_keeps_the_private_one(stack: Stack) -> None:
    alex = stack.world.users["alex"]
    await stack.control.remove(stack["mia"], stack.case_id, alex, REASON)
    assert await stack.access("alex", "joint") is None
    assert now_ok(await stack.access("alex", "private:plaintiff"))
    mia = await stack.access("mia", "joint")
    assert mia is not None
    assert alex not in [
        p["user_id"] for p in (await stack.rooms.directory.view(stack.case_id)).audience(mia.ref)
    ]  # type: ignore[union-attr]
    assert any(d.get("reason") == REASON for d in await stack.audit_details())
    assert REASON not in json.dumps(await stack.events("joint"))
    await stack.control.readmit(stack["mia"], stack.case_id, alex)
    assert now_ok(await stack.access("alex", "joint"))


async def test_a_hidden_message_leaves_the_parties_transcripts_only(stack: Stack) -> None:
    seq = await stack.say("dana", "joint", "You are a liar and a thief")
    await stack.say("paul", "joint", "Let us keep calm")
    with pytest.raises(Forbidden):
        await stack.control.hide(stack["paul"], stack.room("joint"), seq, "mine")
    await stack.control.hide(stack["mia"], stack.room("joint"), seq, REASON)
    with pytest.raises(Conflict):
        await stack.control.hide(stack["mia"], stack.room("joint"), seq, REASON)

    async def transcript(who: str) -> str:
        rooms = await stack.rooms.transcript(stack[who], stack.case_id)
        return json.dumps([[e.body for e in events] for _, _, events in rooms])

    for who in ("paul", "dana", "mia", "otto"):
        text = await transcript(who)
        assert "liar" not in text and "keep calm" in text, who
    admin = json.loads(await transcript("admin"))
    hidden = [b for room in admin for b in room if "liar" in str(b.get("text"))]
    assert hidden and hidden[0]["hidden"] is True
    acc = await stack.access("dana", "joint")
    assert acc is not None and acc.is_hidden(seq) and not acc.sees_hidden()
    mia = await stack.access("mia", "joint")
    assert mia is not None and mia.sees_hidden()


async def test_a_relay_of_a_partys_words_waits_for_their_consent(stack: Stack) -> None:
    private = "private:plaintiff"
    await stack.say("paul", private, SECRET)
    seq = await stack.say("paul", private, "I can accept $600 in two payments.")
    relay = await stack.control.share(stack["mia"], stack.room(private), seq=seq)
    assert relay["status"] == "awaiting_consent"
    assert not any(t.startswith("relay.") for _, t, _ in await stack.events("joint"))
    for who in ("dana", "otto", "eve"):  # the other side never learns of it
        with pytest.raises(NotFound):
            await stack.control.decide(stack[who], relay["id"], r.Confirm())
    with pytest.raises(Forbidden):
        await stack.control.decide(stack["mia"], relay["id"], r.Confirm())
    done = await stack.control.decide(stack["paul"], relay["id"], r.Confirm())
    assert done["status"] == "shared" and done["target_room"] == stack.room("joint")
    copy = (await stack.events("joint"))[-1]
    assert copy[1] == "relay.message"
    assert copy[2] == {
        "relay_id": relay["id"],
        "text": "I can accept $600 in two payments.",
        "from_side": "plaintiff",
        "by": {"id": stack["mia"].id, "name": "Mia", "role": "mediator", "side": None},
    }
    assert SECRET not in json.dumps(await stack.events("joint"))
    source = [t for _, t, _ in await stack.events(private) if t.startswith("relay.")]
    assert source == ["relay.asked", "relay.shared"]


async def test_in_caucus_mode_a_rephrased_relay_goes_to_the_other_private_room(
    stack: Stack,
) -> None:
    await stack.control.set_caucus(stack.case_id, True, stack["mia"])
    seq = await stack.say("paul", "private:plaintiff", "Fine, 600, but she must stop calling me")
    relay = await stack.control.share(
        stack["mia"],
        stack.room("private:plaintiff"),
        seq=seq,
        text="Paul proposes $600 and asks that the calls stop.",
    )
    assert relay["status"] == "shared" and not relay["own_words"]
    assert relay["target_room"] == stack.room("private:defendant")
    got = (await stack.events("private:defendant"))[-1]
    assert got[1] == "relay.message" and got[2]["text"].startswith("Paul proposes $600")
    assert "stop calling" not in json.dumps(await stack.events("private:defendant"))
    assert "stop calling" not in json.dumps(await stack.events("joint"))


async def test_a_party_proposes_and_the_mediator_approves(stack: Stack) -> None:
    private = "private:defendant"
    mine = await stack.say("dana", private, "I will return the ladder on Saturday.")
    theirs = await stack.say("mia", private, "Thank you, Dana.")
    with pytest.raises(Forbidden):  # only her own side's words
        await stack.control.share(stack["dana"], stack.room(private), seq=theirs)
    with pytest.raises(Forbidden):  # a party does not rephrase
        await stack.control.share(stack["dana"], stack.room(private), seq=mine, text="Other")
    with pytest.raises(NotFound):  # paul cannot reach dana's private room
        await stack.control.share(stack["paul"], stack.room(private), seq=mine)
    with pytest.raises(Conflict):  # the joint room is not a source
        await stack.control.share(stack["mia"], stack.room("joint"), seq=1)
    relay = await stack.control.share(stack["dana"], stack.room(private), seq=mine)
    assert relay["status"] == "proposed"
    done = await stack.control.decide(stack["mia"], relay["id"], r.Approve())
    assert done["status"] == "shared"
    copy = (await stack.events("joint"))[-1]
    assert copy[1] == "relay.message" and copy[2]["text"] == "I will return the ladder on Saturday."
    assert copy[2]["by"]["role"] == "mediator"


async def test_an_offer_summary_is_relayed_in_caucus_mode_and_nothing_else(stack: Stack) -> None:
    """Paul's side proposes relaying the summary of its own offer (never dana's offer, never a
    summary in its own words); the mediator approves it; the copy in dana's private room says
    the offer, marked relayed by the mediator, and nothing else of paul's private room."""
    await stack.control.set_caucus(stack.case_id, True, stack["mia"])
    private = stack.room("private:plaintiff")
    await stack.say("paul", "private:plaintiff", SECRET)
    terms = [{"kind": "free_text", "text": "Paul repaints the fence by June."}]
    offer = await stack.offers.make(stack["paul"], stack.case_id, terms)
    with pytest.raises(Forbidden):  # a party does not write the summary
        await stack.control.share(stack["paul"], private, offer_id=offer["id"], text="Other")
    with pytest.raises(NotFound):  # dana cannot reach paul's private room
        await stack.control.share(stack["dana"], private, offer_id=offer["id"])
    relay = await stack.control.share(stack["alex"], private, offer_id=offer["id"])
    assert (relay["status"], relay["own_words"]) == ("proposed", False)
    assert not any(t == "relay.message" for _, t, _ in await stack.events("private:defendant"))
    done = await stack.control.decide(stack["mia"], relay["id"], r.Approve())
    assert done["status"] == "shared" and done["target_room"] == stack.room("private:defendant")
    _, kind, body = (await stack.events("private:defendant"))[-1]
    assert kind == "relay.message" and body["relay_id"] == relay["id"]
    assert body["text"].startswith(f"Offer {offer['id']}: ")
    assert "repaints the fence" in body["text"] and body["by"]["role"] == "mediator"
    assert set(body) <= {"relay_id", "text", "from_side", "by"}
    assert SECRET not in json.dumps(await stack.events("private:defendant"))
    # Dana's own offer is not paul's side's to propose; the mediator may share it from any
    # private room it is discussed in (here dana's, so it reaches paul).
    counter = await stack.offers.make(
        stack["dana"], stack.case_id, [{"kind": "free_text", "text": "Dana pays half."}]
    )
    with pytest.raises(Forbidden):
        await stack.control.share(stack["paul"], private, offer_id=counter["id"])
    direct = await stack.control.share(
        stack["mia"], stack.room("private:defendant"), offer_id=counter["id"]
    )
    assert direct["status"] == "shared" and direct["target_room"] == private


async def test_a_hidden_message_is_not_relayed(stack: Stack) -> None:
    seq = await stack.say("paul", "private:plaintiff", "something regrettable")
    await stack.control.hide(stack["mia"], stack.room("private:plaintiff"), seq, REASON)
    with pytest.raises(Conflict):
        await stack.control.share(stack["mia"], stack.room("private:plaintiff"), seq=seq)


async def test_a_flagged_screening_forces_caucus_mode_and_says_nothing_of_why(
    stack: Stack,
) -> None:
    """SafetyService's hook: dana's answers flag a concern; the case goes to caucus-only mode
    in the same transaction, marked as forced, and no room paul reads says why."""
    answers = Answers(Order.YES, afraid=True, support_person=False, accommodation=False)
    await stack.safety.answer(stack["dana"], stack.case_id, answers)
    paul = await stack.access("paul", "joint")
    assert (
        paul is not None and paul.block == "caucus" and "safety" not in paul.control_info(utcnow())
    )
    mia = await stack.access("mia", "joint")
    assert mia is not None and mia.control_info(utcnow())["safety"] is True
    assert (await stack.events("joint"))[-1][1:] == ("control.caucus", {"on": True, "by": None})
    # A second flag changes nothing; ending the mode needs a reason.
    await stack.safety.answer(stack["paul"], stack.case_id, answers)
    assert [t for _, t, _ in await stack.events("joint")].count("control.caucus") == 1
    with pytest.raises(Invalid):
        await stack.control.set_caucus(stack.case_id, False, stack["mia"])
    for room in ("joint", "private:plaintiff"):
        text = json.dumps(await stack.events(room))
        assert "afraid" not in text and "order" not in text and "safety" not in text


async def test_the_store_refuses_a_message_checked_against_a_view_from_before_the_pause(
    stack: Stack,
) -> None:
    """Another worker that has not heard of the pause yet still holds a view that lets paul
    write; the store checks again under the room's lock, so no party message follows
    `control.paused` in the log. A resend of a message stored before the pause is still its
    duplicate; the mediator still writes."""
    from odrchat.rooms.guard import Blocked

    stale = await stack.access("paul", "joint")
    assert stale is not None and now_ok(stale)
    before, _ = await stack.rooms.send_chat(stale, stack["paul"], "early", "Before the pause")
    await stack.control.pause(stack["mia"], stack.case_id, True)
    with pytest.raises(Blocked) as refused:
        await stack.rooms.send_chat(stale, stack["paul"], "late", "After the pause")
    # The socket answers it as its own check: forbidden, with the block, to that chat.send.
    assert (refused.value.code, refused.value.re_id, refused.value.block) == (
        "forbidden",
        "late",
        "paused",
    )
    again, duplicate = await stack.rooms.send_chat(
        stale, stack["paul"], "early", "Before the pause"
    )
    assert duplicate and again.seq == before.seq
    await stack.say("mia", "joint", "Let us take five minutes.")
    log = [(t, b.get("text")) for _, t, b in await stack.events("joint")]
    assert ("chat.message", "After the pause") not in log
    paused_at = log.index(("control.paused", None))
    assert all(b is None or "Before" not in b for _, b in log[paused_at:])

    # A mute, and a removal, hold in the store the same way.
    await stack.control.pause(stack["mia"], stack.case_id, False)
    dana = await stack.access("dana", "joint")
    assert dana is not None and now_ok(dana)
    await stack.control.mute(stack["mia"], stack.case_id, stack["dana"].id or 0, 5)
    with pytest.raises(Blocked) as muted:
        await stack.rooms.send_chat(dana, stack["dana"], "m", "Still talking")
    assert muted.value.block == "muted"
    await stack.control.mute(stack["mia"], stack.case_id, stack["dana"].id or 0, 0)
    await stack.control.remove(stack["mia"], stack.case_id, stack["dana"].id or 0, REASON)
    with pytest.raises(Blocked) as removed:
        await stack.rooms.send_chat(dana, stack["dana"], "r", "Still here")
    assert removed.value.block == "removed"
