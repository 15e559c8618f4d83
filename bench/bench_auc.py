"""Benchmark: AUC with DeLong variance (rank-based fast DeLong, Sun & Xu 2014).

Target: 1,000,000 scores with the DeLong variance in under 2 s. scikit-learn's
``roc_auc_score`` (AUC only, no variance) is timed for context.

Run: .venv/bin/python bench/bench_auc.py
"""

from __future__ import annotations

import platform
import time

import numpy as np
from _results import QUICK, emit
from sklearn.metrics import roc_auc_score

import riskkit.validation as rkv

REPEATS = 3


def best_of(func, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def make_data(n: int, seed: int = 0, grades: bool = False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.05).astype(np.int8)
    a = rng.normal(size=n) + 1.0 * y
    b = 0.7 * a + rng.normal(size=n)
    if grades:  # a 20-notch rating scale: heavy ties
        a = np.digitize(a, np.quantile(a, np.linspace(0, 1, 21)[1:-1])).astype(float)
    return y, a, b


def main() -> None:
    rows = []
    for n in (10_000, 100_000) if QUICK else (10_000, 100_000, 1_000_000):
        for grades in (False, True):
            y, a, b = make_data(n, grades=grades)
            kind = "grades (20)" if grades else "continuous"
            t_rk = best_of(lambda: rkv.auc(y, a))
            t_sk = best_of(lambda: roc_auc_score(y, a))
            t_pair = best_of(lambda: rkv.delong_test(y, a, b))
            diff = abs(rkv.auc(y, a).auc - roc_auc_score(y, a))
            rows.append((n, kind, t_rk, t_sk, t_pair, diff))
            case = f"AUC with DeLong variance, {n:,} {kind} scores"
            emit(case, t_rk, goal_seconds=2.0 if n == 1_000_000 else None, auc_difference=diff)
            emit(case, t_sk, anchor_for=case, anchor="sklearn roc_auc_score (AUC only)")
    print(f"bench_auc  python {platform.python_version()}  best of {REPEATS}")
    print(f"{'n':>9}  {'scores':<12}  {'rk.auc+DeLong var [s]':>22}  {'sklearn roc_auc [s]':>20}  "
          f"{'rk.delong_test 2 scores [s]':>28}  {'|AUC diff|':>10}")
    for n, kind, t_rk, t_sk, t_pair, diff in rows:
        print(f"{n:>9,}  {kind:<12}  {t_rk:>22.3f}  {t_sk:>20.3f}  {t_pair:>28.3f}  {diff:>10.1e}")


if __name__ == "__main__":
    main()
