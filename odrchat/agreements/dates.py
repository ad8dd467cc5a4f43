"""Dates and times as a California court and its users read them.

Stored times stay UTC; only what is printed is moved into the centre's time zone
(`CENTRE_TIMEZONE`, America/Los_Angeles by default). Dates are written in words
("April 1, 2026") in running text and as MM/DD/YYYY in captions, lists and footers.
Locale-independent: the server's locale never changes a filed paper.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "America/Los_Angeles"
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def in_words(day: date) -> str:
    """'April 1, 2026'."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def numeric(day: date) -> str:
    """'04/01/2026'."""
    return f"{day.month:02d}/{day.day:02d}/{day.year}"


def local_time(at: datetime, tz: ZoneInfo) -> str:
    """A moment in the centre's zone: '03/02/2026 at 9:05 AM PST'."""
    if at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    here = at.astimezone(tz)
    hour = here.hour % 12 or 12
    half = "AM" if here.hour < 12 else "PM"
    return f"{numeric(here.date())} at {hour}:{here.minute:02d} {half} {here.tzname()}"


def local_date(at: datetime, tz: ZoneInfo) -> date:
    """The calendar day `at` falls on in the centre's zone."""
    return at.astimezone(tz).date()
