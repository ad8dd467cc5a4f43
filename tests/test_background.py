"""Stopping background loops: a swallowed cancellation or a stuck step never hangs shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from odrchat import background
from odrchat.background import Loops, bounded, stop, stop_if_cancelled


async def _swallows_once() -> None:
    """A loop around a library call that drops one cancellation (as redis-py's reads can)."""
    while True:
        stop_if_cancelled()
        with contextlib.suppress(asyncio.CancelledError):  # the library's doing, not ours
            await asyncio.sleep(30)


async def _swallows_always(released: asyncio.Event) -> None:
    """Drops every cancellation until the test releases it (so the test can end it)."""
    while not released.is_set():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(30)


async def _release(task: asyncio.Task[None], released: asyncio.Event) -> None:
    released.set()
    task.cancel()
    await task


async def test_a_loop_that_checks_stops_although_its_cancellation_was_swallowed() -> None:
    task = asyncio.ensure_future(_swallows_once())
    await asyncio.sleep(0)
    assert await stop([task], within=5) == []
    assert task.cancelled()


async def test_without_the_check_the_loop_runs_on_after_one_cancellation() -> None:
    """The check is what stops it: one plain cancel leaves such a loop running."""
    released = asyncio.Event()
    task = asyncio.ensure_future(_swallows_always(released))
    await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=0.2)
    assert not done
    assert await stop([task], within=0.3) == [task.get_name()]
    await _release(task, released)


async def test_a_task_that_will_not_stop_is_named_with_where_it_is_and_given_up(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "FIRST_GRACE", 0.05)
    monkeypatch.setattr(background, "RECANCEL_EVERY", 0.05)
    released = asyncio.Event()
    stuck = asyncio.ensure_future(_swallows_always(released))
    stuck.set_name("stubborn")
    fine = asyncio.ensure_future(asyncio.sleep(30))
    fine.set_name("fine")
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with caplog.at_level(logging.WARNING, logger="odrchat.background"):
        assert await stop([stuck, fine], within=0.5) == ["stubborn"]
    assert loop.time() - started < 2
    assert fine.cancelled()
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1  # named once, though cancelled again several times
    assert "stubborn" in warned[0] and "_swallows_always" in warned[0]
    assert any("gave up waiting for stubborn" in r.getMessage() for r in caplog.records)
    await _release(stuck, released)


async def test_a_crashed_loop_stops_the_app_loudly() -> None:
    """As the TaskGroup did: the starting task is cancelled and closing raises the crash."""

    async def crashes() -> None:
        await asyncio.sleep(0)
        raise ValueError("deaf listener")

    async def app() -> None:
        loops = Loops()
        loops.start(asyncio.sleep(30), "other")
        loops.start(crashes(), "listener")
        try:
            await asyncio.sleep(30)  # serving
        finally:
            assert await loops.close() == []
            assert loops.tasks[0].cancelled()
            loops.raise_if_crashed()

    with pytest.raises(RuntimeError) as raised:
        await asyncio.wait_for(app(), 5)
    assert isinstance(raised.value.__cause__, ValueError)


async def test_a_clean_stop_is_no_crash() -> None:
    loops = Loops()
    loops.start(_swallows_once(), "broker")
    await asyncio.sleep(0)
    assert await loops.close() == []
    loops.raise_if_crashed()


async def test_a_shutdown_step_that_hangs_is_given_up_and_the_next_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    async def hangs() -> None:
        await asyncio.Event().wait()

    async def fails() -> None:
        raise OSError("connection reset")

    async def closes() -> None:
        ran.append("database")

    with caplog.at_level(logging.ERROR, logger="odrchat.background"):
        await bounded(hangs(), "broker", within=0.1)
        await bounded(fails(), "presence")
        await bounded(closes(), "database")
    assert ran == ["database"]
    messages = [r.getMessage() for r in caplog.records]
    assert any("broker did not finish" in m for m in messages)
    assert any("presence failed" in m for m in messages)
