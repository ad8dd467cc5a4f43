"""Documents shared in rooms: one row per document in one room, pointing at its blob."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from odrchat.store.types import UTCDateTime, utcnow


class Document(SQLModel, table=True):
    """A document as shared in one room, written with its `document.shared` event (`seq`).

    A copy shared from a private room into the joint room is a second row (`source_id` names
    the original) on the same blob: nothing is stored twice, and quotas count originals only.
    `owner_id` is who first uploaded it (their "my documents"); `shared_by` who put this row in
    its room (the same person, for an original). `upload_id` is chosen by the client, so a
    retried upload finds the first one instead of storing the file again. `thumb_key` names
    an image's thumbnail blob (shared by its copies, like `blob_key`); `page_count` is a PDF's
    number of pages when its page tree could be read.
    """

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("shared_by", "upload_id", name="uq_documents_upload_id"),
        UniqueConstraint("source_id", "room_id", name="uq_documents_copy"),
        Index("ix_documents_room_id", "room_id"),
        Index("ix_documents_shared_by_at", "shared_by", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    room_id: int = Field(foreign_key="rooms.id")
    seq: int
    owner_id: int = Field(foreign_key="users.id")
    shared_by: int = Field(foreign_key="users.id")
    upload_id: str | None = Field(default=None, max_length=64)
    source_id: int | None = Field(default=None, foreign_key="documents.id")
    name: str = Field(max_length=200)
    caption: str = Field(default="", max_length=500)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    width: int | None = None
    height: int | None = None
    blob_key: str = Field(max_length=64)
    thumb_key: str | None = Field(default=None, max_length=64)
    page_count: int | None = None
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
