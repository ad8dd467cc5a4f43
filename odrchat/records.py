"""Records: checking the transcripts' hash chains, legal holds, and purging after retention.

Invariants and choices:
- `verify_all` walks every room's chain (`rooms.log.verify_room`) and returns the first break of
  each broken room; nothing is repaired, the operator decides what to do.
- A transcript (a closed case's room events, flags and read markers, and its shared documents
  with their bytes) is purged once the case has been closed for `Settings.retention`, unless
  the case is under an active legal hold. Signed
  agreements, their signatures, the case row and the audit log are never touched.
- A purge empties each room and resets its head to the genesis, so the chain of an emptied room
  verifies; the audit entry written in the same transaction keeps each room's last seq and hash,
  which is the proof of what existed and was destroyed.
- Document rows go in the purge's transaction; their blobs are deleted after it commits (an
  object store is outside the transaction). A blob whose delete fails is logged and left as an
  orphan that nothing points at: never a row pointing at nothing.
- A legal hold is a row here rather than a column on `cases` (that table belongs to the case
  lifecycle); holds are lifted, never deleted, so their history stays on the record.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Text, delete, func, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.audit import record
from odrchat.blobs.base import BlobError, BlobStore
from odrchat.blobs.database import DatabaseBlobStore
from odrchat.cases.tables import Case
from odrchat.control.tables import HiddenMessage, Relay
from odrchat.documents.tables import Document
from odrchat.rooms.log import GENESIS, ChainBreak, verify_room
from odrchat.rooms.tables import MessageFlag, ReadMarker, Room, RoomEvent
from odrchat.store.db import Database
from odrchat.store.types import UTCDateTime, utcnow

log = logging.getLogger("odrchat.records")

__all__ = [
    "LegalHold",
    "PurgeReport",
    "held_case_ids",
    "lift_hold",
    "place_hold",
    "purge",
    "verify_all",
]


class LegalHold(SQLModel, table=True):
    """A case whose transcripts must outlive the retention period (litigation, complaint)."""

    __tablename__ = "legal_holds"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    set_by: int | None = Field(default=None, foreign_key="users.id")
    reason: str = Field(sa_column=Column(Text(), nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    lifted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    lifted_by: int | None = Field(default=None, foreign_key="users.id")


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a purge removed (or, dry, would remove), and which due cases a hold kept."""

    cases: tuple[int, ...]
    rooms: int
    events: int
    held: tuple[int, ...]
    documents: int = 0


async def verify_all(db: Database) -> list[ChainBreak]:
    """The first break of every room whose chain does not hold, in room order."""
    async with db.session() as s:
        room_ids = list((await s.exec(select(Room.id).order_by(col(Room.id)))).all())
    breaks: list[ChainBreak] = []
    for room_id in room_ids:
        assert room_id is not None
        async with db.session() as s:
            found = await verify_room(s, room_id)
        if found is not None:
            breaks.append(found)
    return breaks


async def place_hold(
    session: AsyncSession,
    case_id: int,
    set_by: int | None,
    reason: str,
    *,
    now: datetime | None = None,
) -> LegalHold:
    """Put a case under legal hold (audited) inside the caller's transaction."""
    hold = LegalHold(case_id=case_id, set_by=set_by, reason=reason, at=now or utcnow())
    session.add(hold)
    await session.flush()
    await record(session, set_by, "records.hold", case_id, {"reason": reason}, now=now)
    return hold


async def lift_hold(
    session: AsyncSession, case_id: int, lifted_by: int | None, *, now: datetime | None = None
) -> bool:
    """Lift every active hold on a case (audited); False if there was none."""
    when = now or utcnow()
    result = await session.exec(
        update(LegalHold)
        .where(col(LegalHold.case_id) == case_id, col(LegalHold.lifted_at).is_(None))
        .values(lifted_at=when, lifted_by=lifted_by)
    )
    if not result.rowcount:
        return False
    await record(session, lifted_by, "records.hold_lifted", case_id, now=when)
    return True


