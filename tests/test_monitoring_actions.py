"""The recommended actions' life cycle: the pure reconcile_actions against hand-written
tables, and the archive (real DuckDB files) against hand-derived nights and against a
replay through the pure function."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskkit import RiskkitError
from riskkit.monitoring import (
    ACTION_EVENTS,
    Archive,
    ArchiveError,
    ArchiveInputError,
    ArchiveVersionError,
    MonitoringInputError,
    reconcile_actions,
)

T = pd.Timestamp
PRIORITIES = ("critical", "high", "medium", "low")


def recommended(rows) -> pd.DataFrame:
    """(customer_id, action, priority, due_date) -> a recommend_actions-like frame."""
    return pd.DataFrame([{"customer_id": c, "action": a, "priority": p, "owner": "credit_controller",
                          "due_date": T(d), "reason": f"{a} for {c}"} for c, a, p, d in rows],
                        columns=["customer_id", "action", "priority", "owner", "due_date", "reason"])


def open_before(rows) -> pd.DataFrame:
    """(customer_id, action, priority, raised_priority, first_seen, due_date)."""
    frame = pd.DataFrame(rows, columns=["customer_id", "action", "priority", "raised_priority", "first_seen",
                                        "due_date"])
    return frame.astype({"first_seen": "datetime64[ns]", "due_date": "datetime64[ns]"})


# ----------------------------------------------------------------------- the pure function

def test_every_event_by_hand():
    """One run against eight open actions and two controller closes; each expected event
    and due date is written out from the rules in the module docstring."""
    before = open_before([
        ("C1", "reduce_limit", "high", "high", "2024-01-31", "2024-02-07"),
        ("C1", "tighten_terms", "medium", "medium", "2024-01-31", "2024-02-14"),
        ("C2", "review_limit", "low", "low", "2024-01-31", "2024-02-10"),
        ("C3", "call_customer", "high", "high", "2024-01-31", "2024-02-05"),
        ("C4", "stop_shipping", "medium", "medium", "2024-01-31", "2024-02-20"),
        ("C5", "legal_action", "high", "high", "2024-01-31", "2024-02-28"),
        ("C7", "require_guarantee", "medium", "medium", "2024-01-31", "2024-03-20"),
        ("C8", "reduce_limit", "medium", "high", "2024-01-31", "2024-02-15"),  # was high, fell back to medium
    ])
    now = recommended([
        ("C1", "reduce_limit", "critical", "2024-03-01"),   # more urgent than high: escalated
        ("C1", "tighten_terms", "low", "2024-03-30"),       # milder: deescalated, due kept
        ("C2", "review_limit", "low", "2024-03-05"),        # same: persisting, due kept
        ("C4", "stop_shipping", "medium", "2024-03-01"),    # closed by the controller: reopened
        ("C6", "require_prepayment", "high", "2024-03-03"),  # new: opened
        ("C7", "require_guarantee", "high", "2024-03-05"),  # escalated, the new due date is earlier
        ("C8", "reduce_limit", "high", "2024-03-07"),       # back up to high, already notified: persisting
    ])
    closed = pd.DataFrame({"customer_id": ["C4", "C5"], "action": ["stop_shipping", "legal_action"]})
    out = reconcile_actions(now, before, as_of="2024-02-29", priorities=PRIORITIES, closed=closed)
    expected = [
        # customer, action, event, priority_before, priority_after, due_date, first_seen
        ("C6", "require_prepayment", "opened", None, "high", "2024-03-03", "2024-02-29"),
        ("C4", "stop_shipping", "reopened", None, "medium", "2024-03-01", "2024-02-29"),
        ("C1", "reduce_limit", "escalated", "high", "critical", "2024-02-07", "2024-01-31"),
        ("C7", "require_guarantee", "escalated", "medium", "high", "2024-03-05", "2024-01-31"),
        ("C1", "tighten_terms", "deescalated", "medium", "low", "2024-02-14", "2024-01-31"),
        ("C2", "review_limit", "persisting", "low", "low", "2024-02-10", "2024-01-31"),
        ("C8", "reduce_limit", "persisting", "medium", "high", "2024-02-15", "2024-01-31"),
        ("C3", "call_customer", "resolved", "high", None, "2024-02-05", "2024-01-31"),
        ("C5", "legal_action", "closed", "high", None, "2024-02-28", "2024-01-31"),
    ]
    ev = out.events
    assert list(zip(ev["customer_id"], ev["action"], ev["event"], ev["priority_before"], ev["priority_after"],
                    ev["due_date"], ev["first_seen"])) == [(*row[:5], T(row[5]), T(row[6])) for row in expected]
    assert (ev["as_of"] == T("2024-02-29")).all()
    assert out.counts().to_dict() == {"opened": 1, "reopened": 1, "escalated": 2, "deescalated": 1,
                                      "persisting": 2, "resolved": 1, "closed": 1}
    # the work list after the run: the recommended actions, due dates and first runs carried
    nxt = out.open_actions.set_index(["customer_id", "action"])
    assert len(nxt) == 7
    assert nxt.loc[("C2", "review_limit"), "due_date"] == T("2024-02-10")
    assert nxt.loc[("C8", "reduce_limit"), "raised_priority"] == "high"
    assert nxt.loc[("C1", "tighten_terms"), "raised_priority"] == "medium"  # milder is not notified
    assert nxt.loc[("C1", "reduce_limit"), "raised_priority"] == "critical"
    assert out.actions["event"].tolist() == ["escalated", "deescalated", "persisting", "reopened", "opened",
                                             "escalated", "persisting"]  # in the order recommended


def test_first_run_opens_everything_and_a_repeat_persists():
    now = recommended([("C1", "reduce_limit", "high", "2024-02-07"), ("C2", "call_customer", "medium",
                                                                     "2024-02-14")])
    first = reconcile_actions(now, None, as_of="2024-01-31", priorities=PRIORITIES)
    assert first.events["event"].tolist() == ["opened", "opened"]
    again = recommended([("C1", "reduce_limit", "high", "2024-03-07"), ("C2", "call_customer", "medium",
                                                                      "2024-03-14")])
    second = reconcile_actions(again, first.open_actions, as_of="2024-02-29", priorities=PRIORITIES)
    assert second.events["event"].tolist() == ["persisting", "persisting"]
    assert second.actions["due_date"].tolist() == [T("2024-02-07"), T("2024-02-14")]  # not pushed back
    assert second.actions["recommended_due_date"].tolist() == [T("2024-03-07"), T("2024-03-14")]
    assert second.actions["first_seen"].tolist() == [T("2024-01-31")] * 2
    assert "0 opened" in second.summary() and "0 new work item(s), 2 open" in second.summary()


def test_missing_priority_never_escalates():
    before = open_before([("C1", "call_customer", None, None, "2024-01-31", "2024-02-07")])
    now = recommended([("C1", "call_customer", "critical", "2024-03-01")])
    out = reconcile_actions(now, before, as_of="2024-02-29", priorities=PRIORITIES)
    assert out.events["event"].tolist() == ["persisting"]


@pytest.mark.parametrize("kwargs, match", [
    ({"recommended": recommended([]).drop(columns="priority")}, r"column\(s\) \['priority'\] missing"),
    ({"recommended": recommended([("C1", "a", "urgent", "2024-03-01")])}, r"unknown priority.*'urgent'"),
    ({"recommended": recommended([("C1", "a", "high", "2024-03-01"), ("C1", "a", "low", "2024-03-01")])},
     r"\(customer_id, action\) must be unique"),
    ({"closed": pd.DataFrame({"customer_id": ["C9"], "action": ["a"]})}, r"closed: action\(s\) not open"),
    ({"recommended": recommended([]).assign(due_date=pd.Series(["soon"], dtype=object).iloc[:0])
      .pipe(lambda f: pd.concat([f, pd.DataFrame({"customer_id": ["C1"], "action": ["a"], "priority": ["high"],
                                                  "due_date": ["soon"]})]))}, r"due_date: not dates"),
])
def test_bad_input_names_the_frame_and_column(kwargs, match):
    args = {"recommended": recommended([]), "open_actions": None, "closed": None} | kwargs
    with pytest.raises(MonitoringInputError, match=match) as info:
        reconcile_actions(args["recommended"], args["open_actions"], as_of="2024-02-29", priorities=PRIORITIES,
                          closed=args["closed"])
    assert isinstance(info.value, RiskkitError)


# ----------------------------------------------------------------------- the archive

def nights_events(archive: Archive) -> list[tuple]:
    ev = archive.table("action_events")
    return list(zip(ev["run_id"], ev["customer_id"], ev["action"], ev["event"]))


def test_three_nights_with_a_controller_close(tmp_path):
    """Night 1: A, B open; night 2: A persists, B resolved, C new; the controller closes A;
    night 3: A recommended again opens anew (reopened), C persists."""
    path = tmp_path / "archive.duckdb"
    A, B, C = ("C1", "reduce_limit"), ("C2", "call_customer"), ("C3", "require_guarantee")
    archive = Archive(path)
    with archive.run("2024-01-31", run_id="n1") as run:
        first = run.add_actions(recommended([(*A, "high", "2024-02-07"), (*B, "medium", "2024-02-14")]))
    assert first["event"].tolist() == ["opened", "opened"]
    with archive.run("2024-02-29", run_id="n2") as run:
        second = run.add_actions(recommended([(*A, "high", "2024-03-07"), (*C, "medium", "2024-03-30")]))
    assert second["event"].tolist() == ["persisting", "opened"]
    assert second["action_id"].iloc[0] == first["action_id"].iloc[0]
    assert second["due_date"].tolist() == [T("2024-02-07"), T("2024-03-30")]

    work = Archive(path).open_actions()  # a second handle on the same file: the state is in the file
    assert list(zip(work["customer_id"], work["action"])) == [A, C]  # A is overdue: first
    assert work["overdue"].tolist() == [True, False]  # A due 2024-02-07 < 2024-02-29
    assert work["age_runs"].tolist() == [2, 1]
    assert work["age_days"].tolist() == [29, 0]  # 2024-01-31 -> 2024-02-29
    assert work["first_run"].tolist() == ["n1", "n2"]
    assert work["reason"].tolist() == ["reduce_limit for C1", "require_guarantee for C3"]
    assert Archive(path).open_actions(as_of="2024-02-01")["overdue"].tolist() == [False, False]

    closed_id = archive.close_action(*A, by="jz", outcome="done", note="limit cut to 20k")
    assert closed_id == first["action_id"].iloc[0]
    assert list(zip(archive.open_actions()["customer_id"], archive.open_actions()["action"])) == [C]
    assert archive.verify().ok

    with archive.run("2024-03-31", run_id="n3") as run:
        third = run.add_actions(recommended([(*A, "high", "2024-04-07"), (*C, "medium", "2024-04-30")]))
    assert third["event"].tolist() == ["reopened", "persisting"]
    assert third["action_id"].iloc[0] != closed_id
    assert nights_events(archive) == [
        ("n1", *A, "opened"), ("n1", *B, "opened"),
        ("n2", *A, "persisting"), ("n2", *C, "opened"), ("n2", *B, "resolved"),
        ("n2", *A, "closed"),  # the close names the run whose work list it closed
        ("n3", *A, "reopened"), ("n3", *C, "persisting"),
    ]
    close = archive.table("action_events").iloc[5]
    assert (close["closed_by"], close["outcome"], close["note"]) == ("jz", "done", "limit cut to 20k")
    work = archive.open_actions()
    assert work.set_index("action")["first_run"].to_dict() == {"reduce_limit": "n3", "require_guarantee": "n2"}
    assert work.set_index("action")["due_date"].to_dict() == {"reduce_limit": T("2024-04-07"),
                                                               "require_guarantee": T("2024-03-30")}
    stored = archive.table("actions")
    assert stored["status"].tolist() == ["opened", "opened", "persisting", "opened", "reopened", "persisting"]
    assert archive.customer_timeline("C1")["actions"].tolist() == ["reduce_limit (opened)", "reduce_limit (persisting)",
                                                                   "reduce_limit (reopened)"]
    assert archive.verify().ok


def test_a_close_is_sealed_and_tampering_with_it_is_found(tmp_path):
    path = tmp_path / "a.duckdb"
    archive = Archive(path)
    with archive.run("2024-01-31", run_id="n1") as run:
        run.add_actions(recommended([("C1", "reduce_limit", "high", "2024-02-07")]))
    archive.close_action("C1", "reduce_limit", by="jz", outcome="not_needed")
    assert archive.verify().ok
    assert archive.table("commits")["kind"].tolist()[-1] == "action_close"
    con = duckdb.connect(str(path))
    con.execute("UPDATE action_events SET outcome = 'done' WHERE event = 'closed'")
    con.close()
    result = Archive(path).verify()
    assert not result.ok and result.table == "action_events" and result.seq == 1


def test_a_close_not_followed_by_a_recommendation_leaves_nothing_open():
    archive = Archive(":memory:")
    with archive.run("2024-01-31", run_id="n1") as run:
        run.add_actions(recommended([("C1", "reduce_limit", "high", "2024-02-07")]))
    archive.close_action("C1", "reduce_limit", by="jz", outcome="done")
    with archive.run("2024-02-29", run_id="n2") as run:
        assert run.add_actions(recommended([])).empty
    with archive.run("2024-03-31", run_id="n3") as run:  # two runs after the close: a fresh condition
        assert run.add_actions(recommended([("C1", "reduce_limit", "high", "2024-04-07")]))["event"].item() \
            == "opened"
    assert [e[3] for e in nights_events(archive)] == ["opened", "closed", "opened"]


def test_close_action_refuses_bad_input():
    archive = Archive(":memory:")
    with archive.run("2024-01-31", run_id="n1") as run:
        run.add_actions(recommended([("C1", "reduce_limit", "high", "2024-02-07"),
                                     ("C2", "call_customer", "low", "2024-02-07")]))
    with archive.run("2024-02-29", run_id="n2") as run:
        run.add_actions(recommended([("C1", "reduce_limit", "high", "2024-02-07")]))
    archive.close_action("C1", "reduce_limit", by="jz", outcome="done")
    cases = [
        (("C9", "reduce_limit"), {"by": "jz", "outcome": "done"}, ArchiveInputError,
         "no action was ever recommended for customer 'C9'"),
        (("C1", "teleport"), {"by": "jz", "outcome": "done"}, ArchiveInputError,
         r"customer 'C1' has no action 'teleport'; its actions: \['reduce_limit'\]"),
        (("C1", "reduce_limit"), {"by": "jz", "outcome": "done"}, ArchiveError, r"is not open: closed by jz \(done\)"),
        (("C2", "call_customer"), {"by": "jz", "outcome": "done"}, ArchiveError, "is not open: resolved by run n2"),
        (("C2", "call_customer"), {"by": "jz", "outcome": "fixed"}, ArchiveInputError, "outcome must be one of"),
        (("C2", "call_customer"), {"by": " ", "outcome": "done"}, ArchiveInputError, "by must be a non-empty str"),
        ((None, "call_customer"), {"by": "jz", "outcome": "done"}, ArchiveInputError, "customer_id must be"),
        (("C2", "call_customer"), {"by": "jz", "outcome": "done", "note": 5}, ArchiveInputError,
         "note must be a str"),
    ]
    for args, kwargs, error, match in cases:
        with pytest.raises(error, match=match):
            archive.close_action(*args, **kwargs)
    with archive.run("2024-03-31", run_id="n3"), pytest.raises(ArchiveError, match="a run or an outbox session"):
        archive.close_action("C1", "reduce_limit", by="jz", outcome="done")
    assert [e[3] for e in nights_events(archive)].count("closed") == 1  # nothing refused was written
    assert archive.verify().ok


def test_add_actions_refuses_unknown_priorities_and_a_second_call():
    archive = Archive(":memory:")
    with pytest.raises(ArchiveInputError, match=r"'priority' must be one of .*'urgent'.*customer_id C1"), \
            archive.run("2024-01-31", run_id="n1") as run:
        run.add_actions(recommended([("C1", "reduce_limit", "urgent", "2024-02-07")]))
    with pytest.raises(ArchiveError, match="add_actions was already called"), \
            archive.run("2024-01-31", run_id="n2") as run:
        run.add_actions(recommended([]))
        run.add_actions(recommended([]))
    with archive.run("2024-01-31", run_id="n3") as run:  # a custom policy's priorities
        got = run.add_actions(recommended([("C1", "reduce_limit", "urgent", "2024-02-07")]),
                              priorities=("urgent", "later"))
    assert got["event"].tolist() == ["opened"]


def test_an_archive_of_schema_version_1_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "old.duckdb"
    Archive(path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(ArchiveVersionError, match=r"schema version 1 .*reads version 2.*life cycle of "
                                                  r"recommended actions.*start a new archive file"):
        Archive(path)


# ----------------------------------------------------------------------- replay

KEYS = [("C1", "reduce_limit"), ("C1", "call_customer"), ("C2", "reduce_limit"), ("C3", "stop_shipping")]


@pytest.mark.slow
@settings(max_examples=8, deadline=None)
@given(st.lists(st.tuples(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(PRIORITIES), max_size=4),
                          st.sets(st.sampled_from(KEYS), max_size=2)),
                min_size=2, max_size=4))
def test_archive_replays_the_pure_life_cycle(history):
    """Nights stored in the archive, with controller closes between them, give night by night
    the events of reconcile_actions replayed over plain frames."""
    archive = Archive(":memory:")
    state, closes = None, pd.DataFrame(columns=["customer_id", "action"])
    for i, (recs, to_close) in enumerate(history):
        as_of = T("2024-01-31") + pd.offsets.MonthEnd(i)
        frame = recommended([(c, a, p, as_of + pd.Timedelta(days=7 * (1 + n)))
                             for n, ((c, a), p) in enumerate(sorted(recs.items()))])
        expected = reconcile_actions(frame, state, as_of=as_of, priorities=PRIORITIES, closed=closes)
        state = expected.open_actions
        with archive.run(as_of, run_id=f"n{i}") as run:
            got = run.add_actions(frame)
        want = expected.events.set_index(["customer_id", "action"])
        assert dict(zip(zip(got["customer_id"], got["action"]), got["event"])) == \
            want.loc[~want["event"].isin(["resolved", "closed"]), "event"].to_dict()
        stored = archive.table("action_events")
        this = stored[stored["run_id"] == f"n{i}"]
        resolved = this[this["event"] == "resolved"]
        assert sorted(zip(resolved["customer_id"], resolved["action"])) == \
            sorted(want.index[want["event"] == "resolved"])
        assert (this["event"] != "closed").all()
        assert dict(zip(zip(got["customer_id"], got["action"]), got["due_date"])) == \
            want.loc[~want["event"].isin(["resolved", "closed"]), "due_date"].to_dict()
        # the controller closes some open actions before the next night
        open_now = archive.open_actions()
        keys = [k for k in sorted(to_close) if k in set(zip(open_now["customer_id"], open_now["action"]))]
        for c, a in keys:
            archive.close_action(c, a, by="replay", outcome="done")
        closes = pd.DataFrame(keys, columns=["customer_id", "action"])
        assert sorted(zip(open_now["customer_id"], open_now["action"])) == \
            sorted(zip(state["customer_id"], state["action"]))
    assert archive.verify().ok
    assert set(archive.table("action_events")["event"]) <= set(ACTION_EVENTS)
