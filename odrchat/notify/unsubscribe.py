"""One-click unsubscribe from an optional kind of email, with no login: ``/unsubscribe/<token>``.

The token in every optional email is signed with ``SECRET_KEY`` and names one person and one
optional topic (``odrchat.notify.notifier``). ``GET`` only shows a page with one button: mail
scanners follow links, and a GET must not change anything. ``POST`` turns the topic's emails
off; it is also what a mail client sends for ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
(RFC 8058), so it needs no CSRF token: the signed token is the permission. A token for a required
topic is never signed, and a forged one gets 404.
"""

from __future__ import annotations

import logging
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from odrchat.auth.tables import User
from odrchat.i18n import COOKIE, Texts, negotiate, texts_for
from odrchat.notify import prefs as p
from odrchat.notify import texts
from odrchat.notify.notifier import ACCOUNT_PATH, read_unsubscribe
from odrchat.services import Services

__all__ = ["ROUTES"]

logger = logging.getLogger("odrchat.notify")


def _page(t: Texts, title: str, *body: str, status: int = 200) -> Response:
    html = (
        f'<!doctype html><html lang="{escape(t.language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="/static/css/app.css">'
        f'</head><body><main id="main" class="narrow"><h1>{escape(title)}</h1>'
        + "".join(body)
        + "</main></body></html>"
    )
    return HTMLResponse(html, status, headers={"Cache-Control": "no-store"})


def _not_ours(request: Request) -> Response:
    t = texts_for(
        negotiate(
            cookie=request.cookies.get(COOKIE),
            accept_language=request.headers.get("accept-language"),
        )
    )
    text = f"<p>{escape(t.gettext(texts.UNSUBSCRIBE_BAD_TEXT))}</p>"
    return _page(t, t.gettext(texts.UNSUBSCRIBE_BAD), text, status=404)


async def unsubscribe(request: Request) -> Response:
    """GET: ask (one button); POST: turn that kind of email off. In the person's language."""
    services: Services = request.state.services
    token = request.path_params["token"]
    found = read_unsubscribe(services.settings.secret_key, token)
    if found is None:
        return _not_ours(request)
    user_id, topic = found
    async with services.db.session() as s:
        user = await s.get(User, user_id)
        if user is None:
            return _not_ours(request)
        t = texts_for(user.language)
        what = texts.topic_words(t, topic)
        account = services.settings.public_url.rstrip("/") + ACCOUNT_PATH
        label = escape(t.gettext(texts.UNSUBSCRIBE_SETTINGS))
        settings_link = f'<p><a href="{escape(account)}">{label}</a></p>'
        if request.method == "GET":
            form = (
                f'<form method="post" action="/unsubscribe/{escape(token)}">'
                f'<button type="submit">{escape(t.gettext(texts.UNSUBSCRIBE_BUTTON))}</button>'
                "</form>"
            )
            return _page(t, texts.unsubscribe_question(t, what), form, settings_link)
        chosen = p.decode(user.notify_prefs)
        chosen.setdefault(topic, {})[p.EMAIL] = False
        user.notify_prefs = p.encode(chosen)
        s.add(user)
    logger.info("user %d unsubscribed from %s emails", user_id, topic)
    done = f"<p>{escape(texts.unsubscribed(t, what))}</p>"
    return _page(t, t.gettext(texts.UNSUBSCRIBE_DONE), done, settings_link)


ROUTES = [Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"])]
