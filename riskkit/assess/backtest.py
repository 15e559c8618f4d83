"""Out-of-time back-test runner: develop a PD model on history, rate later dates, attach outcomes.

A model validated on the data it was developed on is judged too kindly. The honest test
is *out of time* (OOT): develop on observation dates whose 12-month outcome windows have
closed, then rate the book on later dates and compare each rating with what happened in
the year after it. This module produces the tidy table every back-test reads:

* :func:`develop_models` builds the development sample (profiles and default labels
  stacked over ``model_dates``), fits the scorecard and a gradient-boosting challenger on
  it, and scores the sample in-sample (for stability indices against later samples);
* :func:`out_of_time_backtest` rates the book on each test date with those models and
  attaches the realised default flag over the horizon after that date;
* :func:`holdout_backtest` is the counterpart for data without a time dimension (e.g.
  the German credit data): a stratified random development / test split;
* :func:`summarise_verdicts` condenses tidy verdict tables (``test, scope, verdict``) to
  the worst verdict per test and section, for an executive summary.

Point-in-time rule (DESIGN.md section 2): a test date must lie at least one horizon after
the last model date, so that no outcome window of the test overlaps the development
labels, and its own outcome window must close by the end of the data (otherwise the
labels are right-censored and biased to 0).  Both are checked and raise a ``ValueError``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import train_test_split

from .._core.progress import progress as progress_bar
from ..profile import build_profile, default_flags, development_sample
from ..scoring import MasterScale, RatingRules, Scorecard, fit_challenger
from ..validation.config import resolve_thresholds, threshold_text, verdict
from .pipeline import MODEL_FEATURES, assess_portfolio, fit_portfolio_scorecard

__all__ = [
    "PREDICTION_COLUMNS",
    "DevelopedModels",
    "develop_models",
    "out_of_time_backtest",
    "holdout_backtest",
    "HoldoutBacktest",
    "champion_vs_challengers",
    "summarise_verdicts",
    "VERDICT_SECTIONS",
]

#: columns of the tidy prediction table, in order (model features may follow)
PREDICTION_COLUMNS = ["as_of", "customer_id", "pd", "pd_grade", "grade", "rule", "score",
                      "expert_score", "challenger_pd", "ead", "default"]

#: section of the model-validation report each test of a tidy verdict table belongs to
VERDICT_SECTIONS = {
    "auc": "discrimination", "auc_ci_lower": "discrimination", "auc_ci_upper": "discrimination",
    "gini": "discrimination", "ks": "discrimination", "pietra": "discrimination",
    "auc_initial": "discrimination",
    "binomial": "calibration", "jeffreys": "calibration", "traffic_light": "calibration",
    "hosmer_lemeshow": "calibration", "spiegelhalter": "calibration", "brier_score": "calibration",
    "brier_skill": "calibration", "normal_test": "back-test",
    "psi": "stability", "csi": "stability", "herfindahl": "stability", "herfindahl_index": "stability",
    "mwb": "migration", "mwb_one_notch": "migration", "migration_stability_row": "migration",
    "migration_stability_column": "migration",
    "backtest": "back-test", "delong_paired": "challenger", "challenger_outperforms": "challenger",
}

_SEVERITY = {"n/a": 0, "green": 1, "amber": 2, "red": 3}


@dataclass(frozen=True, eq=False)
class DevelopedModels:
    """A scorecard and a challenger developed on the book's history.

    Attributes
    ----------
    scorecard : riskkit.scoring.Scorecard
        Fitted on the development sample.
    challenger : sklearn Pipeline or None
        ``rk.scoring.fit_challenger`` on the same sample and candidate features.
    development : DataFrame
        The development sample scored in-sample: :data:`PREDICTION_COLUMNS` followed by
        the candidate features (in-sample scores are optimistic; use them as the
        reference distribution for stability indices, not to judge discrimination).
    model_dates : tuple of Timestamp
    horizon_days : int
    features : tuple of str
        Candidate features offered to both models.
    """

    scorecard: Any
    challenger: Any
    development: pd.DataFrame
    model_dates: tuple
    horizon_days: int
    features: tuple = field(default=())


@dataclass(frozen=True, eq=False)
class HoldoutBacktest:
    """Models fitted on the development part of a random split, and both parts scored.

    Attributes
    ----------
    scorecard : riskkit.scoring.Scorecard
    challenger : sklearn Pipeline or None
    predictions : DataFrame
        ``sample`` ("development" / "test"), ``customer_id``, ``pd``, ``pd_grade``,
        ``score``, ``challenger_pd``, ``default`` and the features.
    """

    scorecard: Any
    challenger: Any
    predictions: pd.DataFrame


# -- input checks ---------------------------------------------------------------------------

def _dates(values: Any, name: str) -> list[pd.Timestamp]:
    if isinstance(values, (str, pd.Timestamp)) or not isinstance(values, Sequence | pd.Index | np.ndarray):
        raise ValueError(f"{name} must be a list of dates, got {values!r}")
    out = []
    for i, v in enumerate(values):
        try:
            ts = pd.Timestamp(v)
        except (TypeError, ValueError):
            raise ValueError(f"{name}[{i}] is not a date: {v!r}") from None
        if pd.isna(ts):
            raise ValueError(f"{name}[{i}] is missing (NaT)")
        out.append(ts.normalize())
    if not out:
        raise ValueError(f"{name} is empty")
    repeated = sorted({d for d in out if out.count(d) > 1})
    if repeated:
        raise ValueError(f"{name} has repeated date(s) {[str(d.date()) for d in repeated]}")
    return sorted(out)


def _horizon(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"horizon_days must be a positive whole number of days, got {value!r}")
    return int(value)


def _check_point_in_time(model_dates: list[pd.Timestamp], test_dates: list[pd.Timestamp],
                         horizon_days: int) -> None:
    """Each test date must be at least one horizon after the last model date."""
    earliest = max(model_dates) + pd.Timedelta(days=horizon_days)
    early = [d for d in test_dates if d < earliest]
    if early:
        raise ValueError(
            f"test date(s) {[str(d.date()) for d in early]} fall before {earliest.date()} = last "
            f"model date {max(model_dates).date()} + {horizon_days} days: their outcome window "
            "would overlap the development labels (not an out-of-time test)")


def _labels(portfolio, as_of: pd.Timestamp, horizon_days: int, allow_censored: bool) -> pd.Series:
    """``rk.profile.default_flags`` with its right-censoring warning turned into an error."""

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        labels = default_flags(portfolio, as_of, horizon_days=horizon_days)
    censored = [w for w in caught if issubclass(w.category, UserWarning)]
    for w in caught:
        if w not in censored:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if censored and not allow_censored:
        raise ValueError(
            f"test date {as_of.date()}: its {horizon_days}-day outcome window runs past the end "
            f"of the data ({censored[0].message}); pick an earlier date or pass "
            "allow_censored=True")
    for w in censored:
        warnings.warn(w.message, w.category, stacklevel=4)
    return labels


# -- scoring one date ------------------------------------------------------------------------

def _rate(portfolio, as_of: pd.Timestamp, profile: pd.DataFrame, labels: pd.Series, scorecard,
          challenger, challenger_features: Sequence[str], rules, expert, keep_features: bool) -> pd.DataFrame:
    """Tidy prediction rows of the labelled customers on one date."""

    rules = RatingRules.default() if rules is None else rules
    rows = profile.loc[labels.index]
    rated = assess_portfolio(portfolio, as_of, scorecard, expert=expert, rules=rules, profile=rows)
    out = pd.DataFrame({
        "as_of": pd.Series(as_of, index=rows.index, dtype="datetime64[ns]"),
        "customer_id": pd.Series(rows.index, index=rows.index, dtype="str"),
        "pd": rated["pd"].astype(float),
        "pd_grade": rated["pd_grade"].astype(pd.CategoricalDtype(rules.master_scale.grades, ordered=True)),
        "grade": rated["grade"].astype(pd.CategoricalDtype(rules.grade_order, ordered=True)),
        "rule": rated["rule"].astype("str"),
        "score": rated["score"].astype(float),
        "expert_score": rated["expert_score"].astype(float),
        "challenger_pd": (challenger.predict_proba(rows[list(challenger_features)])[:, 1]
                          if challenger is not None else np.nan),
        "ead": rated["ead"].astype(float),
        "default": labels.astype(np.int64),
    }, index=rows.index)
    for column in ("pd_grade", "grade"):
        off_scale = out[column].isna().to_numpy() & rated[column].notna().to_numpy()
        if off_scale.any():
            raise ValueError(f"{as_of.date()}: {column} values {sorted(set(rated[column][off_scale]))} "
                             f"are not grades of the rating rules {rules.grade_order}")
    if keep_features:
        extra = [c for c in scorecard.feature_names_in_ if c not in out.columns]
        extra += [c for c in challenger_features if c not in out.columns and c not in extra]
        out = pd.concat([out, rows[extra]], axis=1)
    return out.reset_index(drop=True)


# -- public API ---------------------------------------------------------------------------

def develop_models(portfolio, model_dates: Sequence, horizon_days: int = 365, *,
                   features: Sequence[str] | None = None, scorecard=None, challenger: bool = True,
                   challenger_params: Mapping[str, Any] | None = None, seed: int = 0,
                   rules=None, expert=None, progress: bool | None = None) -> DevelopedModels:
    """Develop the scorecard and its challenger on the book's history.

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
        The book with its full history.
    model_dates : sequence of dates
        Observation dates of the development sample (e.g.
        :func:`riskkit.assess.pipeline.development_dates`); each gets its profile and
        the default label over the following ``horizon_days``.
    horizon_days : int, default 365
    features : sequence of str, optional
        Candidate features; default ``riskkit.assess.pipeline.MODEL_FEATURES``.
    scorecard : Scorecard, optional
        An unfitted scorecard with the wanted parameters (default ``Scorecard()``).
    challenger : bool, default True
        Fit ``rk.scoring.fit_challenger`` (HistGradientBoosting) on the same sample.
    challenger_params : mapping, optional
        Extra ``HistGradientBoostingClassifier`` parameters (e.g. ``{"max_iter": 50}``).
    seed : int, default 0
        ``random_state`` of the challenger.
    rules, expert : RatingRules, ExpertScorecard, optional
        For the in-sample grades and expert scores (defaults of the kit).
    progress : bool or None, default None
        Show progress bars over the dates: None shows them in an interactive session only
        (:func:`riskkit._core.progress.progress_enabled`), True/False force them.  They never
        change the result.

    Returns
    -------
    DevelopedModels
    """

    dates = _dates(model_dates, "model_dates")
    horizon_days = _horizon(horizon_days)
    features = tuple(MODEL_FEATURES if features is None else features)
    sample = development_sample(portfolio, dates, horizon_days=horizon_days, progress=progress)
    card, sample = fit_portfolio_scorecard(portfolio, dates, horizon_days=horizon_days,
                                           features=features, scorecard=scorecard, sample=sample)
    model = None
    if challenger:

        model = fit_challenger(sample[list(features)], sample["default"], seed=seed,
                               **dict(challenger_params or {}))
    parts = []
    groups = sample.groupby("as_of", sort=True)
    for as_of, rows in progress_bar(groups, total=groups.ngroups, desc="develop_models: rating", unit="date",
                                    enabled=progress):
        profile = rows.drop(columns=["as_of", "default"]).set_index("customer_id")
        labels = rows.set_index("customer_id")["default"]
        parts.append(_rate(portfolio, pd.Timestamp(as_of), profile, labels, card, model, features,
                           rules, expert, keep_features=True))
    development = pd.concat(parts, ignore_index=True)
    return DevelopedModels(scorecard=card, challenger=model, development=development,
                           model_dates=tuple(dates), horizon_days=horizon_days, features=features)


def out_of_time_backtest(portfolio, model_dates: Sequence, test_dates: Sequence,
                         horizon_days: int = 365, *, models: DevelopedModels | None = None,
                         scorecard=None, challenger=None, features: Sequence[str] | None = None,
                         challenger_params: Mapping[str, Any] | None = None, seed: int = 0,
                         rules=None, expert=None, keep_features: bool = False,
                         allow_censored: bool = False, progress: bool | None = None) -> pd.DataFrame:
    """Rate the book on each test date with a model developed on earlier dates, and attach
    the realised default flag.

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
        The book with its full history (labels look after each test date; features do not).
    model_dates : sequence of dates
        Observation dates of the development sample.
    test_dates : sequence of dates
        Dates on which the book is rated; each must be at least ``horizon_days`` after the
        last model date (no overlap with the development labels) and its outcome window
        must close by the end of the data.
    horizon_days : int, default 365
        Outcome window (the default definition of ``rk.profile.default_flags``).
    models : DevelopedModels, optional
        Output of :func:`develop_models` for the same ``model_dates``; reused as is.
    scorecard : fitted Scorecard, optional
        Use this scorecard instead of developing one (``models`` takes precedence).  Then
        ``challenger`` is used as given (None: no challenger, ``challenger_pd`` is NaN).
    challenger : fitted classifier, optional
        Anything with ``predict_proba`` over ``features`` (class 1 = default).
    features : sequence of str, optional
        Candidate features (default ``MODEL_FEATURES``); the challenger's input columns.
    challenger_params, seed
        Passed to :func:`develop_models` when the models are developed here.
    rules, expert : RatingRules, ExpertScorecard, optional
        Defaults of the kit.
    keep_features : bool, default False
        Append the scorecard's and the challenger's input columns (e.g. for CSI).
    allow_censored : bool, default False
        Accept test dates whose outcome window runs past the data (labels biased to 0;
        ``default_flags`` then warns).
    progress : bool or None, default None
        Show progress bars over the dates: None shows them in an interactive session only
        (:func:`riskkit._core.progress.progress_enabled`), True/False force them.  They never
        change the result.

    Returns
    -------
    DataFrame
        One row per test date and customer onboarded and performing on it (customers
        already in default are left out, as in ``default_flags``), sorted by ``as_of`` and
        ``customer_id``; columns :data:`PREDICTION_COLUMNS`: ``pd`` (scorecard PD),
        ``pd_grade`` (master-scale grade of the PD, ordered categorical best first),
        ``grade`` and ``rule`` (final grade of the rating rules: whitelist S, knock-out
        D, downgrades), ``score`` (points, higher = safer), ``expert_score`` (0-100,
        higher = safer), ``challenger_pd``, ``ead`` and ``default`` (1 if the customer
        defaulted in ``(as_of, as_of + horizon_days]``).

    Raises
    ------
    ValueError
        Bad dates, a test date within a horizon of the last model date, or a censored
        outcome window.

    Examples
    --------
    >>> import riskkit as rk
    >>> from riskkit.assess import development_dates
    >>> book = rk.datasets.generate_portfolio(300, seed=1)
    >>> oot = out_of_time_backtest(book, development_dates("2023-12-31"), ["2023-12-31"])
    >>> oot.columns[:4].tolist()
    ['as_of', 'customer_id', 'pd', 'pd_grade']
    """

    dev_dates = _dates(model_dates, "model_dates")
    dates = _dates(test_dates, "test_dates")
    horizon_days = _horizon(horizon_days)
    _check_point_in_time(dev_dates, dates, horizon_days)
    if models is not None:
        if not isinstance(models, DevelopedModels):
            raise ValueError(f"models must be a DevelopedModels (from develop_models), got {type(models).__name__}")
        if list(models.model_dates) != dev_dates or models.horizon_days != horizon_days:
            raise ValueError(
                f"models were developed on {[str(d.date()) for d in models.model_dates]} with a "
                f"{models.horizon_days}-day horizon, not on the model_dates "
                f"{[str(d.date()) for d in dev_dates]} with {horizon_days} days")
        card, model, feats = models.scorecard, models.challenger, models.features
    elif scorecard is None:
        if challenger is not None:
            raise ValueError("a challenger without a scorecard: pass both fitted models, or neither")
        developed = develop_models(portfolio, dev_dates, horizon_days, features=features,
                                   challenger_params=challenger_params, seed=seed, rules=rules,
                                   expert=expert, progress=progress)
        card, model, feats = developed.scorecard, developed.challenger, developed.features
    else:
        card, model = scorecard, challenger
        feats = tuple(MODEL_FEATURES if features is None else features)
    if not hasattr(card, "feature_names_in_"):
        raise ValueError("scorecard is not fitted (it has no feature_names_in_)")
    if model is not None and not hasattr(model, "predict_proba"):
        raise ValueError(f"challenger must have predict_proba, got {type(model).__name__}")


    parts = []
    for as_of in progress_bar(dates, desc="out_of_time_backtest", unit="date", enabled=progress):
        labels = _labels(portfolio, as_of, horizon_days, allow_censored)
        profile = build_profile(portfolio, as_of)
        parts.append(_rate(portfolio, as_of, profile, labels, card, model, feats, rules, expert,
                           keep_features))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["as_of", "customer_id"], kind="stable").reset_index(drop=True)


def holdout_backtest(X: pd.DataFrame, y: Any, *, test_size: float = 0.3, seed: int = 0,
                     scorecard=None, challenger: bool = True,
                     challenger_params: Mapping[str, Any] | None = None,
                     master_scale=None) -> HoldoutBacktest:
    """Development / test split for data without a time dimension.

    A stratified random split (``sklearn.model_selection.train_test_split``); the
    scorecard and the challenger are fitted on the development part only, and both parts
    are scored.  Out-of-sample, not out-of-time: the test rows come from the same period
    as the development rows.

    Parameters
    ----------
    X : DataFrame
        Candidate features, one row per obligor (the index identifies the obligor).
    y : array-like of 0/1
        1 = default (bad).
    test_size : float, default 0.3
        Share of the test part, in (0, 1).
    seed : int, default 0
        Seed of the split and of the challenger.
    scorecard : Scorecard, optional
        Unfitted scorecard with the wanted parameters (default ``Scorecard()``).
    challenger : bool, default True
    challenger_params : mapping, optional
    master_scale : MasterScale, optional
        Default ``MasterScale.default()``.

    Returns
    -------
    HoldoutBacktest
        ``predictions``: ``sample`` ("development" / "test"), ``customer_id`` (the index
        of ``X`` as str), ``pd``, ``pd_grade`` (ordered categorical), ``score``,
        ``challenger_pd``, ``default`` and the features; development rows first, each
        part in the order of ``X``.
    """


    if not isinstance(X, pd.DataFrame):
        raise ValueError(f"X must be a DataFrame of features, got {type(X).__name__}")
    values = np.asarray(y)
    if values.ndim != 1 or len(values) != len(X):
        raise ValueError(f"length mismatch: X has {len(X)} rows, y has shape {values.shape}")
    target = pd.Series(values, index=X.index)
    bad = ~target.isin([0, 1])
    if bad.any():
        raise ValueError(f"y must be 0/1; other values at index {list(X.index[bad.to_numpy()][:5])} "
                         f"({int(bad.sum())} rows)")
    if not isinstance(test_size, float) or not 0 < test_size < 1:
        raise ValueError(f"test_size must be a float in (0, 1), got {test_size!r}")
    target = target.astype(np.int64)
    position = np.arange(len(X))
    dev_pos, test_pos = train_test_split(position, test_size=test_size, random_state=seed,
                                         stratify=target.to_numpy())
    dev_pos, test_pos = np.sort(dev_pos), np.sort(test_pos)
    card = (Scorecard() if scorecard is None else scorecard).fit(X.iloc[dev_pos], target.iloc[dev_pos])
    model = (fit_challenger(X.iloc[dev_pos], target.iloc[dev_pos], seed=seed, **dict(challenger_params or {}))
             if challenger else None)
    scale = MasterScale.default() if master_scale is None else master_scale
    parts = []
    for name, pos in (("development", dev_pos), ("test", test_pos)):
        rows = X.iloc[pos]
        pd_ = card.predict_proba(rows)[:, 1]
        frame = pd.DataFrame({
            "sample": name,
            "customer_id": pd.Series(rows.index.astype(str), dtype="str"),
            "pd": pd_,
            "pd_grade": pd.Categorical(scale.grade(pd_), categories=scale.grades, ordered=True),
            "score": card.total_points(rows).to_numpy(dtype=float),
            "challenger_pd": model.predict_proba(rows)[:, 1] if model is not None else np.nan,
            "default": target.iloc[pos].to_numpy(),
        })
        parts.append(pd.concat([frame, rows.reset_index(drop=True)], axis=1))
    return HoldoutBacktest(scorecard=card, challenger=model, predictions=pd.concat(parts, ignore_index=True))


def champion_vs_challengers(comparison, champion: str, *, exclude: Sequence[str] = (),
                            thresholds: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One-sided paired DeLong test that a challenger discriminates better than the champion.

    From the pairwise tests of :func:`riskkit.validation.compare_challengers` (same
    obligors, DeLong covariance): with AUC_c the challenger's and AUC_0 the champion's AUC,

        z = (AUC_c - AUC_0) / sqrt(Var_c + Var_0 - 2 Cov_c0),   p = 1 - Phi(z),

    so a small p means the challenger is significantly better (DeLong, DeLong &
    Clarke-Pearson 1988). A champion that is better or equal gets a p-value of at least
    1/2, i.e. green: unlike the two-sided test, a red verdict here is always bad news for
    the champion.

    Parameters
    ----------
    comparison : ChallengerComparison
    champion : str
        The champion's score column.
    exclude : sequence of str
        Scores not to test (e.g. an oracle shown for reference only).
    thresholds : mapping, optional
        p-value thresholds; default ``validation.yaml`` entry ``delong``.

    Returns
    -------
    DataFrame
        ``group`` (if the comparison was grouped), ``test`` ("challenger_outperforms"),
        ``scope`` ("<challenger> vs <champion>"), ``champion``, ``challenger``,
        ``auc_champion``, ``auc_challenger``, ``difference`` (challenger - champion),
        ``statistic`` (z), ``pvalue``, ``verdict``, ``threshold``.
    """


    pairs = getattr(comparison, "pairwise", None)
    if not isinstance(pairs, pd.DataFrame):
        raise ValueError("comparison must be the result of rk.validation.compare_challengers")
    names = set(pairs["score_a"]) | set(pairs["score_b"])
    if champion not in names:
        raise ValueError(f"champion {champion!r} is not among the compared scores {sorted(names)}")
    rows = pairs[(pairs["score_a"] == champion) | (pairs["score_b"] == champion)]
    champion_is_a = (rows["score_a"] == champion).to_numpy()
    challenger = np.where(champion_is_a, rows["score_b"], rows["score_a"])
    keep = ~pd.Series(challenger).isin(list(exclude)).to_numpy()
    rows, champion_is_a, challenger = rows[keep], champion_is_a[keep], challenger[keep]
    sign = np.where(champion_is_a, -1.0, 1.0)
    z = sign * rows["statistic"].to_numpy(dtype=float)
    p = stats.norm.sf(z)
    th = resolve_thresholds("delong", thresholds)
    out = pd.DataFrame({
        "test": "challenger_outperforms",
        "scope": [f"{c} vs {champion}" for c in challenger],
        "champion": champion,
        "challenger": challenger.astype(str),
        "auc_champion": np.where(champion_is_a, rows["auc_a"], rows["auc_b"]),
        "auc_challenger": np.where(champion_is_a, rows["auc_b"], rows["auc_a"]),
        "statistic": z,
        "pvalue": p,
        "verdict": verdict(p, th).astype(str),
        "threshold": threshold_text(th),
    })
    out.insert(6, "difference", out["auc_challenger"] - out["auc_champion"])
    if "group" in rows.columns:
        out.insert(0, "group", rows["group"].to_numpy())
    return out.reset_index(drop=True)


