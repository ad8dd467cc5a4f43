"""Scenarios: each drives one server under test with the generator pool and returns figures."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.loadgen import ClientSpec, Pool
from bench.machine import cpu_seconds, machine_busy, total_cpu
from bench.servers import Server
from bench.stats import expected_deliveries, merge

GEN_CPU_LIMIT = 0.70
P99_LIMIT_MS = 100.0


@dataclass(slots=True)
class Target:
    """A server under test plus the clients that load it."""

    name: str
    dialect: str
    server: Server
    clients: list[ClientSpec]
    members: dict[int, list[int]]  # room -> client indices subscribed to it
    cap: float | None = None  # highest sends/s the server's per-user rate limit admits
    count_stored: Callable[[], Coroutine[Any, Any, int]] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Options:
    procs: int = 1
    step_s: float = 5.0
    start_rate: float = 25.0
    factor: float = 1.5
    max_steps: int = 16
    narrow: int = 2  # steps between the last good and the first failing rate
    connect_concurrency: int = 25
    idle_batch_s: float = 240.0
    drain_s: float = 30.0


def origin_of(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}"


def open_pool(target: Target, opts: Options, clients: list[ClientSpec] | None = None) -> Pool:
    base = f"ws://127.0.0.1:{target.server.port}"
    return Pool(
        target.dialect, base, origin_of(target.server), clients or target.clients, opts.procs
    )


def say(message: str) -> None:
    """Progress on stderr, so a long run shows where it is."""
    print(f"bench: {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def connect_all(
    pool: Pool, opts: Options, server: Server, indices: list[int] | None = None
) -> dict[str, Any]:
    """Connect (and subscribe) sockets `opts.connect_concurrency` at a time; retry failures once.

    Connecting is bounded on purpose: real users arrive spread out, and a server flooded with
    handshakes measures the flood, not the chat. The server's CPU time over the batch divided
    by the sockets connected is the connect cost (the handshake, authentication, the hello and
    every subscription up to its room.synced); Redis and PostgreSQL are counted apart.
    """
    start = time.monotonic()
    srv0, inf0 = server.cpu(), infra_cpu()
    arg = {"indices": indices, "concurrency": opts.connect_concurrency}
    parts = pool.call("connect", arg)
    failures: dict[str, int] = {}
    for p in parts:
        for k, v in p["failures"].items():
            failures[k] = failures.get(k, 0) + v
    if failures:
        # Retry whoever is not connected (of this batch) once.
        retry = pool.call("connect", {**arg, "only_failed": True})
        parts = [{**p, "times": p["times"] + r["times"]} for p, r in zip(parts, retry, strict=True)]
    times = sorted(t for p in parts for t in p["times"])
    n = len(times)
    srv = server.cpu() - srv0
    inf = infra_used(inf0)
    return {
        "connected": n,
        "server_cpu_ms_per_socket": round(srv * 1000 / n, 2) if n else None,
        "infra_cpu_ms_per_socket": round(inf * 1000 / n, 2) if n else None,
        "failures_first_try": failures,
        "failures": {k: v for r in (retry if failures else []) for k, v in r["failures"].items()},
        "wall_s": round(time.monotonic() - start, 2),
        "connect_p50_ms": round(times[n // 2] * 1000, 1) if n else None,
        "connect_p99_ms": round(times[min(n - 1, int(n * 0.99))] * 1000, 1) if n else None,
    }


def drain(
    pool: Pool,
    max_s: float,
    members: dict[int, list[int]] | None = None,
    exclude: frozenset[int] = frozenset(),
) -> None:
    """Wait until every expected delivery arrived and every send was acked.

    Without `members` (or when something never arrives) it stops once nothing has arrived for
    2 s, or after `max_s`: a lost message must not hang the run.
    """
    deadline = time.monotonic() + max_s
    last = -1
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        counts = pool.call("counts")
        total = sum(c["deliveries"] for c in counts)
        pending = sum(c["pending"] for c in counts)
        now = time.monotonic()
        if members is not None and pending == 0:
            stored: Counter[int] = Counter()
            connected: set[int] = set()
            for c in counts:
                stored.update(c["stored"])
                connected.update(c["connected_ids"])
            if total >= expected_deliveries(stored, members, connected - exclude):
                return
        if total != last:
            last, quiet_since = total, now
        elif now - quiet_since >= (2.0 if members is not None else 0.5) and pending == 0:
            return
        time.sleep(0.05)


INFRA = ("redis-server", "postgres")


def infra_pids() -> list[int]:
    """Redis and PostgreSQL processes (shared services the servers under test lean on)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                comm = Path(entry.path, "comm").read_text().strip()
            except OSError:
                continue
            if comm in INFRA:
                found.append(int(entry.name))
    return found


