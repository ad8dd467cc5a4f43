"""Documents: the coordinator where uploads meet the access rule, the checks, the blob store
and the room log.

An upload, in order:
1. The room access rule, read afresh (`rooms.access` through `load_views`): a room the person
   cannot see is 404, a room they may only read is 403 `not_allowed`.
2. The upload id: one already stored by this person in this room is the answer (a retry after a
   dropped connection stores nothing twice); in another room it is a 409.
3. Limits that need no bytes (rate, quotas against the declared length), then the body is
   streamed to a temporary file, stopping at the size limit.
4. The scanning hook sees the file as received; then the content check (documents.content)
   runs in a worker thread and writes the cleaned copy; limits are checked again on its size.
5. The cleaned copy is streamed into the blob store under a fresh random key.
6. One transaction re-checks access and the upload id, writes the Document row and its
   `document.shared` event in the room (sequenced, hash-chained, replayed on resume), then the
   feed publishes it. If that transaction fails, the blob is deleted again.

Downloads and listings go through the same rule (anyone who cannot read the room gets 404, so
the other side cannot even learn that a private document exists); every download by someone
who is not a party or an attorney (mediators, observers, administrators) is audited.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.audit import record as audit
from odrchat.blobs.base import CHUNK_SIZE, BlobError, BlobStore
from odrchat.cases.machine import CaseStatus
from odrchat.cases.roles import Role
from odrchat.cases.tables import Case
from odrchat.documents import content
from odrchat.documents.limits import Usage, clean_caption, clean_name, refusal
from odrchat.documents.scan import NoScanner, ScanError, Scanner
from odrchat.documents.tables import Document
from odrchat.documents.texts import REFUSALS
from odrchat.documents.texts import refusal as refusal_text
from odrchat.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    OdrError,
    TooMany,
    Unavailable,
    from_domain,
)
from odrchat.i18n import N_
from odrchat.protocol import document_shared
from odrchat.rooms.access import RoomKind
from odrchat.rooms.directory import Person, RoomAccess, load_views
from odrchat.rooms.tables import Room
from odrchat.settings import DocumentSettings
from odrchat.store.db import Database
from odrchat.store.types import utcnow

if TYPE_CHECKING:
    from odrchat.rooms.feed import RoomFeed

__all__ = ["DocumentService", "Shared", "ended_without_agreement"]

PRESIGN_TTL: Final = timedelta(minutes=5)
_PARTY_ROLES: Final = frozenset({Role.PARTY, Role.ATTORNEY})


@dataclass(frozen=True, slots=True)
class Shared:
    """The answer to an upload or a share: the document, and whether it was already there."""

    document: Document
    duplicate: bool


@dataclass(frozen=True, slots=True)
class RoomDocuments:
    """A room's documents as one reader sees them."""

    documents: list[Document]
    my_documents_zip: str | None  # a party's own documents, once mediation ended unsettled


@dataclass(frozen=True, slots=True)
class Download:
    """What a download sends: a redirect to a presigned URL, or the blob's chunks."""

    document: Document
    url: str | None
    chunks: AsyncIterator[bytes] | None


def refused(code: str, limits: DocumentSettings) -> OdrError:
    """The error for one refusal code, in the words people read (documents.texts); the
    message is translated for the request, its limit filled in after."""
    limit = {
        "too_big": limits.max_bytes,
        "user_quota": limits.user_quota_bytes,
        "case_quota": limits.case_quota_bytes,
    }.get(code, 0) // (1024 * 1024)
    template = REFUSALS[code]
    if code == "rate_limited":
        return TooMany(template, retry_after=600)
    if code == "not_allowed":
        return Forbidden(template, code=code)
    return from_domain(code, template, params={"limit": limit} if "{limit}" in template else None)


_UNSETTLED_ENDS: Final = frozenset(
    str(status) for status in CaseStatus if status.is_final and status is not CaseStatus.SETTLED
)


def ended_without_agreement(status: str) -> bool:
    """Whether a case's mediation is over with no agreement (its parties go back to court)."""
    return status in _UNSETTLED_ENDS


def describe(doc: Document) -> dict[str, Any]:
    """A document as the API lists it."""
    return {
        "id": doc.id,
        "room": doc.room_id,
        "seq": doc.seq,
        "name": doc.name,
        "caption": doc.caption,
        "content_type": doc.content_type,
        "size": doc.size,
        "sha256": doc.sha256,
        "width": doc.width,
        "height": doc.height,
        "pages": doc.page_count,
        "shared_by": doc.shared_by,
        "owner": doc.owner_id,
        "copy_of": doc.source_id,
        "at": doc.at,
        "url": f"/api/documents/{doc.id}/download",
        "thumbnail_url": f"/api/documents/{doc.id}/thumbnail" if doc.thumb_key else None,
    }


