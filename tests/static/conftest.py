"""Browser test fixtures: a real uvicorn server process and real Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    async_playwright,
    expect,
)

from odrchat.auth.passwords import Passwords
from odrchat.auth.tables import User
from odrchat.settings import TEST_ARGON2
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.services import run_sync

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
# A shared CI box can be slow: give every expect() ten seconds, not five, before it fails.
expect.set_options(timeout=10_000)
# Every browser test shares one Chromium (started once) and so one event loop for the session.
BROWSER = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
PASSWORD = "correct horse battery"
STAFF_PASSWORD = "staff password 12345"
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 640}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Server:
    """A running `odrchat serve` process and what tests need to reach into it."""

    url: str
    db_path: Path
    env: dict[str, str]

    def link_token(self, to: str, kind: str) -> str:
        """The token of the newest `#/<kind>/<token>` link emailed to `to`."""
        with sqlite3.connect(self.db_path) as db:
            rows = db.execute(
                "SELECT body_text FROM outbox WHERE recipient = ? ORDER BY id DESC", (to,)
            ).fetchall()
        for (body,) in rows:
            found = re.search(rf"#/{kind}/([A-Za-z0-9_\-]+)", body)
            if found:
                return found.group(1)
        raise AssertionError(f"no {kind} link emailed to {to}")

    def subjects(self, to: str) -> list[str]:
        """The subjects of every email queued for `to`, oldest first."""
        with sqlite3.connect(self.db_path) as db:
            rows = db.execute(
                "SELECT subject FROM outbox WHERE recipient = ? ORDER BY id", (to,)
            ).fetchall()
        return [subject for (subject,) in rows]

    def create_staff(self, role: str, email: str, name: str) -> None:
        """Create a mediator or admin account with the CLI, as an operator would."""
        env = {**self.env, "ODRCHAT_PASSWORD": STAFF_PASSWORD}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "odrchat",
                "user",
                "create",
                "--role",
                role,
                "--email",
                email,
                "--name",
                name,
            ],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )


class _PortTaken(RuntimeError):
    """Another process bound the port between choosing it and the server binding it."""


def _start(tmp: Path, db_path: Path) -> tuple[subprocess.Popen[bytes], Server]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SECRET_KEY": "browser-test-secret-0123456789-abcdefghij",
        "PUBLIC_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    with (tmp / "server.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "odrchat", "serve", "--port", str(port)],
            env=env,
            cwd=tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                text = (tmp / "server.log").read_text()
                if "address already in use" in text:
                    raise _PortTaken(url)
                raise RuntimeError(f"server exited: {text[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                    # Healthy, and it is ours: someone else's server on a stolen port is not.
                    if r.status == 200 and proc.poll() is None:
                        return proc, Server(url, db_path, env)
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy within 60 s")
            time.sleep(0.1)  # readiness polling of an HTTP endpoint, bounded above
    except BaseException:
        _stop(proc)
        raise


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running_server(tmp: Path) -> Iterator[Server]:
    """Run `odrchat serve` on a free port with its own SQLite database until the block ends."""
    for attempt in range(3):
        try:
            proc, server = _start(tmp, tmp / "db.sqlite3")
            break
        except _PortTaken:
            if attempt == 2:
                raise
    try:
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server for the browser tests (each test uses its own accounts)."""
    with running_server(tmp_path_factory.mktemp("web")) as running:
        yield running


@dataclass(frozen=True, slots=True)
class Staff:
    """A mediator and an administrator shared by the browser tests (each opens its own case)."""

    mediator_email: str
    mediator_name: str
    mediator_id: int
    admin_email: str


async def _seed_users(db_url: str, people: list[tuple[str, str, str]]) -> dict[str, int]:
    db = Database(db_url)
    try:
        # The test hash profile: logging these people in costs milliseconds, not seconds.
        pw_hash = await Passwords(TEST_ARGON2).hash(STAFF_PASSWORD)
        ids: dict[str, int] = {}
        async with db.session() as s:
            for email, name, staff_role in people:
                user = User(
                    email=email,
                    display_name=name,
                    password_hash=pw_hash,
                    staff_role=staff_role,
                    email_verified_at=utcnow(),
                )
                s.add(user)
                await s.flush()
                assert user.id is not None
                ids[email] = user.id
        return ids
    finally:
        await db.dispose()


def seed_users(server: Server, people: list[tuple[str, str, str]]) -> dict[str, int]:
    """Store verified accounts (email, name, staff role) with STAFF_PASSWORD; returns their ids."""
    return dict(run_sync(_seed_users(f"sqlite:///{server.db_path}", people)))


@pytest.fixture(scope="session")
def staff(server: Server) -> Staff:
    """One mediator and one CCR administrator for the session (the CLI path is tested in
    tests/test_cli.py; here they are stored directly to keep the browser suite quick)."""
    ids = seed_users(
        server,
        [
            ("mo@staff.example.org", "Mo Mediator", "mediator"),
            ("ada@staff.example.org", "Ada Admin", "admin"),
        ],
    )
    return Staff(
        "mo@staff.example.org", "Mo Mediator", ids["mo@staff.example.org"], "ada@staff.example.org"
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


class Console:
    """Errors the page logged (CSP violations, uncaught exceptions): tests assert there are none."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.http: list[str] = []
        self.failed: list[str] = []

    def _on_console(self, message: ConsoleMessage) -> None:
        # Chromium logs every 4xx answer; those are checked through `http` where it matters.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def watch(self, page: Page) -> Page:
        page.on("console", self._on_console)
        # The stack says where an uncaught exception came from.
        page.on("pageerror", lambda e: self.errors.append(e.stack or str(e)))
        page.on("requestfailed", lambda r: self.failed.append(r.url))
        page.on(
            "response",
            lambda r: self.http.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        return page


@pytest.fixture
def console() -> Console:
    return Console()


async def new_page(
    browser: Browser, console: Console, viewport: dict[str, int] = PHONE, **kw: object
) -> tuple[BrowserContext, Page]:
    """A fresh context (its own cookies: one person) and page at a phone viewport."""
    context = await browser.new_context(viewport=viewport, **kw)  # type: ignore[arg-type]
    context.set_default_timeout(15000)
    page = await context.new_page()
    console.watch(page)
    return context, page


async def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG to artifacts/screenshots/ (the whole page unless full_page=False)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


async def docs_screenshot(page: Page, name: str) -> Path:
    """The visible viewport only, saved to artifacts/ and copied to docs/screenshots/ for the
    README when that copy is missing or UPDATE_SCREENSHOTS=1 (so a test run leaves the
    committed pictures alone)."""
    path = await screenshot(page, name, full_page=False)
    target = DOCS_SCREENSHOTS / f"{name}.png"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" or not target.exists():
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    return target


async def no_horizontal_scroll(page: Page) -> None:
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page scrolls sideways by {overflow}px"
