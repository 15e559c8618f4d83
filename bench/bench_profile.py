"""Benchmark: point-in-time profile of 100,000 customers with about 10 million invoices.

Times ``riskkit.profile.build_profile`` (snapshot included), ``riskkit.limits.exposure``
and ``riskkit.profile.default_flags`` on one as_of date and reports wall time and peak
resident memory (Linux ``VmHWM``, reset before each step through
``/proc/self/clear_refs``, so each step's peak is its own; the portfolio itself is part of
it).  Target: the profile in under 30 s and 8 GB.

The data come from ``riskkit.data.generate_portfolio(n, seed=1)`` when it exists, else
from a quick synthetic ledger built here (``--quick`` forces it): 100 invoices, 20 orders,
4 statements, 4 bureau reports and 3 events per customer on average over 2021-2024.

Run: ``.venv/bin/python bench/bench_profile.py [--customers N] [--as-of DATE] [--quick]
[--sample-dates 2022-12-31 2023-12-31 ...]`` (the last also times ``development_sample``
with pandas and on a 2-worker ``dask.distributed.LocalCluster``; the dask row's peak RSS
is the main process only).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd

from riskkit.data import Portfolio
from riskkit.data.schemas import EVENT_CATEGORIES
from riskkit.limits import exposure
from riskkit.profile import build_profile, default_flags, development_sample

START, END = np.datetime64("2021-01-01"), np.datetime64("2024-12-31")


def _dates(days_from_start: np.ndarray) -> np.ndarray:
    return (START + days_from_start.astype("timedelta64[D]")).astype("datetime64[ns]")


def quick_portfolio(n: int, seed: int = 1) -> Portfolio:
    """A vectorised synthetic book with the data model's columns (not validated)."""
    rng = np.random.default_rng(seed)
    span = int((END - START).astype(int))
    ids = np.char.add("C", np.char.zfill(np.arange(n).astype(str), 6)).astype(object)
    quality = rng.normal(size=n)                          # latent: higher is better
    customers = pd.DataFrame({
        "customer_id": pd.array(ids, dtype="str"),
        "name": pd.array(ids, dtype="str"),
        "kind": rng.choice(["enterprise", "individual"], n, p=[0.9, 0.1]),
        "industry": rng.choice(["retail", "manufacturing", "construction", "services"], n),
        "region": rng.choice(["east", "north", "south", "west"], n),
        "ownership_type": rng.choice(["central_soe", "local_soe", "private", "foreign"], n),
        "state_ownership_pct": rng.uniform(0, 100, n).round(1),
        "registered_capital": rng.lognormal(14, 1, n),
        "founded": _dates(rng.integers(-8000, -400, n)),
        "onboarded": _dates(rng.integers(-400, span // 2, n)),
        "payment_terms_days": rng.choice([30, 60, 90], n).astype(np.int64),
        "credit_limit": rng.lognormal(12, 1, n).round(-2),
    })
    for c in ("kind", "industry", "region", "ownership_type"):
        customers[c] = customers[c].astype("str")

    def rows_per_customer(mean: float) -> np.ndarray:
        return np.repeat(np.arange(n), rng.poisson(mean, n))

    code = rows_per_customer(100)
    m = len(code)
    issue = rng.integers(0, span, m)
    terms = customers["payment_terms_days"].to_numpy()[code]
    delay = rng.gamma(2.0, 6.0 * np.exp(-0.5 * quality[code]), m).astype(np.int64)
    paid = issue + np.maximum(terms - 10 + delay, 0)
    open_ = paid > span
    invoices = pd.DataFrame({
        "invoice_id": pd.array(np.char.add("I", np.arange(m).astype(str)).astype(object), dtype="str"),
        "customer_id": customers["customer_id"].to_numpy()[code],
        "issue_date": _dates(issue), "due_date": _dates(issue + terms),
        "amount": rng.lognormal(8, 1, m).round(2),
        "paid_date": np.where(open_, np.datetime64("NaT"), _dates(np.minimum(paid, span))),
        "paid_amount": 0.0,
    })
    invoices["customer_id"] = invoices["customer_id"].astype("str")
    invoices["paid_date"] = invoices["paid_date"].astype("datetime64[ns]")
    invoices["paid_amount"] = np.where(open_, 0.0, invoices["amount"].to_numpy())

    code = rows_per_customer(20)
    k = len(code)
    placed = rng.integers(0, span, k)
    closed = placed + rng.integers(1, 40, k)
    status = rng.choice(["fulfilled", "cancelled"], k, p=[0.95, 0.05]).astype(object)
    status[closed > span] = "open"
    orders = pd.DataFrame({
        "order_id": pd.array(np.char.add("O", np.arange(k).astype(str)).astype(object), dtype="str"),
        "customer_id": customers["customer_id"].to_numpy()[code],
        "order_date": _dates(placed), "amount": rng.lognormal(8, 1, k).round(2),
        "status": pd.array(status, dtype="str"),
        "closed_date": np.where(closed > span, np.datetime64("NaT"), _dates(np.minimum(closed, span))),
    })
    orders["customer_id"] = orders["customer_id"].astype("str")
    orders["closed_date"] = orders["closed_date"].astype("datetime64[ns]")

    code = np.repeat(np.arange(n), 4)
    year = np.tile(np.arange(2020, 2024), n)
    ta = rng.lognormal(15, 1, len(code))
    tl = ta * rng.uniform(0.2, 0.9, len(code))
    ca = ta * rng.uniform(0.2, 0.6, len(code))
    financials = pd.DataFrame({
        "customer_id": customers["customer_id"].to_numpy()[code],
        "period_end": pd.to_datetime(year.astype(str) + "-12-31").astype("datetime64[ns]"),
        "published_date": (pd.to_datetime(year.astype(str) + "-12-31")
                           + pd.to_timedelta(rng.integers(60, 150, len(code)), unit="D")
                           ).astype("datetime64[ns]"),
        "revenue": ta * rng.uniform(0.5, 2, len(code)),
        "ebit": ta * rng.normal(0.06, 0.05, len(code)),
        "net_income": ta * rng.normal(0.03, 0.05, len(code)),
        "total_assets": ta, "total_liabilities": tl, "current_assets": ca,
        "current_liabilities": tl * rng.uniform(0.3, 0.8, len(code)),
        "retained_earnings": ta * rng.normal(0.1, 0.1, len(code)),
        "equity": ta - tl, "cash": ca * 0.2, "interest_expense": tl * 0.04,
    })
    financials["customer_id"] = financials["customer_id"].astype("str")

    code = np.repeat(np.arange(n), 4)
    bureau = pd.DataFrame({
        "customer_id": customers["customer_id"].to_numpy()[code],
        "report_date": _dates(np.tile([0, 365, 730, 1095], n)),
        "source": np.tile(["alpha", "beta"], 2 * n),
        "score": (600 + 50 * quality[code] + rng.normal(0, 20, len(code))).round(),
        "delinquencies": rng.poisson(0.3, len(code)), "inquiries": rng.poisson(2, len(code)),
    })
    bureau["customer_id"] = bureau["customer_id"].astype("str")
    bureau["source"] = bureau["source"].astype("str")

    code = rows_per_customer(3)
    events = pd.DataFrame({
        "event_id": pd.array(np.char.add("E", np.arange(len(code)).astype(str)).astype(object),
                             dtype="str"),
        "customer_id": customers["customer_id"].to_numpy()[code],
        "date": _dates(rng.integers(0, span, len(code))),
        "category": pd.array(rng.choice(EVENT_CATEGORIES, len(code)).astype(object), dtype="str"),
        "severity": rng.integers(1, 6, len(code)), "source": "news", "text": "",
    })
    events["customer_id"] = events["customer_id"].astype("str")
    events["source"] = events["source"].astype("str")
    events["text"] = events["text"].astype("str")

    defaulted = np.flatnonzero(rng.random(n) < 0.02)
    defaults = pd.DataFrame({
        "customer_id": customers["customer_id"].to_numpy()[defaulted],
        "default_date": _dates(rng.integers(0, span, len(defaulted))),
        "reason": "write_off"})
    defaults["customer_id"] = defaults["customer_id"].astype("str")
    defaults["reason"] = defaults["reason"].astype("str")
    return Portfolio(customers, invoices, orders, financials, bureau, events, None, defaults,
                     validate=False)


def load_portfolio(n: int, quick: bool) -> tuple[Portfolio, str]:
    if not quick:
        try:
            from riskkit.datasets.synthetic import generate_portfolio
        except ImportError:
            pass
        else:
            return generate_portfolio(n, seed=1), "rk.datasets.generate_portfolio(seed=1)"
    return quick_portfolio(n, seed=1), "bench quick ledger (seed=1)"


def _status_kib(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    return float("nan")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")           # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


def measure(name: str, func) -> dict:
    _reset_peak()
    before = _status_kib("VmRSS")
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    peak = _status_kib("VmHWM")
    return {"step": name, "seconds": round(seconds, 2), "rss_before_gib": round(before / 2**20, 2),
            "peak_rss_gib": round(peak / 2**20, 2), "rows": len(result)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--as-of", default="2024-06-30")
    parser.add_argument("--quick", action="store_true", help="use the bench's own quick ledger")
    parser.add_argument("--sample-dates", nargs="*", default=[],
                        help="also time development_sample over these as_of dates, pandas and "
                             "on a 2-worker dask.distributed LocalCluster")
    args = parser.parse_args()
    # labels near the end of the data are right-censored; the warning is not the point here
    warnings.filterwarnings("ignore", message=".*right-censored.*", category=UserWarning)

    start = time.perf_counter()
    portfolio, source = load_portfolio(args.customers, args.quick)
    build_seconds = time.perf_counter() - start
    rows = [
        measure("build_profile", lambda: build_profile(portfolio, args.as_of)),
        measure("exposure", lambda: exposure(portfolio, args.as_of)),
        measure("default_flags", lambda: default_flags(portfolio, args.as_of)),
        measure("snapshot only (Portfolio.as_of)", lambda: portfolio.as_of(args.as_of).invoices),
    ]
    if args.sample_dates:
        from distributed import Client, LocalCluster

        rows.append(measure(f"development_sample x{len(args.sample_dates)} (pandas)",
                            lambda: development_sample(portfolio, args.sample_dates)))
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            rows.append(measure(f"development_sample x{len(args.sample_dates)} (dask 2 workers)",
                                lambda: development_sample(portfolio, args.sample_dates,
                                                           scheduler=client)))
    table = pd.DataFrame(rows).set_index("step")
    print(f"riskkit profile benchmark  |  {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cores, pandas {pd.__version__}, "
          f"numpy {np.__version__}")
    print(f"data: {source}: {len(portfolio.customers):,} customers, "
          f"{len(portfolio.invoices):,} invoices, {len(portfolio.orders):,} orders, "
          f"{len(portfolio.events):,} events (generated in {build_seconds:.1f} s); "
          f"as_of {args.as_of}")
    print(table.to_string())
    print(f"process peak RSS (VmHWM since last reset): {_status_kib('VmHWM') / 2**20:.2f} GiB; "
          f"target: build_profile < 30 s and < 8 GiB")


if __name__ == "__main__":
    main()