class DocumentService:
    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        feed: RoomFeed,
        limits: DocumentSettings,
        *,
        scanner: Scanner | None = None,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.feed = feed
        self.limits = limits
        self.scanner = scanner or NoScanner()

    # -- access --------------------------------------------------------------------------------

    async def _access(self, s: AsyncSession, user: Person, room_id: int) -> RoomAccess | None:
        assert user.id is not None
        case_id = (await s.exec(select(Room.case_id).where(col(Room.id) == room_id))).first()
        if case_id is None:
            return None
        view = (await load_views(await s.connection(), [case_id])).get(case_id)
        found = view.access(user.id, is_admin=user.is_admin, only=[room_id]) if view else []
        return found[0] if found else None

    async def _writable(self, s: AsyncSession, user: Person, room_id: int) -> RoomAccess:
        acc = await self._access(s, user, room_id)
        if acc is None:
            raise NotFound(N_("Not found."))
        # The rule chat.send applies: the case's control state read afresh (a pause, mute or
        # removal holds at once) and a mute's end compared with the clock, so an upload is let
        # in the moment the mute is over, as a message is.
        if not acc.may_write(utcnow()):
            raise refused("not_allowed", self.limits)
        return acc

    # -- uploads -------------------------------------------------------------------------------

    async def upload(
        self,
        user: Person,
        room_id: int,
        fields: Callable[[], tuple[str, str, str]],
        body: AsyncIterable[bytes],
        *,
        declared_size: int | None = None,
    ) -> Shared:
        """Check, clean, store and share one file in a room (see the module docstring).

        `fields` gives the upload id, name and caption; it is called (and may raise) only once
        the room's access rule has let the user in, so an outsider learns nothing from it."""
        assert user.id is not None
        async with self.db.read() as s:
            acc = await self._writable(s, user, room_id)
            upload_id, name, caption = fields()
            earlier = await self._by_upload_id(s, user.id, upload_id)
            if earlier is None:
                self._check_limits(declared_size or 0, await self._usage(s, user.id, acc.case_id))
        if earlier is not None:
            return self._retry(earlier, room_id)
        with tempfile.TemporaryDirectory(prefix="odrchat-upload-") as tmp:
            received, cleaned = Path(tmp) / "received", Path(tmp) / "cleaned"
            thumbnail = Path(tmp) / "thumbnail"
            await self._receive(body, received)
            await self._scan(user.id, acc, received)
            try:
                checked = await asyncio.to_thread(
                    content.check_file,
                    received,
                    cleaned,
                    max_bytes=self.limits.max_bytes,
                    thumbnail=thumbnail,
                )
            except content.Refused as exc:
                raise refused(exc.code, self.limits) from None
            size = cleaned.stat().st_size
            async with self.db.read() as s:
                self._check_limits(size, await self._usage(s, user.id, acc.case_id))
            key = uuid.uuid4().hex
            thumb_key = uuid.uuid4().hex if checked.thumbnail else None
            try:
                stored = await self.blobs.put(
                    key, _file_chunks(cleaned), content_type=checked.content_type
                )
                if thumb_key is not None:
                    await self.blobs.put(
                        thumb_key, _file_chunks(thumbnail), content_type="image/jpeg"
                    )
            except BlobError as exc:
                await self._forget(key, thumb_key)
                raise Unavailable(
                    N_("The document could not be stored. Please try again.")
                ) from exc
        doc = Document(
            case_id=acc.case_id,
            room_id=room_id,
            seq=0,
            owner_id=user.id,
            shared_by=user.id,
            upload_id=upload_id,
            name=clean_name(name, checked.extension),
            caption=clean_caption(caption),
            content_type=checked.content_type,
            size=stored.size,
            sha256=stored.sha256,
            width=checked.width,
            height=checked.height,
            page_count=checked.pages,
            blob_key=key,
            thumb_key=thumb_key,
        )
        try:
            shared = await self._share(user, doc, upload_id=upload_id)
        except BaseException:
            await self._forget(key, thumb_key)
            raise
        if shared.duplicate:  # the same upload id won a race meanwhile: keep only its bytes
            await self._forget(key, thumb_key)
        return shared

    async def _forget(self, *keys: str | None) -> None:
        """Delete blobs no record points at (a failed or lost upload); a failure here leaves
        an orphan for `odrchat documents sweep`."""
        for key in keys:
            if key is not None:
                with contextlib.suppress(BlobError):
                    await self.blobs.delete(key)

    def _retry(self, earlier: Document, room_id: int) -> Shared:
        if earlier.room_id != room_id:
            raise from_domain("upload_id_reused", refusal_text("upload_id_reused"))
        return Shared(earlier, duplicate=True)

    def _check_limits(self, size: int, usage: Usage) -> None:
        code = refusal(size, usage, self.limits)
        if code is not None:
            raise refused(code, self.limits)

    async def _receive(self, body: AsyncIterable[bytes], target: Path) -> None:
        """Stream the request body to disk, stopping one byte past the size limit."""
        size = 0
        with target.open("wb") as f:
            async for chunk in body:
                size += len(chunk)
                if size > self.limits.max_bytes:
                    raise refused("too_big", self.limits)
                f.write(chunk)

    async def _scan(self, user_id: int, acc: RoomAccess, path: Path) -> None:
        try:
            verdict = await self.scanner.scan(path)
        except ScanError as exc:
            raise Unavailable(N_("The safety check is not answering. Please try again.")) from exc
        if not verdict.clean:
            async with self.db.session() as s:
                await audit(
                    s,
                    user_id,
                    "document.refused",
                    acc.case_id,
                    {"room": acc.room_id, "reason": "infected", "signature": verdict.signature},
                )
            raise Invalid(refusal_text("infected"), code="infected")

    async def _usage(self, s: AsyncSession, user_id: int, case_id: int) -> Usage:
        originals = col(Document.source_id).is_(None)
        total = func.coalesce(func.sum(Document.size), 0)
        user_bytes = (
            await s.exec(
                select(total).where(
                    originals, col(Document.case_id) == case_id, col(Document.owner_id) == user_id
                )
            )
        ).one()
        case_bytes = (
            await s.exec(select(total).where(originals, col(Document.case_id) == case_id))
        ).one()
        recent = (
            await s.exec(
                select(func.count())
                .select_from(Document)
                .where(
                    originals,
                    col(Document.shared_by) == user_id,
                    col(Document.at) > utcnow() - timedelta(hours=1),
                )
            )
        ).one()
        return Usage(int(user_bytes), int(case_bytes), int(recent))

    async def _by_upload_id(self, s: AsyncSession, user_id: int, upload_id: str) -> Document | None:
        return (
            await s.exec(
                select(Document).where(
                    col(Document.shared_by) == user_id, col(Document.upload_id) == upload_id
                )
            )
        ).first()

    async def _share(self, user: Person, doc: Document, *, upload_id: str | None) -> Shared:
        """Write the row and its room event in one transaction; publish after the commit."""
        assert user.id is not None
        try:
            async with self.db.session() as s:
                acc = await self._writable(s, user, doc.room_id)
                if upload_id is not None:
                    earlier = await self._by_upload_id(s, user.id, upload_id)
                    if earlier is not None:
                        return self._retry(earlier, doc.room_id)
                s.add(doc)
                await s.flush()  # the id goes into the event
                assert doc.id is not None
                event = await self.feed.post_in_room(
                    s,
                    doc.room_id,
                    "document.shared",
                    document_shared(
                        document_id=doc.id,
                        name=doc.name,
                        size=doc.size,
                        content_type=doc.content_type,
                        sha256=doc.sha256,
                        caption=doc.caption,
                        sender_id=user.id,
                        sender_name=user.display_name,
                        role=str(acc.actor.role),
                        side=str(acc.actor.side) if acc.actor.side else None,
                    ),
                    sender_id=user.id,
                )
                doc.seq, doc.at = event.seq, event.at
                s.add(doc)
        except IntegrityError:
            if upload_id is None:
                raise
            # The same upload id raced in from another request and won: answer with it.
            async with self.db.read() as s:
                earlier = await self._by_upload_id(s, user.id, upload_id)
            if earlier is None:
                raise
            return self._retry(earlier, doc.room_id)
        await self.feed.flush(s)
        return Shared(doc, duplicate=False)

    # -- reading -------------------------------------------------------------------------------

    async def in_room(self, user: Person, room_id: int) -> RoomDocuments:
        """The documents of a room the user may read, oldest first (404 otherwise), and where
        this reader can fetch their own documents as a ZIP, once that is open to them."""
        async with self.db.read() as s:
            acc = await self._access(s, user, room_id)
            if acc is None:
                raise NotFound(N_("Not found."))
            rows = await s.exec(
                select(Document).where(col(Document.room_id) == room_id).order_by(col(Document.seq))
            )
            status = (await s.exec(select(Case.status).where(col(Case.id) == acc.case_id))).one()
        zip_url = None
        if acc.actor.role in _PARTY_ROLES and ended_without_agreement(status):
            zip_url = f"/api/cases/{acc.case_id}/documents/mine.zip"
        return RoomDocuments(list(rows.all()), zip_url)

    async def download(self, user: Person, document_id: int) -> Download:
        """A document the user may read (404 otherwise); staff downloads are audited."""
        async with self.db.session() as s:
            doc = await s.get(Document, document_id)
            acc = await self._access(s, user, doc.room_id) if doc is not None else None
            if doc is None or acc is None:
                raise NotFound(N_("Not found."))
            if acc.actor.role not in _PARTY_ROLES:
                await audit(
                    s,
                    user.id,
                    "document.download",
                    acc.case_id,
                    {"document": doc.id, "room": doc.room_id, "sha256": doc.sha256},
                )
        url = await self.blobs.download_url(
            doc.blob_key, filename=doc.name, content_type=doc.content_type, expires=PRESIGN_TTL
        )
        return Download(doc, url, None if url else self.blobs.read(doc.blob_key))

    async def thumbnail(self, user: Person, document_id: int) -> AsyncIterator[bytes]:
        """An image's thumbnail, for anyone who may read its room (404 otherwise, and for a
        document without one). Not audited: it is the Documents list, not a download."""
        async with self.db.read() as s:
            doc = await s.get(Document, document_id)
            acc = await self._access(s, user, doc.room_id) if doc is not None else None
            if doc is None or acc is None or doc.thumb_key is None:
                raise NotFound("Not found.")
        return self.blobs.read(doc.thumb_key)

    # -- sharing with the other side -----------------------------------------------------------

    async def share_to_joint(self, user: Person, document_id: int) -> Shared:
        """Copy the user's own document from their private room into the joint room (the
        owner has confirmed; the client asks first). Sharing again returns the same copy."""
        assert user.id is not None
        async with self.db.read() as s:
            doc = await s.get(Document, document_id)
            acc = await self._access(s, user, doc.room_id) if doc is not None else None
            if doc is None or acc is None:
                raise NotFound(N_("Not found."))
            if doc.owner_id != user.id:
                raise from_domain("not_owner", refusal_text("not_owner"))
            if acc.ref.kind is not RoomKind.PRIVATE:
                raise from_domain("not_private", refusal_text("not_private"))
            joint = (
                await s.exec(
                    select(Room.id).where(
                        col(Room.case_id) == acc.case_id, col(Room.kind) == str(RoomKind.JOINT)
                    )
                )
            ).first()
            if joint is None:
                raise NotFound(N_("Not found."))
            existing = (
                await s.exec(
                    select(Document).where(
                        col(Document.source_id) == doc.id, col(Document.room_id) == joint
                    )
                )
            ).first()
        if existing is not None:
            return Shared(existing, duplicate=True)
        copy = Document(
            **doc.model_dump(exclude={"id", "room_id", "seq", "upload_id", "source_id", "at"}),
            room_id=joint,
            seq=0,
            source_id=doc.id,
        )
        copy.shared_by = user.id
        try:
            return await self._share(user, copy, upload_id=None)
        except IntegrityError:
            async with self.db.read() as s:
                again = (
                    await s.exec(
                        select(Document).where(
                            col(Document.source_id) == doc.id, col(Document.room_id) == joint
                        )
                    )
                ).first()
            if again is None:
                raise
            return Shared(again, duplicate=True)

    # -- my own documents ----------------------------------------------------------------------

    async def own(self, user: Person, case_id: int) -> list[Document]:
        """The originals this user uploaded in a case, in rooms they may still read, once the
        mediation has ended without an agreement (409 `not_ended` before: the bundle is for
        taking to the court hearing that the mediation did not replace)."""
        assert user.id is not None
        async with self.db.read() as s:
            view = (await load_views(await s.connection(), [case_id])).get(case_id)
            readable = {a.room_id for a in (view.access(user.id, is_admin=False) if view else [])}
            if not readable:
                raise NotFound(N_("Not found."))
            status = (await s.exec(select(Case.status).where(col(Case.id) == case_id))).one()
            if not ended_without_agreement(status):
                raise Conflict(refusal_text("not_ended"), code="not_ended")
            rows = await s.exec(
                select(Document)
                .where(
                    col(Document.case_id) == case_id,
                    col(Document.owner_id) == user.id,
                    col(Document.source_id).is_(None),
                )
                .order_by(col(Document.id))
            )
            return [d for d in rows.all() if d.room_id in readable]


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    """A file's bytes in CHUNK_SIZE pieces, read in a worker thread."""
    with path.open("rb") as f:
        while chunk := await asyncio.to_thread(f.read, CHUNK_SIZE):
            yield chunk
