"""Statistical scorecard: WoE binning + selection + logistic regression + points.

Pipeline inside :meth:`Scorecard.fit` (Siddiqi 2006, *Credit Risk Scorecards*, ch. 6-7):

1. :class:`~riskkit.scoring.WoEBinner` bins every feature and computes IV;
2. selection: IV threshold, then pairwise correlation of WoE (greedy by IV), then
   VIF, then (optionally) backward stepwise by p-value or AIC, then removal of
   coefficients with the wrong sign;
3. logistic regression of ``y`` (1 = bad) on the WoE of the selected features, by
   maximum likelihood in statsmodels:
   :math:`\\ln(p/(1-p)) = \\beta_0 + \\sum_j \\beta_j WoE_j`.  With WoE = ln(%good/%bad)
   the expected signs are :math:`\\beta_j < 0`;
4. points scaling (Siddiqi 2006, ch. 6):

   .. math::

       score = offset + factor \\cdot \\ln(odds_{good}) = offset - factor \\cdot \\ln(odds_{bad}),
       \\quad factor = PDO / \\ln 2,\\quad offset = base\\_score - factor \\ln(base\\_odds),

   where ``base_odds`` are the good:bad odds at ``base_score`` and the score rises by
   ``PDO`` points when the good:bad odds double.  The points of bin :math:`i` of feature
   :math:`j` (of :math:`n` features) are

   .. math::

       points_{ij} = -factor\\,(\\beta_j WoE_{ij} + \\beta_0/n) + offset/n,

   so the points of a customer's bins add up to the score exactly.
"""

from __future__ import annotations

import json
import math
from numbers import Real

import numpy as np
import pandas as pd
from scipy.special import expit, ndtri
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from .._core.checks import align_by_index
from .._core.config import ConfigError
from .._core.display import html_card
from ._card_json import check_scorecard_payload, loads_strict
from ._input import check_X, check_y, fitted_feature_names
from .binning import WoEBinner
from .selection import (
    fit_logit,
    select_by_correlation,
    select_by_iv,
    select_by_vif,
    variance_inflation_factors,
)

__all__ = ["Scorecard"]

_FORMAT = "riskkit.scoring.Scorecard"
_FORMAT_VERSION = 1
_STEPWISE = (None, "pvalue", "aic")
UNKNOWN_LABEL = "Unknown"


def _entry(feature, step, kept, reason, value=np.nan) -> dict:
    return {"feature": feature, "step": step, "kept": bool(kept), "reason": reason, "value": float(value)}


