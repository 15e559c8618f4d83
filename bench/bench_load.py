"""Benchmark: save and load (with full boundary validation) a large synthetic portfolio.

Usage: .venv/bin/python bench/bench_load.py [n_customers]
Measures wall time of Portfolio validation (every data-model rule, pandera + cross-table
checks) and of a Parquet save -> load round trip, with peak RSS of the process.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time

import riskkit as rk


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(n_customers: int = 100_000) -> None:
    t0 = time.perf_counter()
    portfolio = rk.datasets.generate_portfolio(n_customers, seed=1)
    t_gen = time.perf_counter() - t0
    rows = sum(len(t) for t in portfolio.tables.values())

    t0 = time.perf_counter()
    tables, violations = rk.data.validate_portfolio(portfolio.tables)
    t_validate = time.perf_counter() - t0
    assert violations.empty, violations.head()

    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        portfolio.save(folder, format="parquet")
        t_save = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded = rk.data.load_portfolio(folder)
        t_load = time.perf_counter() - t0
    assert len(loaded.invoices) == len(portfolio.invoices)

    print(f"customers={n_customers:,} rows={rows:,} invoices={len(portfolio.invoices):,}")
    print("| step | seconds |")
    print("|---|---|")
    print(f"| generate | {t_gen:.1f} |")
    print(f"| validate all rules (in memory) | {t_validate:.1f} |")
    print(f"| save Parquet | {t_save:.1f} |")
    print(f"| load Parquet + validate | {t_load:.1f} |")
    print(f"peak RSS {peak_rss_gb():.2f} GB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
