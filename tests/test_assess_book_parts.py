"""The pieces of rk.assess.portfolio_assessment that stand alone: the Vasicek (ASRF)
quantile and expected shortfall, the CreditRisk+ sector variance matched to the Gaussian
model, the last review from credit decisions, parameter checks and the report's figures."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

import riskkit as rk  # noqa: E402
from riskkit.assess import (  # noqa: E402
    PortfolioAssessmentError,
    asrf_expected_shortfall,
    asrf_loss_quantile,
    last_reviews,
    matched_sector_variance,
    portfolio_assessment,
)

PD = np.array([0.004, 0.02, 0.08, 0.2])
RHO = np.array([0.22, 0.18, 0.13, 0.12])
W = np.array([3.0, 1.5, 2.0, 0.5])          # LGD x EAD


def _phi2(h, k, r):
    """Bivariate standard normal cdf by scipy's integration (Genz), tight tolerance."""
    return float(stats.multivariate_normal.cdf([h, k], mean=[0.0, 0.0], cov=[[1.0, r], [r, 1.0]], abseps=1e-12,
                                               releps=1e-12))


@pytest.mark.parametrize("q", [0.99, 0.999])
def test_asrf_quantile_written_out(q):
    n = stats.norm
    expected = np.sum(W * n.cdf((n.ppf(PD) + np.sqrt(RHO) * n.ppf(q)) / np.sqrt(1 - RHO)))
    assert asrf_loss_quantile(PD, RHO, W, q) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("q", [0.95, 0.99])
def test_asrf_expected_shortfall_closed_form(q):
    # E[Phi((a + sqrt(r) Z)/sqrt(1-r)); Z > z_q] = P(Y <= a, Z > z_q), Y ~ N(0,1), corr(Y, Z) = -sqrt(r):
    # = Phi(a) - Phi_2(a, z_q; -sqrt(r))
    a, zq = stats.norm.ppf(PD), stats.norm.ppf(q)
    tail = [stats.norm.cdf(ai) - _phi2(ai, zq, -math.sqrt(r)) for ai, r in zip(a, RHO)]
    expected = float(np.sum(W * np.array(tail))) / (1 - q)
    assert asrf_expected_shortfall(PD, RHO, W, q) == pytest.approx(expected, rel=1e-6)
    assert asrf_expected_shortfall(PD, RHO, W, q) > asrf_loss_quantile(PD, RHO, W, q)


def test_asrf_without_correlation_is_the_expected_loss():
    # rho = 0: no systematic risk, every quantile of an infinitely granular book is its EL
    el = float(np.sum(W * PD))
    assert asrf_loss_quantile(PD, np.zeros(4), W, 0.999) == pytest.approx(el)
    assert asrf_expected_shortfall(PD, np.zeros(4), W, 0.99) == pytest.approx(el, rel=1e-8)
    with pytest.raises(PortfolioAssessmentError, match="q must be in"):
        asrf_expected_shortfall(PD, RHO, W, 1.0)


def test_matched_sector_variance_homogeneous_book():
    # one obligor type: v = Var[p(Z)] / PD^2 = (Phi_2(a, a; rho) - PD^2) / PD^2
    p, r = 0.02, 0.15
    a = stats.norm.ppf(p)
    expected = (_phi2(a, a, r) - p * p) / (p * p)
    assert matched_sector_variance([p] * 5, [r] * 5, [1.0] * 5) == pytest.approx(expected, rel=1e-7)


def test_matched_sector_variance_heterogeneous_book():
    a = stats.norm.ppf(PD)
    s = np.sqrt([_phi2(ai, ai, r) - p * p for ai, r, p in zip(a, RHO, PD)])
    expected = (np.sum(W * s) / np.sum(W * PD)) ** 2
    assert matched_sector_variance(PD, RHO, W) == pytest.approx(expected, rel=1e-7)
    # PD 0 and PD 1 obligors carry no variance; a PD of one half is fine
    assert matched_sector_variance([0.5, 0.0], [0.2, 0.2], [1.0, 1.0]) == pytest.approx(
        (_phi2(0.0, 0.0, 0.2) - 0.25) / 0.25, rel=1e-7)
    with pytest.raises(PortfolioAssessmentError, match="no expected loss"):
        matched_sector_variance([0.0], [0.2], [1.0])


