"""portfolio_loss and vasicek_quantile against independent references.

References used: scipy.stats.norm written out (Vasicek formula), exact finite-book loss
distributions by quadrature over the factor (scipy.integrate.quad of binomial /
Bernoulli products), scipy.stats.multivariate_normal joint default probabilities,
closed-form asymptotic standard errors of quantile and expected-shortfall estimators for
the exponential distribution, and hand computations of VaR/ES on small loss vectors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from riskkit._core.errors import RiskkitError
from riskkit.limits import (
    LossInputError,
    PortfolioLossResult,
    portfolio_loss,
    vasicek_quantile,
)

N = stats.norm


def conditional_pd(pd_, rho, z):
    return N.cdf((N.ppf(pd_) - np.sqrt(rho) * z) / np.sqrt(1 - rho))


# ---------------------------------------------------------------------- vasicek_quantile

def test_vasicek_quantile_hand_value():
    # x_q = Phi((Phi^-1(pd) + sqrt(rho) Phi^-1(q)) / sqrt(1 - rho)), Vasicek (2002)
    pd_, rho, q = 0.01, 0.12, 0.999
    g_pd = N.ppf(0.01)            # -2.3263478740
    g_q = N.ppf(0.999)            # 3.0902323062
    expected = N.cdf((g_pd + math.sqrt(rho) * g_q) / math.sqrt(1 - rho))
    assert g_pd == pytest.approx(-2.3263478740, abs=1e-9)
    assert g_q == pytest.approx(3.0902323062, abs=1e-9)
    assert expected == pytest.approx(0.0903258, abs=1e-7)
    assert vasicek_quantile(pd_, rho, q) == pytest.approx(expected, rel=1e-12)


def test_vasicek_quantile_limits_vectorised_and_series():
    assert vasicek_quantile(0.0, 0.2, 0.99) == 0.0
    assert vasicek_quantile(1.0, 0.2, 0.99) == 1.0
    assert vasicek_quantile(0.03, 0.0, 0.99) == pytest.approx(0.03, rel=1e-12)
    out = vasicek_quantile(np.array([0.01, 0.02]), 0.12, np.array([[0.99], [0.999]]))
    assert out.shape == (2, 2)
    assert out[1, 0] == pytest.approx(vasicek_quantile(0.01, 0.12, 0.999))
    s = vasicek_quantile(pd.Series([0.01, 0.05], index=["a", "b"]), 0.12, 0.99)
    assert list(s.index) == ["a", "b"] and s.name == "vasicek_quantile"
    assert s["b"] == pytest.approx(vasicek_quantile(0.05, 0.12, 0.99))


@pytest.mark.parametrize("kwargs, name", [
    ({"pd": 1.2, "rho": 0.1, "q": 0.99}, "pd"),
    ({"pd": 0.01, "rho": 1.0, "q": 0.99}, "rho"),
    ({"pd": 0.01, "rho": -0.1, "q": 0.99}, "rho"),
    ({"pd": 0.01, "rho": 0.1, "q": 1.0}, "q"),
    ({"pd": np.nan, "rho": 0.1, "q": 0.9}, "pd"),
])
def test_vasicek_quantile_bad_input_names_the_parameter(kwargs, name):
    with pytest.raises(LossInputError, match=f"vasicek_quantile: {name} "):
        vasicek_quantile(**kwargs)


# ---------------------------------------------------------------------- convergence

def finite_book_quantile(n, pd_, rho, q):
    """Exact q-quantile of the default count of n homogeneous obligors:
    P(K <= k) = int Binom(k; n, p(z)) phi(z) dz by Simpson's rule on a fine grid."""
    z = np.linspace(-9, 9, 6001)
    centre = int(vasicek_quantile(pd_, rho, q) * n)
    ks = np.arange(centre - 150, centre + 151)   # the quantile lies well inside
    cdf = integrate.simpson(stats.binom.cdf(ks[:, None], n, conditional_pd(pd_, rho, z))
                            * N.pdf(z), x=z, axis=1)
    assert cdf[0] < q <= cdf[-1]
    return int(ks[np.argmax(cdf >= q)])


