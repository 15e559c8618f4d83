"""Result objects, the YAML config, back-testing helpers and the validation report."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import riskkit.validation as rkv
from riskkit._core.config import ConfigError
from riskkit.validation.config import DEFAULT_CONFIG_PATH, verdict
from riskkit.assess.backtest import VERDICT_SECTIONS, champion_vs_challengers

TIDY = ["test", "scope", "statistic", "pvalue", "verdict", "threshold"]


def brute_force_auc_cov(y, scores):
    """DeLong (1988) from the definition, O(m n) (independent of riskkit's rank algorithm)."""
    y = np.asarray(y).astype(bool)
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    x, z = scores[:, y], scores[:, ~y]
    psi = (x[:, :, None] > z[:, None, :]) + 0.5 * (x[:, :, None] == z[:, None, :])
    return psi.mean(axis=(1, 2)), (np.atleast_2d(np.cov(psi.mean(axis=2))) / x.shape[1]
                                   + np.atleast_2d(np.cov(psi.mean(axis=1))) / z.shape[1])


@pytest.fixture(scope="module")
def book():
    """A synthetic rated book: 7 grades, PDs doubling per grade, observed defaults drawn at
    1.2 x PD, a score, exposures, last period's grades and an initial sample."""
    rng = np.random.default_rng(42)
    n = 3000
    grade = rng.integers(1, 8, n)
    pd_ = 0.002 * 2.0 ** grade
    y = (rng.random(n) < pd_ * 1.2).astype(int)
    score = np.log(pd_) + rng.normal(0, 0.6, n)
    previous = np.clip(grade + rng.choice([-1, 0, 0, 0, 1], n), 1, 7)
    initial = {"auc": 0.75, "grade": rng.integers(1, 8, 2000), "exposure": rng.lognormal(size=2000),
               "score": np.log(0.002 * 2.0 ** rng.integers(1, 8, 2000)) + rng.normal(0, 0.6, 2000),
               "previous_grade": previous}
    return {"y": y, "pd": pd_, "grade": grade, "score": score, "exposure": rng.lognormal(size=n),
            "initial": initial}


# --- results ----------------------------------------------------------------------------

def test_result_is_frozen_and_tidy():
    r = rkv.binomial_test([0.01, 0.02], [3, 9], [100, 200], grades=["A", "B"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.pvalue = 0.5
    with pytest.raises(ValueError):
        r.statistic[0] = 99  # arrays are read-only
    frame = r.to_frame()
    assert list(frame.columns[:6]) == TIDY
    assert list(frame["scope"]) == ["A", "B"]
    assert frame["threshold"].iloc[0] == "amber if p < 0.05; red if p < 0.01"
    assert {"critical_value", "n", "pd"} <= set(frame.columns)
    text = r.summary()
    assert "binomial" in text and "H0:" in text and "amber if p < 0.05" in text and "A" in text
    assert "2 scopes" in repr(r)
    with pytest.raises(AttributeError):
        _ = r.no_such_detail


def test_verdict_rules():
    p = {"kind": "pvalue", "amber_below": 0.05, "red_below": 0.01}
    assert list(verdict([0.2, 0.05, 0.049, 0.01, 0.009, np.nan], p)) == \
        ["green", "green", "amber", "amber", "red", "n/a"]
    hb = {"kind": "higher_is_better", "green_from": 0.7, "amber_from": 0.6}
    assert list(verdict([0.7, 0.65, 0.59], hb)) == ["green", "amber", "red"]
    lb = {"kind": "lower_is_better", "amber_from": 0.1, "red_from": 0.25}
    assert list(verdict([0.09, 0.1, 0.25, np.inf], lb)) == ["green", "amber", "red", "red"]


def test_thresholds_argument_overrides_default():
    y = np.array([0, 0, 1, 1, 0, 1])
    s = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7])  # AUC = 8/9
    assert rkv.auc(y, s).verdict == "green"
    strict = rkv.auc(y, s, thresholds={"kind": "higher_is_better", "green_from": 0.95, "amber_from": 0.9})
    assert strict.verdict == "red" and strict.thresholds["green_from"] == 0.95
    with pytest.raises(ValueError, match="green_from"):
        rkv.auc(y, s, thresholds={"kind": "higher_is_better", "amber_from": 0.9})


# --- config ----------------------------------------------------------------------------------

def test_default_config_loads_and_covers_every_test():
    cfg = rkv.load_validation_config()
    assert DEFAULT_CONFIG_PATH.name == "validation.yaml"
    assert cfg["tests"]["psi"] == {"kind": "lower_is_better", "amber_from": 0.10, "red_from": 0.25}
    assert cfg["parameters"]["binomial_confidence"] == 0.99


@pytest.mark.parametrize("text, entry, field", [
    ("tests:\n  psi: {kind: lower_is_better, amber_from: 0.3, red_from: 0.2}\n", "tests.psi", "amber_from"),
    ("tests:\n  auc: {kind: higher_is_better, green_from: high, amber_from: 0.6}\n", "tests.auc", "green_from"),
    ("tests:\n  binomial: {kind: pvalue, amber_below: 0.05}\n", "tests.binomial", "red_below"),
    ("tests:\n  binomial: {kind: pval, amber_below: 0.05, red_below: 0.01}\n", "tests.binomial", "kind"),
    ("tests:\n  psii: {kind: pvalue, amber_below: 0.05, red_below: 0.01}\n", "tests.psii", "<name>"),
    ("tests:\n  ks: {kind: pvalue, amber_below: 0.05, red_below: 0.01, extra: 1}\n", "tests.ks", "extra"),
    ("tests:\n  traffic_light: {kind: traffic_light, levels: [0.99, 0.95, 0.999]}\n",
     "tests.traffic_light", "levels"),
    ("parameters:\n  psi_bins: 1\n", "parameters.psi_bins", "psi_bins"),
    ("parameters:\n  rho: 0.1\n", "parameters.rho", "<name>"),
])
def test_bad_config_names_file_entry_and_field(tmp_path, text, entry, field):
    path = tmp_path / "bad_validation.yaml"
    path.write_text(text)
    with pytest.raises(rkv.ValidationConfigError) as info:
        rkv.load_validation_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {entry}: field '{field}': ")
    # the kit's one config error, so `except ConfigError` catches every bad config
    assert isinstance(info.value, ConfigError) and (info.value.entry, info.value.field) == (entry, field)


def test_config_rejects_unsafe_yaml_and_bad_top_level(tmp_path):
    path = tmp_path / "unsafe.yaml"
    path.write_text("tests: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(rkv.ValidationConfigError, match="not valid YAML"):
        rkv.load_validation_config(path)
    path.write_text("- just\n- a list\n")
    with pytest.raises(rkv.ValidationConfigError, match="top level"):
        rkv.load_validation_config(path)


def test_user_config_merges_with_default(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("tests:\n  auc: {kind: higher_is_better, green_from: 0.95, amber_from: 0.9}\n")
    cfg = rkv.load_validation_config(path)
    assert cfg["tests"]["auc"]["green_from"] == 0.95
    assert cfg["tests"]["psi"]["red_from"] == 0.25  # untouched default


# --- back-testing --------------------------------------------------------------------------

def test_backtest_default_rates_by_grade_and_date():
    rng = np.random.default_rng(5)
    n = 4000
    frame = pd.DataFrame({
        "as_of": pd.to_datetime(rng.choice(["2022-12-31", "2023-12-31"], n)).astype("datetime64[ns]"),
        "grade": rng.choice(["A", "B", "C"], n),
    })
    frame["pd"] = frame["grade"].map({"A": 0.01, "B": 0.03, "C": 0.08}) * rng.uniform(0.8, 1.2, n)
    frame["default"] = (rng.random(n) < frame["pd"] * 1.1).astype(int)
    out = rkv.backtest_default_rates(frame)
    assert list(out.columns[:2]) == ["as_of", "grade"] and len(out) == 6
    for _, row in out.iterrows():
        sub = frame[(frame["as_of"] == row["as_of"]) & (frame["grade"] == row["grade"])]
        assert row["n"] == len(sub) and row["defaults"] == sub["default"].sum()
        assert row["predicted_pd"] == pytest.approx(sub["pd"].mean())
        assert row["observed_default_rate"] == pytest.approx(sub["default"].mean())
        ref = stats.binomtest(int(row["defaults"]), int(row["n"]), row["predicted_pd"], alternative="greater")
        assert row["binomial_pvalue"] == pytest.approx(ref.pvalue, rel=1e-9)
    by_date = rkv.backtest_default_rates(frame, by="as_of")
    assert by_date["n"].sum() == n and len(by_date) == 2
    with pytest.raises(ValueError, match="missing column"):
        rkv.backtest_default_rates(frame.drop(columns="pd"))
    broken = frame.copy()
    broken.loc[5, "pd"] = 1.5
    with pytest.raises(ValueError, match="strictly between 0 and 1.*index labels 5"):
        rkv.backtest_default_rates(broken)


def test_compare_challengers_matches_brute_force_delong():
    rng = np.random.default_rng(6)
    n = 600
    y = (rng.random(n) < 0.2).astype(int)
    a = rng.normal(size=n) + y
    b = 0.5 * a + rng.normal(size=n)
    points = -(a + rng.normal(size=n))  # a scorecard: higher points = safer
    data = pd.DataFrame({"default": y, "champion": a, "challenger": b, "points": points})
    cmp_ = rkv.compare_challengers(data, ["champion", "challenger", "points"],
                                   higher_is_riskier={"champion": True, "challenger": True, "points": False})
    aucs, cov = brute_force_auc_cov(y, np.vstack([a, b, -points]))
    np.testing.assert_allclose(cmp_.auc["auc"], aucs, rtol=1e-12)
    np.testing.assert_allclose(cmp_.auc["variance"], np.diag(cov), rtol=1e-10)
    pw = cmp_.pairwise.set_index(["score_a", "score_b"])
    z = (aucs[0] - aucs[1]) / np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    assert pw.loc[("champion", "challenger"), "statistic"] == pytest.approx(z, rel=1e-10)
    assert len(pw) == 3
    assert list(cmp_.to_frame().columns) == TIDY
    with pytest.raises(ValueError, match="at least two"):
        rkv.compare_challengers(data, ["champion"])
    with pytest.raises(ValueError, match="missing"):
        rkv.compare_challengers(data, ["champion", "challenger"], higher_is_riskier={"champion": True})


def test_compare_challengers_by_date_runs_within_groups():
    rng = np.random.default_rng(7)
    n = 800
    data = pd.DataFrame({"as_of": np.repeat(["2023", "2024"], n // 2), "default": (rng.random(n) < 0.3).astype(int)})
    data["s1"] = rng.normal(size=n) + data["default"]
    data["s2"] = rng.normal(size=n) + 0.5 * data["default"]
    out = rkv.compare_challengers(data, ["s1", "s2"], by="as_of")
    assert list(out.auc["group"]) == ["2023", "2023", "2024", "2024"]
    first = data[data["as_of"] == "2023"]
    aucs, _ = brute_force_auc_cov(first["default"], np.vstack([first["s1"], first["s2"]]))
    np.testing.assert_allclose(out.auc["auc"].iloc[:2], aucs)


# --- the report ---------------------------------------------------------------------------------

def test_validation_report_full(book):
    b = book
    rep = rkv.validation_report(b["y"], b["pd"], b["grade"], score=b["score"], exposure=b["exposure"],
                                initial=b["initial"])
    assert list(rep.columns) == TIDY
    assert set(rep["verdict"]) <= {"green", "amber", "red", "n/a"}
    tests = set(rep["test"])
    assert {"auc", "gini", "ks", "pietra", "auc_initial", "binomial", "jeffreys", "traffic_light",
            "hosmer_lemeshow", "spiegelhalter", "brier_score", "psi", "herfindahl", "mwb",
            "migration_stability_row"} <= tests
    # numbers come from the underlying statistics (checked against references elsewhere)
    auc_row = rep[(rep["test"] == "auc") & (rep["scope"] == "score")].iloc[0]
    (ref_auc,), _ = brute_force_auc_cov(b["y"], b["score"])
    assert auc_row["statistic"] == pytest.approx(ref_auc, rel=1e-12)
    binom = rep[rep["test"] == "binomial"].reset_index(drop=True)
    assert list(binom["scope"]) == [f"grade {g}" for g in range(1, 8)]
    g3 = b["grade"] == 3
    ref = stats.binomtest(int(b["y"][g3].sum()), int(g3.sum()), b["pd"][g3].mean(), alternative="greater")
    assert binom.loc[2, "pvalue"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert set(rep.loc[rep["test"] == "herfindahl", "scope"]) == {"number", "exposure"}
    assert set(rep.loc[rep["test"] == "jeffreys", "scope"]) >= {"portfolio", "grade 7"}


def test_validation_report_minimal_and_with_config(book, tmp_path):
    b = book
    rep = rkv.validation_report(b["y"], b["pd"], b["grade"])
    assert "psi" not in set(rep["test"]) and "herfindahl_index" in set(rep["test"])
    assert rep.loc[rep["test"] == "auc", "scope"].tolist() == ["pd", "grade"]
    path = tmp_path / "strict.yaml"
    path.write_text("tests:\n  auc: {kind: higher_is_better, green_from: 0.99, amber_from: 0.98}\n")
    strict = rkv.validation_report(b["y"], b["pd"], b["grade"], config=path)
    assert (strict.loc[strict["test"] == "auc", "verdict"] == "red").all()
    assert strict.loc[strict["test"] == "auc", "threshold"].iloc[0].startswith("green if >= 0.99")
    as_dict = rkv.validation_report(b["y"], b["pd"], b["grade"],
                                    config={"parameters": {"asset_correlation": 0.12}})
    # the asset correlation from the config reaches the binomial test (wiring, grade 7)
    g7 = b["grade"] == 7
    direct = rkv.binomial_test(b["pd"][g7].mean(), b["y"][g7].sum(), g7.sum(), rho=0.12)
    row = as_dict[(as_dict["test"] == "binomial") & (as_dict["scope"] == "grade 7")].iloc[0]
    assert row["pvalue"] == pytest.approx(direct.pvalue, rel=1e-12)
    assert row["pvalue"] != pytest.approx(
        rep[(rep["test"] == "binomial") & (rep["scope"] == "grade 7")]["pvalue"].iloc[0], rel=1e-3)


def test_validation_report_grade_order_from_categorical_and_pd(book):
    b = book
    labels = np.array(["AAA", "AA", "A", "BBB", "BB", "B", "CCC"])
    named = labels[b["grade"] - 1]
    rep = rkv.validation_report(b["y"], b["pd"], named)
    # plain strings are ordered by mean PD, not alphabetically
    assert rep.loc[rep["test"] == "binomial", "scope"].tolist() == [f"grade {g}" for g in labels]
    cat = pd.Categorical(named, categories=list(labels), ordered=True)
    rep2 = rkv.validation_report(b["y"], b["pd"], cat)
    pd.testing.assert_frame_equal(rep, rep2)
    assert rkv.grade_order(pd.Series(cat)) == list(labels)


def test_validation_report_bad_inputs(book):
    b = book
    with pytest.raises(ValueError, match="length mismatch"):
        rkv.validation_report(b["y"], b["pd"][:-1], b["grade"])
    with pytest.raises(ValueError, match="unknown key"):
        rkv.validation_report(b["y"], b["pd"], b["grade"], initial={"auc_init": 0.7})
    with pytest.raises(ValueError, match="previous_grade"):
        rkv.validation_report(b["y"], b["pd"], b["grade"], initial={"previous_grade": [1, 2]})
    grade = pd.Series(b["grade"]).astype(float)
    grade.iloc[10] = np.nan
    with pytest.raises(ValueError, match="grade has missing values"):
        rkv.validation_report(b["y"], b["pd"], grade)
    with pytest.raises(ValueError, match="strictly between"):
        rkv.validation_report(b["y"], np.where(np.arange(b["y"].size) == 0, 0.0, b["pd"]), b["grade"])


def test_exposure_weighting_is_reported_even_without_initial_exposure():
    import numpy as np

    from riskkit.validation import herfindahl_index, validation_report

    rng = np.random.default_rng(3)
    n = 400
    grade = rng.integers(1, 6, n)
    pd_ = 0.01 * grade
    y = (rng.random(n) < pd_).astype(int)
    exposure = rng.uniform(1, 10, n)
    report = validation_report(y, pd_, grade, exposure=exposure, initial={"grade": rng.integers(1, 6, n)})
    row = report[(report["test"] == "herfindahl_index") & (report["scope"] == "exposure")]
    assert len(row) == 1 and row["verdict"].iloc[0] == "n/a"
    assert row["statistic"].iloc[0] == herfindahl_index(grade, exposure, grades=[1, 2, 3, 4, 5])


def test_backtest_binomial_pvalue_uses_the_asset_correlation():
    import pandas as pd
    from scipy import stats

    from riskkit.validation import backtest_default_rates, binomial_test

    frame = pd.DataFrame({"grade": ["A"] * 500 + ["B"] * 500, "pd": [0.01] * 500 + [0.05] * 500,
                          "default": [1] * 12 + [0] * 488 + [1] * 30 + [0] * 470})
    independent = backtest_default_rates(frame, by="grade").set_index("grade")
    assert independent.loc["A", "binomial_pvalue"] == stats.binom.sf(11, 500, 0.01)
    correlated = backtest_default_rates(frame, by="grade", rho=0.12).set_index("grade")
    expected = binomial_test([0.01, 0.05], [12, 30], [500, 500], rho=0.12).pvalue
    assert list(correlated["binomial_pvalue"]) == list(expected)
    # defaults above the mean are less surprising when defaults are correlated
    assert (correlated["binomial_pvalue"] > independent["binomial_pvalue"]).all()


# --- verdicts whose favourable outcome is a difference; MWB against the row tests ------------

def _three_scores(seed=11, n=1500):
    """A champion, a weaker challenger and a stronger one on the same obligors."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(int)
    signal = rng.normal(size=n) + 1.2 * y
    return pd.DataFrame({"default": y,
                         "champ": signal + 0.6 * rng.normal(size=n),
                         "weak": signal + 2.5 * rng.normal(size=n),
                         "strong": signal + 0.05 * rng.normal(size=n)})


def test_compare_challengers_verdicts_follow_the_champion():
    data = _three_scores()
    y = data["default"].to_numpy()
    aucs, cov = brute_force_auc_cov(y, np.vstack([data["champ"], data["weak"], data["strong"]]))

    def z(i, j):
        return (aucs[i] - aucs[j]) / np.sqrt(cov[i, i] + cov[j, j] - 2 * cov[i, j])

    out = rkv.compare_challengers(data, ["weak", "champ", "strong"], champion="champ")
    pw = out.pairwise.set_index(["score_a", "score_b"])
    # the champion is score_a of its pairs, whatever the order of the columns
    assert set(pw.index) == {("champ", "weak"), ("champ", "strong"), ("weak", "strong")}
    better = pw.loc[("champ", "weak")]
    assert better["statistic"] == pytest.approx(z(0, 1), rel=1e-10)
    assert better["pvalue"] == pytest.approx(2 * stats.norm.sf(abs(z(0, 1))), rel=1e-9)
    assert better["pvalue"] < 0.01  # the AUCs differ ...
    assert better["pvalue_champion_worse"] == pytest.approx(stats.norm.cdf(z(0, 1)), rel=1e-9)
    assert better["verdict"] == "green"  # ... in the champion's favour: not a finding
    assert better["finding"] == "champ higher"
    worse = pw.loc[("champ", "strong")]
    assert worse["statistic"] == pytest.approx(z(0, 2), rel=1e-10)
    assert worse["verdict"] == "red" and worse["finding"] == "strong higher"
    others = pw.loc[("weak", "strong")]
    assert others["verdict"] == "n/a" and np.isnan(others["pvalue_champion_worse"])
    # the one-sided test of champion_vs_challengers gives the same colours
    one_sided = champion_vs_challengers(out, "champ").set_index("challenger")
    assert one_sided.loc["weak", "verdict"] == "green" and one_sided.loc["strong", "verdict"] == "red"
    # with no champion a difference is neither good nor bad news: informational only
    plain = rkv.compare_challengers(data, ["champ", "weak", "strong"])
    assert set(plain.pairwise["verdict"]) == {"n/a"}
    assert plain.pairwise.set_index(["score_a", "score_b"]).loc[("champ", "weak"), "finding"] == "champ higher"
    assert list(plain.to_frame().columns) == TIDY
    with pytest.raises(ValueError, match="champion 'other' is not among"):
        rkv.compare_challengers(data, ["champ", "weak"], champion="other")


def test_validation_report_challenger_rows_are_one_sided():
    data = _three_scores(seed=12)
    y = data["default"].to_numpy()
    pd_ = 1 / (1 + np.exp(-(data["champ"].to_numpy() - 2.5)))
    grade = np.digitize(pd_, [0.05, 0.1, 0.2, 0.4]) + 1
    points = -data["strong"].to_numpy()  # a scorecard: higher points = safer
    rep = rkv.validation_report(y, pd_, grade, challengers={"weak": data["weak"], "points": points},
                                challenger_higher_is_riskier={"weak": True, "points": False})
    rows = rep[rep["test"] == "challenger_outperforms"].set_index("scope")
    assert list(rows.index) == ["weak vs pd", "points vs pd"]
    aucs, cov = brute_force_auc_cov(y, np.vstack([pd_, data["weak"], -points]))
    for i, scope in ((1, "weak vs pd"), (2, "points vs pd")):
        z = (aucs[i] - aucs[0]) / np.sqrt(cov[i, i] + cov[0, 0] - 2 * cov[i, 0])
        assert rows.loc[scope, "statistic"] == pytest.approx(z, rel=1e-9)
        assert rows.loc[scope, "pvalue"] == pytest.approx(stats.norm.sf(z), rel=1e-9)
    assert rows.loc["weak vs pd", "statistic"] < -2.6  # the champion is clearly better ...
    assert rows.loc["weak vs pd", "verdict"] == "green"  # ... which is not a finding
    assert rows.loc["points vs pd", "verdict"] == "red"  # a better challenger is
    assert list(rep.columns) == TIDY
    noted = rkv.validation_report(y, pd_, grade, challengers={"weak": data["weak"]}, notes=True)
    assert "one-sided" in noted.set_index("test").loc["challenger_outperforms", "note"]
    with pytest.raises(ValueError, match=r"challengers\['weak'\]"):
        rkv.validation_report(y, pd_, grade, challengers={"weak": data["weak"][:-1]})
    with pytest.raises(ValueError, match="no direction for challenger 'weak'"):
        rkv.validation_report(y, pd_, grade, challengers={"weak": data["weak"]},
                              challenger_higher_is_riskier={"other": True})


def _grades_from_counts(counts):
    """Grade vectors (start, end) that realise a migration count matrix."""
    k = counts.shape[0]
    start = np.repeat(np.repeat(np.arange(1, k + 1), k), counts.ravel())
    end = np.repeat(np.tile(np.arange(1, k + 1), k), counts.ravel())
    return start, end


def test_mwb_floor_and_details_by_hand():
    """One-notch floor = sum_cells N_ij / sum_cells max(|i-K|, |i-1|) N_ij, mean notches =
    sum |i-j| N_ij / sum N_ij, per direction, on the MathWorks count matrix."""
    counts = np.array([[10, 8, 15, 9, 10], [11, 9, 13, 9, 8], [0, 10, 10, 11, 10],
                       [0, 0, 9, 11, 11], [0, 0, 0, 11, 10]])
    r = rkv.migration_weighted_bandwidth(counts)
    k = 5
    for pos, cell in ((0, lambda i, j: j > i), (1, lambda i, j: j < i)):
        moved = den = dist = 0.0
        for i in range(1, k + 1):
            for j in range(1, k + 1):
                if cell(i, j):
                    n_ij = counts[i - 1, j - 1]
                    moved += n_ij
                    dist += abs(i - j) * n_ij
                    den += max(abs(i - k), abs(i - 1)) * n_ij
        assert r.one_notch[pos] == pytest.approx(moved / den, rel=1e-12)
        assert r.movers[pos] == moved
        assert r.mean_notches[pos] == pytest.approx(dist / moved, rel=1e-12)
        assert r.statistic[pos] == pytest.approx(dist / den, rel=1e-12)


def test_report_explains_mwb_against_the_row_tests():
    k = 7
    # every mover moves one notch, shares fall away from the diagonal: the row tests have
    # nothing to flag, yet the MWB sits at its floor 2/9 = 0.222 >= the amber level 0.20
    counts = np.diag(np.full(k, 200))
    for i in range(k - 1):
        counts[i, i + 1], counts[i + 1, i] = 40, 30
    start, end = _grades_from_counts(counts)
    pd_ = 0.002 * 2.0 ** end
    y = (np.arange(end.size) % 25 == 0).astype(int)
    rep = rkv.validation_report(y, pd_, end, initial={"previous_grade": start}, notes=True)
    mwb = rep[rep["test"] == "mwb"].set_index("scope")
    widest = [max(abs(i - k), abs(i - 1)) for i in range(1, k + 1)]
    floor_upper = 40 * (k - 1) / sum(40 * widest[i] for i in range(k - 1))
    assert mwb.loc["upper", "statistic"] == pytest.approx(floor_upper, rel=1e-12)
    assert list(mwb["verdict"]) == ["amber", "amber"]
    rows = rep[rep["test"] == "migration_stability_row"]
    assert not rows["verdict"].isin(["amber", "red"]).any()
    floors = rep[rep["test"] == "mwb_one_notch"].set_index("scope")
    assert floors.loc["upper", "statistic"] == pytest.approx(floor_upper, rel=1e-12)
    assert (floors["verdict"] == "n/a").all()
    note = mwb.loc["upper", "note"]
    assert "short and orderly" in note and "even one-notch moves only would reach the amber level" in note
    assert "0 of" in note
    # the opposite disagreement: many one-notch moves from grade 1 and a hump two notches
    # from the diagonal in row 4 (cell 4->5 empty): a red cell with a green MWB
    counts = np.diag(np.full(k, 400))
    counts[0, 1], counts[3, 5] = 300, 10
    start, end = _grades_from_counts(counts)
    rep = rkv.validation_report((np.arange(end.size) % 25 == 0).astype(int), 0.002 * 2.0 ** end, end,
                                initial={"previous_grade": start}, notes=True)
    row = rep[(rep["test"] == "migration_stability_row") & (rep["scope"] == "4->6")].iloc[0]
    assert row["verdict"] == "red" and "neighbour nearer the diagonal" in row["note"]
    upper = rep[(rep["test"] == "mwb") & (rep["scope"] == "upper")].iloc[0]
    assert upper["statistic"] == pytest.approx((300 * 1 + 10 * 2) / (300 * 6 + 10 * 3), rel=1e-12)
    assert upper["verdict"] == "green" and "few obligors move far" in upper["note"]
    # and a case where they agree: a far jump from the best grade is both far and non-monotone
    counts = np.diag(np.full(k, 400))
    counts[0, 1], counts[0, 5] = 2, 12
    start, end = _grades_from_counts(counts)
    rep = rkv.validation_report((np.arange(end.size) % 25 == 0).astype(int), 0.002 * 2.0 ** end, end,
                                initial={"previous_grade": start}, notes=True)
    assert rep[(rep["test"] == "migration_stability_row") & (rep["scope"] == "1->6")]["verdict"].iloc[0] == "red"
    upper = rep[(rep["test"] == "mwb") & (rep["scope"] == "upper")].iloc[0]
    assert upper["verdict"] == "red" and "They agree here" in upper["note"]
    assert VERDICT_SECTIONS["mwb_one_notch"] == "migration"
