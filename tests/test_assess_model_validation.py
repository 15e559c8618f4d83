"""riskkit.assess.validate_model / validate_model_holdout: the tables of the model-validation
report, each checked against an independent computation (sklearn AUC, scipy KS, counts by
hand with numpy, the ECB Herfindahl formula written out)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import riskkit as rk


@pytest.fixture(scope="module")
def german():
    credit = rk.datasets.load_german_credit()
    X, y = credit.drop(columns="bad"), credit["bad"]
    return X, y, rk.assess.validate_model_holdout(X, y, test_size=0.3, seed=0)


def test_holdout_samples_follow_the_stratified_split(german):
    X, y, result = german
    assert result.design == "holdout" and not result.has_time
    assert result.sample_names == ("holdout",)
    _, test_rows = train_test_split(np.arange(len(X)), test_size=0.3, random_state=0, stratify=y)
    test = result.sample("holdout")
    assert sorted(test["customer_id"]) == sorted(X.index[test_rows].astype(str))
    overview = result.overview()
    # 1,000 applicants, 300 bad; a 30 % stratified split keeps 300 x 0.3 = 90 bads in the test part
    assert overview["obligors"].tolist() == [700, 300]
    assert overview["defaults"].tolist() == [210, 90]
    assert overview["default_rate"].tolist() == pytest.approx([0.3, 0.3])
    assert overview.loc["holdout", "mean_pd"] == pytest.approx(test["pd"].mean())
    assert overview["period"].tolist() == ["random 70 % (stratified)", "random 30 % (stratified)"]


def test_discrimination_against_sklearn_and_scipy(german):
    _, _, result = german
    table = result.discrimination()
    assert list(table.index) == ["development (in-sample)", "holdout"]
    for row, frame in (("development (in-sample)", result.development), ("holdout", result.sample("holdout"))):
        y, score = frame["default"].to_numpy(), frame["score"].to_numpy()
        expected_auc = roc_auc_score(y, -score)  # points: higher = safer
        assert table.loc[row, "auc"] == pytest.approx(expected_auc, abs=1e-12)
        assert table.loc[row, "gini"] == pytest.approx(2 * expected_auc - 1, abs=1e-12)
        assert table.loc[row, "ks"] == pytest.approx(stats.ks_2samp(score[y == 1], score[y == 0]).statistic,
                                                     abs=1e-12)
        assert table.loc[row, "ci_lower"] < table.loc[row, "auc"] < table.loc[row, "ci_upper"]
    # the hold-out sample's ECB reference is the development AUC
    assert table.loc["holdout", "reference_auc"] == pytest.approx(table.loc["development (in-sample)", "auc"])


def test_calibration_by_grade_counts_by_hand(german):
    _, _, result = german
    table = result.calibration_by_grade()
    test = result.sample("holdout")
    grades = test["pd_grade"].astype(str).to_numpy()
    scale = rk.scoring.MasterScale.default().table().set_index("grade")["pd_mid"]
    for _, row in table.iterrows():
        members = grades == str(row["pd_grade"])
        assert row["n"] == members.sum()
        assert row["defaults"] == test["default"].to_numpy()[members].sum()
        assert row["predicted_pd"] == pytest.approx(test["pd"].to_numpy()[members].mean())
        assert row["grade_pd"] == pytest.approx(scale[str(row["pd_grade"])])
        assert row["jeffreys_verdict"] in ("green", "amber", "red")
    assert table["n"].sum() == len(test)


def test_verdict_summary_and_counts_agree_with_the_verdict_rows(german):
    _, _, result = german
    verdicts = result.verdicts
    assert list(verdicts.columns) == ["sample", "test", "scope", "statistic", "pvalue", "verdict", "threshold"]
    counts = result.verdict_counts()
    assert counts.to_numpy().sum() == len(verdicts)
    assert counts["holdout"].to_dict() == verdicts["verdict"].value_counts().to_dict()
    severity = {"green": 1, "amber": 2, "red": 3}
    summary = result.verdict_summary().set_index("test")
    rated = verdicts[verdicts["verdict"] != "n/a"]
    for test, rows in rated.groupby("test"):
        worst = max(rows["verdict"], key=severity.get)
        flagged = int(rows["verdict"].isin(["amber", "red"]).sum())
        assert summary.loc[test, "holdout"] == f"{worst} ({flagged} of {len(rows)})"


def test_holdout_has_no_time_sections(german):
    _, _, result = german
    assert result.migrations == () and result.by_date is None and result.over_time is None
    assert result.migration_summary().empty
    with pytest.raises(ValueError, match="no time dimension"):
        result.default_rates_by_grade_over_time()
    assert "true_pd" not in set(result.comparison.auc["score"])
    assert set(result.outperform["challenger"]) == {"challenger_pd"}


def test_concentration_is_the_ecb_herfindahl_index(german):
    _, _, result = german
    grades = rk.scoring.MasterScale.default().grades
    test = result.sample("holdout")["pd_grade"].astype(str)
    shares = np.array([(test == g).mean() for g in grades])
    k = len(grades)
    expected = 1 + np.log(np.sum(shares ** 2)) / np.log(k)  # HI = 1 + ln(HHI) / ln K (ECB 2019)
    assert result.concentration().loc["holdout", "herfindahl_index_number"] == pytest.approx(expected)
    assert "herfindahl_index_exposure" not in result.concentration()


def test_csi_table_is_wide_and_sorted(german):
    _, _, result = german
    table = result.csi_table()
    assert set(table.index) == set(result.features)
    assert table["holdout"].is_monotonic_decreasing
    tidy = result.csi.set_index("scope")
    assert table["holdout"].to_dict() == pytest.approx(tidy["statistic"].to_dict())


def test_summarise_verdicts_refuses_a_group_named_like_its_columns():
    verdicts = pd.DataFrame({"test": ["auc"], "scope": ["score"], "verdict": ["green"], "sample": ["test"]})
    with pytest.raises(ValueError, match=r"value\(s\) \['test'\] of column 'sample' would overwrite"):
        rk.assess.summarise_verdicts(verdicts, by="sample")


def test_validate_model_refuses_test_dates_not_after_as_of(tiny_portfolio):
    with pytest.raises(ValueError, match="test_dates must be non-empty and after as_of 2023-12-31"):
        rk.assess.validate_model(tiny_portfolio, "2023-12-31", ["2023-06-30"])
    with pytest.raises(ValueError, match="test_dates must be a list of dates"):
        rk.assess.validate_model(tiny_portfolio, "2023-12-31", "2024-06-30")
    with pytest.raises(ValueError, match=r"test_dates\[1\] is not a parseable date"):
        rk.assess.validate_model(tiny_portfolio, "2023-12-31", ["2024-06-30", "2024-02-30"])


# -- out of time on a small synthetic book ---------------------------------------------------

@pytest.fixture(scope="module")
def out_of_time():
    book = rk.datasets.generate_portfolio(300, seed=1)
    result = rk.assess.validate_model(book, "2023-12-31", ["2024-06-30", "2024-12-31"],
                                      challenger_params={"max_iter": 30})
    return book, result


@pytest.mark.slow
def test_out_of_time_tables(out_of_time):
    book, result = out_of_time
    assert result.has_time and result.sample_names == ("2023-12-31", "2024-06-30", "2024-12-31")
    overview = result.overview()
    for date in result.sample_names:
        labels = rk.profile.default_flags(book, date)  # THE default definition, independently
        assert overview.loc[date, "obligors"] == len(labels)
        assert overview.loc[date, "defaults"] == labels.sum()
    # migration between consecutive dates, counted by hand on the customers present on both
    grades = {g: i for i, g in enumerate(rk.scoring.MasterScale.default().grades)}
    summary = result.migration_summary()
    assert list(summary.index) == ["2023-12-31 -> 2024-06-30", "2024-06-30 -> 2024-12-31"]
    for period in result.migrations:
        start = result.sample(period.start).set_index("customer_id")["pd_grade"].astype(str).map(grades)
        end = result.sample(period.end).set_index("customer_id")["pd_grade"].astype(str).map(grades)
        both = start.index.intersection(end.index)
        a, b = start[both].to_numpy(), end[both].to_numpy()
        row = summary.loc[period.period]
        assert row["customers"] == len(both)
        assert row["share_unchanged"] == pytest.approx(np.mean(a == b))
        assert row["share_downgraded"] == pytest.approx(np.mean(b > a))  # grades best first
        assert row["share_upgraded"] == pytest.approx(np.mean(b < a))
    # the benchmark true PD is compared but never tested as a challenger
    assert {"pd", "challenger_pd", "expert_score", "true_pd"} == set(result.comparison.auc["score"])
    assert "true_pd" not in set(result.outperform["challenger"])
    # back-test over time: one row per date, defaults as counted above
    assert result.by_date["defaults"].tolist() == overview.loc[list(result.sample_names), "defaults"].tolist()
    assert "over time" in result.verdict_counts().columns
    wide = result.default_rates_by_grade_over_time()
    assert list(wide["observed_default_rate"].columns) == list(result.sample_names)