def test_large_homogeneous_book_converges_to_vasicek():
    n, pd_, rho, q = 5000, 0.01, 0.12, 0.99
    res = portfolio_loss(np.full(n, pd_), 1.0, 1.0, rho, 20_000, seed=11)
    mc_rate, se_rate = res.var(q) / n, res.var_se(q) / n
    exact_rate = finite_book_quantile(n, pd_, rho, q) / n
    limit = vasicek_quantile(pd_, rho, q)
    # the finite book's exact quantile is within 1 % of the Vasicek limit (granularity
    # effect O(1/n), Gordy 2003) ...
    assert exact_rate == pytest.approx(limit, rel=0.01)
    # ... and the Monte Carlo quantile agrees with the exact one within MC error
    assert abs(mc_rate - exact_rate) <= 3 * se_rate + 1 / n
    assert abs(mc_rate - limit) <= 3 * se_rate + abs(exact_rate - limit) + 1 / n
    assert res.el == pytest.approx(n * pd_, abs=4 * res.el_se)


def test_small_book_exact_loss_distribution_by_quadrature():
    # three obligors, one factor: every default pattern's probability by quadrature
    pd_ = np.array([0.02, 0.10, 0.30])
    rho = np.array([0.10, 0.25, 0.40])
    lgd = np.array([0.5, 0.4, 1.0])
    ead = np.array([100.0, 300.0, 50.0])   # pattern losses 50, 120, 50 -> atoms merge
    w = lgd * ead
    exact: dict[float, float] = {}
    for pattern in np.ndindex(2, 2, 2):
        d = np.array(pattern)

        def f(z, d=d):
            p = conditional_pd(pd_, rho, z)
            return np.prod(np.where(d == 1, p, 1 - p)) * N.pdf(z)
        prob = integrate.quad(f, -10, 10, limit=200, epsabs=1e-13)[0]
        loss = float(w @ d)
        exact[loss] = exact.get(loss, 0.0) + prob
    assert sum(exact.values()) == pytest.approx(1.0, abs=1e-9)
    n_sims = 200_000
    res = portfolio_loss(pd_, lgd, ead, rho, n_sims, seed=5)
    values, counts = np.unique(res.losses, return_counts=True)
    assert set(np.round(values, 9)) <= set(np.round(list(exact), 9))
    observed = dict(zip(np.round(values, 9), counts))
    for loss, prob in exact.items():
        freq = observed.get(round(loss, 9), 0) / n_sims
        assert abs(freq - prob) <= 4.5 * math.sqrt(prob * (1 - prob) / n_sims) + 1e-9, loss
    assert res.expected_loss == pytest.approx(float(pd_ @ w), rel=1e-12)


def test_marginal_and_joint_default_frequencies_decode_exactly():
    # EAD 2**i with LGD 1 makes each scenario loss encode its set of defaulters, so the
    # sampler's marginal default rates (all PD ranges: buckets, thinning, dense path) and
    # pairwise joint default rates can be checked against scipy's bivariate normal CDF.
    k = 40
    rng = np.random.default_rng(0)
    pd_ = np.exp(np.linspace(np.log(0.002), np.log(0.9), k))
    rho = rng.uniform(0.0, 0.5, k)
    ead = 2.0 ** np.arange(k)
    n_sims = 60_000
    res = portfolio_loss(pd_, 1.0, ead, rho, n_sims, seed=123)
    bits = (res.losses.astype(np.uint64)[:, None] >> np.arange(k, dtype=np.uint64)) & np.uint64(1)
    defaults = bits.astype(bool)
    freq = defaults.mean(axis=0)
    sd = np.sqrt(pd_ * (1 - pd_) / n_sims)
    assert np.all(np.abs(freq - pd_) <= 4.5 * sd)
    for i, j in [(5, 30), (20, 21), (35, 39), (0, 39)]:
        r = math.sqrt(rho[i] * rho[j])
        joint = stats.multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]]).cdf(
            [N.ppf(pd_[i]), N.ppf(pd_[j])])
        obs = (defaults[:, i] & defaults[:, j]).mean()
        assert abs(obs - joint) <= 4.5 * math.sqrt(joint * (1 - joint) / n_sims) + 1e-5, (i, j)


