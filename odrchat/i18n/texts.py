"""`Texts`: one language's catalog lookups and Babel's locale formatting, in one object."""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_decimal

from odrchat.i18n.catalogs import DEFAULT, languages, translations

CURRENCY = "USD"  # money is integer cents of US dollars everywhere in odrchat
TERRITORY = "US"  # the centres are in the United States: "$1,234.50" and "1/31/2027" in Spanish


@dataclass(frozen=True, slots=True)
class Texts:
    """Translate and format for one language; build it with `texts_for`.

    `zone` is the reader's time zone: moments are written in it unless a call names another
    (court papers name the centre's). None: UTC.
    """

    language: str
    locale: Locale
    catalog: gettext.NullTranslations = field(repr=False)
    zone: tzinfo | None = None

    def in_zone(self, zone: tzinfo | None) -> Texts:
        """The same language, writing moments in `zone`."""
        return self if zone is self.zone else replace(self, zone=zone)

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
        """A point in time in zone `tz` (the reader's `zone` when not given, else the moment's)."""
        return format_datetime(moment, format=format, tzinfo=self._tz(tz), locale=self.locale)

    def format_time(
        self, moment: datetime, format: str = "short", *, tz: tzinfo | None = None
    ) -> str:
        """A time of day in zone `tz` ("5:00 PM" / "5:00 p.m."), as `format_datetime`."""
        return format_time(moment, format=format, tzinfo=self._tz(tz), locale=self.locale)

    def format_day(self, moment: datetime, format: str = "long") -> str:
        """The calendar date a moment falls on in the reader's zone ("January 31, 2027")."""
        return self.format_date(moment.astimezone(self.zone or UTC), format)

    def format_moment(self, moment: datetime, *, tz: tzinfo | None = None) -> str:
        """A moment with its date, time of day and zone, in the reader's zone (or `tz`):
        "Dec 3, 2026, 6:05 PM EST". A zone with no abbreviation in the language is named by
        its IANA name ("Europe/Berlin") rather than an offset."""
        zone = self._tz(tz) or UTC
        local = moment.astimezone(zone)
        day = self.format_date(local, "medium")
        clock = self.format_time(local, "h:mm a", tz=zone)
        name = format_time(local, "z", tzinfo=zone, locale=self.locale)
        if name[:1] in "+-" and isinstance(zone, ZoneInfo):
            name = zone.key.replace("_", " ")
        return f"{day}, {clock} {name}"

    def _tz(self, tz: tzinfo | None) -> tzinfo | None:
        return tz or self.zone

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


def texts_for(language: str | None, zone: tzinfo | None = None) -> Texts:
    """The texts of `language`; an unknown or missing language gets English. `zone`: the
    reader's time zone, for the moments they read (UTC when not given)."""
    return _texts(language if language in languages() else DEFAULT).in_zone(zone)
