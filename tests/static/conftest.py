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
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

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


@contextmanager
def running_server(tmp: Path) -> Iterator[Server]:
    """Run `odrchat serve` on a free port with its own SQLite database until the block ends."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    db_path = tmp / "db.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SECRET_KEY": "browser-test-secret-0123456789-abcdefghij",
        "PUBLIC_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    log = (tmp / "server.log").open("w")
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
                raise RuntimeError(f"server exited: {(tmp / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy within 60 s")
            time.sleep(0.1)  # readiness polling of an HTTP endpoint, bounded above
        yield Server(url, db_path, env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server for the browser tests (each test uses its own accounts)."""
    with running_server(tmp_path_factory.mktemp("web")) as running:
        yield running


@pytest.fixture
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
        page.on("pageerror", lambda e: self.errors.append(str(e)))
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


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def no_horizontal_scroll(page: Page) -> None:
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page scrolls sideways by {overflow}px"
