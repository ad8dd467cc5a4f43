"""Whether a login session still stands: one rule for HTTP requests and arriving sockets.

Pure: the caller reads the session and its account, this decides. A session ends when it is
revoked, expires, sits idle longer than the centre allows, or its account is disabled. While it
stands, its last-seen time is written at most once a minute (TOUCH_EVERY), not on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Stamp:
    """What the rule needs of a session and its account, as read."""

    session_id: int
    user_id: int
    expires_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None
    disabled_at: datetime | None

    def stands(self, now: datetime, idle: timedelta) -> bool:
        return (
            self.disabled_at is None
            and self.revoked_at is None
            and self.expires_at > now
            and self.last_seen_at + idle > now
        )


def needs_touch(last_seen_at: datetime, now: datetime) -> bool:
    """Time to write down that the session was used (idle time counts from there)."""
    return now - last_seen_at >= TOUCH_EVERY
