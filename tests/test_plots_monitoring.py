"""Monitoring figures (riskkit.plots.monitoring): they return the Axes and draw the data they are given.

The timeline is fed a frame in the layout of ``Archive.customer_timeline`` (and once the real
thing from a DuckDB archive); the lead-time histogram is checked bar by bar against
``numpy.histogram`` of the same lead times.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402

import riskkit as rk  # noqa: E402
from riskkit.monitoring import Archive  # noqa: E402
from riskkit.plots.monitoring import LEVEL_COLORS, plot_alert_timeline, plot_lead_times  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _timeline() -> pd.DataFrame:
    return pd.DataFrame({
        "as_of": pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]),
        "run_id": ["r1", "r2", "r3", "r4"],
        "pd": [0.01, 0.02, 0.08, 0.30],
        "grade": ["BBB", "BB", "B", "CCC"],
        "alerts": [None, "yellow:pd_doubled (opened)",
                   "orange:overdue_30_days (opened); yellow:pd_doubled (persisting); info:lawsuit (opened)",
                   "red:overdue_60_days (escalated)"],
    })


def test_public_names_are_reachable_from_rk_plots():
    for name in ("plot_alert_timeline", "plot_lead_times"):
        assert getattr(rk.plots, name) is getattr(rk.plots.monitoring, name)
        assert name in rk.plots.__all__


def test_timeline_draws_the_pd_of_every_run_and_marks_alert_runs_by_their_worst_level():
    timeline = _timeline()
    ax = plot_alert_timeline(timeline)
    assert isinstance(ax, Axes)
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), [0.01, 0.02, 0.08, 0.30])
    assert ax.get_yscale() == "log"
    # grades above the points, alert counts below the markers (counted by hand from the texts)
    texts = [t.get_text() for t in ax.texts]
    assert texts[:4] == ["BBB", "BB", "B", "CCC"]
    assert sorted(texts[4:]) == ["1", "1", "3"]
    # one scatter per level present: run 2 yellow (only yellow), run 3 orange (worst of three), run 4 red
    by_colour = {}
    for collection in ax.collections:
        colour = tuple(np.round(collection.get_facecolor()[0], 6))
        by_colour[colour] = collection.get_offsets()[:, 1].tolist()
    assert by_colour == {tuple(np.round(to_rgba(LEVEL_COLORS["red"]), 6)): [0.30],
                         tuple(np.round(to_rgba(LEVEL_COLORS["orange"]), 6)): [0.08],
                         tuple(np.round(to_rgba(LEVEL_COLORS["yellow"]), 6)): [0.02]}
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]


def test_timeline_uses_a_linear_axis_in_per_cent_when_the_pd_moved_little():
    timeline = _timeline().assign(pd=[0.02, 0.025, 0.03, 0.05])
    ax = plot_alert_timeline(timeline)
    assert ax.get_yscale() == "linear"
    assert ax.yaxis.get_major_formatter()(0.05, 0) == "5%"
    assert ax.yaxis.get_major_formatter()(0.005, 0) == "0.50%"


def test_timeline_draws_on_the_given_axes_and_takes_a_title():
    _, given = plt.subplots()
    ax = plot_alert_timeline(_timeline(), ax=given, title="Customer C1")
    assert ax is given
    assert ax.get_title() == "Customer C1"


def test_timeline_from_a_real_archive(tmp_path):
    archive = Archive(tmp_path / "a.duckdb")
    for day, pd_value, grade, alerts in (("2024-01-31", 0.02, "BB", []),
                                         ("2024-02-29", 0.09, "B", [("orange", "overdue_30_days")])):
        with archive.run(day, run_id=f"r-{day}") as run:
            run.add_snapshots(pd.DataFrame({"customer_id": ["C1"], "pd": [pd_value], "grade": [grade],
                                            "score": [500.0]}))
            run.add_alerts(pd.DataFrame({"customer_id": ["C1"] * len(alerts), "rule": [r for _, r in alerts],
                                         "level": [lv for lv, _ in alerts], "message": ["30 days past due"] * len(alerts)}))
    timeline = archive.customer_timeline("C1")
    ax = plot_alert_timeline(timeline)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.02, 0.09])
    assert len(ax.collections) == 1
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1], [0.09])


def test_timeline_refuses_a_frame_without_its_columns():
    with pytest.raises(KeyError, match=r"\['alerts'\].*customer_timeline"):
        plot_alert_timeline(_timeline().drop(columns="alerts"))


def _lead_times() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["A", "B", "C", "D", "E"],
        "lead_days_red": [95.0, np.nan, np.nan, np.nan, 300.0],
        "lead_days_orange": [95.0, 150.0, np.nan, np.nan, 300.0],
        "lead_days_yellow": [120.0, 150.0, 91.0, np.nan, 330.0],
        "lead_days_info": [120.0, 181.0, 91.0, 365.0, 330.0],
    })


def test_lead_time_bars_equal_numpy_histogram_of_each_level():
    lead = _lead_times()
    ax = plot_lead_times(lead, lead_days=90, bin_days=30)
    edges = np.arange(90, 365 + 30, 30, dtype=float)  # 90, 120, ..., 390 covers the largest lead (365)
    containers = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(containers) == 4
    for container, level in zip(containers, ("red", "orange", "yellow", "info")):
        expected, _ = np.histogram(lead[f"lead_days_{level}"].dropna(), bins=edges)
        bars = list(container)
        np.testing.assert_allclose([b.get_height() for b in bars], expected)
        # every bar lies inside its own bin, and has its level's colour
        for bar, lo, hi in zip(bars, edges[:-1], edges[1:]):
            assert lo <= bar.get_x() and bar.get_x() + bar.get_width() <= hi
            np.testing.assert_allclose(bar.get_facecolor(), to_rgba(LEVEL_COLORS[level]))
    labels = ax.get_legend_handles_labels()[1]
    # captured counts by hand: red A, E; orange + B; yellow + C; info + D
    assert labels == ["minimum lead (90 days)", "red+: 2 of 5 defaults flagged", "orange+: 3 of 5 defaults flagged",
                      "yellow+: 4 of 5 defaults flagged", "info+: 5 of 5 defaults flagged"]


def test_lead_time_histogram_without_any_caught_default_draws_empty_bins():
    lead = _lead_times().assign(lead_days_red=np.nan)[["customer_id", "lead_days_red"]]
    _, given = plt.subplots()
    ax = plot_lead_times(lead, ax=given)
    assert ax is given
    assert [b.get_height() for b in ax.containers[0]] == [0.0]
    assert ax.get_legend_handles_labels()[1][-1] == "red+: 0 of 5 defaults flagged"


def test_lead_time_bad_inputs():
    with pytest.raises(KeyError, match="lead_days_<level>"):
        plot_lead_times(pd.DataFrame({"customer_id": ["A"]}))
    with pytest.raises(ValueError, match="bin_days"):
        plot_lead_times(_lead_times(), bin_days=0)
