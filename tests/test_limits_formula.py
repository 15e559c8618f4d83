"""Formula credit limits (公式授信): each method on a small book computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from riskkit import RiskkitError
from riskkit._core.expressions import parse_expression
from riskkit.limits.formula import (
    format_money,
    format_share,
    matrix_limit,
    monthly_sales_limit,
    needs_limit,
    net_worth_limit,
    working_capital_limit,
)
from riskkit.limits.policy_config import (
    GRADES,
    LimitInputError,
    RatingSizeMatrix,
    SizeBand,
)


def book(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=pd.Index([f"C{i}" for i in range(1, n + 1)], name="customer_id"))


# --------------------------------------------------------------------------- text helpers
def test_format_money_and_share():
    assert format_money(850) == "850"
    assert format_money(9_999) == "9999"
    assert format_money(12_345) == "12 k"
    assert format_money(999_999) == "1.0 m"          # never "1000 k"
    assert format_money(1_234_567) == "1.2 m"
    assert format_money(3.45e9) == "3.5 bn"
    assert format_money(-2.5e6) == "-2.5 m"
    assert format_money(np.nan) == "n/a"
    assert format_money(np.inf) == "unbounded"
    assert list(format_money([0.0, 6e6])) == ["0", "6.0 m"]
    assert format_share(0.2) == "20 %"
    assert format_share(0.125) == "12.5 %"
    assert format_share(2.0) == "200 %"


def test_fixed_decimals_match_python_formatting():
    """The vectorised number text equals Python's own formatting away from exact ties."""
    from riskkit.limits.formula import _fixed

    rng = np.random.default_rng(7)
    # k/1000 + 0.0003 is never a tie at 0, 1 or 2 decimals
    values = np.concatenate([rng.integers(-10**7, 10**7, 2000) / 1000 + 0.0003, [0.0003, -0.0003, 99.9997]])
    for decimals in (0, 1, 2):
        expected = [f"{v:.{decimals}f}" for v in values]
        expected = [t.lstrip("-") if float(t) == 0 else t for t in expected]   # no "-0.0" in amounts
        assert _fixed(values, decimals).tolist() == expected


# --------------------------------------------------------------------------- net worth
def test_net_worth_hand_computed():
    df = book(equity=[6e6, -1e6, np.nan, 0.0, 2.5e6])
    out = net_worth_limit(df, 0.2)
    # 0.2 x 6,000,000 = 1,200,000; negative / zero equity earn 0; missing equity is NaN, not 0
    np.testing.assert_allclose(out["limit"], [1_200_000.0, 0.0, np.nan, 0.0, 500_000.0], equal_nan=True)
    assert out["explanation"].tolist() == ["20 % of equity 6.0 m", "equity -1.0 m is not positive",
                                           "no equity data", "equity 0 is not positive", "20 % of equity 2.5 m"]
    assert out.index.equals(df.index)


@pytest.mark.parametrize("share, needle", [(-0.1, ">= 0"), (1.5, "<= 1.0"), (True, "must be a number"),
                                           ("0.2", "must be a number"), (float("nan"), ">= 0")])
def test_net_worth_bad_share(share, needle):
    with pytest.raises(LimitInputError, match=needle):
        net_worth_limit(book(equity=[1.0]), share)


def test_missing_and_non_numeric_columns_are_named():
    with pytest.raises(LimitInputError, match=r"lacks column\(s\) \['equity'\]"):
        net_worth_limit(book(revenue=[1.0]), 0.1)
    with pytest.raises(LimitInputError, match="'equity' must be numeric"):
        net_worth_limit(book(equity=["a lot"]), 0.1)
    with pytest.raises(LimitInputError, match="infinite"):
        net_worth_limit(book(equity=[np.inf]), 0.1)
    assert issubclass(LimitInputError, RiskkitError) and issubclass(LimitInputError, ValueError)


# --------------------------------------------------------------------------- working capital
def test_working_capital_without_columns_is_nan_and_explained():
    out = working_capital_limit(book(equity=[1e6, 2e6]), 0.3)
    assert out["limit"].isna().all()
    assert out["explanation"].str.startswith("no working capital data").all()
    assert "current_assets, current_liabilities absent" in out["explanation"].iloc[0]


