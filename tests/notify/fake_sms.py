"""A fake SMS provider: a real HTTP server on 127.0.0.1 speaking Twilio's Messages API and the
signed-webhook gateway's format, written from their documentation (not from our adapters).

It accepts a text, refuses some numbers for good (Twilio: 400 with code 21211), and can be told to
fail the next N requests (503, then it recovers). Every accepted text wakes waiting tests.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
SERVICE_SID = "MG" + "fedcba9876543210" * 2
WEBHOOK_SECRET = "gateway-secret-" + "x" * 32
INVALID_NUMBER = "+15005550001"  # Twilio's own test number for "invalid To"
UNSUBSCRIBED_NUMBER = "+12135550177"  # texted STOP to our Twilio sender
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
WAIT = 10.0


@dataclass
class Received:
    provider: str
    to: str
    text: str
    sender: str | None


@dataclass
class FakeProvider:
    """What the server saw and how it should behave next."""

    accepted: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    requests: int = 0
    fail_next: int = 0
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(WAIT):
            while len(self.accepted) < count:
                self._arrived.clear()
                await self._arrived.wait()

    def _accept(self, item: Received) -> None:
        self.accepted.append(item)
        self._arrived.set()

    # -- Twilio ----------------------------------------------------------------------------

    async def twilio(self, request: Request) -> Response:
        self.requests += 1
        if request.path_params["sid"] != ACCOUNT_SID or not _basic_ok(request):
            return _twilio_error(401, 20003, "Authenticate")
        if self.fail_next > 0:
            self.fail_next -= 1
            return _twilio_error(503, 20500, "Service unavailable")
        if request.headers.get("content-type", "").split(";")[0] != (
            "application/x-www-form-urlencoded"
        ):
            return _twilio_error(400, 20001, "form encoding expected")
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        to, body = form.get("To", ""), form.get("Body", "")
        sender, service = form.get("From"), form.get("MessagingServiceSid")
        if not body or (sender is None) == (service is None):
            return _twilio_error(400, 21602, "Message body and one sender required")
        if to == INVALID_NUMBER or not E164.fullmatch(to):
            self.refused.append(to)
            return _twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to == UNSUBSCRIBED_NUMBER:
            self.refused.append(to)
            return _twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")
        self._accept(Received("twilio", to, body, sender or service))
        sid = "SM" + secrets.token_hex(16)
        return JSONResponse(
            {"sid": sid, "status": "queued", "to": to, "from": sender, "body": body},
            status_code=201,
        )

    # -- signed webhook gateway -----------------------------------------------------------

    async def gateway(self, request: Request) -> Response:
        self.requests += 1
        raw = await request.body()
        stamp = request.headers.get("x-odrchat-timestamp", "")
        expected = hmac.new(
            WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + raw, hashlib.sha256
        ).hexdigest()
        given = request.headers.get("x-odrchat-signature", "")
        if not hmac.compare_digest(given, f"v1={expected}"):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        if self.fail_next > 0:
            self.fail_next -= 1
            return JSONResponse({"error": "upstream down"}, status_code=503)
        data = json.loads(raw)
        if data["to"] == INVALID_NUMBER or not E164.fullmatch(data["to"]):
            self.refused.append(data["to"])
            return JSONResponse({"error": "invalid number"}, status_code=422)
        self._accept(Received("webhook", data["to"], data["text"], data.get("from")))
        return JSONResponse({"id": secrets.token_hex(8)}, status_code=202)


def _basic_ok(request: Request) -> bool:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    user, _, password = base64.b64decode(value).decode().partition(":")
    return user == ACCOUNT_SID and hmac.compare_digest(password, AUTH_TOKEN)


def _twilio_error(status: int, code: int, message: str) -> Response:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )


@dataclass
class RunningProvider:
    url: str
    state: FakeProvider

    @property
    def twilio_api(self) -> str:
        return self.url

    @property
    def gateway_url(self) -> str:
        return self.url + "/sms"


@asynccontextmanager
async def fake_provider() -> AsyncIterator[RunningProvider]:
    """Serve the fake provider under uvicorn on a loopback port for the block's duration."""
    state = FakeProvider()
    app = Starlette(
        routes=[
            Route("/2010-04-01/Accounts/{sid}/Messages.json", state.twilio, methods=["POST"]),
            Route("/sms", state.gateway, methods=["POST"]),
        ]
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    # Listening before uvicorn starts: early connections wait in the backlog, so no polling.
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield RunningProvider(f"http://127.0.0.1:{port}", state)
    finally:
        server.should_exit = True
        async with asyncio.timeout(WAIT):
            await task
        sock.close()
