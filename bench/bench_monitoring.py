"""Benchmark: the nightly monitoring run over a 100,000-customer book (issue 10, item 7).

Target: one run (profile, rating, limits, network view, rules, archive write) over 100,000
customers in under 60 s on the project's 2-core machine.

The book is ``rk.datasets.generate_portfolio(--customers, seed=1)``; the scorecard is fitted
once, outside the timed part (:func:`riskkit.assess.fit_portfolio_scorecard` on the
development dates of the first run), as a nightly job would load yesterday's model.  Then
:func:`riskkit.monitoring.run_monitoring` runs for two consecutive month ends into a fresh
DuckDB archive: the first compares with nothing, the second with the first's snapshot and
open alerts (the everyday case).  Each run prints its total wall-clock seconds and the
seconds of each step, filled by ``run_monitoring(..., timings=...)``:

profile, assess, limits (limits and review calendar), network_graph, network_links,
network_pd, network_stress (default capital and the worst-names stress test), archive_read
(previous snapshot, open alerts, last reviews), rules, actions, fingerprint (hash of the
input data), archive_write (one transaction: snapshots, alerts, actions, limit decisions,
digests).

The machine's load average is printed too: on shared cores the wall-clock figures grow with
it.  With ``--profile`` the second run is run again under cProfile and the top functions by
cumulative time are printed.

Run: ``.venv/bin/python bench/bench_monitoring.py [--customers 100000] [--as-of 2024-05-31 2024-06-30]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import resource
import tempfile
import time
from pathlib import Path

import riskkit as rk
from riskkit.assess import development_dates, fit_portfolio_scorecard
from riskkit.monitoring import Archive, run_monitoring

STEPS = ("profile", "assess", "limits", "network_graph", "network_links", "network_pd", "network_stress",
         "archive_read", "rules", "actions", "fingerprint", "archive_write")


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", nargs="+", default=["2024-05-31", "2024-06-30"])
    parser.add_argument("--profile", action="store_true", help="cProfile the last run again")
    args = parser.parse_args()

    print(f"riskkit {rk.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    start = time.perf_counter()
    portfolio = rk.datasets.generate_portfolio(args.customers, seed=args.seed)
    print(f"generate_portfolio({args.customers:,}, seed={args.seed}): {time.perf_counter() - start:.1f} s, "
          f"{len(portfolio.invoices):,} invoices, {len(portfolio.relations):,} relations")
    start = time.perf_counter()
    scorecard, _ = fit_portfolio_scorecard(portfolio, development_dates(args.as_of[0]))
    print(f"scorecard fitted once (not timed below): {time.perf_counter() - start:.1f} s")

    with tempfile.TemporaryDirectory(prefix="riskkit-bench-monitoring-") as folder:
        archive = Archive(Path(folder) / "archive.duckdb")
        rows = []
        for as_of in args.as_of:
            timings: dict[str, float] = {}
            load = os.getloadavg()[0]
            cpu = time.process_time()
            start = time.perf_counter()
            result = run_monitoring(portfolio, as_of, archive=archive, scorecard=scorecard, timings=timings)
            total = time.perf_counter() - start
            rows.append((as_of, total, time.process_time() - cpu, load, timings, result))
        size = (Path(folder) / "archive.duckdb").stat().st_size / 2**20
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run_monitoring(portfolio, args.as_of[-1], archive=Archive(":memory:"), scorecard=scorecard)
            profiler.disable()

    print()
    header = f"{'step':<16}" + "".join(f"{as_of:>14}" for as_of, *_ in rows)
    print(header)
    for step in STEPS:
        print(f"{step:<16}" + "".join(f"{r[4].get(step, float('nan')):>12.2f} s" for r in rows))
    other = [r[1] - sum(r[4].values()) for r in rows]
    print(f"{'(rest)':<16}" + "".join(f"{x:>12.2f} s" for x in other))
    print(f"{'total':<16}" + "".join(f"{r[1]:>12.2f} s" for r in rows))
    print(f"{'CPU (all thr.)':<16}" + "".join(f"{r[2]:>12.2f} s" for r in rows))
    print(f"{'load at start':<16}" + "".join(f"{r[3]:>14.1f}" for r in rows))
    print()
    for as_of, total, _, _, _, result in rows:
        alerts = result.alerts
        red_orange = alerts.loc[alerts["level"].isin(["red", "orange"]), "customer_id"].nunique()
        print(f"{as_of}: {len(result.frame.current):,} customers rated, {len(alerts):,} alerts "
              f"({red_orange:,} customers red/orange, {red_orange / len(result.frame.current):.1%}), "
              f"{len(result.actions):,} actions, {len(result.messages)} digests; "
              f"{'under' if total < 60 else 'OVER'} the 60 s target")
    print(f"archive file {size:.0f} MiB; peak RSS {peak_rss_gib():.2f} GiB")
    if args.profile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
        print(out.getvalue())


if __name__ == "__main__":
    main()
