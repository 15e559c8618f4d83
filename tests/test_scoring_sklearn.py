"""WoEBinner and Scorecard keep the scikit-learn estimator contract.

scikit-learn's own common checks (``parametrize_with_checks``) are the reference; the few
that cannot apply are listed with the reason. Model selection (``cross_val_score``,
``GridSearchCV``) runs with its default scoring, which for a classifier is
``Scorecard.score`` = the inherited mean accuracy of ``ClassifierMixin``.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from riskkit.datasets.german import load_german_credit
from riskkit.scoring import Scorecard, WoEBinner

#: the kit's targets are 0/1 with 1 = bad (riskkit._core.checks.check_binary_target): other
#: labels are refused rather than guessed, since nothing says which of two labels is the bad one
_LABELS = ("draws the labels {1, 2} (or {'one', 'two'}); riskkit targets are 0/1 with 1 = bad and other "
           "labels are refused, never guessed")
#: the WoE optimiser needs both classes in every bin (else WoE is infinite), so perfectly
#: separated classes leave one bin per feature, IV 0 and no feature for the scorecard
_SEPARABLE = ("fits make_blobs(cluster_std=0.1), whose classes are perfectly separated: every WoE bin needs "
              "both classes, so each feature keeps one bin, IV 0, and fit refuses the empty selection")

EXPECTED_FAILED = {
    "WoEBinner": {"check_estimators_dtypes": _LABELS},
    "Scorecard": {
        "check_estimators_dtypes": _LABELS,
        "check_classifier_data_not_an_array": _LABELS,
        "check_classifiers_classes": _LABELS,
        "check_pipeline_consistency": _SEPARABLE,
    },
}


@parametrize_with_checks([WoEBinner(), Scorecard()],
                         expected_failed_checks=lambda est: EXPECTED_FAILED[type(est).__name__])
def test_scikit_learn_common_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def german():
    data = load_german_credit()
    return data.drop(columns="bad"), data["bad"]


@pytest.mark.slow
def test_cross_val_score_and_grid_search_use_the_default_accuracy(german):
    X, y = german
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_val_score(Scorecard(), X, y, cv=folds)
    # the independent reference: accuracy_score of each fold's own fit
    expected = []
    for train, test in folds.split(X, y):
        card = Scorecard().fit(X.iloc[train], y.iloc[train])
        expected.append(accuracy_score(y.iloc[test], card.predict(X.iloc[test])))
    np.testing.assert_allclose(scores, expected)
    assert 0.6 < scores.mean() < 0.9
    search = GridSearchCV(Scorecard(), {"min_iv": [0.02, 0.1]}, cv=folds).fit(X, y)
    assert search.best_params_["min_iv"] in (0.02, 0.1)
    means = search.cv_results_["mean_test_score"]
    assert search.best_score_ == pytest.approx(means.max())
    np.testing.assert_allclose(means[0], scores.mean())  # the same folds, the same default scorecard


def test_fitted_columns_come_from_feature_names_in(german):
    X, y = german
    card = Scorecard().fit(X, y)
    assert list(card.feature_names_in_) == list(X.columns) == list(card.binner_.feature_names_in_)
    assert card.n_features_in_ == X.shape[1]
    points = card.total_points(X.iloc[:5])
    np.testing.assert_allclose(points, card.points(X.iloc[:5]).sum(axis=1))
    # array input: scikit-learn's names x0, x1, ... and no feature_names_in_
    numeric = X.select_dtypes("number")
    arr_card = Scorecard().fit(numeric.to_numpy(), y.to_numpy())
    assert not hasattr(arr_card, "feature_names_in_")
    assert list(arr_card.binner_.feature_names_in_) == [f"x{i}" for i in range(numeric.shape[1])]
    with pytest.raises(ValueError, match="X has 2 features, but Scorecard is expecting"):
        arr_card.predict(numeric.to_numpy()[:, :2])
