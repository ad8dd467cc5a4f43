"""Python's garbage collector in a long-running worker.

A full collection walks every object the collector tracks, and the code a worker imports is
most of them: odrchat with Starlette, SQLAlchemy, pydantic, Babel and fpdf2 is about 200,000
functions, classes, dicts and tuples that live as long as the process. Walking them took
120-135 ms per full collection on the benchmark machine, with the event loop blocked
throughout; in a two-worker run at 660 mediations every event-loop stall of 220-450 ms that
`ACK_TRACE_MS` named was such a collection. Freezing what exists once the worker has started
moves it out of the collector's reach: later collections walk only what was made after,
a full one over the import heap then took under a millisecond. Objects frozen here are the
process's own machinery and are never freed anyway; garbage made later is collected as
before.
"""

from __future__ import annotations

import gc

# Python's defaults are (700, 10, 10): a young collection every 700 new container objects, so
# everything a busy worker has in flight (frames, futures, rows) is promoted, and promotions
# are what make the long full collections come round. With a young generation of 50,000, in
# two A/B pairs of 1,518-socket benchmark steps the garbage-collection stalls over 80 ms fell
# from four to one, and p99 delivery at 400 / 600 sends/s was 23 / 35 and 43 / 39 ms against
# 97 / 267 and 131 / 27 ms without.
THRESHOLDS = (50_000, 20, 20)


def settle() -> int:
    """Collect once, freeze every surviving object and make young collections rarer;
    returns how many objects were frozen.

    For a worker process once its app has started (`app_from_env`), not for a process that
    builds many apps (the tests): what it freezes is never collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    return gc.get_freeze_count()
