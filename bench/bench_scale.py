"""Scale figures: a partitioned book generated, validated, profiled and rated (Dask).

Each step is one ``riskkit`` CLI call in its own process; its wall time and the peak of
the summed resident memory (RSS) of the process and all its descendants (the Dask
LocalCluster's nanny and worker processes included) are sampled every 0.2 s with psutil;
the load averages (1, 5 and 15 minutes, as ``uptime`` shows them) at the start and the
end of the step are printed with it (the cores are shared, and wall times scale with the
load), and so are the time per customer and the CPU seconds of the step (all its
processes; much less dependent on the load than wall time), so that the growth with the
size shows.
With ``--pandas`` the same steps run on a monolithic book (``riskkit synth`` without
partitions, then loading the whole book) for comparison.

Usage::

    python bench/bench_scale.py --n-customers 100000 --partitions 4 --work /tmp/scale100k
    python bench/bench_scale.py --n-customers 1000000 --partitions 40 --work /tmp/scale1m
    python bench/bench_scale.py --n-customers 100000 --pandas --work /tmp/pandas100k
    python bench/bench_scale.py --n-customers 250000 --work /tmp/scale250k --record scale.jsonl
    python bench/bench_scale.py     # make bench: both engines at 50,000 customers, pandas as the anchor

``--partitions`` defaults to one partition per 25,000 customers (rounded up), the size of
the recorded figures.  ``--record FILE`` appends each step's JSON line to ``FILE``.

Steps: ``synth`` (write the book), ``validate`` (``riskkit validate-data``), ``profile``
(``riskkit profile --as-of 2024-06-30``), ``rate`` (``riskkit rate --as-of 2024-06-30
--model MODEL``) and, only when asked (``--steps synth,rate,rate_network``), ``rate_network``
(the same with ``--network``: the network-adjusted PDs on top).  The rating model is developed once (when ``--model`` is missing: the pandas
``fit_portfolio_scorecard`` on a 10,000-customer book) so that every size is rated by
the same scorecard; developing a scorecard is not part of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2024-06-30"
#: customers per partition when --partitions is not given (the recorded figures' size)
PARTITION_CUSTOMERS = 25_000


def load_averages() -> list[float]:
    """The 1-, 5- and 15-minute load averages (as ``uptime`` prints them)."""
    return [round(x, 2) for x in os.getloadavg()]


def run_measured(cmd: list[str], log: Path) -> tuple[float, float, float, float, int]:
    """Run ``cmd``; return (wall seconds, peak summed RSS in GB of it and its descendants,
    CPU seconds of it and its reaped descendants, CPU seconds sampled per process, exit code).

    CPU time, unlike wall time, hardly depends on how many other jobs share the cores: it is
    ``getrusage(RUSAGE_CHILDREN)`` before and after (user + system of the process and every
    descendant it waited for), and, as a check, the sum over the processes seen of their last
    sampled ``cpu_times`` (which misses at most the last 0.2 s of each).
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    cpu_seen: dict[int, float] = {}
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        root = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for p in procs:
                try:
                    total += p.memory_info().rss
                    times = p.cpu_times()
                    cpu_seen[p.pid] = times.user + times.system
                except psutil.NoSuchProcess:
                    pass
            peak = max(peak, total)
            time.sleep(0.2)
        proc.wait()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak / 1e9, cpu, sum(cpu_seen.values()), proc.returncode


def fit_model(target: Path) -> None:
    """Develop the scorecard used for every rating (pandas path, 10,000 customers)."""
    import riskkit as rk

    book = rk.datasets.generate_portfolio(10_000, seed=7)
    dates = rk.assess.development_dates(AS_OF)
    card, _ = rk.assess.fit_portfolio_scorecard(book, dates)
    target.write_text(card.to_json(), encoding="utf-8")


