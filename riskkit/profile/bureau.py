"""Credit-bureau features from the ``bureau`` table.

The *latest report* on as_of is the one with the latest ``report_date <= as_of``; when
several sources reported on that day, the source that sorts first alphabetically is
used, so the choice is deterministic.  Its score, delinquencies and inquiries are the
features.  The score change compares it with the *previous report of the same source*
(the latest one dated strictly before it): scores of different bureaus are on different
scales and must not be differenced.  A customer without a report gets NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import Feature, customer_codes, days, floats, last_per_group

__all__ = ["bureau_features", "FEATURES"]

_G = "bureau"
FEATURES = (
    Feature("bureau_score", _G, "score of the latest bureau report dated on or before as_of "
            "(ties on the date: first source alphabetically); NaN without a report", "score"),
    Feature("bureau_score_change", _G, "bureau_score minus the score of the previous report "
            "of the same source; NaN without a previous report", "score"),
    Feature("bureau_delinquencies", _G, "delinquencies on the latest report", "count"),
    Feature("bureau_inquiries", _G, "inquiries on the latest report", "count"),
    Feature("bureau_report_age_days", _G, "as_of - report_date of the latest report", "days"),
)


def bureau_features(bureau: pd.DataFrame, customer_ids: pd.Index, as_of_day: int) -> pd.DataFrame:
    """Latest bureau score and its change for every customer in ``customer_ids``.

    Parameters
    ----------
    bureau : DataFrame
        The ``bureau`` table; reports after as_of are ignored.
    customer_ids : Index
        Customers to profile, in output order.
    as_of_day : int
        as_of as days since 1970-01-01.

    Returns
    -------
    DataFrame
        Indexed like ``customer_ids``, columns as in :data:`FEATURES` (counts are float
        because customers without a report get NaN).
    """
    n = len(customer_ids)
    known = np.flatnonzero(days(bureau, "bureau", "report_date") <= as_of_day)
    table = bureau.iloc[known]
    code = customer_codes(customer_ids, table["customer_id"], "bureau")
    date = days(table, "bureau", "report_date")
    score = floats(table, "bureau", "score")
    source_rank, _ = pd.factorize(table["source"], sort=True)

    # previous report of the same source: sort by (customer, source, date), shift by one
    by_source = np.lexsort((date, source_rank, code))
    prev_score = np.full(len(table), np.nan)
    same = (code[by_source][1:] == code[by_source][:-1]) & (
        source_rank[by_source][1:] == source_rank[by_source][:-1])
    prev_score[by_source[1:][same]] = score[by_source[:-1][same]]

    # latest date, ties -> alphabetically first source (sorts last under -rank)
    rows = last_per_group(code, date, -source_rank)
    target = code[rows]

    def spread(values: np.ndarray) -> np.ndarray:
        out = np.full(n, np.nan)
        out[target] = values[rows]
        return out

    return pd.DataFrame({
        "bureau_score": spread(score),
        "bureau_score_change": spread(score - prev_score),
        "bureau_delinquencies": spread(floats(table, "bureau", "delinquencies")),
        "bureau_inquiries": spread(floats(table, "bureau", "inquiries")),
        "bureau_report_age_days": spread((as_of_day - date).astype(np.float64)),
    }, index=customer_ids)
