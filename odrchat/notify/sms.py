"""SMS senders: the port the outbox sends text messages through, and the sender used without one.

A provider adapter (Twilio, an HTTP gateway, ...) implements ``SmsSender`` and translates its
client's errors into ``SmsError`` at its boundary, with ``permanent=True`` for a number the
provider rejects for good. Texts can carry one-time codes, so no sender logs a text.

Without a provider, ``NoSmsSender`` refuses every text with ``NotConfigured``: the outbox row then
says "not sent: no SMS provider configured" instead of pretending it went out.
"""

from __future__ import annotations

import logging
from typing import Protocol

from odrchat.notify.channel import Rendered
from odrchat.notify.email import DeliveryError, NotConfigured, SmsMessage
from odrchat.notify.tables import OutboxMessage

__all__ = [
    "NO_PROVIDER",
    "NoSmsSender",
    "RecipientOptedOut",
    "SmsError",
    "SmsRenderer",
    "SmsSender",
    "is_permanent",
    "mask_number",
]

NO_PROVIDER = "not sent: no SMS provider configured"

logger = logging.getLogger("odrchat.notify")


class SmsError(DeliveryError):
    """A text message could not be handed to the provider."""


class RecipientOptedOut(SmsError):
    """The provider refuses the number: it opted out there (Twilio 21610)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=True)


class SmsRenderer:
    """The text channel's outbox columns: the number and the text, nothing else."""

    name = "sms"
    message_type = SmsMessage

    def render(self, message: SmsMessage) -> Rendered:
        """The row's columns for this text (its kind goes in the otherwise unused subject)."""
        return Rendered(recipient=message.to, body_text=message.text, subject=message.kind)

    def restore(self, row: OutboxMessage) -> SmsMessage:
        """The text a row was rendered from."""
        return SmsMessage(to=row.recipient, text=row.body_text, kind=row.subject or "notice")


class SmsSender(Protocol):
    @property
    def provider(self) -> str:
        """Which provider texts go to ("twilio", "webhook", ...), or "off"."""
        ...

    async def send(self, message: SmsMessage) -> None:
        """Hand one text message on, or raise SmsError (NotConfigured when there is no provider)."""
        ...

    async def aclose(self) -> None:
        """Release connections (the app's lifespan calls this once, at shutdown)."""
        ...


class NoSmsSender:
    """The sender when SMS_PROVIDER is unset: every text is recorded as not sent."""

    provider = "off"

    async def send(self, message: SmsMessage) -> None:
        """Refuse the text; the outbox records why (the log gets a masked number only)."""
        logger.info("sms not sent (no SMS provider): to=%s", mask_number(message.to))
        raise NotConfigured(NO_PROVIDER)

    async def aclose(self) -> None:
        """Nothing to release."""


# A provider's 4xx says the request itself is wrong (a bad number, an opted-out recipient) and
# will fail the same way every time, except these: bad credentials or account (an operator can fix
# them while texts wait), a timeout, a conflict, or "too many requests".
_RETRYABLE_4XX = frozenset({401, 403, 404, 408, 409, 425, 429})


def is_permanent(status: int) -> bool:
    """Whether a provider's HTTP status means retrying the same request cannot help."""
    return 400 <= status < 500 and status not in _RETRYABLE_4XX


def mask_number(number: str) -> str:
    """Keep only the last three digits of a phone number, enough to tell messages apart."""
    return "*" * max(len(number) - 3, 0) + number[-3:]
