"""Safety in real browsers, on a phone: a civil harassment case where each party answers the
confidential screening before the agreement to mediate, the admin queue and the mediator see the
flag and the answers, the other side never sees them, and "Need help" in a room tells the
mediator and says what happens next (and to call 911 in danger)."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, expect

from tests.static.conftest import (
    BROWSER,
    PASSWORD,
    PHONE,
    Console,
    Server,
    Staff,
    no_horizontal_scroll,
    screenshot,
)
from tests.static.flow import (
    accept_agreement_to_mediate,
    assign_mediator,
    offer_card,
    person,
    sign,
    staff_log_in,
)
from tests.static.test_auth import log_in, sign_up

pytestmark = BROWSER


async def answer(page: Page, answers: dict[str, str], note: str = "") -> None:
    """Fill the screening form: each question's group, then the choice's label."""
    form = page.locator("#screening-form")
    for question, choice in answers.items():
        group = form.get_by_role("group", name=question)
        await group.get_by_label(choice, exact=True).check()
    if note:
        await form.get_by_label("Anything else the mediator should know (optional)").fill(note)
    await form.get_by_role("button", name="Save my answers").click()
    await expect(page.locator("#screening-done")).to_be_visible()


async def join_as(page: Page, server: Server, email: str, name: str) -> None:
    """The invited side follows the emailed link, registers, confirms, logs in and joins."""
    await page.goto(f"{server.url}/#/invite/{server.link_token(email, 'invite')}")
    await page.get_by_role("link", name="Create an account").click()
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    await page.goto(f"{server.url}/#/verify/{server.link_token(email, 'verify')}")
    await expect(page.get_by_role("heading", name="Email confirmed")).to_be_visible()
    await log_in(page, server, email)
    await page.get_by_role("button", name="Accept and join").click()


ORDER = (
    "Is there a restraining order or protective order between you and the other side, or has "
    "one been asked for?"
)
AFRAID = "Are you afraid for your safety, or has the other side hurt or threatened you?"
SUPPORT = "Would you like a support person with you during mediation?"
ACCOMMODATION = (
    "Do you need an accommodation, such as an interpreter, more time or help because of a "
    "disability?"
)


async def test_screening_on_a_phone_and_need_help_in_a_room(
    browser: object, server: Server, staff: Staff, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"pia-{tag}@example.org", f"dan-{tag}@example.org"
    p_name, d_name = f"Pia {tag}", f"Dan {tag}"
    number = f"24CH{tag.upper()}"
    note = f"He waits outside my work {tag}"

    # The petitioner opens a civil harassment case: the safety questions come first.
    pctx, pp = await person(browser, console, PHONE)  # type: ignore[arg-type]
    await sign_up(pp, server, p_email, p_name)
    await log_in(pp, server, p_email)
    await pp.get_by_role("link", name="Start a new case").click()
    await pp.get_by_label("Kind of case").select_option("civil_harassment")
    await pp.get_by_label("Court", exact=True).fill("Stanley Mosk Courthouse")
    await pp.get_by_label("Court case number").fill(number)
    await pp.get_by_label("What is the dispute about?").fill("He keeps coming to my door.")
    await pp.get_by_label("The other side's name").fill(d_name)
    await pp.get_by_label("The other side's email").fill(d_email)
    await pp.get_by_role("button", name="Open case and invite").click()
    await expect(pp.get_by_role("heading", name="Safety questions")).to_be_visible()
    case_id = int(re.search(r"#/cases/(\d+)", pp.url).group(1))  # type: ignore[union-attr]
    # No agreement to mediate before the answers.
    await expect(pp.get_by_label("I have read the agreement to mediate")).to_have_count(0)
    await expect(pp.get_by_text("If you are in danger right now, call 911.").first).to_be_visible()
    await no_horizontal_scroll(pp)
    await screenshot(pp, "safety-screening-phone")
    await pp.locator("#screening-form").get_by_role("button", name="Save my answers").click()
    await expect(pp.get_by_text("Please answer each question.")).to_be_visible()
    await answer(pp, {ORDER: "Not sure", AFRAID: "Yes", SUPPORT: "Yes", ACCOMMODATION: "No"}, note)
    await accept_agreement_to_mediate(pp)

    # The respondent joins and answers too.
    dctx, dp = await person(browser, console, PHONE)  # type: ignore[arg-type]
    await join_as(dp, server, d_email, d_name)
    await expect(dp.get_by_role("heading", name="Safety questions")).to_be_visible()
    await answer(dp, {ORDER: "No", AFRAID: "No", SUPPORT: "No", ACCOMMODATION: "No"})
    await accept_agreement_to_mediate(dp)

    # CCR administration sees the flag in the queue, assigns; the mediator reads the answers.
    actx, ap = await person(browser, console, PHONE)  # type: ignore[arg-type]
    await staff_log_in(ap, server, staff.admin_email)
    await ap.get_by_role("tab", name="Waiting for a mediator").click()
    card = ap.locator(f"li[data-case-id='{case_id}']")
    await expect(card.locator(".safety-chip")).to_have_text("Safety")
    await expect(card).not_to_contain_text(note)
    await assign_mediator(ap, staff, case_id)
    mctx, mp = await person(browser, console, PHONE)  # type: ignore[arg-type]
    await staff_log_in(mp, server, staff.mediator_email)
    await mp.goto(f"{server.url}/#/cases/{case_id}/case")
    await expect(mp.locator("#safety-flag")).to_be_visible()
    await expect(mp.locator("#safety-box li[data-side='plaintiff']")).to_contain_text(note)

    # "Need help" in the petitioner's private room: what happens next, and 911.
    await pp.goto(f"{server.url}/#/cases/{case_id}/conversations")
    await pp.get_by_role("tab", name=re.compile(r"\+ Mediator")).click()
    await pp.get_by_role("button", name="Need help").click()
    await pp.get_by_role("button", name="Tell the mediator").click()
    await expect(pp.get_by_text("Please choose what kind of help you need.")).to_be_visible()
    await pp.get_by_label("I feel unsafe").check()
    await pp.get_by_role("button", name="Tell the mediator").click()
    await expect(pp.get_by_text("Your request for help was sent.")).to_be_visible()
    await expect(
        pp.get_by_text("The other side is not told that you asked for help.")
    ).to_be_visible()
    await expect(pp.locator(".help-panel [role=status]").get_by_text("call 911")).to_be_visible()
    await expect(pp.get_by_text("A request for help was sent to the mediator.")).to_be_visible()
    await no_horizontal_scroll(pp)
    await screenshot(pp, "safety-help-phone")

    # The mediator sees the request open on the case page (loaded again) and marks it handled.
    await mp.reload()
    request = mp.locator("#safety-box li.help-request")
    await expect(request).to_have_count(1)
    await expect(request).to_contain_text(f"{p_name} (Petitioner)")
    await expect(request).to_contain_text("Feels unsafe")
    await expect(request.locator(".help-status")).to_have_text("Open")
    await request.get_by_role("button", name="Mark as handled").click()
    await expect(request.locator(".help-status")).to_have_text(
        re.compile(f"^Handled by {re.escape(staff.mediator_name)} on ")
    )
    await expect(request.get_by_role("button", name="Mark as handled")).to_have_count(0)
    await expect(mp.locator("#safety-box")).not_to_contain_text("still open")

    # The respondent saw neither the petitioner's answers nor the help request.
    await dp.goto(f"{server.url}/#/cases/{case_id}/case")
    await expect(dp.get_by_role("heading", name="Safety questions")).to_be_visible()
    seen = " ".join(await dp.evaluate("window.__seen"))
    assert note not in seen and "A request for help" not in seen
    assert p_email not in seen
    for ctx in (pctx, dctx, actx, mctx):
        await ctx.close()


# Caucus-only mode is the room control's (odrchat/control, issue 16's other half).
async def test_a_flagged_civil_harassment_case_runs_in_caucus_to_a_signed_agreement(
    browser: object, server: Server, staff: Staff, console: Console
) -> None:
    """Issue 16's done-when: the screening flags, the joint room opens in caucus-only mode (the
    parties read it, never write in it), the mediator proposes terms there, both parties accept
    and sign, and the case is settled."""
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"pia-{tag}@example.org", f"dan-{tag}@example.org"
    p_name, d_name = f"Pia {tag}", f"Dan {tag}"
    number = f"24CH{tag.upper()}"
    pctx, pp = await person(browser, console, PHONE)  # type: ignore[arg-type]
    await sign_up(pp, server, p_email, p_name)
    await log_in(pp, server, p_email)
    await pp.get_by_role("link", name="Start a new case").click()
    await pp.get_by_label("Kind of case").select_option("civil_harassment")
    await pp.get_by_label("Court", exact=True).fill("Stanley Mosk Courthouse")
    await pp.get_by_label("Court case number").fill(number)
    await pp.get_by_label("What is the dispute about?").fill("He keeps coming to my door.")
    await pp.get_by_label("The other side's name").fill(d_name)
    await pp.get_by_label("The other side's email").fill(d_email)
    await pp.get_by_role("button", name="Open case and invite").click()
    await expect(pp.get_by_role("heading", name="Safety questions")).to_be_visible()
    case_id = int(re.search(r"#/cases/(\d+)", pp.url).group(1))  # type: ignore[union-attr]
    await answer(pp, {ORDER: "Yes", AFRAID: "Yes", SUPPORT: "No", ACCOMMODATION: "No"})
    await accept_agreement_to_mediate(pp)
    dctx, dp = await person(browser, console, PHONE)  # type: ignore[arg-type]
    await join_as(dp, server, d_email, d_name)
    await answer(dp, {ORDER: "Yes", AFRAID: "No", SUPPORT: "No", ACCOMMODATION: "No"})
    await accept_agreement_to_mediate(dp)
    actx, ap = await person(browser, console, PHONE)  # type: ignore[arg-type]
    await staff_log_in(ap, server, staff.admin_email)
    await assign_mediator(ap, staff, case_id)

    # The joint room is read-only for both parties from the start; the mediator sees why.
    mctx, mp = await person(browser, console, PHONE)  # type: ignore[arg-type]
    await staff_log_in(mp, server, staff.mediator_email)
    await mp.goto(f"{server.url}/#/cases/{case_id}/conversations")
    await expect(mp.get_by_text("Separate meetings: the mediator talks").first).to_be_visible()
    for page in (pp, dp):
        await page.goto(f"{server.url}/#/cases/{case_id}/conversations")
        await page.get_by_role("tab", name="Joint").click()
        await expect(page.locator("section.chat .readonly")).to_contain_text(
            "The mediator is meeting each side separately."
        )
        await expect(page.locator("section.chat form.composer")).to_be_hidden()

    # The mediator proposes the terms; each party accepts; the agreement is signed.
    await mp.get_by_role("button", name="Make a mediator's proposal").click()
    form = mp.locator("form.offer-composer")
    await form.get_by_label("What kind of term?").select_option("free_text")
    await form.get_by_label("The term, in your own words").fill("Each stays 100 yards away.")
    await form.get_by_role("button", name="Send proposal").click()
    # The respondent opens the confirm step first; the petitioner's acceptance then redraws the
    # respondent's card, and the open step stays where it was (it used to vanish under them).
    dcard = offer_card(dp, "Mediator's proposal")
    await dcard.get_by_role("button", name="Accept").click()
    pcard = offer_card(pp, "Mediator's proposal")
    await pcard.get_by_role("button", name="Accept").click()
    await pcard.get_by_role("button", name="Yes, accept these terms").click()
    await expect(pcard.locator(".offer-status")).to_contain_text("Petitioner")
    await expect(dcard.locator(".offer-status")).to_contain_text("Petitioner")
    await dcard.get_by_role("button", name="Yes, accept these terms").click()
    await mp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await mp.get_by_role("button", name="Send for signature").click()
    for page, name in ((pp, p_name), (dp, d_name)):
        await page.goto(f"{server.url}/#/cases/{case_id}/agreement")
        await expect(page.locator("[data-status=out_for_signature]")).to_be_visible()
        await sign(page, name, PASSWORD)
    for page in (pp, dp):
        await expect(page.locator("#case-status")).to_have_text("Closed: settled")
    for ctx in (pctx, dctx, actx, mctx):
        await ctx.close()
