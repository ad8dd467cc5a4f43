"""Staff administration through the HTTP API: invitations with a self-chosen password, listing,
disabling and enabling, role changes and forced resets, each audited."""

from __future__ import annotations

from odrchat.settings import Settings
from tests.cases.world import PASSWORD, staff
from tests.helpers import client_for, link_token, login, outbox, post, register


def _audit_actions(c) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["action"] for e in c.get("/api/admin/audit").json()["entries"]]


def test_an_invited_mediator_chooses_their_own_password(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        staff(c, "root", "admin")
        login(c, "root@example.org", PASSWORD)
        body = {"email": "Nia@Example.org", "display_name": "Nia Mediator", "role": "mediator"}
        r = post(c, "/api/admin/users", body)
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["staff_role"] == "mediator" and made["password_set"] is False
        assert post(c, "/api/admin/users", body).json()["error"]["code"] == "email_taken"
        mail = [m for m in outbox(db_url) if m.recipient == "nia@example.org"]
        assert len(mail) == 1 and "Root" in mail[0].body_text
        assert "user.invited" in _audit_actions(c)
        assert post(c, "/api/auth/logout", {}).status_code == 200

        # No password works before the link is used.
        bad = post(c, "/api/auth/login", {"email": "nia@example.org", "password": "!"})
        assert bad.status_code in (401, 422)
        token = link_token(db_url, "nia@example.org", "reset")
        chosen = {"token": token, "password": "nia chose this one"}
        assert post(c, "/api/auth/password/reset", chosen).status_code == 200
        me = login(c, "nia@example.org", "nia chose this one")["user"]
        assert me["staff_role"] == "mediator" and me["email_verified"] is True
        # The link worked once.
        assert post(c, "/api/auth/password/reset", chosen).status_code == 422


def test_listing_searches_names_and_addresses_staff_first(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        register(c, db_url, "zoe@example.org", "Zoe Party")
        staff(c, "mia", "mediator")
        staff(c, "root", "admin")
        login(c, "root@example.org", PASSWORD)
        everyone = c.get("/api/admin/users").json()["users"]
        assert [u["email"] for u in everyone] == [
            "mia@example.org",
            "root@example.org",
            "zoe@example.org",
        ]
        found = c.get("/api/admin/users", params={"q": "ZOE"}).json()["users"]
        assert [u["display_name"] for u in found] == ["Zoe Party"]
        staff_only = c.get("/api/admin/users", params={"role": "staff"}).json()["users"]
        assert {u["staff_role"] for u in staff_only} == {"mediator", "admin"}
        assert c.get("/api/admin/users", params={"role": "boss"}).status_code == 422


def test_a_disabled_account_is_logged_out_and_cannot_log_in_until_enabled(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as admin, client_for(settings) as mia_c:
        mia = staff(admin, "mia", "mediator")
        staff(admin, "root", "admin")
        login(admin, "root@example.org", PASSWORD)
        login(mia_c, "mia@example.org", PASSWORD)
        assert mia_c.get("/api/me").status_code == 200

        r = post(admin, f"/api/admin/users/{mia}/disable", {})
        assert r.status_code == 200 and r.json()["disabled"] is True
        assert mia_c.get("/api/me").status_code == 401  # that session ended
        refused = post(mia_c, "/api/auth/login", {"email": "mia@example.org", "password": PASSWORD})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "account_disabled"
        # A disabled account gets no reset link either.
        before = len(outbox(db_url))
        post(mia_c, "/api/auth/password/forgot", {"email": "mia@example.org"})
        assert len(outbox(db_url)) == before

        assert post(admin, f"/api/admin/users/{mia}/enable", {}).json()["disabled"] is False
        login(mia_c, "mia@example.org", PASSWORD)
        assert mia_c.get("/api/me").status_code == 200
        assert {"user.disabled", "user.enabled"} <= set(_audit_actions(admin))


def test_the_last_admin_stays_and_nobody_disables_themselves(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        root = staff(c, "root", "admin")
        login(c, "root@example.org", PASSWORD)
        own = post(c, f"/api/admin/users/{root}/disable", {})
        assert own.status_code == 409 and own.json()["error"]["code"] == "own_account"
        demote = post(c, f"/api/admin/users/{root}/role", {"role": "mediator"})
        assert demote.status_code == 409 and demote.json()["error"]["code"] == "last_admin"
        assert post(c, "/api/admin/users/999999/disable", {}).status_code == 404


def test_a_role_change_applies_at_once_and_ends_the_sessions(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as admin, client_for(settings) as other:
        staff(admin, "root", "admin")
        mia = staff(admin, "mia", "mediator")
        login(admin, "root@example.org", PASSWORD)
        login(other, "mia@example.org", PASSWORD)
        r = post(admin, f"/api/admin/users/{mia}/role", {"role": "admin"})
        assert r.status_code == 200 and r.json()["staff_role"] == "admin"
        assert other.get("/api/me").status_code == 401
        login(other, "mia@example.org", PASSWORD)
        assert other.get("/api/admin/users").status_code == 200
        # Now two admins: root may step down.
        assert post(admin, f"/api/admin/users/{mia}/role", {"role": "none"}).status_code == 200
        entry = admin.get("/api/admin/audit").json()["entries"][0]
        assert entry["action"] == "user.role_changed"
        assert entry["detail"] == {"from": "admin", "to": "", "user_id": mia}


def test_a_forced_reset_stops_the_old_password_and_emails_a_link(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as admin, client_for(settings) as other:
        staff(admin, "root", "admin")
        mia = staff(admin, "mia", "mediator")
        login(admin, "root@example.org", PASSWORD)
        login(other, "mia@example.org", PASSWORD)
        r = post(admin, f"/api/admin/users/{mia}/password-reset", {})
        assert r.status_code == 200 and r.json()["password_set"] is False
        assert other.get("/api/me").status_code == 401
        old = post(other, "/api/auth/login", {"email": "mia@example.org", "password": PASSWORD})
        assert old.status_code == 401
        token = link_token(db_url, "mia@example.org", "reset")
        new = {"token": token, "password": "a brand new password"}
        assert post(other, "/api/auth/password/reset", new).status_code == 200
        login(other, "mia@example.org", "a brand new password")
