"""The benchmark harness end to end at a small size: it runs, and odrchat loses nothing.

`python -m bench quick` drives the bare baseline and odrchat (one worker, SQLite) through every
scenario with real uvicorn servers and real sockets. No speed is asserted here (CI machines
vary); only that every figure was produced and that nothing was lost, duplicated or reordered.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# A load run: it goes in the serial part of the test command, not beside other tests.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_runs_end_to_end_and_loses_nothing(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results["targets"]) == {"bare", "odrchat-sqlite"}
    odr = results["targets"]["odrchat-sqlite"]
    steps = odr["steady"]["steps"]
    assert steps and all(s["deliveries"] == s["expected_deliveries"] > 0 for s in steps)
    assert all(s["gaps"] == s["dups"] == s["behind_head"] == 0 for s in steps)
    assert odr["storm"]["reconnected"] == odr["storm"]["dropped"] > 0
    assert odr["storm"]["behind_head"] == odr["storm"]["gaps"] == odr["storm"]["dups"] == 0
    assert odr["storm"]["replayed"] >= 0
    assert odr["idle"]["max_connections"] == odr["idle"]["rows"][-1]["attempted"]
    assert odr["storage"]["persisted_total"] == odr["storage"]["acked"] > 0
    bare = results["targets"]["bare"]
    assert all(s["deliveries"] == s["expected_deliveries"] > 0 for s in bare["steady"]["steps"])
    assert (tmp_path / "results.md").read_text().startswith("# odrchat benchmark")
