"""Blobs kept in the database (the default store): one row per blob, its bytes in chunk rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, LargeBinary, String
from sqlmodel import Field, SQLModel

from odrchat.store.types import UTCDateTime, utcnow


class Blob(SQLModel, table=True):
    """A stored blob; `complete` turns true (with size and hash) only after its last chunk."""

    __tablename__ = "blobs"

    key: str = Field(primary_key=True, max_length=64)
    content_type: str = Field(max_length=100)
    complete: bool = False
    size: int | None = None
    sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class BlobChunk(SQLModel, table=True):
    """One piece (at most blobs.base.CHUNK_SIZE bytes) of a blob, numbered from 0."""

    __tablename__ = "blob_chunks"

    blob_key: str = Field(
        sa_column=Column(String(64), ForeignKey("blobs.key", ondelete="CASCADE"), primary_key=True)
    )
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
