"""The running server's resources and services, built once per app in the lifespan.

Handlers reach this object through ``request.state.services`` (Starlette's lifespan state);
nothing here lives at module level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection

from odrchat.agreements.service import AgreementService
from odrchat.auth import csrf
from odrchat.auth.passwords import Passwords
from odrchat.auth.service import AuthService, Current
from odrchat.auth.staff import StaffAdmin
from odrchat.broker.base import Broker
from odrchat.cases.service import CaseService
from odrchat.control.service import ControlService
from odrchat.documents.service import DocumentService
from odrchat.notify.notifier import Notifier
from odrchat.notify.outbox import OutboxSender
from odrchat.notify.sms import SmsSender
from odrchat.notify.smtp import Mailer
from odrchat.offers.service import OfferService
from odrchat.rooms.feed import RoomFeed
from odrchat.rooms.hub import Hub
from odrchat.rooms.service import RoomService
from odrchat.safety.service import SafetyService
from odrchat.settings import Settings
from odrchat.store.db import Database


@dataclass
class Services:
    """Everything a request handler or socket may need, in one place."""

    settings: Settings
    db: Database
    broker: Broker
    mailer: Mailer
    sms: SmsSender
    passwords: Passwords
    auth: AuthService
    staff: StaffAdmin
    outbox: OutboxSender
    notifier: Notifier
    cases: CaseService
    rooms: RoomService
    hub: Hub
    feed: RoomFeed
    offers: OfferService
    agreements: AgreementService
    documents: DocumentService
    safety: SafetyService
    control: ControlService

    async def current(self, conn: HTTPConnection) -> Current | None:
        """The logged-in user of a request or socket (looked up once per request)."""
        cached = conn.scope.setdefault("odrchat.current", _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[no-any-return]
        session_cookie, _ = csrf.cookie_names(self.settings)
        found = await self.auth.authenticate(conn.cookies.get(session_cookie))
        conn.scope["odrchat.current"] = found
        return found


_MISSING: Any = object()
