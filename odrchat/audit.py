"""The audit log: who did or looked at what, and when. Append-only.

Every admin view of a case's detail or transcript, every admin action on a case, and each
private opt-out reason land here. There is deliberately no update or delete function: the log
is written by `record` inside the caller's transaction (so an entry exists iff the action
committed) and read by `entries`, shown to admins only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.store.types import UTCDateTime, utcnow

__all__ = ["AuditEntry", "entries", "entry_json", "record"]


class AuditEntry(SQLModel, table=True):
    """One audited action. `detail` is a JSON object as text."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_case_id", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    actor_user_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=64)
    case_id: int | None = Field(default=None)  # no foreign key: the log outlives what it names
    detail: str = Field(default="{}", sa_column=Column(Text(), nullable=False))


async def record(
    session: AsyncSession,
    actor_id: int | None,
    action: str,
    case_id: int | None,
    detail: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction."""
    entry = AuditEntry(
        at=now or utcnow(),
        actor_user_id=actor_id,
        action=action,
        case_id=case_id,
        detail=json.dumps(dict(detail or {}), default=str, ensure_ascii=False, sort_keys=True),
    )
    session.add(entry)
    await session.flush()
    return entry


async def entries(
    session: AsyncSession,
    *,
    case_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest entries first, optionally for one case, paged by `before_id`."""
    stmt = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if case_id is not None:
        stmt = stmt.where(col(AuditEntry.case_id) == case_id)
    if before_id is not None:
        stmt = stmt.where(col(AuditEntry.id) < before_id)
    return list((await session.exec(stmt)).all())


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """An entry as admins see it."""
    detail: Any = json.loads(entry.detail)
    return {
        "id": entry.id,
        "at": entry.at,
        "actor_user_id": entry.actor_user_id,
        "action": entry.action,
        "case_id": entry.case_id,
        "detail": detail,
    }
