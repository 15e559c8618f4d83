"""concentration (HHI, top-N) and granularity_adjustment against hand computations.

References: HHI / effective number / top-N shares computed by hand on small books; the
Gordy & Luetkebohmert (2013) simplified granularity adjustment written out for a 3-name
book (IRB K_i with scipy.stats.norm, delta with scipy.stats.gamma: the published 4.83),
the Martin & Wilde (2002) first-order formula evaluated by numerical differentiation
(an independent route to the same number), and the limit of an infinitely granular book.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats import norm

from riskkit._core.errors import RiskkitError
from riskkit.limits import LossInputError, concentration, granularity_adjustment


def book() -> pd.DataFrame:
    return pd.DataFrame({
        "ead": [50.0, 30.0, 15.0, 5.0, 0.0],
        "group_id": ["g1", "g1", None, "g2", "g3"],
        "industry": ["steel", "retail", "steel", "retail", "food"],
        "region": ["east", "east", "east", "west", "west"],
    }, index=pd.Index(["C1", "C2", "C3", "C4", "C5"], name="customer_id"))


def test_hhi_and_shares_by_hand():
    res = concentration(book(), top_n=(1, 2, 10))
    # customers: shares 0.50, 0.30, 0.15, 0.05 (C5 has no exposure)
    hhi = 0.5 ** 2 + 0.3 ** 2 + 0.15 ** 2 + 0.05 ** 2                     # 0.365
    assert res.value("customer_id", "hhi") == pytest.approx(0.365)
    assert hhi == pytest.approx(0.365)
    assert res.value("customer_id", "n_names") == 4
    assert res.value("customer_id", "hhi_normalised") == pytest.approx((0.365 - 0.25) / 0.75)
    assert res.value("customer_id", "effective_number") == pytest.approx(1 / 0.365)
    assert res.value("customer_id", "top_1_share") == pytest.approx(0.5)
    assert res.value("customer_id", "top_2_share") == pytest.approx(0.8)
    assert res.value("customer_id", "top_10_share") == pytest.approx(1.0)
    # groups: g1 = C1 + C2 = 80, C3 stands alone (no group) = 15, g2 = 5
    assert res.value("group_id", "hhi") == pytest.approx(0.8 ** 2 + 0.15 ** 2 + 0.05 ** 2)
    assert list(res.shares["group_id"].index) == ["g1", "C3", "g2"]
    # industry: steel 65, retail 35
    assert res.value("industry", "hhi") == pytest.approx(0.65 ** 2 + 0.35 ** 2)
    assert res.value("industry", "hhi_normalised") == pytest.approx((0.545 - 0.5) / 0.5)
    # region: east 95, west 5
    assert res.value("region", "top_1_share") == pytest.approx(0.95)
    table = res.shares["customer_id"]
    assert list(table.columns) == ["ead", "share", "rank", "cumulative_share"]
    assert list(table.index) == ["C1", "C2", "C3", "C4"] and table.index.name == "customer_id"
    np.testing.assert_allclose(table["cumulative_share"], [0.5, 0.8, 0.95, 1.0])
    assert list(table["rank"]) == [1, 2, 3, 4]
    frame = res.to_frame()
    assert list(frame.columns) == ["dimension", "measure", "value"]
    assert set(frame["dimension"]) == {"customer_id", "group_id", "industry", "region"}
    assert len(frame) == 4 * (4 + 3)
    assert res.total_ead == 100.0
    assert "HHI 0.3650" in res.summary()


def test_rows_of_one_customer_add_up_and_by_selects_dimensions():
    df = pd.DataFrame({"customer_id": ["A", "A", "B"], "ead": [30.0, 30.0, 40.0],
                       "industry": ["x", "x", "y"]})
    res = concentration(df, by="customer_id")
    assert res.value("customer_id", "hhi") == pytest.approx(0.6 ** 2 + 0.4 ** 2)
    assert list(res.shares) == ["customer_id"]
    single = concentration(pd.DataFrame({"ead": [5.0]}, index=["only"]))
    assert single.value("customer_id", "hhi_normalised") == 1.0
    assert single.value("customer_id", "effective_number") == 1.0


def test_equal_exposures_have_effective_number_n():
    df = pd.DataFrame({"ead": np.full(250, 7.0)}, index=[f"c{i}" for i in range(250)])
    res = concentration(df, top_n=(10,))
    assert res.value("customer_id", "hhi") == pytest.approx(1 / 250)
    assert res.value("customer_id", "effective_number") == pytest.approx(250)
    assert res.value("customer_id", "hhi_normalised") == pytest.approx(0.0, abs=1e-12)
    assert res.value("customer_id", "top_10_share") == pytest.approx(10 / 250)


@pytest.mark.parametrize("call, pattern", [
    (lambda: concentration([1, 2]), "exposures must be a DataFrame"),
    (lambda: concentration(pd.DataFrame({"x": [1.0]})), "exposures has no column 'ead'"),
    (lambda: concentration(book().assign(ead=[1.0, -2.0, 0, 0, 0])), r"ead must be finite and in .* at \['C2'\]"),
    (lambda: concentration(book().assign(ead=[1.0, np.nan, 0, 0, 0])), "ead must be finite"),
    (lambda: concentration(book().assign(ead=0.0)), "the total ead is 0"),
    (lambda: concentration(book().assign(industry=["a", None, "b", "b", None])),
     r"column 'industry' has 2 missing value\(s\) \(customers \['C2', 'C5'\]\)"),
    (lambda: concentration(book(), by=["sector"]), r"unknown column\(s\) \['sector'\]"),
    (lambda: concentration(book(), top_n=(0, 5)), "top_n must be positive integers"),
    (lambda: concentration(book(), top_n=(2.5,)), "top_n must be positive integers"),
    (lambda: concentration(book().assign(ead="x")), "ead must be numeric"),
])
def test_concentration_bad_input(call, pattern):
    with pytest.raises(LossInputError, match=pattern) as info:
        call()
    assert isinstance(info.value, RiskkitError)


# ---------------------------------------------------------------------- granularity adjustment

def basel_k(pd_, lgd, q=0.999):
    w = (1 - np.exp(-50 * pd_)) / (1 - np.exp(-50))
    r = 0.12 * w + 0.24 * (1 - w)
    return lgd * (norm.cdf((norm.ppf(pd_) + np.sqrt(r) * norm.ppf(q)) / np.sqrt(1 - r)) - pd_)


def test_delta_is_the_published_4_83():
    # X ~ Gamma(shape 0.25, scale 4): mean 1, variance 4; delta = (a - 1)(xi + (1 - xi)/a)
    a = stats.gamma.ppf(0.999, 0.25, scale=4.0)
    delta = (a - 1) * (0.25 + 0.75 / a)
    assert delta == pytest.approx(4.83, abs=0.005)
    res = granularity_adjustment([1.0, 2.0], [0.01, 0.02])
    assert res.delta == pytest.approx(delta, rel=1e-12)


def test_three_name_book_by_hand():
    ead = np.array([100.0, 50.0, 25.0])
    pd_ = np.array([0.01, 0.02, 0.005])
    lgd = np.array([0.45, 0.45, 0.25])
    s = ead / 175.0                                   # 4/7, 2/7, 1/7
    k = basel_k(pd_, lgd)
    r = lgd * pd_
    c = 0.25 + 0.75 * lgd                             # (ELGD^2 + VLGD^2) / ELGD
    a = stats.gamma.ppf(0.999, 0.25, scale=4.0)
    delta = (a - 1) * (0.25 + 0.75 / a)
    k_star = float(s @ k)
    ga = float(np.sum(s ** 2 * c * (delta * (k + r) - k)) / (2 * k_star))
    res = granularity_adjustment(ead, pd_, lgd)
    assert res.ga == pytest.approx(ga, rel=1e-12)
    assert res.k_star == pytest.approx(k_star, rel=1e-12)
    assert res.ga_amount == pytest.approx(ga * 175.0, rel=1e-12)
    np.testing.assert_allclose(res.names["share"], [4 / 7, 2 / 7, 1 / 7])
    np.testing.assert_allclose(res.names["k"], k, rtol=1e-12)
    np.testing.assert_allclose(res.names["r"], r)
    np.testing.assert_allclose(res.names["c"], [0.5875, 0.5875, 0.4375])
    assert res.names["contribution"].sum() == pytest.approx(res.ga)
    # a first-order add-on: large for 3 names (HHI 0.41), it shrinks with HHI, see below
    assert res.ga > 0
    assert "Granularity adjustment" in res.summary()


def test_equals_the_martin_wilde_formula_by_numerical_differentiation():
    # GA = -1/(2 h(x)) d/dx [h(x) sigma^2(x) / mu'(x)] at x = a_q, CreditRisk+ one-factor
    # model: h the Gamma(xi, 1/xi) density, mu(x) = sum s ELGD PD (1 + w (x - 1)) with
    # w_i = K_i / (ELGD_i PD_i (a_q - 1)), sigma^2(x) = sum s^2 E[LGD^2] PD (1 + w (x - 1))
    rng = np.random.default_rng(3)
    n = 12
    ead = rng.lognormal(0, 1, n)
    pd_ = rng.uniform(0.002, 0.05, n)
    lgd = rng.uniform(0.2, 0.8, n)
    s = ead / ead.sum()
    k = basel_k(pd_, lgd)
    xi, q = 0.25, 0.999
    a = stats.gamma.ppf(q, xi, scale=1 / xi)
    w = k / (lgd * pd_ * (a - 1))
    e_lgd2 = lgd ** 2 + 0.25 * lgd * (1 - lgd)
    mu_prime = float(np.sum(s * lgd * pd_ * w))

    def g(x):
        sigma2 = np.sum(s ** 2 * e_lgd2 * pd_ * (1 + w * (x - 1)))
        return stats.gamma.pdf(x, xi, scale=1 / xi) * sigma2 / mu_prime

    step = 1e-5
    derivative = (g(a + step) - g(a - step)) / (2 * step)
    ga_mw = -derivative / (2 * stats.gamma.pdf(a, xi, scale=1 / xi))
    assert granularity_adjustment(ead, pd_, lgd).ga == pytest.approx(ga_mw, rel=1e-6)


def test_vanishes_for_an_infinitely_granular_book():
    pd_, lgd = 0.01, 0.45
    k = float(basel_k(np.array(pd_), np.array(lgd)))
    a = stats.gamma.ppf(0.999, 0.25, scale=4.0)
    delta = (a - 1) * (0.25 + 0.75 / a)
    per_hhi = (0.25 + 0.75 * lgd) * (delta * (k + lgd * pd_) - k) / (2 * k)
    previous = math.inf
    for n in (1, 10, 100, 10_000, 1_000_000):
        ga = granularity_adjustment(np.ones(n), pd_, lgd).ga
        assert ga == pytest.approx(per_hhi / n, rel=1e-9)     # homogeneous: GA = HHI x const
        assert ga < previous
        previous = ga
    assert previous < 1e-4 * k                       # 10^6 equal names: negligible
    # a heterogeneous book: GA proportional to HHI when PD/LGD are the same for all
    ead = np.array([5.0, 1.0, 1.0, 3.0])
    hhi = float(np.sum((ead / ead.sum()) ** 2))
    assert granularity_adjustment(ead, pd_, lgd).ga == pytest.approx(per_hhi * hhi, rel=1e-9)


def test_capital_override_and_series():
    ead = pd.Series([10.0, 20.0], index=["a", "b"])
    res = granularity_adjustment(ead, pd.Series([0.01, 0.02], index=["a", "b"]), 0.45,
                                 capital=pd.Series([0.08, 0.10], index=["a", "b"]))
    assert list(res.names.index) == ["a", "b"]
    np.testing.assert_allclose(res.names["k"], [0.08, 0.10])
    assert res.k_star == pytest.approx((10 * 0.08 + 20 * 0.10) / 30)


@pytest.mark.parametrize("kwargs, pattern", [
    ({"ead": [1.0, 2.0], "pd": [0.01, 1.0]}, r"granularity_adjustment: pd must be finite and in \[0, 1\)"),
    ({"ead": [1.0, 2.0], "pd": [0.01, 0.02], "lgd": 0.0}, r"lgd must be finite and in \(0, 1\]"),
    ({"ead": [0.0, 0.0], "pd": [0.01, 0.02]}, "the total ead is 0"),
    ({"ead": [1.0, -2.0], "pd": [0.01, 0.02]}, "ead must be"),
    ({"ead": [1.0, 2.0], "pd": [0.01, 0.02], "q": 1.0}, "q must be in"),
    ({"ead": [1.0, 2.0], "pd": [0.01, 0.02], "lgd_variance": 2.0}, "lgd_variance must be"),
    ({"ead": [1.0, 2.0], "pd": [0.01, 0.02], "capital": [0.0, 0.0]}, "K\\* = sum s_i K_i is 0"),
    ({"ead": [1.0, 2.0], "pd": [0.01, 0.02], "asset_class": "bank"}, "asset_class must be one of"),
])
def test_granularity_adjustment_bad_input(kwargs, pattern):
    with pytest.raises(LossInputError, match=pattern):
        granularity_adjustment(**kwargs)
