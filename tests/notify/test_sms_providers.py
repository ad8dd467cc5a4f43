"""Texts through real HTTP to a fake provider on loopback (Twilio's API and the signed gateway):
"sent" only when the provider accepted, a refused number is dead at once, an outage only delays."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from odrchat.notify.channel import Channel
from odrchat.notify.email import SmsMessage
from odrchat.notify.gateway import WebhookSmsSender
from odrchat.notify.outbox import OutboxSender
from odrchat.notify.sms import SmsRenderer, SmsSender
from odrchat.notify.tables import OutboxMessage
from odrchat.notify.twilio import TwilioSender
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.notify.fake_sms import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    INVALID_NUMBER,
    SERVICE_SID,
    WEBHOOK_SECRET,
    Received,
    RunningProvider,
    fake_provider,
)
from tests.notify.test_outbox import put, rows

KINDS = ["twilio", "webhook"]
TO = "+12135550100"
FROM = "+12135550199"
TEXT = "Your mediation has news. Open your case: https://odr.example/#/cases/7"


@pytest.fixture
async def provider() -> AsyncIterator[RunningProvider]:
    async with fake_provider() as running:
        yield running


def sender_for(kind: str, running: RunningProvider, token: str = AUTH_TOKEN) -> SmsSender:
    if kind == "twilio":
        return TwilioSender(ACCOUNT_SID, token, sender=FROM, api_url=running.twilio_api)
    return WebhookSmsSender(running.gateway_url, WEBHOOK_SECRET, sender=FROM)


def outbox_for(db: Database, sms: SmsSender) -> OutboxSender:
    return OutboxSender(db, [Channel(SmsRenderer(), sms)], rng=random.Random(5))


async def only_row(db: Database) -> OutboxMessage:
    [row] = await rows(db)
    return row


@pytest.mark.parametrize("kind", KINDS)
async def test_a_text_the_provider_accepts_is_delivered_once_and_recorded_sent(
    kind: str, db: Database, provider: RunningProvider
) -> None:
    sms = sender_for(kind, provider)
    t0 = utcnow()
    await put(db, SmsMessage(TO, TEXT), now=t0)
    try:
        assert await outbox_for(db, sms).send_due(t0) == 1
        assert await outbox_for(db, sms).send_due(t0 + timedelta(hours=1)) == 0
    finally:
        await sms.aclose()
    assert provider.state.accepted == [Received(kind, TO, TEXT, FROM)]
    row = await only_row(db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None


@pytest.mark.parametrize(
    ("kind", "error"),
    [("twilio", "SmsError: twilio 400 code 21211"), ("webhook", "SmsError: gateway 422")],
)
async def test_a_number_the_provider_refuses_is_dead_after_one_attempt_and_never_retried(
    kind: str, error: str, db: Database, provider: RunningProvider
) -> None:
    sms = sender_for(kind, provider)
    t0 = utcnow()
    await put(db, SmsMessage(INVALID_NUMBER, TEXT), now=t0)
    try:
        assert await outbox_for(db, sms).send_due(t0) == 0
        assert await outbox_for(db, sms).send_due(t0 + timedelta(days=3)) == 0
    finally:
        await sms.aclose()
    row = await only_row(db)
    assert (row.status, row.attempts, row.last_error, row.sent_at) == ("dead", 1, error, None)
    assert (provider.state.refused, provider.state.accepted) == ([INVALID_NUMBER], [])


@pytest.mark.parametrize(
    ("kind", "error"),
    [("twilio", "SmsError: twilio 503 code 20500"), ("webhook", "SmsError: gateway 503")],
)
async def test_a_provider_outage_delays_the_text_and_it_goes_out_once_when_the_provider_recovers(
    kind: str, error: str, db: Database, provider: RunningProvider
) -> None:
    sms = sender_for(kind, provider)
    provider.state.fail_next = 3
    now: datetime = utcnow()
    await put(db, SmsMessage(TO, TEXT), now=now)
    sender = outbox_for(db, sms)
    try:
        for attempt in (1, 2, 3):
            assert await sender.send_due(now) == 0
            row = await only_row(db)
            assert (row.status, row.attempts, row.last_error) == ("pending", attempt, error)
            assert row.next_attempt_at > now  # backed off: not due again at once
            assert await sender.send_due(now) == 0
            now = row.next_attempt_at  # move the clock to the retry, no sleeping
        assert await sender.send_due(now) == 1
    finally:
        await sms.aclose()
    row = await only_row(db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 4, None)
    assert provider.state.accepted == [Received(kind, TO, TEXT, FROM)]
    assert provider.state.requests == 4


async def test_wrong_twilio_credentials_keep_texts_waiting_until_an_operator_fixes_them(
    db: Database, provider: RunningProvider
) -> None:
    t0 = utcnow()
    await put(db, SmsMessage(TO, TEXT), now=t0)
    wrong = sender_for("twilio", provider, token="not-the-token")
    try:
        assert await outbox_for(db, wrong).send_due(t0) == 0
    finally:
        await wrong.aclose()
    row = await only_row(db)
    assert (row.status, row.last_error) == ("pending", "SmsError: twilio 401 code 20003")
    right = sender_for("twilio", provider)
    try:
        assert await outbox_for(db, right).send_due(row.next_attempt_at) == 1
    finally:
        await right.aclose()
    assert [r.to for r in provider.state.accepted] == [TO]


@pytest.mark.parametrize(
    ("kind", "error"),
    [("twilio", "SmsError: twilio: ConnectError"), ("webhook", "SmsError: gateway: ConnectError")],
)
async def test_an_unreachable_provider_is_retried_later(
    kind: str, error: str, db: Database
) -> None:
    async with fake_provider() as gone:
        pass  # started and stopped: its port now refuses connections
    sms = sender_for(kind, gone)
    t0 = utcnow()
    await put(db, SmsMessage(TO, TEXT), now=t0)
    try:
        assert await outbox_for(db, sms).send_due(t0) == 0
    finally:
        await sms.aclose()
    row = await only_row(db)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, error)


async def test_twilio_with_a_messaging_service_sends_the_service_sid_instead_of_a_number(
    db: Database, provider: RunningProvider
) -> None:
    sms = TwilioSender(
        ACCOUNT_SID, AUTH_TOKEN, messaging_service_sid=SERVICE_SID, api_url=provider.twilio_api
    )
    t0 = utcnow()
    await put(db, SmsMessage(TO, TEXT), now=t0)
    try:
        assert await outbox_for(db, sms).send_due(t0) == 1
    finally:
        await sms.aclose()
    assert provider.state.accepted == [Received("twilio", TO, TEXT, SERVICE_SID)]


async def test_a_gateway_with_another_secret_refuses_the_signature_and_the_text_waits(
    db: Database, provider: RunningProvider
) -> None:
    sms = WebhookSmsSender(provider.gateway_url, "another-secret-" + "y" * 32)
    t0 = utcnow()
    await put(db, SmsMessage(TO, TEXT), now=t0)
    try:
        assert await outbox_for(db, sms).send_due(t0) == 0
    finally:
        await sms.aclose()
    row = await only_row(db)
    assert (row.status, row.last_error) == ("pending", "SmsError: gateway 401")
    assert provider.state.accepted == []


@pytest.mark.parametrize("kind", KINDS)
async def test_no_provider_error_reaches_the_log_or_the_row_with_the_text_or_the_number(
    kind: str, db: Database, provider: RunningProvider, caplog: pytest.LogCaptureFixture
) -> None:
    sms = sender_for(kind, provider)
    t0 = utcnow()
    await put(db, SmsMessage(INVALID_NUMBER, TEXT), now=t0)
    await put(db, SmsMessage(TO, TEXT), now=t0)
    try:
        assert await outbox_for(db, sms).send_due(t0) == 1
    finally:
        await sms.aclose()
    for row in await rows(db):
        assert TEXT not in (row.last_error or "") and INVALID_NUMBER not in (row.last_error or "")
    assert TEXT not in caplog.text and INVALID_NUMBER not in caplog.text and TO not in caplog.text
