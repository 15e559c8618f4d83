"""One-turn WoE shapes (peak/valley) and the shape choice of ``WoEBinner(monotonic_trend="auto")``.

References: brute-force enumeration of every partition of the pre-bins (written here),
hand-worked shape classifications, a bootstrap p-value recomputed by enumeration, and
simulations with a known truth (pure noise, monotone, U-shaped risk).
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from riskkit.datasets.german import load_german_credit
from riskkit.scoring import WoEBinner
from riskkit.scoring.binning import DEFAULT_MIN_TURN_EVENTS
from riskkit.scoring._optimal import (
    _best_values,
    optimal_partitions,
    turning_shape_test,
    woe_shape,
)


@pytest.fixture(scope="module")
def german():
    data = load_german_credit()
    return data.drop(columns="bad"), data["bad"]


# --------------------------------------------------------------------------- brute force
def _satisfies(w: np.ndarray, trend: str) -> bool:
    """The shape constraint written out on the WoE sequence of a partition."""
    d = np.diff(w)
    if trend == "none":
        return True
    if (d == 0).any():
        return False  # every constrained shape is strict
    signs = np.sign(d)
    changes = int(np.count_nonzero(signs[1:] != signs[:-1]))
    if trend == "ascending":
        return bool((signs > 0).all())
    if trend == "descending":
        return bool((signs < 0).all())
    if trend == "peak":  # up ... up, down ... down (either run may be empty)
        return changes == 0 or (changes == 1 and signs[0] > 0)
    if trend == "valley":
        return changes == 0 or (changes == 1 and signs[0] < 0)
    raise AssertionError(trend)


def _enumerate(ne, ev, total_ne, total_ev, min_count, max_bins, trend):
    """Best IV over every contiguous partition of the pre-bins that meets the constraints."""
    k = len(ne)
    best = None
    for r in range(k):
        for cuts in itertools.combinations(range(1, k), r):
            b = [0, *cuts, k]
            if len(b) - 1 > max_bins:
                continue
            g_ne = np.array([ne[b[t]:b[t + 1]].sum() for t in range(len(b) - 1)])
            g_ev = np.array([ev[b[t]:b[t + 1]].sum() for t in range(len(b) - 1)])
            if ((g_ne + g_ev) < min_count).any() or (g_ne == 0).any() or (g_ev == 0).any():
                continue
            w = np.log((g_ne / total_ne) / (g_ev / total_ev))
            if not _satisfies(w, trend):
                continue
            iv = float(((g_ne / total_ne - g_ev / total_ev) * w).sum())
            if best is None or iv > best[0] + 1e-12:
                best = (iv, tuple(b))
    return best


def test_dp_matches_brute_force_for_every_shape():
    rng = np.random.default_rng(11)
    checked = {t: 0 for t in ("ascending", "descending", "peak", "valley", "none")}
    for _ in range(220):
        k = int(rng.integers(1, 9))
        ne = rng.integers(0, 30, k).astype(float)
        ev = rng.integers(0, 12, k).astype(float)
        if ne.sum() == 0 or ev.sum() == 0:
            continue
        # missing/special bins outside the pre-bins enter the WoE denominators only
        total_ne, total_ev = ne.sum() + rng.integers(0, 5), ev.sum() + rng.integers(0, 3)
        min_count, max_bins = int(rng.integers(1, 30)), int(rng.integers(1, 7))
        got = optimal_partitions(ne, ev, total_nonevents=total_ne, total_events=total_ev,
                                 min_count=min_count, max_bins=max_bins, trends=tuple(checked))
        for trend, result in got.items():
            want = _enumerate(ne, ev, total_ne, total_ev, min_count, max_bins, trend)
            assert (result is None) == (want is None), (trend, ne, ev)
            if want is None:
                continue
            assert result.iv == pytest.approx(want[0], abs=1e-10), (trend, ne, ev, min_count, max_bins)
            b = result.boundaries
            assert b[0] == 0 and b[-1] == k and len(b) - 1 <= max_bins
            g_ne = np.array([ne[lo:hi].sum() for lo, hi in zip(b[:-1], b[1:])])
            g_ev = np.array([ev[lo:hi].sum() for lo, hi in zip(b[:-1], b[1:])])
            w = np.log((g_ne / total_ne) / (g_ev / total_ev))
            assert _satisfies(w, trend)
            assert result.shape == woe_shape(w)
            checked[trend] += 1
    assert min(checked.values()) > 80


def test_unlimited_shape_statistic_matches_brute_force():
    """The bootstrap statistic: best monotone and best one-turn IV with no bin-count limit,
    for several count vectors at once."""
    rng = np.random.default_rng(12)
    for _ in range(40):
        k = int(rng.integers(2, 8))
        # rows share the pre-bin sizes (as bootstrap draws do) and differ in the events
        counts = rng.integers(2, 30, k)
        ev = rng.binomial(counts[None, :], 0.3, size=(3, k)).astype(float)
        ne = counts[None, :] - ev
        min_count = int(rng.integers(1, 20))
        outside_ne, outside_ev = 4.0, 1.0
        mono, turn = _best_values(ne, ev, ne.sum(axis=1) + outside_ne, ev.sum(axis=1) + outside_ev, min_count)
        for r in range(3):
            args = (ne[r], ev[r], ne[r].sum() + outside_ne, ev[r].sum() + outside_ev, min_count, k)
            ivs = {t: _enumerate(*args, t) for t in ("ascending", "descending", "peak", "valley")}
            values = {t: (v[0] if v else -np.inf) for t, v in ivs.items()}
            want_mono = max(values["ascending"], values["descending"])
            want_turn = max(values.values())
            assert mono[r] == pytest.approx(want_mono, abs=1e-10) if np.isfinite(want_mono) else mono[r] == -np.inf
            assert turn[r] == pytest.approx(want_turn, abs=1e-10) if np.isfinite(want_turn) else turn[r] == -np.inf


def test_woe_shape_by_hand():
    assert woe_shape([0.1]) == "none"
    assert woe_shape([]) == "none"
    assert woe_shape([-1, 0, 2]) == "ascending"
    assert woe_shape([2, 0, -1]) == "descending"
    assert woe_shape([-1, 1, 0.5, -2]) == "peak"
    assert woe_shape([1, -1, 0, 3]) == "valley"
    assert woe_shape([1, -1, 0, -3]) == "none"  # two turning points
    assert woe_shape([1, 1, 2]) == "none"  # a tie is no strict shape


# --------------------------------------------------------------------------- WoEBinner
def _u_data(n, beta, seed):
    """Risk high at both ends (a WoE peak): logit = -0.85 + beta (x^2 - 1)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(0.85 - beta * (x ** 2 - 1)))).astype(int)
    return pd.DataFrame({"x": x}), y


