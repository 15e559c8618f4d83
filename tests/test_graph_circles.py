"""Guarantee circles: components, mutual pairs, bounded cycle listing."""

import itertools
import time

import networkx as nx
import numpy as np
import pytest

from riskkit.graph import GraphInputError, guarantee_circles, mutual_guarantees


def guarantees(edges):
    G = nx.MultiDiGraph()
    for u, v, w in edges:
        G.add_edge(u, v, type="guarantee", weight=w)
    return G


def test_two_circles_by_hand():
    G = guarantees(
        [
            ("A", "B", 10), ("B", "C", 20), ("C", "A", 30),  # 3-circle, total 60
            ("D", "E", 5), ("E", "D", 7),  # mutual pair, total 12
            ("F", "A", 100),  # F guarantees into the circle: not a member
            ("C", "B", 1),  # makes B<->C mutual, adds a 2-cycle
        ]
    )
    G.add_edge("A", "D", type="supply", weight=1e6)  # other layers are ignored
    gc = guarantee_circles(G)
    c = gc.circles
    assert c["members"].tolist() == [("A", "B", "C"), ("D", "E")]
    assert c["size"].tolist() == [3, 2]
    assert c["total_guaranteed"].tolist() == [61.0, 12.0]
    assert c["n_mutual_pairs"].tolist() == [1, 1]
    assert gc.membership.to_dict() == {"A": 0, "B": 0, "C": 0, "D": 1, "E": 1}
    assert sorted(gc.cycles.loc[gc.cycles["circle_id"] == 0, "cycle"]) == [("A", "B", "C"), ("B", "C")]
    assert gc.mutual[["a", "b", "amount_ab", "amount_ba", "circle_id"]].values.tolist() == [
        ["B", "C", 20.0, 1.0, 0],
        ["D", "E", 5.0, 7.0, 1],
    ]
    weakest = dict(zip(gc.cycles["cycle"], gc.cycles["min_amount"], strict=True))
    assert weakest[("A", "B", "C")] == 10.0 and weakest[("B", "C")] == 1.0


def test_components_match_networkx_reference():
    rng = np.random.default_rng(3)
    D = nx.gnp_random_graph(60, 0.04, seed=3, directed=True)
    G = guarantees((u, v, float(rng.uniform(1, 5))) for u, v in D.edges)
    expected = sorted(tuple(sorted(c)) for c in nx.strongly_connected_components(D) if len(c) > 1)
    gc = guarantee_circles(G, max_length=None, max_cycles=None)
    assert sorted(gc.circles["members"]) == expected
    n_cycles = sum(1 for _ in nx.simple_cycles(D))
    assert len(gc.cycles) == n_cycles


def test_dense_component_listing_is_capped():
    # a complete guarantee graph on 14 nodes has billions of simple cycles
    n = 14
    G = guarantees((u, v, 1.0) for u, v in itertools.permutations(range(n), 2))
    t0 = time.perf_counter()
    gc = guarantee_circles(G, max_length=None, max_cycles=500)
    elapsed = time.perf_counter() - t0
    assert len(gc.cycles) == 500 and bool(gc.circles.loc[0, "cycles_truncated"])
    assert gc.circles.loc[0, "n_mutual_pairs"] == n * (n - 1) // 2
    assert elapsed < 30  # generous: guards against enumerating everything, not a benchmark
    short = guarantee_circles(G, max_length=2, max_cycles=None)
    assert len(short.cycles) == n * (n - 1) // 2  # only the mutual pairs
    assert not short.circles.loc[0, "cycles_truncated"]


def test_no_guarantees_and_bad_parameters():
    G = nx.MultiDiGraph()
    G.add_edge("A", "B", type="supply", weight=1.0)
    gc = guarantee_circles(G)
    assert gc.circles.empty and gc.cycles.empty and gc.mutual.empty and gc.membership.empty
    assert gc.summary() == "No guarantee circles."
    with pytest.raises(GraphInputError, match="max_length"):
        guarantee_circles(G, max_length=1)
    with pytest.raises(GraphInputError, match="max_cycles"):
        guarantee_circles(G, max_cycles=-1)


def test_mutual_guarantees_sum_parallel_edges():
    G = guarantees([("A", "B", 1.0), ("A", "B", 2.0), ("B", "A", 4.0), ("A", "C", 9.0)])
    assert mutual_guarantees(G).to_dict("records") == [{"a": "A", "b": "B", "amount_ab": 3.0, "amount_ba": 4.0}]
