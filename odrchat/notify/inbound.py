"""Where providers deliver replies to our texts: ``POST /sms/inbound/twilio`` (Twilio's messaging
webhook, form-encoded, ``X-Twilio-Signature``) and ``POST /sms/inbound/gateway`` (the generic
gateway, JSON signed like our texts to it). Only the configured provider's endpoint answers; the
other is 404, and both are 404 with SMS off.

Unsigned or wrongly signed requests get 403, a stale gateway timestamp 403, a replayed message id
409. STOP, START and HELP are acted on (``odrchat.notify.replies``); anything else is dropped
unread, its text never stored or logged. A HELP answer goes back in the response (TwiML for
Twilio, ``{"reply": ...}`` for the gateway), not through the outbox: it answers that request.
"""

from __future__ import annotations

import json
import logging
import time
from html import escape
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from odrchat.notify import numbers, texts
from odrchat.notify.gateway import SIGNATURE_HEADER, TIMESTAMP_HEADER
from odrchat.notify.phone import InvalidPhone, to_e164
from odrchat.notify.replies import Keyword, gateway_signed, keyword, twilio_signed
from odrchat.notify.sms import mask_number
from odrchat.services import Services
from odrchat.store.types import utcnow

__all__ = ["ROUTES"]

logger = logging.getLogger("odrchat.notify")

MAX_BODY = 16 * 1024  # a provider's reply webhook is a few hundred bytes


async def twilio_reply(request: Request) -> Response:
    """Twilio's webhook for a text sent to our number."""
    services: Services = request.state.services
    sms = services.settings.sms
    if sms.provider != "twilio" or sms.twilio_auth_token is None:
        return Response("Not found.", 404, media_type="text/plain")
    raw = await _body(request)
    if raw is None:
        return Response("Too large.", 413, media_type="text/plain")
    params = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    # Twilio signs the URL it called, which is ours as the public sees it (behind a proxy too).
    url = services.settings.public_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    header = request.headers.get("x-twilio-signature")
    form = dict(params)
    if not twilio_signed(sms.twilio_auth_token, url, params, header) or (
        form.get("AccountSid") != sms.twilio_account_sid
    ):
        logger.warning("sms reply refused: bad or missing Twilio signature")
        return Response("Forbidden.", 403, media_type="text/plain")
    message_id = form.get("MessageSid") or form.get("SmsSid")
    if not message_id:
        return Response("MessageSid missing.", 400, media_type="text/plain")
    sender, body = form.get("From", ""), form.get("Body", "")
    outcome = await _act(services, f"twilio:{message_id}", sender, body)
    if outcome is None:
        return Response("Already handled.", 409, media_type="text/plain")
    inner = f"<Message>{escape(outcome)}</Message>" if outcome else ""
    twiml = f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'
    return Response(twiml, 200, media_type="text/xml")


async def gateway_reply(request: Request) -> Response:
    """The generic gateway's webhook for a text sent to our number."""
    services: Services = request.state.services
    sms = services.settings.sms
    if sms.provider != "webhook" or sms.webhook_secret is None:
        return Response("Not found.", 404, media_type="text/plain")
    raw = await _body(request)
    if raw is None:
        return JSONResponse({"error": "too large"}, 413)
    stamp = request.headers.get(TIMESTAMP_HEADER)
    header = request.headers.get(SIGNATURE_HEADER)
    if not gateway_signed(sms.webhook_secret, stamp, raw, header, now=time.time()):
        logger.warning("sms reply refused: bad, missing or stale gateway signature")
        return JSONResponse({"error": "bad signature"}, 403)
    try:
        data = json.loads(raw)
        message_id, sender, text = str(data["id"]), str(data["from"]), str(data["text"])
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "expected {id, from, text}"}, 400)
    if not message_id:
        return JSONResponse({"error": "id missing"}, 400)
    outcome = await _act(services, f"webhook:{message_id}", sender, text)
    if outcome is None:
        return JSONResponse({"error": "already handled"}, 409)
    return JSONResponse({"reply": outcome or None})


async def _act(services: Services, key: str, sender: str, body: str) -> str | None:
    """Record the reply once; None for a replay, else the answer to send back ("" for none)."""
    word = keyword(body)
    try:
        number = to_e164(sender)
    except InvalidPhone:
        number = ""
    async with services.db.session() as s:
        fresh = await numbers.record_reply(
            s, key[:80], number, word if number else Keyword.OTHER, now=utcnow()
        )
    if not fresh:
        return None
    if word is not Keyword.OTHER:
        logger.info("sms reply %s from %s", word.value, mask_number(number or sender))
    return texts.help_reply(services.settings.public_url) if word is Keyword.HELP else ""


async def _body(request: Request) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


ROUTES = [
    Route("/sms/inbound/twilio", twilio_reply, methods=["POST"]),
    Route("/sms/inbound/gateway", gateway_reply, methods=["POST"]),
]
