"""Figures of scorecard development (``riskkit.scoring``): WoE per bin, information value,
score distributions by outcome and the Kolmogorov-Smirnov separation.

Every function takes ``ax=None`` and returns the Axes; none computes a model quantity that
is not also available as data (binning tables, ``information_value_``, scores).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from .._core.checks import check_binary_target
from ._common import get_axes

#: figure size (inches) when no Axes is given
_FIGSIZE = (8, 4)

__all__ = [
    "plot_woe_bins",
    "plot_information_value",
    "plot_score_distribution",
    "plot_ks_curve",
]

#: Siddiqi (2006, *Credit Risk Scorecards*, ch. 6) rule-of-thumb IV bands: lower edge, label
_IV_BANDS = ((0.0, "useless"), (0.02, "weak"), (0.1, "medium"), (0.3, "strong"))
_BAND_COLORS = ("#f4cccc", "#fff2cc", "#d9ead3", "#b6d7a8")  # useless, weak, medium, strong
_LOW_RISK = "#4c9a6a"
_HIGH_RISK = "#c44e52"
_GOOD = "#4c72b0"
_BAD = "#c44e52"


def _short(label: str, max_chars: int, wrap: int = 18) -> str:
    return textwrap.fill(textwrap.shorten(str(label), width=max_chars, placeholder="..."), width=wrap)


def _scores(score) -> np.ndarray:
    s = np.asarray(score, dtype=float)
    if s.ndim != 1:
        raise ValueError(f"score must be 1-dimensional, got shape {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError(f"score has {int((~np.isfinite(s)).sum())} missing or infinite values")
    return s


def plot_woe_bins(table: pd.DataFrame, ax=None, *, title: str | None = None, event_rate: bool = True,
                  max_label_chars: int = 40):
    """Weight of evidence per bin as bars, with the event rate per bin on a second axis.

    Parameters
    ----------
    table : DataFrame
        A binning table, ``WoEBinner.binning_table(feature)``: columns ``bin``, ``count``,
        ``woe`` and ``event_rate``.  The ``Total`` row and bins without records (e.g. a
        missing bin when the training data had no missing values) are not drawn.
    ax : matplotlib Axes, optional
    title : str, optional
    event_rate : bool, default True
        Draw the observed event (bad) rate per bin, in percent, on a twin y-axis.
    max_label_chars : int, default 40
        Bin labels (long category groups) are shortened to this many characters.

    Returns
    -------
    Axes
        The WoE axes (bars in bin order; green above zero = fewer bads than average).

    Notes
    -----
    :math:`WoE_i = \\ln((g_i/G)/(b_i/B))` (Siddiqi 2006), so a bar above zero is a bin of
    below-average risk; a monotone run of bars along a numeric feature is what the
    monotonic binning enforces.
    """
    missing = {"bin", "count", "woe", "event_rate"} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks the binning-table columns {sorted(missing)}")
    ax = get_axes(ax, _FIGSIZE)
    rows = table[(table["bin"].astype(str) != "Total") & (table["count"] > 0)]
    positions = np.arange(len(rows))
    woe = rows["woe"].to_numpy(dtype=float)
    ax.bar(positions, woe, color=np.where(woe >= 0, _LOW_RISK, _HIGH_RISK), edgecolor="black", linewidth=0.5,
           label="WoE")
    ax.axhline(0.0, color="black", linewidth=0.8)
    labels = [_short(b, max_label_chars) for b in rows["bin"]]
    crowded = len(rows) > 6  # many bins: slant the labels so neighbours do not run together
    ax.set_xticks(positions, labels, rotation=30 if crowded else 0, ha="right" if crowded else "center",
                  rotation_mode="anchor", fontsize="small")
    ax.set_ylabel("WoE = ln(%good / %bad)")
    if event_rate:
        twin = ax.twinx()
        twin.plot(positions, 100 * rows["event_rate"].to_numpy(dtype=float), color="black", marker="o",
                  linewidth=1.2, label="event rate")
        twin.set_ylabel("event rate (%)")
        twin.set_ylim(bottom=0)
    if title is not None:
        ax.set_title(title)
    return ax


def plot_information_value(iv: pd.Series, ax=None, *, selected: Iterable[str] | None = None,
                           top: int | None = None):
    """Information value per feature as horizontal bars, highest first, with Siddiqi's bands.

    Parameters
    ----------
    iv : Series
        IV per feature, e.g. ``WoEBinner.information_value_``.
    ax : matplotlib Axes, optional
    selected : iterable of str, optional
        Features in the final model: drawn dark, the others light.
    top : int, optional
        Draw only the ``top`` features by IV.

    Returns
    -------
    Axes

    Notes
    -----
    :math:`IV = \\sum_i (g_i/G - b_i/B)\\,WoE_i`; the shaded background marks the rule-of-thumb bands
    of Siddiqi (2006, ch. 6): below 0.02 useless, 0.02-0.1 weak, 0.1-0.3 medium, above 0.3
    strong.
    """
    values = pd.Series(iv, dtype=float).sort_values(ascending=False, kind="stable")
    if values.isna().any():
        raise ValueError(f"iv has missing values for {values.index[values.isna()].tolist()[:5]}")
    if top is not None:
        values = values.iloc[:top]
    ax = get_axes(ax, (8, 0.28 * len(values) + 1.2))
    chosen = None if selected is None else set(selected)
    colors = [_GOOD if chosen is None or f in chosen else "#c7c7c7" for f in values.index]
    positions = np.arange(len(values))[::-1]  # highest IV at the top
    ax.barh(positions, values.to_numpy(), color=colors, edgecolor="black", linewidth=0.5)
    ax.set_yticks(positions, [str(f) for f in values.index], fontsize="small")
    right = max(float(values.max()), _IV_BANDS[-1][0]) * 1.05
    edges = [lo for lo, _ in _IV_BANDS] + [right]
    band_handles = []
    for (lo, label), hi, color in zip(_IV_BANDS, edges[1:], _BAND_COLORS):
        ax.axvspan(lo, hi, color=color, linewidth=0, zorder=0)
        bounds = f"\u2265 {lo:g}" if hi == right else f"{lo:g}-{hi:g}"
        band_handles.append(Patch(color=color, label=f"{label} ({bounds})"))
    ax.set_xlim(0, right)
    ax.set_ylim(-0.6, len(values) - 0.4)
    ax.set_xlabel("information value")
    ax.set_title("Information value per feature (bands: Siddiqi 2006)")
    handles = list(band_handles)
    if chosen is not None:
        handles = [Patch(color=_GOOD, label="in the model"), Patch(color="#c7c7c7", label="not selected"), *handles]
    ax.legend(handles=handles, fontsize="small", loc="lower right")
    return ax


def plot_score_distribution(score, y, ax=None, *, bins: int | Sequence[float] = 30,
                            labels: tuple[str, str] = ("non-default (0)", "default (1)"),
                            xlabel: str = "score (points)"):
    """Distribution of a score for non-defaults and defaults, each normalised to density.

    Both classes share the same bin edges, so the overlap is read directly; each histogram
    integrates to 1, so the smaller default class stays visible.

    Parameters
    ----------
    score : array-like
    y : array-like of 0/1 (1 = default)
    ax : matplotlib Axes, optional
    bins : int or sequence, default 30
        Number of equal-width bins over the range of ``score``, or the edges.
    labels : (str, str)
        Legend labels of the 0 and 1 classes.
    xlabel : str

    Returns
    -------
    Axes
        Two bar containers (non-defaults first) in ``ax.containers``.
    """
    s = _scores(score)
    outcome = check_binary_target(y, "y", n_rows=s.size, rows_of="score").astype(bool)
    edges = np.histogram_bin_edges(s, bins=bins)
    ax = get_axes(ax, _FIGSIZE)
    for mask, color, label in ((~outcome, _GOOD, labels[0]), (outcome, _BAD, labels[1])):
        ax.hist(s[mask], bins=edges, density=True, alpha=0.5, color=color, edgecolor=color,
                label=f"{label}, n = {int(mask.sum()):,}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend(fontsize="small")
    return ax


def plot_ks_curve(score, y, ax=None, *, xlabel: str = "score (points)"):
    """Cumulative share of defaults and of non-defaults with a score at or below each value,
    and the Kolmogorov-Smirnov distance (the largest vertical gap) marked.

    Parameters
    ----------
    score : array-like
    y : array-like of 0/1 (1 = default)
    ax : matplotlib Axes, optional
    xlabel : str

    Returns
    -------
    Axes
        The two step lines (defaults first) and the KS marker line.

    Notes
    -----
    :math:`KS = \\max_t |F_D(t) - F_{ND}(t)|` with :math:`F` the empirical distribution
    functions of the score among defaults and non-defaults (BCBS Working Paper 14, 2005,
    section 3); the statistic is the same whichever direction the score runs.
    """
    s = _scores(score)
    outcome = check_binary_target(y, "y", n_rows=s.size, rows_of="score").astype(bool)
    thresholds = np.unique(s)
    f_default = np.searchsorted(np.sort(s[outcome]), thresholds, side="right") / outcome.sum()
    f_non_default = np.searchsorted(np.sort(s[~outcome]), thresholds, side="right") / (~outcome).sum()
    gap = np.abs(f_default - f_non_default)
    i = int(np.argmax(gap))
    ax = get_axes(ax, _FIGSIZE)
    ax.step(thresholds, 100 * f_default, where="post", color=_BAD, label="defaults (1)")
    ax.step(thresholds, 100 * f_non_default, where="post", color=_GOOD, label="non-defaults (0)")
    ax.plot([thresholds[i]] * 2, [100 * f_default[i], 100 * f_non_default[i]], color="black", linewidth=2,
            label=f"KS = {gap[i]:.3f} at {thresholds[i]:.4g}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cumulative share with score \u2264 x (%)")
    ax.set_ylim(0, 100)
    ax.set_title("Kolmogorov-Smirnov separation")
    ax.legend(fontsize="small", loc="best")
    return ax
