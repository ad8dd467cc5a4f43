"""Real-process fixtures: uvicorn workers, a throwaway Redis or PostgreSQL, and a recording client.

Everything here is a real process on the loopback interface. Waits are bounded: readiness is a
bounded poll of /readyz; anything about frames waits on the frames themselves (`Client.wait_for`).
The system Redis (6379) and PostgreSQL cluster are never stopped or paused: destructive tests
run a throwaway `redis-server` or a throwaway PostgreSQL cluster (`initdb` + `pg_ctl`).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Origin

from tests.services import create_pg_database, drop_pg_database, unavailable

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "cluster-test-secret-0123456789-abcdefghij"  # 40 characters
WAIT = 20.0  # seconds: the bound on any single wait for a frame
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def poll(check: Callable[[], bool], what: str, bound: float = 30.0, every: float = 0.05) -> None:
    """Poll a condition that has no event to wait on (a port, an HTTP status), up to `bound`."""
    deadline = time.monotonic() + bound
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {bound} s")
        time.sleep(every)


async def apoll(
    check: Callable[[], Any], what: str, bound: float = 30.0, every: float = 0.05
) -> None:
    """`poll` for an async check (a database count, /readyz)."""
    async with asyncio.timeout(bound):
        while not await check():  # noqa: ASYNC110 (a database or HTTP state has no event)
            await asyncio.sleep(every)


# -- throwaway services ------------------------------------------------------------------------


class ThrowawayRedis:
    """A private redis-server on a fixed port that a test may stop, restart and freeze."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            unavailable("redis-server is not installed: fault tests need their own server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.binary is not None
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--enable-debug-command",
            "yes",
            "--logfile",
            "",
        ]
        log = Path(tempfile.mkstemp(prefix="odrchat-redis-", suffix=".log")[1])
        with log.open("wb") as out:
            self.proc = subprocess.Popen(args, stdout=out)

        def ready() -> bool:  # our own server, not someone else's on a reused port
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited: {log.read_text()[-2000:]}")
            return "Ready to accept connections" in log.read_text()

        try:
            poll(ready, "throwaway redis-server listening")
        finally:
            log.unlink()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class ThrowawayPostgres:
    """A private PostgreSQL cluster (initdb + pg_ctl, as the postgres user when root)."""

    def __init__(self) -> None:
        if not PG_BIN:
            unavailable("PostgreSQL server binaries are not installed (/usr/lib/postgresql)")
        self.bin = PG_BIN[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="odrchat-pg-"))
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run(
            "initdb",
            "-D",
            str(self.dir / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.dir / "data"),
            "-o",
            opts,
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "-t", "30", "stop")

    def remove(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class LingeringRelay:
    """A TCP relay to a loopback server that passes the server's close on `linger` seconds
    late, as a pooler (PgBouncer) or a long network path does: the client reads the server's
    last words (PostgreSQL's FATAL on pg_terminate_backend or a failover) well before the end of
    the stream. It runs on its own thread and event loop, so blocking harness code (worker
    start-up polls) never stalls it."""

    def __init__(self, port: int, linger: float = 0.5) -> None:
        self.target, self.linger = port, linger
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def url(self, db_url: str) -> str:
        """`db_url` with its port pointed at this relay."""
        return db_url.replace(f"127.0.0.1:{self.target}/", f"127.0.0.1:{self.port}/", 1)

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._relay, "127.0.0.1", 0), self._loop
        ).result(10)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            tasks = asyncio.all_tasks() - {asyncio.current_task()}
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            client_w.close()
            return
        client_gone = asyncio.Event()
        await asyncio.gather(
            self._pipe(client_r, server_w, ended=client_gone),
            self._pipe(server_r, client_w, linger_unless=client_gone),
        )

    async def _pipe(
        self,
        src: asyncio.StreamReader,
        dst: asyncio.StreamWriter,
        *,
        ended: asyncio.Event | None = None,
        linger_unless: asyncio.Event | None = None,
    ) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
            if linger_unless is not None and not linger_unless.is_set():
                # The server ended the stream on its own (not answering the client's close).
                await asyncio.sleep(self.linger)  # the modelled delay, not a wait for an event
        except OSError:
            pass
        finally:
            if ended is not None:
                ended.set()
            dst.close()


