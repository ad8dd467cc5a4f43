"""The page router: a view that answers late never draws over the page the reader moved on to."""

from __future__ import annotations

import asyncio
import uuid

from playwright.async_api import Browser, Route, expect

from tests.static.conftest import BROWSER, STAFF_PASSWORD, Console, Server, new_page, seed_users
from tests.static.test_auth import log_in

pytestmark = BROWSER


async def test_a_slow_page_does_not_replace_the_page_opened_after_it(
    browser: Browser, server: Server, console: Console
) -> None:
    """My cases waits on a slow network; meanwhile the reader opens Account. When the case list
    finally arrives, Account stays on screen (it used to be replaced by My cases, the page the
    reader had left: CI saw this right after logging in and after switching language)."""
    email = f"router-{uuid.uuid4().hex[:8]}@example.org"
    seed_users(server, [(email, "Rae Router", "")])
    context, page = await new_page(browser, console)
    await log_in(page, server, email, STAFF_PASSWORD)
    await expect(page.get_by_role("heading", name="My cases")).to_be_visible()

    held: asyncio.Queue[Route] = asyncio.Queue()
    await page.goto(f"{server.url}/#/about")
    await page.route("**/api/cases", held.put)  # the network holds the case list back
    await page.goto(f"{server.url}/#/cases")
    slow = await asyncio.wait_for(held.get(), 10)
    await page.goto(f"{server.url}/#/account")
    await expect(page.locator("#phone-status")).to_be_visible()
    async with page.expect_response("**/api/cases"):
        await slow.continue_()
    await page.unroute("**/api/cases")
    # The late case list has been handled: the Account page is still the one shown.
    await expect(page.locator("#phone-status")).to_be_visible()
    await expect(page.get_by_role("heading", name="My cases")).to_have_count(0)
    assert console.errors == []
    await context.close()
