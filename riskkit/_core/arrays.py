"""Array kernels shared by the feature, exposure and monitoring code.

A table's ``customer_id`` is mapped once to an integer code (the customer's position in
the ``customers`` table); per-customer sums, counts and maxima are ``np.bincount`` /
``np.maximum.at`` over those codes, so the cost is linear in the number of records and
there is no Python loop over customers.  Dates become whole day numbers (days since
1970-01-01).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["NEVER", "day_number", "days", "customer_codes", "floats", "group_sum", "group_max",
           "last_per_group", "safe_divide"]

#: day number standing for "never" (an open invoice's paid date, an open order's close)
NEVER = np.iinfo(np.int64).max


def day_number(ts: pd.Timestamp) -> int:
    """Days since 1970-01-01 of a (day-normalised) timestamp."""
    return int(np.datetime64(ts.date(), "D").astype(np.int64))


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
