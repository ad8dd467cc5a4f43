"""The browser in another language: the catalog in use, <html lang>, the switcher, phones."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.static.conftest import BROWSER, Console, Server, new_page

pytestmark = BROWSER


async def test_the_lang_cookie_chooses_the_language_and_the_switcher_changes_it(
    browser: Browser, server: Server, console: Console
) -> None:
    """Before login the `lang` cookie decides; the header's switcher changes the page, its
    `lang` attribute and the cookie the server reads."""
    context, page = await new_page(browser, console)
    await context.add_cookies([{"name": "lang", "value": "es", "url": server.url}])
    await page.goto(f"{server.url}/#/login")
    await expect(page.get_by_role("heading", name="Entrar")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    await page.locator("#lang-select").select_option("en")
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    cookies = {c["name"]: c["value"] for c in await context.cookies()}
    assert cookies["lang"] == "en"
    await page.reload()
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert console.errors == []
    await context.close()


async def test_the_browser_language_is_the_default(
    browser: Browser, server: Server, console: Console
) -> None:
    """With no cookie, a browser set to Mexican Spanish gets the Spanish pages."""
    context, page = await new_page(browser, console, locale="es-MX")
    await page.goto(f"{server.url}/#/")
    await expect(page.get_by_role("heading", name="Resuelva su disputa en línea")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    assert console.errors == []
    await context.close()
