"""odrchat.collector: a started worker's heap is frozen out of Python's garbage collector."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator

import pytest

from odrchat import collector
from odrchat.settings import Settings
from tests.helpers import client_for


@pytest.fixture
def thawed() -> Iterator[None]:
    """Whatever a test freezes goes back to the collector (this process builds many apps),
    with the collector's thresholds as they were."""
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_settle_takes_the_live_heap_out_of_collections_and_garbage_is_still_collected(
    thawed: None,
) -> None:
    tracked = len(gc.get_objects())
    frozen = collector.settle()
    assert frozen >= tracked // 2 and gc.get_freeze_count() == frozen
    assert gc.get_threshold() == collector.THRESHOLDS
    assert len(gc.get_objects()) < tracked // 10  # a full collection walks only the rest

    # Cycles made after settling are garbage like any other.
    def collected() -> int:
        return sum(generation["collected"] for generation in gc.get_stats())

    before = collected()
    for _ in range(1000):
        _Cycle()
    gc.collect()
    assert collected() - before >= 1000


def test_a_worker_settles_once_started_and_a_test_app_does_not(
    settings: Settings, thawed: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="odrchat")
    with client_for(settings) as c:
        assert c.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
    with client_for(settings, settle_collector=True) as c:
        assert c.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 0
    said = [r.getMessage() for r in caplog.records if "kept out of garbage" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("started; ")
