"""Faults with real processes: kill -9 a worker, Redis stopped, frozen or cut, PostgreSQL
restarted, a graceful restart. After each, nothing acknowledged is lost, nothing is stored
twice, and every client holds exactly the database transcript of its rooms.

Only throwaway servers are broken (a private redis-server, a private PostgreSQL cluster); the
system Redis and PostgreSQL are never touched.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis

from odrchat.rooms.hub import HEAD_CHECK_EVERY
from tests.cluster import (
    Client,
    Cluster,
    LingeringRelay,
    ThrowawayPostgres,
    ThrowawayRedis,
    apoll,
    cluster,
    converse,
    fresh_database,
)
from tests.conftest import _migrate
from tests.rooms.world import world
from tests.services import redis_url, run_sync

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


@pytest.fixture
def private_redis() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def has(c: Client, room: int, msg_id: str) -> bool:
    return any(e.get("msg_id") == msg_id for e in c.events.get(room, ()))


async def not_deaf(cl: Cluster, room: int, a: Client, b: Client, rounds: int = 3) -> None:
    """Live delivery both ways, each message within less than a head-check period: a worker
    that only caught up through its 5 s head checks could not pass three rounds in a row."""
    for i in range(rounds):
        for sender, receiver in ((a, b), (b, a)):
            ack = await sender.send(room, f"are you there? {i}")
            await receiver.reach(room, ack["seq"], bound=HEAD_CHECK_EVERY * 0.4)


async def readyz_all(cl: Cluster, status: int, bound: float = 20) -> None:
    """Every worker's /readyz answers `status` (a bounded poll of an HTTP state)."""
    async with asyncio.timeout(bound):
        for w in cl.workers:
            while await asyncio.to_thread(w.readyz) != status:  # noqa: ASYNC110
                await asyncio.sleep(0.05)


async def test_kill_9_of_a_worker_loses_nothing(db: str, tmp_path: Path) -> None:
    """dana and mia sit on worker 2, paul on worker 1; worker 2 is killed -9 in the middle of
    a busy conversation. dana had one message stored whose ack she never got, and one sent but
    never read by the frozen worker: both are resent with the same ids on the survivor and each
    is stored exactly once; everyone resumes from their last seq and loses nothing."""
    w = world(db)
    joint = w.rooms["joint"]
    with cluster(db, redis_url(), tmp_path) as cl:
        one, two = cl.workers
        async with asyncio.timeout(150):
            paul, dana, mia = [
                await cl.client(who, n) for who, n in (("paul", 0), ("dana", 1), ("mia", 1))
            ]
            for c in (paul, dana, mia):
                await c.subscribe(joint)
            busy = asyncio.ensure_future(converse(paul, joint, 40, cl.workers))
            try:
                await converse(dana, joint, 10, cl.workers)
                dana.lose_acks.add("lost-ack")
                await dana.post(joint, "stored, but the ack is lost", "lost-ack")
                await dana.wait_for(lambda: has(dana, joint, "lost-ack"), "her own echo")
                assert two.proc is not None
                two.proc.send_signal(signal.SIGSTOP)  # frozen: reads nothing more
                await dana.post(joint, "sent into a frozen worker", "unread")
                two.kill()
                assert await dana.closed() == 1006 and await mia.closed() == 1006
                assert "lost-ack" in dana.pending and "unread" in dana.pending
                for c in (dana, mia):
                    assert await c.reconnect([two, one]) is one  # the dead one refuses first
                assert not dana.pending
                assert dana.acks["lost-ack"]["duplicate"] is True
                assert dana.acks["unread"]["duplicate"] is False
                await converse(dana, joint, 10, cl.workers, tag=" again")
            finally:
                await busy
            await cl.check([joint])
            ids = [r["client_id"] for r in await cl.transcript(joint)]
            assert ids.count("lost-ack") == 1 and ids.count("unread") == 1
            assert len(ids) == 40 + 10 + 2 + 10
            assert dana.connections == 2 and paul.connections == 1


