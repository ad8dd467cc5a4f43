"""Turns: a minute's sweep done by one worker of many, not by each.

Every worker runs the same periodic sweeps. Their results are claimed row by row, so two
workers never send the same notice, but each worker still ran the whole sweep: with two
workers the away-notice sweep's aggregate over three days of room events ran twice a minute,
at the same moment (60-140 ms of PostgreSQL each; in the benchmark, 60 s after the workers
started, that stalled acknowledgements for 100-250 ms). A turn is one row per sweep holding
when the next one is due. A worker sweeps only if it moves that time on (one conditional
upsert), so the sweep runs once per interval, by whichever worker asks first; if that worker
dies, another takes the next turn.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel

from odrchat.store.db import Database
from odrchat.store.types import UTCDateTime

# A turn lasts nine tenths of the interval: the worker that took the last one finds the next
# one open when its own timer comes round again, however its ticks drift.
SLACK = 0.9


class SweepTurn(SQLModel, table=True):
    __tablename__: ClassVar[str] = "sweep_turns"

    name: str = Field(primary_key=True, max_length=64)
    next_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


async def take_turn(db: Database, name: str, now: datetime, every: timedelta) -> bool:
    """Whether this worker sweeps `name` now (it runs every `every`): True for the first one to
    ask once the last turn has run out, and then no other until this one has."""
    table = SweepTurn.__table__  # type: ignore[attr-defined]
    next_at = now + every * SLACK
    insert = sqlite_insert if db.is_sqlite else pg_insert
    stmt = (
        insert(table)
        .values(name=name, next_at=next_at)
        .on_conflict_do_update(
            index_elements=["name"], set_={"next_at": next_at}, where=table.c.next_at <= now
        )
        .returning(table.c.name)
    )
    async with db.session() as s:
        taken = (await s.exec(stmt)).first()
    return taken is not None
