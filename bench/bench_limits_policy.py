"""Benchmark: the credit-policy layer over a whole book.

Times, for 10,000 and 100,000 customers with random but valid profile/ratings frames:
``recommend_limits`` under the default limit policy (seven methods, caps, floors, a reason
sentence per customer), ``recommend_actions`` under the default action policy (with 5 % of
customers alerted), and ``next_review_dates``.  Target: 100,000 customers in a few seconds.

Run: .venv/bin/python bench/bench_limits_policy.py
"""

from __future__ import annotations

import platform
import time

import numpy as np
import pandas as pd
from _results import QUICK, emit

import riskkit.limits as rkl

REPEATS = 3
GRADES = np.array(["S", "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "D"])


def best_of(func, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def make_book(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    idx = pd.Index([f"C{i:07d}" for i in range(n)], name="customer_id")
    revenue = np.exp(rng.normal(17.5, 1.5, n))
    missing = rng.random(n) < 0.1
    profile = pd.DataFrame({
        "equity": np.where(missing, np.nan, revenue * rng.normal(0.4, 0.3, n)),
        "revenue": np.where(missing, np.nan, revenue),
        "current_assets": revenue * 0.5,
        "current_liabilities": revenue * rng.uniform(0.2, 0.7, n),
        "credit_sales_365d": revenue * rng.uniform(0.0, 0.1, n),
        "payment_terms_days": rng.choice([0, 30, 45, 60, 90], n),
        "avg_days_beyond_terms": np.where(rng.random(n) < 0.1, np.nan, rng.exponential(8.0, n)),
        "order_to_invoice_days": np.where(rng.random(n) < 0.05, np.nan, rng.uniform(5.0, 45.0, n)),
        "relationship_age_years": rng.exponential(4.0, n),
        "ownership_type": rng.choice(["private", "foreign", "local_soe", "central_soe", "individual"], n),
        "credit_limit": np.round(revenue * 0.01, -3),
    }, index=idx)
    grade_idx = rng.integers(0, len(GRADES), n)
    pd_ = np.clip(np.exp(rng.normal(-4, 1.5, n)), 0.0003, 1.0)
    ratings = pd.DataFrame({
        "grade": GRADES[grade_idx],
        "pd_grade": GRADES[np.clip(grade_idx + rng.integers(-2, 3, n), 1, 8)],
        "pd": pd_,
        "grade_pd": np.where(grade_idx == 0, np.nan, pd_),
        "knockout": grade_idx == 8,
        "whitelist": grade_idx == 0,
        "rule": "master_scale",
        "credit_limit": profile["credit_limit"].to_numpy(),
        "utilisation": rng.uniform(0, 1.4, n),
        "ead": profile["credit_limit"].to_numpy() * 0.5,
    }, index=idx)
    alerted = rng.choice(n, size=n // 20, replace=False)
    alerts = pd.DataFrame({"customer_id": idx[alerted], "rule": rng.choice(["dpd_30", "news", "downgrade"], len(alerted)),
                           "level": rng.choice(["red", "orange", "yellow", "info"], len(alerted))})
    last = pd.Series(pd.Timestamp("2025-06-30") - pd.to_timedelta(rng.integers(0, 500, n), unit="D"), index=idx)
    return profile, ratings, alerts, last


def main() -> None:
    limit_policy = rkl.LimitPolicy.default()
    action_policy = rkl.ActionPolicy.default()
    rows = []
    for n in (10_000,) if QUICK else (10_000, 100_000):
        profile, ratings, alerts, last = make_book(n)
        limits = rkl.recommend_limits(profile, ratings, limit_policy)
        t_limits = best_of(lambda: rkl.recommend_limits(profile, ratings, limit_policy))
        t_actions = best_of(lambda: rkl.recommend_actions(ratings, alerts, action_policy, limits=limits,
                                                          as_of="2025-06-30"))
        t_review = best_of(lambda: rkl.next_review_dates(ratings, last, as_of="2025-06-30", policy=action_policy))
        n_actions = len(rkl.recommend_actions(ratings, alerts, action_policy, limits=limits))
        rows.append((n, t_limits, t_actions, t_review, n_actions))
        emit(f"recommend_limits, {n:,} customers", t_limits)
        emit(f"recommend_actions, {n:,} customers", t_actions)
        emit(f"next_review_dates, {n:,} customers", t_review)
    print(f"bench_limits_policy  python {platform.python_version()}  pandas {pd.__version__}  best of {REPEATS}")
    print(f"{'customers':>10}  {'recommend_limits [s]':>21}  {'recommend_actions [s]':>22}  "
          f"{'next_review_dates [s]':>22}  {'actions':>8}")
    for n, t_limits, t_actions, t_review, n_actions in rows:
        print(f"{n:>10,}  {t_limits:>21.3f}  {t_actions:>22.3f}  {t_review:>22.3f}  {n_actions:>8,}")


if __name__ == "__main__":
    main()
