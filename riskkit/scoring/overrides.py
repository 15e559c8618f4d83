"""Expert overrides of ratings: bounded, justified, attributed and recorded.

An override moves a customer's grade by at most ``max_notches`` steps on the grade order
(best first, e.g. ``S, AAA, AA, ..., CCC, D``), must carry a non-empty reason and author,
and yields an audit record that the monitoring archive stores (traceability, 可追溯).
Overrides are a recognised part of rating processes and must be documented and
monitored (BCBS, *International Convergence of Capital Measurement*, 2006, para. 428).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .master_scale import MasterScale
from .._core.errors import RiskkitError

__all__ = ["apply_overrides", "OverrideError", "OVERRIDE_RECORD_COLUMNS", "default_grade_order"]

OVERRIDE_RECORD_COLUMNS = ["customer_id", "from_grade", "to_grade", "notches", "reason", "author", "timestamp"]


class OverrideError(RiskkitError, ValueError):
    """One or more overrides break the override policy.

    Attributes
    ----------
    problems : pandas.DataFrame
        One row per offending override: ``position, customer_id, problem``.
    """

    def __init__(self, problems: pd.DataFrame):
        self.problems = problems.reset_index(drop=True)
        lines = [f"{len(problems)} override(s) rejected:"]
        for row in self.problems.itertuples(index=False):
            lines.append(f"  - override #{row.position} (customer_id={row.customer_id}): {row.problem}")
        super().__init__("\n".join(lines))


def default_grade_order() -> list[str]:
    """``S`` (whitelist) followed by the default master scale's grades and ``D``."""
    return ["S", *MasterScale.default().all_grades]


def _as_frame(overrides) -> pd.DataFrame:
    if isinstance(overrides, pd.DataFrame):
        frame = overrides.copy()
    elif isinstance(overrides, dict):
        frame = pd.DataFrame([overrides])
    else:
        frame = pd.DataFrame(list(overrides))
    if "customer_id" not in frame.columns and frame.index.name == "customer_id":
        frame = frame.reset_index()
    return frame.reset_index(drop=True)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA \
        or not str(value).strip()


