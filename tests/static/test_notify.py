"""Notifications in the browser: CCR administration sees whether texts can go out, and a person
confirms a phone number on the Account page with the code texted to it."""

from __future__ import annotations

import random
import re
import sqlite3

from playwright.async_api import Browser, expect

from tests.static.conftest import (
    BROWSER,
    STAFF_PASSWORD,
    Console,
    Server,
    Staff,
    new_page,
    no_horizontal_scroll,
    seed_users,
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


def texted_code(server: Server, number: str) -> str:
    """The code in the newest text to `number` (the server has no provider: it stays unsent)."""
    with sqlite3.connect(server.db_path) as db:
        row = db.execute(
            "SELECT body_text FROM outbox WHERE channel = 'sms' AND subject = 'code' "
            "AND recipient = ? ORDER BY id DESC",
            (number,),
        ).fetchone()
    assert row is not None, f"no code texted to {number}"
    found = re.search(r"\b([0-9]{6})\b", row[0])
    assert found is not None
    return found.group(1)


async def test_a_person_confirms_a_phone_number_with_the_texted_code_on_the_account_page(
    browser: Browser, server: Server, console: Console
) -> None:
    email = f"phone-{random.randrange(10**9)}@example.org"
    seed_users(server, [(email, "Pia Phone", "")])
    number = f"+1213555{random.randrange(10**4):04d}"
    context, page = await new_page(browser, console)
    await log_in(page, server, email, STAFF_PASSWORD)
    await page.wait_for_url(lambda url: "#/login" not in url)
    await page.goto(f"{server.url}/#/account")
    status = page.locator("#phone-status")
    await expect(status).to_have_text("No number yet: we reach you by email only.")
    typed = f"({number[2:5]}) {number[5:8]}-{number[8:]}"  # as people type it; stored as E.164
    await page.get_by_label("Mobile phone", exact=True).fill(typed)
    await page.get_by_role("button", name="Text me a code").click()
    code = page.get_by_label("Code from the text")
    await expect(code).to_be_visible()
    await code.fill("000000" if texted_code(server, number) != "000000" else "111111")
    await page.get_by_role("button", name="Confirm number").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "That code is not right. Check the text and try again."
    )
    await code.fill(texted_code(server, number))
    await page.get_by_role("button", name="Confirm number").click()
    await expect(status).to_have_text(f"Texts about your case go to {number}.")
    await no_horizontal_scroll(page)
    await page.get_by_role("button", name="Stop texts and remove this number").click()
    await expect(status).to_have_text("No number yet: we reach you by email only.")

    # Notices are chosen per kind on the same page: new-message emails can be turned off,
    # emails about the case cannot (and the page says why); quiet hours hold texts.
    messages = page.get_by_label("Email: New messages while you are away")
    await expect(messages).to_be_checked()
    case_email = page.get_by_label("Email: Your case:", exact=False)
    await expect(case_email).to_be_disabled()
    await expect(case_email).to_be_checked()
    await expect(page.locator("#notify-required-why")).to_contain_text("cannot be turned off")
    await messages.uncheck()
    # How long news waits before a notice while away: a few choices, ten minutes at first.
    delay = page.get_by_label("Tell me about news in a room after")
    await expect(delay).to_have_value("10")
    await expect(delay.locator("option")).to_have_text(
        ["5 minutes", "10 minutes", "30 minutes", "1 hour"]
    )
    await delay.select_option("30")
    await page.get_by_label("Hold texts during quiet hours").check()
    await page.get_by_label("Quiet from").fill("22:00")
    await page.get_by_label("Quiet until").fill("07:30")
    await page.get_by_label("Your time zone").select_option("Europe/Madrid")
    await page.get_by_role("button", name="Save notification settings").click()
    await expect(page.get_by_text("Saved.")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Email: New messages while you are away")).not_to_be_checked()
    await expect(page.get_by_label("Quiet until")).to_have_value("07:30")
    await expect(page.get_by_label("Tell me about news in a room after")).to_have_value("30")
    await expect(page.get_by_label("Your time zone")).to_have_value("Europe/Madrid")
    assert console.errors == []
    await context.close()
