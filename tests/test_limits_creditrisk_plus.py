"""creditrisk_plus against independent references.

References: brute-force convolution of scipy.stats.poisson lattices (compound Poisson),
scipy.stats.nbinom (single obligor in one gamma sector), hand-written CSFB (1997) mean and
variance formulas, a direct simulation of the CreditRisk+ model (gamma factors, Poisson
counts), scipy.stats.poisson for a 1,000-default book whose P(L = 0) underflows, and
portfolio_loss on the same book with a matched default correlation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskkit._core.errors import RiskkitError
from riskkit.limits import LossInputError, creditrisk_plus, portfolio_loss


def lattice_poisson(mu: float, nu: int, size: int) -> np.ndarray:
    """pmf of nu * Poisson(mu) on 0..size-1."""
    out = np.zeros(size)
    k = np.arange((size - 1) // nu + 1)
    out[k * nu] = stats.poisson.pmf(k, mu)
    return out


def test_zero_sector_variance_is_compound_poisson_by_brute_force():
    pd_ = np.array([0.05, 0.10, 0.20])
    ead = np.array([1.0, 2.0, 5.0])          # exactly 1, 2, 5 units: no banding effect
    size = 60
    brute = np.ones(1)
    for mu, nu in zip(pd_, [1, 2, 5]):
        brute = np.convolve(brute, lattice_poisson(mu, nu, size))[:size]
    for v in (0.0, 1e-10):
        res = creditrisk_plus(pd_, ead, sector_variance=v, loss_unit=1.0)
        f = res.probabilities
        m = min(f.size, size)
        np.testing.assert_allclose(f[:m], brute[:m], rtol=1e-7, atol=1e-15)
    # the first atoms by hand: P(L=0) = e^-0.35, P(L=1) = 0.05 e^-0.35,
    # P(L=2) = (0.05^2/2 + 0.10) e^-0.35, P(L=3) = (0.05^3/6 + 0.05 * 0.10) e^-0.35
    e = math.exp(-0.35)
    hand = [e, 0.05 * e, (0.05 ** 2 / 2 + 0.10) * e, (0.05 ** 3 / 6 + 0.05 * 0.10) * e]
    res = creditrisk_plus(pd_, ead, sector_variance=0.0, loss_unit=1.0)
    np.testing.assert_allclose(res.probabilities[:4], hand, rtol=1e-12)


def test_single_obligor_single_sector_is_negative_binomial():
    # N ~ NB(shape 1/v, p = v pd / (1 + v pd)); scipy's nbinom(n, p') has
    # pmf C(k+n-1, k) p'^n (1-p')^k, i.e. n = 1/v, p' = 1 / (1 + v pd)
    pd_, v, nu = 0.1, 2.0, 3
    res = creditrisk_plus([pd_], [3.0], sector_variance=v, loss_unit=1.0)
    f = res.probabilities
    k = np.arange(f.size // nu + 1)
    expected = np.zeros(f.size)
    expected[k[k * nu < f.size] * nu] = stats.nbinom.pmf(k[k * nu < f.size], 1 / v, 1 / (1 + v * pd_))
    np.testing.assert_allclose(f, expected, rtol=1e-10, atol=1e-16)
    assert res.truncated_mass <= 1e-10


def book(n=40, seed=0):
    rng = np.random.default_rng(seed)
    pd_ = rng.uniform(0.005, 0.08, n)
    ead = rng.lognormal(3.0, 0.8, n)
    lgd = rng.uniform(0.2, 0.9, n)
    theta = rng.dirichlet([1.0, 1.0, 1.0], n) * rng.uniform(0.5, 1.0, (n, 1))   # rows sum < 1
    return pd_, ead, lgd, theta


def test_mean_and_variance_equal_the_csfb_closed_forms():
    pd_, ead, lgd, theta = book()
    v = np.array([0.8, 1.5, 0.3])
    unit = 2.0
    res = creditrisk_plus(pd_, ead, lgd, sectors=theta, sector_variance=v, loss_unit=unit)
    units = np.arange(res.probabilities.size)
    # (c) mean: sum pd * ead * lgd, in units
    expected_units = float(np.sum(pd_ * ead * lgd)) / unit
    assert float(units @ res.probabilities) == pytest.approx(expected_units, rel=1e-9)
    assert res.el == pytest.approx(float(np.sum(pd_ * ead * lgd)), rel=1e-9)
    assert res.expected_loss == pytest.approx(float(np.sum(pd_ * ead * lgd)), rel=1e-13)
    # (d) CSFB variance with banded exposures nu_A = ceil(E_A / L) and intensities
    # mu_A = pd_A E_A / (L nu_A):  sum_A mu_A nu_A^2 + sum_k v_k (sum_A theta_Ak mu_A nu_A)^2
    nu = np.ceil(lgd * ead / unit)
    mu = pd_ * lgd * ead / (unit * nu)
    var_units = np.sum(mu * nu ** 2) + np.sum(v * (theta.T @ (mu * nu)) ** 2)
    dist_var = float(((units - units @ res.probabilities) ** 2) @ res.probabilities)
    assert dist_var == pytest.approx(var_units, rel=1e-7)
    assert res.variance == pytest.approx(var_units * unit ** 2, rel=1e-12)
    np.testing.assert_array_equal(res.exposure_units, nu.astype(int))
    np.testing.assert_allclose(res.adjusted_pd, mu, rtol=1e-14)


def test_multi_sector_distribution_matches_a_direct_simulation_of_the_model():
    # simulate the model itself: S_k ~ Gamma(1/v_k, v_k), N_A ~ Poisson(mu_A (theta_A0 +
    # sum_k theta_Ak S_k)), L = sum nu_A N_A; compare the atoms
    pd_ = np.array([0.05, 0.10, 0.08, 0.20])
    ead = np.array([1.0, 2.0, 1.0, 3.0])
    theta = np.array([[0.7, 0.0], [0.5, 0.5], [0.0, 1.0], [0.2, 0.3]])
    v = np.array([1.5, 0.6])
    res = creditrisk_plus(pd_, ead, sectors=theta, sector_variance=v, loss_unit=1.0)
    rng = np.random.default_rng(2)
    n_sims = 400_000
    s = rng.gamma(1 / v, v, (n_sims, 2))
    theta0 = 1 - theta.sum(axis=1)
    lam = pd_ * (theta0 + s @ theta.T)
    loss = rng.poisson(lam) @ np.array([1, 2, 1, 3])
    freq = np.bincount(loss, minlength=res.probabilities.size)[:res.probabilities.size] / n_sims
    p = res.probabilities
    big = p > 1e-4
    assert big.sum() >= 8
    assert np.all(np.abs(freq[big] - p[big]) <= 4.5 * np.sqrt(p[big] * (1 - p[big]) / n_sims))


def test_large_book_poisson_underflow_is_handled():
    # 2,000 obligors, pd 0.5, unit exposure, no systematic risk: L ~ Poisson(1000) and
    # P(L = 0) = exp(-1000) underflows double precision
    res = creditrisk_plus(np.full(2000, 0.5), 1.0, sector_variance=0.0, loss_unit=1.0)
    n = np.arange(res.probabilities.size)
    np.testing.assert_allclose(res.probabilities, stats.poisson.pmf(n, 1000), rtol=1e-8,
                               atol=1e-300)
    assert res.var(0.99) == stats.poisson.ppf(0.99, 1000)
    assert res.truncated_mass < 1e-9
    # the same book with a gamma sector of small variance: NB with huge shape
    nb = creditrisk_plus(np.full(2000, 0.5), 1.0, sector_variance=0.01, loss_unit=1.0)
    k = np.arange(nb.probabilities.size)
    np.testing.assert_allclose(nb.probabilities, stats.nbinom.pmf(k, 100, 1 / (1 + 0.01 * 1000)),
                               rtol=1e-7, atol=1e-300)


def test_thousand_obligor_book_is_stable():
    rng = np.random.default_rng(4)
    n = 1000
    pd_ = rng.uniform(0.001, 0.05, n)
    ead = rng.lognormal(10, 1.2, n)
    sectors = rng.choice(["energy", "retail", "steel", "tech", "food"], n)
    v = {"energy": 2.0, "retail": 0.7, "steel": 1.5, "tech": 1.0, "food": 0.3}
    res = creditrisk_plus(pd_, ead, 0.45, sectors=sectors, sector_variance=v)
    f = res.probabilities
    assert np.all(np.isfinite(f)) and np.all(f >= 0)
    assert f.sum() == pytest.approx(1.0, abs=1e-9)
    assert res.truncated_mass < 1e-9
    assert res.el == pytest.approx(float(np.sum(pd_ * ead * 0.45)), rel=1e-8)
    assert res.std ** 2 == pytest.approx(res.variance, rel=1e-6)
    assert res.sectors == ["energy", "food", "retail", "steel", "tech"]
    np.testing.assert_array_equal(res.sector_variance, [2.0, 0.3, 0.7, 1.5, 1.0])
    v95, v99, v999 = res.var(0.95), res.var(0.99), res.var(0.999)
    assert res.el < v95 < v99 < v999 < res.es(0.999)
    assert res.es(0.99) > v99


def test_var_and_es_hand_computation():
    # one obligor, Poisson(0.1) defaults of 2 units: f(2k) = e^-0.1 0.1^k / k!
    res = creditrisk_plus([0.1], [2.0], sector_variance=0.0, loss_unit=1.0)
    f0, f2 = math.exp(-0.1), 0.1 * math.exp(-0.1)
    el = 0.2
    assert res.var(0.90) == 0.0                    # F(0) = 0.9048 >= 0.90
    # ES_0.90 = [sum_{n>0} n f(n) + 0] / 0.1 = EL / 0.1
    assert res.es(0.90) == pytest.approx(el / 0.1, rel=1e-9)
    assert res.var(0.95) == 2.0                    # F(0) < 0.95 <= F(2) = 0.9953
    # ES_0.95 = [sum_{n>2} n f(n) + 2 (F(2) - 0.95)] / 0.05
    expected = ((el - 2 * f2) + 2 * (f0 + f2 - 0.95)) / 0.05
    assert res.es(0.95) == pytest.approx(expected, rel=1e-9)
    frame = res.to_frame()
    assert list(frame.columns) == ["loss_units", "loss", "probability", "cdf"]
    assert frame.loc[2, "cdf"] == pytest.approx(f0 + f2, rel=1e-12)
    assert "CreditRisk+" in res.summary()
    with pytest.raises(LossInputError, match="truncated tail"):
        res.var(1 - 1e-13)


def test_banding_rounds_up_or_to_nearest_and_keeps_the_expected_loss():
    ead = np.array([2.5, 1.2, 0.3, 3.0000000000004, 0.0])
    pd_ = np.array([0.1, 0.2, 0.3, 0.1, 0.5])
    up = creditrisk_plus(pd_, ead, loss_unit=1.0, sector_variance=0.5)
    np.testing.assert_array_equal(up.exposure_units, [3, 2, 1, 3, 0])
    np.testing.assert_allclose(up.adjusted_pd, [0.1 * 2.5 / 3, 0.2 * 1.2 / 2, 0.3 * 0.3 / 1,
                                                0.1 * 3.0000000000004 / 3, 0.0], rtol=1e-12)
    near = creditrisk_plus(pd_, ead, loss_unit=1.0, sector_variance=0.5, rounding="nearest")
    np.testing.assert_array_equal(near.exposure_units, [3, 1, 1, 3, 0])
    for res in (up, near):
        assert res.el == pytest.approx(float(pd_ @ ead), rel=1e-9)
    # default loss unit: largest exposure / 100
    assert creditrisk_plus(pd_, ead).loss_unit == pytest.approx(0.030000000000004)
    frame = creditrisk_plus(pd.Series(pd_, index=list("abcde")), ead, loss_unit=1.0).obligors()
    assert list(frame.index) == list("abcde") and frame.loc["a", "exposure_units"] == 3


def test_matches_the_gaussian_copula_when_default_correlation_is_matched():
    # Same book (300 obligors, pd 2 %, EAD 1, LGD 1) in both models.  The gamma sector
    # variance is chosen so that the pairwise default covariance equals the Gaussian
    # copula's: Cov(N_i, N_j) = pd^2 v  =  Phi2(a, a; rho) - pd^2  (a = Phi^-1(pd)).
    # Then means agree exactly and standard deviations nearly (Poisson vs Bernoulli
    # variance pd vs pd(1-pd)); the mixing distributions (gamma vs probit-normal) share two
    # moments only, so quantiles differ by the tail shape: Gordy (2000), "A comparative
    # anatomy of credit risk models", J. Banking & Finance 24, finds close body and
    # diverging far tails.  Tolerances: mean within 4 MC standard errors; sd within 3 %;
    # VaR 95 % and 99 % within 10 %; VaR 99.9 % within 20 % (the gamma tail is the lighter).
    n, p, rho = 300, 0.02, 0.15
    a = stats.norm.ppf(p)
    joint = stats.multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf([a, a])
    v = joint / p ** 2 - 1
    cr = creditrisk_plus(np.full(n, p), 1.0, sector_variance=v, loss_unit=1.0)
    mc = portfolio_loss(np.full(n, p), 1.0, 1.0, rho, 100_000, seed=21)
    assert mc.el == pytest.approx(cr.el, abs=4 * mc.el_se)
    assert cr.el == pytest.approx(n * p, rel=1e-8)
    assert cr.std == pytest.approx(mc.losses.std(), rel=0.03)
    for q, tol in [(0.95, 0.10), (0.99, 0.10), (0.999, 0.20)]:
        assert cr.var(q) == pytest.approx(mc.var(q), rel=tol), q
    assert cr.var(0.999) <= mc.var(0.999)


@pytest.mark.parametrize("kwargs, pattern", [
    ({"pd": [0.1, 1.2], "ead": [1, 1]}, r"creditrisk_plus: pd must be finite and in \[0, 1\]"),
    ({"pd": [0.1, 0.2], "ead": [1, -1]}, "creditrisk_plus: ead must be"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "lgd": 2}, "creditrisk_plus: lgd must be"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "sector_variance": -1}, "creditrisk_plus: sector_variance must be"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "sector_variance": [1, 2]}, "sector_variance has 2 values but there are 1"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "sectors": ["a", "b"], "sector_variance": {"a": 1}},
     r"sector_variance has no value for sector\(s\) \['b'\]"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "sectors": ["a"]}, "sectors has 1 labels but the book has 2"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "sectors": ["a", None]}, "sectors has 1 missing label"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "sectors": [[0.6, 0.5], [0.1, 0.1]], "sector_variance": 1},
     r"sector weights of 1 obligor\(s\) add up to more than 1 at \[0\]"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "sectors": [[0.6, -0.5], [0.1, 0.1]]}, "sectors \\(weights\\) must be"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "sectors": np.ones((3, 1))}, "weight matrix of shape \\(2, n_sectors\\)"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "loss_unit": 0}, "creditrisk_plus: loss_unit must be"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "loss_unit": [1, 2]}, "loss_unit must be a number"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "rounding": "down"}, "rounding must be 'up' or 'nearest'"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "tail_tolerance": 0}, "tail_tolerance must be in"),
    ({"pd": [0.1, 0.2], "ead": [1e9, 1], "loss_unit": 1.0}, "more than max_loss_units"),
    ({"pd": [0.1, 0.2], "ead": [1, 1], "max_loss_units": 0}, "max_loss_units must be a positive integer"),
])
def test_bad_input_names_the_parameter(kwargs, pattern):
    with pytest.raises(LossInputError, match=pattern) as info:
        creditrisk_plus(**kwargs)
    assert isinstance(info.value, RiskkitError) and isinstance(info.value, ValueError)


def test_dataframe_weights_and_named_variances():
    theta = pd.DataFrame({"x": [0.5, 0.0], "y": [0.5, 1.0]}, index=["c1", "c2"])
    res = creditrisk_plus(pd.Series([0.1, 0.2], index=["c1", "c2"]), [1.0, 2.0], sectors=theta,
                          sector_variance=pd.Series({"y": 0.4, "x": 2.0}), loss_unit=1.0)
    assert res.sectors == ["x", "y"]
    np.testing.assert_array_equal(res.sector_variance, [2.0, 0.4])
    same = creditrisk_plus([0.1, 0.2], [1.0, 2.0], sectors=theta.to_numpy(),
                           sector_variance=[2.0, 0.4], loss_unit=1.0)
    np.testing.assert_allclose(res.probabilities, same.probabilities, rtol=1e-14)
    # the same labels in another order are paired by label: as if theta were reordered by hand
    pd_ = pd.Series([0.2, 0.1], index=["c2", "c1"])
    got = creditrisk_plus(pd_, 1.0, sectors=theta, loss_unit=1.0)
    by_hand = creditrisk_plus(pd_, 1.0, sectors=theta.reindex(pd_.index), loss_unit=1.0)
    np.testing.assert_array_equal(got.probabilities, by_hand.probabilities)
    pd.testing.assert_frame_equal(got.obligors(), by_hand.obligors())
    with pytest.raises(LossInputError, match=r"creditrisk_plus: sectors and pd have different indexes: .*"
                                             r"only in pd \['c3'\]"):
        creditrisk_plus(pd.Series([0.1, 0.2], index=["c3", "c1"]), 1.0, sectors=theta)
