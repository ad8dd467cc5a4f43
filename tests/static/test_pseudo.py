"""A pseudo-locale run: every text a person reads on the main pages comes from a catalog.

The browser is served a generated catalog in place of en.json, each English text turned into
"⟦Ŵàìţìñĝ ƒöŕ…⟧". Then the main pages are walked and every visible text node must be pseudo
text, or data: names, numbers, dates, the case number, what people typed, and texts the server
writes (marked data-server-text; the server's catalogs are tested on its side). A text left in
plain English was hard-coded, and the test names it.

One case is brought to a drafted agreement through the HTTP API, as tests/static/test_axe.py does.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Route, expect

from odrchat import protocol as p
from tests.static.axe import AXE_JS, describe, violations
from tests.static.conftest import (
    BROWSER,
    PHONE,
    SMALL_PHONE,
    STAFF_PASSWORD,
    Console,
    Server,
    new_page,
    seed_users,
)
from tests.static.flow import call, chat_and_offer, visit

pytestmark = BROWSER

I18N = Path(p.__file__).resolve().parent / "static" / "i18n"
ACCENTS = str.maketrans(
    "abcdeghiklnorstuwyzABCDEGHIKLNORSTUWYZ",
    "àƀćđéĝĥìķłñöŕśţüŵýźÀƁĆĐÉĜĤÌĶŁÑÖŔŚŢÜŴÝŹ",
)
PLACEHOLDER = re.compile(r"(\{\w+\})")


def pseudo(text: str) -> str:
    """ "Hello {name}" -> "⟦Ĥéłłö {name}⟧": accented, placeholders kept, marked at both ends."""
    parts = PLACEHOLDER.split(text)
    return (
        "⟦" + "".join(s if PLACEHOLDER.fullmatch(s) else s.translate(ACCENTS) for s in parts) + "⟧"
    )


def pseudo_catalog() -> str:
    english = json.loads((I18N / "en.json").read_text())
    out: dict[str, object] = {}
    for key, value in english.items():
        if key == "language.name":
            out[key] = value
        elif isinstance(value, dict):
            out[key] = {k: pseudo(v) for k, v in value.items()}
        else:
            out[key] = pseudo(value)
    return json.dumps(out, ensure_ascii=False)


# Every visible text node with its nearest element; a node inside data (what people typed,
# names, server texts, code, another language) is left out by the selector list.
VISIBLE_TEXTS = """
(skip) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.data.trim();
    if (!text) continue;
    const el = n.parentElement;
    if (!el || el.closest(skip)) continue;
    if (el.closest("script, style, noscript, template, option:not(:checked)")) continue;
    if (!el.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true })) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0 && !el.closest(".visually-hidden")) continue;
    out.push(text);
  }
  out.push(document.title);
  return out;
}
"""
# Elements whose text is data, not interface: what people typed, names, the English agreement
# the parties sign, texts the server wrote, fingerprints, language names in their own language.
DATA = ", ".join(
    [
        "li.msg .text",
        ".sender",
        "[data-server-text]",
        "[lang]:not(html)",
        "code",
        ".prewrap",
        ".caption",
        ".doc-link",
        "dd",
        ".agreement-text",
        "#lang-select",
        "a.title",
    ]
)
# Dates, times and lists as Intl writes them in English (the pseudo run keeps the "en" locale),
# with the time zone's short name it adds to a moment ("PST", "EDT", "GMT+9").
INTL_WORDS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Monday|Tuesday|Wednesday|Thursday|"
    r"Friday|Saturday|Sunday|AM|PM|at|and|or|"
    r"[ECMP][SD]T|AK[SD]T|H[SD]T|UTC|GMT(?:[+-]\d{1,2}(?::\d\d)?)?)\b"
)
# Court case numbers (other tests' cases show on the admin's lists too).
CASE_NUMBER = re.compile(r"\b\d\d[A-Z]{2}[0-9A-Za-z]+\b")
LEFTOVER = re.compile(r"[^\W\d_]{2,}")


class Walk:
    """Collects the texts that were not pseudo-localised, page by page."""

    def __init__(self, data: list[str]) -> None:
        self.data = sorted(data, key=len, reverse=True)
        self.found: list[str] = []
        self.pages: list[str] = []

    def plain(self, text: str) -> bool:
        # Innermost first (a text inside a text), then the halves a link splits in two.
        rest, n = text, 1
        while n:
            rest, n = re.subn(r"⟦[^⟦⟧]*⟧", " ", rest)
        rest = re.sub(r"⟦[^⟧]*$|^[^⟦]*⟧", " ", rest)
        for item in self.data:
            rest = rest.replace(item, " ")
        rest = INTL_WORDS.sub(" ", rest)
        rest = CASE_NUMBER.sub(" ", rest)
        return bool(LEFTOVER.search(rest))

    async def check(self, page: Page, name: str, skip: str = "") -> None:
        self.pages.append(name)
        texts = await page.evaluate(VISIBLE_TEXTS, f"{DATA}, {skip}" if skip else DATA)
        bad = sorted({t for t in texts if self.plain(t)})
        if bad:
            self.found.append(f"{name}: " + " | ".join(bad))


class Spanish(Walk):
    """The Spanish pages: <html lang="es">, nothing wider than the phone's screen, and no
    serious or critical axe-core finding (axe checks the lang attribute too); axe runs where
    npm installed it (always under CI, where its absence fails the test)."""

    async def check(self, page: Page, name: str, skip: str = "") -> None:
        self.pages.append(name)
        lang = await page.evaluate("() => document.documentElement.lang")
        if lang != "es":
            self.found.append(f"{name}: <html lang={lang!r}>")
        overflow = await page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            self.found.append(f"{name}: scrolls sideways by {overflow}px")
        if AXE_JS.exists() or os.environ.get("CI") == "true":
            blocking = await violations(page)
            if blocking:
                self.found.append(describe(f"{name} (axe)", blocking))


async def pseudo_page(
    browser: Browser, console: Console, viewport: dict[str, int], language: str
) -> Page:
    """A person's page: in Spanish, or in English with the pseudo catalog in place of en.json."""
    context, page = await new_page(browser, console, viewport=viewport)
    if language != "pseudo":
        await context.add_cookies([{"name": "lang", "value": language, "url": "http://127.0.0.1"}])
        return page
    body = pseudo_catalog()

    async def serve(route: Route) -> None:
        await route.fulfill(status=200, content_type="application/json", body=body)

    await context.route(re.compile(r"/static/i18n/en\.json$"), serve)
    await context.add_cookies([{"name": "lang", "value": "en", "url": "http://127.0.0.1"}])
    return page