def test_peak_binning_of_a_small_example_by_hand():
    # x = 1..24: bad at both ends (1, 2, 3, 5 and 20, 22, 23, 24) and at 12; 4 records per bin
    x = np.arange(1, 25, dtype=float)
    y = np.zeros(24)
    y[[0, 1, 2, 4, 11, 19, 21, 22, 23]] = 1
    binner = WoEBinner(min_bin_share=4 / 24, n_prebins=24, max_bins=5, monotonic_trend="peak")
    binner.fit(pd.DataFrame({"x": x}), y)
    fitted = binner.binnings_["x"]
    goods, bads = 24 - y.sum(), y.sum()
    best = None
    for r in range(5):
        for cuts in itertools.combinations(range(1, 24), r):
            b = [0, *cuts, 24]
            g_n = np.diff(b)
            g_ev = np.array([y[lo:hi].sum() for lo, hi in zip(b[:-1], b[1:])])
            g_ne = g_n - g_ev
            if (g_n < 4).any() or (g_ev == 0).any() or (g_ne == 0).any():
                continue
            w = np.log((g_ne / goods) / (g_ev / bads))
            if not _satisfies(w, "peak"):
                continue
            iv = ((g_ne / goods - g_ev / bads) * w).sum()
            if best is None or iv > best[0] + 1e-12:
                best = (iv, [x[c] for c in cuts], w)
    assert fitted.splits == best[1]
    assert binner.information_value_["x"] == pytest.approx(best[0])
    assert fitted.trend == woe_shape(best[2]) == "peak"
    table = binner.binning_table("x")
    assert (table["shape"] == "peak").all()


def test_explicit_shapes_are_respected():
    X, y = _u_data(3000, 0.4, seed=1)
    fits = {t: WoEBinner(monotonic_trend=t).fit(X, y) for t in
            ("ascending", "descending", "peak", "valley", "auto_monotone", "auto", "none")}
    shape = {t: f.binnings_["x"].trend for t, f in fits.items()}
    iv = {t: f.information_value_["x"] for t, f in fits.items()}
    assert shape["ascending"] == "ascending" and shape["descending"] == "descending"
    assert shape["peak"] == "peak"
    assert shape["valley"] in ("valley", "ascending", "descending")  # no valley in a peaked truth
    assert shape["auto"] == "peak"
    assert iv["auto_monotone"] == pytest.approx(max(iv["ascending"], iv["descending"]))
    # richer constraints can only add IV in sample
    assert iv["none"] >= iv["peak"] - 1e-12 >= iv["auto_monotone"] - 1e-12
    assert iv["peak"] > 1.5 * iv["auto_monotone"]


