"""Limit back-test: would the recommended limits have kept us out of the defaults?

:func:`backtest_limits` replays the limit policy on past dates, point in time, and compares
the recommended limits with the limits the book actually recorded on those dates:

* **exposure at default avoided**: for every customer that defaulted within the horizon
  after a date, the part of its exposure at default above the limit (recommended, and
  recorded for comparison) is what that limit, had it been enforced, would have kept off
  the books;
* **sales forgone**: for every customer that did *not* default, the part of its exposure
  above the limit is business the limit would have refused.

The issue calls the function ``rk.limits.backtest_limits``; it lives here, as
``rk.assess.backtest_limits``, because it combines profile, scoring and limits with a
Portfolio, which the pure limits layer never does (``docs/architecture.md``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._core.dates import check_as_of
from .._core.display import HTMLReprMixin
from .._core.errors import RiskkitError
from .._core.progress import progress as progress_bar
from ..data import Portfolio
from ..limits import exposure, load_limit_policy, recommend_limits
from ..profile import build_profile, default_flags, first_default_dates
from ..scoring import Scorecard
from .pipeline import assess_portfolio, development_dates, fit_portfolio_scorecard

__all__ = ["LimitBacktest", "LimitBacktestError", "backtest_limits", "BACKTEST_GOALS"]

#: the issue's goal: cut exposure at default by at least 30 % while forgoing under 5 % of
#: the non-defaulters' exposure (reported, never tuned to)
BACKTEST_GOALS = {"ead_cut": 0.30, "forgone_share": 0.05}

#: the measures of the by-grade and overall tables, in order
_MEASURES = [
    "n_customers", "n_defaults", "default_rate",
    "ead_at_default", "ead_avoided_recommended", "ead_cut_recommended",
    "ead_avoided_recorded", "ead_cut_recorded",
    "exposure_performing", "sales_forgone_recommended", "forgone_share_recommended",
    "sales_forgone_recorded", "forgone_share_recorded",
    "recorded_limit", "recommended_limit",
]


class LimitBacktestError(RiskkitError, ValueError):
    """Bad input to :func:`backtest_limits` (dates, horizon, censored outcome windows)."""


@dataclass(frozen=True, repr=False)
class LimitBacktest(HTMLReprMixin):
    """Result of :func:`backtest_limits`.

    Attributes
    ----------
    dates : tuple of Timestamp
        The dates the limits were set on.
    horizon_days : int
        Outcome window after each date.
    customers : DataFrame
        One row per (``as_of``, ``customer_id``) of the customers performing on that date:
        ``grade``, ``pd``, ``recorded_limit`` (the limit in force on ``as_of``),
        ``recommended_limit`` (the policy's limit; the recorded one where the policy gave
        none, see ``recommended_missing``), ``recommended_missing``, ``default`` (1 if the
        customer defaulted in the horizon), ``default_date``, ``exposure_date`` (for a
        defaulter the month end at which its exposure at default is measured, else NaT),
        ``exposure`` (a defaulter's EAD at ``exposure_date``; a non-defaulter's average
        month-end exposure over the horizon), ``above_recommended`` and ``above_recorded``
        (a defaulter's ``max(EAD - limit, 0)``; for a non-defaulter the average over the
        month ends of ``max(exposure_t - limit, 0)``).
    by_grade : DataFrame
        Indexed by the grade on the date (policy order; all dates pooled), the measures
        below.
    overall : DataFrame
        Indexed by ``as_of`` (``YYYY-MM-DD``) plus a last row ``all`` (every date pooled),
        the measures below.

    Notes
    -----
    Measures (sums over the rows of a group; D = defaulters, P = performing customers):

    * ``ead_at_default = sum_D EAD``;
    * ``ead_avoided_recommended = sum_D max(EAD - recommended_limit, 0)``, and
      ``ead_cut_recommended`` its share of ``ead_at_default``; ``..._recorded`` the same
      with the recorded limit (what the book's own limits would have avoided had they been
      enforced, the benchmark);
    * ``exposure_performing = sum_P mean_t exposure_t`` (average month-end exposure);
    * ``sales_forgone_recommended = sum_P mean_t max(exposure_t - recommended_limit, 0)``
      (the excess at each month end ``t`` of the horizon, averaged) and
      ``forgone_share_recommended`` its share of ``exposure_performing`` (``..._recorded``
      likewise);
    * ``recorded_limit``, ``recommended_limit``: the limits summed.

    An enforced limit caps a customer's exposure, so the exposure above it is what it
    keeps off the books: for a defaulter, exposure that would not be at risk; for a good
    customer, receivables (sales on credit) that would have been refused.
    """

    dates: tuple
    horizon_days: int
    customers: pd.DataFrame
    by_grade: pd.DataFrame
    overall: pd.DataFrame

    def headline(self) -> dict:
        """The pooled figures: ``ead_cut``, ``forgone_share`` (recommended limits), the same
        for the recorded limits, the numbers of rows and defaults, and whether the goals
        (:data:`BACKTEST_GOALS`) are met."""
        row = self.overall.loc["all"]
        ead_cut = float(row["ead_cut_recommended"])
        forgone = float(row["forgone_share_recommended"])
        return {"ead_cut": ead_cut, "forgone_share": forgone,
                "ead_cut_recorded": float(row["ead_cut_recorded"]),
                "forgone_share_recorded": float(row["forgone_share_recorded"]),
                "n_customers": int(row["n_customers"]), "n_defaults": int(row["n_defaults"]),
                "meets_goal": bool(ead_cut >= BACKTEST_GOALS["ead_cut"]
                                   and forgone < BACKTEST_GOALS["forgone_share"])}

    def to_frame(self) -> pd.DataFrame:
        """The overall table (a copy)."""
        return self.overall.copy()

    def summary(self) -> str:
        """A short readable report of the back-test."""
        h = self.headline()
        dates = ", ".join(str(d.date()) for d in self.dates)
        goal = (f"goal (cut >= {BACKTEST_GOALS['ead_cut']:.0%} while forgoing < "
                f"{BACKTEST_GOALS['forgone_share']:.0%}): {'met' if h['meets_goal'] else 'not met'}")
        missing = int(self.customers["recommended_missing"].sum())
        lines = [f"Limit back-test on {dates}, {self.horizon_days}-day horizon: "
                 f"{h['n_customers']:,} customer-dates, {h['n_defaults']:,} defaults",
                 f"  exposure at default cut by the recommended limits  {_pct(h['ead_cut'])}"
                 f"   (recorded limits: {_pct(h['ead_cut_recorded'])})",
                 f"  non-defaulters' exposure forgone                   {_pct(h['forgone_share'])}"
                 f"   (recorded limits: {_pct(h['forgone_share_recorded'])})",
                 f"  {goal}"]
        if missing:
            lines.append(f"  {missing:,} customer-date(s) without a recommended limit kept the recorded one")
        return "\n".join(lines)


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.1%}"


# ------------------------------------------------------------------------------- checks
def _check_dates(dates) -> list[pd.Timestamp]:
    if isinstance(dates, (str, pd.Timestamp)) or not isinstance(dates, (Sequence, pd.Index, np.ndarray,
                                                                         pd.Series)):
        raise LimitBacktestError(f"dates must be a list of dates, got {type(dates).__name__} {dates!r}")
    parsed = [check_as_of(d, name=f"dates[{i}]") for i, d in enumerate(dates)]
    if not parsed:
        raise LimitBacktestError("dates is empty: give at least one date to set limits on")
    for i in range(1, len(parsed)):
        if parsed[i] <= parsed[i - 1]:
            raise LimitBacktestError(
                f"dates must be strictly increasing: dates[{i}] = {parsed[i].date()} is not after "
                f"dates[{i - 1}] = {parsed[i - 1].date()}")
    return parsed


def _check_horizon(horizon_days) -> int:
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, (int, np.integer)) or horizon_days < 1:
        raise LimitBacktestError(f"horizon_days must be a positive whole number of days, got {horizon_days!r}")
    return int(horizon_days)


def _labels(portfolio, as_of: pd.Timestamp, horizon_days: int, allow_censored: bool) -> pd.Series:
    """``default_flags`` (the kit's one default definition); a censored horizon is an error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        labels = default_flags(portfolio, as_of, horizon_days=horizon_days)
    censored = [w for w in caught if issubclass(w.category, UserWarning) and "censored" in str(w.message)]
    for w in caught:
        if w not in censored:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if censored:
        text = (f"date {as_of.date()}: its {horizon_days}-day horizon runs past the end of the data "
                f"({censored[0].message})")
        if not allow_censored:
            raise LimitBacktestError(f"{text}; pick an earlier date or pass allow_censored=True")
        warnings.warn(f"backtest_limits: {text}; defaults and exposures after the data end are "
                      f"not observed", UserWarning, stacklevel=3)
    return labels


# ------------------------------------------------------------------------------- the replay
def _grid(as_of: pd.Timestamp, horizon_days: int) -> pd.DatetimeIndex:
    """``as_of`` and the month ends in ``(as_of, as_of + horizon]``."""
    end = as_of + pd.Timedelta(days=horizon_days)
    month_ends = pd.date_range(as_of + pd.Timedelta(days=1), end, freq="ME")
    return pd.DatetimeIndex([as_of]).append(month_ends).astype("datetime64[ns]")


class _ExposureCache:
    """``exposure(book, t)["ead"]`` per date, computed once (the grids of the dates overlap).

    ``book`` holds only what the exposure on a date in ``[start, end]`` can depend on: the
    customers, and the invoices and orders that are open on some day of the window (issued
    or placed by ``end``, not paid or closed by ``start``).  The exposure itself is always
    :func:`riskkit.limits.exposure`, the kit's one definition.
    """

    def __init__(self, portfolio, start: pd.Timestamp, end: pd.Timestamp):
        inv, orders = portfolio.invoices, portfolio.orders
        inv = inv[(inv["issue_date"] <= end) & ~(inv["paid_date"] <= start)]
        orders = orders[(orders["order_date"] <= end) & ~(orders["closed_date"] <= start)]
        self.book = Portfolio(portfolio.customers, invoices=inv.reset_index(drop=True),
                              orders=orders.reset_index(drop=True), validate=False)
        self.ead: dict[pd.Timestamp, pd.Series] = {}

    def __call__(self, t: pd.Timestamp, ids: pd.Index) -> np.ndarray:
        if t not in self.ead:
            self.ead[t] = exposure(self.book, t)["ead"]
        # every customer onboarded by as_of is onboarded on any later t
        return self.ead[t].reindex(ids).to_numpy(dtype=float, na_value=0.0)


def _one_date(portfolio, as_of, horizon_days, scorecard, policy, first_default, ead_at, labels):
    profile = build_profile(portfolio, as_of)
    ratings = assess_portfolio(portfolio, as_of, scorecard, lgd=policy.trade.lgd, profile=profile)
    limits = recommend_limits(profile, ratings, policy)
    ids = labels.index
    rec = limits["recommended_limit"].reindex(ids).to_numpy(dtype=float)
    recorded = ratings["credit_limit"].reindex(ids).to_numpy(dtype=float)
    missing = np.isnan(rec)
    rec = np.where(missing, recorded, rec)
    is_default = labels.to_numpy() == 1
    default_date = first_default.reindex(ids).where(is_default).astype("datetime64[ns]")

    grid = _grid(as_of, horizon_days)
    n = len(ids)
    # defaulters: exposure at the last grid date strictly before the default date
    exposure_date = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    if is_default.any():
        position = grid.searchsorted(pd.DatetimeIndex(default_date[is_default]), side="left") - 1
        exposure_date.iloc[np.flatnonzero(is_default)] = grid[position]
    value = np.zeros(n)
    for t in pd.unique(exposure_date.dropna()):
        rows = (exposure_date == t).to_numpy()
        value[rows] = ead_at(pd.Timestamp(t), ids[rows])
    above_rec = np.maximum(value - rec, 0.0)
    # a customer without a recorded limit has nothing "above" it
    above_recorded = np.nan_to_num(np.maximum(value - recorded, 0.0), nan=0.0)
    # non-defaulters: exposure and the exposure above each limit at every month end of the
    # horizon, averaged (the excess is taken month by month, then averaged)
    performing = np.flatnonzero(~is_default)
    months = grid[1:] if len(grid) > 1 else pd.DatetimeIndex([as_of + pd.Timedelta(days=horizon_days)])
    if len(performing):
        total, over_rec, over_recorded = (np.zeros(len(performing)) for _ in range(3))
        for t in months:
            e = ead_at(t, ids[performing])
            total += e
            over_rec += np.maximum(e - rec[performing], 0.0)
            over_recorded += np.nan_to_num(np.maximum(e - recorded[performing], 0.0), nan=0.0)
        value[performing] = total / len(months)
        above_rec[performing] = over_rec / len(months)
        above_recorded[performing] = over_recorded / len(months)
    out = pd.DataFrame({
        "as_of": pd.Series(as_of, index=ids, dtype="datetime64[ns]"),
        "grade": ratings["grade"].reindex(ids).astype(object),
        "pd": ratings["pd"].reindex(ids).astype(float),
        "recorded_limit": recorded, "recommended_limit": rec, "recommended_missing": missing,
        "default": labels.to_numpy(dtype=np.int64), "default_date": default_date,
        "exposure_date": exposure_date, "exposure": value,
        "above_recommended": above_rec, "above_recorded": above_recorded,
    }, index=ids)
    return out.reset_index()


def _measures(rows: pd.DataFrame, key) -> pd.DataFrame:
    """The measures of :class:`LimitBacktest` per group of ``key`` (one label per row)."""
    d = rows["default"].to_numpy() == 1
    parts = pd.DataFrame({
        "n_customers": 1, "n_defaults": d.astype(np.int64),
        "ead_at_default": np.where(d, rows["exposure"], 0.0),
        "ead_avoided_recommended": np.where(d, rows["above_recommended"], 0.0),
        "ead_avoided_recorded": np.where(d, rows["above_recorded"], 0.0),
        "exposure_performing": np.where(d, 0.0, rows["exposure"]),
        "sales_forgone_recommended": np.where(d, 0.0, rows["above_recommended"]),
        "sales_forgone_recorded": np.where(d, 0.0, rows["above_recorded"]),
        "recorded_limit": rows["recorded_limit"].fillna(0.0).to_numpy(),
        "recommended_limit": rows["recommended_limit"].fillna(0.0).to_numpy(),
    }, index=rows.index)
    g = parts.groupby(np.asarray(key), sort=False).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        g["default_rate"] = g["n_defaults"] / g["n_customers"]
        g["ead_cut_recommended"] = g["ead_avoided_recommended"] / g["ead_at_default"]
        g["ead_cut_recorded"] = g["ead_avoided_recorded"] / g["ead_at_default"]
        g["forgone_share_recommended"] = g["sales_forgone_recommended"] / g["exposure_performing"]
        g["forgone_share_recorded"] = g["sales_forgone_recorded"] / g["exposure_performing"]
    g = g.replace([np.inf, -np.inf], np.nan)
    g[["n_customers", "n_defaults"]] = g[["n_customers", "n_defaults"]].astype("int64")
    return g[_MEASURES]


def backtest_limits(portfolio, dates, config=None, *, scorecard: Scorecard | None = None,
                    horizon_days: int = 365, allow_censored: bool = False,
                    progress: bool | None = None) -> LimitBacktest:
    """Replay the limit policy on past dates and measure exposure at default avoided and sales forgone.

    (Issue 9 names it ``rk.limits.backtest_limits``; it is ``rk.assess.backtest_limits``
    because it profiles, rates and limits a Portfolio, which the pure limits layer must not.)

    On every date ``d`` of ``dates``, point in time:

    1. profile the book (:func:`riskkit.profile.build_profile`), rate it with ``scorecard``
       (:func:`riskkit.assess.assess_portfolio`) and recommend limits
       (:func:`riskkit.limits.recommend_limits` under ``config``);
    2. take the limit the book recorded on ``d``: ``credit_limit`` of the snapshot
       ``portfolio.as_of(d)`` (via :func:`riskkit.limits.exposure`), so a point-in-time
       limit history in the data is used as soon as the data model has one;
    3. label the customers performing on ``d`` with the kit's default definition
       (:func:`riskkit.profile.default_flags`; customers already in default on ``d`` are
       left out, as in every label of the kit) and date each default
       (:func:`riskkit.profile.first_default_dates`);
    4. measure exposure with :func:`riskkit.limits.exposure` (EAD = open receivables + the
       un-invoiced rest of the open orders): for a defaulter, its **exposure at default** is the EAD at the last month
       end before its default date (``d`` itself if it defaults within the first month; a
       month-end grid keeps the number of point-in-time snapshots small and the EAD is
       at most a month old); for a non-defaulter, its exposure at each month end in
       ``(d, d + horizon_days]`` (the horizon end itself if no month ends in it).

    The exposure above a limit, ``max(exposure - limit, 0)``, is what the limit would have
    kept off the books had it been enforced: exposure at default avoided for defaulters,
    sales forgone for the others, where the excess is taken at each month end and then
    averaged over the horizon (see :class:`LimitBacktest` for every measure).

    Parameters
    ----------
    portfolio : Portfolio
        The book with its full history (the outcomes lie after each date).
    dates : sequence of date-like
        Dates to set limits on, strictly increasing.
    config : LimitPolicy, path, mapping or None
        The limit policy (default ``riskkit/configs/limit_policy.yaml``); its
        ``trade.lgd`` is also the LGD of the ratings' expected loss.
    scorecard : Scorecard, optional
        A fitted scorecard.  Default: one developed on the book's history before the first
        date (:func:`riskkit.assess.development_dates` of ``dates[0]`` with the same
        horizon), so no outcome used to develop it lies after any date of the back-test.
        A scorecard given here must be just as honest; nothing can check that.
    horizon_days : int, default 365
        Outcome window after each date.
    allow_censored : bool, default False
        A horizon that runs past the end of the data (defaults and exposures after it are
        not observed, so the back-test flatters the limits) raises
        :class:`LimitBacktestError`; with True it only warns.
    progress : bool or None, default None
        Show progress bars over the dates: None shows them in an interactive session only
        (:func:`riskkit._core.progress.progress_enabled`), True/False force them.  They never
        change the result.

    Returns
    -------
    LimitBacktest
        ``customers``, ``by_grade``, ``overall`` frames, ``headline()``, ``summary()``.

    Raises
    ------
    LimitBacktestError
        Dates empty, not dates, not strictly increasing; a bad horizon; a censored horizon.

    Notes
    -----
    A customer for whom the policy gives no limit (no method had data) keeps its recorded
    limit (the committee decides; counted in ``recommended_missing``).  A customer without
    a recorded limit has nothing above it.  The recommended limit is compared with the
    realised exposure as if the customer would have drawn the same amount with a lower
    limit up to that limit: the usual static assumption of a limit back-test (a lower limit
    may change how the customer buys and pays, which the data cannot show).
    """
    parsed = _check_dates(dates)
    horizon_days = _check_horizon(horizon_days)
    policy = load_limit_policy(config)
    # every outcome window is checked before any work is done
    labels = [_labels(portfolio, d, horizon_days, allow_censored) for d in parsed]
    if scorecard is None:
        scorecard, _ = fit_portfolio_scorecard(portfolio, development_dates(parsed[0], horizon_days=horizon_days),
                                               horizon_days=horizon_days, progress=progress)
    first_default = first_default_dates(portfolio)
    ead_at = _ExposureCache(portfolio, parsed[0], parsed[-1] + pd.Timedelta(days=horizon_days))
    rows = pd.concat([_one_date(portfolio, d, horizon_days, scorecard, policy, first_default, ead_at, y)
                      for d, y in progress_bar(list(zip(parsed, labels)), desc="backtest_limits", unit="date",
                                               enabled=progress)], ignore_index=True)
    grade_order = {g: i for i, g in enumerate(policy.grades)}
    by_grade = _measures(rows, rows["grade"].astype(object).to_numpy())
    by_grade = by_grade.iloc[np.argsort([grade_order.get(g, len(grade_order)) for g in by_grade.index],
                                        kind="stable")]
    by_grade.index.name = "grade"
    per_date = _measures(rows, rows["as_of"].dt.strftime("%Y-%m-%d").to_numpy())
    pooled = _measures(rows, np.full(len(rows), "all", dtype=object))
    overall = pd.concat([per_date.sort_index(), pooled])
    overall.index.name = "as_of"
    return LimitBacktest(dates=tuple(parsed), horizon_days=horizon_days, customers=rows, by_grade=by_grade,
                         overall=overall)
