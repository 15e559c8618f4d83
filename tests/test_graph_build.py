"""Relationship graph construction, layers and matrix forms."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from riskkit.data import DataValidationError, Portfolio
from riskkit.graph import GraphInputError, build_graph, check_relations, exposure_matrix, layer, layer_summary, node_capital, to_sparse


def make_customers(ids, capital, industry=None, region=None):
    n = len(ids)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "name": [f"name {i}" for i in ids],
            "kind": "enterprise",
            "industry": industry or ["manufacturing"] * n,
            "region": region or ["east"] * n,
            "ownership_type": "private",
            "state_ownership_pct": 0.0,
            "registered_capital": [float(c) for c in capital],
            "founded": pd.to_datetime(["2000-01-01"] * n),
            "onboarded": pd.to_datetime(["2010-01-01"] * n),
            "payment_terms_days": 30,
            "credit_limit": 100.0,
            "phone": ["555-0100"] * n,
        }
    )


def make_relations(rows):
    frame = pd.DataFrame(rows, columns=["src", "dst", "type", "weight", "start", "end"])
    frame["start"] = pd.to_datetime(frame["start"]).astype("datetime64[ns]")
    frame["end"] = pd.to_datetime(frame["end"]).astype("datetime64[ns]")
    return frame


@pytest.fixture
def portfolio():
    customers = make_customers(["A", "B", "C"], [100, 50, 20])
    relations = make_relations(
        [
            ("H", "A", "shareholding", 0.7, None, None),  # H is not a customer
            ("A", "B", "guarantee", 30.0, "2020-01-01", None),
            ("A", "B", "guarantee", 10.0, None, "2024-06-30"),  # ends on 2024-06-30 (exclusive)
            ("B", "C", "supply", 365.0, None, None),
            ("C", "A", "guarantee", 5.0, "2024-07-01", None),  # starts after 2024-06-30
        ]
    )
    return Portfolio(customers, relations=relations)


def test_nodes_and_attributes(portfolio):
    G = build_graph(portfolio, "2024-06-30")
    assert isinstance(G, nx.MultiDiGraph)
    assert set(G) == {"A", "B", "C", "H"}
    assert G.nodes["H"] == {"is_customer": False}
    assert G.nodes["A"]["is_customer"] and G.nodes["A"]["registered_capital"] == 100.0
    assert "phone" not in G.nodes["A"]  # PII is not copied
    assert G.graph["as_of"] == pd.Timestamp("2024-06-30")


def test_relations_in_force_boundaries(portfolio):
    G = build_graph(portfolio, "2024-06-30")
    # end on as_of is exclusive, start on as_of inclusive, later start excluded
    assert sorted((u, v, d["weight"]) for u, v, d in G.edges(data=True) if d["type"] == "guarantee") == [
        ("A", "B", 30.0)
    ]
    G2 = build_graph(portfolio, "2024-06-29")
    assert G2.number_of_edges("A", "B") == 2
    G3 = build_graph(portfolio, "2024-07-01")
    assert G3.has_edge("C", "A")
    assert build_graph(portfolio, None).number_of_edges() == 5


def test_layer_sums_parallel_edges_and_to_sparse_matches_networkx(portfolio):
    G = build_graph(portfolio, "2024-06-29")
    H = layer(G, "guarantee")
    assert H["A"]["B"]["weight"] == 40.0 and H["A"]["B"]["count"] == 2
    assert set(H) == set(G)  # every node kept
    A, nodes = to_sparse(G, layer="guarantee", nodelist=["A", "B", "C", "H"])
    ref = nx.to_scipy_sparse_array(H, nodelist=nodes, weight="weight")
    np.testing.assert_allclose(A.toarray(), ref.toarray())
    All, nodes = to_sparse(G)
    ref_all = nx.to_scipy_sparse_array(G, nodelist=nodes, weight="weight")  # sums multi-edges
    np.testing.assert_allclose(All.toarray(), ref_all.toarray())
    sub, nodes = to_sparse(G, layer=["guarantee", "supply"], nodelist=["B", "C"])
    assert nodes == ["B", "C"] and sub.toarray().tolist() == [[0, 365.0], [0, 0]]


def test_exposure_matrix_by_hand(portfolio):
    G = build_graph(portfolio, "2024-06-30")
    W, nodes = exposure_matrix(G, trade_credit_days=30)
    i = {v: k for k, v in enumerate(nodes)}
    # guarantee: A exposed 30 to B; stake: H holds 70% of A's equity 100; supply: B sells 365/yr to C,
    # 30 days of receivables outstanding = 30
    assert W[i["A"], i["B"]] == pytest.approx(30.0)
    assert W[i["H"], i["A"]] == pytest.approx(70.0)
    assert W[i["B"], i["C"]] == pytest.approx(30.0)
    assert W.nnz == 3
    only_g, _ = exposure_matrix(G, layers=["guarantee"])
    assert only_g.nnz == 1
    E = node_capital(G, W, nodes)
    # H has no capital: its buffer is its total exposure (70)
    assert E[i["H"]] == pytest.approx(70.0) and E[i["A"]] == 100.0
    with pytest.raises(GraphInputError, match="no value for nodes"):
        node_capital(G, W, nodes, missing="raise")
    with pytest.raises(GraphInputError, match="no money exposure"):
        exposure_matrix(G, layers=["common_director"])


def test_control_record_restating_a_stake_is_not_double_counted():
    G = nx.MultiDiGraph()
    G.add_node("S", registered_capital=100.0)
    G.add_edge("P", "S", type="shareholding", weight=0.6)
    G.add_edge("P", "S", type="control", weight=0.6)
    W, nodes = exposure_matrix(G)
    assert W.sum() == pytest.approx(60.0)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        (("A", "A", "guarantee", 1.0, None, None), r"relations.dst: check 'no_self_loop'"),
        (("A", "B", "guarantee", -1.0, None, None), r"relations.weight: check 'non_negative'"),
        (("A", "B", "guarantee", float("nan"), None, None), r"relations.weight: check 'not_null'"),
        (("A", "B", "shareholding", 1.5, None, None), r"relations.weight: check 'share_in_unit_interval'"),
        (("A", "B", "loan", 1.0, None, None), r"relations.type: check 'known_category' .* e.g. value 'loan'"),
    ],
)
def test_bad_relations_are_errors(row, match):
    from types import SimpleNamespace

    # a plain container: the Portfolio would reject these rows itself; the graph builder applies the same
    # rules, through riskkit.data.validation (one set of relation rules in the kit)
    pf = SimpleNamespace(customers=make_customers(["A", "B"], [1, 1]), relations=make_relations([row]))
    with pytest.raises(DataValidationError, match=match):
        build_graph(pf, "2024-01-01")
    with pytest.raises(DataValidationError, match=match):
        Portfolio(make_customers(["A", "B"], [1, 1]), relations=make_relations([row]))


@pytest.mark.parametrize("kind", ["shareholding", "control"])
def test_total_share_above_one_names_the_company(kind):
    from types import SimpleNamespace

    rel = make_relations([("X", "B", kind, 0.7, None, None), ("Y", "B", kind, 0.5, None, None)])
    pf = SimpleNamespace(customers=make_customers(["B"], [1]), relations=rel)
    rule = {"shareholding": "total_owned_share_at_most_1", "control": "total_control_share_at_most_1"}[kind]
    with pytest.raises(DataValidationError, match=rf"check '{rule}' failed for 1 row\(s\): dst=B; e.g. value '1.2'"):
        build_graph(pf, "2024-01-01")


def test_a_validated_portfolio_is_trusted_and_a_raw_container_is_normalised():
    from types import SimpleNamespace

    rel = make_relations([("A", "B", "guarantee", 3.0, "2020-01-01", None)])
    rel["start"] = rel["start"].dt.strftime("%Y-%m-%d").astype(object)  # text dates, as from a hand-made frame
    G = build_graph(SimpleNamespace(customers=make_customers(["A", "B"], [1, 1]), relations=rel), "2024-01-01")
    assert G.number_of_edges() == 1 and G["A"]["B"][0]["start"] == pd.Timestamp("2020-01-01")
    assert check_relations(rel)["start"].dtype == "datetime64[ns]"


def test_customers_without_relations_are_isolated_nodes():
    pf = Portfolio(make_customers(["A", "B"], [1, 2]))
    G = build_graph(pf, "2024-01-01")
    assert set(G) == {"A", "B"} and G.number_of_edges() == 0
    W, nodes = exposure_matrix(G)
    assert W.nnz == 0 and len(nodes) == 2


def test_empty_graph_is_built_and_algorithms_refuse_it():
    from types import SimpleNamespace

    from riskkit.data.schemas import empty_table
    from riskkit.graph import debtrank, guarantee_circles, integrated_ownership, systemic_importance

    pf = SimpleNamespace(customers=empty_table("customers"), relations=empty_table("relations"))
    G = build_graph(pf, "2024-01-01")
    assert G.number_of_nodes() == 0
    for call in (lambda: systemic_importance(G), lambda: integrated_ownership(G), lambda: debtrank(G, {}, [])):
        with pytest.raises(GraphInputError, match="empty"):
            call()
    assert guarantee_circles(G).circles.empty  # nothing to find is not an error


def test_layer_summary_by_hand():
    G = nx.MultiDiGraph()
    for v in ("A", "B", "C"):
        G.add_node(v, is_customer=True)
    G.add_node("P", is_customer=False)
    G.add_edge("A", "B", type="guarantee", weight=5.0)
    G.add_edge("B", "A", type="guarantee", weight=2.0)
    G.add_edge("P", "A", type="shareholding", weight=0.6)
    G.add_edge("P", "C", type="shareholding", weight=0.3)
    G.add_edge("C", "A", type="shareholding", weight=0.1)
    out = layer_summary(G)
    assert out.index.tolist() == ["guarantee", "shareholding"]
    assert out.loc["guarantee"].tolist() == [2, 2, 0, 2, 2, 7.0]
    assert out.loc["shareholding"].tolist() == [3, 1, 2, 3, 2, pytest.approx(1.0)]


@pytest.mark.parametrize(
    ("kind", "weight", "match"),
    [("guarantee", -5.0, r"negative weights on edges .*\('A', 'B', 'guarantee', -5.0\)"),
     ("guarantee", float("nan"), r"non-finite .*\('A', 'B', 'guarantee', nan\)"),
     ("supply", float("inf"), r"non-finite .*\('A', 'B', 'supply', inf\)"),
     ("shareholding", -0.2, r"negative weights .*\('A', 'B', 'shareholding', -0.2\)"),
     ("control", float("nan"), r"non-finite .*\('A', 'B', 'control', nan\)"),
     ("shareholding", 1.5, r"shares above 1 .*\('A', 'B', 'shareholding', 1.5\)")],
)
def test_exposure_matrix_refuses_bad_edge_weights(kind, weight, match):
    # a graph built by hand skips relations_in_force; a negative share must not vanish in the
    # max-merge with a control record, nor a NaN guarantee in a sum
    G = nx.MultiDiGraph()
    G.add_node("B", registered_capital=100.0)
    G.add_edge("A", "B", type=kind, weight=weight)
    G.add_edge("A", "B", type="control" if kind != "control" else "shareholding", weight=0.1)
    with pytest.raises(GraphInputError, match=match):
        exposure_matrix(G)
    # a layer left out is not checked
    other = [t for t in ("guarantee", "supply") if t != kind]
    exposure_matrix(G, layers=other)
