"""Benchmark: WoE binning of 1,000,000 rows x 10 numeric features with 5 % missing.

Times ``riskkit.scoring.WoEBinner`` (fit + transform) against optbinning's
``BinningProcess`` (fit + transform) on the same data in the same run, and compares the
IVs they find.  The riskkit rows run with the default ``monotonic_trend="auto"`` (the
richer shapes enabled: every feature gets the one-turn DP and, when a peak/valley gains
IV, the cross-validated shape choice) and with ``"auto_monotone"`` (ascending/descending only,
the behaviour before the one-turn shapes).  Wall time is the best of ``--repeat`` runs;
CPU time (this process, all threads) is shown next to it because the machine may be
shared.  optbinning is a benchmark anchor only (``pip install -e ".[bench]"``); when it is
not installed its rows are reported as skipped.

Run: ``.venv/bin/python bench/bench_binning.py [--rows N] [--repeat R] [--no-optbinning]``

Figures for ``make bench``: riskkit ``WoEBinner()`` (1 thread) at ``--rows`` and at
100,000 rows; the anchors (optbinning, toad, scorecardpy) run in their own environment
(``bench/anchors/anchor_binning.py``) on the same data. ``BENCH_QUICK=1``: 20,000 rows.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np
import pandas as pd
from _data import make_binning_data as make_data
from _results import QUICK, emit

from riskkit.scoring import WoEBinner


def time_call(func, repeat: int) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def time_call_cpu(func, repeat: int) -> tuple[float, float, object]:
    """Best wall time and best process CPU time over ``repeat`` runs."""
    wall, cpu, result = np.inf, np.inf, None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def run_riskkit(X, y, n_jobs, monotonic_trend="auto"):
    binner = WoEBinner(n_jobs=n_jobs, monotonic_trend=monotonic_trend)
    woe = binner.fit(X, y).transform(X)
    return binner, woe


def run_optbinning(X, y, monotonic_trend=None):
    from optbinning import BinningProcess

    params = None
    if monotonic_trend is not None:
        params = {c: {"monotonic_trend": monotonic_trend} for c in X.columns}
    process = BinningProcess(list(X.columns), binning_fit_params=params)
    process.fit(X, y)
    woe = process.transform(X, metric="woe")
    return process, woe


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000 if QUICK else 1_000_000)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=1 if QUICK else 3)
    parser.add_argument("--no-optbinning", action="store_true")
    args = parser.parse_args(argv)

    X, y = make_data(args.rows, args.features)
    rows = []
    binner = None
    shapes = None
    for trend, n_jobs in (("auto", 1), ("auto", 2), ("auto_monotone", 1)):
        seconds, cpu, (binner, _) = time_call_cpu(lambda: run_riskkit(X, y, n_jobs, trend), args.repeat)
        rows.append({"library": f"riskkit WoEBinner ({trend}, n_jobs={n_jobs})", "fit+transform_s": seconds,
                     "cpu_s": cpu, "total_iv": float(binner.information_value_.sum()),
                     "mean_bins": float(np.mean([b.n_regular for b in binner.binnings_.values()]))})
        if trend == "auto" and n_jobs == 1:
            emit(f"WoE fit+transform, {args.rows:,} rows x {args.features}", seconds, cpu_seconds=cpu,
                 total_iv=rows[-1]["total_iv"], runs=args.repeat)
        if trend == "auto" and shapes is None:
            shapes = binner.summary()[["feature", "shape", "iv_monotone", "iv_turning", "shape_rule",
                                       "cv_auc_gain", "cv_auc", "cv_pvalue"]]
    if not args.no_optbinning:
        try:
            import optbinning  # noqa: F401
        except ImportError:
            rows.append({"library": "optbinning BinningProcess (not installed)", "fit+transform_s": np.nan})
        else:
            # defaults (trend chosen by optbinning, may be peak/valley) and the like-for-like
            # setting (ascending or descending only, as riskkit's "auto"); one run each
            for label, trend in (("default", None), ("auto_asc_desc", "auto_asc_desc")):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    seconds, (process, _) = time_call(lambda: run_optbinning(X, y, trend), 1)
                summary = process.summary()
                rows.append({"library": f"optbinning {optbinning.__version__} BinningProcess ({label})",
                             "fit+transform_s": seconds,
                             "total_iv": float(summary["iv"].astype(float).sum()),
                             "mean_bins": float(summary["n_bins"].astype(float).mean())})
    small = 5_000 if QUICK else 100_000
    if args.rows > small:  # the size scorecardpy's anchor runs at (anchors/anchor_binning.py)
        X_small, y_small = make_data(small, args.features)
        seconds, cpu, (small_binner, _) = time_call_cpu(lambda: run_riskkit(X_small, y_small, 1), args.repeat)
        emit(f"WoE fit+transform, {small:,} rows x {args.features}", seconds, cpu_seconds=cpu,
             total_iv=float(small_binner.information_value_.sum()), runs=args.repeat)
    table = pd.DataFrame(rows)  # mean_bins: regular bins per feature (missing/special bins not counted)
    print(f"WoE binning benchmark: {args.rows:,} rows x {args.features} numeric features, 5% missing; "
          f"best of {args.repeat} for riskkit; Python {platform.python_version()}, "
          f"{platform.machine()}")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nshapes chosen by WoEBinner() (x3, x7 are U-shaped in truth: a WoE peak)")
    print(shapes.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return table


if __name__ == "__main__":
    main()
