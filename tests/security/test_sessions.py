"""Sessions: Origin checks on the socket, fixation, cookie flags, CSRF everywhere, revocation,
login throttling and no account enumeration. (argon2id parameters: tests/auth/test_passwords.py.)
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from odrchat.app import all_endpoints, create_app
from odrchat.auth import csrf
from odrchat.auth.tokens import new_token
from odrchat.settings import Settings
from tests.helpers import client_for
from tests.security.authz_table import POLICIES, fill
from tests.security.world import (
    ORIGIN,
    PASSWORD,
    World,
    app_for,
    copy_of,
    headers,
    settings_for,
)


def _ws_refused(c: TestClient, hdrs: dict[str, str]) -> int:
    with pytest.raises(WebSocketDisconnect) as refused, c.websocket_connect("/ws", headers=hdrs):
        pass
    return refused.value.code


def test_cross_site_websocket_hijacking_is_refused_at_the_upgrade(
    template: World, tmp_path: Path
) -> None:
    """A valid session cookie is not enough: the handshake needs our own Origin."""
    with app_for(template, tmp_path) as (c, w, settings):
        good = headers(settings, w.tokens["paul"])
        cookie = {"cookie": good["cookie"]}
        for origin in (
            "https://evil.example",
            "null",
            "http://testserver.evil.example",
            "http://evil.example#http://testserver",
            "https://testserver",
            "http://testserver:8080",
        ):
            assert _ws_refused(c, {**cookie, "origin": origin}) == 1008, origin
        assert _ws_refused(c, cookie) == 1008  # no Origin at all
        with c.websocket_connect("/ws", headers=good) as ws:
            assert ws.receive_json()["type"] == "hello"


def test_an_allowed_extra_origin_may_connect(template: World, tmp_path: Path) -> None:
    w, _ = copy_of(template, tmp_path)
    settings = settings_for(f"sqlite:///{w.path}", allowed_origins=("https://app.court.example",))
    with client_for(settings) as c:
        hdrs = {**headers(settings, w.tokens["paul"]), "origin": "https://app.court.example"}
        with c.websocket_connect("/ws", headers=hdrs) as ws:
            assert ws.receive_json()["type"] == "hello"


def _set_cookies(response: Any) -> dict[str, Any]:
    jar: dict[str, Any] = {}
    for raw in response.headers.get_list("set-cookie"):
        parsed = SimpleCookie()
        parsed.load(raw)
        for name, morsel in parsed.items():
            jar[name] = (morsel, raw.lower())
    return jar


def _login(
    c: TestClient,
    settings: Settings,
    email: str,
    password: str = PASSWORD,
    cookies: dict[str, str] | None = None,
) -> Any:
    c.cookies.clear()
    for name, value in (cookies or {}).items():
        c.cookies.set(name, value)
    token = c.get("/api/session").json()["csrf_token"]
    return c.post(
        "/api/auth/login",
        json={"email": email, "password": password},
        headers={"x-csrf-token": token, "origin": ORIGIN},
    )


def test_a_cookie_planted_before_login_is_not_the_session_after_it(
    template: World, tmp_path: Path
) -> None:
    with app_for(template, tmp_path) as (c, _w, settings):
        planted = new_token()
        r = _login(
            c, settings, "paul@example.org", cookies={"odr_session": planted, "odr_pre": planted}
        )
        assert r.status_code == 200
        issued = _set_cookies(r)["odr_session"][0].value
        assert issued != planted
        assert r.json()["csrf_token"] != csrf.token_for(settings, planted)
        c.cookies.clear()
        anon = c.get("/api/session", headers={"cookie": f"odr_session={planted}"}).json()
        assert anon["user"] is None  # the planted value never became a session
        me = c.get("/api/me", headers={"cookie": f"odr_session={issued}"})
        assert me.status_code == 200 and me.json()["email"] == "paul@example.org"


def test_cookie_flags_over_http_and_https(template: World, tmp_path: Path) -> None:
    w, _ = copy_of(template, tmp_path)
    for public_url, name in (
        ("http://testserver", "odr_session"),
        ("https://testserver", "__Host-odr_session"),
    ):
        settings = settings_for(f"sqlite:///{w.path}", public_url=public_url)
        app_headers = {"origin": public_url}
        with TestClient(create_app(settings), base_url=public_url) as c:
            first = c.get("/api/session")
            pre, token = _set_cookies(first), first.json()["csrf_token"]
            r = c.post(
                "/api/auth/login",
                json={"email": "dana@example.org", "password": PASSWORD},
                headers={"x-csrf-token": token, **app_headers},
            )
            assert r.status_code == 200, r.text
            morsel, raw = _set_cookies(r)[name]
            assert morsel["httponly"] and morsel["samesite"].lower() == "lax"
            assert morsel["path"] == "/" and not morsel["domain"]
            assert bool(morsel["secure"]) is public_url.startswith("https"), raw
            pre_name = name.replace("odr_session", "odr_pre")
            assert pre_name in pre and pre[pre_name][0]["httponly"]
            if public_url.startswith("https"):
                assert r.headers["strict-transport-security"].startswith("max-age=")


STATE_CHANGING = [ep for ep in all_endpoints() if ep.method not in ("GET", "HEAD", "OPTIONS")]


def test_every_state_changing_endpoint_refuses_a_request_without_the_csrf_token(
    template: World, tmp_path: Path
) -> None:
    assert len(STATE_CHANGING) >= 30
    with app_for(template, tmp_path) as (c, w, settings):
        good = headers(settings, w.tokens["mia"])
        for ep in STATE_CHANGING:
            policy = POLICIES[(ep.method, ep.path)]
            url = fill(ep.path, policy, w, "own")
            body = policy.body(w) if policy.body else None
            for hdrs, code in (
                ({k: v for k, v in good.items() if k != "x-csrf-token"}, "csrf"),
                ({**good, "x-csrf-token": "0" * 64}, "csrf"),
                ({**good, "x-csrf-token": csrf.token_for(settings, w.tokens["paul"])}, "csrf"),
                ({**good, "origin": "https://evil.example"}, "bad_origin"),
                (
                    {k: v for k, v in good.items() if k != "origin"}
                    | {"sec-fetch-site": "cross-site"},
                    "bad_origin",
                ),
            ):
                c.cookies.clear()
                r = c.request(ep.method, url, json=body, headers=hdrs)
                assert r.status_code == 403, (ep.method, url, hdrs.keys(), r.text)
                assert r.json()["error"]["code"] == code, (ep.method, url)
        # Anonymous, too: logging in or registering needs the pre-session token.
        c.cookies.clear()
        r = c.post(
            "/api/auth/login",
            json={"email": "paul@example.org", "password": PASSWORD},
            headers={"origin": ORIGIN},
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"


def _hello(c: TestClient, settings: Settings, token: str) -> Any:
    return c.websocket_connect("/ws", headers=headers(settings, token))


def _closed_with(ws: Any) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(100):
            ws.receive_json()
    return closed.value.code


def test_logout_closes_the_users_sockets_and_the_cookie_stops_working(
    template: World, tmp_path: Path
) -> None:
    with app_for(template, tmp_path) as (c, w, settings):
        token = w.tokens["dana"]
        with _hello(c, settings, token) as ws:
            assert ws.receive_json()["type"] == "hello"
            r = c.post("/api/auth/logout", headers=headers(settings, token))
            assert r.status_code == 200
            assert _closed_with(ws) == 4401
        with _hello(c, settings, token) as ws:
            assert _closed_with(ws) == 4401
        assert c.get("/api/me", headers=headers(settings, token)).status_code == 401


def test_a_password_change_ends_every_other_session_and_its_sockets(
    template: World, tmp_path: Path
) -> None:
    with app_for(template, tmp_path) as (c, w, settings):
        old = w.tokens["paul"]
        r = _login(c, settings, "paul@example.org")
        fresh = r.cookies.get("odr_session") or _set_cookies(r)["odr_session"][0].value
        c.cookies.clear()
        with _hello(c, settings, old) as ws, _hello(c, settings, fresh) as mine:
            assert ws.receive_json()["type"] == "hello"
            assert mine.receive_json()["type"] == "hello"
            r = c.post(
                "/api/auth/password/change",
                headers=headers(settings, fresh),
                json={"current_password": PASSWORD, "new_password": "another long one"},
            )
            assert r.status_code == 200, r.text
            assert _closed_with(ws) == 4401
            # The changer's own socket stays open and served (it used to close with 4401).
            mine.send_json({"type": "room.subscribe", "id": "s", "room": w.rooms["A"]["joint"]})
            answer = [mine.receive_json()["type"] for _ in range(2)]
            assert "room.snapshot" in answer, answer  # (with the socket's own presence)
        with _hello(c, settings, old) as ws:
            assert _closed_with(ws) == 4401  # the other session is over
        with _hello(c, settings, fresh) as ws:
            assert ws.receive_json()["type"] == "hello"  # the one that changed it goes on


def test_login_is_throttled_per_account_and_address(template: World, tmp_path: Path) -> None:
    with app_for(template, tmp_path) as (c, _w, settings):
        answers = [
            _login(c, settings, "paul@example.org", "wrong password").status_code for _ in range(5)
        ]
        assert answers == [401] * 5
        blocked = _login(c, settings, "paul@example.org", PASSWORD)
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        assert blocked.json()["error"]["code"] == "rate_limited"
        # An unknown account is throttled the same way (no enumeration through the throttle).
        unknown = [_login(c, settings, "nobody@example.org", "x").status_code for _ in range(6)]
        assert unknown == [401] * 5 + [429]


def _public_post(c: TestClient, path: str, body: dict[str, Any]) -> Any:
    c.cookies.clear()
    token = c.get("/api/session").json()["csrf_token"]
    return c.post(path, json=body, headers={"x-csrf-token": token, "origin": ORIGIN})


def test_register_forgot_and_login_do_not_reveal_which_accounts_exist(
    template: World, tmp_path: Path
) -> None:
    with app_for(template, tmp_path) as (c, _w, _settings):
        for path, body in (
            ("/api/auth/register", {"display_name": "Someone", "password": "a long password"}),
            ("/api/auth/password/forgot", {}),
        ):
            known = _public_post(c, path, {**body, "email": "paul@example.org"})
            unknown = _public_post(c, path, {**body, "email": "nobody-at-all@example.org"})
            assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
        wrong = _public_post(
            c, "/api/auth/login", {"email": "paul@example.org", "password": "not his password"}
        )
        unknown = _public_post(
            c, "/api/auth/login", {"email": "nobody-at-all@example.org", "password": "whatever"}
        )
        assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json())
        assert wrong.status_code == 401
