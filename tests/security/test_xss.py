"""Cross-site scripting: stored verbatim, inert in every place the server renders user text.

The rule (SECURITY.md): the server stores exactly what was typed and escapes at every output it
renders itself (email HTML, printable transcripts, PDFs); the browser client renders text with
textContent (its own Chromium tests cover the DOM). Here a corpus of payloads goes in as chat
text, a display name, offer terms and a case description, and comes back out unchanged from the
database and harmless from the outbox, the transcript page and the agreement PDF.
"""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlmodel import col, select
from starlette.testclient import TestClient

from odrchat.agreements.pdf import render_pdf
from odrchat.agreements.tables import AgreementRow
from odrchat.auth.tables import User
from odrchat.cases.tables import Case
from odrchat.notify.tables import OutboxMessage
from odrchat.offers.tables import OfferRow
from odrchat.rooms.tables import RoomEvent
from odrchat.settings import Settings
from odrchat.store.db import Database
from tests.security.world import World, app_for, future, headers
from tests.services import run_sync

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '"><script>alert(document.cookie)</script>',
    "'><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    "<iframe src=javascript:alert(1)></iframe>",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "＜script＞alert(1)＜/script＞",
    "\u202e<b>gnp.exe</b>\u200b",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "</textarea></title><style>*{}</style>",
]
LIVE_TAGS = {
    "script",
    "img",
    "svg",
    "iframe",
    "object",
    "embed",
    "style",
    "textarea",
    "title",
    "link",
    "meta",
    "base",
    "form",
    "input",
    "b",
}


class _Tags(HTMLParser):
    """Every tag, attribute and text run of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(html: str, allowed_tags: set[str]) -> str:
    """No tag beyond the template's own, no event handler, no script URL; returns the text."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in allowed_tags and tag not in LIVE_TAGS - allowed_tags, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith(("javascript:", "data:")), value
    return "".join(parser.text)


async def _read(url: str) -> dict[str, Any]:
    db = Database(url)
    try:
        async with db.session() as s:
            return {
                "events": [json.loads(e.body) for e in (await s.exec(select(RoomEvent))).all()],
                "users": {u.email: u.display_name for u in (await s.exec(select(User))).all()},
                "cases": [c.description for c in (await s.exec(select(Case))).all()],
                "offers": [json.loads(o.terms) for o in (await s.exec(select(OfferRow))).all()],
                "agreements": (
                    await s.exec(select(AgreementRow).order_by(col(AgreementRow.id)))
                ).all(),
                "mail": (await s.exec(select(OutboxMessage))).all(),
            }
    finally:
        await db.dispose()


def _send_chats(c: TestClient, settings: Settings, w: World) -> None:
    joint = w.rooms["A"]["joint"]
    with c.websocket_connect("/ws", headers=headers(settings, w.tokens["paul"])) as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_json({"type": "room.subscribe", "id": "s", "room": joint})
        for n, text in enumerate(PAYLOADS):
            ws.send_json({"type": "chat.send", "id": f"x{n}", "room": joint, "text": text})
        acks, echoed = 0, dict[str, str]()
        while acks < len(PAYLOADS) or len(echoed) < len(PAYLOADS):
            f = ws.receive_json()
            acks += f["type"] == "chat.ack"
            if f["type"] == "chat.message" and f["msg_id"].startswith("x"):
                echoed[f["msg_id"]] = f["text"]
        assert [echoed[f"x{n}"] for n in range(len(PAYLOADS))] == PAYLOADS


def _terms() -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = [{"kind": "free_text", "text": p} for p in PAYLOADS[:10]]
    terms += [
        {"kind": "property_return", "returner": "defendant", "description": p, "by": future()}
        for p in PAYLOADS[10:]
    ]
    return terms