def summarise_verdicts(verdicts: pd.DataFrame, *, by: str | None = None,
                       sections: Mapping[str, str] | None = None, inline_counts: bool = False) -> pd.DataFrame:
    """Worst verdict per test in a tidy verdict table, for an executive summary.

    Parameters
    ----------
    verdicts : DataFrame
        Columns ``test``, ``scope``, ``verdict`` (green / amber / red / n/a), e.g. from
        ``rk.validation.validation_report`` or ``ValidationResult.to_frame()``; an optional
        ``section`` column overrides :data:`VERDICT_SECTIONS`.
    by : str, optional
        A column (e.g. ``"as_of"``) whose values become one verdict column each.
    sections : mapping, optional
        test -> section name; default :data:`VERDICT_SECTIONS` (unknown tests: "other").
    inline_counts : bool, default False
        Write the counts into the verdict cells ("red (1 of 7)") instead of separate
        ``flagged`` columns.

    Returns
    -------
    DataFrame
        One row per (section, test), in the order of first appearance: ``section``,
        ``test``, ``scopes`` (most rows summarised in one column) and, for each value of
        ``by`` (or one column ``verdict``), the worst verdict (red > amber > green > n/a;
        "" where the test has no row for that value), then ``flagged``: "k of n" scopes
        amber or red, per value of ``by`` when given.
    """
    need = ["test", "scope", "verdict"] + ([by] if by else [])
    if not isinstance(verdicts, pd.DataFrame):
        raise ValueError(f"verdicts must be a DataFrame, got {type(verdicts).__name__}")
    absent = [c for c in need if c not in verdicts.columns]
    if absent:
        raise ValueError(f"verdicts: missing column(s) {absent}; present: {list(verdicts.columns)}")
    unknown = sorted(set(verdicts["verdict"].astype(str)) - set(_SEVERITY))
    if unknown:
        raise ValueError(f"verdicts: unknown verdict value(s) {unknown}; expected {list(_SEVERITY)}")
    if by:
        taken = {"section", "test", "scopes", "flagged"} & set(verdicts[by].astype(str))
        if taken:
            raise ValueError(f"verdicts: value(s) {sorted(taken)} of column {by!r} would overwrite the summary's "
                             "own column of that name; rename them")
    mapping = dict(VERDICT_SECTIONS if sections is None else sections)
    frame = verdicts.copy()
    if "section" not in frame.columns:
        frame["section"] = frame["test"].map(mapping).fillna("other")
    frame["_severity"] = frame["verdict"].astype(str).map(_SEVERITY)
    frame["_flagged"] = frame["_severity"] >= 2
    frame["_key"] = frame[by].astype(str) if by else "verdict"
    keys = ["section", "test"]
    order = frame[keys].drop_duplicates().reset_index(drop=True)
    grouped = frame.groupby(keys + ["_key"], sort=False)
    worst = grouped["_severity"].max().unstack("_key")
    flagged = grouped["_flagged"].sum().unstack("_key")
    scopes = grouped.size().unstack("_key")
    names = {v: k for k, v in _SEVERITY.items()}
    columns = list(pd.unique(frame["_key"]))
    out = order.copy()
    index = pd.MultiIndex.from_frame(order)
    total = scopes.reindex(index)[columns]
    out["scopes"] = total.max(axis=1).fillna(0).astype(np.int64).to_numpy()
    for col in columns:
        out[col] = worst.reindex(index)[col].map(names).fillna("").to_numpy()
    for col in columns:
        k = flagged.reindex(index)[col]
        n = total[col]
        text = [f"{int(a)} of {int(b)}" if b == b else "" for a, b in zip(k.fillna(0), n)]
        if inline_counts:
            out[col] = [f"{v} ({t})" if v else "" for v, t in zip(out[col], text)]
        else:
            out[f"flagged {col}" if by else "flagged"] = text
    return out
