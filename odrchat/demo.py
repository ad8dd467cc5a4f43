"""`odrchat serve --demo`: a small claims case in mediation, with four accounts to try it.

It walks the real flows (open, invite, accept, consent, assign) through the services, so the
demo case is exactly what a real one looks like. It seeds once; later runs only print logins.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlmodel import col, select

from odrchat.auth.passwords import Passwords
from odrchat.auth.service import AuthService
from odrchat.auth.tables import User
from odrchat.broker.memory import MemoryBroker
from odrchat.cases.service import CaseService
from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION
from odrchat.cases.unit import Units
from odrchat.notify.tables import OutboxMessage
from odrchat.rooms.feed import RoomFeed
from odrchat.rooms.hub import Hub
from odrchat.rooms.presence import MemoryPresence
from odrchat.rooms.service import RoomService
from odrchat.settings import Settings
from odrchat.store.db import Database

ACCOUNTS = (
    # (key, email, display name, password, staff role)
    ("plaintiff", "paula.plaintiff@example.org", "Paula Plaintiff", "demo-plaintiff-1", ""),
    ("defendant", "dan.defendant@example.org", "Dan Defendant", "demo-defendant-1", ""),
    ("mediator", "maria.mediator@example.org", "Maria Mediator", "demo-mediator-1", "mediator"),
    ("admin", "ada.admin@example.org", "Ada Admin", "demo-admin-1", "admin"),
)


async def seed(settings: Settings, db: Database) -> list[str]:
    """Create the demo accounts and case unless they exist; return lines to print."""
    passwords = Passwords(settings.argon2)
    auth = AuthService(settings, db, passwords)
    async with db.session() as s:
        existing = (await s.exec(select(User).where(User.email == ACCOUNTS[3][1]))).first()
    if existing is None:
        users: dict[str, User] = {}
        for key, email, name, password, staff in ACCOUNTS:
            if staff:
                users[key] = await auth.create_staff(email, name, password, staff)
            else:
                user = await auth.register(email, name, password, None, verified=True)
                assert user is not None
                users[key] = user
        rooms = RoomService(db, MemoryPresence())
        broker = MemoryBroker()  # nobody listens yet: the events are in the rooms' logs
        await broker.connect()
        feed = RoomFeed(rooms, Hub(broker, rooms))
        cases = CaseService(Units(settings, db, feed=feed))
        case_id = await cases.open_case(
            users["plaintiff"],
            kind="small_claims",
            side="plaintiff",
            court_name="Superior Court of California, County of Los Angeles",
            court_case_number="26SMCV00421",
            hearing_date=date.today() + timedelta(days=45),
            description="Unpaid balance of $2,400 for kitchen repairs.",
            other_name="Dan Defendant",
            other_email=ACCOUNTS[1][1],
            other_phone=None,
            share_contact=False,
        )
        token = await _invitation_token(db, ACCOUNTS[1][1])
        await cases.accept_invitation(users["defendant"], token)
        await cases.consent(users["plaintiff"], case_id, AGREEMENT_TO_MEDIATE_VERSION)
        await cases.consent(users["defendant"], case_id, AGREEMENT_TO_MEDIATE_VERSION)
        assert users["mediator"].id is not None
        await cases.assign(users["admin"], case_id, users["mediator"].id)
        await broker.disconnect()
        header = "odrchat: demo case created (small claims 26SMCV00421, in mediation)."
    else:
        header = "odrchat: demo case already seeded."
    lines = [header, f"odrchat: open {settings.public_url}/ and log in as:"]
    for key, email, _name, password, _staff in ACCOUNTS:
        lines.append(f"  {key:<10} {email:<32} password: {password}")
    return lines


async def _invitation_token(db: Database, email: str) -> str:
    async with db.session() as s:
        rows = await s.exec(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == email)
            .order_by(col(OutboxMessage.id).desc())
        )
        for row in rows.all():
            found = re.search(r"#/invite/([A-Za-z0-9_\-]+)", row.body_text)
            if found:
                return found.group(1)
    raise RuntimeError("the demo invitation was not queued")
