"""Calibration tests against scipy, statsmodels, scikit-learn, numerical integration and
hand computations (BCBS WP14 2005, ECB 2019, Spiegelhalter 1986, Hosmer & Lemeshow 1980)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats
from sklearn.metrics import brier_score_loss
from statsmodels.stats.proportion import proportion_confint

import riskkit.validation as rkv

PD = np.array([0.003, 0.01, 0.02, 0.05, 0.12])
N = np.array([1500, 1200, 800, 400, 150])
D = np.array([7, 15, 14, 27, 16])


def mixture_sf_quad(k, n, pd, rho):
    """P(D >= k) in the one-factor model by adaptive quadrature (independent of riskkit)."""
    def integrand(x):
        px = stats.norm.cdf((stats.norm.ppf(pd) + np.sqrt(rho) * x) / np.sqrt(1 - rho))
        return stats.binom.sf(k - 1, n, px) * stats.norm.pdf(x)
    return integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-11, limit=500)[0]


# --- binomial test ------------------------------------------------------------------------

def test_binomial_pvalue_matches_scipy_binomtest():
    r = rkv.binomial_test(PD, D, N)
    ref = [stats.binomtest(int(d), int(n), p, alternative="greater").pvalue for p, d, n in zip(PD, D, N)]
    np.testing.assert_allclose(r.pvalue, ref, rtol=1e-10)
    np.testing.assert_array_equal(r.statistic, D)


def test_binomial_critical_value_is_smallest_rejected_count():
    r = rkv.binomial_test(PD, D, N, confidence=0.99)
    for p, n, k in zip(PD, N, r.critical_value):
        assert stats.binomtest(int(k), int(n), p, alternative="greater").pvalue <= 0.01
        assert stats.binomtest(int(k) - 1, int(n), p, alternative="greater").pvalue > 0.01


def test_wp14_table_pd_half_percent_n_1000():
    """BCBS WP14's critical-value table is reported to print k* = 11 for PD = 0.5 %, N = 1000,
    rho = 0 at 99 % (that cell is not verified against the source text: the table could not
    be retrieved). The exact binomial gives 12: P(D >= 11) = 1.35 % > 1 %. 11 is WP14's
    normal approximation (p. 47) Phi^{-1}(q) sqrt(N PD (1 - PD)) + N PD = 10.19 rounded up.
    We follow the mathematics (12), not the printed table."""
    r = rkv.binomial_test(0.005, 0, 1000, confidence=0.99)
    assert r.critical_value == 12
    assert stats.binomtest(11, 1000, 0.005, alternative="greater").pvalue > 0.01
    assert stats.binomtest(12, 1000, 0.005, alternative="greater").pvalue <= 0.01
    normal_approx = 1000 * 0.005 + stats.norm.ppf(0.99) * np.sqrt(1000 * 0.005 * 0.995)
    assert int(np.ceil(normal_approx)) == 11


@pytest.mark.parametrize("k, n, pd, rho", [
    (12, 1000, 0.005, 0.05), (30, 1000, 0.02, 0.12), (300, 20000, 0.01, 0.12),
    (3, 200, 0.01, 0.24), (9, 200, 0.01, 0.24),
])
def test_correlated_binomial_pvalue_matches_quadrature(k, n, pd, rho):
    r = rkv.binomial_test(pd, k, n, rho=rho)
    assert r.pvalue == pytest.approx(mixture_sf_quad(k, n, pd, rho), abs=1e-9)
    assert r.pvalue_independent == pytest.approx(stats.binom.sf(k - 1, n, pd), rel=1e-12)
    if r.pvalue_independent < 0.01:  # correlation fattens the far tail
        assert r.pvalue > r.pvalue_independent


def test_correlated_critical_value_matches_quadrature():
    pd, n, rho = 0.01, 2000, 0.12
    k = rkv.binomial_test(pd, 0, n, rho=rho, confidence=0.99).critical_value
    assert mixture_sf_quad(k, n, pd, rho) <= 0.01 < mixture_sf_quad(k - 1, n, pd, rho)


def test_correlated_critical_value_tends_to_vasicek_quantile():
    # infinitely granular limit (Vasicek): k*/N -> Phi((Phi^-1(PD) + sqrt(rho) z_q)/sqrt(1-rho))
    pd, rho, q, n = 0.01, 0.12, 0.99, 1_000_000
    r = rkv.binomial_test(pd, 0, n, rho=rho, confidence=q)
    hand = stats.norm.cdf((stats.norm.ppf(pd) + np.sqrt(rho) * stats.norm.ppf(q)) / np.sqrt(1 - rho))
    assert r.critical_rate_vasicek == pytest.approx(hand, rel=1e-12)
    assert r.critical_value / n == pytest.approx(hand, rel=2e-3)


def test_rho_zero_equals_independent():
    a = rkv.binomial_test(PD, D, N, rho=0.0)
    np.testing.assert_array_equal(a.critical_value, a.critical_value_independent)
    np.testing.assert_allclose(a.pvalue, a.pvalue_independent)


# --- Jeffreys ------------------------------------------------------------------------------

def test_jeffreys_pvalue_at_statsmodels_lower_bound_equals_alpha():
    for alpha in (0.05, 0.01):
        lower, _ = proportion_confint(D, N, alpha=2 * alpha, method="jeffreys")
        r = rkv.jeffreys_test(lower, D, N)
        np.testing.assert_allclose(r.pvalue, alpha, rtol=1e-7)
        # a PD below the interval is rejected, a PD above it is not
        assert np.all(rkv.jeffreys_test(lower * 0.9, D, N).pvalue < alpha)
        assert np.all(rkv.jeffreys_test(lower * 1.1, D, N).pvalue > alpha)


def test_jeffreys_hand_value_and_portfolio():
    # p = Beta.cdf(PD; D + 1/2, N - D + 1/2) via the regularised incomplete beta function
    from scipy.special import betainc
    r = rkv.jeffreys_test(0.01, 15, 1000)
    assert r.pvalue == pytest.approx(betainc(15.5, 985.5, 0.01), rel=1e-12)
    assert r.statistic == pytest.approx(0.015)
    port = rkv.jeffreys_test_portfolio(PD, D, N)
    pooled = (PD * N).sum() / N.sum()
    assert port.pvalue == pytest.approx(betainc(D.sum() + 0.5, N.sum() - D.sum() + 0.5, pooled), rel=1e-12)
    assert port.scope == "portfolio"


# --- Hosmer-Lemeshow -----------------------------------------------------------------------

def test_hosmer_lemeshow_equals_pearson_chi_square():
    r = rkv.hosmer_lemeshow(PD, D, N)
    obs = np.concatenate([D, N - D])
    exp = np.concatenate([N * PD, N * (1 - PD)])
    g = PD.size
    ref = stats.chisquare(obs, exp, ddof=(2 * g - 1) - g)  # df = number of grades (WP14)
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert r.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
    assert r.df == g
    override = rkv.hosmer_lemeshow(PD, D, N, df=g - 2)
    assert override.pvalue == pytest.approx(stats.chi2.sf(ref.statistic, g - 2))
    assert r.table["contribution"].sum() == pytest.approx(r.statistic)


# --- Spiegelhalter, Brier ------------------------------------------------------------------

def test_spiegelhalter_equals_standardised_brier_score():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.01, 0.3, 800)
    y = (rng.random(800) < p * 1.3).astype(int)
    b = np.mean((y - p) ** 2)
    e_b = np.mean(p * (1 - p))
    var_b = np.sum((1 - 2 * p) ** 2 * p * (1 - p)) / p.size ** 2
    z = (b - e_b) / np.sqrt(var_b)
    r = rkv.spiegelhalter(y, p)
    assert r.statistic == pytest.approx(z, rel=1e-10)
    assert r.pvalue == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)


def test_spiegelhalter_hand_example():
    # y = (1, 0), p = (0.2, 0.4): num = 0.8*0.6 + (-0.4)*0.2 = 0.4;
    # den = sqrt(0.36*0.16 + 0.04*0.24) = sqrt(0.0672)
    r = rkv.spiegelhalter([1, 0], [0.2, 0.4])
    assert r.statistic == pytest.approx(0.4 / np.sqrt(0.0672), rel=1e-12)


def test_brier_score_and_skill():
    rng = np.random.default_rng(2)
    p = rng.uniform(0.01, 0.5, 500)
    y = (rng.random(500) < p).astype(int)
    assert rkv.brier_score(y, p) == pytest.approx(brier_score_loss(y, p), rel=1e-12)
    ybar = y.mean()
    assert rkv.brier_skill_score(y, p) == pytest.approx(
        1 - brier_score_loss(y, p) / brier_score_loss(y, np.full(500, ybar)), rel=1e-12)
    with pytest.raises(ValueError, match="single class"):
        rkv.brier_skill_score(np.zeros(10), np.full(10, 0.1))


# --- normal test, traffic lights ---------------------------------------------------------

def test_normal_test_is_one_sample_t_statistic():
    pd_t = np.array([0.010, 0.012, 0.011, 0.009, 0.010])
    n_t = np.array([1000, 1100, 1050, 990, 1200])
    d_t = np.array([14, 12, 16, 11, 15])
    r = rkv.normal_test(pd_t, d_t, n_t)
    ref = stats.ttest_1samp(d_t / n_t - pd_t, 0.0).statistic
    assert r.statistic == pytest.approx(ref, rel=1e-12)
    assert r.pvalue == pytest.approx(stats.norm.sf(ref), rel=1e-12)
    # (T, G): each column is tested on its own
    two = rkv.normal_test(np.column_stack([pd_t, pd_t]), np.column_stack([d_t, d_t // 2]),
                          np.column_stack([n_t, n_t]), labels=["A", "B"])
    assert two.statistic[0] == pytest.approx(ref)
    assert list(two.scope) == ["A", "B"]
    with pytest.raises(ValueError, match="at least 2 periods"):
        rkv.normal_test(pd_t[:1], d_t[:1], n_t[:1])


def test_traffic_light_colours_by_binomial_quantiles():
    n, p = 1000, 0.01
    quantiles = [stats.binom.ppf(q, n, p) + 1 for q in (0.95, 0.99, 0.999)]  # k*(q)
    d = np.array([0, quantiles[0] - 1, quantiles[0], quantiles[1], quantiles[2], 60])
    r = rkv.traffic_light(np.full(d.size, p), d, np.full(d.size, n))
    assert list(r.colour) == ["green", "green", "yellow", "orange", "red", "red"]
    assert list(r.verdict) == ["green", "green", "amber", "amber", "red", "red"]
    assert int(r.k_yellow[0]) == quantiles[0] and int(r.k_red[0]) == quantiles[2]
    # colour agrees with the upper-tail probability
    tail = stats.binom.sf(d - 1, n, p)
    assert np.all((tail <= 0.05) == (r.colour != "green"))
    assert np.all((tail <= 0.001) == (r.colour == "red"))
    with pytest.raises(ValueError, match="levels"):
        rkv.traffic_light(p, 3, n, levels=(0.99, 0.95, 0.999))


# --- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("func", [rkv.binomial_test, rkv.jeffreys_test, rkv.hosmer_lemeshow,
                                  rkv.traffic_light])
def test_grade_level_bad_inputs(func):
    with pytest.raises(ValueError, match=r"pd_values must lie strictly between 0 and 1.*positions 1"):
        func([0.01, 1.0], [1, 1], [10, 10])
    with pytest.raises(ValueError, match="pd_values must lie strictly"):
        func([0.0, 0.1], [1, 1], [10, 10])
    with pytest.raises(ValueError, match=r"defaults exceed n .*positions 0"):
        func([0.01, 0.02], [11, 1], [10, 10])
    with pytest.raises(ValueError, match="whole numbers"):
        func([0.01, 0.02], [1.5, 1], [10, 10])
    with pytest.raises(ValueError, match="non-negative"):
        func([0.01, 0.02], [-1, 1], [10, 10])
    with pytest.raises(ValueError, match="length mismatch"):
        func([0.01, 0.02, 0.03], [1, 1], [10, 10])
    with pytest.raises(ValueError, match="missing"):
        func([0.01, np.nan], [1, 1], [10, 10])
    with pytest.raises(ValueError, match="at least 1 obligor"):
        func([0.01, 0.02], [0, 0], [0, 10])


def test_obligor_level_bad_inputs():
    with pytest.raises(ValueError, match="length mismatch"):
        rkv.spiegelhalter([0, 1, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="strictly between"):
        rkv.brier_score([0, 1], [0.1, 1.2])
    with pytest.raises(ValueError, match="only 0/1"):
        rkv.spiegelhalter([0, 3], [0.1, 0.2])
    with pytest.raises(ValueError, match="rho"):
        rkv.binomial_test(0.01, 1, 100, rho=1.0)
    with pytest.raises(ValueError, match="confidence"):
        rkv.binomial_test(0.01, 1, 100, confidence=1.0)
