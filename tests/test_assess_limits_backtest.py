"""rk.assess.backtest_limits on a hand-built book whose outcome is computed by hand here.

Three customers, limits set on 2022-06-30 by a one-method policy (one month of last year's
sales to us), outcomes over the following 365 days:

* A defaults: its invoice of 2022-07-10 (150, due 2022-08-09) is never paid, so it is 90
  days past due on 2022-11-07; its exposure at default is measured at the month end before,
  2022-10-31, where the only open item is that invoice: EAD 150.
* B stays performing and runs above the recommended limit most months.
* C stays performing well inside every limit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit._core.config import ConfigError
from riskkit.assess import LimitBacktest, LimitBacktestError, backtest_limits

AS_OF = pd.Timestamp("2022-06-30")

#: the test policy: the limit is one month of last year's invoiced sales, nothing else
POLICY = {"name": "one_month_of_sales", "on_missing": "skip", "rounding": 0,
          "methods": {"monthly_sales": {"enabled": True, "share": 1.0, "column": "credit_sales_365d"}}}


def _month_starts(first: str, last: str) -> pd.DatetimeIndex:
    return pd.date_range(first, last, freq="MS")


def _invoices() -> pd.DataFrame:
    rows = []

    def add(customer, issue, amount, paid):
        issue = pd.Timestamp(issue)
        rows.append({"customer_id": customer, "issue_date": issue, "due_date": issue + pd.Timedelta(days=30),
                     "amount": float(amount), "paid_date": pd.Timestamp(paid) if paid is not None else pd.NaT,
                     "paid_amount": float(amount) if paid is not None else 0.0})

    # the year before AS_OF: monthly invoices on the 1st, paid on the due date
    for customer, amount in (("A", 50), ("B", 100), ("C", 30)):
        for issue in _month_starts("2021-07-01", "2022-06-01"):
            add(customer, issue, amount, issue + pd.Timedelta(days=30))
    # after AS_OF
    add("A", "2022-07-10", 150, None)                     # never paid: A defaults on 2022-11-07
    for issue in _month_starts("2022-07-01", "2023-06-01"):
        # paid on the 2nd of the next month: open at the month end of its issue
        regular = issue + pd.DateOffset(months=1, days=1)
        # B: 120 a month, except that February's is paid before the month end
        add("B", issue, 120, "2023-02-20" if issue == pd.Timestamp("2023-02-01") else regular)
        add("C", issue, 20, regular)
    add("B", "2022-12-05", 200, "2023-01-15")             # a December peak
    out = pd.DataFrame(rows)
    out.insert(0, "invoice_id", [f"I{i:03d}" for i in range(len(out))])
    return out


def _portfolio(credit_limits=(100.0, 300.0, 200.0)) -> rk.data.Portfolio:
    customers = pd.DataFrame({
        "customer_id": ["A", "B", "C"], "name": ["Alpha Co", "Beta Co", "Gamma Co"],
        "kind": ["enterprise"] * 3, "industry": ["manufacturing"] * 3, "region": ["east"] * 3,
        "ownership_type": ["private"] * 3, "state_ownership_pct": [0.0] * 3,
        "registered_capital": [1e6] * 3, "founded": pd.to_datetime(["2000-01-01"] * 3),
        "onboarded": pd.to_datetime(["2021-01-01"] * 3), "payment_terms_days": [30] * 3,
        "credit_limit": list(credit_limits)})
    bureau = pd.DataFrame({"customer_id": ["A", "B", "C"], "report_date": pd.to_datetime(["2022-01-01"] * 3),
                           "source": ["bureau_a"] * 3, "score": [640.0, 700.0, 680.0],
                           "delinquencies": [0, 0, 0], "inquiries": [1, 1, 1]})
    return rk.data.Portfolio(customers, invoices=_invoices(), bureau=bureau)


@pytest.fixture(scope="module")
def scorecard() -> rk.scoring.Scorecard:
    """A one-feature scorecard (bureau score) fitted on simulated applicants."""
    rng = np.random.default_rng(0)
    score = rng.normal(650, 60, 3000)
    bad = rng.random(3000) < 1 / (1 + np.exp(3 + (score - 650) / 40))
    return rk.scoring.Scorecard().fit(pd.DataFrame({"bureau_score": score}), bad.astype(int))


@pytest.fixture(scope="module")
def book() -> rk.data.Portfolio:
    return _portfolio()


@pytest.fixture(scope="module")
def result(book, scorecard) -> LimitBacktest:
    return backtest_limits(book, [AS_OF], POLICY, scorecard=scorecard)


def test_recommended_and_recorded_limits_by_hand(result):
    inv = _invoices()
    last_year = inv[(inv["issue_date"] > AS_OF - pd.Timedelta(days=365)) & (inv["issue_date"] <= AS_OF)]
    one_month = last_year.groupby("customer_id")["amount"].sum() / 12     # A 600/12, B 1200/12, C 360/12
    rows = result.customers.set_index("customer_id")
    assert one_month.to_dict() == {"A": 50.0, "B": 100.0, "C": 30.0}
    np.testing.assert_allclose(rows.loc[["A", "B", "C"], "recommended_limit"], one_month.loc[["A", "B", "C"]])
    np.testing.assert_allclose(rows.loc[["A", "B", "C"], "recorded_limit"], [100.0, 300.0, 200.0])
    assert not rows["recommended_missing"].any()


def test_default_and_exposure_at_default_by_hand(result):
    rows = result.customers.set_index("customer_id")
    assert rows["default"].to_dict() == {"A": 1, "B": 0, "C": 0}
    # due 2022-08-09 + 90 days
    assert rows.loc["A", "default_date"] == pd.Timestamp("2022-11-07")
    assert rows.loc["A", "exposure_date"] == pd.Timestamp("2022-10-31")
    assert rows.loc["A", "exposure"] == pytest.approx(150.0)
    assert rows.loc["A", "above_recommended"] == pytest.approx(150.0 - 50.0)
    assert rows.loc["A", "above_recorded"] == pytest.approx(150.0 - 100.0)


def test_non_defaulters_month_end_exposure_by_hand(result):
    rows = result.customers.set_index("customer_id")
    # B at the twelve month ends 2022-07-31 .. 2023-06-30: 120 open, 320 in December, 0 in February
    b = np.array([120, 120, 120, 120, 120, 320, 120, 0, 120, 120, 120, 120], dtype=float)
    assert rows.loc["B", "exposure"] == pytest.approx(b.mean())
    # the excess is taken month by month, then averaged (not the excess of the average)
    assert rows.loc["B", "above_recommended"] == pytest.approx(np.maximum(b - 100, 0).mean())   # 420 / 12
    assert rows.loc["B", "above_recommended"] != pytest.approx(max(b.mean() - 100, 0))
    assert rows.loc["B", "above_recorded"] == pytest.approx(np.maximum(b - 300, 0).mean())      # 20 / 12
    assert rows.loc["C", "exposure"] == pytest.approx(20.0)
    assert rows.loc["C", ["above_recommended", "above_recorded"]].tolist() == [0.0, 0.0]


def test_headline_by_hand(result):
    b = np.array([120, 120, 120, 120, 120, 320, 120, 0, 120, 120, 120, 120], dtype=float)
    performing = b.mean() + 20.0
    h = result.headline()
    assert h["n_customers"] == 3 and h["n_defaults"] == 1
    assert h["ead_cut"] == pytest.approx(100.0 / 150.0)
    assert h["ead_cut_recorded"] == pytest.approx(50.0 / 150.0)
    assert h["forgone_share"] == pytest.approx(np.maximum(b - 100, 0).mean() / performing)
    assert h["forgone_share_recorded"] == pytest.approx(np.maximum(b - 300, 0).mean() / performing)
    # 66.7 % cut but 23.9 % forgone: the goal (>= 30 % cut, < 5 % forgone) is missed
    assert h["meets_goal"] is False
    assert "not met" in result.summary()


def test_tables_add_up(result):
    overall, by_grade = result.overall, result.by_grade
    assert list(overall.index) == ["2022-06-30", "all"]
    pd.testing.assert_series_equal(overall.loc["2022-06-30"], overall.loc["all"], check_names=False)
    sums = ["n_customers", "n_defaults", "ead_at_default", "ead_avoided_recommended", "ead_avoided_recorded",
            "exposure_performing", "sales_forgone_recommended", "sales_forgone_recorded", "recorded_limit",
            "recommended_limit"]
    np.testing.assert_allclose(by_grade[sums].sum().to_numpy(dtype=float),
                               overall.loc["all", sums].to_numpy(dtype=float))
    grades = rk.limits.LimitPolicy.default().grades
    assert list(by_grade.index) == [g for g in grades if g in set(by_grade.index)]
    assert overall.loc["all", "recommended_limit"] == pytest.approx(50 + 100 + 30)


def test_point_in_time_limits_come_from_the_snapshot(scorecard):
    # the recorded limit is read from portfolio.as_of(date).customers: change it, the result follows
    other = backtest_limits(_portfolio(credit_limits=(40.0, 300.0, 200.0)), [AS_OF], POLICY, scorecard=scorecard)
    rows = other.customers.set_index("customer_id")
    assert rows.loc["A", "recorded_limit"] == 40.0
    assert rows.loc["A", "above_recorded"] == pytest.approx(110.0)


def test_two_dates_pool(book, scorecard):
    two = backtest_limits(book, ["2022-05-31", AS_OF], POLICY, scorecard=scorecard)
    assert list(two.overall.index) == ["2022-05-31", "2022-06-30", "all"]
    per_date = two.overall.drop(index="all")
    assert per_date["n_customers"].sum() == two.overall.loc["all", "n_customers"] == 6
    assert per_date["ead_at_default"].sum() == pytest.approx(two.overall.loc["all", "ead_at_default"])
    first = two.customers[two.customers["as_of"] == pd.Timestamp("2022-05-31")].set_index("customer_id")
    # on 2022-05-31 A's exposure at default is still measured at 2022-10-31 (default 2022-11-07)
    assert first.loc["A", "exposure_date"] == pd.Timestamp("2022-10-31")


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("dates, match", [
    (["2022-06-30", "2022-05-31"], r"strictly increasing: dates\[1\] = 2022-05-31"),
    (["2022-06-30", "2022-06-30"], "strictly increasing"),
    ([], "dates is empty"),
    ("2022-06-30", "must be a list of dates"),
])
def test_bad_dates(book, scorecard, dates, match):
    with pytest.raises(LimitBacktestError, match=match):
        backtest_limits(book, dates, POLICY, scorecard=scorecard)


def test_date_not_a_date(book, scorecard):
    with pytest.raises(ValueError, match=r"dates\[1\]"):
        backtest_limits(book, [AS_OF, "not a date"], POLICY, scorecard=scorecard)


@pytest.mark.parametrize("horizon", [0, -5, 1.5, True])
def test_bad_horizon(book, scorecard, horizon):
    with pytest.raises(LimitBacktestError, match="horizon_days"):
        backtest_limits(book, [AS_OF], POLICY, scorecard=scorecard, horizon_days=horizon)


def test_horizon_past_the_data_is_an_error_or_a_warning(book, scorecard):
    # the data end on 2023-07-02 (last payment): 2022-07-31 + 365 days runs past it
    with pytest.raises(LimitBacktestError, match="date 2022-07-31: its 365-day horizon runs past the end"):
        backtest_limits(book, [AS_OF, "2022-07-31"], POLICY, scorecard=scorecard)
    with pytest.warns(UserWarning, match="2022-07-31.*not observed"):
        backtest_limits(book, ["2022-07-31"], POLICY, scorecard=scorecard, allow_censored=True)


def test_bad_policy_names_the_entry(book, scorecard):
    bad = {**POLICY, "methods": {"monthly_sales": {"enabled": True, "share": -1.0, "column": "credit_sales_365d"}}}
    with pytest.raises(ConfigError, match=r"methods.monthly_sales.*share.*negative"):
        backtest_limits(book, [AS_OF], bad, scorecard=scorecard)
