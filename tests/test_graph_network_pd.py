"""Network-adjusted PD against exact enumeration of the independent-cascade model."""

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from riskkit.graph import GraphInputError, network_adjusted_pd, transmission_matrix


def exact_default_probability(p: dict, links: dict) -> dict:
    """Enumerate every stand-alone default pattern and every link outcome.

    ``links[(i, j)]`` = probability that j's default makes i default. A party
    defaults if it defaults on its own or a chain of live links leads to it
    from a party that did.
    """
    nodes = list(p)
    edges = list(links)
    prob = dict.fromkeys(nodes, 0.0)
    for own in itertools.product([0, 1], repeat=len(nodes)):
        w_own = np.prod([p[v] if o else 1 - p[v] for v, o in zip(nodes, own, strict=True)])
        if w_own == 0:
            continue
        for live in itertools.product([0, 1], repeat=len(edges)):
            w = w_own * np.prod([links[e] if x else 1 - links[e] for e, x in zip(edges, live, strict=True)])
            if w == 0:
                continue
            D = nx.DiGraph()
            D.add_nodes_from(nodes)
            D.add_edges_from((j, i) for (i, j), x in zip(edges, live, strict=True) if x)
            hit = set()
            for v, o in zip(nodes, own, strict=True):
                if o:
                    hit |= {v} | nx.descendants(D, v)
            for v in hit:
                prob[v] += w
    return prob


def tree_graph():
    # C guarantees B's debt (40 of C's 80), B guarantees A's debt (30 of B's 60);
    # P owns 100% of A (A's capital 50, P's 200)
    G = nx.MultiDiGraph()
    for v, cap in {"A": 50.0, "B": 60.0, "C": 80.0, "P": 200.0}.items():
        G.add_node(v, registered_capital=cap)
    G.add_edge("B", "A", type="guarantee", weight=30.0)
    G.add_edge("C", "B", type="guarantee", weight=40.0)
    G.add_edge("P", "A", type="shareholding", weight=1.0)
    return G


def test_transmission_by_hand():
    T, nodes, _ = transmission_matrix(tree_graph())
    i = {v: k for k, v in enumerate(nodes)}
    T = T.toarray()
    assert T[i["B"], i["A"]] == pytest.approx(0.5)  # 30 / 60
    assert T[i["C"], i["B"]] == pytest.approx(0.5)  # 40 / 80
    assert T[i["A"], i["P"]] == pytest.approx(0.5)  # parent's default hits the subsidiary: 0.5 x 100%
    assert T[i["P"], i["A"]] == pytest.approx(0.5 * 50 / 200)  # subsidiary is 1/4 of P's capital
    assert np.count_nonzero(T) == 4


def test_exact_on_a_tree():
    G = tree_graph()
    p = {"A": 0.1, "B": 0.05, "C": 0.02, "P": 0.03}
    links = {("B", "A"): 0.5, ("C", "B"): 0.5, ("A", "P"): 0.5, ("P", "A"): 0.125}
    expected = exact_default_probability(p, links)
    out = network_adjusted_pd(G, pd.Series(p), max_hops=3)
    np.testing.assert_allclose(out["pd_network"], [expected[v] for v in out.index], rtol=1e-12)
    assert out.loc["C", "main_source"] == "B" and out.loc["C", "main_channel"] == "guarantee"
    assert out.loc["A", "main_channel"] == "control_down"


def test_mutual_guarantee_has_no_echo():
    # A and B guarantee each other fully: each defaults iff either defaults on its own
    G = nx.MultiDiGraph()
    G.add_node("A", registered_capital=10.0)
    G.add_node("B", registered_capital=10.0)
    G.add_edge("A", "B", type="guarantee", weight=10.0)
    G.add_edge("B", "A", type="guarantee", weight=10.0)
    out = network_adjusted_pd(G, {"A": 0.1, "B": 0.2}, max_hops=10)
    np.testing.assert_allclose(out["pd_network"], [1 - 0.9 * 0.8] * 2)


