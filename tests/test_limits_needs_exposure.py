"""The needs-based limit covers the exposure it is checked against (open receivables + open orders).

A hand-made steady customer: an order of 10,000 every 10 days, open 20 days until it is
invoiced in one lot, due 30 days later and paid on the due date.  On any day it has 2 open
orders (20 k) and 3 open invoices (30 k): EAD = 50,000 by :func:`riskkit.limits.exposure`,
every day.  Its annual purchases are 36.5 orders x 10 k = 365 k, so the needs-based formula
gives 365 k / 12 x (20 + 30 + 0) / 30 = 50,694 before the peak factor (30-day months: 365/360
of the true average).  The formula of policy v1.1 left the 20 order days out and gave
365 k / 12 x 30 / 30 = 30,417, 39 % below the exposure of a customer that never varies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskkit._core.config import read_yaml
from riskkit.data import Portfolio
from riskkit.limits import LimitPolicy, exposure
from riskkit.limits.recommend import method_limits
from riskkit.limits.policy_config import DEFAULT_LIMIT_POLICY_PATH
from riskkit.profile import build_profile

AS_OF = pd.Timestamp("2024-06-30")
ORDER, EVERY, ORDER_DAYS, TERMS = 10_000.0, 10, 20, 30


def steady_book() -> Portfolio:
    customers = pd.DataFrame({
        "customer_id": ["X"], "name": ["Steady Co"], "kind": ["enterprise"], "industry": ["manufacturing"],
        "region": ["east"], "ownership_type": ["private"], "state_ownership_pct": [0.0],
        "registered_capital": [1e6], "founded": pd.to_datetime(["2010-01-01"]).astype("datetime64[ns]"),
        "onboarded": pd.to_datetime(["2020-01-01"]).astype("datetime64[ns]"),
        "payment_terms_days": [TERMS], "credit_limit": [100_000.0]})
    placed = pd.date_range("2022-01-01", "2025-06-30", freq=f"{EVERY}D").astype("datetime64[ns]")
    invoiced = placed + pd.Timedelta(days=ORDER_DAYS)
    due = invoiced + pd.Timedelta(days=TERMS)
    n = len(placed)
    orders = pd.DataFrame({"order_id": [f"O{i}" for i in range(n)], "customer_id": "X", "order_date": placed,
                           "amount": ORDER, "status": "fulfilled", "closed_date": invoiced})
    invoices = pd.DataFrame({"invoice_id": [f"I{i}" for i in range(n)], "customer_id": "X",
                             "issue_date": invoiced, "due_date": due, "amount": ORDER,
                             "paid_date": due, "paid_amount": ORDER})
    return Portfolio(customers, invoices=invoices, orders=orders)


@pytest.fixture(scope="module")
def book():
    return steady_book()


def test_the_steady_exposure_by_hand(book):
    # the reference: 2 open orders + 3 open invoices on every day of a 10-day cycle
    days = pd.date_range(AS_OF, periods=EVERY, freq="D")
    ead = [exposure(book, t).loc["X", "ead"] for t in days]
    assert ead == [50_000.0] * EVERY


def test_default_needs_limit_covers_the_mean_exposure(book):
    profile = build_profile(book, AS_OF)
    assert profile.loc["X", "order_to_invoice_days"] == ORDER_DAYS
    assert profile.loc["X", "avg_days_beyond_terms"] == 0
    purchases = profile.loc["X", "credit_sales_365d"]
    # the 365 days (as_of - 365, as_of] hold 36 or 37 orders of the 10-day cycle
    assert purchases in (36 * ORDER, 37 * ORDER)
    policy = LimitPolicy.default()
    frame = profile.assign(grade="A", knockout=False, grade_pd=0.002, pd=0.002)
    needs = method_limits(frame, policy)["needs"]
    peak = policy.methods["needs"].peak_factor
    # by hand: P / 12 x (20 order days + 30 terms + 0 late) / 30, then the peak factor
    assert needs.loc["X", "limit"] == pytest.approx(purchases / 12 * (20 + 30 + 0) / 30 * peak)
    # the limit before the peak factor is the average exposure of 50 k (to the 365/360 of
    # 30-day months and the 36-or-37-order window): the peak factor is all headroom
    assert needs.loc["X", "limit"] / peak == pytest.approx(50_000, rel=0.04)
    assert needs.loc["X", "limit"] / peak >= 0.97 * 50_000


def test_v1_1_formula_stays_available_by_configuration(book):
    profile = build_profile(book, AS_OF)
    config, _ = read_yaml(DEFAULT_LIMIT_POLICY_PATH)
    config["methods"]["needs"]["order_to_invoice_column"] = None
    policy = LimitPolicy.from_dict(config)
    needs = method_limits(profile.assign(grade="A", knockout=False, grade_pd=0.002, pd=0.002), policy)["needs"]
    purchases = profile.loc["X", "credit_sales_365d"]
    assert needs.loc["X", "limit"] == pytest.approx(purchases / 12 * 30 / 30 * 1.5)
    assert np.isclose(needs.loc["X", "limit"] / 1.5, 30_000, rtol=0.04)   # 40 % short of the 50 k exposure
    assert "order to invoice" not in needs.loc["X", "explanation"]


# --------------------------------------------------------------------------- a part-year customer
def test_purchases_of_a_part_year_customer_are_scaled_to_a_year():
    from riskkit.limits.formula import expected_annual_purchases, needs_limit
    frame = pd.DataFrame({"credit_sales_365d": [1.2e6, 1.2e6, 1.2e6, 1.2e6, 1.2e6],
                          # 3 years; 0.5 year = 182.625 days; 10 days (counts as 90); missing (a year); 0.9999
                          "relationship_age_years": [3.0, 0.5, 10 / 365.25, np.nan, 0.9999],
                          "payment_terms_days": [30] * 5, "avg_days_beyond_terms": [0.0] * 5})
    annual = expected_annual_purchases(frame, history_column="relationship_age_years")
    # by hand: bought in min(365, max(days with us, 90)) days, scaled by 365 / those days
    expected = [1.2e6, 1.2e6 * 365 / 182.625, 1.2e6 * 365 / 90, 1.2e6, 1.2e6]
    np.testing.assert_allclose(annual, expected)
    # v1.1 behaviour: no history column, the 365-day purchases are taken as a year's
    np.testing.assert_allclose(expected_annual_purchases(frame), [1.2e6] * 5)
    needs = needs_limit(frame, history_column="relationship_age_years")
    assert needs["limit"].iloc[1] == pytest.approx(1.2e6 * 365 / 182.625 / 12 * 30 / 30)
    assert "bought in" not in needs["explanation"].iloc[0]


def test_a_new_customer_of_the_steady_book_gets_its_full_need():
    # the steady customer X, onboarded 200 days before as_of: it bought for 200 days (its first
    # invoice 20 days after the first order), so the 365-day purchases are ~18 orders, not 36.5
    book = steady_book()
    onboard = AS_OF - pd.Timedelta(days=200)
    book = Portfolio(book.customers.assign(onboarded=pd.Series([onboard], dtype="datetime64[ns]")),
                     invoices=book.invoices[book.invoices["issue_date"] >= onboard + pd.Timedelta(days=ORDER_DAYS)],
                     orders=book.orders[book.orders["order_date"] >= onboard])
    profile = build_profile(book, AS_OF)
    frame = profile.assign(grade="A", knockout=False, grade_pd=0.002, pd=0.002)
    policy = LimitPolicy.default()
    needs = method_limits(frame, policy)["needs"].loc["X", "limit"] / policy.methods["needs"].peak_factor
    purchases = profile.loc["X", "credit_sales_365d"]
    assert purchases == 18 * ORDER            # invoices issued in days 20..190 of the 200
    years = profile.loc["X", "relationship_age_years"]
    assert years == pytest.approx(200 / 365.25)
    # by hand: 180 k x 365 / 200 = 328.5 k a year; / 12 x (20 + 30) / 30 = 45.6 k
    assert needs == pytest.approx(180_000 * 365 / 200 / 12 * 50 / 30)
    # within 10 % of its steady exposure of 50 k (the first 20 days had orders but no invoice yet);
    # v1.1 took 180 k as a year's purchases: 25 k, half the exposure
    assert needs == pytest.approx(50_000, rel=0.10)


# --------------------------------------------------------------------------- orders invoiced in lots
LOTS = ((10, 4_000.0), (30, 6_000.0))  # (days after the order, amount): two lots of each 10 k order


def lots_book(linked: bool = True) -> Portfolio:
    """The steady customer with each 10 k order invoiced in two lots, 4 k after 10 days and 6 k
    after 30 (the order closes with its last lot); each lot due 30 days later, paid on the due date."""
    book = steady_book()
    placed = book.orders["order_date"].to_numpy()
    orders = book.orders.assign(closed_date=pd.Series(placed + np.timedelta64(LOTS[-1][0], "D"),
                                                      dtype="datetime64[ns]"))
    parts = []
    for k, (after, amount) in enumerate(LOTS):
        issue = pd.Series(placed + np.timedelta64(after, "D"), dtype="datetime64[ns]")
        due = issue + pd.Timedelta(days=TERMS)
        parts.append(pd.DataFrame({"invoice_id": [f"I{i}-{k}" for i in range(len(placed))], "customer_id": "X",
                                   "issue_date": issue, "due_date": due, "amount": amount, "paid_date": due,
                                   "paid_amount": amount, "order_id": orders["order_id"].to_numpy()}))
    invoices = pd.concat(parts, ignore_index=True)
    if not linked:
        invoices = invoices.drop(columns="order_id")
    return Portfolio(book.customers, invoices=invoices, orders=orders)


def test_lots_exposure_by_hand_and_the_order_days_that_cover_it():
    book = lots_book()
    # by hand, per order: 10 k un-invoiced for 10 days and 6 k for 20 more (220 k-days), lots
    # of 4 k and 6 k open 30 days each (300 k-days); one order every 10 days: mean EAD 52 k
    cycle = pd.date_range(AS_OF, periods=EVERY, freq="D")
    assert np.mean([exposure(book, t).loc["X", "ead"] for t in cycle]) == pytest.approx(52_000)
    profile = build_profile(book, AS_OF)
    # amount-weighted issue - order days: (4 k x 10 + 6 k x 30) / 10 k = 22 (the order's closing: 30)
    assert profile.loc["X", "order_to_invoice_days"] == pytest.approx(22.0)
    policy = LimitPolicy.default()
    frame = profile.assign(grade="A", knockout=False, grade_pd=0.002, pd=0.002)
    needs = method_limits(frame, policy)["needs"].loc["X", "limit"] / policy.methods["needs"].peak_factor
    purchases = profile.loc["X", "credit_sales_365d"]
    assert needs == pytest.approx(purchases / 12 * (22 + 30) / 30)
    assert needs == pytest.approx(52_000, rel=0.04)   # Little's law: the mean exposure, to 30-day months


def test_without_the_link_lots_count_until_the_order_closes():
    book = lots_book(linked=False)
    # the whole 10 k counts as an open order for 30 days (300 k-days) besides the 300 k-days of
    # receivables: mean EAD 60 k, and the order days are the closing's 30
    cycle = pd.date_range(AS_OF, periods=EVERY, freq="D")
    assert np.mean([exposure(book, t).loc["X", "ead"] for t in cycle]) == pytest.approx(60_000)
    assert build_profile(book, AS_OF).loc["X", "order_to_invoice_days"] == pytest.approx(30.0)
