"""The Account page's notification settings over HTTP, and the one-click unsubscribe link every
optional email carries (a GET never changes anything; the POST works with no login)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from odrchat.auth.tables import User
from odrchat.notify.notifier import Notifier, Words
from odrchat.notify.smtp import EmailRenderer, mime_message
from odrchat.notify.tables import OutboxMessage
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.conftest import SECRET
from tests.helpers import client_for, csrf, login, outbox, register

WORDS = Words("Something to know", ("A reminder about your case.",), "ODR: reminder.", "/#/x")


def test_settings_default_then_change_and_a_required_email_stays_on(
    db_url: str, make_settings: Callable[..., Settings]
) -> None:
    with client_for(make_settings(db_url, outbox_enabled=False)) as c:
        register(c, db_url, "paul@example.org", "Paul")
        login(c, "paul@example.org")
        mine = c.get("/api/me/notifications").json()
        assert mine["case"] == {"email": True, "sms": True, "required": True}
        assert mine["messages"] == {"email": True, "sms": True, "required": False}
        assert mine["quiet_hours"] is None and mine["time_zone"] is None
        assert mine["centre_time_zone"] == "America/Los_Angeles"
        # The session says which zone the browser shows times in: the centre's, until chosen.
        assert c.get("/api/session").json()["user"]["time_zone"] == "America/Los_Angeles"

        put = c.put(
            "/api/me/notifications",
            json={
                "messages": {"email": False},
                "case": {"sms": False},
                "quiet_hours": {"start": "21:30", "end": "07:00"},
                "time_zone": "Europe/Madrid",
            },
            headers=csrf(c),
        )
        assert put.status_code == 200, put.text
        mine = c.get("/api/me/notifications").json()
        assert mine["messages"]["email"] is False and mine["messages"]["sms"] is True
        assert mine["case"] == {"email": True, "sms": False, "required": True}
        assert mine["quiet_hours"] == {"start": "21:30", "end": "07:00"}
        assert mine["time_zone"] == "Europe/Madrid"
        assert c.get("/api/session").json()["user"]["time_zone"] == "Europe/Madrid"
        assert c.get("/api/me").json()["time_zone"] == "Europe/Madrid"

        refused = c.put("/api/me/notifications", json={"offers": {"email": False}}, headers=csrf(c))
        assert refused.status_code == 422
        assert "cannot be turned off" in refused.json()["error"]["fields"]["offers"]
        bad_zone = c.put("/api/me/notifications", json={"time_zone": "Mars/Base"}, headers=csrf(c))
        assert bad_zone.status_code == 422
        bad_clock = c.put(
            "/api/me/notifications",
            json={"quiet_hours": {"start": "25:00", "end": "07:00"}},
            headers=csrf(c),
        )
        assert bad_clock.status_code == 422
        cleared = c.put(
            "/api/me/notifications", json={"quiet_hours": None, "time_zone": None}, headers=csrf(c)
        ).json()
        assert cleared["quiet_hours"] is None and cleared["time_zone"] is None
        assert cleared["messages"]["email"] is False  # untouched by a change of something else


def test_the_away_delay_is_one_of_a_few_choices_and_anything_else_is_a_field_error(
    db_url: str, make_settings: Callable[..., Settings]
) -> None:
    with client_for(make_settings(db_url, outbox_enabled=False)) as c:
        register(c, db_url, "paul@example.org", "Paul")
        login(c, "paul@example.org")
        mine = c.get("/api/me/notifications").json()
        assert mine["away_delay"] == 10 and mine["away_delays"] == [5, 10, 30, 60]

        put = c.put("/api/me/notifications", json={"away_delay": 30}, headers=csrf(c))
        assert put.status_code == 200, put.text
        assert c.get("/api/me/notifications").json()["away_delay"] == 30
        for bad in (7, 0, -5, 600, "30", 30.5, True):
            refused = c.put("/api/me/notifications", json={"away_delay": bad}, headers=csrf(c))
            assert refused.status_code == 422, bad
            error = refused.json()["error"]
            assert error["fields"]["away_delay"] == "must be one of: 5, 10, 30, 60", bad
        assert c.get("/api/me/notifications").json()["away_delay"] == 30  # nothing changed

        # Another change leaves it alone; null puts back the default.
        c.put("/api/me/notifications", json={"messages": {"sms": False}}, headers=csrf(c))
        assert c.get("/api/me/notifications").json()["away_delay"] == 30
        reset = c.put("/api/me/notifications", json={"away_delay": None}, headers=csrf(c))
        assert reset.json()["away_delay"] == 10


async def _tell(db_url: str, email: str, topic: str) -> None:
    db = Database(db_url)
    try:
        notifier = Notifier("http://testserver", SECRET, Settings().tz)
        async with db.session() as s:
            user = (await s.exec(select(User).where(User.email == email))).one()
            await notifier.tell(s, user, topic, WORDS, utcnow())
    finally:
        await db.dispose()


def test_an_optional_email_unsubscribes_in_one_click_without_login(
    db_url: str, make_settings: Callable[..., Settings]
) -> None:
    with client_for(make_settings(db_url, outbox_enabled=False)) as c:
        register(c, db_url, "paul@example.org", "Paul")
        c.portal.call(_tell, db_url, "paul@example.org", "reminders")  # type: ignore[union-attr]
        c.portal.call(_tell, db_url, "paul@example.org", "case")  # type: ignore[union-attr]
        *_, optional, required = [m for m in outbox(db_url) if m.channel == "email"]

        # Both carry the Account page; only the optional one an unsubscribe link and headers.
        assert "http://testserver/#/account" in optional.body_text
        assert "http://testserver/#/account" in required.body_text
        assert "/unsubscribe/" not in required.body_text
        mime = mime_message(EmailRenderer().restore(optional), "odr@example.org")
        link = re.search(r"http://testserver(/unsubscribe/[^\s]+)", optional.body_text)
        assert link is not None
        assert mime["List-Unsubscribe"] == f"<http://testserver{link.group(1)}>"
        assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        c.cookies.clear()  # no login from here on
        page = c.get(link.group(1))
        assert page.status_code == 200 and "Stop emails about reminders?" in page.text
        assert '<form method="post"' in page.text
        # A scanner following the link changed nothing; the button (or a mail client's
        # RFC 8058 one-click POST) does.
        done = c.post(link.group(1), data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and "no more emails about reminders" in done.text

        login(c, "paul@example.org")
        mine = c.get("/api/me/notifications").json()
        assert mine["reminders"]["email"] is False
        assert mine["messages"]["email"] is True

        token = link.group(1).rsplit("/", 1)[1]
        forged = token.replace(".reminders.", ".case.")
        assert c.post(f"/unsubscribe/{forged}").status_code == 404
        assert c.get(f"/unsubscribe/{token[:-2]}xx").status_code == 404


async def test_a_text_in_quiet_hours_waits_in_the_outbox_and_the_email_does_not(
    db_url: str,
) -> None:
    madrid = ZoneInfo("Europe/Madrid")
    now = utcnow()
    local = now.astimezone(madrid)
    minute = local.hour * 60 + local.minute
    db = Database(db_url)
    try:
        async with db.session() as s:
            # Quiet from an hour ago until an hour from now, in the person's own zone.
            user = User(
                email="dana@example.org",
                display_name="Dana",
                password_hash="x",
                phone="+12135550100",
                quiet_from=(minute - 60) % 1440,
                quiet_until=(minute + 60) % 1440,
                time_zone="Europe/Madrid",
            )
            s.add(user)
        notifier = Notifier("http://testserver", SECRET, Settings().tz)
        async with db.session() as s:
            await notifier.tell(s, user, "offers", WORDS, now)
        async with db.read() as s:
            rows = {m.channel: m for m in (await s.exec(select(OutboxMessage))).all()}
        assert rows["email"].next_attempt_at <= utcnow()  # emails are never held
        assert rows["sms"].body_text == "ODR: reminder. http://testserver/#/x"
        held = rows["sms"].next_attempt_at.astimezone(madrid)
        expected = (local + timedelta(hours=1)).replace(second=0, microsecond=0)
        assert held == expected
    finally:
        await db.dispose()
