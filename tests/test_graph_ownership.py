"""Integrated ownership, ultimate controllers and control groups."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from riskkit.graph import (
    GraphInputError,
    control_groups,
    group_totals,
    integrated_ownership,
    ultimate_controllers,
)


def stakes(edges, kind="shareholding"):
    G = nx.MultiDiGraph()
    for u, v, s in edges:
        G.add_edge(u, v, type=kind, weight=s)
    return G


def test_chain_by_hand():
    # P 50% of S, S 40% of C -> P holds 20% of C
    frame = integrated_ownership(stakes([("P", "S", 0.5), ("S", "C", 0.4)]))
    got = {(r.owner, r.company): (r.direct_share, r.integrated_share) for r in frame.itertuples()}
    assert got == {("P", "S"): (0.5, 0.5), ("S", "C"): (0.4, 0.4), ("P", "C"): (0.0, pytest.approx(0.2))}


def test_cross_holding_by_hand():
    # A holds 20% of B, B holds 30% of A.  A = [[0, .2], [.3, 0]], (I - A)^-1 = [[1, .2], [.3, 1]] / 0.94
    # integrated = (I - A)^-1 A = [[.06, .2], [.3, .06]] / 0.94
    X, nodes = integrated_ownership(stakes([("A", "B", 0.2), ("B", "A", 0.3)]), format="sparse")
    i = {v: k for k, v in enumerate(nodes)}
    X = X.toarray()
    assert X[i["A"], i["B"]] == pytest.approx(0.2 / 0.94)
    assert X[i["B"], i["A"]] == pytest.approx(0.3 / 0.94)
    assert X[i["A"], i["A"]] == pytest.approx(0.06 / 0.94)  # A's indirect stake in itself


@pytest.mark.parametrize("seed", range(5))
def test_matches_dense_leontief_inverse(seed):
    rng = np.random.default_rng(seed)
    n = 30
    A = (rng.random((n, n)) < 0.08) * rng.uniform(0.05, 1.0, (n, n))
    np.fill_diagonal(A, 0)
    cols = A.sum(axis=0)
    A = A / np.maximum(cols, 1.0) * 0.95  # shares held in each company sum below 1
    expected = np.linalg.solve(np.eye(n) - A, A)
    X, _ = integrated_ownership(A, format="sparse")
    np.testing.assert_allclose(X.toarray(), expected, atol=1e-12)


def test_control_edges_count_as_stakes_without_double_counting():
    G = stakes([("P", "S", 0.6)])
    G.add_edge("P", "S", type="control", weight=0.6)
    frame = integrated_ownership(G)
    assert frame["integrated_share"].tolist() == [0.6]


def test_bad_ownership():
    with pytest.raises(GraphInputError, match=r"sum above 1: \['C \(1.3\)'\]"):
        integrated_ownership(stakes([("A", "C", 0.6), ("B", "C", 0.7)]))
    with pytest.raises(GraphInputError, match="wholly owned by each other"):
        integrated_ownership(stakes([("A", "B", 1.0), ("B", "A", 1.0)]))
    with pytest.raises(GraphInputError, match="empty"):
        integrated_ownership(nx.MultiDiGraph())
    with pytest.raises(GraphInputError, match="self-loop"):
        integrated_ownership(np.array([[0.5, 0], [0, 0]]))


def test_ultimate_controller_chain():
    # H 100% of S, S 60% of C, C 51% of D; Z alone
    G = stakes([("H", "S", 1.0), ("S", "C", 0.6), ("C", "D", 0.51)])
    G.add_node("Z")
    uc = ultimate_controllers(G)
    assert uc.loc["D", "chain"] == ("D", "C", "S", "H")
    assert uc.loc["D", "ultimate_controller"] == "H" and uc.loc["D", "depth"] == 3
    assert uc.loc["C", "direct_controller"] == "S" and uc.loc["C", "basis"] == "share"
    assert uc.loc["Z", "ultimate_controller"] == "Z" and uc.loc["Z", "basis"] == "none"
    assert uc.loc["H", "chain"] == ("H",)


def test_control_through_integrated_shares():
    # H: 40% of C directly + 100% of S which holds 20% of C -> 60% integrated
    uc = ultimate_controllers(stakes([("H", "S", 1.0), ("S", "C", 0.2), ("H", "C", 0.4)]))
    assert uc.loc["C", ["direct_controller", "basis"]].tolist() == ["H", "integrated"]
    assert uc.loc["C", "control_share"] == pytest.approx(0.6)
    # 49% + 1% via a 50%-owned company is only 49.5%: no control
    uc2 = ultimate_controllers(stakes([("H", "S", 0.5), ("S", "C", 0.02), ("H", "C", 0.49)]))
    assert uc2.loc["C", "ultimate_controller"] == "C"


def test_control_edge_takes_precedence_over_shares():
    G = stakes([("X", "C", 0.55)])
    G.add_edge("Y", "C", type="control", weight=0.3)  # control by agreement
    uc = ultimate_controllers(G)
    assert uc.loc["C", ["direct_controller", "basis"]].tolist() == ["Y", "control"]


def test_threshold_is_strict():
    uc = ultimate_controllers(stakes([("P", "C", 0.5)]))
    assert uc.loc["C", "ultimate_controller"] == "C"
    uc = ultimate_controllers(stakes([("P", "C", 0.5)]), threshold=0.4)
    assert uc.loc["C", "ultimate_controller"] == "P"


def test_control_cycle_is_one_unit():
    # A 60% of B, B 60% of A (cross-holding), B 70% of C
    uc = ultimate_controllers(stakes([("A", "B", 0.6), ("B", "A", 0.6), ("B", "C", 0.7)]))
    assert uc["ultimate_controller"].to_dict() == {"A": "A", "B": "A", "C": "A"}
    assert uc.loc["A", "in_control_cycle"] and uc.loc["B", "in_control_cycle"]
    assert not uc.loc["C", "in_control_cycle"]


def test_control_groups_and_totals():
    G = stakes([("H", "A", 0.8), ("H", "B", 0.6), ("A", "A2", 0.9)])
    G.add_node("Z", is_customer=True)
    for v in ["A", "B", "A2"]:
        G.nodes[v]["is_customer"] = True
    G.nodes["H"]["is_customer"] = False
    groups = control_groups(G)
    assert groups["group_id"].to_dict() == {"A": "H", "B": "H", "A2": "H", "Z": "Z"}
    assert groups["group_size"].to_dict() == {"A": 3, "B": 3, "A2": 3, "Z": 1}
    assert "H" not in groups.index  # non-customers left out
    exposure = pd.DataFrame({"ead": [10.0, 20.0, 5.0, 1.0], "credit_limit": [20.0, 20.0, 10.0, 4.0]},
                            index=pd.Index(["A", "B", "A2", "Z"], name="customer_id"))
    totals = group_totals(groups, exposure)
    assert totals.loc["H", "ead"] == 35.0 and totals.loc["H", "credit_limit"] == 50.0
    assert totals.loc["H", "utilisation"] == pytest.approx(0.7)
    assert totals.loc["H", "members"] == ("A", "A2", "B") and totals.loc["Z", "n_customers"] == 1
    assert list(totals.index) == ["H", "Z"]
    with pytest.raises(GraphInputError, match="without a group"):
        group_totals(groups, pd.DataFrame({"ead": [1.0]}, index=["Q"]))
