"""Alert state across runs: every transition of reconcile_alerts on hand-built frames."""

from __future__ import annotations

import pandas as pd
import pytest

from riskkit.monitoring.alerts import ALERT_EVENTS, reconcile_alerts
from riskkit.monitoring.rules import MonitoringInputError


def alerts(*rows) -> pd.DataFrame:
    """Alerts frame from (customer_id, rule, level) triples."""
    return pd.DataFrame({
        "customer_id": [r[0] for r in rows],
        "rule": [r[1] for r in rows],
        "level": [r[2] for r in rows],
        "message": [f"{r[1]} for {r[0]}" for r in rows],
    })


def by_key(frame: pd.DataFrame, column: str) -> dict:
    return {(r.customer_id, r.rule): getattr(r, column) for r in frame.itertuples()}


MAY, JUN, JUL, AUG = (pd.Timestamp(d) for d in ("2024-05-31", "2024-06-30", "2024-07-31", "2024-08-31"))


def test_first_run_opens_everything():
    result = reconcile_alerts(alerts(("A", "late", "red"), ("B", "slow", "yellow")), None, as_of=MAY)
    assert by_key(result.events, "event") == {("A", "late"): "opened", ("B", "slow"): "opened"}
    assert list(result.to_raise["status"]) == ["opened", "opened"]
    assert list(result.to_raise["message"]) == ["late for A", "slow for B"]   # the alert's columns are kept
    assert set(result.to_raise["first_seen"]) == {MAY}
    assert result.to_raise["previous_level"].isna().all()
    assert by_key(result.open_alerts, "raised_level") == {("A", "late"): "red", ("B", "slow"): "yellow"}
    assert set(result.open_alerts["last_seen"]) == {MAY}
    assert result.counts().to_dict() == {"opened": 2, "escalated": 0, "deescalated": 0, "persisting": 0, "closed": 0}


def test_each_transition_by_hand():
    open_ = reconcile_alerts(alerts(("A", "late", "orange"), ("B", "slow", "yellow"), ("C", "drop", "yellow"),
                                    ("D", "late", "red")), None, as_of=MAY).open_alerts
    new = alerts(("A", "late", "orange"),    # same level: persisting
                 ("B", "slow", "red"),       # yellow -> red: escalated
                 ("D", "late", "orange"),    # red -> orange: milder, deescalated (not raised)
                 ("E", "late", "red"))       # new key: opened
    #            C/drop is gone: closed
    result = reconcile_alerts(new, open_, as_of=JUN)
    events = result.events.set_index(["customer_id", "rule"])
    assert events["event"].to_dict() == {("E", "late"): "opened", ("B", "slow"): "escalated",
                                         ("A", "late"): "persisting", ("D", "late"): "deescalated",
                                         ("C", "drop"): "closed"}
    assert list(result.events["event"]) == ["opened", "escalated", "deescalated", "persisting", "closed"]
    assert events.loc[("B", "slow"), "level_before"] == "yellow" and events.loc[("B", "slow"), "level_after"] == "red"
    assert events.loc[("C", "drop"), "level_before"] == "yellow" and pd.isna(events.loc[("C", "drop"), "level_after"])
    assert pd.isna(events.loc[("E", "late"), "level_before"])
    # first_seen: carried over while open (also for the closed one), as_of for the new one
    assert events["first_seen"].to_dict() == {("E", "late"): JUN, ("B", "slow"): MAY, ("A", "late"): MAY,
                                              ("D", "late"): MAY, ("C", "drop"): MAY}
    assert set(result.events["as_of"]) == {JUN}
    # raised: the opened and the escalated alert only, in the order of new_alerts
    raised = result.to_raise.set_index(["customer_id", "rule"])
    assert list(raised.index) == [("B", "slow"), ("E", "late")]
    assert raised.loc[("B", "slow"), "status"] == "escalated"
    assert raised.loc[("B", "slow"), "previous_level"] == "yellow"
    assert raised.loc[("B", "slow"), "first_seen"] == MAY
    # open after the run: everything raised now; C is closed; D keeps the red it was raised at
    state = result.open_alerts.set_index(["customer_id", "rule"])
    assert sorted(state.index) == [("A", "late"), ("B", "slow"), ("D", "late"), ("E", "late")]
    assert state.loc[("D", "late"), "level"] == "orange" and state.loc[("D", "late"), "raised_level"] == "red"
    assert state.loc[("B", "slow"), "raised_level"] == "red"
    assert set(state["last_seen"]) == {JUN}


def test_falling_back_and_rising_again_is_not_raised_twice():
    state = reconcile_alerts(alerts(("A", "late", "red")), None, as_of=MAY).open_alerts
    fell = reconcile_alerts(alerts(("A", "late", "orange")), state, as_of=JUN)
    assert by_key(fell.events, "event") == {("A", "late"): "deescalated"} and fell.to_raise.empty
    result = reconcile_alerts(alerts(("A", "late", "red")), fell.open_alerts, as_of=JUL)
    # red was already notified in May and the alert never closed
    assert by_key(result.events, "event") == {("A", "late"): "persisting"}
    assert result.to_raise.empty
    assert by_key(result.open_alerts, "first_seen") == {("A", "late"): MAY}