@contextmanager
def fresh_database(pg_template: tuple[str, str]) -> Iterator[str]:
    """A new PostgreSQL database cloned from the session's migrated template; dropped after."""
    base, template = pg_template
    url = create_pg_database(base, template=template)
    try:
        yield url
    finally:
        drop_pg_database(base, url)


# -- workers -----------------------------------------------------------------------------------


class PortTaken(Exception):
    """A worker could not bind its port (taken by someone else since it was picked)."""


@dataclass
class Worker:
    """One `uvicorn odrchat.app:app_from_env --factory` process on a fixed port."""

    port: int
    env: dict[str, str]
    log_path: Path
    extra: tuple[str, ...] = ()
    proc: subprocess.Popen[bytes] | None = None
    log_from: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, ping: float = 20, wait: bool = True) -> None:
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            "odrchat.app:app_from_env",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ws",
            "websockets-sansio",
            "--ws-max-size",
            "65536",
            "--ws-per-message-deflate",
            "false",
            "--ws-ping-interval",
            str(ping),
            "--ws-ping-timeout",
            str(ping),
            "--timeout-graceful-shutdown",
            "10",
            *self.extra,
        ]
        self.log_from = len(self.log()) if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                args, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        if wait:
            self.wait_ready()

    def readyz(self) -> int:
        try:
            return httpx.get(self.url + "/readyz", timeout=5).status_code
        except httpx.HTTPError:
            return 0

    def wait_ready(self, bound: float = 60) -> None:
        """Ready means this process bound the port and answers /readyz: another test run may
        have taken the port meanwhile (then its server would answer, not ours)."""
        bound_msg = f"Uvicorn running on http://127.0.0.1:{self.port}"

        def ready() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                if "address already in use" in self.log()[self.log_from :]:
                    raise PortTaken(self.port)
                raise AssertionError(f"worker {self.port} exited:\n{self.log()[-3000:]}")
            return bound_msg in self.log()[self.log_from :] and self.readyz() == 200

        poll(ready, f"worker {self.port} ready", bound)

    def kill(self) -> None:
        """kill -9: no shutdown, no close frames, sockets reset by the kernel."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, bound: float = 30) -> int | None:
        """SIGTERM, then SIGKILL after `bound` seconds; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(bound)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(
                f"worker {self.port} ignored SIGTERM for {bound} s; its log ends:\n"
                + self.log()[-4000:]
            ) from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Cluster:
    """N workers sharing one database and one Redis, plus direct database access for checks."""

    db_url: str
    workers: list[Worker]
    origin: str
    clients: list[Client] = field(default_factory=list)

    async def __aenter__(self) -> Cluster:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close every client the test made (`client()` or `track()`)."""
        clients, self.clients = self.clients, []
        for c in clients:
            await c.abort()

    def track(self, c: Client) -> Client:
        self.clients.append(c)
        return c

    async def login(
        self,
        who: str,
        worker: int = 0,
        password: str = "correct horse battery",
        email: str | None = None,
    ) -> str:
        """Log in over HTTP as a browser would; returns the session cookie."""
        async with httpx.AsyncClient(base_url=self.workers[worker].url, timeout=30) as http:
            token = (await http.get("/api/session")).json()["csrf_token"]
            r = await http.post(
                "/api/auth/login",
                json={"email": email or f"{who}@example.org", "password": password},
                headers={"X-CSRF-Token": token, "Origin": self.origin},
            )
            assert r.status_code == 200, r.text
            return str(r.cookies["odr_session"])

    async def client(self, who: str, worker: int = 0) -> Client:
        """A logged-in, connected client of `who` on `workers[worker]`."""
        c = Client(who, await self.login(who, worker), self.origin)
        await c.connect(self.workers[worker])
        self.clients.append(c)
        return c

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.db_url, timeout=10)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def transcript(self, room: int) -> list[dict[str, Any]]:
        """The room's stored events, oldest first, as the wire would show them (minus `at`)."""
        rows = await self.fetch(
            "SELECT seq, type, client_id, body FROM room_events WHERE room_id = $1 ORDER BY seq",
            room,
        )
        return [
            {
                "seq": r["seq"],
                "type": r["type"],
                "client_id": r["client_id"],
                **json.loads(r["body"]),
            }
            for r in rows
        ]

    async def check(
        self, rooms: Sequence[int], clients: Sequence[Client] | None = None, bound: float = WAIT
    ) -> None:
        """Every acknowledged message is stored once; every subscribed client holds exactly the
        database transcript of each room (waiting, bounded, for it to catch up)."""
        clients = self.clients if clients is None else clients
        for room in rooms:
            heads = await self.fetch("SELECT head_seq FROM rooms WHERE id = $1", room)
            head = heads[0]["head_seq"]
            rows = await self.transcript(room)
            assert [r["seq"] for r in rows] == list(range(1, head + 1)), f"room {room} log"
            for c in clients:
                if room not in c.rooms:
                    continue
                await c.reach(room, head, bound)
                got = c.events.get(room, [])
                assert [e["seq"] for e in got] == list(range(1, len(got) + 1)), (
                    f"{c.who} room {room}: gap, duplicate or reordering"
                )
                assert len(got) == head, f"{c.who} room {room}: {len(got)} events, head {head}"
                for e, r in zip(got, rows, strict=True):
                    assert e["type"] == r["type"] and e.get("msg_id") == r.get("msg_id"), (
                        c.who,
                        e,
                        r,
                    )
                    assert e.get("text") == r.get("text"), (c.who, e, r)
        for c in clients:
            for msg_id, ack in c.acks.items():
                found = await self.fetch(
                    "SELECT seq FROM room_events WHERE room_id = $1 AND client_id = $2",
                    ack["room"],
                    msg_id,
                )
                assert [r["seq"] for r in found] == [ack["seq"]], (c.who, msg_id, found)


