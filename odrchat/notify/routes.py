"""HTTP endpoints for notifications: what administrators see of the channels and the outbox."""

from __future__ import annotations

from odrchat.api import Call, Endpoint
from odrchat.notify.outbox import backlog

__all__ = ["ENDPOINTS"]


async def admin_notify(call: Call) -> object:
    """Which channels can send, and the outbox rows per channel and status (never their text)."""
    provider = call.services.sms.provider
    async with call.services.db.read() as s:
        counts = await backlog(s)
    return {"sms": {"provider": provider, "on": provider != "off"}, "outbox": counts}


ENDPOINTS = (
    Endpoint(
        "GET",
        "/api/admin/notify",
        admin_notify,
        "Notification channels and outbox backlog",
        access="admin",
        tag="admin",
    ),
)
