"""The blob store contract, one body run unchanged against every backend (database on SQLite
and PostgreSQL, S3 against moto's server)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta

import pytest

from odrchat.blobs.base import BlobNotFound, BlobStore, StoredBlob
from odrchat.store.types import utcnow


async def stream(pieces: Iterable[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def read_all(store: BlobStore, key: str) -> bytes:
    out = bytearray()
    async for chunk in store.read(key):
        assert chunk, "a backend yielded an empty chunk"
        out += chunk
    return bytes(out)


async def test_put_returns_size_and_sha256_and_read_gives_the_bytes_back(
    store: BlobStore,
) -> None:
    data = os.urandom(4321)
    pieces = [data[:1], data[1:2000], data[2000:]]  # uneven pieces, regrouped by the store
    stored = await store.put("k1", stream(pieces), content_type="image/png")
    assert stored == StoredBlob("k1", 4321, hashlib.sha256(data).hexdigest())
    assert await read_all(store, "k1") == data
    assert await store.size("k1") == 4321


async def test_an_empty_blob_is_a_blob(store: BlobStore) -> None:
    stored = await store.put("empty", stream([]), content_type="application/pdf")
    assert stored == StoredBlob("empty", 0, hashlib.sha256(b"").hexdigest())
    assert await read_all(store, "empty") == b""
    assert await store.size("empty") == 0


async def test_missing_blob_is_not_found(store: BlobStore) -> None:
    assert await store.size("nope") is None
    with pytest.raises(BlobNotFound):
        await read_all(store, "nope")


async def test_delete_removes_and_is_idempotent(store: BlobStore) -> None:
    await store.put("gone", stream([b"abc"]), content_type="image/jpeg")
    await store.put("kept", stream([b"xyz"]), content_type="image/jpeg")
    await store.delete("gone")
    await store.delete("gone")
    await store.delete("never-there")
    assert await store.size("gone") is None
    with pytest.raises(BlobNotFound):
        await read_all(store, "gone")
    assert await read_all(store, "kept") == b"xyz"


async def test_a_failed_upload_leaves_nothing_readable(store: BlobStore) -> None:
    """A connection dropped half-way (the source raises) must not leave half a file."""

    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * 5000
        raise ConnectionResetError("phone lost its signal")

    with pytest.raises(ConnectionResetError):
        await store.put("half", broken(), content_type="image/jpeg")
    assert await store.size("half") is None
    with pytest.raises(BlobNotFound):
        await read_all(store, "half")


async def test_concurrent_puts_do_not_mix(store: BlobStore) -> None:
    blobs = {f"c{i}": os.urandom(3000 + i) for i in range(4)}

    async def slow(data: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(data), 700):
            await asyncio.sleep(0)  # let the other uploads interleave with this one
            yield data[start : start + 700]

    async with asyncio.TaskGroup() as tasks:
        for key, data in blobs.items():
            tasks.create_task(store.put(key, slow(data), content_type="image/png"))
    for key, data in blobs.items():
        assert await read_all(store, key) == data


async def test_reads_stream_in_chunks(store: BlobStore) -> None:
    """A large blob comes back in several chunks, never as one piece."""
    data = os.urandom(300_000)
    await store.put("big", stream([data]), content_type="application/pdf")
    chunks = [chunk async for chunk in store.read("big")]
    assert len(chunks) > 1
    assert b"".join(chunks) == data


async def test_keys_lists_what_was_stored_before_a_moment(store: BlobStore) -> None:
    """The orphan sweep's view: every key stored before the cutoff, none after it."""
    for key in ("a1", "b2", "c3"):
        await store.put(key, stream([key.encode()]), content_type="image/png")
    later = utcnow() + timedelta(minutes=5)
    assert sorted([k async for k in store.keys(stored_before=later)]) == ["a1", "b2", "c3"]
    earlier = utcnow() - timedelta(minutes=5)
    assert [k async for k in store.keys(stored_before=earlier)] == []
    await store.delete("b2")
    assert sorted([k async for k in store.keys(stored_before=later)]) == ["a1", "c3"]
