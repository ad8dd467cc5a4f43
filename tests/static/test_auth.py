"""Accounts in a real browser: sign up, verify, log in, forgot/reset, log out, on a phone."""

from __future__ import annotations

import uuid

from playwright.async_api import Browser, Page, expect

from tests.static.conftest import (
    BROWSER,
    PASSWORD,
    SMALL_PHONE,
    Console,
    Server,
    new_page,
    no_horizontal_scroll,
    screenshot,
)

pytestmark = BROWSER


def unique_email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.org"


async def sign_up(page: Page, server: Server, email: str, name: str, *, shots: str = "") -> None:
    """Register through the form and follow the emailed verification link."""
    await page.goto(f"{server.url}/#/register")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Password").fill(PASSWORD)
    if shots:
        await screenshot(page, f"{shots}-register")
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    await page.goto(f"{server.url}/#/verify/{server.link_token(email, 'verify')}")
    await expect(page.get_by_role("heading", name="Email confirmed")).to_be_visible()


async def log_in(page: Page, server: Server, email: str, password: str = PASSWORD) -> None:
    await page.goto(f"{server.url}/#/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


async def test_sign_up_verify_and_log_in_on_a_phone(
    browser: Browser, server: Server, console: Console
) -> None:
    """A new person signs up, confirms the email link and logs in; nothing scrolls sideways."""
    context, page = await new_page(browser, console)
    email = unique_email("pat")
    await sign_up(page, server, email, "Pat Plaintiff", shots="auth")
    await no_horizontal_scroll(page)
    await screenshot(page, "auth-verified")
    await log_in(page, server, email)
    await expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    await expect(page.get_by_role("link", name="Start a new case")).to_be_visible()
    await no_horizontal_scroll(page)
    await screenshot(page, "cases-empty")
    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    # Logged out: a protected page sends the visitor to the login form.
    await page.goto(f"{server.url}/#/cases")
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert console.errors == [], console.http
    await context.close()


async def test_wrong_password_is_reported_in_words(
    browser: Browser, server: Server, console: Console
) -> None:
    """A failed login says so in an alert and leaves the visitor on the form."""
    context, page = await new_page(browser, console, viewport=SMALL_PHONE)
    await log_in(page, server, unique_email("nobody"), "not the password at all")
    await expect(page.get_by_role("alert").filter(has_text="password")).to_be_visible()
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await no_horizontal_scroll(page)
    await screenshot(page, "login-error-360")
    await context.close()


async def test_forgot_and_reset_password(
    browser: Browser, server: Server, console: Console
) -> None:
    """The emailed reset link sets a new password; the old one stops working."""
    context, page = await new_page(browser, console)
    email = unique_email("rae")
    await sign_up(page, server, email, "Rae Reset")
    await page.goto(f"{server.url}/#/forgot")
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Send me a link").click()
    await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    await page.goto(f"{server.url}/#/reset/{server.link_token(email, 'reset')}")
    await page.get_by_label("New password").fill("a brand new passphrase")
    await screenshot(page, "reset-password")
    await page.get_by_role("button", name="Set password").click()
    await expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    await log_in(page, server, email, PASSWORD)
    await expect(page.get_by_role("alert").filter(has_text="password")).to_be_visible()
    await log_in(page, server, email, "a brand new passphrase")
    await expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    assert console.errors == []
    await context.close()


async def test_register_form_shows_field_errors(
    browser: Browser, server: Server, console: Console
) -> None:
    """Server validation errors appear next to the field they concern."""
    context, page = await new_page(browser, console)
    await page.goto(f"{server.url}/#/register")
    await page.get_by_label("Email").fill("not-an-email")
    await page.get_by_label("Your name").fill("Sam")
    await page.get_by_label("Password").fill("short")
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator(".field-error").filter(has_text="10 characters")).to_be_visible()
    await context.close()


async def test_display_name_is_text_never_html(
    browser: Browser, server: Server, console: Console
) -> None:
    """A name that looks like HTML is shown exactly as typed and runs nothing."""
    context, page = await new_page(browser, console)
    email = unique_email("xss")
    evil = '<img src=x onerror="window.pwned=1">Eve'
    await sign_up(page, server, email, evil)
    await log_in(page, server, email)
    await expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    await page.goto(f"{server.url}/#/account")
    await expect(page.get_by_label("Your name")).to_have_value(evil)
    assert await page.evaluate("() => window.pwned === undefined")
    assert await page.locator("img").count() == 0
    await context.close()
