"""The administration's Figures tab in Chromium: charts are named SVG images with a table of
the same numbers, small counts read "fewer than 5", the CSV downloads, nothing names anyone,
the survey's comments are listed with their month, and axe finds nothing serious at phone and
desktop sizes."""

from __future__ import annotations

import sqlite3

import pytest
from playwright.async_api import Browser, expect

from tests.figures.programme import SECRET, seed_programme
from tests.static.axe import axe_source, describe, violations
from tests.static.conftest import (
    BROWSER,
    PHONE,
    Console,
    Server,
    Staff,
    new_page,
    no_horizontal_scroll,
    screenshot,
)
from tests.static.flow import staff_log_in

pytestmark = BROWSER

DESKTOP = {"width": 1280, "height": 800}


# A survey comment as a person might type it: markup is shown as typed, never run.
COMMENT = "The mediator <b>listened</b> & explained the steps."


@pytest.fixture(scope="module")
def programme(server: Server) -> None:
    """21 cases filed in March 2026 (no other test files cases then), stored once, and one
    survey comment answered that month."""
    seed_programme(f"sqlite:///{server.db_path}")
    with sqlite3.connect(server.db_path) as db:
        db.execute(
            "INSERT INTO survey_answers (id, heard, neutral, clear, again, comment, month)"
            " VALUES ('f1c0ffee0000000000000000000000aa', 4, 5, NULL, 5, ?, '2026-03')",
            (COMMENT,),
        )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone390", "desktop"])
async def test_the_figures_tab_draws_accessible_charts_with_tables_and_exports_csv(
    browser: Browser,
    server: Server,
    staff: Staff,
    console: Console,
    programme: None,
    viewport: dict[str, int],
) -> None:
    axe_source()
    context, page = await new_page(browser, console, viewport=viewport)
    await staff_log_in(page, server, staff.admin_email)
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()
    await page.goto(f"{server.url}/#/admin/figures")
    await expect(page.get_by_role("tab", name="Figures")).to_have_attribute("aria-selected", "true")
    charts = page.locator("svg.chart[role=img]")
    await expect(charts).to_have_count(6)
    # Every chart is named by its title and described, and a table follows it.
    for i in range(6):
        chart = charts.nth(i)
        labelled = await chart.get_attribute("aria-labelledby")
        assert labelled is not None
        for ref in labelled.split():
            assert (await page.locator(f"#{ref}").text_content() or "").strip()
    await expect(page.locator("table.figures")).to_have_count(7)
    await expect(page.get_by_role("heading", name="Outcomes")).to_be_visible()
    outcomes = page.locator("table.figures", has=page.locator("caption", has_text="How closed"))
    # The seeded programme has two cases that stopped: not shown as a number.
    await expect(
        outcomes.locator("tr", has=page.locator("th", has_text="Mediation stopped"))
    ).to_contain_text("fewer than 5")
    await expect(page.get_by_role("heading", name="Agreements kept")).to_be_visible()
    await expect(page.get_by_text("Signed agreements with payments:")).to_be_visible()
    text = await page.locator("main").inner_text()
    assert SECRET not in text and SECRET.lower() not in text
    # The survey's comments, for administrators: the words as typed, with their month only.
    comments = page.locator("section", has=page.get_by_role("heading", name="What people wrote"))
    said = comments.locator("ul.survey-comments li[data-month='2026-03']")
    await expect(said.locator("p")).to_have_text(COMMENT)
    await expect(said.locator(".comment-month")).to_have_text("Mar 2026")
    await expect(comments.locator("b")).to_have_count(0)
    if viewport == PHONE:
        await no_horizontal_scroll(page)
    await screenshot(page, f"figures-{viewport['width']}")

    # A period narrows the figures and the CSV link with it.
    await page.get_by_label("Filed from (optional)").fill("2026-03-11")
    await page.get_by_label("Filed until (optional)").fill("2026-03-31")
    await page.get_by_role("button", name="Show", exact=True).click()
    await expect(page.get_by_text("Cases filed: 21")).to_be_visible()
    link = page.get_by_role("link", name="Download as CSV")
    href = await link.get_attribute("href")
    assert href == "/api/admin/metrics?since=2026-03-11&until=2026-03-31&format=csv"
    response = await page.request.get(server.url + href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    body = await response.text()
    assert "cases,all,cases,21" in body and SECRET not in body

    found = await violations(page)
    assert not found, describe("figures", found)
    assert console.errors == []
    await context.close()
