"""How fast one socket may send what (docs/protocol.md, "Rate limits").

Over a limit, a frame is refused. The first refused frame of a kind is answered with
`rate_limited` and `retry_after_ms`; frames of that kind refused before that time are dropped
without an answer, so a flood cannot make the server queue one error per frame (that used to
overflow the send queue and close a reading client 4408). A client that goes on regardless
runs out of patience, and the socket is closed 4400.
"""

from __future__ import annotations

import enum
import time

from odrchat.rooms.bucket import TokenBucket

# (tokens per second, burst), per socket unless said otherwise.
CHAT = (5.0, 20.0)
CHAT_PER_USER = (10.0, 30.0)  # shared by a user's sockets on one worker
HISTORY = (2.0, 10.0)
TYPING = (5.0, 10.0)
# Frames refused without an answer (sent while told to wait) before the socket is closed.
PATIENCE = (10.0, 100.0)
# The hub forwards at most one typing change per user and room this often (seconds).
TYPING_EVERY = 1.0


class Verdict(enum.Enum):
    ANSWER = "answer"  # refuse with rate_limited
    QUIET = "quiet"  # refuse without an answer (one was sent for this wait already)
    CLOSE = "close"  # the client ignores the answers: close 4400


class Limit:
    """One kind of frame's bucket and the end of the wait last announced for it."""

    __slots__ = ("bucket", "until")

    def __init__(self, rate: float, burst: float) -> None:
        self.bucket = TokenBucket(rate, burst)
        self.until = 0.0


class SocketLimits:
    """The limits of one socket, made on its first limited frame (idle sockets carry none)."""

    __slots__ = ("chat", "history", "patience", "typing")

    def __init__(self) -> None:
        self.chat = Limit(*CHAT)
        self.history = Limit(*HISTORY)
        self.typing = Limit(*TYPING)
        self.patience = TokenBucket(*PATIENCE)

    def refuse(self, limit: Limit, wait: float) -> Verdict:
        """What to do with a frame refused for rate, `wait` seconds before it would pass."""
        now = time.monotonic()
        if now >= limit.until:
            limit.until = now + wait
            return Verdict.ANSWER
        return Verdict.CLOSE if self.patience.take() else Verdict.QUIET


Key = tuple[int, int]  # (room, user)


class TypingGate:
    """At most one typing change per room and user every TYPING_EVERY seconds (per worker).

    A change that comes sooner is held; once the second is over, the last held state goes out
    if it differs from the last one sent, so a burst of on/off collapses into at most one frame
    and "stopped typing" is never lost.
    """

    __slots__ = ("_held", "_sent")

    def __init__(self) -> None:
        self._sent: dict[Key, tuple[float, bool]] = {}
        self._held: dict[Key, bool] = {}

    def offer(self, key: Key, on: bool, now: float) -> tuple[bool, float | None]:
        """(send it now?, call `release` after this many seconds)."""
        sent = self._sent.get(key)
        if sent is None or now - sent[0] >= TYPING_EVERY:
            self._sent[key] = (now, on)
            self._held.pop(key, None)
            return True, None
        first = key not in self._held
        self._held[key] = on
        return False, (sent[0] + TYPING_EVERY - now) if first else None

    def release(self, key: Key, now: float) -> bool | None:
        """The held state to send now, if any."""
        on = self._held.pop(key, None)
        sent = self._sent.get(key)
        if on is None or (sent is not None and sent[1] == on):
            return None
        self._sent[key] = (now, on)
        return on

    def forget(self, key: Key) -> None:
        """The user left the room on this worker."""
        self._sent.pop(key, None)
        self._held.pop(key, None)