def apply_overrides(ratings, overrides, max_notches: int = 2, now=None, grade_order=None):
    """Apply expert overrides to ratings within the notch limit.

    Parameters
    ----------
    ratings : pandas.DataFrame or pandas.Series
        Current grades indexed by ``customer_id``: a Series of grades or a DataFrame with
        a ``grade`` column (e.g. the output of :meth:`RatingRules.apply`).
    overrides : pandas.DataFrame, dict or list of dict
        One row per override with ``customer_id``, ``to_grade``, ``reason``, ``author``
        and optionally ``timestamp`` (default ``now``).
    max_notches : int, default=2
        Largest allowed move ``|rank(to_grade) - rank(from_grade)|`` on ``grade_order``.
    now : timestamp-like, optional
        Time stamped on the records; default the current time (to the second).
    grade_order : list of str, optional
        Grades best first; default :func:`default_grade_order` (S, AAA .. CCC, D).

    Returns
    -------
    new_ratings : same type as ``ratings``
        A copy with the grades replaced; a DataFrame also gets ``overridden`` (bool) and
        ``rule`` set to ``"override"`` on the overridden rows when it has a ``rule``
        column.
    records : pandas.DataFrame
        ``customer_id, from_grade, to_grade, notches, reason, author, timestamp`` with
        ``notches = rank(to) - rank(from)`` (positive = downgrade, negative = upgrade),
        ready for the monitoring archive.

    Raises
    ------
    OverrideError
        Listing every offending override: unknown customer, unknown grade, more than
        ``max_notches`` notches, empty reason or author, two overrides of one customer, or
        an upgrade of a default (last grade) or knock-out rating.
    """
    if isinstance(max_notches, bool) or not isinstance(max_notches, (int, np.integer)) or max_notches < 0:
        raise ValueError(f"max_notches must be a non-negative integer, got {max_notches!r}")
    order = list(grade_order) if grade_order is not None else default_grade_order()
    rank = {g: i for i, g in enumerate(order)}
    if isinstance(ratings, pd.Series):
        current = ratings
    elif isinstance(ratings, pd.DataFrame):
        if "grade" not in ratings.columns:
            raise KeyError("ratings DataFrame needs a 'grade' column")
        current = ratings["grade"]
    else:
        raise TypeError(f"ratings must be a Series or DataFrame indexed by customer_id, got {type(ratings).__name__}")
    if not current.index.is_unique:
        raise ValueError("ratings index (customer_id) has duplicates")
    frame = _as_frame(overrides)
    needed = ["customer_id", "to_grade", "reason", "author"]
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise KeyError(f"overrides need the fields {needed}; missing {absent}")
    stamp = pd.Timestamp(now) if now is not None else pd.Timestamp.now().floor("s")

    # a default (the last grade) or a knock-out is a fact of the record, not an opinion:
    # an override may move it no further up the scale
    default_grade = order[-1]
    knocked_out = (set(ratings.index[ratings["knockout"].astype(bool)].astype(str))
                   if isinstance(ratings, pd.DataFrame) and "knockout" in ratings.columns else set())

    problems = []
    counts = frame["customer_id"].astype("str").value_counts()
    lookup = {str(k): k for k in current.index}
    records = []
    for position, row in enumerate(frame.itertuples(index=False)):
        cid = str(row.customer_id)
        found = []
        if counts.get(cid, 0) > 1:
            found.append("more than one override for this customer")
        if _blank(row.reason):
            found.append("reason is empty")
        if _blank(row.author):
            found.append("author is empty")
        if cid not in lookup:
            found.append("unknown customer")
            problems.extend((position, cid, p) for p in found)
            continue
        from_grade = current.loc[lookup[cid]]
        to_grade = row.to_grade
        if from_grade not in rank:
            found.append(f"current grade {from_grade!r} is not on the grade order {order}")
        if to_grade not in rank:
            found.append(f"unknown grade {to_grade!r}; known grades {order}")
        notches = None
        if from_grade in rank and to_grade in rank:
            notches = rank[to_grade] - rank[from_grade]
            if abs(notches) > max_notches:
                found.append(f"{from_grade} -> {to_grade} moves {abs(notches)} notches, more than "
                             f"max_notches={max_notches}")
            if notches == 0:
                found.append(f"to_grade {to_grade!r} equals the current grade")
            if notches < 0 and (from_grade == default_grade or cid in knocked_out):
                found.append(f"{from_grade} is a default or knock-out rating; an override cannot upgrade it")
        if found:
            problems.extend((position, cid, p) for p in found)
            continue
        ts = getattr(row, "timestamp", None)
        ts = stamp if ts is None or (not isinstance(ts, str) and pd.isna(ts)) else pd.Timestamp(ts)
        records.append({"customer_id": lookup[cid], "from_grade": from_grade, "to_grade": to_grade,
                        "notches": int(notches), "reason": str(row.reason).strip(),
                        "author": str(row.author).strip(), "timestamp": ts})
    if problems:
        raise OverrideError(pd.DataFrame(problems, columns=["position", "customer_id", "problem"]))

    record_frame = pd.DataFrame(records, columns=OVERRIDE_RECORD_COLUMNS)
    record_frame["notches"] = record_frame["notches"].astype("int64")
    record_frame["timestamp"] = pd.to_datetime(record_frame["timestamp"]).astype("datetime64[ns]")
    for col in ("customer_id", "from_grade", "to_grade", "reason", "author"):
        record_frame[col] = record_frame[col].astype("str")
    new_grades = current.copy()
    if records:
        new_grades.loc[[r["customer_id"] for r in records]] = [r["to_grade"] for r in records]
    if isinstance(ratings, pd.Series):
        return new_grades, record_frame
    out = ratings.copy()
    out["grade"] = new_grades
    out["overridden"] = out.index.isin([r["customer_id"] for r in records])
    if "rule" in out.columns:
        out.loc[out["overridden"], "rule"] = "override"
    return out, record_frame
