"""Machine-readable benchmark figures, read by ``bench/collect.py`` (``make bench``).

A bench script calls :func:`emit` once per figure; it prints one line
``BENCH_RESULT {json}`` next to its human-readable table. An anchor script (another
library doing the same job, run in the anchors environment) emits with ``anchor_for``
naming the riskkit figure it is compared with. ``BENCH_QUICK=1`` in the environment asks
every script for a small, fast run that proves the pipeline (figures not comparable).

This module needs only the standard library: the anchors environment imports it too.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

PREFIX = "BENCH_RESULT "

#: True when the run is a quick pipeline check (``BENCH_QUICK=1``)
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def emit(case: str, seconds: float, *, bench: str | None = None, anchor_for: str | None = None,
         goal_seconds: float | None = None, **details) -> None:
    """Print one figure: ``case`` took ``seconds`` (wall clock).

    ``bench`` defaults to the running script's name without ``bench_``/``anchor_``;
    ``anchor_for`` (anchor scripts) is the riskkit ``case`` of the same bench this
    figure is compared with; ``goal_seconds`` states a target; ``details`` are extra
    JSON-serialisable fields (rows, rounds, CPU seconds, library version, ...).
    """
    if bench is None:
        stem = Path(sys.argv[0]).stem
        bench = stem.removeprefix("bench_").removeprefix("anchor_")
    record = {"bench": bench, "case": case, "seconds": float(seconds), "quick": QUICK}
    if anchor_for is not None:
        record["anchor_for"] = anchor_for
    if goal_seconds is not None:
        record["goal_seconds"] = float(goal_seconds)
    record.update(details)
    print(PREFIX + json.dumps(record, sort_keys=True), flush=True)
