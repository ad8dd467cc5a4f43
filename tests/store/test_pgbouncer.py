"""PostgreSQL behind PgBouncer in transaction pooling mode: chat and a case flow work through it.

The test starts its own `pgbouncer` (Debian's package) on a free loopback port, in front of the
test PostgreSQL (127.0.0.1:5432, trust auth), with fewer server connections than the two
workers hold client connections, so transactions really do move between server connections.
Two real workers reach the database only through it (`?pgbouncer=true`); the checks read the
database directly. pgbouncer is stopped by its PID at the end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg  # type: ignore[import-untyped]
import pytest

from odrchat.store.db import Database, behind_pgbouncer
from odrchat.store.migrate import upgrade
from tests.cluster import cluster, converse, free_port, fresh_database, poll
from tests.offers.test_race import browser
from tests.offers.test_service import payment
from tests.rooms.world import world
from tests.services import (
    create_pg_database,
    drop_pg_database,
    postgres_url,
    redis_url,
    unavailable,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SERVER_CONNECTIONS = 3  # PgBouncer's pool per database: fewer than the workers' connections


def test_the_url_flag_is_read_and_removed() -> None:
    base = "postgresql+asyncpg://u@h:6432/db"
    assert behind_pgbouncer(base) == (base, False)
    assert behind_pgbouncer(base + "?pgbouncer=true") == (base, True)
    assert behind_pgbouncer(base + "?ssl=require&pgbouncer=1") == (base + "?ssl=require", True)
    assert behind_pgbouncer(base + "?pgbouncer=false") == (base, False)
    with pytest.raises(ValueError, match="pgbouncer"):
        behind_pgbouncer(base + "?pgbouncer=maybe")


class PgBouncer:
    """A private pgbouncer in transaction mode in front of `upstream` (a postgresql:// URL)."""

    def __init__(self, upstream: str) -> None:
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not os.access(binary, os.X_OK):
            unavailable("pgbouncer is not installed (apt-get install pgbouncer)")
        self.binary = binary
        parts = urlsplit(upstream)
        self.user = parts.username or "postgres"
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="odrchat-pgbouncer-"))
        self.log = self.dir / "pgbouncer.log"
        (self.dir / "users.txt").write_text(f'"{self.user}" ""\n')
        (self.dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={parts.hostname or '127.0.0.1'} port={parts.port or 5432}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.dir / 'users.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {SERVER_CONNECTIONS}\n"
            "max_client_conn = 500\n"
            f"logfile = {self.log}\n"
            f"pidfile = {self.dir / 'pgbouncer.pid'}\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}?pgbouncer=true"

    def start(self) -> None:
        as_user: dict[str, str] = {}
        if os.geteuid() == 0:  # pgbouncer refuses to run as root
            shutil.chown(self.dir, "postgres")
            for f in self.dir.iterdir():
                shutil.chown(f, "postgres")
            as_user = {"user": "postgres", "group": "postgres"}
        ini = str(self.dir / "pgbouncer.ini")
        self.proc = subprocess.Popen(  # type: ignore[call-overload]
            [self.binary, ini], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, **as_user
        )

        def listening() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"pgbouncer exited: {self.read_log()[-2000:]}")
            return "process up" in self.read_log()

        poll(listening, "pgbouncer listening", 30)

    def read_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "safe shutdown": waits for transactions
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def pooled(pg_template: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """(direct URL, URL through a fresh pgbouncer) of a fresh database."""
    with fresh_database(pg_template) as direct:
        bouncer = PgBouncer(direct)
        bouncer.start()
        try:
            yield direct, bouncer.url(urlsplit(direct).path.lstrip("/"))
        finally:
            bouncer.stop()


@pytest.fixture
def bouncer() -> Iterator[PgBouncer]:
    bouncer = PgBouncer(postgres_url())
    bouncer.start()
    try:
        yield bouncer
    finally:
        bouncer.stop()


async def test_migrations_run_through_pgbouncer(bouncer: PgBouncer) -> None:
    """`odrchat db upgrade` (the same code) builds the schema on an empty database through it."""
    base = postgres_url()
    direct = create_pg_database(base)
    try:
        db = Database(bouncer.url(urlsplit(direct).path.lstrip("/")))
        try:
            await upgrade(db)
            await upgrade(db)  # again: nothing to do, and no statement-name clash
        finally:
            await db.dispose()
        tables = await _fetch(
            direct,
            "SELECT count(*) AS n FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_name = 'room_events'",
        )
        assert tables[0]["n"] == 1
    finally:
        drop_pg_database(base, direct)


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def test_chat_and_an_offer_through_pgbouncer_in_transaction_mode(
    pooled: tuple[str, str], tmp_path: Path
) -> None:
    """Two workers talking to PostgreSQL only through PgBouncer: concurrent chat on both
    workers, resume, and an offer accepted on the other worker; every acknowledged message
    stored once and everyone holding the database's transcript."""
    direct, through = pooled
    w = world(direct)
    joint = w.rooms["joint"]
    with cluster(through, redis_url(), tmp_path) as cl:
        cl.db_url = direct  # the test's own checks read the database directly
        async with asyncio.timeout(180):
            paul, dana, mia = [
                await cl.client(who, n) for who, n in (("paul", 0), ("dana", 1), ("mia", 0))
            ]
            for c in (paul, dana, mia):
                await c.subscribe(joint)
            await asyncio.gather(*(converse(c, joint, 20, cl.workers) for c in (paul, dana, mia)))
            await cl.check([joint])
            async with browser(cl, "paul") as paul_http, browser(cl, "dana") as dana_http:
                one, two = cl.workers[0].url, cl.workers[1].url
                r = await paul_http.post(
                    f"{one}/api/cases/{w.case_id}/offers", json={"terms": [payment(120_000)]}
                )
                assert r.status_code == 201, r.text
                r = await dana_http.post(f"{two}/api/offers/{r.json()['id']}/accept")
                assert r.status_code == 200, r.text
            (offer,) = await cl.fetch("SELECT status FROM offers WHERE case_id = $1", w.case_id)
            assert offer["status"] == "accepted"
            await dana.abort()  # dana drops and resumes on the other worker meanwhile
            await dana.connect(cl.workers[0])
            await dana.subscribe(joint)
            await converse(paul, joint, 5, cl.workers, tag="-after")
            await cl.check([joint])
            types = [e["type"] for e in await cl.transcript(joint)]
            assert types.count("chat.message") == 65 and len(types) > 65  # the offer's events
            servers = await cl.fetch(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
            # Both workers' pools and writers went through at most SERVER_CONNECTIONS backends.
            assert servers[0]["n"] <= SERVER_CONNECTIONS
