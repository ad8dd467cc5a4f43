"""A party on a phone attaches a photo and a PDF in their private room and shares the photo with
the other side, who sees only that; the stored photo has no EXIF (issue 14's "done when")."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, expect

from tests.documents import samples
from tests.rooms.world import PASSWORD, build_world
from tests.static.conftest import (
    BROWSER,
    PHONE,
    Console,
    Server,
    new_page,
    no_horizontal_scroll,
    screenshot,
)
from tests.static.test_auth import log_in

pytestmark = BROWSER


async def open_room(page: Page, server: Server, case_id: int, tab: str) -> None:
    await page.goto(f"{server.url}/#/cases/{case_id}/conversations")
    await page.locator(".subtabs [role=tab]", has_text=re.compile(tab)).click()


async def test_attach_on_a_phone_and_share_one_file_with_the_other_side(
    browser: Browser, server: Server, console: Console, tmp_path: Path
) -> None:
    w = await build_world(f"sqlite:///{server.db_path}")
    photo, lease = tmp_path / "IMG_0042.jpg", tmp_path / "lease.pdf"
    photo.write_bytes(samples.jpeg_with_gps((80, 60)))
    lease.write_bytes(samples.pdf("Lease"))

    pctx, pp = await new_page(browser, console, viewport=PHONE)
    dctx, dp = await new_page(browser, console, viewport=PHONE)
    try:
        await log_in(pp, server, w.email("paul"), PASSWORD)
        await log_in(dp, server, w.email("dana"), PASSWORD)
        await expect(pp.get_by_role("button", name="Log out")).to_be_visible()
        await expect(dp.get_by_role("button", name="Log out")).to_be_visible()
        await open_room(pp, server, w.case_id, r"\+ Mediator")
        chat = pp.locator("section.chat")
        # The camera button is a file input with capture: a phone opens its camera, here
        # Playwright hands it the file.
        await chat.get_by_label("Take a photo").set_input_files(str(photo))
        await chat.get_by_label("Attach a file").set_input_files(str(lease))
        cards = chat.locator("li.msg.doc")
        await expect(cards).to_have_count(2)
        photo_card = cards.filter(has_text="IMG_0042.jpg")
        lease_card = cards.filter(has_text="lease.pdf")
        await no_horizontal_scroll(pp)

        pp.once("dialog", lambda d: d.accept())
        await photo_card.get_by_role("button", name="Share with the other side").click()
        await expect(photo_card).to_contain_text("Shared in the joint room.")
        await chat.locator("summary", has_text="Documents").click()
        await expect(chat.locator("ul.documents li", has_text="lease.pdf")).to_contain_text(
            "1 page"
        )
        await screenshot(pp, "documents-private-room", full_page=False)

        await open_room(dp, server, w.case_id, "^Joint")
        joint = dp.locator("section.chat li.msg.doc")
        await expect(joint).to_have_count(1)
        await expect(joint).to_contain_text("IMG_0042.jpg")
        await dp.locator("section.chat summary", has_text="Documents").click()
        await expect(dp.locator("ul.documents li")).to_have_count(1)
        # The list shows the picture small (a thumbnail the server drew) and has loaded it.
        thumb = dp.locator("ul.documents li img.doc-thumb")
        await expect(thumb).to_have_count(1)
        await expect(thumb).to_have_js_property("complete", True)
        assert await thumb.evaluate("img => img.naturalWidth") == 80
        await screenshot(dp, "documents-joint-room", full_page=False)
        href = await joint.get_by_role("link", name="IMG_0042.jpg").get_attribute("href")
        assert href is not None
        response = await dp.request.get(server.url + href)
        assert response.status == 200
        assert response.headers["content-disposition"].startswith("attachment")
        with Image.open(io.BytesIO(await response.body())) as clean:
            assert clean.format == "JPEG" and len(clean.getexif()) == 0
        assert samples.CAMERA.encode() not in await response.body()
        # The lease stayed in the plaintiff's private room: the other side gets 404 for it.
        lease_href = await lease_card.get_by_role("link", name="lease.pdf").get_attribute("href")
        assert lease_href is not None
        assert (await dp.request.get(server.url + lease_href)).status == 404
        assert console.errors == []
    finally:
        await pctx.close()
        await dctx.close()


@pytest.fixture(autouse=True)
def _one_world_per_server(server: Server) -> None:
    """build_world's people have fixed emails: this file builds one world per server."""
