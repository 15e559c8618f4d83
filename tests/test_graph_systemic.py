"""Systemic importance: exposures, PageRank (vs networkx) and DebtRank impact."""

import networkx as nx
import numpy as np
import pytest

from riskkit.graph import GraphInputError, debtrank, pagerank_sparse, systemic_importance


def random_exposures(n, p, seed):
    rng = np.random.default_rng(seed)
    D = nx.gnp_random_graph(n, p, seed=seed, directed=True)
    for u, v in D.edges:
        D[u][v]["weight"] = float(rng.lognormal(0, 1))
    capital = {v: float(rng.uniform(1, 6)) for v in D}
    nx.set_node_attributes(D, capital, "registered_capital")
    return D


@pytest.mark.parametrize("seed", range(3))
def test_pagerank_matches_networkx(seed):
    D = random_exposures(50, 0.06, seed)  # sparse: has dangling nodes
    nodes = list(D)
    W = nx.to_scipy_sparse_array(D, nodelist=nodes)
    ours = pagerank_sparse(W)
    ref = nx.pagerank(D, alpha=0.85, weight="weight", tol=1e-13, max_iter=10_000)
    np.testing.assert_allclose(ours, [ref[v] for v in nodes], atol=1e-9)


def test_columns_against_direct_computation():
    D = random_exposures(40, 0.08, 11)
    si = systemic_importance(D, top_k=40)
    nodes = list(D)
    W = nx.to_numpy_array(D, nodelist=nodes)
    si = si.loc[nodes]
    np.testing.assert_allclose(si["exposure_out"], W.sum(axis=1))
    np.testing.assert_allclose(si["exposure_in"], W.sum(axis=0))
    assert si["n_exposed"].tolist() == [D.in_degree(v) for v in nodes]
    capital = nx.get_node_attributes(D, "registered_capital")
    exact = [debtrank(D, capital, [v]).R for v in nodes]
    np.testing.assert_allclose(si["debtrank"], exact, rtol=1e-12)
    ref_pr = nx.pagerank(D, weight="weight", tol=1e-13)
    np.testing.assert_allclose(si["pagerank"], [ref_pr[v] for v in nodes], atol=1e-9)


def test_top_k_and_ordering():
    D = random_exposures(60, 0.05, 5)
    si = systemic_importance(D, top_k=5)
    assert si["debtrank"].notna().sum() == 5
    assert si["debtrank"].iloc[:5].notna().all()  # the top of the linear ranking got exact runs
    assert si["debtrank_linear"].is_monotonic_decreasing


def test_typed_graph_uses_money_exposures():
    # B guarantees 6 of A's debt; H holds 50% of A (equity 10) -> exposure 5; no capital for H
    G = nx.MultiDiGraph()
    G.add_node("A", registered_capital=10.0, is_customer=True)
    G.add_node("B", registered_capital=4.0, is_customer=True)
    G.add_node("H", is_customer=False)
    G.add_edge("B", "A", type="guarantee", weight=6.0)
    G.add_edge("H", "A", type="shareholding", weight=0.5)
    si = systemic_importance(G, value="uniform")
    assert si.loc["A", "exposure_in"] == pytest.approx(11.0)
    assert si.loc["H", "capital"] == pytest.approx(5.0)  # unknown buffer = total exposure
    # A's default: B loses min(1, 6/4) = 1, H loses 5/5 = 1 -> R = 2/3
    assert si.loc["A", "debtrank"] == pytest.approx(2 / 3)
    assert si.loc["H", "debtrank"] == 0.0 and not si.loc["H", "is_customer"]


def test_disconnected_nodes_have_no_impact_and_matrix_input():
    W = np.zeros((4, 4))
    W[0, 1] = 3.0
    si = systemic_importance(W, capital=[10, 10, 10, 10], value="uniform")
    assert si.loc[1, "debtrank"] == pytest.approx(0.3 / 4)
    assert si.loc[[2, 3], "debtrank"].tolist() == [0.0, 0.0]
    with pytest.raises(GraphInputError, match="attribute name needs a graph"):
        systemic_importance(W)
    with pytest.raises(GraphInputError, match="empty"):
        systemic_importance(nx.DiGraph())
