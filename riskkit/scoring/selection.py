"""Feature selection steps for the statistical scorecard (Siddiqi 2006, ch. 6-7).

Each step takes WoE-transformed features and returns the kept features plus log entries
``(feature, step, kept, reason, value)``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._core.errors import RiskkitError

__all__ = [
    "variance_inflation_factors",
    "select_by_iv",
    "select_by_correlation",
    "select_by_vif",
    "fit_logit",
]


def _entry(feature, step, kept, reason, value=np.nan) -> dict:
    return {"feature": feature, "step": step, "kept": bool(kept), "reason": reason, "value": float(value)}


def variance_inflation_factors(frame: pd.DataFrame) -> pd.Series:
    """VIF of each column in a regression with intercept.

    :math:`VIF_j = 1/(1 - R^2_j)`, with :math:`R^2_j` from regressing column ``j`` on
    the others plus a constant; equivalently the diagonal of the inverse correlation
    matrix (e.g. Belsley, Kuh & Welsch 1980).  Constant columns get ``inf``.
    """
    if frame.shape[1] == 0:
        return pd.Series(dtype=float, name="vif")
    if frame.shape[1] == 1:
        return pd.Series([1.0], index=frame.columns, name="vif")
    x = frame.to_numpy(dtype=float)
    std = x.std(axis=0)
    constant = std == 0
    out = np.full(x.shape[1], np.inf)
    if (~constant).sum() >= 2:
        corr = np.corrcoef(x[:, ~constant], rowvar=False)
        out[~constant] = np.diag(np.linalg.pinv(corr))
    elif (~constant).sum() == 1:
        out[~constant] = 1.0
    return pd.Series(out, index=frame.columns, name="vif")


def select_by_iv(iv: pd.Series, min_iv: float, max_iv: float | None):
    kept, log = [], []
    for feature, value in iv.items():
        if value < min_iv:
            log.append(_entry(feature, "iv", False, f"IV {value:.4f} < min_iv {min_iv:g}", value))
        elif max_iv is not None and value > max_iv:
            log.append(_entry(feature, "iv", False, f"IV {value:.4f} > max_iv {max_iv:g} (suspiciously strong)",
                              value))
        else:
            kept.append(feature)
            log.append(_entry(feature, "iv", True, f"IV {value:.4f} >= min_iv {min_iv:g}", value))
    return kept, log


def select_by_correlation(woe: pd.DataFrame, ordered: list[str], max_correlation: float):
    """Greedy: walk features by decreasing IV; drop one whose |Pearson r| with a kept
    feature exceeds ``max_correlation``."""
    if not ordered:
        return [], []
    corr = woe[ordered].corr().to_numpy()
    kept_idx: list[int] = []
    log = []
    for i, feature in enumerate(ordered):
        if kept_idx:
            r = np.abs(np.nan_to_num(corr[i, kept_idx], nan=0.0))
            worst = int(np.argmax(r))
            if r[worst] > max_correlation:
                partner = ordered[kept_idx[worst]]
                log.append(_entry(feature, "correlation", False,
                                  f"|r| = {r[worst]:.3f} > {max_correlation:g} with {partner} (higher IV)", r[worst]))
                continue
            value = float(r.max())
        else:
            value = 0.0
        kept_idx.append(i)
        log.append(_entry(feature, "correlation", True, f"max |r| with kept features {value:.3f}", value))
    return [ordered[i] for i in kept_idx], log


def select_by_vif(woe: pd.DataFrame, features: list[str], max_vif: float):
    """Drop the feature with the largest VIF while it exceeds ``max_vif``."""
    features = list(features)
    log = []
    while len(features) > 1:
        vif = variance_inflation_factors(woe[features])
        worst = vif.idxmax()
        if not vif[worst] > max_vif:
            break
        log.append(_entry(worst, "vif", False, f"VIF {vif[worst]:.2f} > max_vif {max_vif:g}", vif[worst]))
        features.remove(worst)
    vif = variance_inflation_factors(woe[features])
    for f in features:
        log.append(_entry(f, "vif", True, f"VIF {vif[f]:.2f} <= max_vif {max_vif:g}", vif[f]))
    return features, log


def fit_logit(woe: pd.DataFrame, y: np.ndarray, features: list[str]):
    """Maximum-likelihood logistic regression of ``y`` on the WoE columns (statsmodels)."""
    import statsmodels.api as sm  # ~1 s to import, needed by this fit only

    exog = sm.add_constant(woe[features].to_numpy(dtype=float), has_constant="add")
    exog = pd.DataFrame(exog, columns=["const", *features], index=woe.index)
    y = np.asarray(y, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = sm.Logit(y, exog).fit(method="newton", maxiter=200, disp=0)
        except np.linalg.LinAlgError:
            # a singular Hessian: (quasi-)complete separation, typical of few events and
            # many features; the maximum-likelihood estimate does not exist, so say so
            raise ScorecardFitError(
                f"the logistic regression has no maximum-likelihood estimate: {int(y.sum())} events in "
                f"{len(y)} rows for {len(features)} features {features} separate the classes (singular "
                f"Hessian); use fewer candidate features (raise min_iv, lower max_features) or a larger "
                f"development sample") from None
    return result


class ScorecardFitError(RiskkitError, ValueError):
    """The scorecard cannot be fitted on this sample (e.g. the classes are separated)."""
