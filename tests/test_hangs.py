"""tests/hangs.py: a test that hangs under xdist leaves its threads' stacks in the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hangs import DIR_VARIABLE, FAST_TIMEOUT

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _inner_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # The inner run imports tests.hangs from this checkout and picks a directory of its own.
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv(DIR_VARIABLE, raising=False)
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


def _run_under_xdist(pytester: pytest.Pytester) -> str:
    """Run the inner tests on one xdist worker; what the controller printed."""
    result = pytester.runpytest_subprocess(
        "-p", "tests.hangs", "-n", "1", "-p", "no:cacheprovider", "-o", "timeout_method=thread"
    )
    assert result.ret != 0
    return result.stdout.str()


HUNG = """
import threading
import time

import pytest


@pytest.mark.timeout(2)
def test_waits_forever_on_a_lock():
    held = threading.Lock()
    held.acquire()
    held.acquire()  # never released


def test_quick():
    time.sleep(0)
"""


def test_a_hung_test_is_stopped_and_its_stacks_are_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=HUNG)
    out = _run_under_xdist(pytester)
    assert "hung test: the stacks of every thread" in out
    assert "test: test_inner.py::test_waits_forever_on_a_lock" in out
    assert "in test_waits_forever_on_a_lock" in out  # the frame it hung in
    assert "test_quick" not in out.split("hung test:", 1)[1].split("short test summary")[0]


def test_tests_outside_the_serial_part_get_the_short_bound(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner=f"""
import pytest

def test_fast(request):
    assert request.node.get_closest_marker("timeout").args[0] == {FAST_TIMEOUT!r}

@pytest.mark.slow
def test_slow(request):
    assert request.node.get_closest_marker("timeout") is None
"""
    )
    pytester.makeini("[pytest]\nmarkers =\n  slow: serial\n")
    result = pytester.runpytest_subprocess("-p", "tests.hangs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


ASYNC_HUNG = """
import asyncio

import pytest


async def waits_for_nothing():
    await asyncio.Event().wait()


@pytest.mark.timeout(8)
async def test_an_awaited_event_never_set():
    await asyncio.wait_for(waits_for_nothing(), 60)
"""


def test_a_hung_task_shows_its_await(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=ASYNC_HUNG)
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    out = _run_under_xdist(pytester)
    assert "asyncio tasks of" in out
    assert "in waits_for_nothing" in out
