"""A party authorises their attorney on the Agreement tab, and the attorney signs for that side.
The case is brought to a drafted agreement through the HTTP API (the flow test walks those
screens); the authorising and signing happen on screen."""

from __future__ import annotations

import uuid

from playwright.async_api import Browser, Page, expect

from tests.static.conftest import (
    BROWSER,
    PHONE,
    STAFF_PASSWORD,
    Console,
    Server,
    Staff,
    seed_users,
)
from tests.static.flow import call, day, person, sign
from tests.static.test_auth import log_in

pytestmark = BROWSER


async def test_party_authorises_attorney_who_signs_for_the_side(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, d_email, a_email = (f"{who}-{tag}@example.org" for who in ("ap", "ad", "aa"))
    p_name, a_name = f"Paula {tag}", f"Avery Attorney {tag}"
    seed_users(server, [(p_email, p_name, ""), (d_email, f"Dev {tag}", ""), (a_email, a_name, "")])

    async def logged_in(email: str) -> Page:
        _context, page = await person(browser, console, PHONE)
        await log_in(page, server, email, STAFF_PASSWORD)
        await expect(page.get_by_role("button", name="Log out")).to_be_visible()
        return page

    pp, dp, attorney, mp, ap = [
        await logged_in(e)
        for e in (p_email, d_email, a_email, staff.mediator_email, staff.admin_email)
    ]

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
    await call(pp, "POST", f"/api/cases/{case_id}/attorneys", {"name": a_name, "email": a_email})
    await call(dp, "POST", f"/api/invitations/{server.link_token(d_email, 'invite')}/accept")
    await call(dp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(attorney, "POST", f"/api/invitations/{server.link_token(a_email, 'invite')}/accept")
    await call(ap, "POST", f"/api/admin/cases/{case_id}/assign", {"mediator_id": staff.mediator_id})
    terms = [{"kind": "property_return", "returner": "defendant", "description": "The ladder",
              "by": day(14)}]  # fmt: skip
    offer = await call(pp, "POST", f"/api/cases/{case_id}/offers", {"terms": terms})
    await call(dp, "POST", f"/api/offers/{offer['id']}/accept")

    # The party sees the attorney control on the draft and authorises them.
    await pp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await expect(pp.locator("[data-status=draft]")).to_be_visible()
    await pp.get_by_role("button", name=f"Authorise {a_name} to sign for me").click()
    await expect(pp.get_by_text(f"{a_name} may sign for you.")).to_be_visible()

    # Sent for signature, the attorney may sign; they sign for the plaintiff's side.
    await attorney.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await expect(attorney.locator("[data-status=draft]")).to_be_visible()
    await mp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await mp.get_by_role("button", name="Send for signature").click()
    await expect(attorney.locator("form.sign")).to_be_visible()
    await sign(attorney, a_name, STAFF_PASSWORD)
    signature = pp.locator(".signatures li")
    await expect(signature).to_have_count(1)
    await expect(signature).to_contain_text(f"{a_name} signed for the Plaintiff as Attorney")
    # The side is signed: the party is no longer asked to sign; the other side still is.
    await expect(pp.locator("form.sign")).to_have_count(0)
    await dp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await expect(dp.locator("form.sign")).to_be_visible()
    assert console.errors == []
    for page in (pp, dp, attorney, mp, ap):
        await page.context.close()
