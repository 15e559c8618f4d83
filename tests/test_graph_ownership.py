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
    # uncorrected = (I - A)^-1 A = [[.06, .2], [.3, .06]] / 0.94
    X, nodes = integrated_ownership(stakes([("A", "B", 0.2), ("B", "A", 0.3)]), format="sparse", corrected=False)
    i = {v: k for k, v in enumerate(nodes)}
    X = X.toarray()
    assert X[i["A"], i["B"]] == pytest.approx(0.2 / 0.94)
    assert X[i["B"], i["A"]] == pytest.approx(0.3 / 0.94)
    assert X[i["A"], i["A"]] == pytest.approx(0.06 / 0.94)  # A's indirect stake in itself
    # corrected: walks A -> B that never return to A: only the direct 20 %; B -> A likewise 30 %;
    # diagonal: first-return cycle A -> B -> A only, 0.2 * 0.3
    Xc, nodes = integrated_ownership(stakes([("A", "B", 0.2), ("B", "A", 0.3)]), format="sparse")
    i = {v: k for k, v in enumerate(nodes)}
    Xc = Xc.toarray()
    assert Xc[i["A"], i["B"]] == pytest.approx(0.2)
    assert Xc[i["B"], i["A"]] == pytest.approx(0.3)
    assert Xc[i["A"], i["A"]] == pytest.approx(0.06) and Xc[i["B"], i["B"]] == pytest.approx(0.06)


def random_ownership(rng, n, density, cap=0.95):
    A = (rng.random((n, n)) < density) * rng.uniform(0.05, 1.0, (n, n))
    np.fill_diagonal(A, 0)
    return A / np.maximum(A.sum(axis=0), 1.0) * cap  # shares held in each company sum below 1


def corrected_reference(A):
    """X'_ij by removing i's incoming stakes (so no walk can come back to i), one dense solve per owner."""
    n = A.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        Ai = A.copy()
        Ai[:, i] = 0.0
        out[i] = np.linalg.solve(np.eye(n) - Ai, Ai)[i]
    # diagonal: first-return cycles = stakes of i's holdings that lead back to i
    for i in range(n):
        Ai = A.copy()
        Ai[:, i] = 0.0
        reach = np.linalg.solve(np.eye(n) - Ai, np.eye(n))[i]  # walks from i avoiding a return, incl. empty
        out[i, i] = reach @ A[:, i] - A[i, i]
    return out


@pytest.mark.parametrize("seed", range(5))
def test_matches_dense_leontief_inverse(seed):
    rng = np.random.default_rng(seed)
    n = 30
    A = random_ownership(rng, n, 0.08)
    expected = np.linalg.solve(np.eye(n) - A, A)
    X, _ = integrated_ownership(A, format="sparse", corrected=False)
    np.testing.assert_allclose(X.toarray(), expected, atol=1e-12)
    Xc, _ = integrated_ownership(A, format="sparse")
    np.testing.assert_allclose(Xc.toarray(), corrected_reference(A), atol=1e-12)


def walk_sum(A, i, j, depth):
    """Brute force: sum over walks i -> j of length 1..depth that never revisit i (DFS)."""
    total = 0.0
    stack = [(i, 1.0, 0)]
    while stack:
        node, w, k = stack.pop()
        if k == depth:
            continue
        for nxt in np.flatnonzero(A[node]):
            wn = w * A[node, nxt]
            if nxt == j:
                total += wn
            if nxt != i:
                stack.append((nxt, wn, k + 1))
    return total


@pytest.mark.parametrize("seed", range(6))
def test_corrected_matches_walk_enumeration_with_cycles(seed):
    # small cyclic graphs, column sums <= 0.4: walks longer than 14 weigh < 0.4^15 / 0.6 ~ 2e-6
    rng = np.random.default_rng(100 + seed)
    A = random_ownership(rng, 4, 0.6, cap=0.4)
    X, _ = integrated_ownership(A, format="sparse")
    X = X.toarray()
    for i in range(4):
        for j in range(4):
            assert X[i, j] == pytest.approx(walk_sum(A, i, j, 14), abs=1e-5)


@pytest.mark.parametrize("seed", range(5))
def test_acyclic_equals_simple_path_enumeration(seed):
    # on a DAG every walk is a simple path: exact reference from networkx
    rng = np.random.default_rng(200 + seed)
    n = 8
    A = np.triu(random_ownership(rng, n, 0.4), 1)
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    for u, v in zip(*np.nonzero(A), strict=True):
        G.add_edge(int(u), int(v), w=A[u, v])
    X, _ = integrated_ownership(A, format="sparse")
    X = X.toarray()
    for i in range(n):
        for j in range(n):
            paths = nx.all_simple_paths(G, i, j) if i != j else []
            ref = sum(np.prod([A[p[k], p[k + 1]] for k in range(len(p) - 1)]) for p in paths)
            assert X[i, j] == pytest.approx(ref, abs=1e-14)
    Xu, _ = integrated_ownership(A, format="sparse", corrected=False)
    np.testing.assert_allclose(Xu.toarray(), X, atol=1e-14)  # no cycles: nothing to correct