def run_steps(n_customers: int, partitions: int | None, pandas: bool, work: Path, model: Path, steps: str,
              seed: int, record: Path | None) -> list[dict]:
    """Run the steps on one book; print and return one row per step (stops at a failure)."""
    work.mkdir(parents=True, exist_ok=True)
    book = work / "book"
    cli = [sys.executable, "-m", "riskkit.cli"]
    commands = {
        "synth": [*cli, "synth", "--n-customers", str(n_customers), "--seed", str(seed),
                  "--output", str(book)] + ([] if pandas else ["--partitions", str(partitions)]),
        "validate": [*cli, "validate-data", str(book)],
        "profile": [*cli, "profile", "--data", str(book), "--as-of", AS_OF,
                    "--output", str(work / "profile.parquet")],
        "rate": [*cli, "rate", "--data", str(book), "--as-of", AS_OF, "--model", str(model),
                 "--output", str(work / "ratings.parquet")],
        # the rating plus the network-adjusted PD (riskkit.assess.network_pd_partitioned)
        "rate_network": [*cli, "rate", "--data", str(book), "--as-of", AS_OF, "--model", str(model),
                         "--output", str(work / "ratings_network.parquet"), "--network"],
    }
    label = "pandas" if pandas else f"dask, {partitions} partitions"
    rows = []
    for step in steps.split(","):
        load_before, started = load_averages(), time.strftime("%H:%M:%S", time.gmtime())
        wall, peak, cpu, cpu_sampled, code = run_measured(commands[step], work / f"{step}.log")
        row = {"n_customers": n_customers, "engine": label, "step": step, "seconds": round(wall, 1),
               "ms_per_customer": round(1000 * wall / n_customers, 2), "cpu_seconds": round(cpu, 1),
               "cpu_seconds_sampled": round(cpu_sampled, 1), "peak_rss_gb": round(peak, 2),
               "exit": code, "utc_start": started, "utc_end": time.strftime("%H:%M:%S", time.gmtime()),
               "load_avg_start": load_before, "load_avg_end": load_averages()}
        print(json.dumps(row), flush=True)
        rows.append(row)
        if record is not None:
            with open(record, "a", encoding="utf-8") as out:
                out.write(json.dumps(row) + "\n")
        if code != 0:
            print((work / f"{step}.log").read_text()[-2000:], file=sys.stderr)
            break
    return rows


def compare(n_customers: int, model: Path, seed: int) -> int:
    """``make bench``'s run: the same book size on the Dask path (partitions of a quarter of
    the book) and on the pandas path (its anchor), in a temporary folder, one figure per step."""
    from _results import emit

    partitions = 4
    with tempfile.TemporaryDirectory(prefix="riskkit_scale_") as tmp:
        dask_rows = run_steps(n_customers, partitions, False, Path(tmp) / "dask", model,
                              "synth,validate,profile,rate", seed, None)
        pandas_rows = run_steps(n_customers, None, True, Path(tmp) / "pandas", model,
                                "synth,validate,profile,rate", seed, None)
    failed = [r for r in dask_rows + pandas_rows if r["exit"] != 0]
    for d in dask_rows:
        case = f"partitioned book on Dask ({partitions} partitions), {d['step']}, {n_customers:,} customers"
        emit(case, d["seconds"], cpu_seconds=d["cpu_seconds"], peak_rss_gb=d["peak_rss_gb"])
        match = [p for p in pandas_rows if p["step"] == d["step"]]
        if match:
            emit(case, match[0]["seconds"], anchor_for=case, anchor="pandas path (monolithic book)",
                 cpu_seconds=match[0]["cpu_seconds"], peak_rss_gb=match[0]["peak_rss_gb"])
    return 1 if failed else 0


def main() -> int:
    from _results import QUICK

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-customers", type=int, default=None,
                        help="book size; without it (make bench) both engines run at 50,000 customers "
                             "(5,000 with BENCH_QUICK=1) in a temporary folder")
    parser.add_argument("--partitions", type=int, default=None,
                        help=f"partitions of the book (default: one per {PARTITION_CUSTOMERS:,} customers)")
    parser.add_argument("--pandas", action="store_true", help="monolithic book, pandas path")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (book and outputs)")
    parser.add_argument("--model", type=Path, default=Path(tempfile.gettempdir()) / "riskkit_scale_model.json",
                        help="scorecard JSON used for every rating (developed once if missing)")
    parser.add_argument("--steps", default="synth,validate,profile,rate")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--record", type=Path, default=None, help="append each step's JSON line to this file")
    args = parser.parse_args()
    if "rate" in args.steps and not args.model.exists():    # rate and rate_network
        fit_model(args.model)
    if args.n_customers is None:
        return compare(5_000 if QUICK else 50_000, args.model, args.seed)
    if args.work is None:
        parser.error("--work is required with --n-customers")
    if args.partitions is None and not args.pandas:
        args.partitions = -(-args.n_customers // PARTITION_CUSTOMERS)
    rows = run_steps(args.n_customers, args.partitions, args.pandas, args.work, args.model, args.steps,
                     args.seed, args.record)
    return 1 if any(r["exit"] != 0 for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
