"""The away-notice sweep reads only recent events: on PostgreSQL its query walks
``ix_room_events_at`` instead of scanning a long history (checked with EXPLAIN, not timed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from odrchat.notify.away import candidates_query
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.cluster import fresh_database
from tests.rooms.world import build_world, insert_events

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


async def test_the_candidates_query_uses_the_time_index_over_a_long_history(db: str) -> None:
    w = await build_world(db)
    database = Database(db)
    try:
        # 100,000 events, one every three minutes back over about 200 days.
        three_minutes_apart = "now() - make_interval(mins => g * 3)"
        joint, paul = w.rooms["joint"], w.users["paul"]
        await insert_events(database, joint, paul, 100_000, three_minutes_apart)
        async with database.session() as s:
            await s.exec(text("ANALYZE room_events"))
        sql = candidates_query(utcnow()).compile(
            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
        )
        async with database.read() as s:
            plan = "\n".join(r[0] for r in (await s.exec(text(f"EXPLAIN {sql}"))).all())
    finally:
        await database.dispose()
    assert "ix_room_events_at" in plan, plan
    assert "Seq Scan on room_events" not in plan, plan