def test_bootstrap_rarely_turns_on_pure_noise_though_a_turn_always_gains():
    """The over-fitting guard: on pure noise a one-turn shape gains IV in sample in most
    data sets, but the bootstrap test admits it only about shape_alpha of the time."""
    n_sets, turned, gained = 60, 0, 0
    for seed in range(n_sets):
        rng = np.random.default_rng(1000 + seed)
        X = pd.DataFrame({"x": rng.normal(size=600)})
        y = (rng.random(600) < 0.3).astype(int)
        b = WoEBinner(n_prebins=20, random_state=seed, shape_selection="bootstrap").fit(X, y).binnings_["x"]
        turned += b.trend in ("peak", "valley")
        gained += b.iv_turning > b.iv_monotone + 1e-9
    assert gained >= n_sets // 2  # choosing the larger IV would turn on noise most of the time
    assert turned <= 6  # 5 % level: about 3 expected of 60


def test_bootstrap_finds_a_real_u_shape_and_keeps_a_monotone_one():
    for seed in range(6):
        X, y = _u_data(3000, 0.35, seed)
        b = WoEBinner(random_state=seed, shape_selection="bootstrap").fit(X, y).binnings_["x"]
        assert b.trend == "peak" and b.shape_pvalue <= 0.05, seed
        rng = np.random.default_rng(50 + seed)
        x = rng.normal(size=3000)
        y_mono = (rng.random(3000) < 1 / (1 + np.exp(0.85 - 0.6 * x))).astype(int)
        b = WoEBinner(random_state=seed, shape_selection="bootstrap").fit(pd.DataFrame({"x": x}), y_mono).binnings_["x"]
        assert b.trend == "descending", seed


def test_bootstrap_pvalue_recomputed_by_enumeration():
    """turning_shape_test's p-value, run without sequential stopping, against the
    parametric bootstrap written out here: the fitted monotone step function, binomial
    draws per pre-bin, the gain recomputed by brute-force enumeration."""
    ne = np.array([30, 42, 50, 48, 45, 38, 28], dtype=float)
    ev = np.array([22, 16, 10, 9, 11, 14, 20], dtype=float)
    outside_ne, outside_ev = 6.0, 2.0
    min_count, max_bins, draws = 40, 7, 59
    result = turning_shape_test(ne, ev, outside_nonevents=outside_ne, outside_events=outside_ev,
                                min_count=min_count, max_bins=max_bins, max_draws=draws,
                                first_batch=draws, rng=np.random.default_rng(5))
    total_ne, total_ev = ne.sum() + outside_ne, ev.sum() + outside_ev

    def gain(g_ne, g_ev):
        t_ne, t_ev = g_ne.sum() + outside_ne, g_ev.sum() + outside_ev
        best = {t: _enumerate(g_ne, g_ev, t_ne, t_ev, min_count, len(g_ne), t)
                for t in ("ascending", "descending", "peak", "valley")}
        values = {t: (v[0] if v else -np.inf) for t, v in best.items()}
        return max(values.values()) - max(values["ascending"], values["descending"])

    mono = max((_enumerate(ne, ev, total_ne, total_ev, min_count, max_bins, t) for t in
                ("ascending", "descending")), key=lambda v: v[0])
    assert result.monotone.iv == pytest.approx(mono[0])
    assert result.monotone.boundaries == mono[1]
    rate = np.empty(ne.size)
    for lo, hi in zip(mono[1][:-1], mono[1][1:]):
        rate[lo:hi] = ev[lo:hi].sum() / (ne[lo:hi] + ev[lo:hi]).sum()
    counts = (ne + ev).astype(np.int64)
    observed = gain(ne, ev)
    assert observed > 0
    star = np.random.default_rng(5).binomial(counts[None, :], rate[None, :], size=(draws, ne.size))
    exceed = sum(gain(counts - s, s.astype(float)) >= observed - 1e-12 for s in star)
    assert result.n_draws == draws
    assert result.pvalue == pytest.approx((1 + exceed) / (1 + draws))
    assert (result.chosen is result.turning) == (result.pvalue <= 0.05)


