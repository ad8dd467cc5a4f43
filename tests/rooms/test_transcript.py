"""The printable transcript: the reader's language, the centre's time zone, a court paper's page."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from odrchat.rooms.transcript import style_of
from odrchat.settings import Settings
from tests.helpers import client_for, login
from tests.rooms.test_endpoint import send, socket, subscribe
from tests.rooms.world import PASSWORD, world

XSS = "<img src=x onerror=alert(1)> & </p><script>alert('dana')</script>"


def _export(c, who: str, case_id: int, language: str | None = None):  # type: ignore[no-untyped-def]
    c.cookies.clear()
    login(c, f"{who}@example.org", PASSWORD)
    if language is not None:
        csrf = {"X-CSRF-Token": c.get("/api/session").json()["csrf_token"]}
        assert c.patch("/api/me", json={"language": language}, headers=csrf).status_code == 200
    page = c.get(f"/api/cases/{case_id}/transcript.html")
    assert page.status_code == 200, page.text
    return page


def test_each_reader_gets_a_letter_page_in_their_language_and_the_centres_zone(
    db_url: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(db_url, centre_timezone="America/Denver")
    w = world(db_url)
    with client_for(settings) as c, socket(c, "dana") as dana:
        subscribe(dana, w.rooms["joint"], after=0)
        send(dana, w.rooms["joint"], XSS, "d1")

        spanish = _export(c, "dana", w.case_id, "es")
        english = _export(c, "paul", w.case_id)

    es, en = spanish.text, english.text
    assert '<html lang="es">' in es and '<html lang="en">' in en
    assert "<h1>Transcripción de la mediación, caso SC-2026-0042</h1>" in es
    assert "Quién puede ver esta conversación:" in es and "Copia para Dana, hecha el " in es
    assert "Mediation transcript" not in es and "Who can see" not in es
    assert "<h1>Mediation transcript, case SC-2026-0042</h1>" in en
    assert "Who can see this conversation:" in en and "Exported for Paul on " in en
    assert "Transcripción" not in en
    # Times in the configured zone, named, written each reader's way; never UTC.
    assert re.search(r"\d{1,2} [a-z]{3,4} 20\d\d, \d{1,2}:\d\d [ap]\.\u202f?m\. M[SD]T", es), es
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, 20\d\d, \d{1,2}:\d\d\W[AP]M M[SD]T", en), en
    assert "UTC" not in es and "UTC" not in en
    for page in (es, en):
        # The chat text stays inert: escaped once, no live markup from it.
        assert XSS not in page and "<script" not in page and "<img" not in page
        assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;/p&gt;&lt;script&gt;" in page
        # A court paper: US Letter, the caption and a running footer carry the case number.
        assert "@page{size:letter;" in page
        caption = page.split('<section class="caption">', 1)[1].split("</section>", 1)[0]
        assert "Superior Court" in caption and "SC-2026-0042" in caption
        assert "Paul v. Dana" in caption
        assert re.search(r"@bottom-left\{content:\"[^\"]*SC\\2d 2026\\2d 0042\"", page), page
    # The page's one inline style is allowed by its hash, and nothing else may load.
    for page in (spanish, english):
        policy = page.headers["content-security-policy"]
        style = style_of(page.text)
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert policy.startswith("default-src 'none';") and f"'sha256-{digest}'" in policy
        assert "unsafe-inline" not in policy and "script-src" not in policy


@pytest.mark.browser  # real Chromium: in the README command's serial part
def test_chromium_prints_it_on_letter_with_the_case_number_on_every_page(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    w = world(db_url)
    with client_for(settings) as c, socket(c, "paul") as paul:
        subscribe(paul, w.rooms["joint"], after=0)
        for i in range(12):  # enough text for several pages
            send(paul, w.rooms["joint"], f"message {i} " + "words to fill the page " * 40, f"m{i}")
        page = _export(c, "dana", w.case_id, "es").text
    html = tmp_path / "transcript.html"
    html.write_text(page, encoding="utf-8")
    pdf = tmp_path / "transcript.pdf"
    subprocess.run(
        [
            "/usr/bin/chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )
    pages = PdfReader(pdf).pages
    assert len(pages) >= 3
    for n, sheet in enumerate(pages, start=1):
        assert (sheet.mediabox.width, sheet.mediabox.height) == (612, 792)
        text = sheet.extract_text()
        assert "Número de caso SC-2026-0042" in text, (n, text)
        assert f"Página {n} de {len(pages)}" in text, (n, text)