async def log_in_by_form(page: Page, server: Server, email: str) -> None:
    """Log in without reading any label (they are pseudo text here)."""
    await page.goto(f"{server.url}/#/login")
    await page.locator("input[name=email]").fill(email)
    await page.locator("input[name=password]").fill(STAFF_PASSWORD)
    await page.locator("form button[type=submit]").click()
    await expect(page.locator("#nav button.link")).to_be_visible()


async def test_no_hard_coded_text_on_the_main_pages(
    browser: Browser, server: Server, console: Console
) -> None:
    """Every visible text on login, sign-up, the invitation landing, my cases, the case page,
    the chat with an offer, the composer, the agreement, the account and the admin pages comes
    from the catalog."""
    walk = await walk_main_pages(browser, server, console, SMALL_PHONE, "pseudo")
    assert len(walk.pages) >= 25, walk.pages
    assert not walk.found, "hard-coded text:\n" + "\n".join(walk.found)
    assert console.errors == []


@pytest.mark.parametrize("viewport", [SMALL_PHONE, PHONE], ids=["360x640", "390x844"])
async def test_the_spanish_pages_fit_a_phone_and_say_they_are_spanish(
    browser: Browser, server: Server, console: Console, viewport: dict[str, int]
) -> None:
    """Spanish runs about a quarter longer than English: on 360 and 390 px wide phones no main
    page scrolls sideways, and every page says lang="es"."""
    walk = await walk_main_pages(browser, server, console, viewport, "es")
    assert len(walk.pages) >= 25, walk.pages
    assert not walk.found, "\n".join(walk.found)
    assert console.errors == []


