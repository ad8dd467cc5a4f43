"""The whole path in three browsers: a small claims case from registration and invitation to
chat in the joint and private rooms, including a party who drops offline and comes back."""

from __future__ import annotations

import re
import sqlite3
import uuid

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.static.conftest import (
    PASSWORD,
    SMALL_PHONE,
    STAFF_PASSWORD,
    Console,
    Server,
    new_page,
    no_horizontal_scroll,
    screenshot,
)
from tests.static.test_auth import log_in, sign_up

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}

# Records every piece of text that ever enters the page, so a test can say "never shown",
# not just "not shown now".
WATCH_TEXT = """
window.__seen = [];
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) window.__seen.push(n.textContent || "");
  for (const r of records) if (r.type === "characterData") window.__seen.push(r.target.data);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def user_id(server: Server, email: str) -> int:
    with sqlite3.connect(server.db_path) as db:
        row = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
    assert row is not None
    return int(row[0])


async def person(
    browser: Browser, console: Console, viewport: dict[str, int]
) -> tuple[BrowserContext, Page]:
    context, page = await new_page(browser, console, viewport=viewport)
    await context.add_init_script(WATCH_TEXT)
    return context, page


def messages(page: Page, text: str) -> Locator:
    return page.locator("li.msg[data-seq]", has_text=text)


async def say(page: Page, text: str) -> None:
    box = page.locator("section.chat textarea")
    await box.fill(text)
    await box.press("Enter")


async def accept_agreement(page: Page) -> None:
    await page.get_by_label("I have read the agreement to mediate").check()
    await page.get_by_role("button", name="I accept the agreement to mediate").click()
    await expect(page.get_by_text("You accepted the agreement to mediate")).to_be_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, SMALL_PHONE], ids=["desktop", "phone360"])
async def test_small_claims_case_from_invitation_to_private_chat(
    browser: Browser, server: Server, console: Console, viewport: dict[str, int]
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"pat-{tag}@example.org", f"dana-{tag}@example.org"
    m_email, a_email = f"mo-{tag}@example.org", f"ada-{tag}@example.org"
    p_name, d_name, m_name = f"Pat {tag}", f"Dana {tag}", f"Mo {tag}"
    number = f"24SC{tag.upper()}"
    server.create_staff("mediator", m_email, m_name)
    server.create_staff("admin", a_email, f"Ada {tag}")
    shot = f"flow-{viewport['width']}"

    # The plaintiff signs up and opens the case.
    pctx, pp = await person(browser, console, viewport)
    await sign_up(pp, server, p_email, p_name)
    await log_in(pp, server, p_email)
    await expect(pp.get_by_role("heading", name="My cases")).to_be_visible()
    await pp.get_by_role("link", name="Start a new case").click()
    await pp.get_by_label("Court", exact=True).fill("Stanley Mosk Courthouse")
    await pp.get_by_label("Court case number").fill(number)
    await pp.get_by_label("What is the dispute about?").fill("Unpaid invoice for a fence.")
    await pp.get_by_label("The other side's name").fill(d_name)
    await pp.get_by_label("The other side's email").fill(d_email)
    await screenshot(pp, f"{shot}-new-case")
    await no_horizontal_scroll(pp)
    await pp.get_by_role("button", name="Open case and invite").click()
    await expect(pp.get_by_role("heading", name=f"Small claims {number}")).to_be_visible()
    case_id = int(re.search(r"#/cases/(\d+)", pp.url).group(1))  # type: ignore[union-attr]
    await accept_agreement(pp)
    await screenshot(pp, f"{shot}-case-tab")
    await no_horizontal_scroll(pp)

    # The defendant follows the emailed invitation, registers and joins.
    dctx, dp = await person(browser, console, viewport)
    await dp.goto(f"{server.url}/#/invite/{server.link_token(d_email, 'invite')}")
    await expect(
        dp.get_by_role("heading", name=f"{p_name} invites you to try mediation")
    ).to_be_visible()
    await expect(
        dp.get_by_text("the court does not penalize you", exact=False).first
    ).to_be_attached()
    await screenshot(dp, f"{shot}-invitation")
    await no_horizontal_scroll(dp)
    await dp.get_by_role("link", name="Create an account").click()
    await dp.get_by_label("Email").fill(d_email)
    await dp.get_by_label("Your name").fill(d_name)
    await dp.get_by_label("Password").fill(PASSWORD)
    await dp.get_by_role("button", name="Create account").click()
    await expect(dp.get_by_role("heading", name="Check your email")).to_be_visible()
    await dp.goto(f"{server.url}/#/verify/{server.link_token(d_email, 'verify')}")
    await expect(dp.get_by_role("heading", name="Email confirmed")).to_be_visible()
    await log_in(dp, server, d_email)
    await dp.get_by_role("button", name="Accept and join").click()
    await expect(dp.get_by_role("heading", name=f"Small claims {number}")).to_be_visible()
    await accept_agreement(dp)

    # CCR administration assigns the mediator.
    actx, ap = await person(browser, console, viewport)
    await log_in(ap, server, a_email, STAFF_PASSWORD)
    card = ap.locator(f"li[data-case-id='{case_id}']")
    await expect(card).to_be_visible()
    await card.get_by_label("Mediator", exact=True).select_option(str(user_id(server, m_email)))
    await screenshot(ap, f"{shot}-admin-queue")
    await card.get_by_role("button", name="Assign").click()
    await expect(card).to_have_count(0)

    # The mediator sees every room of the case in one view.
    mctx, mp = await person(browser, console, viewport)
    await log_in(mp, server, m_email, STAFF_PASSWORD)
    await expect(mp.get_by_role("heading", name="All conversations")).to_be_visible()
    section = mp.locator("nav section", has=mp.get_by_role("link", name=f"Small claims {number}"))
    await expect(section.locator("li[data-room]")).to_have_count(4)
    await expect(
        section.get_by_role("button", name=re.compile(f"^{p_name} \\+ Mediator"))
    ).to_be_visible()
    await expect(
        section.get_by_role("button", name=re.compile(f"^{d_name} \\+ Mediator"))
    ).to_be_visible()
    await section.get_by_role("button", name=re.compile("^Joint")).click()
    await say(mp, "Welcome both. I am your mediator.")
    await expect(messages(mp, "Welcome both")).to_have_count(1)

    # Each party: Joint and "<my name> + Mediator", and nothing else.
    for page, name in ((pp, p_name), (dp, d_name)):
        await page.goto(f"{server.url}/#/cases/{case_id}/conversations")
        tabs = page.locator(".subtabs [role=tab]")
        await expect(tabs).to_have_count(2)
        await expect(tabs.nth(0)).to_have_text(re.compile("^Joint"))
        await expect(tabs.nth(1)).to_have_text(re.compile(f"^{name} \\+ Mediator"))
        await expect(messages(page, "Welcome both")).to_have_count(1)
        # Who can see this room is always shown.
        await expect(page.locator(".chat-head summary")).to_contain_text(m_name)
    await no_horizontal_scroll(pp)
    await screenshot(pp, f"{shot}-joint")

    # Joint chat both ways, typing and read markers.
    await pp.locator("section.chat textarea").type("Hel")
    await expect(dp.locator(".typing").first).to_have_text(f"{p_name} is typing…")
    await say(pp, "Hello, I would like the invoice paid.")
    await expect(messages(dp, "invoice paid")).to_have_count(1)
    await say(dp, "I can pay half now.")
    await expect(messages(pp, "pay half now")).to_have_count(1)
    await expect(messages(mp, "pay half now")).to_have_count(1)
    await expect(pp.locator(".seen")).to_contain_text(d_name)

    # Private rooms: each party talks to the mediator alone.
    p_secret, d_secret = f"PRIV-P-{tag} my lowest is 300", f"PRIV-D-{tag} I could go to 250"
    await pp.locator(".subtabs [role=tab]").nth(1).click()
    await say(pp, p_secret)
    await dp.locator(".subtabs [role=tab]").nth(1).click()
    await say(dp, d_secret)
    await expect(messages(pp, p_secret)).to_have_count(1)
    await expect(messages(dp, d_secret)).to_have_count(1)
    p_room = section.get_by_role("button", name=re.compile(f"^{p_name} \\+ Mediator"))
    await expect(p_room.locator(".badge")).to_have_text("1")
    waiting = section.locator("li.party-waiting").filter(has_text=f"{p_name} + Mediator")
    await expect(waiting).to_have_count(1)
    await p_room.click()
    await expect(messages(mp, p_secret)).to_have_count(1)
    await say(mp, "Thank you, I will keep that between us.")
    await expect(messages(pp, "keep that between us")).to_have_count(1)
    await section.get_by_role("button", name=re.compile(f"^{d_name} \\+ Mediator")).click()
    await expect(messages(mp, d_secret)).to_have_count(1)
    await screenshot(mp, f"{shot}-mediator")

    # Unread messages elsewhere show in the tab title and on the room's tab.
    await pp.goto(f"{server.url}/#/cases/{case_id}/case")
    await expect(pp.get_by_role("heading", name="About the case")).to_be_visible()
    await section.get_by_role("button", name=re.compile("^Joint")).click()
    await say(mp, "Are you both still there?")
    await expect(pp).to_have_title(re.compile(r"^\(1\) "))
    await pp.get_by_role("tab", name="Conversations").click()
    await expect(messages(pp, "still there")).to_have_count(1)
    await expect(pp).to_have_title(re.compile(r"^(?!\()"))

    # A party offline: nothing lost, nothing doubled, its own message delivered on return.
    await dp.locator(".subtabs [role=tab]").nth(0).click()
    await pp.locator(".subtabs [role=tab]").nth(0).click()
    await dctx.set_offline(True)
    await expect(dp.locator("#conn")).to_contain_text("offline")
    await say(pp, "First while you were away.")
    await say(pp, "Second while you were away.")
    await say(dp, "Typed while offline.")
    await expect(
        dp.locator("li.msg[data-state=pending]", has_text="Typed while offline")
    ).to_have_count(1)
    await screenshot(dp, f"{shot}-offline")
    await dctx.set_offline(False)
    for text in ("First while", "Second while", "Typed while offline"):
        await expect(messages(dp, text)).to_have_count(1)
        await expect(messages(pp, text)).to_have_count(1)
    await expect(dp.locator("li.msg[data-state=pending]")).to_have_count(0)
    await expect(dp.locator("#conn")).to_be_hidden()
    seqs = await dp.locator("li.msg[data-seq]").evaluate_all("els => els.map(e => +e.dataset.seq)")
    assert seqs == sorted(set(seqs)), "messages shown twice or out of order"

    # Neither party ever saw the other's private room.
    p_seen = "".join(await pp.evaluate("() => window.__seen"))
    d_seen = "".join(await dp.evaluate("() => window.__seen"))
    assert d_secret not in p_seen and f"{d_name} + Mediator" not in p_seen
    assert p_secret not in d_seen and f"{p_name} + Mediator" not in d_seen
    assert p_secret in p_seen and d_secret in d_seen  # the watcher does see what is shown

    for page in (pp, dp, mp, ap):
        await no_horizontal_scroll(page)
    assert console.errors == []
    for ctx in (pctx, dctx, actx, mctx):
        await ctx.close()
