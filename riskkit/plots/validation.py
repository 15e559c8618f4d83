"""Figures of the model-validation report: ROC, CAP, calibration by grade, score
distributions and PSI bins, migration heatmap, default rate over time, challenger AUCs.

Every function takes the tidy output of :mod:`riskkit.validation` (or of
:mod:`riskkit.assess.backtest`), draws on ``ax`` (a new figure when None) and returns the
Axes. Confidence bands of default rates are Jeffreys intervals,
``Beta.ppf((1 -/+ level)/2; D + 1/2, N - D + 1/2)`` (Brown, Cai & DasGupta 2001; the
interval behind the ECB 2019 Jeffreys test), with the lower bound 0 when D = 0 and the
upper bound 1 when D = N.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from ._common import get_axes

#: figure size (inches) when no Axes is given
_FIGSIZE = (6, 4.5)

__all__ = [
    "jeffreys_interval",
    "plot_roc",
    "plot_cap",
    "plot_calibration_by_grade",
    "plot_score_distributions",
    "plot_psi_bins",
    "plot_migration_heatmap",
    "plot_default_rate_over_time",
    "plot_auc_comparison",
]


def _need(frame, columns: Sequence[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{what}: expected a DataFrame, got {type(frame).__name__}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{what}: missing column(s) {absent}; present: {list(frame.columns)}")


def _curves(curves, columns: Sequence[str], what: str) -> dict[str, pd.DataFrame]:
    items = {"": curves} if isinstance(curves, pd.DataFrame) else curves
    if not isinstance(items, Mapping) or not items:
        raise ValueError(f"{what}: pass a DataFrame or a non-empty mapping label -> DataFrame")
    for label, frame in items.items():
        _need(frame, columns, f"{what} [{label!r}]" if label else what)
    return dict(items)


def jeffreys_interval(defaults, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided Jeffreys interval of a default rate D / N.

    lower = Beta.ppf((1 - level)/2; D + 1/2, N - D + 1/2) (0 if D = 0),
    upper = Beta.ppf((1 + level)/2; D + 1/2, N - D + 1/2) (1 if D = N)
    (Brown, Cai & DasGupta 2001, Statistical Science 16(2), section 4.1.2).
    """
    d = np.asarray(defaults, dtype=float)
    m = np.asarray(n, dtype=float)
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if np.any(m < 1) or np.any(d < 0) or np.any(d > m):
        raise ValueError("need 0 <= defaults <= n and n >= 1 in every group")
    lower = stats.beta.ppf((1 - level) / 2, d + 0.5, m - d + 0.5)
    upper = stats.beta.ppf((1 + level) / 2, d + 0.5, m - d + 0.5)
    return np.where(d == 0, 0.0, lower), np.where(d == m, 1.0, upper)


def _unit_square(ax, *, xlabel: str, ylabel: str, title: str):
    """Finish a curve of shares against shares (ROC, CAP): the random model's diagonal, the unit
    square, labels and legend."""
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="random")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_roc(curves, ax=None):
    """ROC curves (``rk.validation.roc_curve`` output, or a mapping label -> output).

    Hit rate (share of defaulters flagged) against false-alarm rate, with the diagonal
    of a random score. Put the AUC in the labels if wanted.
    """
    items = _curves(curves, ["false_positive_rate", "true_positive_rate"], "plot_roc")
    ax = get_axes(ax, _FIGSIZE)
    for label, frame in items.items():
        ax.plot(frame["false_positive_rate"], frame["true_positive_rate"], drawstyle="default",
                label=label or None)
    return _unit_square(ax, xlabel="false alarm rate (share of non-defaulters flagged)",
                        ylabel="hit rate (share of defaulters flagged)", title="ROC curve")


def plot_cap(curves, default_rate: float | None = None, ax=None):
    """Cumulative accuracy profiles (``rk.validation.cap_curve`` output or a mapping).

    With ``default_rate`` the perfect model's CAP, min(x / DR, 1), is drawn too.
    """
    items = _curves(curves, ["share_of_obligors", "share_of_defaults"], "plot_cap")
    ax = get_axes(ax, _FIGSIZE)
    for label, frame in items.items():
        ax.plot(frame["share_of_obligors"], frame["share_of_defaults"], label=label or None)
    if default_rate is not None:
        if not 0 < default_rate < 1:
            raise ValueError(f"default_rate must be in (0, 1), got {default_rate!r}")
        ax.plot([0, default_rate, 1], [0, 1, 1], color="black", linestyle="--", linewidth=1,
                label="perfect model")
    return _unit_square(ax, xlabel="share of obligors (riskiest first)", ylabel="share of defaulters captured",
                        title="Cumulative accuracy profile")


