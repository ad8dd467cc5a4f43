"""No party or attorney ever receives the other side's email, phone or screening answers.

Generated, not hand-picked: a whole mediation runs in case A of the security world (chat in every
room, a counter-offer with a payment plan accepted, the agreement drafted, sent and signed by both
parties, a payment reported missed, a document shared, a help request, screening answers on both
sides) while each sided seat has a socket open on every room it may read; case A3 ends in an
impasse after both parties uploaded a file, so its "my documents" ZIP can be downloaded. Then
every GET endpoint of the OpenAPI document (`all_endpoints()`) is called by every sided seat with
every identifier of its own cases that fits the path. Every frame, every response body (whatever
its status) and every email or text queued to them, attachments included, is searched for the
other side's markers: their people's email addresses and phone numbers (in full, as national
digits however they are spaced or punctuated, as the last four digits and as a masked number's
last three) and their party's screening note. No screening answer key may appear anywhere a party
or attorney looks, except a party's own answers at `GET /api/cases/{id}/screening`.

Compressed or packed bodies are opened first (`readable`): a PDF's text is extracted page by page
with pypdf, with its document information, XMP metadata, form fields, link and note annotations
and embedded files; a ZIP's members (and their names and comments) are read one by one, PDFs
inside included. The signed agreement, the signature page, the enforcement worksheet, the ZIP and
a shared PDF must each have been received as such by the seats that may download them, and the
text extracted from each agreement PDF must show the case number: an extraction that read nothing
would otherwise pass.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pypdf
from pypdf.generic import ArrayObject, DictionaryObject
from sqlmodel import col, select, update
from starlette.testclient import TestClient

from odrchat.agreements.dates import local_date
from odrchat.agreements.tables import InstalmentRow
from odrchat.app import all_endpoints
from odrchat.notify.smtp import EmailRenderer, mime_message
from odrchat.notify.tables import OutboxMessage
from odrchat.rooms.tables import Room
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.documents import samples
from tests.offers.test_service import day
from tests.security.authz_table import TOKEN
from tests.security.world import (
    CAST,
    PASSWORD,
    PHONES,
    SCREENING_NOTES,
    World,
    app_for,
    headers,
    terms,
)
from tests.services import run_sync

SIDED = {role: who for role, (who, _, side) in CAST.items() if side is not None}
SIDE_OF = {who: side for _, (who, _, side) in CAST.items() if side is not None}
PARTY_OF = {"plaintiff": "paul", "defendant": "dana"}
PROBE_ROOM = 2**31 - 1


def markers(side: str) -> list[str]:
    """Everything of `side` that the other side must never receive, as plain substrings."""
    out = [SCREENING_NOTES[PARTY_OF[side]]]
    for who, their_side in SIDE_OF.items():
        if their_side == side:
            phone = PHONES[who]
            out += [f"{who}@example.org", phone, phone[2:], phone[-4:] + '"']
    return out


def numbers(side: str) -> list[tuple[str, re.Pattern[str]]]:
    """`side`'s phone numbers as printed: national digits with any spacing or punctuation
    ("(213) 555-0111", "213.555.0111", "+1 213 555 0111"), or masked to their last digits."""
    out = []
    for who, their_side in SIDE_OF.items():
        if their_side == side:
            digits = PHONES[who][2:]
            spaced = r"[\s().\-\u2010-\u2015]*".join(digits)
            masked = r"[*\u2022xX]{3,}[\s\-]*" + digits[-3:] + r"(?!\d)"
            out += [(PHONES[who], re.compile(spaced)), (PHONES[who], re.compile(masked))]
    return out


def other(side: str) -> str:
    return "defendant" if side == "plaintiff" else "plaintiff"


def check(text: str, role: str, where: str, *, own_screening: bool = False) -> None:
    who = SIDED[role]
    theirs = other(SIDE_OF[who])
    for marker in markers(theirs):
        assert marker not in text, f"{role} received {marker!r} in {where}"
    for number, pattern in numbers(theirs):
        found = pattern.search(text)
        assert found is None, f"{role} received {number!r} as {found.group()!r} in {where}"
    if not own_screening:
        assert '"afraid"' not in text and '"support_person"' not in text, (role, where)


def pdf_text(body: bytes) -> str:
    """What a PDF reader shows of `body`: every page's text, the document information and XMP
    metadata, form fields, the text and targets of annotations (a mailto: link shows no text),
    and whatever is readable in embedded files."""
    reader = pypdf.PdfReader(io.BytesIO(body))
    parts = [page.extract_text() for page in reader.pages]
    parts += [f"{key} {value}" for key, value in (reader.metadata or {}).items()]
    xmp = reader.xmp_metadata
    if xmp is not None:
        parts.append(xmp.rdf_root.toxml())
    parts += [f"{name} {field.get('/V')}" for name, field in (reader.get_fields() or {}).items()]
    for page in reader.pages:
        annotations = page.get("/Annots")  # .get() does not resolve an indirect object
        annotations = annotations.get_object() if annotations is not None else None
        for ref in annotations if isinstance(annotations, ArrayObject) else ():
            note = ref.get_object()
            if not isinstance(note, DictionaryObject):
                continue
            action = note.get("/A")
            action = action.get_object() if action is not None else {}
            parts += [str(note.get("/Contents", "")), str(action.get("/URI", ""))]
    for name, files in reader.attachments.items():
        parts.append(name)
        parts += [readable(data) for data in files]
    return "\n".join(parts)


def readable(body: bytes) -> str:
    """Everything a person could read in `body`: its bytes as text, and the text inside every
    PDF and ZIP (by their magic bytes: a download's content type may be `*/*`)."""
    parts = [body.decode("latin-1")]
    if body.startswith(b"%PDF-"):
        parts.append(pdf_text(body))
    elif body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as bundle:
            parts.append(bundle.comment.decode("latin-1"))
            for member in bundle.infolist():
                parts += [member.filename, member.comment.decode("latin-1")]
                parts.append(readable(bundle.read(member)))
    return "\n".join(parts)


class Person:
    """One seat's HTTP calls through the shared client (its own cookie, CSRF and origin)."""

    def __init__(self, c: TestClient, settings: Settings, world: World, who: str) -> None:
        self.c, self.settings, self.world, self.who = c, settings, world, who

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        self.c.cookies.clear()
        h = {**headers(self.settings, self.world.tokens[self.who]), **extra.pop("headers", {})}
        return self.c.request(method, path, json=body, headers=h, **extra)

    def ok(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        r = self.call(method, path, body, **extra)
        assert r.status_code < 300, (self.who, method, path, r.text)
        return r.json()


def drain(ws: Any, until: str, room: int) -> list[dict[str, Any]]:
    """Frames until a `until` event in `room` has come, then up to a probe's reply."""
    frames: list[dict[str, Any]] = []
    for _ in range(5000):
        f = ws.receive_json()
        frames.append(f)
        if f["type"] == until and f.get("room") == room:
            break
    else:
        raise AssertionError(f"no {until}")
    ws.send_json({"type": "room.unsubscribe", "id": "probe", "room": PROBE_ROOM})
    for _ in range(5000):
        f = ws.receive_json()
        frames.append(f)
        if f.get("re") == "probe":
            return frames
    raise AssertionError("no reply to the probe")


def mediate(people: dict[str, Person], world: World) -> dict[str, int]:
    """A whole mediation in case A, through the API; returns the new ids it made."""
    case_a, rooms = world.cases["A"], world.rooms["A"]
    paul, dana, mia = people["paul"], people["dana"], people["mia"]
    plan = {
        "kind": "payment",
        "payer": "defendant",
        "payee": "plaintiff",
        "amount_cents": 40_000,
        "schedule": {
            "kind": "installments",
            "installments": [{"amount_cents": 40_000, "due": day(30)}],
        },
    }
    countered = dana.ok(
        "POST",
        f"/api/offers/{world.offers['A']}/counter",
        {"terms": [*terms("Half the ladder."), plan]},
    )
    paul.ok("POST", f"/api/offers/{countered['id']}/accept")
    agreement = mia.ok("GET", f"/api/cases/{case_a}/agreement")
    agreement_id = int(agreement["id"])
    mia.ok("POST", f"/api/agreements/{agreement_id}/send")
    dana.ok("POST", f"/api/cases/{case_a}/help", {"reason": "unsafe"})
    shared = dana.call(
        "POST",
        f"/api/rooms/{rooms['joint']}/documents",
        content=samples.pdf(),
        headers={"x-upload-id": "leak-doc", "x-document-name": "receipt.pdf"},
    )
    assert shared.status_code == 201, shared.text
    for who, name in (("paul", "Paul"), ("dana", "Dana")):
        doc = people[who].ok("GET", f"/api/agreements/{agreement_id}")
        people[who].ok(
            "POST",
            f"/api/agreements/{agreement_id}/sign",
            {
                "esign_consent": True,
                "password": PASSWORD,
                "typed_name": name,
                "agree_bound": True,
                "document_sha256": doc["document_sha256"],
            },
        )
    return {"agreement": agreement_id, "document": int(shared.json()["document"]["id"])}


def miss_the_payment(people: dict[str, Person], settings: Settings, agreement_id: int) -> None:
    """The signed plan's payment falls due yesterday (the terms refuse past dates, so the row
    is moved) and Paul reports it missed: the enforcement worksheet can be downloaded."""

    async def backdate() -> None:
        db = Database(settings.database_url)
        try:
            async with db.session() as s:
                yesterday = local_date(utcnow(), settings.tz) - timedelta(days=1)
                await s.exec(
                    update(InstalmentRow)
                    .where(col(InstalmentRow.agreement_id) == agreement_id)
                    .values(due=yesterday)
                )
        finally:
            await db.dispose()

    run_sync(backdate())
    missed = people["paul"].ok(
        "POST", f"/api/agreements/{agreement_id}/payments/1", {"action": "report_missed"}
    )
    assert missed["payments"]["instalments"][0]["status"] == "missed"


def end_in_impasse(people: dict[str, Person], settings: Settings, world: World) -> None:
    """Both parties of case A3 upload a PDF to their private rooms, then the mediator records an
    impasse: each party may download their own files as a ZIP."""

    async def private_rooms() -> dict[str, int]:
        db = Database(settings.database_url)
        try:
            async with db.session() as s:
                stmt = select(Room).where(
                    col(Room.case_id) == world.cases["A3"], col(Room.kind) == "private"
                )
                return {r.side or "": r.id or 0 for r in (await s.exec(stmt)).all()}
        finally:
            await db.dispose()

    rooms = run_sync(private_rooms())
    for who, side in (("paul", "plaintiff"), ("dana", "defendant")):
        r = people[who].call(
            "POST",
            f"/api/rooms/{rooms[side]}/documents",
            content=samples.pdf(f"Notes of {who.title()}"),
            headers={"x-upload-id": f"zip-{who}", "x-document-name": f"{who}.pdf"},
        )
        assert r.status_code == 201, r.text
    people["mia"].ok("POST", f"/api/cases/{world.cases['A3']}/impasse")


def url_variants(path: str, world: World, who: str, made: dict[str, int]) -> list[str]:
    """Every URL of `path` naming something of the seat's own case (A, or A2 for agreements)."""
    side = SIDE_OF[who]
    rooms = world.rooms["A"]
    docs = [world.documents["A"], made["document"]]
    if side == "plaintiff":
        docs.append(world.documents["A-private"])
    values: dict[str, list[object]] = {
        "case_id": [world.cases["A"], world.cases["A2"], world.cases["A3"]],
        "agreement_id": [made["agreement"], world.agreements["A2"]],
        "offer_id": [world.offers["A"], world.offers["A2"]],
        "room_id": [rooms["joint"], rooms[f"private:{side}"]],
        "document_id": docs,
        "user_id": [world.users["otto"]],
        "token": [TOKEN],
        "invitation_id": [world.invitations["K"]],  # bob's invitation to paul
    }
    names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
    out = []
    for combo in itertools.product(*(values[n] for n in names)):
        url = path
        for name, value in zip(names, combo, strict=True):
            url = re.sub(r"\{" + name + r"(?::\w+)?\}", str(value), url)
        out.append(url)
    return out


def test_no_party_receives_the_other_sides_contacts_or_screening(
    template: World, tmp_path: Path
) -> None:
    gets = [ep.path for ep in all_endpoints() if ep.method == "GET"]
    assert len(gets) > 20
    with app_for(template, tmp_path) as (c, world, settings):
        people = {
            who: Person(c, settings, world, who) for who in (*SIDED.values(), "mia", "cole", "ada")
        }
        sockets: dict[str, Any] = {}
        with (
            c.websocket_connect("/ws", headers=headers(settings, world.tokens["paul"])) as ws_p,
            c.websocket_connect("/ws", headers=headers(settings, world.tokens["dana"])) as ws_d,
            c.websocket_connect("/ws", headers=headers(settings, world.tokens["alex"])) as ws_a,
            c.websocket_connect("/ws", headers=headers(settings, world.tokens["dora"])) as ws_o,
        ):
            sockets = {"paul": ws_p, "dana": ws_d, "alex": ws_a, "dora": ws_o}
            frames: dict[str, list[dict[str, Any]]] = {}
            for who, ws in sockets.items():
                hello = ws.receive_json()
                frames[who] = [hello]
                side = SIDE_OF[who]
                for key in ("joint", f"private:{side}"):
                    room = world.rooms["A"][key]
                    ws.send_json({"type": "room.subscribe", "id": f"s{key}", "room": room})
                    ws.send_json(
                        {"type": "chat.send", "id": f"m{who}{key}", "room": room, "text": "hi"}
                    )
            made = mediate(people, world)
            miss_the_payment(people, settings, made["agreement"])
            end_in_impasse(people, settings, world)
            joint = world.rooms["A"]["joint"]
            for who, ws in sockets.items():
                frames[who] += drain(ws, "agreement.final", joint)
        for who, got in frames.items():
            types = {f["type"] for f in got}
            assert {"document.shared", "offer.accepted", "chat.message"} <= types, (who, types)
            role = next(r for r, w in SIDED.items() if w == who)
            for f in got:
                check(json.dumps(f), role, f"frame {f['type']}")
        # The help request shows in Dana's private room only.
        assert any(f["type"] == "case.help_requested" for f in frames["dana"])
        assert not any(f["type"] == "case.help_requested" for f in frames["paul"])

        visited: set[str] = set()
        # (seat, path) -> the kinds of file it downloaded there ("pdf", "zip")
        files: dict[tuple[str, str], set[str]] = {}
        case_number = "SC-2026-0042"
        for role, who in SIDED.items():
            for path in gets:
                for url in url_variants(path, world, who, made):
                    r = people[who].call("GET", url)
                    assert r.status_code < 500, (role, url, r.text[:300])
                    visited.add(path)
                    own = path.endswith("/screening") and who in PARTY_OF.values()
                    check(readable(r.content), role, f"GET {url}", own_screening=own)
                    if own and r.status_code == 200:
                        assert {a["user_id"] for a in r.json()["answers"]} <= {world.users[who]}
                    if r.status_code == 200 and r.content.startswith((b"%PDF-", b"PK\x03\x04")):
                        kind = "pdf" if r.content.startswith(b"%PDF-") else "zip"
                        files.setdefault((who, path), set()).add(kind)
                        if path.startswith("/api/agreements/"):
                            # The extraction reads the agreement's papers, not nothing.
                            assert case_number in pdf_text(r.content), (role, url)
        assert visited == set(gets)
        agreement = "/api/agreements/{agreement_id:int}"
        # The files a party or attorney may download were downloaded, and searched.
        for who in SIDED.values():
            assert files.get((who, agreement + "/pdf")) == {"pdf"}, who  # the signed agreement
            assert files.get((who, agreement + "/enforcement-worksheet")) == {"pdf"}, who
            assert files.get((who, "/api/documents/{document_id:int}/download")), who
        for who in PARTY_OF.values():
            assert files.get((who, agreement + "/signature-page")) == {"pdf"}, who  # A2's
            mine = files.get((who, "/api/cases/{case_id:int}/documents/mine.zip"))
            assert mine == {"zip"}, who  # A3's, after its impasse

        # Every email and text queued to a sided seat.
        async def queued() -> list[OutboxMessage]:
            db = Database(settings.database_url)
            try:
                async with db.session() as s:
                    stmt = select(OutboxMessage).order_by(col(OutboxMessage.id))
                    return list((await s.exec(stmt)).all())
            finally:
                await db.dispose()

        rows = run_sync(queued())
        for role, who in SIDED.items():
            mine = [r for r in rows if r.recipient in (f"{who}@example.org", PHONES[who])]
            assert mine, who  # the mediation did tell them things
            for row in mine:
                text = " ".join((row.subject, row.body_text, row.body_html or ""))
                check(text, role, f"{row.channel} {row.subject!r}")
                for attached in json.loads(row.attachments):
                    data = base64.b64decode(attached["data"])
                    where = f"{row.channel} {row.subject!r}, attachment {attached['filename']!r}"
                    check(readable(data) + attached["filename"], role, where)
            # The signed agreement went to everyone by email, as a PDF.
            assert any('"application/pdf"' in row.attachments for row in mine), who


def test_invitations_come_from_the_centre_and_carry_no_inviter_contact(
    template: World, tmp_path: Path
) -> None:
    """Case I of the world: paul invited ivy; the email is the centre's, from its address."""
    with app_for(template, tmp_path) as (_c, world, settings):

        async def to_ivy() -> list[OutboxMessage]:
            db = Database(settings.database_url)
            try:
                async with db.session() as s:
                    stmt = select(OutboxMessage).where(
                        col(OutboxMessage.recipient) == "ivy@example.org"
                    )
                    return list((await s.exec(stmt)).all())
            finally:
                await db.dispose()

        (row,) = run_sync(to_ivy())
        mime = mime_message(EmailRenderer().restore(row), settings.smtp_from)
        assert mime["From"] == settings.smtp_from
        assert mime["Reply-To"] is None and mime["Sender"] is None
        whole = mime.as_string()
        assert "paul@example.org" not in whole and PHONES["paul"] not in whole
        assert "Paul" in row.body_text  # by display name only
        assert world.cases["I"]
