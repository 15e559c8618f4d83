"""Benchmark: one monitoring run written to the archive (DuckDB file), then read back.

A run of ``--customers`` snapshot rows (6 core ratings columns + ``--fields`` profile fields
stored as JSON in ``extra``), ``--alerts`` alerts, as many actions, limit decisions for 10%
of the customers and one digest per recipient, written as one transaction into a fresh
DuckDB file; then a second run (the "compare with previous snapshot" path) and
``verify()`` over everything.  Figures are wall-clock seconds of the whole step,
including DuckDB's checkpoint when the file is closed, followed by the process's CPU
seconds (all threads) in brackets; the machine's load average is printed too, because on
shared cores the wall-clock figures grow with it while the CPU figures barely move.

Run: ``.venv/bin/python bench/bench_archive.py [--customers 100000] [--alerts 3000] [--fields 25]``
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from riskkit.monitoring import Archive, compose_digests


def make_snapshot(n: int, fields: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "customer_id": [f"C{i:07d}" for i in range(n)],
        "score": rng.normal(600, 60, n), "pd": rng.uniform(0.0003, 0.3, n),
        "grade": rng.choice(["AAA", "AA", "A", "BBB", "BB", "B", "CCC"], n),
        "credit_limit": rng.uniform(1e4, 1e6, n).round(-2), "ead": rng.uniform(0, 8e5, n),
        "expected_loss": rng.uniform(0, 5e4, n),
        "current_dpd": rng.integers(0, 120, n), "industry": rng.choice(["retail", "steel", "chemicals"], n),
        "altman_zone": rng.choice(["safe", "grey", "distress"], n),
    })
    for k in range(fields - 3):
        frame[f"feature_{k:02d}"] = rng.normal(size=n)
    return frame.set_index("customer_id")


def make_alerts(n: int, customers: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = rng.choice(customers, n, replace=False)
    recipients = [("risk@corp.example", "webhook"), ("credit@corp.example",), ("webhook:ops",)]
    return pd.DataFrame({
        "customer_id": [f"C{i:07d}" for i in ids], "rule": rng.choice(["dpd_90", "orders_drop", "bureau_drop"], n),
        "level": rng.choice(["red", "orange", "yellow", "info"], n, p=[0.1, 0.2, 0.3, 0.4]),
        "message": "Invoice 90+ days past due.", "evidence": '{"current_dpd": {"before": 30, "after": 95}}',
        "recipients": [recipients[i % 3] for i in range(n)],
    }).drop_duplicates(["customer_id", "rule"])


class Clock:
    """Wall-clock and CPU seconds of a block: ``with Clock() as c: ...; c.text``."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    @property
    def text(self) -> str:
        return f"{self.wall:6.2f} s  [{self.cpu:5.2f} s CPU]"


def write_run(path: Path, as_of: str, snap: pd.DataFrame, alerts: pd.DataFrame) -> tuple[Clock, dict]:
    total = Clock().__enter__()
    archive = Archive(path)
    steps = {"snapshots": Clock(), "alerts+actions+decisions+digests": Clock()}
    with archive.run(as_of, rules_hash="bench") as run:
        with steps["snapshots"]:
            run.add_snapshots(snap)
        steps["alerts+actions+decisions+digests"].__enter__()
        stored = run.add_alerts(alerts)
        run.add_actions(pd.DataFrame({"customer_id": alerts["customer_id"], "action": "review",
                                      "owner": "credit"}).drop_duplicates("customer_id"))
        tenth = snap.index[:: 10]
        run.add_limit_decisions(pd.DataFrame({"customer_id": tenth, "reason": "bench",
                                              "credit_limit": snap.loc[tenth, "credit_limit"] * 0.9}))
        run.queue(compose_digests(stored, run.info))
        steps["alerts+actions+decisions+digests"].__exit__()
    total.__exit__()
    return total, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--alerts", type=int, default=3_000)
    parser.add_argument("--fields", type=int, default=25)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{args.customers:,} customers x ({6} core + {args.fields} extra fields), {args.alerts:,} alerts")
    snap1, snap2 = make_snapshot(args.customers, args.fields, 1), make_snapshot(args.customers, args.fields, 2)
    alerts1, alerts2 = make_alerts(args.alerts, args.customers, 1), make_alerts(args.alerts, args.customers, 2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "archive.duckdb"
        total, steps = write_run(path, "2024-06-30", snap1, alerts1)
        print(f"run 1 written (one transaction, incl. open/close): {total.text}")
        for k, v in steps.items():
            print(f"    {k:<46s} {v.text}")
        archive = Archive(path)
        with Clock() as c:
            prev = archive.previous_snapshot("2024-07-31")
        print(f"previous_snapshot (read + JSON expand):            {c.text}  {prev.shape}")
        total, _ = write_run(path, "2024-07-31", snap2, alerts2)
        print(f"run 2 written (alert life cycle vs run 1):         {total.text}")
        with Clock() as c:
            diff = archive.diff_runs(*archive.runs()["run_id"])
        print(f"diff_runs:                                         {c.text}  ({len(diff.customers):,} changed)")
        with Clock() as c:
            result = archive.verify()
        print(f"verify() over {sum(result.rows.values()):,} rows:                    {c.text}  ok={result.ok}")
        print(f"file size: {path.stat().st_size / 2**20:.1f} MiB")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