def test_german_shapes_bootstrap(german):
    """The bootstrap rule (``shape_selection="bootstrap"``) on German Credit."""
    X, y = german
    binner = WoEBinner(shape_selection="bootstrap").fit(X, y)
    summary = binner.summary().set_index("feature")
    auto_numeric = summary[summary["kind"] == "numeric"]
    assert len(auto_numeric) == 7
    # two of the 7 cannot turn whatever the target (three bins of 50 records do not fit:
    # 845/155 records on two values; 633/333/34 on 1, 2, 3-4 existing credits), so they
    # are no hypotheses of the Benjamini-Hochberg step, which runs over m = 5
    no_turn = ["number_of_people_being_liable_to_provide_maintenance_for",
               "number_of_existing_credits_at_this_bank"]
    assert summary.loc[no_turn, ["iv_turning", "shape_pvalue", "shape_qvalue"]].isna().all().all()
    m = int(auto_numeric["shape_qvalue"].notna().sum())
    assert m == 5
    # small and large loans are riskier than middling ones: a one-turn shape gains 0.09 IV and
    # is significant on its own (bootstrap p about 0.012 with many draws), but not after the
    # Benjamini-Hochberg step (threshold 0.05 / 5 = 0.01 for the smallest p-value)
    ca = summary.loc["credit_amount"]
    assert ca["iv_turning"] - ca["iv_monotone"] > 0.08
    assert ca["shape_pvalue"] <= 0.05 < ca["shape_qvalue"]
    assert ca["shape_qvalue"] == pytest.approx(min(1.0, ca["shape_pvalue"] * m))  # the smallest p
    assert ca["shape"] == "descending" and ca["iv"] == pytest.approx(ca["iv_monotone"])
    assert ca["shape_draws"] == 99  # enough to reach 0.05 / 5 = 1 / (1 + 99)
    # binned alone there is one hypothesis: the peak is admitted
    alone = WoEBinner(shape_selection="bootstrap").fit(X[["credit_amount"]], y).binnings_["credit_amount"]
    assert alone.trend == "peak" and alone.shape_pvalue <= 0.05 and alone.shape_qvalue == alone.shape_pvalue
    assert alone.iv == pytest.approx(ca["iv_turning"])
    # age gains from a turn in sample, but not significantly even alone: it stays monotone
    assert summary.loc["age_in_years", "shape"] == "ascending"
    assert summary.loc["age_in_years", "iv_turning"] > summary.loc["age_in_years", "iv_monotone"]
    assert summary.loc["age_in_years", "shape_pvalue"] > 0.05
    assert summary.loc["purpose", "requested_trend"] == "event_rate_order"
    assert np.isnan(summary.loc["purpose", "shape_pvalue"])
    assert list(summary.columns) == ["kind", "requested_trend", "shape", "n_bins", "iv", "iv_monotone",
                                     "iv_turning", "shape_pvalue", "shape_qvalue", "shape_draws", "shape_rule",
                                     "cv_auc_gain", "cv_auc", "cv_pvalue", "turning_events"]
    assert (summary["shape_rule"] == np.where(summary["kind"] == "numeric", "bootstrap", "")).all()
    assert summary["iv"].is_monotonic_decreasing
    # a feature's draws do not depend on the column order or the threads
    threaded = WoEBinner(n_jobs=2, shape_selection="bootstrap").fit(X[X.columns[::-1]], y)
    pd.testing.assert_frame_equal(threaded.summary(), binner.summary())
    # the shape fields survive the JSON round trip
    loaded = WoEBinner.from_dict(json.loads(json.dumps(binner.to_dict())))
    for name, b in binner.binnings_.items():
        c = loaded.binnings_[name]
        assert (c.trend, c.requested_trend, c.shape_draws) == (b.trend, b.requested_trend, b.shape_draws)
        for field in ("iv_monotone", "iv_turning", "shape_pvalue", "shape_qvalue"):
            v, w = getattr(b, field), getattr(c, field)
            assert (math.isnan(v) and math.isnan(w)) or v == w
    pd.testing.assert_frame_equal(loaded.summary(), binner.summary())


def test_benjamini_hochberg_over_the_features_of_a_fit():
    """The second stage written out: BH on the reported p-values of the auto features
    (Benjamini & Hochberg 1995, step-up), q-values q_(k) = min_{j >= k} m p_(j) / j."""
    rng = np.random.default_rng(21)
    n = 2500
    columns = {f"noise{i}": rng.normal(size=n) for i in range(6)}
    u_strong, u_weak = rng.normal(size=n), rng.normal(size=n)
    columns.update({"u_strong": u_strong, "u_weak": u_weak})
    logit = -0.85 + 0.5 * (u_strong ** 2 - 1) + 0.12 * (u_weak ** 2 - 1)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame(columns)
    summary = WoEBinner(n_prebins=30, shape_selection="bootstrap").fit(X, y).summary().set_index("feature")
    p = summary["shape_pvalue"]
    m, ranked = len(p), p.sort_values(kind="stable")
    k_star = max([k for k in range(1, m + 1) if ranked.iloc[k - 1] <= 0.05 * k / m] or [0])
    admitted = set(ranked.index[:k_star])
    turned = set(summary.index[summary["shape"].isin(["peak", "valley"])])
    assert turned == admitted and "u_strong" in turned
    q = [min(ranked.iloc[j] * m / (j + 1) for j in range(k, m)) for k in range(m)]
    np.testing.assert_allclose(summary.loc[ranked.index, "shape_qvalue"], np.minimum(q, 1.0), rtol=1e-12)
    assert ((summary["shape_qvalue"] <= 0.05) == summary["shape"].isin(["peak", "valley"])).all()


