"""rk.assess.portfolio_assessment on a small generated book: every table against an
independent computation from the per-customer inputs (sums by hand, HHI by hand, the Basel
formulas written out with scipy.stats.norm, the Vasicek quantile written out)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import riskkit as rk

pytestmark = pytest.mark.slow      # one assessment with its back-test: about 15 s

AS_OF = "2024-12-31"
LGD = 0.45


@pytest.fixture(scope="module")
def book():
    return rk.datasets.generate_portfolio(300, seed=7)


@pytest.fixture(scope="module")
def result(book):
    return rk.assess.portfolio_assessment(book, AS_OF, n_sims=4000, seed=3)


@pytest.fixture(scope="module")
def hand(result):
    """Loss PD, EAD and expected loss per customer rebuilt from the ratings alone."""
    r = result.ratings
    loss_pd = np.where(r["grade"] == "D", 1.0, np.where(r["grade_pd"].notna(), r["grade_pd"], r["pd"]))
    ead = r["ead"].fillna(0.0).to_numpy()
    return pd.DataFrame({"grade": r["grade"], "loss_pd": loss_pd, "ead": ead, "el": loss_pd * LGD * ead},
                        index=r.index)


def test_every_onboarded_customer_is_assessed(book, result):
    onboarded = book.customers.loc[book.customers["onboarded"] <= AS_OF, "customer_id"]
    assert set(result.customers.index) == set(onboarded)
    assert result.customers.index.equals(result.ratings.index)


def test_expected_loss_by_grade_and_industry_adds_up_to_pd_lgd_ead(result, hand):
    total = hand["el"].sum()
    assert result.customers["expected_loss"].sum() == pytest.approx(total)
    assert result.by_grade["expected_loss"].sum() == pytest.approx(total)
    assert result.by_industry["expected_loss"].sum() == pytest.approx(total)
    by_grade = hand.groupby("grade")["el"].sum()
    np.testing.assert_allclose(result.by_grade["expected_loss"], by_grade.reindex(result.by_grade.index))
    np.testing.assert_allclose(result.by_grade["ead"], hand.groupby("grade")["ead"].sum().reindex(
        result.by_grade.index))
    assert result.by_grade["ead_share"].sum() == pytest.approx(1.0)
    assert result.by_grade["n_customers"].sum() == len(hand)
    # grades in the policy's order, best first
    order = list(rk.limits.LimitPolicy.default().grades)
    assert list(result.by_grade.index) == sorted(result.by_grade.index, key=order.index)
    # the defaulted book is grade D with PD 1
    d = hand[hand["grade"] == "D"]
    assert result.defaulted["ead"] == pytest.approx(d["ead"].sum())
    assert result.defaulted["expected_loss"] == pytest.approx(LGD * d["ead"].sum())


def test_concentration_hhi_by_hand(result):
    c = result.customers
    share = c["ead"][c["ead"] > 0] / c["ead"].sum()
    assert result.concentration.value("customer_id", "hhi") == pytest.approx((share ** 2).sum())
    assert result.concentration.value("customer_id", "top_10_share") == pytest.approx(
        share.sort_values(ascending=False).head(10).sum())
    for dimension in ("industry", "region", "group_id"):
        s = c.groupby(dimension)["ead"].sum()
        s = s[s > 0] / c["ead"].sum()
        assert result.concentration.value(dimension, "hhi") == pytest.approx((s ** 2).sum()), dimension
    table = result.concentration_table()
    assert list(table.index) == ["customer_id", "group_id", "industry", "region"]


def test_control_groups_come_from_the_graph(book, result):
    G = rk.graph.build_graph(book, AS_OF)
    groups = rk.graph.control_groups(G)["group_id"]
    c = result.customers
    np.testing.assert_array_equal(c["group_id"].to_numpy(), groups.reindex(c.index).fillna(
        pd.Series(c.index, index=c.index)).to_numpy())
    assert (c["group_id"].value_counts() > 1).any()        # the book has groups of several customers


def test_loss_models_side_by_side(result, hand):
    live = hand[hand["grade"] != "D"]
    el = (live["loss_pd"] * LGD * live["ead"]).sum()
    rm = result.risk_measures
    for model in ("monte_carlo", "vasicek_asrf", "creditrisk_plus"):
        assert rm.loc[model, "expected_loss"] == pytest.approx(el), model
    assert result.loss.n_obligors == len(live)
    assert result.loss.n_sims == 4000
    # the Vasicek large-portfolio quantile written out (Vasicek 2002)
    rho = result.customers.loc[live.index, "rho"].to_numpy()
    norm = stats.norm
    for q in (0.99, 0.999):
        x = norm.cdf((norm.ppf(live["loss_pd"]) + np.sqrt(rho) * norm.ppf(q)) / np.sqrt(1 - rho))
        assert rm.loc["vasicek_asrf", f"var_{q * 100:g}"] == pytest.approx((LGD * live["ead"] * x).sum(), rel=1e-9)
        assert rm.loc["monte_carlo", f"var_{q * 100:g}"] == pytest.approx(result.loss.var(q))
        # ES >= VaR in every model
        for model in ("monte_carlo", "vasicek_asrf", "creditrisk_plus"):
            assert rm.loc[model, f"es_{q * 100:g}"] >= rm.loc[model, f"var_{q * 100:g}"] - 1e-6
    # a 99.9 % loss of the book is a multiple of its expected loss, below its total exposure
    assert el < rm.loc["monte_carlo", "var_99.9"] < LGD * live["ead"].sum()


def test_same_seed_same_losses(book, result):
    again = rk.limits.portfolio_loss(result.customers.loc[result.customers["grade"] != "D", "loss_pd"].to_numpy(),
                                     LGD, result.customers.loc[result.customers["grade"] != "D", "ead"].to_numpy(),
                                     result.customers.loc[result.customers["grade"] != "D", "rho"].to_numpy(),
                                     n_sims=4000, seed=3)
    np.testing.assert_array_equal(again.losses, result.loss.losses)


def test_sme_correlation_and_capital_by_hand(book, result):
    c = result.customers
    # a customer with annual sales between EUR 5 m and 50 m gets the firm-size adjustment
    sme = c[(c["turnover_eur_m"] > 5) & (c["turnover_eur_m"] < 50) & (c["grade"] != "D")].index[0]
    row = c.loc[sme]
    revenue = rk.profile.build_profile(book, AS_OF).loc[sme, "revenue"]
    assert row["turnover_eur_m"] == pytest.approx(revenue / 7.8 / 1e6)
    p = row["loss_pd"]
    w = (1 - math.exp(-50 * p)) / (1 - math.exp(-50))
    r = 0.12 * w + 0.24 * (1 - w) - 0.04 * (1 - (row["turnover_eur_m"] - 5) / 45)      # Basel II para 272-273
    assert row["rho"] == pytest.approx(r)
    # capital K with M = 1 year, PD floored at 0.03 % (para 272, 285)
    pf = max(p, 0.0003)
    b = (0.11852 - 0.05478 * math.log(pf)) ** 2
    k = LGD * (stats.norm.cdf((stats.norm.ppf(pf) + math.sqrt(r) * stats.norm.ppf(0.999)) / math.sqrt(1 - r))
               - pf) * (1 + (1 - 2.5) * b) / (1 - 1.5 * b)
    assert row["capital"] == pytest.approx(k * row["ead"])
    assert row["rwa"] == pytest.approx(12.5 * k * row["ead"])
    # a defaulted customer holds K = LGD
    d = c[c["grade"] == "D"].iloc[0]
    assert d["capital"] == pytest.approx(LGD * d["ead"])
    s = result.capital_summary
    assert s["capital"] == pytest.approx(c["capital"].sum())
    assert result.capital_by_grade["capital"].sum() == pytest.approx(s["capital"])
    assert s["capital_with_add_on"] == pytest.approx(s["capital"] + result.granularity.ga_amount)


def test_limits_and_their_changes(result):
    c = result.customers
    changed = c["recommended_limit"] - c["credit_limit"]
    summary = result.limit_change_summary()
    assert summary.loc["cut", "n_customers"] == int((changed < 0).sum())
    assert summary.loc["cut", "change"] == pytest.approx(changed[changed < 0].sum())
    assert summary["n_customers"].sum() == len(c)
    assert len(result.limit_changes) == int((changed != 0).sum())
    assert result.limit_changes["change"].is_monotonic_increasing      # largest cut first
    # every material cut (10 % or more of the current limit) of a customer not in default nor
    # knocked out gets a reduce_limit action; a smaller one only from another rule (grade CCC)
    material = changed / c["credit_limit"] <= -0.10
    eligible = (c["grade"] != "D") & ~result.ratings["knockout"].astype(bool)
    reduce = set(result.actions.loc[result.actions["action"] == "reduce_limit", "customer_id"])
    assert set(c.index[material & eligible]) <= reduce
    small = c.index[(changed < 0) & ~material & eligible & (c["grade"] != "CCC")]
    assert not set(small) & reduce


def test_top_exposures_are_the_largest_with_masked_names(book, result):
    top = result.top_exposures
    assert list(top.index) == list(result.customers["ead"].sort_values(ascending=False, kind="stable").head(10).index)
    assert top["ead_share"].sum() == pytest.approx(top["ead"].sum() / result.customers["ead"].sum())
    names = book.customers.set_index("customer_id")["name"]
    people = result.customers.index[result.customers["kind"] == "individual"]
    assert len(people)
    assert not (result.customers.loc[people, "name"] == names.reindex(people)).any()


def test_reviews_from_the_credit_decisions(book, result):
    # last review = the latest credit decision effective by as_of (never, if the book records none)
    ids = result.customers.index
    decisions = book.tables.get("credit_decisions")
    if decisions is None or len(decisions) == 0:
        last = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    else:
        known = decisions[decisions["effective_date"] <= pd.Timestamp(AS_OF)]
        last = known.groupby("customer_id")["effective_date"].max().reindex(ids)
    cal = result.review_calendar
    pd.testing.assert_series_equal(cal["last_review"], last, check_names=False, check_freq=False)
    # next review: last review + the tier's months (high 1, medium 3, low 12), or as_of if never reviewed
    months = cal["grade"].map({**dict.fromkeys(["CCC", "B", "D"], 1), **dict.fromkeys(["BB", "BBB"], 3),
                               **dict.fromkeys(["S", "AAA", "AA", "A"], 12)})
    assert (cal["interval_months"].astype(int) == months).all()
    for cid in ids[:25]:
        due = pd.Timestamp(AS_OF) if pd.isna(last[cid]) else last[cid] + pd.DateOffset(months=int(months[cid]))
        assert cal.loc[cid, "next_review"] == due, cid
    assert set(result.overdue.index) == set(cal.index[cal["next_review"] <= pd.Timestamp(AS_OF)])
    counts = result.review_counts()
    assert counts["n_customers"].sum() == len(ids)
    assert counts["overdue"].sum() == len(result.overdue)


def test_contingency_covers_every_defaulted_customer(result):
    defaulted = set(result.customers.index[result.customers["grade"] == "D"])
    steps = result.contingency
    assert defaulted <= set(steps["customer_id"])
    linked = result.linked_reviews()
    assert len(linked) and linked["relation"].notna().all()
    assert len(linked) + len(defaulted) * (len(steps) - len(linked)) // len(defaulted) == len(steps)
    assert not set(linked["customer_id"]) & defaulted


def test_backtest_uses_only_what_was_known(result):
    bt = result.backtest
    assert [str(d.date()) for d in bt.dates] == ["2023-06-30", "2023-12-31"]
    # the outcome windows close by as_of
    assert max(bt.dates) + pd.Timedelta(days=bt.horizon_days) <= pd.Timestamp(AS_OF)


def test_key_findings_are_computed_from_the_tables(result, hand):
    findings = result.key_findings()
    assert 3 <= len(findings) <= 5
    assert len(findings) == 5                       # with the back-test
    weak = hand["grade"].isin(["B", "CCC", "D"])
    assert f"{hand.loc[weak, 'ead'].sum() / hand['ead'].sum():.1%}" in findings[0]
    assert f"{hand.loc[weak, 'el'].sum() / hand['el'].sum():.1%}" in findings[0]
    top = result.customers["ead"].idxmax()
    assert top in findings[1]
    var = result.risk_measures.loc["monte_carlo", "var_99.9"]
    assert f"{var / 1e6:,.1f} m" in findings[2]
    h = result.backtest.headline()
    assert f"{h['ead_cut']:.0%}" in findings[4]
    assert all(s.endswith(".") for s in findings)
    assert result.summary().count("\n- ") == 5
