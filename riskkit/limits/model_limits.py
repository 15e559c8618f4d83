"""Model credit limits (模型授信): an expected-loss budget and an expected-profit optimum.

Both work over a one-year horizon with the one-year PD, the loss given default ``LGD`` and
the exposure at default taken as the full limit ``L`` (a customer heading for default
draws its line: a 100 % credit-conversion factor, as for trade-credit EAD in
:mod:`riskkit.limits.exposure`), so the expected loss of a limit is

.. math:: EL(L) = PD \\cdot LGD \\cdot L  \\qquad \\text{(Basel II, BCBS 2006, para. 375)}.

**EL budget.**  The largest limit whose expected loss stays within a budget ``B``:
:math:`L = B / (PD \\cdot LGD)`.  ``B`` is a fixed amount per customer or a share ``b`` of the
customer's expected annual gross margin, :math:`B = b \\cdot m \\cdot P` (``m`` the gross margin
rate, ``P`` the expected annual purchases): "we accept losing on average at most a quarter of
what we earn on this customer".

**Expected profit.**  A limit ``L`` turned over ``n = 360 / D`` times a year (``D`` = payment
terms + days beyond terms; 12 months of 30 days, the convention of the needs-based limit)
can finance at most ``n L`` of sales a year, and the customer buys at most ``P``.  Sales
supported saturate at ``P``:

- ``saturation="exponential"`` (default): :math:`S(L) = P (1 - e^{-nL/P})`, smooth, equal to
  ``nL`` for a small limit and tending to ``P``; it never exceeds ``min(nL, P)`` (orders come
  irregularly, so a line covering the average month still blocks some peak orders);
- ``saturation="min"``: :math:`S(L) = \\min(nL, P)` (kinked).

The expected profit over the year is :math:`\\pi(L) = m S(L) - PD \\cdot LGD \\cdot L`, concave in
``L`` (a concave function minus a linear one), maximised subject to the EL share
:math:`EL(L) / (m S(L)) \\le s`.  With :math:`x = nL/P` and
:math:`k = PD \\cdot LGD / (m n)` (expected loss per unit of margin-earning turnover):

- exponential: :math:`\\pi \\propto (1 - e^{-x}) - kx`, unconstrained optimum
  :math:`x^* = \\ln(1/k)` for ``k < 1`` (else 0).  The EL share :math:`kx/(1-e^{-x})`
  increases from ``k`` at ``x = 0``, so the constraint is :math:`x \\le x_{max}` with
  :math:`x_{max}` the root of :math:`kx = s(1 - e^{-x})`:
  :math:`x_{max} = 1/c + W_0(-e^{-1/c}/c)` with ``c = k/s < 1`` (``W_0`` the principal
  branch of the Lambert W function), and no positive limit is feasible if ``k >= s``.
  Optimum :math:`L^* = (P/n) \\min(x^*, x_{max})`.
- min: the profit rises with slope :math:`m n - PD \\cdot LGD` up to ``x = 1`` and falls
  after, so :math:`L^* = P/n` (the needs-based amount) when ``k < 1`` and ``k <= s``
  (the EL share is ``k`` on ``x <= 1``), else 0.

A PD of 0 leaves the exponential model without an optimum (profit rises for ever): the
limit is ``inf`` ("unbounded"), for caps to bound.  Grade D and knock-out customers get 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import lambertw

from .._core.checks import align_by_index
from .formula import (
    _check_share,
    _filled,
    _fixed,
    _frame_result,
    _money,
    _numeric,
    _put,
    days_outstanding,
    expected_annual_purchases,
    format_money,
    format_share,
)
from .policy_config import GRADES, LimitInputError, TradeInputs, check_columns_present

__all__ = [
    "DAYS_PER_YEAR",
    "el_budget_max_exposure",
    "sales_supported",
    "profit_optimal_limit",
    "el_budget_limit",
    "profit_limit",
]

#: 12 months of 30 days, the year of the needs-based formula
DAYS_PER_YEAR = 360
_SATURATIONS = ("exponential", "min")


# --------------------------------------------------------------------------- array kernels
def el_budget_max_exposure(pd_, lgd, budget) -> np.ndarray:
    """Largest exposure with ``PD x LGD x L <= budget``: ``L = budget / (PD x LGD)``.

    ``inf`` where ``PD x LGD = 0`` and the budget is positive (no loss expected, no bound);
    0 where the budget is 0; NaN where an input is missing.
    Series are paired by index label (:func:`riskkit._core.checks.align_by_index`); the
    array follows the first Series' order.

    Examples
    --------
    >>> round(float(el_budget_max_exposure(0.02, 0.45, 9000.0)))  # 9,000 / (2 % x 45 %)
    1000000
    """
    p, g, b = (np.asarray(a, dtype=float) for a in align_by_index(pd_=pd_, lgd=lgd, budget=budget))
    loss_rate = p * g
    with np.errstate(divide="ignore", invalid="ignore"):
        out = b / loss_rate
    out = np.where(b == 0, 0.0, out)
    return np.where(np.isnan(p) | np.isnan(g) | np.isnan(b), np.nan, out)


def sales_supported(limit, annual_purchases, days, saturation: str = "exponential") -> np.ndarray:
    """Annual sales a limit can finance: ``P (1 - exp(-nL/P))`` or ``min(nL, P)``, ``n = 360/D``.

    ``D = 0`` (cash terms) needs no limit: all of ``P`` is supported.  Series are paired by
    index label (:func:`riskkit._core.checks.align_by_index`); the array follows the first
    Series' order.
    """
    if saturation not in _SATURATIONS:
        raise LimitInputError(f"saturation must be one of {list(_SATURATIONS)}, got {saturation!r}")
    paired = align_by_index(limit=limit, annual_purchases=annual_purchases, days=days)
    L, P, D = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in paired))
    with np.errstate(divide="ignore", invalid="ignore"):
        turnover = L * DAYS_PER_YEAR / D
        if saturation == "min":
            out = np.minimum(turnover, P)
        else:
            out = P * -np.expm1(-turnover / P)
    out = np.where(D == 0, P, out)
    return np.where(P == 0, 0.0, out)


def profit_optimal_limit(pd_, lgd, gross_margin_rate, annual_purchases, days, max_el_share=1.0,
                         saturation: str = "exponential") -> np.ndarray:
    """Limit maximising ``m S(L) - PD x LGD x L`` subject to ``EL / (m S(L)) <= max_el_share``.

    Closed form (module docstring): ``L* = (P/n) min(x*, x_max)`` with ``n = 360/D``,
    ``k = PD LGD / (m n)``; exponential saturation: ``x* = ln(1/k)``,
    ``x_max = 1/c + W0(-exp(-1/c)/c)``, ``c = k / max_el_share``; min saturation:
    ``L* = P/n`` if ``k < 1`` and ``k <= max_el_share``, else 0.

    Series are paired by index label (:func:`riskkit._core.checks.align_by_index`: the same
    labels in another order are reordered, other labels refused).

    Parameters
    ----------
    pd_ : array-like
        One-year PD in [0, 1].
    lgd, gross_margin_rate, max_el_share : float or array-like
        Fractions in [0, 1].
    annual_purchases : array-like
        Expected annual purchases ``P`` (>= 0).
    days : array-like
        Days outstanding ``D`` = terms + days beyond terms (>= 0).
    saturation : {"exponential", "min"}

    Returns
    -------
    ndarray
        In the order of the first Series input.  0 where nothing is worth lending (no
        purchases, no margin, cash terms, loss not covered, EL share exceeded); ``inf`` for
        PD x LGD = 0 with exponential saturation; NaN where an input is missing.

    Examples
    --------
    PD 2 %, LGD 45 %, margin 15 %, purchases 6 m, 60 days outstanding (6 turns): ``k = 0.01``,
    so ``L* = (P/n) ln(1/k) = 1 m x ln 100``:

    >>> float(profit_optimal_limit(0.02, 0.45, 0.15, 6e6, 60, max_el_share=1.0))
    4605170.18...
    """
    if saturation not in _SATURATIONS:
        raise LimitInputError(f"saturation must be one of {list(_SATURATIONS)}, got {saturation!r}")
    paired = align_by_index(pd_=pd_, lgd=lgd, gross_margin_rate=gross_margin_rate,
                            annual_purchases=annual_purchases, days=days, max_el_share=max_el_share)
    p, g, m, P, D, s = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in paired))
    missing = np.isnan(p) | np.isnan(g) | np.isnan(m) | np.isnan(P) | np.isnan(D) | np.isnan(s)
    loss_rate = p * g
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        turns = DAYS_PER_YEAR / D
        k = loss_rate / (m * turns)
        scale = P / turns                              # the limit at x = 1, P D / 360
        if saturation == "min":
            x = np.where((k < 1) & (k <= s), 1.0, 0.0)
        else:
            x_star = np.where(k < 1, -np.log(k), 0.0)  # inf where k = 0
            c = k / s
            inv_c = 1.0 / c
            w = lambertw(-np.exp(-inv_c) * inv_c, 0).real
            x_max = np.where(c < 1, inv_c + w, 0.0)    # inf where k = 0
            x = np.where(k == 0, np.inf, np.minimum(x_star, x_max))  # 0 x inf above would be NaN
        out = scale * x
    worthless = (P == 0) | (m == 0) | (D == 0)
    out = np.where(worthless, 0.0, out)
    return np.where(missing, np.nan, out)


# --------------------------------------------------------------------------- frame level
def _pd_values(frame: pd.DataFrame, trade: TradeInputs) -> np.ndarray:
    check_columns_present(frame, [trade.pd_column] + ([trade.pd_fallback_column] if trade.pd_fallback_column else []),
                          "the customer frame")
    p = _numeric(frame, trade.pd_column)
    if trade.pd_fallback_column:
        p = np.where(np.isnan(p), _numeric(frame, trade.pd_fallback_column), p)
    bad = (p < 0) | (p > 1)
    if bad.any():
        raise LimitInputError(f"PD ({trade.pd_column}) must be in [0, 1] but is not for {int(bad.sum())} customer(s), "
                              f"e.g. {frame.index[bad][:5].tolist()}")
    return p


def _zero_for_default(frame: pd.DataFrame, limit: np.ndarray, explanation: np.ndarray, grades) -> None:
    if "grade" in frame.columns:
        is_default = (frame["grade"] == grades[-1]).fillna(False).to_numpy(dtype=bool)
        limit[is_default] = 0.0
        explanation[is_default] = f"grade {grades[-1]}: 0"
    if "knockout" in frame.columns:
        knocked = frame["knockout"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        limit[knocked] = 0.0
        explanation[knocked] = "knock-out: 0"


def _trade_inputs(frame: pd.DataFrame, trade: TradeInputs):
    annual = expected_annual_purchases(frame, purchases_column=trade.purchases_column,
                                       purchases_growth=trade.purchases_growth,
                                       history_column=trade.purchases_history_column,
                                       min_history_days=trade.purchases_min_history_days)
    days, assumed = days_outstanding(frame, terms_column=trade.terms_column,
                                     days_beyond_terms_column=trade.days_beyond_terms_column,
                                     days_beyond_terms_if_missing=trade.days_beyond_terms_if_missing)
    return annual, days, assumed


def _pd_parts(p: np.ndarray, lgd: float) -> tuple:
    return "PD ", _fixed(p * 100, 2), f" % x LGD {format_share(lgd)}"


@_frame_result
def el_budget_limit(frame: pd.DataFrame, *, budget_amount: float | None = None,
                    budget_margin_share: float | None = None, trade: TradeInputs | None = None,
                    grades=GRADES) -> pd.DataFrame:
    """EL-budget limit of every customer: ``L = B / (PD x LGD)``.

    Parameters
    ----------
    frame : DataFrame
        One row per customer with the PD column(s) of ``trade`` and, for a margin budget,
        the purchases column; optional ``grade`` / ``knockout`` columns (those customers get 0).
    budget_amount : float, optional
        Budget ``B`` per customer in money.
    budget_margin_share : float, optional
        Budget as a share ``b`` of the expected annual gross margin: ``B = b x m x P``.
        Give exactly one of the two.
    trade : TradeInputs, optional
        PD column, LGD, gross margin rate, purchases (default ``TradeInputs()``).

    Returns
    -------
    DataFrame with ``limit`` and ``explanation``.
    """
    trade = TradeInputs() if trade is None else trade
    if (budget_amount is None) == (budget_margin_share is None):
        raise LimitInputError("give exactly one of budget_amount and budget_margin_share")
    p = _pd_values(frame, trade)
    if budget_amount is not None:
        if isinstance(budget_amount, bool) or not isinstance(budget_amount, (int, float)) \
                or not math.isfinite(budget_amount) or budget_amount < 0:
            raise LimitInputError(f"budget_amount must be a finite amount >= 0, got {budget_amount!r}")
        budget = np.full(len(frame), float(budget_amount))
        budget_parts = (f"EL budget {format_money(budget_amount)}",)
    else:
        share = _check_share(budget_margin_share, "budget_margin_share", 1.0)
        annual = expected_annual_purchases(frame, purchases_column=trade.purchases_column,
                                           purchases_growth=trade.purchases_growth,
                                           history_column=trade.purchases_history_column,
                                           min_history_days=trade.purchases_min_history_days)
        margin = trade.gross_margin_rate * annual
        budget = share * margin
        budget_parts = ("EL budget ", _money(budget), f" ({format_share(share)} of margin ", _money(margin), ")")
    limit = el_budget_max_exposure(p, trade.lgd, budget)
    explanation = _filled(len(frame), "no PD")
    explanation[~np.isnan(p) & np.isnan(budget)] = "no purchase data for the margin budget"
    ok = ~np.isnan(p) & ~np.isnan(budget)
    _put(explanation, ok, *budget_parts, " / (", *_pd_parts(p, trade.lgd), ")")
    _put(explanation, ok & np.isinf(limit), explanation, ": unbounded")
    _zero_for_default(frame, limit, explanation, grades)
    return limit, explanation


@_frame_result
def profit_limit(frame: pd.DataFrame, *, max_el_share: float = 0.5, saturation: str = "exponential",
                 trade: TradeInputs | None = None, grades=GRADES) -> pd.DataFrame:
    """Expected-profit-optimal limit of every customer (:func:`profit_optimal_limit`).

    Parameters
    ----------
    frame : DataFrame
        One row per customer with the PD, purchases, terms and days-beyond-terms columns
        of ``trade``; optional ``grade`` / ``knockout`` columns (those customers get 0).
    max_el_share : float, default 0.5
        Largest accepted expected loss as a share of the expected margin.
    saturation : {"exponential", "min"}
    trade : TradeInputs, optional

    Returns
    -------
    DataFrame with ``limit`` and ``explanation``.
    """
    trade = TradeInputs() if trade is None else trade
    share = _check_share(max_el_share, "max_el_share", 1.0)
    p = _pd_values(frame, trade)
    annual, days, assumed = _trade_inputs(frame, trade)
    m, lgd = trade.gross_margin_rate, trade.lgd
    limit = profit_optimal_limit(p, lgd, m, annual, days, share, saturation)
    sales = sales_supported(limit, annual, days, saturation)
    with np.errstate(divide="ignore", invalid="ignore"):
        el_share = p * lgd * limit / (m * sales)
        turns = DAYS_PER_YEAR / days
        k = p * lgd / (m * turns)
    n = len(frame)
    explanation = _filled(n, "no PD")
    has_p = ~np.isnan(p)
    explanation[has_p & np.isnan(annual)] = "no purchase data"
    explanation[has_p & ~np.isnan(annual) & np.isnan(days)] = "no payment terms / payment history data"
    ok = has_p & ~np.isnan(annual) & ~np.isnan(days)
    explanation[ok & (days == 0)] = "cash terms (0 days outstanding): 0"
    explanation[ok & (annual == 0)] = "no purchases: 0"
    modelled = ok & (days > 0) & (annual > 0)
    base = (f"{format_share(m)} margin on sales the limit supports (of ", _money(annual), " purchases, ",
            _fixed(np.nan_to_num(turns, posinf=0.0), 1), " turns a year) - ", *_pd_parts(p, lgd), " x limit")
    not_covered = modelled & (limit == 0) & (k >= 1)
    too_risky = modelled & (limit == 0) & (k < 1) & (k >= share)
    unbounded = modelled & np.isinf(limit)
    optimum = modelled & ~not_covered & ~too_risky & ~unbounded
    _put(explanation, optimum, "maximises ", *base, "; supports ", _money(sales), " of sales, EL = ",
         _fixed(np.nan_to_num(el_share * 100), 1), " % of margin")
    _put(explanation, optimum & np.isclose(el_share, share) & (limit > 0), explanation,
         f" (EL share cap {format_share(share)} binds)")
    _put(explanation, not_covered, "margin does not cover PD x LGD: 0 (", *base, ")")
    _put(explanation, too_risky, f"EL share would exceed {format_share(share)} of margin: 0 (", *base, ")")
    _put(explanation, unbounded, "unbounded: PD x LGD = 0 (", *base, ")")
    if trade.days_beyond_terms_if_missing is not None:
        _put(explanation, ok & assumed, explanation, f" (no payment history: {trade.days_beyond_terms_if_missing:g} "
                                                     f"days beyond terms assumed)")
    _zero_for_default(frame, limit, explanation, grades)
    return limit, explanation
