"""Marking a payment on the Agreement tab: the receiving side says it arrived, the paying side
confirms, and both see the agreement's payments performed. The case is brought to a signed
agreement through the HTTP API (other browser tests walk those screens); the marking happens on
screen, in Chromium."""

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
from tests.static.flow import day, person
from tests.static.test_attorney import call
from tests.static.test_auth import log_in

pytestmark = BROWSER


async def test_the_receiving_side_marks_a_payment_and_the_paying_side_confirms(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = (f"{who}-{tag}@example.org" for who in ("pp", "pd"))
    p_name, d_name = f"Pia {tag}", f"Dov {tag}"
    seed_users(server, [(p_email, p_name, ""), (d_email, d_name, "")])

    async def logged_in(email: str) -> Page:
        _context, page = await person(browser, console, PHONE)
        await log_in(page, server, email, STAFF_PASSWORD)
        await expect(page.get_by_role("button", name="Log out")).to_be_visible()
        return page

    pp, dp, mp, ap = [
        await logged_in(e) for e in (p_email, d_email, staff.mediator_email, staff.admin_email)
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
            "description": "A broken fence.",
            "other_name": "Dov",
            "other_email": d_email,
        },
    )
    case_id = case["id"]
    await call(pp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(dp, "POST", f"/api/invitations/{server.link_token(d_email, 'invite')}/accept")
    await call(dp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(ap, "POST", f"/api/admin/cases/{case_id}/assign", {"mediator_id": staff.mediator_id})
    terms = [
        {
            "kind": "payment",
            "payer": "defendant",
            "payee": "plaintiff",
            "amount_cents": 45_000,
            "schedule": {"kind": "lump_sum", "due": day(20)},
        }
    ]
    offer = await call(pp, "POST", f"/api/cases/{case_id}/offers", {"terms": terms})
    await call(dp, "POST", f"/api/offers/{offer['id']}/accept")
    draft = await call(mp, "GET", f"/api/cases/{case_id}/agreement")
    doc = await call(mp, "POST", f"/api/agreements/{draft['id']}/send")
    for page, name in ((pp, p_name), (dp, d_name)):
        body = {
            "esign_consent": True,
            "password": STAFF_PASSWORD,
            "typed_name": name,
            "agree_bound": True,
            "document_sha256": doc["document_sha256"],
        }
        await call(page, "POST", f"/api/agreements/{doc['id']}/sign", body)

    # The receiving side (the plaintiff) says the money arrived.
    await pp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    row = pp.locator("section.payments tr[data-payment='1']")
    await expect(row).to_contain_text("$450.00")
    await expect(row).to_contain_text("Not yet paid")
    await expect(row.get_by_role("button", name="Confirm it was paid")).to_have_count(0)
    await row.get_by_role("button", name="I received it").click()
    await expect(row).to_have_attribute("data-status", "reported_paid")

    # The paying side confirms; both then see the payments performed.
    await dp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    theirs = dp.locator("section.payments tr[data-payment='1']")
    await expect(theirs.get_by_role("button", name="I received it")).to_have_count(0)
    await theirs.get_by_role("button", name="Confirm it was paid").click()
    await expect(theirs).to_have_attribute("data-status", "paid")
    await expect(dp.locator("[data-performed=yes]")).to_be_visible()
    await pp.reload()
    await expect(pp.locator("section.payments tr[data-payment='1']")).to_contain_text(
        "Paid (confirmed by both sides)"
    )
    await expect(pp.locator("[data-performed=yes]")).to_be_visible()
    detail = await call(pp, "GET", f"/api/cases/{case_id}")
    assert detail["performed_at"] is not None
    # The case record says so too.
    await pp.goto(f"{server.url}/#/cases/{case_id}")
    await expect(pp.locator("p[data-performed=yes]")).to_contain_text("Performed")
    # The mediator sees the schedule and has no step in it.
    await mp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await expect(mp.locator("section.payments tr[data-payment='1']")).to_be_visible()
    await expect(mp.locator("section.payments button")).to_have_count(0)
    assert console.errors == []
    for page in (pp, dp, mp, ap):
        await page.context.close()
