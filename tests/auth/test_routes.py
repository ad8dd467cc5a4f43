"""Every account flow through the HTTP API, on SQLite and PostgreSQL, including bad input."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from odrchat.auth.tables import OneTimeToken
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.helpers import client_for, csrf, link_token, login, outbox, post, register
from tests.services import run_sync

PW = "correct horse battery"


def test_register_verify_login_logout(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        register(c, db_url, "ana@example.org", "Ana Plaintiff", verify=False)
        token = link_token(db_url, "ana@example.org", "verify")
        assert post(c, "/api/auth/verify", {"token": token}).status_code == 200
        # A verification link works once.
        again = post(c, "/api/auth/verify", {"token": token})
        assert again.status_code == 422 and again.json()["error"]["code"] == "invalid_token"

        body = login(c, "ANA@example.org ", PW)  # case and spaces do not matter
        assert body["user"]["display_name"] == "Ana Plaintiff"
        assert body["user"]["email_verified"] is True
        assert c.get("/api/me").json()["email"] == "ana@example.org"

        assert post(c, "/api/auth/logout", {}).status_code == 200
        assert c.get("/api/me").status_code == 401


def test_session_cookie_flags_and_rotation(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        register(c, db_url, "bo@example.org")
        r = post(c, "/api/auth/login", {"email": "bo@example.org", "password": PW})
        cookie = r.headers["set-cookie"]
        assert "odr_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        first = c.cookies.get("odr_session")
        login(c, "bo@example.org")
        assert c.cookies.get("odr_session") != first  # rotated at every login
        assert first is not None and len(first) >= 22  # >= 128 bits of randomness


def test_https_cookies_use_host_prefix_and_secure(make_settings, db_url: str) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(db_url, public_url="https://odr.example.org")
    with client_for(settings) as c:
        r = c.get("https://odr.example.org/api/session")
        assert "__Host-odr_pre=" in r.headers["set-cookie"]
        assert "Secure" in r.headers["set-cookie"]
        assert r.headers["strict-transport-security"].startswith("max-age=")


def test_wrong_password_and_unknown_account_answer_alike(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        register(c, db_url, "cy@example.org")
        wrong = post(
            c, "/api/auth/login", {"email": "cy@example.org", "password": "nope nope nope"}
        )
        unknown = post(
            c, "/api/auth/login", {"email": "zz@example.org", "password": "nope nope nope"}
        )
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()


def test_duplicate_registration_is_not_revealed(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        body = {"email": "di@example.org", "display_name": "Di", "password": PW}
        first = post(c, "/api/auth/register", body)
        second = post(c, "/api/auth/register", {**body, "display_name": "Impostor"})
        assert first.status_code == second.status_code == 202
        assert first.json() == second.json()
        mails = [m for m in outbox(db_url) if m.recipient == "di@example.org"]
        assert len(mails) == 2
        assert "already have one" in mails[1].body_text


def test_bad_input_is_refused_with_field_errors(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        r = post(
            c,
            "/api/auth/register",
            {"email": "not-an-email", "display_name": "", "password": "short", "extra": 1},
        )
        assert r.status_code == 422
        fields = r.json()["error"]["fields"]
        assert set(fields) == {"email", "display_name", "password", "extra"}

        huge = post(
            c,
            "/api/auth/register",
            {"email": "e@example.org", "display_name": "E", "password": "x" * 1025},
        )
        assert huge.status_code == 422
        assert "1024 bytes" in huge.json()["error"]["fields"]["password"]

        long_name = post(
            c,
            "/api/auth/register",
            {"email": "e@example.org", "display_name": "n" * 121, "password": PW},
        )
        assert long_name.status_code == 422

        wrong_type = post(
            c, "/api/auth/register", {"email": ["e@example.org"], "display_name": 5, "password": PW}
        )
        assert set(wrong_type.json()["error"]["fields"]) == {"email", "display_name"}

        malformed = c.post(
            "/api/auth/login",
            content=b"{not json",
            headers={**csrf(c), "content-type": "application/json"},
        )
        assert malformed.status_code == 400

        too_big = c.post(
            "/api/auth/login",
            content=b"{" + b" " * 70_000 + b"}",
            headers={**csrf(c), "content-type": "application/json"},
        )
        assert too_big.status_code == 413

        control = post(
            c,
            "/api/auth/register",
            {"email": "f@example.org", "display_name": "a\x00b", "password": PW},
        )
        assert control.json()["error"]["fields"]["display_name"] == "contains control characters"


def test_state_changes_need_the_csrf_token(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        register(c, db_url, "ed@example.org")
        login(c, "ed@example.org")
        missing = c.post("/api/auth/logout", json={})
        assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf"
        wrong = c.post("/api/auth/logout", json={}, headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403
        foreign = c.post(
            "/api/auth/logout", json={}, headers={**csrf(c), "Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "bad_origin"
        cross_site = c.post(
            "/api/auth/logout", json={}, headers={**csrf(c), "Sec-Fetch-Site": "cross-site"}
        )
        assert cross_site.status_code == 403
        assert c.get("/api/me").status_code == 200  # none of those logged us out
        ok = c.post("/api/auth/logout", json={}, headers={**csrf(c), "Origin": "http://testserver"})
        assert ok.status_code == 200


def test_pre_login_token_does_not_survive_login(settings: Settings, db_url: str) -> None:
    """Session fixation: the token bound to the pre-session cookie stops working after login."""
    with client_for(settings) as c:
        register(c, db_url, "fi@example.org")
        before = csrf(c)
        login(c, "fi@example.org")
        assert c.post("/api/auth/logout", json={}, headers=before).status_code == 403


def test_logins_are_throttled_then_recover(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        register(c, db_url, "gu@example.org")
        codes = [
            post(
                c, "/api/auth/login", {"email": "gu@example.org", "password": "wrong-wrong-1"}
            ).status_code
            for _ in range(6)
        ]
        assert codes[:5] == [401] * 5
        blocked = post(c, "/api/auth/login", {"email": "gu@example.org", "password": PW})
        assert blocked.status_code == 429
        assert 1 <= int(blocked.headers["retry-after"]) <= 15 * 60

        # A password reset always works and clears the account's failures.
        post(c, "/api/auth/password/forgot", {"email": "gu@example.org"})
        token = link_token(db_url, "gu@example.org", "reset")
        assert (
            post(
                c, "/api/auth/password/reset", {"token": token, "password": "a brand new password"}
            ).status_code
            == 200
        )
        login(c, "gu@example.org", "a brand new password")


def test_password_reset_is_single_use_and_expires(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c, client_for(settings) as other:
        register(c, db_url, "ha@example.org")
        login(other, "ha@example.org")
        assert other.get("/api/me").status_code == 200

        unknown = post(c, "/api/auth/password/forgot", {"email": "nobody@example.org"})
        known = post(c, "/api/auth/password/forgot", {"email": "ha@example.org"})
        assert unknown.status_code == known.status_code == 202
        assert unknown.json() == known.json()

        token = link_token(db_url, "ha@example.org", "reset")
        assert (
            post(
                c, "/api/auth/password/reset", {"token": token, "password": "another good password"}
            ).status_code
            == 200
        )
        reused = post(
            c, "/api/auth/password/reset", {"token": token, "password": "third password!!"}
        )
        assert reused.status_code == 422
        assert other.get("/api/me").status_code == 401  # every session ended

        post(c, "/api/auth/password/forgot", {"email": "ha@example.org"})
        stale = link_token(db_url, "ha@example.org", "reset")
        _expire_tokens(db_url)
        expired = post(
            c, "/api/auth/password/reset", {"token": stale, "password": "fourth password!!"}
        )
        assert expired.status_code == 422 and expired.json()["error"]["code"] == "invalid_token"


def test_password_change_ends_other_sessions(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c, client_for(settings) as other:
        register(c, db_url, "io@example.org")
        login(c, "io@example.org")
        login(other, "io@example.org")
        bad = post(
            c,
            "/api/auth/password/change",
            {"current_password": "not it at all", "new_password": "a new password 1"},
        )
        assert bad.status_code == 403
        good = post(
            c,
            "/api/auth/password/change",
            {"current_password": PW, "new_password": "a new password 1"},
        )
        assert good.status_code == 200
        assert c.get("/api/me").status_code == 200
        assert other.get("/api/me").status_code == 401
        login(other, "io@example.org", "a new password 1")


def test_profile_update(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        register(c, db_url, "jo@example.org")
        login(c, "jo@example.org")
        r = c.patch(
            "/api/me",
            json={
                "display_name": "Jo Defendant",
                "phone": "+1 213 555 0100",
                "notify_optional": False,
            },
            headers=csrf(c),
        )
        assert r.status_code == 200, r.text
        # The number is the account's once the texted code is entered (tests/notify/test_numbers).
        assert r.json()["phone"] is None and r.json()["notify_optional"] is False
        assert c.get("/api/me/phone").json()["pending"] == "+12135550100"
        bad = c.patch("/api/me", json={"phone": "call me maybe"}, headers=csrf(c))
        assert bad.status_code == 422


def _expire_tokens(db_url: str) -> None:
    async def run() -> None:
        db = Database(db_url)
        try:
            async with db.session() as s:
                await s.exec(
                    update(OneTimeToken).values(expires_at=utcnow() - timedelta(seconds=1))
                )
        finally:
            await db.dispose()

    run_sync(run())
