"""Scorecard figures (riskkit.plots.scoring): they return the Axes and draw the data they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from scipy.stats import ks_2samp  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import riskkit as rk  # noqa: E402
from riskkit.plots.scoring import (  # noqa: E402
    plot_information_value,
    plot_ks_curve,
    plot_score_distribution,
    plot_woe_bins,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def german_card():
    """The scorecard_development notebook's default configuration (seed 42, 30 % test)."""
    data = rk.datasets.load_german_credit()
    X, y = data.drop(columns="bad"), data["bad"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=42)
    card = rk.scoring.Scorecard().fit(X_train, y_train)
    return card, X_test, y_test


def _bars(ax):
    containers = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(containers) == 1
    return list(containers[0])


def test_public_names_are_reachable_from_rk_plots():
    for name in ("plot_woe_bins", "plot_information_value", "plot_score_distribution", "plot_ks_curve"):
        assert getattr(rk.plots, name) is getattr(rk.plots.scoring, name)
        assert name in rk.plots.__all__


def test_woe_bars_equal_the_binning_table(german_card):
    card, _, _ = german_card
    feature = "duration_in_month"
    table = card.binner_.binning_table(feature)
    ax = plot_woe_bins(table, title=feature)
    assert isinstance(ax, Axes)
    drawn = table[(table["bin"] != "Total") & (table["count"] > 0)]
    heights = [bar.get_height() for bar in _bars(ax)]
    np.testing.assert_allclose(heights, drawn["woe"].to_numpy(), rtol=0, atol=1e-12)
    # independent check of what is drawn: WoE = ln((goods_i/G) / (bads_i/B)) from the counts
    goods, bads = drawn["non_events"].to_numpy(float), drawn["events"].to_numpy(float)
    by_hand = np.log((goods / table["non_events"].iloc[-1]) / (bads / table["events"].iloc[-1]))
    np.testing.assert_allclose(heights, by_hand, rtol=1e-12)
    # the training data had no missing durations: the empty Missing bin is not drawn
    assert len(heights) == card.binner_.binnings_[feature].n_regular
    # the event-rate line on the twin axis, in percent
    twin = [a for a in ax.figure.axes if a is not ax]
    assert len(twin) == 1
    line = twin[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), 100 * drawn["event_rate"].to_numpy())
    assert ax.get_title() == feature


def test_woe_bins_colour_by_sign_and_shorten_long_labels():
    table = pd.DataFrame({
        "bin": ["a very long group of category labels | and another long one | and a third", "b", "Missing",
                "Total"],
        "count": [10, 20, 0, 30], "woe": [0.5, -0.25, 0.0, np.nan], "event_rate": [0.1, 0.3, np.nan, 0.23],
    })
    ax = plot_woe_bins(table, event_rate=False, max_label_chars=20)
    bars = _bars(ax)
    assert [b.get_height() for b in bars] == [0.5, -0.25]
    assert bars[0].get_facecolor() != bars[1].get_facecolor()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == 2 and len(labels[0].replace("\n", " ")) <= 20
    assert len(ax.figure.axes) == 1  # no twin axis without the event rate


def test_woe_bins_rejects_a_table_without_woe():
    with pytest.raises(ValueError, match="woe"):
        plot_woe_bins(pd.DataFrame({"bin": ["a"], "count": [1], "event_rate": [0.1]}))


def test_information_value_bars_sorted_and_selected_highlighted(german_card):
    card, _, _ = german_card
    iv = card.binner_.information_value_
    ax = plot_information_value(iv.sample(frac=1.0, random_state=0), selected=card.features_)
    assert isinstance(ax, Axes)
    bars = _bars(ax)
    expected = iv.sort_values(ascending=False)
    # bars are drawn from the top (highest IV) down: y position falls as IV falls
    by_position = sorted(bars, key=lambda b: -b.get_y())
    np.testing.assert_allclose([b.get_width() for b in by_position], expected.to_numpy())
    ticks = sorted(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]), reverse=True)
    assert [name for _, name in ticks] == expected.index.tolist()
    selected = set(card.features_)
    colours = {name: bar.get_facecolor() for (_, name), bar in zip(ticks, by_position)}
    assert len({colours[f] for f in selected}) == 1
    assert len({colours[f] for f in expected.index if f not in selected}) == 1
    assert colours[card.features_[0]] != colours[expected.index[-1]]


