"""Real rows and a real CaseService for case tests: users, outbox reading, a recording feed."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.testclient import TestClient

from odrchat.auth.tables import User
from odrchat.cases.service import CaseService
from odrchat.notify.tables import OutboxMessage
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.helpers import post

INVITE = re.compile(r"#/invite/([A-Za-z0-9_\-]+)")
REASON = "PRIVATE-REASON-the-other-side-scares-me"


@dataclass
class RecordingFeed:
    """A Feed that keeps what it is given, and checks that it runs inside a transaction."""

    recorded: list[tuple[int, str, dict[str, object]]] = field(default_factory=list)
    flushes: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)  # set once a close commits

    async def record(
        self, session: AsyncSession, case_id: int, event_type: str, payload: dict[str, object]
    ) -> None:
        assert session.in_transaction()
        self.recorded.append((case_id, event_type, payload))

    async def post(
        self,
        session: AsyncSession,
        case_id: int,
        event_type: str,
        body: dict[str, Any],
        *,
        sender_id: int | None = None,
    ) -> None:
        assert session.in_transaction()
        self.recorded.append((case_id, event_type, body))

    async def flush(self, session: AsyncSession) -> None:
        self.flushes += 1
        if any(t == "case.closed" for _, t, _ in self.recorded):
            self.closed.set()  # after the commit: readers now see the closed case

    def types(self, case_id: int) -> list[str]:
        return [t for c, t, _ in self.recorded if c == case_id]


async def add_user(
    db: Database,
    name: str,
    *,
    staff: str = "",
    verified: bool = True,
    phone: str | None = None,
    notify_optional: bool = True,
    available: bool = True,
) -> User:
    """A user row named `name` with the address <name>@example.org."""
    async with db.session() as s:
        user = User(
            email=f"{name}@example.org",
            display_name=name.title(),
            password_hash="x",
            staff_role=staff,
            phone=phone,
            notify_optional=notify_optional,
            available=available,
            email_verified_at=utcnow() if verified else None,
        )
        s.add(user)
    return user


async def mails(db: Database, to: str | None = None) -> list[OutboxMessage]:
    """Queued messages, oldest first, optionally only those to one recipient."""
    async with db.session() as s:
        stmt = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if to is not None:
            stmt = stmt.where(col(OutboxMessage.recipient) == to)
        return list((await s.exec(stmt)).all())


async def last_token(db: Database, to: str) -> str:
    """The token in the newest invitation link emailed to `to`."""
    for row in reversed(await mails(db, to)):
        found = INVITE.search(row.body_text)
        if found:
            return found.group(1)
    raise AssertionError(f"no invitation emailed to {to}")


FACTS: dict[str, Any] = {
    "kind": "small_claims",
    "side": "plaintiff",
    "court_name": "Stanley Mosk Courthouse",
    "court_case_number": "24SC01234",
    "hearing_date": None,
    "description": "The defendant did not pay for the fence I built.",
    "other_name": "Dana Defendant",
    "other_email": "dana@example.org",
    "other_phone": None,
    "share_contact": False,
}


async def open_case(svc: CaseService, who: User, **changes: Any) -> tuple[int, str]:
    """Open a small claims case against dana; returns the case id and the invitation token."""
    facts = {**FACTS, **changes}
    case_id = await svc.open_case(who, **facts)
    return case_id, await last_token(svc.db, facts["other_email"])


async def in_mediation(svc: CaseService, paul: User, dana: User, mia: User, admin: User) -> int:
    """A case walked from intake to mediation with mia as mediator."""
    case_id, token = await open_case(svc, paul)
    await svc.accept_invitation(dana, token)
    version = (await svc.detail(paul, case_id))["consent_needed"]
    await svc.consent(paul, case_id, version)
    await svc.consent(dana, case_id, version)
    assert mia.id is not None
    await svc.assign(admin, case_id, mia.id)
    return case_id


# -- through the HTTP API ---------------------------------------------------------------------

PASSWORD = "correct horse battery"


def staff(client: TestClient, name: str, role: str) -> int:
    """A mediator or admin account made the way an operator makes one (verified)."""
    services = client.app_state["services"]
    user = client.portal.call(  # type: ignore[union-attr]
        services.auth.create_staff, f"{name}@example.org", name.title(), PASSWORD, role
    )
    assert isinstance(user.id, int)
    return user.id


def api_open(client: TestClient, **changes: Any) -> Any:
    """Open the standard small claims case as the logged-in user; returns the detail JSON."""
    body = {k: v for k, v in {**FACTS, **changes}.items() if v is not None}
    r = post(client, "/api/cases", body)
    assert r.status_code == 201, r.text
    return r.json()
