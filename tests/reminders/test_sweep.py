"""The reminder sweep on real databases: a case walks through its reminders, each queued once at
its time, also when two workers sweep together. The clock is moved by passing `now`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, time, timedelta

import pytest
from sqlmodel import col, select

from odrchat.cases.service import CaseService
from odrchat.cases.unit import Units
from odrchat.notify.notifier import Notifier
from odrchat.notify.tables import OutboxMessage
from odrchat.offers.service import OfferService
from odrchat.reminders import registry
from odrchat.reminders.engine import Reminders
from odrchat.reminders.tables import FiredReminder
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.cases.world import RecordingFeed, add_user, open_case
from tests.conftest import SECRET
from tests.offers.test_service import payment

DAY = timedelta(days=1)
MIN = timedelta(minutes=1)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


def engine(db: Database, settings: Settings) -> Reminders:
    notifier = Notifier(settings.public_url, SECRET, settings.tz)
    return Reminders(db, notifier, registry.sources(settings))


async def fired(db: Database) -> set[str]:
    async with db.read() as s:
        return set((await s.exec(select(FiredReminder.key))).all())


async def outbox(db: Database, to: str) -> list[OutboxMessage]:
    async with db.read() as s:
        stmt = select(OutboxMessage).where(col(OutboxMessage.recipient) == to)
        return list((await s.exec(stmt.order_by(col(OutboxMessage.id)))).all())


async def test_a_case_gets_each_reminder_once_at_its_time(
    db: Database, db_url: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(db_url)
    svc = CaseService(Units(settings, db, feed=RecordingFeed()))
    offers = OfferService(Units(settings, db, feed=RecordingFeed()))
    paul = await add_user(db, "paul")
    dana = await add_user(db, "dana")
    mia = await add_user(db, "mia", staff="mediator")
    root = await add_user(db, "root", staff="admin")
    hearing = (utcnow().astimezone(settings.tz) + 30 * DAY).date()
    sweeper = engine(db, settings)

    t0 = utcnow()
    case_id, token = await open_case(svc, paul, hearing_date=hearing)
    assert await sweeper.sweep(t0) == 0
    await sweeper.sweep(t0 + 3 * DAY + MIN)
    three = {f"invitation.unanswered:{i}:3d" for i in await _invitation_ids(db, case_id)}
    assert three <= await fired(db)
    before = len(await outbox(db, "dana@example.org"))
    reminder = (await outbox(db, "dana@example.org"))[-1]
    assert "Reminder: you are invited" in reminder.subject
    # The inviter hears too; a second sweep at the same time (or a restarted worker) adds nothing.
    assert any("not answered" in m.subject for m in await outbox(db, "paul@example.org"))
    assert await engine(db, settings).sweep(t0 + 3 * DAY + 2 * MIN) == 0
    assert len(await outbox(db, "dana@example.org")) == before

    # Dana joins: the invitation reminders stop; consents are missing.
    await svc.accept_invitation(dana, token)
    t1 = utcnow()
    assert await sweeper.sweep(t1 + 5 * DAY + MIN) == 2  # paul's and dana's, at 5 days
    await sweeper.sweep(t0 + 7 * DAY + MIN)
    keys = await fired(db)
    assert not any(k.startswith("invitation.unanswered") and k.endswith(":7d") for k in keys)
    assert any(k.startswith("consent.missing") for k in keys)

    version = (await svc.detail(paul, case_id))["consent_needed"]
    await svc.consent(paul, case_id, version)
    await svc.consent(dana, case_id, version)
    t2 = utcnow()
    assert await sweeper.sweep(t2 + 2 * DAY - MIN) == 0
    assert await sweeper.sweep(t2 + 2 * DAY + MIN) == 1
    assert f"mediator.unassigned:{case_id}:2d" in await fired(db)
    assert any("No mediator" in m.subject for m in await outbox(db, "root@example.org"))

    assert mia.id is not None
    await svc.assign(root, case_id, mia.id)
    deadline = utcnow() + 3 * DAY
    made = await offers.make(paul, case_id, [_payment()], deadline=deadline)
    assert await sweeper.sweep(deadline - DAY + MIN) == 1
    assert f"offer.expiring:{made['id']}:24h" in await fired(db)
    expiring = [m for m in await outbox(db, "dana@example.org") if "expires soon" in m.subject]
    assert len(expiring) == 1
    assert not [m for m in await outbox(db, "paul@example.org") if "expires soon" in m.subject]

    seven = datetime.combine(hearing - 7 * DAY, time(9, 0), settings.tz)
    assert await sweeper.sweep(seven - MIN) == 0
    assert await sweeper.sweep(seven) == 1
    assert await sweeper.sweep(seven + MIN) == 0
    for who in ("paul", "dana", "mia"):
        (court,) = [m for m in await outbox(db, f"{who}@example.org") if "court date" in m.subject]
        assert "Mediation must finish before your court date" in court.body_text
    assert not [m for m in await outbox(db, "root@example.org") if "court date" in m.subject]


async def test_two_workers_sweeping_at_once_queue_a_reminder_once(
    db: Database, db_url: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(db_url)
    svc = CaseService(Units(settings, db, feed=RecordingFeed()))
    paul = await add_user(db, "paul")
    t0 = utcnow()
    await open_case(svc, paul)
    other = Database(db_url)
    try:
        when = t0 + 3 * DAY + MIN
        counts = await asyncio.gather(
            engine(db, settings).sweep(when), engine(other, settings).sweep(when)
        )
    finally:
        await other.dispose()
    assert sum(counts) == len(await fired(db))
    reminders = [m for m in await outbox(db, "dana@example.org") if "Reminder" in m.subject]
    assert len(reminders) == 1


async def _invitation_ids(db: Database, case_id: int) -> list[int]:
    from odrchat.cases.tables import Invitation

    async with db.read() as s:
        stmt = select(Invitation.id).where(col(Invitation.case_id) == case_id)
        return [i for i in (await s.exec(stmt)).all() if i is not None]


def _payment() -> dict[str, object]:
    return payment(50000)
