"""Static attributes from the ``customers`` table of the as_of snapshot.

``credit_limit`` and ``payment_terms_days`` are those in force on as_of: the snapshot
applies the book's ``credit_decisions`` (:meth:`riskkit.data.Portfolio.as_of`; a customer
without a decision by then keeps the customers-table value).  The other attributes are
one current row per customer (no history), as recorded, not as they were on as_of; in a
back-test this is a known limitation for those that change (ownership, industry).  The
ages are computed on as_of.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import DAYS_PER_JULIAN_YEAR, NEVER, Feature, days

__all__ = ["static_features", "FEATURES"]

_G = "static"
FEATURES = (
    Feature("kind", _G, "enterprise or individual", "category"),
    Feature("industry", _G, "industry as recorded", "category"),
    Feature("region", _G, "region as recorded", "category"),
    Feature("ownership_type", _G, "central_soe, local_soe, private, foreign or individual",
            "category"),
    Feature("state_ownership_pct", _G, "state share of the equity", "percent"),
    Feature("registered_capital", _G, "registered capital", "currency"),
    Feature("company_age_years", _G, "(as_of - founded) / 365.25; NaN if founded is unknown",
            "years"),
    Feature("relationship_age_years", _G, "(as_of - onboarded) / 365.25", "years"),
    Feature("payment_terms_days", _G, "payment terms in force on as_of", "days"),
    Feature("credit_limit", _G, "credit limit in force on as_of", "currency"),
)

_COPIED = ("kind", "industry", "region", "ownership_type", "state_ownership_pct",
           "registered_capital", "payment_terms_days", "credit_limit")


def static_features(customers: pd.DataFrame, as_of_day: int) -> pd.DataFrame:
    """Static attributes and ages of the rows of ``customers``, indexed by customer_id.

    Parameters
    ----------
    customers : DataFrame
        The ``customers`` table (already restricted to the customers to profile).
    as_of_day : int
        as_of as days since 1970-01-01.
    """
    founded = days(customers, "customers", "founded", nat=NEVER)
    onboarded = days(customers, "customers", "onboarded")
    company_age = np.where(founded == NEVER, np.nan,
                           (as_of_day - founded) / DAYS_PER_JULIAN_YEAR)
    out = customers.loc[:, list(_COPIED)].copy()
    out.insert(out.columns.get_loc("registered_capital") + 1, "company_age_years", company_age)
    out.insert(out.columns.get_loc("company_age_years") + 1, "relationship_age_years",
               (as_of_day - onboarded) / DAYS_PER_JULIAN_YEAR)
    out.index = pd.Index(customers["customer_id"], name="customer_id")
    return out
