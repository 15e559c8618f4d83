"""Threshold default cascade (Furfine 2003) against hand cases and a slow reference."""

import networkx as nx
import numpy as np
import pytest

from riskkit.graph import GraphInputError, threshold_cascade


def ref_cascade(W: np.ndarray, capital: np.ndarray, initial: list[int], lgd: np.ndarray) -> list[int]:
    """Round of default per node by full recomputation of losses each round (Furfine 2003)."""
    n = len(capital)
    rnd = [-1] * n
    for i in initial:
        rnd[i] = 0
    t = 0
    while True:
        t += 1
        new = []
        for i in range(n):
            if rnd[i] >= 0:
                continue
            loss = sum(lgd[j] * W[i, j] for j in range(n) if rnd[j] >= 0)
            if loss > capital[i]:
                new.append(i)
        if not new:
            return rnd
        for i in new:
            rnd[i] = t


def test_docstring_chain_by_hand():
    # 1 loses 9 > 8 when 2 defaults (round 1); then 0 loses 6 > 5 (round 2)
    W = np.array([[0, 6, 0], [0, 0, 9], [0, 0, 0]], dtype=float)
    res = threshold_cascade(W, [5, 8, 1], [2])
    assert res.round.tolist() == [2, 1, 0]
    assert res.trigger.tolist() == [1, 2, -1]
    assert res.path(0) == [2, 1, 0]
    assert res.rounds == 2 and res.n_defaulted == 3


def test_loss_equal_to_buffer_survives():
    W = np.array([[0, 5.0], [0, 0]])
    res = threshold_cascade(W, [5.0, 1.0], [1])
    assert not res.defaulted[0] and res.loss[0] == 5.0


def test_losses_accumulate_over_rounds():
    # 0 is exposed 3 to each of 1 and 2 (buffer 5): one default is not enough, two are.
    # 2 defaults only in round 1 (exposed 4 to 3 with buffer 3), so 0 falls in round 2,
    # and the counterparty that tipped it is 2.
    W = np.zeros((4, 4))
    W[0, 1] = W[0, 2] = 3.0
    W[2, 3] = 4.0
    res = threshold_cascade(W, [5.0, 1.0, 3.0, 1.0], [1, 3])
    assert res.round.tolist() == [2, 0, 1, 0]
    assert res.trigger[0] == 2
    assert res.path(0) == [3, 2, 0]


def test_lgd_of_the_defaulting_counterparty():
    W = np.array([[0, 10.0], [0, 0]])
    assert not threshold_cascade(W, [6.0, 1.0], [1], lgd=0.5).defaulted[0]  # loses 5
    assert threshold_cascade(W, [6.0, 1.0], [1], lgd=[1.0, 0.7]).defaulted[0]  # loses 7


@pytest.mark.parametrize("seed", range(8))
def test_matches_reference_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    n = 35
    W = (rng.random((n, n)) < 0.1) * rng.lognormal(0, 1, (n, n))
    np.fill_diagonal(W, 0)
    capital = W.sum(axis=1) * rng.uniform(0.1, 0.8, n)
    lgd = rng.uniform(0.4, 1.0, n)
    initial = rng.choice(n, 2, replace=False).tolist()
    res = threshold_cascade(W, capital, initial, lgd=lgd)
    assert res.round.tolist() == ref_cascade(W, capital, initial, lgd)
    # every trigger defaulted exactly one round earlier and is a counterparty
    for i in np.flatnonzero(res.round > 0):
        j = res.trigger[i]
        assert res.round[j] == res.round[i] - 1 and W[i, j] > 0


def test_graph_input_and_frame():
    G = nx.DiGraph()
    G.add_edge("bank", "fund", weight=9.0)
    G.add_edge("ins", "bank", weight=6.0)
    nx.set_node_attributes(G, {"bank": 8.0, "fund": 1.0, "ins": 5.0}, "capital")
    res = threshold_cascade(G, "capital", ["fund"])
    frame = res.to_frame()
    assert frame["path"].to_dict() == {"fund": ("fund",), "bank": ("fund", "bank"), "ins": ("fund", "bank", "ins")}
    assert frame["trigger"].isna().tolist() == [True, False, False]
    assert frame["trigger"].tolist()[1:] == ["fund", "bank"]


def test_bad_input():
    W = np.array([[0, 1.0], [0, 0]])
    with pytest.raises(GraphInputError, match="all-or-nothing"):
        threshold_cascade(W, [1, 1], np.array([0.5, 0.0]))
    with pytest.raises(GraphInputError, match="above 1"):
        threshold_cascade(W, [1, 1], [1], lgd=1.5)
    with pytest.raises(GraphInputError, match="self-loops"):
        threshold_cascade(np.eye(2), [1, 1], [1])
    res = threshold_cascade(W, [1, 1], [1])
    with pytest.raises(GraphInputError, match="unknown node"):
        res.path(7)


# --- how the initial defaults are read ------------------------------------------------
W_CHAIN = np.array([[0, 8, 0], [0, 0, 5], [0, 0, 0]], dtype=float)


@pytest.mark.parametrize(
    "defaulted",
    [[2], 2, np.array([2]), np.array([False, False, True]), [False, False, True], np.array([0.0, 0.0, 1.0]),
     {2: 1}],
)
def test_every_accepted_form_of_defaulted_means_node_2(defaulted):
    # 2 defaults; 1 loses 5 <= 8 and survives: only node 2 defaulted, in round 0
    res = threshold_cascade(W_CHAIN, [5, 8, 1], defaulted)
    assert res.round.tolist() == [-1, -1, 0]


@pytest.mark.parametrize(
    ("defaulted", "match"),
    [(np.array([0, 0, 1]), r"listed more than once \[0\].*boolean mask"),  # a 0/1 integer indicator
     ([0, 0, 1], r"listed more than once \[0\]"),
     ([2, 2], r"listed more than once \[2\]"),
     (np.array([True, False]), "boolean mask needs 3 values"),
     ([3], "unknown node positions")],
)
def test_ambiguous_or_bad_defaulted_is_refused(defaulted, match):
    with pytest.raises(GraphInputError, match=match):
        threshold_cascade(W_CHAIN, [5, 8, 1], defaulted)


def test_duplicate_labels_on_a_graph_are_refused():
    G = nx.DiGraph()
    G.add_edge("a", "b", weight=3.0)
    with pytest.raises(GraphInputError, match=r"listed more than once \['b'\]"):
        threshold_cascade(G, {"a": 1.0, "b": 1.0}, ["b", "b"])
    mask = threshold_cascade(G, {"a": 1.0, "b": 1.0}, np.array([False, True]))
    assert mask.defaulted.tolist() == [True, True]  # a loses 3 > 1
