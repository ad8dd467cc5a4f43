"""SMS senders: the port the outbox sends text messages through, and a development logger.

A provider adapter (Twilio, an HTTP gateway, ...) implements ``SmsSender`` and translates its
client's errors into ``SmsError`` at its boundary, with ``permanent=True`` for a number the
provider rejects for good. Texts can carry one-time codes, so no sender logs a text.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Protocol

from odrchat.notify.channel import Rendered
from odrchat.notify.email import DeliveryError, SmsMessage
from odrchat.notify.tables import OutboxMessage

__all__ = ["LogSmsSender", "SmsError", "SmsRenderer", "SmsSender", "mask_number"]

logger = logging.getLogger("odrchat.notify")


class SmsError(DeliveryError):
    """A text message could not be handed to the provider."""


class SmsRenderer:
    """The text channel's outbox columns: the number and the text, nothing else."""

    name = "sms"
    message_type = SmsMessage

    def render(self, message: SmsMessage) -> Rendered:
        """The row's columns for this text."""
        return Rendered(recipient=message.to, body_text=message.text)

    def restore(self, row: OutboxMessage) -> SmsMessage:
        """The text a row was rendered from."""
        return SmsMessage(to=row.recipient, text=row.body_text)


class SmsSender(Protocol):
    async def send(self, message: SmsMessage) -> None:
        """Hand one text message on, or raise SmsError."""
        ...


class LogSmsSender:
    """Development sender: logs a masked recipient, keeps the last messages in memory."""

    def __init__(self, *, keep: int = 100) -> None:
        self.sent: deque[SmsMessage] = deque(maxlen=keep)

    async def send(self, message: SmsMessage) -> None:
        """Record the message and log a masked recipient (never the text)."""
        self.sent.append(message)
        logger.info("sms not sent (no provider): to=%s", mask_number(message.to))


def mask_number(number: str) -> str:
    """Keep only the last three digits of a phone number, enough to tell messages apart."""
    return "*" * max(len(number) - 3, 0) + number[-3:]
