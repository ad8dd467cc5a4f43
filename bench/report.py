"""The run's figures as a markdown report, with ratios and the targets odrchat aims for."""

from __future__ import annotations

from typing import Any

from bench.run import Options, sound

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


def _last_by_rate(steps: list[dict[str, Any]]) -> dict[float, dict[str, Any]]:
    """Each step rate's last step (a retry at a rate replaces the first try)."""
    return {round(float(s["target_rate"]), 1): s for s in steps}


def _ms_per_message(s: dict[str, Any], step_s: float, infra: bool = False) -> float | None:
    """Milliseconds of CPU a step's server used per message sent: its cores times the wall
    time (the drain included) over the messages sent. With `infra`, Redis and PostgreSQL too."""
    sends, cores, wall = s.get("sends_per_s"), s.get("server_cores"), s.get("wall_s")
    if not sends or cores is None or wall is None:
        return None
    if infra:
        if s.get("infra_cores") is None:
            return None
        cores += s["infra_cores"]
    return float(cores * wall * 1000 / (sends * step_s))


def cpu_per_message(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Server CPU per message of (d) against (c) at each step rate both ran validly and soundly.

    Steps are matched by target rate (to 0.1 sends/s); the last step at a rate counts (a retry
    replaces the first try). (d)'s figure with infrastructure adds Redis and PostgreSQL; (c)
    has none. Rows by rising rate: `rate`, `c_ms`, `d_ms`, `d_infra_ms` (None when the step
    did not measure them), `ratio`, `ratio_infra`.
    """
    t = results.get("targets") or {}
    step_s = _get(results, "config", "step_s")
    c_steps = _get(t, "odrchat-sqlite", "steady", "steps")
    d_steps = _get(t, "odrchat-pg", "steady", "steps")
    if not step_s or not c_steps or not d_steps:
        return []
    opts = Options()
    c_by, d_by = _last_by_rate(c_steps), _last_by_rate(d_steps)
    rows: list[dict[str, Any]] = []
    for rate in sorted(c_by.keys() & d_by.keys()):
        c, d = c_by[rate], d_by[rate]
        if not all(s["valid"] and sound(s, opts) for s in (c, d)):
            continue
        c_ms, d_ms = _ms_per_message(c, step_s), _ms_per_message(d, step_s)
        if not c_ms or d_ms is None:
            continue
        d_infra = _ms_per_message(d, step_s, infra=True)
        rows.append(
            {
                "rate": rate,
                "c_ms": c_ms,
                "d_ms": d_ms,
                "d_infra_ms": d_infra,
                "ratio": d_ms / c_ms,
                "ratio_infra": None if d_infra is None else d_infra / c_ms,
            }
        )
    return rows


def _cpu_measured(rows: list[dict[str, Any]]) -> str:
    """The judged ratio (at the highest common rate), its range, and the one with infra."""
    top = rows[-1]
    ratios = [r["ratio"] for r in rows]
    n = len(rows)
    text = (
        f"{top['ratio']:.2f}x at {top['rate']:,.1f} sends/s "
        f"({min(ratios):.2f}-{max(ratios):.2f}x over {n} common rate{'s' if n > 1 else ''})"
    )
    if top["ratio_infra"] is not None:
        text += f"; with PostgreSQL and Redis: {top['ratio_infra']:.2f}x"
    return text


def targets_check(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issues 7 and 18 with what this run measured and whether it was met.

    Issue 18's targets are for the scaled install (d), against (b) and (c) of the same run.
    """
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
        "(d) sustainable sends/s >= 3x (b)",
        _ratio(d_sends, b_sends),
        None if not (d_sends and b_sends) else d_sends >= 3 * b_sends,
    )
    cpu = cpu_per_message(results)
    add(
        "(d) server CPU per message <= 1.5x (c)",
        _cpu_measured(cpu) if cpu else None,
        cpu[-1]["ratio"] <= 1.5 if cpu else None,
    )
    connect = _get(t, "odrchat-pg", "steady", "connect") or {}
    srv_ms = connect.get("server_cpu_ms_per_socket")
    inf_ms = connect.get("infra_cpu_ms_per_socket")
    add(
        "(d) connect <= 2 ms of server CPU per socket",
        None
        if srv_ms is None
        else f"{srv_ms} ms" + ("" if inf_ms is None else f" (PostgreSQL and Redis: {inf_ms} ms)"),
        None if srv_ms is None else srv_ms <= 2,
    )
    d_storm = _get(t, "odrchat-pg", "storm") or {}
    dropped, back = d_storm.get("dropped"), d_storm.get("reconnected")
    p99 = d_storm.get("reconnect_p99_ms")
    ran = bool(dropped) and back is not None
    add(
        "(d) 50% reconnect storm resumed with p99 <= 5 s",
        f"p99 {_fmt(p99)} ms, {back:,} of {dropped:,} resumed" if ran else None,
        (back == dropped and p99 is not None and p99 <= 5000) if ran else None,
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
    if _get(t, "odrchat-sqlite", "steady", "steps") and _get(t, "odrchat-pg", "steady", "steps"):
        lines += ["", "## CPU per message, (d) against (c)", ""]
        lines += [
            "Server CPU per message sent (cores x the step's wall time, drain included, over "
            "the messages sent) at each rate where both stepped validly and soundly; a retried "
            "rate counts its retry. (c) has no PostgreSQL or Redis; (d)'s are added in the "
            '"with infra" columns.',
            "",
        ]
        cpu = cpu_per_message(results)
        if cpu:

            def ms(v: float | None) -> str:
                return "-" if v is None else f"{v:.3f}"

            def x(v: float | None) -> str:
                return "-" if v is None else f"{v:.2f}x"

            lines += table(
                [
                    "target rate",
                    "(c) ms/msg",
                    "(d) server ms/msg",
                    "(d) with infra ms/msg",
                    "ratio",
                    "ratio with infra",
                ],
                [
                    [
                        r["rate"],
                        *(ms(r[k]) for k in ("c_ms", "d_ms", "d_infra_ms")),
                        *(x(r[k]) for k in ("ratio", "ratio_infra")),
                    ]
                    for r in cpu
                ],
            )
        else:
            lines.append("No rate where both (c) and (d) had a valid, sound step.")
    lines += ["", "## Targets", ""]
    lines += table(
        ["goal", "measured", "met"],
        [
            [c["goal"], c["measured"], "-" if c["met"] is None else c["met"]]
            for c in targets_check(results)
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
