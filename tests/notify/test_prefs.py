"""Notification preferences as pure rules: required emails stay on, quiet hours hold texts until
they end in the person's time zone (also across midnight and a clock change)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from odrchat.notify import prefs as p

LA = ZoneInfo("America/Los_Angeles")
NIGHT = p.Prefs(zone=LA, quiet=(time(21, 0), time(8, 0)))


def test_required_emails_cannot_be_turned_off_and_optional_ones_can() -> None:
    off = p.Prefs(channels={"case": {"email": False, "sms": False}, "messages": {"email": False}})
    assert p.wants(off, "case", p.EMAIL)
    assert not p.wants(off, "case", p.SMS)
    assert not p.wants(off, "messages", p.EMAIL)
    assert p.wants(off, "messages", p.SMS)
    assert p.wants(off, "reminders", p.EMAIL)  # untouched kinds are on
    silent = p.Prefs(optional=False)  # the older single switch
    assert not p.wants(silent, "reminders", p.EMAIL)
    assert p.wants(silent, "offers", p.EMAIL)


def test_stored_choices_round_trip_and_junk_is_dropped() -> None:
    stored = p.encode({"case": {"email": False, "sms": True}, "messages": {"email": False}})
    assert p.decode(stored) == {"case": {"sms": True}, "messages": {"email": False}}
    assert p.decode('{"nope": {"email": false}, "case": 3}') == {}
    assert p.decode("not json") == {}


def test_a_text_in_quiet_hours_waits_until_they_end_local_time() -> None:
    # 22:30 in Los Angeles on 2 March is 06:30 UTC on 3 March; quiet hours end at 08:00 there.
    late = datetime(2026, 3, 3, 6, 30, tzinfo=UTC)
    assert p.held_until(NIGHT, late) == datetime(2026, 3, 3, 8, 0, tzinfo=LA)
    # 03:00 local: the window began yesterday and ends this morning.
    small_hours = datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
    assert p.held_until(NIGHT, small_hours) == datetime(2026, 3, 3, 8, 0, tzinfo=LA)
    # Noon local: no hold.
    assert p.held_until(NIGHT, datetime(2026, 3, 3, 20, 0, tzinfo=UTC)) is None
    assert p.held_until(p.Prefs(), late) is None


def test_quiet_hours_end_at_eight_local_even_across_the_spring_clock_change() -> None:
    # Clocks go forward on 8 March 2026 in Los Angeles: 08:00 that day is 15:00 UTC, not 16:00.
    night = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 23:00 on 7 March, local
    until = p.held_until(NIGHT, night)
    assert until is not None and until.astimezone(UTC) == datetime(2026, 3, 8, 15, 0, tzinfo=UTC)


def test_a_daytime_window_holds_only_inside_it() -> None:
    lunch = p.Prefs(zone=ZoneInfo("Europe/Madrid"), quiet=(time(13, 0), time(15, 0)))
    assert p.held_until(lunch, datetime(2026, 6, 1, 11, 30, tzinfo=UTC)) == datetime(
        2026, 6, 1, 15, 0, tzinfo=ZoneInfo("Europe/Madrid")
    )
    assert p.held_until(lunch, datetime(2026, 6, 1, 13, 30, tzinfo=UTC)) is None


def test_only_real_time_zones_are_valid() -> None:
    assert p.valid_zone("America/Los_Angeles")
    assert not p.valid_zone("Mars/Olympus_Mons")
    assert not p.valid_zone("../../etc/passwd")
