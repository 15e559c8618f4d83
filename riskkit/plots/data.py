"""Figures describing a portfolio's data."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

__all__ = ["plot_record_coverage", "plot_default_rates"]


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    return ax


def plot_record_coverage(coverage: pd.DataFrame, ax=None):
    """Records per period and table (output of ``rk.data.describe.record_coverage``), log scale."""
    ax = _axes(ax)
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
    ax = _axes(ax)
    if by is None:
        ax.bar(rates["year"].astype(str), 100 * rates["default_rate"], color="tab:red")
    else:
        table = rates.pivot(index="year", columns=by, values="default_rate") * 100
        table.plot(ax=ax, marker="o")
        ax.legend(ncol=3, fontsize="small", title=by)
    ax.set_xlabel("year")
    ax.set_ylabel("default rate (%)")
    ax.set_title("Observed one-year default rate" + (f" by {by}" if by else ""))
    return ax
