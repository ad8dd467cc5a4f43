"""The five scenarios beyond the rate ramp: idle capacity, reconnect storm, slow consumers,
storage ceiling; and the mediation steady state that calls bench.run.ramp."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.loadgen import ClientSpec, Pool
from bench.run import (
    Meter,
    Options,
    Target,
    behind_head,
    connect_all,
    drain,
    during,
    ramp,
    say,
)
from bench.stats import expected_deliveries, merge


def idle(
    target: Target, clients: list[ClientSpec], sizes: list[int], opts: Options
) -> dict[str, Any]:
    """Ramp subscribed, silent connections; server RSS per connection at each size."""
    from bench.run import open_pool

    rows: list[dict[str, Any]] = []
    pool = open_pool(target, opts, clients)
    try:
        base = target.server.rss_kib()
        done = 0
        for size in sizes:
            size = min(size, len(clients))
            batch = [c.index for c in clients[done:size]]
            res = connect_all(pool, opts, target.server, batch)
            done = size
            time.sleep(1.0)  # let the server settle its buffers before reading RSS
            alive = sum(p["connected"] for p in pool.call("collect"))
            rss = target.server.rss_kib()
            rows.append(
                {
                    "connections": alive,
                    "attempted": size,
                    "rss_kib": rss,
                    "failures": res["failures"],
                    "connect_wall_s": res["wall_s"],
                    "connect_p99_ms": res["connect_p99_ms"],
                }
            )
            say(f"{target.name}: idle {alive} sockets, RSS {rss} KiB, batch {res['wall_s']} s")
            if alive < size * 0.9:
                break  # the server refuses or drops connections: stop ramping
            following = [n for n in sizes if n > size]
            per_socket = res["wall_s"] / max(1, len(batch))
            if following and per_socket * (min(following[0], len(clients)) - size) > (
                opts.idle_batch_s
            ):
                # Bounded run: at this pace the next batch would take too long.
                rows[-1]["stopped"] = f"next batch would take over {opts.idle_batch_s:.0f} s"
                break
    finally:
        pool.close()
    first, last = rows[0], rows[-1]
    slope = None
    if last["connections"] > first["connections"]:
        slope = round(
            (last["rss_kib"] - first["rss_kib"]) / (last["connections"] - first["connections"]), 1
        )
    return {
        "base_rss_kib": base,
        "rows": rows,
        "max_connections": last["connections"],
        "kib_per_connection": slope,
        "kib_per_connection_incl_base": round(
            (last["rss_kib"] - base) / max(1, last["connections"]), 1
        ),
    }


def steady(target: Target, opts: Options) -> tuple[Pool, dict[str, Any]]:
    """Connect the mediation clients and ramp the rate; returns the live pool for what follows."""
    from bench.run import open_pool

    pool = open_pool(target, opts)
    conn = connect_all(pool, opts, target.server)
    result: dict[str, Any] = {"connect": conn}
    say(f"{target.name}: {conn['connected']} sockets connected in {conn['wall_s']} s")
    if conn["connected"] < 0.99 * len(target.clients):
        result["error"] = f"only {conn['connected']} of {len(target.clients)} sockets connected"
        return pool, result
    result.update(ramp(pool, target, opts))
    return pool, result


def storm(pool: Pool, target: Target, rate: float, opts: Options) -> dict[str, Any]:
    """Half the clients drop at once mid-traffic and reconnect immediately, resuming."""
    pool.call("collect")
    victims = [c.index for c in target.clients[::2]]
    meter = Meter(pool, target.server)
    parts = pool.call(
        "storm",
        {
            "rate": rate / len(pool.pids),
            "duration": opts.step_s * 2,
            "drop_at": opts.step_s / 2,
            "indices": victims,
            "concurrency": len(victims),
        },
    )
    drain(pool, opts.drain_s)
    cpu = meter.read()
    m = merge(pool.call("collect"))
    times = sorted(t for p in parts for t in p["reconnect"]["times"])
    n = len(times)
    failures: dict[str, int] = {}
    for p in parts:
        for k, v in p["reconnect"]["failures"].items():
            failures[k] = failures.get(k, 0) + v
    out: dict[str, Any] = {
        "target_rate": rate,
        "dropped": sum(p["dropped"] for p in parts),
        "reconnected": n,
        "reconnect_failures": failures,
        "reconnect_p50_ms": round(times[n // 2] * 1000, 1) if n else None,
        "reconnect_p99_ms": round(times[min(n - 1, int(0.99 * n))] * 1000, 1) if n else None,
        "reconnect_max_ms": round(times[-1] * 1000, 1) if n else None,
        "latency_ms": m["latency"],
        "replayed": m["replayed"],
        "gaps": m["gaps"],
        "dups": m["dups"],
        "errors": m["errors"],
        **cpu,
    }
    if target.dialect == "odrchat":
        heads = {room: seq for room, seq in m["heads"].items()}
        out["behind_head"] = behind_head(pool, heads, target.members, set(m["connected_ids"]))
    return out


def slow(pool: Pool, target: Target, rate: float, opts: Options) -> dict[str, Any]:
    """1% of the clients stop reading: server memory and everyone else's latency."""
    pool.call("collect")
    laggards = [c.index for c in target.clients[::100]]
    pool.call("slow", {"indices": laggards, "on": True})
    meter = Meter(pool, target.server)
    rss0 = target.server.rss_kib()

    def load() -> Any:
        sends = pool.call("send", {"rate": rate / len(pool.pids), "duration": opts.step_s * 3})
        drain(pool, opts.drain_s, target.members, frozenset(laggards))
        return sends

    _, peak = during(target.server, load)
    cpu = meter.read()
    status = pool.call("slow_status", {"indices": laggards})
    m = merge(pool.call("collect"))
    others = set(m["connected_ids"]) - set(laggards)
    expected = expected_deliveries(m["stored"], target.members, others)
    closed = sum(s["closed"] for s in status)
    return {
        "target_rate": rate,
        "slow_clients": len(laggards),
        "slow_closed_by_server": closed,
        "rss_before_kib": rss0,
        "rss_peak_kib": peak,
        "latency_ms": m["latency"],
        "others_missing": max(0, expected - m["deliveries"]),
        "gaps": m["gaps"],
        "dups": m["dups"],
        "errors": m["errors"],
        **cpu,
    }


def storage(pool: Pool, target: Target, offered: float, opts: Options) -> dict[str, Any]:
    """Persisted chat messages/s, counted by the database, while offered more than it keeps up
    with. Runs last: the backlog it builds is drained for at most `opts.drain_s`."""
    assert target.count_stored is not None
    pool.call("collect")
    before = asyncio.run(target.count_stored())
    t0 = time.monotonic()
    sends = pool.call("send", {"rate": offered / len(pool.pids), "duration": opts.step_s * 2})
    window = time.monotonic() - t0
    in_window = asyncio.run(target.count_stored())
    drain(pool, opts.drain_s)
    after = asyncio.run(target.count_stored())
    m = merge(pool.call("collect"))
    return {
        "offered_per_s": round(offered, 1),
        "sent_per_s": round(sum(s["sent"] for s in sends) / window, 1),
        "persisted_per_s": round((in_window - before) / window, 1),
        "persisted_total": after - before,
        "acked": sum(m["stored"].values()),
        "errors": m["errors"],
        "window_s": round(window, 2),
    }
