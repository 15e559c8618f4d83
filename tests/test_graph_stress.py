"""Stress scenarios on a hand-built portfolio whose outcome is computed by hand.

Exposures between parties (W[i, j] = what i loses if j defaults), trade credit 60 days:
  B -> A 30 (B guarantees A's debt)      C -> B 10 (C guarantees B's debt)
  D -> E 5, E -> D 5 (mutual guarantees) H -> A 0.8 x 100 = 80, H -> F 0.6 x 10 = 6 (stakes)
  F -> A 73 x 60 / 365 = 12 (F supplies A)
Buffers (registered capital): A 100, B 20, C 50, D 30, E 40, F 10; H (not a customer) none,
so its buffer is its total exposure 86.

A defaults. Round 1: B loses 30 > 20 and F loses 12 > 10 -> both default; H loses 80 <= 86.
Round 2: C loses 10 <= 50; H loses 86, not above 86 -> the cascade stops.
DebtRank seeded with A, B, F: C's distress 10/50 = 0.2 (from B); H's min(1, 80/86 + 6/86) = 1.
Loss to us at LGD 0.45: A 100 x .45 = 45, B 50 x .45 = 22.5, F 20 x .45 = 9.
"""

import numpy as np
import pandas as pd
import pytest

from riskkit.data import Portfolio
from riskkit.assess import portfolio_stress_test
from riskkit.graph import GraphInputError, StressScenario, build_graph, network_adjusted_pd, stress_test

AS_OF = "2024-06-30"
EAD = pd.Series({"A": 100.0, "B": 50.0, "C": 30.0, "D": 10.0, "E": 10.0, "F": 20.0})
PD = pd.Series({"A": 0.02, "B": 0.03, "C": 0.01, "D": 0.05, "E": 0.05, "F": 0.04})


@pytest.fixture(scope="module")
def portfolio():
    ids = ["A", "B", "C", "D", "E", "F"]
    n = len(ids)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "name": ids,
            "kind": "enterprise",
            "industry": ["construction", "retail", "retail", "steel", "steel", "construction"],
            "region": ["north", "north", "south", "south", "south", "north"],
            "ownership_type": "private",
            "state_ownership_pct": 0.0,
            "registered_capital": [100.0, 20.0, 50.0, 30.0, 40.0, 10.0],
            "founded": pd.to_datetime(["2000-01-01"] * n),
            "onboarded": pd.to_datetime(["2010-01-01"] * n),
            "payment_terms_days": 60,
            "credit_limit": 100.0,
        }
    )
    rel = pd.DataFrame(
        [
            ("B", "A", "guarantee", 30.0),
            ("C", "B", "guarantee", 10.0),
            ("D", "E", "guarantee", 5.0),
            ("E", "D", "guarantee", 5.0),
            ("H", "A", "shareholding", 0.8),
            ("H", "F", "shareholding", 0.6),
            ("F", "A", "supply", 73.0),
        ],
        columns=["src", "dst", "type", "weight"],
    )
    rel["start"] = pd.Series(pd.NaT, index=rel.index, dtype="datetime64[ns]")
    rel["end"] = pd.Series(pd.NaT, index=rel.index, dtype="datetime64[ns]")
    return Portfolio(customers, relations=rel)


def test_named_default_by_hand(portfolio):
    res = portfolio_stress_test(portfolio, AS_OF, {"kind": "default", "nodes": ["A"]}, exposure=EAD)
    a = res.affected
    assert a["status"].to_dict() == {
        "A": "initial_default", "B": "contagion_default", "F": "contagion_default",
        "C": "distressed", "H": "distressed",
    }
    assert a.loc["C", "distress"] == pytest.approx(0.2) and a.loc["H", "distress"] == pytest.approx(1.0)
    assert a.loc["B", "path"] == ("A", "B") and a.loc["B", "path_relations"] == ("guarantee",)
    assert a.loc["F", "path_relations"] == ("supply",)
    assert a.loc["C", "path"] == ("A", "B", "C") and a.loc["C", "path_relations"] == ("guarantee", "guarantee")
    assert a.loc["H", "path_relations"] == ("shareholding",) and not a.loc["H", "is_customer"]
    assert a["round"].to_dict() == {"A": 0, "B": 1, "F": 1, "C": 2, "H": 1}
    assert res.losses["loss"].to_dict() == {"A": 45.0, "B": 22.5, "F": 9.0, "C": 0.0}
    assert res.totals["loss_total"] == pytest.approx(76.5)
    assert res.totals["loss_contagion"] == pytest.approx(31.5)
    assert res.totals["contagion_defaults"] == 2 and res.totals["distressed"] == 2
    # group of H: A and F; B and C are their own groups
    g = res.groups
    assert g.loc["H", "n_defaulted"] == 2 and g.loc["H", "loss"] == pytest.approx(54.0)
    assert g.loc["C", "n_distressed"] == 1
    assert "Stress scenario: default of A" in res.summary()


