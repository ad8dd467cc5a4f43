"""`python -m bench run` (the full benchmark) and `python -m bench quick` (CI smoke, < 60 s).

Every server is started in its own process group and killed at the end of its part; every
load step is bounded in time; all traffic stays on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import odr, report, scenarios, targets
from bench.machine import machine_info, raise_nofile
from bench.run import Options, Target, say
from bench.servers import ServerFailed
from bench.topology import Topology, mediation

ALL_TARGETS = ("bare", "sio", "odrchat-sqlite", "odrchat-pg")
ALL_SCENARIOS = ("idle", "steady", "storm", "slow", "storage")


def attempt(out: dict[str, Any], key: str, action: Callable[[], dict[str, Any]]) -> None:
    """Run one scenario; a failure is recorded in the results instead of ending the run."""
    try:
        out[key] = action()
    except Exception as exc:  # a scenario that breaks is a finding, not the end of the run
        say(f"{key} failed: {exc!r}")
        out[key] = {"error": f"{type(exc).__name__}: {exc}"[:500]}


def bench_target(
    t: Target, opts: Options, scen: tuple[str, ...], idle_clients: list[Any], idle_sizes: list[int]
) -> dict[str, Any]:
    """Run the chosen scenarios against one target; the server is restarted between parts."""
    out: dict[str, Any] = {}
    if "idle" in scen and idle_clients:

        def idle() -> dict[str, Any]:
            with t.server:
                return scenarios.idle(t, idle_clients, idle_sizes, opts)

        attempt(out, "idle", idle)
    if not {"steady", "storm", "slow", "storage"} & set(scen):
        return out
    try:
        t.server.start()
    except ServerFailed as exc:
        out["steady"] = {"error": str(exc)}
        return out
    try:
        pool, steady = scenarios.steady(t, opts)
        out["steady"] = steady
        try:
            best = steady.get("sustainable")
            rate = best["target_rate"] / 2 if best else opts.start_rate
            if "error" in steady:
                return out
            if "storm" in scen:
                attempt(out, "storm", lambda: scenarios.storm(pool, t, rate, opts))
            if "slow" in scen:
                attempt(out, "slow", lambda: scenarios.slow(pool, t, rate, opts))
            if "storage" in scen and t.count_stored is not None:
                top = max(s["target_rate"] for s in steady["steps"])
                offered = min(t.cap or 2 * top, 2 * top)
                attempt(out, "storage", lambda: scenarios.storage(pool, t, offered, opts))
        finally:
            pool.close()
    finally:
        t.server.stop()
    return out


def save(results: dict[str, Any], out_dir: Path) -> None:
    """Write results.json and results.md (after every target, so a late failure keeps the rest)."""
    results["checks"] = report.targets_check(results)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1, default=str))
    (out_dir / "results.md").write_text(report.markdown(results))


def run(
    names: tuple[str, ...],
    scen: tuple[str, ...],
    topo: Topology,
    opts: Options,
    idle_max: int,
    idle_sizes: list[int],
    out_dir: Path,
) -> dict[str, Any]:
    """Benchmark each named target in turn; returns the whole result document."""
    raise_nofile()
    out_dir.mkdir(parents=True, exist_ok=True)
    logs = out_dir / "logs"
    logs.mkdir(exist_ok=True)
    started = time.monotonic()
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "config": {
            "cases": len(topo.cases),
            "users": len(topo.users),
            "rooms": topo.rooms,
            "procs": opts.procs,
            "step_s": opts.step_s,
            "idle_max": idle_max,
            "scenarios": list(scen),
        },
        "targets": {},
        "notes": [],
    }
    for name in names:
        say(f"{name} ...")
        t0 = time.monotonic()
        if name in ("bare", "sio"):
            t = targets.bare(topo, logs) if name == "bare" else targets.sio(topo, logs)
            # The baselines have no per-user socket cap: as many sockets per user as needed.
            per_user = -(-idle_max // len(topo.users))
            idle = targets.idle_clients(topo, idle_max, per_user=per_user)
            results["targets"][name] = bench_target(t, opts, scen, idle, idle_sizes)
        else:
            pg = name == "odrchat-pg"
            t, seeded = odr.prepare(
                name, topo, "postgres" if pg else "sqlite", logs, workers=2 if pg else 1, redis=pg
            )
            prepared = round(time.monotonic() - t0, 1)
            try:
                idle = odr.odr_idle_clients(topo, seeded, idle_max) if not pg else []
                if pg:
                    settings = asyncio.run(odr.pg_settings())
                    results["machine"]["postgres"] = settings
                    if settings.get("autovacuum") == "off":
                        results["notes"].append(odr.AUTOVACUUM_OFF)
                results["targets"][name] = bench_target(t, opts, scen, idle, idle_sizes)
                results["targets"][name]["prepare_s"] = prepared
            finally:
                odr.drop_database(seeded)
        results["targets"][name]["elapsed_s"] = round(time.monotonic() - t0, 1)
        results["elapsed_s"] = time.monotonic() - started
        save(results, out_dir)
    return results


def quick_problems(results: dict[str, Any]) -> list[str]:
    """What is wrong with a quick run: anything lost, duplicated, reordered or not connected."""
    problems = []
    for name, r in results["targets"].items():
        steady = r.get("steady", {})
        if "error" in steady or not steady.get("steps"):
            problems.append(f"{name}: {steady.get('error', 'no steps ran')}")
            continue
        for s in steady["steps"]:
            for key in ("missing", "gaps", "dups"):
                if s[key]:
                    problems.append(f"{name} at {s['target_rate']}/s: {key}={s[key]}")
            if s.get("behind_head"):
                problems.append(f"{name} at {s['target_rate']}/s: behind_head={s['behind_head']}")
            if s["errors"]:
                problems.append(f"{name} at {s['target_rate']}/s: errors {s['errors']}")
        idle = r.get("idle")
        if idle and idle["max_connections"] < idle["rows"][-1]["attempted"]:
            problems.append(f"{name}: idle connected {idle['max_connections']}")
        storm = r.get("storm")
        if storm and storm["reconnected"] < storm["dropped"]:
            problems.append(f"{name}: storm reconnected {storm['reconnected']}/{storm['dropped']}")
        if storm and name.startswith("odrchat"):
            for key in ("gaps", "dups", "behind_head"):
                if storm.get(key):
                    problems.append(f"{name} storm: {key}={storm[key]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    full = sub.add_parser("run", help="the full benchmark (about 20-30 minutes)")
    full.add_argument("--out", type=Path, default=Path("bench/results"))
    full.add_argument(
        "--cases",
        type=int,
        default=660,
        help="mediations (2 parties each, a mediator per ~3.3 cases)",
    )
    full.add_argument("--targets", default=",".join(ALL_TARGETS))
    full.add_argument("--scenarios", default=",".join(ALL_SCENARIOS))
    full.add_argument("--procs", type=int, default=1, help="generator processes")
    full.add_argument("--step", type=float, default=5.0, help="seconds per load step")
    full.add_argument(
        "--narrow", type=int, default=2, help="steps narrowing the rate after the first failure"
    )
    full.add_argument("--idle-max", type=int, default=15000)
    quick = sub.add_parser("quick", help="a < 60 s end-to-end check of the harness (CI)")
    quick.add_argument("--out", type=Path, default=Path("bench/results/quick"))
    args = parser.parse_args(argv)
    if args.cmd == "quick":
        opts = Options(
            procs=1, step_s=1.0, start_rate=10.0, factor=2.0, max_steps=2, drain_s=10.0, narrow=0
        )
        results = run(
            ("bare", "odrchat-sqlite"), ALL_SCENARIOS, mediation(8), opts, 50, [50], args.out
        )
        problems = quick_problems(results)
        print(report.markdown(results))
        for p in problems:
            print("PROBLEM:", p, file=sys.stderr)
        return 1 if problems else 0
    opts = Options(procs=args.procs, step_s=args.step, narrow=args.narrow)
    sizes = [s for s in (1000, 2500, 5000, 10000, 15000, 20000) if s < args.idle_max]
    results = run(
        tuple(args.targets.split(",")),
        tuple(args.scenarios.split(",")),
        mediation(args.cases),
        opts,
        args.idle_max,
        [*sizes, args.idle_max],
        args.out,
    )
    print(report.markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
