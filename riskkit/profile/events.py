"""External-event features from the ``events`` table.

For each category of ``riskkit.data.schemas.EVENT_CATEGORIES`` and each window of 90 and
365 days ``(as_of - w, as_of]``: the number of events and their maximum severity
(severity runs 1-5, so 0 means "no event").  The totals ``events_<w>d`` and
``max_severity_<w>d`` cover the *adverse* categories only, i.e. every category except
``positive_news``: a severe piece of good news must not look like a severe risk event.
Events dated after as_of are ignored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.schemas import EVENT_CATEGORIES
from ._common import Feature, customer_codes, days, group_max, group_sum

__all__ = ["event_features", "FEATURES", "EVENT_WINDOWS_DAYS", "ADVERSE_CATEGORIES"]

EVENT_WINDOWS_DAYS = (90, 365)
ADVERSE_CATEGORIES = tuple(c for c in EVENT_CATEGORIES if c != "positive_news")

_G = "events"


def _feature_list() -> tuple[Feature, ...]:
    features = []
    for w in EVENT_WINDOWS_DAYS:
        for c in EVENT_CATEGORIES:
            features.append(Feature(f"events_{c}_{w}d", _G,
                                    f"number of '{c}' events in the last {w} days", "count"))
    for w in EVENT_WINDOWS_DAYS:
        for c in EVENT_CATEGORIES:
            features.append(Feature(f"max_severity_{c}_{w}d", _G,
                                    f"maximum severity (1-5) of '{c}' events in the last {w} "
                                    f"days; 0 if none", "score"))
    for w in EVENT_WINDOWS_DAYS:
        features.append(Feature(f"events_{w}d", _G, f"number of adverse events (every category "
                                f"but positive_news) in the last {w} days", "count"))
        features.append(Feature(f"max_severity_{w}d", _G, f"maximum severity (1-5) of adverse "
                                f"events in the last {w} days; 0 if none", "score"))
    return tuple(features)


FEATURES = _feature_list()


def event_features(events: pd.DataFrame, customer_ids: pd.Index, as_of_day: int) -> pd.DataFrame:
    """Event counts and maximum severities by category and window.

    Parameters
    ----------
    events : DataFrame
        The ``events`` table; events after as_of are ignored.
    customer_ids : Index
        Customers to profile, in output order.
    as_of_day : int
        as_of as days since 1970-01-01.

    Returns
    -------
    DataFrame
        Indexed like ``customer_ids``, columns as in :data:`FEATURES`.
    """
    n, k = len(customer_ids), len(EVENT_CATEGORIES)
    code = customer_codes(customer_ids, events["customer_id"], "events")
    date = days(events, "events", "date")
    category = pd.Index(EVENT_CATEGORIES).get_indexer(events["category"])
    if (category < 0).any():
        bad = sorted(set(events["category"][category < 0].astype(str)))
        raise ValueError(f"events.category has unknown value(s) {bad[:5]} "
                         f"({int((category < 0).sum())} row(s)); known: {list(EVENT_CATEGORIES)}")
    severity = events["severity"].to_numpy(dtype=np.float64, na_value=np.nan)
    adverse = np.isin(category, pd.Index(EVENT_CATEGORIES).get_indexer(ADVERSE_CATEGORIES))

    counts, severities, totals = {}, {}, {}
    for w in EVENT_WINDOWS_DAYS:
        inside = (date <= as_of_day) & (date > as_of_day - w)
        cell = code[inside] * k + category[inside]
        count = group_sum(cell, n * k).reshape(n, k)
        worst = group_max(cell, severity[inside], n * k, fill=0.0).reshape(n, k)
        for j, c in enumerate(EVENT_CATEGORIES):
            counts[f"events_{c}_{w}d"] = count[:, j]
            severities[f"max_severity_{c}_{w}d"] = worst[:, j].astype(np.int64)
        sel = inside & adverse
        totals[f"events_{w}d"] = group_sum(code[sel], n)
        totals[f"max_severity_{w}d"] = group_max(code[sel], severity[sel], n, fill=0.0).astype(np.int64)
    out = {**counts, **severities, **totals}
    return pd.DataFrame({f.name: out[f.name] for f in FEATURES}, index=customer_ids)
