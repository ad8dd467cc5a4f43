"""The migrations are the only way the schema changes: they must build exactly the metadata."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from odrchat.store.db import Database
from odrchat.store.migrate import upgrade
from odrchat.store.tables import metadata
from tests.rooms.world import build_world, insert_events
from tests.services import create_pg_database, drop_pg_database


async def test_migrations_build_exactly_the_tables_in_the_code(db_url: str) -> None:
    db = Database(db_url)
    try:
        await upgrade(db)  # already at head: a no-op that must not fail

        def diff(connection: Connection) -> list[object]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))

        async with db.engine.connect() as conn:
            changes = await conn.run_sync(diff)
        assert changes == [], f"a table changed without a migration: {changes}"
    finally:
        await db.dispose()


async def test_sqlite_is_configured_for_concurrent_use(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path}/x.sqlite3")
    try:
        async with db.engine.connect() as conn:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            fks = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
            busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
        assert (mode, fks, busy) == ("wal", 1, 30000)
    finally:
        await db.dispose()


def test_migrations_are_one_numbered_chain() -> None:
    """Branches that each add a migration must not both land as the same number: one head, and
    each file's number is its revision, following the one before (0001, 0002, ...)."""
    from alembic.script import ScriptDirectory

    from odrchat.store.migrate import MIGRATIONS, alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1, f"more than one head: {scripts.get_heads()}"
    files = sorted(p.name for p in (MIGRATIONS / "versions").glob("[0-9]*.py"))
    numbers = [name.split("_", 1)[0] for name in files]
    assert numbers == [f"{n:04d}" for n in range(1, len(numbers) + 1)], files
    for number in numbers:
        script = scripts.get_revision(number)
        assert script is not None and script.revision == number
        expected = None if number == "0001" else f"{int(number) - 1:04d}"
        assert script.down_revision == expected, (number, script.down_revision)


@pytest.mark.postgres
async def test_analyze_keeps_no_statistics_for_message_bodies_and_hashes(
    pg_template: tuple[str, str],
) -> None:
    """The planner never uses them, and ANALYZE of the busiest table spent half its time on
    them (migration 0023)."""
    base, template = pg_template
    url = create_pg_database(base, template=template)
    w = await build_world(url)
    db = Database(url)
    try:
        await insert_events(db, w.rooms["joint"], w.users["paul"], 500, "now()")
        async with db.session() as s:
            await s.exec(text("ANALYZE room_events"))
        async with db.read() as s:
            rows = await s.exec(
                text("SELECT attname FROM pg_stats WHERE tablename = 'room_events'")
            )
            kept = {r[0] for r in rows.all()}
    finally:
        await db.dispose()
        drop_pg_database(base, url)
    assert {"room_id", "seq", "at", "sender_id"} <= kept
    assert kept.isdisjoint({"body", "prev_hash", "hash"})