def test_closed_alert_reopens_with_a_new_first_seen():
    state = reconcile_alerts(alerts(("A", "late", "red")), None, as_of=MAY).open_alerts
    closed = reconcile_alerts(alerts(), state, as_of=JUN)
    assert by_key(closed.events, "event") == {("A", "late"): "closed"}
    assert closed.open_alerts.empty and closed.to_raise.empty
    again = reconcile_alerts(alerts(("A", "late", "red")), closed.open_alerts, as_of=JUL)
    assert by_key(again.events, "event") == {("A", "late"): "opened"}
    assert by_key(again.to_raise, "first_seen") == {("A", "late"): JUL}


def test_same_customer_different_rules_are_different_alerts():
    state = reconcile_alerts(alerts(("A", "late", "red")), None, as_of=MAY).open_alerts
    result = reconcile_alerts(alerts(("A", "late", "red"), ("A", "slow", "yellow")), state, as_of=JUN)
    assert by_key(result.events, "event") == {("A", "late"): "persisting", ("A", "slow"): "opened"}


def test_rules_not_evaluated_keep_their_open_alerts():
    state = reconcile_alerts(alerts(("A", "late", "red"), ("B", "network_pd_high", "yellow")), None,
                             as_of=MAY).open_alerts
    result = reconcile_alerts(alerts(("A", "late", "red")), state, as_of=JUN, evaluated_rules=["late"])
    assert by_key(result.events, "event") == {("A", "late"): "persisting"}   # B is neither closed nor persisting
    carried = result.open_alerts.set_index(["customer_id", "rule"])
    assert carried.loc[("B", "network_pd_high"), "last_seen"] == MAY and \
        carried.loc[("B", "network_pd_high"), "first_seen"] == MAY
    with pytest.raises(MonitoringInputError, match=r"\['late'\] are not in evaluated_rules"):
        reconcile_alerts(alerts(("A", "late", "red")), state, as_of=JUN, evaluated_rules=["other"])
    # without evaluated_rules every rule counts as evaluated: B closes
    closed = reconcile_alerts(alerts(("A", "late", "red")), state, as_of=JUN)
    assert by_key(closed.events, "event")[("B", "network_pd_high")] == "closed"


def test_open_alerts_without_raised_level_use_their_level():
    open_ = alerts(("A", "late", "orange")).assign(first_seen=MAY)
    result = reconcile_alerts(alerts(("A", "late", "red")), open_, as_of=JUN)
    assert by_key(result.events, "event") == {("A", "late"): "escalated"}


def test_bad_inputs():
    good_open = alerts(("A", "late", "red")).assign(first_seen=MAY)
    with pytest.raises(MonitoringInputError, match=r"new_alerts: \(customer_id, rule\) must be unique"):
        reconcile_alerts(alerts(("A", "late", "red"), ("A", "late", "orange")), None, as_of=JUN)
    with pytest.raises(MonitoringInputError, match="unknown level"):
        reconcile_alerts(alerts(("A", "late", "amber")), None, as_of=JUN)
    with pytest.raises(MonitoringInputError, match=r"open_alerts: column\(s\) \['first_seen'\] missing"):
        reconcile_alerts(alerts(), alerts(("A", "late", "red")), as_of=JUN)
    with pytest.raises(MonitoringInputError, match="open_alerts.first_seen: 1 missing"):
        reconcile_alerts(alerts(), good_open.assign(first_seen=pd.NaT), as_of=JUN)
    with pytest.raises(MonitoringInputError, match="datetime64"):
        reconcile_alerts(alerts(), good_open.assign(first_seen="2024-05-31"), as_of=JUN)
    with pytest.raises(MonitoringInputError, match="new_alerts.customer_id: 1 missing"):
        reconcile_alerts(alerts((None, "late", "red")), None, as_of=JUN)
    with pytest.raises(TypeError, match="as_of"):
        reconcile_alerts(alerts(), None, as_of=None)


def test_chained_runs_summary():
    runs = [(MAY, alerts(("A", "late", "yellow"), ("B", "slow", "yellow"))),
            (JUN, alerts(("A", "late", "orange"), ("B", "slow", "yellow"), ("C", "late", "red"))),
            (JUL, alerts(("A", "late", "orange"))),
            (AUG, alerts(("A", "late", "red"), ("B", "slow", "yellow")))]
    state, raised = None, []
    for as_of, new in runs:
        result = reconcile_alerts(new, state, as_of=as_of)
        state = result.open_alerts
        raised.append(sorted(zip(result.to_raise["customer_id"], result.to_raise["status"])))
    assert raised == [[("A", "opened"), ("B", "opened")],
                      [("A", "escalated"), ("C", "opened")],
                      [],
                      [("A", "escalated"), ("B", "opened")]]
    assert by_key(state, "first_seen") == {("A", "late"): MAY, ("B", "slow"): AUG}
    assert "1 escalated" in result.summary() and "1 opened" in result.summary()
    assert tuple(result.counts().index) == ALERT_EVENTS
