"""The DOM helpers in the browser: user text is text, links are safe, the CSP holds."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.static.conftest import (
    BROWSER,
    PHONE,
    SMALL_PHONE,
    Console,
    Server,
    new_page,
    no_horizontal_scroll,
)

pytestmark = BROWSER

LINKIFY = """
async (text) => {
  const { linkify } = await import('/static/js/dom.js');
  const box = document.createElement('div');
  box.appendChild(linkify(text));
  return {
    html: box.innerHTML,
    text: box.textContent,
    links: [...box.querySelectorAll('a')].map(a => ({href: a.getAttribute('href'), rel: a.rel,
                                                    text: a.textContent})),
    elements: box.querySelectorAll('*').length,
  };
}
"""


async def test_linkify_makes_only_http_links_and_never_parses_html(
    browser: Browser, server: Server, console: Console
) -> None:
    """Message text becomes text nodes plus <a rel="noopener noreferrer"> for http(s) URLs only."""
    context, page = await new_page(browser, console)
    await page.goto(f"{server.url}/#/about")
    await expect(
        page.get_by_role("heading", name="About Online Dispute Resolution")
    ).to_be_visible()

    evil = '<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>'
    out = await page.evaluate(LINKIFY, evil)
    assert out["text"] == evil and out["elements"] == 0 and out["links"] == []

    out = await page.evaluate(LINKIFY, "See https://example.org/a?b=1&c=2. Or http://x.test/p).")
    assert out["links"] == [
        {
            "href": "https://example.org/a?b=1&c=2",
            "rel": "noopener noreferrer",
            "text": "https://example.org/a?b=1&c=2",
        },
        {"href": "http://x.test/p", "rel": "noopener noreferrer", "text": "http://x.test/p"},
    ]
    assert out["text"] == "See https://example.org/a?b=1&c=2. Or http://x.test/p)."

    for text in ("javascript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x", "ftp://x.test"):
        out = await page.evaluate(LINKIFY, text)
        assert out["links"] == [] and out["text"] == text

    out = await page.evaluate(LINKIFY, 'https://x.test/"onmouseover="alert(1)')
    assert all('"' not in link["href"] for link in out["links"])
    assert await page.evaluate("() => window.pwned === undefined")
    assert console.errors == []
    await context.close()


async def test_h_refuses_inline_handlers_and_style(
    browser: Browser, server: Server, console: Console
) -> None:
    """The element builder cannot set on* or style attributes (the CSP forbids them anyway)."""
    context, page = await new_page(browser, console)
    await page.goto(f"{server.url}/#/about")
    refused = await page.evaluate("""async () => {
      const { h } = await import('/static/js/dom.js');
      const out = [];
      for (const name of ['onclick', 'ONLOAD', 'style']) {
        try { h('div', {attrs: {[name]: 'x'}}); out.push('allowed ' + name); }
        catch (e) { out.push('refused'); }
      }
      return out;
    }""")
    assert refused == ["refused", "refused", "refused"]
    await context.close()


PUBLIC_PAGES = ["/", "/login", "/register", "/forgot", "/about", "/glossary", "/prepare"]


@pytest.mark.parametrize("viewport", [SMALL_PHONE, PHONE], ids=["360x640", "390x844"])
async def test_public_pages_fit_a_phone_with_big_enough_targets(
    browser: Browser, server: Server, console: Console, viewport: dict[str, int]
) -> None:
    """No sideways scrolling, every control labelled, every tap target at least 44px high."""
    context, page = await new_page(browser, console, viewport=viewport)
    for path in PUBLIC_PAGES:
        # One page, routed by hash like a person clicking through: no reload between pages.
        # The old heading is marked so that only the new page's heading counts.
        await page.evaluate("() => document.querySelector('main h1')?.setAttribute('data-old', '')")
        await page.goto(f"{server.url}/#{path}")
        await expect(page.locator("main h1:not([data-old])")).to_be_visible()
        await no_horizontal_scroll(page)
        unlabelled = await page.evaluate("""() => [
            ...document.querySelectorAll('input, select, textarea')]
          .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
          .map(el => el.name || el.id)""")
        assert unlabelled == [], path
        small = await page.evaluate("""() => [...document.querySelectorAll(
            'button, .button, input, select, textarea, #nav a, .actions a')]
          .filter(el => el.offsetParent !== null)
          .map(el => [el.textContent.trim() || el.name, el.getBoundingClientRect().height])
          .filter(([, height]) => height < 44)""")
        assert small == [], path
    assert console.errors == []
    await context.close()
