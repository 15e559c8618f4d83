"""Back-testing helpers over a tidy table of predictions made at several ``as_of`` dates.

The input is generic: one row per (obligor, as_of) with the predicted ``pd``, the ``grade``
and the observed ``default`` flag over the horizon that follows ``as_of`` (e.g. from
``rk.profile.development_sample`` joined with a model's predictions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._core.checks import check_binary_target
from .._core.display import HTMLReprMixin
from ._checks import as_float_1d, as_probability, offenders
from .calibration import binomial_test
from .config import resolve_thresholds, threshold_text, verdict
from .discrimination import _delong

__all__ = ["backtest_default_rates", "compare_challengers", "ChallengerComparison"]


def _require_columns(frame: Any, columns: Sequence[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{what}: expected a DataFrame, got {type(frame).__name__}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{what}: missing column(s) {absent}; present: {list(frame.columns)}")


def backtest_default_rates(predictions: pd.DataFrame, *, by: str | Sequence[str] = ("as_of", "grade"),
                           pd_col: str = "pd", default_col: str = "default", rho: float = 0.0,
                           thresholds: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Predicted vs observed default rates by grade and/or date.

    For each group g (e.g. an as_of date and a grade): N_g obligors, D_g defaults,
    predicted PD_g = mean of the obligors' PDs, observed rate DR_g = D_g / N_g, with the
    one-sided exact binomial p-value P(Bin(N_g, PD_g) >= D_g) (BCBS WP14 2005) and the
    Jeffreys p-value Beta.cdf(PD_g; D_g + 1/2, N_g - D_g + 1/2) (ECB 2019). The verdict
    uses the Jeffreys p-value and the ``jeffreys`` thresholds.

    Parameters
    ----------
    predictions : DataFrame
        Columns ``by``, ``pd_col`` and ``default_col`` (0/1).
    by : str or sequence of str, default ("as_of", "grade")
        Grouping columns; ``"grade"`` alone pools all dates, ``"as_of"`` alone gives the
        portfolio per date.
    rho : float, default 0
        Asset correlation of the one-factor model for the binomial p-value (as in
        :func:`binomial_test`); 0 gives the independent-defaults binomial.  Use the
        same value as ``validation_report``'s ``asset_correlation`` so the two agree.

    Returns
    -------
    DataFrame
        ``by`` columns, ``n``, ``defaults``, ``predicted_pd``, ``observed_default_rate``,
        ``difference`` (observed - predicted), ``binomial_pvalue``, ``jeffreys_pvalue``,
        ``verdict``, ``threshold``. Sorted by the groups (categorical order for
        categorical grades).
    """
    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise ValueError("by: give at least one grouping column")
    _require_columns(predictions, keys + [pd_col, default_col], "backtest_default_rates")
    for key in keys:
        miss = predictions[key].isna().to_numpy()
        if miss.any():
            raise ValueError(f"column '{key}' has missing values in {offenders(miss, predictions)}")
    frame = pd.DataFrame({
        **{k: predictions[k] for k in keys},
        "_pd": as_probability(predictions[pd_col], pd_col),
        "_y": check_binary_target(predictions[default_col], default_col, require_both=False).astype(np.int64),
    })
    grouped = frame.groupby(keys, sort=True, observed=True)
    out = grouped.agg(n=("_y", "size"), defaults=("_y", "sum"), predicted_pd=("_pd", "mean")).reset_index()
    n = out["n"].to_numpy()
    d = out["defaults"].to_numpy()
    p = out["predicted_pd"].to_numpy()
    out["observed_default_rate"] = d / n
    out["difference"] = d / n - p
    if rho == 0:
        out["binomial_pvalue"] = stats.binom.sf(d - 1, n, p)
    else:
        out["binomial_pvalue"] = np.asarray(binomial_test(p, d, n, rho=rho).pvalue, dtype=float)
    out["jeffreys_pvalue"] = stats.beta.cdf(p, d + 0.5, n - d + 0.5)
    th = resolve_thresholds("jeffreys", thresholds)
    out["verdict"] = verdict(out["jeffreys_pvalue"].to_numpy(), th).astype(str)
    out["threshold"] = threshold_text(th)
    return out


