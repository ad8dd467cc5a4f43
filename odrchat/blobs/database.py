"""Blobs in the database (SQLite or PostgreSQL): the default, so the embedded install needs
nothing else.

Each CHUNK_SIZE piece is written in its own short transaction: a 10 MB upload never holds
SQLite's write lock (which chat messages also need) for longer than one chunk insert, and
PostgreSQL never holds a pooled connection for the length of a slow upload. Readers fetch one
chunk per read transaction for the same reason. The blob row is marked complete, with its size
and hash, in the last step; until then read() and size() act as if it were not there. A put that
fails removes what it wrote; a crash leaves an incomplete row that no reader will ever see.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.blobs.base import CHUNK_SIZE, BlobNotFound, BlobStore, Digest, StoredBlob, rechunk
from odrchat.blobs.tables import Blob, BlobChunk
from odrchat.store.db import Database

__all__ = ["DatabaseBlobStore"]

_KEY_PAGE = 500


class DatabaseBlobStore(BlobStore):
    """Blob bytes as chunk rows next to the rest of the data."""

    name = "database"

    def __init__(self, db: Database, *, chunk_size: int = CHUNK_SIZE) -> None:
        self._db = db
        self._chunk_size = chunk_size

    async def connect(self) -> None:
        """Nothing to open: the database handle belongs to the app."""

    async def close(self) -> None:
        """Nothing to close: the app disposes of the database."""

    async def put(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> StoredBlob:
        """Write chunk by chunk, then mark the blob complete."""
        async with self._db.session() as s:
            await _remove(s, key)
            s.add(Blob(key=key, content_type=content_type))
        digest = Digest()
        try:
            seq = 0
            async for piece in rechunk(chunks, self._chunk_size):
                digest.update(piece)
                async with self._db.session() as s:
                    s.add(BlobChunk(blob_key=key, seq=seq, data=piece))
                seq += 1
            async with self._db.session() as s:
                await s.exec(
                    update(Blob)
                    .where(col(Blob.key) == key)
                    .values(complete=True, size=digest.size, sha256=digest.stored(key).sha256)
                )
        except BaseException:
            await self.delete(key)
            raise
        return digest.stored(key)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        """One chunk per read transaction, in order."""
        async with self._db.read() as s:
            blob = await s.get(Blob, key)
            if blob is None or not blob.complete:
                raise BlobNotFound(key)
            count = (
                await s.exec(
                    select(func.count())
                    .select_from(BlobChunk)
                    .where(col(BlobChunk.blob_key) == key)
                )
            ).one()
        for seq in range(count):
            async with self._db.read() as s:
                data = (
                    await s.exec(
                        select(BlobChunk.data).where(
                            col(BlobChunk.blob_key) == key, col(BlobChunk.seq) == seq
                        )
                    )
                ).first()
            if data is None:  # deleted while we were reading
                raise BlobNotFound(key)
            yield data

    async def size(self, key: str) -> int | None:
        async with self._db.read() as s:
            blob = await s.get(Blob, key)
        return blob.size if blob is not None and blob.complete else None

    async def delete(self, key: str) -> None:
        async with self._db.session() as s:
            await _remove(s, key)

    async def keys(self, *, stored_before: datetime) -> AsyncIterator[str]:
        """Complete and abandoned blobs alike, a page of keys per read transaction."""
        after = ""
        while True:
            async with self._db.read() as s:
                page = list(
                    (
                        await s.exec(
                            select(Blob.key)
                            .where(col(Blob.created_at) < stored_before, col(Blob.key) > after)
                            .order_by(col(Blob.key))
                            .limit(_KEY_PAGE)
                        )
                    ).all()
                )
            for key in page:
                yield key
            if len(page) < _KEY_PAGE:
                return
            after = page[-1]


async def _remove(s: AsyncSession, key: str) -> None:
    await s.exec(delete(BlobChunk).where(col(BlobChunk.blob_key) == key))
    await s.exec(delete(Blob).where(col(Blob.key) == key))