def plot_calibration_by_grade(table: pd.DataFrame, *, grade_col: str = "grade", level: float = 0.95,
                              grade_pd: Mapping | None = None, ax=None):
    """Observed default rate per grade with its Jeffreys band against the predicted PD.

    ``table`` has one row per grade (best first) with ``grade_col``, ``n``, ``defaults``
    and ``predicted_pd`` (e.g. ``rk.validation.backtest_default_rates(..., by="grade")``).
    Log scale; a grade without defaults is drawn as a hollow marker on the lower edge with
    its band up to the Jeffreys upper bound. ``grade_pd`` (grade -> PD, e.g. the master
    scale's representative PDs) adds that PD as a second reference.
    """
    _need(table, [grade_col, "n", "defaults", "predicted_pd"], "plot_calibration_by_grade")
    ax = get_axes(ax, (7, 4.5))
    grades = table[grade_col].astype(str).to_numpy()
    x = np.arange(len(grades))
    n = table["n"].to_numpy(dtype=float)
    d = table["defaults"].to_numpy(dtype=float)
    rate = d / n
    lower, upper = jeffreys_interval(d, n, level)
    predicted = table["predicted_pd"].to_numpy(dtype=float)
    positive = np.concatenate([predicted, rate[rate > 0], upper])
    floor = 10 ** np.floor(np.log10(positive[positive > 0].min() / 2))
    ax.vlines(x, np.maximum(lower, floor), upper, color="tab:blue", linewidth=6, alpha=0.3,
              label=f"{level:.0%} Jeffreys band")
    hit = rate > 0
    ax.plot(x[hit], rate[hit], "o", color="tab:blue", label="observed default rate")
    if (~hit).any():
        ax.plot(x[~hit], np.full((~hit).sum(), floor), "o", mfc="none", color="tab:blue",
                label="no defaults observed")
    ax.plot(x, predicted, "s-", color="tab:red", label="predicted PD (mean)")
    if grade_pd is not None:
        ref = np.array([float(grade_pd[g]) if g in grade_pd else np.nan for g in grades])
        ax.plot(x, ref, "_", color="black", markersize=14, label="grade PD")
    ax.set_yscale("log")
    ax.set_ylim(bottom=floor / 1.5)
    ax.set_xticks(x, grades)
    ax.set_xlabel("grade (best to worst)")
    ax.set_ylabel("one-year default rate (log)")
    ax.set_title("Calibration by grade")
    ax.legend(fontsize="small", loc="lower right")
    return ax


def plot_score_distributions(samples: Mapping[str, Sequence[float]], bins: int | Sequence[float] = 30,
                             ax=None):
    """Step histograms (shares) of a score in several samples on common bins."""
    if not isinstance(samples, Mapping) or not samples:
        raise ValueError("plot_score_distributions: pass a non-empty mapping label -> scores")
    values = {k: np.asarray(v, dtype=float) for k, v in samples.items()}
    for k, v in values.items():
        if v.ndim != 1 or v.size == 0 or not np.isfinite(v).all():
            raise ValueError(f"plot_score_distributions: sample {k!r} must be a non-empty 1-d array "
                             "of finite numbers")
    edges = np.histogram_bin_edges(np.concatenate(list(values.values())), bins=bins)
    ax = get_axes(ax, _FIGSIZE)
    for label, v in values.items():
        counts, _ = np.histogram(v, bins=edges)
        ax.stairs(counts / v.size, edges, label=f"{label} (n = {v.size})")
    ax.set_xlabel("score")
    ax.set_ylabel("share of obligors")
    ax.set_title("Score distributions")
    ax.legend(fontsize="small")
    return ax


def plot_psi_bins(table: pd.DataFrame, ax=None):
    """Expected vs actual shares per bin of a PSI (``rk.validation.psi(...).table``)."""
    _need(table, ["bin", "expected_share", "actual_share"], "plot_psi_bins")
    ax = get_axes(ax, (7, 4))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["expected_share"], width=0.4, label="expected (reference)")
    ax.bar(x + 0.2, table["actual_share"], width=0.4, label="actual (current)")
    ax.set_xticks(x, table["bin"].astype(str), rotation=45, ha="right", fontsize="small")
    ax.set_xlabel("bin of the score or characteristic")
    ax.set_ylabel("share of obligors")
    ax.set_title("Population stability: shares per bin")
    ax.legend(fontsize="small")
    return ax


