"""Disabling an account is honest on every worker: two real workers on PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.auth.test_revocation import _me, _post, _sockets, _still_open
from tests.cluster import ROOT, cluster, fresh_database, worker_env
from tests.rooms.world import PASSWORD, world
from tests.services import redis_url


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


async def _login_status(url: str, origin: str, who: str) -> int:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        token = (await http.get("/api/session")).json()["csrf_token"]
        r = await http.post(
            "/api/auth/login",
            json={"email": f"{who}@example.org", "password": PASSWORD},
            headers={"X-CSRF-Token": token, "Origin": origin},
        )
        return r.status_code


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_disabling_closes_the_accounts_sockets_on_every_worker(
    db: str, tmp_path: Path
) -> None:
    """An admin on worker 0 disables dana: dana's sockets on both workers close (4401), her
    cookie stops working on worker 1 and she cannot log in; paul's sockets go on. Then the
    command line (`odrchat user disable`, with REDIS_URL) disables paul the same way."""
    w = world(db)
    joint = w.rooms["joint"]
    with cluster(db, redis_url(), tmp_path) as cl:
        async with cl, asyncio.timeout(180):
            admin = await cl.login("admin", 0)
            dana = await cl.login("dana", 1)
            paul = await cl.login("paul", 0)
            dana_socks = await _sockets(cl, "dana", dana)
            paul_socks = await _sockets(cl, "paul", paul)
            for s in dana_socks + paul_socks:
                await s.subscribe(joint)

            path = f"/api/admin/users/{w.users['dana']}/disable"
            assert await _post(cl, 0, admin, path, {}) == 200
            assert [await s.closed() for s in dana_socks] == [4401, 4401]
            assert await _me(cl, dana) == 401
            assert await _login_status(cl.workers[1].url, cl.origin, "dana") == 403
            await _still_open(paul_socks, joint)

            env = worker_env(db, redis_url(), cl.origin, [])
            out = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "odrchat", "user", "disable", "paul@example.org"],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=120,
            )
            assert out.returncode == 0, out.stderr
            assert "every worker was told" in out.stdout
            assert [await s.closed() for s in paul_socks] == [4401, 4401]
            assert await _me(cl, paul) == 401
