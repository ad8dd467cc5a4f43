"""Cross-site request forgery defence for every cookie-carrying state change.

Two independent checks, both required on POST/PUT/PATCH/DELETE:

1. Where the browser tells us (Origin, or Sec-Fetch-Site), the request must come from one of our
   own origins. A browser always sends Origin on cross-site POSTs, so a foreign page fails here.
2. An ``X-CSRF-Token`` header equal to an HMAC of the session cookie (or, before login, of a
   pre-session cookie). A foreign page can neither read our cookies nor set custom headers on a
   cross-site request, so it cannot produce the header. The token changes with every session
   (login rotates it), which also defeats session fixation through a planted cookie.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from odrchat.auth.tokens import same, sign
from odrchat.errors import Forbidden
from odrchat.i18n import N_
from odrchat.settings import Settings

HEADER = "x-csrf-token"


def cookie_names(settings: Settings) -> tuple[str, str]:
    """(session cookie, pre-session cookie); `__Host-` prefixed when served over https."""
    prefix = "__Host-" if settings.secure_cookies else ""
    return f"{prefix}odr_session", f"{prefix}odr_pre"


def token_for(settings: Settings, seed: str) -> str:
    """The CSRF token that goes with a session or pre-session cookie value."""
    return sign(settings.secret_key, "csrf", seed)


def origin_allowed(conn: HTTPConnection, settings: Settings) -> bool:
    """True unless the browser says the request comes from a foreign site."""
    origin = conn.headers.get("origin")
    if origin is not None:
        return origin.lower() in settings.origins
    site = conn.headers.get("sec-fetch-site")
    return site is None or site in ("same-origin", "none")


def check(conn: HTTPConnection, settings: Settings) -> None:
    """Raise Forbidden unless the request passes both checks."""
    if not origin_allowed(conn, settings):
        raise Forbidden(N_("Cross-site request refused."), code="bad_origin")
    session_cookie, pre_cookie = cookie_names(settings)
    seed = conn.cookies.get(session_cookie) or conn.cookies.get(pre_cookie)
    sent = conn.headers.get(HEADER, "")
    if not seed or not sent or not same(sent, token_for(settings, seed)):
        raise Forbidden(
            N_("Missing or wrong CSRF token: reload the page and try again."), code="csrf"
        )
