"""The satisfaction survey on a phone: the emailed link opens the survey without logging in,
it says the answers are anonymous, takes one answer, and refuses a second; axe finds nothing
serious and every answer row is a 44 px target."""

from __future__ import annotations

import uuid

from playwright.async_api import Browser, expect

from tests.static.axe import axe_source, describe, small_targets, violations
from tests.static.conftest import (
    BROWSER,
    PHONE,
    STAFF_PASSWORD,
    Console,
    Server,
    Staff,
    new_page,
    no_horizontal_scroll,
    screenshot,
    seed_users,
)
from tests.static.test_attorney import call
from tests.static.test_auth import log_in

pytestmark = BROWSER

DESKTOP = {"width": 1280, "height": 800}


async def test_a_party_answers_the_survey_once_on_a_phone(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    axe_source()
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"sv-p-{tag}@example.org", f"sv-d-{tag}@example.org"
    seed_users(server, [(p_email, f"Paula {tag}", ""), (d_email, f"Dev {tag}", "")])

    pages = []
    for email in (p_email, d_email, staff.mediator_email, staff.admin_email):
        _ctx, page = await new_page(browser, console)
        await log_in(page, server, email, STAFF_PASSWORD)
        await expect(page.get_by_role("button", name="Log out")).to_be_visible()
        pages.append(page)
    pp, dp, mp, ap = pages
    version = (await call(pp, "GET", "/api/agreement-to-mediate"))["version"]
    case = await call(
        pp,
        "POST",
        "/api/cases",
        {
            "kind": "small_claims",
            "side": "plaintiff",
            "court_name": "Stanley Mosk Courthouse",
            "court_case_number": f"24SC{tag}",
            "description": "A borrowed ladder.",
            "other_name": "Dev",
            "other_email": d_email,
        },
    )
    case_id = case["id"]
    await call(pp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(dp, "POST", f"/api/invitations/{server.link_token(d_email, 'invite')}/accept")
    await call(dp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(ap, "POST", f"/api/admin/cases/{case_id}/assign", {"mediator_id": staff.mediator_id})
    await call(mp, "POST", f"/api/cases/{case_id}/impasse")

    # The emailed link, opened in a fresh browser with nobody logged in.
    _ctx, page = await new_page(browser, console, viewport=PHONE)
    await page.goto(f"{server.url}/#/survey/{server.link_token(p_email, 'survey')}")
    await expect(page.get_by_role("heading", name="How was your mediation?")).to_be_visible()
    await expect(page.get_by_text("Your answers are anonymous")).to_be_visible()
    heard = page.get_by_role("group", name="I was heard: I could say what mattered to me.")
    await heard.get_by_label("5: Completely").check()
    neutral = page.get_by_role("group", name="The mediator was neutral: they did not take sides.")
    await neutral.get_by_label("4: Mostly").check()
    await page.get_by_label("One comment (optional)").fill("Clear and calm.")
    await no_horizontal_scroll(page)
    for size in (PHONE, DESKTOP):
        await page.set_viewport_size(size)
        found = await violations(page)
        assert not found, describe(f"survey at {size['width']}", found)
        assert await small_targets(page) == []
    await page.set_viewport_size(PHONE)
    await screenshot(page, "survey-390")
    await page.get_by_role("button", name="Send my answers").click()
    await expect(page.get_by_text("Thank you. Your answers were recorded.")).to_be_visible()

    # The link works once.
    await page.reload()
    await expect(
        page.get_by_text("This survey has been answered already. Thank you.")
    ).to_be_visible()
    assert console.errors == []
