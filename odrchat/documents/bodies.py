"""Request and response bodies of the document endpoints (the upload's body is the file)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from odrchat.bodies import Body, Flag, Reply, Timestamp


class ShareBody(Body):
    confirm: Annotated[bool, Flag()] = Field(
        description="true: the owner confirmed that the other side may see the document"
    )


class DocumentReply(Reply):
    """A shared document. `copy_of` names the original of a copy shared with the other side;
    `width`, `height` and `thumbnail_url` are set for pictures only, `pages` for a PDF whose
    pages could be counted; `url` downloads it (always an attachment)."""

    id: int
    room: int
    seq: int
    name: str
    caption: str
    content_type: str = Field(description="image/jpeg, image/png or application/pdf")
    size: int
    sha256: str
    width: int | None
    height: int | None
    pages: int | None = Field(description="a PDF's number of pages, when it could be counted")
    shared_by: int
    owner: int
    copy_of: int | None
    at: Timestamp
    url: str
    thumbnail_url: str | None = Field(description="a small JPEG of a picture, shown inline")


class SharedReply(Reply):
    document: DocumentReply
    duplicate: bool = Field(description="true: this upload id or copy was already stored")


class DocumentList(Reply):
    documents: list[DocumentReply]
    my_documents_zip: str | None = Field(
        description="a party's own documents of the case as one ZIP: set once the mediation "
        "has ended without an agreement"
    )
