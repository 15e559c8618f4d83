"""Eisenberg-Noe clearing against hand computations and an independent fixed-point reference."""

import networkx as nx
import numpy as np
import pytest

from riskkit.graph import GraphInputError, eisenberg_noe


def ref_clearing(L: np.ndarray, e: np.ndarray, ext: np.ndarray, iters: int = 20000) -> np.ndarray:
    """Plain Picard iteration p <- min(p_bar, e + Pi^T p) from p_bar (EN 2001, Lemma 4), in Python loops."""
    n = len(e)
    pbar = [sum(L[i]) + ext[i] for i in range(n)]
    p = list(pbar)
    for _ in range(iters):
        new = []
        for i in range(n):
            inflow = sum(L[j, i] / pbar[j] * p[j] for j in range(n) if pbar[j] > 0)
            new.append(min(pbar[i], max(0.0, e[i] + inflow)))
        if max(abs(a - b) for a, b in zip(new, p, strict=True)) < 1e-13:
            return np.array(new)
        p = new
    return np.array(p)


def test_chain_by_hand():
    # 0 owes 10 to 1, 1 owes 10 to 2; 0 has 4, 1 has 3.
    # 0 pays all it has: 4. 1 receives 4, has 3 -> pays 7 of 10. 2 is owed only.
    L = np.array([[0, 10, 0], [0, 0, 10], [0, 0, 0]], dtype=float)
    res = eisenberg_noe(L, [4, 3, 0])
    np.testing.assert_allclose(res.payments, [4, 7, 0])
    assert res.defaulted.tolist() == [True, True, False]
    assert res.default_round.tolist() == [1, 2, -1]
    np.testing.assert_allclose(res.equity, [0, 0, 7])


def test_cycle_with_external_debt_pari_passu_by_hand():
    # A owes 10 to B and 10 to an outside creditor; B owes 10 to C; C owes 10 to A. e = (5, 0, 0).
    # p_bar = (20, 10, 10); Pi_AB = 0.5. With everyone defaulting:
    #   p_A = 5 + p_C,  p_B = 0.5 p_A,  p_C = p_B  ->  p_A = 10, p_B = p_C = 5.
    # FDA: round 1 only A fails (5 + 10 < 20); with p_A = 5 + 10 = 15, B gets 7.5 < 10 (round 2);
    # with p_B = 7.5, C gets 7.5 < 10 (round 3).
    L = np.array([[0, 10, 0], [0, 0, 10], [10, 0, 0]], dtype=float)
    res = eisenberg_noe(L, [5, 0, 0], external_liabilities=[10, 0, 0])
    np.testing.assert_allclose(res.payments, [10, 5, 5])
    assert res.default_round.tolist() == [1, 2, 3]
    # the outside creditor gets its pro-rata half of A's payment
    assert res.payments[0] * 10 / res.nominal[0] == pytest.approx(5.0)
    it = eisenberg_noe(L, [5, 0, 0], external_liabilities=[10, 0, 0], method="iteration")
    np.testing.assert_allclose(it.payments, [10, 5, 5], atol=1e-8)


def test_solvent_system_pays_in_full():
    L = np.array([[0, 3], [2, 0]], dtype=float)
    res = eisenberg_noe(L, [1, 1])
    np.testing.assert_allclose(res.payments, [3, 2])
    assert not res.defaulted.any()
    np.testing.assert_allclose(res.equity, [1 + 2 - 3, 1 + 3 - 2])


@pytest.mark.parametrize("seed", range(8))
def test_matches_reference_and_clearing_conditions(seed):
    rng = np.random.default_rng(seed)
    n = 25
    L = (rng.random((n, n)) < 0.15) * rng.lognormal(1, 1, (n, n))
    np.fill_diagonal(L, 0)
    ext = rng.uniform(0, 5, n)
    e = rng.uniform(0, 8, n)
    res = eisenberg_noe(L, e, external_liabilities=ext)
    np.testing.assert_allclose(res.payments, ref_clearing(L, e, ext), rtol=1e-8, atol=1e-8)
    # Definition 1: p = min(p_bar, e + Pi^T p)
    pbar = L.sum(axis=1) + ext
    Pi = np.divide(L, pbar[:, None], out=np.zeros_like(L), where=pbar[:, None] > 0)
    np.testing.assert_allclose(res.payments, np.minimum(pbar, e + Pi.T @ res.payments), atol=1e-9)
    assert res.method == "fda"
    # default rounds are consistent with the fixed-point iteration's defaulters
    assert set(np.flatnonzero(res.defaulted)) == set(np.flatnonzero(res.payments < pbar - 1e-9))


def test_mutual_debts_without_outside_shortfall_clear_in_full():
    # 0 and 1 owe each other 10 and nothing else; 2 owes 5 to 0 but has nothing.
    # Any p0 = p1 in [.., 10] clears the pair; the greatest clearing vector pays 10 each.
    L = np.array([[0, 10, 0], [10, 0, 0], [5, 0, 0]], dtype=float)
    res = eisenberg_noe(L, [0, 0, 0])
    np.testing.assert_allclose(res.payments, [10, 10, 0])
    assert res.defaulted.tolist() == [False, False, True]


def test_graph_input():
    G = nx.DiGraph()
    G.add_edge("a", "b", weight=10.0)
    G.add_edge("b", "c", weight=10.0)
    res = eisenberg_noe(G, {"a": 4.0, "b": 3.0, "c": 0.0})
    assert res.to_frame()["payment"].to_dict() == {"a": 4.0, "b": 7.0, "c": 0.0}


def test_bad_input():
    L = np.array([[0, 1.0], [0, 0]])
    with pytest.raises(GraphInputError, match="below 0"):
        eisenberg_noe(L, [-1, 0])
    with pytest.raises(GraphInputError, match="negative"):
        eisenberg_noe(-L, [1, 1])
    with pytest.raises(GraphInputError, match="self-loops"):
        eisenberg_noe(np.eye(2), [1, 1])
    with pytest.raises(GraphInputError, match="method"):
        eisenberg_noe(L, [1, 1], method="newton")
