"""The review calendar: hand-built dates with the month-end rule written out.

Rule (calendar months, pandas.DateOffset): the next review is the same day of the month k
months later, or the last day of that month when it is shorter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskkit import ConfigError
from riskkit.limits import (
    ActionPolicy,
    LimitInputError,
    ReviewPolicy,
    next_review_dates,
    overdue_reviews,
)

AS_OF = "2024-04-15"


def ratings(grades):
    return pd.DataFrame({"grade": grades}, index=pd.Index([f"C{i}" for i in range(1, len(grades) + 1)],
                                                         name="customer_id"))


def test_default_tiers():
    table = ReviewPolicy.default().tier_table()
    # high risk monthly, medium quarterly, low annually
    assert table.loc[["B", "CCC", "D"], "months"].tolist() == [1, 1, 1]
    assert table.loc[["BBB", "BB"], "months"].tolist() == [3, 3]
    assert table.loc[["S", "AAA", "AA", "A"], "months"].tolist() == [12] * 4
    assert ActionPolicy.default().review == ReviewPolicy.default()


def test_month_end_arithmetic_by_hand():
    r = ratings(["CCC", "CCC", "BB", "BB", "AA", "AA", "B", "BBB"])
    last = pd.Series({
        "C1": "2024-01-31",   # monthly: February 2024 has 29 days -> 2024-02-29
        "C2": "2023-01-31",   # monthly: February 2023 has 28 days -> 2023-02-28
        "C3": "2024-03-31",   # quarterly: June has 30 days -> 2024-06-30
        "C4": "2023-11-30",   # quarterly: February 2024 -> 2024-02-29
        "C5": "2023-02-28",   # annually -> 2024-02-28 (the 28th exists, nothing to clip)
        "C6": "2023-04-15",   # annually -> 2024-04-15, due today
        "C7": "2024-03-15",   # monthly -> 2024-04-15, due today
        # C8 never reviewed -> due on as_of
    })
    cal = next_review_dates(r, last, as_of=AS_OF)
    expected = pd.to_datetime(["2024-02-29", "2023-02-28", "2024-06-30", "2024-02-29", "2024-02-28",
                               "2024-04-15", "2024-04-15", "2024-04-15"])
    assert cal["next_review"].tolist() == list(expected)
    assert cal["next_review"].dtype == "datetime64[ns]"
    assert cal["tier"].tolist() == ["high", "high", "medium", "medium", "low", "low", "high", "medium"]
    assert cal["never_reviewed"].tolist() == [False] * 7 + [True]
    # days until review: 2024-02-29 -> 2024-04-15 is 31 (to Mar 31) + 15 = 46 days overdue
    # 2023-02-28 -> 2024-04-15: 365 (to 2024-02-28; the leap day 2024-02-29 comes after it) + 47 = 412
    # 2024-06-30 is 15 (rest of April) + 31 + 30 = 76 days ahead; 2024-02-28 is 47 days back
    assert cal["days_until_review"].tolist() == [-46, -412, 76, -46, -47, 0, 0, 0]


def test_overdue_reviews_sorted_with_days_overdue():
    r = ratings(["CCC", "CCC", "BB", "BB", "AA", "AA", "B", "BBB"])
    last = {"C1": "2024-01-31", "C2": "2023-01-31", "C3": "2024-03-31", "C4": "2023-11-30",
            "C5": "2023-02-28", "C6": "2023-04-15", "C7": "2024-03-15"}
    cal = next_review_dates(r, last, as_of=AS_OF)
    due = overdue_reviews(cal, AS_OF)
    # C3 (due in June) is not listed; ties (46 days: C1, C4; 0 days: C6, C7, C8) by customer id
    assert due.index.tolist() == ["C2", "C5", "C1", "C4", "C6", "C7", "C8"]
    assert due["days_overdue"].tolist() == [412, 47, 46, 46, 0, 0, 0]
    later = overdue_reviews(cal, "2024-07-01")
    assert "C3" in later.index and later.loc["C3", "days_overdue"] == 1


def test_chained_reviews_do_not_restore_the_day():
    r = ratings(["CCC"])
    first = next_review_dates(r, {"C1": "2024-01-31"}, as_of="2024-03-31")["next_review"].iloc[0]
    second = next_review_dates(r, {"C1": first}, as_of="2024-03-31")["next_review"].iloc[0]
    assert (first, second) == (pd.Timestamp("2024-02-29"), pd.Timestamp("2024-03-29"))


def test_custom_tiers_from_mapping_and_dataframe_input():
    policy = {"review": {"tiers": [{"name": "watch", "grades": ["B", "CCC", "D"], "months": 2},
                                   {"name": "rest", "grades": ["S", "AAA", "AA", "A", "BBB", "BB"], "months": 6}]}}
    r = ratings(["B", "A"])
    last = pd.DataFrame({"last_review": pd.to_datetime(["2023-12-31", "2023-08-31"])}, index=["C1", "C2"])
    cal = next_review_dates(r, last, as_of=AS_OF, policy=policy)
    # 2023-12-31 + 2 months -> February 2024 -> 2024-02-29; 2023-08-31 + 6 months -> 2024-02-29
    assert cal["next_review"].tolist() == [pd.Timestamp("2024-02-29")] * 2
    assert cal["interval_months"].tolist() == [2, 6]


def test_missing_grade_gets_no_date():
    cal = next_review_dates(ratings(["BB", None]), as_of=AS_OF)
    assert cal.loc["C1", "next_review"] == pd.Timestamp(AS_OF)
    assert pd.isna(cal.loc["C2", "next_review"]) and pd.isna(cal.loc["C2", "tier"])
    assert overdue_reviews(cal, AS_OF).index.tolist() == ["C1"]


# --------------------------------------------------------------------------- bad inputs
def test_bad_last_review():
    r = ratings(["BB", "A"])
    with pytest.raises(LimitInputError, match="after as_of 2024-04-15"):
        next_review_dates(r, {"C1": "2024-05-01"}, as_of=AS_OF)
    with pytest.raises(LimitInputError, match=r"not in ratings, e.g. \['ZZ'\]"):
        next_review_dates(r, {"ZZ": "2024-01-01"}, as_of=AS_OF)
    with pytest.raises(LimitInputError, match="not dates"):
        next_review_dates(r, {"C1": "last spring"}, as_of=AS_OF)
    with pytest.raises(LimitInputError, match="time of day"):
        next_review_dates(r, {"C1": "2024-01-01 10:30"}, as_of=AS_OF)
    with pytest.raises(LimitInputError, match=r"last_review lacks column\(s\) \['last_review'\]"):
        next_review_dates(r, pd.DataFrame({"date": ["2024-01-01"]}, index=["C1"]), as_of=AS_OF)
    with pytest.raises(TypeError, match="last_review must be"):
        next_review_dates(r, ["2024-01-01"], as_of=AS_OF)


def test_bad_ratings_and_as_of():
    with pytest.raises(LimitInputError, match=r"unknown grade\(s\) \['AAAA'\]"):
        next_review_dates(ratings(["AAAA"]), as_of=AS_OF)
    with pytest.raises(LimitInputError, match=r"lacks column\(s\) \['grade'\]"):
        next_review_dates(pd.DataFrame({"pd": [0.1]}), as_of=AS_OF)
    with pytest.raises(ValueError, match="calendar day"):
        next_review_dates(ratings(["BB"]), as_of="2024-04-15 12:00")
    with pytest.raises(TypeError):
        next_review_dates(ratings(["BB"]))       # as_of is required
    with pytest.raises(LimitInputError, match="must hold dates"):
        overdue_reviews(pd.DataFrame({"next_review": ["2024-01-01"]}), AS_OF)


@pytest.mark.parametrize("tiers, field, problem", [
    ([{"name": "all", "grades": ["S", "AAA", "AA", "A", "BBB", "BB", "B", "CCC"], "months": 1}], "tiers",
     "['D'] are in no tier"),
    ([{"name": "a", "grades": ["S", "AAA", "AA", "A", "BBB"], "months": 12},
      {"name": "b", "grades": ["BBB", "BB", "B", "CCC", "D"], "months": 1}], "tiers[1].grades",
     "'BBB' is already in tier 'a'"),
    ([{"name": "a", "grades": ["S", "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "D", "E"], "months": 1}],
     "tiers[0].grades", "unknown grade 'E'"),
    ([{"name": "a", "grades": ["S", "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "D"], "months": 0}],
     "tiers[0].months", ">= 1"),
    ([{"name": "a", "grades": ["S", "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "D"], "months": 1.5}],
     "tiers[0].months", "whole number"),
    ([{"name": "a", "grades": ["S", "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "D"]}], "tiers[0].months",
     "is required"),
    ([], "tiers", "at least 1"),
])
def test_bad_review_policy(tiers, field, problem):
    with pytest.raises(ConfigError) as info:
        next_review_dates(ratings(["BB"]), as_of=AS_OF, policy={"review": {"tiers": tiers}})
    assert (info.value.entry, info.value.field) == ("review", field)
    assert problem in info.value.problem


def test_review_section_required_in_a_yaml_file(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="field 'review': is required"):
        next_review_dates(ratings(["BB"]), as_of=AS_OF, policy=path)


def test_many_customers_vectorised():
    rng = np.random.default_rng(0)
    grades = rng.choice(["AAA", "BB", "CCC"], size=20_000)
    r = pd.DataFrame({"grade": grades}, index=pd.Index([f"C{i}" for i in range(20_000)]))
    last = pd.Series(pd.Timestamp("2024-01-31") - pd.to_timedelta(rng.integers(0, 300, 20_000), unit="D"),
                     index=r.index)
    cal = next_review_dates(r, last, as_of=AS_OF)
    months = cal["interval_months"].to_numpy(dtype=int)
    # independent reference: pure-Python month arithmetic with calendar clipping
    import calendar

    def add_months(ts, k):
        y, m = divmod(ts.month - 1 + k, 12)
        year, month = ts.year + y, m + 1
        return pd.Timestamp(year, month, min(ts.day, calendar.monthrange(year, month)[1]))

    sample = rng.choice(len(r), size=300, replace=False)
    for i in sample:
        assert cal["next_review"].iloc[i] == add_months(last.iloc[i], int(months[i]))
