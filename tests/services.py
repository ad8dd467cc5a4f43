"""Real backing services for tests: PostgreSQL databases and Redis, or a clear reason why not.

Locally a missing service skips the tests that need it, with the reason; under CI (CI=true)
it fails them, so a green CI run always means the PostgreSQL and Redis paths really ran.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import socket
import uuid
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

IN_CI = os.environ.get("CI") == "true"


def unavailable(reason: str) -> None:
    """Skip locally, fail under CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: services must be up)")
    pytest.skip(reason)


def run_sync(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to completion from sync code, even inside a running loop's thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        unavailable(
            "TEST_DATABASE_URL is not set: PostgreSQL tests need a server "
            "(e.g. TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test)"
        )
    assert url
    return url


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def _admin(url: str, *statements: str) -> None:
    import asyncpg

    parts = urlsplit(url)
    conn = await asyncpg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        database=parts.path.lstrip("/") or "postgres",
        timeout=5,
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def create_pg_database(base_url: str, template: str | None = None) -> str:
    """A new, empty (or template-cloned) PostgreSQL database; returns its URL."""
    name = f"odrtest_{uuid.uuid4().hex[:12]}"
    clause = f" TEMPLATE {template}" if template else ""
    try:
        run_sync(_admin(base_url, f'CREATE DATABASE "{name}"{clause}'))
    except OSError as exc:
        unavailable(f"PostgreSQL at {base_url} is not reachable: {exc}")
    return with_database(base_url, name)


def drop_pg_database(base_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    run_sync(_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2):
            pass
    except OSError as exc:
        unavailable(f"Redis at {url} is not reachable ({exc}): start redis-server")
    return url
