"""Point-in-time customer risk profile (风险画像), default labels and development samples.

``build_profile(portfolio, as_of)`` returns one row per customer with payment behaviour,
order trend, financial ratios (Altman Z''), events, bureau and static attributes, using
only what was known on ``as_of``; :data:`FEATURES` / :func:`feature_table` document every
column.  ``default_flags`` labels defaults in the horizon after ``as_of`` and
``development_sample`` stacks profiles and labels over several dates (optionally on Dask);
the ``*_partitioned`` functions do the same for a book partitioned by customer, one Dask
task per partition (:mod:`riskkit.profile.partitioned`).
"""

from .build import FEATURES, build_profile, feature_table
from .financials import altman_z_double_prime, altman_zone, latest_statements
from .labels import DPD_DEFAULT_DAYS, default_flags, development_sample, first_default_dates
from .partitioned import build_profile_partitioned, default_flags_partitioned, development_sample_partitioned

__all__ = [
    "build_profile",
    "default_flags",
    "development_sample",
    "first_default_dates",
    "FEATURES",
    "feature_table",
    "altman_z_double_prime",
    "altman_zone",
    "latest_statements",
    "DPD_DEFAULT_DAYS",
    "build_profile_partitioned",
    "default_flags_partitioned",
    "development_sample_partitioned",
]

