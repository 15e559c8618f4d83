"""Develop a scorecard on a development sample and judge it on a test sample, in one call.

:func:`develop_scorecard_holdout` splits data without dates at random (stratified);
:func:`develop_scorecard_out_of_time` develops on the book's history (observation dates
whose one-year outcome is known by ``as_of``) and tests on the book as it stood on
``as_of``.  Both return a :class:`ScorecardDevelopment` whose methods give the tables of
the scorecard-development report: samples, information value ranking, selection log,
discrimination on both samples, and the gradient-boosting challenger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .._core.checks import check_binary_target
from .._core.dates import check_as_of
from ..profile import build_profile, default_flags
from ..scoring import Scorecard, compare_models, fit_challenger
from ..scoring.binning import DEFAULT_MIN_TURN_EVENTS
from ..validation import auc, delong_test, gini, ks
from .findings import scorecard_findings
from .pipeline import MODEL_FEATURES, development_dates, fit_portfolio_scorecard

__all__ = ["ScorecardDevelopment", "develop_scorecard_holdout", "develop_scorecard_out_of_time",
           "IV_BANDS", "SELECTION_STEPS"]

#: Siddiqi's (2006) rule-of-thumb bands of the information value: [lower, upper) -> label
IV_BANDS = ((-np.inf, 0.02, "useless"), (0.02, 0.1, "weak"), (0.1, 0.3, "medium"), (0.3, np.inf, "strong"))
#: the steps of the scorecard's feature selection, in the order they run
SELECTION_STEPS = ("iv", "correlation", "vif", "stepwise", "sign", "final")


def _outcome_row(target, name: str) -> dict:
    values = np.asarray(target)
    return {"sample": name, "observations": len(values), "bads": int(values.sum()), "bad_rate": float(values.mean())}


def _discrimination_row(target, pd_bad, name: str, level: float) -> dict:
    result = auc(target, pd_bad)
    lower, upper = result.ci(level)
    return {"sample": name, "observations": len(target), "bads": int(np.sum(target)), "auc": result.auc,
            "auc_ci_lower": lower, "auc_ci_upper": upper, "gini": gini(target, pd_bad),
            "ks": ks(target, pd_bad).statistic}


@dataclass(frozen=True, eq=False)
class ScorecardDevelopment:
    """A fitted scorecard with its development and test samples.

    Attributes
    ----------
    scorecard : riskkit.scoring.Scorecard
        Fitted on ``X_train``, ``y_train``.
    X_train, X_test : DataFrame
        Candidate features of the development and the test sample.
    y_train, y_test : Series
        1 = bad (default), 0 = good.
    train_name, test_name : str
        How the report names the samples.
    development : DataFrame or None
        Out-of-time design: the stacked development sample (``as_of``, ``customer_id``,
        features, ``default``); None for a random split.
    seed : int
        Random state of the split and of the challenger.
    """

    scorecard: Any
    X_train: pd.DataFrame
    y_train: pd.Series
    X_test: pd.DataFrame
    y_test: pd.Series
    train_name: str
    test_name: str
    development: pd.DataFrame | None
    seed: int

    def pd_train(self) -> np.ndarray:
        """P(bad) of the development rows."""
        return self.scorecard.predict_proba(self.X_train)[:, 1]

    def pd_test(self) -> np.ndarray:
        """P(bad) of the test rows."""
        return self.scorecard.predict_proba(self.X_test)[:, 1]

    def points_train(self) -> pd.Series:
        """Total scorecard points of the development rows (higher = safer)."""
        return self.scorecard.points(self.X_train).sum(axis=1).rename("score")

    def points_test(self) -> pd.Series:
        """Total scorecard points of the test rows (higher = safer)."""
        return self.scorecard.points(self.X_test).sum(axis=1).rename("score")

    def outcome_summary(self) -> pd.DataFrame:
        """Observations, bads and bad rate per sample (and per observation date of an
        out-of-time development sample)."""
        rows = []
        if self.development is not None:
            for date, part in self.development.groupby("as_of", sort=True):
                rows.append(_outcome_row(part["default"], f"development {pd.Timestamp(date).date()}"))
        rows += [_outcome_row(self.y_train, self.train_name), _outcome_row(self.y_test, self.test_name)]
        return pd.DataFrame(rows).set_index("sample")

    def iv_table(self) -> pd.DataFrame:
        """Every candidate's information value, its band (:data:`IV_BANDS`) and what the
        selection did with it ("in the model" or "dropped at <step>")."""
        iv = self.scorecard.binner_.information_value_
        last_step = self.scorecard.selection_.groupby("feature", sort=False).tail(1).set_index("feature")
        outcome = np.where(last_step["kept"], "in the model", "dropped at " + last_step["step"])
        edges = [IV_BANDS[0][0], *(upper for _, upper, _ in IV_BANDS)]
        return pd.DataFrame({
            "iv": iv,
            "band": pd.cut(iv, edges, right=False, labels=[label for *_, label in IV_BANDS]),
            "selection": pd.Series(outcome, index=last_step.index).reindex(iv.index),
        })

    def selection_counts(self) -> pd.DataFrame:
        """Features considered, kept and dropped at each selection step, in run order."""
        log = self.scorecard.selection_
        counts = (log.groupby("step")["kept"].agg(considered="size", kept="sum")
                  .assign(dropped=lambda t: t["considered"] - t["kept"]))
        return counts.reindex([s for s in SELECTION_STEPS if s in set(log["step"])])

    def dropped_features(self) -> pd.DataFrame:
        """Every dropped feature with the step and the reason."""
        log = self.scorecard.selection_
        return log.loc[~log["kept"], ["feature", "step", "reason"]].reset_index(drop=True)

    def discrimination(self, level: float = 0.95) -> pd.DataFrame:
        """AUC with its DeLong interval, Gini and KS of the PD on both samples, and the gap
        (development - test) of AUC, Gini and KS."""
        table = pd.DataFrame([_discrimination_row(self.y_train, self.pd_train(), self.train_name, level),
                              _discrimination_row(self.y_test, self.pd_test(), self.test_name, level)]
                             ).set_index("sample")
        metrics = ["auc", "gini", "ks"]
        table.loc[f"gap ({self.train_name} - test)", metrics] = (table.loc[self.train_name, metrics]
                                                                 - table.loc[self.test_name, metrics])
        return table.astype({"observations": "Int64", "bads": "Int64"})

    def fit_challenger(self, **params):
        """``rk.scoring.fit_challenger`` on the development sample (random state ``seed``)."""
        return fit_challenger(self.X_train, self.y_train, seed=self.seed, **params)

    def challenger_comparison(self, challenger) -> pd.DataFrame:
        """AUC and Gini of the scorecard and a fitted challenger on both samples
        (rows = model, columns = (metric, sample))."""
        models = {"scorecard": self.scorecard, "gradient boosting": challenger}
        table = pd.concat(
            [compare_models(models, self.X_train, self.y_train).assign(sample=self.train_name),
             compare_models(models, self.X_test, self.y_test).assign(sample=self.test_name)]
        ).pivot(index="model", columns="sample", values=["auc", "gini"]).reindex(list(models))
        return table.reindex(columns=[self.train_name, self.test_name], level=1)

    def challenger_delong(self, challenger) -> pd.DataFrame:
        """Paired DeLong test on the test sample: do the scorecard's and the challenger's
        AUCs differ?"""
        result = delong_test(self.y_test, self.pd_test(), challenger.predict_proba(self.X_test)[:, 1])
        return result.to_frame().rename(columns={"auc_a": "auc_scorecard", "auc_b": "auc_challenger"}).drop(
            columns=["test", "scope"])


    def shapes(self) -> dict:
        """Model feature -> the WoE shape its binning chose (ascending, descending, peak, valley)."""
        binnings = self.scorecard.binner_.binnings_
        return {f: binnings[f].trend for f in self.scorecard.features_}

    def key_findings(self, challenger=None, alpha: float = 0.05,
                     min_turn_events: int = DEFAULT_MIN_TURN_EVENTS) -> list[str]:
        """The sentences that open the report (:func:`riskkit.assess.scorecard_findings`):
        test discrimination against development, samples, features kept, WoE shapes, the
        peaks and valleys resting on fewer than ``min_turn_events`` development events, and
        (with a fitted ``challenger``) the paired DeLong test against it."""
        binnings = self.scorecard.binner_.binnings_
        turn_events = {f: binnings[f].turn_events for f in self.scorecard.features_}
        return scorecard_findings(self.outcome_summary(), self.discrimination(), self.iv_table(), self.shapes(),
                                  self.train_name, self.test_name,
                                  None if challenger is None else self.challenger_delong(challenger), alpha,
                                  turn_events=turn_events, min_turn_events=min_turn_events)


def develop_scorecard_holdout(X: pd.DataFrame, y: Any, *, test_size: float = 0.3, seed: int = 42,
                              scorecard: Scorecard | None = None) -> ScorecardDevelopment:
    """Fit a scorecard on a stratified random part of the data; keep the rest for the test.

    ``sklearn.model_selection.train_test_split(X, y, test_size, stratify=y,
    random_state=seed)``; the binning is learned on the development part only.

    Parameters
    ----------
    X : DataFrame
        Candidate features.
    y : array-like of 0/1
        1 = bad.
    test_size : float, default 0.3
    seed : int, default 42
    scorecard : Scorecard, optional
        Unfitted, with the wanted parameters (default ``Scorecard()``).
    """
    if not isinstance(X, pd.DataFrame):
        raise ValueError(f"X must be a DataFrame of features, got {type(X).__name__}")
    target = pd.Series(check_binary_target(y, "y", n_rows=len(X)).astype(np.int64), index=X.index, name="bad")
    if not isinstance(test_size, float) or not 0 < test_size < 1:
        raise ValueError(f"test_size must be a float in (0, 1), got {test_size!r}")
    X_train, X_test, y_train, y_test = train_test_split(X, target, test_size=test_size, stratify=target,
                                                        random_state=seed)
    card = (Scorecard() if scorecard is None else scorecard).fit(X_train, y_train)
    return ScorecardDevelopment(scorecard=card, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
                                train_name="train", test_name="test", development=None, seed=seed)


def develop_scorecard_out_of_time(portfolio, as_of, *, features: Sequence[str] = MODEL_FEATURES, seed: int = 42,
                                  scorecard: Scorecard | None = None) -> ScorecardDevelopment:
    """Develop on the book's history and test on the book as it stood on ``as_of``.

    The development sample stacks the profiles and one-year default labels of
    :func:`riskkit.assess.development_dates` ``(as_of)``, whose outcome windows all close
    by ``as_of``; the test sample is the point-in-time profile on ``as_of`` of the
    customers performing then, labelled with ``riskkit.profile.default_flags`` (defaults
    in the following year).

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
    as_of : date-like
        The out-of-time test date.
    features : sequence of str
        Candidate profile columns (default ``MODEL_FEATURES``).
    seed : int, default 42
        Random state of the challenger.
    scorecard : Scorecard, optional
    """
    as_of = check_as_of(as_of)
    dates = development_dates(as_of)
    card, development = fit_portfolio_scorecard(portfolio, dates, features=features, scorecard=scorecard)
    features = list(features)
    y_test = default_flags(portfolio, as_of)
    X_test = build_profile(portfolio, as_of).loc[y_test.index, features]
    return ScorecardDevelopment(scorecard=card, X_train=development[features], y_train=development["default"],
                                X_test=X_test, y_test=y_test, train_name="development",
                                test_name=f"out-of-time {as_of.date()}", development=development, seed=seed)
