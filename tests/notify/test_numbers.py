"""Phone numbers: E.164 at the door, a texted code before any other text, masked for others, and
the gate in the outbox that withholds texts to unconfirmed or opted-out numbers at send time."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from odrchat.notify import texts
from odrchat.notify.channel import Channel
from odrchat.notify.email import SmsMessage
from odrchat.notify.numbers import SmsGate
from odrchat.notify.outbox import OutboxSender, enqueue
from odrchat.notify.sms import SmsRenderer, mask_number
from odrchat.notify.tables import OutboxMessage, PhoneCode, PhoneNumber
from odrchat.notify.twilio import TwilioSender
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.cases.world import api_open
from tests.helpers import client_for, csrf, link_token, login, outbox, post, register
from tests.notify.fake_sms import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    UNSUBSCRIBED_NUMBER,
    RunningProvider,
    fake_provider,
)
from tests.services import run_sync

NUMBER = "+12135550100"


def last_code(db_url: str, number: str) -> str:
    """The code in the newest text to `number` (read from the outbox, like an inbox)."""
    for row in reversed(outbox(db_url)):
        if row.channel == "sms" and row.recipient == number and row.subject == "code":
            found = re.search(r"\b([0-9]{6})\b", row.body_text)
            assert found is not None
            return found.group(1)
    raise AssertionError(f"no code texted to {number}")


def age_code(db_url: str, by: timedelta) -> None:
    """Move the pending codes' clock back (tests move time, they do not sleep)."""

    async def run() -> None:
        db = Database(db_url)
        try:
            async with db.session() as s:
                for code in (await s.exec(select(PhoneCode))).all():
                    code.sent_at -= by
                    code.expires_at -= by
                    s.add(code)
        finally:
            await db.dispose()

    run_sync(run())


