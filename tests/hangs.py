"""A test that hangs leaves the stacks of every thread behind, and is stopped sooner.

pytest-timeout stops a test that runs too long, but under xdist its stack dump is written inside
the worker, which then exits: the run only says "node down: Not properly terminated". Here each
test arms `faulthandler.dump_traceback_later` on a file of its own process; the dump is written
from faulthandler's watchdog thread straight to the file, whatever the test's threads are doing.
A few seconds later a Python timer adds the stack of every asyncio task of every running event
loop (a hang in async code shows up there; the threads only show a loop waiting in select).
At the end of the run the controller prints every dump it finds, each under "hung test: the
stacks of every thread".

Tests outside the serial part (not ``slow``, not ``browser``) take seconds; they get a bound of
`FAST_TIMEOUT` instead of the suite's 900 s, so a hang costs minutes of CI, not a quarter hour.
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

FAST_TIMEOUT = 300.0  # seconds; the slowest parallel tests take well under a minute
DUMP_MARGIN = 30.0  # the stacks are taken this long before pytest-timeout stops the test
TASKS_AFTER = 5.0  # the asyncio tasks' stacks follow the threads' this much later
DIR_VARIABLE = "ODRCHAT_TEST_HANG_DIR"
HEADER = "test: "
MARK = "Timeout ("  # how faulthandler's dump begins

_file: IO[str] | None = None
_owner = pytest.StashKey[bool]()  # set where this run created the directory (it removes it)


def pytest_configure(config: pytest.Config) -> None:
    # The controller (or a plain run) picks the directory; xdist's workers inherit it.
    if DIR_VARIABLE not in os.environ:
        os.environ[DIR_VARIABLE] = tempfile.mkdtemp(prefix="odrchat-hangs-")
        config.stash[_owner] = True


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        serial = item.get_closest_marker("slow") or item.get_closest_marker("browser")
        if not serial and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(FAST_TIMEOUT))


def _timeout_of(item: pytest.Item) -> float:
    marker = item.get_closest_marker("timeout")
    if marker is not None and marker.args:
        return float(marker.args[0])
    return float(item.config.getini("timeout") or 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    global _file
    timeout = _timeout_of(item)
    if timeout <= 0:
        yield
        return
    if _file is None:
        path = Path(os.environ[DIR_VARIABLE]) / f"{os.getpid()}.txt"
        _file = path.open("w+", encoding="utf-8")
    # One file per process, rewritten for each test: what is left in it is the last test's.
    _file.seek(0)
    _file.truncate()
    _file.write(f"{HEADER}{item.nodeid}\n")
    _file.flush()
    after = max(timeout - DUMP_MARGIN, 1.0)
    faulthandler.dump_traceback_later(after, file=_file)
    tasks = threading.Timer(after + TASKS_AFTER, _dump_tasks, args=(_file,))
    tasks.daemon = True
    tasks.start()
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        tasks.cancel()


def _dump_tasks(file: IO[str]) -> None:
    """Every running event loop's tasks, with their stacks (read from another thread: a
    diagnostic taken once, from a test that is about to be stopped anyway)."""
    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]
    for loop in loops:
        if not loop.is_running():
            continue
        file.write(f"\nasyncio tasks of {loop!r}:\n")
        for task in list(asyncio.all_tasks(loop)):
            file.write(f"  {task!r}\n")
            for frame in task.get_stack():
                code = frame.f_code
                file.write(f"    {code.co_filename}:{frame.f_lineno} in {code.co_name}\n")
    file.flush()


def dumps(directory: Path) -> list[str]:
    """The dumps left in a directory: each starts with the test it was taken in."""
    found = []
    for path in sorted(directory.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if MARK in text:
            found.append(text)
    return found


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if hasattr(terminalreporter.config, "workerinput"):  # an xdist worker: the controller reports
        return
    directory = Path(os.environ[DIR_VARIABLE])
    for text in dumps(directory):
        terminalreporter.section("hung test: the stacks of every thread", sep="-")
        terminalreporter.write(text)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _file
    if _file is not None:
        faulthandler.cancel_dump_traceback_later()
        _file.close()
        _file = None
    if config.stash.get(_owner, False):
        shutil.rmtree(os.environ.pop(DIR_VARIABLE), ignore_errors=True)
