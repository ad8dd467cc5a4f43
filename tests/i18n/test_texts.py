"""Translation, plural forms and Babel's formatting per language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from odrchat.i18n import texts_for


def test_english_is_the_msgid_and_spanish_comes_from_the_catalog() -> None:
    assert texts_for("en").gettext("Please log in.") == "Please log in."
    assert texts_for("es").gettext("Please log in.") == "Por favor, inicie sesión."
    # A text not in the catalog shows as written; an unknown language is English.
    assert texts_for("es").gettext("Not a catalog text") == "Not a catalog text"
    assert texts_for("xx").language == texts_for(None).language == "en"


def test_placeholders_are_filled_after_the_lookup() -> None:
    es = texts_for("es")
    assert es.gettext("must be at most {n} characters", n=120) == (
        "debe tener como máximo 120 caracteres"
    )


def test_plural_forms_follow_the_language_rule() -> None:
    one, many = (
        "This link works once and expires in {n} day.",
        "This link works once and expires in {n} days.",
    )
    en, es = texts_for("en"), texts_for("es")
    assert en.ngettext(one, many, 1) == "This link works once and expires in 1 day."
    assert en.ngettext(one, many, 2) == "This link works once and expires in 2 days."
    assert es.ngettext(one, many, 1).endswith("vence en 1 día.")
    assert es.ngettext(one, many, 0).endswith("vence en 0 días.")
    # The number is written the locale's way inside the sentence.
    assert es.ngettext(one, many, 1000).endswith("vence en 1,000 días.")


def test_money_dates_and_times_per_locale() -> None:
    en, es = texts_for("en"), texts_for("es")
    assert en.format_money(123450) == "$1,234.50"
    assert es.format_money(123450) == "$1,234.50"  # Spanish as written in the US
    assert en.format_date(date(2027, 1, 31)) == "January 31, 2027"
    assert es.format_date(date(2027, 1, 31)) == "31 de enero de 2027"
    moment = datetime(2027, 1, 31, 17, 5, tzinfo=UTC)
    la = ZoneInfo("America/Los_Angeles")
    assert en.format_time(moment, tz=la) == "9:05\u202fAM"
    assert es.format_time(moment, tz=la).startswith("9:05")
    assert en.language_name("es") == "Spanish" and es.language_name("es") == "español"


def test_room_titles_follow_the_readers_language() -> None:
    from odrchat.cases.roles import Side
    from odrchat.rooms.access import RoomKind, RoomRef, room_title

    names = {Side.PLAINTIFF: "Paul", Side.DEFENDANT: "Dana"}
    joint, dana = RoomRef(RoomKind.JOINT, None), RoomRef(RoomKind.PRIVATE, Side.DEFENDANT)
    assert room_title(joint, names) == "Joint" and room_title(dana, names) == "Dana + Mediator"
    es = texts_for("es")
    assert room_title(joint, names, es) == "Conjunta"
    assert room_title(dana, names, es) == "Dana + Mediador(a)"


def test_a_moment_reads_in_the_readers_zone_with_the_zone_named() -> None:
    moment = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    new_york = texts_for("en", ZoneInfo("America/New_York"))
    assert new_york.format_moment(moment) == "Dec 4, 2026, 5:00 PM EST"
    assert texts_for("es", ZoneInfo("America/Los_Angeles")).format_moment(moment) == (
        "4 dic 2026, 2:00 p.m. PST"
    )
    # A zone the language has no abbreviation for is named, not given as an offset.
    assert texts_for("en", ZoneInfo("Europe/Berlin")).format_moment(moment) == (
        "Dec 4, 2026, 11:00 PM Europe/Berlin"
    )
    # The date is the one the reader is living: 10 PM in New York is already tomorrow in UTC.
    late = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    assert new_york.format_day(late) == "December 4, 2026"
    assert texts_for("en").format_day(late) == "December 5, 2026"
    # A call naming a zone (court papers name the centre's) wins over the reader's.
    assert new_york.format_moment(moment, tz=ZoneInfo("America/Los_Angeles")).endswith("PST")
