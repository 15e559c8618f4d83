"""Shared machinery of the profile features: input checks, the point-in-time snapshot,
day arithmetic and grouped reductions over integer customer codes.

Every feature module works on numpy arrays: a table's ``customer_id`` is mapped once to
an integer code (the customer's position in the ``customers`` table) and per-customer
sums, counts and maxima are ``np.bincount`` / ``np.maximum.at`` over those codes, so the
cost is linear in the number of records and there is no Python loop over customers.
Dates become whole day numbers (days since 1970-01-01).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.dates import check_as_of  # noqa: F401  (re-exported for the feature modules)

#: day number standing for "never" (an open invoice's paid date, an open order's close)
NEVER = np.iinfo(np.int64).max
#: length of the windows used throughout, in days
DAYS_PER_YEAR = 365
DAYS_PER_QUARTER = 90
#: for ages in years (Julian year)
DAYS_PER_JULIAN_YEAR = 365.25


@dataclass(frozen=True)
class Feature:
    """Documentation of one profile column.

    Attributes
    ----------
    name : str
        Column name in the profile.
    group : str
        payment, orders, financials, events, bureau or static.
    definition : str
        How the value is computed, including its window and its missing-value rule.
    unit : str
        days, currency, ratio, share, count, flag, years, score, percent, category.
    """

    name: str
    group: str
    definition: str
    unit: str


def day_number(ts: pd.Timestamp) -> int:
    """Days since 1970-01-01 of a (day-normalised) timestamp."""
    return int(np.datetime64(ts.date(), "D").astype(np.int64))


def check_portfolio(portfolio) -> None:
    """Refuse anything that does not look like a :class:`riskkit.data.Portfolio`."""
    missing = [t for t in ("customers", "invoices", "orders", "financials", "bureau",
                           "events", "defaults") if not hasattr(portfolio, t)]
    if missing:
        raise TypeError(f"portfolio must be a riskkit.data.Portfolio (tables as attributes); "
                        f"{type(portfolio).__name__} has no {missing}")
    ids = portfolio.customers["customer_id"]
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].unique().tolist()
        raise ValueError(f"customers.customer_id is not unique: {dup[:5]} "
                         f"({len(dup)} duplicated id(s))")


def snapshot(portfolio, as_of: pd.Timestamp):
    """The point-in-time view of ``portfolio`` on ``as_of``.

    Uses :meth:`riskkit.data.Portfolio.as_of`, the single implementation of the
    point-in-time rule.  The feature functions additionally only ever look at windows
    ending on ``as_of`` and treat a payment or closing after ``as_of`` as not yet
    happened, so they are point-in-time correct on the full tables too (the snapshot is
    idempotent with respect to them).
    """
    if hasattr(portfolio, "as_of"):
        return portfolio.as_of(as_of)
    return portfolio


def days(df: pd.DataFrame, table: str, column: str, nat: int | None = None) -> np.ndarray:
    """Day numbers (int64) of a date column; ``NaT`` becomes ``nat``.

    Raises if the column is not a datetime column or holds ``NaT`` where ``nat`` is None.
    """
    s = df[column]
    if not pd.api.types.is_datetime64_dtype(s.dtype):
        raise TypeError(f"{table}.{column} must be a datetime64 column, got dtype {s.dtype}; "
                        f"load the data through riskkit.data.Portfolio")
    values = s.to_numpy().astype("datetime64[D]").astype(np.int64)
    missing = s.isna().to_numpy()
    if missing.any():
        if nat is None:
            raise ValueError(f"{table}.{column} has {int(missing.sum())} missing date(s)")
        values[missing] = nat
    return values


def customer_codes(customer_ids: pd.Index, values: pd.Series, table: str) -> np.ndarray:
    """Position of each row's customer in ``customer_ids``; raise on unknown customers.

    ``pd.factorize`` first, so the hash lookup runs over distinct ids only (10 million
    invoice rows of 100,000 customers: ~0.5 s instead of ~3 s).
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    codes, uniques = pd.factorize(values)
    positions = customer_ids.get_indexer(uniques)
    unknown = positions < 0
    if unknown.any():
        bad = pd.Index(uniques)[unknown]
        n_rows = int(np.isin(codes, np.flatnonzero(unknown)).sum())
        raise ValueError(f"{table}.customer_id has {len(bad)} id(s) not in customers "
                         f"({n_rows} row(s)): {bad[:5].tolist()}")
    return positions[codes].astype(np.int64, copy=False)


def floats(df: pd.DataFrame, table: str, column: str) -> np.ndarray:
    s = df[column]
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise TypeError(f"{table}.{column} must be numeric, got dtype {s.dtype}")
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def group_sum(codes: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-customer sum of ``weights`` (count when None); 0 for customers without rows."""
    if weights is None:
        return np.bincount(codes, minlength=n).astype(np.int64)
    # astype: bincount of an empty array returns int64 even with weights
    return np.bincount(codes, weights=weights, minlength=n).astype(np.float64, copy=False)


def group_max(codes: np.ndarray, values: np.ndarray, n: int, fill: float) -> np.ndarray:
    """Per-customer maximum of ``values``; ``fill`` for customers without rows."""
    out = np.full(n, -np.inf)
    np.maximum.at(out, codes, values.astype(np.float64, copy=False))
    out[np.isneginf(out)] = fill
    return out


def last_per_group(codes: np.ndarray, *sort_keys: np.ndarray) -> np.ndarray:
    """Row positions of the last row per code after sorting by ``sort_keys`` ascending.

    ``sort_keys`` go from the most significant; the code is always the outermost key.
    """
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort(tuple(reversed(sort_keys)) + (codes,))
    sorted_codes = codes[order]
    is_last = np.r_[sorted_codes[1:] != sorted_codes[:-1], True]
    return order[is_last]


def safe_divide(numerator, denominator) -> np.ndarray:
    """``numerator / denominator`` with NaN (never inf) where the denominator is 0 or NaN."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.isfinite(den) & (den != 0)
    np.divide(num, den, out=out, where=ok)
    return out