@dataclass(frozen=True, eq=False, repr=False)
class ChallengerComparison(HTMLReprMixin):
    """AUCs of several scores on the same obligors and their pairwise paired DeLong tests.

    Attributes
    ----------
    auc : DataFrame
        One row per (group,) score: ``score, n, n_defaults, auc, variance, ci_lower,
        ci_upper, gini``.
    pairwise : DataFrame
        One row per (group,) pair: ``score_a, score_b, auc_a, auc_b, difference,
        statistic, pvalue`` (two-sided), ``pvalue_champion_worse`` (one-sided, pairs with
        the champion), ``finding``, ``verdict``, ``threshold``.
    champion : str or None
        The score judged; its pairs have it as ``score_a``.
    """

    auc: pd.DataFrame
    pairwise: pd.DataFrame
    champion: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """The pairwise tests in the tidy verdict form (test, scope, statistic, pvalue,
        verdict, threshold)."""
        pw = self.pairwise
        scope = pw["score_a"] + " vs " + pw["score_b"]
        if "group" in pw.columns:
            scope = pw["group"].astype(str) + ": " + scope
        return pd.DataFrame({"test": "delong_paired", "scope": scope, "statistic": pw["statistic"],
                             "pvalue": pw["pvalue"], "verdict": pw["verdict"],
                             "threshold": pw["threshold"]})

    def _display_parts(self) -> dict:
        best = self.auc.sort_values("auc", ascending=False).iloc[0] if len(self.auc) else None
        headline = f"{len(self.auc)} AUC rows, {len(self.pairwise)} paired DeLong tests"
        if best is not None:
            headline += f"; highest AUC {best['score']} {best['auc']:.3f}"
        if self.champion is not None:
            headline += f"; champion {self.champion}"
        return {"headline": headline, "frames": [("AUC by score", self.auc),
                                                 ("paired DeLong tests", self.pairwise.drop(columns="threshold"))]}

    def summary(self) -> str:
        return ("AUC by score\n" + self.auc.to_string(index=False, float_format=lambda v: f"{v:.4f}")
                + "\n\npaired DeLong tests\n"
                + self.pairwise.drop(columns="threshold").to_string(index=False, float_format=lambda v: f"{v:.4g}"))