class Scorecard(ClassifierMixin, BaseEstimator):
    """WoE logistic-regression scorecard with points scaling.

    Parameters
    ----------
    binner : WoEBinner, optional
        Binning estimator (cloned in ``fit``); default ``WoEBinner()``.
    min_iv : float, default=0.02
        Features with IV below this are dropped ("unpredictive", Siddiqi 2006).
    max_iv : float, optional
        Features with IV above this are dropped (possible leakage); default no limit.
    max_correlation : float, default=0.7
        Largest allowed absolute Pearson correlation between the WoE of two features.
    max_vif : float, default=5.0
        Largest allowed variance inflation factor.
    stepwise : {None, "pvalue", "aic"}, default=None
        Backward elimination: drop the feature with the largest p-value while it exceeds
        ``max_pvalue``, or drop features while that lowers the AIC.
    max_pvalue : float, default=0.05
    check_sign : bool, default=True
        Drop features whose coefficient is not negative (a positive coefficient on WoE
        contradicts the binning and signals collinearity), the worst p-value first.
    pdo : float, default=20
        Points to double the good:bad odds.
    base_score : float, default=600
        Score at the base odds.
    base_odds : float, default=50
        Good:bad odds at ``base_score`` (50 means 50:1).
    round_points : bool, default=False
        Round the points of every bin to integers (the score is then the sum of rounded
        points and differs from the model's log-odds by the rounding).

    Attributes
    ----------
    binner_ : WoEBinner
        The fitted binner (all candidate features).
    features_ : list of str
        Selected features, in model order.
    coef_ : pandas.Series
        Intercept (``const``) and coefficients.
    selection_ : pandas.DataFrame
        Log of selection decisions: ``feature, step, kept, reason, value``.
    model_ : statsmodels LogitResults
        The fitted model (absent on a scorecard loaded from JSON).
    factor_, offset_ : float
        Points scaling.
    classes_ : ndarray, ``[0, 1]``
    feature_names_in_ : ndarray of str
        The columns of ``X`` in fit (a DataFrame); absent for array input, whose
        columns are ``x0, x1, ...``.
    n_features_in_ : int

    Notes
    -----
    A scikit-learn classifier: ``score(X, y)`` is the inherited mean accuracy
    (:class:`~sklearn.base.ClassifierMixin`), so ``cross_val_score`` and
    ``GridSearchCV`` work with their default scoring (pass ``scoring="roc_auc"`` for
    the usual measure of a scorecard). The **points** of each row come from
    :meth:`total_points` (their split by feature from :meth:`points`).  Serialise with
    :meth:`to_json` / :meth:`from_json` (never pickle).

    Examples
    --------
    >>> import riskkit as rk
    >>> data = rk.datasets.load_german_credit()
    >>> card = rk.scoring.Scorecard().fit(data.drop(columns="bad"), data["bad"])
    >>> card.points_table().columns.tolist()
    ['feature', 'bin', 'woe', 'coefficient', 'points']
    """

    def __init__(
        self,
        binner: WoEBinner | None = None,
        min_iv: float = 0.02,
        max_iv: float | None = None,
        max_correlation: float = 0.7,
        max_vif: float = 5.0,
        stepwise: str | None = None,
        max_pvalue: float = 0.05,
        check_sign: bool = True,
        pdo: float = 20.0,
        base_score: float = 600.0,
        base_odds: float = 50.0,
        round_points: bool = False,
    ):
        self.binner = binner
        self.min_iv = min_iv
        self.max_iv = max_iv
        self.max_correlation = max_correlation
        self.max_vif = max_vif
        self.stepwise = stepwise
        self.max_pvalue = max_pvalue
        self.check_sign = check_sign
        self.pdo = pdo
        self.base_score = base_score
        self.base_odds = base_odds
        self.round_points = round_points

    def _check_parameters(self) -> None:
        if self.binner is not None and not isinstance(self.binner, WoEBinner):
            raise TypeError(f"binner must be a WoEBinner, got {type(self.binner).__name__}")
        for name, lo, hi in (("min_iv", 0, None), ("max_correlation", 0, 1), ("max_vif", 1, None),
                             ("max_pvalue", 0, 1)):
            value = getattr(self, name)
            if not isinstance(value, Real) or value < lo or (hi is not None and value > hi):
                raise ValueError(f"{name} must be a number in [{lo}, {hi if hi is not None else 'inf'}], got {value!r}")
        if self.max_iv is not None and (not isinstance(self.max_iv, Real) or self.max_iv <= self.min_iv):
            raise ValueError(f"max_iv must be None or a number above min_iv, got {self.max_iv!r}")
        if self.stepwise not in _STEPWISE:
            raise ValueError(f"stepwise must be one of {_STEPWISE}, got {self.stepwise!r}")
        if not isinstance(self.pdo, Real) or self.pdo <= 0:
            raise ValueError(f"pdo must be positive, got {self.pdo!r}")
        if not isinstance(self.base_odds, Real) or self.base_odds <= 0:
            raise ValueError(f"base_odds must be positive, got {self.base_odds!r}")
        if not isinstance(self.base_score, Real):
            raise ValueError(f"base_score must be a number, got {self.base_score!r}")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # y is 0/1, 1 = bad
        tags.input_tags.allow_nan = True  # missing values get a bin of their own
        tags.input_tags.string = True  # text columns are binned as categories
        tags.input_tags.categorical = True
        return tags

    # -- fit -----------------------------------------------------------------------------
    def fit(self, X, y):
        """Bin, select, fit the logistic regression and scale the points.

        A DataFrame ``X`` and a Series ``y`` are paired by index label (reordered when the
        labels agree, refused when they differ); arrays are paired by position.
        """
        self._check_parameters()
        X, y = align_by_index(X=X, y=y)
        frame = check_X(self, X, reset=True)
        target = check_y(self, y, len(frame))
        binner = clone(self.binner) if self.binner is not None else WoEBinner()
        binner.fit(frame, target)
        woe = binner.transform_frame(frame)
        self.binner_ = binner
        self.classes_ = np.array([0, 1])

        log: list[dict] = []
        features, entries = select_by_iv(binner.information_value_, self.min_iv, self.max_iv)
        log += entries
        features, entries = select_by_correlation(woe, features, self.max_correlation)
        log += entries
        features, entries = select_by_vif(woe, features, self.max_vif)
        log += entries
        if not features:
            self.selection_ = pd.DataFrame(log)
            raise ValueError(f"no feature passed the selection: none of the {frame.shape[1]} feature(s) of X was "
                             "kept (see the selection_ attribute); lower min_iv?")

        result = fit_logit(woe, target, features)
        if self.stepwise == "pvalue":
            while len(features) > 1:
                pvalues = result.pvalues.drop("const")
                worst = pvalues.idxmax()
                if pvalues[worst] <= self.max_pvalue:
                    break
                log.append(_entry(worst, "stepwise", False,
                                  f"p-value {pvalues[worst]:.4f} > max_pvalue {self.max_pvalue:g}", pvalues[worst]))
                features.remove(worst)
                result = fit_logit(woe, target, features)
        elif self.stepwise == "aic":
            while len(features) > 1:
                trials = {f: fit_logit(woe, target, [g for g in features if g != f]).aic for f in features}
                best = min(trials, key=trials.get)
                if trials[best] >= result.aic:
                    break
                log.append(_entry(best, "stepwise", False,
                                  f"dropping it lowers AIC from {result.aic:.2f} to {trials[best]:.2f}",
                                  trials[best] - result.aic))
                features.remove(best)
                result = fit_logit(woe, target, features)
        if self.check_sign:
            while len(features) > 1:
                coefs = result.params.drop("const")
                wrong = coefs[coefs >= 0]
                if wrong.empty:
                    break
                worst = result.pvalues[wrong.index].idxmax()
                log.append(_entry(worst, "sign", False,
                                  f"coefficient {coefs[worst]:+.4f} is not negative (expected for WoE = "
                                  f"ln(%good/%bad))", coefs[worst]))
                features.remove(worst)
                result = fit_logit(woe, target, features)
        for f in features:
            log.append(_entry(f, "final", True, f"in the model, p-value {result.pvalues[f]:.4f}", result.pvalues[f]))

        self.model_ = result
        self.features_ = list(features)
        self.coef_ = result.params.rename("coef")
        self._stats = pd.DataFrame(
            {
                "coef": result.params,
                "std_err": result.bse,
                "z": result.tvalues,
                "p_value": result.pvalues,
            }
        )
        self._stats.index.name = "feature"
        self.model_stats_ = {
            "n_obs": int(result.nobs),
            "log_likelihood": float(result.llf),
            "aic": float(result.aic),
            "bic": float(result.bic),
            "pseudo_r2": float(result.prsquared),
            "converged": bool(result.mle_retvals.get("converged", True)),
        }
        self.vif_ = variance_inflation_factors(woe[self.features_])
        self.selection_ = pd.DataFrame(log, columns=["feature", "step", "kept", "reason", "value"])
        self._scale()
        return self

    def _scale(self) -> None:
        self.factor_ = self.pdo / math.log(2.0)
        self.offset_ = self.base_score - self.factor_ * math.log(self.base_odds)
        n = len(self.features_)
        intercept = float(self.coef_["const"])
        self._points = {}
        for f in self.features_:
            b = self.binner_.binnings_[f]
            beta = float(self.coef_[f])
            woe = np.append(b.woe, b.woe_of(np.array([-1]), self.binner_.handle_unknown))  # last: unseen
            points = -self.factor_ * (beta * woe + intercept / n) + self.offset_ / n
            self._points[f] = np.round(points) if self.round_points else points

    # -- outputs --------------------------------------------------------------------------------
    def _frame(self, X) -> pd.DataFrame:
        """``X`` checked against the fitted features, under their names."""
        check_is_fitted(self, "features_")
        return check_X(self, X, reset=False)

    def _woe(self, X) -> pd.DataFrame:
        frame = self._frame(X)
        return self.binner_.transform_frame(frame)[self.features_]

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of bad: :math:`\\beta_0 + \\sum_j \\beta_j WoE_j`."""
        woe = self._woe(X).to_numpy(dtype=float)
        beta = self.coef_[self.features_].to_numpy(dtype=float)
        return float(self.coef_["const"]) + woe @ beta

    def predict_proba(self, X) -> np.ndarray:
        """Columns ``[P(good), P(bad)]`` (scikit-learn convention, class 1 = bad)."""
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """1 (bad) where P(bad) >= 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def points(self, X) -> pd.DataFrame:
        """Points per selected feature for every row (columns = ``features_``); they add up to
        :meth:`total_points`."""
        frame = self._frame(X)
        data = {}
        for f in self.features_:
            b = self.binner_.binnings_[f]
            index = b.bin_index(frame[f], self.binner_.handle_unknown)
            data[f] = self._points[f][index]  # index -1 -> the unseen entry (last)
        return pd.DataFrame(data, index=frame.index)

    def total_points(self, X) -> pd.Series:
        """Scorecard points per row (higher = lower risk), indexed like ``X``.

        ``offset - factor * ln(odds_bad)`` (module docstring, Siddiqi 2006 ch. 6): the sum
        of the row's :meth:`points`.
        """
        return self.points(X).sum(axis=1).rename("total_points")

    def points_table(self) -> pd.DataFrame:
        """Points of every bin of every selected feature: feature, bin, woe, coefficient,
        points (an ``Unknown`` row per categorical feature for unseen categories)."""
        check_is_fitted(self, "features_")
        rows = []
        for f in self.features_:
            b = self.binner_.binnings_[f]
            labels = b.labels() + [UNKNOWN_LABEL]
            woe = np.append(b.woe, b.woe_of(np.array([-1]), self.binner_.handle_unknown))
            keep = len(labels) if b.kind == "categorical" else len(labels) - 1
            for i in range(keep):
                rows.append({"feature": f, "bin": labels[i], "woe": float(woe[i]),
                             "coefficient": float(self.coef_[f]), "points": float(self._points[f][i])})
        return pd.DataFrame(rows, columns=["feature", "bin", "woe", "coefficient", "points"])

    def _html_repr(self) -> str:
        # scikit-learn's _repr_html_/_repr_mimebundle_ call this: a fitted card shows its
        # points table, an unfitted one scikit-learn's parameter diagram
        if not hasattr(self, "features_"):
            return super()._html_repr()
        points = self.points_table()
        stats = self.model_stats_
        headline = (f"{len(self.features_)} features, {stats['n_obs']:,} observations, "
                    f"pseudo R2 {stats['pseudo_r2']:.4f}; base score {self.base_score:g} at odds "
                    f"{self.base_odds:g}, {self.pdo:g} points to double the odds")
        return html_card("Scorecard", headline=headline, frames=[("points", points)],
                         max_rows=60)  # a whole card of 10 features fits

    def summary(self) -> pd.DataFrame:
        """Coefficient table: coef, std_err, z, p_value, 95 % CI, IV and VIF per feature.

        Model-level statistics (log-likelihood, AIC, pseudo R²) are in ``model_stats_``;
        the statsmodels text summary is ``model_.summary()`` on a freshly fitted card.
        """
        check_is_fitted(self, "features_")
        table = self._stats.copy()
        z = ndtri(0.975)  # the standard normal 97.5 % quantile (scipy.stats.norm.ppf calls it)
        table["ci_lower"] = table["coef"] - z * table["std_err"]
        table["ci_upper"] = table["coef"] + z * table["std_err"]
        table["iv"] = [np.nan if f == "const" else self.binner_.information_value_[f] for f in table.index]
        table["vif"] = [np.nan if f == "const" else self.vif_[f] for f in table.index]
        return table

    # -- serialisation -----------------------------------------------------------------------------
    def to_json(self, indent: int | None = None) -> str:
        """Serialise the fitted scorecard to JSON text (no pickle)."""
        check_is_fitted(self, "features_")
        params = {k: v for k, v in self.get_params(deep=False).items() if k != "binner"}
        payload = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "params": params,
            "binner": self.binner_.to_dict(),
            "features": self.features_,
            "stats": {
                col: {k: float(v) for k, v in self._stats[col].items()} for col in self._stats.columns
            },
            "vif": {k: float(v) for k, v in self.vif_.items()},
            "model_stats": self.model_stats_,
            "selection": self.selection_.to_dict(orient="records"),
            "has_feature_names": hasattr(self, "feature_names_in_"),
        }
        return json.dumps(payload, indent=indent, allow_nan=True)

    @classmethod
    def from_json(cls, text: str, *, source: str = "<Scorecard JSON>") -> "Scorecard":
        """Rebuild a scorecard from :meth:`to_json` text; it scores identically.

        Parameters
        ----------
        text : str
            The JSON document.
        source : str
            What to call the document in messages (e.g. its file name).

        Raises
        ------
        riskkit.ConfigError
            (a ``ValueError``) Invalid JSON, a duplicate key, another format or version, or
            any field missing, unknown, of the wrong type or out of range: NaN/inf
            coefficients or WoE, ``pdo <= 0``, unsorted splits, a per-bin list whose length
            differs from the bins, features without a binning or coefficient. The message
            reads ``<source>: <entry>: field '<field>': <problem>`` (entry e.g.
            ``binner.features[3] (age)``).
        """
        payload = loads_strict(text, source)
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
            raise ConfigError(source, "<top level>", "format",
                              f"not a riskkit Scorecard JSON (expected format {_FORMAT!r}, got {found!r})")
        if payload.get("version") != _FORMAT_VERSION:
            raise ConfigError(source, "<top level>", "version",
                              f"unsupported Scorecard JSON version {payload.get('version')!r} "
                              f"(this riskkit reads version {_FORMAT_VERSION})")
        check_scorecard_payload(payload, source, tuple(p for p in cls().get_params(deep=False) if p != "binner"),
                                WoEBinner)
        binner = WoEBinner.from_dict(payload["binner"])
        card = cls(binner=clone(binner), **payload["params"])
        card.binner_ = binner
        card.features_ = list(payload["features"])
        card._stats = pd.DataFrame(payload["stats"])
        card._stats.index.name = "feature"
        card.coef_ = card._stats["coef"].rename("coef")
        card.vif_ = pd.Series(payload["vif"], name="vif", dtype=float)
        card.model_stats_ = dict(payload["model_stats"])
        card.selection_ = pd.DataFrame(payload["selection"], columns=["feature", "step", "kept", "reason", "value"])
        card.n_features_in_ = binner.n_features_in_
        if payload.get("has_feature_names", True):
            card.feature_names_in_ = np.asarray(fitted_feature_names(binner), dtype=object)
        card.classes_ = np.array([0, 1])
        card._scale()
        return card
