"""Child process for the archive tests (run as a script with PYTHONPATH at the worktree).

    python _archive_child.py kill  PATH N        begin a run, write N snapshot rows, print READY, sleep
    python _archive_child.py hold  PATH          begin a run, print READY, wait for a stdin line, commit
    python _archive_child.py write PATH RUN_ID N TIMEOUT   one full run of N rows, waiting up to TIMEOUT s
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from riskkit.monitoring import Archive, ArchiveBusyError


def snapshot_rows(n: int, prefix: str = "C") -> pd.DataFrame:
    rng = np.random.default_rng(n)
    return pd.DataFrame({"customer_id": [f"{prefix}{i:06d}" for i in range(n)], "pd": rng.uniform(0, 0.2, n),
                         "grade": rng.choice(["AA", "A", "BBB"], n), "current_dpd": rng.integers(0, 90, n)})


def main(argv):
    mode, path = argv[0], argv[1]
    if mode == "kill":
        archive = Archive(path)
        with archive.run("2024-07-31", run_id="doomed") as run:
            run.add_snapshots(snapshot_rows(int(argv[2])))
            print("READY", flush=True)
            time.sleep(120)
    elif mode == "hold":
        archive = Archive(path)
        with archive.run("2024-07-31", run_id="held") as run:
            run.add_snapshots(snapshot_rows(10))
            print("READY", flush=True)
            sys.stdin.readline()
        print("DONE", flush=True)
    elif mode == "write":
        run_id, n, timeout = argv[2], int(argv[3]), float(argv[4])
        try:
            archive = Archive(path, timeout=timeout)
            with archive.run("2024-08-31", run_id=run_id) as run:
                run.add_snapshots(snapshot_rows(n, prefix=run_id))
        except ArchiveBusyError as exc:
            print(f"BUSY {exc}", flush=True)
            return 3
        print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