def test_bootstrap_wide_noise_rarely_turns_anywhere():
    """Six fits of 12 pure-noise features: per-feature 5 % tests admit a turn in about 5 %
    of the features; with the Benjamini-Hochberg step the chance that a fit turns any
    feature is at most 5 % (about 0.3 of 6 fits expected)."""
    raw, turned, fits_turning = 0, 0, 0
    for seed in range(6):
        rng = np.random.default_rng(300 + seed)
        X = pd.DataFrame({f"x{i}": rng.normal(size=500) for i in range(12)})
        y = (rng.random(500) < 0.3).astype(int)
        summary = WoEBinner(n_prebins=20, random_state=seed, shape_selection="bootstrap").fit(X, y).summary()
        raw += int((summary["shape_pvalue"] <= 0.05).sum())
        n_turned = int(summary["shape"].isin(["peak", "valley"]).sum())
        turned += n_turned
        fits_turning += n_turned > 0
    assert fits_turning <= 1
    assert raw > turned


def test_shape_parameter_checks(german):
    X, y = german
    numeric = X[["age_in_years"]]
    for params, message in [
        ({"monotonic_trend": "zigzag"}, "monotonic_trend"),
        ({"monotonic_trend": {"age_in_years": "u-shape"}}, "monotonic_trend"),
        ({"shape_alpha": 0.0}, "shape_alpha"),
        ({"shape_alpha": True}, "shape_alpha"),
        ({"shape_draws": 0}, "shape_draws"),
        ({"shape_draws": 10}, "too few"),  # 0.05 * 11 < 1: the level is unreachable
        ({"random_state": -1}, "random_state"),
        ({"shape_selection": "permutation"}, "shape_selection"),
        ({"shape_folds": 1}, "shape_folds"),
        ({"shape_folds": 2.5}, "shape_folds"),
        ({"shape_repeats": 0}, "shape_repeats"),
        ({"random_state": 1.5}, "random_state"),
    ]:
        with pytest.raises(ValueError, match=message):
            WoEBinner(**{"shape_selection": "bootstrap", **params}).fit(numeric, y)
    # the same seed gives the same fit; a dict of trends per feature is honoured
    a = WoEBinner(random_state=3).fit(X, y).summary()
    b = WoEBinner(random_state=3).fit(X, y).summary()
    pd.testing.assert_frame_equal(a, b)
    mixed = WoEBinner(monotonic_trend={"credit_amount": "valley"}).fit(X, y)
    assert mixed.binnings_["credit_amount"].requested_trend == "valley"
    assert mixed.binnings_["credit_amount"].trend in ("valley", "ascending", "descending")


def test_max_groups_against_enumeration():
    """Whether a feature can turn at all (three bins of the minimum size) is decided from
    the pre-bin record counts alone; the greedy count equals the enumerated maximum."""
    from riskkit.scoring.binning import _max_groups

    rng = np.random.default_rng(31)
    for _ in range(150):
        k = int(rng.integers(1, 9))
        counts = rng.integers(0, 30, k).astype(float)
        if counts.sum() == 0:
            continue
        min_count = float(rng.integers(1, 40))
        best = 1
        for r in range(k):
            for cuts in itertools.combinations(range(1, k), r):
                b = [0, *cuts, k]
                if all(counts[lo:hi].sum() >= min_count for lo, hi in zip(b[:-1], b[1:])):
                    best = max(best, len(b) - 1)
        assert _max_groups(counts, min_count) == best, (counts, min_count)


# --------------------------------------------------------------------------- cross-validated choice (default)
def test_grouped_auc_matches_sklearn_with_ties():
    from sklearn.metrics import roc_auc_score

    from riskkit.scoring._optimal import grouped_auc

    rng = np.random.default_rng(4)
    for _ in range(20):
        g = int(rng.integers(1, 9))
        score = rng.integers(0, 4, g).astype(float)  # repeated scores: ties across groups
        ev = rng.integers(0, 15, g).astype(float)
        ne = rng.integers(0, 40, g).astype(float)
        if ev.sum() == 0 or ne.sum() == 0:
            assert np.isnan(grouped_auc(score, ev, ne))
            continue
        y = np.r_[np.ones(g), np.zeros(g)]
        s = np.r_[score, score]
        w = np.r_[ev, ne]
        keep = w > 0
        expected = roc_auc_score(y[keep], s[keep], sample_weight=w[keep])
        assert grouped_auc(score, ev, ne) == pytest.approx(expected, abs=1e-12)


