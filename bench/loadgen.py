"""The load generator: processes that each drive a shard of the client sockets.

The orchestrator (bench.run) starts `procs` generator processes and talks to each over a pipe,
one command at a time: connect, send at a rate for a while, report counts, collect and reset the
tally, drop sockets, make sockets slow, close. Each process runs one asyncio loop; its own CPU
time is read from /proc by the orchestrator so a run where the generator is the bottleneck is
reported as invalid instead of as a slow server.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing as mp
import socket
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bench.clients import DIALECTS, Client, Tally
from bench.machine import raise_nofile


@dataclass(frozen=True, slots=True)
class ClientSpec:
    index: int
    rooms: tuple[int, ...]
    address: str
    cookie: str | None = None


@dataclass(frozen=True, slots=True)
class Shard:
    dialect: str
    base: str  # ws://127.0.0.1:PORT
    origin: str
    clients: tuple[ClientSpec, ...]


class Generator:
    """The state of one generator process."""

    def __init__(self, shard: Shard) -> None:
        self.shard = shard
        self.tally = Tally()
        kind = DIALECTS[shard.dialect]
        self.clients = [
            kind(c.index, c.rooms, c.address, c.cookie, self.tally) for c in shard.clients
        ]
        self.by_index = {c.index: c for c in self.clients}

    def _set_tally(self) -> Tally:
        old, self.tally = self.tally, Tally()
        for c in self.clients:
            c.tally = self.tally
        return old

    async def connect(
        self,
        indices: list[int] | None,
        concurrency: int,
        rcvbuf: int | None = None,
        only_failed: bool = False,
    ) -> dict[str, Any]:
        """Connect the given clients (default: every one not connected); time each."""
        if indices is None:
            todo = [c for c in self.clients if not c.connected]
        else:
            todo = [self.by_index[i] for i in indices if i in self.by_index]
        if only_failed:
            todo = [c for c in todo if not c.connected]
        gate = asyncio.Semaphore(concurrency)
        times: list[float] = []
        failures: Counter[str] = Counter()

        async def one(c: Client) -> None:
            async with gate:
                start = time.monotonic()
                try:
                    await c.connect(self.shard.base, self.shard.origin, rcvbuf)
                except Exception as exc:  # a refused or failed connect is a measured outcome
                    failures[type(exc).__name__ + ":" + str(exc)[:60]] += 1
                    return
                times.append(time.monotonic() - start)

        await asyncio.gather(*(one(c) for c in todo))
        # Long-lived client objects need no collecting: keep GC pauses out of the latencies.
        gc.collect()
        gc.freeze()
        return {"connected": len(times), "times": times, "failures": dict(failures)}

    async def send(self, rate: float, duration: float, exclude_slow: bool = True) -> dict[str, Any]:
        """Send `rate` messages/s, round robin over connected clients, for `duration` s."""
        senders = [c for c in self.clients if c.connected and not (exclude_slow and c.slow)]
        if not senders or rate <= 0:
            await asyncio.sleep(duration)
            return {"sent": 0, "late_ticks": 0}
        total = round(rate * duration)
        start = time.monotonic()
        sent = 0
        turn = 0
        late = 0
        while sent < total:
            elapsed = time.monotonic() - start
            if elapsed > duration + 1.0:
                break  # the generator (or a blocked socket) could not keep the schedule
            due = min(total, int(rate * elapsed) + 1) - sent
            if due > rate * 0.05:
                late += 1  # more than 50 ms behind schedule: the generator cannot keep up
            for _ in range(due):
                c = senders[turn % len(senders)]
                turn += 1
                if c.connected:
                    try:
                        await c.send()
                    except Exception:  # the socket died between the check and the send
                        self.tally.errors["send_failed"] += 1
                sent += 1
            await asyncio.sleep(0.005)
        rest = duration - (time.monotonic() - start)
        if rest > 0:
            await asyncio.sleep(rest)
        return {"sent": sent, "late_ticks": late}

    def counts(self) -> dict[str, Any]:
        t = self.tally
        return {
            "deliveries": t.deliveries,
            "replayed": t.replayed,
            "sent": t.sent,
            "stored": dict(t.stored),
            "pending": sum(len(getattr(c, "pending", ())) for c in self.clients),
            "connected_ids": [c.index for c in self.clients if c.connected],
        }

    def collect(self) -> dict[str, Any]:
        """Hand over the tally and start a fresh one."""
        t = self._set_tally()
        return {
            "lat_us": t.lat_us.tobytes(),
            "ack_us": t.ack_us.tobytes(),
            "deliveries": t.deliveries,
            "replayed": t.replayed,
            "sent": t.sent,
            "stored": dict(t.stored),
            "gaps": t.gaps,
            "dups": t.dups,
            "errors": dict(t.errors),
            "closes": dict(t.closes),
            "heads": t.heads,
            "connected": sum(c.connected for c in self.clients),
            "connected_ids": [c.index for c in self.clients if c.connected],
        }

    def last_seqs(self) -> dict[int, dict[int, int]]:
        """client -> room -> last seq seen (odrchat only)."""
        return {c.index: dict(getattr(c, "last_seq", {})) for c in self.clients}

    def drop(self, indices: list[int]) -> int:
        n = 0
        for i in indices:
            c = self.by_index.get(i)
            if c is not None and c.connected:
                c.drop()
                n += 1
        return n

    def slow(self, indices: list[int], on: bool) -> int:
        n = 0
        for i in indices:
            c = self.by_index.get(i)
            if c is not None:
                c.slow = on
                if on:
                    c.go.clear()
                    if c.ws is not None:
                        # A phone on a bad line: a small receive window, so the server's own
                        # send queue is what fills, not this machine's socket buffers.
                        sock = c.ws.transport.get_extra_info("socket")
                        if sock is not None and c.connected:
                            with contextlib.suppress(OSError):  # closed meanwhile
                                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                else:
                    c.go.set()
                n += 1
        return n

    async def storm(
        self, rate: float, duration: float, drop_at: float, indices: list[int], concurrency: int
    ) -> dict[str, Any]:
        """Send throughout; at `drop_at` drop the given sockets and reconnect them at once."""
        sending = asyncio.create_task(self.send(rate, duration))
        await asyncio.sleep(drop_at)
        dropped = self.drop(indices)
        await asyncio.sleep(0)  # let the readers see their sockets go
        reconnect = await self.connect(indices, concurrency)
        sends = await sending
        return {"dropped": dropped, "reconnect": reconnect, "sends": sends}

    def slow_status(self, indices: list[int]) -> dict[str, Any]:
        """How many of the given (slow) sockets the server has closed."""
        closed = 0
        for i in indices:
            c = self.by_index.get(i)
            if (c is not None and c.ws is not None and c.ws.close_code is not None) or (
                c is not None and c.ws is not None and c.ws.transport.is_closing()
            ):
                closed += 1
        return {"closed": closed}

    async def close(self) -> None:
        await asyncio.gather(
            *(c.close() for c in self.clients if c.ws is not None), return_exceptions=True
        )


async def _serve(conn: Connection, shard: Shard) -> None:
    gen = Generator(shard)
    loop = asyncio.get_running_loop()
    while True:
        cmd, arg = await loop.run_in_executor(None, conn.recv)
        if cmd == "connect":
            result: Any = await gen.connect(**arg)
        elif cmd == "send":
            result = await gen.send(**arg)
        elif cmd == "counts":
            result = gen.counts()
        elif cmd == "collect":
            result = gen.collect()
        elif cmd == "last_seqs":
            result = gen.last_seqs()
        elif cmd == "drop":
            result = gen.drop(arg)
        elif cmd == "slow":
            result = gen.slow(**arg)
        elif cmd == "storm":
            result = await gen.storm(**arg)
        elif cmd == "slow_status":
            result = gen.slow_status(**arg)
        elif cmd == "close":
            await gen.close()
            conn.send(None)
            return
        else:
            result = None
        conn.send(result)


def _main(conn: Connection, shard: Shard) -> None:
    raise_nofile()
    gc.set_threshold(50_000, 20, 20)
    asyncio.run(_serve(conn, shard))


class Pool:
    """The orchestrator's handle on the generator processes."""

    def __init__(
        self, dialect: str, base: str, origin: str, clients: list[ClientSpec], procs: int
    ) -> None:
        ctx = mp.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        for p in range(procs):
            shard = Shard(dialect, base, origin, tuple(clients[p::procs]))
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_main, args=(child, shard), daemon=True)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def call(self, cmd: str, arg: Any = None) -> list[Any]:
        """Send one command to every process and wait for every answer."""
        for c in self.conns:
            c.send((cmd, arg))
        return [c.recv() for c in self.conns]

    def close(self) -> None:
        with contextlib.suppress(EOFError, BrokenPipeError, OSError):
            self.call("close")
        for p in self.procs:
            p.join(10)
            if p.is_alive():
                p.kill()
                p.join(5)
