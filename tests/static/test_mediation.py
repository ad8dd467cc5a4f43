"""The whole path in real browsers: a small claims case from registration and invitation (each
party asks for an interpreter, and the admin queue and the mediator see it) through
chat in the joint and private rooms (a party drops offline and comes back), an offer, a
counter-offer, acceptance and both signatures, to the signed PDF and the court filing."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Browser, expect

from tests.static.conftest import (
    BROWSER,
    PASSWORD,
    PHONE,
    Console,
    Server,
    Staff,
    docs_screenshot,
    no_horizontal_scroll,
    screenshot,
)
from tests.static.flow import (
    accept_agreement_to_mediate,
    assign_mediator,
    day,
    fetch_pdf,
    make_offer_with_installments,
    messages,
    offer_card,
    person,
    private_tab,
    say,
    sign,
    staff_log_in,
)
from tests.static.test_auth import log_in, sign_up

pytestmark = BROWSER

DESKTOP = {"width": 1280, "height": 800}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone390"])
async def test_small_claims_case_from_invitation_to_signed_agreement(
    browser: Browser, server: Server, staff: Staff, console: Console, viewport: dict[str, int]
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"pat-{tag}@example.org", f"dana-{tag}@example.org"
    p_name, d_name, m_name = f"Pat {tag}", f"Dana {tag}", staff.mediator_name
    number = f"24SC{tag.upper()}"
    phone = viewport == PHONE
    shot = f"flow-{viewport['width']}"

    # The plaintiff signs up and opens the case.
    pctx, pp = await person(browser, console, viewport)
    await sign_up(pp, server, p_email, p_name)
    await log_in(pp, server, p_email)
    await expect(pp.get_by_role("heading", name="My cases")).to_be_visible()
    await pp.get_by_role("link", name="Start a new case").click()
    await pp.get_by_label("Court", exact=True).fill("Stanley Mosk Courthouse")
    await pp.get_by_label("Court case number").fill(number)
    await pp.get_by_label("What is the dispute about?").fill("Unpaid invoice for a fence.")
    await pp.get_by_label("The other side's name").fill(d_name)
    await pp.get_by_label("The other side's email").fill(d_email)
    # Language access: an interpreter needs a language, which may be any language.
    await pp.get_by_label("I need an interpreter").check()
    await pp.get_by_role("button", name="Open case and invite").click()
    await expect(
        pp.get_by_text("Please write the language you need an interpreter for.")
    ).to_be_visible()
    await expect(pp.get_by_label("Language for the interpreter")).to_be_focused()
    await pp.get_by_label("Language for the interpreter").fill("Mixtec")
    await no_horizontal_scroll(pp)
    await pp.get_by_role("button", name="Open case and invite").click()
    await expect(pp.get_by_role("heading", name=f"Small claims {number}")).to_be_visible()
    case_id = int(re.search(r"#/cases/(\d+)", pp.url).group(1))  # type: ignore[union-attr]
    await expect(pp.get_by_text("Asked for an interpreter: Mixtec")).to_be_visible()
    await accept_agreement_to_mediate(pp)
    if phone:
        await screenshot(pp, f"{shot}-case-tab")
    await no_horizontal_scroll(pp)

    # The defendant follows the emailed invitation, registers and joins.
    dctx, dp = await person(browser, console, viewport)
    await dp.goto(f"{server.url}/#/invite/{server.link_token(d_email, 'invite')}")
    await expect(
        dp.get_by_role("heading", name=f"{p_name} invites you to try mediation")
    ).to_be_visible()
    await expect(
        dp.get_by_text("the court does not penalize you", exact=False).first
    ).to_be_attached()
    if phone:
        await screenshot(dp, f"{shot}-invitation")
    await no_horizontal_scroll(dp)
    await dp.get_by_role("link", name="Create an account").click()
    await dp.get_by_label("Email").fill(d_email)
    await dp.get_by_label("Your name").fill(d_name)
    await dp.get_by_label("Password").fill(PASSWORD)
    await dp.get_by_role("button", name="Create account").click()
    await expect(dp.get_by_role("heading", name="Check your email")).to_be_visible()
    await dp.goto(f"{server.url}/#/verify/{server.link_token(d_email, 'verify')}")
    await expect(dp.get_by_role("heading", name="Email confirmed")).to_be_visible()
    await log_in(dp, server, d_email)
    await dp.get_by_label("I need an interpreter").check()
    await dp.get_by_label("Language for the interpreter").fill("Spanish")
    await dp.get_by_role("button", name="Accept and join").click()
    await expect(dp.get_by_role("heading", name=f"Small claims {number}")).to_be_visible()
    await expect(dp.get_by_text("Asked for an interpreter: Spanish")).to_be_visible()
    await accept_agreement_to_mediate(dp)

    # The mediator is already on the dashboard when CCR administration assigns the case: the
    # new rooms arrive over the open socket (rooms.changed), with no reload.
    mctx, mp = await person(browser, console, viewport)
    await staff_log_in(mp, server, staff.mediator_email)
    await expect(mp.get_by_role("heading", name="All conversations")).to_be_visible()
    actx, ap = await person(browser, console, viewport)
    await staff_log_in(ap, server, staff.admin_email)
    # The queue says who asked for an interpreter, and in which language.
    await ap.get_by_role("tab", name="Waiting for a mediator").click()
    queued = ap.locator(f"li[data-case-id='{case_id}']")
    await expect(queued.locator(".interpreter-chip[data-side=plaintiff]")).to_have_text(
        "Interpreter: Mixtec (Plaintiff)"
    )
    await expect(queued.locator(".interpreter-chip[data-side=defendant]")).to_have_text(
        "Interpreter: Spanish (Defendant)"
    )
    await assign_mediator(ap, staff, case_id)
    section = mp.locator("nav section", has=mp.get_by_role("link", name=f"Small claims {number}"))
    await expect(section.locator("li[data-room]")).to_have_count(4)
    await expect(section.get_by_role("button", name=private_tab(p_name))).to_be_visible()
    await expect(section.get_by_role("button", name=private_tab(d_name))).to_be_visible()
    await section.get_by_role("button", name=re.compile("^Joint")).click()
    await say(mp, "Welcome both. I am your mediator.")
    await expect(messages(mp, "Welcome both")).to_have_count(1)

    # Each party: Joint and "<my name> + Mediator", and nothing else.
    for page, name in ((pp, p_name), (dp, d_name)):
        await page.goto(f"{server.url}/#/cases/{case_id}/conversations")
        tabs = page.locator(".subtabs [role=tab]")
        await expect(tabs).to_have_count(2)
        await expect(tabs.nth(0)).to_have_text(re.compile("^Joint"))
        await expect(tabs.nth(1)).to_have_text(private_tab(name))
        await expect(messages(page, "Welcome both")).to_have_count(1)
        # Who can see this room is always shown.
        audience = page.locator(".chat-head > details:first-child > summary")
        await expect(audience).to_contain_text(m_name)
    await no_horizontal_scroll(pp)

    # Joint chat both ways, typing and read markers.
    await pp.locator("section.chat textarea").type("Hel")
    await expect(dp.locator(".typing").first).to_have_text(f"{p_name} is typing…")
    await say(pp, "Hello, I would like the invoice paid.")
    await expect(messages(dp, "invoice paid")).to_have_count(1)
    await say(dp, "I can pay half now.")
    await expect(messages(pp, "pay half now")).to_have_count(1)
    await expect(messages(mp, "pay half now")).to_have_count(1)
    await expect(pp.locator(".seen")).to_contain_text(d_name)

    # Private rooms: each party talks to the mediator alone.
    p_secret, d_secret = f"PRIV-P-{tag} my lowest is 300", f"PRIV-D-{tag} I could go to 250"
    await pp.locator(".subtabs [role=tab]").nth(1).click()
    await say(pp, p_secret)
    await dp.locator(".subtabs [role=tab]").nth(1).click()
    await say(dp, d_secret)
    await expect(messages(pp, p_secret)).to_have_count(1)
    await expect(messages(dp, d_secret)).to_have_count(1)
    p_room = section.get_by_role("button", name=private_tab(p_name))
    await expect(p_room.locator(".badge")).to_have_text("1")
    waiting = section.locator("li.party-waiting").filter(has_text=f"{p_name} + Mediator")
    await expect(waiting).to_have_count(1)
    await p_room.click()
    await expect(messages(mp, p_secret)).to_have_count(1)
    await say(mp, "Thank you, I will keep that between us.")
    await expect(messages(pp, "keep that between us")).to_have_count(1)
    await section.get_by_role("button", name=private_tab(d_name)).click()
    await expect(messages(mp, d_secret)).to_have_count(1)
    if phone:
        await screenshot(mp, f"{shot}-mediator")

    # Unread messages elsewhere show in the tab title and on the room's tab.
    await pp.goto(f"{server.url}/#/cases/{case_id}/case")
    await expect(pp.get_by_role("heading", name="About the case")).to_be_visible()
    # A party sees its own interpreter request, never the other side's.
    await expect(pp.locator("li.card", has_text=d_name)).to_be_visible()
    await expect(pp.get_by_text("Asked for an interpreter: Mixtec")).to_be_visible()
    await expect(pp.get_by_text("Asked for an interpreter: Spanish")).to_have_count(0)
    await section.get_by_role("button", name=re.compile("^Joint")).click()
    await say(mp, "Are you both still there?")
    await expect(pp).to_have_title(re.compile(r"^\(1\) "))
    await pp.get_by_role("tab", name="Conversations").click()
    await expect(messages(pp, "still there")).to_have_count(1)
    await expect(pp).to_have_title(re.compile(r"^(?!\()"))

    # A party offline: nothing lost, nothing doubled, its own message delivered on return.
    await dp.locator(".subtabs [role=tab]").nth(0).click()
    await dctx.set_offline(True)
    await expect(dp.locator("#conn")).to_contain_text("offline")
    await say(pp, "First while you were away.")
    await say(pp, "Second while you were away.")
    await say(dp, "Typed while offline.")
    await expect(
        dp.locator("li.msg[data-state=pending]", has_text="Typed while offline")
    ).to_have_count(1)
    await dctx.set_offline(False)
    for text in ("First while", "Second while", "Typed while offline"):
        await expect(messages(dp, text)).to_have_count(1)
        await expect(messages(pp, text)).to_have_count(1)
    await expect(dp.locator("li.msg[data-state=pending]")).to_have_count(0)
    await expect(dp.locator("#conn")).to_be_hidden()
    seqs = await dp.locator("li.msg[data-seq]").evaluate_all("els => els.map(e => +e.dataset.seq)")
    assert seqs == sorted(set(seqs)), "messages shown twice or out of order"

    if not phone:
        # A mediator's proposal needs both sides; the plaintiff accepts, then the mediator
        # withdraws it (only its maker may).
        await mp.goto(f"{server.url}/#/cases/{case_id}/conversations")
        await mp.get_by_role("button", name="Make a mediator's proposal").click()
        proposal_form = mp.locator("form.offer-composer")
        await proposal_form.get_by_label("What kind of term?").select_option("free_text")
        await proposal_form.get_by_label("The term, in your own words").fill("Split the fence.")
        await proposal_form.get_by_role("button", name="Send proposal").click()
        proposal = offer_card(pp, "Mediator's proposal")
        await proposal.get_by_role("button", name="Accept").click()
        await proposal.get_by_role("button", name="Yes, accept these terms").click()
        await expect(offer_card(dp, "Mediator's proposal").locator(".offer-status")).to_have_text(
            "Accepted by the Plaintiff; waiting for the other side"
        )
        await expect(proposal.get_by_role("button", name="Accept")).to_have_count(0)
        await offer_card(mp, "Mediator's proposal").get_by_role("button", name="Withdraw").click()
        await expect(proposal.locator(".offer-status")).to_have_text("Withdrawn")
        await expect(
            pp.locator("li.msg.system", has_text="withdrew the mediator's proposal")
        ).to_have_count(1)

    # The plaintiff offers $500 in two installments. They first add up to $400: the server's
    # field error appears next to the installments, then the corrected offer goes out.
    await pp.get_by_role("button", name="Make an offer").click()
    await make_offer_with_installments(pp, "500", [("200", day(30)), ("200", day(60))])
    composer = pp.locator("form.offer-composer")
    await composer.get_by_role("button", name="Send offer").click()
    plan_error = composer.locator(".plan-error")
    await expect(plan_error).to_contain_text("add up to $400.00 but the payment total is $500.00")
    await expect(composer.get_by_role("alert")).to_contain_text("need attention")
    if phone:
        await screenshot(pp, f"{shot}-offer-composer-error")
    await composer.get_by_label("Installment 2: amount").fill("300")
    await composer.get_by_label("Explain your offer (optional)").fill("Half now, half in June.")
    await composer.get_by_role("button", name="Send offer").click()
    await expect(composer).to_have_count(0)
    first = offer_card(dp, f"Offer from {p_name}")
    await expect(first).to_contain_text("$500.00 in 2 installments")
    await expect(first.locator(".offer-status")).to_have_text("Open")
    mine = offer_card(pp, "Offer from you")
    await expect(mine.get_by_role("button", name="Withdraw")).to_be_visible()
    await expect(mine.get_by_role("button", name="Accept")).to_have_count(0)
    if phone:
        await first.scroll_into_view_if_needed()
        await docs_screenshot(dp, "conversation-offer")
    await no_horizontal_scroll(dp)

    # Rejecting needs a reason; the defendant counters instead, from a prefilled composer.
    await first.get_by_role("button", name="Reject").click()
    await first.get_by_role("button", name="Send my answer").click()
    await expect(first.locator(".reject-form .field-error")).to_contain_text("doesn't help")
    await first.get_by_role("button", name="Cancel").click()
    await first.get_by_role("button", name="Counter").click()
    counter = dp.locator("form.offer-composer")
    await expect(counter.get_by_role("heading")).to_have_text(f"Counter-offer to {p_name}'s offer")
    await expect(counter.get_by_label("Amount", exact=True)).to_have_value("500")
    await counter.get_by_label("Amount", exact=True).fill("400")
    await counter.get_by_label("All at once, by a date").check()
    await counter.get_by_label("Paid in full by").fill(day(45))
    await counter.get_by_role("button", name="Send counter-offer").click()
    second = offer_card(pp, f"Counter-offer from {d_name}")
    await expect(second).to_contain_text("$400.00 by")
    await expect(mine.locator(".offer-status")).to_have_text("Countered")

    # The plaintiff accepts the counter-offer: the agreement is drafted.
    await second.get_by_role("button", name="Accept").click()
    await second.get_by_role("button", name="Yes, accept these terms").click()
    await expect(second.locator(".offer-status")).to_have_text("Accepted")
    await expect(offer_card(dp, "Counter-offer from you").locator(".offer-status")).to_have_text(
        "Accepted"
    )
    await pp.get_by_role("button", name="Offer history").click()
    history = pp.locator("#offer-history")
    # The offer and its counter (and, on desktop, the withdrawn proposal).
    await expect(history.locator("li[data-offer-id]")).to_have_count(2 if phone else 3)
    await expect(history).to_contain_text(f"{d_name} countered it")
    if phone:
        await screenshot(pp, f"{shot}-offer-history")

    # The mediator clarifies the wording and sends the agreement for signature; the parties'
    # open Agreement tabs follow the joint room's agreement events.
    for page in (pp, dp):
        await page.get_by_role("tab", name="Agreement").click()
        await expect(page.locator("[data-status=draft]")).to_be_visible()
    # The mediator sees each party's interpreter request on the case page.
    await mp.goto(f"{server.url}/#/cases/{case_id}/case")
    for name, language in ((p_name, "Mixtec"), (d_name, "Spanish")):
        await expect(mp.locator("li.card", has_text=name).locator(".interpreter-of")).to_have_text(
            f"Asked for an interpreter: {language}"
        )
    await mp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    wording = mp.locator("#agreement-text")
    await expect(wording).to_contain_text(p_name)
    await mp.get_by_label("Clarifying wording").fill("Payment by bank transfer to Pat.")
    await mp.get_by_role("button", name="Save the wording").click()
    await expect(wording).to_contain_text("Payment by bank transfer to Pat.")
    await mp.get_by_role("button", name="Send for signature").click()
    for page in (pp, dp):
        await expect(page.locator("[data-status=out_for_signature]")).to_be_visible()
        # Line breaks are kept and the text is text: no element inside it.
        assert await page.locator("#agreement-text *").count() == 0
        assert "\n" in await page.locator("#agreement-text").text_content()  # type: ignore[operator]
    sha = await pp.locator(".fingerprint code").text_content()
    assert sha and re.fullmatch(r"[0-9a-f]{64}", sha)

    # Both parties sign: the e-sign consent, password, typed name and "I agree to be bound".
    await pp.get_by_label("I consent to sign this agreement electronically").check()
    await pp.get_by_label("Type your full name").fill(p_name)
    if phone:
        await pp.locator("form.sign").scroll_into_view_if_needed()
        await docs_screenshot(pp, "agreement-signing")
    await no_horizontal_scroll(pp)
    await sign(pp, p_name, PASSWORD)
    await expect(dp.locator(".signatures li")).to_have_count(1)
    await sign(dp, d_name, PASSWORD)
    for page in (pp, dp):
        await expect(page.locator("[data-status=signed]")).to_be_visible()
        await expect(page.locator(".signatures li")).to_have_count(2)
        await expect(page.locator(".filing")).to_contain_text("CCR will file")
        await expect(page.locator("#case-status")).to_have_text("Closed: settled")
    if phone:
        await screenshot(dp, f"{shot}-agreement-signed")
    link = dp.get_by_role("link", name="Download the signed agreement (PDF)")
    pdf = await fetch_pdf(dp, await link.get_attribute("href") or "", server.url)
    assert pdf.startswith(b"%PDF")

    # Neither party ever saw the other's private room.
    p_seen = "".join(await pp.evaluate("() => window.__seen"))
    d_seen = "".join(await dp.evaluate("() => window.__seen"))
    assert d_secret not in p_seen and f"{d_name} + Mediator" not in p_seen
    assert p_secret not in d_seen and f"{p_name} + Mediator" not in d_seen
    assert p_secret in p_seen and d_secret in d_seen  # the watcher does see what is shown
    assert "interpreter: Spanish" not in p_seen and "interpreter: Mixtec" not in d_seen
    assert "interpreter: Mixtec" in p_seen and "interpreter: Spanish" in d_seen

    # CCR administration files it with the court.
    await ap.goto(f"{server.url}/#/admin/filing")
    card = ap.locator(f"li[data-case-id='{case_id}']")
    package = card.get_by_role("link", name="Download the filing package (PDF)")
    assert (await fetch_pdf(ap, await package.get_attribute("href") or "", server.url)).startswith(
        b"%PDF"
    )
    await card.get_by_label("Court reference").fill(f"FILED-{tag}")
    if phone:
        await screenshot(ap, f"{shot}-admin-filing")
    await card.get_by_role("button", name="Mark filed").click()
    await expect(card).to_have_count(0)
    await pp.reload()
    await expect(pp.locator(".filing")).to_contain_text(f"FILED-{tag}")

    for page in (pp, dp, mp, ap):
        await no_horizontal_scroll(page)
    assert console.errors == []
    for ctx in (pctx, dctx, actx, mctx):
        await ctx.close()
