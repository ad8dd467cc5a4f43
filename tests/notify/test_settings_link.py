"""Issue 13: every email to someone with an account links to their notification settings, in
their language: case notices (through the Notifier) and the account's own emails alike."""

from __future__ import annotations

from odrchat.settings import Settings
from tests.helpers import client_for, outbox, post, register


def test_account_emails_link_to_the_notification_settings(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        register(c, db_url, "ana@example.org", "Ana")
        r = post(
            c,
            "/api/auth/register",
            {
                "email": "bea@example.org",
                "display_name": "Bea",
                "password": "x" * 12,
                "language": "es",
            },
        )
        assert r.status_code == 202
        assert post(c, "/api/auth/password/forgot", {"email": "ana@example.org"}).status_code == 202
        # Someone registering again with Ana's address: she is told, with the link too.
        again = {"email": "ana@example.org", "display_name": "Other", "password": "y" * 12}
        assert post(c, "/api/auth/register", again).status_code == 202
    link = f"{settings.public_url}/#/account"
    mails = [m for m in outbox(db_url) if m.channel == "email"]
    assert len(mails) == 4
    for mail in mails:
        assert link in mail.body_text, mail.subject
        assert link in (mail.body_html or ""), mail.subject
    spanish = next(m for m in mails if m.recipient == "bea@example.org")
    assert f"Sus opciones de avisos: {link}" in spanish.body_text
    english = [m for m in mails if m.recipient == "ana@example.org"]
    assert all(f"Your notification settings: {link}" in m.body_text for m in english)
