"""riskkit.assess network tables and riskkit.reports.round_floats on hand-built inputs."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import riskkit as rk


@pytest.fixture
def graph():
    G = nx.MultiDiGraph()
    G.add_nodes_from(["C1", "C2", "C3"], is_customer=True)
    G.add_nodes_from(["H1", "P9"], is_customer=False)
    G.add_edge("H1", "C1", type="shareholding", weight=0.6)
    G.add_edge("C1", "C2", type="guarantee", weight=250_000.0)
    G.add_edge("C2", "C1", type="guarantee", weight=100_000.0)
    G.add_edge("C1", "C3", type="supply", weight=1_000.0)
    G.add_edge("C1", "C3", type="supply", weight=2_000.0)  # two records, two rows
    G.add_edge("P9", "C2", type="common_director", weight=1.0)
    return G


def test_party_counts(graph):
    counts = rk.assess.party_counts(graph)
    assert counts["nodes"].to_dict() == {"customers": 3, "external parties": 2, "total": 5}
    only_customers = nx.MultiDiGraph()
    only_customers.add_node("C1", is_customer=True)
    assert rk.assess.party_counts(only_customers)["nodes"].to_dict() == {"customers": 1, "total": 1}


def test_direct_relations(graph):
    table = rk.assess.direct_relations(graph, "C1")
    assert list(table.columns) == ["direction", "counterparty", "type", "weight", "counterparty_is_customer"]
    rows = [tuple(r) for r in table.itertuples(index=False)]
    assert rows == [
        ("in", "C2", "guarantee", 100_000.0, True),
        ("out", "C2", "guarantee", 250_000.0, True),
        ("in", "H1", "shareholding", 0.6, False),
        ("out", "C3", "supply", 1_000.0, True),
        ("out", "C3", "supply", 2_000.0, True),
    ]
    assert rk.assess.direct_relations(graph, "P9")["counterparty"].tolist() == ["C2"]
    with pytest.raises(KeyError, match="'C7' is not a party of the graph"):
        rk.assess.direct_relations(graph, "C7")
    lonely = nx.MultiDiGraph()
    lonely.add_node("C1", is_customer=True)
    assert rk.assess.direct_relations(lonely, "C1").empty


def test_circle_exposure():
    members = pd.Series([("C1", "C2"), ("C3", "X1"), ("X2",)], index=[10, 11, 12])
    exposure = pd.DataFrame({"ead": [100.0, 250.0, 40.0]}, index=["C1", "C2", "C3"])
    ead = rk.assess.circle_exposure(members, exposure)
    # 100 + 250; 40 + 0 for the external X1; 0 for an external-only circle
    assert ead.to_dict() == {10: 350.0, 11: 40.0, 12: 0.0}
    assert rk.assess.circle_exposure(members, exposure["ead"]).equals(ead)
    with pytest.raises(ValueError, match="no column 'ead'"):
        rk.assess.circle_exposure(members, exposure.rename(columns={"ead": "x"}))


def test_group_concentration():
    totals = pd.DataFrame({"n_customers": [3, 2, 1], "ead": [600.0, 150.0, 50.0]}, index=["G1", "G2", "C9"])
    exposure = pd.Series([200.0, 200.0, 200.0, 100.0, 50.0, 50.0, 200.0], name="ead")
    result = rk.assess.group_concentration(totals, exposure)
    # groups with two or more customers: G1 and G2, 5 customers, EAD 750 of 1,000
    assert (result.n_groups, result.n_customers, result.ead) == (2, 5, 750.0)
    assert result.share_of_ead == pytest.approx(0.75)
    assert result.summary() == ("groups of two or more customers: 2; customers in them: 5; "
                                "share of total EAD: 75.0%")
    assert math.isnan(rk.assess.group_concentration(totals, exposure * 0).share_of_ead)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['ead'\]"):
        rk.assess.group_concentration(totals.drop(columns="ead"), exposure)


def test_round_floats_rounds_inside_mixed_columns_and_keeps_dtypes():
    table = pd.DataFrame({
        "item": ["name", "ratio"],
        "value": pd.Series(["Acme", 1.23456789], dtype=object),
        "pd": [np.float64(0.0123456), np.nan],
        "count": [3, 4],
    })
    out = rk.reports.round_floats(table, 3)
    assert out["value"].tolist() == ["Acme", 1.235]
    assert out["pd"].iloc[0] == 0.012 and np.isnan(out["pd"].iloc[1])
    assert out["count"].tolist() == [3, 4]
    assert out.dtypes.to_dict() == table.dtypes.to_dict()
    assert table["value"].iloc[1] == 1.23456789  # the input is left alone
    with pytest.raises(TypeError, match="table must be a DataFrame"):
        rk.reports.round_floats([1.0])
