"""Blob store fixtures: one factory per backend, so the contract runs unchanged against each.

"database" runs on SQLite and PostgreSQL (the db_url fixture); "s3" runs against moto's
standalone server (tests/s3.py), each test in a bucket of its own.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from odrchat.blobs.base import BlobStore
from odrchat.blobs.database import DatabaseBlobStore
from odrchat.blobs.s3 import S3BlobStore
from odrchat.store.db import Database
from tests.s3 import S3Endpoint
from tests.services import create_pg_database, drop_pg_database


def make_s3_store(endpoint: S3Endpoint, *, presign: bool = False) -> S3BlobStore:
    return S3BlobStore(
        endpoint.new_bucket(),
        endpoint_url=endpoint.url,
        region=endpoint.region,
        access_key_id=endpoint.access_key_id,
        secret_access_key=endpoint.secret_access_key,
        prefix="docs/",
        presign=presign,
    )


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("s3", marks=pytest.mark.s3),
    ]
)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    """A connected, empty blob store of each kind (the database one on SQLite and PostgreSQL)."""
    db: Database | None = None
    pg_url: str | None = None
    the_store: BlobStore
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copy(template, tmp_path / "blobs.sqlite3")
        db = Database(f"sqlite:///{tmp_path / 'blobs.sqlite3'}")
    elif request.param == "postgres":
        base, template_name = request.getfixturevalue("pg_template")
        pg_url = create_pg_database(base, template=template_name)
        db = Database(pg_url)
    if db is not None:
        the_store = DatabaseBlobStore(db, chunk_size=1000)  # small chunks: many per test blob
    else:
        the_store = make_s3_store(request.getfixturevalue("s3_endpoint"))
    await the_store.connect()
    try:
        yield the_store
    finally:
        await the_store.close()
        if db is not None:
            await db.dispose()
        if pg_url is not None:
            drop_pg_database(request.getfixturevalue("pg_template")[0], pg_url)
