"""Network-adjusted vs stand-alone PD: hand case, a generated book, bad input.

Hand case (as_of 2024-06-30, no statements, so materiality uses registered capital):
  A (capital 60) guarantees 30 of B's debt; B defaulted 2024-05-01 (recent -> PD 1).
  D (capital 50) guarantees 100 of E's debt; E defaulted 2020-01-01 (stale -> PD 0).
  C has no links. Stand-alone PDs A .02, C .03, D .04.
  T[A, B] = min(1, 30 / 60) = 0.5, so PD_A = 1 - 0.98 x (1 - 0.5) = 0.51 (strength 1) and
  1 - 0.98 x (1 - 0.25) = 0.265 (strength 0.5); D keeps 0.04 (E transmits nothing), C 0.03.
  Outcomes: A defaults 2024-09-01 by contagion (in the window), C on 2025-12-01 (after it).
"""

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import riskkit as rk
from riskkit.data import Portfolio
from riskkit.assess import calibrate_transmission_strength, evaluate_network_pd, network_pd_scores
from riskkit.graph import GraphInputError, network_adjusted_pd

AS_OF = "2024-06-30"


@pytest.fixture(scope="module")
def tiny():
    ids = ["A", "B", "C", "D", "E"]
    n = len(ids)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "name": ids,
            "kind": "enterprise",
            "industry": "retail",
            "region": "north",
            "ownership_type": "private",
            "state_ownership_pct": 0.0,
            "registered_capital": [60.0, 40.0, 30.0, 50.0, 20.0],
            "founded": pd.to_datetime(["2000-01-01"] * n).astype("datetime64[ns]"),
            "onboarded": pd.to_datetime(["2010-01-01"] * n).astype("datetime64[ns]"),
            "payment_terms_days": 60,
            "credit_limit": 100.0,
        }
    )
    rel = pd.DataFrame([("A", "B", "guarantee", 30.0), ("D", "E", "guarantee", 100.0)],
                       columns=["src", "dst", "type", "weight"])
    rel["start"] = pd.Series(pd.NaT, index=rel.index, dtype="datetime64[ns]")
    rel["end"] = pd.Series(pd.NaT, index=rel.index, dtype="datetime64[ns]")
    when = pd.to_datetime(["2024-05-01", "2020-01-01", "2024-09-01", "2025-12-01"]).astype("datetime64[ns]")
    defaults = pd.DataFrame({"customer_id": ["B", "E", "A", "C"], "default_date": when,
                             "reason": ["bankruptcy", "write_off", "bankruptcy", "write_off"]})
    truth = pd.DataFrame({"customer_id": ids, "true_pd": [0.02, 0.5, 0.03, 0.04, 0.5],
                          "contagion_default": [True, False, False, False, False]})
    return Portfolio(customers, relations=rel, defaults=defaults, truth=truth)


def test_scores_by_hand(tiny):
    s = network_pd_scores(tiny, AS_OF)
    assert s.index.tolist() == ["A", "C", "D"]  # B and E were in default by as_of
    np.testing.assert_allclose(s["pd"], [0.02, 0.03, 0.04])
    np.testing.assert_allclose(s["pd_network"], [0.51, 0.03, 0.04], rtol=1e-12)
    assert s.loc["A", "main_source"] == "B" and s.loc["A", "main_channel"] == "guarantee"
    assert s["default"].tolist() == [1, 0, 0]  # C defaults after the 365-day window
    assert s["contagion_default"].tolist() == [1, 0, 0]
    half = network_pd_scores(tiny, AS_OF, strength=0.5)
    assert half.loc["A", "pd_network"] == pytest.approx(1 - 0.98 * 0.75)
    longer = network_pd_scores(tiny, AS_OF, horizon_days=600)
    assert longer["default"].tolist() == [1, 1, 0] and longer["contagion_default"].tolist() == [1, 0, 0]


def test_old_defaults_count_when_the_lookback_reaches_them(tiny):
    # with a lookback beyond 2020-01-01, E is a recent default: T[D, E] = min(1, 100/50) = 1
    s = network_pd_scores(tiny, AS_OF, lookback_days=2000)
    assert s.loc["D", "pd_network"] == pytest.approx(1.0)
    # with a lookback shorter than B's two months, B no longer transmits either
    s = network_pd_scores(tiny, AS_OF, lookback_days=30)
    assert s.loc["A", "pd_network"] == pytest.approx(0.02)


def test_strength_scales_every_channel():
    G = nx.MultiDiGraph()
    G.add_node("A", registered_capital=100.0)
    G.add_node("B", registered_capital=50.0)
    G.add_edge("B", "A", type="guarantee", weight=20.0)  # materiality 20/50 = 0.4
    p = {"A": 0.1, "B": 0.05}
    for strength, t in [(0.0, 0.0), (0.5, 0.2), (2.0, 0.8), (5.0, 1.0)]:
        out = network_adjusted_pd(G, p, strength=strength)
        assert out.loc["B", "pd_network"] == pytest.approx(1 - 0.95 * (1 - t * 0.1))
    with pytest.raises(GraphInputError, match="strength"):
        network_adjusted_pd(G, p, strength=-1.0)


