"""Benchmark of Portfolio.as_of with a credit-decision history: limits in force at a date.

Run: ``.venv/bin/python bench/bench_as_of.py [n_customers ...]`` (default 100,000).  The
book holds only customers and credit_decisions (about 12 decisions a customer, as the
synthetic generator writes), so the figures are the cost of applying the decisions:
``as_of`` with the decisions against ``as_of`` of the same customers without them.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from riskkit.data import Portfolio


def book(n: int, per_customer: float = 12.0, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = pd.Series([f"C{i:07d}" for i in range(n)], dtype="str")
    onboarded = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
    customers = pd.DataFrame({
        "customer_id": ids, "name": ids, "kind": "enterprise", "industry": "retail", "region": "east",
        "ownership_type": "private", "state_ownership_pct": 0.0, "registered_capital": 1e6,
        "founded": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
        "onboarded": onboarded.astype("datetime64[ns]"), "payment_terms_days": 60, "credit_limit": 1e5})
    counts = rng.poisson(per_customer - 1, n) + 1
    who = np.repeat(np.arange(n), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(len(who)) - first
    days = onboarded.to_numpy()[who] + (k * 180).astype("timedelta64[D]")
    decisions = pd.DataFrame({
        "customer_id": ids.take(who).reset_index(drop=True),
        "effective_date": pd.Series(days).astype("datetime64[ns]"),
        "credit_limit": np.round(rng.uniform(1e4, 1e6, len(who)), -3),
        "payment_terms_days": rng.choice([30, 45, 60, 90], len(who)),
        "reason": pd.Series(["periodic_review"] * len(who), dtype="str"),
        "decided_by": pd.Series(["credit_analyst_01"] * len(who), dtype="str"),
    })
    return customers, decisions


def best_of(fn, *args, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


def main(sizes: list[int]) -> None:
    print("Portfolio.as_of(date): best of 5, seconds")
    print(f"{'customers':>10} {'decisions':>10} {'as_of':>8} {'without decisions':>18} {'validate':>9}")
    for n in sizes:
        customers, decisions = book(n)
        t0 = time.perf_counter()
        with_decisions = Portfolio(customers, credit_decisions=decisions)
        validate = time.perf_counter() - t0
        without = Portfolio(customers, validate=False)
        date = pd.Timestamp("2023-06-30")
        t_with = best_of(with_decisions.as_of, date)
        t_without = best_of(without.as_of, date)
        print(f"{n:>10,} {len(decisions):>10,} {t_with:>8.3f} {t_without:>18.3f} {validate:>9.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000])
