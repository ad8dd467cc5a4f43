"""A generic signed-webhook SMS gateway: for centres whose SMS provider is not Twilio.

Each text is one JSON POST to ``SMS_WEBHOOK_URL``; the centre's small adapter forwards it to its
provider. The request::

    POST <SMS_WEBHOOK_URL>
    Content-Type: application/json
    X-Odrchat-Timestamp: 1764684000                 (Unix seconds when signed)
    X-Odrchat-Signature: v1=<hex>                   (HMAC-SHA256, key SMS_WEBHOOK_SECRET,
                                                     over "<timestamp>.<raw body>")
    {"to": "+12135550100", "text": "...", "from": "+12135550199" or null}

Any 2xx means the gateway accepted the text (the outbox records "sent"). A 4xx other than
401/403/404/408/409/425/429 means it refused this text for good (e.g. an invalid number): never
retried. Everything else (those statuses, 5xx, no answer) is retried with the outbox's backoff.
The gateway should reject a timestamp older than a few minutes and compare signatures in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable

import httpx

from odrchat.notify.email import SmsMessage
from odrchat.notify.sms import SmsError, is_permanent, mask_number

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookSmsSender", "sign"]

logger = logging.getLogger("odrchat.notify")

SIGNATURE_HEADER = "X-Odrchat-Signature"
TIMESTAMP_HEADER = "X-Odrchat-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for a body sent (or received) at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


class WebhookSmsSender:
    """Send texts as signed JSON POSTs to the centre's own gateway."""

    provider = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        sender: str | None = None,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.sender = sender
        self._secret = secret
        self._clock = clock
        self._client = httpx.AsyncClient(
            timeout=timeout, transport=transport, follow_redirects=False
        )

    def __repr__(self) -> str:
        return f"WebhookSmsSender(url={self.url!r})"

    async def send(self, message: SmsMessage) -> None:
        """POST one signed text; raise SmsError unless the gateway answered 2xx."""
        body = json.dumps(
            {"to": message.to, "text": message.text, "from": self.sender},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        try:
            response = await self._client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise SmsError("gateway: no answer in time") from exc
        except httpx.HTTPError as exc:
            raise SmsError(f"gateway: {type(exc).__name__}") from exc
        if 200 <= response.status_code < 300:
            logger.info("sms accepted by the gateway: to=%s", mask_number(message.to))
            return
        raise SmsError(
            f"gateway {response.status_code}", permanent=is_permanent(response.status_code)
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
