"""Batched reads: few leaders, everyone answered, and a leader that goes away hands on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from odrchat.store.batches import Batches


class Reads:
    """A read whose calls the test releases one by one."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def __call__(self, keys: Sequence[int]) -> list[int]:
        self.calls.append(list(keys))
        self.started.set()
        await self.release.wait()
        if -1 in keys:
            raise LookupError("no such thing")
        return [k * 10 for k in keys]


async def test_a_storm_waits_on_its_answers_not_on_the_slots() -> None:
    reads = Reads()
    slots = asyncio.Semaphore(1)
    batches: Batches[int, int] = Batches(reads, slots, max_batch=50, leaders=2)
    asks = [asyncio.ensure_future(batches.ask(k)) for k in range(200)]
    await reads.started.wait()
    # One leader reads, one more waits for the slot; the other 198 wait on their futures.
    assert len(slots._waiters or ()) == 1
    reads.release.set()
    assert await asyncio.gather(*asks) == [k * 10 for k in range(200)]
    assert reads.calls[0] == [0]
    assert sorted(k for call in reads.calls for k in call) == list(range(200))
    assert all(len(call) <= 50 for call in reads.calls)
    assert batches.batches == len(reads.calls) == 1 + 4  # the first alone, then four of 50
    assert batches.requests == 200


async def test_a_leader_cancelled_mid_read_puts_its_batch_back_for_the_next() -> None:
    reads = Reads()
    batches: Batches[int, int] = Batches(reads, asyncio.Semaphore(1), max_batch=10, leaders=1)
    leader = asyncio.ensure_future(batches.ask(1))
    await reads.started.wait()
    others = [asyncio.ensure_future(batches.ask(k)) for k in (2, 3)]
    await asyncio.sleep(0)
    leader.cancel()  # its socket went away while it read for others too
    with pytest.raises(asyncio.CancelledError):
        await leader
    reads.release.set()
    assert await asyncio.wait_for(asyncio.gather(*others), 5) == [20, 30]
    assert reads.calls[-1] == [2, 3]


async def test_a_failed_read_reaches_every_caller_of_its_batch() -> None:
    reads = Reads()
    batches: Batches[int, int] = Batches(reads, asyncio.Semaphore(1), max_batch=10, leaders=1)
    first = asyncio.ensure_future(batches.ask(5))
    await reads.started.wait()
    rest = [asyncio.ensure_future(batches.ask(k)) for k in (-1, 7)]
    await asyncio.sleep(0)
    reads.release.set()
    assert await first == 50
    outcomes = await asyncio.gather(*rest, return_exceptions=True)
    assert all(isinstance(o, LookupError) for o in outcomes)
    assert reads.calls[-1] == [-1, 7]
    assert await batches.ask(8) == 80  # the next batch is read afresh


class Gated:
    """A read whose every call waits for its own gate."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.gates: list[asyncio.Event] = []
        self.called = asyncio.Condition()

    async def __call__(self, keys: Sequence[int]) -> list[int]:
        gate = asyncio.Event()
        async with self.called:
            self.calls.append(list(keys))
            self.gates.append(gate)
            self.called.notify_all()
        await gate.wait()
        return [k * 10 for k in keys]

    async def wait_calls(self, n: int) -> None:
        async with self.called:
            await self.called.wait_for(lambda: len(self.calls) >= n)


async def test_a_request_in_another_leaders_batch_waits_when_a_lead_falls_vacant() -> None:
    """A vacancy wakes the waiting; one whose request another leader already took must wait
    for its answer, not lead an empty queue over and over (that spun the event loop)."""
    reads = Gated()
    batches: Batches[int, int] = Batches(reads, asyncio.Semaphore(2), max_batch=10, leaders=2)
    one, two = asyncio.ensure_future(batches.ask(1)), asyncio.ensure_future(batches.ask(2))
    await reads.wait_calls(2)  # two leaders, reading [1] and [2]
    three, four = asyncio.ensure_future(batches.ask(3)), asyncio.ensure_future(batches.ask(4))
    await asyncio.sleep(0)
    reads.gates[0].set()  # the first leader goes on with [3, 4]
    await reads.wait_calls(3)
    assert reads.calls[2] == [3, 4]
    reads.gates[1].set()  # the second leader finds nothing queued and leaves: a vacancy
    assert await two == 20
    for _ in range(3):  # three and four wake, see their requests taken, and wait
        await asyncio.sleep(0)
    assert not three.done() and not four.done()
    reads.gates[2].set()
    assert list(await asyncio.wait_for(asyncio.gather(one, three, four), 5)) == [10, 30, 40]


async def test_requests_asked_together_share_one_batch() -> None:
    """A socket's rooms, asked together, are read in one call even behind a busy leader."""
    reads = Gated()
    batches: Batches[int, int] = Batches(reads, asyncio.Semaphore(1), max_batch=10, leaders=1)
    first = asyncio.ensure_future(batches.ask(1))
    await reads.wait_calls(1)
    together = asyncio.ensure_future(batches.ask_many([2, 3, 4]))
    alone = asyncio.ensure_future(batches.ask(5))
    await asyncio.sleep(0)
    reads.gates[0].set()
    await reads.wait_calls(2)
    assert reads.calls[1] == [2, 3, 4, 5]
    reads.gates[1].set()
    assert await asyncio.wait_for(together, 5) == [20, 30, 40]
    assert await first == 10 and await alone == 50
    # With nobody leading, the caller leads its own requests in one read.
    last = asyncio.ensure_future(batches.ask_many([6, 7]))
    await reads.wait_calls(3)
    assert reads.calls[2] == [6, 7]
    reads.gates[2].set()
    assert await asyncio.wait_for(last, 5) == [60, 70]
    assert batches.batches == 3 and batches.requests == 7


async def test_asked_together_one_failure_is_raised_and_a_cancel_unqueues_the_rest() -> None:
    reads = Reads()
    reads.release.set()
    batches: Batches[int, int] = Batches(reads, asyncio.Semaphore(1), max_batch=2, leaders=1)
    with pytest.raises(LookupError):
        await batches.ask_many([1, 2, -1])  # [1, 2] read fine, [-1] fails
    assert reads.calls == [[1, 2], [-1]]

    gated = Gated()
    batches = Batches(gated, asyncio.Semaphore(1), max_batch=1, leaders=1)
    waiting = asyncio.ensure_future(batches.ask_many([1, 2, 3]))
    await gated.wait_calls(1)  # [1] is being read; 2 and 3 are queued
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    nine = asyncio.ensure_future(batches.ask(9))
    await gated.wait_calls(2)
    gated.gates[1].set()
    assert await asyncio.wait_for(nine, 5) == 90
    assert gated.calls == [[1], [9]]  # 1, 2 and 3 left the queue with their caller
