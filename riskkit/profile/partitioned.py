"""Profiles, labels and development samples of a partitioned book, on Dask.

A partitioned book (:mod:`riskkit.data.partitioned`) holds whole customers per
partition, and every quantity here is a function of one customer's own records, so it
is computed partition by partition on the workers of a ``dask.distributed`` cluster
(each worker reads its partition from disk) and the results are concatenated: the frames
equal those of :func:`build_profile`, :func:`default_flags` and
:func:`development_sample` on the whole book loaded in memory.

The one quantity of the whole book is the end of the data (its latest record), which
decides whether an invoice still open at the end counts as a 90+ DPD default and whether
labels are right-censored; it is computed first, over the date columns of every
partition, and handed to every task.

Nothing here uses ``relations``: the relationship (graph) features and network PDs of
:mod:`riskkit.graph` need the whole network and are not computed partition-wise.
"""

from __future__ import annotations

import pandas as pd

from .._core.dates import check_as_of
from ..data.engine import dask_client, map_partitions
from ..data.partitioned import PartitionedBook
from .build import build_profile
from .labels import (
    DPD_DEFAULT_DAYS,
    _check_days,
    _check_sample_arguments,
    _first_default_days,
    _labels,
    _sample_for_date,
    _warn_if_censored,
)

__all__ = ["open_book", "book_data_end", "build_profile_partitioned", "default_flags_partitioned",
           "development_sample_partitioned"]

#: the dated columns whose latest value is the end of the data (as ``labels._data_end``)
_END_COLUMNS = {"invoices": ["issue_date", "paid_date"], "orders": ["order_date", "closed_date"],
                "financials": ["published_date"], "bureau": ["report_date"], "events": ["date"],
                "defaults": ["default_date"]}


def open_book(book) -> PartitionedBook:
    """``book`` if it is a :class:`PartitionedBook`, else the one in the folder ``book``."""
    return book if isinstance(book, PartitionedBook) else PartitionedBook.open(book)


def _partition_end(book: PartitionedBook, partition: int) -> pd.Timestamp:
    frames = book.read_tables(partition, columns=_END_COLUMNS)
    ends = [pd.to_datetime(df[c]).max() for df in frames.values() for c in df.columns]
    ends = [e for e in ends if not pd.isna(e)]
    return max(ends) if ends else pd.NaT


def book_data_end(book, *, scheduler=None) -> pd.Timestamp:
    """The latest date of any record of the book (NaT if it has none), one partition per task."""
    book = open_book(book)
    ends = [e for e in map_partitions(book, _partition_end, scheduler=scheduler) if not pd.isna(e)]
    return max(ends) if ends else pd.NaT


def _concat_profiles(parts: list[pd.DataFrame]) -> pd.DataFrame:
    out = pd.concat(parts)
    if not out.index.is_monotonic_increasing:   # partitions need not hold consecutive ids
        out = out.sort_index(kind="stable")
    return out


def _profile_task(book: PartitionedBook, partition: int, as_of, validate: bool, kwargs: dict) -> pd.DataFrame:
    return build_profile(book.read_partition(partition, validate=validate), as_of, **kwargs)


def build_profile_partitioned(book, as_of, *, scheduler=None, validate: bool = True,
                              **profile_kwargs) -> pd.DataFrame:
    """:func:`build_profile` of a partitioned book, one partition per Dask task.

    Parameters
    ----------
    book : PartitionedBook or path
    as_of : date-like
    scheduler : None, str or distributed.Client
        See :func:`riskkit.data.engine.dask_client` (None: a 2-worker LocalCluster).
    validate : bool, default True
        Each task checks its partition against the data model before profiling it
        (rules across partitions are :func:`riskkit.data.validate_partitioned`'s).
    **profile_kwargs
        Passed to :func:`build_profile` (``customer_ids`` is not accepted).

    Returns
    -------
    DataFrame equal to ``build_profile(whole_book, as_of)``: indexed by the sorted
    ``customer_id``, the columns of :data:`riskkit.profile.FEATURES`.
    """
    as_of = check_as_of(as_of)
    if "customer_ids" in profile_kwargs:
        raise TypeError("build_profile_partitioned profiles every customer; customer_ids is not accepted")
    book = open_book(book)
    parts = map_partitions(book, _profile_task, as_of, validate, profile_kwargs, scheduler=scheduler)
    return _concat_profiles(parts)


def _flags_task(book, partition, as_of, horizon_days, dpd_days, end, validate) -> pd.Series:
    part = book.read_partition(partition, validate=validate)
    return _labels(part.customers, _first_default_days(part, dpd_days, end=end), as_of, horizon_days)


def default_flags_partitioned(book, as_of, horizon_days: int = 365, *, dpd_days: int = DPD_DEFAULT_DAYS,
                              scheduler=None, validate: bool = True) -> pd.Series:
    """:func:`default_flags` of a partitioned book, one partition per Dask task.

    Returns the Series ``default_flags(whole_book, as_of, horizon_days)`` would (sorted
    ``customer_id``, customers in default on ``as_of`` dropped) and warns as it does
    when the horizon runs past the end of the book's data.
    """
    as_of = check_as_of(as_of)
    horizon_days = _check_days(horizon_days, "horizon_days")
    dpd_days = _check_days(dpd_days, "dpd_days")
    book = open_book(book)
    with dask_client(scheduler) as client:  # one cluster for both passes
        end = book_data_end(book, scheduler=client)
        _warn_if_censored(None, as_of, horizon_days, stacklevel=3, end=end)
        parts = map_partitions(book, _flags_task, as_of, horizon_days, dpd_days, end, validate, scheduler=client)
    out = pd.concat(parts)
    return out if out.index.is_monotonic_increasing else out.sort_index(kind="stable")


def _sample_task(book, partition, dates, horizon_days, dpd_days, end, validate, kwargs) -> list[pd.DataFrame]:
    part = book.read_partition(partition, validate=validate)
    first_days = _first_default_days(part, dpd_days, end=end)
    return [_sample_for_date(part, d, first_days, horizon_days, kwargs) for d in dates]


def development_sample_partitioned(book, as_of_dates, horizon_days: int = 365, *, scheduler=None,
                                   dpd_days: int = DPD_DEFAULT_DAYS, validate: bool = True,
                                   **profile_kwargs) -> pd.DataFrame:
    """:func:`development_sample` of a partitioned book, one partition per Dask task.

    Each task builds the profiles and labels of its partition on every date (the
    partition is read once); the result equals ``development_sample(whole_book,
    as_of_dates, horizon_days)``: rows by date in the given order, customers sorted within
    a date, a RangeIndex.
    """
    dates, horizon_days, dpd_days = _check_sample_arguments(as_of_dates, horizon_days, dpd_days, profile_kwargs)
    book = open_book(book)
    with dask_client(scheduler) as client:  # one cluster for both passes
        end = book_data_end(book, scheduler=client)
        _warn_if_censored(None, max(dates), horizon_days, stacklevel=3, end=end)
        parts = map_partitions(book, _sample_task, dates, horizon_days, dpd_days, end, validate, profile_kwargs,
                               scheduler=client)
    by_date = []
    for k in range(len(dates)):
        rows = pd.concat([p[k] for p in parts], ignore_index=True)
        if not rows["customer_id"].is_monotonic_increasing:
            rows = rows.sort_values("customer_id", kind="stable")
        by_date.append(rows)
    return pd.concat(by_date, ignore_index=True)

