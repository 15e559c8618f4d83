"""Linked parties read off a hand-made relationship graph."""

import networkx as nx
import pandas as pd
import pytest

from riskkit.graph import GraphInputError, linked_parties


@pytest.fixture()
def graph():
    G = nx.MultiDiGraph()
    G.add_nodes_from((c, {"is_customer": True}) for c in "ABCDE")
    G.add_node("H", is_customer=False)                              # external holding company
    G.add_edge("H", "A", type="shareholding", weight=0.8)           # H controls A and B
    G.add_edge("H", "B", type="control", weight=0.6)
    G.add_edge("C", "D", type="guarantee", weight=5.0)              # C and D guarantee each other
    G.add_edge("D", "C", type="guarantee", weight=3.0)
    G.add_edge("E", "A", type="supply", weight=100.0)               # E supplies A
    G.add_edge("A", "E", type="common_director", weight=1.0)        # not a money link
    return G


def rows(frame):
    return set(map(tuple, frame.to_numpy().tolist()))


def test_every_relation_by_hand(graph):
    out = linked_parties(graph)
    assert list(out.columns) == ["customer_id", "linked_id", "relation"]
    expected = {
        ("A", "H", "controller"), ("B", "H", "controller"),
        ("C", "D", "guaranteed"), ("D", "C", "guarantor"), ("D", "C", "guaranteed"), ("C", "D", "guarantor"),
        ("E", "A", "buyer"), ("A", "E", "supplier"),
        ("A", "B", "group_member"), ("B", "A", "group_member"),     # both in H's group,
        ("A", "H", "group_member"), ("B", "H", "group_member"),     # which H itself heads
        ("C", "D", "circle_member"), ("D", "C", "circle_member"),
    }
    assert rows(out) == expected                                     # H is not a customer: no H rows
    assert not out.duplicated().any()


def test_selected_customers_and_switches(graph):
    out = linked_parties(graph, ["A"], include_groups=False, include_circles=False)
    assert rows(out) == {("A", "H", "controller"), ("A", "E", "supplier")}
    with pytest.raises(GraphInputError, match="not in G"):
        linked_parties(graph, ["Z"])
    with pytest.raises(GraphInputError, match="networkx graph"):
        linked_parties(pd.DataFrame())


def test_graph_without_links():
    G = nx.MultiDiGraph()
    G.add_node("A", is_customer=True)
    assert linked_parties(G).empty
