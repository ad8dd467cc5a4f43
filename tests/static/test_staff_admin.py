"""The centre's administration on screen (issue 17's done-when): a new admin invites a
mediator, who chooses their own password; sets her languages, case kinds and a day off; records
a conflict with a party by name; assigns her to a community case past the conflict with a
reason; the mediator adds and approves an observer, and so does the admin from the case page;
the admin waives the fee and the filing party is told; the audit log shows names and roles and
exports CSV; the figures page shows the API's numbers and exports CSV. Then the accounts screen
disables and enables her. Phone-sized throughout; the tabs never overlap."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from playwright.async_api import Browser, Page, expect

from odrchat.figures.report import SUPPRESSED
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
from tests.static.flow import day, person
from tests.static.test_attorney import call
from tests.static.test_auth import log_in

pytestmark = BROWSER
SMALL = {"width": 360, "height": 740}
OUTCOME = {
    "settled": "Settled",
    "impasse": "No agreement",
    "opted_out": "Mediation stopped",
    "declined": "Did not join",
    "expired": "Invitation expired",
}


def _shown(n: int | None) -> str:
    """A count as the figures page writes it in English (null: a small, unpublished count)."""
    return "fewer than 5" if n is None else f"{n:,}"


def _mail_subjects(server: Server, to: str) -> list[str]:
    with sqlite3.connect(server.db_path) as db:
        rows = db.execute("SELECT subject FROM outbox WHERE recipient = ?", (to,)).fetchall()
    return [subject for (subject,) in rows]


async def _tabs_do_not_overlap(page: Page) -> None:
    boxes: list[dict[str, Any]] = await page.evaluate(
        """() => [...document.querySelectorAll('[role="tab"]')].map((b) => {
          const r = b.getBoundingClientRect();
          const fits = b.scrollWidth <= b.clientWidth;
          return {x: r.left, y: r.top, w: r.width, h: r.height, fits};
        })"""
    )
    for i, a in enumerate(boxes):
        assert a["fits"], f"tab {i} text is cut"
        for b in boxes[i + 1 :]:
            apart = (
                a["x"] + a["w"] <= b["x"] + 1
                or b["x"] + b["w"] <= a["x"] + 1
                or a["y"] + a["h"] <= b["y"] + 1
                or b["y"] + b["h"] <= a["y"] + 1
            )
            assert apart, f"tabs overlap: {a} {b}"


async def test_a_new_admin_staffs_and_runs_a_community_case(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    admin_email, nina_email = f"boss-{tag}@example.org", f"nina-{tag}@example.org"
    p_email, d_email = f"cp-{tag}@example.org", f"cd-{tag}@example.org"
    d_name = f"Dora Neighbour {tag}"
    trainee_email = f"tia-{tag}@example.org"
    ids = seed_users(
        server,
        [
            (admin_email, f"Boss {tag}", "admin"),
            (p_email, f"Pat Filer {tag}", ""),
            (d_email, d_name, ""),
            (trainee_email, f"Tia Trainee {tag}", "mediator"),
        ],
    )

    _, ap = await person(browser, console, SMALL)
    await log_in(ap, server, admin_email, STAFF_PASSWORD)
    await expect(ap.get_by_role("button", name="Log out")).to_be_visible()

    # Invite a mediator: she chooses her own password from the emailed link.
    await ap.goto(f"{server.url}/#/admin/staff")
    await _tabs_do_not_overlap(ap)
    await no_horizontal_scroll(ap)
    await ap.get_by_label("Name", exact=True).fill(f"Nina {tag}")
    await ap.get_by_label("Email address").fill(nina_email)
    await ap.get_by_role("button", name="Send invitation").click()
    await expect(ap.get_by_text(f"Invitation sent to {nina_email}.")).to_be_visible()
    row = ap.locator("tr", has_text=nina_email)
    await expect(row.locator(".account-status")).to_have_text("Invited: no password chosen yet")
    nina_id = int(await row.get_attribute("data-user-id") or 0)

    _, np_ = await person(browser, console, PHONE)
    await np_.goto(f"{server.url}/#/reset/{server.link_token(nina_email, 'reset')}")
    await np_.get_by_label("New password").fill("nina's own password")
    await np_.get_by_role("button", name="Set password").click()
    await expect(np_.get_by_role("heading", name="Password changed")).to_be_visible()
    await log_in(np_, server, nina_email, "nina's own password")
    await expect(np_.get_by_role("link", name="Dashboard")).to_be_visible()

    # Her profile, a day off tomorrow, and a conflict with the responding party by name.
    await ap.get_by_role("tab", name="Mediators").click()
    card = ap.locator(f"li[data-mediator-id='{nina_id}']")
    await card.get_by_label("Languages spoken").fill("en, es")
    await card.get_by_label("Community mediation").check()
    await card.get_by_role("button", name="Save profile").click()
    await expect(card.get_by_text("Saved.")).to_be_visible()
    await card.get_by_label("Day off").fill(day(1))
    await card.get_by_role("button", name="Add day off").click()
    card = ap.locator(f"li[data-mediator-id='{nina_id}']")
    await expect(card.locator(".days-off li")).to_have_count(1)
    await ap.get_by_label("Mediator", exact=True).last.select_option(str(nina_id))
    await ap.get_by_label("Person's name").fill(d_name.upper())
    await ap.get_by_label("Note", exact=True).fill("Same street")
    await ap.get_by_role("button", name="Record conflict").click()
    await expect(ap.locator("#conflicts tr", has_text=d_name.upper())).to_be_visible()

    # A community case reaches the queue (through the API, as the flow tests walk those screens).
    _, pp = await person(browser, console, PHONE)
    await log_in(pp, server, p_email, STAFF_PASSWORD)
    _, dp = await person(browser, console, PHONE)
    await log_in(dp, server, d_email, STAFF_PASSWORD)
    await expect(dp.get_by_role("button", name="Log out")).to_be_visible()
    version = (await call(pp, "GET", "/api/agreement-to-mediate"))["version"]
    body = {"kind": "community", "side": "plaintiff", "description": "A shared fence.",
            "other_name": d_name, "other_email": d_email}  # fmt: skip
    case_id = (await call(pp, "POST", "/api/cases", body))["id"]
    await call(pp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(dp, "POST", f"/api/invitations/{server.link_token(d_email, 'invite')}/accept")
    await call(dp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})

    # The queue warns of the conflict; assigning her needs a reason, which is audited.
    await ap.get_by_role("tab", name="Waiting for a mediator").click()
    queued = ap.locator(f"li[data-case-id='{case_id}']")
    await expect(queued.locator(".conflicts")).to_contain_text(f"Nina {tag}")
    await queued.get_by_label("Mediator", exact=True).select_option(str(nina_id))
    await queued.get_by_role("button", name="Assign").click()
    await expect(queued.get_by_text("A conflict of interest is recorded")).to_be_visible()
    await queued.get_by_label("Reason to assign despite the conflict").fill("Both parties asked")
    await queued.get_by_role("button", name="Assign anyway").click()
    await expect(queued).to_have_count(0)

    # The mediator adds an observer (a mediator in training) and approves them.
    await np_.goto(f"{server.url}/#/cases/{case_id}")
    await np_.get_by_text("Add an observer").click()
    await np_.get_by_label("Their email address (a mediator account)").fill(staff.mediator_email)
    await np_.get_by_role("button", name="Add observer").click()
    observer = np_.locator(f"li[data-user-id='{staff.mediator_id}']")
    await observer.get_by_role("button", name="Approve observer").click()
    await expect(observer.get_by_role("button", name="Approve observer")).to_have_count(0)

    # The admin adds another from the case page too, and approves them there.
    await ap.goto(f"{server.url}/#/cases/{case_id}")
    await ap.get_by_text("Add an observer").click()
    await ap.get_by_label("Their email address (a mediator account)").fill(trainee_email)
    await ap.get_by_role("button", name="Add observer").click()
    trainee = ap.locator(f"li[data-user-id='{ids[trainee_email]}']")
    await expect(trainee).to_contain_text("waiting for the mediator's approval")
    await trainee.get_by_role("button", name="Approve observer").click()
    await expect(trainee.get_by_role("button", name="Approve observer")).to_have_count(0)
    await expect(trainee).not_to_contain_text("waiting for")
    await ap.goto(f"{server.url}/#/admin/cases")

    # The fee is waived; the filing party is told and sees it on the case.
    await ap.get_by_role("tab", name="All cases").click()
    await ap.get_by_label("Kind", exact=True).select_option("community")
    await ap.get_by_label("Party name").fill(d_name)
    await ap.get_by_role("button", name="Search").click()
    await expect(ap.locator("#case-list")).to_have_attribute("aria-busy", "false")
    line = ap.locator(f"tr[data-case-id='{case_id}']")
    await expect(line).to_contain_text(f"Nina {tag}")
    fee = line.get_by_label(f"Fee for case #{case_id}")
    await fee.select_option("waived")
    await expect(fee).to_have_value("waived")
    await line.get_by_role("button", name="Save fee").click()
    await expect(line.get_by_text("the filing party has been told")).to_be_visible()
    assert "Fee review for your mediation" in _mail_subjects(server, p_email)
    await pp.goto(f"{server.url}/#/cases/{case_id}")
    await expect(pp.locator("#fee-status")).to_have_text("Waived: nothing to pay")

    # The audit log: names, roles, dates in the centre's zone; the CSV follows the filters.
    await ap.get_by_role("tab", name="Audit log").click()
    await ap.get_by_label("Case", exact=True).fill(str(case_id))
    await ap.get_by_role("button", name="Search").click()
    await expect(ap.locator("#audit-list")).to_have_attribute("aria-busy", "false")
    override = ap.locator("#audit-list tr", has_text="case.conflict_override")
    await expect(override).to_contain_text(f"Boss {tag} (Administrator)")
    await expect(override).to_contain_text(day(0)[:4])
    assert f"case_id={case_id}" in (await ap.locator("#audit-csv").get_attribute("href") or "")
    csv_text = await ap.evaluate(
        "async (h) => (await fetch(h, {credentials: 'same-origin'})).text()",
        await ap.locator("#audit-csv").get_attribute("href"),
    )
    assert "case.fee_reviewed" in csv_text and "Both parties asked" not in csv_text

    # The figures page: charts, and the numbers on screen are the API's (read at the same time).
    await ap.get_by_role("tab", name="Figures").click()
    await expect(ap.locator("svg.chart[role=img]").first).to_be_visible()
    await expect(ap.locator("table.figures").first).to_be_visible()
    await _tabs_do_not_overlap(ap)
    figures = await call(ap, "GET", "/api/admin/metrics")
    await expect(ap.get_by_text(f"Cases filed: {_shown(figures['cases'])}")).to_be_visible()
    await expect(ap.get_by_text(f"Closed cases: {_shown(figures['closed'])}")).to_be_visible()
    outcome_table = ap.locator("table.figures", has=ap.locator("caption", has_text="How closed"))
    for o in figures["outcomes"]:
        row = outcome_table.locator("tr", has=ap.locator("th", has_text=OUTCOME[o["outcome"]]))
        await expect(row.locator("td").first).to_have_text(_shown(o["cases"]))
    load = ap.locator("table.figures", has=ap.locator("caption", has_text="Mediator load"))
    await expect(load.locator("tr", has_text="Mediators with cases").locator("td")).to_have_text(
        str(figures["mediator_load"]["mediators"])
    )
    # And the CSV export says the same.
    figures_csv = await ap.evaluate(
        "async (h) => (await fetch(h, {credentials: 'same-origin'})).text()",
        await ap.get_by_role("link", name="Download as CSV").get_attribute("href"),
    )
    total = figures["cases"]
    assert f"cases,all,cases,{SUPPRESSED if total is None else total}" in figures_csv
    assert (
        f"outcomes,closed,cases,{SUPPRESSED if figures['closed'] is None else figures['closed']}"
        in figures_csv
    )
    assert d_name not in figures_csv and p_email not in figures_csv

    # Disabling her logs her out; enabling lets her back in.
    await ap.get_by_role("tab", name="Staff").click()
    row = ap.locator(f"tr[data-user-id='{nina_id}']")
    ap.once("dialog", lambda d: d.accept())
    await row.get_by_role("button", name="Disable").click()
    await expect(row.locator(".account-status")).to_have_text("Disabled")
    await np_.reload()
    await expect(np_.get_by_role("link", name="Log in")).to_be_visible()
    await row.get_by_role("button", name="Enable").click()
    await expect(row.locator(".account-status")).to_have_text("Active")
    await no_horizontal_scroll(ap)
    assert console.errors == []


async def test_opting_out_asks_once_and_the_agreement_tab_says_mediation_ended(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"op-{tag}@example.org", f"od-{tag}@example.org"
    seed_users(server, [(p_email, f"Olga {tag}", ""), (d_email, f"Oscar {tag}", "")])
    _, pp = await person(browser, console, PHONE)
    await log_in(pp, server, p_email, STAFF_PASSWORD)
    await expect(pp.get_by_role("button", name="Log out")).to_be_visible()
    body = {"kind": "community", "side": "plaintiff", "description": "Noise at night.",
            "other_name": f"Oscar {tag}", "other_email": d_email}  # fmt: skip
    case_id = (await call(pp, "POST", "/api/cases", body))["id"]

    await pp.goto(f"{server.url}/#/cases/{case_id}")
    await pp.locator("details.optout summary").click()
    await pp.get_by_role("button", name="Stop mediation").click()
    await expect(pp.get_by_text("This ends mediation for everyone")).to_be_visible()
    await pp.get_by_role("button", name="Go back").click()  # changed their mind: nothing sent
    assert (await call(pp, "GET", f"/api/cases/{case_id}"))["status"] == "invited"
    await pp.get_by_role("button", name="Stop mediation").click()
    await pp.get_by_role("button", name="Yes, stop mediation").click()
    await expect(pp.locator("#case-status")).to_have_text("Closed: mediation stopped")
    await pp.get_by_role("tab", name="Agreement").click()
    await expect(pp.get_by_text("Mediation ended: it was stopped")).to_be_visible()
    assert console.errors == []


async def test_the_signers_page_stops_saying_ready_to_sign_once_they_signed(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"sp-{tag}@example.org", f"sd-{tag}@example.org"
    p_name, d_name = f"Sam {tag}", f"Sol {tag}"
    seed_users(server, [(p_email, p_name, ""), (d_email, d_name, "")])
    pages = []
    for email in (p_email, d_email, staff.mediator_email, staff.admin_email):
        _, page = await person(browser, console, PHONE)
        await log_in(page, server, email, STAFF_PASSWORD)
        await expect(page.get_by_role("button", name="Log out")).to_be_visible()
        pages.append(page)
    pp, dp, mp, ap = pages
    version = (await call(pp, "GET", "/api/agreement-to-mediate"))["version"]
    body = {"kind": "community", "side": "plaintiff", "description": "A hedge.",
            "other_name": d_name, "other_email": d_email}  # fmt: skip
    case_id = (await call(pp, "POST", "/api/cases", body))["id"]
    await call(pp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(dp, "POST", f"/api/invitations/{server.link_token(d_email, 'invite')}/accept")
    await call(dp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(ap, "POST", f"/api/admin/cases/{case_id}/assign", {"mediator_id": staff.mediator_id})
    terms = [{"kind": "free_text", "text": "Trim the hedge to 2 metres."}]
    offer = await call(pp, "POST", f"/api/cases/{case_id}/offers", {"terms": terms})
    await call(dp, "POST", f"/api/offers/{offer['id']}/accept")
    agreement = await call(mp, "GET", f"/api/cases/{case_id}/agreement")
    await call(mp, "POST", f"/api/agreements/{agreement['id']}/send")

    await pp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    status = pp.locator("[data-status=out_for_signature]")
    await expect(status).to_contain_text("Ready to sign")
    form = pp.locator("form.sign")
    await form.get_by_label("I consent to sign this agreement electronically").check()
    await form.get_by_label("Your password").fill(STAFF_PASSWORD)
    await form.get_by_label("Type your full name").fill(p_name)
    await form.get_by_role("button", name="I agree to be bound by this agreement").click()
    await expect(status).to_contain_text("You signed. Waiting for the other signatures")
    await expect(status).not_to_contain_text("Ready to sign")
    await mp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await expect(mp.locator("[data-status=out_for_signature]")).to_contain_text("waiting for")


async def test_confirming_the_email_in_another_tab_leads_back_to_the_invitation(
    browser: Browser, server: Server, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, invitee = f"ip-{tag}@example.org", f"iv-{tag}@example.org"
    seed_users(server, [(p_email, f"Ines {tag}", "")])
    _, pp = await person(browser, console, PHONE)
    await log_in(pp, server, p_email, STAFF_PASSWORD)
    await expect(pp.get_by_role("button", name="Log out")).to_be_visible()
    body = {"kind": "community", "side": "plaintiff", "description": "A parking space.",
            "other_name": f"Ivo {tag}", "other_email": invitee}  # fmt: skip
    await call(pp, "POST", "/api/cases", body)
    token = server.link_token(invitee, "invite")

    context, first = await person(browser, console, PHONE)
    await first.goto(f"{server.url}/#/invite/{token}")
    await first.get_by_role("link", name="Create an account").click()
    await expect(first.get_by_role("button", name="Create account")).to_be_visible()
    await first.get_by_label("Email").fill(invitee)
    await first.get_by_label("Your name").fill(f"Ivo {tag}")
    await first.get_by_label("Password").fill("ivo's long password")
    await first.get_by_role("button", name="Create account").click()
    await expect(first.get_by_role("heading", name="Check your email")).to_be_visible()

    # The emailed link opens in a new tab: it leads to the invitation, not to an empty list.
    second = await context.new_page()
    console.watch(second)
    await second.goto(f"{server.url}/#/verify/{server.link_token(invitee, 'verify')}")
    await expect(second.get_by_role("heading", name="Email confirmed")).to_be_visible()
    await log_in(second, server, invitee, "ivo's long password")
    await expect(second.get_by_role("button", name="Accept and join")).to_be_visible()
    await second.goto(f"{server.url}/#/cases")
    await expect(second.locator("#pending-invitation")).to_be_visible()
    await second.get_by_role("link", name="Open the invitation").click()
    await second.get_by_role("button", name="Accept and join").click()
    await expect(second.get_by_role("tab", name="Agreement")).to_be_visible()
    await second.goto(f"{server.url}/#/cases")
    await expect(second.locator("#pending-invitation")).to_have_count(0)


async def test_my_cases_lists_invitations_to_my_confirmed_address_on_another_device(
    browser: Browser, server: Server, console: Console
) -> None:
    """No kept link at all (another browser): My cases asks the server for the invitations
    sent to the confirmed address, and one is answered from there."""
    tag = uuid.uuid4().hex[:6]
    p_email, invitee = f"jp-{tag}@example.org", f"jv-{tag}@example.org"
    seed_users(server, [(p_email, f"Juno {tag}", "")])
    _, pp = await person(browser, console, PHONE)
    await log_in(pp, server, p_email, STAFF_PASSWORD)
    await expect(pp.get_by_role("button", name="Log out")).to_be_visible()
    body = {"kind": "community", "side": "plaintiff", "description": "A shared wall.",
            "other_name": f"Jo {tag}", "other_email": invitee}  # fmt: skip
    case_id = (await call(pp, "POST", "/api/cases", body))["id"]

    # The invitee registers on the site (not from the emailed link), in one browser...
    _, first = await person(browser, console, PHONE)
    await first.goto(f"{server.url}/#/register")
    await first.get_by_label("Email").fill(invitee)
    await first.get_by_label("Your name").fill(f"Jo {tag}")
    await first.get_by_label("Password").fill("jo's long password")
    await first.get_by_role("button", name="Create account").click()
    await expect(first.get_by_role("heading", name="Check your email")).to_be_visible()
    # ...and confirms the address and logs in on another device: nothing kept in its storage.
    _, other = await person(browser, console, PHONE)
    await other.goto(f"{server.url}/#/verify/{server.link_token(invitee, 'verify')}")
    await expect(other.get_by_role("heading", name="Email confirmed")).to_be_visible()
    await log_in(other, server, invitee, "jo's long password")
    await other.goto(f"{server.url}/#/cases")
    waiting = other.locator("#pending-invitation")
    await expect(waiting.get_by_role("heading")).to_have_text("Invitations waiting for your answer")
    await expect(waiting.locator("li")).to_have_count(1)
    await expect(waiting.locator("li")).to_contain_text(f"Juno {tag} invited you to a mediation")
    await expect(other.get_by_text("You have no cases yet", exact=False)).to_be_visible()
    await waiting.get_by_role("link", name="Open the invitation").click()
    await other.get_by_role("button", name="Accept and join").click()
    await expect(other.get_by_role("tab", name="Agreement")).to_be_visible()
    assert f"/cases/{case_id}" in other.url
    await other.goto(f"{server.url}/#/cases")
    await expect(other.locator(f"li.card[data-case-id='{case_id}']")).to_be_visible()
    await expect(other.locator("#pending-invitation")).to_have_count(0)
    assert (await call(other, "GET", "/api/me/invitations")) == {"invitations": []}