def test_sector_factors_give_the_documented_asset_correlation():
    # obligors 0, 1 in sector "a", obligor 2 in sector "b"; Corr(Z_a, Z_b) = -0.4
    pd_ = np.array([0.2, 0.3, 0.25])
    rho = np.array([0.3, 0.5, 0.4])
    ead = np.array([1.0, 2.0, 4.0])
    corr = pd.DataFrame([[1.0, -0.4], [-0.4, 1.0]], index=["a", "b"], columns=["a", "b"])
    n_sims = 200_000
    res = portfolio_loss(pd_, 1.0, ead, rho, n_sims, seed=9, factor=["a", "a", "b"],
                         factor_correlation=corr)
    d = ((res.losses.astype(int)[:, None] >> np.arange(3)) & 1).astype(bool)
    for i, j, c in [(0, 1, 1.0), (0, 2, -0.4), (1, 2, -0.4)]:
        r = math.sqrt(rho[i] * rho[j]) * c
        joint = stats.multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]]).cdf(
            [N.ppf(pd_[i]), N.ppf(pd_[j])])
        obs = (d[:, i] & d[:, j]).mean()
        assert abs(obs - joint) <= 4.5 * math.sqrt(joint * (1 - joint) / n_sims), (i, j)
    # an array in sorted label order is the same model
    again = portfolio_loss(pd_, 1.0, ead, rho, n_sims, seed=9, factor=["a", "a", "b"],
                           factor_correlation=corr.to_numpy())
    assert np.array_equal(again.losses, res.losses)


def test_certain_and_impossible_defaults():
    res = portfolio_loss([1.0, 0.0, 0.05], [0.5, 1.0, 1.0], [10.0, 1e6, 2.0], 0.2, 5000, seed=1)
    assert set(np.unique(res.losses)) <= {5.0, 7.0}
    assert res.expected_loss == pytest.approx(5.0 + 0.05 * 2.0)
    assert res.total_exposure == pytest.approx(5.0 + 1e6 + 2.0)
    zero = portfolio_loss([0.0, 0.3], 1.0, [1.0, 0.0], 0.1, 100, seed=1)
    assert np.all(zero.losses == 0.0)


# ---------------------------------------------------------------------- reproducibility

def test_deterministic_for_a_seed_whatever_the_chunk_size():
    rng = np.random.default_rng(1)
    n = 800
    pd_ = np.exp(rng.uniform(np.log(0.001), np.log(0.4), n))
    ead = rng.lognormal(3, 1, n)
    rho = rng.uniform(0.05, 0.3, n)
    sectors = rng.choice(["x", "y", "z"], n)
    corr = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]])
    runs = [portfolio_loss(pd_, 0.6, ead, rho, 1201, seed=42, factor=sectors,
                           factor_correlation=corr, chunk_size=cs).losses
            for cs in (7, 256, 1201, None)]
    first = portfolio_loss(pd_, 0.6, ead, rho, 300, seed=42, factor=sectors,
                           factor_correlation=corr, chunk_size=1).losses
    assert np.array_equal(first, runs[0][:300])
    for other in runs[1:]:
        assert np.array_equal(runs[0], other)
    other_seed = portfolio_loss(pd_, 0.6, ead, rho, 1201, seed=43, factor=sectors,
                                factor_correlation=corr).losses
    assert not np.array_equal(runs[0], other_seed)
    seq = portfolio_loss(pd_, 0.6, ead, rho, 1201, seed=np.random.SeedSequence(42),
                         factor=sectors, factor_correlation=corr).losses
    assert np.array_equal(seq, runs[0])
    gen = np.random.default_rng(7)
    a = portfolio_loss(pd_, 0.6, ead, rho, 500, seed=gen).losses
    b = portfolio_loss(pd_, 0.6, ead, rho, 500, seed=gen).losses
    assert not np.array_equal(a, b)  # a Generator spawns a fresh child seed per call


