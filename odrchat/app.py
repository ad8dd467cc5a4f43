"""The application factory. Resources are built here and in the lifespan, never at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from odrchat import __version__, collector
from odrchat.agreements.routes import ENDPOINTS as AGREEMENT_ENDPOINTS
from odrchat.agreements.service import AgreementService
from odrchat.api import Endpoint, error_response, json_response, request_language, route
from odrchat.auth.passwords import Passwords
from odrchat.auth.routes import ENDPOINTS as AUTH_ENDPOINTS
from odrchat.auth.service import AuthService
from odrchat.auth.staff import StaffAdmin
from odrchat.auth.staff_routes import ENDPOINTS as STAFF_ENDPOINTS
from odrchat.background import Loops, bounded
from odrchat.blobs import BlobStore, build_blob_store
from odrchat.broker.address import DEFAULT_URL, RedisAddress
from odrchat.broker.base import Broker
from odrchat.cases.routes import ENDPOINTS as CASE_ENDPOINTS
from odrchat.cases.service import CaseService
from odrchat.cases.unit import Units
from odrchat.control.routes import ENDPOINTS as CONTROL_ENDPOINTS
from odrchat.control.service import ControlService
from odrchat.documents.routes import ENDPOINTS as DOCUMENT_ENDPOINTS
from odrchat.documents.scan import Scanner
from odrchat.documents.service import DocumentService
from odrchat.errors import NotFound
from odrchat.figures.routes import ENDPOINTS as FIGURES_ENDPOINTS
from odrchat.i18n import COOKIE as LANGUAGE_COOKIE
from odrchat.i18n import N_, languages, load_catalogs
from odrchat.logs import bind_request, new_socket_id
from odrchat.logs import configure as configure_logging
from odrchat.metrics import CONTENT_TYPE_LATEST, Metrics, authorised
from odrchat.middleware import SecurityHeaders
from odrchat.notify.away import AwayNotices
from odrchat.notify.channel import Channel
from odrchat.notify.gateway import WebhookSmsSender
from odrchat.notify.inbound import ROUTES as SMS_REPLY_ROUTES
from odrchat.notify.notifier import Notifier
from odrchat.notify.numbers import SmsGate
from odrchat.notify.outbox import OutboxSender
from odrchat.notify.preferences import ENDPOINTS as PREFERENCE_ENDPOINTS
from odrchat.notify.routes import ENDPOINTS as NOTIFY_ENDPOINTS
from odrchat.notify.sms import NoSmsSender, SmsRenderer, SmsSender
from odrchat.notify.smtp import EmailRenderer, LogMailer, Mailer, SmtpMailer
from odrchat.notify.twilio import TwilioSender
from odrchat.notify.unsubscribe import ROUTES as UNSUBSCRIBE_ROUTES
from odrchat.offers.routes import ENDPOINTS as OFFER_ENDPOINTS
from odrchat.offers.service import OfferService
from odrchat.openapi import openapi
from odrchat.protocol import CLOSE_RESTART
from odrchat.reminders import registry
from odrchat.reminders.engine import Reminders
from odrchat.rooms.endpoint import websocket_endpoint
from odrchat.rooms.feed import RoomFeed
from odrchat.rooms.hub import CONTROL, Hub
from odrchat.rooms.presence import MemoryPresence, Presence, RedisPresence
from odrchat.rooms.routes import ENDPOINTS as ROOM_ENDPOINTS
from odrchat.rooms.service import RoomService
from odrchat.safety.routes import ENDPOINTS as SAFETY_ENDPOINTS
from odrchat.safety.service import SafetyService
from odrchat.services import Services
from odrchat.settings import Settings
from odrchat.store.db import Database
from odrchat.store.meta import deployment_id
from odrchat.store.migrate import upgrade
from odrchat.survey.routes import ENDPOINTS as SURVEY_ENDPOINTS
from odrchat.tracing import Tracer

log = logging.getLogger("odrchat")
STATIC = Path(__file__).parent / "static"


def all_endpoints() -> tuple[Endpoint, ...]:
    """Every HTTP API endpoint, in the order the OpenAPI document lists them."""
    return (
        *AUTH_ENDPOINTS,
        *CASE_ENDPOINTS,
        *STAFF_ENDPOINTS,
        *ROOM_ENDPOINTS,
        *OFFER_ENDPOINTS,
        *AGREEMENT_ENDPOINTS,
        *NOTIFY_ENDPOINTS,
        *PREFERENCE_ENDPOINTS,
        *DOCUMENT_ENDPOINTS,
        *FIGURES_ENDPOINTS,
        *SURVEY_ENDPOINTS,
        *SAFETY_ENDPOINTS,
        *CONTROL_ENDPOINTS,
    )


def redis_address(settings: Settings) -> RedisAddress | None:
    """Where Redis is (REDIS_URL, or a master through REDIS_SENTINELS), if anywhere."""
    if settings.redis_sentinels:
        assert settings.redis_sentinel_master is not None
        password = settings.redis_sentinel_password
        return RedisAddress(
            settings.redis_url or DEFAULT_URL,
            settings.redis_sentinels,
            settings.redis_sentinel_master,
            str(password) if password else None,
        )
    return RedisAddress(settings.redis_url) if settings.redis_url else None


def build_broker(settings: Settings, deployment: str) -> Broker:
    """Redis when REDIS_URL or REDIS_SENTINELS is set, otherwise the in-process broker."""
    if (address := redis_address(settings)) is not None:
        from odrchat.broker.redis import RedisBroker

        # Rooms' doorbells ride the bus; the control channel keeps its own Redis channel, so a
        # rolling restart's workers of both releases hear case changes and ended sessions.
        return RedisBroker(address, prefix=f"odrchat:{deployment}:", direct=(CONTROL,))
    from odrchat.broker.memory import MemoryBroker

    return MemoryBroker()


def build_sms(settings: Settings) -> SmsSender:
    """The SMS provider SMS_PROVIDER names, or a sender that records every text as not sent."""
    sms = settings.sms
    if sms.provider == "twilio":
        assert sms.twilio_account_sid is not None and sms.twilio_auth_token is not None
        return TwilioSender(
            sms.twilio_account_sid,
            sms.twilio_auth_token,
            sender=sms.sender,
            messaging_service_sid=sms.twilio_messaging_service_sid,
            api_url=sms.twilio_api_url,
        )
    if sms.provider == "webhook":
        assert sms.webhook_url is not None and sms.webhook_secret is not None
        return WebhookSmsSender(sms.webhook_url, sms.webhook_secret, sender=sms.sender)
    return NoSmsSender()


def build_presence(settings: Settings, deployment: str) -> Presence:
    """Redis-backed presence when Redis is configured (many workers), otherwise in memory."""
    if (address := redis_address(settings)) is not None:
        return RedisPresence(
            address, uuid.uuid4().hex[:12], prefix=f"odrchat:{deployment}:presence:"
        )
    return MemoryPresence()


def build_mailer(settings: Settings) -> Mailer:
    """SMTP when SMTP_HOST is set, otherwise a mailer that only logs (the outbox keeps the text)."""
    if settings.smtp_host:
        return SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_user,
            settings.smtp_password,
            settings.smtp_from,
            settings.smtp_starttls,
        )
    return LogMailer(settings.smtp_from)


class App(Starlette):
    """Starlette, with the chat socket (`/ws`) handed straight to its endpoint.

    A socket lives for hours and keeps every ASGI layer's coroutine frame alive the whole time:
    the error and exception middleware, the security headers, the router, the route and its
    wrappers. `/ws` needs none of them (it sends no HTTP headers and handles its own errors);
    skipping them saves about 4 KiB per connected browser (measured with tracemalloc).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/ws":
            scope["app"] = self
            new_socket_id()  # on every log line of this connection (its task and children)
            await websocket_endpoint(WebSocket(scope, receive, send))
            return
        if scope["type"] == "http":
            send = bind_request(scope, send)
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    broker: Broker | None = None,
    mailer: Mailer | None = None,
    sms: SmsSender | None = None,
    blobs: BlobStore | None = None,
    scanner: Scanner | None = None,
    settle_collector: bool = False,
) -> Starlette:
    """Build the ASGI app. Anything not given is built from `settings` when the app starts.

    `settle_collector`: once started, freeze the worker's heap out of Python's garbage
    collector (`odrchat.collector`); for a server's worker process, not for tests."""
    settings = settings or Settings.from_env()
    endpoints = all_endpoints()
    spec = openapi(endpoints, version=__version__)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        db = database or Database(settings.database_url)
        if settings.run_migrations:
            await upgrade(db)
        # Redis names are scoped to this installation: two sites sharing a Redis server never
        # hear each other (a room id alone would not tell them apart).
        deployment = await deployment_id(db)
        the_broker = broker or build_broker(settings, deployment)
        await the_broker.connect()
        the_mailer = mailer or build_mailer(settings)
        the_sms = sms or build_sms(settings)
        passwords = Passwords(settings.argon2, concurrency=settings.hash_concurrency)
        outbox = OutboxSender(
            db,
            [Channel(EmailRenderer(), the_mailer), Channel(SmsRenderer(), SmsGate(db, the_sms))],
        )
        auth = AuthService(settings, db, passwords, wake_outbox=outbox.wake)
        presence = build_presence(settings, deployment)
        notifier = Notifier(settings.public_url, settings.secret_key, settings.tz)
        away = AwayNotices(db, presence, notifier, wake_outbox=outbox.wake)
        reminders = Reminders(db, notifier, registry.sources(settings), wake_outbox=outbox.wake)
        metrics = Metrics()
        tracer = Tracer(settings.ack_trace_ms)
        rooms = RoomService(db, presence, metrics, tracer, session_idle=settings.session_idle)
        hub = Hub(the_broker, rooms)
        feed = RoomFeed(rooms, hub)
        auth.revoked_hooks.append(hub.sessions_revoked)
        units = Units(settings, db, wake_outbox=outbox.wake, feed=feed, notifier=notifier)
        cases = CaseService(units)
        agreements = AgreementService(units, auth)
        offers = OfferService(units)
        control = ControlService(units)
        the_blobs = blobs or build_blob_store(settings.documents, db)
        await the_blobs.connect()
        documents = DocumentService(db, the_blobs, feed, settings.documents, scanner=scanner)
        # A flagged screening puts the case in caucus-only mode (issue 16).
        safety = SafetyService(units, presence, feed, on_flagged=control.on_flagged)
        services = Services(
            settings=settings,
            db=db,
            broker=the_broker,
            mailer=the_mailer,
            sms=the_sms,
            passwords=passwords,
            auth=auth,
            staff=StaffAdmin(auth),
            outbox=outbox,
            notifier=notifier,
            cases=cases,
            rooms=rooms,
            hub=hub,
            feed=feed,
            offers=offers,
            agreements=agreements,
            documents=documents,
            safety=safety,
            control=control,
        )
        # What the first requests after a start would otherwise wait for.
        load_catalogs()
        await db.open()
        loops = Loops()
        try:
            # If a loop crashes the app stops loudly instead of running on with a deaf broker
            # listener or a silent outbox; stopping never waits for ever on one (background.py).
            loops.start(the_broker.run(), "broker")
            loops.start(hub.listen(), "hub")
            loops.start(rooms.writer.run(), "writer")
            loops.start(hub.head_check_loop(), "heads")
            loops.start(hub.chores_loop(), "chores")
            loops.start(hub.presence_loop(), "presence")
            if settings.outbox_enabled:
                loops.start(outbox.run(), "outbox")
            loops.start(cases.run(), "invitation-expiry")
            loops.start(offers.run(), "offer-expiry")
            if tracer.enabled:
                loops.start(tracer.watch_loop(), "loop-lag")
            if settings.outbox_enabled:
                loops.start(away.run(), "away-notices")
                loops.start(reminders.run(), "reminders")
            if settings.metrics_token:
                loops.start(metrics.sample_loop(hub, the_broker), "metrics")
            if settle_collector:
                frozen = collector.settle()
                log.info("started; %d long-lived objects kept out of garbage collection", frozen)
            yield {"services": services}
        finally:
            hub.close_all(CLOSE_RESTART)
            await loops.close()
            metrics.close()
            await bounded(the_broker.disconnect(), "broker")
            await bounded(presence.close(), "presence")
            if sms is None:
                await bounded(the_sms.aclose(), "sms")
            if blobs is None:
                await bounded(the_blobs.close(), "blob store")
            if database is None:
                await bounded(db.dispose(), "database")
            loops.raise_if_crashed()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        services: Services = request.state.services
        problems: dict[str, str] = {}
        try:
            await asyncio.wait_for(services.db.ping(), 5)
        except Exception as exc:  # supervision boundary: report, never crash the probe
            problems["database"] = type(exc).__name__
        if not services.broker.healthy:
            problems["broker"] = services.broker.status
        if problems:
            return json_response({"status": "unavailable", "problems": problems}, 503)
        # SMS off is not a fault (many centres only email), but an operator must see it.
        return json_response(
            {"status": "ready", "broker": services.broker.status, "sms": services.sms.provider}
        )

    async def metrics_text(request: Request) -> Response:
        """Prometheus metrics, for the operator's bearer token only (404 when not configured)."""
        if not settings.metrics_token:
            return await not_found(request, NotFound(N_("Not found.")))
        if not authorised(request.headers.get("authorization"), settings.metrics_token):
            return Response(
                "Unauthorized.", 401, {"WWW-Authenticate": "Bearer"}, media_type="text/plain"
            )
        services: Services = request.state.services
        body = await services.rooms.metrics.render(services.hub, services.broker, services.db)
        return Response(body, headers={"Cache-Control": "no-store"}, media_type=CONTENT_TYPE_LATEST)

    async def openapi_json(request: Request) -> Response:
        return json_response(spec)

    async def index(request: Request) -> Response:
        """The app's page, its `lang` attribute in the request's language. A link carrying
        `?lang=<code>` (the invitation email's link to the other language) sets the `lang`
        cookie, so every later request, logged in or not, is answered in that language."""
        chosen = request.query_params.get("lang", "")
        known = chosen if chosen in languages() else None
        language = known or request_language(request, None)
        page = (STATIC / "index.html").read_text("utf-8")
        page = page.replace('<html lang="en">', f'<html lang="{language}">', 1)
        response = HTMLResponse(page, headers={"Vary": "Accept-Language, Cookie"})
        if known is not None:
            response.set_cookie(
                LANGUAGE_COOKIE,
                known,
                max_age=365 * 24 * 3600,
                path="/",
                secure=settings.secure_cookies,
                samesite="lax",
            )
        return response

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_text),
        Route("/api/openapi.json", openapi_json),
        *SMS_REPLY_ROUTES,
        *UNSUBSCRIBE_ROUTES,
        *(route(ep) for ep in endpoints),
        Route("/", index),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return error_response(NotFound(N_("Not found.")))
        return Response("Not found.", 404, media_type="text/plain")

    return App(
        exception_handlers={404: not_found},
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders, hsts=settings.secure_cookies)],
    )


def app_from_env() -> Starlette:
    """Factory used by `odrchat serve` (uvicorn --factory)."""
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    return create_app(settings, settle_collector=True)
