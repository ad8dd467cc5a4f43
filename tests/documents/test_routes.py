"""Documents in rooms through the HTTP API, on SQLite and PostgreSQL: who may upload, see and
download what, every refusal with its own reason, retries that store nothing twice, sharing
with the other side, "my documents" as a ZIP, and the room log, transcript and purge."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import func
from sqlmodel import col, select
from starlette.testclient import TestClient

from odrchat import records
from odrchat.audit import AuditEntry
from odrchat.blobs import build_blob_store
from odrchat.blobs.tables import Blob
from odrchat.cases.tables import Case
from odrchat.documents.scan import Scanner, Verdict
from odrchat.documents.tables import Document
from odrchat.rooms import log
from odrchat.rooms.tables import RoomEvent
from odrchat.settings import DocumentSettings, Secret, Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.documents import samples
from tests.helpers import client_for, login
from tests.rooms.test_endpoint import socket, subscribe, until
from tests.rooms.world import PASSWORD, World, world
from tests.s3 import S3Endpoint
from tests.services import run_sync

MB = 1024 * 1024


class Session:
    """One TestClient, logged in as whoever acts next."""

    def __init__(self, client: TestClient, w: World) -> None:
        self.c = client
        self.w = w

    def as_(self, who: str) -> Session:
        self.c.cookies.clear()
        login(self.c, f"{who}@example.org", PASSWORD)
        return self

    def csrf(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.c.get("/api/session").json()["csrf_token"]}

    def upload(
        self,
        room: str,
        data: bytes,
        upload_id: str,
        name: str = "photo.jpg",
        caption: str = "",
    ) -> Any:
        headers = {
            **self.csrf(),
            "X-Upload-Id": upload_id,
            "X-Document-Name": name,
            "X-Document-Caption": caption,
            "Content-Type": "application/octet-stream",
        }
        return self.c.post(
            f"/api/rooms/{self.w.rooms[room]}/documents", content=data, headers=headers
        )

    def listing(self, room: str) -> Any:
        return self.c.get(f"/api/rooms/{self.w.rooms[room]}/documents")

    def download(self, doc_id: int) -> Any:
        return self.c.get(f"/api/documents/{doc_id}/download")

    def share(self, doc_id: int, confirm: bool = True) -> Any:
        return self.c.post(
            f"/api/documents/{doc_id}/share", json={"confirm": confirm}, headers=self.csrf()
        )


@contextmanager
def session(settings: Settings, db_url: str, **kwargs: Any) -> Iterator[Session]:
    w = world(db_url)
    with client_for(settings, **kwargs) as c:
        yield Session(c, w)


def count(db_url: str, table: Any, *where: Any) -> int:
    async def read() -> int:
        db = Database(db_url)
        try:
            async with db.read() as s:
                query = select(func.count()).select_from(table).where(*where)
                return int((await s.exec(query)).one())
        finally:
            await db.dispose()

    return int(run_sync(read()))


def error_code(response: Any) -> str:
    return str(response.json()["error"]["code"])


def test_a_photo_is_shared_as_a_room_event_without_its_location(
    settings: Settings, db_url: str
) -> None:
    with session(settings, db_url) as s:
        r = s.as_("paul").upload(
            "private:plaintiff", samples.jpeg_with_gps(), "up-1", "IMG%201.jpg", "Kitchen%20wall"
        )
        assert r.status_code == 201, r.text
        doc = r.json()["document"]
        assert (doc["name"], doc["caption"], doc["content_type"]) == (
            "IMG 1.jpg",
            "Kitchen wall",
            "image/jpeg",
        )
        got = s.download(doc["id"])
        assert got.status_code == 200
        assert got.headers["content-disposition"].startswith('attachment; filename="IMG 1.jpg"')
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in got.headers["content-security-policy"]
        assert got.headers["content-type"] == "image/jpeg"
        assert int(got.headers["content-length"]) == doc["size"] == len(got.content)
        with Image.open(io.BytesIO(got.content)) as clean:
            assert len(clean.getexif()) == 0
        assert samples.CAMERA.encode() not in got.content
        assert s.listing("private:plaintiff").json()["documents"][0]["id"] == doc["id"]

    async def check_log() -> None:
        db = Database(db_url)
        try:
            async with db.read() as sess:
                events = await log.events_after(sess, s.w.rooms["private:plaintiff"], 0, 10)
            assert [e.type for e in events] == ["document.shared"]
            assert events[0].seq == doc["seq"]
            assert events[0].body["document"]["sha256"] == doc["sha256"]
            assert events[0].body["sender"]["id"] == s.w.users["paul"]
            assert await records.verify_all(db) == []  # the event is in the hash chain
        finally:
            await db.dispose()

    run_sync(check_log())


def test_a_retried_upload_is_stored_once(settings: Settings, db_url: str) -> None:
    with session(settings, db_url) as s:
        s.as_("paul")
        first = s.upload("joint", samples.pdf(), "retry-1", "lease.pdf")
        again = s.upload("joint", samples.pdf(), "retry-1", "lease.pdf")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["duplicate"] is True
        assert again.json()["document"]["id"] == first.json()["document"]["id"]
        other_room = s.upload("private:plaintiff", samples.pdf(), "retry-1", "lease.pdf")
        assert other_room.status_code == 409
        assert error_code(other_room) == "upload_id_reused"
    assert count(db_url, Document) == 1
    assert count(db_url, Blob) == 1
    assert count(db_url, RoomEvent, col(RoomEvent.type) == "document.shared") == 1


def test_the_other_side_and_outsiders_get_404_and_readers_cannot_upload(
    settings: Settings, db_url: str
) -> None:
    with session(settings, db_url) as s:
        doc = s.as_("paul").upload("private:plaintiff", samples.pdf(), "p1").json()["document"]
        for who in ("dana", "eve"):
            s.as_(who)
            assert s.download(doc["id"]).status_code == 404
            assert s.listing("private:plaintiff").status_code == 404
            assert s.share(doc["id"]).status_code == 404
        s.as_("dana")
        refused = s.upload("private:plaintiff", samples.pdf(), "d1")
        assert refused.status_code == 404  # not even told that the room exists
        s.as_("otto")  # an observer reads the joint room but writes nowhere
        r = s.upload("joint", samples.pdf(), "o1")
        assert (r.status_code, error_code(r)) == (403, "not_allowed")
        assert s.download(doc["id"]).status_code == 404  # observers never see a private room
        s.as_("alex")  # the plaintiff's attorney sees the plaintiff's private room
        assert s.download(doc["id"]).status_code == 200
    assert count(db_url, Document) == 1


def test_staff_downloads_are_audited_and_parties_are_not(settings: Settings, db_url: str) -> None:
    with session(settings, db_url) as s:
        doc = s.as_("paul").upload("joint", samples.pdf(), "a1").json()["document"]
        assert s.download(doc["id"]).status_code == 200
        for who in ("dana", "mia", "admin", "otto"):
            assert s.as_(who).download(doc["id"]).status_code == 200
    audited = count(db_url, AuditEntry, col(AuditEntry.action) == "document.download")
    assert audited == 3  # the mediator, the administrator and the observer


@pytest.mark.parametrize(
    ("limits", "uploads", "status", "code"),
    [
        (DocumentSettings(max_bytes=2000), [samples.pdf() + b"\n" * 2000], 413, "too_big"),
        (DocumentSettings(), [samples.SVG], 415, "wrong_type"),
        (DocumentSettings(), [samples.HTML], 415, "wrong_type"),
        (DocumentSettings(), [b"\xff\xd8\xff\xe0broken"], 422, "unreadable"),
        (DocumentSettings(uploads_per_hour=2), [samples.pdf()] * 3, 429, "rate_limited"),
        (
            DocumentSettings(user_quota_bytes=len(samples.pdf()) * 2),
            [samples.pdf()] * 3,
            413,
            "user_quota",
        ),
    ],
    ids=["too_big", "svg", "html", "damaged", "rate", "user_quota"],
)
def test_each_refusal_has_its_own_status_and_code(
    db_url: str,
    make_settings: Callable[..., Settings],
    limits: DocumentSettings,
    uploads: list[bytes],
    status: int,
    code: str,
) -> None:
    settings = make_settings(db_url, documents=limits)
    with session(settings, db_url) as s:
        s.as_("paul")
        responses = [s.upload("joint", data, f"u{i}") for i, data in enumerate(uploads)]
    *accepted, last = responses
    assert all(r.status_code == 201 for r in accepted)
    assert (last.status_code, error_code(last)) == (status, code), last.text
    assert last.json()["error"]["message"]  # a sentence a person can read
    assert count(db_url, Document) == len(accepted)
    assert count(db_url, Blob) == len(accepted)  # a refused file leaves no bytes behind


def test_the_case_quota_counts_everyone(
    db_url: str, make_settings: Callable[..., Settings]
) -> None:
    size = len(samples.pdf())
    settings = make_settings(db_url, documents=DocumentSettings(case_quota_bytes=size * 2))
    with session(settings, db_url) as s:
        assert s.as_("paul").upload("joint", samples.pdf(), "1").status_code == 201
        assert s.as_("dana").upload("joint", samples.pdf(), "2").status_code == 201
        r = s.as_("mia").upload("mediators", samples.pdf(), "3")
        assert (r.status_code, error_code(r)) == (413, "case_quota")


class Flagging(Scanner):
    async def scan(self, path: Path) -> Verdict:
        data = await asyncio.to_thread(path.read_bytes)
        return Verdict(clean=b"EICAR" not in data, signature="Eicar-Test-Signature")


def test_the_scanner_sees_every_upload_before_it_is_stored(settings: Settings, db_url: str) -> None:
    with session(settings, db_url, scanner=Flagging()) as s:
        s.as_("paul")
        bad = s.upload("joint", samples.pdf("EICAR"), "v1")
        assert (bad.status_code, error_code(bad)) == (422, "infected")
        assert s.upload("joint", samples.pdf("clean"), "v2").status_code == 201
    assert count(db_url, Document) == 1
    assert count(db_url, AuditEntry, col(AuditEntry.action) == "document.refused") == 1


def test_sharing_with_the_other_side_copies_into_the_joint_room_only(
    settings: Settings, db_url: str
) -> None:
    with session(settings, db_url) as s:
        s.as_("paul")
        photo = s.upload("private:plaintiff", samples.jpeg_with_gps(), "s1").json()["document"]
        note = s.upload("private:plaintiff", samples.pdf(), "s2").json()["document"]
        assert s.share(photo["id"], confirm=False).status_code == 422
        shared = s.share(photo["id"])
        assert shared.status_code == 201, shared.text
        copy = shared.json()["document"]
        assert copy["room"] == s.w.rooms["joint"] and copy["copy_of"] == photo["id"]
        assert copy["sha256"] == photo["sha256"]
        assert s.share(photo["id"]).json()["document"]["id"] == copy["id"]  # once only
        joint = s.upload("joint", samples.pdf(), "s3").json()["document"]
        r = s.share(joint["id"])
        assert (r.status_code, error_code(r)) == (409, "not_private")
        s.as_("mia")
        r = s.share(note["id"])
        assert (r.status_code, error_code(r)) == (403, "not_owner")
        s.as_("dana")
        seen = [d["id"] for d in s.listing("joint").json()["documents"]]
        assert seen == [copy["id"], joint["id"]]
        assert s.download(copy["id"]).content == s.as_("paul").download(photo["id"]).content
        assert s.as_("dana").download(note["id"]).status_code == 404
        transcript = s.c.get(f"/api/cases/{s.w.case_id}/transcript").json()
        names = [
            e["document"]["id"]
            for room in transcript["rooms"]
            for e in room["events"]
            if e["type"] == "document.shared"
        ]
        assert names == [copy["id"], joint["id"]]  # nothing from the plaintiff's private room
        page = s.c.get(f"/api/cases/{s.w.case_id}/transcript.html").text
        assert f"SHA-256 {photo['sha256']}" in page and "Shared a document" in page
    assert count(db_url, Blob) == 4  # photo + its thumbnail + two PDFs: the copy reuses them


def test_my_documents_zip_holds_my_uploads_and_nothing_else(
    settings: Settings, db_url: str
) -> None:
    with session(settings, db_url) as s:
        s.as_("paul")
        lease = samples.pdf("one")
        mine = [
            s.upload("private:plaintiff", lease, "z1", "lease.pdf"),
            s.upload("joint", samples.jpeg_with_gps(), "z2", "lease.jpg"),
        ]
        s.share(mine[0].json()["document"]["id"])
        s.as_("mia").upload("private:plaintiff", samples.pdf("mediator note"), "z3", "note.pdf")
        s.as_("dana").upload("joint", samples.pdf("their side"), "z4", "theirs.pdf")
        s.as_("paul")
        # Before the mediation ends the bundle is not offered, and asking is a clear 409.
        early = s.c.get(f"/api/cases/{s.w.case_id}/documents/mine.zip")
        assert early.status_code == 409 and error_code(early) == "not_ended"
        assert s.listing("private:plaintiff").json()["my_documents_zip"] is None
        s.as_("mia")
        assert s.c.post(f"/api/cases/{s.w.case_id}/impasse", headers=s.csrf()).status_code == 200
        zip_url = f"/api/cases/{s.w.case_id}/documents/mine.zip"
        assert s.listing("mediators").json()["my_documents_zip"] is None  # not a party
        s.as_("paul")
        assert s.listing("private:plaintiff").json()["my_documents_zip"] == zip_url
        r = s.c.get(zip_url)
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/zip"
        assert r.headers["content-disposition"].startswith("attachment;")
        with zipfile.ZipFile(io.BytesIO(r.content)) as bundle:
            assert bundle.namelist() == ["01 lease.pdf", "02 lease.jpg", "index.txt"]
            assert bundle.read("01 lease.pdf") == lease
            index = bundle.read("index.txt").decode()
        assert mine[0].json()["document"]["sha256"] in index
        assert s.as_("eve").c.get(f"/api/cases/{s.w.case_id}/documents/mine.zip").status_code == 404


def test_purge_removes_documents_and_their_bytes_unless_held(
    settings: Settings, db_url: str
) -> None:
    with session(settings, db_url) as s:
        s.as_("paul")
        doc = s.upload("private:plaintiff", samples.pdf(), "g1").json()["document"]
        s.share(doc["id"])
        assert s.upload("joint", samples.jpeg_with_gps(), "g2").status_code == 201
    case_id = s.w.case_id

    async def scenario() -> None:
        db = Database(db_url)
        try:
            async with db.session() as sess:
                case = await sess.get(Case, case_id)
                assert case is not None
                case.status, case.closed_at = "closed", utcnow() - timedelta(days=400)
                sess.add(case)
                await records.place_hold(sess, case_id, None, "complaint")
            held = await records.purge(db, timedelta(days=365))
            assert held.held == (case_id,) and held.documents == 0
            assert count(db_url, Document) == 3 and count(db_url, Blob) == 3  # + a thumbnail
            async with db.session() as sess:
                await records.lift_hold(sess, case_id, None)
            report = await records.purge(db, timedelta(days=365))
            assert report.cases == (case_id,) and report.documents == 3
            assert await records.verify_all(db) == []
            async with db.read() as sess:
                entry = (
                    await sess.exec(
                        select(AuditEntry).where(col(AuditEntry.action) == "records.purge")
                    )
                ).one()
            assert json.loads(entry.detail)["documents"] == 3
        finally:
            await db.dispose()

    run_sync(scenario())
    assert count(db_url, Document) == 0
    assert count(db_url, Blob) == 0


@pytest.mark.s3
def test_documents_in_an_s3_store_end_to_end(
    db_url: str, make_settings: Callable[..., Settings], s3_endpoint: S3Endpoint
) -> None:
    """The same upload, download and purge with the bytes in an S3 bucket (moto's server),
    configured through the settings as an operator would."""
    limits = DocumentSettings(
        store="s3",
        s3_bucket=s3_endpoint.new_bucket(),
        s3_endpoint_url=s3_endpoint.url,
        s3_access_key_id=s3_endpoint.access_key_id,
        s3_secret_access_key=Secret(s3_endpoint.secret_access_key),
        s3_prefix="evidence/",
    )
    settings = make_settings(db_url, documents=limits)
    with session(settings, db_url) as s:
        data = samples.pdf("in a bucket")
        doc = s.as_("paul").upload("joint", data, "s3-1", "lease.pdf").json()["document"]
        assert s.as_("dana").download(doc["id"]).content == data
        assert s.as_("eve").download(doc["id"]).status_code == 404
    assert count(db_url, Blob) == 0  # nothing in the database's own store

    async def check_and_purge() -> None:
        db = Database(db_url)
        store = build_blob_store(limits, db)
        await store.connect()
        try:
            key = await _blob_key(db, doc["id"])
            assert await store.size(key) == len(data)
            async with db.session() as sess:
                case = await sess.get(Case, s.w.case_id)
                assert case is not None
                case.status, case.closed_at = "closed", utcnow() - timedelta(days=400)
                sess.add(case)
            report = await records.purge(db, timedelta(days=365), blobs=store)
            assert report.documents == 1
            assert await store.size(key) is None
        finally:
            await store.close()
            await db.dispose()

    run_sync(check_and_purge())


async def _blob_key(db: Database, doc_id: int) -> str:
    async with db.read() as s:
        doc = await s.get(Document, doc_id)
        assert doc is not None
        return doc.blob_key


def test_a_shared_document_reaches_open_sockets_and_is_replayed_on_resume(
    settings: Settings, db_url: str
) -> None:
    w = world(db_url)
    joint = w.rooms["joint"]
    with client_for(settings) as c, socket(c, "dana") as dana:
        subscribe(dana, joint, after=0)
        s = Session(c, w).as_("paul")
        doc = s.upload("joint", samples.pdf(), "ws-1", "lease.pdf", "Signed%20lease").json()
        live = until(dana, "document.shared")
        assert live["seq"] == doc["document"]["seq"] and live["room"] == joint
        assert live["document"]["caption"] == "Signed lease"
        assert live["document"]["url"] == f"/api/documents/{doc['document']['id']}/download"
        with socket(c, "dana") as again:
            _, replayed = subscribe(again, joint, after=0)
        assert [e["type"] for e in replayed] == ["document.shared"]
        assert replayed[0]["document"]["sha256"] == doc["document"]["sha256"]


def test_a_hostile_file_name_is_text_everywhere(settings: Settings, db_url: str) -> None:
    """A name or caption written as HTML is kept as typed and escaped in the printable
    transcript; the download's header carries a safe ASCII fallback."""
    hostile = "<img src=x onerror=alert(1)>.jpg"
    with session(settings, db_url) as s:
        s.as_("paul")
        r = s.upload("joint", samples.jpeg_with_gps(), "x1", quote(hostile), quote("<b>hi</b>"))
        doc = r.json()["document"]
        assert (doc["name"], doc["caption"]) == (hostile, "<b>hi</b>")
        page = s.c.get(f"/api/cases/{s.w.case_id}/transcript.html").text
        assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.jpg" in page
        assert "<b>hi</b>" not in page
        disposition = s.download(doc["id"]).headers["content-disposition"]
        assert disposition.startswith('attachment; filename="_img src_x onerror_alert(1)_.jpg";')


def test_pictures_get_a_thumbnail_and_pdfs_a_page_count_under_the_room_rule(
    settings: Settings, db_url: str
) -> None:
    with session(settings, db_url) as s:
        s.as_("paul")
        photo = s.upload(
            "private:plaintiff", samples.jpeg_with_gps((900, 600)), "t1", "wall.jpg"
        ).json()["document"]
        lease = s.upload("private:plaintiff", samples.pdf(pages=3), "t2", "lease.pdf").json()[
            "document"
        ]
        assert photo["thumbnail_url"] == f"/api/documents/{photo['id']}/thumbnail"
        assert photo["pages"] is None
        assert lease["pages"] == 3 and lease["thumbnail_url"] is None
        listed = {d["id"]: d for d in s.listing("private:plaintiff").json()["documents"]}
        assert listed[lease["id"]]["pages"] == 3
        r = s.c.get(photo["thumbnail_url"])
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert r.headers["x-content-type-options"] == "nosniff"
        with Image.open(io.BytesIO(r.content)) as thumb:
            assert thumb.format == "JPEG" and max(thumb.size) == 320
            assert thumb.size == (320, 213)  # the photo's proportions
            assert not thumb.getexif()  # drawn from the cleaned pixels: no location
        assert s.c.get(f"/api/documents/{lease['id']}/thumbnail").status_code == 404
        # The other side and outsiders cannot see a private picture, not even small.
        assert s.as_("dana").c.get(photo["thumbnail_url"]).status_code == 404
        assert s.as_("eve").c.get(photo["thumbnail_url"]).status_code == 404
        # A copy shared with the other side shows the same thumbnail, stored once.
        s.as_("paul")
        copy = s.share(photo["id"]).json()["document"]
        shown = s.as_("dana").c.get(copy["thumbnail_url"])
        assert shown.status_code == 200 and shown.content == r.content
        audited = count(
            db_url, AuditEntry, col(AuditEntry.action) == "document.download"
        )  # a thumbnail is the list, not a download
        assert audited == 0
    assert count(db_url, Blob) == 3  # photo, its thumbnail, the PDF: the copy adds nothing


def test_a_mute_blocks_uploads_to_the_joint_room_until_it_ends(
    settings: Settings, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A muted party may not share a file in the joint room (her private room stays open);
    once the mute's time is up she may, at once, as chat.send lets her write again: both read
    the same control state and compare its end with the clock, not with a cached answer."""
    with session(settings, db_url) as s:
        s.as_("mia")
        muted = s.c.post(
            f"/api/cases/{s.w.case_id}/control/mute",
            json={"user_id": s.w.users["dana"], "minutes": 5},
            headers=s.csrf(),
        )
        assert muted.status_code == 200, muted.text
        s.as_("dana")
        refused = s.upload("joint", samples.pdf(), "m1")
        assert (refused.status_code, error_code(refused)) == (403, "not_allowed")
        assert s.upload("private:defendant", samples.pdf(), "m2").status_code == 201
        # Six minutes on, with no word from anyone: the mute is over.
        later = utcnow() + timedelta(minutes=6)
        for module in ("odrchat.rooms.directory", "odrchat.documents.service"):
            monkeypatch.setattr(f"{module}.utcnow", lambda: later, raising=False)
        done = s.upload("joint", samples.pdf(), "m3")
        assert done.status_code == 201, done.text