def test_progress_bar_does_not_change_the_result(capsys):
    a = portfolio_loss([0.1] * 20, 1.0, 1.0, 0.2, 2000, seed=3, chunk_size=100, progress=True)
    b = portfolio_loss([0.1] * 20, 1.0, 1.0, 0.2, 2000, seed=3, chunk_size=100)
    assert np.array_equal(a.losses, b.losses)
    assert "portfolio_loss" in capsys.readouterr().err


# ---------------------------------------------------------------------- risk measures

def test_var_and_es_hand_computation():
    res = PortfolioLossResult(losses=np.arange(100, 0, -1.0), expected_loss=50.5,
                              n_obligors=1, total_exposure=100.0)
    # n q = 95: VaR = L_(95) = 95; ES = mean of the 5 worst = (96+97+98+99+100)/5 = 98
    assert res.var(0.95) == 95.0
    assert res.es(0.95) == pytest.approx(98.0)
    # n q = 95.5: k = 96; ES = (0.5 * 96 + 97 + 98 + 99 + 100) / 4.5 = 442 / 4.5
    assert res.var(0.955) == 96.0
    assert res.es(0.955) == pytest.approx(442 / 4.5)
    # n q = 99 exactly (0.99 * 100 in binary floating point): VaR is the 99th loss
    assert res.var(0.99) == 99.0
    assert res.es(0.99) == pytest.approx(100.0)
    assert res.el == pytest.approx(50.5)
    assert res.n_sims == 100


def test_es_with_an_atom_is_not_the_naive_tail_mean():
    # 90 scenarios lose 0, 10 lose 10: at q = 0.8 VaR = 0 (an atom) and
    # ES = (1/0.2) * (0.1 * 10 + 0 * ...) = 5, while "mean of losses >= VaR" is the EL = 1
    res = PortfolioLossResult(losses=np.r_[np.zeros(90), np.full(10, 10.0)], expected_loss=1.0,
                              n_obligors=1, total_exposure=10.0)
    assert res.var(0.8) == 0.0
    assert res.es(0.8) == pytest.approx(5.0)
    assert res.losses[res.losses >= res.var(0.8)].mean() == pytest.approx(1.0)
    assert res.es(0.95) == pytest.approx(10.0)
    assert res.var(0.91) == 10.0


def test_standard_errors_match_exponential_closed_forms():
    # Exp(lambda): VaR_q = -log(1-q)/lam, f(VaR_q) = lam (1-q),
    # sd(VaR_hat) = sqrt(q(1-q)/n) / f = sqrt(q / ((1-q) n)) / lam,
    # ES_q = VaR_q + 1/lam, sd(ES_hat) = sqrt((Var(L|L>VaR) + q (ES-VaR)^2) / (n(1-q)))
    #                                    = sqrt((1 + q) / (n (1-q))) / lam
    lam, n, q = 0.5, 200_000, 0.99
    losses = np.random.default_rng(3).exponential(1 / lam, n)
    res = PortfolioLossResult(losses=losses, expected_loss=1 / lam, n_obligors=1,
                              total_exposure=1e9)
    var_sd = math.sqrt(q / ((1 - q) * n)) / lam
    es_sd = math.sqrt((1 + q) / (n * (1 - q))) / lam
    assert res.var(q) == pytest.approx(-math.log(1 - q) / lam, abs=4 * var_sd)
    assert res.es(q) == pytest.approx(-math.log(1 - q) / lam + 1 / lam, abs=4 * es_sd)
    assert res.var_se(q) == pytest.approx(var_sd, rel=0.35)
    assert res.es_se(q) == pytest.approx(es_sd, rel=0.2)
    assert res.el_se == pytest.approx((1 / lam) / math.sqrt(n), rel=0.02)


