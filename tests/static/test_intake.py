"""Intake in the browser (issue 17): a court case number that another open case at the centre
already has is filed all the same, and the filer is told so, in their language, without a word
about the other case; axe finds nothing serious on that page. Staff see the pair flagged in
the administration's case list."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Browser, Page, expect

from tests.static.axe import axe_source, describe, violations
from tests.static.conftest import (
    BROWSER,
    PHONE,
    STAFF_PASSWORD,
    Console,
    Server,
    Staff,
    seed_users,
)
from tests.static.flow import call, person
from tests.static.test_auth import log_in

pytestmark = BROWSER


async def _file_through_the_form(page: Page, number: str, other: str, email: str) -> None:
    """The intake form filled by field name, so the same steps work in any language."""
    form = page.locator("form")
    await form.locator("[name=court_name]").fill("Stanley Mosk Courthouse")
    await form.locator("[name=court_case_number]").fill(number)
    await form.locator("[name=description]").fill("My side of the story.")
    await form.locator("[name=other_name]").fill(other)
    await form.locator("[name=other_email]").fill(email)
    await form.locator("button[type=submit]").click()


async def test_a_court_number_already_open_is_filed_with_a_warning_that_names_nobody(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    axe_source()  # skip (or fail under CI) before starting when axe-core is missing
    tag = uuid.uuid4().hex[:6]
    number = f"24SC{tag.upper()}"
    first, second, third = (f"{who}-{tag}@example.org" for who in ("dup-a", "dup-b", "dup-c"))
    secret_name, secret_story = f"Ariadne Firstfiler {tag}", f"FIRST-CASE-STORY-{tag}"
    seed_users(server, [(first, secret_name, ""), (second, f"Bo {tag}", ""),
                        (third, f"Cruz {tag}", "")])  # fmt: skip

    # The first filing, with the number as printed on the court papers.
    _, ap = await person(browser, console, PHONE)
    await log_in(ap, server, first, STAFF_PASSWORD)
    await expect(ap.get_by_role("button", name="Log out")).to_be_visible()
    body = {"kind": "small_claims", "side": "plaintiff", "court_name": "Stanley Mosk Courthouse",
            "court_case_number": number, "description": secret_story,
            "other_name": f"Other {tag}", "other_email": f"other-{tag}@example.org"}  # fmt: skip
    opened = await call(ap, "POST", "/api/cases", body)
    assert opened["court_case_number_in_use"] is False

    # Another person files the same number, typed differently, through the form, in English.
    _, bp = await person(browser, console, PHONE)
    await log_in(bp, server, second, STAFF_PASSWORD)
    await expect(bp.get_by_role("button", name="Log out")).to_be_visible()
    await bp.goto(f"{server.url}/#/cases/new")
    await _file_through_the_form(bp, number.lower(), f"Dee {tag}", f"dee-{tag}@example.org")
    await expect(bp.get_by_role("heading", name="Your case was filed")).to_be_visible()
    warning = bp.locator("#same-number")
    await expect(warning).to_contain_text(
        "Another case with this court case number is already open at the centre"
    )
    await expect(warning).to_contain_text("staff will check both")
    found = await violations(bp)
    assert not found, describe("the filed-with-the-same-number page", found)
    await bp.get_by_role("link", name="Go to your case").click()
    await expect(bp.locator("#case-status")).to_be_visible()
    case_id = int(re.search(r"#/cases/(\d+)", bp.url).group(1))  # type: ignore[union-attr]
    assert case_id != opened["id"]

    # A third, in Spanish: the same warning in plain Spanish.
    _, cp = await person(browser, console, PHONE)
    await log_in(cp, server, third, STAFF_PASSWORD)
    await expect(cp.get_by_role("button", name="Log out")).to_be_visible()
    await cp.locator("#lang-select").select_option("es")
    await expect(cp.get_by_role("button", name="Salir")).to_be_visible()
    await cp.goto(f"{server.url}/#/cases/new")
    await _file_through_the_form(cp, f" {number} ", f"Eli {tag}", f"eli-{tag}@example.org")
    await expect(cp.get_by_role("heading", name="Su caso quedó registrado")).to_be_visible()
    await expect(cp.locator("#same-number")).to_contain_text(
        "Ya hay otro caso abierto en el centro con este número de caso judicial"
    )
    found = await violations(cp)
    assert not found, describe("the same page in Spanish", found)

    # Staff see each of the three flagged with the others, linked, in the case list.
    _, sp = await person(browser, console, PHONE)
    await log_in(sp, server, staff.admin_email, STAFF_PASSWORD)
    await expect(sp.get_by_role("button", name="Log out")).to_be_visible()
    await sp.goto(f"{server.url}/#/admin/cases")
    await sp.get_by_label("Number", exact=True).fill(number)
    await sp.get_by_role("button", name="Search").click()
    rows = sp.locator("#case-list tbody tr")
    await expect(rows).to_have_count(3)
    flag = sp.locator(f"tr[data-case-id='{case_id}'] .same-number")
    await expect(flag).to_contain_text("Same number as open case")
    await expect(flag.get_by_role("link", name=f"#{opened['id']}")).to_be_visible()
    found = await violations(sp)
    assert not found, describe("the case list with a flagged number", found)

    # Nothing of the first case ever reached the later filers' pages.
    for page in (bp, cp):
        seen = "".join(await page.evaluate("() => window.__seen"))
        assert secret_name not in seen and secret_story not in seen and first not in seen
    assert console.errors == []
