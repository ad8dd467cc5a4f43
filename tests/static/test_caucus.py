"""Caucus-only mediation of a civil harassment case in real browsers: the mediator switches the
joint room to separate meetings, the petitioner's proposal reaches the respondent only as the
mediator's relay in her private room, and the case goes on to an agreement both sign.

The case is brought to mediation through the HTTP API (the flow test walks those screens); the
switch, the relays (a message, then an offer's summary), the acceptance and the signatures
happen on screen.
"""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Browser, Page, expect

from tests.static.conftest import BROWSER, PHONE, STAFF_PASSWORD, Console, Server, Staff, seed_users
from tests.static.flow import messages, person, say, sign
from tests.static.test_attorney import call
from tests.static.test_auth import log_in

pytestmark = BROWSER

DESKTOP = {"width": 1280, "height": 800}


async def test_civil_harassment_in_caucus_mode_from_the_switch_to_a_signed_agreement(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"cp-{tag}@example.org", f"cd-{tag}@example.org"
    p_name, d_name = f"Petra {tag}", f"Rhea {tag}"
    seed_users(server, [(p_email, p_name, ""), (d_email, d_name, "")])

    async def logged_in(email: str, viewport: dict[str, int]) -> Page:
        _context, page = await person(browser, console, viewport)
        await log_in(page, server, email, STAFF_PASSWORD)
        await expect(page.get_by_role("button", name="Log out")).to_be_visible()
        return page

    pp = await logged_in(p_email, PHONE)
    dp = await logged_in(d_email, PHONE)
    mp = await logged_in(staff.mediator_email, DESKTOP)
    ap = await logged_in(staff.admin_email, DESKTOP)

    version = (await call(pp, "GET", "/api/agreement-to-mediate"))["version"]
    case = await call(
        pp,
        "POST",
        "/api/cases",
        {
            "kind": "civil_harassment",
            "side": "plaintiff",
            "court_name": "Stanley Mosk Courthouse",
            "court_case_number": f"24CH{tag}",
            "description": "Calls at night and visits at work.",
            "other_name": d_name,
            "other_email": d_email,
        },
    )
    case_id = case["id"]
    # Civil harassment: each party answers the safety screening first; the petitioner's
    # answers flag a concern.
    flagged = {"order": "yes", "afraid": True, "support_person": False, "accommodation": False}
    calm = {"order": "no", "afraid": False, "support_person": False, "accommodation": False}
    await call(pp, "POST", f"/api/cases/{case_id}/screening", flagged)
    await call(pp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(dp, "POST", f"/api/invitations/{server.link_token(d_email, 'invite')}/accept")
    await call(dp, "POST", f"/api/cases/{case_id}/screening", calm)
    await call(dp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(ap, "POST", f"/api/admin/cases/{case_id}/assign", {"mediator_id": staff.mediator_id})

    # The petitioner's flagged screening put the case in separate meetings (caucus-only mode):
    # both parties' joint room is read-only, and the mediator can open it again only by saying
    # why (the reason goes to the audit log).
    for page in (pp, dp, mp):
        await page.goto(f"{server.url}/#/cases/{case_id}/conversations")
    await mp.locator(".subtabs [role=tab]").nth(0).click()
    controls = mp.locator("details.room-control")
    await controls.locator("summary").click()
    await expect(controls).to_contain_text("Separate meetings are on")
    await expect(controls.get_by_label("Participant")).to_contain_text(f"{d_name} (Respondent)")
    await controls.get_by_role("button", name="Open the joint conversation").click()
    await expect(controls.get_by_label(re.compile("because of a safety concern"))).to_be_visible()
    await controls.get_by_role("button", name="Cancel").click()
    for page in (pp, dp):
        await page.locator(".subtabs [role=tab]").nth(0).click()
        await expect(
            page.locator(
                "li.msg.system", has_text="The mediator will now meet each side separately."
            )
        ).to_have_count(1)
        await expect(page.locator(".control-banner")).to_contain_text("Separate meetings")
        await expect(page.locator("section.chat textarea")).to_be_hidden()
        await expect(page.locator("p.readonly")).to_contain_text("meeting each side separately")
        # Nothing says why: the screening's answers never reach a party's screen.
        await expect(page.locator("section.chat")).not_to_contain_text("safety")

    # The petitioner talks to the mediator alone, and asks for one message to be passed on.
    secret = f"PRIV-{tag} I am afraid to see her"
    proposal = f"RELAY-{tag} I will drop the petition if she stays 50 feet away and stops calling."
    await pp.locator(".subtabs [role=tab]").nth(1).click()
    await say(pp, secret)
    await say(pp, proposal)
    mine = messages(pp, proposal)
    await expect(mine).to_have_count(1)
    await mine.get_by_role("button", name="Ask the mediator to share this").click()
    await expect(
        pp.locator("li.relay-request", has_text="You asked the mediator to share")
    ).to_have_count(1)

    # The mediator approves it from the petitioner's private room.
    await mp.locator(".subtabs [role=tab]", has_text=p_name).click()
    request = mp.locator("li.relay-request", has_text=proposal)
    await expect(request).to_have_count(1)
    await request.get_by_role("button", name="Share", exact=True).click()
    await expect(mp.locator("li.relay", has_text="Shared with the other side")).to_have_count(1)

    # The respondent reads it in her own private room, marked as relayed by the mediator.
    await dp.locator(".subtabs [role=tab]").nth(1).click()
    relayed = dp.locator("li.msg.relayed", has_text=proposal)
    await expect(relayed).to_have_count(1)
    await expect(relayed).to_contain_text(f"Relayed by the mediator, {staff.mediator_name}")
    await say(dp, "I accept those terms.")

    # The formal offer appears in the joint room (offers still do in caucus mode); she accepts.
    terms = [{"kind": "stay_away", "restrained": "defendant", "distance_feet": 50,
              "no_contact": True}]  # fmt: skip
    offer = await call(pp, "POST", f"/api/cases/{case_id}/offers", {"terms": terms})
    # The petitioner asks, from his card, for its summary to be passed on; the mediator
    # approves it in his private room, and it reaches the respondent's private room as a relay.
    await pp.locator(".subtabs [role=tab]").nth(0).click()
    own_card = pp.locator("li.offer-card").last
    await own_card.get_by_role("button", name="Ask the mediator to share this offer").click()
    await expect(own_card).to_contain_text("The mediator will decide whether to share it")
    summary = f"Offer {offer['id']}:"
    request = mp.locator("li.relay-request", has_text=summary)
    await expect(request).to_contain_text(f"{p_name} asks you to share")
    await request.get_by_role("button", name="Share", exact=True).click()
    relayed_offer = dp.locator("li.msg.relayed", has_text=summary)
    await expect(relayed_offer).to_have_count(1)
    await expect(relayed_offer).to_contain_text(f"Relayed by the mediator, {staff.mediator_name}")
    await expect(relayed_offer).to_contain_text("50")
    # The mediator can share a card's summary directly too, the words editable.
    await mp.locator(".subtabs [role=tab]").nth(0).click()
    mine = mp.locator("li.offer-card").last
    await mine.get_by_role("button", name="Share with the other side").click()
    await expect(mine.get_by_label(re.compile("What the other side will read"))).to_have_value(
        re.compile(f"^{summary} ")
    )
    await mine.get_by_role("button", name="Cancel").click()
    await dp.locator(".subtabs [role=tab]").nth(0).click()
    # The respondent's card offers her nothing to relay: it is not her side's offer.
    await expect(dp.locator("li.offer-card").last.locator("button.relay")).to_have_count(0)
    card = dp.locator("li.offer-card").last
    await card.get_by_role("button", name="Accept").click()
    await card.get_by_role("button", name="Yes, accept these terms").click()
    await expect(card.locator(".offer-status")).to_have_text("Accepted")

    # The mediator sends the agreement for signature; both sign.
    await mp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await mp.get_by_role("button", name="Send for signature").click()
    for page, name in ((pp, p_name), (dp, d_name)):
        await page.goto(f"{server.url}/#/cases/{case_id}/agreement")
        await expect(page.locator("[data-status=out_for_signature]")).to_be_visible()
        await sign(page, name, STAFF_PASSWORD)
    for page in (pp, dp, mp):
        await expect(page.locator("[data-status=signed]")).to_be_visible()

    # Nothing else of the petitioner's private room ever reached the respondent's screen.
    seen = "\n".join(await dp.evaluate("window.__seen"))
    assert proposal in seen and summary in seen and secret not in seen
    assert "The mediator will decide" not in seen  # nor what the other side asked of him
    assert console.errors == []
    for page in (pp, dp, mp, ap):
        await page.context.close()
