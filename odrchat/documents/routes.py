"""HTTP endpoints for documents: upload into a room, list, download, share, my own as a ZIP.

An upload's body is the file itself (any Content-Type; the server decides the kind from the
bytes). Its name and caption travel in headers, percent-encoded UTF-8, so that they never
appear in a URL (and so never in an access log); the upload id is the client's, as with chat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import unquote

from starlette.requests import ClientDisconnect
from starlette.responses import RedirectResponse, Response, StreamingResponse

from odrchat.api import Call, Endpoint, ReplyResponse
from odrchat.blobs.base import BlobNotFound, attachment_disposition
from odrchat.documents import bundle
from odrchat.documents.bodies import DocumentList, DocumentReply, ShareBody, SharedReply
from odrchat.documents.limits import MAX_CAPTION, MAX_NAME
from odrchat.documents.service import describe
from odrchat.documents.tables import Document
from odrchat.documents.texts import refusal
from odrchat.errors import BadRequest, Invalid, NotFound
from odrchat.i18n import N_
from odrchat.protocol import valid_id

# A download is bytes a person handed in: never let a browser run or sniff it.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# A thumbnail is a JPEG the server drew from cleaned pixels: safe to show in the page itself.
THUMBNAIL_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
    "Cache-Control": "private, max-age=86400",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def upload_headers(call: Call[None]) -> tuple[str, str, str]:
    """The upload id, name and caption headers, checked (after the room's access check)."""
    headers = call.request.headers
    upload_id = headers.get("x-upload-id", "")
    if not valid_id(upload_id):
        raise Invalid(
            N_("Some fields need attention."),
            fields={"X-Upload-Id": N_("must be 1-64 letters, digits or _.:-")},
        )
    texts = []
    for name, limit in (("X-Document-Name", MAX_NAME * 2), ("X-Document-Caption", MAX_CAPTION)):
        raw = headers.get(name, "")
        if len(raw) > limit * 12:  # percent-encoded UTF-8 takes at most 12 bytes a character
            raise Invalid(N_("Some fields need attention."), fields={name: N_("is too long")})
        try:
            texts.append(unquote(raw, errors="strict"))
        except UnicodeDecodeError:
            raise BadRequest(
                N_("{name} must be percent-encoded UTF-8."), params={"name": name}
            ) from None
    return upload_id, texts[0], texts[1]


async def _body(call: Call[None]) -> AsyncIterator[bytes]:
    """The request body; a connection dropped mid-upload ends it with a 400, not a traceback
    (the client retries with the same upload id)."""
    try:
        async for chunk in call.request.stream():
            yield chunk
    except ClientDisconnect:
        raise BadRequest(N_("The upload was interrupted."), code="interrupted") from None


def _shared(document: Document, duplicate: bool) -> ReplyResponse:
    reply = SharedReply(
        document=DocumentReply.model_validate(describe(document)), duplicate=duplicate
    )
    return ReplyResponse(reply, 200 if duplicate else 201)


async def upload_document(call: Call[None]) -> ReplyResponse:
    """Share a file in a room (the body is the file)."""
    assert call.current is not None
    declared = call.request.headers.get("content-length", "")
    shared = await call.services.documents.upload(
        call.current.user,
        int(call.params["room_id"]),
        lambda: upload_headers(call),
        _body(call),
        declared_size=int(declared) if declared.isdigit() else None,
    )
    return _shared(shared.document, shared.duplicate)


async def list_documents(call: Call[None]) -> DocumentList:
    """The documents shared in a room I may read."""
    assert call.current is not None
    found = await call.services.documents.in_room(call.current.user, int(call.params["room_id"]))
    return DocumentList(
        documents=[DocumentReply.model_validate(describe(d)) for d in found.documents],
        my_documents_zip=found.my_documents_zip,
    )


async def download_document(call: Call[None]) -> Response:
    """The file, always as an attachment (or a redirect to a short-lived signed URL)."""
    assert call.current is not None
    found = await call.services.documents.download(
        call.current.user, int(call.params["document_id"])
    )
    if found.url is not None:
        return RedirectResponse(found.url, 303, headers={"Cache-Control": "no-store"})
    assert found.chunks is not None
    doc = found.document
    headers = {
        **DOWNLOAD_HEADERS,
        "Content-Disposition": attachment_disposition(doc.name),
        "Content-Length": str(doc.size),
    }
    return StreamingResponse(found.chunks, media_type=doc.content_type, headers=headers)


async def document_thumbnail(call: Call[None]) -> Response:
    """A picture's thumbnail (a JPEG we made from the cleaned pixels), shown in the list."""
    assert call.current is not None
    chunks = await call.services.documents.thumbnail(
        call.current.user, int(call.params["document_id"])
    )
    try:
        first = await anext(chunks)
    except BlobNotFound:  # the record outlived its bytes (a store restored from backup)
        raise NotFound("Not found.") from None

    async def body() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return StreamingResponse(body(), media_type="image/jpeg", headers=THUMBNAIL_HEADERS)


async def share_document(call: Call[ShareBody]) -> ReplyResponse:
    """Copy my document from my private room into the joint room (after I confirmed)."""
    assert call.current is not None and call.body is not None
    if call.body.confirm is not True:
        raise Invalid(refusal("confirm_share"), fields={"confirm": N_("must be true")})
    shared = await call.services.documents.share_to_joint(
        call.current.user, int(call.params["document_id"])
    )
    return _shared(shared.document, shared.duplicate)


async def my_documents_zip(call: Call[None]) -> Response:
    """Every file I uploaded in this case (nothing anyone else wrote), as one ZIP."""
    assert call.current is not None
    case_id = int(call.params["case_id"])
    docs = await call.services.documents.own(call.current.user, case_id)
    file = await bundle.build(call.services.documents.blobs, docs)
    headers = {
        **DOWNLOAD_HEADERS,
        "Content-Disposition": attachment_disposition(f"case-{case_id}-my-documents.zip"),
    }
    return StreamingResponse(bundle.stream(file), media_type="application/zip", headers=headers)


ENDPOINTS = (
    Endpoint(
        "POST",
        "/api/rooms/{room_id:int}/documents",
        upload_document,
        "Share a file in a room (body: the file; headers: X-Upload-Id, X-Document-Name, "
        "X-Document-Caption)",
        reply=SharedReply,
        tag="documents",
        status=201,
        responses=(200, 400, 409, 413, 415, 422, 429, 503),
    ),
    Endpoint(
        "GET",
        "/api/rooms/{room_id:int}/documents",
        list_documents,
        "The documents of a room",
        reply=DocumentList,
        tag="documents",
    ),
    Endpoint(
        "GET",
        "/api/documents/{document_id:int}/download",
        download_document,
        "Download a document, always as an attachment (image/jpeg, image/png or application/pdf)",
        tag="documents",
        responses=(303,),
        media_type="*/*",
    ),
    Endpoint(
        "GET",
        "/api/documents/{document_id:int}/thumbnail",
        document_thumbnail,
        "A picture's thumbnail (image/jpeg, at most 320 pixels a side), shown inline",
        tag="documents",
        media_type="image/jpeg",
    ),
    Endpoint(
        "POST",
        "/api/documents/{document_id:int}/share",
        share_document,
        "Share my document from my private room with the other side (a copy in the joint room)",
        body=ShareBody,
        reply=SharedReply,
        tag="documents",
        status=201,
        responses=(200, 409),
    ),
    Endpoint(
        "GET",
        "/api/cases/{case_id:int}/documents/mine.zip",
        my_documents_zip,
        "Every file I uploaded in a case, as one ZIP (once mediation ended without agreement)",
        tag="documents",
        responses=(409,),
        media_type="application/zip",
    ),
)
