"""The socket client against a real server through a WebSocket man-in-the-middle (Playwright's
route_web_socket): a lost ack is resent with the same client id and stored once."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, WebSocketRoute, expect

from tests.rooms.world import PASSWORD, World, build_world
from tests.services import run_sync
from tests.static.conftest import BROWSER, Console, Server, new_page, running_server
from tests.static.test_auth import log_in

pytestmark = BROWSER


@pytest.fixture
def world_server(tmp_path: Path) -> Iterator[tuple[Server, World]]:
    """A server of its own holding a case already in mediation (tests/rooms/world.py)."""
    with running_server(tmp_path) as server:
        yield server, run_sync(build_world(f"sqlite:///{server.db_path}"))


def stored_with_client_id(server: Server, client_id: str) -> int:
    with sqlite3.connect(server.db_path) as db:
        row = db.execute(
            "SELECT count(*) FROM room_events WHERE client_id = ?", (client_id,)
        ).fetchone()
    return int(row[0])


async def test_a_lost_ack_is_retried_with_the_same_id_and_shown_once(
    browser: Browser, world_server: tuple[Server, World], console: Console
) -> None:
    server, world = world_server
    sent: list[dict[str, object]] = []
    connections = 0

    async def relay(ws: WebSocketRoute) -> None:
        nonlocal connections
        connections += 1
        first = connections == 1
        upstream = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "chat.send":
                sent.append(frame)
            upstream.send(message)

        def to_client(message: str | bytes) -> None:
            frame = json.loads(message)
            # On the first socket the server's answers to our message vanish, as on a bad network.
            if first and frame.get("type") in ("chat.ack", "chat.message"):
                return
            ws.send(message)

        ws.on_message(to_server)
        upstream.on_message(to_client)

    context, page = await new_page(browser, console)
    await page.route_web_socket("**/ws", relay)
    await log_in(page, server, world.email("paul"), PASSWORD)
    await page.goto(f"{server.url}/#/cases/{world.case_id}/conversations/{world.rooms['joint']}")
    box = page.locator("section.chat textarea")
    await box.fill("Said once, heard once.")
    await box.press("Enter")
    pending = page.locator("li.msg[data-state=pending]", has_text="Said once")
    await expect(pending).to_have_count(1)
    # No ack within the timeout: the client drops the socket, reconnects and resends.
    stored = page.locator("li.msg[data-seq]", has_text="Said once, heard once.")
    await expect(stored).to_have_count(1, timeout=30000)
    await expect(pending).to_have_count(0)
    assert connections >= 2
    ids = {frame["id"] for frame in sent}
    assert len(sent) >= 2 and len(ids) == 1, sent
    assert stored_with_client_id(server, str(ids.pop())) == 1
    assert console.errors == []
    await context.close()