def test_cv_choice_recomputed_by_hand():
    """turning_shape_cv against the procedure written out here: the same fold draws
    (multinomial per pre-bin and class from the same seed), each fold's best monotone and
    best one-turn partition by brute-force enumeration, held-out AUCs by scikit-learn on the
    expanded records, and the one-sided normal p-value of the pooled AUC by scipy."""
    from scipy.stats import norm
    from sklearn.metrics import roc_auc_score

    from riskkit.scoring._optimal import turning_shape_cv

    ne = np.array([30, 42, 50, 48, 45, 38, 28], dtype=float)
    ev = np.array([22, 16, 10, 9, 11, 14, 20], dtype=float)
    out_ne, out_ev = 6.0, 2.0
    min_count, max_bins, folds, repeats = 40, 7, 4, 2
    result = turning_shape_cv(ne, ev, outside_nonevents=out_ne, outside_events=out_ev, min_count=min_count,
                              max_bins=max_bins, folds=folds, repeats=repeats, rng=np.random.default_rng(9))

    def best(g_ne, g_ev, t_ne, t_ev, mc, trends):
        found = [_enumerate(g_ne, g_ev, t_ne, t_ev, mc, max_bins, t) for t in trends]
        return max((f for f in found if f), key=lambda f: f[0])

    def scores(bounds, tr_ne, tr_ev, te_ne, te_ev):
        rows_y, rows_s = [], []
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            rate = (tr_ev[lo:hi].sum() + 0.5) / (tr_ne[lo:hi].sum() + tr_ev[lo:hi].sum() + 1)
            rows_y += [1] * int(te_ev[lo:hi].sum()) + [0] * int(te_ne[lo:hi].sum())
            rows_s += [rate] * int(te_ev[lo:hi].sum() + te_ne[lo:hi].sum())
        return rows_y, rows_s

    rng = np.random.default_rng(9)
    share = (folds - 1) / folds
    gains, pooled = [], []
    for _ in range(repeats):
        f_ne = rng.multinomial(ne.astype(np.int64), np.full(folds, 1 / folds))
        f_ev = rng.multinomial(ev.astype(np.int64), np.full(folds, 1 / folds))
        all_y, all_s = [], []
        for f in range(folds):
            tr_ne, tr_ev = ne - f_ne[:, f], ev - f_ev[:, f]
            t_ne, t_ev = tr_ne.sum() + out_ne * share, tr_ev.sum() + out_ev * share
            mono = best(tr_ne, tr_ev, t_ne, t_ev, min_count * share, ("ascending", "descending"))
            turn = best(tr_ne, tr_ev, t_ne, t_ev, min_count * share, ("peak", "valley"))
            y_m, s_m = scores(mono[1], tr_ne, tr_ev, f_ne[:, f], f_ev[:, f])
            y_t, s_t = scores(turn[1], tr_ne, tr_ev, f_ne[:, f], f_ev[:, f])
            gains.append(roc_auc_score(y_t, s_t) - roc_auc_score(y_m, s_m))
            all_y += y_t
            all_s += s_t
        pooled.append(roc_auc_score(all_y, all_s))
    n1, n0 = ev.sum(), ne.sum()
    pvalue = norm.sf((np.mean(pooled) - 0.5) / math.sqrt((n1 + n0 + 1) / (12 * n1 * n0)))
    assert (result.folds, result.repeats) == (folds, repeats)
    assert result.auc_gain == pytest.approx(np.mean(gains), abs=1e-12)
    assert result.auc_turning == pytest.approx(np.mean(pooled), abs=1e-12)
    assert result.pvalue == pytest.approx(pvalue, rel=1e-9)
    keep = np.mean(gains) > 0 and pvalue <= 0.05
    assert (result.chosen is result.turning) == keep
    full_turn = best(ne, ev, ne.sum() + out_ne, ev.sum() + out_ev, min_count, ("peak", "valley"))
    assert result.turning.boundaries == full_turn[1]


@pytest.mark.slow
def test_cv_rarely_turns_on_pure_noise_or_a_monotone_truth():
    """The over-fitting guard of the default rule, measured: on pure noise and on a
    monotone truth a one-turn shape gains IV in sample in most data sets, yet the
    cross-validated rule keeps it in at most 5 % of them."""
    noise_sets, noise_turned, gained = 120, 0, 0
    for seed in range(noise_sets):
        rng = np.random.default_rng(2000 + seed)
        X = pd.DataFrame({"x": rng.normal(size=700)})
        y = (rng.random(700) < 0.3).astype(int)
        b = WoEBinner(n_prebins=20, random_state=seed, shape_selection="cv").fit(X, y).binnings_["x"]
        noise_turned += b.trend in ("peak", "valley")
        gained += b.iv_turning > b.iv_monotone + 1e-9
    assert gained >= noise_sets // 2
    assert noise_turned <= 0.05 * noise_sets
    mono_sets, mono_turned = 60, 0
    for seed in range(mono_sets):
        rng = np.random.default_rng(3000 + seed)
        x = rng.normal(size=700)
        y = (rng.random(700) < 1 / (1 + np.exp(0.9 - 0.5 * x))).astype(int)
        b = WoEBinner(n_prebins=20, random_state=seed, shape_selection="cv").fit(pd.DataFrame({"x": x}),
                                                                                  y).binnings_["x"]
        mono_turned += b.trend in ("peak", "valley")
    assert mono_turned <= 0.05 * mono_sets


