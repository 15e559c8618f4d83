"""Default labels and the development sample (profile on as_of + default in the horizon).

Default definition (DESIGN.md section 2, Basel-style for trade credit): a customer
defaults on the first day on which any of these happens

* an invoice becomes 90+ days past due: on ``due_date + 90`` it is still unpaid, i.e.
  ``paid_date`` is NaT or ``paid_date >= due_date + 90`` (days past due count the day of
  payment, so an invoice paid 89 days after due never reached 90 DPD, one paid 90 days
  after due did).  An invoice still open at the end of the data (the latest date of any
  record) counts only if ``due_date + 90`` is on or before that end: whether it would be
  paid in time is not observed;
* a ``bankruptcy`` event (its ``date``);
* a record in ``defaults`` (its ``default_date``; any reason: dpd90, bankruptcy,
  write_off).

``default_flags`` is 1 if that first day falls in ``(as_of, as_of + horizon_days]`` and 0
otherwise.  A customer whose first default day is on or before ``as_of`` is *already in
default* and is **dropped** from the labels: the probability of default is estimated for
performing obligors only (Basel II para. 452 ff.; a defaulted obligor has PD = 1), and
keeping it as 0 would teach a model that defaulted customers are good while keeping it as
1 would count one default in every later sample.  The data model has no cure, so once in
default a customer stays out of every later sample.  Dropping keeps the label an
``int64`` 0/1 Series; the excluded customers are ``profile.index.difference(labels.index)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .._core.progress import progress as progress_bar
from ..data.portfolio import data_period
from ._common import (
    NEVER,
    check_as_of,
    check_portfolio,
    customer_codes,
    day_number,
    days,
)
from .build import build_profile

__all__ = ["default_flags", "development_sample", "first_default_dates", "DPD_DEFAULT_DAYS"]

#: days past due that make an invoice default (90+ DPD)
DPD_DEFAULT_DAYS = 90


def _check_days(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive whole number of days, got {value!r}")
    return int(value)


def _group_min(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, NEVER, dtype=np.int64)
    np.minimum.at(out, codes, values)
    return out


def _data_end(portfolio) -> pd.Timestamp:
    """Latest date of any record: the end of the observation period (:func:`riskkit.data.data_period`)."""
    return data_period(portfolio)[1]


def _first_default_days(portfolio, dpd_days: int, end=None) -> np.ndarray:
    """First default day (days since 1970-01-01, NEVER if none) per row of customers.

    An invoice still open at the end of the data counts only if it reached 90 DPD by then:
    whether it is paid before its 90th day past due later is not observed.  ``end`` is
    that end (default: the latest record of ``portfolio``; a partition of a book passes
    the book's, see :mod:`riskkit.profile.partitioned`).
    """
    ids = pd.Index(portfolio.customers["customer_id"])
    n = len(ids)
    end = _data_end(portfolio) if end is None else end
    observed_until = day_number(end.normalize()) if not pd.isna(end) else NEVER
    inv = portfolio.invoices
    code = customer_codes(ids, inv["customer_id"], "invoices")
    reach = days(inv, "invoices", "due_date") + dpd_days
    paid = days(inv, "invoices", "paid_date", nat=NEVER)
    unpaid_then = (paid >= reach) & (reach <= observed_until)
    first = _group_min(code[unpaid_then], reach[unpaid_then], n)

    ev = portfolio.events
    bankrupt = (ev["category"] == "bankruptcy").to_numpy(dtype=bool, na_value=False)
    code = customer_codes(ids, ev["customer_id"], "events")
    first = np.minimum(first, _group_min(code[bankrupt], days(ev, "events", "date")[bankrupt], n))

    d = portfolio.defaults
    code = customer_codes(ids, d["customer_id"], "defaults")
    return np.minimum(first, _group_min(code, days(d, "defaults", "default_date"), n))


def first_default_dates(portfolio, dpd_days: int = DPD_DEFAULT_DAYS, *,
                        data_end: pd.Timestamp | None = None) -> pd.Series:
    """Date of each customer's first default by the kit's default definition.

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
    dpd_days : int, default 90
        Days past due at which an unpaid invoice is a default.
    data_end : Timestamp, optional
        The end of the data (default: the latest record of ``portfolio``).  A partition
        of a book passes the whole book's (:func:`riskkit.profile.partitioned.book_data_end`)
        so that its dates equal those of the book loaded whole.

    Returns
    -------
    Series
        ``first_default_date`` (datetime64[ns], NaT if never), indexed by customer_id in
        the order of ``portfolio.customers``.  Uses all records, whatever their date: it
        looks into the future and is for labels only, never for features.  An invoice
        open at the end of the data (the latest date of any record) counts only if it was
        90 days past due by then.
    """
    check_portfolio(portfolio)
    dpd_days = _check_days(dpd_days, "dpd_days")
    first = _first_default_days(portfolio, dpd_days, end=data_end)
    values = np.where(first == NEVER, np.datetime64("NaT"), first.astype("datetime64[D]"))
    return pd.Series(values.astype("datetime64[ns]"), name="first_default_date",
                     index=pd.Index(portfolio.customers["customer_id"], name="customer_id"))


def _labels(customers: pd.DataFrame, first_days: np.ndarray, as_of: pd.Timestamp,
            horizon_days: int) -> pd.Series:
    """Labels of the customers onboarded by as_of and not in default on it (sorted ids)."""
    T = day_number(as_of)
    onboarded = (customers["onboarded"] <= as_of).to_numpy()
    performing = first_days > T
    keep = np.flatnonzero(onboarded & performing)
    ids = customers["customer_id"].to_numpy()[keep]
    label = (first_days[keep] <= T + horizon_days).astype(np.int64)
    out = pd.Series(label, index=pd.Index(ids, name="customer_id", dtype="str"), name="default")
    return out.sort_index(kind="stable")


def _warn_if_censored(portfolio, last_as_of: pd.Timestamp, horizon_days: int, stacklevel: int,
                      end=None):
    end = _data_end(portfolio) if end is None else end
    horizon_end = last_as_of + pd.Timedelta(days=horizon_days)
    if pd.isna(end) or end < horizon_end:
        warnings.warn(
            f"the label horizon ends {horizon_end.date()} but the data end "
            f"{'is unknown' if pd.isna(end) else 'on ' + str(end.date())}: defaults after the "
            f"data end are not observed, so labels are right-censored (biased to 0)",
            UserWarning, stacklevel=stacklevel)


def default_flags(portfolio, as_of, horizon_days: int = 365, *,
                  dpd_days: int = DPD_DEFAULT_DAYS) -> pd.Series:
    """Default label: did the customer default in ``(as_of, as_of + horizon_days]``?

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
        The book with its *full* history (the label looks after ``as_of``).
    as_of : date-like
        Observation date.
    horizon_days : int, default 365
        Length of the outcome window.
    dpd_days : int, default 90
        Days past due at which an unpaid invoice is a default.

    Returns
    -------
    Series
        ``default`` (int64, 1 = default in the horizon, 0 = not) indexed by the sorted
        ``customer_id`` of every customer onboarded on or before ``as_of`` and not already
        in default on it (see the module docstring for why those are dropped).  Empty
        (int64) if nobody was onboarded by ``as_of``.

    Warns
    -----
    UserWarning
        If the horizon reaches past the latest record of the portfolio (right-censored
        labels).

    Notes
    -----
    Definition in the module docstring; it follows the Basel II default definition
    (BCBS 2006, *International Convergence of Capital Measurement*, para. 452: obligor
    past due more than 90 days, or unlikely to pay, e.g. bankruptcy) adapted to trade
    receivables.
    """
    as_of = check_as_of(as_of)
    check_portfolio(portfolio)
    horizon_days = _check_days(horizon_days, "horizon_days")
    dpd_days = _check_days(dpd_days, "dpd_days")
    _warn_if_censored(portfolio, as_of, horizon_days, stacklevel=3)
    return _labels(portfolio.customers, _first_default_days(portfolio, dpd_days), as_of,
                   horizon_days)


def _sample_for_date(portfolio, as_of: pd.Timestamp, first_days: np.ndarray, horizon_days: int,
                     profile_kwargs: dict) -> pd.DataFrame:
    profile = build_profile(portfolio, as_of, **profile_kwargs)
    labels = _labels(portfolio.customers, first_days, as_of, horizon_days)
    rows = profile.loc[labels.index]
    rows["default"] = labels
    rows = rows.reset_index()
    rows.insert(0, "as_of", pd.Series(as_of, index=rows.index, dtype="datetime64[ns]"))
    return rows


def _check_sample_arguments(as_of_dates, horizon_days, dpd_days, profile_kwargs
                            ) -> tuple[list[pd.Timestamp], int, int]:
    """The checked ``(dates, horizon_days, dpd_days)`` of a development sample."""
    if isinstance(as_of_dates, (str, pd.Timestamp)) or not isinstance(as_of_dates, Iterable):
        raise TypeError(f"as_of_dates must be a list of dates, got {as_of_dates!r}")
    dates = [check_as_of(d, f"as_of_dates[{i}]") for i, d in enumerate(as_of_dates)]
    if not dates:
        raise ValueError("as_of_dates is empty")
    repeated = pd.Index(dates)[pd.Index(dates).duplicated()]
    if len(repeated):
        raise ValueError(f"as_of_dates has repeated date(s) {[str(d.date()) for d in repeated]}")
    if "customer_ids" in profile_kwargs:
        raise TypeError("development_sample profiles every customer; customer_ids is not accepted")
    return dates, _check_days(horizon_days, "horizon_days"), _check_days(dpd_days, "dpd_days")


def development_sample(portfolio, as_of_dates: Iterable, horizon_days: int = 365, *,
                       scheduler=None, dpd_days: int = DPD_DEFAULT_DAYS,
                       progress: bool | None = None, **profile_kwargs) -> pd.DataFrame:
    """Development sample: the profile on each as_of date joined with its default label.

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
    as_of_dates : iterable of date-like
        Observation dates (distinct).  With a horizon of one year, dates one year apart
        give non-overlapping outcome windows.
    horizon_days : int, default 365
        Outcome window after each as_of.
    scheduler : None, str or dask.distributed.Client, optional
        None builds the dates one after the other with pandas.  A ``distributed.Client``
        builds one date per task on its cluster (the portfolio is scattered once); a dask
        scheduler name (``"threads"``, ``"processes"``, ``"synchronous"``) runs the same
        tasks through ``dask.compute``.  The result is identical in every case.
    dpd_days : int, default 90
        Days past due at which an unpaid invoice is a default.
    progress : bool or None, default None
        Show a progress bar over the dates (``scheduler=None`` only): None shows it in an
        interactive session only (:func:`riskkit._core.progress.progress_enabled`), True/False
        force it.
    **profile_kwargs
        Passed to :func:`build_profile` (e.g. ``orders_drop_threshold``).

    Returns
    -------
    DataFrame
        Columns ``as_of``, ``customer_id``, every profile column and ``default``; one
        row per as_of date (in the given order) and customer onboarded and performing on
        it (customers already in default are dropped, see :func:`default_flags`),
        customers sorted within a date; a RangeIndex.

    Warns
    -----
    UserWarning
        If the last horizon reaches past the latest record of the portfolio.
    """
    check_portfolio(portfolio)
    dates, horizon_days, dpd_days = _check_sample_arguments(as_of_dates, horizon_days, dpd_days, profile_kwargs)
    _warn_if_censored(portfolio, max(dates), horizon_days, stacklevel=3)
    first_days = _first_default_days(portfolio, dpd_days)

    if scheduler is None:
        parts = [_sample_for_date(portfolio, d, first_days, horizon_days, profile_kwargs)
                 for d in progress_bar(dates, desc="development_sample", unit="date", enabled=progress)]
    elif hasattr(scheduler, "scatter") and hasattr(scheduler, "submit"):
        client = scheduler
        [remote] = client.scatter([portfolio], broadcast=False)
        futures = [client.submit(_sample_for_date, remote, d, first_days, horizon_days,
                                 profile_kwargs, pure=False) for d in dates]
        parts = client.gather(futures)
    else:
        import dask

        shared = dask.delayed(portfolio, traverse=False)
        tasks = [dask.delayed(_sample_for_date, pure=False)(shared, d, first_days, horizon_days,
                                                            profile_kwargs) for d in dates]
        parts = list(dask.compute(*tasks, scheduler=scheduler))
    return pd.concat(parts, ignore_index=True)
