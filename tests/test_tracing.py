"""ACK_TRACE_MS: a slow ack's time split by stage, in one log line without content."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import time
from collections.abc import Callable

import pytest

from odrchat.settings import Settings
from odrchat.tracing import Tracer
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
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "odrchat.trace" and r.getMessage().startswith("slow ack")
    ]


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
    assert re.fullmatch(r", local [\d.]+, publish [\d.]+, gc [\d.]+", stored["rest"]), first
    assert int(stored["batch"]) >= 1
    resent = LINE.fullmatch(duplicate)
    assert resent is not None, duplicate
    assert re.fullmatch(r", gc [\d.]+", resent["rest"]), duplicate  # never published
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


class _Cycle:
    def __init__(self) -> None:
        self.me = self


async def test_a_blocked_loop_is_logged_with_the_collections_inside_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="odrchat.trace")
    seen = asyncio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("event loop blocked"):
                seen.set()

    watch = Watch()
    logging.getLogger("odrchat.trace").addHandler(watch)
    tracer = Tracer(threshold_ms=40)
    ticker = asyncio.create_task(tracer.watch_loop())
    try:
        for _ in range(3):
            await asyncio.sleep(0)  # the ticker is now inside its sleep
        assert tracer._on_gc in gc.callbacks
        # Block the loop: garbage cycles collected in full, then more blocking time.
        garbage = [_Cycle() for _ in range(50_000)]
        del garbage
        gc.collect()
        time.sleep(0.06)  # noqa: ASYNC251 -- the blocking call is what is being detected
        await asyncio.wait_for(seen.wait(), 5)
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
        logging.getLogger("odrchat.trace").removeHandler(watch)
    line = next(
        r.getMessage() for r in caplog.records if r.getMessage().startswith("event loop blocked")
    )
    found = re.fullmatch(
        r"event loop blocked (?P<lag>[\d.]+) ms: gc (?P<gc>[\d.]+) ms in (?P<n>\d+) "
        r"collections \(longest (?P<longest>[\d.]+) ms, gen (?P<gen>-?\d+)\); at (?P<at>.+)",
        line,
    )
    assert found is not None, line
    assert float(found["lag"]) >= 60
    assert int(found["n"]) >= 1 and found["gen"] == "2"  # gc.collect() is a full collection
    assert 0 < float(found["longest"]) <= float(found["gc"]) <= float(found["lag"])
    # Sampled while blocked: where the loop was (code locations, not values).
    frame = r"[\w/.<>-]+:\d+ [\w<>]+"
    assert re.fullmatch(rf"{frame}( < {frame})?", found["at"]), line
    assert tracer._on_gc not in gc.callbacks  # the ticker's end unhooks the collector


def test_a_stall_is_at_least_one_tick_even_when_every_ack_is_traced() -> None:
    from odrchat.tracing import TICK

    assert Tracer(threshold_ms=0).stall == TICK  # not a line for every tick of the ticker
    assert Tracer(threshold_ms=80).stall == pytest.approx(0.08)
    assert Tracer().stall is None
