"""Hostile text everywhere a person can type it (chat, display names, the case description, the
language of an interpreter request, an offer's free-text terms, a flag reason) is shown exactly
as typed and runs nothing, for the parties, the mediator and CCR administration; the mediator
flags a message and the administrator reads the room in the audited, read-only reader."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Browser, Page, expect

from tests.static.conftest import (
    BROWSER,
    PHONE,
    STAFF_PASSWORD,
    Console,
    Server,
    Staff,
    no_horizontal_scroll,
    seed_users,
)
from tests.static.flow import (
    WATCH_TEXT,
    accept_agreement_to_mediate,
    assign_mediator,
    messages,
    person,
    say,
)
from tests.static.test_auth import log_in

pytestmark = BROWSER

# Each would add one to window.__xss (or open a dialog) if the page ever treated it as markup,
# a URL to follow, or a template.
CORPUS = [
    '<img src=x onerror="window.__xss++">',
    '<svg onload="window.__xss++"></svg>',
    "<script>window.__xss++</script>",
    '"><img src=x onerror=window.__xss++>',
    "'><svg/onload=window.__xss++>",
    '<iframe srcdoc="<script>parent.__xss++</script>"></iframe>',
    '<details open ontoggle="window.__xss++">x</details>',
    '<a href="javascript:window.__xss++">click me</a>',
    "javascript:window.__xss++",
    'https://example.org/"><img src=x onerror=window.__xss++>',
    "<img src=x onerror=alert(1)>",
    '{{constructor.constructor("window.__xss++")()}}',
]
COUNT_XSS = "window.__xss = 0;\n" + WATCH_TEXT
INERT = """() => ({
  xss: window.__xss,
  markup: document.querySelectorAll(
    'main img, main svg, main iframe, main script, main object, main embed, main details[ontoggle]'
  ).length,
  jsLinks: [...document.querySelectorAll('a[href]')].filter(
    a => !/^(https?:|#|\\/)/.test(a.getAttribute('href'))).length,
})"""


async def assert_inert(page: Page, dialogs: list[str]) -> None:
    state = await page.evaluate(INERT)
    assert state == {"xss": 0, "markup": 0, "jsLinks": 0}, state
    assert dialogs == []


async def test_hostile_text_is_shown_inert_everywhere(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"xp-{tag}@example.org", f"xd-{tag}@example.org"
    seed_users(server, [(p_email, f"P {tag}", ""), (d_email, f"D {tag}", "")])
    p_name = f'Pat <img src=x onerror="window.__xss++"> {tag}'
    d_name = f'Dana <svg onload="window.__xss++"></svg> {tag}'
    description = "\n".join(CORPUS)
    dialogs: list[str] = []
    pages: list[Page] = []

    async def open_as(email: str) -> Page:
        _context, page = await person(browser, console, PHONE, init=COUNT_XSS)
        page.on("dialog", lambda d: dialogs.append(d.message))
        await log_in(page, server, email, STAFF_PASSWORD)
        pages.append(page)
        return page

    async def rename(page: Page, name: str) -> None:
        await page.goto(f"{server.url}/#/account")
        await page.get_by_label("Your name").fill(name)
        await page.get_by_role("button", name="Save", exact=True).click()
        await expect(page.get_by_text("Saved.")).to_be_visible()

    # Names and the description go in through the ordinary forms.
    pp = await open_as(p_email)
    await rename(pp, p_name)
    await pp.goto(f"{server.url}/#/cases/new")
    await pp.get_by_label("Court", exact=True).fill("Stanley Mosk Courthouse")
    await pp.get_by_label("Court case number").fill(f"24SC{tag}")
    await pp.get_by_label("What is the dispute about?").fill(description)
    await pp.get_by_label("The other side's name").fill(CORPUS[0])
    await pp.get_by_label("The other side's email").fill(d_email)
    await pp.get_by_label("I need an interpreter").check()
    await pp.get_by_label("Language for the interpreter").fill(CORPUS[4])
    await pp.get_by_role("button", name="Open case and invite").click()
    await expect(pp.get_by_role("heading", name=f"Small claims 24SC{tag}")).to_be_visible()
    case_id = int(re.search(r"#/cases/(\d+)", pp.url).group(1))  # type: ignore[union-attr]
    await accept_agreement_to_mediate(pp)
    await expect(pp.locator("dd.prewrap")).to_have_text(description)
    await expect(pp.locator(".interpreter-of")).to_have_text(
        f"Asked for an interpreter: {CORPUS[4]}"
    )

    dp = await open_as(d_email)
    await rename(dp, d_name)
    await dp.goto(f"{server.url}/#/invite/{server.link_token(d_email, 'invite')}")
    await expect(dp.get_by_text(f"Hello {CORPUS[0]}.")).to_be_visible()
    await dp.get_by_label("I need an interpreter").check()
    await dp.get_by_label("Language for the interpreter").fill(CORPUS[0])
    await dp.get_by_role("button", name="Accept and join").click()
    await accept_agreement_to_mediate(dp)
    await expect(dp.locator("dd.prewrap")).to_have_text(description)
    await expect(dp.locator("li[data-user-id] strong", has_text=p_name)).to_have_count(1)

    ap = await open_as(staff.admin_email)
    await ap.get_by_role("tab", name="Waiting for a mediator").click()
    chips = ap.locator(f"li[data-case-id='{case_id}'] .interpreter-chip")
    await expect(chips).to_have_count(2)
    # Waited for, not read once: the queue may draw the case again between two reads.
    for chip in (f"Interpreter: {CORPUS[4]} (Plaintiff)", f"Interpreter: {CORPUS[0]} (Defendant)"):
        await expect(chips.filter(has_text=chip)).to_have_count(1)
    await assign_mediator(ap, staff, case_id)

    # Chat: every entry of the corpus, as a message.
    await pp.goto(f"{server.url}/#/cases/{case_id}/conversations")
    for text in CORPUS:
        await say(pp, text)
    await dp.goto(f"{server.url}/#/cases/{case_id}/conversations")
    shown = dp.locator("li.msg[data-seq] .text")
    await expect(shown).to_have_count(len(CORPUS))
    assert await shown.all_text_contents() == CORPUS
    await expect(dp.locator(".chat-head > details:first-child > summary")).to_contain_text(p_name)

    # An offer whose free-text terms and explanation are the corpus.
    await pp.get_by_role("button", name="Make an offer").click()
    composer = pp.locator("form.offer-composer")
    await composer.get_by_label("What kind of term?").select_option("free_text")
    terms = CORPUS[:3]
    for i, text in enumerate(terms):
        if i:
            await composer.get_by_role("button", name="Add another term").click()
        await composer.get_by_label("The term, in your own words").nth(i).fill(text)
    await composer.get_by_label("Explain your offer (optional)").fill(CORPUS[3])
    await composer.get_by_role("button", name="Send offer").click()
    card = dp.locator("li.offer-card")
    await expect(card.locator(".offer-title")).to_have_text(f"Offer from {p_name}")
    assert await card.locator(".offer-terms li").all_text_contents() == terms
    await expect(card.locator(".explanation")).to_have_text(f"Why: {CORPUS[3]}")
    await card.get_by_role("button", name="Accept").click()
    await card.get_by_role("button", name="Yes, accept these terms").click()
    await dp.get_by_role("tab", name="Agreement").click()
    agreement = dp.locator("#agreement-text")
    for text in (p_name, d_name, *terms):
        await expect(agreement).to_contain_text(text)
    await no_horizontal_scroll(dp)

    # The mediator sees the names in room titles and flags a message for the administrator.
    mp = await open_as(staff.mediator_email)
    section = mp.locator("nav section", has=mp.get_by_role("link", name=f"Small claims 24SC{tag}"))
    await expect(section.get_by_role("button", name=f"{p_name} + Mediator")).to_be_visible()
    await section.get_by_role("button", name=re.compile("^Joint")).click()
    flagged = messages(mp, CORPUS[2])
    await flagged.get_by_role("button", name="Flag this message for CCR administration").click()
    await flagged.get_by_label("Why flag this message?").fill(f"Looks like code {CORPUS[1]}")
    await flagged.get_by_role("button", name="Flag message").click()
    await expect(flagged.get_by_text("Flagged for CCR administration.")).to_be_visible()

    # CCR administration: the flag, then the room in the read-only reader, which says that
    # the view is audited.
    await ap.goto(f"{server.url}/#/admin/flags")
    row = ap.locator("tr[data-flag-id]", has_text=f"Looks like code {CORPUS[1]}")
    await expect(row).to_have_count(1)
    await row.get_by_role("link", name=re.compile("^Room")).click()
    await expect(ap.get_by_role("heading", name=re.compile("^Read-only"))).to_be_visible()
    await expect(ap.get_by_role("note")).to_contain_text("recorded in the audit log")
    await expect(ap.locator("li.msg[data-seq] .text")).to_have_count(len(CORPUS))
    await expect(ap.locator(".readonly")).to_contain_text("not write")
    await expect(ap.locator("section.chat textarea")).to_be_hidden()
    await ap.goto(f"{server.url}/#/admin/audit")
    await expect(ap.locator("td", has_text="room.view").first).to_be_visible()

    for page in pages:
        await assert_inert(page, dialogs)
    assert console.errors == []
    for page in pages:
        await page.context.close()
