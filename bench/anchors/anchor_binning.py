"""Anchor for bench/bench_binning.py: optbinning, toad and scorecardpy on the same data.

Runs in the anchors environment (``requirements/anchors.txt``, built by ``make bench`` as
``.venv-anchors``), never in riskkit's: each library fits its WoE binning and transforms
the frame, with its defaults except where noted, one run each (wall clock):

* optbinning ``BinningProcess`` (defaults) at the bench's rows;
* toad ``Combiner`` (``method="dt"``: a decision tree, 5 % minimum bin; toad's default
  ChiMerge takes minutes per feature at this size) + ``WOETransformer`` at the bench's rows;
* scorecardpy ``woebin`` + ``woebin_ply`` (defaults) at 100,000 rows (5,000 quick): it is
  much slower.

Figures are emitted against riskkit's cases of the same size. ``BENCH_QUICK=1``: 20,000 rows.

Run: ``.venv-anchors/bin/python bench/anchors/anchor_binning.py [--rows N]``
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: shared data and emitter

from _data import make_binning_data
from _results import QUICK, emit

SMALL = 5_000 if QUICK else 100_000  # scorecardpy's rows (it takes minutes at 100,000)


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def run_optbinning(X, y):
    from optbinning import BinningProcess

    process = BinningProcess(list(X.columns))
    process.fit(X, y)
    return process.transform(X, metric="woe")


def run_toad(X, y):
    import toad

    combiner = toad.transform.Combiner()
    combiner.fit(X, y, method="dt", min_samples=0.05)
    return toad.transform.WOETransformer().fit_transform(combiner.transform(X), y)


def run_scorecardpy(X, y):
    import scorecardpy as sc

    frame = X.assign(y=y)
    bins = sc.woebin(frame, y="y", print_step=0)
    return sc.woebin_ply(frame, bins, print_step=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000 if QUICK else 1_000_000)
    parser.add_argument("--features", type=int, default=10)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import optbinning
    import scorecardpy
    import toad

    X, y = make_binning_data(args.rows, args.features)
    case = f"WoE fit+transform, {args.rows:,} rows x {args.features}"
    for name, version, run in (("optbinning BinningProcess", optbinning.__version__, run_optbinning),
                               ("toad Combiner(dt) + WOETransformer", toad.__version__, run_toad)):
        seconds, _ = timed(lambda run=run: run(X, y))
        print(f"{name} {version}: {seconds:.2f} s at {args.rows:,} rows")
        emit(case, seconds, bench="binning", anchor_for=case, anchor=f"{name} {version}")
    small = min(SMALL, args.rows)
    Xs, ys = (X, y) if small == args.rows else make_binning_data(small, args.features)
    seconds, _ = timed(lambda: run_scorecardpy(Xs, ys))
    print(f"scorecardpy {scorecardpy.__version__} woebin + woebin_ply: {seconds:.2f} s at {small:,} rows")
    case = f"WoE fit+transform, {small:,} rows x {args.features}"
    emit(case, seconds, bench="binning", anchor_for=case, anchor=f"scorecardpy woebin {scorecardpy.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
