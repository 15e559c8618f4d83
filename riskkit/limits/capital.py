"""Basel II IRB capital: asset correlation, capital requirement K, risk weight, RWA.

The internal-ratings-based risk-weight functions of the Basel II framework (BCBS 2006,
*International Convergence of Capital Measurement and Capital Standards, comprehensive
version*): corporate exposures (paras 272-273, with the SME firm-size adjustment) and the
three retail classes (paras 328-330).  Everything is vectorised over obligors.

Source verification: the formulas of paras 272, 273 and 328-330 and the illustrative risk
weights of Annex 5 (used in the tests) were checked against public copies of the
framework text (BCBS 2006; the UK BIPRU 4.4/4.6 transposition for the PD = 0 / PD = 1
conventions).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as _pandas
from scipy import special

from .portfolio_loss import (
    LossInputError,
    _check_range,
    _float_array,
    _obligor_arrays,
    _paired,
)

__all__ = ["ASSET_CLASSES", "irb_correlation", "irb_capital", "irb_risk_weight",
           "capital_requirement"]

#: supported IRB asset classes (corporate includes the SME firm-size adjustment)
ASSET_CLASSES = ("corporate", "retail_mortgage", "retail_revolving", "retail_other")

#: the supervisory confidence level of the IRB formula (para 272: G(0.999))
_CONFIDENCE = 0.999


def _check_class(asset_class: Any, func: str) -> str:
    if asset_class not in ASSET_CLASSES:
        raise LossInputError(f"{func}: asset_class must be one of {list(ASSET_CLASSES)}, got "
                             f"{asset_class!r}")
    return asset_class


def _turnover(turnover: Any, n: int, asset_class: str, func: str) -> np.ndarray:
    """Annual sales in EUR million per obligor; NaN = no firm-size adjustment."""
    if turnover is None:
        return np.full(n, np.nan)
    if asset_class != "corporate":
        raise LossInputError(f"{func}: turnover (the SME firm-size adjustment, para 273) applies "
                             f"to asset_class 'corporate' only, not {asset_class!r}")
    s = _float_array(turnover, "turnover", func)
    if s.ndim == 1 and s.size != n:
        raise LossInputError(f"{func}: turnover has {s.size} values but pd has {n}")
    flat = np.atleast_1d(s)
    # NaN means "no firm-size adjustment"; every other value must be a positive number
    _check_range(flat[~np.isnan(flat)], "turnover (EUR million)", func, low=0.0, low_open=True)
    return np.broadcast_to(s, (n,)).astype(np.float64)


def _correlation(p: np.ndarray, asset_class: str, sales: np.ndarray) -> np.ndarray:
    if asset_class == "corporate":
        # para 272: R = 0.12 w + 0.24 (1 - w), w = (1 - e^{-50 PD}) / (1 - e^{-50})
        w = -np.expm1(-50.0 * p) / -np.expm1(-50.0)
        r = 0.12 * w + 0.24 * (1.0 - w)
        # para 273: - 0.04 (1 - (S - 5) / 45), S in EUR m, floored at 5; no adjustment at 50+
        s = np.clip(sales, 5.0, 50.0)
        return r - np.where(np.isnan(sales), 0.0, 0.04 * (1.0 - (s - 5.0) / 45.0))
    if asset_class == "retail_mortgage":
        return np.full_like(p, 0.15)                    # para 328
    if asset_class == "retail_revolving":
        return np.full_like(p, 0.04)                    # para 329
    # para 330: R = 0.03 w + 0.16 (1 - w), w = (1 - e^{-35 PD}) / (1 - e^{-35})
    w = -np.expm1(-35.0 * p) / -np.expm1(-35.0)
    return 0.03 * w + 0.16 * (1.0 - w)


def _shape(value: np.ndarray, index: _pandas.Index | None, scalar: bool, name: str):
    if index is not None:
        return _pandas.Series(value, index=index, name=name)
    return float(value[0]) if scalar else value


def _all_scalar(*values: Any) -> bool:
    return all(np.ndim(v) == 0 and not isinstance(v, _pandas.Series) for v in values if v is not None)


def irb_correlation(pd, asset_class: str = "corporate", turnover=None):
    """Supervisory asset correlation ``R`` of the IRB formula.

    * corporate (para 272): ``R = 0.12 w + 0.24 (1 - w)``, ``w = (1 - e^{-50 PD}) / (1 - e^{-50})``,
      minus the SME adjustment ``0.04 (1 - (S - 5)/45)`` for annual sales ``S`` (EUR million;
      ``S < 5`` counts as 5, ``S >= 50`` gives no adjustment; para 273);
    * retail_mortgage: 0.15 (para 328); retail_revolving: 0.04 (para 329);
    * retail_other: ``0.03 w + 0.16 (1 - w)``, ``w = (1 - e^{-35 PD}) / (1 - e^{-35})`` (para 330).

    ``pd`` is used as given here (no floor).  ``turnover`` may hold NaN for obligors without
    the firm-size adjustment.  Returns a float, an array or a Series (like ``pd``; in the
    order of the first Series when both are Series, paired by index label as in
    :func:`riskkit._core.checks.align_by_index`).
    """
    func = "irb_correlation"
    asset_class = _check_class(asset_class, func)
    pd, turnover = _paired(func, pd=pd, turnover=turnover)
    arrays, index = _obligor_arrays(func, {"pd": (pd, 0.0, 1.0, False, False)})
    p = arrays["pd"]
    r = _correlation(p, asset_class, _turnover(turnover, p.size, asset_class, func))
    return _shape(r, index, _all_scalar(pd, turnover), "correlation")


def _irb(func: str, pd, lgd, maturity, asset_class, turnover, pd_floor, el_best_estimate):
    """Validated inputs and K per unit of EAD; the pieces capital_requirement reports."""
    asset_class = _check_class(asset_class, func)
    pd, lgd, maturity, turnover, el_best_estimate = _paired(
        func, pd=pd, lgd=lgd, maturity=maturity, turnover=turnover, el_best_estimate=el_best_estimate)
    floor = _float_array(pd_floor, "pd_floor", func, max_ndim=0)
    _check_range(floor, "pd_floor", func, low=0.0, high=1.0, high_open=True)
    specs = {"pd": (pd, 0.0, 1.0, False, False), "lgd": (lgd, 0.0, 1.0, False, False),
             "maturity": (maturity, 1.0, 5.0, False, False)}
    if el_best_estimate is not None:
        specs["el_best_estimate"] = (el_best_estimate, 0.0, 1.0, False, False)
    arrays, index = _obligor_arrays(func, specs)
    p_in, lgd_a, m = arrays["pd"], arrays["lgd"], arrays["maturity"]
    elbe = arrays.get("el_best_estimate", np.zeros_like(p_in))
    sales = _turnover(turnover, p_in.size, asset_class, func)

    defaulted = p_in >= 1.0
    p = np.where(defaulted, 1.0, np.maximum(p_in, float(floor)))
    live = ~defaulted & (p > 0.0)            # PD = 0 (no floor) needs no capital
    r = _correlation(p, asset_class, sales)
    k = np.zeros_like(p)
    pl, rl = p[live], r[live]
    conditional = special.ndtr((special.ndtri(pl) + np.sqrt(rl) * special.ndtri(_CONFIDENCE))
                               / np.sqrt(1.0 - rl))
    k[live] = lgd_a[live] * (conditional - pl)
    ma = np.ones_like(p)
    if asset_class == "corporate":
        b = (0.11852 - 0.05478 * np.log(pl)) ** 2          # para 272 maturity adjustment
        ma[live] = (1.0 + (m[live] - 2.5) * b) / (1.0 - 1.5 * b)
        k[live] *= ma[live]
    # para 272 (defaulted exposure): K = max(0, LGD - EL best estimate)
    k[defaulted] = np.maximum(0.0, lgd_a[defaulted] - elbe[defaulted])
    return {"index": index, "pd": p, "lgd": lgd_a, "maturity": m, "correlation": r,
                "maturity_adjustment": np.where(defaulted, np.nan, ma), "k": k,
                "defaulted": defaulted, "el_best_estimate": elbe}


def _check_scaling(scaling: Any, func: str) -> float:
    value = _float_array(scaling, "scaling", func, max_ndim=0)
    _check_range(value, "scaling", func, low=0.0, low_open=True)
    return float(value)


def irb_capital(pd, lgd=0.45, maturity=2.5, asset_class: str = "corporate", turnover=None, *,
                pd_floor: float = 0.0003, el_best_estimate=None):
    """IRB capital requirement ``K`` per unit of EAD (BCBS 2006, paras 272-273, 328-330).

    For a non-defaulted exposure

        K = [LGD N((G(PD) + sqrt(R) G(0.999)) / sqrt(1 - R)) - PD LGD] x MA,

    ``N``/``G`` the standard normal cdf / quantile, ``R`` from :func:`irb_correlation`, and
    for corporates the maturity adjustment ``MA = (1 + (M - 2.5) b) / (1 - 1.5 b)``,
    ``b = (0.11852 - 0.05478 ln PD)^2`` (retail: ``MA = 1``).  See
    :func:`irb_risk_weight` for the parameters; returns a float, an array or a Series.
    """
    parts = _irb("irb_capital", pd, lgd, maturity, asset_class, turnover, pd_floor,
                 el_best_estimate)
    return _shape(parts["k"], parts["index"],
                  _all_scalar(pd, lgd, maturity, turnover, el_best_estimate), "k")


def irb_risk_weight(pd, lgd=0.45, maturity=2.5, asset_class: str = "corporate", turnover=None,
                    scaling: float = 1.0, *, pd_floor: float = 0.0003, el_best_estimate=None):
    """Basel II IRB risk weight ``RW = 12.5 x K x scaling`` (as a fraction: 0.9232 = 92.32 %).

    Series inputs are paired by index label (:func:`riskkit._core.checks.align_by_index`):
    the same labels in another order are reordered to the first Series' order; other
    labels are refused.

    Parameters
    ----------
    pd : float, array-like or Series
        One-year probability of default, in [0, 1]; ``pd = 1`` is a defaulted exposure.
    lgd : float, array-like or Series
        Loss given default, in [0, 1] (0.45: the foundation-IRB senior unsecured value, para 287).
    maturity : float, array-like or Series
        Effective maturity ``M`` in years, in [1, 5] (para 320: one-year floor and five-year
        cap; apply them, e.g. ``np.clip(M, 1, 5)``, before calling; the short-term
        exemptions of para 321 are out of scope).  Used by ``corporate`` only.
    asset_class : {"corporate", "retail_mortgage", "retail_revolving", "retail_other"}
        Which risk-weight function (paras 272, 328, 329, 330).
    turnover : float, array-like or Series, optional
        Annual sales in EUR million of a corporate borrower for the SME firm-size adjustment
        (para 273: ``R - 0.04 (1 - (max(S, 5) - 5) / 45)`` for ``S < 50``); NaN or None: no
        adjustment.
    scaling : float
        Multiplier of the risk weight: 1 (default) or the Basel II scaling factor 1.06 for
        IRB credit risk (para 44).
    pd_floor : float
        PD floor, default 0.03 % (para 285 corporate, para 331 retail): ``PD = max(PD,
        pd_floor)`` for non-defaulted exposures.  0 disables it (then ``PD = 0`` gives
        ``K = 0``, as in BIPRU 4.4.57).
    el_best_estimate : float, array-like or Series, optional
        The bank's best estimate of expected loss (share of EAD) of defaulted exposures:
        ``K = max(0, LGD - EL_BE)`` when ``PD = 1`` (para 272); default 0, i.e.
        ``K = LGD``.  Ignored for non-defaulted exposures.

    Returns
    -------
    float, ndarray or Series
        The risk weight per unit of EAD (a Series named ``risk_weight``, indexed like the
        first Series input, if any input was one).

    Raises
    ------
    LossInputError
        Out-of-range or inconsistent input (including Series with different index labels),
        naming the parameter.

    References
    ----------
    BCBS (2006). *International Convergence of Capital Measurement and Capital Standards -
    A Revised Framework, Comprehensive Version*, paras 44, 272-273, 285, 320, 328-331 and
    Annex 5 (illustrative risk weights).  BCBS (2005). *An Explanatory Note on the Basel II
    IRB Risk Weight Functions*.

    Examples
    --------
    >>> round(irb_risk_weight(0.01, 0.45, 2.5), 4)
    0.9232
    """
    func = "irb_risk_weight"
    scale = _check_scaling(scaling, func)
    parts = _irb(func, pd, lgd, maturity, asset_class, turnover, pd_floor, el_best_estimate)
    return _shape(12.5 * parts["k"] * scale, parts["index"],
                  _all_scalar(pd, lgd, maturity, turnover, el_best_estimate), "risk_weight")


def capital_requirement(pd, lgd, ead, maturity=2.5, asset_class: str = "corporate",
                        turnover=None, scaling: float = 1.0, *, pd_floor: float = 0.0003,
                        el_best_estimate=None) -> _pandas.DataFrame:
    """IRB capital of every exposure: ``K``, risk weight, RWA and capital in currency.

    Parameters are those of :func:`irb_risk_weight`, plus ``ead`` (exposure at default,
    currency, >= 0).

    Returns
    -------
    DataFrame
        One row per exposure (the index of the first Series input, in its order; else
        0..n-1), columns
        ``pd`` (after the floor), ``lgd``, ``ead``, ``maturity``, ``correlation``,
        ``maturity_adjustment`` (NaN for defaulted exposures), ``k`` (per unit EAD),
        ``risk_weight`` (``12.5 K scaling``), ``rwa`` (``risk_weight x EAD``),
        ``capital`` (``8 % x RWA = K x scaling x EAD``) and ``expected_loss``
        (``PD x LGD x EAD``, or ``EL_BE x EAD`` for defaulted exposures; para 375).
    """
    func = "capital_requirement"
    scale = _check_scaling(scaling, func)
    pd, lgd, ead, maturity, turnover, el_best_estimate = _paired(
        func, pd=pd, lgd=lgd, ead=ead, maturity=maturity, turnover=turnover,
        el_best_estimate=el_best_estimate)
    parts = _irb(func, pd, lgd, maturity, asset_class, turnover, pd_floor, el_best_estimate)
    n = parts["pd"].size
    ead_arrays, ead_index = _obligor_arrays(func, {"ead": (ead, 0.0, None, False, False)})
    e = ead_arrays["ead"]
    if e.size != n and e.size != 1:
        raise LossInputError(f"{func}: ead has {e.size} values but pd has {n}")
    # every Series was paired above, so the first one's index is the index of all of them
    index = parts["index"] if parts["index"] is not None else ead_index
    e = np.broadcast_to(e, (n,))
    rw = 12.5 * parts["k"] * scale
    el_rate = np.where(parts["defaulted"], parts["el_best_estimate"], parts["pd"] * parts["lgd"])
    frame = _pandas.DataFrame({
        "pd": parts["pd"], "lgd": parts["lgd"], "ead": e, "maturity": parts["maturity"],
        "correlation": parts["correlation"], "maturity_adjustment": parts["maturity_adjustment"],
        "k": parts["k"], "risk_weight": rw, "rwa": rw * e, "capital": parts["k"] * scale * e,
        "expected_loss": el_rate * e,
    }, index=index if index is not None else _pandas.RangeIndex(n))
    return frame
