"""Statistical scorecard on German Credit against sklearn / statsmodels / hand formulas."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import logit
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from statsmodels.stats.outliers_influence import variance_inflation_factor

from riskkit.datasets.german import load_german_credit
from riskkit.scoring import (
    Scorecard,
    WoEBinner,
    compare_models,
    fit_challenger,
    score_to_pd,
    variance_inflation_factors,
)

SEED = 0


@pytest.fixture(scope="module")
def split():
    data = load_german_credit()
    X, y = data.drop(columns="bad"), data["bad"]
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=SEED)


@pytest.fixture(scope="module")
def card(split):
    X_train, _, y_train, _ = split
    return Scorecard().fit(X_train, y_train)


def test_test_auc_at_least_080(split, card):
    _, X_test, _, y_test = split
    auc = roc_auc_score(y_test, card.predict_proba(X_test)[:, 1])
    assert auc >= 0.80
    # binning was fitted on the training part only
    assert card.binner_.binnings_["duration_in_month"].nonevents.sum() + \
        card.binner_.binnings_["duration_in_month"].events.sum() == 700


def test_coefficients_match_sklearn_and_fisher_information(split, card):
    X_train, _, y_train, _ = split
    woe = card.binner_.transform_frame(X_train)[card.features_]
    # C=inf is an unpenalised fit (penalty=None is deprecated in scikit-learn 1.8+)
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(woe, y_train)
    np.testing.assert_allclose(card.coef_[card.features_], reference.coef_[0], rtol=1e-4, atol=1e-5)
    assert card.coef_["const"] == pytest.approx(reference.intercept_[0], rel=1e-4, abs=1e-5)
    # standard errors: sqrt(diag((X' W X)^-1)) at the MLE
    design = np.column_stack([np.ones(len(woe)), woe.to_numpy()])
    p = reference.predict_proba(woe)[:, 1]
    cov = np.linalg.inv(design.T @ (design * (p * (1 - p))[:, None]))
    summary = card.summary()
    np.testing.assert_allclose(summary["std_err"], np.sqrt(np.diag(cov)), rtol=1e-3)
    np.testing.assert_allclose(summary["z"], summary["coef"] / summary["std_err"], rtol=1e-10)
    assert (card.coef_[card.features_] < 0).all()  # WoE = ln(%good/%bad) -> negative signs
    assert {"coef", "std_err", "z", "p_value", "ci_lower", "ci_upper", "iv", "vif"} <= set(summary.columns)


def test_points_scaling_formula(split, card):
    _, X_test, _, _ = split
    factor = 20 / math.log(2)
    offset = 600 - factor * math.log(50)
    assert card.factor_ == pytest.approx(factor)
    assert card.offset_ == pytest.approx(offset)
    p_bad = card.predict_proba(X_test)[:, 1]
    expected = offset - factor * logit(p_bad)  # points = offset - factor * ln(bad odds)
    np.testing.assert_allclose(card.total_points(X_test), expected, rtol=1e-10)
    # a customer at 50:1 good:bad odds scores 600; 20 points more doubles the odds
    assert score_to_pd(600, 20, 600, 50) == pytest.approx(1 / 51)
    assert score_to_pd(620, 20, 600, 50) == pytest.approx(1 / 101)


def test_points_table_adds_up_to_score(split, card):
    _, X_test, _, _ = split
    table = card.points_table()
    assert list(table.columns) == ["feature", "bin", "woe", "coefficient", "points"]
    assert set(table["feature"]) == set(card.features_)
    # rebuild one customer's score by hand from the table
    row = X_test.iloc[[0]]
    bins = card.binner_.bin_indices(row)
    total = 0.0
    for f in card.features_:
        labels = card.binner_.binnings_[f].labels()
        label = labels[bins[f].iloc[0]]
        total += table[(table["feature"] == f) & (table["bin"] == label)]["points"].iloc[0]
    assert total == pytest.approx(card.total_points(row).iloc[0])
    # per-bin points follow -factor * (beta * woe + beta0 / n) + offset / n
    n = len(card.features_)
    expected = -card.factor_ * (table["coefficient"] * table["woe"] + card.coef_["const"] / n) + card.offset_ / n
    np.testing.assert_allclose(table["points"], expected, rtol=1e-10)


def test_json_round_trip_scores_identically(split, card):
    _, X_test, _, _ = split
    text = card.to_json()
    payload = json.loads(text)
    assert payload["format"] == "riskkit.scoring.Scorecard"
    loaded = Scorecard.from_json(text)
    pd.testing.assert_series_equal(loaded.total_points(X_test), card.total_points(X_test))
    np.testing.assert_array_equal(loaded.predict_proba(X_test), card.predict_proba(X_test))
    pd.testing.assert_frame_equal(loaded.points_table(), card.points_table())
    pd.testing.assert_frame_equal(loaded.summary(), card.summary())
    assert loaded.get_params()["pdo"] == card.pdo
    with pytest.raises(ValueError, match="not a riskkit Scorecard"):
        Scorecard.from_json(json.dumps({"format": "pickle"}))


def test_params_untouched_and_sklearn_behaviour(split):
    X_train, X_test, y_train, _ = split
    binner = WoEBinner(max_bins=6)
    card = Scorecard(binner=binner, min_iv=0.03, pdo=40)
    params = card.get_params(deep=False)
    card.fit(X_train, y_train)
    assert card.get_params(deep=False) == params
    assert not hasattr(binner, "binnings_")  # the given binner is cloned, not fitted
    assert clone(card).get_params(deep=False)["min_iv"] == 0.03
    assert card.predict_proba(X_test).shape == (len(X_test), 2)
    np.testing.assert_allclose(card.predict_proba(X_test).sum(axis=1), 1.0)
    assert set(np.unique(card.predict(X_test))) <= {0, 1}
    # score(X, y) is scikit-learn's mean accuracy (ClassifierMixin), points come from total_points
    y_zero = np.zeros(len(X_test), dtype=int)
    assert card.score(X_test, y_zero) == pytest.approx(float(np.mean(card.predict(X_test) == 0)))


def test_selection_log_and_steps(split):
    X_train, _, y_train, _ = split
    rng = np.random.default_rng(1)
    X = X_train.assign(
        noise=rng.normal(size=len(X_train)),
        checking_copy=X_train["status_of_existing_checking_account"],
    )
    card = Scorecard(stepwise="pvalue").fit(X, y_train)
    log = card.selection_
    assert list(log.columns) == ["feature", "step", "kept", "reason", "value"]
    noise = log[(log.feature == "noise") & (log.step == "iv")].iloc[0]
    assert not noise.kept and "min_iv" in noise.reason
    corr = log[(log.feature == "checking_copy") & (log.step == "correlation")]
    if not corr.empty:  # the copy has the same IV; whichever comes second is dropped
        assert not corr.iloc[0].kept and "status_of_existing_checking_account" in corr.iloc[0].reason
    else:
        dropped = log[(log.feature == "status_of_existing_checking_account") & (log.step == "correlation")]
        assert not dropped.iloc[0].kept
    assert "noise" not in card.features_
    assert not {"checking_copy", "status_of_existing_checking_account"} <= set(card.features_)
    assert (card.summary().drop("const")["p_value"] <= 0.05).all()
    final = log[log.step == "final"]
    assert list(final.feature) == card.features_


def test_aic_stepwise_lowers_aic(split):
    X_train, _, y_train, _ = split
    full = Scorecard().fit(X_train, y_train)
    stepped = Scorecard(stepwise="aic").fit(X_train, y_train)
    assert stepped.model_stats_["aic"] <= full.model_stats_["aic"] + 1e-9


def test_vif_matches_statsmodels(split, card):
    X_train, _, _, _ = split
    woe = card.binner_.transform_frame(X_train)[card.features_]
    exog = sm.add_constant(woe.to_numpy())
    expected = [variance_inflation_factor(exog, i + 1) for i in range(woe.shape[1])]
    np.testing.assert_allclose(variance_inflation_factors(woe), expected, rtol=1e-8)


def test_challenger_and_comparison(split, card):
    X_train, X_test, y_train, y_test = split
    challenger = fit_challenger(X_train, y_train, seed=SEED)
    table = compare_models({"scorecard": card, "challenger": challenger}, X_test, y_test)
    assert table.loc[0, "auc"] == pytest.approx(roc_auc_score(y_test, card.predict_proba(X_test)[:, 1]))
    assert table.loc[1, "auc"] == pytest.approx(roc_auc_score(y_test, challenger.predict_proba(X_test)[:, 1]))
    np.testing.assert_allclose(table["gini"], 2 * table["auc"] - 1)
    assert table.loc[1, "auc"] > 0.65
    # unseen categories do not break the challenger
    odd = X_test.iloc[:3].copy()
    odd["purpose"] = odd["purpose"].astype(str)
    odd.loc[odd.index[0], "purpose"] = "space travel"
    assert challenger.predict_proba(odd).shape == (3, 2)


def test_bad_inputs(split):
    X_train, _, y_train, _ = split
    with pytest.raises(ValueError, match="binary"):
        Scorecard().fit(X_train, y_train * 3)
    with pytest.raises(ValueError, match="stepwise"):
        Scorecard(stepwise="forward").fit(X_train, y_train)
    with pytest.raises(ValueError, match="no feature passed"):
        Scorecard(min_iv=5.0).fit(X_train, y_train)
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing:\n- status_of_existing"):
        Scorecard().fit(X_train, y_train).total_points(X_train.drop(columns="status_of_existing_checking_account"))


def test_round_points(split):
    X_train, X_test, y_train, _ = split
    card = Scorecard(round_points=True).fit(X_train, y_train)
    table = card.points_table()
    np.testing.assert_array_equal(table["points"], np.round(table["points"]))
    exact = Scorecard().fit(X_train, y_train)
    # rounding moves each of the n features' points by at most 0.5
    assert (card.total_points(X_test) - exact.total_points(X_test)).abs().max() <= 0.5 * len(card.features_)
    np.testing.assert_array_equal(card.total_points(X_test), np.round(card.total_points(X_test)))


def test_single_woe_feature_has_slope_minus_one():
    # A known property of WoE coding (e.g. Siddiqi 2006; Thomas, Edelman & Crook 2002): a
    # logistic regression of y on one WoE-coded feature, WoE computed on the same data,
    # has intercept ln(bads/goods) and slope exactly -1 (with WoE = ln(%good/%bad)).
    # This is why a lone remaining feature can never carry a wrong sign.
    rng = np.random.default_rng(0)
    x = rng.normal(size=5000)
    y = (rng.random(5000) < 1 / (1 + np.exp(-(x - 2)))).astype(int)
    card = Scorecard(min_iv=0.0).fit(pd.DataFrame({"x": x}), y)
    assert card.coef_["x"] == pytest.approx(-1.0, abs=2e-3)
    assert card.coef_["const"] == pytest.approx(np.log(y.sum() / (len(y) - y.sum())), abs=2e-3)
