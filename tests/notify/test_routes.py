"""What staff are told about notifications: SMS off is shown, and never reported as sent."""

from __future__ import annotations

from odrchat.notify.sms import NO_PROVIDER
from odrchat.notify.smtp import NO_SMTP
from odrchat.settings import Secret, Settings, SmsSettings
from odrchat.store.types import utcnow
from tests.cases.world import PASSWORD, api_open, staff
from tests.helpers import client_for, login, outbox, register


def test_without_a_provider_a_text_is_recorded_as_not_sent_and_admins_and_readyz_see_sms_off(
    settings: Settings,
    db_url: str,
    make_settings,  # type: ignore[no-untyped-def]
) -> None:
    quiet = make_settings(db_url, outbox_enabled=False)  # this test runs the outbox pass itself
    with client_for(quiet) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["sms"] == "off"
        staff(c, "root", "admin")
        register(c, db_url, "paul@example.org", "Paul")
        login(c, "paul@example.org")
        api_open(c, other_phone="+1 555 0199")
        assert c.get("/api/admin/notify").status_code == 403  # a party is no admin

        services = c.app_state["services"]
        c.portal.call(services.outbox.send_due, utcnow())  # type: ignore[union-attr]
        [text] = [m for m in outbox(db_url) if m.channel == "sms"]
        assert (text.status, text.last_error, text.sent_at) == ("unsent", NO_PROVIDER, None)
        # No SMTP_HOST either: the emails are kept, and say they were not sent.
        assert {(m.status, m.last_error) for m in outbox(db_url) if m.channel == "email"} == {
            ("unsent", NO_SMTP)
        }

        login(c, "root@example.org", PASSWORD)
        status = c.get("/api/admin/notify").json()
        assert status["sms"] == {"provider": "off", "on": False}
        assert status["email"] == {"on": False}
        assert status["outbox"]["sms"] == {"unsent": 1}


def test_a_configured_provider_is_what_readyz_and_the_admins_see(
    db_url: str,
    make_settings,  # type: ignore[no-untyped-def]
) -> None:
    sms = SmsSettings(
        provider="twilio",
        sender="+12135550199",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=Secret("token"),
    )
    with client_for(make_settings(db_url, sms=sms)) as c:
        assert c.get("/readyz").json()["sms"] == "twilio"
        staff(c, "root", "admin")
        login(c, "root@example.org", PASSWORD)
        assert c.get("/api/admin/notify").json()["sms"] == {"provider": "twilio", "on": True}
