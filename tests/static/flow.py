"""Steps the browser flows share: people in their own contexts, chat, offers and signing."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.static.conftest import STAFF_PASSWORD, Console, Server, Staff, new_page
from tests.static.test_auth import log_in

# Records every piece of text that ever enters the page, so a test can say "never shown",
# not just "not shown now".
WATCH_TEXT = """
window.__seen = [];
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) window.__seen.push(n.textContent || "");
  for (const r of records) if (r.type === "characterData") window.__seen.push(r.target.data);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


CALL = """async ([method, path, body]) => {
  const { api } = await import('/static/js/api.js');
  return method === 'GET' ? api.get(path) : api.post(path, body ?? {});
}"""


async def call(page: Page, method: str, path: str, body: object = None) -> Any:
    """An API call from the page, with its cookie and CSRF token (as the app makes them)."""
    return await page.evaluate(CALL, [method, path, body])


def day(days_ahead: int) -> str:
    """A date `days_ahead` from today, as a date input takes it (YYYY-MM-DD)."""
    return (date.today() + timedelta(days=days_ahead)).isoformat()


async def person(
    browser: Browser, console: Console, viewport: dict[str, int], init: str = WATCH_TEXT
) -> tuple[BrowserContext, Page]:
    """A new browser context (one person) whose pages record every text they ever show."""
    context, page = await new_page(browser, console, viewport=viewport)
    await context.add_init_script(init)
    return context, page


def messages(page: Page, text: str) -> Locator:
    return page.locator("li.msg[data-seq]", has_text=text)


def offer_card(page: Page, title: str) -> Locator:
    return page.locator("li.offer-card", has=page.locator(".offer-title", has_text=title))


async def say(page: Page, text: str) -> None:
    box = page.locator("section.chat textarea")
    await box.fill(text)
    await box.press("Enter")


async def visit(page: Page, server: Server, path: str, ready: str) -> None:
    """Open a route and wait until the element that says it has rendered is visible."""
    await page.goto(f"{server.url}/#{path}")
    await expect(page.locator(ready).first).to_be_visible()


async def chat_and_offer(page: Page, server: Server, case_id: int) -> None:
    """A party says hello in the joint room and puts an offer on the table (through the API),
    so the pages walked next have a conversation and an offer to show."""
    await visit(page, server, f"/cases/{case_id}/conversations", "section.chat textarea")
    await say(page, "Hello, about the ladder.")
    await expect(messages(page, "about the ladder")).to_have_count(1)
    terms = [{"kind": "property_return", "returner": "defendant", "description": "The ladder",
              "by": day(14)}]  # fmt: skip
    await call(page, "POST", f"/api/cases/{case_id}/offers", {"terms": terms})


async def accept_agreement_to_mediate(page: Page) -> None:
    await page.get_by_label("I have read the agreement to mediate").check()
    await page.get_by_role("button", name="I accept the agreement to mediate").click()
    await expect(page.get_by_text("You accepted the agreement to mediate")).to_be_visible()


async def staff_log_in(page: Page, server: Server, email: str) -> None:
    await log_in(page, server, email, STAFF_PASSWORD)


async def assign_mediator(ap: Page, staff: Staff, case_id: int) -> None:
    """CCR administration assigns the session's mediator from the queue."""
    await ap.get_by_role("tab", name="Waiting for a mediator").click()
    card = ap.locator(f"li[data-case-id='{case_id}']")
    await expect(card).to_be_visible()
    await card.get_by_label("Mediator", exact=True).select_option(str(staff.mediator_id))
    await card.get_by_role("button", name="Assign").click()
    await expect(card).to_have_count(0)


async def make_offer_with_installments(
    page: Page, total: str, parts: list[tuple[str, str]]
) -> None:
    """Fill the composer: the defendant pays the plaintiff `total` in installments."""
    form = page.locator("form.offer-composer")
    await form.get_by_label("Who pays").select_option("defendant")
    await form.get_by_label("Who is paid").select_option("plaintiff")
    await form.get_by_label("Amount", exact=True).fill(total)
    await form.get_by_label("In installments").check()
    for i, (amount, due) in enumerate(parts, start=1):
        await form.get_by_label(f"Installment {i}: amount").fill(amount)
        await form.get_by_label(f"Installment {i}: due by").fill(due)


async def sign(page: Page, name: str, password: str) -> None:
    """The signing step: e-sign consent, password, typed name, "I agree to be bound"."""
    form = page.locator("form.sign")
    await form.get_by_label("I consent to sign this agreement electronically").check()
    await form.get_by_label("Your password").fill(password)
    await form.get_by_label("Type your full name").fill(name)
    await form.get_by_role("button", name="I agree to be bound by this agreement").click()
    await expect(page.get_by_text("You have signed this agreement.")).to_be_visible()


async def fetch_pdf(page: Page, href: str, base: str) -> bytes:
    """Download with the page's own cookies (its request context)."""
    response = await page.request.get(base + href)
    assert response.ok, response.status
    return await response.body()


def private_tab(name: str) -> re.Pattern[str]:
    return re.compile(f"^{re.escape(name)} \\+ Mediator")
