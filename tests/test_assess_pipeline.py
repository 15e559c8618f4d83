"""The assessment pipeline on a small synthetic book: develop on history, rate out of time."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import riskkit as rk
from riskkit.assess.pipeline import assess_portfolio, fit_portfolio_scorecard


@pytest.fixture(scope="module")
def book():
    # 2,000 customers (the sample book's size): about 40 defaults on the out-of-time date.
    # With 800 (13 defaults) the DeLong interval is +-0.16 wide, and a change of WoE shape
    # rule (cv default: AUC 0.643 against 0.681 monotone there, paired DeLong p = 0.11)
    # tipped its lower end below 0.5: the test measured the sample, not the pipeline
    portfolio = rk.datasets.generate_portfolio(2000, seed=7)
    card, sample = fit_portfolio_scorecard(portfolio, ["2022-12-31", "2023-12-31"])
    return portfolio, card, sample


def test_development_sample_and_fit(book):
    portfolio, card, sample = book
    assert set(sample["as_of"].astype(str).str[:10]) == {"2022-12-31", "2023-12-31"}
    assert 0 < sample["default"].mean() < 0.2
    assert len(card.features_) >= 3


def test_assessment_columns_and_consistency(book):
    portfolio, card, _ = book
    a = assess_portfolio(portfolio, "2024-12-31", card, lgd=0.4)
    profile = rk.profile.build_profile(portfolio, "2024-12-31")
    assert a.index.equals(profile.index)
    # the PD is the scorecard's own probability of the profile row
    columns = list(card.feature_names_in_)
    np.testing.assert_allclose(a["pd"], card.predict_proba(profile[columns])[:, 1])
    # knock-outs are D; customers 90+ days past due today are knocked out
    assert (a.loc[a["knockout"], "grade"] == "D").all()
    assert (a.loc[profile["current_dpd"] >= 90, "grade"] == "D").all()
    # expected loss = PD x LGD x EAD by hand, with PD 1 for D and the grade's PD otherwise
    scale = rk.scoring.RatingRules.default().master_scale
    mids = dict(zip(scale.all_grades, scale.table()["pd_mid"]))
    for cid, row in a.sample(20, random_state=0).iterrows():
        pd_used = 1.0 if row["grade"] == "D" else mids.get(row["grade"], row["pd"])
        if row["grade"] == "S":
            pd_used = row["pd"]
        assert row["expected_loss"] == pytest.approx(pd_used * 0.4 * (row["ead"] if row["ead"] == row["ead"] else 0))


def test_out_of_time_discrimination(book):
    portfolio, card, _ = book
    a = assess_portfolio(portfolio, "2024-12-31", card)
    y = rk.profile.default_flags(portfolio, "2024-12-31")
    joined = a.join(y, how="inner")
    # out of time on a 2,000-customer book (a few dozen defaults): the AUC must be clearly
    # better than chance -- its DeLong 95 % interval above 0.5 -- not a pinned value
    result = rk.validation.auc(joined["default"], joined["pd"])
    assert result.statistic == pytest.approx(roc_auc_score(joined["default"], joined["pd"]), abs=1e-12)
    assert result.ci()[0] > 0.5


def test_unknown_features_are_an_error(book):
    portfolio, _, sample = book
    with pytest.raises(ValueError, match="not in the profile"):
        fit_portfolio_scorecard(portfolio, [], features=["no_such_feature"], sample=sample)
