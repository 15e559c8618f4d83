"""Options of the monitoring run used by the benchmark and the report: step timings, fixed run ids,
and the last review date per customer read from the archive by one query.

Real components: DuckDB archives (a file and ``:memory:``) and the sample book.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest

import riskkit as rk
from riskkit.monitoring import Archive, MonitoringInputError, run_monitoring

FIRST, SECOND = "2024-05-31", "2024-06-30"
FRAME_STEPS = {"profile", "assess", "limits"}
NETWORK_STEPS = {"network_graph", "network_links", "network_pd", "network_stress"}
ARCHIVE_STEPS = {"archive_read", "rules", "actions", "fingerprint", "archive_write"}


def test_last_limit_decisions_takes_the_latest_committed_run_per_customer():
    archive = Archive(":memory:")
    decisions = {"2024-01-31": ["A", "B"], "2024-02-29": ["A"], "2024-03-31": ["A", "B", "C"]}
    for day, ids in decisions.items():
        if day == "2024-03-31":  # this run fails: its decisions are rolled back and never count
            with pytest.raises(RuntimeError), archive.run(day) as run:
                run.add_limit_decisions(pd.DataFrame({"customer_id": ids, "credit_limit": 1.0}))
                raise RuntimeError("power cut")
        else:
            with archive.run(day) as run:
                run.add_limit_decisions(pd.DataFrame({"customer_id": ids, "credit_limit": 1.0}))
    last = archive.last_limit_decisions()
    assert last.index.tolist() == ["A", "B"]
    assert [d.strftime("%Y-%m-%d") for d in last] == ["2024-02-29", "2024-01-31"]
    assert Archive(":memory:").last_limit_decisions().empty


@pytest.fixture(scope="module")
def book():
    return rk.datasets.load_sample()


@pytest.fixture(scope="module")
def card(book):
    card, _ = rk.assess.fit_portfolio_scorecard(book, rk.assess.development_dates(FIRST))
    return card


@pytest.mark.slow
def test_timings_cover_every_step_and_run_ids_are_the_given_ones(book, card, tmp_path):
    archive = Archive(tmp_path / "a.duckdb")
    run_monitoring(book, FIRST, archive=archive, scorecard=card, run_id="nightly-20240531", network=False)
    timings: dict = {}
    start = time.perf_counter()
    second = run_monitoring(book, SECOND, archive=archive, scorecard=card, run_id="nightly-20240630",
                            timings=timings, network=False)
    total = time.perf_counter() - start
    assert set(timings) == FRAME_STEPS | ARCHIVE_STEPS  # no network steps when the network view is off
    assert all(v >= 0 for v in timings.values())
    assert sum(timings.values()) <= total
    assert second.run_id == "nightly-20240630"
    assert archive.runs()["run_id"].tolist() == ["nightly-20240531", "nightly-20240630"]
    # alert ids are derived from the run id, so a fixed id gives the same ids on a re-run elsewhere
    again = Archive(tmp_path / "b.duckdb")
    run_monitoring(book, FIRST, archive=again, scorecard=card, run_id="nightly-20240531", network=False)
    twin = run_monitoring(book, SECOND, archive=again, scorecard=card, run_id="nightly-20240630", network=False)
    pd.testing.assert_series_equal(twin.alerts["alert_id"], second.alerts["alert_id"])
    assert [m.body for m in twin.messages] == [m.body for m in second.messages]


@pytest.mark.slow
def test_network_steps_are_timed_and_a_run_id_needs_an_archive(book, card):
    timings: dict = {}
    run_monitoring(book, SECOND, scorecard=card, timings=timings)
    assert set(timings) == FRAME_STEPS | NETWORK_STEPS | {"rules", "actions"}
    with pytest.raises(MonitoringInputError, match="run_id.*archive"):
        run_monitoring(book, SECOND, scorecard=card, run_id="nightly-20240630", network=False)
    with Archive(":memory:") as archive, pytest.raises(rk.monitoring.ArchiveInputError, match="run_id"):
        run_monitoring(book, SECOND, archive=archive, scorecard=card, run_id="bad id!", network=False)
