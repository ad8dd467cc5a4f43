"""OfferService on real SQLite and PostgreSQL: every move runs through the machine, the row and
one sequenced event in the joint room, in one transaction.

`Stack` (a world of real rows plus every real coordinator) is shared with the agreement tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat import audit
from odrchat.agreements.service import AgreementService
from odrchat.agreements.tables import AgreementRow
from odrchat.auth.passwords import Passwords
from odrchat.auth.service import AuthService
from odrchat.auth.tables import User
from odrchat.broker.base import Message
from odrchat.broker.memory import MemoryBroker
from odrchat.cases.service import CaseService
from odrchat.cases.tables import Case
from odrchat.cases.unit import Units
from odrchat.errors import Conflict, Forbidden, Invalid, NotFound
from odrchat.notify.tables import OutboxMessage
from odrchat.offers.service import OfferService
from odrchat.offers.tables import OfferRow
from odrchat.rooms.feed import RoomFeed
from odrchat.rooms.hub import CONTROL, Hub, room_channel
from odrchat.rooms.presence import MemoryPresence
from odrchat.rooms.service import RoomService
from odrchat.rooms.tables import RoomEvent
from odrchat.settings import TEST_ARGON2, Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.rooms.world import World, build_world

REASON = "Six hundred dollars is more than the repair cost."


def day(n: int) -> str:
    """The date `n` days from today, as terms want it."""
    return (utcnow().date() + timedelta(days=n)).isoformat()


def payment(cents: int, due_in: int = 30) -> dict[str, Any]:
    """Dana (defendant) pays Paul (plaintiff) in one sum."""
    return {
        "kind": "payment",
        "payer": "defendant",
        "payee": "plaintiff",
        "amount_cents": cents,
        "schedule": {"kind": "lump_sum", "due": day(due_in)},
    }


@dataclass
class Stack:
    db: Database
    world: World
    users: dict[str, User]
    cases: CaseService
    offers: OfferService
    agreements: AgreementService
    rooms: RoomService

    @property
    def case_id(self) -> int:
        return self.world.case_id

    def __getitem__(self, name: str) -> User:
        return self.users[name]

    async def events(self, room: str = "joint") -> list[tuple[str, dict[str, Any]]]:
        """(type, body) of every stored event in a room of the case, in seq order."""
        async with self.db.session() as s:
            stmt = (
                select(RoomEvent)
                .where(col(RoomEvent.room_id) == self.world.rooms[room])
                .order_by(col(RoomEvent.seq))
            )
            return [(e.type, json.loads(e.body)) for e in (await s.exec(stmt)).all()]

    async def types(self, prefix: str = "") -> list[str]:
        return [t for t, _ in await self.events() if t.startswith(prefix)]

    async def mails(self) -> list[OutboxMessage]:
        async with self.db.session() as s:
            stmt = select(OutboxMessage).order_by(col(OutboxMessage.id))
            return list((await s.exec(stmt)).all())

    async def set_case(self, **values: Any) -> None:
        async with self.db.session() as s:
            await s.exec(update(Case).where(col(Case.id) == self.case_id).values(**values))

    async def case(self) -> Case:
        async with self.db.session() as s:
            found = await s.get(Case, self.case_id)
            assert found is not None
            return found

    async def offer_row(self, offer_id: int) -> OfferRow:
        async with self.db.session() as s:
            found = await s.get(OfferRow, offer_id)
            assert found is not None
            return found

    async def agreement_rows(self) -> list[AgreementRow]:
        async with self.db.session() as s:
            return list((await s.exec(select(AgreementRow))).all())


async def build_stack(
    db_url: str, settings: Settings, *, feed_type: type[RoomFeed] = RoomFeed
) -> tuple[Stack, MemoryBroker]:
    """A case in mediation (paul + attorney alex v. dana, mediator mia, observer otto)."""
    world = await build_world(db_url)
    db = Database(db_url)
    broker = MemoryBroker()
    await broker.connect()
    rooms = RoomService(db, MemoryPresence())
    feed = feed_type(rooms, Hub(broker, rooms))
    units = Units(settings, db, feed=feed)
    cases = CaseService(units)
    auth = AuthService(settings, db, Passwords(TEST_ARGON2))
    agreements = AgreementService(units, auth)
    offers = OfferService(units)
    async with db.session() as s:
        by_id = {u.id: u for u in (await s.exec(select(User))).all()}
    users = {name: by_id[uid] for name, uid in world.users.items()}
    return Stack(db, world, users, cases, offers, agreements, rooms), broker


@pytest.fixture
async def stack(db_url: str, make_settings: Callable[..., Settings]) -> AsyncIterator[Stack]:
    built, broker = await build_stack(db_url, make_settings(db_url))
    try:
        yield built
    finally:
        await broker.disconnect()
        await built.db.dispose()


async def offer_from_paul(stack: Stack, cents: int = 60_000, **kw: Any) -> dict[str, Any]:
    return await stack.offers.make(stack["paul"], stack.case_id, [payment(cents)], **kw)


# -- making --------------------------------------------------------------------------------------


async def test_an_offer_is_stored_and_told_to_the_joint_room_and_the_other_side(
    stack: Stack,
) -> None:
    offer = await offer_from_paul(stack, explanation="Half the fence.")
    assert offer["status"] == "proposed" and offer["maker"]["side"] == "plaintiff"
    assert offer["description"] == [f"Dana pays Paul $600.00 by {day(30)}."]
    # The same line in Spanish, for a reader of Spanish (names as given).
    (spanish,) = offer["descriptions"]["es"]
    assert spanish.startswith("Dana paga a Paul $600.00"), spanish
    assert "pays" not in spanish
    ((kind, body),) = await stack.events()
    assert kind == "offer.made" and body["case_id"] == stack.case_id
    assert body["offer"] == offer and body["offer"]["terms"][0]["amount_cents"] == 60_000
    assert body["by"]["name"] == "Paul" and body["offer"]["explanation"] == "Half the fence."
    told = {m.recipient for m in await stack.mails()}
    # The other side and the neutrals hear of it; the maker's own side does not.
    assert told == {"dana@example.org", "mia@example.org", "otto@example.org"}
    assert not any("600" in m.body_text for m in await stack.mails())  # no terms by email


async def test_bad_terms_are_refused_with_every_field_named(stack: Stack) -> None:
    bad = [{**payment(0), "payee": "defendant"}, {"kind": "teleport"}]
    with pytest.raises(Invalid) as caught:
        await stack.offers.make(stack["paul"], stack.case_id, bad)
    assert caught.value.fields == {
        "terms/0/amount_cents": "must be whole cents from 1 to 100000000",
        "terms/1/kind": caught.value.fields["terms/1/kind"],
    }
    assert caught.value.fields["terms/1/kind"].startswith("must be one of")
    assert await stack.events() == []


async def test_terms_the_template_cannot_state_are_refused_up_front(stack: Stack) -> None:
    with pytest.raises(Invalid) as caught:
        await stack.offers.make(
            stack["paul"], stack.case_id, [{"kind": "dismissal", "with_prejudice": True}]
        )
    assert caught.value.detail_code == "template_conflict" and "terms" in caught.value.fields


async def test_bad_deadlines_and_explanations_name_their_field(stack: Stack) -> None:
    with pytest.raises(Invalid) as caught:
        await offer_from_paul(stack, deadline=utcnow() - timedelta(minutes=1))
    assert set(caught.value.fields) == {"deadline"}
    with pytest.raises(Invalid) as caught:
        await offer_from_paul(stack, explanation="x" * 2001)
    assert set(caught.value.fields) == {"explanation"}


@pytest.mark.parametrize("who", ["otto", "eve", "admin"])
async def test_observers_admins_and_outsiders_make_no_offers(stack: Stack, who: str) -> None:
    expected = NotFound if who == "eve" else Forbidden
    with pytest.raises(expected):
        await stack.offers.make(stack[who], stack.case_id, [payment(100)])
    assert await stack.events() == []


async def test_one_open_offer_per_side(stack: Stack) -> None:
    await offer_from_paul(stack)
    with pytest.raises(Conflict) as caught:
        await stack.offers.make(stack["alex"], stack.case_id, [payment(50_000)])
    assert caught.value.detail_code == "open_offer_exists"
    await stack.offers.make(stack["dana"], stack.case_id, [payment(20_000)])  # the other side may
    assert await stack.types() == ["offer.made", "offer.made"]


async def test_offers_need_a_case_in_mediation(stack: Stack) -> None:
    offer = await offer_from_paul(stack)
    await stack.set_case(status="impasse")
    with pytest.raises(Conflict):
        await offer_from_paul(stack)
    with pytest.raises(Conflict):
        await stack.offers.accept(stack["dana"], offer["id"])


# -- answering ------------------------------------------------------------------------------------


async def test_a_counter_is_made_and_linked_in_one_step(stack: Stack) -> None:
    first = await offer_from_paul(stack)
    second = await stack.offers.counter(stack["dana"], first["id"], [payment(40_000)])
    assert second["answers_offer_id"] == first["id"] and second["status"] == "proposed"
    assert (await stack.offer_row(first["id"])).status == "countered"
    events = await stack.events()
    assert [t for t, _ in events] == ["offer.made", "offer.countered", "offer.made"]
    assert events[1][1]["offer"]["id"] == first["id"] and events[1][1]["by"]["name"] == "Dana"
    assert events[2][1]["offer"] == second


async def test_a_refused_counter_changes_nothing(stack: Stack) -> None:
    first = await offer_from_paul(stack)
    await stack.offers.make(stack["dana"], stack.case_id, [payment(10_000)])
    with pytest.raises(Conflict):  # dana's side already has an open offer
        await stack.offers.counter(stack["dana"], first["id"], [payment(40_000)])
    assert (await stack.offer_row(first["id"])).status == "proposed"
    assert await stack.types() == ["offer.made", "offer.made"]


async def test_a_reject_needs_a_reason(stack: Stack) -> None:
    offer = await offer_from_paul(stack)
    with pytest.raises(Invalid) as caught:
        await stack.offers.reject(stack["dana"], offer["id"], "no")
    assert set(caught.value.fields) == {"reason"}
    rejected = await stack.offers.reject(stack["dana"], offer["id"], REASON, "amount")
    assert rejected["status"] == "rejected" and rejected["reject_reason"] == REASON
    assert await stack.types() == ["offer.made", "offer.rejected"]


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("paul", Forbidden),  # the maker
        ("alex", Forbidden),  # the maker's own attorney
        ("mia", Forbidden),  # mediators do not decide for the parties
        ("otto", Forbidden),  # observers
        ("admin", Forbidden),
        ("eve", NotFound),  # outside the case
    ],
)
async def test_only_the_other_side_accepts(stack: Stack, who: str, error: type[Exception]) -> None:
    offer = await offer_from_paul(stack)
    with pytest.raises(error):
        await stack.offers.accept(stack[who], offer["id"])
    assert (await stack.offer_row(offer["id"])).status == "proposed"
    assert await stack.agreement_rows() == []


async def test_accepting_drafts_the_agreement_and_closes_the_door_to_more(stack: Stack) -> None:
    offer = await offer_from_paul(stack)
    accepted = await stack.offers.accept(stack["dana"], offer["id"])
    assert accepted["status"] == "accepted" and accepted["accepted_by"] == ["defendant"]
    (row,) = await stack.agreement_rows()
    assert row.offer_id == offer["id"] and row.status == "draft"
    assert "Dana pays Paul $600.00" in row.text and "SC-2026-0042" in row.text
    assert await stack.types() == ["offer.made", "offer.accepted", "agreement.drafted"]
    for again in (
        stack.offers.accept(stack["dana"], offer["id"]),
        stack.offers.withdraw(stack["paul"], offer["id"]),
        offer_from_paul(stack, 1),
    ):
        with pytest.raises(Conflict):
            await again
    assert len(await stack.types()) == 3


class CountingFeed(RoomFeed):
    """The real room feed, counting how often it is flushed."""

    flushes = 0

    async def flush(self, session: AsyncSession) -> None:
        self.flushes += 1
        await super().flush(session)


async def test_an_acceptance_that_drafts_is_one_unit_flushed_and_published_once(
    db_url: str, make_settings: Callable[..., Settings]
) -> None:
    """Offer accepted + agreement drafted: one commit, one flush, each event published once."""
    stack, broker = await build_stack(db_url, make_settings(db_url), feed_type=CountingFeed)
    try:
        feed = stack.offers.units.feed
        assert isinstance(feed, CountingFeed)
        offer = await offer_from_paul(stack)
        await broker.subscribe(room_channel(stack.world.rooms["joint"]))
        await broker.subscribe(CONTROL)
        before = feed.flushes
        await stack.offers.accept(stack["dana"], offer["id"])
        assert feed.flushes - before == 1
        await broker.publish(CONTROL, b"end-of-test")  # the memory broker keeps order
        seen: list[bytes] = []
        async with asyncio.timeout(5):
            async for item in broker.events():
                if isinstance(item, Message):
                    if item.payload == b"end-of-test":
                        break
                    seen.append(item.payload)
        rang = [payload.split(b"|")[0] for payload in seen]
        assert sorted(rang) == [b"C", b"E", b"E"]  # offer.accepted, agreement.drafted; one case
        assert await stack.types() == ["offer.made", "offer.accepted", "agreement.drafted"]
    finally:
        await broker.disconnect()
        await stack.db.dispose()


async def test_a_mediators_proposal_needs_both_sides(stack: Stack) -> None:
    proposal = await stack.offers.make(stack["mia"], stack.case_id, [payment(50_000)])
    assert proposal["mediator_proposal"] and proposal["maker"]["side"] is None
    half = await stack.offers.accept(stack["alex"], proposal["id"])
    assert half["status"] == "proposed" and half["accepted_by"] == ["plaintiff"]
    with pytest.raises(Conflict):
        await stack.offers.accept(stack["paul"], proposal["id"])  # that side is bound already
    assert await stack.agreement_rows() == []
    done = await stack.offers.accept(stack["dana"], proposal["id"])
    assert done["status"] == "accepted" and done["accepted_by"] == ["defendant", "plaintiff"]
    assert len(await stack.agreement_rows()) == 1
    assert await stack.types("offer.") == ["offer.made", "offer.accepted", "offer.accepted"]


async def test_only_the_maker_withdraws(stack: Stack) -> None:
    offer = await offer_from_paul(stack)
    with pytest.raises(Forbidden):
        await stack.offers.withdraw(stack["alex"], offer["id"])
    withdrawn = await stack.offers.withdraw(stack["paul"], offer["id"])
    assert withdrawn["status"] == "withdrawn"
    assert await stack.types() == ["offer.made", "offer.withdrawn"]


async def test_offers_expire_at_their_deadline_and_no_sooner(stack: Stack) -> None:
    deadline = utcnow() + timedelta(hours=1)
    offer = await offer_from_paul(stack, deadline=deadline)
    assert await stack.offers.expire_offers(deadline - timedelta(seconds=1)) == 0
    assert await stack.offers.expire_offers(deadline) == 1
    assert (await stack.offer_row(offer["id"])).status == "expired"
    assert await stack.offers.expire_offers(deadline + timedelta(days=1)) == 0
    events = await stack.events()
    assert [t for t, _ in events] == ["offer.made", "offer.expired"]
    assert events[1][1]["by"] is None
    with pytest.raises(Conflict):
        await stack.offers.accept(stack["dana"], offer["id"])


async def test_the_thread_is_a_timeline(stack: Stack) -> None:
    first = await offer_from_paul(stack)
    second = await stack.offers.counter(stack["dana"], first["id"], [payment(40_000)])
    await stack.offers.accept(stack["alex"], second["id"])
    thread = await stack.offers.thread(stack["otto"], stack.case_id)
    assert [o["status"] for o in thread["offers"]] == ["countered", "accepted"]
    assert [(t["type"], t["offer_id"]) for t in thread["timeline"]] == [
        ("offer.made", first["id"]),
        ("offer.countered", first["id"]),
        ("offer.made", second["id"]),
        ("offer.accepted", second["id"]),
    ]
    assert [t["by"]["name"] for t in thread["timeline"]] == ["Paul", "Dana", "Dana", "Alex"]
    with pytest.raises(NotFound):
        await stack.offers.thread(stack["eve"], stack.case_id)


async def test_racing_accept_and_withdraw_have_exactly_one_winner(stack: Stack) -> None:
    for _ in range(5):
        offer = await offer_from_paul(stack)
        results = await asyncio.gather(
            stack.offers.accept(stack["dana"], offer["id"]),
            stack.offers.withdraw(stack["paul"], offer["id"]),
            return_exceptions=True,
        )
        wins = [r for r in results if isinstance(r, dict)]
        losses = [r for r in results if isinstance(r, Conflict)]
        assert len(wins) == 1 and len(losses) == 1, results
        if wins[0]["status"] == "accepted":
            break  # an agreement now exists: no more offers in this case
    types = await stack.types("offer.")
    assert types.count("offer.made") == types.count("offer.accepted") + types.count(
        "offer.withdrawn"
    )


async def test_an_admins_look_at_the_offers_is_audited(stack: Stack) -> None:
    await offer_from_paul(stack)
    thread = await stack.offers.thread(stack["admin"], stack.case_id)
    assert len(thread["offers"]) == 1
    async with stack.db.session() as s:
        (entry,) = await audit.entries(s, case_id=stack.case_id)
    assert (entry.action, entry.actor_user_id) == ("offers.viewed", stack["admin"].id)
