"""Figures of the monitoring run (``riskkit.monitoring``): a customer's timeline, EWS lead times.

Every function takes ``ax=None`` and returns the Axes it drew on.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter

__all__ = ["plot_alert_timeline", "plot_lead_times", "LEVEL_COLORS"]

#: one colour per alert level, most severe first
LEVEL_COLORS = {"red": "tab:red", "orange": "tab:orange", "yellow": "gold", "info": "tab:gray"}
_LEVELS = tuple(LEVEL_COLORS)


def _axes(ax, size=(9, 4.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _worst_level(alerts) -> str | None:
    """Most severe level in a timeline's ``alerts`` text (``level:rule (status); ...``)."""
    if not isinstance(alerts, str) or not alerts:
        return None
    levels = {part.strip().split(":", 1)[0] for part in alerts.split(";")}
    return next((level for level in _LEVELS if level in levels), None)


def plot_alert_timeline(timeline: pd.DataFrame, ax=None, title: str | None = None):
    """One customer's PD and grade over the archived runs, with the alerts of each run.

    Parameters
    ----------
    timeline : DataFrame
        :meth:`riskkit.monitoring.Archive.customer_timeline` (columns ``as_of``, ``pd``,
        ``grade`` and ``alerts``, the latter ``"level:rule (status); ..."`` or missing).
    ax : Axes, optional
    title : str, optional
        Default ``"PD and grade by monitoring run"``.

    Returns
    -------
    Axes
        PD in per cent (one point per run, labelled with the grade), on a logarithmic
        axis when it moved by more than a factor of 10; a run with alerts carries a large
        marker in the colour of its most severe level (:data:`LEVEL_COLORS`), labelled
        with the number of alerts.
    """
    missing = [c for c in ("as_of", "pd", "grade", "alerts") if c not in timeline.columns]
    if missing:
        raise KeyError(f"timeline lacks the columns {missing} (use Archive.customer_timeline)")
    ax = _axes(ax)
    dates = pd.DatetimeIndex(timeline["as_of"])
    pd_values = timeline["pd"].to_numpy(dtype=float)
    ax.plot(dates, pd_values, marker="o", markersize=4, color="black", label="PD (statistical scorecard)",
            zorder=3)
    for date, value, grade in zip(dates, pd_values, timeline["grade"]):
        if np.isfinite(value) and isinstance(grade, str):
            ax.annotate(grade, (date, value), textcoords="offset points", xytext=(0, 9), ha="center",
                        fontsize="small")
    worst = [_worst_level(a) for a in timeline["alerts"]]
    counts = [len(a.split(";")) if isinstance(a, str) and a else 0 for a in timeline["alerts"]]
    for level in _LEVELS:
        at = [i for i, w in enumerate(worst) if w == level and np.isfinite(pd_values[i])]
        if not at:
            continue
        ax.scatter(dates[at], pd_values[at], s=160, color=LEVEL_COLORS[level], edgecolor="black", zorder=2,
                   label=f"run with alerts, most severe {level}")
        for i in at:
            ax.annotate(str(counts[i]), (dates[i], pd_values[i]), textcoords="offset points", xytext=(0, -17),
                        ha="center", fontsize="x-small", color=LEVEL_COLORS[level])
    finite = pd_values[np.isfinite(pd_values) & (pd_values > 0)]
    log = len(finite) > 0 and finite.max() / finite.min() > 10
    if log:
        ax.set_yscale("log")
        ax.set_ylim(finite.min() / 2.5, min(finite.max() * 2.5, 1.5))
        ax.yaxis.set_minor_formatter(NullFormatter())
    elif len(finite):
        ax.set_ylim(0, min(finite.max() * 1.3, 1.05))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2%}" if 0 < v < 0.01 else f"{v:.0%}"))
    ax.set_xticks(dates, [d.strftime("%Y-%m-%d") for d in dates], rotation=30, ha="right")
    ax.set_xlabel("monitoring run (as of)")
    ax.set_ylabel("PD, one year" + (" (log scale)" if log else ""))
    ax.set_title(title or "PD and grade by monitoring run (numbers under markers: alerts in the run)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def plot_lead_times(lead_times: pd.DataFrame, lead_days: int = 90, bin_days: int = 30, ax=None):
    """Histogram of the early-warning lead time per alert level, bars side by side.

    Parameters
    ----------
    lead_times : DataFrame
        :attr:`riskkit.monitoring.EWSBacktest.lead_times`: one row per catchable default,
        ``lead_days_<level>`` = days from the first alert of that level or more severe to
        the default (missing when the default was not flagged in time).
    lead_days : int, default 90
        The back-test's minimum lead (a dashed line): alerts later than that do not count.
    bin_days : int, default 30
        Width of the bins, in days, from ``lead_days`` on.
    ax : Axes, optional

    Returns
    -------
    Axes
        One bar series per level present (``red+`` counts alerts of level red,
        ``orange+`` red or orange, ...), bars of a bin side by side within it, each
        series labelled with the defaults it flagged.
    """
    columns = [f"lead_days_{level}" for level in _LEVELS if f"lead_days_{level}" in lead_times.columns]
    if not columns:
        raise KeyError("lead_times lacks the lead_days_<level> columns (use EWSBacktest.lead_times)")
    if not (isinstance(bin_days, (int, np.integer)) and bin_days > 0):
        raise ValueError(f"bin_days must be a positive integer, got {bin_days!r}")
    ax = _axes(ax)
    values = lead_times[columns].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    top = max(float(finite.max()) if finite.size else lead_days + bin_days, lead_days + bin_days)
    edges = np.arange(lead_days, top + bin_days, bin_days, dtype=float)
    width = bin_days / (len(columns) + 1)
    n = len(lead_times)
    for k, column in enumerate(columns):
        level = column.removeprefix("lead_days_")
        days = lead_times[column].dropna().to_numpy(dtype=float)
        counts, _ = np.histogram(days, bins=edges)
        ax.bar(edges[:-1] + width * (k + 0.5), counts, width=width, align="edge", color=LEVEL_COLORS[level],
               label=f"{level}+: {len(days)} of {n} defaults flagged")
    ax.axvline(lead_days, color="black", linestyle="--", linewidth=1, label=f"minimum lead ({lead_days} days)")
    ax.set_xticks(edges)
    ax.set_xlim(edges[0] - width / 2, edges[-1])
    ax.set_xlabel(f"days from the first alert to the default (bins of {bin_days} days)")
    ax.set_ylabel("defaults")
    ax.set_title("Early-warning lead time by alert level")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax
