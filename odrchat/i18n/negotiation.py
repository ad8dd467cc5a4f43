"""Which language a request is answered in.

The order: the logged-in user's own choice, then the ``lang`` cookie the browser sets when
someone picks a language before logging in, then the browser's Accept-Language, then English.
A value naming no catalog is skipped, never an error: a cookie left from a removed language or
a header in a language we do not have simply falls through to the next source.
"""

from __future__ import annotations

from babel import negotiate_locale

from odrchat.i18n.catalogs import DEFAULT, languages

COOKIE = "lang"
MAX_HEADER = 512  # longer Accept-Language headers are cut, not parsed whole
MAX_TAGS = 16


def parse_accept_language(header: str | None) -> list[str]:
    """The header's language tags, most wanted first (``q=0`` dropped, ``*`` ignored)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:MAX_HEADER].split(",")[:MAX_TAGS]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            weighted.append((-q, index, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(weighted)]


def _known(code: str | None) -> str | None:
    if not code:
        return None
    code = code.strip().lower().replace("-", "_")
    return code if code in languages() else None


def negotiate(
    *,
    user: str | None = None,
    cookie: str | None = None,
    accept_language: str | None = None,
) -> str:
    """The language to answer in: user > ``lang`` cookie > Accept-Language > English."""
    for chosen in (user, cookie):
        known = _known(chosen)
        if known is not None:
            return known
    preferred = parse_accept_language(accept_language)
    found = negotiate_locale(preferred, list(languages()), sep="_", aliases={})
    # Babel answers in the spelling of the header ("ES"); the catalogs' spelling is lower case.
    return _known(found) or DEFAULT
