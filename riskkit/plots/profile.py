"""Figures of one customer's risk profile (``riskkit.assess.customer``).

Every function takes ``ax=None`` and returns the Axes it drew on.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from ..profile.financials import ALTMAN_DISTRESS_BELOW, ALTMAN_SAFE_ABOVE
from ._common import get_axes

#: figure size (inches) when no Axes is given
_FIGSIZE = (9, 4.5)

__all__ = ["plot_payment_history", "plot_altman_z_history", "plot_expert_contributions"]

_ZONE_COLORS = {"distress": "tab:red", "grey": "tab:gray", "safe": "tab:green"}


def _millions(value, _position) -> str:
    return f"{value / 1e6:,.0f}"


def plot_payment_history(history: pd.DataFrame, payment_terms_days: float | None = None, ax=None):
    """Monthly invoiced amount (bars) and payment speed (lines) of one customer.

    Parameters
    ----------
    history : DataFrame
        :func:`riskkit.assess.customer.payment_history` (index ``month``; columns
        ``invoiced_amount``, ``weighted_days_to_pay``, ``weighted_days_beyond_terms``).
    payment_terms_days : float, optional
        Drawn as a dashed reference line on the days axis: a customer paying on time has
        its days to pay at or below it.
    ax : Axes, optional

    Returns
    -------
    Axes
        The Axes of the amounts; the days are drawn on a twin Axes sharing its x axis.
    """
    missing = [c for c in ("invoiced_amount", "weighted_days_to_pay", "weighted_days_beyond_terms")
               if c not in history.columns]
    if missing:
        raise KeyError(f"history lacks the columns {missing} (use riskkit.assess.customer.payment_history)")
    ax = get_axes(ax, _FIGSIZE, layout="constrained")
    months = history.index.to_timestamp(how="start") if isinstance(history.index, pd.PeriodIndex) \
        else pd.DatetimeIndex(history.index)
    x = months + pd.Timedelta(days=14)  # bars and points in the middle of their month
    ax.bar(x, history["invoiced_amount"], width=20, color="#c6d4e8", label="invoiced amount (left, millions)")
    ax.yaxis.set_major_formatter(FuncFormatter(_millions))
    ax.set_ylabel("invoiced amount (millions)")
    days = ax.twinx()
    days.plot(x, history["weighted_days_to_pay"], marker="o", markersize=3, color="tab:blue",
              label="days to pay (amount-weighted)")
    days.plot(x, history["weighted_days_beyond_terms"], marker="o", markersize=3, color="tab:red",
              label="days beyond terms (amount-weighted)")
    if payment_terms_days is not None and np.isfinite(payment_terms_days):
        days.axhline(payment_terms_days, color="black", linestyle="--", linewidth=1,
                     label=f"payment terms ({payment_terms_days:g} days)")
    top = np.nanmax([history["weighted_days_to_pay"].max(), payment_terms_days or 0, 1.0])
    days.set_ylim(0, top * 1.15)
    days.set_ylabel("days")
    handles = ax.get_legend_handles_labels()
    more = days.get_legend_handles_labels()
    days.legend(handles[0] + more[0], handles[1] + more[1], loc="upper center", bbox_to_anchor=(0.5, -0.1),
                fontsize="small", ncol=2, frameon=False)
    ax.set_title("Invoicing and payment behaviour by month (payments by month paid)")
    return ax


def plot_altman_z_history(financials: pd.DataFrame, ax=None):
    """Altman Z'' of each statement over time, on the safe / grey / distress zones.

    Parameters
    ----------
    financials : DataFrame
        :func:`riskkit.assess.customer.financial_history` (index ``period_end``, column
        ``altman_z``).
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    if "altman_z" not in financials.columns:
        raise KeyError("financials lacks the column 'altman_z' (use riskkit.assess.customer.financial_history)")
    ax = get_axes(ax, (7, 3.5), layout="constrained")
    z = financials["altman_z"]
    finite = z[np.isfinite(z.to_numpy(dtype=float))]
    low = min(float(finite.min()) - 0.5, 0.0) if len(finite) else 0.0
    high = max(float(finite.max()) + 0.5, ALTMAN_SAFE_ABOVE + 1.0) if len(finite) else ALTMAN_SAFE_ABOVE + 1.0
    ax.axhspan(low, ALTMAN_DISTRESS_BELOW, color=_ZONE_COLORS["distress"], alpha=0.12, label="distress (< 1.10)")
    ax.axhspan(ALTMAN_DISTRESS_BELOW, ALTMAN_SAFE_ABOVE, color=_ZONE_COLORS["grey"], alpha=0.12,
               label="grey (1.10-2.60)")
    ax.axhspan(ALTMAN_SAFE_ABOVE, high, color=_ZONE_COLORS["safe"], alpha=0.12, label="safe (> 2.60)")
    dates = pd.DatetimeIndex(financials.index)
    ax.plot(dates, z, marker="o", color="black", label="Altman Z''")
    ax.set_xticks(dates, [d.strftime("%Y-%m-%d") for d in dates])
    ax.set_ylim(low, high)
    ax.set_xlabel("period end")
    ax.set_ylabel("Z''")
    ax.set_title("Altman Z'' by statement")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def plot_expert_contributions(contributions: pd.DataFrame, ax=None):
    """Each expert-scorecard factor's contribution against the most it could contribute.

    Parameters
    ----------
    contributions : DataFrame
        One customer's rows of :meth:`riskkit.scoring.ExpertScorecard.contributions`
        indexed by ``indicator`` (columns ``contribution``, ``effective_weight``,
        ``missing``).  The grey bar is ``100 * effective_weight``, the most the factor
        can add; the coloured bar is what it added; missing factors are hatched.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    missing = [c for c in ("contribution", "effective_weight", "missing") if c not in contributions.columns]
    if missing:
        raise KeyError(f"contributions lack the columns {missing} (use ExpertScorecard.contributions)")
    ax = get_axes(ax, (8, 0.35 * len(contributions) + 1.5), layout="constrained")
    names = [str(i) for i in contributions.index][::-1]
    y = np.arange(len(names))
    most = 100 * contributions["effective_weight"].to_numpy(dtype=float)[::-1]
    got = contributions["contribution"].to_numpy(dtype=float)[::-1]
    share = np.divide(got, most, out=np.zeros_like(got), where=most > 0)
    colors = plt.get_cmap("RdYlGn")(share)
    ax.barh(y, np.nan_to_num(most), color="#eeeeee", edgecolor="#bbbbbb", label="maximum (100 points x weight)")
    bars = ax.barh(y, np.nan_to_num(got), color=colors, label="contribution (red to green: share of the maximum)")
    for bar, is_missing in zip(bars, contributions["missing"].to_numpy()[::-1]):
        if is_missing:
            bar.set_hatch("//")
    ax.set_yticks(y, names)
    total = np.nansum(got)
    ax.set_xlabel("score points (total of all factors = expert score, 0-100)")
    ax.set_title(f"Expert score by factor: {total:.1f} of 100")
    ax.legend(loc="lower right", fontsize="small")
    return ax