def test_standard_errors_match_the_spread_over_replications():
    # frequentist check: the reported errors match the standard deviation of the
    # estimates over independent replications, and the 95 % VaR interval covers
    rng = np.random.default_rng(8)
    reps, n, q = 300, 10_000, 0.99
    true_var = -math.log(1 - q)
    est = {"var": [], "es": [], "el": []}
    se = {"var": [], "es": [], "el": []}
    covered = 0
    for _ in range(reps):
        res = PortfolioLossResult(losses=rng.exponential(1.0, n), expected_loss=1.0,
                                  n_obligors=1, total_exposure=1e9)
        est["var"].append(res.var(q)), se["var"].append(res.var_se(q))
        est["es"].append(res.es(q)), se["es"].append(res.es_se(q))
        est["el"].append(res.el), se["el"].append(res.el_se)
        lo, hi = res.var_ci(q, 0.95)
        covered += lo <= true_var <= hi
    for key, values in est.items():
        ratio = np.mean(se[key]) / np.std(values, ddof=1)
        assert 0.8 < ratio < 1.25, (key, ratio)
    # coverage 95 % +/- 4 binomial sd (the order-statistic interval is slightly conservative)
    assert abs(covered / reps - 0.95) <= 4 * math.sqrt(0.95 * 0.05 / reps) + 0.01


def test_to_frame_and_summary():
    res = portfolio_loss([0.02] * 200, 0.45, 100.0, 0.15, 5000, seed=2)
    frame = res.to_frame()
    assert list(frame.columns) == ["measure", "q", "value", "std_error"]
    assert list(frame["measure"]) == ["expected_loss", "el"] + ["var", "es"] * 3
    row = frame[(frame.measure == "es") & (frame.q == 0.99)].iloc[0]
    assert row.value == pytest.approx(res.es(0.99)) and row.std_error == pytest.approx(res.es_se(0.99))
    # 5000 * 0.001 = 5 scenarios beyond the 0.999 quantile: no standard error
    assert math.isnan(frame[(frame.measure == "var") & (frame.q == 0.999)].std_error.iloc[0])
    assert frame.loc[0, "value"] == pytest.approx(0.02 * 0.45 * 100 * 200)
    text = res.summary()
    assert "200 obligors" in text and "5,000 scenarios" in text and "VaR 0.99" in text
    with pytest.raises(LossInputError, match="at least 10"):
        res.var_se(0.999)
    assert res.losses.flags.writeable is False


# ---------------------------------------------------------------------- bad input

GOOD = {"pd": [0.01, 0.02], "lgd": 0.45, "ead": [1.0, 2.0], "rho": 0.12, "n_sims": 10, "seed": 1}


