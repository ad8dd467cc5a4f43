"""What only the S3 backend does: multipart uploads for long blobs and presigned downloads."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from odrchat.blobs.base import BlobNotFound
from odrchat.blobs.s3 import PART_SIZE
from tests.blobs.conftest import make_s3_store
from tests.blobs.test_contract import read_all, stream
from tests.s3 import S3Endpoint

pytestmark = pytest.mark.s3


async def test_a_blob_longer_than_one_part_goes_up_in_parts(s3_endpoint: S3Endpoint) -> None:
    store = make_s3_store(s3_endpoint)
    await store.connect()
    try:
        data = os.urandom(PART_SIZE + 12345)
        pieces = [data[i : i + 65536] for i in range(0, len(data), 65536)]
        stored = await store.put("long", stream(pieces), content_type="application/pdf")
        assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert await read_all(store, "long") == data
        uploads = await store.client.list_multipart_uploads(Bucket=store._bucket)
        assert not uploads.get("Uploads")
    finally:
        await store.close()


async def test_a_multipart_upload_that_fails_is_aborted(s3_endpoint: S3Endpoint) -> None:
    store = make_s3_store(s3_endpoint)
    await store.connect()
    try:

        async def broken() -> AsyncIterator[bytes]:
            yield os.urandom(PART_SIZE + 1)
            raise ConnectionResetError("dropped")

        with pytest.raises(ConnectionResetError):
            await store.put("half", broken(), content_type="image/jpeg")
        uploads = await store.client.list_multipart_uploads(Bucket=store._bucket)
        assert not uploads.get("Uploads"), "the half-done multipart upload was left open"
        with pytest.raises(BlobNotFound):
            await read_all(store, "half")
    finally:
        await store.close()


async def test_presigned_download_forces_an_attachment(s3_endpoint: S3Endpoint) -> None:
    store = make_s3_store(s3_endpoint, presign=True)
    await store.connect()
    try:
        await store.put("p", stream([b"%PDF-1.4 tiny"]), content_type="application/pdf")
        url = await store.download_url(
            "p", filename="lease été.pdf", content_type="application/pdf", expires=timedelta(60)
        )
        assert url is not None
        async with httpx.AsyncClient() as client:
            response = await client.get(url)
        assert response.status_code == 200
        assert response.content == b"%PDF-1.4 tiny"
        # moto does not apply S3's response-header overrides, so check that the signed request
        # asks for them (real S3 and MinIO apply them).
        query = parse_qs(urlsplit(url).query)
        assert query["response-content-type"] == ["application/pdf"]
        assert query["response-content-disposition"][0].startswith('attachment; filename="lease')
        assert "X-Amz-Signature" in query
    finally:
        await store.close()


async def test_no_presigned_url_unless_switched_on(s3_endpoint: S3Endpoint) -> None:
    store = make_s3_store(s3_endpoint)
    await store.connect()
    try:
        await store.put("p", stream([b"x"]), content_type="image/png")
        url = await store.download_url(
            "p", filename="x.png", content_type="image/png", expires=timedelta(minutes=1)
        )
        assert url is None
    finally:
        await store.close()
