"""odrchat as a target: a fresh database, seeded through odrchat's own tables and room service,
then every user logged in over HTTP like a browser.

Seeding writes users, cases, participants and rooms in-process before the server starts. Every
bench user has the same password, hashed once with the production argon2 profile and the hash
reused (hashing thousands at production cost would take minutes); the server still verifies each
login at full cost, so logins run in small parallel batches.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.loadgen import ClientSpec
from bench.run import Target
from bench.servers import Server, free_port
from bench.targets import idle_clients, mediation_clients
from bench.topology import Topology

PASSWORD = "bench password 0123456789"
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
# The server admits 5 messages/s per socket (burst 20) and 10/s per user: stay just under.
PER_SOCKET_RATE = 4.0


@dataclass(slots=True)
class Seeded:
    database_url: str
    room_ids: dict[int, int]  # topology room -> odrchat room id
    emails: dict[int, str]  # topology user -> email
    pg_name: str | None = None
    tmp: tempfile.TemporaryDirectory[str] | None = None
    cookies: dict[int, str] | None = None


async def _pg_admin(sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(PG_ADMIN, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_database(kind: str) -> Seeded:
    """An empty database of `kind` ("sqlite" or "postgres") for one run."""
    if kind == "sqlite":
        tmp = tempfile.TemporaryDirectory(prefix="odrbench-")
        return Seeded(f"sqlite:///{tmp.name}/odrchat.sqlite3", {}, {}, tmp=tmp)
    name = f"odrbench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    return Seeded(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", {}, {}, pg_name=name)


# PostgreSQL settings that change what (d) measures, recorded with its results: with autovacuum
# off (as on some test machines) nothing is ever vacuumed or analyzed during a run.
PG_SETTINGS = (
    "server_version",
    "autovacuum",
    "synchronous_commit",
    "shared_buffers",
    "max_wal_size",
    "checkpoint_timeout",
)


AUTOVACUUM_OFF = (
    "odrchat-pg ran with PostgreSQL's autovacuum off: nothing was vacuumed or analyzed during"
    " the run, unlike any real install (autovacuum is PostgreSQL's default). On 2026-12-04 the"
    " half-rate step after the overload steps had PostgreSQL at 1.02-1.05 cores and p99 69-117 ms"
    " in three such runs, and 0.43-0.44 cores and p99 21.5-33.1 ms in three runs with it on."
)


async def pg_settings() -> dict[str, str]:
    """The PostgreSQL server's settings of PG_SETTINGS, as it reports them."""
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN, timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY($1::text[])",
            list(PG_SETTINGS),
        )
    finally:
        await conn.close()
    return {name: value for name, value in rows}


def drop_database(seeded: Seeded) -> None:
    """Remove the run's database (PostgreSQL: dropped; SQLite: its directory deleted)."""
    if seeded.pg_name:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{seeded.pg_name}" WITH (FORCE)'))
    if seeded.tmp is not None:
        seeded.tmp.cleanup()