@pytest.mark.parametrize("change, pattern", [
    ({"pd": [0.01, 1.5]}, r"portfolio_loss: pd must be finite and in \[0, 1\]; 1 bad value\(s\) at \[1\]"),
    ({"pd": [0.01, np.nan]}, "portfolio_loss: pd must be finite"),
    ({"lgd": -0.1}, "portfolio_loss: lgd must be"),
    ({"ead": [1.0, -2.0]}, "portfolio_loss: ead must be finite and in"),
    ({"ead": [1.0, np.inf]}, "portfolio_loss: ead must be finite"),
    ({"rho": 1.0}, r"portfolio_loss: rho must be finite and in \[0, 1\)"),
    ({"rho": [0.1, 0.2, 0.3]}, "portfolio_loss: rho has 3 values but pd has 2"),
    ({"pd": [[0.01, 0.02]]}, "portfolio_loss: pd must be a number or one-dimensional"),
    ({"pd": ["a", "b"]}, "portfolio_loss: pd must be numeric"),
    ({"pd": [True, False]}, "portfolio_loss: pd must be numeric"),
    ({"pd": [], "ead": []}, "portfolio_loss: the book is empty"),
    ({"n_sims": 0}, "portfolio_loss: n_sims must be a positive integer"),
    ({"n_sims": 10.0}, "portfolio_loss: n_sims must be a positive integer"),
    ({"n_sims": True}, "portfolio_loss: n_sims must be a positive integer"),
    ({"seed": None}, "portfolio_loss: seed must be"),
    ({"seed": -1}, "portfolio_loss: seed must be"),
    ({"chunk_size": 0}, "portfolio_loss: chunk_size must be a positive integer"),
    ({"progress": "yes"}, "portfolio_loss: progress must be None, True or False"),
    ({"factor": ["a", "b"]}, "factor_correlation .* is required"),
    ({"factor_correlation": np.eye(2)}, "factor_correlation was given without factor"),
    ({"factor": ["a"]}, "factor must hold one sector label per obligor"),
    ({"factor": ["a", None], "factor_correlation": np.eye(2)}, "factor has 1 missing sector label"),
    ({"factor": ["a", "b"], "factor_correlation": np.eye(3)}, "factor_correlation must be 2 x 2"),
    ({"factor": ["a", "b"], "factor_correlation": [[1, 0.5], [0.4, 1]]}, "must be symmetric"),
    ({"factor": ["a", "b"], "factor_correlation": [[2, 0.5], [0.5, 1]]}, "unit diagonal"),
    ({"factor": ["a", "b"], "factor_correlation": [[1, 1.0], [1.0, 1]]}, "not positive definite"),
    ({"factor": ["a", "b"], "factor_correlation": pd.DataFrame(np.eye(2), index=["a", "c"],
                                                             columns=["a", "c"])},
     r"no row/column for sector\(s\) \['b'\]"),
])
def test_bad_input_names_the_parameter(change, pattern):
    kwargs = {**GOOD, **change}
    with pytest.raises(LossInputError, match=pattern) as info:
        portfolio_loss(**kwargs)
    assert isinstance(info.value, RiskkitError) and isinstance(info.value, ValueError)


def test_series_inputs_are_paired_by_label():
    pd_ = pd.Series([0.01, 0.02], index=["c1", "c2"])
    ead = pd.Series([2.0, 1.0], index=["c2", "c1"])
    got = portfolio_loss(pd_, 0.45, ead, 0.12, 500, seed=1)
    by_hand = portfolio_loss(pd_, 0.45, ead.reindex(pd_.index), 0.12, 500, seed=1)
    np.testing.assert_array_equal(got.losses, by_hand.losses)
    assert got.expected_loss == pytest.approx(0.45 * (0.01 * 1.0 + 0.02 * 2.0))
    with pytest.raises(LossInputError, match=r"portfolio_loss: ead and pd have different indexes: .*"
                                             r"only in pd \['c2'\]; .*only in ead \['c3'\]"):
        portfolio_loss(pd_, 0.45, pd.Series([1.0, 2.0], index=["c1", "c3"]), 0.12, 10, seed=1)
    with pytest.raises(LossInputError, match=r"pd must be .* at \['c2'\]"):
        portfolio_loss(pd.Series([0.01, 2.0], index=["c1", "c2"]), 0.45, 1.0, 0.12, 10, seed=1)
    res = portfolio_loss(pd_, 0.45, pd.Series([1.0, 2.0], index=["c1", "c2"]), 0.12, 10, seed=1)
    assert res.n_obligors == 2


def test_bad_levels():
    res = PortfolioLossResult(losses=np.arange(10.0), expected_loss=1.0, n_obligors=1,
                              total_exposure=10.0)
    for q in (0.0, 1.0, -0.5, "x"):
        with pytest.raises(LossInputError, match="q must be"):
            res.var(q)
    with pytest.raises(LossInputError, match="losses must be finite"):
        PortfolioLossResult(losses=np.array([1.0, -1.0]), expected_loss=0.0, n_obligors=1,
                            total_exposure=1.0)
