"""Thin HTTP endpoints: one declaration per endpoint feeds the router and the OpenAPI document.

`Endpoint` says method, path, who may call it and what body it takes; `route()` wraps the handler
with the things every endpoint does the same way (CSRF on state changes, session lookup, a size
limit on the body, schema validation, JSON errors), so handlers hold nothing but their call into
a service.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odrchat.auth import csrf
from odrchat.errors import (
    BadRequest,
    Forbidden,
    NotAuthenticated,
    NotFound,
    OdrError,
    PayloadTooLarge,
    TooMany,
)
from odrchat.schema import Body

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


def error_response(exc: OdrError) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooMany) else None
    return json_response({"error": exc.to_json()}, exc.status, headers)


@dataclass(frozen=True, slots=True)
class Call:
    """What a handler gets: the request, the services, the checked body and the caller."""

    request: Request
    services: Services
    body: dict[str, Any]
    current: Current | None
    params: dict[str, Any]

    @property
    def user_id(self) -> int:
        if self.current is None or self.current.user.id is None:
            raise NotAuthenticated("Please log in.")
        return self.current.user.id

    @property
    def ip(self) -> str:
        return self.request.client.host if self.request.client else ""


Handler = Callable[[Call], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    access: Access = "user"
    body: Body | None = None
    status: int = 200
    tag: str = "misc"
    responses: Sequence[int] = field(default_factory=tuple)
    media_type: str = "application/json"  # of the success response (PDFs, printable pages)


def route(endpoint: Endpoint) -> Route:
    """A Starlette route running `endpoint` with the shared checks around it."""

    async def run(request: Request) -> Response:
        services: Services = request.state.services
        try:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                csrf.check(request, services.settings)
            current = await services.current(request)
            _check_access(endpoint.access, current)
            if any(isinstance(v, int) and v > MAX_PATH_ID for v in request.path_params.values()):
                raise NotFound("Not found.")  # the database would refuse to compare it
            body = await _read_body(request, endpoint.body)
            result = await endpoint.handler(
                Call(request, services, body, current, dict(request.path_params))
            )
        except OdrError as exc:
            return error_response(exc)
        if isinstance(result, Response):
            return result
        return json_response(result, endpoint.status)

    return Route(endpoint.path, run, methods=[endpoint.method], name=endpoint.handler.__name__)


def _check_access(access: Access, current: Current | None) -> None:
    if access == "public":
        return
    if current is None:
        raise NotAuthenticated("Please log in.")
    if access == "admin" and not current.user.is_admin:
        raise Forbidden("Administrators only.")
    if access == "mediator" and not current.user.is_mediator:
        raise NotFound("Not found.")


async def _read_body(request: Request, spec: Body | None) -> dict[str, Any]:
    if spec is None:
        return {}
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge("The request body is too large.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge("The request body is too large.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        data = json.loads(raw) if raw else {}
        # A "\ud800" escape decodes to a lone surrogate that no database, hash or PDF can
        # encode; refuse it here rather than fail deep inside a handler with a 500.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON.") from None
    return spec.parse(data)


def openapi(endpoints: Sequence[Endpoint], *, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document generated from the same declarations the router uses."""
    paths: dict[str, dict[str, Any]] = {}
    error_schema = {"$ref": "#/components/schemas/Error"}
    for ep in endpoints:
        op: dict[str, Any] = {
            "summary": ep.summary,
            "operationId": ep.handler.__name__,
            "tags": [ep.tag],
            "responses": {str(ep.status): {"description": "OK", "content": {ep.media_type: {}}}},
        }
        codes = set(ep.responses) | {413, 422} if ep.body else set(ep.responses)
        if ep.method not in ("GET", "HEAD") or ep.access == "admin":
            codes.add(403)
        if ep.access != "public":
            codes.add(401)
        params = [p.strip("{}").split(":")[0] for p in ep.path.split("/") if p.startswith("{")]
        if params:
            codes.add(404)
        if ep.body is not None:
            codes.add(400)
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ep.body.json_schema()}},
            }
        for code in sorted(codes):
            op["responses"][str(code)] = {
                "description": "Error",
                "content": {"application/json": {"schema": error_schema}},
            }
        if params:
            # A path that matches no route (a malformed id) gets the router's plain-text 404.
            op["responses"]["404"]["content"]["text/plain"] = {}
            op["parameters"] = [
                {
                    "name": p,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_PATH_ID}
                    if p.endswith("id")
                    else {"type": "string"},
                }
                for p in params
            ]
        path = "/".join(
            "{" + p.strip("{}").split(":")[0] + "}" if p.startswith("{") else p
            for p in ep.path.split("/")
        )
        paths.setdefault(path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "odrchat", "version": version},
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "fields": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                                "retryable": {"type": "boolean"},
                            },
                        }
                    },
                }
            }
        },
    }
