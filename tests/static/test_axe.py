"""axe-core on every page at 390 x 844 and 1280 x 800: no serious or critical violation, and
every control a finger taps at least 44 x 44 px (the promise app.css makes).

One case is brought to a drafted agreement through the HTTP API (the flow tests walk those
screens); each page is then opened as the person who sees it and checked at both sizes. Every
finding is collected first, so one run lists them all."""

from __future__ import annotations

import uuid

from playwright.async_api import Browser, Page, expect

from tests.static.axe import axe_source, describe, small_targets, violations
from tests.static.conftest import (
    BROWSER,
    PHONE,
    STAFF_PASSWORD,
    Console,
    Server,
    Staff,
    new_page,
    seed_users,
)
from tests.static.flow import call, chat_and_offer, visit
from tests.static.test_auth import log_in

pytestmark = BROWSER

DESKTOP = {"width": 1280, "height": 800}
SIZES = (PHONE, DESKTOP)


class Audit:
    """Runs axe and the target-size check on a page at both sizes and keeps what it finds."""

    def __init__(self) -> None:
        self.findings: list[str] = []
        self.pages: list[str] = []

    async def check(self, page: Page, name: str) -> None:
        for size in SIZES:
            await page.set_viewport_size(size)
            where = f"{name} at {size['width']}x{size['height']}"
            self.pages.append(where)
            found = await violations(page)
            if found:
                self.findings.append(describe(where, found))
            small = await small_targets(page)
            if small:
                self.findings.append(f"{where}: under 44 x 44 px: " + "; ".join(small))
        await page.set_viewport_size(PHONE)


async def test_every_page_has_no_serious_axe_violation_at_phone_and_desktop_sizes(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    axe_source()  # skip (or fail under CI) before starting when axe-core is missing
    audit = Audit()
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"axe-p-{tag}@example.org", f"axe-d-{tag}@example.org"
    seed_users(server, [(p_email, f"Paula {tag}", ""), (d_email, f"Dev {tag}", "")])

    # Logged out: start, log in, sign up, forgot, the FAQ pages, an invitation landing.
    _ctx, anon = await new_page(browser, console)
    for path, ready in (
        ("/", "h1"),
        ("/login", "form"),
        ("/register", "form"),
        ("/forgot", "form"),
        ("/about", "h1"),
        ("/glossary", "h1"),
        ("/prepare", "h1"),
        ("/reset/not-a-real-token", "h1"),
    ):
        await visit(anon, server, path, ready)
        await audit.check(anon, path)

    async def logged_in(email: str) -> Page:
        _context, page = await new_page(browser, console)
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
            "description": "A borrowed ladder.",
            "other_name": "Dev",
            "other_email": d_email,
            "interpreter": "Mixtec",
        },
    )
    case_id = case["id"]
    await call(pp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})

    # The invitation landing, logged out, before the defendant accepts.
    await visit(anon, server, f"/invite/{server.link_token(d_email, 'invite')}", "h1")
    await audit.check(anon, "/invite/<token>")

    # Logged in, the responding party may ask for an interpreter before accepting.
    await visit(dp, server, f"/invite/{server.link_token(d_email, 'invite')}", "h1")
    await dp.get_by_label("I need an interpreter").check()
    await audit.check(dp, "/invite/<token> asking for an interpreter")
    await call(
        dp,
        "POST",
        f"/api/invitations/{server.link_token(d_email, 'invite')}/accept",
        {"interpreter": "Spanish"},
    )
    await call(dp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await visit(ap, server, "/admin/queue", "li.card")
    await audit.check(ap, "/admin/queue")
    await call(ap, "POST", f"/api/admin/cases/{case_id}/assign", {"mediator_id": staff.mediator_id})

    # Conversations with messages in them, then an offer on the table.
    await chat_and_offer(pp, server, case_id)

    for page, path, ready in (
        (pp, "/cases", "h1"),
        (pp, "/cases/new", "form"),
        (pp, f"/cases/{case_id}/case", "h1"),
        (dp, f"/cases/{case_id}/conversations", "li.offer-card"),
        (pp, "/account", "h1"),
        (mp, "/mediator", "h1"),
        (mp, f"/mediator/{case_id}", "h1"),
    ):
        await visit(page, server, path, ready)
        await audit.check(page, path)

    # The new-case form asking for an interpreter (its language field shown).
    await visit(pp, server, "/cases/new", "form")
    await pp.get_by_label("I need an interpreter").check()
    await audit.check(pp, "/cases/new asking for an interpreter")

    # The offer composer open, and the documents list of a room.
    await visit(pp, server, f"/cases/{case_id}/conversations", "section.chat textarea")
    await pp.get_by_role("button", name="Make an offer").first.click()
    form = pp.locator("form.offer-composer")
    await expect(form).to_be_visible()
    # A payment in installments: the radio buttons and the installment rows.
    await form.get_by_label("What kind of term?").select_option("payment")
    await form.get_by_label("In installments").check()
    await audit.check(pp, "offer composer")
    await pp.locator("section.chat summary", has_text="Documents").first.click()
    await audit.check(pp, "documents list")

    # An accepted offer gives a draft agreement; the mediator sends it for signature.
    offers = await call(pp, "GET", f"/api/cases/{case_id}/offers")
    offer_id = (offers["offers"] if isinstance(offers, dict) else offers)[0]["id"]
    await call(dp, "POST", f"/api/offers/{offer_id}/accept")
    await visit(mp, server, f"/cases/{case_id}/agreement", "h1")
    await audit.check(mp, "agreement (mediator, draft)")
    await mp.get_by_role("button", name="Send for signature").click()
    await visit(pp, server, f"/cases/{case_id}/agreement", "form.sign")
    await audit.check(pp, "agreement (signing)")

    for path, ready in (
        ("/admin/filing", "h1"),
        ("/admin/flags", "h1"),
        ("/admin/cases", "table"),
        ("/admin/audit", "table"),
        ("/admin/notify", "table"),
        ("/admin/figures", "svg.chart"),
        (f"/admin/read/{case_id}", "section.chat, .notice"),
    ):
        await visit(ap, server, path, ready)
        await audit.check(ap, path)

    assert len(audit.pages) >= 2 * 24, audit.pages
    assert not audit.findings, "\n".join(audit.findings)
    assert console.errors == []
