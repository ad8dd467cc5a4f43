"""The blob store port (where uploaded documents' bytes live) and its two backends.

    store = DatabaseBlobStore(db)            # default: chunk rows in SQLite or PostgreSQL
    store = S3BlobStore(bucket, ...)         # or any S3-compatible object store: same contract
    await store.connect()
    stored = await store.put(key, chunks, content_type="image/jpeg")   # size and SHA-256
    async for chunk in store.read(key): ...
    await store.delete(key)
    await store.close()

See odrchat.blobs.base for the contract; odrchat.blobs.s3 is imported only when configured.
"""

from __future__ import annotations

from odrchat.blobs.base import BlobError, BlobNotFound, BlobStore, StoredBlob
from odrchat.blobs.database import DatabaseBlobStore
from odrchat.settings import DocumentSettings
from odrchat.store.db import Database

__all__ = [
    "BlobError",
    "BlobNotFound",
    "BlobStore",
    "DatabaseBlobStore",
    "StoredBlob",
    "build_blob_store",
]


def build_blob_store(settings: DocumentSettings, db: Database) -> BlobStore:
    """The store the settings name: the database by default, or an S3 bucket (unconnected)."""
    if settings.store == "s3":
        from odrchat.blobs.s3 import S3BlobStore

        assert settings.s3_bucket is not None  # Settings refuse s3 without a bucket
        return S3BlobStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
            presign=settings.presigned_downloads,
        )
    return DatabaseBlobStore(db)