def test_information_value_top_and_missing_values():
    iv = pd.Series({"a": 0.5, "b": 0.2, "c": 0.05, "d": 0.01})
    ax = plot_information_value(iv, top=2)
    assert sorted(b.get_width() for b in _bars(ax)) == [0.2, 0.5]
    with pytest.raises(ValueError, match="missing"):
        plot_information_value(pd.Series({"a": 0.5, "b": np.nan}))


def test_score_distribution_heights_are_class_densities(german_card):
    card, X_test, y_test = german_card
    points = card.total_points(X_test)
    ax = plot_score_distribution(points, y_test, bins=20)
    assert isinstance(ax, Axes)
    edges = np.histogram_bin_edges(points, bins=20)
    assert len(ax.containers) == 2
    for container, cls in zip(ax.containers, (0, 1)):
        expected, _ = np.histogram(points[y_test.to_numpy() == cls], bins=edges, density=True)
        np.testing.assert_allclose([b.get_height() for b in container], expected)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"non-default (0), n = {(y_test == 0).sum()}", f"default (1), n = {(y_test == 1).sum()}"]


def test_ks_curve_gap_matches_scipy_and_validation(german_card):
    card, X_test, y_test = german_card
    points = card.total_points(X_test).to_numpy()
    ax = plot_ks_curve(points, y_test)
    assert isinstance(ax, Axes)
    defaults, non_defaults, marker = ax.get_lines()
    gap = np.max(np.abs(defaults.get_ydata() - non_defaults.get_ydata())) / 100
    reference = ks_2samp(points[y_test.to_numpy() == 1], points[y_test.to_numpy() == 0]).statistic
    assert gap == pytest.approx(reference, abs=1e-12)
    assert gap == pytest.approx(rk.validation.ks(y_test, points, higher_is_riskier=False).statistic, abs=1e-12)
    # the marker spans the gap at one score
    assert marker.get_xdata()[0] == marker.get_xdata()[1]
    assert abs(np.diff(marker.get_ydata())[0]) / 100 == pytest.approx(reference, abs=1e-12)
    # both curves end at 100 %
    assert defaults.get_ydata()[-1] == non_defaults.get_ydata()[-1] == 100


def test_ks_curve_hand_example():
    # scores 1..4, defaults at 1 and 2: F_D(2) = 1, F_ND(2) = 0 -> KS = 1 at score 2
    ax = plot_ks_curve([1.0, 2.0, 3.0, 4.0], [1, 1, 0, 0])
    marker = ax.get_lines()[2]
    assert list(marker.get_xdata()) == [2.0, 2.0]
    assert sorted(marker.get_ydata()) == [0.0, 100.0]


@pytest.mark.parametrize("plot", [plot_score_distribution, plot_ks_curve])
def test_score_plots_reject_bad_input(plot):
    with pytest.raises(ValueError, match="0/1"):
        plot([1.0, 2.0, 3.0], [0, 1, 2])
    with pytest.raises(ValueError, match="single class"):
        plot([1.0, 2.0, 3.0], [1, 1, 1])
    with pytest.raises(ValueError, match="y has 2 values but score has 3 rows"):
        plot([1.0, 2.0, 3.0], [0, 1])
    with pytest.raises(ValueError, match="missing or infinite"):
        plot([1.0, np.nan, 3.0], [0, 1, 0])
    with pytest.raises(ValueError, match="missing values"):
        plot([1.0, 2.0, 3.0], [0, np.nan, 1])
