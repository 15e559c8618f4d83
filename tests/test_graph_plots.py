"""Graph drawings (riskkit.plots.graph): they return the Axes, draw what they are given, deterministically."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

from riskkit.graph import StressScenario, stress_test, systemic_importance  # noqa: E402
from riskkit.plots.graph import (  # noqa: E402
    plot_ego_network,
    plot_guarantee_circle,
    plot_pd_comparison,
    plot_pd_roc,
    plot_relation_layers,
    plot_stress_paths,
    plot_systemic_importance,
)
from riskkit.validation import auc  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def graph():
    G = nx.MultiDiGraph()
    for v, cap in {"A": 100.0, "B": 20.0, "C": 50.0, "D": 30.0, "E": 40.0}.items():
        G.add_node(v, registered_capital=cap * 1e6, is_customer=True)
    G.add_node("H", is_customer=False)
    G.add_edge("B", "A", type="guarantee", weight=30e6)
    G.add_edge("C", "B", type="guarantee", weight=10e6)
    G.add_edge("A", "C", type="guarantee", weight=5e6)  # closes the circle A -> C -> B -> A
    G.add_edge("H", "A", type="shareholding", weight=0.8)
    G.add_edge("H", "A", type="control", weight=0.8)
    G.add_edge("D", "E", type="supply", weight=7e6)
    G.add_edge("E", "A", type="common_director", weight=1.0)
    return G


def _node_positions(ax):
    return [c.get_offsets().copy() for c in ax.collections if isinstance(c, PathCollection)]


def test_relation_layers_counts(graph):
    ax = plot_relation_layers(graph)
    assert isinstance(ax, Axes)
    widths = {}
    for container, label in zip(ax.containers, ["between customers", "with an external party"], strict=True):
        for bar, tick in zip(container, ax.get_yticklabels(), strict=True):
            widths[(tick.get_text(), label)] = bar.get_width()
    assert widths[("guarantee", "between customers")] == 3
    assert widths[("shareholding", "with an external party")] == 1
    assert widths[("shareholding", "between customers")] == 0


def test_ego_network_is_deterministic_and_trims(graph):
    first = _node_positions(plot_ego_network(graph, "A", radius=2, seed=3))
    second = _node_positions(plot_ego_network(graph, "A", radius=2, seed=3))
    assert len(first) == 1 and first[0].shape == (6, 2)  # every party is within two links of A
    np.testing.assert_array_equal(first[0], second[0])
    ax = plot_ego_network(graph, "D", radius=1)
    assert _node_positions(ax)[0].shape == (2, 2)  # D and its buyer E
    ax = plot_ego_network(graph, "A", radius=2, max_nodes=3)
    assert "nearest 3 of 6" in ax.get_title()
    with pytest.raises(ValueError, match="not a node"):
        plot_ego_network(graph, "Z")
    with pytest.raises(ValueError, match="radius"):
        plot_ego_network(graph, "A", radius=0)


def test_guarantee_circle_draws_only_guarantees(graph):
    ax = plot_guarantee_circle(graph, ["A", "B", "C"], seed=0)
    labels = sorted(t.get_text() for t in ax.texts if t.get_text().endswith("m"))
    assert labels == ["10.0m", "30.0m", "5.0m"]  # amounts in millions, one per guarantee
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "guarantee" in legend and "shareholding" not in legend


def test_systemic_importance_bars(graph):
    si = systemic_importance(graph)
    ax = plot_systemic_importance(si, top=3)
    top = si.sort_values("debtrank_linear", ascending=False, kind="stable").head(3)
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(v) for v in top.index[::-1]]
    np.testing.assert_allclose([p.get_width() for p in ax.patches], top["debtrank_linear"].to_numpy()[::-1])


def test_stress_paths(graph):
    res = stress_test(graph, StressScenario(kind="default", nodes=("A",)), exposure=pd.Series({"A": 1.0}))
    ax = plot_stress_paths(graph, res, seed=0)
    assert _node_positions(ax)[0].shape[0] == len(set().union(*res.affected["path"]))
    assert "default of A" in ax.get_title()


def test_pd_comparison_and_roc():
    rng = np.random.default_rng(0)
    pd_sa = rng.uniform(0.001, 0.2, 200)
    scores = pd.DataFrame({"pd": pd_sa, "pd_network": np.minimum(1, pd_sa * rng.uniform(1, 3, 200)),
                           "contagion_default": (rng.random(200) < 0.1).astype(int)})
    ax = plot_pd_comparison(scores)
    sizes = [len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)]
    assert sizes == [int((scores["contagion_default"] == 0).sum()), int(scores["contagion_default"].sum())]
    ax = plot_pd_roc(scores)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    expected = auc(scores["contagion_default"], scores["pd_network"]).auc
    assert f"network (AUC {expected:.3f})" in legend


def test_network_drawings_are_sized_to_their_content():
    """A two-party circle gets a small canvas, a 60-party neighbourhood the largest one."""
    small = nx.MultiDiGraph()
    small.add_node("A", is_customer=True)
    small.add_node("B", is_customer=True)
    small.add_edge("A", "B", type="guarantee", weight=1e6)
    small.add_edge("B", "A", type="guarantee", weight=1e6)
    w_small, h_small = plot_guarantee_circle(small, ["A", "B"]).figure.get_size_inches()
    star = nx.MultiDiGraph()
    star.add_node("hub", is_customer=True)
    for i in range(59):
        star.add_node(f"n{i:02d}", is_customer=True)
        star.add_edge(f"n{i:02d}", "hub", type="supply", weight=1.0)
    w_big, h_big = plot_ego_network(star, "hub", radius=1).figure.get_size_inches()
    # width = clip(2.5 + 0.85 sqrt(n), 4.5, 9): 2 parties -> 4.5, 60 parties -> 9.0; height 0.8 x width
    assert (w_small, h_small) == pytest.approx((4.5, 3.6))
    assert (w_big, h_big) == pytest.approx((9.0, 7.2))


def test_systemic_importance_axis_says_what_the_measure_is():
    si = pd.DataFrame({"debtrank": [0.3, 0.1], "is_customer": [True, False]}, index=["A", "H"])
    ax = plot_systemic_importance(si, column="debtrank")
    assert ax.get_xlabel().startswith("DebtRank: share of the system's economic value lost")
    assert plot_systemic_importance(si.rename(columns={"debtrank": "my_measure"}),
                                    column="my_measure").get_xlabel() == "my measure"