def test_cv_finds_a_real_u_shape_and_keeps_a_monotone_one():
    for seed in range(6):
        X, y = _u_data(3000, 0.35, seed)
        b = WoEBinner(random_state=seed, shape_selection="cv").fit(X, y).binnings_["x"]
        assert b.trend == "peak" and b.shape_rule == "cv", seed
        assert b.cv_auc_gain > 0 and b.cv_pvalue <= 0.05 and b.cv_auc > 0.55, seed
        rng = np.random.default_rng(50 + seed)
        x = rng.normal(size=3000)
        y_mono = (rng.random(3000) < 1 / (1 + np.exp(0.85 - 0.6 * x))).astype(int)
        b = WoEBinner(random_state=seed, shape_selection="cv").fit(pd.DataFrame({"x": x}), y_mono).binnings_["x"]
        assert b.trend == "descending", seed


# IV of optbinning 1.0.0's default BinningProcess on German Credit (bench/bench_german_shapes.py,
# the anchor run in its own environment): the outside reference of issue #13
OPTBINNING_IV = {"status_of_existing_checking_account": 0.6660, "credit_history": 0.2918,
                 "duration_in_month": 0.2890, "credit_amount": 0.2461, "savings_account_and_bonds": 0.1925,
                 "purpose": 0.1676, "property": 0.1126, "age_in_years": 0.1310}


def test_german_shapes_cross_validated(german):
    X, y = german
    binner = WoEBinner(shape_selection="cv").fit(X, y)
    summary = binner.summary().set_index("feature")
    # small and large loans, and the young and the old, are riskier than the middle: both
    # turns rank held-out records better and carry signal, so the default keeps them
    for name in ("credit_amount", "age_in_years"):
        row = summary.loc[name]
        assert row["shape"] == "peak" and row["shape_rule"] == "cv", name
        assert row["cv_auc_gain"] > 0 and row["cv_pvalue"] <= 0.05, name
        assert row["iv"] == pytest.approx(row["iv_turning"]) and row["iv"] > row["iv_monotone"] + 0.02
        assert np.isnan(row["shape_pvalue"]) and row["shape_draws"] == 0
    assert summary.loc["credit_amount", "turning_events"] == 111
    assert summary.loc["age_in_years", "turning_events"] == 96
    # present_residence_since gains IV in sample from a turn resting on 36 events: under the
    # event bar, so it is not cross-validated; without the bar it ranks held-out records worse
    row = summary.loc["present_residence_since"]
    assert row["shape"] == "descending" and row["iv_turning"] > row["iv_monotone"]
    assert row["turning_events"] < DEFAULT_MIN_TURN_EVENTS and np.isnan(row["cv_auc_gain"])
    free = WoEBinner(shape_selection="cv", min_turn_events=0).fit(X, y).summary().set_index("feature")
    assert free.loc["present_residence_since", "shape"] == "descending"
    assert free.loc["present_residence_since", "cv_auc_gain"] < 0
    # every variable reaches 95 % of optbinning's IV and the top five agree, in order
    for name, iv in OPTBINNING_IV.items():
        assert summary.loc[name, "iv"] >= 0.95 * iv, name
    top5 = sorted(OPTBINNING_IV, key=OPTBINNING_IV.get, reverse=True)[:5]
    assert list(binner.information_value_.index[:5]) == top5
    # the folds do not depend on the column order or the threads; the fields survive JSON
    threaded = WoEBinner(n_jobs=2, shape_selection="cv").fit(X[X.columns[::-1]], y)
    pd.testing.assert_frame_equal(threaded.summary(), binner.summary())
    loaded = WoEBinner.from_dict(json.loads(json.dumps(binner.to_dict())))
    pd.testing.assert_frame_equal(loaded.summary(), binner.summary())
    assert loaded.shape_selection == "cv"
    # the default is the cross-validated rule (the bootstrap rule keeps credit_amount
    # monotone: test_german_shapes_bootstrap)
    pd.testing.assert_frame_equal(WoEBinner().fit(X, y).summary(), binner.summary())


