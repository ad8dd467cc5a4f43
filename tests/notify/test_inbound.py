"""Replies over HTTP: signed STOP/START/HELP are acted on once, unsigned or replayed ones are
refused, and once a number said STOP the outbox sends it nothing (checked when sending)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.testclient import TestClient

from odrchat.notify import texts
from odrchat.notify.email import SmsMessage
from odrchat.notify.outbox import enqueue
from odrchat.notify.tables import PhoneNumber
from odrchat.settings import Secret, Settings, SmsSettings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.helpers import client_for, login, outbox, register
from tests.notify.test_numbers import confirm_number
from tests.services import run_sync

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-for-replies"
HOOK_SECRET = "gateway-secret-" + "z" * 32
NUMBER = "+12135550100"
TWILIO = SmsSettings(
    provider="twilio",
    sender="+12135550199",
    twilio_account_sid=SID,
    twilio_auth_token=Secret(TOKEN),
    twilio_api_url="http://127.0.0.1:9",  # nothing listens: a text that got through would fail
)
GATEWAY = SmsSettings(
    provider="webhook",
    webhook_url="http://127.0.0.1:9/sms",
    webhook_secret=Secret(HOOK_SECRET),
)


def twilio_post(
    c: TestClient, body: str, sid: str, *, token: str = TOKEN, sign: bool = True
) -> Any:
    """POST as Twilio does: form fields, signed over the public URL plus the sorted fields."""
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": SID,
        "From": NUMBER,
        "To": "+12135550199",
        "Body": body,
        "NumMedia": "0",
    }
    # An independent rendering of Twilio's documented rule (not odrchat's function).
    data = "http://testserver/sms/inbound/twilio" + "".join(k + params[k] for k in sorted(params))
    signature = base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest())
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        headers["X-Twilio-Signature"] = signature.decode()
    return c.post("/sms/inbound/twilio", content=urlencode(params), headers=headers)


def gateway_post(c: TestClient, text: str, mid: str, *, at: float | None = None) -> Any:
    raw = json.dumps({"id": mid, "from": NUMBER, "to": "+12135550199", "text": text}).encode()
    stamp = str(int(time.time() if at is None else at))
    mac = hmac.new(HOOK_SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Odrchat-Timestamp": stamp,
        "X-Odrchat-Signature": "v1=" + mac,
    }
    return c.post("/sms/inbound/gateway", content=raw, headers=headers)


def opted_out(db_url: str) -> bool:
    async def read() -> bool:
        db = Database(db_url)
        try:
            async with db.read() as s:
                row = await s.get(PhoneNumber, NUMBER)
                return row is not None and row.opted_out_at is not None
        finally:
            await db.dispose()

    return run_sync(read())


def notice_after(c: TestClient, db_url: str) -> tuple[str, str | None]:
    """Queue a notice to the number and run one outbox pass: the row's status and reason."""
    services = c.app_state["services"]

    async def queue() -> None:
        async with services.db.session() as s:
            await enqueue(s, SmsMessage(NUMBER, "ODR: your case has news."))

    c.portal.call(queue)  # type: ignore[union-attr]
    c.portal.call(services.outbox.send_due, utcnow())  # type: ignore[union-attr]
    row = [m for m in outbox(db_url) if m.channel == "sms"][-1]
    return row.status, row.last_error


def test_twilio_stop_opts_the_number_out_and_nothing_is_texted_to_it_after(
    db_url: str, make_settings: Callable[..., Settings]
) -> None:
    with client_for(make_settings(db_url, sms=TWILIO, outbox_enabled=False)) as c:
        register(c, db_url, "jo@example.org")
        login(c, "jo@example.org")
        confirm_number(c, db_url, NUMBER)
        # Confirmed and not opted out: the gate lets it through (the provider is unreachable).
        assert notice_after(c, db_url)[0] == "pending"

        r = twilio_post(c, "Stop", "SM" + "1" * 32)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
        assert "<Message>" not in r.text  # Twilio itself confirms a STOP
        assert opted_out(db_url)
        assert notice_after(c, db_url) == ("unsent", texts.OPTED_OUT)
        assert c.get("/api/me/phone").json()["opted_out"] is True

        # The same request again (a replay) is refused and changes nothing.
        assert twilio_post(c, "Stop", "SM" + "1" * 32).status_code == 409

        assert twilio_post(c, "START", "SM" + "2" * 32).status_code == 200
        assert not opted_out(db_url)
        assert notice_after(c, db_url)[0] == "pending"


def test_twilio_help_is_answered_and_other_words_are_ignored_unread(
    db_url: str, make_settings: Callable[..., Settings]
) -> None:
    with client_for(make_settings(db_url, sms=TWILIO, outbox_enabled=False)) as c:
        r = twilio_post(c, "HELP", "SM" + "3" * 32)
        assert r.status_code == 200
        assert f"<Message>{texts.help_reply('http://testserver')}</Message>" in r.text
        r = twilio_post(c, "please stop texting about the fence", "SM" + "4" * 32)
        assert r.status_code == 200 and "<Message>" not in r.text
        assert not opted_out(db_url)


def test_unsigned_or_wrongly_signed_twilio_requests_are_refused(
    db_url: str, make_settings: Callable[..., Settings]
) -> None:
    with client_for(make_settings(db_url, sms=TWILIO)) as c:
        assert twilio_post(c, "STOP", "SM" + "5" * 32, sign=False).status_code == 403
        assert twilio_post(c, "STOP", "SM" + "6" * 32, token="guessed").status_code == 403
        assert not opted_out(db_url)
        # The gateway's endpoint is not open when Twilio is the provider.
        assert gateway_post(c, "STOP", "g-1").status_code == 404


def test_the_gateway_is_heard_only_signed_recent_and_once(
    db_url: str, make_settings: Callable[..., Settings]
) -> None:
    with client_for(make_settings(db_url, sms=GATEWAY)) as c:
        stale = gateway_post(c, "STOP", "g-1", at=time.time() - 600)
        assert stale.status_code == 403 and not opted_out(db_url)
        r = gateway_post(c, "STOP", "g-2")
        assert r.status_code == 200 and r.json() == {"reply": None} and opted_out(db_url)
        assert gateway_post(c, "STOP", "g-2").status_code == 409
        help_ = gateway_post(c, "info", "g-3")
        assert help_.json() == {"reply": texts.help_reply("http://testserver")}
        bad = c.post(
            "/sms/inbound/gateway",
            content=b'{"id":"g-4","from":"+12135550100","text":"START"}',
            headers={"X-Odrchat-Timestamp": str(int(time.time())), "X-Odrchat-Signature": "v1=0"},
        )
        assert bad.status_code == 403 and opted_out(db_url)
        assert twilio_post(c, "START", "SM" + "7" * 32).status_code == 404


def test_with_sms_off_no_reply_endpoint_answers(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        assert twilio_post(c, "STOP", "SM" + "8" * 32).status_code == 404
        assert gateway_post(c, "STOP", "g-5").status_code == 404
