"""The run's figures as a markdown report, with ratios and the targets odrchat aims for."""

from __future__ import annotations

from typing import Any

NAMES = {
    "bare": "(a) bare Starlette broadcast, 1 worker",
    "sio": "(b) python-socketio + Redis, 2 workers",
    "odrchat-sqlite": "(c) odrchat, 1 worker, SQLite",
    "odrchat-pg": "(d) odrchat, 2 workers, PostgreSQL + Redis",
}


def _get(d: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _ratio(a: Any, b: Any) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.2f}x"


def table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return out


def idle_view(i: dict[str, Any]) -> dict[str, Any]:
    """The idle ramp summed up over its healthy batches (every attempted socket alive)."""
    rows = i["rows"]
    healthy = [r for r in rows if r["connections"] >= 0.99 * r["attempted"]] or rows[:1]
    first, last = healthy[0], healthy[-1]
    slope = None
    if last["connections"] > first["connections"]:
        slope = round(
            (last["rss_kib"] - first["rss_kib"]) / (last["connections"] - first["connections"]), 1
        )
    prev = rows[rows.index(last) - 1]["attempted"] if rows.index(last) else 0
    per_socket = round(1000 * last["connect_wall_s"] / max(1, last["attempted"] - prev), 1)
    note = rows[-1].get("stopped", "")
    if rows[-1] is not last:
        bad = rows[-1]
        note = f"at {bad['attempted']:,} attempted only {bad['connections']:,} stayed connected"
    return {
        "connections": last["connections"],
        "rss_kib": last["rss_kib"],
        "kib_per_connection": slope,
        "connect_ms_per_socket": per_socket,
        "note": note or "-",
    }


