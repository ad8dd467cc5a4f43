"""CCR administration sees whether notifications can go out: with no SMS provider, texts are off."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.static.conftest import (
    BROWSER,
    STAFF_PASSWORD,
    Console,
    Server,
    Staff,
    new_page,
    no_horizontal_scroll,
)
from tests.static.test_auth import log_in

pytestmark = BROWSER


async def test_the_admin_page_says_text_messages_are_off_without_a_provider(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    context, page = await new_page(browser, console)
    await log_in(page, server, staff.admin_email, STAFF_PASSWORD)
    await page.wait_for_url(lambda url: "#/login" not in url)
    await page.goto(f"{server.url}/#/admin/notify")
    await expect(page.get_by_role("tab", name="Notifications")).to_have_attribute(
        "aria-selected", "true"
    )
    await expect(page.locator("#sms-status")).to_have_text(
        "Text messages are off: no SMS provider is configured (SMS_PROVIDER). "
        "Texts are recorded as not sent; email still goes out."
    )
    table = page.get_by_role("table", name="Messages waiting or handled, by channel")
    await expect(table).to_be_visible()
    await no_horizontal_scroll(page)
    assert console.errors == []
    await context.close()
