"""Turns: one worker of many runs each minute's sweep, and another takes over if it stops."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from odrchat.store.db import Database
from odrchat.store.turns import take_turn
from odrchat.store.types import utcnow

EVERY = timedelta(seconds=60)


async def test_one_worker_of_many_takes_each_turn(db_url: str) -> None:
    workers = [Database(db_url) for _ in range(3)]
    now = utcnow()
    try:
        # All ask at once (their loops start together): exactly one sweeps.
        first = await asyncio.gather(*(take_turn(w, "sweep", now, EVERY) for w in workers))
        assert sorted(first) == [False, False, True]
        # Nobody else within the interval, the one that swept included.
        for w in workers:
            assert not await take_turn(w, "sweep", now + timedelta(seconds=30), EVERY)
        # The sweeper's own next tick finds the next turn open, however its timer drifts.
        taker = first.index(True)
        later = now + timedelta(seconds=59)
        assert await take_turn(workers[taker], "sweep", later, EVERY)
        assert not await take_turn(workers[taker - 1], "sweep", later, EVERY)
        # It stops (a worker killed): another takes the turn after it.
        gone = later + timedelta(seconds=61)
        assert await take_turn(workers[taker - 1], "sweep", gone, EVERY)
        # Turns of other sweeps are their own.
        assert await take_turn(workers[taker], "other sweep", gone, EVERY)
    finally:
        for w in workers:
            await w.dispose()
