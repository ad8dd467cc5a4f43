"""Issue 17's done-when, from an empty install: a fresh `odrchat serve` on its own empty SQLite
file; the operator creates the first administrator with the CLI, as the README says; then in
Chromium the new admin invites mediators (one chooses her password from the emailed link), sets
availability, a day off and a conflict; a party files a community case through the intake form
and the other side joins from the emailed invitation; the admin waives the fee, sees the
conflict warning when picking the conflicted mediator and assigns another, and adds an observer
whom the mediator approves; the case is mediated to an accepted offer and an agreement both
parties sign; the admin reads the Figures tab's charts and downloads the CSV. axe runs on every
page on the way and none may have a serious or critical finding.

It starts its own server (not the session's shared one, which already has seeded staff), so it
is marked slow as well as browser, and the whole walk is bounded by one timeout."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.static.axe import axe_source, describe, violations
from tests.static.conftest import (
    BROWSER,
    PASSWORD,
    PHONE,
    STAFF_PASSWORD,
    Console,
    Server,
    running_server,
)
from tests.static.flow import (
    accept_agreement_to_mediate,
    call,
    day,
    messages,
    offer_card,
    person,
    say,
    sign,
)
from tests.static.test_auth import log_in, sign_up

pytestmark = [*BROWSER, pytest.mark.slow]

DESKTOP = {"width": 1280, "height": 800}
WALK_SECONDS = 420  # the walk takes about a minute; this only stops a hang
ADMIN, ADMIN_NAME = "ada@centre.example.org", "Ada Admin"
NINA, NINA_NAME = "nina@centre.example.org", "Nina Mediator"
OMAR, OMAR_NAME = "omar@centre.example.org", "Omar Mediator"
TIA, TIA_NAME = "tia@centre.example.org", "Tia Trainee"
FILER, FILER_NAME = "pat@example.org", "Pat Filer"
OTHER, OTHER_NAME = "dora@example.org", "Dora Neighbour"


class Axe:
    """axe-core on each page as it is shown; every finding is kept so one run lists them all."""

    def __init__(self) -> None:
        self.pages: list[str] = []
        self.findings: list[str] = []

    async def check(self, page: Page, where: str) -> None:
        self.pages.append(where)
        found = await violations(page)
        if found:
            self.findings.append(describe(where, found))


def _count(server: Server, table: str) -> int:
    with sqlite3.connect(server.db_path) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


async def _user_id(ap: Page, email: str) -> int:
    row = ap.locator("tr", has_text=email)
    await expect(row).to_have_count(1)
    return int(await row.get_attribute("data-user-id") or 0)


async def test_a_new_admin_runs_the_centre_from_an_empty_install(
    browser: Browser, console: Console, tmp_path: Path
) -> None:
    axe_source()  # skip (or fail under CI) before starting when axe-core is missing
    with running_server(tmp_path) as server:
        async with asyncio.timeout(WALK_SECONDS):
            await _walk(browser, console, server)


async def _walk(browser: Browser, console: Console, server: Server) -> None:
    axe = Axe()
    # An empty install: no account, no case.
    assert _count(server, "users") == 0 and _count(server, "cases") == 0
    server.create_staff("admin", ADMIN, ADMIN_NAME)  # `odrchat user create --role admin`

    # -- the admin's first login; an empty queue ---------------------------------------------
    _, ap = await person(browser, console, DESKTOP)
    await log_in(ap, server, ADMIN, STAFF_PASSWORD)
    await expect(ap.get_by_role("button", name="Log out")).to_be_visible()
    await ap.goto(f"{server.url}/#/admin")
    await expect(ap.get_by_text("No case is waiting for a mediator.")).to_be_visible()
    await axe.check(ap, "admin: empty queue")
    await ap.get_by_role("tab", name="Mediators").click()
    await expect(ap.get_by_text("There is no mediator yet.")).to_be_visible()

    # -- invite three mediators; Nina chooses her own password from the emailed link ---------
    await ap.get_by_role("tab", name="Staff").click()
    for email, name in ((NINA, NINA_NAME), (OMAR, OMAR_NAME), (TIA, TIA_NAME)):
        await ap.get_by_label("Name", exact=True).fill(name)
        await ap.get_by_label("Email address").fill(email)
        await ap.get_by_role("button", name="Send invitation").click()
        await expect(ap.get_by_text(f"Invitation sent to {email}.")).to_be_visible()
        row = ap.locator("tr", has_text=email)
        await expect(row.locator(".account-status")).to_have_text("Invited: no password chosen yet")
    await axe.check(ap, "admin: staff")
    nina_id, omar_id, tia_id = [await _user_id(ap, e) for e in (NINA, OMAR, TIA)]

    _, np_ = await person(browser, console, PHONE)
    await np_.goto(f"{server.url}/#/reset/{server.link_token(NINA, 'reset')}")
    await expect(np_.get_by_label("New password")).to_be_visible()
    await axe.check(np_, "mediator: choose a password")
    await np_.get_by_label("New password").fill("nina's own password")
    await np_.get_by_role("button", name="Set password").click()
    await expect(np_.get_by_role("heading", name="Password changed")).to_be_visible()
    await log_in(np_, server, NINA, "nina's own password")
    await expect(np_.get_by_role("link", name="Dashboard")).to_be_visible()
    await axe.check(np_, "mediator: dashboard")
    await ap.reload()
    await expect(ap.locator(f"tr[data-user-id='{nina_id}'] .account-status")).to_have_text("Active")

    # -- availability: Nina's profile and a day off; Tia, in training, takes no cases --------
    await ap.get_by_role("tab", name="Mediators").click()
    nina = ap.locator(f"li[data-mediator-id='{nina_id}']")
    await nina.get_by_label("Languages spoken").fill("en, es")
    await nina.get_by_label("Community mediation").check()
    await nina.get_by_role("button", name="Save profile").click()
    await expect(nina.get_by_text("Saved.")).to_be_visible()
    await nina.get_by_label("Day off").fill(day(1))
    await nina.get_by_role("button", name="Add day off").click()
    await expect(ap.locator(f"li[data-mediator-id='{nina_id}'] .days-off li")).to_have_count(1)
    tia = ap.locator(f"li[data-mediator-id='{tia_id}']")
    async with ap.expect_response(f"**/api/admin/mediators/{tia_id}/availability") as saved:
        await tia.get_by_label("Taking new cases").uncheck()
    assert (await saved.value).ok
    # A conflict: Omar knows the responding party (recorded by name, as an intake worker hears it).
    await ap.get_by_label("Mediator", exact=True).last.select_option(str(omar_id))
    await ap.get_by_label("Person's name").fill(OTHER_NAME.upper())
    await ap.get_by_label("Note", exact=True).fill("Same street")
    await ap.get_by_role("button", name="Record conflict").click()
    await expect(ap.locator("#conflicts tr", has_text=OTHER_NAME.upper())).to_be_visible()
    await ap.reload()
    await expect(ap.locator(f"#avail-{tia_id}")).not_to_be_checked()
    await expect(ap.locator(f"#avail-{nina_id}")).to_be_checked()
    await axe.check(ap, "admin: mediators")

    # -- a party signs up and files a community case through the intake form ------------------
    _, pp = await person(browser, console, PHONE)
    await pp.goto(f"{server.url}/#/register")
    await expect(pp.get_by_role("button", name="Create account")).to_be_visible()
    await axe.check(pp, "party: register")
    await sign_up(pp, server, FILER, FILER_NAME)
    await axe.check(pp, "party: email confirmed")
    await log_in(pp, server, FILER)
    await expect(pp.get_by_role("heading", name="My cases")).to_be_visible()
    await axe.check(pp, "party: my cases, none yet")
    await pp.get_by_role("link", name="Start a new case").click()
    await pp.get_by_label("Kind of case").select_option("community")
    await expect(pp.get_by_label("Court case number")).to_be_hidden()
    await axe.check(pp, "party: intake form")
    await pp.get_by_label("What is the dispute about?").fill("The hedge between our gardens.")
    await pp.get_by_label("The other side's name").fill(OTHER_NAME)
    await pp.get_by_label("The other side's email").fill(OTHER)
    await pp.get_by_role("button", name="Open case and invite").click()
    await expect(pp.locator("#case-status")).to_be_visible()
    case_id = int(re.search(r"#/cases/(\d+)", pp.url).group(1))  # type: ignore[union-attr]
    await expect(pp.locator("#fee-status")).to_have_text("Being reviewed by the centre")
    await axe.check(pp, "party: new case")
    await accept_agreement_to_mediate(pp)

    # -- the other side follows the emailed invitation, signs up and joins --------------------
    _, dp = await person(browser, console, PHONE)
    await dp.goto(f"{server.url}/#/invite/{server.link_token(OTHER, 'invite')}")
    await expect(
        dp.get_by_role("heading", name=f"{FILER_NAME} invites you to try mediation")
    ).to_be_visible()
    await axe.check(dp, "other side: invitation")
    await dp.get_by_role("link", name="Create an account").click()
    await dp.get_by_label("Email").fill(OTHER)
    await dp.get_by_label("Your name").fill(OTHER_NAME)
    await dp.get_by_label("Password").fill(PASSWORD)
    await dp.get_by_role("button", name="Create account").click()
    await expect(dp.get_by_role("heading", name="Check your email")).to_be_visible()
    await dp.goto(f"{server.url}/#/verify/{server.link_token(OTHER, 'verify')}")
    await expect(dp.get_by_role("heading", name="Email confirmed")).to_be_visible()
    await log_in(dp, server, OTHER)
    await dp.get_by_role("button", name="Accept and join").click()
    await expect(dp.get_by_role("tab", name="Agreement")).to_be_visible()
    await axe.check(dp, "other side: case")
    await accept_agreement_to_mediate(dp)

    # -- the admin waives the fee; the filing party is told ----------------------------------
    await ap.get_by_role("tab", name="All cases").click()
    await ap.get_by_label("Kind", exact=True).select_option("community")
    await ap.get_by_role("button", name="Search").click()
    await expect(ap.locator("#case-list")).to_have_attribute("aria-busy", "false")
    line = ap.locator(f"tr[data-case-id='{case_id}']")
    await expect(line).to_contain_text("Waiting for a mediator")
    await line.get_by_label(f"Fee for case #{case_id}").select_option("waived")
    await line.get_by_role("button", name="Save fee").click()
    await expect(line.get_by_text("the filing party has been told")).to_be_visible()
    await axe.check(ap, "admin: all cases")
    assert "Fee review for your mediation" in server.subjects(FILER)
    await pp.reload()
    await expect(pp.locator("#fee-status")).to_have_text("Waived: nothing to pay")

    # -- the queue: the conflict is shown; picking Omar is refused, Nina is assigned ---------
    await ap.get_by_role("tab", name="Waiting for a mediator").click()
    card = ap.locator(f"li[data-case-id='{case_id}']")
    await expect(card.locator(".conflicts")).to_contain_text(OMAR_NAME)
    await expect(card).to_contain_text(f"Suggested: {NINA_NAME}")
    await axe.check(ap, "admin: queue with a conflict")
    pick = card.get_by_label("Mediator", exact=True)
    await pick.select_option(str(omar_id))
    await card.get_by_role("button", name="Assign").click()
    await expect(card.get_by_text("A conflict of interest is recorded")).to_be_visible()
    await expect(card.get_by_role("button", name="Assign anyway")).to_be_visible()
    await axe.check(ap, "admin: conflict warning")
    await pick.select_option(str(nina_id))  # another mediator: no override, no reason asked
    await expect(card.get_by_label("Reason to assign despite the conflict")).to_be_hidden()
    await card.get_by_role("button", name="Assign", exact=True).click()
    await expect(card).to_have_count(0)
    detail = await call(ap, "GET", f"/api/cases/{case_id}")
    assert detail["status"] == "in_mediation"
    seats = {p["user_id"]: p["role"] for p in detail["participants"]}
    assert seats[nina_id] == "mediator" and omar_id not in seats

    # -- an observer: the admin adds Tia from the case page, the mediator approves her --------
    await ap.goto(f"{server.url}/#/cases/{case_id}")
    await ap.get_by_text("Add an observer").click()
    await ap.get_by_label("Their email address (a mediator account)").fill(TIA)
    await ap.get_by_role("button", name="Add observer").click()
    trainee = ap.locator(f"li[data-user-id='{tia_id}']")
    await expect(trainee).to_contain_text("waiting for the mediator's approval")
    await axe.check(ap, "admin: case page")
    await np_.goto(f"{server.url}/#/cases/{case_id}")
    observer = np_.locator(f"li[data-user-id='{tia_id}']")
    await observer.get_by_role("button", name="Approve observer").click()
    await expect(observer.get_by_role("button", name="Approve observer")).to_have_count(0)
    await expect(observer).not_to_contain_text("waiting for")
    await axe.check(np_, "mediator: case page")

    # -- mediation: a welcome, an offer, its acceptance ---------------------------------------
    await np_.goto(f"{server.url}/#/cases/{case_id}/conversations")
    await expect(np_.locator("section.chat textarea")).to_be_visible()
    await say(np_, "Welcome both. I am your mediator.")
    await expect(messages(np_, "Welcome both")).to_have_count(1)
    await axe.check(np_, "mediator: conversations")
    for page in (pp, dp):
        await page.goto(f"{server.url}/#/cases/{case_id}/conversations")
        await expect(messages(page, "Welcome both")).to_have_count(1)
    await pp.get_by_role("button", name="Make an offer").click()
    composer = pp.locator("form.offer-composer")
    await composer.get_by_label("What kind of term?").select_option("free_text")
    await composer.get_by_label("The term, in your own words").fill(
        "Pat trims the hedge to 2 metres by the end of the month."
    )
    await axe.check(pp, "party: offer composer")
    await composer.get_by_role("button", name="Send offer").click()
    await expect(composer).to_have_count(0)
    offer = offer_card(dp, f"Offer from {FILER_NAME}")
    await expect(offer.locator(".offer-status")).to_have_text("Open")
    await axe.check(dp, "other side: an offer")
    await offer.get_by_role("button", name="Accept").click()
    await offer.get_by_role("button", name="Yes, accept these terms").click()
    await expect(offer.locator(".offer-status")).to_have_text("Accepted")

    # -- the agreement: sent for signature, signed by both; the case closes settled ----------
    await np_.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await expect(np_.locator("#agreement-text")).to_contain_text("trims the hedge")
    await axe.check(np_, "mediator: draft agreement")
    await np_.get_by_role("button", name="Send for signature").click()
    await expect(np_.locator("[data-status=out_for_signature]")).to_be_visible()
    for page, name in ((pp, FILER_NAME), (dp, OTHER_NAME)):
        await page.get_by_role("tab", name="Agreement").click()
        await expect(page.locator("[data-status=out_for_signature]")).to_be_visible()
        await axe.check(page, f"{name}: agreement to sign")
        await sign(page, name, PASSWORD)
    for page in (pp, dp):
        await expect(page.locator("[data-status=signed]")).to_be_visible()
        await expect(page.locator(".signatures li")).to_have_count(2)
        await expect(page.locator("#case-status")).to_have_text("Closed: settled")
    await axe.check(pp, "party: signed agreement")

    # -- four more filings, so the figures have counts of 5 or more to publish ----------------
    for n in range(4):
        body = {"kind": "community", "side": "plaintiff", "description": f"Noise, night {n}.",
                "other_name": f"Neighbour {n}", "other_email": f"n{n}@example.org"}  # fmt: skip
        await call(pp, "POST", "/api/cases", body)

    # -- the Figures tab: charts with their tables, and the CSV download ---------------------
    await ap.goto(f"{server.url}/#/admin/figures")
    await expect(ap.get_by_role("tab", name="Figures")).to_have_attribute("aria-selected", "true")
    await expect(ap.locator("svg.chart[role=img]")).to_have_count(6)
    await expect(ap.locator("table.figures").first).to_be_visible()
    await expect(ap.get_by_text("Cases filed: 5")).to_be_visible()
    await expect(ap.get_by_text("Closed cases: fewer than 5")).to_be_visible()
    await axe.check(ap, "admin: figures")
    async with ap.expect_download() as downloading:
        await ap.get_by_role("link", name="Download as CSV").click()
    download = await downloading.value
    assert re.fullmatch(r"odr-figures-start-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    saved_csv = await asyncio.to_thread(Path(await download.path()).read_text)
    lines = saved_csv.splitlines()
    assert lines[0] == "section,group,measure,value"
    assert "cases,all,cases,5" in lines and "cases by kind,community,cases,5" in lines
    assert "outcomes,closed,cases,fewer than 5" in lines
    for secret in (FILER_NAME, OTHER_NAME, FILER, OTHER, NINA_NAME, "hedge"):
        assert secret not in saved_csv

    assert len(axe.pages) >= 20
    assert not axe.findings, "\n".join(axe.findings)
    assert console.errors == []
