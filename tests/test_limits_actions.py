"""recommend_actions (风险应对策略) and the contingency playbook (应急预案)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from riskkit import ConfigError
from riskkit.limits import (
    ActionPolicy,
    LimitInputError,
    contingency_playbook,
    recommend_actions,
)
from riskkit.limits.review import DEFAULT_ACTION_POLICY_PATH

POLICY = {
    "name": "test_actions",
    "owners": ["credit_controller", "credit_manager", "credit_committee", "sales", "collections", "legal"],
    "priorities": ["critical", "high", "medium", "low"],
    "actions": {
        "stop_shipping": {"owner": "credit_controller", "supersedes": ["offer_preferential_terms", "increase_limit"]},
        "review_limit": {"owner": "credit_committee"},
        "require_guarantee": {"owner": "credit_manager"},
        "offer_preferential_terms": {"owner": "sales"},
        "increase_limit": {"owner": "sales"},
        "collections_call": {"owner": "collections"},
        "legal_action": {"owner": "legal"},
        "review_linked_customer": {"owner": "credit_manager"},
    },
    "rules": [
        {"name": "weak_grade", "when": "grade_rank >= 6",
         "then": [{"action": "require_guarantee", "priority": "medium", "due_days": 30, "reason": "grade {grade}"},
                  {"action": "review_limit", "priority": "high", "due_days": 7, "reason": "grade {grade}"}]},
        {"name": "breach", "when": "limit_breach == True",
         "then": [{"action": "review_limit", "priority": "critical", "due_days": 1,
                   "reason": "utilisation {utilisation:.0%} above the limit"}]},
        {"name": "red", "when": {"column": "max_alert_level", "op": "==", "value": "red"},
         "then": [{"action": "stop_shipping", "priority": "critical", "due_days": 0,
                   "reason": "red alert ({alert_rules})"}]},
        {"name": "linked_default", "when": "alert_linked_default == True",
         "then": [{"action": "review_limit", "priority": "high", "due_days": 3, "reason": "linked party defaulted",
                   "owner": "credit_manager"}]},
        {"name": "strong", "when": "grade in ['S', 'AAA', 'AA']",
         "then": [{"action": "offer_preferential_terms", "priority": "low", "due_days": 90,
                   "reason": "grade {grade}"}]},
        {"name": "grow", "when": "limit_change > 0",
         "then": [{"action": "increase_limit", "priority": "low", "due_days": 30,
                   "reason": "recommended {recommended_limit:,.0f}"}]},
    ],
    "contingency": {
        "defaulted": [
            {"action": "stop_shipping", "priority": "critical", "due_days": 0, "reason": "stop deliveries"},
            {"action": "collections_call", "priority": "critical", "due_days": 1, "reason": "collect"},
            {"action": "legal_action", "priority": "high", "due_days": 7, "reason": "preserve claims"},
        ],
        "linked": {"action": "review_linked_customer", "priority": "medium", "due_days": 3,
                   "reason": "{relation} link to defaulted {linked_to}",
                   "by_relation": {"guarantee": "critical", "control": "high"}},
    },
}


def ratings():
    return pd.DataFrame({
        "grade": ["AA", "B", "CCC", "BBB", "AAA"],
        "pd": [0.001, 0.05, 0.3, 0.01, 0.0005],
        "utilisation": [0.5, 1.5, 0.9, np.nan, 0.2],
        "credit_limit": [1e6, 2e5, 1e5, 5e5, 3e6],
    }, index=pd.Index(["A1", "B1", "C1", "D1", "E1"], name="customer_id"))


def alerts():
    return pd.DataFrame({"customer_id": ["A1", "A1", "C1", "D1"],
                         "rule": ["dpd_30", "news", "linked_default", "news"],
                         "level": ["red", "yellow", "orange", "info"],
                         "message": ["m"] * 4})


def actions_of(out, customer):
    return out.loc[out["customer_id"] == customer].set_index("action")


def test_all_matching_rules_apply_and_duplicates_keep_the_most_urgent():
    out = recommend_actions(ratings(), alerts(), POLICY, as_of="2025-06-30")
    b1 = actions_of(out, "B1")
    # B1: grade B (rank 6) -> guarantee + review (high); utilisation 150 % -> review (critical)
    assert sorted(b1.index) == ["require_guarantee", "review_limit"]
    assert b1.loc["review_limit", "priority"] == "critical"
    assert b1.loc["review_limit", "due_days"] == 1
    assert b1.loc["review_limit", "reason"] == "utilisation 150% above the limit"
    assert b1.loc["review_limit", "triggered_by"] == "breach, weak_grade"
    assert b1.loc["review_limit", "due_date"] == pd.Timestamp("2025-07-01")
    assert b1.loc["require_guarantee", "owner"] == "credit_manager"
    assert b1.loc["require_guarantee", "due_date"] == pd.Timestamp("2025-07-30")


def test_one_rule_asking_twice_and_three_rules_for_one_action():
    policy = copy.deepcopy(POLICY)
    policy["rules"][0]["then"].append({"action": "review_limit", "priority": "critical", "due_days": 2,
                                       "reason": "again {grade}"})
    policy["rules"].append({"name": "any_b", "when": "grade == 'B'",
                            "then": [{"action": "review_limit", "priority": "low", "due_days": 60, "reason": "b"}]})
    out = recommend_actions(ratings(), alerts(), policy)
    b1 = actions_of(out, "B1")
    # breach (critical, 1 day) beats weak_grade's own critical request (2 days); each rule named once,
    # most urgent first
    assert b1.loc["review_limit", "due_days"] == 1
    assert b1.loc["review_limit", "triggered_by"] == "breach, weak_grade, any_b"
    c1 = actions_of(out, "C1")
    assert c1.loc["review_limit", "reason"] == "again CCC"
    assert c1.loc["review_limit", "triggered_by"] == "weak_grade, linked_default"


def test_alert_columns_and_rule_owner_override():
    out = recommend_actions(ratings(), alerts(), POLICY)
    c1 = actions_of(out, "C1")
    # C1: CCC -> guarantee + review (high, 7 days); alert linked_default -> review (high, 3 days, credit_manager):
    # same priority, the shorter due date wins
    assert c1.loc["review_limit", "due_days"] == 3
    assert c1.loc["review_limit", "owner"] == "credit_manager"
    assert c1.loc["review_limit", "triggered_by"] == "linked_default, weak_grade"
    assert out["due_date"].isna().all()        # no as_of


def test_supersedes_removes_preferential_terms_under_a_stop():
    out = recommend_actions(ratings(), alerts(), POLICY)
    a1 = actions_of(out, "A1")
    # A1: AA -> preferential terms, but a red alert stops shipping, which supersedes them
    assert list(a1.index) == ["stop_shipping"]
    assert a1.loc["stop_shipping", "reason"] == "red alert (dpd_30, news)"
    e1 = actions_of(out, "E1")
    assert list(e1.index) == ["offer_preferential_terms"]   # no alert: the offer stands
    assert "D1" not in set(out["customer_id"])              # BBB, info alert: nothing


def test_output_is_tidy_and_sorted():
    out = recommend_actions(ratings(), alerts(), POLICY)
    assert list(out.columns) == ["customer_id", "action", "priority", "owner", "due_days", "due_date", "reason",
                                 "triggered_by"]
    ranks = out["priority"].map({"critical": 0, "high": 1, "medium": 2, "low": 3})
    assert ranks.is_monotonic_increasing
    assert not out.duplicated(["customer_id", "action"]).any()


def test_limits_feed_limit_columns():
    limits = pd.DataFrame({"recommended_limit": [1.5e6, np.nan], "review_flag": [False, True]},
                          index=pd.Index(["A1", "E1"], name="customer_id"))
    out = recommend_actions(ratings(), None, POLICY, limits=limits)
    a1 = actions_of(out, "A1")
    assert a1.loc["increase_limit", "reason"] == "recommended 1,500,000"
    assert "increase_limit" not in set(actions_of(out, "E1").index)   # NaN limit change: no action
    from riskkit.limits.actions import customer_action_frame
    frame = customer_action_frame(ratings().assign(ead=[3e5, 1e5, 0.0, 0.0, 0.0]), limits=limits)
    # 300 k / 1.5 m = 0.2; current limit 1 m -> change +500 k; E1 has no recommended limit
    assert frame.loc["A1", "utilisation_recommended"] == pytest.approx(0.2)
    assert frame.loc["A1", "limit_change"] == pytest.approx(500_000.0)
    assert np.isnan(frame.loc["E1", "utilisation_recommended"]) and frame.loc["E1", "limit_review_flag"]
    with pytest.raises(LimitInputError, match="limits has 1 customer"):
        recommend_actions(ratings(), None, POLICY,
                          limits=pd.DataFrame({"recommended_limit": [1.0]}, index=pd.Index(["ZZ"])))


def test_no_alerts_and_no_matches():
    out = recommend_actions(ratings(), None, POLICY)
    # without alerts alert_linked_default is False for everybody and max_alert_level missing
    assert "stop_shipping" not in set(out["action"])
    quiet = ratings().iloc[[3]]
    empty = recommend_actions(quiet, None, POLICY)
    assert len(empty) == 0 and list(empty.columns)[:2] == ["customer_id", "action"]


def test_default_policy_end_to_end():
    r = ratings().assign(knockout=[False, False, False, False, False], rule="master_scale")
    out = recommend_actions(r, alerts(), as_of="2025-06-30")
    c1 = actions_of(out, "C1")
    assert {"require_prepayment", "reduce_limit", "review_limit", "watchlist"} <= set(c1.index)
    assert c1.loc["require_prepayment", "reason"] == "grade CCC (PD 30.0%): prepayment only"
    b1 = actions_of(out, "B1")
    # utilisation 150 % > 120 %: stop shipping, which supersedes tightening terms
    assert "stop_shipping" in b1.index and "tighten_terms" not in b1.index
    assert "offer_preferential_terms" in set(actions_of(out, "E1").index)


def test_default_policy_moves_limits_only_when_material():
    """The default policy asks for a limit cut or increase only when the recommendation is at
    least 10 % away from the current limit (or there is no limit yet)."""
    r = pd.DataFrame({"grade": ["A", "A", "A", "A", "A"], "pd": [0.002] * 5, "utilisation": [0.3] * 5,
                      "credit_limit": [100_000.0, 100_000.0, 100_000.0, 100_000.0, 0.0], "knockout": False,
                      "rule": "master_scale"}, index=pd.Index(["cut5", "cut20", "up5", "up20", "new"], name="customer_id"))
    limits = pd.DataFrame({"recommended_limit": [95_000.0, 80_000.0, 105_000.0, 120_000.0, 50_000.0]}, index=r.index)
    from riskkit.limits.actions import customer_action_frame
    frame = customer_action_frame(r, limits=limits)
    # (95k - 100k) / 100k = -5 %, ... ; no current limit: no relative change
    assert frame["limit_change_pct"].iloc[:4].tolist() == pytest.approx([-0.05, -0.20, 0.05, 0.20])
    assert np.isnan(frame.loc["new", "limit_change_pct"])
    out = recommend_actions(r, None, limits=limits, as_of="2025-06-30")
    moves = out[out["action"].isin(["reduce_limit", "increase_limit"])].set_index("customer_id")["action"]
    assert moves.to_dict() == {"cut20": "reduce_limit", "up20": "increase_limit", "new": "increase_limit"}
    assert actions_of(out, "cut20").loc["reduce_limit", "reason"] == \
        "recommended limit 80,000 below the current 100,000"


# --------------------------------------------------------------------------- bad inputs and policies
def test_bad_alerts():
    bad_level = alerts().assign(level=["red", "yellow", "purple", "info"])
    with pytest.raises(LimitInputError, match=r"unknown level\(s\) \['purple'\]"):
        recommend_actions(ratings(), bad_level, POLICY)
    stranger = alerts().assign(customer_id=["A1", "A1", "ZZ", "D1"])
    with pytest.raises(LimitInputError, match=r"1 customer\(s\) not in ratings"):
        recommend_actions(ratings(), stranger, POLICY)
    with pytest.raises(LimitInputError, match="clash"):
        recommend_actions(ratings(), alerts().assign(rule="severity"), POLICY)
    with pytest.raises(LimitInputError, match=r"alerts lacks column\(s\) \['level'\]"):
        recommend_actions(ratings(), alerts().drop(columns="level"), POLICY)


def test_unknown_grade_in_ratings():
    with pytest.raises(LimitInputError, match=r"unknown grade\(s\) \['Z'\]"):
        recommend_actions(ratings().assign(grade="Z"), None, POLICY)


def test_condition_on_absent_column_is_config_error():
    policy = copy.deepcopy(POLICY)
    policy["rules"][0]["when"] = "leverage > 3"
    with pytest.raises(ConfigError) as info:
        recommend_actions(ratings(), None, policy)
    assert (info.value.entry, info.value.field) == ("rules[0] (weak_grade)", "when")
    assert "['leverage']" in info.value.problem
    policy = copy.deepcopy(POLICY)
    policy["rules"][0]["then"][0]["reason"] = "leverage {leverage}"
    with pytest.raises(ConfigError, match=r"rules\[0\] \(weak_grade\): field 'then\[0\].reason': placeholder"):
        recommend_actions(ratings(), None, policy)
    policy = copy.deepcopy(POLICY)
    policy["rules"][0]["then"][0]["reason"] = "grade {grade:.0%}"
    with pytest.raises(ConfigError, match="placeholder"):
        recommend_actions(ratings(), None, policy)


def _mutated(path, value):
    policy = copy.deepcopy(POLICY)
    node = policy
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return policy


BAD = [
    (["rules", 0, "then", 0, "action"], "fly_to_moon", "rules[0] (weak_grade)", "then[0].action", "unknown action"),
    (["rules", 0, "then", 0, "owner"], "intern", "rules[0] (weak_grade)", "then[0].owner", "must be one of"),
    (["rules", 0, "then", 0, "priority"], "urgent", "rules[0] (weak_grade)", "then[0].priority", "must be one of"),
    (["rules", 0, "then", 0, "due_days"], -1, "rules[0] (weak_grade)", "then[0].due_days", ">= 0"),
    (["rules", 0, "then", 0, "due_days"], 1.5, "rules[0] (weak_grade)", "then[0].due_days", "whole number"),
    (["rules", 0, "then", 0, "reason"], KeyError, "rules[0] (weak_grade)", "then[0].reason", "is required"),
    (["rules", 0, "then", 0, "reason"], "{grade.__class__}", "rules[0] (weak_grade)", "then[0].reason",
     "column name"),
    (["rules", 0, "then", 0, "reason"], "{grade!r}", "rules[0] (weak_grade)", "then[0].reason", "conversions"),
    (["rules", 0, "then", 0, "reason"], "{grade", "rules[0] (weak_grade)", "then[0].reason", "bad placeholder"),
    (["rules", 0, "when"], "grade.upper() == 'A'", "rules[0] (weak_grade)", "when", "one column name"),
    (["rules", 0, "when"], "grade_rank + 1 > 6", "rules[0] (weak_grade)", "when", "one column name"),
    (["rules", 0, "when"], "__import__('os')", "rules[0] (weak_grade)", "when", "unsupported syntax"),
    (["rules", 0, "when"], {"column": "grade", "op": "~", "value": "A"}, "rules[0] (weak_grade)", "when",
     "unknown operator"),
    (["rules", 0, "then"], [], "rules[0] (weak_grade)", "then", "at least 1"),
    (["rules", 0, "if"], "x", "rules[0] (weak_grade)", "if", "unknown field"),
    (["rules", 1, "name"], "weak_grade", "<top level>", "rules", "duplicate rule names"),
    (["actions", "stop_shipping", "owner"], "nobody", "actions.stop_shipping", "owner", "must be one of"),
    (["actions", "stop_shipping", "supersedes"], ["teleport"], "actions.stop_shipping", "supersedes",
     "unknown action"),
    (["actions", "increase_limit", "supersedes"], ["stop_shipping"], "actions.increase_limit", "supersedes",
     "cycle stop_shipping -> increase_limit -> stop_shipping"),
    (["priorities"], ["high", "high"], "<top level>", "priorities", "distinct"),
    (["owners"], KeyError, "<top level>", "owners", "is required"),
    (["contingency", "linked", "reason"], "{exposure}", "contingency", "linked.reason", "may quote only"),
    (["contingency", "linked", "by_relation"], {"guarantee": "asap"}, "contingency", "linked.by_relation.guarantee",
     "must be one of"),
    (["contingency", "defaulted", 0, "reason"], "stop {grade}", "contingency", "defaulted[0].reason",
     "no placeholders"),
    (["contingency", "defaulted"], [], "contingency", "defaulted", "at least 1"),
    (["review"], {"tiers": [{"name": "all", "grades": ["AAA"], "months": 1}]}, "review", "tiers", "in no tier"),
]


@pytest.mark.parametrize("path, value, entry, field, problem", BAD, ids=[f"{e}:{f}" for _, _, e, f, _ in BAD])
def test_bad_policy_names_entry_and_field(tmp_path, path, value, entry, field, problem):
    file = tmp_path / "actions.yaml"
    file.write_text(yaml.safe_dump(_mutated(path, value), sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        ActionPolicy.from_yaml(file)
    err = info.value
    assert (err.source, err.entry, err.field) == (str(file), entry, field), str(err)
    assert problem in err.problem


def test_default_policy_loads():
    policy = ActionPolicy.default()
    assert policy.source == str(DEFAULT_ACTION_POLICY_PATH)
    assert policy.priorities == ("critical", "high", "medium", "low")
    assert {r.name for r in policy.rules} >= {"red_alert", "limit_breach", "low_risk_terms"}
    assert policy.playbook is not None and policy.review is not None


# --------------------------------------------------------------------------- contingency playbook
def links():
    return pd.DataFrame({
        "customer_id": ["D1", "D1", "D1", "D2", "D2", "X9"],
        "linked_id":   ["L1", "L2", "D2", "L2", "L3", "L4"],
        "relation":    ["supply", "guarantee", "control", "control", "supply", "guarantee"],
        "weight":      [1.0, 5e5, 0.6, 0.7, 2.0, 1.0],
    })


def test_playbook_steps_and_linked_reviews_by_exposure():
    exposure = pd.Series({"D1": 1e5, "D2": 9e5, "L1": 8e5, "L2": 2e5, "L3": 5e5})
    out = contingency_playbook(["D1", "D2"], links(), exposure, POLICY, as_of="2025-06-30")
    # defaulted: D2 (900 k) before D1 (100 k), three playbook steps each, in playbook order
    assert out["customer_id"].tolist()[:6] == ["D2"] * 3 + ["D1"] * 3
    assert out["action"].tolist()[:3] == ["stop_shipping", "collections_call", "legal_action"]
    assert out["sequence"].tolist() == list(range(1, len(out) + 1))
    linked = out.iloc[6:]
    # D2 is itself defaulted: no review step for it; X9 did not default: L4 is not reviewed
    assert linked["customer_id"].tolist() == ["L1", "L3", "L2"]          # 800 k, 500 k, 200 k
    assert (linked["action"] == "review_linked_customer").all()
    l2 = linked.set_index("customer_id").loc["L2"]
    # L2 is linked to both: guarantee of D1 (critical) and control by D2 (high) -> one step, critical
    assert l2["priority"] == "critical"
    assert l2["reason"] == "guarantee link to defaulted D1; control link to defaulted D2"
    assert l2["triggered_by"] == "D1, D2" and l2["relation"] == "guarantee, control"
    l1 = linked.set_index("customer_id").loc["L1"]
    assert l1["priority"] == "medium" and l1["reason"] == "supply link to defaulted D1"   # supply: default priority
    assert l1["due_date"] == pd.Timestamp("2025-07-03") and l1["exposure"] == 8e5


def test_playbook_without_exposures_orders_by_priority_then_id():
    out = contingency_playbook(["D1", "D2", "D1"], links(), policy=POLICY)
    assert out["customer_id"].tolist()[:6] == ["D1"] * 3 + ["D2"] * 3   # repeated id counts once
    assert out["customer_id"].tolist()[6:] == ["L2", "L1", "L3"]
    assert out["exposure"].isna().all() and out["due_date"].isna().all()


def test_playbook_bad_inputs():
    with pytest.raises(TypeError, match="list of customer ids"):
        contingency_playbook("D1", links(), policy=POLICY)
    with pytest.raises(LimitInputError, match="strings"):
        contingency_playbook([1, 2], links(), policy=POLICY)
    with pytest.raises(LimitInputError, match=r"linked_parties lacks column\(s\) \['relation'\]"):
        contingency_playbook(["D1"], links().drop(columns="relation"), policy=POLICY)
    with pytest.raises(LimitInputError, match="missing"):
        contingency_playbook(["D1"], links().assign(relation=None), policy=POLICY)
    with pytest.raises(LimitInputError, match="numeric"):
        contingency_playbook(["D1"], links(), pd.Series({"D1": "big"}), policy=POLICY)
    no_book = {k: v for k, v in POLICY.items() if k != "contingency"}
    with pytest.raises(ConfigError, match="no contingency playbook"):
        contingency_playbook(["D1"], links(), policy=no_book)


def test_playbook_empty_and_default_policy():
    assert len(contingency_playbook([], links(), policy=POLICY)) == 0
    out = contingency_playbook(["D1"], links(), pd.DataFrame({"ead": [1e5, 3e5]}, index=["D1", "L2"]))
    assert out["action"].tolist()[:5] == ["stop_shipping", "collections_call", "review_linked_customers",
                                          "notify_credit_insurer", "legal_action"]
    assert out.iloc[5:]["customer_id"].tolist() == ["L2", "D2", "L1"]
