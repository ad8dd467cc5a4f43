"""Redis behind Sentinel: the master dies under chat load, a replica takes over, nothing is lost.

The test runs its own Redis: a master, a replica and three `redis-server --sentinel` processes
(quorum 2) on free loopback ports, and two real workers that find the master through the
sentinels (REDIS_SENTINELS, REDIS_SENTINEL_MASTER). While three people chat across the two
workers, the master is killed by its PID; the sentinels promote the replica. Every
acknowledged message must be stored exactly once, every socket must end up holding the
database's transcript (resuming where needed), and both workers' brokers must be back on the
new master. Every process is stopped by its PID.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis import Redis

from tests.cluster import apoll, cluster, converse, free_port, fresh_database, poll
from tests.rooms.world import world
from tests.services import unavailable

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

MASTER = "odrchat-test"


class RedisProcess:
    """One redis-server (or sentinel) process on a free loopback port, with its own files."""

    def __init__(self, root: Path, name: str, config: str, sentinel: bool = False) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed: the Sentinel test runs its own")
        self.port = free_port()
        self.dir = root / name
        self.dir.mkdir()
        self.log = self.dir / "log"
        conf = self.dir / "redis.conf"
        conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.dir}\nlogfile {self.log}\n"
            'save ""\nappendonly no\n' + config
        )
        args = [binary, str(conf), *(["--sentinel"] if sentinel else [])]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"{name} exited: {self.read_log()[-2000:]}")
            return "Ready to accept connections" in self.read_log() or (
                sentinel and "Sentinel ID is" in self.read_log()
            )

        poll(ready, f"{name} listening", 30)

    def read_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def client(self) -> Redis:
        return Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class SentinelGroup:
    """A master, a replica and three sentinels watching them."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="odrchat-sentinel-"))
        self.procs: list[RedisProcess] = []
        try:
            self.master = self._add("master", "")
            self.replica = self._add("replica", f"replicaof 127.0.0.1 {self.master.port}\n")
            poll(self._replicating, "the replica in sync with the master", 30)
            watch = (
                f"sentinel monitor {MASTER} 127.0.0.1 {self.master.port} 2\n"
                f"sentinel down-after-milliseconds {MASTER} 1000\n"
                f"sentinel failover-timeout {MASTER} 10000\n"
            )
            self.sentinels = [self._add(f"sentinel{i}", watch, sentinel=True) for i in range(3)]
            poll(self._watching, "three sentinels that see the replica and each other", 30)
        except BaseException:
            self.stop()
            raise

    def _add(self, name: str, config: str, sentinel: bool = False) -> RedisProcess:
        proc = RedisProcess(self.root, name, config, sentinel)
        self.procs.append(proc)
        return proc

    def _replicating(self) -> bool:
        with self.replica.client() as r:
            return bool(r.info("replication").get("master_link_status") == "up")

    def _watching(self) -> bool:
        for s in self.sentinels:
            with s.client() as r:
                seen = r.sentinel_master(MASTER)
                if int(seen["num-slaves"]) < 1 or int(seen["num-other-sentinels"]) < 2:
                    return False
        return True

    def master_port(self) -> int:
        with self.sentinels[0].client() as r:
            _host, port = r.sentinel_get_master_addr_by_name(MASTER)
        return int(port)

    @property
    def env(self) -> dict[str, str]:
        return {
            "REDIS_SENTINELS": ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels),
            "REDIS_SENTINEL_MASTER": MASTER,
        }

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def sentinel_group() -> Iterator[SentinelGroup]:
    group = SentinelGroup()
    try:
        yield group
    finally:
        group.stop()


@pytest.fixture
def db(pg_template: tuple[str, str]) -> Iterator[str]:
    with fresh_database(pg_template) as url:
        yield url


async def test_master_killed_under_chat_load_loses_no_acknowledged_message(
    db: str, tmp_path: Path, sentinel_group: SentinelGroup, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world(db)
    joint = w.rooms["joint"]
    for name, value in sentinel_group.env.items():
        monkeypatch.setenv(name, value)  # the workers' environment (no REDIS_URL)
    old_port = sentinel_group.master.port
    with cluster(db, None, tmp_path) as cl:
        async with asyncio.timeout(240):
            paul, dana, mia = [
                await cl.client(who, n) for who, n in (("paul", 0), ("dana", 1), ("mia", 0))
            ]
            for c in (paul, dana, mia):
                await c.subscribe(joint)
            talk = asyncio.gather(
                *(converse(c, joint, 60, cl.workers, tag="-load") for c in (paul, dana, mia))
            )
            await paul.wait_for(lambda: len(paul.acks) >= 10, "chat under way")
            sentinel_group.master.stop(signal.SIGKILL)  # the master dies mid-conversation
            await apoll(
                lambda: asyncio.to_thread(lambda: sentinel_group.master_port() != old_port),
                "the sentinels promoted the replica",
                60,
            )
            await talk
            async with httpx.AsyncClient(timeout=5) as http:

                async def brokers_back() -> bool:
                    codes = [(await http.get(x.url + "/readyz")).status_code for x in cl.workers]
                    return codes == [200, 200]

                await apoll(brokers_back, "both workers' brokers on the new master", 60)
            # Doorbells flow through the new master again: a message sent now on one worker
            # reaches the others (checked by cl.check below, like everything before it).
            await converse(dana, joint, 5, cl.workers, tag="-after")
            await cl.check([joint])
            assert len(await cl.transcript(joint)) == 185
            with sentinel_group.replica.client() as new_master:
                assert new_master.info("replication")["role"] == "master"
                (channel,) = new_master.pubsub_channels("odrchat:*:bus")
                # Both workers' listeners re-subscribed the bus on the new master.
                assert new_master.pubsub_numsub(channel) == [(channel, 2)]
