"""Keeping the document store honest: sweep blobs no record points at, and re-hash stored
bytes against the SHA-256 each document's room event recorded.

Both run from the command line (`odrchat documents sweep`, `odrchat verify`), never on a
request path. Rules, in plain words:

- A blob is an orphan when no document row names it (as its file or its thumbnail) and it was
  stored more than `grace` ago: an upload in flight has put its bytes but not yet committed its
  record, and a sweep must never take those (the default grace, an hour, is far longer than any
  upload of UPLOAD_MAX_MB takes).
- The record is read after the listing, so a document committed while the sweep lists keys is
  seen and its blob kept.
- Verification reads every document's bytes through the store (streamed) and compares length
  and SHA-256 with the row, which is the same hash the hash-chained `document.shared` event
  carries: a mismatch means the stored bytes are not what was shared.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from odrchat.blobs.base import BlobNotFound, BlobStore
from odrchat.documents.tables import Document
from odrchat.store.db import Database
from odrchat.store.types import utcnow

__all__ = ["BlobMismatch", "SweepReport", "sweep_orphans", "verify_blobs"]

SWEEP_GRACE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What a sweep found (and, unless dry, deleted)."""

    orphans: tuple[str, ...]
    kept: int


@dataclass(frozen=True, slots=True)
class BlobMismatch:
    """A document whose stored bytes are missing or differ from what was shared."""

    document_id: int
    case_id: int
    reason: str


async def _referenced(db: Database) -> set[str]:
    async with db.read() as s:
        rows = (await s.exec(select(Document.blob_key, Document.thumb_key))).all()
    return {key for pair in rows for key in pair if key}


async def sweep_orphans(
    db: Database,
    blobs: BlobStore,
    *,
    grace: timedelta = SWEEP_GRACE,
    now: datetime | None = None,
    dry_run: bool = False,
) -> SweepReport:
    """Delete blobs older than `grace` that no document row names."""
    cutoff = (now or utcnow()) - grace
    listed = [key async for key in blobs.keys(stored_before=cutoff)]
    referenced = await _referenced(db)
    orphans = tuple(sorted(key for key in listed if key not in referenced))
    if not dry_run:
        for key in orphans:
            await blobs.delete(key)
    return SweepReport(orphans, len(listed) - len(orphans))


async def verify_blobs(db: Database, blobs: BlobStore) -> list[BlobMismatch]:
    """Every document whose bytes are missing or do not hash to its recorded SHA-256 (copies
    share their original's bytes, so each blob is read once)."""
    async with db.read() as s:
        docs = list(
            (
                await s.exec(
                    select(Document)
                    .where(col(Document.source_id).is_(None))
                    .order_by(col(Document.id))
                )
            ).all()
        )
    found: list[BlobMismatch] = []
    for doc in docs:
        assert doc.id is not None
        digest, size = hashlib.sha256(), 0
        try:
            async for chunk in blobs.read(doc.blob_key):
                digest.update(chunk)
                size += len(chunk)
        except BlobNotFound:
            found.append(BlobMismatch(doc.id, doc.case_id, "bytes missing from the store"))
            continue
        if size != doc.size or digest.hexdigest() != doc.sha256:
            found.append(
                BlobMismatch(doc.id, doc.case_id, "stored bytes differ from what was shared")
            )
    return found
