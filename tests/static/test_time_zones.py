"""Times on screen read in the account's time zone, not the device's: a party whose phone is set
to Tokyo but who chose New York on the Account page sees an offer's deadline and the time of a
chat message in New York time (Chromium's own time zone is Tokyo's throughout)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, expect

from tests.static.conftest import BROWSER, PHONE, STAFF_PASSWORD, Console, Server, Staff, seed_users
from tests.static.flow import call, day, messages, say, visit
from tests.static.test_auth import log_in

pytestmark = BROWSER

DEVICE = "Asia/Tokyo"
ACCOUNT = ZoneInfo("America/New_York")
CENTRE = ZoneInfo("America/Los_Angeles")  # the test server's CENTRE_TIMEZONE (the default)

PUT = """async ([path, body]) => {
  const { api } = await import('/static/js/api.js');
  return api.put(path, body);
}"""


def clock(moment: datetime, zone: ZoneInfo) -> re.Pattern[str]:
    """ "10:00 AM" as Intl writes it in `zone` (any space before AM/PM)."""
    local = moment.astimezone(zone)
    return re.compile(rf"\b{local.strftime('%I:%M').lstrip('0')}\s{local.strftime('%p')}")


async def test_an_offer_deadline_and_a_chat_time_read_in_the_accounts_zone(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = (f"{who}-{tag}@example.org" for who in ("zp", "zd"))
    seed_users(server, [(p_email, f"Zoe {tag}", ""), (d_email, f"Zed {tag}", "")])

    pages = []
    for email in (p_email, d_email, staff.admin_email):
        context = await browser.new_context(viewport=PHONE, timezone_id=DEVICE)  # type: ignore[arg-type]
        page = await context.new_page()
        console.watch(page)
        await log_in(page, server, email, STAFF_PASSWORD)
        await expect(page.get_by_role("button", name="Log out")).to_be_visible()
        pages.append(page)
    pp, dp, ap = pages
    assert await pp.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == DEVICE

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
            "other_name": "Zed",
            "other_email": d_email,
        },
    )
    case_id = case["id"]
    await call(pp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    # The invitee's case list gives the day the invitation runs to, in their zone (the
    # centre's: they chose none), not the device's.
    (waiting,) = (await call(dp, "GET", "/api/me/invitations"))["invitations"]
    await dp.goto(f"{server.url}/#/cases")
    await dp.reload()  # the list was drawn at login, before the invitation
    until = datetime.fromisoformat(waiting["expires_at"]).astimezone(CENTRE)
    await expect(dp.locator("#pending-invitation")).to_contain_text(
        f"Answer by {until.strftime('%A, %B')} {until.day}, {until.year}."
    )
    await call(dp, "POST", f"/api/invitations/{server.link_token(d_email, 'invite')}/accept")
    await call(dp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(ap, "POST", f"/api/admin/cases/{case_id}/assign", {"mediator_id": staff.mediator_id})

    # The plaintiff chooses New York on the Account page (the API the page uses).
    chosen = await pp.evaluate(PUT, ["/api/me/notifications", {"time_zone": ACCOUNT.key}])
    assert chosen["time_zone"] == ACCOUNT.key
    # The defendant offers, to be answered by 15:00 UTC in three days: 10 AM in New York,
    # midnight in Tokyo.
    deadline = (datetime.now(UTC) + timedelta(days=3)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    terms = [{"kind": "property_return", "returner": "defendant", "description": "The ladder",
              "by": day(14)}]  # fmt: skip
    body = {"terms": terms, "deadline": deadline.isoformat()}
    await call(dp, "POST", f"/api/cases/{case_id}/offers", body)

    await pp.reload()  # a fresh session answer carries the zone, as after any login
    await visit(pp, server, f"/cases/{case_id}/conversations", "section.chat textarea")
    answer_by = pp.locator("li.offer-card .hint", has_text="Answer by")
    await expect(answer_by).to_contain_text(clock(deadline, ACCOUNT))
    await expect(answer_by).to_contain_text(re.compile(r"\bE[SD]T\b"))
    assert not clock(deadline, ZoneInfo(DEVICE)).search(await answer_by.inner_text())

    # A chat message's time: the moment it was stored, written in New York time.
    await say(pp, "Ten on Tuesday works for me.")
    stamp = messages(pp, "Ten on Tuesday").locator("time")
    await expect(stamp).to_have_count(1)
    at = datetime.fromisoformat(await stamp.get_attribute("datetime") or "")
    shown = await stamp.inner_text()
    assert clock(at, ACCOUNT).search(shown), shown
    if at.astimezone(ACCOUNT).hour != at.astimezone(ZoneInfo(DEVICE)).hour:
        assert not clock(at, ZoneInfo(DEVICE)).search(shown), shown

    # Logged out, a page reads times in the device's zone again.
    await pp.get_by_role("button", name="Log out").click()
    await expect(pp.get_by_role("button", name="Log out")).to_have_count(0)
    device = await pp.evaluate("async () => (await import('/static/js/i18n.js')).currentTimeZone()")
    assert device == DEVICE
