"""Model credit limits (模型授信): EL budget and expected-profit optimum.

The closed forms are checked against hand arithmetic and against a brute-force grid search
over limits, whose objective is written out here independently of the module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskkit.limits.formula import needs_limit
from riskkit.limits.model_limits import (
    el_budget_limit,
    el_budget_max_exposure,
    profit_limit,
    profit_optimal_limit,
    sales_supported,
)
from riskkit.limits.policy_config import LimitInputError, TradeInputs

LGD, MARGIN = 0.45, 0.15


def book(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=pd.Index([f"C{i}" for i in range(1, n + 1)], name="customer_id"))


# --------------------------------------------------------------------------- EL budget
def test_el_budget_max_exposure_hand():
    # 9,000 / (0.02 x 0.45) = 9,000 / 0.009 = 1,000,000
    out = el_budget_max_exposure([0.02, 0.0, 0.02, np.nan], LGD, [9_000.0, 9_000.0, 0.0, 9_000.0])
    np.testing.assert_allclose(out, [1_000_000.0, np.inf, 0.0, np.nan], equal_nan=True)


def test_el_budget_limit_margin_share_hand():
    df = book(grade_pd=[0.05, np.nan, 0.05, 0.05, 1.0], pd=[0.9, 0.01, 0.05, 0.05, 1.0],
              credit_sales_365d=[1.2e6, 1.2e6, np.nan, 1.2e6, 1.2e6],
              grade=["BB", "S", "BB", "BB", "D"], knockout=[False, False, False, True, False])
    trade = TradeInputs(lgd=0.5, gross_margin_rate=0.15)
    out = el_budget_limit(df, budget_margin_share=0.25, trade=trade)
    # margin 0.15 x 1.2 m = 180 k; budget 0.25 x 180 k = 45 k; C1: 45 k / (0.05 x 0.5) = 1.8 m
    # C2: grade PD missing (S), the scorecard PD 0.01 is the fallback: 45 k / 0.005 = 9 m
    np.testing.assert_allclose(out["limit"], [1_800_000.0, 9_000_000.0, np.nan, 0.0, 0.0], equal_nan=True)
    # independent check of the defining relation: PD x LGD x L equals the budget
    assert 0.05 * 0.5 * out["limit"].iloc[0] == pytest.approx(45_000.0)
    assert out["explanation"].iloc[0] == "EL budget 45 k (25 % of margin 180 k) / (PD 5.00 % x LGD 50 %)"
    assert out["explanation"].iloc[2] == "no purchase data for the margin budget"
    assert out["explanation"].iloc[3] == "knock-out: 0"
    assert out["explanation"].iloc[4] == "grade D: 0"


def test_el_budget_limit_amount_and_errors():
    df = book(pd=[0.02, 0.0], credit_sales_365d=[1.0, 1.0])
    trade = TradeInputs(pd_column="pd", pd_fallback_column=None)
    out = el_budget_limit(df, budget_amount=9_000.0, trade=trade)
    assert out["limit"].iloc[0] == pytest.approx(1_000_000.0)
    assert np.isinf(out["limit"].iloc[1]) and out["explanation"].iloc[1].endswith(": unbounded")
    with pytest.raises(LimitInputError, match="exactly one"):
        el_budget_limit(df, budget_amount=1.0, budget_margin_share=0.1, trade=trade)
    with pytest.raises(LimitInputError, match="exactly one"):
        el_budget_limit(df, trade=trade)
    with pytest.raises(LimitInputError, match="budget_amount must be"):
        el_budget_limit(df, budget_amount=-1.0, trade=trade)
    with pytest.raises(LimitInputError, match=r"PD \(pd\) must be in \[0, 1\]"):
        el_budget_limit(book(pd=[1.5]), budget_amount=1.0, trade=trade)
    with pytest.raises(LimitInputError, match=r"lacks column\(s\) \['grade_pd', 'pd'\]"):
        el_budget_limit(book(x=[1.0]), budget_amount=1.0)


# --------------------------------------------------------------------------- sales supported
def test_sales_supported_hand():
    # P = 1.2 m, D = 60 days -> 6 turns a year; L = 100 k finances n L = 600 k of sales
    assert sales_supported(100_000.0, 1.2e6, 60.0, "min") == pytest.approx(600_000.0)
    assert sales_supported(100_000.0, 1.2e6, 60.0) == pytest.approx(1.2e6 * (1 - np.exp(-0.5)))
    assert sales_supported(1e9, 1.2e6, 60.0, "min") == pytest.approx(1.2e6)
    assert sales_supported(5.0, 1.2e6, 0.0) == pytest.approx(1.2e6)     # cash terms
    assert sales_supported(5.0, 0.0, 60.0) == 0.0
    with pytest.raises(LimitInputError, match="saturation"):
        sales_supported(1.0, 1.0, 1.0, "linear")


# --------------------------------------------------------------------------- profit optimum vs grid search
def grid_optimum(pd_, lgd, m, P, D, s, saturation, n_grid=400_001):
    """Brute force: profit and EL share on a grid of limits, feasible best."""
    turns = 360.0 / D
    limits = np.linspace(0.0, 8.0 * P / turns, n_grid)
    if saturation == "min":
        sales = np.minimum(turns * limits, P)
    else:
        sales = P * (1.0 - np.exp(-turns * limits / P))
    margin = m * sales
    loss = pd_ * lgd * limits
    profit = margin - loss
    feasible = loss <= s * margin + 1e-9
    feasible[0] = True                     # lending nothing is always allowed
    profit = np.where(feasible, profit, -np.inf)
    best = int(np.argmax(profit))
    return limits[best], profit[best], limits[1] - limits[0]


def objective(L, pd_, lgd, m, P, D, saturation):
    turns = 360.0 / D
    sales = np.minimum(turns * L, P) if saturation == "min" else P * (1.0 - np.exp(-turns * L / P))
    return m * sales - pd_ * lgd * L


@pytest.mark.parametrize("saturation", ["exponential", "min"])
@pytest.mark.parametrize("pd_, s", [(0.001, 0.5), (0.02, 0.5), (0.1, 0.5), (0.3, 0.5), (0.6, 0.5),
                                    (0.5, 0.3), (0.8, 0.9), (0.95, 0.5), (0.3, 0.05)])
def test_profit_closed_form_matches_grid_search(saturation, pd_, s):
    P, D = 6e6, 60.0
    closed = float(profit_optimal_limit(pd_, LGD, MARGIN, P, D, s, saturation))
    best_L, best_profit, step = grid_optimum(pd_, LGD, MARGIN, P, D, s, saturation)
    assert closed >= 0
    # the closed form is at least as good as every feasible grid point, and close to the grid's best
    assert objective(closed, pd_, LGD, MARGIN, P, D, saturation) >= best_profit - 1e-6 * P
    assert closed == pytest.approx(best_L, abs=2 * step)


def test_profit_el_share_constraint_binds_at_its_root():
    # PD 0.5: k = PD LGD / (m n) = 0.225 / 0.9 = 0.25; s = 0.3 -> c = k/s = 5/6 < 1
    # unconstrained x* = ln 4 = 1.386 > x_max, so the EL share must equal s at the optimum
    P, D, pd_, s = 6e6, 60.0, 0.5, 0.3
    L = float(profit_optimal_limit(pd_, LGD, MARGIN, P, D, s))
    x = 6.0 * L / P
    assert x < np.log(4.0)
    el_share = pd_ * LGD * L / (MARGIN * P * (1 - np.exp(-x)))
    assert el_share == pytest.approx(s, rel=1e-9)


def test_profit_unconstrained_is_log_of_inverse_k():
    # PD 0.02: k = 0.009 / 0.9 = 0.01, x* = ln 100; P/n = 1 m -> L = 1 m x ln 100
    L = float(profit_optimal_limit(0.02, LGD, MARGIN, 6e6, 60.0, 1.0))
    assert L == pytest.approx(1e6 * np.log(100.0))


def test_profit_min_saturation_equals_needs_based_limit():
    df = book(credit_sales_365d=[6e6, 2.4e6], payment_terms_days=[45, 30], avg_days_beyond_terms=[15.0, 0.0],
              pd=[0.02, 0.05])
    trade = TradeInputs(pd_column="pd", pd_fallback_column=None)
    model = profit_limit(df, saturation="min", trade=trade)
    needs = needs_limit(df)
    # P D / 360: 6 m x 60 / 360 = 1 m; 2.4 m x 30 / 360 = 200 k
    np.testing.assert_allclose(model["limit"], [1_000_000.0, 200_000.0])
    np.testing.assert_allclose(model["limit"], needs["limit"])


def test_profit_edge_cases():
    out = profit_optimal_limit([0.95, 0.5, 0.02, 0.02, 0.02, 0.0, 0.0, np.nan],
                               LGD, [0.15, 0.15, 0.15, 0.0, 0.15, 0.15, 0.15, 0.15],
                               [6e6, 6e6, 0.0, 6e6, 6e6, 6e6, 6e6, 6e6],
                               [360.0, 60.0, 60.0, 60.0, 0.0, 60.0, 60.0, 60.0], 0.5)
    # C1: k = 0.4275 / 0.15 > 1 (margin below the loss); C2: k = 0.25 < s but fine -> > 0
    assert out[0] == 0.0 and out[1] > 0
    assert out[2] == 0.0 and out[3] == 0.0 and out[4] == 0.0       # no purchases / no margin / cash terms
    assert np.isinf(out[5]) and np.isnan(out[7])                     # PD 0: profit rises for ever
    assert float(profit_optimal_limit(0.0, LGD, 0.15, 6e6, 60.0, 0.5, "min")) == pytest.approx(1e6)
    with pytest.raises(LimitInputError, match="saturation"):
        profit_optimal_limit(0.1, LGD, 0.15, 1.0, 1.0, 0.5, "linear")


def test_profit_limit_frame_explanations_and_zeroes():
    df = book(grade_pd=[0.5, 0.02, 0.95, 0.02, 0.02], pd=[0.5, 0.02, 0.95, 0.02, 0.02],
              credit_sales_365d=[6e6, 6e6, 6e6, 6e6, 0.0], payment_terms_days=[60, 60, 360, 60, 60],
              avg_days_beyond_terms=[0.0, np.nan, 0.0, 0.0, 0.0],
              grade=["CCC", "BB", "CCC", "D", "BB"], knockout=[False, False, False, False, False])
    out = profit_limit(df, max_el_share=0.3)
    assert out["limit"].iloc[0] > 0 and "EL share cap 30 % binds" in out["explanation"].iloc[0]
    assert out["explanation"].iloc[1].endswith("(no payment history: 0 days beyond terms assumed)")
    assert out["limit"].iloc[2] == 0.0 and out["explanation"].iloc[2].startswith("margin does not cover")
    assert out["limit"].iloc[3] == 0.0 and out["explanation"].iloc[3] == "grade D: 0"
    assert out["limit"].iloc[4] == 0.0 and out["explanation"].iloc[4] == "no purchases: 0"
    too_risky = profit_limit(df.iloc[[0]], max_el_share=0.2)    # k = 0.25 > 0.2
    assert too_risky["limit"].iloc[0] == 0.0
    assert too_risky["explanation"].iloc[0].startswith("EL share would exceed 20 % of margin: 0")
    with pytest.raises(LimitInputError, match="max_el_share"):
        profit_limit(df, max_el_share=-0.1)
