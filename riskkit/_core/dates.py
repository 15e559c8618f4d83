"""Parsing of point-in-time dates (``as_of``), shared by every part of the kit."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

__all__ = ["check_as_of"]


def check_as_of(as_of, name: str = "as_of") -> pd.Timestamp:
    """Parse a point-in-time date; raise a clear error on anything else.

    Accepted: ``pd.Timestamp``, ``datetime.date``/``datetime.datetime``,
    ``np.datetime64`` and ISO strings such as ``"2024-06-30"``; the value must be a
    calendar day (no time of day) and timezone-naive.  Numbers are refused because
    ``pd.Timestamp(5)`` would silently mean 1970-01-01 plus 5 ns.
    """
    if isinstance(as_of, (bool, int, float, np.integer, np.floating)) or as_of is None:
        raise TypeError(f"{name} must be a date (Timestamp, datetime.date, np.datetime64 or "
                        f"'YYYY-MM-DD' string), got {type(as_of).__name__} {as_of!r}")
    if not isinstance(as_of, (str, _dt.date, np.datetime64, pd.Timestamp)):
        raise TypeError(f"{name} must be a date (Timestamp, datetime.date, np.datetime64 or "
                        f"'YYYY-MM-DD' string), got {type(as_of).__name__} {as_of!r}")
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} is not a parseable date: {as_of!r}") from exc
    if pd.isna(ts):
        raise ValueError(f"{name} must be a date, got a missing value {as_of!r}")
    if ts.tzinfo is not None:
        raise ValueError(f"{name} must be timezone-naive (dates in riskkit are naive), got {as_of!r}")
    if ts != ts.normalize():
        raise ValueError(f"{name} must be a calendar day without a time of day, got {ts}")
    return ts