def test_hop_limit_by_hand():
    G = tree_graph()
    p = pd.Series({"A": 0.1, "B": 0.05, "C": 0.02, "P": 0.03})
    one = network_adjusted_pd(G, p, max_hops=1)
    # one hop: C only hears B's own default: 1 - (1 - 0.02)(1 - 0.05 * 0.5)
    assert one.loc["C", "pd_network"] == pytest.approx(1 - 0.98 * (1 - 0.05 * 0.5))
    two = network_adjusted_pd(G, p, max_hops=2)
    assert two.loc["C", "pd_network"] > one.loc["C", "pd_network"]


def test_longer_cycles_overstate_by_a_bounded_echo():
    G = nx.MultiDiGraph()
    for v in "ABC":
        G.add_node(v, registered_capital=10.0)
    for u, v in [("A", "B"), ("B", "C"), ("C", "A")]:
        G.add_edge(u, v, type="guarantee", weight=5.0)  # transmission 0.5 each
    p = {"A": 0.1, "B": 0.1, "C": 0.1}
    links = {("A", "B"): 0.5, ("B", "C"): 0.5, ("C", "A"): 0.5}
    exact = exact_default_probability(p, links)
    out = network_adjusted_pd(G, p, max_hops=3)
    assert (out["pd_network"] >= pd.Series(exact) - 1e-12).all()
    assert (out["pd_network"] - pd.Series(exact)).max() < 0.1 * 0.5**3 + 1e-12


def test_parties_without_pd_or_outside_the_graph():
    G = tree_graph()
    out = network_adjusted_pd(G, {"A": 0.1, "B": 0.05, "C": 0.02, "Z": 0.3}, default_pd=0.0)
    assert out.loc["Z", "pd_network"] == 0.3 and out.loc["Z", "n_links"] == 0
    full = network_adjusted_pd(G, {"A": 0.1}, customers_only=False, default_pd=0.01)
    assert set(full.index) == {"A", "B", "C", "P"} and full.loc["P", "pd"] == 0.01


def test_supply_dependence_by_hand():
    G = nx.MultiDiGraph()
    G.add_edge("S", "B1", type="supply", weight=75.0)
    G.add_edge("S", "B2", type="supply", weight=25.0)
    T, nodes, _ = transmission_matrix(G, transmission={"supply": 1.0})
    i = {v: k for k, v in enumerate(nodes)}
    T = T.toarray()
    assert T[i["S"], i["B1"]] == pytest.approx(0.75)  # 75% of S's sales go to B1
    assert T[i["B2"], i["S"]] == pytest.approx(1.0)  # B2 buys only from S


def test_bad_input():
    G = tree_graph()
    with pytest.raises(GraphInputError, match="outside"):
        network_adjusted_pd(G, {"A": 1.5})
    with pytest.raises(GraphInputError, match="missing"):
        network_adjusted_pd(G, pd.Series({"A": np.nan}))
    with pytest.raises(GraphInputError, match="unknown keys"):
        network_adjusted_pd(G, {"A": 0.1}, transmission={"loan": 0.5})
    with pytest.raises(GraphInputError, match="max_hops"):
        network_adjusted_pd(G, {"A": 0.1}, max_hops=0)


@pytest.mark.parametrize(
    ("kind", "weight", "match"),
    [("guarantee", float("nan"), r"non-finite .*\('B', 'A', 'guarantee', nan\)"),
     ("guarantee", -50.0, r"negative weights .*\('B', 'A', 'guarantee', -50.0\)"),
     ("shareholding", -0.3, r"negative weights .*\('B', 'A', 'shareholding', -0.3\)"),
     ("supply", float("nan"), r"non-finite .*\('B', 'A', 'supply', nan\)")],
)
def test_bad_edge_weights_are_errors_not_dropped_channels(kind, weight, match):
    G = nx.MultiDiGraph()
    G.add_node("A", registered_capital=100.0)
    G.add_node("B", registered_capital=50.0)
    G.add_edge("B", "A", type=kind, weight=weight)
    with pytest.raises(GraphInputError, match=match):
        transmission_matrix(G)
    with pytest.raises(GraphInputError, match=match):
        network_adjusted_pd(G, {"A": 0.1, "B": 0.05})