@pytest.mark.parametrize("fault", ["restart", "freeze", "cut"])
async def test_redis_fault_keeps_storing_and_every_worker_catches_up(
    fault: str, db: str, tmp_path: Path, private_redis: ThrowawayRedis
) -> None:
    """Redis stopped and started again, frozen (DEBUG SLEEP), or its pub/sub connections cut
    (CLIENT KILL TYPE pubsub) while both workers' clients talk: every send is still stored and
    acknowledged; /readyz says the broker is down during an outage and ready after; then every
    worker delivers everything, live (no worker stays deaf)."""
    w = world(db)
    joint = w.rooms["joint"]
    admin = Redis.from_url(private_redis.url, socket_timeout=15)
    with cluster(db, private_redis.url, tmp_path) as cl:
        async with asyncio.timeout(150):
            paul, dana, mia = [
                await cl.client(who, n) for who, n in (("paul", 0), ("dana", 1), ("mia", 1))
            ]
            for c in (paul, dana, mia):
                await c.subscribe(joint)
            await asyncio.gather(
                converse(paul, joint, 5, cl.workers, " before"),
                converse(dana, joint, 5, cl.workers, " before"),
            )
            talk = [
                converse(paul, joint, 5, cl.workers, " during"),
                converse(dana, joint, 5, cl.workers, " during"),
            ]
            if fault == "restart":
                private_redis.stop()
                await readyz_all(cl, 503)
                await asyncio.gather(*talk)
                # A newcomer subscribes while Redis is away (presence is in Redis too).
                otto = await cl.client("otto", 1)
                await otto.subscribe(joint)
                private_redis.start()
            elif fault == "freeze":
                frozen = asyncio.ensure_future(admin.execute_command("DEBUG", "SLEEP", 5))  # type: ignore[no-untyped-call]
                await readyz_all(cl, 503)
                await asyncio.gather(*talk)
                await frozen
            else:
                killed = await admin.execute_command(  # type: ignore[no-untyped-call]
                    "CLIENT", "KILL", "TYPE", "pubsub"
                )
                assert killed >= 2  # both workers' listeners
                await asyncio.gather(*talk)
            await readyz_all(cl, 200)
            await not_deaf(cl, joint, paul, dana)
            await not_deaf(cl, joint, mia, paul)
            await cl.check([joint])
            assert len(await cl.transcript(joint)) == 20 + 12
            assert all(c.connections == 1 for c in (paul, dana, mia))
    await admin.aclose()


async def test_postgres_restart_acks_only_what_is_stored(tmp_path: Path) -> None:
    """PostgreSQL goes away mid-conversation: each send gets `unavailable` (retryable), never an
    ack; /readyz reports the database down. When it is back, the same ids are resent and stored
    once, and a client that reconnects resumes from its last seq."""
    pg = ThrowawayPostgres()
    try:
        pg.start()
        db = pg.url.rsplit("/", 1)[0] + "/odrchat"
        run_sync(_create(pg.url, "odrchat"))
        run_sync(_migrate(db))
        w = world(db)
        joint = w.rooms["joint"]
        with cluster(db, redis_url(), tmp_path) as cl:
            async with asyncio.timeout(150):
                paul, dana = [await cl.client(who, n) for who, n in (("paul", 0), ("dana", 1))]
                for c in (paul, dana):
                    await c.subscribe(joint)
                await asyncio.gather(
                    converse(paul, joint, 5, cl.workers), converse(dana, joint, 5, cl.workers)
                )
                pg.stop("fast")
                for c in (paul, dana):
                    for i in range(3):
                        reply = await c.send(
                            joint, f"while the database is away {i}", f"{c.who}-out-{i}"
                        )
                        assert reply["type"] == "error", reply
                        assert reply["code"] == "unavailable" and reply["retryable"] is True
                        assert f"{c.who}-out-{i}" not in c.acks
                await readyz_all(cl, 503)
                pg.start()
                await readyz_all(cl, 200)
                for c in (paul, dana):
                    for i in range(3):
                        reply = await c.send(
                            joint, f"while the database is away {i}", f"{c.who}-out-{i}"
                        )
                        assert reply["type"] == "chat.ack" and reply["duplicate"] is False
                await dana.close()
                await dana.reconnect(cl.workers[1:])
                await converse(dana, joint, 3, cl.workers, " after")
                await cl.check([joint])
                ids = [r["client_id"] for r in await cl.transcript(joint)]
                assert len(ids) == len(set(ids)) == 10 + 6 + 3
    finally:
        pg.remove()


