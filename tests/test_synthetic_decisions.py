"""The synthetic book's credit decisions and how its ordering respects them.

Each property is checked on the generated tables with pandas written out here
(``merge_asof`` for the terms in force, ``riskkit.limits.exposure`` for utilisation), and
the generator's credit check against a plain sequential loop over orders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import riskkit as rk
from riskkit.datasets._synth_ledger import credit_hold
from riskkit.datasets._synth_util import NO_DAY
from riskkit.limits import exposure

START, END = pd.Timestamp("2021-01-01"), pd.Timestamp("2025-12-31")
MONTH_ENDS = ["2022-06-30", "2023-12-31", "2025-09-30"]


@pytest.fixture(scope="module")
def book():
    return rk.datasets.generate_portfolio(1000, seed=5)


@pytest.fixture(scope="module")
def truth(book):
    return book.truth.set_index("customer_id")


def test_history_starts_at_onboarding_and_never_before(book):
    cd = book.credit_decisions
    onboarded = book.customers.set_index("customer_id")["onboarded"]
    assert (cd["effective_date"] >= onboarded.reindex(cd["customer_id"]).to_numpy()).all()
    assert (cd["effective_date"] <= END).all()
    first = cd.sort_values(["customer_id", "effective_date"]).groupby("customer_id").head(1).set_index("customer_id")
    assert set(first.index) == set(onboarded.index)  # every customer has a history
    assert (first["effective_date"] == onboarded.reindex(first.index)).all()
    assert first["reason"].isin(["onboarding", "override"]).all()
    assert (first["reason"] == "onboarding").mean() > 0.9
    assert set(cd["reason"]) == {"onboarding", "periodic_review", "deterioration", "improvement", "override",
                                 "request", "default"}


def test_customers_table_holds_the_latest_decision(book):
    latest = book.credit_decisions.sort_values("effective_date").groupby("customer_id").tail(1)
    latest = latest.set_index("customer_id").reindex(book.customers["customer_id"])
    np.testing.assert_array_equal(latest["credit_limit"], book.customers["credit_limit"])
    np.testing.assert_array_equal(latest["payment_terms_days"], book.customers["payment_terms_days"])


def test_line_withdrawn_after_default_and_nothing_after(book, truth):
    cd = book.credit_decisions.join(truth["default_date"], on="customer_id")
    withdrawn = cd[cd["reason"] == "default"].set_index("customer_id")
    assert withdrawn.index.is_unique
    assert (withdrawn["credit_limit"] == 0).all()
    assert withdrawn["decided_by"].str.startswith("credit_manager_").all()
    lag = (withdrawn["effective_date"] - withdrawn["default_date"]).dt.days
    at_end = withdrawn["effective_date"] == END  # a default in the last days: withdrawn on the last day
    assert lag[~at_end].between(1, 5).all() and lag[at_end].between(0, 5).all()
    defaulters = truth.index[truth["defaulted"]]
    assert set(withdrawn.index) == set(defaulters)
    # before the default the line is open; after the withdrawal nothing more is decided
    others = cd[cd["reason"] != "default"]
    assert (others["default_date"].isna() | (others["effective_date"] < others["default_date"])).all()
    assert (others["credit_limit"] > 0).all()


def test_terms_only_shorten_and_stay_on_the_scale(book):
    cd = book.credit_decisions.sort_values(["customer_id", "effective_date"])
    assert set(cd["payment_terms_days"]) <= {30, 45, 60, 90}
    assert (cd.groupby("customer_id")["payment_terms_days"].diff().dropna() <= 0).all()
    shortened = cd.groupby("customer_id")["payment_terms_days"].diff() < 0
    assert set(cd.loc[shortened, "reason"]) == {"deterioration"}


def test_invoices_fall_due_after_the_terms_in_force_on_their_issue_day(book):
    inv = book.invoices.sort_values("issue_date")
    cd = book.credit_decisions.sort_values("effective_date")
    merged = pd.merge_asof(inv, cd[["customer_id", "effective_date", "payment_terms_days"]], by="customer_id",
                           left_on="issue_date", right_on="effective_date", direction="backward")
    assert merged["payment_terms_days"].notna().all()
    np.testing.assert_array_equal((merged["due_date"] - merged["issue_date"]).dt.days,
                                  merged["payment_terms_days"])
    # terms did change for some customers while they were buying
    assert merged.groupby("customer_id")["payment_terms_days"].nunique().max() > 1


def test_deterioration_cuts_the_limit_and_comes_before_defaults(book, truth):
    cd = book.credit_decisions.sort_values(["customer_id", "effective_date"])
    previous = cd.groupby("customer_id")["credit_limit"].shift()
    cuts = cd["reason"] == "deterioration"
    assert (cd.loc[cuts, "credit_limit"] < previous[cuts]).all()
    improvements = cd["reason"] == "improvement"
    assert (cd.loc[improvements, "credit_limit"] > previous[improvements]).all()
    # share of defaulters cut in the year before their default versus share of the others
    # cut at any time in the five-year window
    det = cd[cuts].join(truth["default_date"], on="customer_id")
    in_year = det[(det["effective_date"] < det["default_date"])
                  & (det["effective_date"] >= det["default_date"] - pd.Timedelta(days=365))]
    defaulters = truth.index[truth["defaulted"] & (truth["default_date"] >= START + pd.Timedelta(days=365))]
    survivors = truth.index[~truth["defaulted"]]
    cut_defaulters = np.isin(defaulters, in_year["customer_id"]).mean()
    cut_survivors = np.isin(survivors, det.loc[det["effective_date"] >= START, "customer_id"]).mean()
    assert len(defaulters) > 50
    assert cut_defaulters > 0.7
    assert 0.01 < cut_survivors < 0.15  # false alarms: stress spells that heal
    assert cut_defaulters > 4 * cut_survivors


def test_limits_grow_with_size(book):
    cd = book.credit_decisions
    first = cd.groupby("customer_id").head(1).set_index("customer_id")["credit_limit"]
    revenue = book.financials.sort_values("period_end").groupby("customer_id")["revenue"].first()
    assert stats.spearmanr(first.reindex(revenue.index), revenue).statistic > 0.5
    assert (cd["credit_limit"] % 10 ** np.floor(np.log10(cd["credit_limit"].clip(lower=1)) - 1) == 0).all()


def test_utilisation_looks_like_a_real_book(book):
    """Median utilisation 0.25-0.5 at month ends, most customers well inside their limit,
    a few percent over (before the decisions were added: median 0.67 and 35 % over)."""
    for date in MONTH_ENDS:
        e = exposure(book, date)
        u = e["utilisation"]
        assert 0.25 <= u.median() <= 0.5, (date, u.median())
        assert 0.01 <= (u > 1).mean() <= 0.09, (date, (u > 1).mean())
        assert (u <= 0.8).mean() >= 0.7, date
        # exposure reads the limit in force on the date, not today's
        snap = book.as_of(date).customers.set_index("customer_id")["credit_limit"]
        np.testing.assert_array_equal(e["credit_limit"], snap.reindex(e.index))
    blocked = (book.orders["status"] == "cancelled") & (book.orders["closed_date"] == book.orders["order_date"])
    assert 0.02 < blocked.mean() < 0.2


# --------------------------------------------------------------------------- credit check
def _sequential_hold(o_cust, o_day, o_amount, o_closed, i_order, i_issue, i_paid, i_amount, cap):
    """Reference: orders one at a time; exposure on the order day as riskkit.limits.exposure
    counts it (order open on [placed, closed) with its rest: its amount less its invoices
    issued by then, floored at 0; invoice open on [issue, paid)) over the customer's earlier
    accepted orders."""
    accepted = np.zeros(len(o_cust), dtype=bool)
    for o in range(len(o_cust)):
        t = o_day[o]
        total = 0.0
        for e in range(o):
            if o_cust[e] != o_cust[o] or not accepted[e]:
                continue
            if o_day[e] <= t < o_closed[e]:
                invoiced = sum(i_amount[i] for i in np.flatnonzero(i_order == e) if i_issue[i] <= t)
                total += max(o_amount[e] - invoiced, 0.0)
            for i in np.flatnonzero(i_order == e):
                if i_issue[i] <= t < i_paid[i]:
                    total += i_amount[i]
        accepted[o] = total + o_amount[o] <= cap[o] + 1e-9
    return ~accepted


@pytest.mark.parametrize("seed", range(6))
def test_credit_check_equals_a_sequential_loop(seed):
    rng = np.random.default_rng(seed)
    n, m = 4, 80
    o_cust = np.sort(rng.integers(0, n, m))
    o_day = np.concatenate([np.sort(rng.integers(0, 40, (o_cust == c).sum())) for c in range(n)])
    o_amount = np.round(rng.uniform(10, 100, m), 2)
    # closed on the day itself, later, or never; same-day events are where order matters
    o_closed = np.where(rng.random(m) < 0.2, NO_DAY, o_day + rng.integers(0, 15, m))
    lots = rng.integers(0, 3, m)
    i_order = np.repeat(np.arange(m), lots)
    i_issue = o_day[i_order] + rng.integers(0, 10, len(i_order))
    i_paid = np.where(rng.random(len(i_order)) < 0.2, NO_DAY, i_issue + rng.integers(0, 20, len(i_order)))
    i_amount = np.round(rng.uniform(5, 60, len(i_order)), 2)
    limit = rng.choice([120.0, 200.0, 350.0, np.inf], n)[o_cust]
    released = rng.random(m) < 0.3
    blocked = credit_hold(o_cust, o_day, o_amount, o_closed, i_order, i_issue, i_paid, i_amount, limit,
                          released, n)
    import riskkit.datasets._synth_ledger as ledger

    cap = limit * np.where(released, 1 + ledger.RELEASE_TOLERANCE, 1 + ledger.CREDIT_TOLERANCE)
    expected = _sequential_hold(o_cust, o_day, o_amount, np.where(o_closed == NO_DAY, np.inf, o_closed),
                                i_order, i_issue, np.where(i_paid == NO_DAY, np.inf, i_paid), i_amount, cap)
    np.testing.assert_array_equal(blocked, expected)
    assert 0 < blocked.sum() < m  # the case exercises both outcomes
