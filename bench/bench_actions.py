"""Benchmark: the recommended actions' life cycle in the archive (DuckDB file).

Night 1 opens ``--actions`` actions; night 2 recommends 85% of them again (a tenth of
those at a more urgent priority), drops 15% (resolved) and adds 10% new ones; a
controller closes 100 actions; night 3 recommends night 2's list again.  Printed: the
wall-clock seconds of each ``add_actions`` (reconciliation + rows + events, inside the
run's transaction), of ``open_actions()`` and of ``verify()``, and the load average
(shared cores inflate wall-clock figures).

Run: ``.venv/bin/python bench/bench_actions.py [--actions 50000]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from riskkit.monitoring import Archive

ACTIONS = ["reduce_limit", "call_customer", "tighten_terms", "require_guarantee", "review_limit"]
PRIORITIES = ["critical", "high", "medium", "low"]


def night(ids: np.ndarray, rng, as_of: str) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [f"C{i // len(ACTIONS):07d}" for i in ids],
                         "action": [ACTIONS[i % len(ACTIONS)] for i in ids],
                         "priority": rng.choice(PRIORITIES[1:], len(ids)), "owner": "credit_controller",
                         "due_date": pd.Timestamp(as_of) + pd.Timedelta(days=7), "reason": "bench"})


def timed(label: str, fn):
    start = time.perf_counter()
    out = fn()
    print(f"{label:<44s} {time.perf_counter() - start:6.2f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--actions", type=int, default=50_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    n = args.actions
    print(f"{n:,} actions; load average {os.getloadavg()[0]:.1f}")
    first = np.arange(n)
    kept = rng.choice(first, int(0.85 * n), replace=False)
    second = np.concatenate([np.sort(kept), np.arange(n, n + n // 10)])
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(Path(tmp) / "a.duckdb")

        def run(as_of, frame, run_id):
            with archive.run(as_of, run_id=run_id) as r:
                return r.add_actions(frame)
        timed("night 1: add_actions (all opened)", lambda: run("2024-01-31", night(first, rng, "2024-01-31"), "n1"))
        frame2 = night(second, rng, "2024-02-29")
        frame2.loc[: len(kept) // 10, "priority"] = "critical"
        out = timed("night 2: add_actions (persist/escalate/resolve)", lambda: run("2024-02-29", frame2, "n2"))
        print("    events:", out["event"].value_counts().to_dict())
        work = timed("open_actions()", archive.open_actions)
        for c, a in zip(work["customer_id"][:100], work["action"][:100]):
            archive.close_action(c, a, by="bench", outcome="done")
        timed("night 3: add_actions (100 reopened)", lambda: run("2024-03-31", frame2, "n3"))
        ok = timed("verify()", archive.verify).ok
        print(f"verify ok={ok}; load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
