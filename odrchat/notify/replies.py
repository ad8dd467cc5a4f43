"""Replies to our texts, as pure rules: which keyword a reply is, and whether a request is signed.

Keywords follow the US carriers' and Twilio's defaults. A reply counts only when it is a single
word (after trimming spaces and a trailing "." or "!"), in any case: "stop" stops texts, "stop
texting me about the fence" is just a message (and we keep no message text).

* opt out: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT
* opt back in: START, YES, UNSTOP
* help: HELP, INFO

Signatures:

* Twilio signs each webhook with ``X-Twilio-Signature``: base64 of HMAC-SHA1, keyed with the
  account's auth token, over the full URL Twilio called followed by every POST parameter's name
  and value, sorted by name. Twilio's signature carries no time, so a replay is recognised by its
  ``MessageSid`` having been seen before (``odrchat.notify.numbers.record_reply``).
* The generic gateway signs replies as odrchat signs texts to it (``odrchat.notify.gateway``):
  HMAC-SHA256 over "<timestamp>.<body>"; a timestamp more than ``MAX_AGE`` from our clock is
  refused, and so is a message id seen before.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
from collections.abc import Iterable
from datetime import timedelta

from odrchat.notify.gateway import sign

__all__ = [
    "MAX_AGE",
    "Keyword",
    "gateway_signed",
    "keyword",
    "twilio_signature",
    "twilio_signed",
]

MAX_AGE = timedelta(minutes=5)


class Keyword(enum.Enum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    OTHER = "other"


_WORDS = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
        Keyword.STOP,
    ),
    **dict.fromkeys(("START", "YES", "UNSTOP"), Keyword.START),
    **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
}


def keyword(body: str) -> Keyword:
    """The keyword a reply is, or OTHER."""
    word = body.strip().rstrip(".!").strip().upper()
    return _WORDS.get(word, Keyword.OTHER)


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The X-Twilio-Signature Twilio sends for a POST of ``params`` to ``url``."""
    data = url + "".join(name + value for name, value in sorted(params))
    mac = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def twilio_signed(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], header: str | None
) -> bool:
    """Whether the header is Twilio's signature of this request (constant-time)."""
    if not header:
        return False
    return hmac.compare_digest(twilio_signature(auth_token, url, params), header)


def gateway_signed(
    secret: str, timestamp: str | None, body: bytes, header: str | None, *, now: float
) -> bool:
    """Whether a gateway request is signed with our secret and recent enough."""
    if not timestamp or not header or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > MAX_AGE.total_seconds():
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)
