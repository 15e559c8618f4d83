"""``riskkit actions`` and ``riskkit close-action``: the credit controller's work list from the
command line, on a real DuckDB archive written by the archive's own run API.

The expected list is written out by hand from the two nights recorded here (which action is
open, overdue, how old); the close is checked in the archive's hash-chained events.
"""

from __future__ import annotations

import pandas as pd
import pytest

from riskkit.cli import main
from riskkit.monitoring import Archive


def _recommended(rows) -> pd.DataFrame:
    return pd.DataFrame([{"customer_id": c, "action": a, "priority": p, "owner": "credit_controller",
                          "due_date": pd.Timestamp(d), "reason": f"{a} for {c}"} for c, a, p, d in rows])


@pytest.fixture
def archive_path(tmp_path):
    path = tmp_path / "monitor.duckdb"
    archive = Archive(path)
    with archive.run("2024-01-31", run_id="n1") as run:
        run.add_actions(_recommended([("C1", "reduce_limit", "high", "2024-02-07"),
                                      ("C2", "call_customer", "medium", "2024-02-14")]))
    with archive.run("2024-02-29", run_id="n2") as run:
        run.add_actions(_recommended([("C1", "reduce_limit", "high", "2024-03-07"),
                                      ("C3", "require_guarantee", "medium", "2024-03-30")]))
    return path


def test_work_list_printed_and_written(archive_path, tmp_path, capsys):
    out = tmp_path / "work.csv"
    assert main(["actions", "--archive", str(archive_path), "--output", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    # night 2 (2024-02-29): C1's cut persists since night 1 and was due 2024-02-07 (overdue,
    # 29 days, 2 runs); C2's call was no longer recommended (resolved); C3's guarantee is new
    assert printed[0] == "2 open action(s), 1 overdue"
    assert printed[2].split() == ["C1", "reduce_limit", "high", "credit_controller", "2024-02-07", "True", "29",
                                  "2", "persisting"]
    assert printed[3].split() == ["C3", "require_guarantee", "medium", "credit_controller", "2024-03-30", "False",
                                  "0", "1", "opened"]
    written = pd.read_csv(out)
    assert written[["customer_id", "action", "due_date", "overdue"]].values.tolist() == [
        ["C1", "reduce_limit", "2024-02-07", True], ["C3", "require_guarantee", "2024-03-30", False]]
    # measured against another day
    assert main(["actions", "--archive", str(archive_path), "--as-of", "2024-02-01"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "2 open action(s), 0 overdue"


def test_close_action_is_audited_and_leaves_the_list(archive_path, capsys):
    code = main(["close-action", "--archive", str(archive_path), "--customer", "C1", "--action", "reduce_limit",
                 "--by", "jz", "--outcome", "done", "--note", "limit cut to 20k"])
    assert code == 0
    assert capsys.readouterr().out.startswith("closed reduce_limit for C1 (done, by jz): ")
    archive = Archive(archive_path)
    close = archive.table("action_events").iloc[-1]
    assert (close["customer_id"], close["event"], close["closed_by"], close["outcome"], close["note"]) == \
        ("C1", "closed", "jz", "done", "limit cut to 20k")
    assert archive.verify().ok
    assert main(["actions", "--archive", str(archive_path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "1 open action(s), 0 overdue"


@pytest.mark.parametrize("argv, message", [
    (["close-action", "--customer", "C1", "--action", "reduce_limit", "--by", "jz", "--outcome", "finished"],
     "outcome must be one of ['done', 'not_needed', 'superseded']"),
    (["close-action", "--customer", "C2", "--action", "call_customer", "--by", "jz", "--outcome", "done"],
     "not open"),
    (["close-action", "--customer", "C9", "--action", "reduce_limit", "--by", "jz", "--outcome", "done"], "C9"),
    (["actions", "--as-of", "2024-13-01"], "2024-13-01"),
    (["actions", "--output", "work.xlsx"], "--output must name a .csv file"),
])
def test_mistakes_are_one_line(archive_path, capsys, argv, message):
    assert main([argv[0], "--archive", str(archive_path), *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"riskkit {argv[0]}: error: ") and message in err


def test_a_missing_archive_is_not_created(tmp_path, capsys):
    missing = tmp_path / "typo.duckdb"
    assert main(["actions", "--archive", str(missing)]) == 2
    assert "no archive file" in capsys.readouterr().err
    assert not missing.exists()
