"""Twilio's Messages API as an ``SmsSender``: one form-encoded POST per text, basic auth.

``POST {api}/2010-04-01/Accounts/{AccountSid}/Messages.json`` with ``To``, ``Body`` and either
``From`` or ``MessagingServiceSid``. A 201 carrying a message ``sid`` means Twilio accepted the
text (queued for the carrier): only then does the outbox record "sent". Everything else is
translated here into ``SmsError``:

* a 4xx that the same request will always get (Twilio code 21211 "invalid To number", 21614 "not
  a mobile number", 21610 "the recipient replied STOP to this sender"): permanent, never retried;
* 401/403/404 (credentials or account wrong: an operator can fix them while texts wait), 429
  (code 20429, too many requests), any 5xx, a network error or a timeout: retried by the outbox
  with its backoff.

``last_error`` gets the HTTP status and Twilio's numeric code only: Twilio's message quotes the
number, and the text itself never leaves this module except to Twilio.
"""

from __future__ import annotations

import logging

import httpx

from odrchat.notify.email import SmsMessage
from odrchat.notify.sms import RecipientOptedOut, SmsError, is_permanent, mask_number

__all__ = ["TwilioSender"]

logger = logging.getLogger("odrchat.notify")

# "Attempt to send to unsubscribed recipient": the number texted STOP to our Twilio sender.
OPTED_OUT_CODE = 21610


class TwilioSender:
    """Send texts through Twilio's Messages resource (API version 2010-04-01)."""

    provider = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        sender: str | None = None,
        messaging_service_sid: str | None = None,
        api_url: str = "https://api.twilio.com",
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if sender is None and messaging_service_sid is None:
            raise ValueError("Twilio needs a sender number or a messaging service sid")
        self.account_sid = account_sid
        self.sender = sender
        self.messaging_service_sid = messaging_service_sid
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._client = httpx.AsyncClient(
            auth=httpx.BasicAuth(account_sid, auth_token),
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        # The auth token stays out of reprs, and so out of tracebacks and logs.
        return f"TwilioSender(account_sid={self.account_sid!r}, url={self.url!r})"

    async def send(self, message: SmsMessage) -> None:
        """Hand one text to Twilio; raise SmsError unless Twilio accepted it."""
        form = {"To": message.to, "Body": message.text}
        if self.messaging_service_sid is not None:
            # With a service, Twilio picks the sender from the service's pool.
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            assert self.sender is not None
            form["From"] = self.sender
        try:
            response = await self._client.post(self.url, data=form)
        except httpx.TimeoutException as exc:
            raise SmsError("twilio: no answer in time") from exc
        except httpx.HTTPError as exc:
            raise SmsError(f"twilio: {type(exc).__name__}") from exc
        if response.status_code in (200, 201) and _sid(response) is not None:
            logger.info("sms accepted by twilio: to=%s", mask_number(message.to))
            return
        code = _error_code(response)
        if code == OPTED_OUT_CODE:
            raise RecipientOptedOut(f"twilio {response.status_code} code {code}")
        permanent = is_permanent(response.status_code)
        raise SmsError(
            f"twilio {response.status_code}" + (f" code {code}" if code is not None else ""),
            permanent=permanent,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _sid(response: httpx.Response) -> str | None:
    sid = _json(response).get("sid")
    return sid if isinstance(sid, str) and sid else None


def _error_code(response: httpx.Response) -> int | None:
    code = _json(response).get("code")
    return code if isinstance(code, int) else None
