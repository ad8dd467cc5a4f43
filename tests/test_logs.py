"""Logs: JSON lines that name their request or socket, and never what was said or a secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from odrchat import logs
from tests.cluster import Client, Worker, free_port, worker_env
from tests.rooms.world import PASSWORD, World, world

CHAT_TEXT = "We would settle for 4,321 dollars"
INVITE_TOKEN = "Zq8sJ3kLmN0pQrStUvWxYz12345"


def test_scrub_path_drops_queries_and_tokens() -> None:
    assert logs.scrub_path("/api/cases/12?x=secret") == "/api/cases/12"
    assert logs.scrub_path(f"/api/invitations/{INVITE_TOKEN}/accept") == (
        "/api/invitations/<redacted>/accept"
    )
    assert logs.scrub_path("/api/admin/mediators/7/availability") == (
        "/api/admin/mediators/7/availability"
    )


def test_json_lines_carry_the_id_of_their_context() -> None:
    formatter = logs.JsonFormatter()
    record = logging.LogRecord("odrchat.x", logging.WARNING, __file__, 1, "n=%d", (3,), None)
    rid = logs.request_id.set("req-1")
    try:
        line = json.loads(formatter.format(record))
    finally:
        logs.request_id.reset(rid)
    assert line["message"] == "n=3" and line["level"] == "WARNING" and line["logger"] == "odrchat.x"
    assert line["request_id"] == "req-1" and "socket_id" not in line
    assert "request_id" not in json.loads(formatter.format(record))


@pytest.fixture
def json_worker(tmp_path: Path) -> Iterator[tuple[Worker, World]]:
    """One real uvicorn worker (SQLite, in-process broker) writing JSON logs to a file."""
    db_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    port = free_port()
    env = worker_env(db_url, None, f"http://127.0.0.1:{port}", [])
    env["LOG_FORMAT"] = "json"
    worker = Worker(port, env, tmp_path / "worker.log")
    worker.start()  # migrates the database on start (development mode)
    try:
        yield worker, world(db_url)
    finally:
        worker.stop()


async def test_a_real_worker_logs_json_with_request_and_socket_ids(
    json_worker: tuple[Worker, World],
) -> None:
    worker, w = json_worker
    async with httpx.AsyncClient(base_url=worker.url, timeout=30) as http:
        token = (await http.get("/api/session")).json()["csrf_token"]
        r = await http.post(
            "/api/auth/login",
            json={"email": w.email("paul"), "password": PASSWORD},
            headers={"X-CSRF-Token": token, "Origin": worker.url, "X-Request-ID": "proxy-req-42"},
        )
        assert r.status_code == 200 and r.headers["x-request-id"] == "proxy-req-42"
        cookie = str(r.cookies["odr_session"])
        own = await http.get(f"/api/invitations/{INVITE_TOKEN}?t=query-secret")
        assert len(own.headers["x-request-id"]) == 16  # made up here: none was given
        odd = await http.get("/healthz", headers={"X-Request-ID": "bad id {with} spaces"})
        assert odd.headers["x-request-id"] != "bad id {with} spaces"
    client = Client("paul", cookie, worker.url)
    await client.connect(worker)
    try:
        await client.subscribe(w.rooms["joint"])
        await client.send(w.rooms["joint"], CHAT_TEXT)
    finally:
        await client.abort()
    worker.stop()
    text = worker.log()
    lines: list[dict[str, Any]] = [json.loads(raw) for raw in text.splitlines() if raw.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(x) for x in lines)
    access = [x for x in lines if x["logger"] == "uvicorn.access"]
    login = [x for x in access if "/api/auth/login" in x["message"]]
    assert [x.get("request_id") for x in login] == ["proxy-req-42"]
    invite = [x for x in lines if "/api/invitations/" in x["message"]]
    assert invite and all(x["request_id"] == own.headers["x-request-id"] for x in invite)
    accepted = [x for x in lines if "WebSocket /ws" in x["message"] and "accepted" in x["message"]]
    assert accepted and all(len(x.get("socket_id", "")) == 12 for x in accepted)
    for secret in (CHAT_TEXT, PASSWORD, cookie, token, INVITE_TOKEN, "query-secret"):
        assert secret not in text, secret
