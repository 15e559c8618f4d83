"""Point-in-time customer risk profile (风险画像), default labels and development samples.

``build_profile(portfolio, as_of)`` returns one row per customer with payment behaviour,
order trend, financial ratios (Altman Z''), events, bureau and static attributes, using
only what was known on ``as_of``; :data:`FEATURES` / :func:`feature_table` document every
column.  ``default_flags`` labels defaults in the horizon after ``as_of`` and
``development_sample`` stacks profiles and labels over several dates (optionally on Dask).
"""

from .build import FEATURES, build_profile, feature_table
from .financials import altman_z_double_prime, altman_zone
from .labels import DPD_DEFAULT_DAYS, default_flags, development_sample, first_default_dates

_CUSTOMER_VIEW = ("CustomerView", "UnknownCustomerError", "WARNING_CHECKS", "WarningCheck", "check_customer",
                  "customer_view", "financial_history", "payment_history", "showcase_customer", "warning_signals")

__all__ = [
    *_CUSTOMER_VIEW,
    "build_profile",
    "default_flags",
    "development_sample",
    "first_default_dates",
    "FEATURES",
    "feature_table",
    "altman_z_double_prime",
    "altman_zone",
    "DPD_DEFAULT_DAYS",
]


def __getattr__(name):
    # the one-customer view needs scoring and graph; load it on first use only
    if name in _CUSTOMER_VIEW:
        from . import customer

        return getattr(customer, name)
    raise AttributeError(f"module 'riskkit.profile' has no attribute {name!r}")
