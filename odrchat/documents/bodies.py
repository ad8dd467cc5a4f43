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
    `width` and `height` are set for pictures only; `url` downloads it (always an attachment)."""

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
    shared_by: int
    owner: int
    copy_of: int | None
    at: Timestamp
    url: str


class SharedReply(Reply):
    document: DocumentReply
    duplicate: bool = Field(description="true: this upload id or copy was already stored")


class DocumentList(Reply):
    documents: list[DocumentReply]
