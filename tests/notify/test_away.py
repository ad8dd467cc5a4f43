"""Notices while away: one per room per hour to members with unread news who are not there, never
with the text, never to the sender, never about a room the member cannot read; once across
workers. The clock is moved by passing `now`, never by sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from odrchat.auth.tables import User
from odrchat.cases.service import CaseService
from odrchat.cases.unit import Units
from odrchat.notify.away import AwayNotices, Candidate, due
from odrchat.notify.notifier import Notifier
from odrchat.notify.tables import OutboxMessage
from odrchat.rooms import log
from odrchat.rooms.presence import MemoryPresence
from odrchat.rooms.service import RoomService
from odrchat.rooms.tables import ReadMarker
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.cases.world import RecordingFeed, add_user, in_mediation
from tests.conftest import SECRET

SECRET_TEXT = "I could accept 1200 if the fence is painted"
MIN = timedelta(minutes=1)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


class World:
    def __init__(self, db: Database, case_id: int, rooms: dict[str, int], **people: User) -> None:
        self.db, self.case_id, self.rooms = db, case_id, rooms
        self.paul, self.dana, self.mia = people["paul"], people["dana"], people["mia"]


@pytest.fixture
async def world(db: Database, db_url: str, make_settings: Callable[..., Settings]) -> World:
    svc = CaseService(Units(make_settings(db_url), db, feed=RecordingFeed()))
    paul = await add_user(db, "paul")
    dana = await add_user(db, "dana", notify_optional=False)
    mia = await add_user(db, "mia", staff="mediator")
    admin = await add_user(db, "root", staff="admin")
    case_id = await in_mediation(svc, paul, dana, mia, admin)
    async with db.session() as s:
        made = await RoomService(db, MemoryPresence()).open_case_rooms(s, case_id)
        rooms = {(r.side or r.kind): r.id for r in made if r.id is not None}
    return World(db, case_id, rooms, paul=paul, dana=dana, mia=mia)


async def say(
    w: World, room: str, who: User | None, at: datetime, type_: str = "chat.message"
) -> int:
    async with w.db.session() as s:
        stored = await log.append(
            s,
            w.rooms[room],
            type_,
            {"text": SECRET_TEXT} if type_ == "chat.message" else {"offer_id": 1},
            confidentiality=room if room in ("joint", "mediators") else "private",
            at=at,
            sender_id=who.id if who else None,
        )
    return stored.seq


async def notices(db: Database) -> list[tuple[str, str]]:
    async with db.read() as s:
        rows = (await s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return [(r.channel, r.recipient) for r in rows if "News in your mediation" in r.subject]


def sweeper(db: Database, presence: MemoryPresence | None = None) -> AwayNotices:
    notifier = Notifier("https://odr.example", SECRET, ZoneInfo("America/Los_Angeles"))
    return AwayNotices(db, presence or MemoryPresence(), notifier)


async def test_members_away_hear_once_per_room_per_hour_and_never_what_was_written(
    world: World,
) -> None:
    t0 = utcnow()
    await say(world, "joint", world.paul, t0)
    away = sweeper(world.db)
    assert await away.sweep(t0 + 5 * MIN) == 0  # ten minutes to come back first
    # Dana chose no optional notices: a chat message is optional; mia hears of it.
    assert await away.sweep(t0 + 11 * MIN) == 1
    assert await notices(world.db) == [("email", "mia@example.org")]
    async with world.db.read() as s:
        rows = (await s.exec(select(OutboxMessage))).all()
    [mail] = [r for r in rows if "News in your mediation" in r.subject]
    assert SECRET_TEXT not in mail.body_text and SECRET_TEXT not in (mail.body_html or "")
    assert "24SC01234" in mail.subject and f"https://odr.example/#/cases/{world.case_id}" in (
        mail.body_text
    )
    assert await away.sweep(t0 + 20 * MIN) == 0  # nothing new

    await say(world, "joint", world.dana, t0 + 30 * MIN)
    assert await away.sweep(t0 + 41 * MIN) == 1  # paul, who has not had one; mia within the hour
    assert await away.sweep(t0 + 72 * MIN) == 1  # mia, an hour after her first
    assert await notices(world.db) == [
        ("email", "mia@example.org"),
        ("email", "paul@example.org"),
        ("email", "mia@example.org"),
    ]


async def test_an_offer_is_always_news_and_a_private_room_reaches_only_its_side(
    world: World,
) -> None:
    t0 = utcnow()
    await say(world, "plaintiff", world.mia, t0)  # paul's private room
    await say(world, "joint", None, t0, type_="offer.made")
    assert await sweeper(world.db).sweep(t0 + 15 * MIN) == 4
    recipients = [to for _, to in await notices(world.db)]
    assert sorted(recipients) == [
        "dana@example.org",  # the offer, though she wants no optional notices; not the private room
        "mia@example.org",  # the offer (her own chat in the private room is not news to her)
        "paul@example.org",  # one notice per room: his private room, and the joint offer
        "paul@example.org",
    ]


async def test_a_member_who_read_it_or_is_in_the_room_is_not_told(world: World) -> None:
    t0 = utcnow()
    seq = await say(world, "joint", world.dana, t0)
    async with world.db.session() as s:
        s.add(ReadMarker(room_id=world.rooms["joint"], user_id=world.paul.id, seq=seq))
    presence = MemoryPresence()
    assert world.mia.id is not None
    await presence.add(world.rooms["joint"], world.mia.id)
    assert await sweeper(world.db, presence).sweep(t0 + 15 * MIN) == 0
    assert await notices(world.db) == []


async def test_two_workers_sweeping_at_once_send_each_notice_once(
    world: World, db_url: str
) -> None:
    t0 = utcnow()
    await say(world, "joint", world.paul, t0, type_="offer.made")
    other = Database(db_url)
    try:
        counts = await asyncio.gather(
            sweeper(world.db).sweep(t0 + 15 * MIN), sweeper(other).sweep(t0 + 15 * MIN)
        )
    finally:
        await other.dispose()
    assert sum(counts) == 2
    assert sorted(to for _, to in await notices(world.db)) == [
        "dana@example.org",
        "mia@example.org",
    ]


async def set_delay(w: World, user: User, minutes: int) -> None:
    async with w.db.session() as s:
        row = await s.get(User, user.id)
        assert row is not None
        row.away_delay = minutes
        s.add(row)


async def test_each_member_waits_their_own_delay_and_still_hears_once_per_room_per_hour(
    world: World,
) -> None:
    """Paul chose 30 minutes, mia 5, dana kept the default 10: each hears of the same offer
    when their own delay has passed, not before, and the hour between notices still holds."""
    await set_delay(world, world.paul, 30)
    await set_delay(world, world.mia, 5)
    t0 = utcnow()
    await say(world, "joint", None, t0, type_="offer.made")
    away = sweeper(world.db)
    assert await away.sweep(t0 + 4 * MIN) == 0
    assert await away.sweep(t0 + 6 * MIN) == 1
    assert await notices(world.db) == [("email", "mia@example.org")]
    assert await away.sweep(t0 + 11 * MIN) == 1  # dana; not paul, who chose 30 minutes
    assert await away.sweep(t0 + 29 * MIN) == 0
    assert await away.sweep(t0 + 31 * MIN) == 1
    assert await notices(world.db) == [
        ("email", "mia@example.org"),
        ("email", "dana@example.org"),
        ("email", "paul@example.org"),
    ]
    # News again soon after: mia's 5 minutes pass, but her last notice is not an hour old.
    await say(world, "joint", None, t0 + 40 * MIN, type_="offer.made")
    assert await away.sweep(t0 + 50 * MIN) == 0
    assert await away.sweep(t0 + 67 * MIN) == 1  # mia, an hour after her first
    assert await notices(world.db) == [
        ("email", "mia@example.org"),
        ("email", "dana@example.org"),
        ("email", "paul@example.org"),
        ("email", "mia@example.org"),
    ]


def test_the_rule() -> None:
    now = utcnow()
    base = Candidate(1, 1, 1, now - 11 * MIN, 5, False, None, False, True)
    rules = {"every": 60 * MIN}
    assert base.delay == 10 * MIN  # the default
    assert due(base, now, **rules)
    assert not due(replace(base, online=True), now, **rules)
    assert not due(replace(base, oldest_unread_at=now - 9 * MIN), now, **rules)
    assert not due(replace(base, delay=30 * MIN), now, **rules)
    assert due(replace(base, delay=30 * MIN, oldest_unread_at=now - 31 * MIN), now, **rules)
    assert due(replace(base, delay=5 * MIN, oldest_unread_at=now - 6 * MIN), now, **rules)
    assert not due(replace(base, last_notice_at=now - 59 * MIN), now, **rules)
    assert due(replace(base, last_notice_at=now - 61 * MIN), now, **rules)
    assert not due(replace(base, wants_optional=False), now, **rules)
    assert due(replace(base, wants_optional=False, required=True), now, **rules)


class AskedPresence(MemoryPresence):
    """Presence as in one worker, noting every room a sweep asks about."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[int] = []

    async def online_in(self, rooms: Iterable[int]) -> dict[int, set[int]]:
        wanted = list(rooms)
        self.asked.extend(wanted)
        return await super().online_in(wanted)


async def test_a_sweep_asks_presence_only_about_news_old_enough_to_tell(world: World) -> None:
    """News younger than the shortest delay on offer is no one's to hear of yet: the sweep
    leaves it in the database (at a busy centre it asked Redis about every room at once, and
    chat publishes waited behind that read)."""
    start = utcnow()
    await say(world, "joint", world.paul, start)
    presence = AskedPresence()
    sweep = sweeper(world.db, presence)
    assert await sweep.sweep(start + 4 * MIN) == 0
    assert presence.asked == []
    # Ten minutes on (the default delay) Mia, the mediator, is told; Dana turned chat notices
    # off, so her room is not asked about either.
    assert await sweep.sweep(start + 10 * MIN) == 1
    assert presence.asked == [world.rooms["joint"]]