@pytest.mark.parametrize("seed", range(5))
def test_corrected_shares_are_probabilities_and_ultimate_owners_sum_below_one(seed):
    rng = np.random.default_rng(300 + seed)
    n = 25
    A = random_ownership(rng, n, 0.15)
    A[:, :3] = 0.0  # three ultimate owners nobody holds
    A[:3, 3:] += 0.04 * rng.random((3, n - 3))
    A = A / np.maximum(A.sum(axis=0), 1.0)
    X, _ = integrated_ownership(A, format="sparse")
    X = X.toarray()
    assert X.min() >= -1e-15 and X.max() <= 1 + 1e-12
    # mass of each company reaching the ultimate owners (an absorbing chain) is at most 1,
    # and exactly 1 - free float reaches them when every unit ends with them
    assert np.all(X[:3].sum(axis=0) <= 1 + 1e-12)
    Xu, _ = integrated_ownership(A, format="sparse", corrected=False)
    np.testing.assert_allclose(Xu.toarray()[:3], X[:3], atol=1e-12)  # never revisited: no correction


def test_near_closed_cross_holding_matches_numpy_solve():
    # 99.9 % each way: spectral radius 0.999, a power series needs ~10^4+ terms
    A = np.array([[0, 0.999, 0], [0.999, 0, 0], [0, 0.001, 0]])
    B = np.linalg.inv(np.eye(3) - A)
    Xu, _ = integrated_ownership(A, format="sparse", corrected=False)
    np.testing.assert_allclose(Xu.toarray(), np.linalg.solve(np.eye(3) - A, A), rtol=1e-9)
    Xc, _ = integrated_ownership(A, format="sparse")
    np.testing.assert_allclose(Xc.toarray(), (B @ A) / np.diag(B)[:, None], rtol=1e-9)
    assert Xc.toarray()[0, 1] == pytest.approx(0.999)  # only the direct stake never returns to 0


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


@pytest.mark.parametrize(
    ("weight", "match"),
    [(-0.3, r"negative weights on edges .*\('H', 'S', 'shareholding', -0.3\)"),
     (float("nan"), r"non-finite .*\('H', 'S', 'shareholding', nan\)"),
     (None, r"non-finite .*\('H', 'S', 'shareholding', nan\)"),
     (1.2, r"shares above 1 on edges .*\('H', 'S', 'shareholding', 1.2\)")],
)
def test_bad_share_on_an_edge_is_named(weight, match):
    # a negative or NaN share must not vanish in the merge of the shareholding and control layers
    G = stakes([("S", "C", 0.6)])
    G.add_edge("H", "S", type="shareholding", weight=weight)
    G.add_edge("H", "S", type="control", weight=0.2)
    for fn in (integrated_ownership, ultimate_controllers, control_groups):
        with pytest.raises(GraphInputError, match=match):
            fn(G)


def test_symmetric_cross_holding_below_threshold_is_no_control():
    # A and B hold 45 % of each other, outsiders X, Y hold 30 % of A and of B.
    # Uncorrected: B's stake in A = 0.45 / (1 - 0.45^2) = 0.564 > 0.5 (wrong control).
    # Corrected: chains from B back into B do not count -> 0.45; X: 0.3 / (1 - 0.2025) = 0.376.
    G = stakes([("A", "B", 0.45), ("B", "A", 0.45), ("X", "A", 0.3), ("Y", "B", 0.3)])
    frame = integrated_ownership(G).set_index(["owner", "company"])["integrated_share"]
    assert frame[("B", "A")] == pytest.approx(0.45) and frame[("A", "B")] == pytest.approx(0.45)
    assert frame[("X", "A")] == pytest.approx(0.3 / (1 - 0.45**2))
    assert frame[("Y", "A")] == pytest.approx(0.3 * 0.45 / (1 - 0.45**2))
    uc = ultimate_controllers(G)
    assert uc["basis"].eq("none").all() and not uc["in_control_cycle"].any()
    assert control_groups(G)["group_id"].to_dict() == {"A": "A", "B": "B", "X": "X", "Y": "Y"}
    # above the threshold the cross-holding is still one control unit
    uc = ultimate_controllers(G, threshold=0.4)
    assert uc.loc[["A", "B"], "in_control_cycle"].all()


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
