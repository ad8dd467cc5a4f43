"""Reminders: durable, once across workers, decided by pure functions of rows and the clock.

How it works:

* A *source* knows one family of reminders (unanswered invitations, a hearing date coming...).
  ``load(session, now)`` reads the few rows it decides on into plain values; ``due(rows, now)``
  is pure and returns the reminders due at ``now``. A test of a source needs no database and no
  sleeping: it builds rows and moves ``now``.
* A reminder has a key, ``<kind>:<subject>:<occurrence>`` (e.g. ``invitation.unanswered:12:3d``).
  The sweep inserts the key into ``reminders_fired`` with ``ON CONFLICT DO NOTHING`` and, only
  when the insert went in, queues the reminder's emails and texts in the same transaction. Two
  workers sweeping at once never both send; a crash before the commit sends nothing and the next
  sweep tries again; the outbox makes an SMTP or SMS outage a delay, never a loss.
* A reminder fires at or after its time and never long after it (``stage``: at most
  ``LATE`` late, and never past the next stage), so a server down for a week, or a first start on
  an old database, does not flood people with stale reminders.
* Keys older than ``KEEP`` are deleted by the sweep. That is safe because a reminder can only be
  due within ``LATE`` of its time: an old key can never be asked for again.

Adding a source (e.g. instalments due under a payment schedule): write a class with ``name``,
``kind``, ``load`` and ``due`` as in ``odrchat.reminders.sources``, and add it to
``odrchat.reminders.registry.sources``. docs/notifications.md walks through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import User
from odrchat.background import stop_if_cancelled
from odrchat.i18n import texts_for
from odrchat.notify.notifier import Notifier, Words, WordsFor
from odrchat.notify.tables import InboundReply
from odrchat.reminders.tables import FiredReminder
from odrchat.store.db import Database
from odrchat.store.types import utcnow

__all__ = [
    "KEEP",
    "LATE",
    "Recipient",
    "Reminder",
    "Reminders",
    "Source",
    "stage",
]

logger = logging.getLogger("odrchat.reminders")

LATE = timedelta(days=2)  # a reminder more than this late is dropped, not sent
KEEP = timedelta(days=30)  # fired keys kept this long (anything over LATE is safe)
REPLIES_KEEP = timedelta(days=90)  # inbound reply ids, for replay checks (notify.inbound)


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a reminder goes to: an account (by id), or an address with no account (an invitee)."""

    user_id: int | None = None
    email: str | None = None
    name: str = ""
    # An address with no account is written to in this; an account's letter, sent, is written
    # in the account's language and time zone (this is its language as loaded, for `write`).
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Letter:
    """What one recipient is told: written as it goes out, in their language and time zone
    (`WordsFor`), or already written (`Words`)."""

    to: Recipient
    words: Words | WordsFor

    def write(self, zone: tzinfo | None = None) -> Words:
        """The letter as it reads in the recipient's language (as loaded) and `zone`."""
        if isinstance(self.words, Words):
            return self.words
        return self.words(texts_for(self.to.language, zone))


@dataclass(frozen=True, slots=True)
class Reminder:
    """One occurrence of one reminder, and the letters it sends."""

    kind: str  # "invitation.unanswered"
    subject: int | str  # the row it is about
    occurrence: str  # "3d": which of the subject's reminders this is
    letters: tuple[Letter, ...]
    topic: str = "reminders"  # the preference it falls under (odrchat.notify.prefs.TOPICS)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}:{self.occurrence}"


class Source(Protocol):
    """One family of reminders: reads its rows, then decides what is due (pure)."""

    @property
    def name(self) -> str:
        """A short name for logs."""
        ...

    @property
    def kind(self) -> str:
        """The kind of every reminder it makes ("invitation.unanswered"), the key's first part."""
        ...

    async def load(self, session: AsyncSession, now: datetime) -> Sequence[Any]:
        """The rows ``due`` decides on, as plain values (read-only)."""
        ...

    def due(self, rows: Sequence[Any], now: datetime) -> list[Reminder]:
        """The reminders due at ``now`` (pure: no I/O, no clock of its own)."""
        ...


def stage(
    now: datetime, marks: Iterable[tuple[str, datetime]], end: datetime | None = None
) -> str | None:
    """The latest mark reached at ``now``, if it is less than ``LATE`` late and before ``end``.

    ``marks`` are (occurrence, time) in time order. A later mark supersedes an earlier one, so
    after a long outage only the latest reminder goes, once.
    """
    if end is not None and now >= end:
        return None
    reached: tuple[str, datetime] | None = None
    for name, at in marks:
        if at <= now:
            reached = (name, at)
    if reached is None or now - reached[1] >= LATE:
        return None
    return reached[0]


class Reminders:
    """Sweeps every source and queues each due reminder once."""

    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        sources: Sequence[Source],
        *,
        tick: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
        wake_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.notifier = notifier
        self.sources = tuple(sources)
        self.tick = tick
        self.clock = clock
        self.wake_outbox = wake_outbox

    async def run(self) -> None:
        """Sweep every ``tick`` seconds until cancelled; survives any one sweep's failure."""
        while True:
            stop_if_cancelled()
            try:
                if await self.sweep(self.clock()):
                    self.wake_outbox()
            except Exception:  # supervision boundary: a database outage must not end the loop
                logger.exception("reminder sweep failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.tick):
                    await asyncio.Event().wait()

    async def sweep(self, now: datetime) -> int:
        """Queue every reminder due at ``now`` that no worker queued before; returns how many."""
        fired = 0
        for source in self.sources:
            try:
                async with self.db.read() as s:
                    rows = await source.load(s, now)
                due = source.due(rows, now)
            except Exception:  # one broken source must not silence the others
                logger.exception("reminder source %s failed", source.name)
                continue
            for reminder in due:
                if await self._fire(reminder, now):
                    fired += 1
        await self._prune(now)
        return fired

    async def _fire(self, reminder: Reminder, now: datetime) -> bool:
        async with self.db.session() as s:
            if not await _claim(s, reminder, now):
                return False
            for letter in reminder.letters:
                await self._send(s, reminder, letter, now)
        logger.info("reminder %s queued", reminder.key)
        return True

    async def _send(
        self, s: AsyncSession, reminder: Reminder, letter: Letter, now: datetime
    ) -> None:
        to = letter.to
        if to.user_id is not None:
            user = await s.get(User, to.user_id)
            if user is not None:
                await self.notifier.tell(s, user, reminder.topic, letter.words, now)
        elif to.email is not None:
            await self.notifier.tell_address(s, to.email, to.name, letter.words, to.language)

    async def _prune(self, now: datetime) -> None:
        async with self.db.session() as s:
            await s.exec(delete(FiredReminder).where(col(FiredReminder.fired_at) < now - KEEP))
            await s.exec(
                delete(InboundReply).where(col(InboundReply.received_at) < now - REPLIES_KEEP)
            )


async def _claim(s: AsyncSession, reminder: Reminder, now: datetime) -> bool:
    """Insert the reminder's key; True if this transaction is the one that did."""
    table = FiredReminder.__table__  # type: ignore[attr-defined]
    values = {"key": reminder.key, "kind": reminder.kind, "fired_at": now}
    if s.get_bind().dialect.name == "postgresql":
        pg = pg_insert(table).values(values).on_conflict_do_nothing(index_elements=["key"])
        result = await s.exec(pg.returning(table.c.key))
    else:
        lite = sqlite_insert(table).values(values).on_conflict_do_nothing(index_elements=["key"])
        result = await s.exec(lite.returning(table.c.key))
    return result.scalar_one_or_none() is not None
