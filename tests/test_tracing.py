"""ACK_TRACE_MS: a slow ack's time split by stage, in one log line without content."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest

from odrchat.settings import Settings
from tests.helpers import client_for
from tests.rooms.test_endpoint import send, socket, subscribe
from tests.rooms.world import World, world

TEXT = "Our final figure is 777"
LINE = re.compile(
    r"slow ack (?P<total>[\d.]+) ms: loop_lag (?P<lag>[\d.]+), queue [\d.]+, "
    r"commit [\d.]+ \(batch (?P<batch>\d+)\), wake [\d.]+(?P<rest>.*)"
)


@pytest.fixture
def w(db_url: str) -> World:
    return world(db_url)


def traced(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "odrchat.trace"]


def chat(settings: Settings, w: World) -> None:
    joint = w.rooms["joint"]
    with client_for(settings) as c, socket(c, "paul") as paul:
        subscribe(paul, joint, after=0)
        send(paul, joint, TEXT, "t1")
        assert send(paul, joint, TEXT, "t1")["duplicate"] is True


def test_every_ack_is_traced_at_zero_ms(
    db_url: str,
    make_settings: Callable[..., Settings],
    w: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="odrchat.trace")
    chat(make_settings(db_url, ack_trace_ms=0.0), w)
    first, duplicate = traced(caplog)
    stored = LINE.fullmatch(first)
    assert stored is not None, first
    assert re.fullmatch(r", local [\d.]+, publish [\d.]+", stored["rest"]), first
    assert int(stored["batch"]) >= 1
    resent = LINE.fullmatch(duplicate)
    assert resent is not None and resent["rest"] == "", duplicate  # never published
    assert all(TEXT not in line and "t1" not in line for line in (first, duplicate))


def test_fast_acks_and_tracing_off_log_nothing(
    db_url: str,
    make_settings: Callable[..., Settings],
    w: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="odrchat.trace")
    chat(make_settings(db_url), w)
    chat(make_settings(db_url, ack_trace_ms=60_000.0), w)
    assert traced(caplog) == []
