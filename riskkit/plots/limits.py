"""Figures of the portfolio report: the loss distribution with VaR and ES marked, exposure
and expected loss by grade, and the limit back-test by grade.

Every function draws on ``ax`` (a new figure when None) and returns the Axes.  Amounts are
shown in millions of the book's currency (``scale``).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = ["plot_loss_distribution", "plot_exposure_by_grade", "plot_limit_backtest"]


def _axes(ax, size=(7, 4.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def plot_loss_distribution(result, levels: Sequence[float] = (0.99, 0.999), *, asrf: dict | None = None,
                           bins: int = 80, scale: float = 1e6, ax=None):
    """Histogram of simulated portfolio losses with the expected loss, VaR and ES marked.

    Parameters
    ----------
    result : PortfolioLossResult
        :func:`riskkit.limits.portfolio_loss` output (``losses``, ``expected_loss``,
        ``var(q)``, ``es(q)``).
    levels : sequence of float
        Levels whose VaR (dashed) and ES (dotted) are drawn.
    asrf : dict, optional
        ``{q: value}`` of a comparison quantile per level (e.g. the Vasicek large-portfolio
        VaR), drawn as a thin grey line.
    bins : int
    scale : float
        Amounts are divided by it (1e6: millions).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    losses = np.asarray(getattr(result, "losses", None), dtype=float)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError("plot_loss_distribution: result must carry a non-empty 1-D 'losses' array "
                         "(a riskkit.limits.PortfolioLossResult)")
    if not levels or any(not 0 < q < 1 for q in levels):
        raise ValueError(f"plot_loss_distribution: levels must lie in (0, 1), got {levels!r}")
    ax = _axes(ax)
    ax.hist(losses / scale, bins=bins, density=True, color="#9ecae1", edgecolor="white", linewidth=0.3)
    ax.axvline(result.expected_loss / scale, color="black", linewidth=1.2,
               label=f"expected loss {result.expected_loss / scale:,.1f}")
    colours = plt.get_cmap("Reds")(np.linspace(0.55, 0.9, len(levels)))
    for q, colour in zip(levels, colours):
        var, es = result.var(q), result.es(q)
        ax.axvline(var / scale, color=colour, linestyle="--", linewidth=1.4, label=f"VaR {q:.1%} {var / scale:,.1f}")
        ax.axvline(es / scale, color=colour, linestyle=":", linewidth=1.6, label=f"ES {q:.1%} {es / scale:,.1f}")
        if asrf is not None and q in asrf:
            ax.axvline(asrf[q] / scale, color="grey", linewidth=0.8,
                       label=f"Vasicek VaR {q:.1%} {asrf[q] / scale:,.1f}")
    ax.set_xlabel(f"one-year default loss (in {scale:,.0f}s)" if scale != 1e6 else "one-year default loss (million)")
    ax.set_ylabel("density")
    ax.set_title(f"Loss distribution, {losses.size:,} scenarios")
    ax.legend(fontsize=8, frameon=False)
    return ax


def plot_exposure_by_grade(by_grade: pd.DataFrame, *, scale: float = 1e6, ax=None):
    """Exposure (bars) and expected loss (line, right axis) by grade.

    ``by_grade`` is :attr:`riskkit.assess.PortfolioAssessment.by_grade` (columns ``ead`` and
    ``expected_loss``, grades as index in order).
    """
    absent = [c for c in ("ead", "expected_loss") if c not in getattr(by_grade, "columns", ())]
    if absent:
        raise ValueError(f"plot_exposure_by_grade: by_grade lacks column(s) {absent}")
    ax = _axes(ax)
    x = np.arange(len(by_grade))
    ax.bar(x, by_grade["ead"] / scale, color="#6baed6", label="exposure (EAD)")
    ax.set_xticks(x, [str(g) for g in by_grade.index])
    ax.set_xlabel("grade")
    ax.set_ylabel("exposure (million)" if scale == 1e6 else f"exposure (in {scale:,.0f}s)")
    right = ax.twinx()
    right.plot(x, by_grade["expected_loss"] / scale, color="#cb181d", marker="o", label="expected loss")
    right.set_ylabel("expected loss (million)" if scale == 1e6 else f"expected loss (in {scale:,.0f}s)")
    right.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=8, frameon=False, loc="upper left")
    ax.set_title("Exposure and expected loss by grade")
    return ax


def plot_limit_backtest(by_grade: pd.DataFrame, ax=None):
    """Limit back-test by grade: exposure-at-default cut and share of sales forgone, recommended
    against recorded limits (``LimitBacktest.by_grade``)."""
    columns = ["ead_cut_recommended", "ead_cut_recorded", "forgone_share_recommended", "forgone_share_recorded"]
    absent = [c for c in columns if c not in getattr(by_grade, "columns", ())]
    if absent:
        raise ValueError(f"plot_limit_backtest: by_grade lacks column(s) {absent}")
    ax = _axes(ax, size=(8, 4.5))
    x = np.arange(len(by_grade))
    width = 0.2
    styles = [("ead_cut_recommended", "EAD cut, recommended", "#08519c"),
              ("ead_cut_recorded", "EAD cut, recorded", "#9ecae1"),
              ("forgone_share_recommended", "sales forgone, recommended", "#a50f15"),
              ("forgone_share_recorded", "sales forgone, recorded", "#fcae91")]
    for k, (column, label, colour) in enumerate(styles):
        ax.bar(x + (k - 1.5) * width, by_grade[column].fillna(0.0) * 100, width, label=label, color=colour)
    ax.set_xticks(x, [str(g) for g in by_grade.index])
    ax.set_xlabel("grade on the limit date")
    ax.set_ylabel("% of exposure")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8, frameon=False, ncol=2)
    ax.set_title("Limit back-test by grade")
    return ax