def test_last_reviews_from_credit_decisions():
    ids = pd.Index(["A", "B", "C"], name="customer_id")
    decisions = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "Z"],
        "effective_date": pd.to_datetime(["2023-01-01", "2024-06-30", "2025-03-01", "2025-02-01", "2024-01-01"]),
        "credit_limit": [1.0, 2.0, 3.0, 4.0, 5.0]})
    got = last_reviews(decisions, ids, "2024-12-31")
    # A: its latest decision by as_of; B: only a later one; C: none; Z is not rated
    assert got["A"] == pd.Timestamp("2024-06-30") and got[["B", "C"]].isna().all()
    assert list(got.index) == ["A", "B", "C"]
    # a decision effective on as_of counts
    assert last_reviews(decisions, ids, "2025-03-01")["A"] == pd.Timestamp("2025-03-01")
    assert last_reviews(None, ids, "2024-12-31").isna().all()
    assert last_reviews(decisions.iloc[0:0], ids, "2024-12-31").isna().all()
    with pytest.raises(PortfolioAssessmentError, match="effective_date"):
        last_reviews(decisions.drop(columns="effective_date"), ids, "2024-12-31")


@pytest.mark.parametrize("kwargs, match", [
    ({"n_sims": 0}, "n_sims"), ({"seed": -1}, "seed"), ({"levels": (1.2,)}, "levels"), ({"levels": ()}, "levels"),
    ({"maturity": 0.5}, "maturity"), ({"eur_per_unit": -1.0}, "eur_per_unit"),
    ({"sector_variance": "fitted"}, "sector_variance"), ({"top_n": 0}, "top_n"), ({"horizon_days": 0}, "horizon"),
])
def test_bad_parameters_name_themselves(tiny_portfolio, kwargs, match):
    with pytest.raises(PortfolioAssessmentError, match=match):
        portfolio_assessment(tiny_portfolio, "2021-06-30", **kwargs)


def test_bad_as_of(tiny_portfolio):
    with pytest.raises(ValueError, match="as_of"):
        portfolio_assessment(tiny_portfolio, "not a date")


# ------------------------------------------------------------------------------ figures
def test_plot_loss_distribution_marks_el_var_es():
    result = rk.limits.portfolio_loss([0.02] * 200, 0.45, 1.0, 0.15, n_sims=2000, seed=1)
    ax = rk.plots.plot_loss_distribution(result, (0.99, 0.999), asrf={0.99: 5.0}, scale=1.0)
    xs = [line.get_xdata()[0] for line in ax.get_lines()]
    expected = [result.expected_loss, result.var(0.99), result.es(0.99), 5.0, result.var(0.999), result.es(0.999)]
    np.testing.assert_allclose(xs, expected)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="losses"):
        rk.plots.plot_loss_distribution(object())
    with pytest.raises(ValueError, match="levels"):
        rk.plots.plot_loss_distribution(result, (1.5,))


def test_plot_exposure_and_backtest_by_grade():
    by_grade = pd.DataFrame({"ead": [5e6, 2e6], "expected_loss": [1e4, 5e4]}, index=pd.Index(["A", "B"], name="grade"))
    ax = rk.plots.plot_exposure_by_grade(by_grade)
    assert [p.get_height() for p in ax.patches] == pytest.approx([5.0, 2.0])
    plt.close(ax.figure)
    bt = pd.DataFrame({"ead_cut_recommended": [0.5, 0.8], "ead_cut_recorded": [0.2, 0.3],
                       "forgone_share_recommended": [0.1, np.nan], "forgone_share_recorded": [0.0, 0.05]},
                      index=["A", "B"])
    ax = rk.plots.plot_limit_backtest(bt)
    assert sorted(p.get_height() for p in ax.patches) == pytest.approx(sorted([50, 80, 20, 30, 10, 0, 0, 5]))
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="expected_loss"):
        rk.plots.plot_exposure_by_grade(by_grade.drop(columns="expected_loss"))
    with pytest.raises(ValueError, match="ead_cut_recorded"):
        rk.plots.plot_limit_backtest(bt.drop(columns="ead_cut_recorded"))
