"""A community agreement's end on screen (issue 12): the admin keeps it on file, never "files" it.

The case is opened, staffed, settled and signed through the API (the flow tests walk those
screens). Then, on a phone: the filing queue shows the case under the centre's reference with
the closing record to download and no court reference to enter; "Mark kept on file" takes it
out of the queue; the party's Agreement tab says it is kept on file by the centre, and the joint
conversation says the centre put it on file, never that it was filed with the court.
"""

from __future__ import annotations

import uuid

from playwright.async_api import Browser, expect

from tests.agreements.checklist import check_record
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
from tests.static.flow import call, day, fetch_pdf, person, visit
from tests.static.test_auth import log_in

pytestmark = BROWSER


async def test_the_admin_keeps_a_community_agreement_on_file(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"kp-{tag}@example.org", f"kd-{tag}@example.org"
    p_name, d_name = f"Pia Neighbour {tag}", f"Dov Neighbour {tag}"
    seed_users(server, [(p_email, p_name, ""), (d_email, d_name, "")])
    pages = {}
    for email in (p_email, d_email, staff.mediator_email, staff.admin_email):
        _, page = await person(browser, console, PHONE)
        await log_in(page, server, email, STAFF_PASSWORD)
        await expect(page.get_by_role("button", name="Log out")).to_be_visible()
        pages[email] = page
    pp, dp, mp, ap = pages.values()

    # Intake to a signed agreement, through the API.
    version = (await call(pp, "GET", "/api/agreement-to-mediate"))["version"]
    body = {"kind": "community", "side": "plaintiff", "description": "A shared hedge.",
            "other_name": d_name, "other_email": d_email}  # fmt: skip
    case_id = (await call(pp, "POST", "/api/cases", body))["id"]
    await call(pp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(dp, "POST", f"/api/invitations/{server.link_token(d_email, 'invite')}/accept")
    await call(dp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    assign = {"mediator_id": staff.mediator_id}
    await call(ap, "POST", f"/api/admin/cases/{case_id}/assign", assign)
    terms = [{"kind": "property_return", "returner": "defendant",
              "description": "the hedge trimmer", "by": day(10)}]  # fmt: skip
    offer = await call(pp, "POST", f"/api/cases/{case_id}/offers", {"terms": terms})
    await call(dp, "POST", f"/api/offers/{offer['id']}/accept")
    draft = await call(mp, "GET", f"/api/cases/{case_id}/agreement")
    doc = await call(mp, "POST", f"/api/agreements/{draft['id']}/send")
    for page, name in ((pp, p_name), (dp, d_name)):
        sign = {"esign_consent": True, "password": STAFF_PASSWORD, "typed_name": name,
                "agree_bound": True, "document_sha256": doc["document_sha256"]}  # fmt: skip
        await call(page, "POST", f"/api/agreements/{doc['id']}/sign", sign)
    reference = f"CCR-{case_id:06d}"

    # Before: signed, and the centre will keep it on file; nothing about filing with a court.
    await visit(pp, server, f"/cases/{case_id}/agreement", "[data-status=signed]")
    await expect(pp.locator(".filing")).to_contain_text("CCR will keep the signed agreement")

    # The queue: the centre's reference, the closing record, no court reference to enter.
    await ap.goto(f"{server.url}/#/admin/filing")
    card = ap.locator(f"li[data-case-id='{case_id}']")
    await expect(card.locator(".title")).to_contain_text(reference)
    await expect(card).to_contain_text("A community agreement is not filed with a court")
    await expect(card.get_by_label("Court reference")).to_have_count(0)
    await expect(card.get_by_role("button", name="Mark filed")).to_have_count(0)
    record = card.get_by_role("link", name="Download the closing record (PDF)")
    pdf = await fetch_pdf(ap, await record.get_attribute("href") or "", server.url)
    assert check_record(pdf, reference=reference, parties=(p_name, d_name)) == []
    await no_horizontal_scroll(ap)
    await card.get_by_role("button", name="Mark kept on file").click()
    await expect(card).to_have_count(0)

    # The parties see it kept on file by the centre, in the agreement and in the conversation.
    await pp.reload()
    status = pp.locator("[data-status=filed]")
    await expect(status).to_have_text("Signed by everyone and kept on file by the centre.")
    filing = pp.locator(".filing")
    await expect(filing).to_contain_text("Kept on file by the centre since")
    await expect(filing).to_contain_text(reference)
    await expect(pp.get_by_text("filed with the court")).to_have_count(0)
    await no_horizontal_scroll(pp)
    await dp.goto(f"{server.url}/#/cases/{case_id}/conversations")
    kept = dp.locator("li.msg.system", has_text="The centre put the agreement on file.")
    await expect(kept).to_have_count(1)
    await expect(dp.get_by_text("The agreement was filed with the court.")).to_have_count(0)
    assert console.errors == []