def test_payloads_are_stored_verbatim_and_inert_everywhere_the_server_renders(
    template: World, tmp_path: Path
) -> None:
    with app_for(template, tmp_path) as (c, w, settings):
        paul, dana = headers(settings, w.tokens["paul"]), headers(settings, w.tokens["dana"])
        _send_chats(c, settings, w)
        for name in [p for p in PAYLOADS if len(p) <= 120]:
            r = c.patch("/api/me", json={"display_name": name}, headers=dana)
            assert r.status_code == 200 and r.json()["display_name"] == name
        name = PAYLOADS[1]
        assert c.patch("/api/me", json={"display_name": name}, headers=paul).status_code == 200
        description = "\n".join(PAYLOADS)
        r = c.post(
            "/api/cases",
            headers=paul,
            json={
                "kind": "small_claims",
                "side": "plaintiff",
                "court_name": "Superior Court",
                "court_case_number": "SC-1",
                "description": description,
                "other_name": PAYLOADS[2],
                "other_email": "zed@example.org",
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["description"] == description
        offer = c.post(
            f"/api/cases/{w.cases['A']}/offers",
            headers=dana,
            json={"terms": _terms(), "explanation": PAYLOADS[0]},
        )
        assert offer.status_code == 201, offer.text
        accepted = c.post(f"/api/offers/{offer.json()['id']}/accept", headers=paul)
        assert accepted.status_code == 200, accepted.text
        page = c.get(f"/api/cases/{w.cases['A']}/transcript.html", headers=paul)
        assert page.status_code == 200
        stored = run_sync(_read(settings.database_url))

    # Stored verbatim.
    chats = [e["text"] for e in stored["events"] if e.get("msg_id", "").startswith("x")]
    assert chats == PAYLOADS
    assert stored["users"]["paul@example.org"] == name
    assert description in stored["cases"]
    typed = [[t.get("text") or t.get("description") for t in o] for o in stored["offers"]]
    assert PAYLOADS in typed

    # Inert in the printable transcript: escaped text, no live markup.
    text = assert_inert(
        page.text,
        {
            "html",
            "head",
            "meta",
            "title",
            "body",
            "h1",
            "h2",
            "p",
            "strong",
            "small",
            "br",
            "em",
            "ul",
            "li",
            "section",
            "style",  # the page's own print style, one element in <head> (checked below)
        },
    )
    assert page.text.count("<style") == 1 and "</style></head>" in page.text
    for payload in PAYLOADS:
        assert payload.replace("\n", "") in text.replace("\n", ""), payload

    # Inert in every email: the invitation carries the inviter's name and the other side's.
    mails = [m for m in stored["mail"] if m.body_html]
    assert any(PAYLOADS[1] in m.body_text or PAYLOADS[2] in m.body_text for m in mails)
    for mail in mails:
        text = assert_inert(mail.body_html or "", {"p", "a", "br", "em", "strong"})
        for _tag, attrs in _tags(mail.body_html or ""):
            for attr, value in attrs:
                if attr == "href":
                    assert (value or "").startswith("http://testserver/"), value
        if PAYLOADS[2] in mail.body_text:
            assert PAYLOADS[2] in text  # shown as text, not markup

    # Inert in the agreement PDF: the literal characters, and no JavaScript anywhere.
    agreement = stored["agreements"][-1]
    assert PAYLOADS[0] in agreement.text
    pdf = render_pdf("Settlement agreement", agreement.text)
    reader = PdfReader(io.BytesIO(pdf))
    extracted = "".join(page.extract_text() for page in reader.pages)
    flat = " ".join(extracted.split())
    for payload in PAYLOADS[:8]:
        assert " ".join(payload.split()) in flat, payload
    for marker in (b"/JavaScript", b"/JS", b"/AA", b"/Launch", b"/SubmitForm", b"/URI"):
        assert marker not in pdf, marker
    root: Any = reader.trailer["/Root"]
    assert "/Names" not in root and "/AcroForm" not in root
    # fpdf2 opens the first page at a zoom: a destination array, never an action dictionary.
    opening = root.get("/OpenAction")
    assert opening is None or isinstance(opening.get_object(), list), opening


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags
