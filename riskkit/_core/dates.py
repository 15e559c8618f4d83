"""Parsing of point-in-time dates (``as_of``), shared by every part of the kit, and the one
rule for an ``as_of`` outside the period the data cover (:func:`check_as_of_in_period`).
"""

from __future__ import annotations

import datetime as _dt
import warnings

import numpy as np
import pandas as pd

from .errors import RiskkitError, RiskkitWarning

__all__ = ["check_as_of", "check_as_of_in_period", "AsOfBeforeDataError", "AsOfAfterDataWarning",
           "AS_OF_TOLERANCE_DAYS"]

#: how many days an ``as_of`` may lie after the latest record before it is flagged: data
#: extracts lag by up to a month (a nightly run on a monthly extract is normal)
AS_OF_TOLERANCE_DAYS = 31


class AsOfBeforeDataError(RiskkitError, ValueError):
    """``as_of`` is before the data begin: no customer was onboarded yet, so there is nothing to
    describe (a profile of zero rows or a graph of parties that did not exist yet)."""


class AsOfAfterDataWarning(RiskkitWarning):
    """``as_of`` lies more than :data:`AS_OF_TOLERANCE_DAYS` after the latest record of the data:
    ages and days past due keep growing with no payments recorded to stop them, so the result
    describes the data's silence, not the book.  Turn it into an error with
    ``warnings.simplefilter("error", AsOfAfterDataWarning)``."""


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


def check_as_of_in_period(as_of: pd.Timestamp, first, last, *, what: str, name: str = "as_of",
                          tolerance_days: int = AS_OF_TOLERANCE_DAYS, stacklevel: int = 3) -> None:
    """Refuse an ``as_of`` before the data begin; warn when it lies well after they end.

    Parameters
    ----------
    as_of : Timestamp
        A date already parsed by :func:`check_as_of`.
    first : Timestamp or NaT
        The first day the data describe something (the first customer's onboarding);
        NaT when there is nothing at all (refused: no as_of can be in such data).
    last : Timestamp or NaT
        The latest record of any kind (NaT: no dated record, nothing to warn about).
    what : str
        What is being built, for the messages (``"build_profile"``).
    tolerance_days : int
        Days after ``last`` that are still normal (an extract lags behind the run date).

    Raises
    ------
    AsOfBeforeDataError
        ``as_of < first`` (or no ``first``): the decision is to refuse, since the result
        would be empty or describe parties that did not exist yet.

    Warns
    -----
    AsOfAfterDataWarning
        ``as_of > last + tolerance_days``: the result is computed (a monitoring run on stale
        data is still wanted) but named as an extrapolation.
    """
    if pd.isna(first):
        raise AsOfBeforeDataError(f"{what}: {name}={as_of.date()}: the data hold no customer with an "
                                  "onboarding date, so there is nothing to describe on any date")
    if as_of < first:
        raise AsOfBeforeDataError(f"{what}: {name}={as_of.date()} is before the data begin: the first "
                                  f"customer was onboarded on {pd.Timestamp(first).date()}, so nobody was a "
                                  "customer yet")
    if not pd.isna(last) and as_of > last + pd.Timedelta(days=tolerance_days):
        gap = (as_of - pd.Timestamp(last)).days
        warnings.warn(f"{what}: {name}={as_of.date()} is {gap:,} days after the latest record of the data "
                      f"({pd.Timestamp(last).date()}): the result describes a period the data do not cover "
                      "(ages and days past due keep growing, later payments, events and relation changes "
                      "are not recorded)", AsOfAfterDataWarning, stacklevel=stacklevel)
