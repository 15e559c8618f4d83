"""Discrimination statistics against independent references: pROC's published aSAH values,
scikit-learn, scipy, a brute-force O(n^2) DeLong written here, and hand computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

import riskkit.validation as rkv

ASAH = Path(__file__).parent / "data" / "aSAH.csv"


@pytest.fixture(scope="module")
def asah():
    df = pd.read_csv(ASAH)
    # pROC convention: cases = outcome "Poor", controls "Good", higher predictor = more likely Poor
    y = (df["outcome"] == "Poor").astype(int)
    return y, df


def brute_force_delong(y, scores):
    """DeLong, DeLong & Clarke-Pearson (1988) straight from the definitions, O(m n):
    psi(x, y) = 1 if x > y, 1/2 if equal; V10_i = mean_j psi(x_i, y_j); V01_j = mean_i psi(x_i, y_j);
    Cov = S10/m + S01/n with sample covariances."""
    y = np.asarray(y).astype(bool)
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    x, z = scores[:, y], scores[:, ~y]
    psi = (x[:, :, None] > z[:, None, :]) + 0.5 * (x[:, :, None] == z[:, None, :])
    aucs = psi.mean(axis=(1, 2))
    v10, v01 = psi.mean(axis=2), psi.mean(axis=1)
    m, n = x.shape[1], z.shape[1]
    return aucs, np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n


def random_data(seed, n=400, ties=False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.25).astype(int)
    a = rng.normal(size=n) + 0.8 * y
    b = 0.6 * a + rng.normal(size=n) + 0.3 * y
    if ties:
        a, b = np.round(a), np.round(b * 2) / 2
    return y, a, b


# --- pROC aSAH reference values (pROC test suite; /work/shared/data/README.md) ---------

def test_asah_auc_matches_proc(asah):
    y, df = asah
    assert rkv.auc(y, df["wfns"]).auc == pytest.approx(0.823678861788618, abs=1e-10)
    assert rkv.auc(y, df["ndka"]).auc == pytest.approx(0.611957994579946, abs=1e-10)


@pytest.mark.parametrize("column, variance", [
    ("wfns", 0.00146991470882363),
    ("ndka", 0.0031908105493913),
    ("s100b", 0.00266868245717244),
])
def test_asah_delong_variance_matches_proc(asah, column, variance):
    y, df = asah
    assert rkv.auc(y, df[column]).variance == pytest.approx(variance, abs=1e-10)


def test_asah_paired_delong_matches_proc(asah):
    y, df = asah
    r = rkv.delong_test(y, df["wfns"], df["s100b"])
    assert r.statistic == pytest.approx(2.20898359144091, abs=1e-10)
    assert r.pvalue == pytest.approx(0.0271757822291882, abs=1e-10)
    assert r.verdict == "red"  # p < 0.05 with the default delong thresholds


def test_asah_unpaired_delong_matches_proc(asah):
    """pROC 1.18.0: roc.test(roc(outcome, wfns), roc(outcome, ndka), paired = FALSE,
    method = "delong") prints D = 3.10125096778969, df = 197.125250631218,
    p-value = 0.00220950791756457 (/work/shared/data/README.md)."""
    y, df = asah
    r = rkv.delong_test_unpaired(y, df["wfns"], y, df["ndka"])
    assert r.statistic == pytest.approx(3.10125096778969, abs=1e-10)
    assert r.df == pytest.approx(197.125250631218, abs=1e-8)
    assert r.pvalue == pytest.approx(0.00220950791756457, abs=1e-12)
    assert r.verdict == "red"
    # the normal reference the kit used before gives a visibly different p-value
    assert r.pvalue - 2 * stats.norm.sf(r.statistic) > 2.5e-4  # 0.002210 (t) vs 0.001927 (normal)


def test_unpaired_welch_df_from_placements_written_out(asah):
    """The Welch-Satterthwaite df from the DeLong variance components computed by hand:
    placements V10_i = mean_j psi(x_i, y_j), V01_j = mean_i psi(x_i, y_j), S10, S01 their
    sample variances, V = S10/m + S01/n; df = (V_a + V_b)^2 / sum V^2/(N - 1).  Two
    samples of different sizes (the first 70 and the last 43 patients)."""
    y, df = asah
    first, last = slice(0, 70), slice(70, None)
    parts = []
    for rows, column in ((first, "wfns"), (last, "s100b")):
        yy = y.to_numpy()[rows].astype(bool)
        s = df[column].to_numpy(float)[rows]
        cases, controls = s[yy], s[~yy]
        psi = [[1.0 if c > d else 0.5 if c == d else 0.0 for d in controls] for c in cases]
        v10 = [sum(row) / len(controls) for row in psi]
        v01 = [sum(psi[i][j] for i in range(len(cases))) / len(cases) for j in range(len(controls))]
        theta = sum(v10) / len(cases)
        s10 = sum((v - theta) ** 2 for v in v10) / (len(cases) - 1)
        s01 = sum((v - theta) ** 2 for v in v01) / (len(controls) - 1)
        parts.append((theta, s10 / len(cases) + s01 / len(controls), len(cases) + len(controls)))
    (a1, v1, n1), (a2, v2, n2) = parts
    d = (a1 - a2) / (v1 + v2) ** 0.5
    welch = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    r = rkv.delong_test_unpaired(y[first], df["wfns"][first], y[last], df["s100b"][last])
    assert (r.n_a, r.n_b) == (70, 43)
    assert r.statistic == pytest.approx(d, rel=1e-12)
    assert r.df == pytest.approx(welch, rel=1e-12)
    assert r.pvalue == pytest.approx(2 * stats.t.sf(abs(d), welch), rel=1e-12)
    less = rkv.delong_test_unpaired(y[first], df["wfns"][first], y[last], df["s100b"][last],
                                    alternative="less")
    greater = rkv.delong_test_unpaired(y[first], df["wfns"][first], y[last], df["s100b"][last],
                                       alternative="greater")
    assert less.pvalue == pytest.approx(stats.t.cdf(d, welch), rel=1e-12)
    assert greater.pvalue == pytest.approx(stats.t.sf(d, welch), rel=1e-12)


def test_paired_one_sided_verdicts_follow_the_favourable_direction(asah):
    """wfns beats s100b (z = 2.209, pROC): two-sided the AUCs differ (red); judged as a
    champion against s100b (H1: champion worse) the result is favourable, hence green."""
    y, df = asah
    z = 2.20898359144091
    champion = rkv.delong_test(y, df["wfns"], df["s100b"], alternative="less")
    assert champion.statistic == pytest.approx(z, abs=1e-10)
    assert champion.pvalue == pytest.approx(stats.norm.cdf(z), abs=1e-12)
    assert champion.verdict == "green"
    challenger = rkv.delong_test(y, df["s100b"], df["wfns"], alternative="less")
    assert challenger.pvalue == pytest.approx(stats.norm.sf(z), abs=1e-12)
    assert challenger.verdict == "red"  # s100b as champion is significantly worse
    greater = rkv.delong_test(y, df["wfns"], df["s100b"], alternative="greater")
    assert greater.pvalue == pytest.approx(challenger.pvalue, abs=1e-15)
    with pytest.raises(ValueError, match="alternative"):
        rkv.delong_test(y, df["wfns"], df["s100b"], alternative="smaller")
    with pytest.raises(ValueError, match="alternative"):
        rkv.delong_test_unpaired(y, df["wfns"], y, df["s100b"], alternative="two.sided")


def test_asah_wfns_is_a_grade_with_ties(asah):
    # wfns is a 1-5 clinical grade: many ties, each counting 1/2 (same as sklearn)
    y, df = asah
    assert rkv.auc(y, df["wfns"]).auc == pytest.approx(roc_auc_score(y, df["wfns"]), abs=1e-14)


# --- sklearn / brute force on random data ------------------------------------------

@pytest.mark.parametrize("seed, ties", [(0, False), (1, True), (2, False), (3, True)])
def test_auc_and_variance_match_brute_force(seed, ties):
    y, a, _ = random_data(seed, ties=ties)
    r = rkv.auc(y, a)
    ref_auc, ref_cov = brute_force_delong(y, a)
    assert r.auc == pytest.approx(roc_auc_score(y, a), abs=1e-12)
    assert r.auc == pytest.approx(ref_auc[0], abs=1e-12)
    assert r.variance == pytest.approx(ref_cov[0, 0], rel=1e-10)


@pytest.mark.parametrize("seed, ties", [(4, False), (5, True)])
def test_paired_delong_matches_brute_force(seed, ties):
    y, a, b = random_data(seed, ties=ties)
    aucs, cov = brute_force_delong(y, np.vstack([a, b]))
    z = (aucs[0] - aucs[1]) / np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    r = rkv.delong_test(y, a, b)
    assert r.statistic == pytest.approx(z, rel=1e-10)
    assert r.pvalue == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)
    assert r.auc_a == pytest.approx(aucs[0]) and r.auc_b == pytest.approx(aucs[1])


def test_unpaired_delong_matches_brute_force():
    y1, a, _ = random_data(6, n=300)
    y2, b, _ = random_data(7, n=250)
    b = 0.5 * b
    (auc1,), cov1 = brute_force_delong(y1, a)
    (auc2,), cov2 = brute_force_delong(y2, b + np.random.default_rng(8).normal(size=250))
    r = rkv.delong_test_unpaired(y1, a, y2, b + np.random.default_rng(8).normal(size=250))
    z = (auc1 - auc2) / np.sqrt(cov1[0, 0] + cov2[0, 0])
    assert r.statistic == pytest.approx(z, rel=1e-10)
    # pROC refers the statistic to Student t with Welch-Satterthwaite df (issue 13), not to a
    # normal: df = (V1 + V2)^2 / (V1^2/(N1 - 1) + V2^2/(N2 - 1)), N = all observations
    v1, v2 = cov1[0, 0], cov2[0, 0]
    df = (v1 + v2) ** 2 / (v1 ** 2 / (300 - 1) + v2 ** 2 / (250 - 1))
    assert r.df == pytest.approx(df, rel=1e-10)
    assert r.pvalue == pytest.approx(2 * stats.t.sf(abs(z), df), rel=1e-10)


def test_higher_is_safer_scores():
    y, a, _ = random_data(9)
    safer = -a  # e.g. scorecard points: higher = safer
    assert rkv.auc(y, safer, higher_is_riskier=False).auc == pytest.approx(roc_auc_score(y, a), abs=1e-12)
    assert rkv.auc(y, safer).auc == pytest.approx(1 - roc_auc_score(y, a), abs=1e-12)
    assert rkv.gini(y, safer, higher_is_riskier=False) == pytest.approx(2 * roc_auc_score(y, a) - 1)


def test_ordered_categorical_grades():
    rng = np.random.default_rng(10)
    codes = rng.integers(0, 5, 500)
    y = (rng.random(500) < 0.05 + 0.05 * codes).astype(int)
    grades = pd.Series(pd.Categorical.from_codes(codes, ["A", "B", "C", "D", "E"], ordered=True))
    assert rkv.auc(y, grades).auc == pytest.approx(roc_auc_score(y, codes), abs=1e-12)
    with pytest.raises(ValueError, match="unordered categorical"):
        rkv.auc(y, grades.cat.as_unordered())
    with pytest.raises(ValueError, match="numeric"):
        rkv.auc(y, grades.astype(str))


def test_ci_is_normal_interval_with_delong_se(asah):
    y, df = asah
    r = rkv.auc(y, df["s100b"])
    half = 1.959963984540054 * np.sqrt(0.00266868245717244)
    lo, hi = r.ci(0.95)
    assert lo == pytest.approx(r.auc - half, abs=1e-9) and hi == pytest.approx(r.auc + half, abs=1e-9)
    assert r.ci(0.5)[1] - r.ci(0.5)[0] < hi - lo
    with pytest.raises(ValueError, match="level"):
        r.ci(1.5)


def test_auc_pvalue_is_one_sided_against_half(asah):
    y, df = asah
    r = rkv.auc(y, df["ndka"])
    assert r.pvalue == pytest.approx(stats.norm.sf((0.611957994579946 - 0.5) / np.sqrt(0.0031908105493913)),
                                     rel=1e-8)


# --- ECB current vs initial AUC ------------------------------------------------------

def test_auc_initial_test_hand_computation():
    y, a, _ = random_data(11)
    (a_cur,), cov = brute_force_delong(y, a)
    s = np.sqrt(cov[0, 0])
    r = rkv.auc_initial_test(y, a, auc_initial=0.80)
    assert r.statistic == pytest.approx((0.80 - a_cur) / s, rel=1e-10)
    assert r.pvalue == pytest.approx(1 - stats.norm.cdf((0.80 - a_cur) / s), rel=1e-10)
    # a big deterioration is flagged red, an improvement is green
    assert rkv.auc_initial_test(y, a, auc_initial=0.99).verdict == "red"
    assert rkv.auc_initial_test(y, a, auc_initial=0.50).verdict == "green"
    with pytest.raises(ValueError, match="auc_initial"):
        rkv.auc_initial_test(y, a, auc_initial=1.3)


# --- Gini / AR, CAP, ROC, KS, Pietra ---------------------------------------------------

@pytest.mark.parametrize("ties", [False, True])
def test_gini_equals_accuracy_ratio_from_cap_area(ties):
    y, a, _ = random_data(12, ties=ties)
    cap = rkv.cap_curve(y, a)
    pi = np.mean(y)
    area = np.trapezoid(cap["share_of_defaults"], cap["share_of_obligors"])
    ar = (area - 0.5) / ((1 - pi / 2) - 0.5)  # BCBS WP14: a_R / a_P
    assert rkv.gini(y, a) == pytest.approx(ar, abs=1e-12)
    assert rkv.accuracy_ratio(y, a) == pytest.approx(2 * roc_auc_score(y, a) - 1, abs=1e-12)


def test_roc_curve_matches_sklearn():
    y, a, _ = random_data(13, ties=True)
    fpr, tpr, thr = sk_roc_curve(y, a, drop_intermediate=False)
    roc = rkv.roc_curve(y, a)
    np.testing.assert_allclose(roc["false_positive_rate"], fpr, atol=1e-15)
    np.testing.assert_allclose(roc["true_positive_rate"], tpr, atol=1e-15)
    np.testing.assert_allclose(roc["threshold"].iloc[1:], thr[1:])
    assert list(roc.columns) == ["threshold", "false_positive_rate", "true_positive_rate"]
    # higher-is-safer: the same curve, thresholds on the original scale
    flipped = rkv.roc_curve(y, -a, higher_is_riskier=False)
    np.testing.assert_allclose(flipped["true_positive_rate"], tpr)
    np.testing.assert_allclose(flipped["threshold"].iloc[1:], -thr[1:])


def test_cap_curve_hand_example():
    # scores 4,3,3,1 with defaults at 4 and one of the 3s: cut-offs 4, 3, 1
    cap = rkv.cap_curve([1, 1, 0, 0], [4, 3, 3, 1])
    np.testing.assert_allclose(cap["share_of_obligors"], [0, 0.25, 0.75, 1.0])
    np.testing.assert_allclose(cap["share_of_defaults"], [0, 0.5, 1.0, 1.0])


@pytest.mark.parametrize("ties", [False, True])
def test_ks_matches_scipy_ks_2samp(ties):
    y, a, _ = random_data(14, n=1500, ties=ties)
    ref = stats.ks_2samp(a[y == 1], a[y == 0])
    r = rkv.ks(y, a)
    assert r.statistic == pytest.approx(ref.statistic, abs=1e-14)
    assert r.cutoff in a


def test_ks_pvalue_close_to_scipy_asymptotic():
    rng = np.random.default_rng(15)
    y = (rng.random(2000) < 0.3).astype(int)
    s = rng.normal(size=2000) + 0.12 * y
    ref = stats.ks_2samp(s[y == 1], s[y == 0], method="asymp")
    # both are large-sample Kolmogorov approximations (scipy rounds the effective n)
    assert rkv.ks(y, s).pvalue == pytest.approx(ref.pvalue, rel=0.1)
    assert 0.001 < ref.pvalue < 0.5


def test_pietra_is_wp14_multiple_of_ks():
    # the sqrt(2)/4 constant is the form attributed to WP14, not verified against its text
    y, a, _ = random_data(16)
    r = rkv.pietra_index(y, a)
    ks_value = stats.ks_2samp(a[y == 1], a[y == 0]).statistic
    assert r.statistic == pytest.approx(np.sqrt(2) / 4 * ks_value, abs=1e-14)


# --- conservative variance bound (Bamber 1975; WP14 usage not verified) ----------------------

def test_auc_variance_bound_hand_and_monte_carlo():
    assert rkv.auc_variance_bound(0.75, 50, 950) == pytest.approx(0.75 * 0.25 / 50)
    # the bound must cover the true sampling variance of the AUC estimator
    rng = np.random.default_rng(17)
    m, n, sims = 20, 200, 2000
    x = rng.normal(1.0, 1.0, size=(sims, m))
    z = rng.normal(0.0, 1.0, size=(sims, n))
    scores = np.hstack([x, z])
    ranks = stats.rankdata(scores, axis=1)
    aucs = (ranks[:, :m].sum(axis=1) - m * (m + 1) / 2) / (m * n)
    true_auc = stats.norm.cdf(1 / np.sqrt(2))
    assert aucs.var() < rkv.auc_variance_bound(true_auc, m, n)
    with pytest.raises(ValueError):
        rkv.auc_variance_bound(1.2, 10, 10)


# --- bad input -----------------------------------------------------------------------------

def test_bad_inputs_raise_clear_errors():
    y, a, b = random_data(18, n=50)
    with pytest.raises(ValueError, match="length mismatch"):
        rkv.auc(y, a[:-1])
    with pytest.raises(ValueError, match="single class"):
        rkv.auc(np.zeros(50), a)
    nan_score = a.copy()
    nan_score[[3, 7]] = np.nan
    with pytest.raises(ValueError, match=r"score has missing or infinite values in 2 row\(s\), positions 3, 7"):
        rkv.auc(y, nan_score)
    with pytest.raises(ValueError, match="index labels 'c2'"):
        rkv.ks(pd.Series(y, index=[f"c{i}" for i in range(50)]),
               pd.Series(np.where(np.arange(50) == 2, np.nan, a), index=[f"c{i}" for i in range(50)]))
    bad_y = y.copy()
    bad_y[0] = 2
    with pytest.raises(ValueError, match="only 0/1"):
        rkv.gini(bad_y, a)
    with pytest.raises(ValueError, match="missing"):
        rkv.delong_test(np.where(np.arange(50) == 1, np.nan, y), a, b)
    with pytest.raises(ValueError, match="length mismatch"):
        rkv.delong_test(y, a, b[:10])
    with pytest.raises(ValueError, match="1-dimensional"):
        rkv.auc(y, np.vstack([a, a]).T)