def test_capital_keys_not_in_the_graph_are_errors():
    G = nx.MultiDiGraph()
    G.add_edge("B", "A", type="guarantee", weight=50.0)
    with pytest.raises(GraphInputError, match=r"capital: unknown node ids \['Q'\]"):
        network_adjusted_pd(G, {"A": 0.1, "B": 0.05}, capital={"A": 100.0, "B": 50.0, "Q": 1.0})
    with pytest.raises(GraphInputError, match=r"capital: unknown node ids \['Q'\]"):
        transmission_matrix(G, capital=pd.Series({"Q": 1.0}))


def test_control_up_with_unknown_capital_uses_the_share():
    # P holds 30 % of S; with both capitals known the up-channel is b_up * min(1, 0.3 * 200 / 100) = 0.5 * 0.6;
    # with S's capital unknown the share stands in: 0.5 * 0.3 (documented), not 0.5 (fully material)
    G = nx.MultiDiGraph()
    G.add_edge("P", "S", type="shareholding", weight=0.3)
    T, nodes, _ = transmission_matrix(G, capital={"P": 100.0, "S": 200.0})
    i = {v: k for k, v in enumerate(nodes)}
    assert T[i["P"], i["S"]] == pytest.approx(0.5 * 0.6)
    assert T[i["S"], i["P"]] == pytest.approx(0.5 * 0.3)  # control_down: b_down * s
    T, nodes, _ = transmission_matrix(G, capital={"P": 100.0})
    assert T[i["P"], i["S"]] == pytest.approx(0.5 * 0.3)


def test_channels_are_the_public_building_blocks_of_the_adjustment():
    from riskkit.graph import TransmissionChannels, network_adjusted_pd_from_channels, transmission_channels

    G = tree_graph()
    channels = transmission_channels(G)
    assert isinstance(channels, TransmissionChannels)
    table = channels.to_frame().set_index(["target", "source", "channel"])["probability"]
    # by hand (DEFAULT_TRANSMISSION, materiality of transmission_matrix's Notes): guarantees 30/60 and 40/80;
    # P owns 100 % of A: down 0.5 x 1, up 0.5 x min(1, 1 x 50 / 200)
    assert table.to_dict() == pytest.approx({("B", "A", "guarantee"): 0.5, ("C", "B", "guarantee"): 0.5,
                                             ("A", "P", "control_down"): 0.5, ("P", "A", "control_up"): 0.125})
    T, _ = channels.matrix(0.8)
    T_ref, nodes, _ = transmission_matrix(G, strength=0.8)
    assert channels.nodes == nodes
    np.testing.assert_allclose(T.toarray(), T_ref.toarray())
    p = {"A": 0.1, "B": 0.05, "C": 0.02, "P": 0.01}
    pd.testing.assert_frame_equal(network_adjusted_pd_from_channels(channels, p, strength=0.8),
                                  network_adjusted_pd(G, p, strength=0.8))
    # the strength scales every channel (0.8 x the probabilities above); on a tree the adjustment is exact
    links = {("B", "A"): 0.4, ("C", "B"): 0.4, ("A", "P"): 0.4, ("P", "A"): 0.1}
    exact = exact_default_probability(p, links)
    out = network_adjusted_pd_from_channels(channels, p, strength=0.8, max_hops=3)
    np.testing.assert_allclose(out["pd_network"], [exact[v] for v in out.index], rtol=1e-12)
    with pytest.raises(GraphInputError, match="transmission_channels"):
        network_adjusted_pd_from_channels(T, p)
    with pytest.raises(GraphInputError, match=r"pd_values: values outside \[0, 1\] for \['A'\]"):
        network_adjusted_pd(G, {"A": 1.5})
