"""Logging: plain text or one JSON object per line, with the request or socket each line is about.

`LOG_FORMAT=json` writes every record (odrchat's and uvicorn's) as one JSON object per line:
`time`, `level`, `logger`, `message`, and `request_id` or `socket_id` when the line was written
while handling an HTTP request or a WebSocket connection (context variables, so every line of
that request or socket carries it, whichever module wrote it), and `exc` with the traceback.

What never goes into a log line: message text, passwords, session or CSRF tokens, invitation
and reset tokens. odrchat's own log calls name ids and counts only; uvicorn's access lines lose
their query string and any path segment that looks like a token (both formats).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.types import Message, Scope, Send

__all__ = ["FORMATS", "JsonFormatter", "bind_request", "configure", "new_socket_id", "scrub_path"]

FORMATS = ("text", "json")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
socket_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("socket_id", default=None)

_TOKENISH = re.compile(r"/[A-Za-z0-9_\-]{20,}")
_GIVEN_ID = re.compile(r"[A-Za-z0-9_\-.]{1,64}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def scrub_path(path: str) -> str:
    """A request path fit for a log: no query string, no token-like segment."""
    return _TOKENISH.sub("/<redacted>", path.split("?", 1)[0])


def new_socket_id() -> str:
    """Name the WebSocket connection this task serves, for its log lines."""
    value = secrets.token_hex(6)
    socket_id.set(value)
    request_id.set(None)
    return value


class _ScrubAccess(logging.Filter):
    """uvicorn's access line, minus query strings and tokens in paths (it logs the raw path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], scrub_path(args[2]), args[3], args[4])
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the request or socket id of the context it ran in."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id.get()) is not None:
            line["request_id"] = rid
        if (sid := socket_id.get()) is not None:
            line["socket_id"] = sid
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(fmt: str, level: int = logging.INFO) -> None:
    """Send every record (uvicorn's too) to one stderr handler in the chosen format."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        if fmt == "json":  # uvicorn's own handlers write text: hand its records to ours
            uvicorn_logger.handlers.clear()
            uvicorn_logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _ScrubAccess) for f in access.filters):
        access.addFilter(_ScrubAccess())


def bind_request(scope: Scope, send: Send) -> Send:
    """Name this HTTP request (the proxy's `X-Request-ID` if it is sane) for every log line
    written while it is handled, and return `send` adding the id to the response headers, so a
    person's report can be matched to the log.

    The id is not reset afterwards on purpose: the server runs each request in its own task
    (so it cannot leak into another request), and the server's own lines about the request,
    its access line and an unhandled error, are written in that task after the app returns.
    """
    given = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
    rid = given if _GIVEN_ID.fullmatch(given) else secrets.token_hex(8)
    request_id.set(rid)
    socket_id.set(None)

    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
        await send(message)

    return send_with_id
