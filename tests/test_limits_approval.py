"""Approval authority of recommended limits: a hand-made book where every level is hit.

Policy: one method, monthly sales (limit = credit_sales_365d / 12, worked out per customer
below), and a rating x size matrix with one band applied to BB/B/CCC only, so that the
investment grades can exceed their matrix amount.  Levels: analyst up to 1 m, manager up to
5 m, committee above; a limit above its matrix amount needs at least the manager.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

from riskkit import ConfigError
from riskkit.limits import LimitPolicy, recommend_limits
from riskkit.limits.policy_config import ApprovalAuthority, ApprovalLevel

APPROVAL = {
    "levels": [{"name": "analyst", "up_to": 1_000_000}, {"name": "manager", "up_to": 5_000_000},
               {"name": "committee"}],
    "above_matrix": "manager",
}

POLICY = {
    "name": "approval_test",
    "methods": {
        "monthly_sales": {"share": 1.0},
        "matrix": {"grades": ["BB", "B", "CCC"], "size_column": "revenue",
                   "bands": [{"name": "all", "lower": 0, "upper": None}],
                   "cells": {"S": [10e6], "AAA": [4e6], "AA": [2e6], "A": [500_000], "BBB": [500_000],
                             "BB": [300_000], "B": [100_000], "CCC": [0]}},
    },
    "rounding": 0,
    "approval": APPROVAL,
}

A_MATRIX = "above the rating x size matrix (grade A, all revenue band (0 and above): 500 k)"

# id: (grade, credit_sales_365d, knockout, expected level, expected reason); limit = sales / 12
CASES = {
    "AN":    ("AA", 6e6, False, "analyst", "amount 500 k within analyst's 1.0 m"),        # 500 k <= 1 m; AA matrix 2 m
    "EDGE":  ("AA", 12e6, False, "analyst", "amount 1.0 m within analyst's 1.0 m"),       # exactly up_to: covered
    "MGR":   ("AAA", 36e6, False, "manager", "amount 3.0 m above analyst's 1.0 m"),       # 3 m; AAA matrix 4 m
    "COM":   ("S", 96e6, False, "committee", "amount 8.0 m above manager's 5.0 m"),       # 8 m; S matrix 10 m
    # 800 k is analyst by amount, but above A's matrix 500 k: manager, for the matrix alone
    "MX1":   ("A", 9.6e6, False, "manager", A_MATRIX),
    # 4 m: manager by amount and by the matrix: both said
    "MX2":   ("A", 48e6, False, "manager", "amount 4.0 m above analyst's 1.0 m; " + A_MATRIX),
    # 6 m: committee by amount, above the AAA matrix 4 m too, which needs only the manager
    "MX3":   ("AAA", 72e6, False, "committee", "amount 6.0 m above manager's 5.0 m"),
    "BB1":   ("BB", 12e6, False, "analyst", "amount 300 k within analyst's 1.0 m"),       # min(1 m, matrix 300 k)
    # no revenue: checked against the smallest band (here the one band): 800 k above A's 500 k
    "NOREV": ("A", 9.6e6, False, "manager", "above the rating x size matrix (no revenue data: the smallest band "
              "taken, grade A, all revenue band (0 and above): 500 k)"),
    "NOREV2": ("AA", 6e6, False, "analyst", "amount 500 k within analyst's 1.0 m"),       # 500 k <= AA's 2 m
    # a revenue outside every band has no cell: the matrix cannot be checked, so it escalates
    "OUTSIDE": ("AA", 6e6, False, "manager", "the rating x size matrix cannot be checked (revenue -1 outside "
                "the matrix bands)"),
    "D1":    ("D", 12e6, False, None, None),                                             # default grade: 0
    "KO":    ("BBB", 12e6, True, None, None),                                            # knock-out: 0
    "ZERO":  ("CCC", 12e6, False, None, None),                                           # CCC matrix 0: limit 0
    "NODATA": ("BBB", np.nan, False, None, None),                                        # no method had data
}


def book(current=None):
    idx = pd.Index(list(CASES), name="customer_id")
    grade = [c[0] for c in CASES.values()]
    revenue = [np.nan if i.startswith("NOREV") else -1.0 if i == "OUTSIDE" else 50e6 for i in idx]
    profile = pd.DataFrame({"credit_sales_365d": [c[1] for c in CASES.values()], "revenue": revenue}, index=idx)
    ratings = pd.DataFrame({"grade": grade, "pd_grade": grade, "knockout": [c[2] for c in CASES.values()],
                            "credit_limit": np.full(len(idx), np.nan) if current is None else current}, index=idx)
    return profile, ratings


def test_levels_and_reasons_by_hand():
    out = recommend_limits(*book(), POLICY)
    # the limits the levels rest on, by hand (sales / 12, BB1 at its matrix cell)
    assert out.loc["MX1", "recommended_limit"] == pytest.approx(800_000)
    assert out.loc["BB1", "recommended_limit"] == pytest.approx(300_000)
    assert out.loc["ZERO", "recommended_limit"] == 0 and math.isnan(out.loc["NODATA", "recommended_limit"])
    for cid, (_, _, _, level, reason) in CASES.items():
        assert out.loc[cid, "approval_level"] == level, cid
        assert out.loc[cid, "approval_reason"] == reason, cid
    assert out["approval_level"].dtype == object and out["approval_reason"].dtype == object


def test_increase_only():
    policy = copy.deepcopy(POLICY)
    policy["approval"]["increase_only"] = True
    current = np.full(len(CASES), np.nan)               # no current limit: a new limit, approved as usual
    ids = list(CASES)
    current[ids.index("MGR")] = 3e6                     # 3 m recommended = current: no increase
    current[ids.index("COM")] = 9e6                     # 8 m < 9 m: a cut
    current[ids.index("MX3")] = 1e6                     # 6 m > 1 m: a raise, committee
    out = recommend_limits(*book(current), policy)
    assert out.loc["MGR", "approval_level"] is None
    assert out.loc["MGR", "approval_reason"] == "no increase over the current limit 3.0 m: no approval needed"
    assert out.loc["COM", "approval_level"] is None
    assert out.loc["COM", "approval_reason"] == "no increase over the current limit 9.0 m: no approval needed"
    assert out.loc["MX3", "approval_level"] == "committee"
    assert out.loc["AN", "approval_level"] == "analyst"
    assert out.loc["D1", "approval_reason"] is None


def test_missing_section_is_one_standard_level():
    policy = {k: v for k, v in POLICY.items() if k != "approval"}
    assert LimitPolicy.from_dict(policy).approval == ApprovalAuthority((ApprovalLevel("standard", math.inf),))
    out = recommend_limits(*book(), policy)
    assert out.loc["COM", "approval_level"] == "standard"
    assert out.loc["COM", "approval_reason"] == "amount 8.0 m: the policy has one approval level"
    # no matrix escalation without the section
    assert out.loc["MX1", "approval_reason"] == "amount 800 k: the policy has one approval level"
    assert out.loc["D1", "approval_level"] is None and out.loc["ZERO", "approval_level"] is None


def test_default_policy_section():
    # the values written in riskkit/configs/limit_policy.yaml
    approval = LimitPolicy.default().approval
    assert approval.levels == (ApprovalLevel("credit_analyst", 2e6), ApprovalLevel("credit_manager", 1e7),
                               ApprovalLevel("credit_committee", math.inf))
    assert approval.above_matrix == "credit_committee" and approval.increase_only is False


def _with_approval(section):
    policy = copy.deepcopy(POLICY)
    policy["approval"] = section
    return policy


@pytest.mark.parametrize("section, field, words", [
    ({"levels": []}, "levels", "at least 1"),
    ({"levels": [{"name": "a", "up_to": 5e6}, {"name": "b", "up_to": 1e6}, {"name": "c"}]},
     "levels[1].up_to", "above the previous level's up_to"),
    ({"levels": [{"name": "a", "up_to": 1e6}, {"name": "b", "up_to": 1e6}, {"name": "c"}]},
     "levels[1].up_to", "above the previous level's up_to"),
    ({"levels": [{"name": "a", "up_to": 0}, {"name": "c"}]}, "levels[0].up_to", "positive"),
    ({"levels": [{"name": "a", "up_to": 1e6}, {"name": "a", "up_to": 2e6}, {"name": "c"}]},
     "levels[1].name", "distinct"),
    ({"levels": [{"name": "a", "up_to": 1e6}, {"name": "b", "up_to": 2e6}]},
     "levels[1].up_to", "no upper bound"),
    ({"levels": [{"name": "a"}, {"name": "b"}]}, "levels[0].up_to", "only the last level"),
    ({"levels": [{"up_to": 1e6}, {"name": "b"}]}, "levels[0].name", "required"),
    ({"levels": [{"name": "a", "up_to": 1e6}, {"name": "c"}], "above_matrix": "board"},
     "above_matrix", "unknown level 'board'"),
    ({"levels": [{"name": "c"}], "increase_only": "yes"}, "increase_only", "true or false"),
    ({"levels": [{"name": "c"}], "escalate": True}, "escalate", "unknown field"),
])
def test_config_errors_name_the_field(section, field, words):
    with pytest.raises(ConfigError) as info:
        LimitPolicy.from_dict(_with_approval(section))
    assert info.value.entry == "approval" and info.value.field == field
    assert words in str(info.value)


def test_above_matrix_needs_the_matrix_method():
    policy = _with_approval(APPROVAL)
    policy["methods"]["matrix"]["enabled"] = False
    with pytest.raises(ConfigError, match="methods.matrix enabled") as info:
        LimitPolicy.from_dict(policy)
    assert info.value.field == "above_matrix"
