"""HTTP endpoints for notifications: the owner's phone number (confirmed by a texted code), and
what administrators see of the channels and the outbox."""

from __future__ import annotations

from typing import Any

from odrchat.api import Call, Endpoint
from odrchat.auth.tables import User
from odrchat.errors import Invalid
from odrchat.notify import numbers, texts
from odrchat.notify.bodies import CodeSent, ConfirmPhone, NotifyStatus, PhoneStatus, StartPhone
from odrchat.notify.outbox import backlog
from odrchat.notify.smtp import LogMailer
from odrchat.store.types import utcnow

__all__ = ["ENDPOINTS"]


async def admin_notify(call: Call[None]) -> NotifyStatus:
    """Which channels can send, and the outbox rows per channel and status (never their text)."""
    provider = call.services.sms.provider
    async with call.services.db.read() as s:
        counts = await backlog(s)
    return NotifyStatus.model_validate(
        {
            "email": {"on": not isinstance(call.services.mailer, LogMailer)},
            "sms": {"provider": provider, "on": provider != "off"},
            "outbox": counts,
        }
    )


async def my_phone(call: Call[Any]) -> PhoneStatus:
    """My number (in full: only its owner sees it unmasked), a number waiting for its code."""
    async with call.services.db.read() as s:
        user = await s.get(User, call.user_id)
        assert user is not None
        return PhoneStatus.model_validate((await numbers.status(s, user, now=utcnow())).to_json())


async def start_phone(call: Call[StartPhone]) -> CodeSent:
    """Text a one-time code to a number; it becomes mine once I enter the code."""
    services = call.services
    async with services.db.session() as s:
        user = await s.get(User, call.user_id)
        assert user is not None
        number = await numbers.start(
            s, services.settings.secret_key, user, call.body.phone, now=utcnow()
        )
    services.outbox.wake()
    return CodeSent(status="code_sent", pending=number)


async def confirm_phone(call: Call[ConfirmPhone]) -> PhoneStatus:
    """Enter the texted code: the number is confirmed and texts may go to it."""
    services = call.services
    async with services.db.session() as s:
        user = await s.get(User, call.user_id)
        assert user is not None
        confirmed = await numbers.confirm(
            s, services.settings.secret_key, user, call.body.code, now=utcnow()
        )
    if confirmed is None:
        # Reported after the commit, so the wrong try is counted.
        raise Invalid(texts.CODE_WRONG, fields={"code": texts.CODE_WRONG})
    return await my_phone(call)


async def remove_phone(call: Call[None]) -> PhoneStatus:
    """Forget my number: no more texts to it."""
    async with call.services.db.session() as s:
        user = await s.get(User, call.user_id)
        assert user is not None
        await numbers.remove(s, user)
    return await my_phone(call)


ENDPOINTS = (
    Endpoint("GET", "/api/me/phone", my_phone, "My phone number", reply=PhoneStatus, tag="auth"),
    Endpoint(
        "POST",
        "/api/me/phone",
        start_phone,
        "Text a confirmation code to a phone number",
        body=StartPhone,
        reply=CodeSent,
        status=202,
        responses=(409, 429),
        tag="auth",
    ),
    Endpoint(
        "POST",
        "/api/me/phone/confirm",
        confirm_phone,
        "Confirm my phone number with the texted code",
        body=ConfirmPhone,
        reply=PhoneStatus,
        tag="auth",
    ),
    Endpoint(
        "DELETE",
        "/api/me/phone",
        remove_phone,
        "Remove my phone number",
        reply=PhoneStatus,
        tag="auth",
    ),
    Endpoint(
        "GET",
        "/api/admin/notify",
        admin_notify,
        "Notification channels and outbox backlog",
        access="admin",
        reply=NotifyStatus,
        tag="admin",
    ),
)
