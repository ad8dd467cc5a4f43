"""Languages: the message catalogs, the language of a request, and locale formatting.

Server texts (emails, texts, room notices, errors) are written in English in the code, marked
with `gettext`/`ngettext` (or `N_` where the text is a constant translated later), and looked up
at run time in the Babel/gettext catalogs under ``odrchat/i18n/catalogs/<code>.po``. The msgid is
the English text itself, so an English catalog with empty translations is all English needs.

The languages the product speaks are exactly the catalogs present: adding a language is adding
``<code>.po`` here (and the browser's JSON catalog), nothing in code. ``docs/i18n.md`` says how.

    from odrchat.i18n import N_, texts_for

    t = texts_for(user.language)
    t.gettext("Hello {name},", name=user.display_name)
    t.ngettext("{n} day", "{n} days", days)
    t.format_date(day), t.format_money(cents)

Placeholders are ``str.format`` names (``{name}``); the values are filled in after the lookup, so
a translation may put them in any order. A language's request comes from `negotiate`: the
logged-in user's choice, then the ``lang`` cookie the browser sets, then Accept-Language, then
English.
"""

from __future__ import annotations

from odrchat.i18n.catalogs import DEFAULT, languages, load_catalogs, translations
from odrchat.i18n.negotiation import COOKIE, negotiate, parse_accept_language
from odrchat.i18n.texts import Texts, texts_for

__all__ = [
    "COOKIE",
    "DEFAULT",
    "N_",
    "Texts",
    "languages",
    "load_catalogs",
    "negotiate",
    "parse_accept_language",
    "texts_for",
    "translations",
]


def N_(message: str) -> str:
    """Mark a constant for the catalogs without translating it (translate it where it is shown)."""
    return message
