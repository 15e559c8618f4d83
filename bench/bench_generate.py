"""Benchmark of the synthetic portfolio generator: wall time and peak memory.

Run: ``.venv/bin/python bench/bench_generate.py [n_customers ...]`` (default 10,000 and
100,000).  Each size runs in a fresh child process so that its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own; the baseline row is the
memory of the child after importing riskkit, before generating.  Target (issue): 100,000
customers in under 60 s and 8 GB.  CPU seconds (``time.process_time``) are printed too:
on a shared machine they move less than wall time.
"""

from __future__ import annotations

import json
import subprocess
import sys

_CHILD = r"""
import json, resource, sys, time
import riskkit as rk
from riskkit.datasets import generate_portfolio  # noqa: F401  (import cost outside the timing)
n = int(sys.argv[1])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0, c0 = time.perf_counter(), time.process_time()
book = rk.datasets.generate_portfolio(n, seed=42)
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
truth = book.truth
print(json.dumps({
    "n_customers": n, "seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak / 1024, "import_rss_mb": base / 1024,
    "invoices": len(book.invoices), "orders": len(book.orders), "financials": len(book.financials),
    "bureau": len(book.bureau), "events": len(book.events), "relations": len(book.relations),
    "defaults": len(book.defaults), "credit_decisions": len(book.credit_decisions), "contagion_defaults": int(truth["contagion_default"].sum()),
    "group_share": float(truth["group_id"].notna().mean()),
}))
"""


def run(n_customers: int) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(n_customers)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    rows = [run(n) for n in sizes]
    header = f"{'customers':>10} {'seconds':>8} {'cpu s':>6} {'peak RSS MB':>12} {'invoices':>10} {'orders':>9} " \
             f"{'events':>8} {'defaults':>8} {'contagion':>9} {'groups %':>8} {'decisions':>10}"
    print("generate_portfolio(n, seed=42): wall time and peak resident memory (child process)")
    print(header)
    for r in rows:
        print(f"{r['n_customers']:>10,} {r['seconds']:>8.1f} {r['cpu_seconds']:>6.1f} {r['peak_rss_mb']:>12,.0f} "
              f"{r['invoices']:>10,} {r['orders']:>9,} {r['events']:>8,} {r['defaults']:>8,} "
              f"{r['contagion_defaults']:>9,} {100 * r['group_share']:>8.1f} {r['credit_decisions']:>10,}")
    print(f"(memory after imports, before generating: {rows[0]['import_rss_mb']:,.0f} MB)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