def test_calibration_by_hand(tiny):
    # only A's PD depends on the strength s: q_A = 1 - 0.98 (1 - min(1, s/2)); A defaults, so the
    # likelihood rises up to s = 2 (q_A = 1) and is flat after: the fit sits at the upper bound
    cal = calibrate_transmission_strength(tiny, AS_OF, bounds=(0.0, 2.0))
    assert cal.strength == pytest.approx(2.0, abs=1e-3)
    null = np.log(0.02) + np.log(0.97) + np.log(0.96)
    assert cal.log_likelihood_null == pytest.approx(null)
    assert cal.log_likelihood == pytest.approx(np.log(0.97) + np.log(0.96), abs=1e-6)
    assert cal.statistic == pytest.approx(2 * (cal.log_likelihood - null))
    assert cal.n == 3 and cal.n_events == 1
    assert cal.profile["strength"].iloc[[0, -1]].tolist() == [0.0, 2.0]


@pytest.fixture(scope="module")
def book():
    # strong, frequent contagion so that a small book has enough contagion-induced defaults
    return rk.datasets.generate_portfolio(1500, seed=2, contagion_strength=3.0, guarantee_chains_per_1000=30)


def test_network_pd_recovers_contagion_defaults_out_of_time(book):
    """Fit the strength on one date, apply it a year later: on contagion-induced defaults the
    network-adjusted PD ranks better than the (oracle) stand-alone PD."""
    cal = calibrate_transmission_strength(book, "2022-12-31")
    assert cal.strength > 0 and cal.pvalue < 0.05
    ev = evaluate_network_pd(book, "2023-12-31", strength=cal.strength)
    comp = ev.comparison
    assert comp.loc["contagion_default", "n_events"] >= 10
    assert comp.loc["contagion_default", "auc_network"] > comp.loc["contagion_default", "auc_standalone"] + 0.1
    # independent reference for the AUCs and the labels
    s = ev.scores
    for target in ("contagion_default", "default"):
        for model, column in (("stand-alone", "pd"), ("network", "pd_network")):
            row = ev.table[(ev.table["target"] == target) & (ev.table["model"] == model)].iloc[0]
            assert row["auc"] == pytest.approx(roc_auc_score(s[target], s[column]), abs=1e-12)
            assert row["ci_lower"] <= row["auc"] <= row["ci_upper"]
    truth = book.truth.set_index("customer_id")
    window = (truth["default_date"] > "2023-12-31") & (truth["default_date"] <= "2024-12-30")
    known = book.customers.set_index("customer_id")["onboarded"] <= "2023-12-31"
    at_risk = known & ~(truth["default_date"] <= "2023-12-31")
    assert sorted(s.index) == sorted(at_risk.index[at_risk])
    assert s["default"].sum() == (window & at_risk).sum()
    assert s["contagion_default"].sum() == (window & at_risk & truth["contagion_default"]).sum()
    assert "contagion_default" in ev.summary()


def test_zero_strength_is_the_standalone_pd(book):
    ev = evaluate_network_pd(book, "2023-12-31", strength=0.0)
    np.testing.assert_allclose(ev.scores["pd_network"], ev.scores["pd"])
    comp = ev.comparison
    np.testing.assert_allclose(comp["auc_network"], comp["auc_standalone"])


def test_bad_input(tiny):
    no_truth = Portfolio(tiny.customers, relations=tiny.relations, defaults=tiny.defaults)
    with pytest.raises(GraphInputError, match="no truth"):
        network_pd_scores(no_truth, AS_OF)
    with pytest.raises(GraphInputError, match=r"no stand-alone PD .*'D'"):
        network_pd_scores(tiny, AS_OF, pd_values=pd.Series({"A": 0.1, "C": 0.1}))
    with pytest.raises(GraphInputError, match="outside"):
        network_pd_scores(tiny, AS_OF, pd_values={"A": 0.1, "C": 1.5, "D": 0.1})
    with pytest.raises(GraphInputError, match="horizon_days"):
        network_pd_scores(tiny, AS_OF, horizon_days=0)
    with pytest.raises(GraphInputError, match="as_of"):
        network_pd_scores(tiny, "not a date")
    with pytest.raises(GraphInputError, match="onboarded"):
        network_pd_scores(tiny, "2000-01-01")
    with pytest.raises(GraphInputError, match="capital"):
        network_pd_scores(tiny, AS_OF, capital="turnover")
    with pytest.raises(GraphInputError, match="bounds"):
        calibrate_transmission_strength(tiny, AS_OF, bounds=(1.0, 0.5))
    with pytest.raises(GraphInputError, match="Portfolio"):
        evaluate_network_pd(object(), AS_OF)
    # a target without events is reported as NaN, not an error (C's default is not induced)
    ev = evaluate_network_pd(tiny, "2025-06-30", pd_values={"C": 0.2, "D": 0.1})
    assert np.isnan(ev.comparison.loc["contagion_default", "auc_network"])
    assert ev.comparison.loc["default", "auc_network"] == pytest.approx(1.0)
