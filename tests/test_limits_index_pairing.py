"""The limits layer pairs pandas inputs by index label, by the kit's one rule.

:func:`riskkit._core.checks.align_by_index`: the same labels in another order are reordered
to the first pandas input's order; other labels, or repeated labels that make a reorder
ambiguous, are refused naming both arguments.  References: every "reordered" test compares
with the inputs aligned BY HAND in the test (``x.reindex(reference.index)`` or values
written in the reference order), and for the closed forms with the formula written out
(scipy.stats.norm), never with the function's own output on the shuffled input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from riskkit._core.errors import InputError, RiskkitError
from riskkit.limits import (
    LossInputError,
    capital_requirement,
    creditrisk_plus,
    expected_loss,
    granularity_adjustment,
    irb_correlation,
    irb_risk_weight,
    portfolio_loss,
    vasicek_quantile,
)
from riskkit.limits.model_limits import (
    el_budget_max_exposure,
    profit_optimal_limit,
    sales_supported,
)

IDS = pd.Index(["c1", "c2", "c3", "c4"], name="customer_id")
PD_ = pd.Series([0.01, 0.05, 0.002, 0.2], index=IDS)
#: EAD of c1..c4 = 100, 250, 40, 10, given in the order c4, c2, c1, c3
EAD_SHUFFLED = pd.Series([10.0, 250.0, 100.0, 40.0], index=pd.Index(["c4", "c2", "c1", "c3"], name="customer_id"))
EAD_BY_HAND = pd.Series([100.0, 250.0, 40.0, 10.0], index=IDS)


def test_the_hand_alignment_is_what_reindex_gives():
    pd.testing.assert_series_equal(EAD_SHUFFLED.reindex(IDS), EAD_BY_HAND)


# ------------------------------------------------------------------------- expected_loss

def test_expected_loss_pairs_reordered_series_by_label():
    el = expected_loss(PD_, 0.5, EAD_SHUFFLED)
    # by hand: 0.01*0.5*100, 0.05*0.5*250, 0.002*0.5*40, 0.2*0.5*10, in the order of pd
    pd.testing.assert_series_equal(el, pd.Series([0.5, 6.25, 0.04, 1.0], index=IDS, name="expected_loss"))


def test_expected_loss_result_follows_the_first_series():
    lgd = pd.Series([0.4, 0.5, 0.6, 0.7], index=IDS)
    el = expected_loss(0.1, lgd.iloc[::-1], EAD_SHUFFLED)     # lgd (reversed) is the reference
    assert list(el.index) == ["c4", "c3", "c2", "c1"]
    np.testing.assert_allclose(el.to_numpy(), [0.1 * 0.7 * 10, 0.1 * 0.6 * 40, 0.1 * 0.5 * 250, 0.1 * 0.4 * 100])


def test_expected_loss_refuses_other_labels_naming_both():
    ead = pd.Series([1.0, 2.0], index=["a", "x"])
    with pytest.raises(InputError, match=r"ead and pd have different indexes: .*only in pd \['b'\].*only in "
                                         r"ead \['x'\]") as info:
        expected_loss(pd.Series([0.1, 0.2], index=["a", "b"]), 0.4, ead)
    assert isinstance(info.value, ValueError) and isinstance(info.value, RiskkitError)


def test_expected_loss_refuses_ambiguous_duplicates():
    pd_ = pd.Series([0.1, 0.2, 0.3], index=["a", "a", "b"])
    with pytest.raises(InputError, match=r"ead and pd hold the same labels in another order, but pd has "
                                         r"repeated labels \['a'\]"):
        expected_loss(pd_, 0.4, pd.Series([1.0, 2.0, 3.0], index=["b", "a", "a"]))


def test_expected_loss_same_duplicated_index_in_the_same_order_is_fine():
    idx = ["a", "a", "b"]
    el = expected_loss(pd.Series([0.1, 0.2, 0.3], index=idx), 0.5, pd.Series([10.0, 20.0, 30.0], index=idx))
    np.testing.assert_allclose(el.to_numpy(), [0.5, 2.0, 4.5])


# ------------------------------------------------------------------------ portfolio_loss

def test_portfolio_loss_pairs_reordered_series_by_label():
    rho = pd.Series([0.12, 0.2, 0.15, 0.24], index=IDS)
    factor = pd.Series(["x", "y", "x", "y"], index=IDS)
    corr = pd.DataFrame([[1.0, 0.3], [0.3, 1.0]], index=["x", "y"], columns=["x", "y"])
    order = ["c3", "c1", "c4", "c2"]
    got = portfolio_loss(PD_, 0.45, EAD_SHUFFLED, rho.reindex(order), 2_000, seed=7,
                         factor=factor.reindex(order), factor_correlation=corr)
    by_hand = portfolio_loss(PD_, 0.45, EAD_BY_HAND, rho, 2_000, seed=7, factor=factor, factor_correlation=corr)
    np.testing.assert_array_equal(got.losses, by_hand.losses)
    # analytic EL written out: sum pd * lgd * ead in label order
    assert got.expected_loss == pytest.approx(0.45 * (0.01 * 100 + 0.05 * 250 + 0.002 * 40 + 0.2 * 10))


def test_portfolio_loss_refuses_other_labels_naming_both():
    with pytest.raises(LossInputError, match=r"^portfolio_loss: ead and pd have different indexes: .*"
                                             r"only in pd \['c3'\].*only in ead \['zz'\]") as info:
        portfolio_loss(PD_, 0.45, EAD_BY_HAND.rename({"c3": "zz"}), 0.12, 10, seed=1)
    assert isinstance(info.value, InputError)
    with pytest.raises(LossInputError, match="factor and pd have different indexes"):
        portfolio_loss(PD_, 0.45, 1.0, 0.12, 10, seed=1, factor=pd.Series(list("xyxy"), index=list("abcd")),
                       factor_correlation=np.eye(2))


def test_vasicek_quantile_pairs_rho_by_label():
    rho = pd.Series([0.12, 0.2, 0.15, 0.24], index=IDS)
    got = vasicek_quantile(PD_, rho.iloc[::-1], 0.999)
    p, r = PD_.to_numpy(), np.array([0.12, 0.2, 0.15, 0.24])
    expected = norm.cdf((norm.ppf(p) + np.sqrt(r) * norm.ppf(0.999)) / np.sqrt(1 - r))
    pd.testing.assert_series_equal(got, pd.Series(expected, index=IDS, name="vasicek_quantile"))
    with pytest.raises(LossInputError, match="vasicek_quantile: rho and pd have different indexes"):
        vasicek_quantile(PD_, rho.rename({"c1": "zz"}), 0.999)


# ----------------------------------------------------------------------------- capital

def test_capital_requirement_pairs_every_series_by_label():
    maturity = pd.Series([1.0, 2.5, 5.0, 3.0], index=IDS)
    turnover = pd.Series([np.nan, 20.0, 5.0, 60.0], index=IDS)
    lgd = pd.Series([0.45, 0.35, 0.45, 0.75], index=IDS)
    order = ["c2", "c4", "c1", "c3"]
    got = capital_requirement(PD_, lgd.reindex(order), EAD_SHUFFLED, maturity.reindex(order[::-1]),
                              turnover=turnover.reindex(order))
    by_hand = capital_requirement(PD_, lgd, EAD_BY_HAND, maturity, turnover=turnover)
    pd.testing.assert_frame_equal(got, by_hand)
    assert list(got.index) == list(IDS) and got.index.name == "customer_id"
    # ead paired by label, written out
    np.testing.assert_array_equal(got["ead"].to_numpy(), [100.0, 250.0, 40.0, 10.0])


def test_irb_correlation_pairs_turnover_by_label():
    # para 272/273 written out for c2 (PD 5 %, sales 20m): R = 0.12 w + 0.24 (1 - w) - 0.04 (1 - 15/45)
    turnover = pd.Series([np.nan, 20.0, np.nan, np.nan], index=IDS)
    got = irb_correlation(PD_, turnover=turnover.iloc[::-1])
    w = (1 - np.exp(-50 * 0.05)) / (1 - np.exp(-50))
    assert got["c2"] == pytest.approx(0.12 * w + 0.24 * (1 - w) - 0.04 * (1 - 15 / 45), rel=1e-12)
    w1 = (1 - np.exp(-50 * 0.01)) / (1 - np.exp(-50))
    assert got["c1"] == pytest.approx(0.12 * w1 + 0.24 * (1 - w1), rel=1e-12)   # no adjustment for c1
    assert list(got.index) == list(IDS)


def test_irb_risk_weight_pairs_lgd_by_label():
    lgd = pd.Series([0.45, 0.35, 0.45, 0.75], index=IDS)
    got = irb_risk_weight(PD_, lgd.iloc[[3, 0, 2, 1]], 2.5)
    by_hand = irb_risk_weight(PD_, lgd, 2.5)
    pd.testing.assert_series_equal(got, by_hand)


def test_capital_refuses_other_labels_naming_both():
    with pytest.raises(LossInputError, match=r"capital_requirement: ead and pd have different indexes: "
                                             r"1 label\(s\) only in pd \['a'\]; 1 label\(s\) only in ead \['b'\]"):
        capital_requirement(pd.Series([0.01], index=["a"]), 0.45, pd.Series([1.0], index=["b"]))
    with pytest.raises(LossInputError, match="irb_correlation: turnover and pd have different indexes"):
        irb_correlation(PD_, turnover=pd.Series([10.0] * 4, index=list("abcd")))


def test_capital_refuses_ambiguous_duplicates():
    pd_ = pd.Series([0.01, 0.02, 0.03], index=["a", "a", "b"])
    with pytest.raises(LossInputError, match=r"irb_risk_weight: maturity and pd hold the same labels in another "
                                             r"order, but pd has repeated labels \['a'\]"):
        irb_risk_weight(pd_, 0.45, pd.Series([1.0, 2.0, 3.0], index=["b", "a", "a"]))


# ---------------------------------------------------------------------- creditrisk_plus

def test_creditrisk_plus_pairs_sectors_and_ead_by_label():
    theta = pd.DataFrame({"x": [0.5, 0.0, 1.0, 0.2], "y": [0.5, 1.0, 0.0, 0.3]}, index=IDS)
    order = ["c4", "c1", "c3", "c2"]
    got = creditrisk_plus(PD_, EAD_SHUFFLED, 0.5, sectors=theta.reindex(order),
                          sector_variance={"x": 0.8, "y": 1.5}, loss_unit=5.0)
    by_hand = creditrisk_plus(PD_, EAD_BY_HAND, 0.5, sectors=theta, sector_variance={"x": 0.8, "y": 1.5},
                              loss_unit=5.0)
    np.testing.assert_array_equal(got.probabilities, by_hand.probabilities)
    pd.testing.assert_frame_equal(got.obligors(), by_hand.obligors())
    # exposure units by hand: ceil(0.5 * ead / 5) = 10, 25, 4, 1 in the order of pd
    np.testing.assert_array_equal(got.obligors()["exposure_units"].to_numpy(), [10, 25, 4, 1])


def test_creditrisk_plus_refuses_other_labels_naming_both():
    theta = pd.DataFrame({"x": [0.5, 0.0], "y": [0.5, 1.0]}, index=["c1", "c2"])
    with pytest.raises(LossInputError, match=r"creditrisk_plus: sectors and pd have different indexes: "
                                             r".*only in sectors \['c2'\]"):
        creditrisk_plus(pd.Series([0.1, 0.2], index=["c1", "zz"]), 1.0, sectors=theta)


# -------------------------------------------------------------------------- concentration

def test_granularity_adjustment_pairs_series_by_label():
    capital = pd.Series([0.05, 0.08, 0.03, 0.12], index=IDS)
    lgd = pd.Series([0.45, 0.35, 0.45, 0.75], index=IDS)
    got = granularity_adjustment(EAD_SHUFFLED, PD_, lgd.iloc[::-1], capital=capital.iloc[[1, 3, 0, 2]])
    # the reference is ead: the result is in its order (c4, c2, c1, c3)
    by_hand = granularity_adjustment(EAD_SHUFFLED, PD_.reindex(EAD_SHUFFLED.index), lgd.reindex(EAD_SHUFFLED.index),
                                     capital=capital.reindex(EAD_SHUFFLED.index))
    pd.testing.assert_frame_equal(got.names, by_hand.names)
    assert got.ga == by_hand.ga
    np.testing.assert_array_equal(got.names["k"].to_numpy(), [0.12, 0.08, 0.05, 0.03])
    turnover = pd.Series([np.nan, 20.0, 5.0, 60.0], index=IDS)
    got_t = granularity_adjustment(EAD_BY_HAND, PD_, 0.45, turnover=turnover.iloc[::-1])
    assert got_t.ga == granularity_adjustment(EAD_BY_HAND, PD_, 0.45, turnover=turnover).ga


def test_granularity_adjustment_refuses_other_labels():
    with pytest.raises(LossInputError, match="granularity_adjustment: pd and ead have different indexes"):
        granularity_adjustment(EAD_BY_HAND, PD_.rename({"c4": "zz"}))


# ----------------------------------------------------------------- model limit kernels

def test_model_limit_kernels_pair_series_by_label():
    budget = pd.Series([100.0, 50.0, 0.0, 900.0], index=IDS)
    got = el_budget_max_exposure(PD_, 0.5, budget.iloc[::-1])
    # by hand: budget / (pd * lgd) in the order of pd: 100/0.005, 50/0.025, 0 (no budget), 900/0.1
    np.testing.assert_allclose(got, [20_000.0, 2_000.0, 0.0, 9_000.0])
    limit = pd.Series([1e5, 0.0, 5e4, 2e5], index=IDS)
    purchases = pd.Series([1.2e6, 6e5, 3e5, 2.4e6], index=IDS)
    got_s = sales_supported(limit, purchases.iloc[[2, 0, 3, 1]], 60.0, "min")
    np.testing.assert_allclose(got_s, [6e5, 0.0, 3e5, 1.2e6])          # min(6 L, P) by hand
    days = pd.Series([60.0, 30.0, 90.0, 45.0], index=IDS)
    got_p = profit_optimal_limit(PD_, 0.45, 0.15, purchases.iloc[::-1], days.iloc[[3, 1, 0, 2]])
    by_hand = profit_optimal_limit(PD_.to_numpy(), 0.45, 0.15, purchases.to_numpy(), days.to_numpy())
    np.testing.assert_array_equal(got_p, by_hand)
    with pytest.raises(InputError, match="budget and pd_ have different indexes"):
        el_budget_max_exposure(PD_, 0.5, budget.rename({"c1": "zz"}))