def targets_check(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue 7 with what this run measured and whether it was met."""
    t = results["targets"]
    checks: list[dict[str, Any]] = []

    def add(goal: str, measured: Any, ok: bool | None) -> None:
        checks.append({"goal": goal, "measured": measured, "met": ok})

    idle = _get(t, "odrchat-sqlite", "idle")
    view = idle_view(idle) if isinstance(idle, dict) and "rows" in idle else {}
    kib = view.get("kib_per_connection")
    add("idle memory <= 32 KiB per connection (c)", kib, None if kib is None else kib <= 32)
    conns = view.get("connections")
    add("15,000 connections on one worker (c)", conns, None if conns is None else conns >= 15000)
    c_del = _get(t, "odrchat-sqlite", "steady", "sustainable", "deliveries_per_s")
    a_del = _get(t, "bare", "steady", "sustainable", "deliveries_per_s")
    capped = bool(_get(t, "odrchat-sqlite", "steady", "capped_by_rate_limit"))
    ok = None if not (c_del and a_del) else c_del >= 0.4 * a_del
    add(
        "(c) sustainable deliveries/s >= 40% of (a)",
        None
        if not (c_del and a_del)
        else f"{'>= ' if capped else ''}{100 * c_del / a_del:.1f}%"
        + (" (stopped by the topology's rate-limit ceiling)" if capped else ""),
        None if capped and not ok else ok,
    )
    d_sends = _get(t, "odrchat-pg", "steady", "sustainable", "sends_per_s")
    b_sends = _get(t, "sio", "steady", "sustainable", "sends_per_s")
    add(
        "(d) sustainable sends/s >= (b) (goal 1.5x)",
        _ratio(d_sends, b_sends),
        None if not (d_sends and b_sends) else d_sends >= b_sends,
    )
    for name in ("odrchat-sqlite", "odrchat-pg"):
        half = _get(t, name, "steady", "half_rate", "latency_ms", "p99")
        add(
            f"p99 <= 50 ms at half the sustainable rate ({name})",
            half,
            None if half is None else half <= 50,
        )
        steady = _get(t, name, "steady", "steps") or []
        lost = sum(s["missing"] + s["gaps"] + s["dups"] + s.get("behind_head", 0) for s in steady)
        storm = _get(t, name, "storm") or {}
        lost += storm.get("gaps", 0) + storm.get("dups", 0) + storm.get("behind_head", 0)
        ran = bool(steady)
        add(
            f"zero loss, duplicates, reordering ({name})",
            lost if ran else None,
            (lost == 0) if ran else None,
        )
    return checks


def markdown(results: dict[str, Any]) -> str:
    """The whole report."""
    m = results["machine"]
    cfg = results["config"]
    t = results["targets"]
    lines = [
        "# odrchat benchmark",
        "",
        f"Machine: {m['nproc']} cores, {m['cpu_model']}, {m['memory_gib']} GiB, "
        f"Linux {m['kernel']}, Python {m['python']}. Run started {results['started']}, "
        f"took {results['elapsed_s']:.0f} s.",
        f"Load: {cfg['cases']} mediations ({cfg['users']} users, {cfg['rooms']} rooms; joint room "
        f"of 3, a private room of 2 per party, ~10 rooms per mediator), one socket per user, "
        f"{cfg['procs']} generator process(es), {cfg['step_s']} s per step. "
        "Every server runs on uvicorn with ws=websockets-sansio, no deflate, 64 KiB frames.",
        *(
            ["PostgreSQL: " + ", ".join(f"{k} {v}" for k, v in sorted(m["postgres"].items())) + "."]
            if m.get("postgres")
            else []
        ),
        "",
        "## Sustainable rate (highest step with p99 <= 100 ms, no loss)",
        "",
    ]
    rows = []
    for name, r in t.items():
        s = _get(r, "steady", "sustainable") or {}
        rows.append(
            [
                NAMES.get(name, name),
                s.get("sends_per_s"),
                s.get("deliveries_per_s"),
                _get(s, "latency_ms", "p50"),
                _get(s, "latency_ms", "p99"),
                _get(s, "latency_ms", "max"),
                _get(r, "steady", "half_rate", "latency_ms", "p99"),
                s.get("generator_cpu_pct"),
                s.get("server_cores"),
                s.get("other_cores"),
                _get(r, "steady", "stopped_by"),
            ]
        )
    lines += table(
        [
            "server",
            "sends/s",
            "deliveries/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "p99 ms at half rate",
            "generator CPU %",
            "server cores",
            "other cores",
            "stopped by",
        ],
        rows,
    )
    lines += ["", "Ratios against the baselines measured in the same run:", ""]
    rows = []
    a = _get(t, "bare", "steady", "sustainable") or {}
    b = _get(t, "sio", "steady", "sustainable") or {}
    for name, r in t.items():
        s = _get(r, "steady", "sustainable") or {}
        rows.append(
            [
                NAMES.get(name, name),
                _ratio(s.get("sends_per_s"), a.get("sends_per_s")),
                _ratio(s.get("deliveries_per_s"), a.get("deliveries_per_s")),
                _ratio(s.get("sends_per_s"), b.get("sends_per_s")),
                _ratio(s.get("deliveries_per_s"), b.get("deliveries_per_s")),
            ]
        )
    lines += table(
        ["server", "sends vs (a)", "deliveries vs (a)", "sends vs (b)", "deliveries vs (b)"], rows
    )
    lines += ["", "## Idle capacity (subscribed, silent sockets)", ""]
    rows = []
    for name, r in t.items():
        i = r.get("idle")
        if i and "rows" in i:
            v = idle_view(i)
            rows.append(
                [
                    NAMES.get(name, name),
                    v["connections"],
                    i["base_rss_kib"],
                    v["rss_kib"],
                    v["kib_per_connection"],
                    v["connect_ms_per_socket"],
                    v["note"],
                ]
            )
    lines += table(
        [
            "server",
            "connections",
            "RSS before KiB",
            "RSS at max KiB",
            "KiB per connection (slope)",
            "connect ms per socket (last batch)",
            "note",
        ],
        rows,
    )
    lines += ["", "## Reconnect storm (half the sockets drop at once and resume)", ""]
    rows = []
    for name, r in t.items():
        s = r.get("storm")
        if s:
            rows.append(
                [
                    NAMES.get(name, name),
                    s["target_rate"],
                    s["dropped"],
                    s["reconnected"],
                    s["reconnect_p50_ms"],
                    s["reconnect_p99_ms"],
                    s["replayed"],
                    s.get("behind_head", "n/a (no resume)"),
                    s["gaps"],
                    s["dups"],
                    _get(s, "latency_ms", "p99"),
                ]
            )
    lines += table(
        [
            "server",
            "rate",
            "dropped",
            "reconnected",
            "reconnect p50 ms",
            "reconnect p99 ms",
            "replayed",
            "missing after resume",
            "gaps",
            "dups",
            "live p99 ms",
        ],
        rows,
    )
    lines += ["", "## Slow consumers (1% stop reading)", ""]
    rows = []
    for name, r in t.items():
        s = r.get("slow")
        if s:
            rows.append(
                [
                    NAMES.get(name, name),
                    s["target_rate"],
                    s["slow_clients"],
                    s["slow_closed_by_server"],
                    s["rss_before_kib"],
                    s["rss_peak_kib"],
                    _get(s, "latency_ms", "p99"),
                    s["others_missing"],
                ]
            )
    lines += table(
        [
            "server",
            "rate",
            "slow sockets",
            "closed by server",
            "RSS before KiB",
            "RSS peak KiB",
            "others' p99 ms",
            "others' missing",
        ],
        rows,
    )
    lines += ["", "## Storage ceiling (chat messages persisted per second, counted by the DB)", ""]
    rows = []
    for name, r in t.items():
        s = r.get("storage")
        if s:
            rows.append(
                [
                    NAMES.get(name, name),
                    s["offered_per_s"],
                    s["sent_per_s"],
                    s["persisted_per_s"],
                    s["errors"] or "-",
                ]
            )
    lines += table(["server", "offered/s", "sent/s", "persisted/s", "errors"], rows)
    lines += ["", "## Targets", ""]
    lines += table(
        ["goal", "measured", "met"],
        [
            [c["goal"], c["measured"], "-" if c["met"] is None else c["met"]]
            for c in results["checks"]
        ],
    )
    invalid = [
        f"{n} step at {s['target_rate']}/s"
        for n, r in t.items()
        for s in (_get(r, "steady", "steps") or [])
        if not s["valid"]
    ]
    noisy = [
        n for n, r in t.items() if (_get(r, "steady", "sustainable", "other_cores") or 0) > 0.25
    ]
    lines += [""]
    if invalid:
        lines.append("INVALID steps (the generator passed 70% of its cores): " + ", ".join(invalid))
    if noisy:
        lines.append(
            "Noisy: other processes used > 0.25 cores during the sustainable step of: "
            + ", ".join(noisy)
            + ". Rerun on a quiet machine for firm figures."
        )
    for note in results.get("notes", []):
        lines.append(f"- {note}")
    return "\n".join(lines) + "\n"