def worker_env(
    db_url: str, redis_url: str | None, public: str, origins: Sequence[str]
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ODRCHAT_ENV"}
    env.update(
        {
            "DATABASE_URL": db_url,
            "SECRET_KEY": SECRET_KEY,
            "PUBLIC_URL": public,
            "ALLOWED_ORIGINS": ",".join(origins),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@contextmanager
def cluster(
    db_url: str,
    redis_url: str | None,
    logs: Path,
    n: int = 2,
    ping: float = 20,
    env: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """Start `n` workers on fixed ports and wait until each is ready; stop them all after.

    `env` adds to (or overrides) the workers' environment, e.g. an SMTP server or SMS provider.
    """
    extra_env = env or {}
    workers: list[Worker] = []
    failing = False
    try:
        for _attempt in range(3):
            ports = [free_port() for _ in range(n)]
            origins = [f"http://127.0.0.1:{p}" for p in ports]
            environ = {**worker_env(db_url, redis_url, origins[0], origins[1:]), **extra_env}
            workers = [Worker(p, environ, logs / f"worker-{p}.log") for p in ports]
            try:
                for w in workers:  # in parallel: the database is a migrated template clone
                    w.start(ping, wait=False)
                for w in workers:
                    w.wait_ready()
                break
            except PortTaken:
                for w in workers:
                    w.stop()
        else:
            raise AssertionError("no free ports for the workers in 3 attempts")
        yield Cluster(db_url, workers, origins[0])
    except BaseException:
        failing = True
        for w in workers:  # pytest shows this with the failure
            print(f"--- worker {w.port} log (tail) ---\n{w.log()[-6000:]}")
        raise
    finally:
        for w in workers:
            try:
                w.stop()
            except AssertionError as exc:
                if not failing:  # never hide the test's own failure behind a slow shutdown
                    raise
                print(exc)


# -- the recording client ----------------------------------------------------------------------


class Disconnected(Exception):
    """The socket closed while a frame was awaited."""


def is_stored(frame: dict[str, Any]) -> bool:
    """A stored (sequenced) room event, as opposed to acks, markers and live state."""
    return "seq" in frame and "at" in frame and frame["type"] != "chat.ack"


class Client:
    """One browser tab: one socket, every frame recorded, resume from the last seq per room.

    `events[room]` is everything stored that this client received for the room, across all its
    connections, in arrival order: the checks compare it with the database transcript.
    """

    def __init__(self, who: str, cookie: str, origin: str) -> None:
        self.who, self.cookie, self.origin = who, cookie, origin
        self.ws: ClientConnection | None = None
        self.hello: dict[str, Any] = {}
        self.frames: list[dict[str, Any]] = []
        self.events: dict[int, list[dict[str, Any]]] = {}
        self.rooms: set[int] = set()
        self.synced: dict[int, int] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self.errors: dict[str, list[dict[str, Any]]] = {}
        self.pending: dict[str, tuple[int, str]] = {}
        self.lose_acks: set[str] = set()  # acks to throw away, as if lost with the connection
        self.closes: list[int | None] = []
        self.connections = 0
        self.bound = WAIT  # the default bound on each wait (a reconnect storm needs more)
        self.source = "127.0.0.1"
        self.failed_attempts = 0
        self.reading = asyncio.Event()  # clear it to stop reading (a stalled client)
        self.reading.set()
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._n = 0

    def last(self, room: int) -> int:
        got = self.events.get(room)
        return int(got[-1]["seq"]) if got else 0

    @property
    def open(self) -> bool:
        return self.ws is not None and self._reader is not None and not self._reader.done()

    async def connect(
        self, worker: Worker, *, source: str | None = None, rcvbuf: int | None = None
    ) -> None:
        """Open a socket from `source` (a loopback address, kept for reconnects: the server
        caps sockets per address); `rcvbuf` shrinks the receive window, as on a phone on a
        bad line."""
        self.source = source = source or self.source
        sock = socket.socket()
        sock.setblocking(False)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        try:
            sock.bind((source, 0))
            async with asyncio.timeout(self.bound):
                await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", worker.port))
        except BaseException:
            sock.close()
            raise
        self.ws = await connect(
            worker.ws_url,
            sock=sock,
            origin=Origin(self.origin),
            compression=None,
            additional_headers={"Cookie": f"odr_session={self.cookie}"},
            open_timeout=self.bound,
            close_timeout=5,
            ping_interval=None,
            max_size=1 << 20,
            proxy=None,
        )
        self.connections += 1
        self.synced = {}
        self.hello = {}
        self._reader = asyncio.ensure_future(self._read(self.ws))
        await self.wait_for(lambda: self.hello, "hello", self.bound)

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                await self.reading.wait()
                frame = json.loads(raw)
                self.frames.append(frame)
                await self._on(ws, frame)
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.closes.append(ws.close_code)
            self._changed.set()

    async def _on(self, ws: ClientConnection, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if is_stored(frame):
            self.events.setdefault(frame["room"], []).append(frame)
        elif kind == "hello":
            self.hello = frame
        elif kind == "room.synced":
            self.synced[frame["room"]] = frame["head"]
        elif kind == "room.behind":
            await ws.send(
                json.dumps(
                    {
                        "type": "room.subscribe",
                        "id": self._id("b"),
                        "room": frame["room"],
                        "after": frame["after"],
                    }
                )
            )
        elif kind == "chat.ack" and frame["re"] not in self.lose_acks:
            self.acks[frame["re"]] = frame
            self.pending.pop(frame["re"], None)
        elif kind == "error" and "re" in frame:
            self.errors.setdefault(frame["re"], []).append(frame)

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    async def reach(self, room: int, seq: int, bound: float = WAIT) -> None:
        """Wait until this client holds the room's events up to `seq`."""
        await self.wait_for(lambda: self.last(room) >= seq, f"room {room} seq {seq}", bound)

    async def wait_for(self, pred: Callable[[], T | None], what: str, bound: float = WAIT) -> T:
        """Wait (bounded) until `pred()` is truthy; raise Disconnected if the socket closes."""
        try:
            async with asyncio.timeout(bound):
                while True:
                    result = pred()
                    if result:
                        return result
                    if not self.open:
                        raise Disconnected(f"{self.who}: closed {self.closes} awaiting {what}")
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"{self.who}: no {what} within {bound} s") from None

    async def closed(self, bound: float = WAIT) -> int | None:
        """Wait for the server to close this socket; its close code."""
        async with asyncio.timeout(bound):
            while self.open:
                self._changed.clear()
                await self._changed.wait()
        return self.closes[-1]

    async def send_frame(self, frame: dict[str, Any]) -> None:
        if self.ws is None:
            raise Disconnected(self.who)
        try:
            await self.ws.send(json.dumps(frame))
        except ConnectionClosed as exc:
            raise Disconnected(f"{self.who}: {exc}") from exc

    async def subscribe(self, room: int) -> None:
        """Subscribe from the last seq held (0 at first: the whole log), until room.synced."""
        self.rooms.add(room)
        self.synced.pop(room, None)
        await self.send_frame(
            {"type": "room.subscribe", "id": self._id("s"), "room": room, "after": self.last(room)}
        )
        await self.wait_for(lambda: room in self.synced, f"room.synced {room}", self.bound)

    async def post(self, room: int, text: str, msg_id: str | None = None) -> str:
        """Send a chat message without waiting for its ack (it stays pending until acked)."""
        msg_id = msg_id or self._id(f"{self.who}-")
        self.pending[msg_id] = (room, text)
        await self.send_frame({"type": "chat.send", "id": msg_id, "room": room, "text": text})
        return msg_id

    async def send(
        self, room: int, text: str, msg_id: str | None = None, bound: float | None = None
    ) -> dict[str, Any]:
        """Send and wait for the ack, retrying after `rate_limited`; an error frame otherwise."""
        bound = self.bound if bound is None else bound
        msg_id = msg_id or self._id(f"{self.who}-")
        for _ in range(50):
            seen = len(self.errors.get(msg_id, ()))
            await self.post(room, text, msg_id)

            def answered(msg_id: str = msg_id, seen: int = seen) -> dict[str, Any] | None:
                if msg_id in self.acks:
                    return self.acks[msg_id]
                errors = self.errors.get(msg_id, [])
                return errors[-1] if len(errors) > seen else None

            reply = await self.wait_for(answered, f"ack of {msg_id}", bound)
            if reply["type"] == "chat.ack" or reply["code"] == "unavailable":
                return reply  # acked, or to be resent later with the same id (still pending)
            if reply["code"] != "rate_limited":
                self.pending.pop(msg_id, None)  # refused for good: never resend it
                return reply
            await asyncio.sleep(reply["retry_after_ms"] / 1000)  # the server's instruction
        raise AssertionError(f"{self.who}: {msg_id} rate limited 50 times")

    async def reconnect(self, workers: Sequence[Worker], attempts: int = 30) -> Worker:
        """Reconnect to the first worker that answers, resubscribe every room from its last
        seq, and resend every unacknowledged message. Between failed attempts it backs off as
        the browser does (static/js/socket.js): 250 ms plus full jitter up to 0.5 s * 2^n,
        capped at 30 s, so a crowd that lost one server does not hammer the next in step."""
        for attempt in range(attempts):
            worker = workers[attempt % len(workers)]
            try:
                await self.connect(worker)
                for room in sorted(self.rooms):
                    await self.subscribe(room)
                for msg_id, (room, text) in list(self.pending.items()):
                    self.lose_acks.discard(msg_id)
                    await self.send(room, text, msg_id)
                return worker
            except (OSError, InvalidHandshake, Disconnected, TimeoutError):
                await self.close()
                self.failed_attempts += 1
                await asyncio.sleep(0.25 + random.uniform(0, min(30.0, 0.5 * 2**attempt)))
        raise AssertionError(f"{self.who}: could not reconnect in {attempts} attempts")

    async def abort(self) -> None:
        """Drop the connection at once (no closing handshake), as a lost network would."""
        self.reading.set()
        if self.ws is not None:
            self.ws.transport.abort()
        if self._reader is not None:
            async with asyncio.timeout(10):
                await asyncio.gather(self._reader, return_exceptions=True)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            async with asyncio.timeout(10):
                await asyncio.gather(self._reader, return_exceptions=True)


async def converse(
    client: Client, room: int, count: int, workers: Sequence[Worker], tag: str = ""
) -> None:
    """Send `count` messages as fast as acks come, reconnecting (and resending) on any close."""
    for i in range(count):
        while True:
            try:
                reply = await client.send(room, f"{client.who}{tag} says {i}")
                break
            except Disconnected:
                await client.reconnect(workers)
        assert reply["type"] == "chat.ack", reply