def infra_cpu() -> dict[int, float]:
    """CPU seconds so far of each Redis and PostgreSQL process."""
    return {p: cpu_seconds(p) for p in infra_pids()}


def infra_used(before: dict[int, float]) -> float:
    """CPU seconds the Redis and PostgreSQL processes used since `before` (`infra_cpu()`).

    A process that started meanwhile (a PostgreSQL backend for a server's new pool
    connection) counts whole; one that started and ended meanwhile cannot be read and is
    missed. Before 2026-12-04 new processes were left out, so a connect round just after a
    server started showed almost no PostgreSQL CPU."""
    used = 0.0
    for pid, now in infra_cpu().items():
        then = before.get(pid, 0.0)
        if now >= then:
            used += now - then
    return used


class Meter:
    """CPU of the generator, the server, Redis/PostgreSQL and the machine between two instants.

    `other_cores` is what the rest of the machine burned meanwhile: a figure taken while
    something else was busy is noisier, and the report says so.
    """

    def __init__(self, pool: Pool, server: Server) -> None:
        self.pool, self.server = pool, server
        self.t0 = time.monotonic()
        self.gen0 = total_cpu(pool.pids)
        self.srv0 = server.cpu()
        self.inf0 = infra_cpu()
        self.busy0, self.all0 = machine_busy()

    def read(self) -> dict[str, Any]:
        wall = time.monotonic() - self.t0
        gen = (total_cpu(self.pool.pids) - self.gen0) / wall
        srv = (self.server.cpu() - self.srv0) / wall
        inf = infra_used(self.inf0) / wall
        busy, total = machine_busy()
        busy_cores = (busy - self.busy0) / max(1.0, total - self.all0) * (os.cpu_count() or 1)
        frac = gen / len(self.pool.pids)
        return {
            "wall_s": round(wall, 2),
            "generator_cores": round(gen, 2),
            "generator_cpu_pct": round(100 * frac, 1),
            "server_cores": round(srv, 2),
            "infra_cores": round(inf, 2),
            "other_cores": round(max(0.0, busy_cores - gen - srv - inf), 2),
            "valid": frac <= GEN_CPU_LIMIT,
        }


def step(
    pool: Pool,
    target: Target,
    rate: float,
    duration: float,
    opts: Options,
    heads: dict[int, int] | None = None,
) -> dict[str, Any]:
    """Send at `rate` for `duration`, drain, and report latency, throughput, loss and CPU."""
    say(f"{target.name}: step at {rate:.1f} sends/s")
    pool.call("collect")  # start from a clean tally
    meter = Meter(pool, target.server)
    per_proc = rate / len(pool.pids)
    sends = pool.call("send", {"rate": per_proc, "duration": duration})
    drain(pool, opts.drain_s, target.members)
    cpu = meter.read()
    m = merge(pool.call("collect"))
    connected = set(m["connected_ids"])
    expected = expected_deliveries(m["stored"], target.members, connected)
    result: dict[str, Any] = {
        "target_rate": round(rate, 1),
        "sends_per_s": round(m["sent"] / duration, 1),
        "stored_per_s": round(sum(m["stored"].values()) / duration, 1),
        "deliveries_per_s": round(m["deliveries"] / duration, 1),
        "latency_ms": m["latency"],
        "ack_ms": m["ack"] if target.dialect == "odrchat" else None,
        "expected_deliveries": expected,
        "deliveries": m["deliveries"],
        "missing": max(0, expected - m["deliveries"]),
        "extra": max(0, m["deliveries"] - expected),
        "gaps": m["gaps"],
        "dups": m["dups"],
        "errors": m["errors"],
        "closes": m["closes"],
        "late_ticks": sum(s["late_ticks"] for s in sends),
        **cpu,
    }
    if heads is not None:
        for room, seq in m["heads"].items():
            heads[room] = max(seq, heads.get(room, 0))
        result["behind_head"] = behind_head(pool, heads, target.members, connected)
    return result