def compare_challengers(data: pd.DataFrame, scores: Sequence[str], *, default_col: str = "default",
                        by: str | None = None, higher_is_riskier: bool | Mapping[str, bool] = True,
                        level: float = 0.95, champion: str | None = None,
                        thresholds: Mapping[str, Any] | None = None) -> ChallengerComparison:
    """Compare champion and challenger scores: AUC with DeLong CI and pairwise DeLong tests.

    For k scores on the same obligors the DeLong covariance matrix (DeLong, DeLong &
    Clarke-Pearson 1988; fast algorithm of Sun & Xu 2014) gives, for each pair,
    z = (AUC_a - AUC_b) / sqrt(Var_a + Var_b - 2 Cov_ab), two-sided p = 2 (1 - Phi(|z|)).

    Verdicts.  A significant difference is good or bad news only for the model under
    validation, so verdicts need a ``champion``: a pair with the champion (oriented with
    the champion as ``score_a``) is judged on the one-sided p-value of H1 "the champion's
    AUC is lower", ``pvalue_champion_worse = Phi(z)``: red/amber only when the champion is
    significantly *worse*; a champion significantly better than a challenger is green
    (the two-sided ``pvalue`` is small too, the ``finding`` says who is higher).  Pairs of
    two challengers, and every pair when no champion is named, are informational
    (``"n/a"``).

    Parameters
    ----------
    data : DataFrame
        One row per obligor (and date), with ``default_col`` and the score columns.
    scores : sequence of str
        At least two score columns (no missing values).
    by : str, optional
        Column to group by (e.g. ``"as_of"``); the tests are run within each group.
    higher_is_riskier : bool or mapping column -> bool
        Direction of each score (see :mod:`riskkit.validation.discrimination`).
    level : float
        Level of the DeLong confidence interval AUC -/+ z se (clipped to [0, 1]).
    champion : str, optional
        The score under validation (one of ``scores``); see Verdicts.
    thresholds : mapping, optional
        p-value thresholds (entry ``delong``); ``amber_below`` is also the level at which
        ``finding`` calls a difference significant.
    """
    cols = list(scores)
    if len(cols) < 2:
        raise ValueError(f"compare_challengers needs at least two score columns, got {cols}")
    if len(set(cols)) != len(cols):
        raise ValueError(f"score columns must be distinct, got {cols}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if champion is not None and champion not in cols:
        raise ValueError(f"champion {champion!r} is not among the scores {cols}")
    _require_columns(data, cols + [default_col] + ([by] if by else []), "compare_challengers")
    if isinstance(higher_is_riskier, Mapping):
        absent = [c for c in cols if c not in higher_is_riskier]
        if absent:
            raise ValueError(f"higher_is_riskier mapping must name every score column; missing {absent}")
        direction = {c: bool(higher_is_riskier[c]) for c in cols}
    else:
        direction = {c: bool(higher_is_riskier) for c in cols}
    if by is not None:
        missing = data[by].isna().to_numpy()
        if missing.any():
            raise ValueError(f"column '{by}' has missing values in {offenders(missing, data)}")
    y_all = check_binary_target(data[default_col], default_col, require_both=False).astype(bool)
    matrix = np.vstack([as_float_1d(data[c], c) * (1.0 if direction[c] else -1.0) for c in cols])
    groups = [(None, np.ones(len(data), dtype=bool))] if by is None else [
        (key, (data[by] == key).to_numpy()) for key in pd.unique(data[by].dropna())]
    if by is not None:
        groups.sort(key=lambda kv: kv[0])
    th = resolve_thresholds("delong", thresholds)
    z_level = stats.norm.ppf(0.5 + level / 2)
    auc_rows, pair_rows = [], []
    for key, mask in groups:
        y = y_all[mask]
        check_binary_target(y, f"{default_col} in group {key!r}" if by is not None else default_col)
        m = int(y.sum())
        aucs, cov = _delong(y, matrix[:, mask])
        extra = {} if by is None else {"group": key}
        for i, c in enumerate(cols):
            se = np.sqrt(cov[i, i])
            auc_rows.append({**extra, "score": c, "n": int(y.size), "n_defaults": m, "auc": aucs[i],
                             "variance": cov[i, i], "ci_lower": max(aucs[i] - z_level * se, 0.0),
                             "ci_upper": min(aucs[i] + z_level * se, 1.0), "gini": 2 * aucs[i] - 1})
        for i, j in combinations(range(len(cols)), 2):
            if cols[j] == champion:  # the champion is always score_a of its pairs
                i, j = j, i
            var = cov[i, i] + cov[j, j] - 2 * cov[i, j]
            diff = aucs[i] - aucs[j]
            if var > 0:
                z = diff / np.sqrt(var)
                p = 2 * stats.norm.sf(abs(z))
            else:
                z, p = (0.0, 1.0) if diff == 0 else (np.nan, np.nan)
            pair_rows.append({**extra, "score_a": cols[i], "score_b": cols[j], "auc_a": aucs[i],
                              "auc_b": aucs[j], "difference": diff, "statistic": z, "pvalue": p})
    pairwise = pd.DataFrame(pair_rows)
    with_champion = (pairwise["score_a"] == champion).to_numpy()
    z = pairwise["statistic"].to_numpy(dtype=float)
    pairwise["pvalue_champion_worse"] = np.where(with_champion, stats.norm.cdf(z), np.nan)
    significant = pairwise["pvalue"].to_numpy(dtype=float) < th["amber_below"]
    higher = np.where(z > 0, pairwise["score_a"], pairwise["score_b"])
    pairwise["finding"] = np.where(significant, pd.Series(higher).astype(str) + " higher",
                                   "no significant difference")
    # n/a unless the champion is in the pair; verdict(NaN) gives "n/a"
    pairwise["verdict"] = verdict(pairwise["pvalue_champion_worse"].to_numpy(), th).astype(str)
    pairwise["threshold"] = (threshold_text(th) + " on the one-sided p (champion worse)"
                             if champion is not None else "n/a: no champion named")
    return ChallengerComparison(auc=pd.DataFrame(auc_rows), pairwise=pairwise, champion=champion)
