"""The reviewer's tables and key findings of a monitoring run (riskkit.monitoring.review).

Every expected number is counted by hand from the small frames written out below; the
result objects are the package's own dataclasses built directly from those frames, and
one diff comes from a real DuckDB archive.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from riskkit.monitoring import (
    Archive,
    EWSBacktest,
    MonitoringFrame,
    MonitoringResult,
    MonitoringRules,
    RunDiff,
    alerts_by_rule,
    compose_digests,
    diff_overview,
    digest_for,
    digest_table,
    digest_text,
    key_findings,
    linked_party_table,
    top_alert,
)

AS_OF = pd.Timestamp("2024-06-30")


def _alerts() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["C1", "C2", "C2", "C3", "C4", "C5"],
        "rule": ["overdue_60_days", "overdue_60_days", "paying_slower", "overdue_30_days", "paying_slower",
                 "paying_slower"],
        "level": ["red", "red", "yellow", "orange", "yellow", "yellow"],
        "message": ["An invoice is 61 days past due.", "An invoice is 75 days past due.",
                    "Paying slower: +12 days.", "An invoice is 35 days past due.", "Paying slower: +15 days.",
                    "Paying slower: +11 days."],
        "evidence": ['{"current_dpd": {"before": 20, "after": 61}}'] * 6,
        "recipients": [("committee@corp.example",), ("committee@corp.example",), ("analyst@corp.example",),
                       ("manager@corp.example",), ("analyst@corp.example",), ("analyst@corp.example", "webhook")],
        "event": ["persisting", "opened", "opened", "escalated", "deescalated", "persisting"],
    })


def _current() -> pd.DataFrame:
    return pd.DataFrame({
        "ead": [5e6, 2e6, 9e6, 1e6, 3e5, 4e5],
        "grade": ["CCC", "B", "BB", "A", "BBB", "BB"],
        "pd": [0.3, 0.1, 0.02, 0.004, 0.01, 0.02],
        "network_pd": [0.35, 0.12, 0.03, 0.005, 0.01, 0.025],
    }, index=pd.Index(["C1", "C2", "C3", "C4", "C5", "C6"], name="customer_id"))


def _result(alerts=None, closed=3) -> MonitoringResult:
    links = pd.DataFrame({"customer_id": ["C2", "C2", "C2", "C1"], "linked_id": ["P9", "C1", "C3", "C2"],
                          "relation": ["controller", "guarantor", "buyer", "guaranteed"]})
    frame = MonitoringFrame(as_of=AS_OF, current=_current(), limits=pd.DataFrame(), links=links)
    alerts = _alerts() if alerts is None else alerts
    return MonitoringResult(as_of=AS_OF, run_id="r2", frame=frame, alerts=alerts,
                            closed=pd.DataFrame({"customer_id": ["C9"] * closed, "rule": ["x"] * closed,
                                                 "level": ["info"] * closed}),
                            actions=pd.DataFrame(), messages=[])


# ---------------------------------------------------------------------------------------------------- tables

def test_alerts_by_rule_counts_events_per_rule_in_the_rules_order():
    table = alerts_by_rule(_alerts(), MonitoringRules.default())
    # by hand: overdue_60_days 2 (1 opened, 1 persisting); overdue_30_days 1 escalated;
    # paying_slower 3 (1 opened, 1 deescalated = persisting, 1 persisting)
    assert table.index.tolist() == ["overdue_60_days", "overdue_30_days", "paying_slower"]
    assert table[["alerts", "new", "escalated", "persisting"]].to_numpy().tolist() == [[2, 1, 0, 1], [1, 0, 1, 0],
                                                                                        [3, 1, 0, 2]]
    assert table["level"].tolist() == ["red", "orange", "yellow"]
    assert table.loc["paying_slower", "description"].startswith("Average days beyond terms lengthened")


def test_alerts_by_rule_without_rules_sorts_by_level_and_handles_no_alerts():
    table = alerts_by_rule(_alerts())
    assert table.index.tolist() == ["overdue_60_days", "overdue_30_days", "paying_slower"]
    empty = alerts_by_rule(_alerts().iloc[0:0])
    assert empty.empty and list(empty.columns) == ["level", "alerts", "new", "escalated", "persisting"]


def test_alerts_by_rule_refuses_unknown_events_and_missing_columns():
    with pytest.raises(ValueError, match="unknown event"):
        alerts_by_rule(_alerts().assign(event="reopened"))
    with pytest.raises(KeyError, match="event"):
        alerts_by_rule(_alerts().drop(columns="event"))


def test_counts_keep_deescalated_alerts_as_persisting():
    counts = _result().counts()
    assert counts.loc["yellow"].tolist() == [1, 0, 2]  # C2 opened; C4 deescalated and C5 persisting
    assert int(counts.to_numpy().sum()) == len(_alerts())


def test_top_alert_is_most_severe_then_news_then_largest_exposure():
    # red: C1 (persisting, EAD 5 m) and C2 (opened, EAD 2 m) -> news first: C2
    top = top_alert(_alerts(), _current())
    assert (top["customer_id"], top["rule"], top["ead"], top["grade"]) == ("C2", "overdue_60_days", 2e6, "B")
    # without news among the reds, the larger exposure wins
    both_old = _alerts().assign(event="persisting")
    assert top_alert(both_old, _current())["customer_id"] == "C1"
    # ties on everything resolve by customer id
    tie = _current().assign(ead=1.0)
    assert top_alert(both_old, tie)["customer_id"] == "C1"
    assert top_alert(_alerts().iloc[0:0], _current()) is None
    # restricted to some kinds of rule
    kinds = _alerts().assign(kind=["threshold", "threshold", "change", "threshold", "network", "network"])
    top_network = top_alert(kinds, _current(), kinds="network")
    # C4 deescalated and C5 persisting: both yellow, neither news -> the larger EAD, C4 (1 m against 0.3 m)
    assert (top_network["customer_id"], top_network["rule"]) == ("C4", "paying_slower")
    assert top_alert(kinds, _current(), kinds=("network", "change"))["customer_id"] == "C2"  # opened beats the rest
    assert top_alert(kinds, _current(), kinds=["event"]) is None
    with pytest.raises(KeyError, match="kind"):
        top_alert(_alerts(), _current(), kinds=["network"])


def test_linked_party_table_joins_each_party_rating_and_worst_alert():
    table = linked_party_table(_result().frame, "C2", _alerts())
    # sorted by relation then id: buyer C3, controller P9 (outside the book), guarantor C1
    assert table["linked_id"].tolist() == ["C3", "P9", "C1"]
    assert table["relation"].tolist() == ["buyer", "controller", "guarantor"]
    assert table["customer"].tolist() == [True, False, True]
    assert table["grade"].tolist()[0] == "BB" and pd.isna(table["grade"].iloc[1])
    np.testing.assert_allclose(table["ead"].to_numpy(dtype=float), [9e6, np.nan, 5e6])
    assert table["worst_alert"].tolist()[0] == "orange" and table["worst_alert"].tolist()[2] == "red"
    assert pd.isna(table["worst_alert"].iloc[1])
    with pytest.raises(KeyError, match="C42"):
        linked_party_table(_result().frame, "C42")


def _diff(tmp_path) -> RunDiff:
    archive = Archive(tmp_path / "a.duckdb")
    runs = {
        "a": (pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4"], "grade": ["BB", "A", "B", "BBB"],
                            "pd": [0.02, 0.004, 0.08, 0.01]}),
              [("C1", "paying_slower", "yellow"), ("C3", "overdue_30_days", "orange")]),
        # C1 BB -> CCC (down), C2 A -> AA (up), C3 B -> D (down, into default), C4 dropped, C5 new
        "b": (pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C5"], "grade": ["CCC", "AA", "D", "A"],
                            "pd": [0.2, 0.003, 1.0, 0.004]}),
              [("C1", "paying_slower", "orange"), ("C3", "newly_defaulted", "red"), ("C5", "lawsuit", "info")]),
    }
    for run_id, (snap, alerts) in runs.items():
        with archive.run("2024-05-31" if run_id == "a" else "2024-06-30", run_id=run_id) as run:
            run.add_snapshots(snap)
            run.add_alerts(pd.DataFrame(alerts, columns=["customer_id", "rule", "level"]).assign(message="m"))
    return archive.diff_runs("a", "b")


def test_diff_overview_counts_by_hand(tmp_path):
    overview = diff_overview(_diff(tmp_path))["count"]
    assert overview.to_dict() == {
        "customers new to the book": 1, "customers no longer in the book": 1, "grade downgrades": 2,
        "grade upgrades": 1, "entered default (grade D)": 1, "alerts raised anew": 2,
        "alerts no longer raised": 1, "alerts that changed level": 1}


def test_diff_overview_refuses_a_grade_outside_the_order(tmp_path):
    with pytest.raises(ValueError, match="CCC"):
        diff_overview(_diff(tmp_path), grade_order=["AA", "A", "BB", "B", "D"])


# --------------------------------------------------------------------------------------------------- digests

def test_digest_table_masks_recipients_and_counts_levels():
    messages = compose_digests(_alerts(), {"run_id": "r2", "as_of": AS_OF})
    table = digest_table(messages)
    assert table["recipient"].tolist() == ["a***@corp.example", "c***@corp.example", "m***@corp.example", "webhook"]
    # by hand: analyst C2, C4, C5 (yellow); committee C1, C2 (red); manager C3 (orange); webhook C5
    assert table[["red", "orange", "yellow", "info"]].to_numpy().tolist() == [[0, 0, 3, 0], [2, 0, 0, 0],
                                                                               [0, 1, 0, 0], [0, 0, 1, 0]]
    assert not any("analyst@" in s or "committee@" in s for s in table.astype(str).to_numpy().ravel())


def test_digest_for_finds_the_alert_else_the_most_severe_digest():
    messages = compose_digests(_alerts(), {"run_id": "r2", "as_of": AS_OF})
    top = top_alert(_alerts(), _current())
    assert digest_for(messages, top).recipient == "committee@corp.example"
    c5 = _alerts().iloc[5]  # C5 paying_slower goes to the analyst and the webhook: the first recipient
    assert digest_for(messages, c5).recipient == "analyst@corp.example"
    absent = pd.Series({"customer_id": "C99", "rule": "x"})
    assert digest_for(messages, absent).recipient == "committee@corp.example"  # most red alerts
    assert digest_for([], top) is None


def test_digest_text_masks_the_address_and_keeps_the_body():
    message = compose_digests(_alerts(), {"run_id": "r2", "as_of": AS_OF})[1]
    text = digest_text(message)
    assert text.startswith("To: c***@corp.example\nSubject: [riskkit] 2024-06-30 monitoring: 2 red, 0 orange")
    assert text.endswith(message.body)
    assert "committee@" not in text


# ----------------------------------------------------------------------------------------------- key findings

def _backtest() -> EWSBacktest:
    by_level = pd.DataFrame({
        "n_defaults": [40, 40, 40, 40], "captured": [6, 22, 30, 33], "capture": [0.15, 0.55, 0.75, 0.825],
        "oracle_capture": [0.2, 0.5, 0.8, 0.9], "capture_vs_oracle": [0.75, 1.1, 0.9375, 0.9167],
        "alerts_per_100_per_month": [0.4, 2.5, 9.0, 12.0], "false_alarm_rate": [0.5, 0.7, 0.8, 0.85],
        "median_lead_days": [120.0, 151.0, 180.0, 200.0]}, index=pd.Index(["red", "orange", "yellow", "info"],
                                                                          name="level"))
    contagion = pd.DataFrame({"n_contagion_defaults": [5] * 4, "all_rules": [1, 3, 4, 4],
                              "standalone_rules": [0, 1, 3, 4]}, index=by_level.index)
    return EWSBacktest(by_level=by_level, lead_times=pd.DataFrame(), contagion=contagion, alerts=pd.DataFrame(),
                       run_dates=pd.date_range("2023-06-30", "2024-06-30", freq="ME"), lead_days=90)


def test_key_findings_sentences_carry_the_hand_counted_numbers(tmp_path):
    customers = pd.DataFrame({"customer_id": ["C2"], "name": ["Wang Wei"], "kind": ["individual"]})
    findings = key_findings(_result(), diff=_diff(tmp_path), backtest=_backtest(), customers=customers)
    assert len(findings) == 5
    # worst level per customer: C1 red, C2 red, C3 orange, C4 yellow, C5 yellow -> 2 red, 1 orange of 6 customers
    assert findings[0] == ("On 2024-06-30 the run rated 6 customers: 2 have a red alert and 1 an orange one at "
                           "worst (50.0% of the book); 6 alerts in all.")
    assert findings[1] == ("Since the previous run 2 alerts opened, 1 escalated, 3 persist and 3 closed; 2 customers "
                           "were downgraded (1 into default) and 1 upgraded.")
    # the individual's name is masked, never printed
    assert "Wang Wei" not in findings[2]
    assert findings[2].startswith("The top alert is red 'overdue_60_days' for customer C2 (")
    assert "exposure 2.00 m, grade B: An invoice is 75 days past due." in findings[2]
    assert findings[3] == ("Replayed over 13 month ends (2023-06-30 to 2024-06-30), orange or more severe alerts "
                           "flagged 22 of 40 defaults at least 90 days ahead (55%, median lead 151 days) with 2.5 "
                           "alerts per 100 customers a month; a ranking by the true PD with the same alert budget "
                           "flags 50%, so the rules reach 110% of that oracle.")
    assert findings[4] == ("Of 5 defaults caused by a linked party, all rules flagged 3 in time and the stand-alone "
                           "rules alone 1.")


def test_key_findings_without_diff_backtest_or_alerts():
    findings = key_findings(_result(alerts=_alerts().iloc[0:0], closed=0))
    assert findings == [("On 2024-06-30 the run rated 6 customers: 0 have a red alert and 0 an orange one at worst "
                         "(0.0% of the book); 0 alerts in all."),
                        "Since the previous run 0 alerts opened, 0 escalated, 0 persist and 0 closed."]
    with pytest.raises(ValueError, match="level"):
        key_findings(_result(), level="amber")


def test_payloads_of_the_digests_are_json():
    for m in compose_digests(_alerts(), {"run_id": "r2", "as_of": AS_OF}):
        json.dumps(m.payload)
