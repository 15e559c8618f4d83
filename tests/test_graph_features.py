"""Graph features per customer (joined onto the risk profile)."""

import networkx as nx
import pandas as pd
import pytest

from riskkit.data import Portfolio
from riskkit.assess import default_capital, portfolio_graph_features
from riskkit.graph import GRAPH_FEATURES, build_graph, graph_features, systemic_importance


@pytest.fixture(scope="module")
def portfolio():
    ids = ["A", "B", "C", "D"]
    n = len(ids)
    customers = pd.DataFrame(
        {
            "customer_id": ids, "name": ids, "kind": "enterprise", "industry": "retail", "region": "east",
            "ownership_type": "private", "state_ownership_pct": 0.0,
            "registered_capital": [100.0, 20.0, 50.0, 30.0],
            "founded": pd.to_datetime(["2000-01-01"] * n), "onboarded": pd.to_datetime(["2010-01-01"] * n),
            "payment_terms_days": 60, "credit_limit": 100.0,
        }
    )
    rel = pd.DataFrame(
        [
            ("A", "B", "guarantee", 30.0),
            ("B", "A", "guarantee", 10.0),  # A and B form a circle
            ("A", "C", "guarantee", 5.0),
            ("H", "A", "shareholding", 0.9),
            ("H", "C", "control", 0.55),
        ],
        columns=["src", "dst", "type", "weight"],
    )
    rel["start"] = pd.Series(pd.NaT, index=rel.index, dtype="datetime64[ns]")
    rel["end"] = pd.Series(pd.NaT, index=rel.index, dtype="datetime64[ns]")
    return Portfolio(customers, relations=rel)


def test_features_by_hand(portfolio):
    ead = pd.Series({"A": 10.0, "B": 20.0, "C": 30.0, "D": 40.0})
    f = portfolio_graph_features(portfolio, "2024-01-01", exposure=ead)
    assert list(f.columns) == list(GRAPH_FEATURES)
    assert list(f.index) == ["A", "B", "C", "D"] and f.index.name == "customer_id"
    assert f["group_id"].to_dict() == {"A": "H", "B": "B", "C": "H", "D": "D"}
    assert f["group_size"].to_dict() == {"A": 2, "B": 1, "C": 2, "D": 1}
    assert f["group_exposure"].to_dict() == {"A": 40.0, "B": 20.0, "C": 40.0, "D": 40.0}
    assert f["guarantees_given"].to_dict() == {"A": 35.0, "B": 10.0, "C": 0.0, "D": 0.0}
    assert f["guarantees_received"].to_dict() == {"A": 10.0, "B": 30.0, "C": 5.0, "D": 0.0}
    assert f["n_guarantees_given"].to_dict() == {"A": 2, "B": 1, "C": 0, "D": 0}
    assert f["in_guarantee_circle"].to_dict() == {"A": True, "B": True, "C": False, "D": False}
    assert f["guarantee_circle_size"].to_dict() == {"A": 2, "B": 2, "C": 0, "D": 0}
    G = build_graph(portfolio, "2024-01-01")
    si = systemic_importance(G, top_k=0)
    pd.testing.assert_series_equal(f["debtrank_impact"], si["debtrank_linear"].reindex(f.index),
                                   check_names=False)
    assert f.loc["D", "debtrank_impact"] == 0.0
    # the pure graph function gives the same with the same inputs
    pure = graph_features(G, ["A", "B", "C", "D"], exposure=ead, capital=default_capital(G, portfolio, "2024-01-01"))
    pd.testing.assert_frame_equal(pure, f)


def test_prebuilt_graph_must_cover_the_customers(portfolio):
    G = nx.MultiDiGraph()
    G.add_node("A")
    with pytest.raises(ValueError, match="not in G"):
        graph_features(G, ["A", "B"], exposure=pd.Series({"A": 1.0}))
    with pytest.raises(ValueError, match="not in G"):
        portfolio_graph_features(portfolio, "2024-01-01", G=G, exposure=pd.Series({"A": 1.0}))
