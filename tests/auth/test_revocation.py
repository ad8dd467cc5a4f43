"""Which sessions (and so which sockets) end on logout, password change and reset: the pure
rule, then the whole of it across two real workers on PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from odrchat.auth.revocation import Revoked
from odrchat.auth.tables import OneTimeToken
from odrchat.auth.tokens import hash_token, new_token
from odrchat.store.db import Database
from odrchat.store.types import utcnow
from tests.cluster import Client, Cluster, cluster, fresh_database
from tests.rooms.world import PASSWORD, world
from tests.services import redis_url


def test_logout_ends_one_session_a_change_all_but_one_a_reset_all() -> None:
    logout, change, reset = Revoked(7, only=2), Revoked(7, kept=2), Revoked(7)
    assert [logout.ends(s) for s in (1, 2, 3)] == [False, True, False]
    assert [change.ends(s) for s in (1, 2, 3)] == [True, False, True]
    assert [reset.ends(s) for s in (1, 2, 3)] == [True, True, True]
    for r in (logout, change, reset):
        assert Revoked.decode(r.encode()) == r


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


async def _post(cl: Cluster, worker: int, cookie: str, path: str, body: object) -> int:
    """A browser's POST on `workers[worker]` with this session cookie (CSRF token included)."""
    async with httpx.AsyncClient(
        base_url=cl.workers[worker].url, cookies={"odr_session": cookie}, timeout=30
    ) as http:
        token = (await http.get("/api/session")).json()["csrf_token"]
        r = await http.post(path, json=body, headers={"X-CSRF-Token": token, "Origin": cl.origin})
        return r.status_code


async def _me(cl: Cluster, cookie: str) -> int:
    async with httpx.AsyncClient(base_url=cl.workers[1].url, timeout=30) as http:
        return (await http.get("/api/me", headers={"Cookie": f"odr_session={cookie}"})).status_code


async def _sockets(cl: Cluster, who: str, cookie: str) -> list[Client]:
    """One socket of this session on each worker."""
    out = []
    for worker in cl.workers:
        c = cl.track(Client(who, cookie, cl.origin))
        await c.connect(worker)
        out.append(c)
    return out


async def _still_open(sockets: list[Client], room: int) -> None:
    """Each socket is open and served: a message from it is stored and acknowledged."""
    for c in sockets:
        reply = await c.send(room, f"{c.who} is still here")
        assert reply["type"] == "chat.ack", reply
        assert not c.closes


async def _reset_link(db_url: str, user_id: int) -> str:
    """A reset link as forgot-password would have emailed it (the row, stored for real)."""
    token = new_token()
    db = Database(db_url)
    try:
        async with db.session() as s:
            s.add(
                OneTimeToken(
                    purpose="reset",
                    token_hash=hash_token(token),
                    user_id=user_id,
                    expires_at=utcnow() + timedelta(hours=1),
                )
            )
    finally:
        await db.dispose()
    return token


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_each_way_of_ending_sessions_closes_exactly_their_sockets_on_every_worker(
    db: str, tmp_path: Path
) -> None:
    """paul has sessions A and B, dana C and D, each with a socket on both workers.
    dana logs out in C: C's sockets close (4401) on both workers, D's go on.
    paul changes his password in A: B's sockets close on both workers and B's cookie stops
    working; A (the session that made the change) keeps its sockets and its cookie.
    paul's password is reset from a link: every session ends, A's sockets close too."""
    w = world(db)
    joint = w.rooms["joint"]
    with cluster(db, redis_url(), tmp_path) as cl:
        async with cl, asyncio.timeout(120):
            a, b = await cl.login("paul", 0), await cl.login("paul", 1)
            c, d = await cl.login("dana", 1), await cl.login("dana", 0)
            a_socks, b_socks = await _sockets(cl, "paul", a), await _sockets(cl, "paul", b)
            c_socks, d_socks = await _sockets(cl, "dana", c), await _sockets(cl, "dana", d)
            for s in a_socks + b_socks + c_socks + d_socks:
                await s.subscribe(joint)

            assert await _post(cl, 0, c, "/api/auth/logout", {}) == 200
            assert [await s.closed() for s in c_socks] == [4401, 4401]
            await _still_open(d_socks, joint)
            await _still_open(a_socks + b_socks, joint)
            assert (await _me(cl, c), await _me(cl, d)) == (401, 200)

            change = {"current_password": PASSWORD, "new_password": "a new long password"}
            assert await _post(cl, 0, a, "/api/auth/password/change", change) == 200
            assert [await s.closed() for s in b_socks] == [4401, 4401]
            await _still_open(a_socks, joint)
            assert (await _me(cl, a), await _me(cl, b)) == (200, 401)

            link = await _reset_link(db, w.users["paul"])
            reset = {"token": link, "password": "yet another long password"}
            assert await _post(cl, 1, d, "/api/auth/password/reset", reset) == 200
            assert [await s.closed() for s in a_socks] == [4401, 4401]
            assert await _me(cl, a) == 401
            await _still_open(d_socks, joint)  # dana's own session was never touched
