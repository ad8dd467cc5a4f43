"""Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph, Garage...), for scale.

Client: aiobotocore, the asyncio port of botocore maintained under aio-libs; it speaks the real
S3 protocol (signatures, multipart uploads, presigned URLs) so any S3-compatible service works.

- put() streams: a blob shorter than PART_SIZE is one PutObject; a longer one is a multipart
  upload of PART_SIZE parts (S3's minimum part size is 5 MiB), so at most one part is in memory.
  A failed or cancelled multipart upload is aborted, leaving nothing under the key.
- The bucket must exist; odrchat never creates or configures it (versioning, encryption at rest,
  lifecycle rules and access policies are the operator's). Objects are private: with
  presigned downloads switched on, download_url() signs a short-lived GET that forces
  `Content-Disposition: attachment` and the stored content type.
- Path-style addressing when an endpoint URL is given (self-hosted services on an IP or a
  single host name rarely have wildcard DNS for virtual-hosted buckets).
- Library errors become BlobError (BlobNotFound for a missing key) here, at the boundary.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from odrchat.blobs.base import (
    CHUNK_SIZE,
    BlobError,
    BlobNotFound,
    BlobStore,
    Digest,
    StoredBlob,
    attachment_disposition,
    rechunk,
)

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

__all__ = ["PART_SIZE", "S3BlobStore"]

PART_SIZE: Final = 5 * 1024 * 1024
_MISSING_CODES: Final = frozenset({"404", "NoSuchKey", "NotFound"})


class S3BlobStore(BlobStore):
    """Blob bytes as private objects in one bucket, under an optional key prefix."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        presign: bool = False,
        part_size: int = PART_SIZE,
    ) -> None:
        if part_size < PART_SIZE:
            raise ValueError("S3 multipart parts must be at least 5 MiB")
        self._bucket = bucket
        self._prefix = prefix
        self._presign = presign
        self._part_size = part_size
        self._client_args: dict[str, Any] = {
            "region_name": region,
            "endpoint_url": endpoint_url,
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
            "config": AioConfig(
                signature_version="s3v4",
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        }
        self._stack = contextlib.AsyncExitStack()
        self._client: S3Client | None = None

    async def connect(self) -> None:
        session = get_session()
        self._client = await self._stack.enter_async_context(
            session.create_client("s3", **self._client_args)
        )

    async def close(self) -> None:
        self._client = None
        await self._stack.aclose()

    @property
    def client(self) -> S3Client:
        if self._client is None:
            raise BlobError("S3 blob store is not connected")
        return self._client

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def put(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> StoredBlob:
        """One PutObject for a short blob, a multipart upload for a long one."""
        digest = Digest()
        parts = rechunk(chunks, self._part_size)
        try:
            first = await anext(parts, b"")
            digest.update(first)
            if len(first) < self._part_size:
                await self.client.put_object(
                    Bucket=self._bucket, Key=self._key(key), Body=first, ContentType=content_type
                )
            else:
                await self._multipart(key, first, parts, digest, content_type)
        except (BotoCoreError, ClientError) as exc:
            raise BlobError(f"S3 put failed: {exc}") from exc
        return digest.stored(key)

    async def _multipart(
        self,
        key: str,
        first: bytes,
        rest: AsyncIterator[bytes],
        digest: Digest,
        content_type: str,
    ) -> None:
        upload = await self.client.create_multipart_upload(
            Bucket=self._bucket, Key=self._key(key), ContentType=content_type
        )
        upload_id = upload["UploadId"]
        done: list[dict[str, Any]] = []
        try:
            part: bytes | None = first
            while part is not None:
                number = len(done) + 1
                sent = await self.client.upload_part(
                    Bucket=self._bucket,
                    Key=self._key(key),
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=part,
                )
                done.append({"ETag": sent["ETag"], "PartNumber": number})
                part = await anext(rest, None)
                if part is not None:
                    digest.update(part)
            await self.client.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key(key),
                UploadId=upload_id,
                MultipartUpload={"Parts": done},  # type: ignore[typeddict-item]
            )
        except BaseException:
            with contextlib.suppress(BotoCoreError, ClientError):
                await self.client.abort_multipart_upload(
                    Bucket=self._bucket, Key=self._key(key), UploadId=upload_id
                )
            raise

    async def read(self, key: str) -> AsyncIterator[bytes]:
        try:
            response = await self.client.get_object(Bucket=self._bucket, Key=self._key(key))
        except ClientError as exc:
            if _missing(exc):
                raise BlobNotFound(key) from exc
            raise BlobError(f"S3 get failed: {exc}") from exc
        except BotoCoreError as exc:
            raise BlobError(f"S3 get failed: {exc}") from exc
        body = response["Body"]
        try:
            async for chunk in body.iter_chunks(CHUNK_SIZE):
                yield chunk
        except (BotoCoreError, ClientError, OSError) as exc:
            raise BlobError(f"S3 read failed: {exc}") from exc
        finally:
            body.close()

    async def size(self, key: str) -> int | None:
        try:
            head = await self.client.head_object(Bucket=self._bucket, Key=self._key(key))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise BlobError(f"S3 head failed: {exc}") from exc
        except BotoCoreError as exc:
            raise BlobError(f"S3 head failed: {exc}") from exc
        return head["ContentLength"]

    async def delete(self, key: str) -> None:
        try:
            await self.client.delete_object(Bucket=self._bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise BlobError(f"S3 delete failed: {exc}") from exc

    async def keys(self, *, stored_before: datetime) -> AsyncIterator[str]:
        """Objects under the prefix last written before `stored_before` (ListObjectsV2 pages).
        Abandoned multipart uploads are not objects: a bucket lifecycle rule
        (AbortIncompleteMultipartUpload) is the operator's way to clear those."""
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            async for page in paginator.paginate(Bucket=self._bucket, Prefix=self._prefix):
                for item in page.get("Contents", []):
                    if item["LastModified"] < stored_before:
                        yield item["Key"].removeprefix(self._prefix)
        except (BotoCoreError, ClientError) as exc:
            raise BlobError(f"S3 list failed: {exc}") from exc

    async def download_url(
        self, key: str, *, filename: str, content_type: str, expires: timedelta
    ) -> str | None:
        """A presigned GET when enabled, forcing a download of the stored type."""
        if not self._presign:
            return None
        try:
            return await self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self._bucket,
                    "Key": self._key(key),
                    "ResponseContentDisposition": attachment_disposition(filename),
                    "ResponseContentType": content_type,
                },
                ExpiresIn=int(expires.total_seconds()),
            )
        except (BotoCoreError, ClientError) as exc:
            raise BlobError(f"S3 presign failed: {exc}") from exc


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in _MISSING_CODES
