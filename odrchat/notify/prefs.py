"""Notification preferences: which channel each kind of notice takes, quiet hours, time zone.

Pure: a user's stored columns in, decisions out. Rules:

* Every notice belongs to a topic (``TOPICS``). For a *required* topic the email cannot be
  turned off: the centre must be able to reach a participant about their case, an offer or a
  signature with a deadline, or their court date. Texts are always a choice.
* ``notify_optional`` (the older single switch) still silences every optional topic.
* Quiet hours hold texts, never emails: a text due in them waits in the outbox until they end, in
  the user's time zone (the centre's when they chose none). A window may run past midnight.
* The away delay is how long news in a room waits, while the person is not there, before the
  away sweep (odrchat.notify.away) tells them: one of a few fixed choices, ten minutes unless
  they chose another. It applies to every kind of news; one notice per room per hour stays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "AWAY_DELAY",
    "AWAY_DELAYS",
    "EMAIL",
    "SMS",
    "TOPICS",
    "Prefs",
    "Topic",
    "decode",
    "encode",
    "held_until",
    "valid_zone",
    "wants",
]

EMAIL = "email"
SMS = "sms"

# Minutes of unread news, while away from the room, before a notice (the Account page's choices).
AWAY_DELAYS = (5, 10, 30, 60)
AWAY_DELAY = 10


@dataclass(frozen=True, slots=True)
class Topic:
    """A kind of notice a person can choose channels for."""

    name: str
    required: bool


TOPICS: dict[str, Topic] = {
    t.name: t
    for t in (
        Topic("case", required=True),  # invitations, joining, the mediator, the end of the case
        Topic("offers", required=True),  # offers, agreements, signatures and their deadlines
        Topic("updates", required=False),  # case progress: who joined, ready for a mediator
        Topic("messages", required=False),  # new messages while away
        Topic("reminders", required=False),  # nudges: an invitation or a consent still open
    )
}


@dataclass(frozen=True, slots=True)
class Prefs:
    """One person's choices, as read from their row."""

    channels: dict[str, dict[str, bool]] = field(default_factory=dict)  # topic -> channel -> on
    optional: bool = True  # notify_optional
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    quiet: tuple[time, time] | None = None  # (from, until), local


def decode(raw: str | None) -> dict[str, dict[str, bool]]:
    """The stored JSON of channel choices; anything unknown or malformed is dropped."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    out: dict[str, dict[str, bool]] = {}
    if not isinstance(data, dict):
        return out
    for topic, chosen in data.items():
        if topic in TOPICS and isinstance(chosen, dict):
            out[topic] = {c: bool(v) for c, v in chosen.items() if c in (EMAIL, SMS)}
    return out


def encode(channels: dict[str, dict[str, bool]]) -> str:
    """The JSON stored for channel choices (required emails are not stored: they are on)."""
    clean = {
        topic: {c: on for c, on in chosen.items() if not (TOPICS[topic].required and c == EMAIL)}
        for topic, chosen in channels.items()
        if topic in TOPICS
    }
    return json.dumps({t: c for t, c in clean.items() if c}, sort_keys=True)


def wants(prefs: Prefs, topic: str, channel: str) -> bool:
    """Whether a notice of ``topic`` goes to this person by ``channel``."""
    kind = TOPICS[topic]
    if kind.required and channel == EMAIL:
        return True
    if not kind.required and not prefs.optional:
        return False
    return prefs.channels.get(topic, {}).get(channel, True)


def held_until(prefs: Prefs, now: datetime) -> datetime | None:
    """When a text due at ``now`` may go, if quiet hours hold it; None to send now."""
    if prefs.quiet is None:
        return None
    start, end = prefs.quiet
    if start == end:
        return None
    local = now.astimezone(prefs.zone)
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date()
    if start > end and t >= start:
        day += timedelta(days=1)  # a window past midnight ends tomorrow
    until = datetime.combine(day, end, tzinfo=prefs.zone)
    return until.astimezone(now.tzinfo)


def valid_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this server knows."""
    if name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
