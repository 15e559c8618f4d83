"""Figures of the monitoring run (``riskkit.monitoring``): a customer's timeline, EWS lead times.

Every function takes ``ax=None`` and returns the Axes it drew on.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

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
        PD on a logarithmic axis (one point per run, labelled with the grade); a run
        with alerts carries a large marker in the colour of its most severe level
        (:data:`LEVEL_COLORS`), labelled with the number of alerts.
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
    if len(finite):
        ax.set_yscale("log")
        ax.set_ylim(finite.min() / 2.5, min(finite.max() * 2.5, 1.5))
    ax.set_xticks(dates, [d.strftime("%Y-%m-%d") for d in dates], rotation=30, ha="right")
    ax.set_xlabel("monitoring run (as of)")
    ax.set_ylabel("PD (one year, log scale)")
    ax.set_title(title or "PD and grade by monitoring run (numbers under markers: alerts in the run)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def plot_lead_times(lead_times: pd.DataFrame, lead_days: int = 90, bin_days: int = 30, ax=None):
    """Histogram of the early-warning lead time per alert level.

    Parameters
    ----------
    lead_times : DataFrame
        :attr:`riskkit.monitoring.EWSBacktest.lead_times`: one row per catchable default,
        ``lead_days_<level>`` = days from the first alert of that level or more severe to
        the default (missing when the default was not flagged in time).
    lead_days : int, default 90
        The back-test's minimum lead (a dashed line): alerts later than that do not count.
    bin_days : int, default 30
        Width of the bins, in days.
    ax : Axes, optional

    Returns
    -------
    Axes
        One step histogram per level present (``red+`` counts alerts of level red,
        ``orange+`` red or orange, ...), each labelled with the captured count.
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
    n = len(lead_times)
    for column in columns:
        level = column.removeprefix("lead_days_")
        days = lead_times[column].dropna().to_numpy(dtype=float)
        ax.hist(days, bins=edges, histtype="step", linewidth=2, color=LEVEL_COLORS[level],
                label=f"{level}+: {len(days)} of {n} defaults flagged")
    ax.axvline(lead_days, color="black", linestyle="--", linewidth=1, label=f"minimum lead ({lead_days} days)")
    ax.set_xlabel("days from the first alert to the default")
    ax.set_ylabel("defaults")
    ax.set_title("Early-warning lead time by alert level")
    ax.legend(loc="upper right", fontsize="small")
    return ax
