"""The benchmark's own bookkeeping: how the ramp finds a rate, what it counts as the shared
services' CPU."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from bench import run
from bench.machine import cpu_seconds
from bench.run import Options, infra_cpu, infra_used
from tests.services import postgres_url


class Server:
    """Stands in for the load step: a server that keeps p99 under the limit up to `limit`
    sends/s, except for the listed tries that stall once."""

    def __init__(self, limit: float, stalls: tuple[int, ...] = ()) -> None:
        self.limit, self.stalls, self.rates = limit, stalls, []

    def step(self, pool: Any, target: Any, rate: float, *a: Any, **k: Any) -> dict[str, Any]:
        self.rates.append(round(rate, 1))
        slow = rate > self.limit or len(self.rates) in self.stalls
        return {
            "target_rate": round(rate, 1),
            "valid": True,
            "latency_ms": {"p99": 250.0 if slow else 20.0},
            "sends_per_s": rate,
            "stored_per_s": rate,
            "missing": 0,
            "errors": [],
        }


def ramp(monkeypatch: pytest.MonkeyPatch, server: Server, **opts: Any) -> dict[str, Any]:
    monkeypatch.setattr(run, "step", server.step)
    target = SimpleNamespace(name="t", dialect="bare", cap=None)
    return run.ramp(None, target, Options(**opts))  # type: ignore[arg-type]


def test_the_ramp_narrows_the_rate_to_a_quarter_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = Server(limit=1250.0)
    out = ramp(monkeypatch, server)
    best = out["sustainable"]["target_rate"]
    assert 1250.0 / 1.5**0.25 < best <= 1250.0
    assert out["stopped_by"] == "p99 over 100 ms"
    # 25 * 1.5**9 = 961.1 is the last good rung and 1441.6 fails twice; 1177.1 (between them)
    # passes, 1302.7 (between 1177.1 and 1441.6) fails twice; then the half-rate step
    assert server.rates[9:] == [961.1, 1441.6, 1441.6, 1177.1, 1302.7, 1302.7, 588.5]
    assert out["half_rate"]["target_rate"] == round(best / 2, 1)


def test_without_narrowing_the_answer_is_the_last_rung(monkeypatch: pytest.MonkeyPatch) -> None:
    out = ramp(monkeypatch, Server(limit=1250.0), narrow=0)
    assert out["sustainable"]["target_rate"] == 961.1


def test_a_lone_stall_does_not_decide_a_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    # the 4th try (84.4 sends/s) stalls once; its retry passes and the ramp goes on as if the
    # stall had not happened
    server = Server(limit=1250.0, stalls=(4,))
    out = ramp(monkeypatch, server)
    assert server.rates[3:5] == [84.4, 84.4]
    assert out["sustainable"]["target_rate"] == 1177.1


@pytest.mark.postgres
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