def test_graph_input_gives_the_same_result(portfolio):
    G = build_graph(portfolio, AS_OF)
    a = stress_test(G, StressScenario("default", nodes=("A",)), exposure=EAD).affected
    b = portfolio_stress_test(portfolio, AS_OF, {"kind": "default", "nodes": ["A"]}, exposure=EAD).affected
    pd.testing.assert_frame_equal(a, b)


def test_higher_buffer_stops_the_cascade(portfolio):
    G = build_graph(portfolio, AS_OF)
    capital = {v: 1e9 for v in G}
    res = stress_test(G, {"kind": "default", "nodes": ["A"]}, exposure=EAD, capital=capital, distress_threshold=0)
    assert res.totals["contagion_defaults"] == 0
    assert (res.affected["status"] != "contagion_default").all()


def test_segment_share_by_highest_pd_and_by_seed(portfolio):
    sc = {"kind": "industry", "segment": "construction", "default_share": 0.5}
    res = portfolio_stress_test(portfolio, AS_OF, sc, exposure=EAD, pd_values=PD)
    assert res.affected.index[res.affected["status"] == "initial_default"].tolist() == ["F"]  # PD 4% > 2%
    rand = {**sc, "select": "random", "seed": 7}
    r1 = portfolio_stress_test(portfolio, AS_OF, rand, exposure=EAD)
    r2 = portfolio_stress_test(portfolio, AS_OF, rand, exposure=EAD)
    pd.testing.assert_frame_equal(r1.affected, r2.affected)
    assert r1.totals["initial_defaults"] == 1


def test_region_full_default(portfolio):
    res = portfolio_stress_test(portfolio, AS_OF, {"kind": "region", "segment": "south", "default_share": 1.0},
                      exposure=EAD, pd_values=PD)
    assert set(res.affected.index[res.affected["status"] == "initial_default"]) == {"C", "D", "E"}


def test_largest_guarantor(portfolio):
    res = portfolio_stress_test(portfolio, AS_OF, {"kind": "largest_guarantor"}, exposure=EAD)
    assert res.affected.index[res.affected["status"] == "initial_default"].tolist() == ["B"]
    # C guaranteed B's debt: 10 of 50 lost
    assert res.affected.loc["C", "distress"] == pytest.approx(0.2)


def test_pd_multiplier_scenario(portfolio):
    res = portfolio_stress_test(portfolio, AS_OF, {"kind": "industry", "segment": "construction", "pd_multiplier": 3.0},
                      exposure=EAD, pd_values=PD, lgd=0.5)
    G = build_graph(portfolio, AS_OF)
    stressed = PD.copy()
    stressed[["A", "F"]] *= 3
    before = network_adjusted_pd(G, PD)["pd_network"]
    after = network_adjusted_pd(G, stressed)["pd_network"]
    a = res.affected
    assert set(a.index[a["status"] == "shocked"]) == {"A", "F"}
    assert set(a.index) == set(after.index[after > before + 1e-12]) | {"A", "F"}
    np.testing.assert_allclose(a["pd_after"], after[a.index])
    expected = (EAD[a.index] * 0.5 * (after[a.index] - before[a.index])).sum()
    assert res.totals["expected_loss_change"] == pytest.approx(expected)
    assert a.loc["B", "path"] == ("A", "B")  # B's extra risk comes from guaranteeing A
    assert a.loc["C", "path"] == ("A", "B", "C")


