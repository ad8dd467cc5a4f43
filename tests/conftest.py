"""Shared fixtures: isolated databases on SQLite (always) and PostgreSQL (when configured)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from odrchat.settings import TEST_ARGON2, Secret, Settings
from odrchat.store.db import Database
from tests.s3 import S3Endpoint, moto_server
from tests.services import create_pg_database, drop_pg_database, postgres_url, run_sync

pytest_plugins = ["tests.hangs", "pytester"]

SECRET = Secret("test-secret-key-0123456789-abcdefghijklmnop")


async def _migrate(url: str) -> None:
    from odrchat.store.migrate import upgrade

    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrations run once per session)."""
    path = tmp_path_factory.mktemp("tpl") / "template.sqlite3"
    run_sync(_migrate(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[tuple[str, str]]:
    """A migrated PostgreSQL database used as the template for each test's database."""
    base = postgres_url()
    url = create_pg_database(base)
    run_sync(_migrate(url))
    yield base, url.rsplit("/", 1)[1]
    drop_pg_database(base, url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each kind, isolated to one test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "odrchat.sqlite3"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
    else:
        base, template_name = request.getfixturevalue("pg_template")
        url = create_pg_database(base, template=template_name)
        yield url
        drop_pg_database(base, url)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for tests: a cheap argon2 profile, a fixed secret, no real SMTP."""

    def make(db_url: str, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": db_url,
            "secret_key": SECRET,
            "public_url": "http://testserver",
            "argon2": TEST_ARGON2,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def settings(db_url: str, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(db_url)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[S3Endpoint]:
    """moto's standalone S3 server on a free loopback port, for the session (tests/s3.py)."""
    yield from moto_server()