async def seed(seeded: Seeded, topo: Topology) -> None:
    """Migrate, then store every user, case, participant and room of the topology."""
    from odrchat.auth.passwords import Passwords
    from odrchat.auth.tables import User
    from odrchat.cases.tables import Case, Participant
    from odrchat.rooms.presence import MemoryPresence
    from odrchat.rooms.service import RoomService
    from odrchat.settings import PRODUCTION_ARGON2
    from odrchat.store.db import Database
    from odrchat.store.migrate import upgrade
    from odrchat.store.types import utcnow

    db = Database(seeded.database_url)
    try:
        await upgrade(db)
        password_hash = await Passwords(PRODUCTION_ARGON2).hash(PASSWORD)
        rooms = RoomService(db, MemoryPresence())
        ids: dict[int, int] = {}
        async with db.session() as s:
            for u in topo.users:
                email = f"bench{u.index}@example.org"
                row = User(
                    email=email,
                    display_name=f"{u.role.title()} {u.index}",
                    password_hash=password_hash,
                    staff_role="mediator" if u.role == "mediator" else "",
                    email_verified_at=utcnow(),
                )
                s.add(row)
                seeded.emails[u.index] = email
            await s.flush()
        async with db.session() as s:
            from sqlmodel import select

            for row in (await s.exec(select(User))).all():
                assert row.id is not None
                ids[int(row.email.removeprefix("bench").split("@")[0])] = row.id
        for start in range(0, len(topo.cases), 100):
            async with db.session() as s:
                for c in topo.cases[start : start + 100]:
                    a, b = c.parties
                    case = Case(
                        kind="small_claims",
                        status="in_mediation",
                        description=f"Bench case {c.index}",
                        initiator_side="plaintiff",
                        created_by=ids[a],
                        mediator_id=ids[c.mediator],
                    )
                    s.add(case)
                    await s.flush()
                    assert case.id is not None
                    s.add(
                        Participant(case_id=case.id, user_id=ids[a], role="party", side="plaintiff")
                    )
                    s.add(
                        Participant(case_id=case.id, user_id=ids[b], role="party", side="defendant")
                    )
                    s.add(Participant(case_id=case.id, user_id=ids[c.mediator], role="mediator"))
                    made = await rooms.open_case_rooms(s, case.id)
                    by_key = {(r.kind, r.side): r.id for r in made}
                    seeded.room_ids[c.joint] = by_key[("joint", None)]  # type: ignore[assignment]
                    seeded.room_ids[c.private[0]] = by_key[("private", "plaintiff")]  # type: ignore[assignment]
                    seeded.room_ids[c.private[1]] = by_key[("private", "defendant")]  # type: ignore[assignment]
    finally:
        await db.dispose()


async def login_all(base: str, emails: dict[int, str], concurrency: int = 4) -> dict[int, str]:
    """Log every user in over HTTP (CSRF token from /api/session); user -> session cookie."""
    origin = base
    cookies: dict[int, str] = {}
    queue = list(emails.items())

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while queue:
                user, email = queue.pop()
                http.cookies.clear()
                token = (await http.get("/api/session")).json()["csrf_token"]
                r = await http.post(
                    "/api/auth/login",
                    json={"email": email, "password": PASSWORD},
                    headers={"X-CSRF-Token": token, "Origin": origin},
                )
                r.raise_for_status()
                cookies[user] = r.cookies["odr_session"]

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return cookies


def server_env(seeded: Seeded, port: int, redis: bool) -> dict[str, str]:
    env = {
        "DATABASE_URL": seeded.database_url,
        "SECRET_KEY": SECRET_KEY,
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ODRCHAT_ENV": "development",
        "REDIS_URL": REDIS_URL if redis else "",
    }
    return env


def prepare(
    name: str, topo: Topology, kind: str, logs: Path, *, workers: int, redis: bool
) -> tuple[Target, Seeded]:
    """Fresh database, seeded; the server started once to log everyone in, then stopped.

    The server keeps its port for the whole run (PUBLIC_URL, hence the allowed Origin, names it).
    """
    seeded = create_database(kind)
    try:
        asyncio.run(seed(seeded, topo))
        port = free_port()
        server = Server(
            name,
            "odrchat.app:app_from_env",
            port,
            workers=workers,
            factory=True,
            env=server_env(seeded, port, redis),
            log_path=logs / f"{name}.log",
        )
        with server:
            seeded.cookies = asyncio.run(login_all(f"http://127.0.0.1:{port}", seeded.emails))
    except BaseException:
        drop_database(seeded)
        raise
    clients, members = mediation_clients(topo, seeded.room_ids, seeded.cookies)

    async def count() -> int:
        return await count_messages(seeded.database_url)

    t = Target(
        name,
        "odrchat",
        server,
        clients,
        members,
        cap=PER_SOCKET_RATE * len(clients),
        count_stored=count,
    )
    return t, seeded


def odr_idle_clients(topo: Topology, seeded: Seeded, total: int) -> list[ClientSpec]:
    """Idle sockets for odrchat: up to 10 per user (the per-worker cap), logged-in cookies."""
    assert seeded.cookies is not None
    return idle_clients(topo, total, seeded.room_ids, seeded.cookies)


async def count_messages(url: str) -> int:
    """Chat messages stored in the database, counted by the database."""
    sql = "SELECT count(*) FROM room_events WHERE type = 'chat.message'"
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]

        def run() -> int:
            with sqlite3.connect(path, timeout=30) as conn:
                return int(conn.execute(sql).fetchone()[0])

        return await asyncio.to_thread(run)
    import asyncpg

    conn = await asyncpg.connect(url, timeout=10)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()
