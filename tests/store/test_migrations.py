"""The migrations are the only way the schema changes: they must build exactly the metadata."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from odrchat.store.db import Database
from odrchat.store.migrate import upgrade
from odrchat.store.tables import metadata


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
    from sqlalchemy import text

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
