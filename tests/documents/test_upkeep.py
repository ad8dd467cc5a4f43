"""Document store upkeep: the orphan sweep takes only old blobs that no document names, and
verification notices stored bytes that are missing or differ from what was shared."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import col, select

from odrchat.blobs.database import DatabaseBlobStore
from odrchat.blobs.tables import Blob, BlobChunk
from odrchat.documents.tables import Document
from odrchat.documents.upkeep import sweep_orphans, verify_blobs
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.documents import samples
from tests.documents.test_routes import session
from tests.services import run_sync
from tests.test_cli import odrchat


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def shared_photo_and_pdf(settings: Settings, db_url: str) -> None:
    with session(settings, db_url) as s:
        s.as_("paul")
        assert s.upload("joint", samples.jpeg_with_gps((400, 300)), "k1").status_code == 201
        assert s.upload("joint", samples.pdf(), "k2", "lease.pdf").status_code == 201


def test_the_sweep_takes_old_orphans_and_nothing_in_use_or_in_flight(
    settings: Settings, db_url: str
) -> None:
    shared_photo_and_pdf(settings, db_url)

    async def scenario() -> None:
        db = Database(db_url)
        blobs = DatabaseBlobStore(db)
        try:
            # A process died after storing bytes and before committing the record.
            await blobs.put("lost-upload", one(b"bytes nobody points at"), content_type="x/y")
            in_use = {
                key for pair in (await _rows(db)) for key in (pair.blob_key, pair.thumb_key) if key
            }
            assert len(in_use) == 3  # the photo, its thumbnail, the PDF
            young = await sweep_orphans(db, blobs)  # everything is younger than the grace
            assert young.orphans == () and young.kept == 0
            later = utcnow() + timedelta(hours=2)
            dry = await sweep_orphans(db, blobs, now=later, dry_run=True)
            assert dry.orphans == ("lost-upload",) and dry.kept == 3
            assert await blobs.size("lost-upload") is not None  # a dry run deletes nothing
            report = await sweep_orphans(db, blobs, now=later)
            assert report.orphans == ("lost-upload",)
            assert await blobs.size("lost-upload") is None
            for key in in_use:
                assert await blobs.size(key) is not None
        finally:
            await db.dispose()

    run_sync(scenario())


def test_verification_finds_changed_and_missing_bytes(settings: Settings, db_url: str) -> None:
    shared_photo_and_pdf(settings, db_url)

    async def scenario() -> None:
        db = Database(db_url)
        blobs = DatabaseBlobStore(db)
        try:
            assert await verify_blobs(db, blobs) == []
            photo, lease = sorted(await _rows(db), key=lambda d: d.id or 0)
            async with db.session() as s:  # someone edits the stored PDF behind our back
                await s.exec(
                    update(BlobChunk)
                    .where(col(BlobChunk.blob_key) == lease.blob_key)
                    .values(data=b"%PDF-1.4 forged %%EOF")
                )
            await blobs.delete(photo.blob_key)
            found = {m.document_id: m.reason for m in await verify_blobs(db, blobs)}
            assert found == {
                photo.id: "bytes missing from the store",
                lease.id: "stored bytes differ from what was shared",
            }
            async with db.read() as s:
                assert (await s.exec(select(Blob).where(col(Blob.key) == lease.blob_key))).one()
        finally:
            await db.dispose()

    run_sync(scenario())


async def _rows(db: Database) -> list[Document]:
    async with db.read() as s:
        return list((await s.exec(select(Document))).all())


def test_the_commands_as_an_operator_runs_them(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/odr.sqlite3", "SECRET_KEY": "s" * 40}
    assert odrchat("db", "upgrade", env=env, cwd=tmp_path).returncode == 0

    async def plant() -> None:
        db = Database(env["DATABASE_URL"])
        try:
            await DatabaseBlobStore(db).put("orphan", one(b"left behind"), content_type="x/y")
        finally:
            await db.dispose()

    run_sync(plant())
    ok = odrchat("verify", env=env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "every shared document's bytes match" in ok.stdout
    young = odrchat("documents", "sweep", env=env, cwd=tmp_path)
    assert "deleted 0 orphan blob(s)" in young.stdout  # an hour's grace by default
    dry = odrchat("documents", "sweep", "--grace-hours", "0", "--dry-run", env=env, cwd=tmp_path)
    assert "orphan orphan" in dry.stdout and "would delete 1 orphan" in dry.stdout
    swept = odrchat("documents", "sweep", "--grace-hours", "0", env=env, cwd=tmp_path)
    assert swept.returncode == 0 and "deleted 1 orphan blob(s); 0 in use" in swept.stdout