def test_scorecard_json_written_before_the_shape_rule_parameters_still_loads(german):
    """A model saved before ``shape_selection``/``shape_folds``/``shape_repeats`` existed
    has none of them in its binner's params: it loads with the values it was fitted with
    (the bootstrap rule, 5 folds, 2 repeats; not today's default ``"cv"``) and scores
    exactly as before; so does a binner saved on its own."""
    from riskkit.scoring import Scorecard

    X, y = german
    card = Scorecard(binner=WoEBinner(shape_selection="bootstrap")).fit(X, y)
    payload = json.loads(card.to_json())
    for name in ("shape_selection", "shape_folds", "shape_repeats"):
        del payload["binner"]["params"][name]
    old = Scorecard.from_json(json.dumps(payload))
    assert WoEBinner().shape_selection == "cv"
    assert (old.binner_.shape_selection, old.binner_.shape_folds, old.binner_.shape_repeats) == ("bootstrap", 5, 2)
    np.testing.assert_array_equal(old.predict_proba(X), card.predict_proba(X))
    # refitting the loaded model's binner repeats the rule it was fitted with
    refit = clone(old.binner_).fit(X, y)
    pd.testing.assert_frame_equal(refit.summary(), card.binner_.summary())
    old_binner = WoEBinner.from_dict(payload["binner"])
    assert old_binner.shape_selection == "bootstrap"
    # a file that states the parameters keeps them
    assert Scorecard.from_json(Scorecard().fit(X, y).to_json()).binner_.shape_selection == "cv"
    # a cv model saved before the event bar loads with no bar (0), the rule it was fitted with
    cv_card = Scorecard(binner=WoEBinner(shape_selection="cv", min_turn_events=0)).fit(X, y)
    payload = json.loads(cv_card.to_json())
    del payload["binner"]["params"]["min_turn_events"]
    for item in payload["binner"]["features"]:
        item.pop("turning_events", None)
    old_cv = Scorecard.from_json(json.dumps(payload))
    assert old_cv.binner_.min_turn_events == 0 and WoEBinner().min_turn_events == DEFAULT_MIN_TURN_EVENTS == 50
    np.testing.assert_array_equal(old_cv.predict_proba(X), cv_card.predict_proba(X))
    pd.testing.assert_frame_equal(clone(old_cv.binner_).fit(X, y).summary(), cv_card.binner_.summary())


def test_cv_min_turn_events_drops_a_turn_resting_on_fewer_events():
    """The thin-turn guard: the events on the thinner side of the full-data turn, counted by
    hand from its groups, and a turn kept at that bar but dropped one event above it
    (without running the cross-validation: a turn that thin is not a candidate)."""
    from riskkit.scoring._optimal import thinner_side_events, turning_shape_cv

    ne = np.array([30, 42, 50, 48, 45, 38, 28], dtype=float)
    ev = np.array([22, 16, 10, 9, 11, 14, 20], dtype=float)
    kw = dict(outside_nonevents=6.0, outside_events=2.0, min_count=40, max_bins=7, folds=4, repeats=2)
    free = turning_shape_cv(ne, ev, rng=np.random.default_rng(9), **kw)
    assert free.chosen is free.turning and free.turning.shape == "peak"
    bounds = free.turning.boundaries
    group_ev = [ev[lo:hi].sum() for lo, hi in zip(bounds[:-1], bounds[1:])]
    group_rate = [ev[lo:hi].sum() / (ne[lo:hi].sum() + ev[lo:hi].sum()) for lo, hi in zip(bounds[:-1], bounds[1:])]
    turn = int(np.argmin(group_rate))  # a WoE peak is the lowest event rate
    by_hand = min(sum(group_ev[:turn]), sum(group_ev[turn + 1:]))
    assert 0 < by_hand < ev.sum() / 2
    assert free.turn_events == by_hand
    assert thinner_side_events(group_ev, -np.log(group_rate), "peak") == by_hand

    at_bar = turning_shape_cv(ne, ev, rng=np.random.default_rng(9), min_turn_events=by_hand, **kw)
    assert at_bar.chosen is at_bar.turning and at_bar.auc_gain == free.auc_gain
    above = turning_shape_cv(ne, ev, rng=np.random.default_rng(9), min_turn_events=by_hand + 1, **kw)
    assert above.chosen is above.monotone and above.folds == 0 and math.isnan(above.auc_gain)
    assert above.turn_events == by_hand


def test_min_turn_events_in_the_binner_and_its_checks():
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, 4000)
    y = (rng.random(4000) < np.where(np.abs(x - 0.5) < 0.2, 0.05, 0.3)).astype(int)  # a strong event-rate valley
    X = pd.DataFrame({"x": x})
    free = WoEBinner(shape_selection="cv").fit(X, y).binnings_["x"]
    assert free.trend == "peak"
    thin = free.turn_events
    assert WoEBinner(shape_selection="cv", min_turn_events=thin).fit(X, y).binnings_["x"].trend == "peak"
    assert WoEBinner(shape_selection="cv", min_turn_events=thin + 1).fit(X, y).binnings_["x"].trend in (
        "ascending", "descending")
    for bad in (-1, 2.5, True, "10"):
        with pytest.raises(ValueError, match="min_turn_events"):
            WoEBinner(min_turn_events=bad).fit(X, y)
