"""Stability and migration statistics against scipy, pandas, Monte Carlo and hand computations
(Yurdakul 2018 for the PSI critical value; ECB 2019 instructions for HI, MWB and the
migration-matrix z-tests)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import riskkit.validation as rkv


# --- PSI / CSI ---------------------------------------------------------------------------

def test_psi_is_symmetric_kullback_leibler_divergence():
    rng = np.random.default_rng(0)
    expected = rng.normal(size=3000)
    actual = rng.normal(0.3, 1.2, size=2000)
    r = rkv.psi(expected, actual, bins=10)
    e = r.table["expected_share"].to_numpy()
    a = r.table["actual_share"].to_numpy()
    assert r.statistic == pytest.approx(stats.entropy(a, e) + stats.entropy(e, a), rel=1e-12)
    # quantile bins of the expected sample hold ~10 % each
    np.testing.assert_allclose(e, 0.1, atol=1e-3)
    assert r.table["expected_count"].sum() == 3000 and r.table["actual_count"].sum() == 2000


def test_psi_hand_example_with_categories():
    # grades A/B/C: expected 50/30/20 %, actual 40/30/30 %
    expected = ["A"] * 50 + ["B"] * 30 + ["C"] * 20
    actual = ["A"] * 40 + ["B"] * 30 + ["C"] * 30
    hand = (0.4 - 0.5) * math.log(0.4 / 0.5) + 0 + (0.3 - 0.2) * math.log(0.3 / 0.2)
    r = rkv.psi(expected, actual)
    assert r.statistic == pytest.approx(hand, rel=1e-12)
    assert r.n_bins == 3
    crit = (1 / 100 + 1 / 100) * stats.chi2.ppf(0.95, 2)
    assert r.critical_value == pytest.approx(crit, rel=1e-12)
    assert r.pvalue == pytest.approx(stats.chi2.sf(hand / (2 / 100), 2), rel=1e-12)
    assert r.verdict == "green"  # 0.0628 < 0.10


def test_psi_bands_are_conventional():
    base = np.repeat(np.arange(4), 250)
    shifted = np.repeat(np.arange(4), [100, 200, 300, 400])
    assert rkv.psi(base, base, bins="categories").verdict == "green"
    r = rkv.psi(base, shifted, bins="categories")  # PSI = 0.228
    assert 0.10 <= r.statistic < 0.25 and r.verdict == "amber"
    r = rkv.psi(base, np.repeat(np.arange(4), [50, 100, 250, 600]), bins="categories")
    assert r.statistic >= 0.25 and r.verdict == "red"


def test_psi_critical_value_by_monte_carlo():
    """Under H0 with fixed bins, PSI / (1/N_E + 1/N_A) ~ chi^2_{B-1} (Yurdakul 2018): the
    simulated 95 % quantile matches the critical value, and riskkit's p-value rejects about
    5 % of samples drawn from one distribution."""
    rng = np.random.default_rng(1)
    probs = np.array([0.05, 0.1, 0.15, 0.2, 0.2, 0.15, 0.1, 0.05])
    ne, na, sims = 2000, 3000, 20000
    e = rng.multinomial(ne, probs, size=sims) / ne
    a = rng.multinomial(na, probs, size=sims) / na
    simulated = ((a - e) * np.log(a / e)).sum(axis=1)
    codes = np.arange(probs.size)
    r = rkv.psi(np.repeat(codes, (probs * ne).astype(int)), np.repeat(codes, (probs * na).astype(int)),
                bins="categories")
    assert np.quantile(simulated, 0.95) == pytest.approx(r.critical_value, rel=0.03)
    rejections = [rkv.psi(rng.choice(codes, ne, p=probs), rng.choice(codes, na, p=probs),
                          bins="categories").pvalue < 0.05 for _ in range(400)]
    assert 0.025 < np.mean(rejections) < 0.08


def test_psi_explicit_edges_empty_bins_and_missing():
    r = rkv.psi([0.1, 0.2, 0.6, 0.7], [0.15, 0.25, 0.3, 0.35], bins=[0, 0.5, 1])
    # actual has no value in [0.5, inf): share floored at epsilon = 1e-4
    hand = (1 - 0.5) * math.log(1 / 0.5) + (1e-4 - 0.5) * math.log(1e-4 / 0.5)
    assert r.statistic == pytest.approx(hand, rel=1e-12)
    with pytest.raises(ValueError, match=r"expected has missing or infinite values in 1 row"):
        rkv.psi([0.1, np.nan, 0.3], [0.2, 0.3])
    r = rkv.psi([0.1, np.nan, 0.3, 0.4], [0.2, 0.3, np.nan, np.nan], bins=[0, 0.25, 1], missing="bin")
    assert list(r.table["bin"]) == ["[-inf, 0.25)", "[0.25, inf)", "missing"]
    assert list(r.table["actual_count"]) == [1, 1, 2]
    with pytest.raises(ValueError, match="bins"):
        rkv.psi([1.0, 2.0], [1.0, 2.0], bins=[3, 1])


def test_csi_is_psi_per_characteristic():
    rng = np.random.default_rng(2)
    dev = pd.DataFrame({"dso_days": rng.gamma(3, 15, 2000), "industry": rng.choice(["a", "b", "c"], 2000)})
    cur = pd.DataFrame({"dso_days": rng.gamma(3, 18, 1500), "industry": rng.choice(["a", "b", "c"], 1500,
                                                                                   p=[0.5, 0.3, 0.2])})
    r = rkv.csi(dev, cur)
    assert list(r.scope) == ["dso_days", "industry"]
    for i, col in enumerate(dev.columns):
        single = rkv.psi(dev[col], cur[col])
        assert r.statistic[i] == pytest.approx(single.statistic)
        e = single.table["expected_share"].to_numpy()
        a = single.table["actual_share"].to_numpy()
        assert r.statistic[i] == pytest.approx(stats.entropy(a, e) + stats.entropy(e, a), rel=1e-10)
    assert set(r.table["characteristic"]) == {"dso_days", "industry"}
    with pytest.raises(ValueError, match="missing from actual"):
        rkv.csi(dev, cur.drop(columns="industry"))


# --- Herfindahl index ----------------------------------------------------------------------

def test_herfindahl_index_hand_computation():
    grade = [1] + [2] * 2 + [3] * 3 + [4] * 4  # shares 0.1, 0.2, 0.3, 0.4
    hhi = 0.01 + 0.04 + 0.09 + 0.16
    assert rkv.herfindahl_index(grade) == pytest.approx(1 + math.log(hhi) / math.log(4), rel=1e-12)
    assert rkv.herfindahl_index([1, 2, 3, 4]) == pytest.approx(0.0, abs=1e-12)
    assert rkv.herfindahl_index([2, 2, 2], grades=[1, 2, 3]) == pytest.approx(1.0)
    # exposure-weighted: exposures 1, 1, 2 in grades 1, 1, 2 -> shares 0.5, 0.5
    assert rkv.herfindahl_index([1, 1, 2], [1.0, 1.0, 2.0]) == pytest.approx(0.0, abs=1e-12)
    # an empty grade of the scale counts in K
    assert rkv.herfindahl_index([1, 2], grades=[1, 2, 3]) == pytest.approx(1 + math.log(0.5) / math.log(3))


def test_herfindahl_test_hand_computation():
    current = [1] + [2] * 2 + [3] * 3 + [4] * 4
    initial = [1, 2, 3, 4] * 5
    cv_c = math.sqrt(4 * ((0.1 - 0.25) ** 2 + (0.2 - 0.25) ** 2 + (0.3 - 0.25) ** 2 + (0.4 - 0.25) ** 2))
    z = math.sqrt(3) * (cv_c - 0.0) / math.sqrt(cv_c ** 2 * (0.5 + cv_c ** 2))  # = 2.0702
    r = rkv.herfindahl_test(current, initial)
    assert r.statistic == pytest.approx(z, rel=1e-12)
    assert r.pvalue == pytest.approx(1 - stats.norm.cdf(z), rel=1e-12)
    assert r.verdict == "red"  # p = 0.019 < 0.05
    assert r.hi_initial == pytest.approx(0.0, abs=1e-12)
    back = rkv.herfindahl_test(initial, current)  # concentration fell: cannot reject
    assert back.pvalue == 1.0 and back.verdict == "green"
    with pytest.raises(ValueError, match="both exposure"):
        rkv.herfindahl_test(current, initial, exposure=np.ones(10))
    with pytest.raises(ValueError, match="not in the grade list"):
        rkv.herfindahl_test(current, initial, grades=[1, 2, 3])


# --- migration -----------------------------------------------------------------------------

COUNTS = np.array([[5, 3, 2], [1, 6, 3], [0, 2, 8]])


def _grades_from_counts(counts):
    k = counts.shape[0]
    rows, cols = np.indices((k, k))
    return np.repeat(rows.ravel() + 1, counts.ravel()), np.repeat(cols.ravel() + 1, counts.ravel())


def test_migration_matrix_matches_crosstab():
    rng = np.random.default_rng(3)
    a = rng.integers(1, 6, 500)
    b = np.clip(a + rng.integers(-2, 3, 500), 1, 5)
    mm = rkv.migration_matrix(a, b)
    ref = pd.crosstab(a, b)
    np.testing.assert_array_equal(mm.counts.to_numpy(), ref.to_numpy())
    np.testing.assert_allclose(mm.shares.to_numpy(), pd.crosstab(a, b, normalize="index").to_numpy())
    tidy = mm.to_frame()
    assert list(tidy.columns) == ["grade_from", "grade_to", "count", "share"] and len(tidy) == 25
    # a grade of the scale nobody holds still gets a row and a column
    mm = rkv.migration_matrix(["A", "B"], ["B", "B"], grades=["A", "B", "C"])
    assert mm.counts.shape == (3, 3) and mm.n_from.tolist() == [1, 1, 0]
    with pytest.raises(ValueError, match="not in"):
        rkv.migration_matrix(["A", "D"], ["A", "A"], grades=["A", "B"])
    with pytest.raises(ValueError, match="length mismatch"):
        rkv.migration_matrix([1, 2], [1])
    with pytest.raises(ValueError, match="missing grades"):
        rkv.migration_matrix([1, None], [1, 2])


def test_mwb_hand_computation():
    # upper: cells (1,2) d=1 N=3, (1,3) d=2 N=2, (2,3) d=1 N=3 -> 10;
    # M_upper = max(2,0)*(3+2) + max(1,1)*3 = 13.  lower: (2,1) 1*1, (3,2) 1*2 -> 3;
    # M_lower = max(1,1)*1 + max(0,2)*(0+2) = 5.
    r = rkv.migration_weighted_bandwidth(COUNTS)
    np.testing.assert_allclose(r.statistic, [10 / 13, 3 / 5], rtol=1e-12)
    assert list(r.scope) == ["upper", "lower"]
    a, b = _grades_from_counts(COUNTS)
    again = rkv.migration_weighted_bandwidth(rkv.migration_matrix(a, b))
    np.testing.assert_allclose(again.statistic, r.statistic)
    nothing = rkv.migration_weighted_bandwidth(np.diag([3, 4, 5]))
    assert np.isnan(nothing.statistic).all() and list(nothing.verdict) == ["n/a", "n/a"]


def test_migration_stability_row_hand_computation():
    r = rkv.migration_stability_test(COUNTS)
    frame = r.to_frame().set_index("scope")
    # row 1: p = (0.5, 0.3, 0.2); cell 1->3 vs its neighbour 1->2
    z13 = (0.3 - 0.2) / math.sqrt((0.2 * 0.8 + 0.3 * 0.7 + 2 * 0.2 * 0.3) / 10)
    assert frame.loc["1->3", "statistic"] == pytest.approx(z13, rel=1e-12)
    assert frame.loc["1->3", "pvalue"] == pytest.approx(stats.norm.cdf(z13), rel=1e-12)
    # row 3: p = (0, 0.2, 0.8); cell 3->1 vs 3->2
    z31 = (0.2 - 0.0) / math.sqrt((0 + 0.2 * 0.8 + 0) / 10)
    assert frame.loc["3->1", "statistic"] == pytest.approx(z31, rel=1e-12)
    assert len(frame) == 6


def test_migration_stability_variance_by_monte_carlo():
    # Var(p_near - p_ij) within one multinomial row = (p_ij q_ij + p_near q_near + 2 p_ij p_near)/N
    rng = np.random.default_rng(4)
    probs, n = np.array([0.5, 0.3, 0.2]), 200
    draws = rng.multinomial(n, probs, size=100_000) / n
    hand = (0.2 * 0.8 + 0.3 * 0.7 + 2 * 0.2 * 0.3) / n
    assert np.var(draws[:, 1] - draws[:, 2]) == pytest.approx(hand, rel=0.02)


def test_migration_stability_flags_non_monotone_rows_and_columns():
    counts = np.array([[50, 5, 30], [5, 50, 5], [2, 5, 50]])  # 1->3 far larger than 1->2
    row = rkv.migration_stability_test(counts).to_frame().set_index("scope")
    assert row.loc["1->3", "verdict"] == "red"
    assert row.loc["2->3", "verdict"] == "green"
    col = rkv.migration_stability_test(counts, axis="column").to_frame().set_index("scope")
    # column 3: p_13 = 30/85 vs p_23 = 5/60, independent rows
    p13, p23 = 30 / 85, 5 / 60
    z = (p23 - p13) / math.sqrt(p13 * (1 - p13) / 85 + p23 * (1 - p23) / 60)
    assert col.loc["1->3", "statistic"] == pytest.approx(z, rel=1e-12)
    assert col.loc["1->3", "verdict"] == "red"
    with pytest.raises(ValueError, match="axis"):
        rkv.migration_stability_test(counts, axis="diagonal")
    with pytest.raises(ValueError, match="square"):
        rkv.migration_stability_test(np.ones((2, 3)))
