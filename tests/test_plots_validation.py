"""Validation figures: what they draw equals the tidy inputs and independent intervals."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

import riskkit as rk  # noqa: E402
from riskkit.plots import validation as vplots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def scored():
    rng = np.random.default_rng(4)
    y = (rng.random(300) < 0.15).astype(int)
    return y, y * 1.2 + rng.normal(size=300)


def test_public_names_reach_rk_plots():
    for name in vplots.__all__:
        assert getattr(rk.plots, name) is getattr(vplots, name)


def test_jeffreys_interval_matches_statsmodels_inside_and_is_closed_at_the_ends():
    d = np.array([1, 3, 7, 20])
    n = np.array([10, 50, 40, 25])
    lower, upper = vplots.jeffreys_interval(d, n, 0.9)
    ref_low, ref_up = proportion_confint(d, n, alpha=0.1, method="jeffreys")
    np.testing.assert_allclose(lower, ref_low, rtol=1e-10)
    np.testing.assert_allclose(upper, ref_up, rtol=1e-10)
    # Brown, Cai & DasGupta (2001): lower bound 0 when D = 0, upper bound 1 when D = N
    lower, upper = vplots.jeffreys_interval([0, 5], [5, 5])
    assert lower[0] == 0 and upper[1] == 1
    assert upper[0] == pytest.approx(proportion_confint(0, 5, alpha=0.05, method="jeffreys")[1])
    with pytest.raises(ValueError, match="0 <= defaults <= n"):
        vplots.jeffreys_interval([3], [2])
    with pytest.raises(ValueError, match="level must be in"):
        vplots.jeffreys_interval([1], [2], level=1.0)


def test_plot_roc_draws_the_curves(scored):
    y, s = scored
    a = rk.validation.roc_curve(y, s)
    b = rk.validation.roc_curve(y, -s)
    ax = rk.plots.plot_roc({"model": a, "reversed": b})
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["model"].get_xdata(), a["false_positive_rate"])
    np.testing.assert_array_equal(lines["model"].get_ydata(), a["true_positive_rate"])
    np.testing.assert_array_equal(lines["reversed"].get_ydata(), b["true_positive_rate"])
    assert "random" in lines
    _, given = plt.subplots()
    assert rk.plots.plot_roc(a, ax=given) is given
    with pytest.raises(ValueError, match=r"missing column\(s\) \['true_positive_rate'\]"):
        rk.plots.plot_roc(a.drop(columns="true_positive_rate"))
    with pytest.raises(ValueError, match="non-empty mapping"):
        rk.plots.plot_roc({})


def test_plot_cap_with_perfect_model(scored):
    y, s = scored
    cap = rk.validation.cap_curve(y, s)
    ax = rk.plots.plot_cap({"model": cap}, default_rate=float(np.mean(y)))
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["model"].get_ydata(), cap["share_of_defaults"])
    np.testing.assert_allclose(lines["perfect model"].get_xdata(), [0, np.mean(y), 1])
    np.testing.assert_allclose(lines["perfect model"].get_ydata(), [0, 1, 1])
    with pytest.raises(ValueError, match="default_rate must be in"):
        rk.plots.plot_cap(cap, default_rate=0)


def test_plot_calibration_by_grade_bands_are_jeffreys_intervals():
    table = pd.DataFrame({"grade": ["A", "B", "C"], "n": [200, 100, 40], "defaults": [0, 4, 10],
                          "predicted_pd": [0.002, 0.03, 0.2]})
    ax = rk.plots.plot_calibration_by_grade(table, level=0.95, grade_pd={"A": 0.0015, "B": 0.03, "C": 0.25})
    [band] = [c for c in ax.collections if isinstance(c, LineCollection)]
    segments = band.get_segments()
    low, up = proportion_confint(table["defaults"], table["n"], alpha=0.05, method="jeffreys")
    floor = ax.get_ylim()[0] * 1.5  # zero-default grade: band starts at the plot floor
    assert segments[0][0][1] == pytest.approx(floor)
    for k in (1, 2):
        assert segments[k][0][1] == pytest.approx(low[k])
    for k in range(3):
        assert segments[k][1][1] == pytest.approx(up[k])
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["observed default rate"].get_ydata(), [4 / 100, 10 / 40])
    np.testing.assert_allclose(lines["no defaults observed"].get_xdata(), [0])
    np.testing.assert_allclose(lines["predicted PD (mean)"].get_ydata(), table["predicted_pd"])
    np.testing.assert_allclose(lines["grade PD"].get_ydata(), [0.0015, 0.03, 0.25])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B", "C"]
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match=r"missing column\(s\) \['defaults'\]"):
        rk.plots.plot_calibration_by_grade(table.drop(columns="defaults"))


def test_plot_calibration_reads_backtest_output(scored):
    y, _ = scored
    frame = pd.DataFrame({"pd_grade": np.where(np.arange(300) < 150, "A", "B"), "pd": 0.1, "default": y})
    table = rk.validation.backtest_default_rates(frame, by="pd_grade")
    ax = rk.plots.plot_calibration_by_grade(table, grade_col="pd_grade")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B"]


def test_plot_score_distributions_shares_on_common_bins():
    a = np.array([1.0, 2.0, 2.5, 3.0])
    b = np.array([2.0, 4.0])
    ax = rk.plots.plot_score_distributions({"a": a, "b": b}, bins=3)
    patches = ax.patches
    assert len(patches) == 2
    edges = np.linspace(1, 4, 4)
    for patch, values in zip(patches, (a, b)):
        counts, _ = np.histogram(values, bins=edges)
        drawn = patch.get_data()
        np.testing.assert_allclose(drawn.values, counts / values.size)
        np.testing.assert_allclose(drawn.edges, edges)
    with pytest.raises(ValueError, match="sample 'c' must be a non-empty"):
        rk.plots.plot_score_distributions({"c": [1.0, np.nan]})


def test_plot_psi_bins_bars_are_the_shares():
    rng = np.random.default_rng(2)
    result = rk.validation.psi(rng.normal(size=500), rng.normal(0.3, size=400), bins=5)
    ax = rk.plots.plot_psi_bins(result.table)
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights[:5], result.table["expected_share"])
    np.testing.assert_allclose(heights[5:], result.table["actual_share"])
    assert sum(heights[:5]) == pytest.approx(1) and sum(heights[5:]) == pytest.approx(1)


def test_plot_migration_heatmap_row_shares_and_counts():
    start = ["A", "A", "A", "B", "B", "C"]
    end = ["A", "A", "B", "B", "C", "C"]
    matrix = rk.validation.migration_matrix(start, end, grades=["A", "B", "C", "D"])
    ax = rk.plots.plot_migration_heatmap(matrix)
    image = ax.get_images()[0].get_array()
    expected = np.array([[2 / 3, 1 / 3, 0, 0], [0, 0.5, 0.5, 0], [0, 0, 1, 0], [np.nan] * 4])
    np.testing.assert_allclose(image.filled(np.nan), expected)
    assert image.mask[3].all()  # a grade nobody started in is left blank
    texts = [t.get_text() for t in ax.texts]
    assert texts[:4] == ["67", "33", "0", "0"] and len(texts) == 12
    ax = rk.plots.plot_migration_heatmap(matrix.counts, shares=False)
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), matrix.values)
    with pytest.raises(ValueError, match="square DataFrame"):
        rk.plots.plot_migration_heatmap(pd.DataFrame(np.zeros((2, 3))))


def test_plot_default_rate_over_time_band_and_lines():
    table = pd.DataFrame({"as_of": pd.to_datetime(["2023-12-31", "2024-06-30", "2024-12-31"]),
                          "n": [500, 520, 510], "defaults": [12, 20, 9], "predicted_pd": [0.03, 0.032, 0.031]})
    ax = rk.plots.plot_default_rate_over_time(table, level=0.9)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["observed"].get_ydata(), table["defaults"] / table["n"])
    np.testing.assert_allclose(lines["predicted"].get_ydata(), table["predicted_pd"])
    [band] = [c for c in ax.collections if isinstance(c, PolyCollection)]
    vertices = band.get_paths()[0].vertices[:, 1]
    low, up = proportion_confint(table["defaults"], table["n"], alpha=0.1, method="jeffreys")
    for value in [*low, *up]:
        assert np.isclose(vertices, value).any()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2023-12-31", "2024-06-30", "2024-12-31"]
    grouped = pd.concat([table.assign(grade="A"), table.assign(grade="B", defaults=[1, 2, 3])])
    ax = rk.plots.plot_default_rate_over_time(grouped, group_col="grade")
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"observed A", "observed B", "predicted A", "predicted B"} <= set(labels)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['grade'\]"):
        rk.plots.plot_default_rate_over_time(table, group_col="grade")


def test_plot_auc_comparison_error_bars(scored):
    y, s = scored
    data = pd.DataFrame({"default": y, "a": s, "b": -s + np.linspace(0, 1, y.size), "g": np.arange(y.size) % 2})
    comparison = rk.validation.compare_challengers(data, ["a", "b"])
    ax = rk.plots.plot_auc_comparison(comparison.auc)
    [container] = ax.containers
    np.testing.assert_allclose(container.lines[0].get_ydata(), comparison.auc["auc"])
    segments = container.lines[2][0].get_segments()
    for seg, (_, row) in zip(segments, comparison.auc.iterrows()):
        assert seg[0][1] == pytest.approx(row["ci_lower"]) and seg[1][1] == pytest.approx(row["ci_upper"])
    grouped = rk.validation.compare_challengers(data, ["a", "b"], by="g")
    ax = rk.plots.plot_auc_comparison(grouped.auc)
    assert len(ax.containers) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1"]
    with pytest.raises(ValueError, match=r"missing column\(s\) \['ci_lower'\]"):
        rk.plots.plot_auc_comparison(comparison.auc.drop(columns="ci_lower"))
