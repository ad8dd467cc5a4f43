"""Reminders read in their recipient's time zone, and count from the right moment, on real
databases. The clock is moved by passing `now` to the sweep (and, for the agreement's own
writes, by setting the time its rows record); nothing sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select, update

from odrchat.agreements import rows
from odrchat.agreements.tables import AgreementRow
from odrchat.auth.tables import User
from odrchat.notify.notifier import Notifier
from odrchat.notify.tables import OutboxMessage
from odrchat.reminders import registry
from odrchat.reminders.engine import Reminders
from odrchat.settings import Settings
from odrchat.store.types import utcnow
from tests.agreements.test_service import agreed, sign
from tests.conftest import SECRET
from tests.offers.test_service import Stack, build_stack, offer_from_paul

DAY = timedelta(days=1)
MIN = timedelta(minutes=1)
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
async def stack(db_url: str, make_settings: Callable[..., Settings]) -> AsyncIterator[Stack]:
    built, broker = await build_stack(db_url, make_settings(db_url))
    try:
        yield built
    finally:
        await broker.disconnect()
        await built.db.dispose()


def sweeper(stack: Stack, settings: Settings) -> Reminders:
    notifier = Notifier(settings.public_url, SECRET, settings.tz)
    return Reminders(stack.db, notifier, registry.sources(settings))


async def choose_zone(stack: Stack, who: str, zone: str | None) -> None:
    async with stack.db.session() as s:
        await s.exec(update(User).where(col(User.id) == stack[who].id).values(time_zone=zone))


async def mails_to(stack: Stack, who: str, subject: str) -> list[OutboxMessage]:
    async with stack.db.read() as s:
        stmt = select(OutboxMessage).where(
            col(OutboxMessage.recipient) == f"{who}@example.org",
            col(OutboxMessage.channel) == "email",
        )
        return [m for m in (await s.exec(stmt)).all() if subject in m.subject]


def clock(moment: datetime, zone: ZoneInfo) -> str:
    """A time of day as the English reminder writes it, with the zone: "5:00 PM EST"."""
    local = moment.astimezone(zone)
    return f"{local.strftime('%I:%M %p').lstrip('0')} {local.tzname()}"


@pytest.mark.parametrize("zone", ["America/New_York", None])
async def test_an_offer_reminder_gives_the_deadline_in_the_readers_time_zone(
    stack: Stack, db_url: str, make_settings: Callable[..., Settings], zone: str | None
) -> None:
    settings = make_settings(db_url)
    centre = settings.tz
    assert centre.key != "America/New_York"  # else the two cases would not differ
    await choose_zone(stack, "dana", zone)
    deadline = (utcnow() + 3 * DAY).replace(minute=0, second=0, microsecond=0)
    await offer_from_paul(stack, deadline=deadline)

    assert await sweeper(stack, settings).sweep(deadline - DAY + MIN) == 1
    (mail,) = await mails_to(stack, "dana", "expires soon")
    expected = NEW_YORK if zone else centre
    other = centre if zone else NEW_YORK
    assert clock(deadline, expected) in mail.body_text
    assert clock(deadline, other) not in mail.body_text
    assert deadline.astimezone(expected).strftime("%b %-d, %Y") in mail.body_text


async def test_a_signature_reminder_counts_from_sending_not_from_the_last_signature(
    stack: Stack,
    db_url: str,
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings(db_url)
    draft = await agreed(stack)
    sent_at = utcnow().replace(microsecond=0)
    monkeypatch.setattr(rows, "utcnow", lambda: sent_at)
    doc = await stack.agreements.send_for_signature(stack["mia"], draft["id"])
    # Paul signs a day later: the agreement row changes then, and it is still out for signature.
    monkeypatch.setattr(rows, "utcnow", lambda: sent_at + DAY)
    assert (await sign(stack, "paul", doc))["status"] == "out_for_signature"
    async with stack.db.read() as s:
        row = await s.get(AgreementRow, doc["id"])
        assert row is not None and row.sent_at == sent_at and row.updated_at == sent_at + DAY

    reminders = sweeper(stack, settings)
    assert await reminders.sweep(sent_at + 2 * DAY - MIN) == 0
    assert await reminders.sweep(sent_at + 2 * DAY + MIN) == 1
    assert len(await mails_to(stack, "dana", "waiting for your signature")) == 1
    assert await mails_to(stack, "paul", "waiting for your signature") == []
