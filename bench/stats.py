"""Merging what the generator processes measured into one step's figures."""

from __future__ import annotations

from array import array
from collections import Counter
from typing import Any


def percentiles_ms(samples_us: array[int]) -> dict[str, float]:
    """p50, p95, p99 and max of microsecond samples, in milliseconds."""
    if not samples_us:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    s = sorted(samples_us)
    n = len(s)

    def at(q: float) -> float:
        return round(s[min(n - 1, int(q * n))] / 1000, 2)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(s[-1] / 1000, 2)}


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One tally from every generator process's tally."""
    lat: array[int] = array("q")
    ack: array[int] = array("q")
    stored: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    closes: Counter[str] = Counter()
    heads: dict[int, int] = {}
    out: dict[str, Any] = {
        "deliveries": 0,
        "replayed": 0,
        "sent": 0,
        "gaps": 0,
        "dups": 0,
        "connected": 0,
        "connected_ids": [],
    }
    for p in parts:
        chunk: array[int] = array("q")
        chunk.frombytes(p["lat_us"])
        lat.extend(chunk)
        chunk = array("q")
        chunk.frombytes(p["ack_us"])
        ack.extend(chunk)
        stored.update({int(k): v for k, v in p["stored"].items()})
        errors.update(p["errors"])
        closes.update(p["closes"])
        for room, seq in p["heads"].items():
            heads[room] = max(seq, heads.get(room, 0))
        for key in ("deliveries", "replayed", "sent", "gaps", "dups", "connected"):
            out[key] += p[key]
        out["connected_ids"].extend(p["connected_ids"])
    out.update(
        latency=percentiles_ms(lat),
        ack=percentiles_ms(ack),
        stored=stored,
        errors=dict(errors),
        closes=dict(closes),
        heads=heads,
        samples=len(lat),
    )
    return out


def expected_deliveries(
    stored: Counter[int], members: dict[int, list[int]], connected: set[int]
) -> int:
    """Deliveries a correct server makes: each stored message to each connected member."""
    return sum(n * sum(1 for c in members[room] if c in connected) for room, n in stored.items())
