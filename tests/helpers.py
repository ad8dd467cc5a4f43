"""Small test helpers that talk to real things (the app, the database's outbox)."""

from __future__ import annotations

import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlmodel import select
from starlette.testclient import TestClient

from odrchat.app import create_app
from odrchat.notify.tables import OutboxMessage
from odrchat.settings import Settings
from odrchat.store.db import Database
from tests.services import run_sync


@contextmanager
def client_for(settings: Settings, **kwargs: Any) -> Iterator[TestClient]:
    """A TestClient running the app's lifespan (one event loop for every socket)."""
    app = create_app(settings, **kwargs)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def csrf(client: TestClient) -> dict[str, str]:
    """Headers carrying the CSRF token for this client's current cookies."""
    token = client.get("/api/session").json()["csrf_token"]
    return {"X-CSRF-Token": token}


def post(client: TestClient, path: str, body: object, **kwargs: Any) -> Any:
    return client.post(path, json=body, headers=csrf(client), **kwargs)


def outbox(db_url: str) -> list[OutboxMessage]:
    """Every message the app queued, oldest first."""

    async def read() -> list[OutboxMessage]:
        db = Database(db_url)
        try:
            # A read: on SQLite it neither takes nor waits for the write lock.
            async with db.read() as s:
                rows = await s.exec(select(OutboxMessage).order_by(OutboxMessage.id))  # type: ignore[arg-type]
                return list(rows.all())
        finally:
            await db.dispose()

    return run_sync(read())


def link_token(db_url: str, to: str, kind: str) -> str:
    """The token in the newest `#/<kind>/<token>` link emailed to `to`."""
    for row in reversed(outbox(db_url)):
        if row.recipient == to:
            found = re.search(rf"#/{kind}/([A-Za-z0-9_\-]+)", row.body_text)
            if found:
                return found.group(1)
    raise AssertionError(f"no {kind} link emailed to {to}")


def register(
    client: TestClient,
    db_url: str,
    email: str,
    name: str = "Test User",
    password: str = "correct horse battery",
    verify: bool = True,
) -> None:
    """Register (and by default verify) an account through the API."""
    r = post(
        client, "/api/auth/register", {"email": email, "display_name": name, "password": password}
    )
    assert r.status_code == 202, r.text
    if verify:
        r = post(client, "/api/auth/verify", {"token": link_token(db_url, email, "verify")})
        assert r.status_code == 200, r.text


def login(client: TestClient, email: str, password: str = "correct horse battery") -> Any:
    r = post(client, "/api/auth/login", {"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def wait_until_served(proc: subprocess.Popen[str], url: str, seconds: float = 60) -> None:
    """Poll `url` until it answers 200; fail if the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                assert r.status == 200
                return
        except OSError:
            assert proc.poll() is None, "the server exited"
            assert time.monotonic() < deadline, f"the server did not come up in {seconds:.0f} s"
            time.sleep(0.2)  # polling a port for readiness, not waiting for an app event
