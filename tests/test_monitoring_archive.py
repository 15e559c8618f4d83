"""The monitoring archive on real DuckDB files, with real child processes for the kill and
lock tests.  References: hand-computed sha256 chains (hashlib), hand-derived alert life
cycles and run differences, and tampering done with duckdb directly behind the kit's back."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskkit import RiskkitError
from riskkit.monitoring import (SCHEMA_VERSION, Archive, ArchiveBusyError, ArchiveError, ArchiveInputError,
                                ArchiveVersionError)

ROOT = Path(__file__).resolve().parents[1]
CHILD = Path(__file__).with_name("_archive_child.py")
GENESIS = "0" * 64


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def child(*args, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(CHILD), *map(str, args)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def wait_line(proc: subprocess.Popen, expect: str, seconds: float = 60) -> str:
    line = proc.stdout.readline()
    if not line.startswith(expect):
        proc.kill()
        raise AssertionError(f"child said {line!r}; stderr: {proc.stderr.read()[-2000:]}")
    return line


def ratings(ids, grade, pd_, limit, **extra) -> pd.DataFrame:
    frame = pd.DataFrame({"customer_id": ids, "grade": grade, "pd": pd_, "credit_limit": limit, **extra})
    return frame.set_index("customer_id")


def alerts(rows) -> pd.DataFrame:
    return pd.DataFrame([{"customer_id": c, "rule": r, "level": lvl, "message": f"{r} on {c}",
                          "recipients": ("risk@corp.example",)} for c, r, lvl in rows],
                        columns=["customer_id", "rule", "level", "message", "recipients"])


# ------------------------------------------------------------------------------- schema

def test_new_file_gets_schema_and_version(tmp_path):
    path = tmp_path / "a.duckdb"
    Archive(path)
    con = duckdb.connect(str(path))
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    con.close()
    assert {"runs", "snapshots", "alerts", "alert_events", "overrides", "limit_decisions", "actions", "outbox",
            "deliveries", "commits", "meta"} <= tables
    assert version == [(str(SCHEMA_VERSION),)]


def test_newer_schema_version_refused(tmp_path):
    path = tmp_path / "a.duckdb"
    Archive(path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(ArchiveVersionError, match=f"version {SCHEMA_VERSION + 1}.*upgrade riskkit"):
        Archive(path)


def test_foreign_duckdb_file_refused(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (x INT)")
    con.close()
    with pytest.raises(ArchiveError, match="not a riskkit archive"):
        Archive(path)


# ------------------------------------------------------------------------------- writing and reading

def test_snapshot_round_trip_core_and_extra_fields(tmp_path):
    archive = Archive(tmp_path / "a.duckdb")
    snap = ratings(["C1", "C2", "C3"], ["AA", "BBB", None], [0.01, 0.05, np.nan], [1e5, 5e4, 0.0],
                   current_dpd=[0, 35, 120], revenue=[8e7, np.nan, 1.25], industry=["retail", "steel", None],
                   orders_drop_flag=[False, True, False])
    with archive.run("2024-06-30", run_id="r1") as run:
        assert run.add_snapshots(snap) == 3
    got = archive.snapshot("r1")
    assert list(got.index) == ["C1", "C2", "C3"]
    assert got["grade"].tolist()[:2] == ["AA", "BBB"] and pd.isna(got.loc["C3", "grade"])
    assert got["pd"].tolist()[:2] == [0.01, 0.05] and np.isnan(got.loc["C3", "pd"])
    assert got["current_dpd"].tolist() == [0, 35, 120] and got["current_dpd"].dtype.kind == "i"
    assert got.loc["C1", "revenue"] == 8e7 and np.isnan(got.loc["C2", "revenue"]) and got.loc["C3", "revenue"] == 1.25
    assert got["industry"].tolist()[:2] == ["retail", "steel"]
    assert got["orders_drop_flag"].tolist() == [False, True, False]
    assert got["score"].isna().all()  # absent core columns are NULL, not invented


def test_row_hashes_match_a_hand_computed_sha256_chain():
    archive = Archive(":memory:")
    snap = ratings(["C1", "C2"], ["BBB", "A"], [0.0125, 0.5], [100000.0, 2.5], current_dpd=[0, 7])
    snap.insert(0, "score", [612.5, 700.0])
    snap["ead"] = [np.nan, 1.0]
    with archive.run("2024-06-30", run_id="r1") as run:
        run.add_snapshots(snap)
    # canonical: "<table>|<seq>|" then per column "<utf-8 length>:<DuckDB text>" or "~" for NULL, in the order
    # run_id, customer_id, score, pd, grade, credit_limit, ead, expected_loss, extra
    row0 = 'snapshots|0|2:r12:C15:612.56:0.01253:BBB8:100000.0~~17:{"current_dpd":0}'
    row1 = 'snapshots|1|2:r12:C25:700.03:0.51:A3:2.53:1.0~17:{"current_dpd":7}'
    h0 = sha(GENESIS + sha(row0))
    h1 = sha(h0 + sha(row1))
    assert archive.table("snapshots")["row_hash"].tolist() == [h0, h1]


def test_latest_run_previous_snapshot_and_ties():
    archive = Archive(":memory:")
    assert archive.latest_run() is None and archive.previous_snapshot("2024-01-31") is None
    for run_id, day, grade in [("jan", "2024-01-31", "A"), ("feb", "2024-02-29", "BBB"),
                               ("feb-rerun", "2024-02-29", "BB"), ("mar", "2024-03-31", "B")]:
        with archive.run(day, run_id=run_id) as run:
            run.add_snapshots(ratings(["C1"], [grade], [0.01], [1.0]))
    assert archive.latest_run().run_id == "mar"
    assert archive.latest_run(before="2024-03-31").run_id == "feb-rerun"  # strictly before; later commit wins
    assert archive.latest_run(before="2024-02-29").run_id == "jan"
    assert archive.latest_run(before="2024-01-31") is None
    assert archive.previous_snapshot("2024-03-15").loc["C1", "grade"] == "BB"
    assert archive.runs()["run_id"].tolist() == ["jan", "feb", "feb-rerun", "mar"]


def test_quotes_and_sql_fragments_are_stored_verbatim():
    archive = Archive(":memory:")
    nasty = "C1'); DROP TABLE runs; --"
    with archive.run("2024-06-30", run_id="r1", note="it's \"quoted\"") as run:
        run.add_snapshots(ratings([nasty], ["A"], [0.01], [1.0]))
    assert archive.snapshot("r1").index.tolist() == [nasty]
    assert archive.customer_timeline(nasty)["grade"].tolist() == ["A"]
    assert archive.run_info("r1").note == "it's \"quoted\"" and archive.verify().ok


def test_decisions_actions_overrides_and_timeline():
    archive = Archive(":memory:")
    with archive.run("2024-01-31", run_id="r1") as run:
        run.add_snapshots(ratings(["C1", "C2"], ["A", "BBB"], [0.02, 0.05], [1e5, 5e4]))
        run.add_alerts(alerts([("C2", "dpd_30", "yellow")]))
    with archive.run("2024-02-29", run_id="r2") as run:
        run.add_snapshots(ratings(["C1", "C2"], ["A", "BB"], [0.02, 0.09], [1e5, 5e4]))
        run.add_alerts(alerts([("C2", "dpd_30", "orange"), ("C2", "downgrade", "orange")]))
        run.add_limit_decisions(pd.DataFrame({"customer_id": ["C2"], "credit_limit": [2e4], "previous_limit": [5e4],
                                              "method": ["rating_matrix"], "reason": ["downgrade to BB"],
                                              "committee": ["CC-7"]}))
        run.add_actions(pd.DataFrame({"customer_id": ["C2", "C2"], "action": ["reduce_limit", "call_customer"],
                                      "owner": ["credit", "sales"], "due_date": ["2024-03-07", "2024-03-03"]}))
        run.add_overrides(pd.DataFrame({"customer_id": ["C1"], "from_grade": ["A"], "to_grade": ["AA"], "notches": [-1],
                                        "reason": ["parent guarantee"], "author": ["jz"],
                                        "timestamp": [pd.Timestamp("2024-02-28 10:00")]}))
    with archive.run("2024-03-31", run_id="r3") as run:
        run.add_snapshots(ratings(["C1", "C2"], ["A", "BB"], [0.02, 0.09], [1e5, 2e4]))
        run.add_alerts(alerts([]))
    tl = archive.customer_timeline("C2")
    assert tl["run_id"].tolist() == ["r1", "r2", "r3"]
    assert tl["grade"].tolist() == ["BBB", "BB", "BB"]
    assert tl["alerts"].tolist()[:2] == ["yellow:dpd_30 (opened)",
                                         "orange:dpd_30 (escalated); orange:downgrade (opened)"]
    assert tl["closed_alerts"].tolist()[2] == "downgrade; dpd_30"  # closed in (customer, rule) order
    assert tl["decided_limit"].tolist()[1] == 2e4 and tl["actions"].tolist()[1] == \
        "reduce_limit (opened); call_customer (opened)"
    assert archive.customer_timeline("C1")["overrides"].fillna("-").tolist() == ["-", "A->AA", "-"]
    assert archive.table("limit_decisions")["extra"].tolist() == ['{"committee":"CC-7"}']
    assert archive.customer_timeline("nobody").empty


def test_alert_life_cycle_hand_derived():
    archive = Archive(":memory:")

    def step(run_id, day, rows, **kw):
        with archive.run(day, run_id=run_id) as run:
            out = run.add_alerts(alerts(rows)) if rows is not None else None
        return out

    r1 = step("r1", "2024-01-31", [("C1", "dpd", "red"), ("C2", "drop", "yellow")])
    assert r1["event"].tolist() == ["opened", "opened"]
    r2 = step("r2", "2024-02-29", [("C1", "dpd", "red"), ("C2", "drop", "orange"), ("C3", "bureau", "info")])
    assert r2["event"].tolist() == ["persisting", "escalated", "opened"]
    assert r2["alert_id"].iloc[0] == r1["alert_id"].iloc[0] and r2["first_seen_run"].tolist() == ["r1", "r1", "r2"]
    assert r2["previous_level"].tolist()[:2] == ["red", "yellow"] and r2["previous_level"].iloc[2] is None
    step("r2b", "2024-03-15", None)  # a run that does not monitor alerts closes nothing
    assert len(archive.open_alerts()) == 3
    r3 = step("r3", "2024-03-31", [("C2", "drop", "yellow")])
    assert r3["event"].tolist() == ["deescalated"]
    open3 = archive.open_alerts()
    assert open3[["customer_id", "rule", "level", "first_seen_run", "last_run"]].values.tolist() == \
        [["C2", "drop", "yellow", "r1", "r3"]]
    assert open3["recipients"].tolist() == [("risk@corp.example",)]
    r4 = step("r4", "2024-04-30", [("C1", "dpd", "orange")])
    assert r4["event"].tolist() == ["opened"] and r4["alert_id"].iloc[0] != r1["alert_id"].iloc[0]
    events = archive.table("alert_events")
    got = events[["run_id", "customer_id", "rule", "event"]].values.tolist()
    assert got == [
        ["r1", "C1", "dpd", "opened"], ["r1", "C2", "drop", "opened"],
        ["r2", "C1", "dpd", "persisting"], ["r2", "C2", "drop", "escalated"], ["r2", "C3", "bureau", "opened"],
        ["r3", "C2", "drop", "deescalated"], ["r3", "C1", "dpd", "closed"], ["r3", "C3", "bureau", "closed"],
        ["r4", "C1", "dpd", "opened"], ["r4", "C2", "drop", "closed"]]
    assert archive.open_alerts()["customer_id"].tolist() == ["C1"]


def test_diff_runs_hand_derived():
    archive = Archive(":memory:")
    with archive.run("2024-01-31", run_id="a") as run:
        run.add_snapshots(ratings(["C1", "C2", "C3"], ["AA", "BBB", "A"], [0.01, 0.05, 0.02], [1e5, 5e4, 2e4]))
        run.add_alerts(alerts([("C2", "dpd", "yellow"), ("C3", "drop", "info")]))
    with archive.run("2024-02-29", run_id="b") as run:
        run.add_snapshots(ratings(["C1", "C2", "C4"], ["AA", "BB", "B"], [0.01, 0.08, 0.2], [1e5, 4e4, 1e3]))
        run.add_alerts(alerts([("C2", "dpd", "orange"), ("C4", "new_customer", "info")]))
    diff = archive.diff_runs("a", "b")
    c = diff.customers
    assert c.index.tolist() == ["C2", "C3", "C4"]  # C1 unchanged
    assert c["change"].tolist() == ["changed", "dropped", "new"]
    assert c.loc["C2", ["grade_a", "grade_b", "pd_a", "pd_b", "credit_limit_a", "credit_limit_b"]].tolist() == \
        ["BBB", "BB", 0.05, 0.08, 5e4, 4e4]
    assert diff.new_alerts[["customer_id", "rule"]].values.tolist() == [["C4", "new_customer"]]
    assert diff.closed_alerts[["customer_id", "rule"]].values.tolist() == [["C3", "drop"]]
    assert diff.level_changes.values.tolist() == [["C2", "dpd", "yellow", "orange"]]
    assert diff.summary() == ("a -> b: 1 customers changed (1 grade changes), 1 new, 1 dropped; "
                              "alerts: 1 new, 1 closed, 1 changed level")
    with pytest.raises(ArchiveError, match="no committed run 'zz'"):
        archive.diff_runs("a", "zz")


# ------------------------------------------------------------------------------- transactions

def test_exception_rolls_back_and_records_failed_run(tmp_path):
    archive = Archive(tmp_path / "a.duckdb")
    with archive.run("2024-01-31", run_id="ok") as run:
        run.add_snapshots(ratings(["C1"], ["A"], [0.01], [1.0]))
    with pytest.raises(ZeroDivisionError):
        with archive.run("2024-02-29", run_id="bad") as run:
            run.add_snapshots(ratings(["C1", "C2"], ["A", "B"], [0.01, 0.2], [1.0, 2.0]))
            run.add_alerts(alerts([("C2", "dpd", "red")]))
            1 / 0
    assert archive.runs()[["run_id", "status"]].values.tolist() == [["ok", "committed"], ["bad", "failed"]]
    assert archive.run_info("bad").note == "ZeroDivisionError: division by zero"
    assert len(archive.table("snapshots")) == 1 and len(archive.table("alerts")) == 0
    assert archive.latest_run().run_id == "ok"
    with pytest.raises(ArchiveError, match="no committed run 'bad'"):
        archive.snapshot("bad")
    with pytest.raises(ArchiveError, match="closed"):
        run.add_snapshots(ratings(["C9"], ["A"], [0.01], [1.0]))
    assert archive.verify().ok


def test_nested_run_and_verify_inside_run_refused():
    archive = Archive(":memory:")
    with archive.run("2024-01-31") as run:
        with pytest.raises(ArchiveError, match="already open"):
            with archive.run("2024-02-29"):
                pass
        with pytest.raises(ArchiveError, match="inside an open run"):
            archive.verify()
        run.add_snapshots(ratings(["C1"], ["A"], [0.01], [1.0]))
    assert archive.verify().ok and len(archive.runs()) == 1


@pytest.mark.slow
def test_sigkill_mid_transaction_leaves_previous_state(tmp_path):
    path = tmp_path / "a.duckdb"
    archive = Archive(path)
    with archive.run("2024-06-30", run_id="before") as run:
        run.add_snapshots(ratings([f"C{i}" for i in range(1000)], "A", 0.01, 1.0))
    head = archive.head()
    proc = child("kill", path, 20_000)
    try:
        wait_line(proc, "READY")  # 20,000 rows written inside the open transaction
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    reopened = Archive(path)
    assert reopened.runs()["run_id"].tolist() == ["before"]
    assert len(reopened.table("snapshots")) == 1000
    assert reopened.head() == head
    result = reopened.verify()
    assert result.ok, result.summary()
    with reopened.run("2024-07-31", run_id="after") as run:  # and the archive is writable again
        run.add_snapshots(ratings(["C1"], ["B"], [0.1], [1.0]))
    assert reopened.verify().ok


# ------------------------------------------------------------------------------- concurrency

@pytest.mark.slow
def test_second_process_gets_busy_error_then_waits(tmp_path):
    path = tmp_path / "a.duckdb"
    Archive(path)
    proc = child("hold", path, stdin=subprocess.PIPE)
    try:
        wait_line(proc, "READY")
        with pytest.raises(ArchiveBusyError, match="in use by another process") as info:
            Archive(path)
        assert isinstance(info.value, RiskkitError)
        t0 = time.monotonic()
        with pytest.raises(ArchiveBusyError, match="waiting 0.5 s"):
            Archive(path, timeout=0.5)
        assert time.monotonic() - t0 >= 0.5
        proc.stdin.write("go\n")
        proc.stdin.flush()
        waited = Archive(path, timeout=30)  # retries until the holder commits and closes
        assert waited.runs()["run_id"].tolist() == ["held"]
        assert wait_line(proc, "DONE")
    finally:
        proc.kill()
        proc.wait(10)
    assert Archive(path).verify().ok


@pytest.mark.slow
def test_two_concurrent_writers_take_turns_and_never_corrupt(tmp_path):
    path = tmp_path / "a.duckdb"
    Archive(path)
    procs = [child("write", path, f"w{k}", 5_000, 60) for k in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    archive = Archive(path)
    assert sorted(archive.runs()["run_id"]) == ["w0", "w1"]
    assert len(archive.table("snapshots")) == 10_000
    assert archive.verify().ok


# ------------------------------------------------------------------------------- tampering

@pytest.fixture(scope="module")
def two_run_file(tmp_path_factory):
    """An archive file with two runs, built once; each test tampers with its own copy."""
    path = tmp_path_factory.mktemp("base") / "base.duckdb"
    archive = Archive(path)
    for run_id, day in [("r1", "2024-01-31"), ("r2", "2024-02-29")]:
        with archive.run(day, run_id=run_id) as run:
            run.add_snapshots(ratings([f"C{i:03d}" for i in range(10)], "A", 0.01, 1e5))
            run.add_alerts(alerts([("C001", "dpd", "red"), ("C002", "drop", "yellow")]))
    return path


def _copy(base, path) -> Archive:
    shutil.copyfile(base, path)
    return Archive(path)


def _tamper(path, *statements):
    con = duckdb.connect(str(path))
    for sql, params in statements:
        con.execute(sql, params)
    con.close()


def seq_of(path, table, where, params):
    con = duckdb.connect(str(path))
    seq = con.execute(f"SELECT seq FROM {table} WHERE {where}", params).fetchall()[0][0]
    con.close()
    return seq


def test_untouched_archive_verifies(tmp_path, two_run_file):
    archive = _copy(two_run_file, tmp_path / "a.duckdb")
    result = archive.verify()
    assert result.ok and result.table is None and result.problems.empty
    assert result.rows["snapshots"] == 20 and result.rows["runs"] == 2
    assert "intact" in result.summary()


def test_updated_value_is_named_by_table_and_row(tmp_path, two_run_file):
    path = tmp_path / "a.duckdb"
    archive = _copy(two_run_file, path)
    seq = seq_of(path, "snapshots", "run_id = ? AND customer_id = ?", ["r1", "C003"])
    _tamper(path, ("UPDATE snapshots SET pd = 0.5 WHERE run_id = ? AND customer_id = ?", ["r1", "C003"]))
    result = archive.verify()
    assert not result.ok
    assert (result.table, result.seq, result.key) == ("snapshots", seq, {"run_id": "r1", "customer_id": "C003"})
    assert "edited" in result.reason and "C003" in result.summary()


def test_deleted_row_is_named(tmp_path, two_run_file):
    path = tmp_path / "a.duckdb"
    archive = _copy(two_run_file, path)
    seq = seq_of(path, "alerts", "run_id = ? AND customer_id = ?", ["r1", "C001"])
    _tamper(path, ("DELETE FROM alerts WHERE run_id = ? AND customer_id = ?", ["r1", "C001"]))
    result = archive.verify()
    assert (result.ok, result.table, result.seq) == (False, "alerts", seq)
    assert "missing" in result.reason and "deleted" in result.reason


def test_inserted_row_is_named(tmp_path, two_run_file):
    path = tmp_path / "a.duckdb"
    archive = _copy(two_run_file, path)
    _tamper(path, ("INSERT INTO runs SELECT * REPLACE ('r9' AS run_id, seq + 1 AS seq) FROM runs "
                   "WHERE seq = (SELECT max(seq) FROM runs)", []))
    result = archive.verify()
    assert (result.ok, result.table, result.seq) == (False, "runs", 2)
    assert result.key == {"run_id": "r9", "status": "committed"}
    assert any("not covered by any commit seal" in r for r in result.problems["reason"])


def test_deleted_last_rows_caught_by_commit_seal(tmp_path, two_run_file):
    path = tmp_path / "a.duckdb"
    archive = _copy(two_run_file, path)
    _tamper(path, ("DELETE FROM snapshots WHERE seq = (SELECT max(seq) FROM snapshots)", []))
    result = archive.verify()  # the chain of the remaining rows is intact: only the seal can tell
    assert (result.ok, result.table) == (False, "snapshots")
    assert "sealed 20 rows but 19 remain" in result.reason


def test_edited_row_hash_and_edited_seal_are_caught(tmp_path, two_run_file):
    path = tmp_path / "a.duckdb"
    archive = _copy(two_run_file, path)
    _tamper(path, ("UPDATE alert_events SET row_hash = ? WHERE seq = 1", ["f" * 64]))
    assert (archive.verify().table, archive.verify().seq) == ("alert_events", 1)
    path2 = tmp_path / "b.duckdb"
    archive2 = _copy(two_run_file, path2)
    _tamper(path2, ("UPDATE commits SET heads = replace(heads, '[20,', '[19,') WHERE seq = 1", []))
    assert archive2.verify().table == "commits"


def test_streamed_scan_chains_across_chunk_boundaries(tmp_path, two_run_file):
    path = tmp_path / "a.duckdb"
    archive = _copy(two_run_file, path)
    with archive._connect() as con:  # 20 snapshot rows in chunks of 7: boundaries after seq 6 and 13
        n, problems, picked = archive._scan(con, "snapshots", {6, 7, 19}, chunk=7)
    assert (n, problems) == (20, []) and sorted(picked) == [6, 7, 19]
    assert picked[19] == archive.table("snapshots")["row_hash"].iloc[-1]
    _tamper(path, ("DELETE FROM snapshots WHERE seq = 14", []), ("UPDATE snapshots SET grade = 'D' WHERE seq = 7", []))
    with archive._connect() as con:
        n, problems, _ = archive._scan(con, "snapshots", set(), chunk=7)
    assert n == 19 and [(p["seq"], p["reason"][:12]) for p in problems] == [(7, "the row's co"), (14, "row seq 14 i")]


def test_consistent_removal_of_last_run_needs_an_external_anchor(tmp_path, two_run_file):
    """Documented limit: an unkeyed chain cannot see a whole last transaction removed with its
    seal; a head() kept elsewhere can."""
    path = tmp_path / "a.duckdb"
    archive = _copy(two_run_file, path)
    anchor = archive.head()
    _tamper(path, *[(f"DELETE FROM {t} WHERE run_id = ?", ["r2"])
                    for t in ("snapshots", "alerts", "alert_events", "runs", "commits")])
    assert archive.verify().ok  # indistinguishable from an archive that never had r2
    result = archive.verify(anchor=anchor)
    assert not result.ok and "anchor" in result.reason


# ------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("frame, match", [
    (pd.DataFrame({"grade": ["A"]}), "snapshots: required column 'customer_id' is missing"),
    (pd.DataFrame({"customer_id": ["C1", "C1"], "pd": [0.1, 0.2]}), "duplicate customer_id in 2 row.*C1"),
    (pd.DataFrame({"customer_id": ["C1", None]}), "column 'customer_id': missing values"),
    (pd.DataFrame({"customer_id": ["C1", "C2"], "pd": [0.1, "high"]}), "column 'pd': values are not numbers.*C2"),
    (pd.DataFrame({"customer_id": [1, 2]}), "column 'customer_id': values must be str"),
    (pd.DataFrame({"customer_id": ["C1"], "run_id": ["x"]}), r"\['run_id'\] are set by the archive"),
    (pd.DataFrame({"customer_id": ["C1"], "revenue": [np.inf]}), r"\['revenue'\]: infinite values"),
])
def test_bad_snapshots_rejected_with_table_column_rows(frame, match):
    archive = Archive(":memory:")
    with pytest.raises(ArchiveInputError, match=match):
        with archive.run("2024-01-31") as run:
            run.add_snapshots(frame)
    assert archive.runs()["status"].tolist() == ["failed"]


@pytest.mark.parametrize("frame, match", [
    (alerts([("C1", "dpd", "amber")]), "level.*amber"),
    (alerts([("C1", "dpd", "red"), ("C1", "dpd", "yellow")]), "duplicate customer_id/rule"),
    (alerts([("C1", "dpd", "red")]).assign(recipients=[["a@b.example"]]), "tuples of str"),
    (alerts([("C1", "dpd", "red")]).assign(recipients=[("desk 7",)]), "neither an e-mail"),
    (alerts([("C1", "dpd", "red")]).assign(evidence=["{not json"]), "not valid JSON"),
    (alerts([("C1", "dpd", "red")]).drop(columns="message"), "required column 'message'"),
])
def test_bad_alerts_rejected(frame, match):
    archive = Archive(":memory:")
    with pytest.raises(ArchiveInputError, match=match):
        with archive.run("2024-01-31") as run:
            run.add_alerts(frame)


def test_bad_arguments():
    with pytest.raises(ArchiveInputError, match="timeout"):
        Archive(":memory:", timeout=-1)
    archive = Archive(":memory:")
    with pytest.raises(ValueError, match="calendar day"):
        with archive.run("2024-01-31 10:00"):
            pass
    with pytest.raises(ArchiveInputError, match="run_id"):
        with archive.run("2024-01-31", run_id="bad id/with slash"):
            pass
    with archive.run("2024-01-31", run_id="r1"):
        pass
    with pytest.raises(ArchiveInputError, match="already exists"):
        with archive.run("2024-02-29", run_id="r1"):
            pass
    with pytest.raises(ArchiveInputError, match="unknown table"):
        archive.table("meta; DROP TABLE runs")
    with pytest.raises(ArchiveInputError, match="recipient"):
        with archive.run("2024-03-31") as run:
            run.queue([{"recipient": "nobody", "subject": "s", "body": "b"}])


def test_closing_order_is_reproducible(tmp_path):
    """Alerts closed in one run are recorded in (customer_id, rule) order, whatever the
    hash aggregate's output order: nbval compares the timeline strings cell for cell."""
    archive = Archive(tmp_path / "a.duckdb")
    rules = ["review_overdue", "overdue_30_days", "bureau_drop"]
    raised = [(f"C{i:05d}", r, "yellow") for i in range(3000, 0, -1) for r in rules]
    with archive.run("2024-01-31", run_id="r1") as run:
        run.add_alerts(alerts(raised))
    with archive.run("2024-02-29", run_id="r2") as run:
        run.add_alerts(alerts([]))
    events = archive.table("alert_events")
    closed = events[events["event"] == "closed"].sort_values("seq")
    assert len(closed) == len(raised)
    keys = list(zip(closed["customer_id"], closed["rule"]))
    assert keys == sorted(keys)
    assert archive.customer_timeline("C00007")["closed_alerts"].tolist()[-1] == \
        "bureau_drop; overdue_30_days; review_overdue"