async def walk_main_pages(
    browser: Browser,
    server: Server,
    console: Console,
    viewport: dict[str, int],
    language: str,
) -> Walk:
    """Bring one case to a signing agreement and check every main page on the way."""
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"ps-p-{tag}@example.org", f"ps-d-{tag}@example.org"
    p_name, d_name = f"Paula {tag}", f"Dev {tag}"
    # Its own mediator and administrator: the Spanish walk sets the accounts' language, and the
    # session's shared staff must stay English for the other tests.
    m_email, a_email = f"ps-m-{tag}@staff.example.org", f"ps-a-{tag}@staff.example.org"
    m_name, a_name = f"Mona {tag}", f"Abe {tag}"
    people = [(p_email, p_name, ""), (d_email, d_name, ""), (m_email, m_name, "mediator"),
              (a_email, a_name, "admin")]  # fmt: skip
    ids = seed_users(server, people)
    number = f"24SC{tag}"
    data = [p_name, d_name, "Dev", number, p_email, d_email, "Stanley Mosk Courthouse",
            "A borrowed ladder.", "Hello, about the ladder.", "The ladder", m_name,
            a_name, "English", "Español", "SHA-256", "PDF", "ZIP", "CCR", "ODR", "SMTP_HOST",
            "SMS_PROVIDER", "Twilio", "STOP", "START", "Mixtec", "Spanish"]  # fmt: skip
    walk = Walk(data) if language == "pseudo" else Spanish(data)

    anon = await pseudo_page(browser, console, viewport, language)
    for path, ready in (("/", "h1"), ("/login", "form"), ("/register", "form"),
                        ("/forgot", "form"), ("/about", "h1"), ("/glossary", "h1"),
                        ("/prepare", "h1")):  # fmt: skip
        await visit(anon, server, path, ready)
        await walk.check(anon, path)

    pages = {}
    for who, email in (("p", p_email), ("d", d_email), ("m", m_email), ("a", a_email)):
        page = await pseudo_page(browser, console, viewport, language)
        await log_in_by_form(page, server, email)
        if language != "pseudo":
            # The account's language wins over the cookie: set it, as the Account page does.
            await page.evaluate(
                """async (language) => {
                  const { api } = await import('/static/js/api.js');
                  return api.patch('/api/me', { language });
                }""",
                language,
            )
            await page.reload()
            await expect(page.locator("html")).to_have_attribute("lang", language)
        pages[who] = page
    pp, dp, mp, ap = pages["p"], pages["d"], pages["m"], pages["a"]

    version = (await call(pp, "GET", "/api/agreement-to-mediate"))["version"]
    case = await call(pp, "POST", "/api/cases", {
        "kind": "small_claims", "side": "plaintiff", "court_name": "Stanley Mosk Courthouse",
        "court_case_number": number, "description": "A borrowed ladder.", "other_name": "Dev",
        "other_email": d_email, "interpreter": "Mixtec",
    })  # fmt: skip
    case_id = case["id"]
    await visit(pp, server, f"/cases/{case_id}/case", "h1")
    await walk.check(pp, "case page (waiting for the other side)")
    await call(pp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})

    token = server.link_token(d_email, "invite")
    await visit(anon, server, f"/invite/{token}", "h1")
    await walk.check(anon, "/invite/<token>")

    await visit(dp, server, f"/invite/{token}", "h1")
    await walk.check(dp, "/invite/<token> logged in")
    await dp.locator("#interpreter-need").check()
    await walk.check(dp, "/invite/<token> asking for an interpreter")
    await call(dp, "POST", f"/api/invitations/{token}/accept", {"interpreter": "Spanish"})
    await visit(dp, server, f"/cases/{case_id}/case", "section.prose")
    await walk.check(dp, "case page (agreement to mediate)")
    await call(dp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await visit(ap, server, "/admin/queue", "li.card")
    # Other tests' cases may wait in the queue too: their people are their data.
    await walk.check(ap, "/admin/queue", skip=f"li.card:not([data-case-id='{case_id}'])")
    await call(ap, "POST", f"/api/admin/cases/{case_id}/assign", {"mediator_id": ids[m_email]})

    await chat_and_offer(pp, server, case_id)

    for page, path, ready in (
        (pp, "/cases", "li.card"),
        (pp, "/cases/new", "form"),
        (pp, f"/cases/{case_id}/case", "h1"),
        (dp, f"/cases/{case_id}/conversations", "li.offer-card"),
        (pp, "/account", "#phone-status"),
        (mp, "/mediator", "h1"),
        (mp, f"/cases/{case_id}/conversations", "li.offer-card"),
        (mp, f"/cases/{case_id}/case", "h1"),
    ):
        await visit(page, server, path, ready)
        if "conversations" in path:
            await page.locator("section.chat summary").first.click()
        # The dashboard lists the mediator's other cases too; their people are their data.
        others = f".dash nav section:not(:has(a[href='#/cases/{case_id}']))"
        await walk.check(page, path + (" (mediator)" if page is mp else ""), skip=others)

    await visit(pp, server, "/cases/new", "form")
    await pp.locator("#interpreter-need").check()
    await walk.check(pp, "/cases/new asking for an interpreter")

    await visit(pp, server, f"/cases/{case_id}/conversations", "section.chat textarea")
    await pp.locator(".offer-bar button").first.click()
    form = pp.locator("form.offer-composer")
    await expect(form).to_be_visible()
    await form.locator("fieldset.term select").first.select_option("payment")
    await form.locator("input[value=installments]").check()
    await walk.check(pp, "offer composer")

    offers = await call(pp, "GET", f"/api/cases/{case_id}/offers")
    offer_id = (offers["offers"] if isinstance(offers, dict) else offers)[0]["id"]
    await call(dp, "POST", f"/api/offers/{offer_id}/accept")
    await visit(mp, server, f"/cases/{case_id}/agreement", ".mediator-box")
    await walk.check(mp, "agreement (mediator, draft)")
    await mp.locator(".mediator-box .actions button:not(.secondary)").click()
    await visit(pp, server, f"/cases/{case_id}/agreement", "form.sign")
    await walk.check(pp, "agreement (signing)")

    for path, ready in (
        ("/admin/filing", "h1"),
        ("/admin/cases", "table"),
        ("/admin/flags", "h1"),
        ("/admin/notify", "table"),
        (f"/admin/read/{case_id}", "section.chat"),
    ):
        await visit(ap, server, path, ready)
        # Other tests' cases are listed too: their numbers and names are their data.
        await walk.check(ap, path, skip=f"tr[data-case-id]:not([data-case-id='{case_id}'])")

    return walk
