"""Benchmark: cold import time of riskkit's subpackages against their own dependencies.

Each figure is the median of ``--repeat`` fresh interpreters (one import each, timed
inside the child around the ``import`` statement, so interpreter start-up is excluded),
the targets taken round-robin so that a busy machine weighs on all of them alike. The
baseline is ``import pandas, scipy.sparse, networkx`` -- what any subpackage needs at
least. Goal (issue #14): each subpackage within 0.5 s of the baseline measured in the
same run. ``--explain`` prints the slowest modules of one ``python -X importtime`` run.

Run: ``.venv/bin/python bench/bench_import.py [--repeat 5] [--explain]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from _results import QUICK, emit

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "pandas, scipy.sparse, networkx"
TARGETS = ("riskkit.data", "riskkit.graph", "riskkit.scoring")
#: first use of a lazily loaded estimator (information: the cost moved, not removed)
FIRST_USE = {"riskkit.scoring.WoEBinner": "import riskkit.scoring; riskkit.scoring.WoEBinner"}
GOAL_OVER_BASELINE = 0.5


def _env() -> dict:
    env = dict(os.environ)
    # the riskkit next to this script, whatever is installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def time_import(statement: str) -> float:
    code = ("import time; t = time.perf_counter(); " + statement +
            "; print(repr(time.perf_counter() - t))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(),
                          check=True)
    return float(done.stdout.strip().splitlines()[-1])


def explain(module: str, top: int = 12) -> list[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                          text=True, env=_env(), check=True)
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    rows.sort(reverse=True)
    return [f"{us / 1e6:7.3f} s {name}" for us, name in rows[:top]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3 if QUICK else 5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    statements = {"baseline": f"import {BASELINE}", **{m: f"import {m}" for m in TARGETS}, **FIRST_USE}
    times: dict[str, list[float]] = {k: [] for k in statements}
    for _ in range(args.repeat):
        for key, statement in statements.items():
            times[key].append(time_import(statement))
    median = {k: statistics.median(v) for k, v in times.items()}
    base = median["baseline"]
    print(f"Cold import, median of {args.repeat} fresh interpreters; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    print(f"{'import':<36} {'median s':>9} {'min s':>7} {'over baseline':>14}")
    for key in statements:
        label = f"import {BASELINE}" if key == "baseline" else key
        over = "" if key == "baseline" else f"{median[key] - base:+.3f}"
        print(f"{label:<36} {median[key]:>9.3f} {min(times[key]):>7.3f} {over:>14}")
    ok = True
    for key in TARGETS:
        within = median[key] - base <= GOAL_OVER_BASELINE
        ok &= within
        emit(f"import {key}", median[key], goal_seconds=base + GOAL_OVER_BASELINE, runs=args.repeat,
             min_seconds=min(times[key]), over_baseline=median[key] - base)
        emit(f"import {key}", base, anchor_for=f"import {key}", anchor=f"import {BASELINE}")
    for key in FIRST_USE:
        emit(f"first use {key}", median[key], runs=args.repeat, over_baseline=median[key] - base)
    print(f"goal (each within {GOAL_OVER_BASELINE} s of the baseline): {'met' if ok else 'NOT met'}")
    if args.explain:
        for key in TARGETS:
            print(f"\nslowest modules (cumulative) of `import {key}`:")
            print("\n".join(explain(key)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
