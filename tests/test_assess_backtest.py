"""Out-of-time back-test runner, hold-out split, challenger test, verdict summary, and the
model-validation notebook on the German credit data."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import riskkit as rk
from riskkit.assess.pipeline import MODEL_FEATURES, assess_portfolio, development_dates
from riskkit.assess.backtest import (
    PREDICTION_COLUMNS,
    champion_vs_challengers,
    develop_models,
    holdout_backtest,
    out_of_time_backtest,
    summarise_verdicts,
)

HORIZON = 365
TEST_DATES = ["2023-12-31", "2024-12-31"]
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "model_validation.ipynb"


@pytest.fixture(scope="module")
def book():
    return rk.datasets.generate_portfolio(600, seed=5)


@pytest.fixture(scope="module")
def models(book):
    return develop_models(book, development_dates("2023-12-31"), challenger_params={"max_iter": 30})


@pytest.fixture(scope="module")
def oot(book, models):
    return out_of_time_backtest(book, models.model_dates, TEST_DATES, models=models)


# -- the runner on a generated book ------------------------------------------------------------

def test_columns_types_and_order(oot):
    assert list(oot.columns) == PREDICTION_COLUMNS
    assert str(oot["as_of"].dtype) == "datetime64[ns]"
    assert set(oot["as_of"].dt.strftime("%Y-%m-%d")) == set(TEST_DATES)
    assert oot["default"].dtype == np.int64 and set(oot["default"]) <= {0, 1}
    assert oot["pd"].between(0, 1, inclusive="neither").all()
    assert oot["challenger_pd"].between(0, 1).all()
    assert list(oot["pd_grade"].cat.categories) == rk.scoring.MasterScale.default().grades
    assert oot["pd_grade"].cat.ordered and oot["grade"].cat.ordered
    assert list(oot["grade"].cat.categories) == rk.scoring.RatingRules.default().grade_order
    assert not oot[["pd", "pd_grade", "grade", "score", "ead"]].isna().any().any()
    keys = oot[["as_of", "customer_id"]]
    assert not keys.duplicated().any()
    assert keys.equals(keys.sort_values(["as_of", "customer_id"]).reset_index(drop=True))
    # the master-scale grade is the grade of the scorecard PD
    scale = rk.scoring.MasterScale.default()
    assert (oot["pd_grade"].astype(str) == scale.grade(oot["pd"].to_numpy()).astype(str)).all()


def test_no_outcome_window_overlaps_development(oot, models):
    last_model_date = max(models.model_dates)
    assert (oot["as_of"] >= last_model_date + pd.Timedelta(days=HORIZON)).all()
    # the development sample's own labels all end by the first test date
    dev_dates = models.development["as_of"].unique()
    assert pd.Timestamp(dev_dates.max()) + pd.Timedelta(days=HORIZON) <= oot["as_of"].min()
    assert set(pd.DatetimeIndex(dev_dates)) == set(models.model_dates)


def test_test_date_inside_a_development_window_is_refused(book, models):
    with pytest.raises(ValueError, match=r"\['2023-06-30'\] fall before 2023-12-31.*overlap"):
        out_of_time_backtest(book, models.model_dates, ["2023-06-30", "2024-06-30"], models=models)


def test_censored_outcome_window_is_refused(book, models):
    with pytest.raises(ValueError, match="2025-06-30: its 365-day outcome window runs past the end"):
        out_of_time_backtest(book, models.model_dates, ["2025-06-30"], models=models)
    with pytest.warns(UserWarning, match="right-censored"):
        frame = out_of_time_backtest(book, models.model_dates, ["2025-06-30"], models=models,
                                     allow_censored=True)
    assert len(frame) > 0


@pytest.mark.parametrize("date", TEST_DATES)
def test_default_flags_equal_profile_labels(book, oot, date):
    got = oot[oot["as_of"] == date].set_index("customer_id")["default"]
    expected = rk.profile.default_flags(book, date, horizon_days=HORIZON)
    pd.testing.assert_series_equal(got, expected, check_names=False)


def test_development_labels_equal_profile_labels(book, models):
    for date, rows in models.development.groupby("as_of"):
        expected = rk.profile.default_flags(book, date, horizon_days=HORIZON)
        pd.testing.assert_series_equal(rows.set_index("customer_id")["default"], expected, check_names=False)


def test_ratings_use_only_what_was_known_on_the_date(book, oot, models):
    """Rating a snapshot that holds nothing after the date gives the same PDs and grades."""
    date = TEST_DATES[-1]
    snapshot = book.as_of(date)
    rated = assess_portfolio(snapshot, date, models.scorecard)
    rows = oot[oot["as_of"] == date].set_index("customer_id")
    np.testing.assert_allclose(rows["pd"], rated.loc[rows.index, "pd"], rtol=1e-12)
    np.testing.assert_allclose(rows["score"], rated.loc[rows.index, "score"], rtol=1e-12)
    np.testing.assert_allclose(rows["ead"], rated.loc[rows.index, "ead"], rtol=1e-12)
    assert (rows["grade"].astype(str) == rated.loc[rows.index, "grade"].astype(str)).all()
    profile = rk.profile.build_profile(snapshot, date).loc[rows.index, list(MODEL_FEATURES)]
    np.testing.assert_allclose(rows["challenger_pd"], models.challenger.predict_proba(profile)[:, 1], rtol=1e-12)


def test_development_is_scored_in_sample(models):
    dev = models.development
    card = models.scorecard
    np.testing.assert_allclose(dev["pd"], card.predict_proba(dev[list(card.feature_names_in_)])[:, 1])
    assert set(MODEL_FEATURES) <= set(dev.columns)
    assert list(dev.columns[:len(PREDICTION_COLUMNS)]) == PREDICTION_COLUMNS


def test_fitted_models_can_be_passed(book, oot, models):
    again = out_of_time_backtest(book, models.model_dates, TEST_DATES, scorecard=models.scorecard,
                                 challenger=models.challenger)
    pd.testing.assert_frame_equal(again, oot)
    alone = out_of_time_backtest(book, models.model_dates, TEST_DATES[:1], scorecard=models.scorecard,
                                 keep_features=True)
    assert alone["challenger_pd"].isna().all()
    assert set(models.scorecard.feature_names_in_) <= set(alone.columns)


@pytest.mark.parametrize("test_dates, message", [
    ([], "test_dates is empty"),
    (["2024-12-31", "2024-12-31"], r"repeated date\(s\) \['2024-12-31'\]"),
    (["2024-12-31", "not a date"], r"test_dates\[1\] is not a date"),
    ("2024-12-31", "must be a list of dates"),
])
def test_bad_test_dates(book, models, test_dates, message):
    with pytest.raises(ValueError, match=message):
        out_of_time_backtest(book, models.model_dates, test_dates, models=models)


def test_bad_arguments(book, models):
    with pytest.raises(ValueError, match="horizon_days must be a positive"):
        out_of_time_backtest(book, models.model_dates, TEST_DATES, horizon_days=0, models=models)
    with pytest.raises(ValueError, match="models were developed on"):
        out_of_time_backtest(book, ["2021-12-31"], TEST_DATES, models=models)
    with pytest.raises(ValueError, match="a challenger without a scorecard"):
        out_of_time_backtest(book, models.model_dates, TEST_DATES, challenger=models.challenger)
    with pytest.raises(ValueError, match="scorecard is not fitted"):
        out_of_time_backtest(book, models.model_dates, TEST_DATES, scorecard=rk.scoring.Scorecard())
    with pytest.raises(ValueError, match="model_dates is empty"):
        develop_models(book, [])


def test_docstring_examples():
    import doctest

    import riskkit.assess.backtest as module

    assert doctest.testmod(module).failed == 0


# -- a hand-made book ---------------------------------------------------------------------------

class _TermsScorecard:
    """Stand-in scorecard: PD 0.1 % for 60-day payment terms, 5 % otherwise."""

    feature_names_in_ = np.array(["payment_terms_days"], dtype=object)

    def predict_proba(self, X):
        pd_ = np.where(X["payment_terms_days"].to_numpy() == 60, 0.001, 0.05)
        return np.column_stack([1 - pd_, pd_])

    def total_points(self, X):
        return pd.Series(600 - 1000 * self.predict_proba(X)[:, 1], index=X.index, name="total_points")


class _ConstantChallenger:
    def predict_proba(self, X):
        return np.column_stack([np.full(len(X), 0.98), np.full(len(X), 0.02)])


def test_hand_made_book(tables):
    """Three customers whose outcomes are known by hand (conftest's tiny tables, extended).

    C1 (60-day terms, central SOE with 85 % state share) has invoice I2 due 2021-04-30 never
    paid: 90 days past due on 2021-07-29. C2 (30-day terms, private) goes bankrupt on
    2022-03-01. C3 defaults on 2021-06-15 and is onboarded only on 2021-01-10. A bureau
    report of 2022-12-31 makes the data run past both outcome windows.
    """
    tables["events"] = pd.concat([tables["events"], pd.DataFrame({
        "event_id": ["E3"], "customer_id": ["C2"],
        "date": pd.to_datetime(["2022-03-01"]).astype("datetime64[ns]"), "category": ["bankruptcy"],
        "severity": [5], "source": ["court"], "text": ["Bankruptcy filing"]})], ignore_index=True)
    tables["bureau"] = pd.concat([tables["bureau"], pd.DataFrame({
        "customer_id": ["C2"], "report_date": pd.to_datetime(["2022-12-31"]).astype("datetime64[ns]"),
        "source": ["bureau_a"], "score": [500.0], "delinquencies": [3], "inquiries": [2]})], ignore_index=True)
    book = rk.data.Portfolio(**tables)

    frame = out_of_time_backtest(book, ["2019-12-31"], ["2020-12-31", "2021-06-30"],
                                 scorecard=_TermsScorecard(), challenger=_ConstantChallenger())
    expected = pd.DataFrame({
        # 2020-12-31: C3 not yet onboarded; 2021-06-30: C3 already in default (dropped)
        "as_of": pd.to_datetime(["2020-12-31", "2020-12-31", "2021-06-30", "2021-06-30"]).astype("datetime64[ns]"),
        "customer_id": pd.Series(["C1", "C2", "C1", "C2"], dtype="str"),
        "pd": [0.001, 0.05, 0.001, 0.05],
        # master scale: AA = [0.000949, 0.003), BB = [0.03, 0.0949)
        "pd_grade": ["AA", "BB", "AA", "BB"],
        # C1 is whitelisted; C2's 2020 statement (published 2021-05-15) has Altman Z'' = -1.08:
        # distress, one notch down from BB on 2021-06-30
        "grade": ["S", "BB", "S", "B"],
        "rule": ["whitelist_central_soe", "master_scale", "whitelist_central_soe", "distress_zone_downgrade"],
        "score": [599.0, 550.0, 599.0, 550.0],
        "challenger_pd": [0.02] * 4,
        # nothing issued or ordered by 2020-12-31; on 2021-06-30 C1 owes I2 (2,500), C2 has order O3 (700) open
        "ead": [0.0, 0.0, 2500.0, 700.0],
        # C1 defaults 2021-07-29 (inside both windows); C2 on 2022-03-01 (only in the second)
        "default": np.array([1, 0, 1, 1], dtype=np.int64),
    })
    got = frame.drop(columns="expert_score")
    for column in ("pd_grade", "grade"):
        got[column] = got[column].astype(str)
    pd.testing.assert_frame_equal(got, expected[got.columns], check_dtype=False)


# -- hold-out split (German credit) -----------------------------------------------------------

@pytest.fixture(scope="module")
def german():
    return rk.datasets.load_german_credit()


@pytest.fixture(scope="module")
def holdout(german):
    return holdout_backtest(german.drop(columns="bad"), german["bad"], test_size=0.3, seed=3,
                            challenger_params={"max_iter": 30})


def test_holdout_split_is_stratified_and_disjoint(german, holdout):
    frame = holdout.predictions
    dev, test = frame[frame["sample"] == "development"], frame[frame["sample"] == "test"]
    assert (len(dev), len(test)) == (700, 300)
    assert (int(dev["default"].sum()), int(test["default"].sum())) == (210, 90)
    assert not set(dev["customer_id"]) & set(test["customer_id"])
    assert sorted(frame["customer_id"].astype(int)) == list(range(1000))
    truth = german["bad"].to_numpy()[frame["customer_id"].astype(int)]
    np.testing.assert_array_equal(frame["default"], truth)


def test_holdout_models_see_only_the_development_part(german, holdout):
    frame = holdout.predictions
    dev_ids = frame.loc[frame["sample"] == "development", "customer_id"].astype(int).to_numpy()
    test = frame[frame["sample"] == "test"]
    X = german.drop(columns="bad")
    card = rk.scoring.Scorecard().fit(X.iloc[dev_ids], german["bad"].iloc[dev_ids])
    rows = X.iloc[test["customer_id"].astype(int).to_numpy()]
    np.testing.assert_allclose(test["pd"], card.predict_proba(rows)[:, 1], rtol=1e-10)
    np.testing.assert_allclose(test["score"], card.total_points(rows), rtol=1e-10)


def test_holdout_bad_input(german):
    X = german.drop(columns="bad")
    with pytest.raises(ValueError, match="y must be 0/1"):
        holdout_backtest(X, german["bad"].replace({1: 2}))
    with pytest.raises(ValueError, match="length mismatch"):
        holdout_backtest(X, german["bad"].iloc[:10])
    with pytest.raises(ValueError, match="test_size must be a float"):
        holdout_backtest(X, german["bad"], test_size=1.5)
    with pytest.raises(ValueError, match="X must be a DataFrame"):
        holdout_backtest(X.to_numpy(), german["bad"])


# -- challenger test ----------------------------------------------------------------------------

def _slow_delong(y, a, b):
    """DeLong et al. (1988) by explicit pairwise comparisons, O(m n)."""
    y = np.asarray(y, dtype=bool)

    def components(s):
        pos, neg = s[y], s[~y]
        psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
        return psi.mean(axis=1), psi.mean(axis=0), psi.mean()

    v10a, v01a, auc_a = components(np.asarray(a, dtype=float))
    v10b, v01b, auc_b = components(np.asarray(b, dtype=float))
    s10 = np.cov(np.vstack([v10a, v10b]))
    s01 = np.cov(np.vstack([v01a, v01b]))
    cov = s10 / y.sum() + s01 / (~y).sum()
    return auc_a, auc_b, (auc_b - auc_a) / np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])


def test_champion_vs_challengers_against_slow_delong():
    rng = np.random.default_rng(0)
    n = 400
    y = rng.random(n) < 0.2
    champion = y * 1.0 + rng.normal(size=n)
    better = y * 1.6 + rng.normal(size=n)
    worse = np.round(y * 0.5 + rng.normal(size=n), 1)  # ties
    data = pd.DataFrame({"default": y.astype(int), "champ": champion, "better": better, "worse": worse,
                         "group": np.where(np.arange(n) < 200, "a", "b")})
    for by in (None, "group"):
        result = champion_vs_challengers(
            rk.validation.compare_challengers(data, ["better", "champ", "worse"], by=by), "champ")
        parts = [(None, data)] if by is None else list(data.groupby("group"))
        for key, part in parts:
            for challenger in ("better", "worse"):
                auc_c, auc_ch, z = _slow_delong(part["default"], part["champ"], part[challenger])
                row = result[result["challenger"] == challenger]
                if by is not None:
                    row = row[row["group"] == key]
                assert len(row) == 1
                row = row.iloc[0]
                assert row["auc_champion"] == pytest.approx(auc_c)
                assert row["auc_challenger"] == pytest.approx(auc_ch)
                assert row["statistic"] == pytest.approx(z)
                assert row["pvalue"] == pytest.approx(stats.norm.sf(z))
                assert row["difference"] == pytest.approx(auc_ch - auc_c)
    # the strong challenger beats the champion on the full sample; the weak one cannot be red
    full = champion_vs_challengers(rk.validation.compare_challengers(data, ["champ", "better", "worse"]), "champ")
    assert full.set_index("challenger").loc["better", "verdict"] == "red"
    assert full.set_index("challenger").loc["worse", "pvalue"] > 0.5


def test_champion_vs_challengers_excludes_and_checks():
    rng = np.random.default_rng(1)
    y = (rng.random(200) < 0.3).astype(int)
    data = pd.DataFrame({"default": y, "a": y + rng.normal(size=200), "b": rng.normal(size=200),
                         "oracle": y + 0.1 * rng.normal(size=200)})
    comparison = rk.validation.compare_challengers(data, ["a", "b", "oracle"])
    result = champion_vs_challengers(comparison, "a", exclude=["oracle"])
    assert list(result["challenger"]) == ["b"]
    with pytest.raises(ValueError, match="champion 'c' is not among"):
        champion_vs_challengers(comparison, "c")
    with pytest.raises(ValueError, match="compare_challengers"):
        champion_vs_challengers(data, "a")


# -- verdict summary ----------------------------------------------------------------------------

def test_summarise_verdicts_by_hand():
    verdicts = pd.DataFrame({
        "sample": ["d1"] * 5 + ["d2"] * 4,
        "test": ["auc", "binomial", "binomial", "binomial", "psi", "auc", "binomial", "binomial", "binomial"],
        "scope": ["score", "g1", "g2", "g3", "score", "score", "g1", "g2", "g3"],
        "verdict": ["green", "green", "amber", "red", "n/a", "amber", "green", "green", "green"],
    })
    out = summarise_verdicts(verdicts, by="sample")
    assert list(out.columns) == ["section", "test", "scopes", "d1", "d2", "flagged d1", "flagged d2"]
    assert out["test"].tolist() == ["auc", "binomial", "psi"]
    assert out["section"].tolist() == ["discrimination", "calibration", "stability"]
    assert out["d1"].tolist() == ["green", "red", "n/a"]
    assert out["d2"].tolist() == ["amber", "green", ""]
    assert out["flagged d1"].tolist() == ["0 of 1", "2 of 3", "0 of 1"]
    assert out["flagged d2"].tolist() == ["1 of 1", "0 of 3", ""]
    assert out["scopes"].tolist() == [1, 3, 1]
    inline = summarise_verdicts(verdicts, by="sample", inline_counts=True)
    assert inline["d1"].tolist() == ["green (0 of 1)", "red (2 of 3)", "n/a (0 of 1)"]
    assert "flagged d1" not in inline.columns
    single = summarise_verdicts(verdicts[verdicts["sample"] == "d1"], sections={"auc": "x"})
    assert single["verdict"].tolist() == ["green", "red", "n/a"]
    assert single["section"].tolist() == ["x", "other", "other"]


def test_summarise_verdicts_bad_input():
    with pytest.raises(ValueError, match=r"missing column\(s\) \['verdict'\]"):
        summarise_verdicts(pd.DataFrame({"test": ["auc"], "scope": ["s"]}))
    with pytest.raises(ValueError, match=r"unknown verdict value\(s\) \['yellow'\]"):
        summarise_verdicts(pd.DataFrame({"test": ["auc"], "scope": ["s"], "verdict": ["yellow"]}))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['as_of'\]"):
        summarise_verdicts(pd.DataFrame({"test": ["auc"], "scope": ["s"], "verdict": ["red"]}), by="as_of")


# -- the notebook on the German credit data --------------------------------------------------

@pytest.mark.slow  # a kernel start plus the notebook: 5-15 s on the 2-core machine
def test_notebook_runs_on_german_credit(tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "model_validation_german.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters={"dataset": "german"},
                               cwd=str(NOTEBOOK.parent), progress_bar=False, kernel_name="python3")
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"], "warnings in output"
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert text.count("Not applicable") >= 5  # migration and back-test sections
    html = "".join("".join(o["data"].get("text/html", "")) for o in outputs if "data" in o)
    assert "Worst verdict per test and sample" in html and ">holdout<" in html  # the verdict table
