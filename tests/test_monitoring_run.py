"""The nightly monitoring run and the early-warning back-test on the sample book.

Real components: a DuckDB file archive, an aiosmtpd SMTP server and an http.server
webhook on 127.0.0.1 (tests/_loopback.py).  The expected alerts are recomputed
independently from the run's own inputs (the rules on the frames), and the back-test's
capture is recomputed by hand from its alert table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit.monitoring import Archive, MonitoringRules, ews_backtest, monitoring_frame, run_monitoring
from riskkit.monitoring.ews import _caught

from _loopback import SMTPServer, free_port

pytestmark = pytest.mark.slow

FIRST, SECOND = "2024-05-31", "2024-06-30"


@pytest.fixture(scope="module")
def book():
    return rk.datasets.load_sample()


@pytest.fixture(scope="module")
def card(book):
    card, _ = rk.assess.fit_portfolio_scorecard(book, rk.assess.development_dates(FIRST))
    return card


@pytest.fixture(scope="module")
def two_runs(book, card, tmp_path_factory):
    path = tmp_path_factory.mktemp("archive") / "monitor.duckdb"
    archive = Archive(path)
    first = run_monitoring(book, FIRST, archive=archive, scorecard=card)
    second = run_monitoring(book, SECOND, archive=archive, scorecard=card)
    return path, first, second


def test_alerts_are_the_rules_on_the_run_inputs(book, card, two_runs):
    _, first, second = two_runs
    rules = MonitoringRules.default()
    # recompute both frames independently of the archive and evaluate the rules on them
    f1 = monitoring_frame(book, FIRST, card)
    f2 = monitoring_frame(book, SECOND, card)
    expected = rules.evaluate(f2.current, f1.current, events=book.events, links=f2.links, as_of=SECOND,
                              previous_as_of=FIRST)
    got = second.alerts
    key = ["customer_id", "rule"]
    pd.testing.assert_frame_equal(got[key + ["level"]].sort_values(key).reset_index(drop=True),
                                  expected[key + ["level"]].sort_values(key).reset_index(drop=True))


def test_dedup_across_runs(two_runs):
    _, first, second = two_runs
    assert set(first.alerts["event"]) == {"opened"}
    again = first.alerts.merge(second.alerts, on=["customer_id", "rule"], suffixes=("_1", "_2"))
    rank = {"red": 0, "orange": 1, "yellow": 2, "info": 3}
    expected = np.where(again["level_2"].map(rank) < again["level_1"].map(rank), "escalated",
                        np.where(again["level_2"].map(rank) > again["level_1"].map(rank), "deescalated", "persisting"))
    assert (again["event_2"].to_numpy() == expected).all()
    assert len(again) > 0, "the sample book should have alerts that persist from May to June"
    new = second.alerts[~second.alerts.set_index(["customer_id", "rule"]).index.isin(
        again.set_index(["customer_id", "rule"]).index)]
    assert set(new["event"]) <= {"opened"}
    # what was open and not raised again is closed
    closed = first.alerts.set_index(["customer_id", "rule"]).index.difference(
        second.alerts.set_index(["customer_id", "rule"]).index)
    assert len(second.closed) == len(closed)


def test_digests_only_for_new_or_escalated_alerts(two_runs):
    _, _, second = two_runs
    notified = second.alerts[second.alerts["event"].isin(["opened", "escalated"])]
    listed = sum(len(m.payload["alerts"]) for m in second.messages)
    per_recipient = sum(len(r) for r in notified["recipients"])
    assert listed == per_recipient


def test_actions_persist_instead_of_repeating(two_runs):
    """An action recommended on both nights is no new work item on the second: its event
    follows from the two nights' priorities alone (rank by the default policy), and its due
    date is the first night's; what the first night recommended and the second did not is
    resolved."""
    path, first, second = two_runs
    assert set(first.actions["event"]) == {"opened"}
    key = ["customer_id", "action"]
    both = first.actions.merge(second.actions, on=key, suffixes=("_1", "_2"))
    assert len(both) > 0, "the sample book should have actions recommended in May and June"
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    r1, r2 = both["priority_1"].map(rank), both["priority_2"].map(rank)
    expected = np.where(r2 < r1, "escalated", np.where(r2 > r1, "deescalated", "persisting"))
    assert (both["event_2"].to_numpy() == expected).all()
    kept = both["event_2"] != "escalated"
    assert (both.loc[kept, "due_date_2"] == both.loc[kept, "due_date_1"]).all()
    assert (both["first_seen_run_2"] == first.run_id).all()
    fresh = second.actions[~second.actions.set_index(key).index.isin(both.set_index(key).index)]
    assert set(fresh["event"]) <= {"opened"}
    gone = first.actions.set_index(key).index.difference(second.actions.set_index(key).index)
    assert sorted(zip(second.resolved_actions["customer_id"], second.resolved_actions["action"])) == sorted(gone)
    counts = second.action_counts()
    assert counts["persisting"] + counts["deescalated"] == int(np.isin(expected, ["persisting",
                                                                                  "deescalated"]).sum())
    assert f"{counts['opened']:,} new" in second.summary() and f"{len(gone):,} resolved" in second.summary()
    work = Archive(path).open_actions()
    assert sorted(zip(work["customer_id"], work["action"])) == sorted(zip(second.actions["customer_id"],
                                                                          second.actions["action"]))


def test_digests_list_only_new_or_escalated_actions(two_runs):
    _, _, second = two_runs
    listed = [(a["customer_id"], a["action"], a["event"]) for m in second.messages for a in m.payload["actions"]]
    assert {e for *_, e in listed} <= {"opened", "reopened", "escalated"}
    persisting = second.actions[~second.actions["event"].isin(["opened", "reopened", "escalated"])]
    assert not set(zip(persisting["customer_id"], persisting["action"])) & {(c, a) for c, a, _ in listed}


def test_archive_holds_both_runs_and_verifies(two_runs, book):
    path, first, second = two_runs
    archive = Archive(path)
    runs = archive.runs()
    assert list(runs["run_id"]) == [first.run_id, second.run_id]
    snap = archive.snapshot(second.run_id)
    assert len(snap) == len(second.frame.current)
    assert archive.verify().ok
    open_now = archive.open_alerts()
    assert set(zip(open_now["customer_id"], open_now["rule"])) == set(zip(second.alerts["customer_id"],
                                                                          second.alerts["rule"]))


def test_red_and_orange_concern_well_under_ten_percent(two_runs):
    for result in two_runs[1:]:
        alerted = result.alerts.loc[result.alerts["level"].isin(["red", "orange"]), "customer_id"].nunique()
        assert alerted / len(result.frame.current) < 0.10


def test_summary_is_one_screen(two_runs):
    text = two_runs[2].summary()
    assert len(text.splitlines()) <= 20
    assert "red" in text and "orange" in text and "queued" in text


def test_notify_delivers_each_digest_once(book, card, tmp_path, monkeypatch):
    smtp_port = free_port()
    monkeypatch.setenv("RISKKIT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RISKKIT_SMTP_PORT", str(smtp_port))
    monkeypatch.setenv("RISKKIT_SMTP_FROM", "riskkit@example.com")
    monkeypatch.setenv("RISKKIT_SMTP_STARTTLS", "false")
    archive = Archive(tmp_path / "notify.duckdb")
    # servers down: everything stays queued
    down = run_monitoring(book, FIRST, archive=archive, scorecard=card, notify=True, network=False)
    assert down.delivery is not None and down.messages
    with SMTPServer(smtp_port) as smtp:
        up = run_monitoring(book, SECOND, archive=archive, scorecard=card, notify=True, network=False)
        ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == len(set(ids)) == len(down.messages) + len(up.messages)
    with SMTPServer(smtp_port) as smtp:
        from riskkit.monitoring import deliver_outbox
        from riskkit.monitoring.run import channels_from_env

        deliver_outbox(archive, channels_from_env())
        assert smtp.messages == []                       # nothing is ever sent twice



def test_without_archive_everything_is_new(book, card):
    result = run_monitoring(book, FIRST, scorecard=card, network=False)
    assert result.run_id is None
    assert set(result.alerts["event"]) <= {"opened"}
    assert result.closed.empty


def test_bad_inputs(book, card, tmp_path):
    with pytest.raises(ValueError, match="as_of"):
        run_monitoring(book, "2024-13-01", scorecard=card)
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - name: x\n    kind: nonsense\n    level: red\n")
    with pytest.raises(rk.ConfigError, match="kind"):
        run_monitoring(book, FIRST, rules=bad, scorecard=card)


# ------------------------------------------------------------------------ back-test
def test_caught_by_hand():
    flags = pd.DataFrame({"as_of": pd.to_datetime(["2024-01-31", "2024-03-31", "2024-06-30", "2024-01-31"]),
                          "customer_id": ["A", "A", "A", "B"]})
    defaults = pd.Series(pd.to_datetime(["2024-07-15", "2024-03-01"]), index=["A", "B"])
    lead = _caught(flags, defaults, lead_days=90, lookback_days=365)
    # A: 2024-01-31 is 166 days ahead (first in the window); 2024-06-30 is only 15 days ahead
    assert lead["A"] == (pd.Timestamp("2024-07-15") - pd.Timestamp("2024-01-31")).days
    # B: 2024-01-31 is 30 days ahead, inside the lead time: not caught
    assert np.isnan(lead["B"])


@pytest.fixture(scope="module")
def backtest(book, card):
    return ews_backtest(book, "2024-01-31", "2024-06-30", scorecard=card)


def test_backtest_capture_recomputed_from_its_alerts(backtest, book):
    first = rk.profile.first_default_dates(book).dropna()
    catchable = first[(first >= pd.Timestamp("2024-01-31") + pd.Timedelta(days=90))
                      & (first <= pd.Timestamp("2024-06-30") + pd.Timedelta(days=90))]
    rank = {"red": 0, "orange": 1, "yellow": 2, "info": 3}
    for level, row in backtest.by_level.iterrows():
        flagged = backtest.alerts[backtest.alerts["level"].map(rank) <= rank[level]]
        caught = 0
        for cid, when in catchable.items():
            dates = flagged.loc[flagged["customer_id"] == cid, "as_of"]
            ahead = (when - dates).dt.days
            caught += bool(((ahead >= 90) & (ahead <= 365)).any())
        assert row["n_defaults"] == len(catchable)
        assert row["captured"] == caught
    # a wider net never catches less
    assert backtest.by_level["capture"].is_monotonic_increasing


def test_backtest_oracle_uses_the_same_budget(backtest):
    assert backtest.by_level["oracle_capture"].between(0, 1).all()
    assert (backtest.by_level["alerts_per_100_per_month"] > 0).all()
    assert backtest.by_level["false_alarm_rate"].between(0, 1).all()
    assert "capture" in backtest.summary()


def test_backtest_bad_dates(book, card):
    with pytest.raises(ValueError, match="after start"):
        ews_backtest(book, "2024-06-30", "2024-01-31", scorecard=card)


def test_rich_display_masks_recipient_mailboxes(two_runs):
    """The HTML card of a run lists alerts and actions with their recipients: staff e-mail
    addresses appear masked there (as in the digests), webhook names as they are."""
    _, _, second = two_runs
    raw = sorted({r for rs in second.alerts["recipients"] for r in rs if "@" in r})
    assert raw, "the default rules address alerts to e-mail recipients"
    html = second._repr_html_()
    for address in raw:
        assert address not in html
    # the card's first rows show recipients, masked (the card lists a sample of the rows)
    shown = {f"{a.partition('@')[0][:1]}***@{a.partition('@')[2]}" for a in raw}
    assert any(masked in html for masked in shown)
