"""The audit log: who did or looked at what, and when. Append-only.

Every admin view of a case's detail or transcript, every admin action on a case, and each
private opt-out reason land here. There is deliberately no update or delete function: the log
is written by `record` inside the caller's transaction (so an entry exists iff the action
committed) and read by `entries`, shown to admins only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Index, Text, func
from sqlmodel import Field, SQLModel, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.agreements.dates import local_time
from odrchat.auth.tables import User
from odrchat.cases.tables import Participant
from odrchat.store.types import UTCDateTime, utcnow

__all__ = [
    "AuditEntry",
    "Filter",
    "case_roles",
    "csv_rows",
    "entries",
    "entry_json",
    "read",
    "record",
    "role_of",
]


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


@dataclass(frozen=True, slots=True)
class Filter:
    """Which entries to read: all conditions hold together; None is no condition."""

    case_id: int | None = None
    action: str | None = None  # exact ("case.assigned") or a family ("case.")
    actor: str | None = None  # a part of the actor's name or email address
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    before_id: int | None = None  # paging: older than this entry


async def entries(
    session: AsyncSession,
    *,
    case_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest entries first, optionally for one case, paged by `before_id`."""
    found = await read(session, Filter(case_id=case_id, before_id=before_id), limit=limit)
    return [entry for entry, _ in found]


async def read(
    session: AsyncSession, where: Filter, *, limit: int | None = 100
) -> list[tuple[AuditEntry, User | None]]:
    """Entries (newest first) with their actor's account, as `where` selects them."""
    stmt = (
        select(AuditEntry, User)
        .join(User, col(User.id) == col(AuditEntry.actor_user_id), isouter=True)
        .order_by(col(AuditEntry.id).desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    if where.case_id is not None:
        stmt = stmt.where(col(AuditEntry.case_id) == where.case_id)
    if where.before_id is not None:
        stmt = stmt.where(col(AuditEntry.id) < where.before_id)
    if where.action:
        if where.action.endswith("."):
            stmt = stmt.where(col(AuditEntry.action).startswith(where.action))
        else:
            stmt = stmt.where(col(AuditEntry.action) == where.action)
    if where.actor:
        like = f"%{where.actor.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(col(User.display_name)).like(like),
                func.lower(col(User.email)).like(like),
            )
        )
    if where.since is not None:
        stmt = stmt.where(col(AuditEntry.at) >= where.since)
    if where.until is not None:
        stmt = stmt.where(col(AuditEntry.at) < where.until)
    return [(entry, user) for entry, user in (await session.exec(stmt)).all()]


async def case_roles(
    session: AsyncSession, pairs: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """The role each (case, user) pair has had in that case (for people without a staff role)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    stmt = select(Participant.case_id, Participant.user_id, Participant.role).where(
        col(Participant.case_id).in_({c for c, _ in wanted}),
        col(Participant.user_id).in_({u for _, u in wanted}),
    )
    return {(c, u): role for c, u, role in (await session.exec(stmt)).all() if (c, u) in wanted}


def role_of(entry: AuditEntry, user: User | None, roles: Mapping[tuple[int, int], str]) -> str:
    """'admin', 'mediator', a case role ('party', 'attorney', ...), 'user' or 'system'."""
    if user is None:
        return "system"
    if user.staff_role:
        return user.staff_role
    if entry.case_id is not None and user.id is not None:
        return roles.get((entry.case_id, user.id), "user")
    return "user"


def entry_json(
    entry: AuditEntry,
    user: User | None = None,
    role: str | None = None,
    tz: ZoneInfo | None = None,
) -> dict[str, Any]:
    """An entry as admins see it: the moment in UTC and in the centre's zone, who and as what."""
    detail: Any = json.loads(entry.detail)
    return {
        "id": entry.id,
        "at": entry.at,
        "at_local": local_time(entry.at, tz) if tz is not None else None,
        "actor_user_id": entry.actor_user_id,
        "actor_name": user.display_name if user is not None else None,
        "actor_role": role or ("system" if user is None else "user"),
        "action": entry.action,
        "case_id": entry.case_id,
        "detail": detail,
    }


# Keys of a detail that may hold words someone typed: never exported (the opt-out reason is
# private to this log; message text never reaches it, and this keeps it so if one ever did).
PRIVATE_KEYS = frozenset({"reason", "text", "body", "message", "caption", "note", "file_name"})
CSV_COLUMNS = ("id", "date_time", "actor", "role", "action", "case_id", "detail")


def csv_rows(
    found: Sequence[tuple[AuditEntry, User | None]],
    roles: Mapping[tuple[int, int], str],
    tz: ZoneInfo,
) -> Iterator[list[str]]:
    """The export's rows (header first): dates in the centre's zone, typed words left out."""
    yield list(CSV_COLUMNS)
    for entry, user in found:
        detail = {k: v for k, v in json.loads(entry.detail).items() if k not in PRIVATE_KEYS}
        yield [
            str(entry.id),
            local_time(entry.at, tz),
            user.display_name if user is not None else "system",
            role_of(entry, user, roles),
            entry.action,
            "" if entry.case_id is None else str(entry.case_id),
            json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
        ]