def test_working_capital_hand_computed():
    df = book(current_assets=[5e6, 1e6, np.nan, 2e6], current_liabilities=[2e6, 3e6, 1e6, 2e6])
    out = working_capital_limit(df, 0.3)
    # working capital 3.0 m, -2.0 m, n/a, 0 -> 0.3 x 3.0 m = 900 k, 0, NaN, 0
    np.testing.assert_allclose(out["limit"], [900_000.0, 0.0, np.nan, 0.0], equal_nan=True)
    assert out["explanation"].iloc[0] == ("30 % of working capital 3.0 m (current assets 5.0 m - current "
                                          "liabilities 2.0 m)")
    assert out["explanation"].iloc[1].endswith("is not positive")
    assert out["explanation"].iloc[2] == "no working capital data"


def test_working_capital_other_column_names_and_negative_assets():
    df = book(ca=[4e6], cl=[1e6])
    out = working_capital_limit(df, 0.5, current_assets="ca", current_liabilities="cl")
    assert out["limit"].iloc[0] == 1_500_000.0
    with pytest.raises(LimitInputError, match="'ca' must be >= 0"):
        working_capital_limit(book(ca=[-1.0], cl=[0.0]), 0.5, current_assets="ca", current_liabilities="cl")


# --------------------------------------------------------------------------- monthly sales
def test_monthly_sales_hand_computed():
    df = book(credit_sales_365d=[1.2e6, 0.0, np.nan], revenue=[2.4e7, 1.2e6, 6e5])
    out = monthly_sales_limit(df, 1.5)
    # 1.5 x 1,200,000 / 12 = 150,000
    np.testing.assert_allclose(out["limit"], [150_000.0, 0.0, np.nan], equal_nan=True)
    assert out["explanation"].iloc[0] == "150 % of monthly sales to us 100 k (1.2 m a year / 12)"
    assert out["explanation"].iloc[2] == "no sales to us data"
    by_revenue = monthly_sales_limit(df, 0.5, column="revenue")
    # 0.5 x 24,000,000 / 12 = 1,000,000
    np.testing.assert_allclose(by_revenue["limit"], [1_000_000.0, 50_000.0, 25_000.0])
    assert by_revenue["explanation"].iloc[0].startswith("50 % of monthly revenue 2.0 m")


def test_monthly_sales_rejects_negative_base_and_share():
    with pytest.raises(LimitInputError, match="must be >= 0 but is negative for 1 customer"):
        monthly_sales_limit(book(credit_sales_365d=[-5.0]), 1.0)
    with pytest.raises(LimitInputError, match="share must be a finite number >= 0"):
        monthly_sales_limit(book(credit_sales_365d=[5.0]), -1.0)
    with pytest.raises(LimitInputError, match="<= 12"):
        monthly_sales_limit(book(credit_sales_365d=[5.0]), 13.0)


# --------------------------------------------------------------------------- needs-based
def needs_book():
    return book(credit_sales_365d=[1.2e6, 1.2e6, 1.2e6, np.nan, 1.2e6],
                payment_terms_days=[60, 60, 60, 30, 0],
                avg_days_beyond_terms=[15.0, np.nan, 0.0, 5.0, 0.0])


def test_needs_hand_computed():
    out = needs_limit(needs_book(), days_beyond_terms_if_missing=10.0)
    # monthly purchases 1,200,000 / 12 = 100,000
    # C1: 100,000 x (60 + 15) / 30 = 250,000; C2: no history, 10 days assumed: 100,000 x 70 / 30
    # C3: 100,000 x 60 / 30 = 200,000; C4: no purchases data; C5: cash terms -> 0
    np.testing.assert_allclose(out["limit"], [250_000.0, 700_000.0 / 3, 200_000.0, np.nan, 0.0], equal_nan=True)
    assert out["explanation"].iloc[0] == "monthly purchases 100 k x (60 days terms + 15 days beyond terms) / 30"
    assert out["explanation"].iloc[1].endswith("(no payment history: 10 days beyond terms assumed)")
    assert out["explanation"].iloc[3] == "no purchase data"


def test_needs_growth_terms_only_and_no_assumption():
    grown = needs_limit(needs_book(), purchases_growth=0.1)
    # 110,000 x 75 / 30 = 275,000
    assert grown["limit"].iloc[0] == pytest.approx(275_000.0)
    assert "(+10 % growth)" in grown["explanation"].iloc[0]
    terms_only = needs_limit(needs_book(), include_days_beyond_terms=False)
    assert terms_only["limit"].iloc[0] == pytest.approx(200_000.0)
    strict = needs_limit(needs_book(), days_beyond_terms_if_missing=None)
    assert np.isnan(strict["limit"].iloc[1])
    assert strict["explanation"].iloc[1] == "no days-beyond-terms data (no payment history)"


