"""The periodic credit review calendar (定期复审), tiered by grade.

Every grade belongs to one review tier with an interval in months (default, in the
``review:`` section of ``riskkit/configs/action_policy.yaml``: high risk monthly, medium
quarterly, low annually).  A customer's next review is its last review plus the interval,
or ``as_of`` if it was never reviewed (due now).

Month arithmetic (calendar months, as :class:`pandas.DateOffset`): the next review falls
on the same day of the month ``k`` months later; when that month is shorter, on its last
day.  So a review on 2024-01-31 with a monthly interval is next due on 2024-02-29, one on
2023-01-31 on 2023-02-28, and 2024-03-31 quarterly gives 2024-06-30.  Each date is computed
from the last review, so the day is not "restored" later (the review after 2024-02-29 is
due on 2024-03-29).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._core.config import CONFIG_DIR, Checker, read_yaml
from .._core.dates import check_as_of
from .policy_config import GRADES, LimitInputError, check_columns_present, grade_ranks

__all__ = ["ReviewTier", "ReviewPolicy", "load_review_policy", "next_review_dates", "overdue_reviews",
           "DEFAULT_ACTION_POLICY_PATH"]

DEFAULT_ACTION_POLICY_PATH = CONFIG_DIR / "action_policy.yaml"


@dataclass(frozen=True)
class ReviewTier:
    """A review tier: its grades and the review interval in calendar months."""

    name: str
    grades: tuple
    months: int


@dataclass(frozen=True)
class ReviewPolicy:
    """Review tiers covering every grade exactly once.

    Attributes
    ----------
    tiers : tuple of ReviewTier
        Most frequent first is customary but not required.
    grades : tuple of str
        The grade order (default S, AAA, ..., CCC, D).
    source : str
    """

    tiers: tuple
    grades: tuple = GRADES
    source: str = "<dict>"

    @classmethod
    def from_dict(cls, config: Mapping, source: str = "<dict>", entry: str = "review",
                  grades=GRADES) -> ReviewPolicy:
        """Validate a ``review:`` section: ``{tiers: [{name, grades, months}, ...]}``."""
        check = Checker(source, entry)
        config = check.mapping(config, entry)
        check.only(config, {"tiers"})
        raw_tiers = check.sequence(check.require(config, "tiers"), "tiers", min_len=1)
        tiers, seen = [], {}
        for i, raw in enumerate(raw_tiers):
            fld = f"tiers[{i}]"
            raw = check.mapping(raw, fld)
            check.only(raw, {"name", "grades", "months"}, fld)
            for key in ("name", "grades", "months"):
                if raw.get(key) is None:
                    check.fail(f"{fld}.{key}", "is required")
            name = check.text(raw["name"], f"{fld}.name")
            tier_grades = tuple(check.sequence(raw["grades"], f"{fld}.grades", min_len=1))
            for g in tier_grades:
                if g not in grades:
                    check.fail(f"{fld}.grades", f"unknown grade {g!r}; grades: {list(grades)}")
                if g in seen:
                    check.fail(f"{fld}.grades", f"grade {g!r} is already in tier {seen[g]!r}")
                seen[g] = name
            months = raw["months"]
            if isinstance(months, bool) or not isinstance(months, int) or months < 1:
                check.fail(f"{fld}.months", f"must be a whole number of months >= 1, got {months!r}")
            tiers.append(ReviewTier(name, tier_grades, months))
        names = [t.name for t in tiers]
        if len(set(names)) != len(names):
            check.fail("tiers", f"tier names must be distinct, got {names}")
        missing = [g for g in grades if g not in seen]
        if missing:
            check.fail("tiers", f"grade(s) {missing} are in no tier; every grade needs a review interval")
        return cls(tuple(tiers), tuple(grades), source)

    @classmethod
    def from_yaml(cls, path) -> ReviewPolicy:
        """The ``review:`` section of a YAML policy file (e.g. ``action_policy.yaml``)."""
        config, source = read_yaml(path)
        if "review" not in config:
            Checker(source, "<top level>").fail("review", "is required (the review calendar tiers)")
        return cls.from_dict(config["review"], source)

    @classmethod
    def default(cls) -> ReviewPolicy:
        return cls.from_yaml(DEFAULT_ACTION_POLICY_PATH)

    def tier_table(self) -> pd.DataFrame:
        """One row per grade: ``tier`` and ``months``."""
        rows = [(g, t.name, t.months) for t in self.tiers for g in t.grades]
        table = pd.DataFrame(rows, columns=["grade", "tier", "months"]).set_index("grade")
        return table.loc[list(self.grades)]


def load_review_policy(policy=None) -> ReviewPolicy:
    """A :class:`ReviewPolicy` from None (default), a ReviewPolicy, an ActionPolicy, a path or a mapping.

    A mapping may be the ``review:`` section itself or a whole policy holding one.
    """
    if policy is None:
        return ReviewPolicy.default()
    if isinstance(policy, ReviewPolicy):
        return policy
    review = getattr(policy, "review", None)
    if isinstance(review, ReviewPolicy):
        return review
    if isinstance(policy, (str, Path)):
        return ReviewPolicy.from_yaml(policy)
    if isinstance(policy, Mapping):
        return ReviewPolicy.from_dict(policy.get("review", policy))
    raise TypeError(f"policy must be None, a ReviewPolicy, an ActionPolicy, a YAML path or a mapping, "
                    f"got {type(policy).__name__}")


def _last_review_series(last_review, index: pd.Index, as_of: pd.Timestamp) -> pd.Series:
    if last_review is None:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if isinstance(last_review, pd.DataFrame):
        check_columns_present(last_review, ["last_review"], "last_review")
        last_review = last_review["last_review"]
    elif isinstance(last_review, Mapping):
        last_review = pd.Series(dict(last_review), dtype=object)
    if not isinstance(last_review, pd.Series):
        raise TypeError(f"last_review must be None, a Series/mapping customer_id -> date or a DataFrame with a "
                        f"'last_review' column, got {type(last_review).__name__}")
    if not last_review.index.is_unique:
        dup = last_review.index[last_review.index.duplicated()].unique()[:5].tolist()
        raise LimitInputError(f"last_review has duplicated customer ids, e.g. {dup}")
    extra = last_review.index.difference(index)
    if len(extra):
        raise LimitInputError(f"last_review has {len(extra)} customer(s) not in ratings, e.g. {extra[:5].tolist()}")
    try:
        dates = pd.to_datetime(last_review, errors="raise")
    except (TypeError, ValueError) as exc:
        raise LimitInputError(f"last_review holds values that are not dates: {exc}") from None
    if getattr(dates.dt, "tz", None) is not None:
        raise LimitInputError("last_review dates must be timezone-naive")
    dates = dates.astype("datetime64[ns]")
    timed = dates.notna() & (dates != dates.dt.normalize())
    if timed.any():
        raise LimitInputError(f"last_review must be calendar days; {int(timed.sum())} have a time of day, "
                              f"e.g. {dates.index[timed][:5].tolist()}")
    future = dates > as_of
    if future.any():
        raise LimitInputError(f"last_review is after as_of {as_of.date()} for {int(future.sum())} customer(s), "
                              f"e.g. {dates.index[future][:5].tolist()}")
    return dates.reindex(index)


def next_review_dates(ratings: pd.DataFrame, last_review=None, *, as_of, policy=None) -> pd.DataFrame:
    """The next periodic review of every rated customer.

    Parameters
    ----------
    ratings : DataFrame
        Indexed by ``customer_id`` with a ``grade`` column.
    last_review : Series, mapping or DataFrame, optional
        ``customer_id -> date`` of the last review (a DataFrame needs a ``last_review``
        column); customers absent or NaT were never reviewed.  Dates after ``as_of`` and
        customers not in ``ratings`` raise.
    as_of : date-like
        Today; a never-reviewed customer is due on it.
    policy : ReviewPolicy, ActionPolicy, path, mapping or None
        Review tiers (default: the ``review:`` section of ``action_policy.yaml``).

    Returns
    -------
    DataFrame indexed by ``customer_id``: ``grade``, ``tier``, ``interval_months``,
    ``last_review``, ``next_review`` (last review + interval in calendar months, clipped to
    the month end; ``as_of`` if never reviewed), ``never_reviewed`` and
    ``days_until_review`` (next_review - as_of in days; negative = overdue).  A customer
    without a grade has no tier and no next review (NaT).
    """
    as_of = check_as_of(as_of)
    review = load_review_policy(policy)
    check_columns_present(ratings, ["grade"], "ratings")
    if not ratings.index.is_unique:
        dup = ratings.index[ratings.index.duplicated()].unique()[:5].tolist()
        raise LimitInputError(f"ratings has duplicated customer ids, e.g. {dup}")
    grade_ranks(ratings["grade"], review.grades, what="ratings column 'grade'")
    table = review.tier_table()
    grade = ratings["grade"].astype(object)
    tier = grade.map(table["tier"])
    months = grade.map(table["months"]).astype("Int64")
    last = _last_review_series(last_review, ratings.index, as_of)
    next_review = pd.Series(pd.NaT, index=ratings.index, dtype="datetime64[ns]")
    for k in sorted(set(table["months"])):
        rows = (months == k).fillna(False).to_numpy(dtype=bool)
        if rows.any():
            # a vectorised calendar-month offset that clips to the month end
            next_review.iloc[rows] = (pd.DatetimeIndex(last.iloc[rows]) + pd.DateOffset(months=int(k))).astype(
                "datetime64[ns]")
    never = last.isna()
    graded = grade.notna()
    next_review = next_review.where(~(never & graded), as_of)
    out = pd.DataFrame({"grade": grade, "tier": tier, "interval_months": months, "last_review": last,
                        "next_review": next_review.astype("datetime64[ns]"), "never_reviewed": never.to_numpy()},
                       index=ratings.index)
    out["days_until_review"] = (out["next_review"] - as_of).dt.days.astype("Int64")
    out.index.name = "customer_id"
    return out


def overdue_reviews(calendar: pd.DataFrame, as_of) -> pd.DataFrame:
    """Reviews due on or before ``as_of``, most overdue first.

    Parameters
    ----------
    calendar : DataFrame
        From :func:`next_review_dates` (needs ``next_review``).
    as_of : date-like

    Returns
    -------
    The rows of ``calendar`` with ``next_review <= as_of`` plus ``days_overdue`` =
    ``as_of - next_review`` in days (0 = due today, e.g. never reviewed), sorted by
    ``days_overdue`` descending, then customer id.
    """
    as_of = check_as_of(as_of)
    check_columns_present(calendar, ["next_review"], "calendar")
    if not pd.api.types.is_datetime64_dtype(calendar["next_review"].dtype):
        raise LimitInputError(f"calendar column 'next_review' must hold dates, got dtype {calendar['next_review'].dtype}")
    due = (calendar["next_review"] <= as_of).fillna(False).to_numpy(dtype=bool)
    out = calendar.loc[due].copy()
    out["days_overdue"] = (as_of - out["next_review"]).dt.days.astype("int64")
    key = np.lexsort((out.index.astype(str).to_numpy(), -out["days_overdue"].to_numpy()))
    return out.iloc[key]
