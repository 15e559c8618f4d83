"""recommend_limits: a hand-computed book under a small policy, then the default policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskkit import ConfigError
from riskkit.limits import LimitInputError, recommend_limits
from riskkit.scoring import MasterScale

POLICY = {
    "name": "test_policy",
    "methods": {
        "net_worth": {"share": 0.2},
        "monthly_sales": {"share": 1.0},
        "needs": {},
    },
    "caps": {"absolute": 1_000_000, "by_grade": {"CCC": 100_000}, "by_ownership": {"individual": 50_000},
             "seller_sales_share": 0.02},
    "floors": {"by_grade": {"S": 200_000}},
    "seller_annual_sales": 100_000_000,      # concentration cap 0.02 x 100 m = 2 m
    "rounding": 0,
}

IDS = ["M1", "CAP_GRADE", "TIE_OWNER", "WHITELIST", "KO", "NODATA", "ABS", "O3", "O2", "DOWN"]


def hand_book():
    """Ten customers; the expected numbers are worked out in the comments of each test."""
    idx = pd.Index(IDS, name="customer_id")
    profile = pd.DataFrame({
        "equity":                [3e6,  1e7,  np.nan, 1e6,  5e6,  np.nan, 1e8,   2e6,   2e6,   2e6],
        "credit_sales_365d":     [1.2e7, 6e6, 1.2e6,  0.0,  6e6,  np.nan, 1.2e8, 1.2e7, 1.2e7, 1.2e7],
        "payment_terms_days":    [30,   60,   30,     30,   30,   30,     30,    30,    30,    30],
        "avg_days_beyond_terms": [6.0,  0.0,  0.0,    0.0,  0.0,  0.0,    0.0,   0.0,   0.0,   0.0],
        "ownership_type": ["private", "private", "individual", "central_soe", "private", "private", "private",
                           "private", "private", "private"],
        "credit_limit": [1e6, 2e5, 1e5, 5e5, 3e5, 0.0, 1e6, 4e5, 4e5, 4e5],
    }, index=idx)
    master = MasterScale.default()
    grade = ["BB", "CCC", "A", "S", "D", "AA", "AAA", "AAA", "AAA", "B"]
    pd_ = [0.02, 0.4, 0.002, 0.85, 0.5, 0.001, 0.0005, 0.01, 0.004, 0.0005]
    ratings = pd.DataFrame({
        "grade": grade,
        # the statistical grade of each PD on the default master scale (an independent reference)
        "pd_grade": [master.grade(p) for p in pd_],
        "pd": pd_,
        "knockout": [False, False, False, False, True, False, False, False, False, False],
        "whitelist": [False, False, False, True, False, False, False, False, False, False],
        "rule": ["master_scale"] * 3 + ["whitelist_central_soe", "knockout_dpd90"] + ["master_scale"] * 5,
        "credit_limit": profile["credit_limit"].to_numpy(),
    }, index=idx)
    return profile, ratings


@pytest.fixture(scope="module")
def result():
    profile, ratings = hand_book()
    return recommend_limits(profile, ratings, POLICY)


def test_master_scale_reference_grades():
    # the review cases rely on these statistical grades
    master = MasterScale.default()
    assert master.grade(0.85) == "CCC"
    assert master.grade(0.01) == "BBB"      # AAA given: 3 notches better
    assert master.grade(0.004) == "A"       # AAA given: 2 notches better


def test_method_bound_customer(result):
    row = result.loc["M1"]
    # net worth 0.2 x 3 m = 600 k; monthly sales 12 m / 12 = 1 m; needs 1 m x (30 + 6) / 30 = 1.2 m
    assert (row["limit_net_worth"], row["limit_monthly_sales"], row["limit_needs"]) == \
        pytest.approx((600_000.0, 1_000_000.0, 1_200_000.0))
    assert row["recommended_limit"] == pytest.approx(600_000.0)
    assert row["binding_method"] == "net_worth" and row["binding_constraint"] == "net_worth"
    assert row["reason"] == "Limit 600 k bound by % of net worth (20 % of equity 3.0 m); grade BB"
    # current 1 m -> change -400 k = -40 %
    assert row["current_limit"] == 1e6 and row["change"] == pytest.approx(-400_000.0)
    assert row["change_pct"] == pytest.approx(-0.4)
    assert not row["review_flag"] and pd.isna(row["review_reason"])


def test_grade_cap(result):
    row = result.loc["CAP_GRADE"]
    # 2 m, 500 k, 500 k x 60 / 30 = 1 m -> 500 k (monthly sales); grade cap CCC 100 k binds
    assert row["method_limit"] == pytest.approx(500_000.0) and row["binding_method"] == "monthly_sales"
    assert row["recommended_limit"] == pytest.approx(100_000.0)
    assert row["binding_constraint"] == "cap_grade"
    assert row["reason"].startswith("Limit 100 k set by the cap for grade CCC (100 k) (the methods gave 500 k, "
                                    "bound by % of monthly sales")
    # current 200 k -> -50 %
    assert row["change_pct"] == pytest.approx(-0.5)


def test_tie_goes_to_first_method_and_ownership_cap(result):
    row = result.loc["TIE_OWNER"]
    # no equity (skipped); monthly sales 1.2 m / 12 = 100 k; needs 100 k x 30 / 30 = 100 k: a tie,
    # resolved to the method listed first; the ownership cap for individuals (50 k) binds
    assert np.isnan(row["limit_net_worth"])
    assert row["limit_monthly_sales"] == pytest.approx(row["limit_needs"])
    assert row["binding_method"] == "monthly_sales"
    assert row["recommended_limit"] == pytest.approx(50_000.0) and row["binding_constraint"] == "cap_ownership"
    assert row["reason"].endswith("grade A; no data for % of net worth")


def test_whitelisted_s_with_pd_085_is_floored_and_flagged(result):
    row = result.loc["WHITELIST"]
    # methods: 200 k, 0, 0 -> 0; the floor for S (200 k) lifts it; 0.85 -> CCC, S -> CCC is 7 notches
    assert row["method_limit"] == 0.0
    assert row["recommended_limit"] == pytest.approx(200_000.0) and row["binding_constraint"] == "floor_grade"
    assert row["review_flag"]
    assert row["review_reason"] == ("grade S (whitelist, rule whitelist_central_soe) is 7 notches better than the "
                                    "PD grade CCC (PD 85.0 %): review before relying on it")


def test_knockout_and_no_data(result):
    ko = result.loc["KO"]
    assert ko["recommended_limit"] == 0.0 and ko["binding_constraint"] == "knockout"
    assert pd.isna(ko["binding_method"])
    assert ko["reason"] == "No limit: knock-out (rule knockout_dpd90); grade D"
    assert not ko["review_flag"]             # D is worse than the PD grade: conservative, not flagged
    nodata = result.loc["NODATA"]
    assert np.isnan(nodata["recommended_limit"]) and nodata["binding_constraint"] == "no_data"
    assert nodata["reason"].startswith("No limit computed: no method had data (% of net worth: no equity data;")
    assert nodata["review_flag"] and "manual assessment" in nodata["review_reason"]
    assert np.isnan(nodata["change_pct"])    # current limit 0


def test_absolute_cap_below_concentration_cap(result):
    row = result.loc["ABS"]
    # methods 20 m, 10 m, 10 m; caps: absolute 1 m, concentration 2 m -> the absolute cap binds
    assert row["recommended_limit"] == pytest.approx(1_000_000.0) and row["binding_constraint"] == "cap_absolute"


def test_override_review_boundary_three_notches(result):
    # AAA given where the PD says BBB: exactly 3 notches -> flagged; AAA vs A: 2 notches -> not
    assert result.loc["O3", "review_flag"]
    assert "is 3 notches better than the PD grade BBB (PD 1.0 %)" in result.loc["O3", "review_reason"]
    assert not result.loc["O2", "review_flag"]
    # grade B where the PD says AAA: worse than the statistics, conservative, not flagged
    assert not result.loc["DOWN", "review_flag"]


def test_columns_and_order(result):
    assert list(result.index) == IDS and result.index.name == "customer_id"
    assert list(result.columns) == [
        "grade", "current_limit", "recommended_limit", "change", "change_pct", "binding_method",
        "binding_constraint", "method_limit", "limit_net_worth", "limit_monthly_sales", "limit_needs", "reason",
        "review_flag", "review_reason", "approval_level", "approval_reason", "note_net_worth",
        "note_monthly_sales", "note_needs"]
    assert result["review_flag"].dtype == bool


def test_on_missing_zero_and_rounding():
    profile, ratings = hand_book()
    policy = {**POLICY, "on_missing": "zero", "rounding": 1000}
    out = recommend_limits(profile, ratings, policy)
    # TIE_OWNER: missing equity counts 0 -> net worth binds at 0, ownership cap is above it
    row = out.loc["TIE_OWNER"]
    assert row["recommended_limit"] == 0.0 and row["binding_method"] == "net_worth"
    assert row["note_net_worth"] == "no equity data (no data: counted as 0)"
    # M1 with equity 3,333,333: 0.2 x = 666,666.6 -> rounded down to 666,000
    profile.loc["M1", "equity"] = 3_333_333.0
    out = recommend_limits(profile, ratings, policy)
    assert out.loc["M1", "recommended_limit"] == 666_000.0


def test_default_policy_invariants():
    """Under the default policy: recompute the min over methods and the caps independently."""
    profile, ratings = hand_book()
    profile["revenue"] = [5e7, 2e8, 1e6, 3e9, 1e7, np.nan, 5e9, 1e7, 1e7, 1e7]
    profile["order_to_invoice_days"] = [20.0, 10.0, 15.0, 0.0, 5.0, np.nan, 30.0, np.nan, 25.0, 20.0]
    profile["relationship_age_years"] = [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 0.5, 5.0]
    ratings["grade_pd"] = [0.02, 0.2, 0.002, np.nan, 1.0, 0.001, 0.0005, 0.0005, 0.0005, 0.1]
    out = recommend_limits(profile, ratings)
    method_cols = [c for c in out.columns if c.startswith("limit_")]
    assert method_cols == ["limit_net_worth", "limit_working_capital", "limit_monthly_sales", "limit_needs",
                           "limit_matrix", "limit_el_budget", "limit_profit"]
    expected_min = out[method_cols].min(axis=1, skipna=True)
    np.testing.assert_allclose(out["method_limit"], expected_min, equal_nan=True)
    plain = out["binding_constraint"] == out["binding_method"]
    # plain rows: the min over methods rounded down to 10 k
    np.testing.assert_allclose(out.loc[plain, "recommended_limit"],
                               np.floor(out.loc[plain, "method_limit"] / 10_000) * 10_000)
    # nothing exceeds the absolute cap (50 m), the concentration cap (5 % of 3 bn) or the grade caps
    assert (out["recommended_limit"].dropna() <= 50e6).all()
    assert out.loc["CAP_GRADE", "recommended_limit"] <= 300_000
    assert out.loc["KO", "recommended_limit"] == 0.0
    assert out.loc["WHITELIST", "review_flag"]
    # policy v1.1: the balance-sheet methods apply to grades BB, B, CCC only, so the grade-A
    # customer without equity is not "missing data" for them: they are left out, and said so
    row = out.loc["TIE_OWNER"]
    assert row["grade"] == "A"
    assert "no data for" not in row["reason"]
    assert row["note_net_worth"] == "not applied to grade A"
    assert np.isnan(row["limit_net_worth"]) and np.isnan(row["limit_monthly_sales"])
    # needs-based by hand (policy v1.2 counts the days an order stays open, which are exposure too):
    # 1.2 m a year / 12 = 100 k a month x (15 order to invoice + 30 terms + 0) / 30 x 1.5 peak factor = 225 k
    assert row["limit_needs"] == pytest.approx(225_000)
    assert row["note_needs"] == ("monthly purchases 100 k x (15 days order to invoice + 30 days terms + 0 days "
                                 "beyond terms) / 30 x 1.5 peak factor")
    # O3 has no fulfilled order in the year: 0 days assumed, and said so
    # 12 m / 12 = 1 m x (0 + 30 + 0) / 30 x 1.5 = 1.5 m
    assert out.loc["O3", "limit_needs"] == pytest.approx(1_500_000)
    assert out.loc["O3", "note_needs"].endswith("(no order fulfilled in the last year: 0 days order to invoice "
                                                 "assumed)")
    # O2 has been a customer for half a year (182.625 days): its 12 m were bought in that time,
    # 12 m x 365 / 182.625 = 23.98 m a year; / 12 = 1.998 m x (25 + 30 + 0) / 30 x 1.5 = 5.495 m
    assert out.loc["O2", "limit_needs"] == pytest.approx(12e6 * 365 / 182.625 / 12 * 55 / 30 * 1.5)
    assert "(12.0 m bought in 183 days as a customer, scaled to a year)" in out.loc["O2", "note_needs"]


# --------------------------------------------------------------------------- bad inputs
def test_missing_ratings_columns_are_named():
    profile, ratings = hand_book()
    with pytest.raises(LimitInputError, match=r"ratings lacks column\(s\) \['pd_grade'\]"):
        recommend_limits(profile, ratings.drop(columns="pd_grade"), POLICY)


def test_unknown_grades_are_named():
    profile, ratings = hand_book()
    ratings.loc["M1", "grade"] = "A+"
    with pytest.raises(LimitInputError, match=r"'grade' has unknown grade\(s\) \['A\+'\]"):
        recommend_limits(profile, ratings, POLICY)
    profile, ratings = hand_book()
    ratings.loc["M1", "pd_grade"] = "E"
    with pytest.raises(LimitInputError, match=r"'pd_grade' has unknown grade\(s\) \['E'\]"):
        recommend_limits(profile, ratings, POLICY)


def test_customers_missing_from_profile_and_duplicates():
    profile, ratings = hand_book()
    with pytest.raises(LimitInputError, match=r"1 rated customer\(s\) are not in the profile, e.g. \['M1'\]"):
        recommend_limits(profile.drop(index="M1"), ratings, POLICY)
    with pytest.raises(LimitInputError, match="duplicated customer ids"):
        recommend_limits(profile, pd.concat([ratings, ratings.iloc[:1]]), POLICY)
    with pytest.raises(TypeError, match="profile must be a DataFrame"):
        recommend_limits(profile.to_dict(), ratings, POLICY)


def test_no_current_limit_anywhere():
    profile, ratings = hand_book()
    with pytest.raises(LimitInputError, match="credit_limit"):
        recommend_limits(profile.drop(columns="credit_limit"), ratings.drop(columns="credit_limit"), POLICY)


def test_policy_column_absent_is_config_error():
    profile, ratings = hand_book()
    with pytest.raises(ConfigError, match=r"<dict>: methods.net_worth: field 'column': column 'equity'"):
        recommend_limits(profile.drop(columns="equity"), ratings, POLICY)


def test_empty_book():
    profile, ratings = hand_book()
    out = recommend_limits(profile.iloc[:0], ratings.iloc[:0], POLICY)
    assert len(out) == 0 and "recommended_limit" in out.columns


def test_method_restricted_to_grades_is_left_out_not_zero():
    """A method with `grades:` is out of the minimum for other grades, even under on_missing zero."""
    profile, ratings = hand_book()
    methods = {k: dict(v or {}) for k, v in POLICY["methods"].items()}
    methods["net_worth"]["grades"] = ["BB", "B", "CCC"]
    out = recommend_limits(profile, ratings, {**POLICY, "methods": methods, "on_missing": "zero", "rounding": 1000})
    row = out.loc["TIE_OWNER"]  # grade A, no equity: zero would bind at 0 were net worth applied
    assert row["grade"] == "A"
    assert row["binding_method"] != "net_worth" and row["recommended_limit"] > 0
    assert np.isnan(row["limit_net_worth"]) and row["note_net_worth"] == "not applied to grade A"
    # the min runs over the remaining methods only
    others = [c for c in ("limit_monthly_sales", "limit_needs") if c in out.columns]
    assert row["method_limit"] == pytest.approx(min(row[c] for c in others))
