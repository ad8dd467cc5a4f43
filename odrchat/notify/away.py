"""Notices while away: a participant with news in a room and no open socket there hears of it.

The rule (``due``, pure): a member of a room is told when

* something happened in the room that they have not read (a chat message, offer, agreement or
  case event, not their own) since their read marker and since their last notice for the room,
* the oldest such event is at least the member's own delay old (``users.away_delay``, chosen on
  the Account page from ``prefs.AWAY_DELAYS``; 10 minutes unless they chose another: time to
  come back),
* they are not in the room right now (presence), and
* their last notice for this room is at least ``every`` old (default one hour).

Chat messages are optional news (the account's "optional notifications" choice); anything else
(offers, signatures, a case closing) is always sent. A notice names the case and the room and
links to it, never what anyone wrote.

Every worker runs the loop and one of them sweeps each minute (``odrchat.store.turns``: the
sweep's query reads three days of events, and every worker ran it at the same moment). A notice
is claimed by a conditional upsert on ``away_notices`` (one row per room and member) in the same
transaction that queues the email and text, so two workers that do sweep at once (a test, a
clock far off) never send the same notice, and a crash before commit sends nothing and loses
nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, and_, cast, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.background import stop_if_cancelled
from odrchat.cases.roles import Actor, Side
from odrchat.cases.tables import Case, Participant
from odrchat.i18n import texts_for
from odrchat.notify import texts
from odrchat.notify.notifier import Notifier, Words
from odrchat.notify.prefs import AWAY_DELAY, AWAY_DELAYS
from odrchat.notify.tables import AwayNotice
from odrchat.rooms.access import RoomKind, RoomRef, can_read
from odrchat.rooms.presence import Presence
from odrchat.rooms.tables import ReadMarker, Room, RoomEvent
from odrchat.store.db import Database
from odrchat.store.turns import take_turn
from odrchat.store.types import utcnow

__all__ = ["AwayNotices", "Candidate", "candidates_query", "due"]

logger = logging.getLogger("odrchat.notify")

CHAT = "chat.message"
LOOKBACK = timedelta(days=3)  # older unread news was either noticed already or is stale
YIELD_EVERY = 256  # candidate rows handled between two turns of the event loop


@dataclass(frozen=True, slots=True)
class Candidate:
    """One member's unread news in one room, as the sweep found it."""

    room_id: int
    case_id: int
    user_id: int
    oldest_unread_at: datetime
    newest_seq: int
    required: bool  # something other than chat: always sent
    last_notice_at: datetime | None
    online: bool
    wants_optional: bool
    delay: timedelta = timedelta(minutes=AWAY_DELAY)  # the member's choice


def due(c: Candidate, now: datetime, *, every: timedelta) -> bool:
    """Whether this member should be told about this room now."""
    if c.online or now - c.oldest_unread_at < c.delay:
        return False
    if c.last_notice_at is not None and now - c.last_notice_at < every:
        return False
    return c.required or c.wants_optional


