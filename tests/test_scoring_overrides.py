"""Expert overrides: notch limit, reason/author, audit records, errors naming the override."""

from __future__ import annotations

import pandas as pd
import pytest

from riskkit.scoring import OverrideError, RatingRules, apply_overrides
from riskkit.scoring.overrides import OVERRIDE_RECORD_COLUMNS

NOW = pd.Timestamp("2024-05-31 12:00:00")


def ratings():
    return pd.DataFrame(
        {"grade": ["BBB", "A", "CCC", "S"], "rule": ["master_scale"] * 3 + ["whitelist_central_soe"]},
        index=pd.Index(["C1", "C2", "C3", "C4"], name="customer_id"),
    )


def test_valid_overrides_and_records():
    overrides = [
        {"customer_id": "C1", "to_grade": "BB", "reason": "late filings", "author": "analyst.li"},
        {"customer_id": "C3", "to_grade": "BB", "reason": "parent guarantee", "author": "cro.wang"},
        {"customer_id": "C4", "to_grade": "AA", "reason": "state share falling", "author": "analyst.li"},
    ]
    new, records = apply_overrides(ratings(), overrides, max_notches=2, now=NOW)
    assert list(new["grade"]) == ["BB", "A", "BB", "AA"]
    assert list(new["overridden"]) == [True, False, True, True]
    assert list(new["rule"]) == ["override", "master_scale", "override", "override"]
    assert list(records.columns) == OVERRIDE_RECORD_COLUMNS
    # order S, AAA, AA, A, BBB, BB, B, CCC, D: BBB->BB +1, CCC->BB -2 (upgrade), S->AA +2
    assert list(records["notches"]) == [1, -2, 2]
    assert list(records["customer_id"]) == ["C1", "C3", "C4"]
    assert (records["timestamp"] == NOW).all()
    assert str(records["timestamp"].dtype) == "datetime64[ns]"
    assert list(ratings()["grade"]) == ["BBB", "A", "CCC", "S"]  # input untouched


def test_series_input_and_own_timestamp():
    grades = ratings()["grade"]
    new, records = apply_overrides(
        grades,
        pd.DataFrame({"customer_id": ["C2"], "to_grade": ["AA"], "reason": ["audited"], "author": ["x"],
                      "timestamp": [pd.Timestamp("2024-01-02")]}),
        max_notches=1,
    )
    assert isinstance(new, pd.Series) and new["C2"] == "AA" and new["C1"] == "BBB"
    assert records["notches"].iloc[0] == -1
    assert records["timestamp"].iloc[0] == pd.Timestamp("2024-01-02")
    with pytest.raises(OverrideError, match="moves 2 notches"):
        apply_overrides(grades, {"customer_id": "C2", "to_grade": "AAA", "reason": "r", "author": "a"},
                        max_notches=1)


def test_violations_are_listed_together():
    overrides = [
        {"customer_id": "C1", "to_grade": "CCC", "reason": "x", "author": "a"},       # 3 notches
        {"customer_id": "C2", "to_grade": "AA", "reason": "  ", "author": "a"},      # empty reason
        {"customer_id": "C9", "to_grade": "A", "reason": "x", "author": "a"},        # unknown customer
        {"customer_id": "C3", "to_grade": "Z+", "reason": "x", "author": None},      # grade + author
    ]
    with pytest.raises(OverrideError) as info:
        apply_overrides(ratings(), overrides, max_notches=2, now=NOW)
    problems = info.value.problems
    message = str(info.value)
    assert set(problems["customer_id"]) == {"C1", "C2", "C9", "C3"}
    assert "moves 3 notches" in message and "max_notches=2" in message
    assert "reason is empty" in message
    assert "unknown customer" in message
    assert "unknown grade 'Z+'" in message and "author is empty" in message


def test_duplicates_and_bad_arguments():
    twice = [{"customer_id": "C1", "to_grade": "BB", "reason": "x", "author": "a"}] * 2
    with pytest.raises(OverrideError, match="more than one override"):
        apply_overrides(ratings(), twice, now=NOW)
    with pytest.raises(KeyError, match="author"):
        apply_overrides(ratings(), [{"customer_id": "C1", "to_grade": "BB", "reason": "x"}], now=NOW)
    with pytest.raises(ValueError, match="max_notches"):
        apply_overrides(ratings(), [], max_notches=-1)


def test_works_on_rating_rules_output():
    profile = pd.DataFrame(
        {"events_bankruptcy_365d": [0], "current_dpd": [0], "ownership_type": ["private"],
         "state_ownership_pct": [0.0], "events_enforcement_365d": [0], "altman_zone": ["safe"], "pd": [0.02]},
        index=pd.Index(["C7"], name="customer_id"),
    )
    rated = RatingRules.default().apply(profile)
    new, records = apply_overrides(rated, {"customer_id": "C7", "to_grade": "BB", "reason": "r", "author": "a"},
                                   now=NOW)
    assert rated.loc["C7", "grade"] == "BBB" and new.loc["C7", "grade"] == "BB"
    assert new.loc["C7", "rule"] == "override" and records["from_grade"].iloc[0] == "BBB"


def test_a_default_or_knockout_cannot_be_upgraded():
    ratings = pd.DataFrame({"grade": ["D", "BB", "CCC"], "knockout": [False, False, True]},
                           index=pd.Index(["C1", "C2", "C3"], name="customer_id"))
    request = [{"customer_id": "C1", "to_grade": "CCC", "reason": "paid since", "author": "amy"},
               {"customer_id": "C3", "to_grade": "B", "reason": "litigation settled", "author": "amy"}]
    with pytest.raises(OverrideError) as info:
        apply_overrides(ratings, request, now="2024-01-01")
    assert "override #0 (customer_id=C1): D is a default or knock-out rating" in str(info.value)
    assert "override #1 (customer_id=C3): CCC is a default or knock-out rating" in str(info.value)
    # a downgrade of a knock-out is still allowed
    out, records = apply_overrides(ratings, [{"customer_id": "C3", "to_grade": "D", "reason": "fraud",
                                              "author": "amy"}], now="2024-01-01")
    assert out.loc["C3", "grade"] == "D" and records.loc[0, "notches"] == 1
