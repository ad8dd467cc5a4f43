"""The blob store port: bytes of uploaded documents, kept apart from the rows that describe them.

    BlobError            the store failed or is unreachable (retryable)
    └── BlobNotFound     no complete blob under that key

    BlobStore            the port; DatabaseBlobStore and S3BlobStore implement it
    StoredBlob(key, size, sha256)   what put() wrote

Invariants, in plain words:

- Streams both ways. put() takes an async iterable of byte chunks and read() yields chunks:
  no backend ever holds a whole file in memory (the database keeps CHUNK_SIZE pieces; S3 holds
  at most one multipart part, PART_SIZE).
- A blob exists only once put() has returned. A put that fails or is cancelled half-way leaves
  nothing readable under its key (the database marks a blob complete in its last step; S3
  aborts the multipart upload), so readers never see half a file.
- Keys are chosen by the caller and never reused: a put to a key that already holds a blob
  replaces it, but callers use fresh random keys, so that never happens in practice.
- delete() is idempotent: deleting what is not there is not an error.
- The store knows nothing of cases, rooms or access: the document record (in the database, in
  the same transaction as its room event) says who may read a blob, and callers check that
  before they call read().
- Lifecycle: connect() (opens clients), then any calls, then close().

- keys() lists what is stored, so blobs that no record points at (a process that died between
  put() and the commit of its document record) can be swept: documents.sweep does that, for
  blobs older than a grace period so uploads in flight are never touched.
"""

from __future__ import annotations

import abc
import hashlib
import re
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import quote

__all__ = [
    "CHUNK_SIZE",
    "BlobError",
    "BlobNotFound",
    "BlobStore",
    "Digest",
    "StoredBlob",
    "attachment_disposition",
    "rechunk",
]

CHUNK_SIZE: Final = 256 * 1024


class BlobError(Exception):
    """The blob store failed or cannot be reached; the caller may retry later."""


class BlobNotFound(BlobError):
    """No complete blob under that key."""


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """A blob as written: its key, its length in bytes and the SHA-256 of its bytes (hex)."""

    key: str
    size: int
    sha256: str


class BlobStore(abc.ABC):
    """Where document bytes live. One contract (tests/blobs/test_contract.py) for every backend."""

    name: str = "blob store"

    @abc.abstractmethod
    async def connect(self) -> None:
        """Open clients (before any other call)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close clients (after the last call)."""

    @abc.abstractmethod
    async def put(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> StoredBlob:
        """Store the streamed bytes under `key`; readable only once this returns."""

    @abc.abstractmethod
    def read(self, key: str) -> AsyncIterator[bytes]:
        """Yield the blob's bytes in chunks; BlobNotFound (on first iteration) if absent."""

    @abc.abstractmethod
    async def size(self, key: str) -> int | None:
        """The blob's length in bytes, or None when there is no complete blob under `key`."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the blob; nothing happens when it is not there."""

    @abc.abstractmethod
    def keys(self, *, stored_before: datetime) -> AsyncIterator[str]:
        """Every key whose blob was stored (or begun) before `stored_before`, in any order;
        a backend may include incomplete ones (they only ever need deleting)."""

    async def download_url(
        self, key: str, *, filename: str, content_type: str, expires: timedelta
    ) -> str | None:
        """A short-lived URL the browser can fetch directly, or None (serve through the app)."""
        return None


class Digest:
    """Counts and hashes bytes as they stream past."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes) -> None:
        self._hash.update(data)
        self.size += len(data)

    def stored(self, key: str) -> StoredBlob:
        return StoredBlob(key, self.size, self._hash.hexdigest())


async def rechunk(chunks: AsyncIterable[bytes], size: int) -> AsyncIterator[bytes]:
    """Regroup a stream into pieces of exactly `size` bytes (the last may be shorter, never
    empty); at most `size` bytes plus one incoming chunk are held at a time."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+-]")


def attachment_disposition(filename: str) -> str:
    """`Content-Disposition: attachment` naming the file safely (RFC 6266: an ASCII fallback
    without quotes or control characters, plus the UTF-8 name percent-encoded)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = _UNSAFE.sub("_", ascii_name).strip(" .") or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
