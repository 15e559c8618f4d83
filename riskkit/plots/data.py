"""Figures describing a portfolio's data."""

from __future__ import annotations

import pandas as pd

from ._common import get_axes

#: figure size (inches) when no Axes is given
_FIGSIZE = (8, 4)

__all__ = ["plot_record_coverage", "plot_default_rates"]


def plot_record_coverage(coverage: pd.DataFrame, ax=None):
    """Records per period and table (output of ``rk.data.describe.record_coverage``), log scale."""
    ax = get_axes(ax, _FIGSIZE)
    for column in coverage.columns:
        ax.plot(coverage.index, coverage[column].where(coverage[column] > 0), marker=".", label=column)
    ax.set_yscale("log")
    ax.set_xlabel("period end")
    ax.set_ylabel("records per period (log)")
    ax.set_title("Data coverage over time")
    ax.legend(ncol=3, fontsize="small")
    return ax


def plot_default_rates(rates: pd.DataFrame, by: str | None = None, ax=None):
    """Observed one-year default rates per year (output of ``default_rates``), in percent."""
    ax = get_axes(ax, _FIGSIZE)
    if by is None:
        ax.bar(rates["year"].astype(str), 100 * rates["default_rate"], color="tab:red")
    else:
        table = rates.pivot(index="year", columns=by, values="default_rate") * 100
        table.plot(ax=ax, marker="o")
        ax.set_xticks(table.index, [str(y) for y in table.index])  # whole years, no 2021.5
        # beside the axes: inside, the legend hides the lines of a busy year
        ax.legend(fontsize="small", title=by, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_xlabel("year")
    ax.set_ylabel("default rate (%)")
    ax.set_title("Observed one-year default rate" + (f" by {by}" if by else ""))
    return ax
