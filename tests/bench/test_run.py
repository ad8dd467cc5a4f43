"""The benchmark's own bookkeeping: what it counts as the shared services' CPU."""

from __future__ import annotations

import asyncio

import asyncpg  # type: ignore[import-untyped]
import pytest

from bench.machine import cpu_seconds
from bench.run import infra_cpu, infra_used
from tests.services import postgres_url

pytestmark = pytest.mark.postgres


def test_a_backend_that_starts_during_a_measurement_counts_whole() -> None:
    """A server's pool opens its PostgreSQL connections after the bench reads the services'
    CPU (a connect round just after a start): those backends' work must be counted."""
    url = postgres_url()
    before = infra_cpu()

    async def burn() -> tuple[float, float]:
        conn = await asyncpg.connect(url)
        try:
            pid = await conn.fetchval("SELECT pg_backend_pid()")
            assert pid not in before  # the backend is new
            # A few hundred ms of backend CPU on any machine this suite runs on.
            await conn.fetchval("SELECT count(*) FROM generate_series(1, 3000000)")
            return cpu_seconds(pid), infra_used(before)
        finally:
            await conn.close()

    backend, used = asyncio.run(burn())
    assert backend >= 0.05
    assert used >= backend