class AwayNotices:
    """Finds members with unread news who are away, and queues one notice per room."""

    def __init__(
        self,
        db: Database,
        presence: Presence,
        notifier: Notifier,
        *,
        every: timedelta = timedelta(hours=1),
        tick: float = 60.0,
        wake_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.presence = presence
        self.notifier = notifier
        self.every = every
        self.tick = tick
        self.wake_outbox = wake_outbox

    async def run(self) -> None:
        """Sweep every ``tick`` seconds until cancelled (one worker of many each time, see
        `odrchat.store.turns`); survives any one sweep's failure."""
        every = timedelta(seconds=self.tick)
        while True:
            # Wait first: news is minutes old before anyone hears of it, a worker's first
            # moments are busy with arriving sockets, and a worker stopped right after its
            # start is not left with the turn's database write in flight.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.tick):
                    await asyncio.Event().wait()
            stop_if_cancelled()
            try:
                now = utcnow()
                if await take_turn(self.db, "away-notices", now, every) and await self.sweep(now):
                    self.wake_outbox()
            except Exception:  # supervision boundary: a database outage must not end the loop
                logger.exception("away-notice sweep failed")

    async def sweep(self, now: datetime) -> int:
        """Queue the notices due at ``now``; returns how many this worker queued."""
        candidates = await self._candidates(now)
        sent = 0
        for c in candidates:
            if due(c, now, every=self.every) and await self._notify(c, now):
                sent += 1
        return sent

    async def _candidates(self, now: datetime) -> list[Candidate]:
        stmt = candidates_query(now)
        async with self.db.read() as s:
            conn = await s.connection()
            rows = (await conn.execute(stmt)).all()
        readable = []
        for n, row in enumerate(rows, 1):
            if n % YIELD_EVERY == 0:
                # A busy centre has thousands of candidates: let sockets run between chunks.
                await asyncio.sleep(0)
            kind, side, user_id, role, p_side, approved = row[2:8]
            actor = Actor.stored(user_id, role, p_side, approved)
            ref = RoomRef(RoomKind(kind), Side(side) if side else None)
            if can_read(actor, ref):
                readable.append(row)
        found: list[Candidate] = []
        for row in readable:
            room_id, case_id, user_id = row[0], row[1], row[4]
            assert room_id is not None
            oldest, newest, non_chat, last_at, wants, delay = row[8:]
            c = Candidate(
                room_id=room_id,
                case_id=case_id,
                user_id=user_id,
                oldest_unread_at=oldest,
                newest_seq=newest,
                required=bool(non_chat),
                last_notice_at=last_at,
                online=False,
                wants_optional=bool(wants),
                delay=timedelta(minutes=delay),
            )
            # Presence is asked only about those who would be told if they were away: a
            # sweep over a busy centre read thousands of rooms from Redis in one script,
            # and the chat's publishes waited behind it.
            if due(c, now, every=self.every):
                found.append(c)
        # Who is online in those rooms, in one read (not one per room).
        online = await self.presence.online_in(c.room_id for c in found)
        return [replace(c, online=c.user_id in online[c.room_id]) for c in found]

    async def _notify(self, c: Candidate, now: datetime) -> bool:
        async with self.db.session() as s:
            if not await _claim(s, c, now, self.every):
                return False  # another worker told them already
            user = await s.get(User, c.user_id)
            case = await s.get(Case, c.case_id)
            room = await s.get(Room, c.room_id)
            assert user is not None and case is not None and room is not None
            number = case.court_case_number or f"#{c.case_id}"
            t = texts_for(user.language)
            words = Words(
                texts.away_subject(t, number),
                texts.away_paragraphs(t, number, texts.room_words(t, room.kind)),
                texts.away_text(t, number),
                f"/#/cases/{c.case_id}",
            )
            # News other than chat (offers, signatures, the case ending) cannot be turned off.
            topic = "offers" if c.required else "messages"
            await self.notifier.tell(s, user, topic, words, now)
        logger.info("away notice queued: room %d, user %d", c.room_id, c.user_id)
        return True


def candidates_query(now: datetime) -> Select[*tuple[Any, ...]]:
    """Unread news per room and member in the last ``LOOKBACK`` (``ix_room_events_at`` serves
    the time range; the plan is checked in tests/notify/test_away.py)."""
    # One candidate per room and member: the same columns are selected and grouped by.
    keys = (
        col(Room.id),
        col(Room.case_id),
        col(Room.kind),
        col(Room.side),
        col(Participant.user_id),
        col(Participant.role),
        col(Participant.side),
        col(Participant.approved),
    )
    stmt = (
        sa_select(
            *keys,
            func.min(RoomEvent.at),
            func.max(RoomEvent.seq),
            func.max(cast(col(RoomEvent.type) != CHAT, Integer)),
            func.max(AwayNotice.sent_at),
            func.max(cast(col(User.notify_optional), Integer)),
            func.max(User.away_delay),  # one user per group: their delay
        )
        .select_from(RoomEvent)
        .join(Room, col(Room.id) == col(RoomEvent.room_id))
        .join(Case, col(Case.id) == col(Room.case_id))
        .join(
            Participant,
            and_(col(Participant.case_id) == col(Room.case_id), col(Participant.active)),
        )
        .join(User, col(User.id) == col(Participant.user_id))
        .outerjoin(
            ReadMarker,
            and_(
                col(ReadMarker.room_id) == col(Room.id),
                col(ReadMarker.user_id) == col(Participant.user_id),
            ),
        )
        .outerjoin(
            AwayNotice,
            and_(
                col(AwayNotice.room_id) == col(Room.id),
                col(AwayNotice.user_id) == col(Participant.user_id),
            ),
        )
        .where(
            col(RoomEvent.at) >= now - LOOKBACK,
            or_(
                col(RoomEvent.sender_id).is_(None),
                col(RoomEvent.sender_id) != col(Participant.user_id),
            ),
            col(RoomEvent.seq) > func.coalesce(ReadMarker.seq, 0),
            col(RoomEvent.seq) > func.coalesce(AwayNotice.seq, 0),
        )
        .group_by(*keys)
        # Nobody waits less than the shortest delay on offer: younger news is no one's yet.
        .having(func.min(RoomEvent.at) <= now - timedelta(minutes=min(AWAY_DELAYS)))
    )
    return stmt


async def _claim(s: AsyncSession, c: Candidate, now: datetime, every: timedelta) -> bool:
    """Record this notice unless one for the room went out within ``every``: True if ours."""
    table = AwayNotice.__table__  # type: ignore[attr-defined]
    values = {"room_id": c.room_id, "user_id": c.user_id, "sent_at": now, "seq": c.newest_seq}
    fresh_enough = and_(table.c.sent_at <= now - every, table.c.seq < c.newest_seq)
    if s.get_bind().dialect.name == "postgresql":
        pg = pg_insert(table).values(values)
        pg = pg.on_conflict_do_update(
            index_elements=["room_id", "user_id"],
            set_={"sent_at": now, "seq": c.newest_seq},
            where=fresh_enough,
        )
        result = await s.exec(pg.returning(table.c.room_id))
    else:
        lite = sqlite_insert(table).values(values)
        lite = lite.on_conflict_do_update(
            index_elements=["room_id", "user_id"],
            set_={"sent_at": now, "seq": c.newest_seq},
            where=fresh_enough,
        )
        result = await s.exec(lite.returning(table.c.room_id))
    return result.scalar_one_or_none() is not None
