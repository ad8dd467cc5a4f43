"""The Account page's notification settings: ``GET`` and ``PUT /api/me/notifications``."""

from __future__ import annotations

from typing import Any

from odrchat.api import Call, Endpoint
from odrchat.auth.tables import User
from odrchat.errors import Invalid
from odrchat.notify import prefs as p
from odrchat.notify import texts
from odrchat.notify.bodies import NotificationSettings, SetNotifications

__all__ = ["ENDPOINTS", "settings_of"]


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def settings_of(user: User, centre: str) -> NotificationSettings:
    """My settings as the page shows them."""
    chosen = p.decode(user.notify_prefs)
    prefs = p.Prefs(chosen, user.notify_optional)
    topics = {
        name: {
            "email": p.wants(prefs, name, p.EMAIL),
            "sms": p.wants(prefs, name, p.SMS),
            "required": topic.required,
        }
        for name, topic in p.TOPICS.items()
    }
    quiet = None
    if user.quiet_from is not None and user.quiet_until is not None:
        quiet = {"start": _clock(user.quiet_from), "end": _clock(user.quiet_until)}
    return NotificationSettings.model_validate(
        {
            **topics,
            "quiet_hours": quiet,
            "time_zone": user.time_zone,
            "centre_time_zone": centre,
            "away_delay": user.away_delay,
            "away_delays": list(p.AWAY_DELAYS),
            "texts_possible": bool(user.phone),
        }
    )


async def my_notifications(call: Call[Any]) -> NotificationSettings:
    """My notification settings."""
    async with call.services.db.read() as s:
        user = await s.get(User, call.user_id)
        assert user is not None
        return settings_of(user, call.services.settings.centre_timezone)


async def set_notifications(call: Call[SetNotifications]) -> NotificationSettings:
    """Change my notification settings."""
    body = call.body
    given = body.model_fields_set
    if "time_zone" in given and body.time_zone is not None and not p.valid_zone(body.time_zone):
        raise Invalid(texts.BAD_ZONE, fields={"time_zone": texts.BAD_ZONE})
    async with call.services.db.session() as s:
        user = await s.get(User, call.user_id)
        assert user is not None
        chosen = p.decode(user.notify_prefs)
        for name, topic in p.TOPICS.items():
            choice = getattr(body, name)
            if choice is None:
                continue
            if topic.required and choice.email is False:
                raise Invalid(texts.REQUIRED_EMAIL, fields={name: texts.REQUIRED_EMAIL})
            mine = chosen.setdefault(name, {})
            if choice.email is not None:
                mine[p.EMAIL] = choice.email
            if choice.sms is not None:
                mine[p.SMS] = choice.sms
            if not topic.required and (choice.email or choice.sms) and not user.notify_optional:
                # Choosing one optional kind lifts the older all-optional switch; the other
                # optional kinds keep what that switch meant for them (off).
                user.notify_optional = True
                for other, kind in p.TOPICS.items():
                    if not kind.required and other != name and getattr(body, other) is None:
                        chosen.setdefault(other, {p.EMAIL: False, p.SMS: False})
        user.notify_prefs = p.encode(chosen)
        if "quiet_hours" in given:
            q = body.quiet_hours
            user.quiet_from = _minutes(q.start) if q else None
            user.quiet_until = _minutes(q.end) if q else None
        if "time_zone" in given:
            user.time_zone = body.time_zone
        if "away_delay" in given:
            user.away_delay = p.AWAY_DELAY if body.away_delay is None else body.away_delay
        s.add(user)
        return settings_of(user, call.services.settings.centre_timezone)


ENDPOINTS = (
    Endpoint(
        "GET",
        "/api/me/notifications",
        my_notifications,
        "My notification settings",
        reply=NotificationSettings,
        tag="auth",
    ),
    Endpoint(
        "PUT",
        "/api/me/notifications",
        set_notifications,
        "Change my notification settings",
        body=SetNotifications,
        reply=NotificationSettings,
        tag="auth",
    ),
)
