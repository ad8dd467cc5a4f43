"""Thin HTTP endpoints: one declaration per endpoint feeds the router and the OpenAPI document.

`Endpoint` says method, path, who may call it, what body it takes and what it answers (typed
models from `odrchat.bodies`); `route()` wraps the handler with the things every endpoint does
the same way (CSRF on state changes, session lookup, a size limit on the body, validation into
the body model, JSON errors), so handlers hold nothing but their call into a service. A handler
answers with an instance of its endpoint's `reply` model (or a `ReplyResponse` carrying one, when
it sets cookies); anything else is refused, so no answer escapes the document's schemas.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odrchat.auth import csrf
from odrchat.bodies import Body, Query, Reply, invalid
from odrchat.errors import (
    BadRequest,
    Forbidden,
    NotAuthenticated,
    NotFound,
    OdrError,
    PayloadTooLarge,
    TooMany,
)
from odrchat.i18n import COOKIE, DEFAULT, N_, Texts, negotiate, texts_for

if TYPE_CHECKING:
    from odrchat.auth.service import Current
    from odrchat.services import Services

log = logging.getLogger("odrchat.api")

MAX_BODY = 64 * 1024
MAX_PATH_ID = 2**31 - 1  # ids are 32-bit integer columns; larger ones cannot name anything
Access = Literal["public", "user", "mediator", "admin"]


def _default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def json_response(
    data: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response that knows dates and times."""
    body = json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status, headers=headers, media_type="application/json")


def error_response(exc: OdrError, language: str = DEFAULT) -> Response:
    """The error as JSON, its message and field messages in the request's language."""
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooMany) else None
    return json_response({"error": exc.to_json(texts_for(language))}, exc.status, headers)


def request_language(request: Request, current: Current | None) -> str:
    """The language to answer `request` in (odrchat.i18n.negotiate's order)."""
    return negotiate(
        user=current.user.language if current is not None else None,
        cookie=request.cookies.get(COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


class ReplyResponse(Response):
    """A JSON answer built from a reply model, for handlers that also set cookies or headers."""

    def __init__(self, reply: Reply, status: int = 200) -> None:
        body = json.dumps(reply.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
        super().__init__(body, status, media_type="application/json")
        self.reply = reply


B = TypeVar("B", bound=Body | None)


@dataclass(frozen=True, slots=True)
class Call(Generic[B]):
    """What a handler gets: the request, the services, the checked body and the caller."""

    request: Request
    services: Services
    body: B
    current: Current | None
    params: dict[str, Any]
    query: Query | None = None
    language: str = DEFAULT  # of the answer: user > `lang` cookie > Accept-Language > English

    @property
    def texts(self) -> Texts:
        """Translation and formatting in the caller's language."""
        return texts_for(self.language)

    @property
    def user_id(self) -> int:
        if self.current is None or self.current.user.id is None:
            raise NotAuthenticated(N_("Please log in."))
        return self.current.user.id

    @property
    def ip(self) -> str:
        return self.request.client.host if self.request.client else ""


Handler = Callable[[Call[Any]], Awaitable[Reply | Response]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One endpoint: the router and the OpenAPI document are both built from this."""

    method: str
    path: str
    handler: Handler
    summary: str
    access: Access = "user"
    body: type[Body] | None = None
    query: type[Query] | None = None
    reply: type[Reply] | None = None  # None only when the answer is not JSON (media_type)
    status: int = 200
    tag: str = "misc"
    responses: Sequence[int] = field(default_factory=tuple)
    media_type: str = "application/json"  # of the success response (PDFs, printable pages)
    description: str = ""  # longer than the summary; the handler's docstring otherwise
    # Other media types a JSON endpoint may answer in (a CSV export of the same figures): the
    # handler then returns a plain Response of one of these types.
    alternates: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if (self.reply is None) != (self.media_type != "application/json"):
            raise ValueError(f"{self.handler.__name__}: a JSON answer needs a reply model")


def route(endpoint: Endpoint) -> Route:
    """A Starlette route running `endpoint` with the shared checks around it."""

    async def run(request: Request) -> Response:
        services: Services = request.state.services
        language = request_language(request, None)
        try:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                csrf.check(request, services.settings)
            current = await services.current(request)
            language = request_language(request, current)
            _check_access(endpoint.access, current)
            if any(isinstance(v, int) and v > MAX_PATH_ID for v in request.path_params.values()):
                raise NotFound(N_("Not found."))  # the database would refuse to compare it
            body = await _read_body(request, endpoint.body)
            query = _read_query(request, endpoint.query)
            result = await endpoint.handler(
                Call(request, services, body, current, dict(request.path_params), query, language)
            )
        except OdrError as exc:
            return error_response(exc, language)
        return _answer(endpoint, result)

    return Route(endpoint.path, run, methods=[endpoint.method], name=endpoint.handler.__name__)


def _answer(endpoint: Endpoint, result: Reply | Response) -> Response:
    """The handler's answer, refused unless it is exactly what the endpoint declares."""
    model = result.reply if isinstance(result, ReplyResponse) else result
    if isinstance(model, Reply):
        if type(model) is not endpoint.reply:
            raise TypeError(f"{endpoint.handler.__name__} answered {type(model).__name__}")
        if isinstance(result, Response):
            return result
        return json_response(model.model_dump(mode="json"), endpoint.status)
    if isinstance(result, Response) and result.media_type in endpoint.alternates:
        return result
    if endpoint.reply is not None or not isinstance(result, Response):
        raise TypeError(f"{endpoint.handler.__name__} answered outside its reply model")
    return result


def _check_access(access: Access, current: Current | None) -> None:
    if access == "public":
        return
    if current is None:
        raise NotAuthenticated(N_("Please log in."))
    if access == "admin" and not current.user.is_admin:
        raise Forbidden(N_("Administrators only."))
    if access == "mediator" and not current.user.is_mediator:
        raise NotFound(N_("Not found."))


def _read_query(request: Request, spec: type[Query] | None) -> Query | None:
    if spec is None:
        return None
    given = {k: v for k, v in request.query_params.items() if v and k in spec.model_fields}
    try:
        return spec.model_validate(given)
    except ValidationError as exc:
        raise invalid(exc) from None


async def _read_body(request: Request, spec: type[Body] | None) -> Body | None:
    if spec is None:
        return None
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(N_("The request body is too large."))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge(N_("The request body is too large."))
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        data = json.loads(raw) if raw else {}
        # A "\ud800" escape decodes to a lone surrogate that no database, hash or PDF can
        # encode; refuse it here rather than fail deep inside a handler with a 500.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        raise BadRequest(N_("The request body is not valid JSON.")) from None
    try:
        return spec.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc) from None