def test_falling_back_and_rising_again_is_notified_once():
    """red, orange, red: opened, deescalated, persisting (reconcile_alerts' life cycle)."""
    archive = Archive(":memory:")
    events = []
    for run_id, as_of, level in [("r1", "2024-01-31", "red"), ("r2", "2024-02-29", "orange"),
                                 ("r3", "2024-03-31", "red")]:
        with archive.run(as_of, run_id=run_id) as run:
            events.append(run.add_alerts(alerts([("C1", "dpd", level)]))["event"].item())
    assert events == ["opened", "deescalated", "persisting"]
    assert archive.open_alerts()["first_seen_run"].tolist() == ["r1"]


@settings(max_examples=10, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from([("C1", "dpd"), ("C1", "drop"), ("C2", "dpd"), ("C3", "news")]),
                                st.sampled_from(["red", "orange", "yellow", "info"]), max_size=4),
                min_size=2, max_size=5))
def test_archive_replays_the_pure_life_cycle(history):
    """Runs stored in the archive give, run by run, the events of reconcile_alerts replayed
    over plain frames: the archive keeps exactly the state the pure function needs."""
    from riskkit.monitoring.alerts import reconcile_alerts

    archive = Archive(":memory:")
    state = None
    for i, raised in enumerate(history):
        as_of = pd.Timestamp("2024-01-31") + pd.offsets.MonthEnd(i)
        frame = alerts([(c, r, lvl) for (c, r), lvl in sorted(raised.items())])
        expected = reconcile_alerts(frame, state, as_of=as_of)
        state = expected.open_alerts
        with archive.run(as_of, run_id=f"r{i}") as run:
            got = run.add_alerts(frame)
        want = expected.events.set_index(["customer_id", "rule"])["event"]
        assert dict(zip(zip(got["customer_id"], got["rule"]), got["event"])) == \
            want[want != "closed"].to_dict()
        stored = archive.table("alert_events")
        closed = stored[(stored["run_id"] == f"r{i}") & (stored["event"] == "closed")]
        assert sorted(zip(closed["customer_id"], closed["rule"])) == sorted(want[want == "closed"].index)