def test_needs_bad_inputs():
    with pytest.raises(LimitInputError, match="'avg_days_beyond_terms' must be >= 0"):
        needs_limit(book(credit_sales_365d=[1.0], payment_terms_days=[30], avg_days_beyond_terms=[-3.0]))
    with pytest.raises(LimitInputError, match="'payment_terms_days' must be >= 0"):
        needs_limit(book(credit_sales_365d=[1.0], payment_terms_days=[-30], avg_days_beyond_terms=[0.0]))
    with pytest.raises(LimitInputError, match=r"\['payment_terms_days'\]"):
        needs_limit(book(credit_sales_365d=[1.0], avg_days_beyond_terms=[0.0]))
    with pytest.raises(LimitInputError, match="purchases_growth"):
        needs_limit(needs_book(), purchases_growth=-2.0)


# --------------------------------------------------------------------------- rating x size matrix
def small_matrix() -> RatingSizeMatrix:
    cells = {g: (parse_expression(100_000.0 * (8 - i)), parse_expression(1_000_000.0 * (8 - i)))
             for i, g in enumerate(GRADES[:-1])}
    cells["BB"] = (parse_expression(300_000), parse_expression("min(0.1 * equity, 2000000)"))
    return RatingSizeMatrix("revenue", (SizeBand("small", 0.0, 1e7), SizeBand("large", 1e7, math.inf)), cells)


def test_matrix_hand_computed():
    df = book(grade=["BB", "BB", "BB", "BB", "BB", "AAA", "D", "BB", None, "BB"],
              revenue=[5e6, 1e7, 5e7, 5e7, 5e7, 2e6, 5e7, np.nan, 5e6, -1.0],
              equity=[0.0, 3e7, 5e6, np.nan, -4e6, 0.0, 1e9, 1e6, 1e6, 1e6])
    out = matrix_limit(df, small_matrix())
    expected = [
        300_000.0,     # BB, small band (revenue 5 m < 10 m)
        2_000_000.0,   # BB, revenue exactly 10 m belongs to [10 m, inf): min(0.1 x 30 m, 2 m) = 2 m
        500_000.0,     # BB, large: min(0.1 x 5 m, 2 m) = 500 k
        np.nan,        # formula input missing
        0.0,           # min(0.1 x -4 m, 2 m) = -400 k: negative, so 0
        700_000.0,     # AAA (i = 1), small: 100,000 x 7
        0.0,           # grade D
        np.nan,        # no revenue
        np.nan,        # no grade
        np.nan,        # revenue below the first band
    ]
    np.testing.assert_allclose(out["limit"], expected, equal_nan=True)
    notes = out["explanation"].tolist()
    assert notes[0] == "grade BB, small revenue band (0 to 10.0 m): 300 k"
    assert notes[1] == "grade BB, large revenue band (10.0 m and above): min(0.1 * equity, 2000000) = 2.0 m"
    assert notes[3].endswith("= n/a (missing data)")
    assert notes[4].endswith("= -400 k is negative: 0")
    assert notes[6] == "grade D: 0"
    assert notes[7] == "no revenue data"
    assert notes[8] == "no grade"
    assert notes[9] == "revenue -1 outside the matrix bands"


def test_matrix_bad_inputs():
    with pytest.raises(LimitInputError, match=r"unknown grade\(s\) \['ZZ'\]"):
        matrix_limit(book(grade=["ZZ"], revenue=[1.0], equity=[1.0]), small_matrix())
    with pytest.raises(LimitInputError, match=r"lacks column\(s\) \['equity'\]"):
        matrix_limit(book(grade=["BB"], revenue=[1.0]), small_matrix())
    with pytest.raises(TypeError, match="RatingSizeMatrix"):
        matrix_limit(book(grade=["BB"], revenue=[1.0]), {"cells": {}})


def test_needs_peak_factor_hand_computed():
    # C1: 100,000 x (60 + 15) / 30 = 250,000, x 1.5 peak factor = 375,000
    out = needs_limit(needs_book(), peak_factor=1.5)
    assert out["limit"].iloc[0] == pytest.approx(375_000.0)
    assert out["explanation"].iloc[0] == ("monthly purchases 100 k x (60 days terms + 15 days beyond terms) / 30"
                                          " x 1.5 peak factor")
    for bad in (0.9, float("nan"), True, "1.5"):
        with pytest.raises(LimitInputError, match="peak_factor must be a number >= 1"):
            needs_limit(needs_book(), peak_factor=bad)
