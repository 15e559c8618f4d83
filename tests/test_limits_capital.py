"""Basel II IRB risk weights against the published Annex 5 table and hand computations.

Reference: BCBS (2006), Basel II comprehensive version, Annex 5 "Illustrative IRB risk
weights" (PD, LGD, M = 2.5; corporate with turnover EUR 50m and EUR 5m, residential
mortgages, other retail and qualifying revolving retail), and the formulas of paras
272-273 and 328-330 written out below with scipy.stats.norm.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from riskkit._core.errors import RiskkitError
from riskkit.limits import (
    LossInputError,
    capital_requirement,
    irb_capital,
    irb_correlation,
    irb_risk_weight,
)

ANNEX5_PD = [0.0003, 0.0005, 0.0010, 0.0025, 0.0040, 0.0050, 0.0075, 0.0100, 0.0130, 0.0150,
             0.0200, 0.0250]
# risk weights in %, columns of Annex 5 (asset class, LGD, turnover)
ANNEX5 = {
    ("corporate", 0.45, 50.0): [14.44, 19.65, 29.65, 49.47, 62.72, 69.61, 82.78, 92.32, 100.95,
                                105.59, 114.86, 122.16],
    ("corporate", 0.45, 5.0): [11.30, 15.39, 23.30, 39.01, 49.49, 54.91, 65.14, 72.40, 78.77,
                               82.11, 88.55, 93.43],
    ("retail_mortgage", 0.45, None): [4.15, 6.23, 10.69, 21.30, 29.94, 35.08, 46.46, 56.40, 67.00,
                                      73.45, 87.94, 100.64],
    ("retail_mortgage", 0.25, None): [2.30, 3.46, 5.94, 11.83, 16.64, 19.49, 25.81, 31.33, 37.22,
                                      40.80, 48.85, 55.91],
    ("retail_other", 0.45, None): [4.45, 6.63, 11.16, 21.15, 28.42, 32.36, 40.10, 45.77, 50.80,
                                   53.37, 57.99, 60.90],
    ("retail_other", 0.85, None): [8.41, 12.52, 21.08, 39.96, 53.69, 61.13, 75.74, 86.46, 95.95,
                                   100.81, 109.53, 115.03],
    ("retail_revolving", 0.45, None): [0.98, 1.51, 2.71, 5.76, 8.41, 10.04, 13.80, 17.22, 21.02,
                                       23.40, 28.92, 33.98],
    ("retail_revolving", 0.85, None): [1.85, 2.86, 5.12, 10.88, 15.88, 18.97, 26.06, 32.53, 39.70,
                                       44.19, 54.63, 64.18],
}


@pytest.mark.parametrize("column", list(ANNEX5))
def test_annex5_illustrative_risk_weights(column):
    asset_class, lgd, turnover = column
    rw = irb_risk_weight(np.array(ANNEX5_PD), lgd, 2.5, asset_class, turnover=turnover)
    # the table is printed to 0.01 percentage points; allow that rounding
    np.testing.assert_allclose(100 * rw, ANNEX5[column], atol=0.0101)


def test_corporate_pd_1pct_hand_computation():
    pd_, lgd, m = 0.01, 0.45, 2.5
    w = (1 - math.exp(-50 * pd_)) / (1 - math.exp(-50))          # 0.393469
    r = 0.12 * w + 0.24 * (1 - w)                                  # 0.192784
    b = (0.11852 - 0.05478 * math.log(pd_)) ** 2                   # 0.137486
    k = (lgd * norm.cdf((norm.ppf(pd_) + math.sqrt(r) * norm.ppf(0.999)) / math.sqrt(1 - r))
         - pd_ * lgd) * (1 + (m - 2.5) * b) / (1 - 1.5 * b)
    assert r == pytest.approx(0.1927837, abs=1e-7)
    assert b == pytest.approx(0.1374861, abs=1e-7)
    assert 12.5 * k == pytest.approx(0.9232, abs=5e-5)             # Annex 5: 92.32 %
    assert irb_capital(pd_, lgd, m) == pytest.approx(k, rel=1e-12)
    assert irb_risk_weight(pd_, lgd, m) == pytest.approx(12.5 * k, rel=1e-12)
    assert irb_risk_weight(pd_, lgd, m, scaling=1.06) == pytest.approx(12.5 * k * 1.06, rel=1e-12)
    assert irb_correlation(pd_) == pytest.approx(r, rel=1e-12)


def test_maturity_adjustment_by_hand():
    pd_, lgd = 0.02, 0.45
    b = (0.11852 - 0.05478 * math.log(pd_)) ** 2
    k_base = irb_capital(pd_, lgd, 2.5) * (1 - 1.5 * b)           # K before the adjustment
    for m in (1.0, 3.0, 5.0):
        assert irb_capital(pd_, lgd, m) == pytest.approx(k_base * (1 + (m - 2.5) * b) / (1 - 1.5 * b),
                                                         rel=1e-12)
    # retail has no maturity adjustment: the same K for every M
    assert irb_capital(pd_, lgd, 1.0, "retail_other") == irb_capital(pd_, lgd, 5.0, "retail_other")


def test_sme_firm_size_adjustment():
    pd_ = np.full(5, 0.01)
    base = irb_correlation(0.01)
    r = irb_correlation(pd_, turnover=[3.0, 5.0, 20.0, 50.0, np.nan])
    # -0.04 (1 - (S - 5) / 45) with S floored at 5 and no adjustment from 50 on
    expected = base - np.array([0.04, 0.04, 0.04 * (1 - 15 / 45), 0.0, 0.0])
    np.testing.assert_allclose(r, expected, rtol=1e-12)
    assert irb_correlation(0.01, turnover=80.0) == pytest.approx(base)
    # retail: para 328-330 correlations
    assert irb_correlation(0.2, "retail_mortgage") == 0.15
    assert irb_correlation(0.2, "retail_revolving") == 0.04
    w = (1 - math.exp(-35 * 0.2)) / (1 - math.exp(-35))
    assert irb_correlation(0.2, "retail_other") == pytest.approx(0.03 * w + 0.16 * (1 - w), rel=1e-12)


def test_pd_floor_zero_pd_and_defaulted_exposures():
    assert irb_capital(0.0001) == pytest.approx(irb_capital(0.0003), rel=1e-12)   # 0.03 % floor
    assert irb_capital(0.0001, pd_floor=0.0) < irb_capital(0.0003)
    assert irb_capital(0.0, pd_floor=0.0) == 0.0
    assert irb_capital(0.0) == pytest.approx(irb_capital(0.0003))
    # defaulted: K = max(0, LGD - EL_BE); without EL_BE, K = LGD
    assert irb_capital(1.0, 0.45) == pytest.approx(0.45)
    assert irb_capital(1.0, 0.45, el_best_estimate=0.40) == pytest.approx(0.05)
    assert irb_capital(1.0, 0.45, el_best_estimate=0.60) == 0.0
    assert irb_risk_weight([1.0, 1.0], [0.45, 0.30], el_best_estimate=[0.35, 0.0]) == \
        pytest.approx(12.5 * np.array([0.10, 0.30]))


def test_vectorised_and_series():
    pds = pd.Series([0.01, 0.02, 1.0], index=["c1", "c2", "c3"])
    rw = irb_risk_weight(pds, 0.45, pd.Series([2.5, 1.0, 2.5], index=pds.index))
    assert isinstance(rw, pd.Series) and list(rw.index) == ["c1", "c2", "c3"]
    assert rw.name == "risk_weight"
    assert rw["c1"] == pytest.approx(irb_risk_weight(0.01, 0.45, 2.5))
    assert rw["c2"] == pytest.approx(irb_risk_weight(0.02, 0.45, 1.0))
    arr = irb_risk_weight(np.array([0.01, 0.02]))
    assert isinstance(arr, np.ndarray) and arr.shape == (2,)
    assert isinstance(irb_risk_weight(0.01), float)


def test_capital_requirement_frame():
    ead = pd.Series([1_000_000.0, 250_000.0, 40_000.0], index=pd.Index(["a", "b", "c"], name="customer_id"))
    frame = capital_requirement(pd.Series([0.01, 0.00005, 1.0], index=ead.index), 0.45, ead,
                                el_best_estimate=0.4)
    assert list(frame.columns) == ["pd", "lgd", "ead", "maturity", "correlation",
                                   "maturity_adjustment", "k", "risk_weight", "rwa", "capital",
                                   "expected_loss"]
    assert frame.index.name == "customer_id"
    a = frame.loc["a"]
    assert a.risk_weight == pytest.approx(0.9232, abs=5e-5)
    assert a.rwa == pytest.approx(12.5 * a.k * 1_000_000)
    assert a.capital == pytest.approx(a.k * 1_000_000)
    assert a.capital == pytest.approx(0.08 * a.rwa)
    assert a.expected_loss == pytest.approx(0.01 * 0.45 * 1_000_000)
    assert frame.loc["b", "pd"] == 0.0003                               # floored
    c = frame.loc["c"]
    assert c.k == pytest.approx(0.05) and math.isnan(c.maturity_adjustment)
    assert c.expected_loss == pytest.approx(0.4 * 40_000)
    scaled = capital_requirement([0.01], 0.45, [100.0], scaling=1.06)
    assert scaled.loc[0, "rwa"] == pytest.approx(12.5 * scaled.loc[0, "k"] * 1.06 * 100)
    assert isinstance(scaled.index, pd.RangeIndex)


@pytest.mark.parametrize("call, pattern", [
    (lambda: irb_risk_weight(1.5), r"irb_risk_weight: pd must be finite and in \[0, 1\]"),
    (lambda: irb_risk_weight(0.01, lgd=-0.1), "irb_risk_weight: lgd must be"),
    (lambda: irb_risk_weight(0.01, maturity=0.5), r"irb_risk_weight: maturity must be finite and in \[1, 5\]"),
    (lambda: irb_risk_weight(0.01, maturity=7), "maturity must be"),
    (lambda: irb_risk_weight(0.01, asset_class="sovereign"), "asset_class must be one of"),
    (lambda: irb_risk_weight(0.01, turnover=-3), "turnover .* must be"),
    (lambda: irb_risk_weight(0.01, turnover=np.inf), "turnover .* must be"),
    (lambda: irb_risk_weight(0.01, asset_class="retail_other", turnover=10), "applies to asset_class 'corporate' only"),
    (lambda: irb_risk_weight([0.01, 0.02], turnover=[1, 2, 3]), "turnover has 3 values but pd has 2"),
    (lambda: irb_risk_weight(0.01, scaling=0), "scaling must be"),
    (lambda: irb_risk_weight(0.01, pd_floor=1.0), "pd_floor must be"),
    (lambda: irb_risk_weight(1.0, el_best_estimate=1.2), "el_best_estimate must be"),
    (lambda: capital_requirement([0.01, 0.02], 0.45, [1.0, 2.0, 3.0]), "ead has 3 values but pd has 2"),
    (lambda: capital_requirement([0.01], 0.45, [-1.0]), "capital_requirement: ead must be"),
    (lambda: capital_requirement(pd.Series([0.01], index=["a"]), 0.45, pd.Series([1.0], index=["b"])),
     (r"capital_requirement: ead and pd have different indexes: 1 label\(s\) only in pd \['a'\]; "
      r"1 label\(s\) only in ead \['b'\]")),
])
def test_bad_input_names_the_parameter(call, pattern):
    with pytest.raises(LossInputError, match=pattern) as info:
        call()
    assert isinstance(info.value, RiskkitError)