def plot_migration_heatmap(matrix, *, shares: bool = True, ax=None):
    """Heatmap of a migration matrix (``rk.validation.migration_matrix`` output or a square
    DataFrame of counts), rows = grade at the start, columns = grade at the end.

    ``shares=True`` colours and labels the row shares p_ij = N_ij / N_i (in %), else the counts.
    """
    counts = getattr(matrix, "counts", matrix)
    if not isinstance(counts, pd.DataFrame) or counts.shape[0] != counts.shape[1]:
        raise ValueError("plot_migration_heatmap: pass a MigrationMatrix or a square DataFrame of counts")
    values = counts.to_numpy(dtype=float)
    if shares:
        with np.errstate(invalid="ignore", divide="ignore"):
            values = values / values.sum(axis=1, keepdims=True)
    ax = get_axes(ax, (6, 5))
    image = ax.imshow(np.ma.masked_invalid(values), cmap="Blues", vmin=0,
                      vmax=1 if shares else max(np.nanmax(values), 1))
    k = values.shape[0]
    for i in range(k):
        for j in range(k):
            v = values[i, j]
            if np.isnan(v):
                continue
            text = f"{100 * v:.0f}" if shares else f"{v:.0f}"
            dark = v > (0.6 if shares else 0.6 * np.nanmax(values))
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    color="white" if dark else "black")
    ax.set_xticks(range(k), [str(c) for c in counts.columns])
    ax.set_yticks(range(k), [str(r) for r in counts.index])
    ax.set_xlabel("grade at the end")
    ax.set_ylabel("grade at the start")
    ax.set_title("Grade migration" + (" (% of row)" if shares else " (counts)"))
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_default_rate_over_time(table: pd.DataFrame, *, date_col: str = "as_of", group_col: str | None = None,
                                level: float = 0.95, ax=None):
    """Predicted PD and observed default rate per observation date with a Jeffreys band.

    ``table``: ``rk.validation.backtest_default_rates(..., by="as_of")`` (or
    ``by=("as_of", group_col)`` with ``group_col`` for one pair of lines per group).
    """
    _need(table, [date_col, "n", "defaults", "predicted_pd"] + ([group_col] if group_col else []),
          "plot_default_rate_over_time")
    ax = get_axes(ax, (7, 4))
    groups = [(None, table)] if group_col is None else list(table.groupby(group_col, sort=False, observed=True))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ticks = pd.to_datetime(pd.Series(table[date_col].unique())).sort_values()
    for k, (key, part) in enumerate(groups):
        part = part.sort_values(date_col)
        x = pd.to_datetime(part[date_col])
        n = part["n"].to_numpy(dtype=float)
        d = part["defaults"].to_numpy(dtype=float)
        lower, upper = jeffreys_interval(d, n, level)
        colour = colours[k % len(colours)]
        suffix = "" if key is None else f" {key}"
        ax.fill_between(x, lower, upper, color=colour, alpha=0.15,
                        label=f"{level:.0%} Jeffreys band{suffix}")
        ax.plot(x, d / n, "o-", color=colour, label=f"observed{suffix}")
        ax.plot(x, part["predicted_pd"], "s--", color=colour, label=f"predicted{suffix}")
    ax.set_xticks(ticks, [t.strftime("%Y-%m-%d") for t in ticks])
    ax.set_xlabel("observation date (outcome over the following year)")
    ax.set_ylabel("one-year default rate")
    ax.set_ylim(bottom=0)
    ax.set_title("Predicted vs observed default rate over time")
    ax.legend(fontsize="small", ncol=2 if group_col else 1)
    return ax


def plot_auc_comparison(auc_table: pd.DataFrame, ax=None):
    """AUC with its DeLong confidence interval per score (``ChallengerComparison.auc``),
    grouped by ``group`` (e.g. the observation date) when that column is present."""
    _need(auc_table, ["score", "auc", "ci_lower", "ci_upper"], "plot_auc_comparison")
    ax = get_axes(ax, (7, 4))
    groups = list(pd.unique(auc_table["group"])) if "group" in auc_table.columns else [None]
    scores = list(pd.unique(auc_table["score"]))
    width = 0.8 / len(groups)
    for k, g in enumerate(groups):
        part = auc_table if g is None else auc_table[auc_table["group"] == g]
        part = part.set_index("score").reindex(scores)
        x = np.arange(len(scores)) - 0.4 + width * (k + 0.5)
        auc = part["auc"].to_numpy(dtype=float)
        err = np.vstack([auc - part["ci_lower"].to_numpy(dtype=float), part["ci_upper"].to_numpy(dtype=float) - auc])
        label = None if g is None else (pd.Timestamp(g).date().isoformat()
                                        if isinstance(g, (pd.Timestamp, np.datetime64)) else str(g))
        ax.errorbar(x, auc, yerr=err, fmt="o", capsize=4, label=label)
    ax.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    ax.set_xticks(np.arange(len(scores)), scores)
    ax.set_ylabel("AUC with DeLong CI")
    ax.set_title("Discrimination of champion and challengers")
    if groups != [None]:
        ax.legend(fontsize="small")
    return ax