def confirm_number(c: TestClient, db_url: str, raw: str) -> dict[str, object]:
    r = post(c, "/api/me/phone", {"phone": raw})
    assert r.status_code == 202, r.text
    number = r.json()["pending"]
    r = post(c, "/api/me/phone/confirm", {"code": last_code(db_url, number)})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_number_is_the_accounts_only_after_the_texted_code_is_entered(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        register(c, db_url, "jo@example.org")
        login(c, "jo@example.org")
        started = post(c, "/api/me/phone", {"phone": "(213) 555-0100"})
        assert started.status_code == 202
        assert started.json() == {"status": "code_sent", "pending": NUMBER}
        assert c.get("/api/me").json()["phone"] is None  # not yet
        assert c.get("/api/me/phone").json() == {
            "phone": None,
            "pending": NUMBER,
            "opted_out": False,
        }
        [text] = [m for m in outbox(db_url) if m.channel == "sms"]
        assert (text.recipient, text.subject) == (NUMBER, "code")
        code = last_code(db_url, NUMBER)
        wrong = "000000" if code != "000000" else "111111"
        bad = post(c, "/api/me/phone/confirm", {"code": wrong})
        assert bad.status_code == 422 and bad.json()["error"]["message"] == texts.CODE_WRONG
        ok = post(c, "/api/me/phone/confirm", {"code": code})
        assert ok.json() == {"phone": NUMBER, "pending": None, "opted_out": False}
        assert c.get("/api/me").json()["phone"] == NUMBER
        again = post(c, "/api/me/phone/confirm", {"code": code})  # a code works once
        assert again.status_code == 422 and again.json()["error"]["message"] == texts.NO_CODE
        removed = c.delete("/api/me/phone", headers=csrf(c))
        assert removed.json()["phone"] is None and c.get("/api/me").json()["phone"] is None


def test_codes_expire_allow_five_wrong_tries_and_are_not_resent_within_a_minute(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        register(c, db_url, "jo@example.org")
        login(c, "jo@example.org")
        assert post(c, "/api/me/phone", {"phone": NUMBER}).status_code == 202
        soon = post(c, "/api/me/phone", {"phone": NUMBER})
        assert soon.status_code == 429 and int(soon.headers["retry-after"]) <= 60
        code = last_code(db_url, NUMBER)
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            assert post(c, "/api/me/phone/confirm", {"code": wrong}).status_code == 422
        spent = post(c, "/api/me/phone/confirm", {"code": code})  # right, but too late
        assert spent.json()["error"]["message"] == texts.CODE_EXPIRED

        age_code(db_url, timedelta(minutes=2))
        assert post(c, "/api/me/phone", {"phone": NUMBER}).status_code == 202
        fresh = last_code(db_url, NUMBER)
        age_code(db_url, timedelta(minutes=11))
        late = post(c, "/api/me/phone/confirm", {"code": fresh})
        assert late.json()["error"]["message"] == texts.CODE_EXPIRED
        assert c.get("/api/me").json()["phone"] is None


def test_numbers_are_normalised_and_what_cannot_be_texted_is_refused(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        register(c, db_url, "jo@example.org")
        login(c, "jo@example.org")
        for bad in ("555-0100", "+1 911 555 0100", "call me maybe"):
            r = post(c, "/api/me/phone", {"phone": bad})
            assert r.status_code == 422, bad
        assert [m for m in outbox(db_url) if m.channel == "sms"] == []
        # The profile form takes the same path: a code, not a stored number.
        r = c.patch("/api/me", json={"phone": "213.555.0100"}, headers=csrf(c))
        assert r.status_code == 200 and r.json()["phone"] is None
        assert c.get("/api/me/phone").json()["pending"] == NUMBER


def test_registering_with_a_number_texts_it_a_code_and_a_bad_one_is_refused_the_same_way(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        body = {"email": "ann@example.org", "display_name": "Ann", "password": "x" * 16}
        r = post(c, "/api/auth/register", {**body, "phone": "2135550100"})
        assert r.status_code == 202
        assert [(m.recipient, m.subject) for m in outbox(db_url) if m.channel == "sms"] == [
            (NUMBER, "code")
        ]
        # A number that cannot be texted is refused whether or not the address is taken.
        for email in ("ann@example.org", "bea@example.org"):
            bad = post(c, "/api/auth/register", {**body, "email": email, "phone": "555-0100"})
            assert bad.status_code == 422


def test_the_other_side_never_sees_a_shared_number_not_even_its_last_digits(
    settings: Settings, db_url: str
) -> None:
    """Issue 16: choosing to share contact details shows them to one's own side only."""
    with client_for(settings) as c:
        register(c, db_url, "paul@example.org", "Paul")
        register(c, db_url, "dana@example.org", "Dana")
        login(c, "paul@example.org")
        confirm_number(c, db_url, NUMBER)
        case = api_open(c, share_contact=True)
        mine = c.get(f"/api/cases/{case['id']}").json()["participants"][0]
        assert mine["phone"] == NUMBER
        login(c, "dana@example.org")
        token = link_token(db_url, "dana@example.org", "invite")
        joined = post(c, f"/api/invitations/{token}/accept", {})
        paul = joined.json()["participants"][0]
        assert paul["phone"] is None and paul["email"] is None
        assert NUMBER not in joined.text and mask_number(NUMBER) not in joined.text


# -- the gate, at send time, against the fake provider ----------------------------------------


@pytest.fixture
async def provider() -> AsyncIterator[RunningProvider]:
    async with fake_provider() as running:
        yield running


@pytest.fixture
async def app_db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


async def test_the_gate_lets_only_codes_reach_unconfirmed_numbers_and_nothing_reach_a_stop(
    app_db: Database, provider: RunningProvider
) -> None:
    db = app_db
    confirmed, fresh, stopped = "+12135550101", "+12135550102", "+12135550103"
    t0 = utcnow()
    async with db.session() as s:
        s.add(PhoneNumber(number=confirmed, confirmed_at=t0))
        s.add(PhoneNumber(number=stopped, confirmed_at=t0, opted_out_at=t0))
    async with db.session() as s:
        await enqueue(s, SmsMessage("(213) 555-0101", "notice to a confirmed number"), now=t0)
        await enqueue(s, SmsMessage(fresh, "notice to a fresh number"), now=t0)
        await enqueue(s, SmsMessage(fresh, "code 123456", kind="code"), now=t0)
        await enqueue(s, SmsMessage(stopped, "notice after STOP"), now=t0)
        await enqueue(s, SmsMessage(stopped, "code 654321", kind="code"), now=t0)
        await enqueue(s, SmsMessage("+1 555 0100", "notice to a bad number"), now=t0)
    twilio = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, sender="+12135550199", api_url=provider.url)
    sender = OutboxSender(db, [Channel(SmsRenderer(), SmsGate(db, twilio))], rng=random.Random(3))
    try:
        assert await sender.send_due(t0) == 2
    finally:
        await twilio.aclose()
    assert [(r.to, r.text) for r in provider.state.accepted] == [
        (confirmed, "notice to a confirmed number"),
        (fresh, "code 123456"),
    ]
    async with db.read() as s:
        rows = (await s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    assert [(r.status, r.last_error) for r in rows] == [
        ("sent", None),
        ("unsent", texts.NOT_CONFIRMED),
        ("sent", None),
        ("unsent", texts.OPTED_OUT),
        ("unsent", texts.OPTED_OUT),
        ("unsent", texts.NOT_A_NUMBER),
    ]


async def test_a_stop_recorded_after_a_text_was_queued_still_stops_it(
    app_db: Database, provider: RunningProvider
) -> None:
    db = app_db
    t0 = utcnow()
    async with db.session() as s:
        s.add(PhoneNumber(number=NUMBER, confirmed_at=t0))
        await enqueue(s, SmsMessage(NUMBER, "queued before the STOP"), now=t0)
    async with db.session() as s:
        row = await s.get(PhoneNumber, NUMBER)
        assert row is not None
        row.opted_out_at = t0
        s.add(row)
    twilio = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, sender="+12135550199", api_url=provider.url)
    sender = OutboxSender(db, [Channel(SmsRenderer(), SmsGate(db, twilio))])
    try:
        assert await sender.send_due(t0) == 0
    finally:
        await twilio.aclose()
    assert provider.state.requests == 0


async def test_a_stop_the_provider_knows_and_we_missed_is_learnt_from_its_refusal(
    app_db: Database, provider: RunningProvider
) -> None:
    db = app_db
    t0 = utcnow()
    async with db.session() as s:
        s.add(PhoneNumber(number=UNSUBSCRIBED_NUMBER, confirmed_at=t0))
        await enqueue(s, SmsMessage(UNSUBSCRIBED_NUMBER, "first notice"), now=t0)
        await enqueue(s, SmsMessage(UNSUBSCRIBED_NUMBER, "second notice"), now=t0)
    twilio = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, sender="+12135550199", api_url=provider.url)
    sender = OutboxSender(db, [Channel(SmsRenderer(), SmsGate(db, twilio))])
    try:
        assert await sender.send_due(t0) == 0
    finally:
        await twilio.aclose()
    assert provider.state.requests == 1  # the second was withheld here, not refused there
    async with db.read() as s:
        known = await s.get(PhoneNumber, UNSUBSCRIBED_NUMBER)
        rows = (await s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    assert known is not None and known.opted_out_at is not None
    assert [(r.status, r.last_error) for r in rows] == [
        ("unsent", texts.OPTED_OUT),
        ("unsent", texts.OPTED_OUT),
    ]
