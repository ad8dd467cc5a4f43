"""`Texts`: one language's catalog lookups and Babel's locale formatting, in one object."""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_decimal

from odrchat.i18n.catalogs import DEFAULT, languages, translations

CURRENCY = "USD"  # money is integer cents of US dollars everywhere in odrchat
TERRITORY = "US"  # the centres are in the United States: "$1,234.50" and "1/31/2027" in Spanish


@dataclass(frozen=True, slots=True)
class Texts:
    """Translate and format for one language; build it with `texts_for`."""

    language: str
    locale: Locale
    catalog: gettext.NullTranslations = field(repr=False)

    def gettext(self, message: str, /, **values: object) -> str:
        """The translation of `message`, with ``{name}`` placeholders filled from `values`."""
        found = self.catalog.gettext(message)
        return found.format(**values) if values else found

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The singular or plural form for `n` under the language's rule; ``{n}`` is `n`."""
        found = self.catalog.ngettext(singular, plural, n)
        return found.format(n=self.format_number(n), **values)

    def format_number(self, number: int | float | Decimal) -> str:
        """A number the locale's way ("1,234" or "1.234" as the language writes them)."""
        return format_decimal(number, locale=self.locale)

    def format_money(self, cents: int) -> str:
        """Integer cents as US dollars, written the locale's way ("$1,234.50")."""
        return format_currency(Decimal(cents) / 100, CURRENCY, locale=self.locale)

    def format_date(self, day: date | datetime, format: str = "long") -> str:
        """A calendar date ("January 31, 2027" / "31 de enero de 2027")."""
        return format_date(day, format=format, locale=self.locale)

    def format_datetime(
        self, moment: datetime, format: str = "medium", *, tz: tzinfo | None = None
    ) -> str:
        """A point in time in zone `tz` (UTC when not given)."""
        return format_datetime(moment, format=format, tzinfo=tz, locale=self.locale)

    def format_time(
        self, moment: datetime, format: str = "short", *, tz: tzinfo | None = None
    ) -> str:
        """A time of day in zone `tz` ("5:00 PM" / "5:00 p.m.")."""
        return format_time(moment, format=format, tzinfo=tz, locale=self.locale)

    def language_name(self, language: str) -> str:
        """What `language` is called in this language ("Spanish" in English, "español")."""
        return Locale.parse(language).get_display_name(self.locale) or language


def _locale(language: str) -> Locale:
    """The formatting locale: the language as spoken in the US if CLDR knows it, else plain."""
    try:
        return Locale.parse(f"{language}_{TERRITORY}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(language)


@cache
def _texts(language: str) -> Texts:
    return Texts(language, _locale(language), translations(language))


def texts_for(language: str | None) -> Texts:
    """The texts of `language`; an unknown or missing language gets English."""
    return _texts(language if language in languages() else DEFAULT)