async def _create(url: str, name: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def test_sigterm_closes_with_1012_and_clients_resume_elsewhere(
    db: str, tmp_path: Path
) -> None:
    """A graceful restart of worker 2: its clients are told 1012, reconnect to worker 1 and
    resume; paul, talking on worker 1 all along, and they end with the same transcript."""
    w = world(db)
    joint = w.rooms["joint"]
    with cluster(db, redis_url(), tmp_path) as cl:
        one, two = cl.workers
        async with asyncio.timeout(120):
            paul, dana, mia = [
                await cl.client(who, n) for who, n in (("paul", 0), ("dana", 1), ("mia", 1))
            ]
            for c in (paul, dana, mia):
                await c.subscribe(joint)
            busy = asyncio.ensure_future(converse(paul, joint, 30, cl.workers))
            try:
                await converse(dana, joint, 5, cl.workers)
                assert two.proc is not None
                two.proc.send_signal(signal.SIGTERM)
                assert await dana.closed() == 1012 and await mia.closed() == 1012
                # uvicorn re-raises SIGTERM once its graceful shutdown is done
                assert await asyncio.to_thread(two.proc.wait, 15) in (0, -signal.SIGTERM)
                assert "Application shutdown complete" in two.log()
                await mia.reconnect([one])
                await converse(dana, joint, 5, [one], " again")  # reconnects on first send
            finally:
                await busy
            await cl.check([joint])
            assert dana.connections == mia.connections == 2


# The writer names its connection (odrchat.rooms.writer.APPLICATION_NAME), so a test can end
# exactly that backend, as a failover or a PgBouncer restart would, and nothing else.
END_WRITERS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE datname = current_database() AND application_name = 'odrchat-writer'"
)


async def test_writer_connection_killed_answers_unavailable_on_an_open_socket(
    db: str, tmp_path: Path
) -> None:
    """The group-commit writer's PostgreSQL backend is terminated six times while four clients
    on two workers send: no socket closes (no 1006), no worker logs an ASGI exception, the
    senders of a failing batch hear `unavailable` (retryable) and resend the same id, which is
    stored once; every acknowledged message is stored exactly once. The workers reach the
    database through a relay that passes the server's close on half a second after its FATAL,
    as a pooler does: a batch in that half second meets a connection that is dead but not yet
    closed (asyncpg: "cannot switch to state 15; another operation (2) is in progress")."""
    w = world(db)
    joint = w.rooms["joint"]
    relay = LingeringRelay(urlsplit(db).port or 5432)
    relay.start()
    try:
        await _kill_writers_under_load(db, relay.url(db), joint, tmp_path)
    finally:
        relay.stop()


async def _kill_writers_under_load(db: str, relayed: str, joint: int, tmp_path: Path) -> None:
    with cluster(relayed, redis_url(), tmp_path) as cl:
        cl.db_url = db  # the test's own checks go straight to the database
        async with asyncio.timeout(150):
            talkers = [
                await cl.client(who, n)
                for who, n in (("paul", 0), ("dana", 1), ("alex", 0), ("mia", 1))
            ]
            for c in talkers:
                await c.subscribe(joint)
            retried: set[str] = set()
            done = asyncio.Event()

            async def talk(c: Client, count: int) -> None:
                for i in range(count):
                    msg_id = f"{c.who}-{i}"
                    while (reply := await c.send(joint, f"{c.who} says {i}", msg_id))[
                        "type"
                    ] != "chat.ack":
                        assert reply["code"] == "unavailable" and reply["retryable"], reply
                        retried.add(msg_id)

            def acked() -> int:
                return sum(len(c.acks) for c in talkers)

            async def kill_writers() -> int:
                ended = 0
                for _ in range(6):
                    mark = acked() + 8
                    await apoll(lambda mark=mark: _at_least(acked, mark, done), "8 more acks")
                    if done.is_set():
                        break
                    ended += (await cl.fetch(END_WRITERS))[0][0]
                return ended

            killer = asyncio.ensure_future(kill_writers())
            try:
                await asyncio.gather(*(talk(c, 40) for c in talkers))
            finally:
                done.set()
                ended = await killer
            assert ended >= 4, ended  # the writers' backends really died under the load
            assert retried, "no batch failed: the fault was not injected"
            assert [c.closes for c in talkers] == [[]] * 4  # every socket stayed open
            for worker in cl.workers:
                assert "Exception in ASGI application" not in worker.log()
            await cl.check([joint])
            ids = [r["client_id"] for r in await cl.transcript(joint)]
            assert len(ids) == len(set(ids)) == 4 * 40
            assert retried <= set(ids)


async def _at_least(count: Callable[[], int], mark: int, done: asyncio.Event) -> bool:
    return done.is_set() or count() >= mark