@pytest.mark.parametrize(
    ("scenario", "match"),
    [
        ({"kind": "default", "nodes": ["A", "NOPE", "ZZ"]}, r"unknown node ids \['NOPE', 'ZZ'\]"),
        ({"kind": "meteor"}, "scenario.kind"),
        ({"kind": "default"}, "needs nodes"),
        ({"kind": "default", "nodes": ["A"], "colour": "red"}, r"unknown keys \['colour'\]"),
        ({"nodes": ["A"]}, "missing 'kind'"),
        ({"kind": "industry", "segment": "retail"}, "exactly one of"),
        ({"kind": "industry", "segment": "retail", "pd_multiplier": 2, "default_share": 0.1}, "exactly one of"),
        ({"kind": "industry", "segment": "retail", "default_share": 1.5}, r"default_share must be in \(0, 1\]"),
        ({"kind": "industry", "segment": "retail", "pd_multiplier": -1}, "positive"),
        ({"kind": "industry", "segment": "retail", "default_share": 0.5, "select": "random"}, "needs a seed"),
        ({"kind": "industry", "segment": "mining", "default_share": 0.5}, "no customers with industry == 'mining'"),
        ({"kind": "largest_guarantor", "nodes": ["A"]}, "takes no other"),
    ],
)
def test_scenario_validation(portfolio, scenario, match):
    with pytest.raises(GraphInputError, match=match):
        portfolio_stress_test(portfolio, AS_OF, scenario, exposure=EAD, pd_values=PD)


def test_other_bad_input(portfolio):
    with pytest.raises(GraphInputError, match="G must be a networkx graph"):
        stress_test(portfolio, {"kind": "default", "nodes": ["A"]}, exposure=EAD)
    with pytest.raises(GraphInputError, match="needs pd_values="):
        portfolio_stress_test(portfolio, AS_OF, {"kind": "industry", "segment": "retail", "pd_multiplier": 2.0},
                              exposure=EAD)
    with pytest.raises(GraphInputError, match="negative EAD"):
        portfolio_stress_test(portfolio, AS_OF, {"kind": "default", "nodes": ["A"]}, exposure=-EAD)
    with pytest.raises(GraphInputError, match="G must be a networkx graph"):
        stress_test([1, 2], {"kind": "default", "nodes": ["A"]})
    with pytest.raises(GraphInputError, match="expected a riskkit Portfolio"):
        portfolio_stress_test([1, 2], AS_OF, {"kind": "default", "nodes": ["A"]})
    import networkx as nx

    G = nx.MultiDiGraph()
    G.add_node("A")
    with pytest.raises(GraphInputError, match="no guarantees"):
        stress_test(G, {"kind": "largest_guarantor"})


def test_latest_published_equity_is_the_buffer(portfolio):
    # B publishes equity 40 (> its 30 exposure to A) before as_of, so it survives A's default;
    # a later statement (published after as_of) must not be used.
    fin = pd.DataFrame(
        {
            "customer_id": ["B", "B"],
            "period_end": pd.to_datetime(["2023-12-31", "2024-06-30"]),
            "published_date": pd.to_datetime(["2024-04-30", "2024-08-31"]),
            "revenue": 100.0, "ebit": 10.0, "net_income": 5.0, "total_assets": 100.0,
            "total_liabilities": 60.0, "current_assets": 50.0, "current_liabilities": 30.0,
            "retained_earnings": 10.0, "equity": [40.0, 5.0], "cash": 5.0, "interest_expense": 1.0,
        }
    )
    pf = Portfolio(portfolio.customers, relations=portfolio.relations, financials=fin)
    res = portfolio_stress_test(pf, AS_OF, {"kind": "default", "nodes": ["A"]}, exposure=EAD)
    assert res.affected.loc["B", "status"] == "distressed"
    assert res.affected.loc["B", "distress"] == pytest.approx(30 / 40)
    assert res.affected.loc["B", "capital"] == 40.0


def test_scenario_from_text():
    assert StressScenario.from_text("largest_guarantor") == StressScenario(kind="largest_guarantor")
    assert StressScenario.from_text(" customers: A, F ").nodes == ("A", "F")
    sc = StressScenario.from_text("region:north", default_share=0.5)
    assert (sc.kind, sc.segment, sc.default_share, sc.select) == ("region", "north", 0.5, "highest_pd")
    assert StressScenario.from_text("industry:construction").default_share == 0.1
    for bad, match in [("", "non-empty"), ("everything", "expected"), ("industry:", "nothing after"),
                       ("sector:x", "unknown kind"), ("customers: ,", "needs nodes")]:
        with pytest.raises(GraphInputError, match=match):
            StressScenario.from_text(bad)


def test_scenario_from_text_runs_on_the_portfolio(portfolio):
    res = portfolio_stress_test(portfolio, AS_OF, StressScenario.from_text("customers:A"), exposure=EAD)
    assert res.totals["contagion_defaults"] == 2  # B and F, as in the hand case above
