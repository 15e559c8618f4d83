"""Shared machinery of the profile features: feature documentation, window lengths and
the point-in-time snapshot.  The array kernels live in :mod:`riskkit._core.arrays`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# re-exported for the feature modules
from .._core.arrays import (  # noqa: F401
    NEVER,
    customer_codes,
    day_number,
    days,
    floats,
    group_max,
    group_sum,
    last_per_group,
    safe_divide,
)
from .._core.dates import check_as_of  # noqa: F401
from ..data.portfolio import check_portfolio  # noqa: F401

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