async def held_case_ids(session: AsyncSession) -> set[int]:
    """Cases under an active legal hold."""
    rows = await session.exec(
        select(LegalHold.case_id).where(col(LegalHold.lifted_at).is_(None)).distinct()
    )
    return set(rows.all())


async def purge(
    db: Database,
    retention: timedelta,
    *,
    now: datetime | None = None,
    actor_id: int | None = None,
    dry_run: bool = False,
    blobs: BlobStore | None = None,
) -> PurgeReport:
    """Delete the transcripts of cases closed longer than `retention` ago, except held ones
    (documents' bytes from `blobs`, by default the database's own store)."""
    now = now or utcnow()
    blobs = blobs or DatabaseBlobStore(db)
    async with db.session() as s:
        due = list(
            (
                await s.exec(
                    select(Case.id)
                    .where(col(Case.closed_at).is_not(None), col(Case.closed_at) <= now - retention)
                    .order_by(col(Case.id))
                )
            ).all()
        )
        held = await held_case_ids(s)
    purged: list[int] = []
    rooms = events = documents = 0
    for case_id in due:
        assert case_id is not None
        if case_id in held:
            continue
        async with db.session() as s:
            counted = await _purge_case(s, case_id, now, actor_id, dry_run=dry_run)
        if counted is not None:
            purged.append(case_id)
            rooms, events = rooms + counted[0], events + counted[1]
            documents += counted[3]
            if not dry_run:
                await _delete_blobs(blobs, case_id, counted[2])
    return PurgeReport(
        tuple(purged),
        rooms,
        events,
        tuple(c for c in due if c is not None and c in held),
        documents,
    )


async def _delete_blobs(blobs: BlobStore, case_id: int, keys: Sequence[str]) -> None:
    for key in sorted(set(keys)):  # a copy shares its original's blob
        try:
            await blobs.delete(key)
        except BlobError:
            log.exception("purge of case %d: blob %s could not be deleted (orphaned)", case_id, key)


async def _purge_case(
    s: AsyncSession, case_id: int, now: datetime, actor_id: int | None, *, dry_run: bool
) -> tuple[int, int, list[str], int] | None:
    """Empty one case's rooms in one transaction: (rooms, events, blob keys, documents), or
    None when there was nothing left to purge."""
    # Re-check the hold inside the transaction: a hold placed meanwhile wins.
    if case_id in await held_case_ids(s):
        return None
    rooms: Sequence[Room] = (
        await s.exec(select(Room).where(col(Room.case_id) == case_id).order_by(col(Room.id)))
    ).all()
    ids = [r.id for r in rooms if r.id is not None]
    count = (
        (
            await s.exec(
                select(func.count()).select_from(RoomEvent).where(col(RoomEvent.room_id).in_(ids))
            )
        ).one()
        if ids
        else 0
    )
    docs = list((await s.exec(select(Document).where(col(Document.case_id) == case_id))).all())
    keys = [d.blob_key for d in docs] + [d.thumb_key for d in docs if d.thumb_key]
    if not count and not docs and all(r.head_seq == 0 for r in rooms):
        return None
    if dry_run:
        return len(ids), int(count), keys, len(docs)
    heads = {str(r.id): {"head_seq": r.head_seq, "head_hash": r.head_hash} for r in rooms}
    # Copies first: they point at their originals.
    await s.exec(
        delete(Document).where(
            col(Document.case_id) == case_id, col(Document.source_id).is_not(None)
        )
    )
    await s.exec(delete(Document).where(col(Document.case_id) == case_id))
    # Relayed words are mediation communications too; hidden marks point at purged messages.
    await s.exec(delete(Relay).where(col(Relay.case_id) == case_id))
    for table in (RoomEvent, MessageFlag, ReadMarker, HiddenMessage):
        await s.exec(delete(table).where(col(table.room_id).in_(ids)))
    await s.exec(update(Room).where(col(Room.id).in_(ids)).values(head_seq=0, head_hash=GENESIS))
    detail = {"events": int(count), "rooms": heads, "documents": len(docs)}
    await record(s, actor_id, "records.purge", case_id, detail, now=now)
    return len(ids), int(count), keys, len(docs)
