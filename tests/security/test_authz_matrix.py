"""Every role against every endpoint and every WebSocket frame, checked against authz_table.

One test per endpoint: the rows expected to be refused run first in one app (a refused request
must change nothing, so they cannot disturb each other); each row expected to pass runs in a
fresh copy of the world when the endpoint changes state, so one caller's success (closing the
case, say) never decides the next caller's answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from odrchat.app import all_endpoints
from odrchat.auth import csrf
from odrchat.settings import Settings
from tests.security.authz_table import (
    FRAMES,
    POLICIES,
    ROOMS,
    WS_ROLES,
    Policy,
    Row,
    fill,
    table,
    ws_table,
)
from tests.security.world import ORIGIN, ROLE_PERSON, World, app_for, headers

PRE_SEED = "anonymous-pre-session-seed"
NEVER_SENT = 2**31 - 1  # an invitation id nobody was ever sent


def _key(method: str, path: str) -> tuple[str, str]:
    return method, path


def test_every_endpoint_has_a_row_and_every_row_an_endpoint() -> None:
    """A new endpoint without a decision about who may call it fails here."""
    declared = {(ep.method, ep.path) for ep in all_endpoints()}
    assert declared - set(POLICIES) == set(), "endpoints without an authorisation row"
    assert set(POLICIES) - declared == set(), "rows for endpoints that no longer exist"


def test_every_endpoint_with_a_body_has_a_sample_body() -> None:
    for ep in all_endpoints():
        if ep.body is not None:
            assert POLICIES[(ep.method, ep.path)].body is not None, (ep.method, ep.path)


def test_outsiders_are_never_told_a_case_exists() -> None:
    for row in table():
        if row.scope == "other" and row.role not in ("admin", "anonymous"):
            assert row.expected in ("404", "403", "dead"), row
            kind = POLICIES[(row.method, row.path)].kind
            if kind == "case":
                assert row.expected == "404", row
            if kind == "invitation":
                assert row.expected == "dead", row


def _headers(settings: Settings, role: str, world: World) -> dict[str, str]:
    if role == "anonymous":
        _, pre = csrf.cookie_names(settings)
        return {
            "origin": ORIGIN,
            "cookie": f"{pre}={PRE_SEED}",
            "x-csrf-token": csrf.token_for(settings, PRE_SEED),
        }
    return headers(settings, world.tokens[ROLE_PERSON[role]])


def _call(c: TestClient, settings: Settings, world: World, policy: Policy, row: Row) -> str:
    c.cookies.clear()
    url = fill(row.path, policy, world, row.scope)
    body = policy.body(world) if policy.body is not None else None
    r = c.request(row.method, url, json=body, headers=_headers(settings, row.role, world))
    if r.status_code >= 500:
        return f"5xx {r.text[:200]}"
    if r.status_code == 403 and r.headers.get("content-type", "").startswith("application/json"):
        code = r.json()["error"]["code"]
        if code in ("csrf", "bad_origin"):
            return f"csrf-refused ({code})"
    if r.status_code in (401, 403, 404):
        return str(r.status_code)
    if policy.kind == "invitation" and r.status_code == 422:
        # The same request for an invitation that was never sent: a dead link.
        never = row.path.replace("{invitation_id:int}", str(NEVER_SENT))
        dead = c.request(row.method, never, json=body, headers=_headers(settings, row.role, world))
        if (dead.status_code, dead.json()) == (422, r.json()):
            return "dead"
        return f"422 unlike a dead link: {r.text[:200]}"
    return "ok"


ENDPOINT_KEYS = sorted(POLICIES)


@pytest.mark.parametrize("key", ENDPOINT_KEYS, ids=[f"{m} {p}" for m, p in ENDPOINT_KEYS])
def test_endpoint_answers_every_role_as_the_table_says(
    key: tuple[str, str], template: World, tmp_path: Path
) -> None:
    method, path = key
    policy = POLICIES[key]
    rows = [r for r in table() if (r.method, r.path) == key]
    refused = [r for r in rows if r.expected != "ok"]
    passing = [r for r in rows if r.expected == "ok"]
    got: dict[Row, str] = {}
    with app_for(template, tmp_path) as (c, world, settings):
        for row in refused + (passing if method == "GET" else []):
            got[row] = _call(c, settings, world, policy, row)
    if method != "GET":
        for row in passing:
            with app_for(template, tmp_path) as (c, world, settings):
                got[row] = _call(c, settings, world, policy, row)
    wrong = [
        f"{r.role}/{r.scope}: expected {r.expected}, got {got[r]}"
        for r in rows
        if got[r] != r.expected
    ]
    assert wrong == [], f"{method} {path}\n" + "\n".join(wrong)


# -- WebSocket ----------------------------------------------------------------------------------


def _answer(ws: Any, frame_id: str, probe: str) -> str:
    """Read until the probe's reply; the frame's answer is its error, if any, else ok."""
    answer = "ok"
    for _ in range(500):
        f = ws.receive_json()
        if f.get("re") == probe:
            return answer
        if f["type"] == "error" and f.get("re") == frame_id:
            answer = f"error:{f['code']}"
        assert "Traceback" not in str(f)
    raise AssertionError("no reply to the probe")


def _frame(kind: str, frame_id: str, room: int) -> dict[str, Any]:
    base: dict[str, Any] = {"type": kind, "id": frame_id, "room": room}
    extra: dict[str, dict[str, Any]] = {
        "room.history": {"before": 100},
        "typing": {"on": True},
        "read.mark": {"seq": 1},
        "chat.send": {"text": "hello"},
        "message.flag": {"seq": 1, "reason": "needs a look"},
    }
    return {**base, **extra.get(kind, {})}


def test_every_frame_type_has_ws_rows() -> None:
    from odrchat.protocol import CLIENT_TYPES

    assert set(FRAMES) == set(CLIENT_TYPES)
    assert {r.frame for r in ws_table()} == set(CLIENT_TYPES)


@pytest.mark.parametrize("role", WS_ROLES)
def test_websocket_frames_answer_every_room_as_the_table_says(
    role: str, template: World, tmp_path: Path
) -> None:
    rows = [r for r in ws_table() if r.role == role]
    wrong = []
    with (
        app_for(template, tmp_path) as (c, world, settings),
        c.websocket_connect(
            "/ws", headers=headers(settings, world.tokens[ROLE_PERSON[role]])
        ) as ws,
    ):
        assert ws.receive_json()["type"] == "hello"
        for n, row in enumerate(rows):
            room = world.rooms["A" if row.scope == "own" else "B"][row.room]
            frame_id = f"f{n}"
            ws.send_json(_frame(row.frame, frame_id, room))
            ws.send_json({"type": "room.unsubscribe", "id": f"p{n}", "room": 2**31 - 1})
            got = _answer(ws, frame_id, f"p{n}")
            if got != row.expected:
                wrong.append(
                    f"{row.scope} {row.room} {row.frame}: expected {row.expected}, got {got}"
                )
    assert wrong == [], role + "\n" + "\n".join(wrong)


def test_the_ws_table_covers_every_room_kind() -> None:
    assert {r.room for r in ws_table()} == set(ROOMS)