def behind_head(
    pool: Pool, heads: dict[int, int], members: dict[int, list[int]], connected: set[int]
) -> int:
    """Events each connected odrchat socket is still missing against each room's head."""
    seen: dict[int, dict[int, int]] = {}
    for part in pool.call("last_seqs"):
        seen.update(part)
    missing = 0
    for room, head in heads.items():
        for c in members[room]:
            if c in connected:
                missing += max(0, head - seen.get(c, {}).get(room, 0))
    return missing


def sound(result: dict[str, Any], opts: Options) -> bool:
    """A step the server sustained: p99 under the limit, the rate reached, nothing lost."""
    return (
        result["latency_ms"]["p99"] <= P99_LIMIT_MS
        and result["sends_per_s"] >= 0.95 * result["target_rate"]
        and result["stored_per_s"] >= 0.95 * result["target_rate"]
        and result["missing"] == 0
        and not result["errors"]
    )


def ramp(pool: Pool, target: Target, opts: Options) -> dict[str, Any]:
    """Raise the send rate step by step until p99 passes 100 ms; then check half that rate.

    Steps grow by `opts.factor`. A rate fails only when its step fails twice in a row (a lone
    stall from another process or a GC pass should not decide it). After the first failing rate,
    `opts.narrow` steps halve the gap between the last good and the failing rate (geometric
    means), so with the default 1.5x and 2 narrowing steps the answer is within about 11%.
    """
    heads: dict[int, int] | None = {} if target.dialect == "odrchat" else None
    steps: list[dict[str, Any]] = []

    def attempt(rate: float) -> dict[str, Any]:
        r = step(pool, target, rate, opts.step_s, opts, heads)
        steps.append(r)
        if r["valid"] and not sound(r, opts):
            r = step(pool, target, rate, opts.step_s, opts, heads)
            r["retry"] = True
            steps.append(r)
        return r

    rate = opts.start_rate
    best: dict[str, Any] | None = None
    failed: dict[str, Any] | None = None
    capped = False
    for _ in range(opts.max_steps):
        if target.cap is not None and rate >= target.cap:
            rate, capped = target.cap, True
        r = attempt(rate)
        if not r["valid"] or not sound(r, opts):
            failed = r
            break
        best = r
        if capped:
            break
        rate *= opts.factor
    stopped = failed
    for _ in range(opts.narrow):
        if best is None or failed is None or not failed["valid"]:
            break
        r = attempt((best["target_rate"] * failed["target_rate"]) ** 0.5)
        if not r["valid"]:
            break
        if sound(r, opts):
            best = r
        else:
            failed = r
    out: dict[str, Any] = {
        "steps": steps,
        "sustainable": best,
        "capped_by_rate_limit": capped,
        "stopped_by": _why(stopped, capped),
    }
    if best is not None:
        out["half_rate"] = step(pool, target, best["target_rate"] / 2, opts.step_s, opts, heads)
        steps.append(out["half_rate"])
    if heads is not None:
        out["total_behind_head"] = sum(s.get("behind_head", 0) for s in steps)
    return out


def _why(failed: dict[str, Any] | None, capped: bool) -> str:
    if failed is None:
        return "per-user rate limit x users (the topology's ceiling)" if capped else "step limit"
    if not failed["valid"]:
        return "generator CPU over 70% (invalid)"
    if failed["latency_ms"]["p99"] > P99_LIMIT_MS:
        return "p99 over 100 ms"
    if failed["missing"] or failed["errors"]:
        return "loss or errors"
    return "rate not reached"


def sample_rss(server: Server, stop: threading.Event, into: list[int]) -> None:
    while not stop.wait(0.25):
        into.append(server.rss_kib())


def during(server: Server, action: Callable[[], Any]) -> tuple[Any, int]:
    """Run `action` while sampling the server's RSS; returns its result and the peak KiB."""
    samples: list[int] = [server.rss_kib()]
    stop = threading.Event()
    t = threading.Thread(target=sample_rss, args=(server, stop, samples), daemon=True)
    t.start()
    try:
        result = action()
    finally:
        stop.set()
        t.join()
    return result, max(samples)
