"""WoEBinner and the optimal-merge DP against independent computations."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from riskkit.datasets.german import load_german_credit
from riskkit.scoring import WoEBinner, woe_iv
from riskkit.scoring._optimal import optimal_partition


@pytest.fixture(scope="module")
def german():
    data = load_german_credit()
    return data.drop(columns="bad"), data["bad"]


@pytest.fixture(scope="module")
def german_binner(german):
    X, y = german
    return WoEBinner().fit(X, y)


# --------------------------------------------------------------------------- the DP
def _brute_force(ne, ev, min_count, max_bins, trend):
    """Enumerate every contiguous partition (the reference for the DP)."""
    k, total_ne, total_ev = len(ne), ne.sum(), ev.sum()
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
            if trend == "ascending" and not (np.diff(w) > 0).all():
                continue
            if trend == "descending" and not (np.diff(w) < 0).all():
                continue
            iv = float(((g_ne / total_ne - g_ev / total_ev) * w).sum())
            if best is None or iv > best[0] + 1e-12:
                best = (iv, tuple(b))
    return best


def test_dp_matches_brute_force_enumeration():
    rng = np.random.default_rng(7)
    checked = 0
    for t in range(250):
        k = int(rng.integers(1, 9))
        ne = rng.integers(0, 30, k).astype(float)
        ev = rng.integers(0, 10, k).astype(float)
        if ne.sum() == 0 or ev.sum() == 0:
            continue
        min_count, max_bins = int(rng.integers(1, 40)), int(rng.integers(1, 6))
        trend = ("ascending", "descending", "none")[t % 3]
        got = optimal_partition(ne, ev, total_nonevents=ne.sum(), total_events=ev.sum(),
                                min_count=min_count, max_bins=max_bins, trend=trend)
        want = _brute_force(ne, ev, min_count, max_bins, trend)
        assert (got is None) == (want is None)
        if want is not None:
            assert got.iv == pytest.approx(want[0], abs=1e-10)
            assert got.boundaries[0] == 0 and got.boundaries[-1] == k
            checked += 1
    assert checked > 150


def test_dp_rejects_unknown_trend():
    with pytest.raises(ValueError, match="trend"):
        optimal_partition(np.ones(3), np.ones(3), total_nonevents=3, total_events=3, min_count=1,
                          max_bins=2, trend="zigzag")


# --------------------------------------------------------------------------- WoE / IV formulas
def test_woe_iv_hand_worked():
    # bins: (goods, bads) = (40, 10), (30, 20), (0, 5) ; G = 70, B = 35
    woe, iv = woe_iv([40, 30, 0], [10, 20, 5], smoothing=0.5)
    assert woe[0] == pytest.approx(math.log((40 / 70) / (10 / 35)))
    assert woe[1] == pytest.approx(math.log((30 / 70) / (20 / 35)))
    # empty class -> adjusted WoE with 0.5 added to both classes of that bin
    assert woe[2] == pytest.approx(math.log((0.5 / 70) / (5.5 / 35)))
    assert iv[0] == pytest.approx((40 / 70 - 10 / 35) * woe[0])
    assert iv[2] == pytest.approx((0.5 / 70 - 5.5 / 35) * woe[2])
    woe, iv = woe_iv([5, 0], [5, 0])
    assert woe[1] == 0.0 and iv[1] == 0.0  # empty bin: neutral


def test_small_numeric_example_by_hand():
    # x = 1..20; y bad for x <= 5 except x = 2, and for x = 13; min share 25 % = 5 rows
    x = np.arange(1, 21, dtype=float)
    y = np.zeros(20)
    y[[0, 2, 3, 4, 12]] = 1
    binner = WoEBinner(min_bin_share=0.25, n_prebins=20, max_bins=4, monotonic_trend="ascending")
    binner.fit(pd.DataFrame({"x": x}), y)
    splits = binner.binnings_["x"].splits
    # the exact optimum by enumeration over split points between observed values
    best = None
    for r in range(4):
        for cuts in itertools.combinations(range(1, 20), r):
            b = [0, *cuts, 20]
            groups = [slice(b[t], b[t + 1]) for t in range(len(b) - 1)]
            if any(g.stop - g.start < 5 for g in groups):
                continue
            g_ev = np.array([y[g].sum() for g in groups])
            g_ne = np.array([(g.stop - g.start) - y[g].sum() for g in groups])
            if (g_ev == 0).any() or (g_ne == 0).any():
                continue
            w = np.log((g_ne / 15) / (g_ev / 5))
            if not (np.diff(w) > 0).all():
                continue
            iv = ((g_ne / 15 - g_ev / 5) * w).sum()
            if best is None or iv > best[0] + 1e-12:
                best = (iv, [x[c] for c in cuts])
    assert splits == best[1]
    assert binner.information_value_["x"] == pytest.approx(best[0])


# --------------------------------------------------------------------------- German Credit
def test_german_tables_match_crosstab(german, german_binner):
    X, y = german
    for feature in ("duration_in_month", "credit_amount", "age_in_years", "purpose",
                    "status_of_existing_checking_account"):
        b = german_binner.binnings_[feature]
        if b.kind == "numeric":
            edges = [-np.inf, *b.splits, np.inf]
            bins = pd.cut(X[feature], edges, right=False, labels=False)
        else:
            level_to_bin = {lv: i for i, g in enumerate(b.groups) for lv in g}
            bins = X[feature].astype(str).map(level_to_bin)
        table = pd.crosstab(bins, y)
        goods, bads = table[0].to_numpy(float), table[1].to_numpy(float)
        expected_woe = np.log((goods / goods.sum()) / (bads / bads.sum()))
        expected_iv = ((goods / goods.sum() - bads / bads.sum()) * expected_woe).sum()
        got = german_binner.binning_table(feature)
        regular = got.iloc[: b.n_regular]
        np.testing.assert_allclose(regular["woe"], expected_woe, rtol=1e-12)
        np.testing.assert_array_equal(regular["non_events"], goods)
        np.testing.assert_array_equal(regular["events"], bads)
        assert got.iloc[-1]["bin"] == "Total"
        assert got.iloc[-1]["iv"] == pytest.approx(expected_iv)
        assert german_binner.information_value_[feature] == pytest.approx(expected_iv)
        # the transform is the table's WoE looked up per row
        woe = german_binner.transform_frame(X)[feature]
        np.testing.assert_allclose(woe.to_numpy(), expected_woe[bins.to_numpy()], rtol=1e-12)


def test_german_iv_ranking_and_constraints(german, german_binner):
    X, _ = german
    iv = german_binner.information_value_
    assert iv.is_monotonic_decreasing
    assert iv.index[0] == "status_of_existing_checking_account"
    assert 0.6 < iv.iloc[0] < 0.7
    assert {"credit_history", "duration_in_month"} <= set(iv.index[:4])
    for name, b in german_binner.binnings_.items():
        table = german_binner.binning_table(name).iloc[: b.n_regular]
        assert len(table) <= german_binner.max_bins
        assert (table["share"] >= 0.05 - 1e-12).all() or len(table) == 1
        if b.kind == "numeric" and len(table) > 1:
            # strictly monotone, or (since the peak/valley shapes) one turning point; the
            # table states which
            d = np.diff(table["woe"].to_numpy())
            assert (d != 0).all() and np.count_nonzero(np.diff(np.sign(d))) <= 1, name
            assert (table["shape"] == b.trend).all()
            monotone = (d > 0).all() or (d < 0).all()
            assert b.trend in (("ascending", "descending") if monotone else ("peak", "valley")), name
    # the monotone-only choice (the behaviour before the one-turn shapes) is still there
    old = WoEBinner(monotonic_trend="auto_monotone").fit(X, german[1])
    for name, b in old.binnings_.items():
        if b.kind == "numeric" and b.n_regular > 1:
            d = np.diff(b.woe[: b.n_regular])
            assert (d > 0).all() or (d < 0).all(), name


@pytest.mark.filterwarnings("ignore")
def test_german_ivs_agree_with_optbinning(german, german_binner):
    optbinning = pytest.importorskip("optbinning")
    X, y = german
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    frame = X.copy()
    for c in categorical:
        frame[c] = frame[c].astype(object)
    process = optbinning.BinningProcess(list(X.columns), categorical_variables=categorical)
    process.fit(frame, y.to_numpy())
    theirs = process.summary().set_index("name")["iv"].astype(float)
    ours = german_binner.information_value_
    # same strongest variables, rank correlation high
    assert list(theirs.sort_values(ascending=False).index[:3]) == list(ours.index[:3])
    rank_corr = pd.concat([ours, theirs], axis=1).corr(method="spearman").iloc[0, 1]
    assert rank_corr > 0.9
    # categorical binning is the same problem in both libraries
    for c in categorical:
        assert ours[c] == pytest.approx(theirs[c], abs=0.01), c


# --------------------------------------------------------------------------- missing, special, unknown
def test_missing_and_special_values_get_own_bins():
    rng = np.random.default_rng(3)
    n = 4000
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(1 + 1.5 * x))).astype(int)
    x[:200] = np.nan
    x[200:300] = -999.0
    y[:200] = 1  # missing rows are all bad -> needs smoothing
    frame = pd.DataFrame({"x": x})
    binner = WoEBinner(special_values=[-999.0]).fit(frame, y)
    table = binner.binning_table("x")
    missing_row = table[table["bin"] == "Missing"].iloc[0]
    special_row = table[table["bin"] == "Special: -999.0"].iloc[0]
    assert missing_row["count"] == 200 and missing_row["events"] == 200
    assert special_row["count"] == 100
    goods, bads = n - y.sum(), y.sum()
    assert missing_row["woe"] == pytest.approx(math.log((0.5 / goods) / (200.5 / bads)))
    sp_bad = y[200:300].sum()
    assert special_row["woe"] == pytest.approx(math.log(((100 - sp_bad) / goods) / (sp_bad / bads)))
    # regular bins exclude the special value
    assert (binner.binnings_["x"].splits[0] > -999.0)
    woe = binner.transform(pd.DataFrame({"x": [np.nan, -999.0]}))
    np.testing.assert_allclose(woe[:, 0], [missing_row["woe"], special_row["woe"]])


def test_no_missing_in_training_gives_neutral_missing_bin(german, german_binner):
    X, _ = german
    row = X.iloc[[0]].copy()
    row["age_in_years"] = np.nan
    assert german_binner.transform_frame(row)["age_in_years"].iloc[0] == 0.0


def test_unknown_category_policies(german):
    X, y = german
    cols = ["purpose", "duration_in_month"]
    new = X[cols].iloc[:2].copy()
    new["purpose"] = new["purpose"].astype(str)
    new.loc[new.index[0], "purpose"] = "space travel"
    zero = WoEBinner(handle_unknown="zero").fit(X[cols], y).transform_frame(new)
    assert zero["purpose"].iloc[0] == 0.0
    missing = WoEBinner(handle_unknown="missing").fit(X[cols], y)
    assert missing.transform_frame(new)["purpose"].iloc[0] == missing.binnings_["purpose"].woe[-1]
    strict = WoEBinner(handle_unknown="error").fit(X[cols], y)
    with pytest.raises(ValueError, match="space travel"):
        strict.transform(new)


def test_rare_levels_are_pooled(german):
    X, y = german
    binner = WoEBinner(min_category_share=0.02).fit(X[["purpose"]], y)
    groups = binner.binnings_["purpose"].groups
    rare = {"retraining", "domestic appliances", "others"}  # 9, 12, 12 rows
    owner = [i for i, g in enumerate(groups) if rare & set(g)]
    assert len(set(owner)) == 1  # pooled together
    assert sorted(lv for g in groups for lv in g) == sorted(X["purpose"].cat.categories)


# --------------------------------------------------------------------------- bad input
def test_bad_inputs(german):
    X, y = german
    with pytest.raises(ValueError, match="binary"):
        WoEBinner().fit(X, y.replace(1, 2))
    with pytest.raises(ValueError, match="missing"):
        WoEBinner().fit(X, y.astype(float).where(y.index > 0))
    with pytest.raises(ValueError, match="single class"):
        WoEBinner().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="rows"):
        WoEBinner().fit(X, y.iloc[:10].to_numpy())
    # a shorter Series is paired by label: the rows it lacks are named
    with pytest.raises(ValueError, match=r"y and X have different indexes: 990 label\(s\) only in X"):
        WoEBinner().fit(X, y.iloc[:10])
    empty = X[["age_in_years"]].assign(empty_col=np.nan)
    with pytest.raises(ValueError, match="empty_col"):
        WoEBinner().fit(empty, y)
    with pytest.raises(ValueError, match="monotonic_trend"):
        WoEBinner(monotonic_trend="up").fit(X, y)
    with pytest.raises(ValueError, match="min_bin_share"):
        WoEBinner(min_bin_share=0.7).fit(X, y)
    fitted = WoEBinner().fit(X[["age_in_years"]], y)
    with pytest.raises(ValueError, match="non-numeric"):
        fitted.transform(pd.DataFrame({"age_in_years": ["old"]}))
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- other"):
        fitted.transform(pd.DataFrame({"other": [1.0]}))


# --------------------------------------------------------------------------- sklearn behaviour
def test_sklearn_conventions(german):
    X, y = german
    binner = WoEBinner(max_bins=5, special_values={"age_in_years": [0]})
    params = binner.get_params()
    binner.fit(X, y)
    assert binner.get_params() == params
    assert list(binner.get_feature_names_out()) == list(X.columns)
    assert binner.transform(X).shape == X.shape
    out = clone(binner).set_output(transform="pandas").fit(X, y).transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(X.columns)
    pipe = Pipeline([("woe", WoEBinner()), ("lr", LogisticRegression())]).fit(X, y)
    assert pipe.predict_proba(X).shape == (len(X), 2)
    with pytest.raises(Exception, match="not fitted"):
        WoEBinner().transform(X)


def test_numpy_input_and_threads(german):
    X, y = german
    numeric = X.select_dtypes("number")
    one = WoEBinner().fit(numeric.to_numpy(), y.to_numpy())
    two = WoEBinner(n_jobs=2).fit(numeric, y)
    np.testing.assert_allclose(one.transform(numeric.to_numpy()), two.transform(numeric))
    assert list(one.get_feature_names_out()) == [f"x{i}" for i in range(numeric.shape[1])]


def test_dict_round_trip(german, german_binner):
    X, _ = german
    text = json.dumps(german_binner.to_dict())
    loaded = WoEBinner.from_dict(json.loads(text))
    np.testing.assert_array_equal(loaded.transform(X), german_binner.transform(X))
    pd.testing.assert_series_equal(loaded.information_value_, german_binner.information_value_)


def test_edge_cases_constant_bool_and_categorical_specials():
    rng = np.random.default_rng(5)
    n = 1000
    y = (rng.random(n) < 0.3).astype(int)
    frame = pd.DataFrame(
        {
            "constant": np.full(n, 7.0),
            "flag": rng.random(n) < 0.5,
            "segment": pd.Series(rng.choice(["a", "b", "unknown"], n), dtype="str"),
            3: rng.normal(size=n),  # a non-string column name
        }
    )
    binner = WoEBinner(special_values={"segment": ["unknown"]}).fit(frame, y)
    assert binner.information_value_["constant"] == 0.0
    assert binner.binnings_["constant"].n_regular == 1
    assert "flag" in binner.categorical_features_
    table = binner.binning_table("segment")
    special = table[table["bin"] == "Special: unknown"].iloc[0]
    assert special["count"] == (frame["segment"] == "unknown").sum()
    assert all("unknown" not in g for g in binner.binnings_["segment"].groups)
    before = list(frame.columns)
    binner.transform(frame)
    assert list(frame.columns) == before  # the caller's frame is not renamed
