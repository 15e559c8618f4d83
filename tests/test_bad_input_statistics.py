"""Statistics on pandas inputs pair rows by index label, never by position.

Every case builds customers with labelled rows, shuffles one input (same labels, another
order) and compares with an independent reference computed on the *aligned* arrays
(scikit-learn, scipy, pandas, or a hand formula); inputs whose labels differ are refused
with an InputError naming both arguments and the labels found in only one of them.
Each equality test also checks that positional pairing would give another answer, so the
test could fail.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import brier_score_loss, roc_auc_score

from riskkit._core.checks import align_by_index
from riskkit._core.errors import InputError, RiskkitError
from riskkit.validation import (
    auc,
    binomial_test,
    brier_score,
    delong_test,
    gini,
    herfindahl_index,
    hosmer_lemeshow,
    ks,
    migration_matrix,
    spiegelhalter,
    validation_report,
)

N = 600


@pytest.fixture(scope="module")
def book():
    rng = np.random.default_rng(7)
    index = pd.Index([f"C{i:04d}" for i in range(N)], name="customer_id")
    pd_values = pd.Series(rng.uniform(0.02, 0.4, N), index=index, name="pd")
    y = pd.Series((rng.random(N) < pd_values.to_numpy()).astype(int), index=index, name="default")
    score = pd.Series(np.log(pd_values / (1 - pd_values)) + rng.normal(0, 0.5, N), index=index, name="score")
    grade = pd.Series(np.where(pd_values < 0.1, "A", np.where(pd_values < 0.25, "B", "C")), index=index,
                      name="grade")
    exposure = pd.Series(rng.lognormal(10, 1, N), index=index, name="exposure")
    return y, pd_values, score, grade, exposure


def _shuffled(series: pd.Series, seed: int = 11) -> pd.Series:
    return series.sample(frac=1.0, random_state=seed)


def _relabelled(series: pd.Series, n_changed: int = 3) -> pd.Series:
    labels = series.index.tolist()
    labels[:n_changed] = [f"X{i}" for i in range(n_changed)]
    return series.set_axis(labels)


# -- the shared helper -----------------------------------------------------------------------

def test_same_index_is_returned_untouched(book):
    y, _, score, _, _ = book
    out_y, out_score = align_by_index(y=y, score=score)
    assert out_y is y and out_score is score


def test_arrays_are_paired_by_position_and_left_alone(book):
    y, _, score, _, _ = book
    arr = _shuffled(score).to_numpy()
    out_y, out_arr = align_by_index(y=y, score=arr)
    assert out_y is y and out_arr is arr


def test_dataframe_and_series_are_aligned_by_index(book):
    y, pd_values, score, _, _ = book
    frame = pd.DataFrame({"score": score, "pd": pd_values})
    _, aligned = align_by_index(y=_shuffled(y), X=frame)
    assert aligned.index.equals(_shuffled(y).index)
    pd.testing.assert_frame_equal(aligned, frame.loc[_shuffled(y).index])


def test_different_labels_are_refused_naming_both_arguments_and_labels(book):
    y, _, score, _, _ = book
    with pytest.raises(InputError) as info:
        align_by_index(y=y, score=_relabelled(score))
    message = str(info.value)
    assert isinstance(info.value, RiskkitError) and isinstance(info.value, ValueError)
    assert message.startswith("score and y have different indexes: ")
    assert "3 label(s) only in y ['C0000', 'C0001', 'C0002']" in message
    assert "3 label(s) only in score ['X0', 'X1', 'X2']" in message


def test_shorter_series_is_refused_naming_the_missing_labels(book):
    y, _, score, _, _ = book
    with pytest.raises(InputError, match=r"score and y have different indexes: 1 label\(s\) only in y \['C0599'\]"):
        align_by_index(y=y, score=score.iloc[:-1])


def test_reordered_duplicate_labels_are_refused(book):
    y, _, score, _, _ = book
    dup_y = y.iloc[:4].set_axis(["a", "a", "b", "c"])
    dup_s = score.iloc[:4].set_axis(["c", "b", "a", "a"])
    with pytest.raises(InputError, match=r"y has repeated labels \['a'\], so the rows cannot be paired"):
        align_by_index(y=dup_y, score=dup_s)


# -- discrimination --------------------------------------------------------------------------

def test_auc_of_a_shuffled_series_is_the_aligned_auc(book):
    y, _, score, _, _ = book
    shuffled = _shuffled(score)
    expected = roc_auc_score(y.to_numpy(), score.to_numpy())
    assert auc(y, shuffled).auc == pytest.approx(expected, abs=1e-12)
    # positional pairing of the same objects is a different (wrong) number: the test can fail
    assert abs(roc_auc_score(y.to_numpy(), shuffled.to_numpy()) - expected) > 0.05


def test_auc_refuses_series_with_other_labels(book):
    y, _, score, _, _ = book
    with pytest.raises(InputError, match=r"^score and y have different indexes"):
        auc(y, _relabelled(score))


def test_auc_with_a_range_indexed_score_is_refused(book):
    # the classic slip: a score computed on a reset frame, labels 0..N-1
    y, _, score, _, _ = book
    with pytest.raises(InputError, match=r"only in score \[0, 1, 2, 3, 4, \.\.\. and 595 more\]"):
        auc(y, score.reset_index(drop=True))


def test_gini_and_ks_of_a_shuffled_series(book):
    y, _, score, _, _ = book
    shuffled = _shuffled(score, seed=5)
    y_arr, s_arr = y.to_numpy(), score.to_numpy()
    assert gini(y, shuffled) == pytest.approx(2 * roc_auc_score(y_arr, s_arr) - 1, abs=1e-12)
    expected_ks = stats.ks_2samp(s_arr[y_arr == 1], s_arr[y_arr == 0]).statistic
    assert ks(y, shuffled).statistic == pytest.approx(expected_ks, abs=1e-12)


def test_delong_aligns_both_scores(book):
    y, pd_values, score, _, _ = book
    result = delong_test(y, _shuffled(score, 1), _shuffled(pd_values, 2))
    assert result.details["auc_a"] == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert result.details["auc_b"] == pytest.approx(roc_auc_score(y, pd_values), abs=1e-12)


def test_delong_refuses_a_mismatched_second_score(book):
    y, pd_values, score, _, _ = book
    with pytest.raises(InputError, match=r"^score_b and y have different indexes"):
        delong_test(y, score, _relabelled(pd_values))


# -- calibration -----------------------------------------------------------------------------

def test_brier_score_of_a_shuffled_pd(book):
    y, pd_values, _, _, _ = book
    assert brier_score(y, _shuffled(pd_values)) == pytest.approx(brier_score_loss(y, pd_values), abs=1e-12)


def test_spiegelhalter_refuses_mismatched_pds(book):
    y, pd_values, _, _, _ = book
    with pytest.raises(InputError, match=r"^pd_values and y have different indexes: 3 label\(s\) only in y"):
        spiegelhalter(y, _relabelled(pd_values))


def test_binomial_test_pairs_grade_series_by_label():
    grades = pd.Index(["A", "B", "C"], name="grade")
    pd_values = pd.Series([0.01, 0.05, 0.2], index=grades)
    defaults = pd.Series([3, 9, 30], index=grades)
    n = pd.Series([100, 120, 130], index=grades)
    result = binomial_test(pd_values, defaults.iloc[::-1], n.iloc[[1, 2, 0]])
    # exact one-sided binomial p-values P(D >= d) on the aligned triplets, by scipy
    expected = stats.binom.sf(defaults.to_numpy() - 1, n.to_numpy(), pd_values.to_numpy())
    np.testing.assert_allclose(result.pvalue, expected, rtol=1e-12)


def test_hosmer_lemeshow_refuses_defaults_of_other_grades():
    pd_values = pd.Series([0.01, 0.05, 0.2], index=["A", "B", "C"])
    defaults = pd.Series([3, 9, 30], index=["A", "B", "D"])
    with pytest.raises(InputError, match=r"^defaults and pd_values have different indexes: 1 label\(s\) only in "
                                         r"pd_values \['C'\]; 1 label\(s\) only in defaults \['D'\]"):
        hosmer_lemeshow(pd_values, defaults, 100)


# -- grades ----------------------------------------------------------------------------------

def test_migration_matrix_pairs_obligors_by_label(book):
    _, _, _, grade, _ = book
    rng = np.random.default_rng(3)
    grade_to = pd.Series(rng.choice(["A", "B", "C"], N), index=grade.index)
    matrix = migration_matrix(grade, _shuffled(grade_to), grades=["A", "B", "C"])
    expected = pd.crosstab(grade, grade_to).reindex(index=["A", "B", "C"], columns=["A", "B", "C"], fill_value=0)
    np.testing.assert_array_equal(matrix.counts.to_numpy(), expected.to_numpy())


def test_herfindahl_index_weights_grades_by_label(book):
    _, _, _, grade, exposure = book
    # HI = 1 + ln(HHI) / ln K, HHI = sum_k s_k^2, s_k the exposure share of grade k (ECB 2019;
    # hand formula on the aligned data)
    def hand(weights):
        shares = weights.groupby(grade.to_numpy()).sum() / weights.sum()
        return float(1 + np.log((shares ** 2).sum()) / np.log(3))

    shuffled = _shuffled(exposure)
    assert herfindahl_index(grade, shuffled) == pytest.approx(hand(exposure), rel=1e-12)
    assert abs(hand(shuffled) - hand(exposure)) > 1e-3  # positional pairing differs


def test_herfindahl_index_refuses_mismatched_exposure(book):
    _, _, _, grade, exposure = book
    with pytest.raises(InputError, match=r"^grade exposure and grade have different indexes"):
        herfindahl_index(grade, _relabelled(exposure))


# -- the report ------------------------------------------------------------------------------

def test_validation_report_aligns_every_input(book):
    y, pd_values, score, grade, exposure = book
    report = validation_report(y, _shuffled(pd_values, 1), _shuffled(grade, 2), score=_shuffled(score, 3),
                               exposure=_shuffled(exposure, 4))
    row = report[(report["test"] == "auc") & (report["scope"] == "score")]
    assert row["statistic"].item() == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    brier = report[report["test"] == "brier_score"]["statistic"].item()
    assert brier == pytest.approx(brier_score_loss(y, pd_values), abs=1e-12)


def test_validation_report_refuses_a_mismatched_challenger(book):
    y, pd_values, score, grade, _ = book
    with pytest.raises(InputError, match=r"^challengers\['new'\] and y have different indexes"):
        validation_report(y, pd_values, grade, score=score, challengers={"new": _relabelled(score)})


# -- estimators ------------------------------------------------------------------------------

def test_woe_binner_counts_events_of_the_aligned_target(book):
    y, _, score, _, _ = book
    from riskkit.scoring import WoEBinner

    X = score.to_frame("x")
    binning = WoEBinner(max_bins=3, monotonic_trend="auto_monotone").fit(X, _shuffled(y)).binnings_["x"]
    splits = np.asarray(binning.splits)
    # events per left-closed bin [s_{b-1}, s_b), counted by hand on the aligned data
    bins = np.searchsorted(splits, score.to_numpy(), side="right")
    expected = np.bincount(bins, weights=y.to_numpy(), minlength=splits.size + 1)
    np.testing.assert_array_equal(binning.events[: splits.size + 1], expected)
    positional = np.bincount(bins, weights=_shuffled(y).to_numpy(), minlength=splits.size + 1)
    assert not np.array_equal(positional, expected)


def test_scorecard_fit_refuses_a_target_with_other_labels(book):
    y, _, score, _, _ = book
    from riskkit.scoring import Scorecard

    with pytest.raises(InputError, match=r"^y and X have different indexes: 3 label\(s\) only in X"):
        Scorecard().fit(score.to_frame("x"), _relabelled(y))
