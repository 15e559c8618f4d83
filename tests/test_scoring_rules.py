"""Rating rules and the safe condition language."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from riskkit import ConfigError
from riskkit.scoring import ConditionError, RatingRules, parse_condition, score_to_pd


def frame():
    return pd.DataFrame(
        {
            "ownership_type": ["central_soe", "central_soe", "central_soe", "private", "private", "local_soe"],
            "state_ownership_pct": [100.0, 85.0, 60.0, 0.0, np.nan, 51.0],
            "events_bankruptcy_365d": [0, 1, 0, 0, 0, 0],
            "current_dpd": [0, 0, 0, 120, 10, 0],
            "events_enforcement_365d": [0, 0, 0, 0, 2, 0],
            "altman_zone": ["safe", "safe", "distress", "grey", "distress", None],
            "pd": [0.001, 0.002, 0.02, 0.05, 0.02, 0.005],
        },
        index=pd.Index([f"C{i}" for i in range(1, 7)], name="customer_id"),
    )


# --------------------------------------------------------------------------- conditions
def test_structured_and_expression_forms_agree():
    df = frame()
    structured = parse_condition({"all": [{"column": "ownership_type", "op": "==", "value": "central_soe"},
                                          {"column": "state_ownership_pct", "op": ">", "value": 80}]})
    text = parse_condition("ownership_type == 'central_soe' and state_ownership_pct > 80")
    expected = np.array([True, True, False, False, False, False])
    np.testing.assert_array_equal(structured.evaluate(df), expected)
    np.testing.assert_array_equal(text.evaluate(df), expected)


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("state_ownership_pct > 50", [True, True, True, False, False, True]),
        ("not state_ownership_pct > 50", [False, False, False, True, True, False]),  # NaN compares False
        ("state_ownership_pct is None", [False, False, False, False, True, False]),
        ("50 < state_ownership_pct <= 85", [False, True, True, False, False, True]),
        ("ownership_type in ['local_soe', 'private']", [False, False, False, True, True, True]),
        ("ownership_type not in ['central_soe']", [False, False, False, True, True, True]),
        ("altman_zone != 'safe'", [False, False, True, True, True, False]),
        ("current_dpd >= 90 or events_bankruptcy_365d > 0", [False, True, False, True, False, False]),
        ("state_ownership_pct > -1", [True, True, True, True, False, True]),
    ],
)
def test_expression_semantics(expression, expected):
    np.testing.assert_array_equal(parse_condition(expression).evaluate(frame()), expected)


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('echo hacked') == 0",
        "pd.__class__ > 1",
        "pd + 1 > 2",
        "len(ownership_type) > 3",
        "ownership_type[0] == 'c'",
        "(lambda: 1)() == 1",
        "pd > current_dpd",
        "pd",
        "pd > ",
    ],
)
def test_unsafe_or_invalid_expressions_are_rejected(expression):
    with pytest.raises(ConditionError):
        parse_condition(expression)


def test_structured_condition_errors():
    with pytest.raises(ConditionError, match="unknown operator"):
        parse_condition({"column": "x", "op": "=~", "value": 1})
    with pytest.raises(ConditionError, match="needs a 'value'"):
        parse_condition({"column": "x", "op": ">"})
    with pytest.raises(ConditionError, match="numeric"):
        parse_condition({"column": "x", "op": ">", "value": "high"})
    with pytest.raises(TypeError, match="not numeric"):
        parse_condition("ownership_type > 3").evaluate(frame())


# --------------------------------------------------------------------------- rules
def test_default_rules_first_match_wins():
    rules = RatingRules.default()
    out = rules.apply(frame())
    assert list(out.columns) == ["grade", "rule", "whitelist", "knockout", "pd", "pd_grade", "grade_pd"]
    expected = pd.DataFrame(
        {
            "grade": ["S", "D", "BB", "D", "B", "A"],
            "rule": ["whitelist_central_soe", "knockout_bankruptcy", "distress_zone_downgrade", "knockout_dpd90",
                     "enforcement_downgrade", "master_scale"],
            "whitelist": [True, False, False, False, False, False],
            "knockout": [False, True, False, True, False, False],
        },
        index=frame().index,
    )
    # C2: bankrupt central SOE -> knock-out before whitelist; C3: PD 2 % = BBB, one notch -> BB;
    # C5: PD 2 % = BBB, enforcement (2 notches, before distress) -> B; C6: PD 0.5 % -> A
    pd.testing.assert_frame_equal(out[expected.columns], expected, check_dtype=False)
    assert np.isnan(out.loc["C1", "grade_pd"]) and out.loc["C2", "grade_pd"] == 1.0
    assert out.loc["C6", "grade_pd"] == pytest.approx(rules.master_scale.pd_of("A"))
    assert rules.grade_order[0] == "S" and rules.grade_order[-1] == "D"


def test_default_rules_on_built_profile(tiny_portfolio):
    import riskkit as rk

    prof = rk.profile.build_profile(tiny_portfolio, pd.Timestamp("2021-06-30")).assign(pd=[0.01, 0.05, 0.2])
    out = RatingRules.default().apply(prof)
    assert out["grade"].notna().all() and out["rule"].notna().all()


def test_missing_pd_is_an_error_only_where_needed():
    df = frame()
    df.loc["C6", "pd"] = np.nan
    df.loc["C1", "pd"] = np.nan  # whitelisted: needs no PD
    with pytest.raises(ValueError, match="C6") as info:
        RatingRules.default().apply(df)
    assert "C1" not in str(info.value)
    with pytest.raises(KeyError, match="events_bankruptcy_365d"):
        RatingRules.default().apply(frame().drop(columns="events_bankruptcy_365d"))


def test_score_based_default_rule():
    config = {
        "extra_grades": [],
        "rules": [{"name": "score", "default": True, "from": "score", "score_column": "points",
                   "score_scaling": {"pdo": 20, "base_score": 600, "base_odds": 50}}],
    }
    rules = RatingRules.from_dict(config)
    points = pd.DataFrame({"points": [600.0, 520.0, 700.0]})
    out = rules.apply(points)
    # PD = 1 / (1 + 50 * 2 ** ((s - 600) / 20))
    expected_pd = 1 / (1 + 50 * 2.0 ** ((points["points"].to_numpy() - 600) / 20))
    np.testing.assert_allclose(out["pd"], expected_pd)
    np.testing.assert_allclose(score_to_pd(points["points"], 20, 600, 50), expected_pd)
    assert list(out["grade"]) == list(rules.master_scale.grade(expected_pd))


BASE = {
    "extra_grades": ["S"],
    "rules": [
        {"name": "ko", "when": "current_dpd >= 90", "grade": "D", "knockout": True},
        {"name": "wl", "when": {"column": "ownership_type", "op": "==", "value": "central_soe"}, "grade": "S"},
        {"name": "scale", "default": True},
    ],
}


@pytest.mark.parametrize(
    "mutate, entry, field, message",
    [
        (lambda c: c["rules"][0].__setitem__("grade", "Z"), "rules[0] (ko)", "grade", "unknown grade"),
        (lambda c: c["rules"].reverse(), "rules[0] (scale)", "default", "must be the last"),
        (lambda c: c["rules"][1]["when"].__setitem__("op", "like"), "rules[1] (wl)", "when", "unknown operator"),
        (lambda c: c["rules"][0].__setitem__("when", "__import__('os')"), "rules[0] (ko)", "when",
         "unsupported syntax"),
        (lambda c: c["rules"][1].pop("when"), "rules[1] (wl)", "when", "is required"),
        (lambda c: c["rules"][0].__setitem__("downgrade", 1), "rules[0] (ko)", "grade", "exactly one action"),
        (lambda c: c["rules"][1].update(grade=None, downgrade=0) or c["rules"][1].pop("grade"),
         "rules[1] (wl)", "downgrade", "positive"),
        (lambda c: c["rules"][1].__setitem__("whitelist", "yes"), "rules[1] (wl)", "whitelist", "true or false"),
        (lambda c: c.__setitem__("extra_grades", ["AAA"]), "<top level>", "extra_grades", "already"),
        (lambda c: c["rules"].pop(), "<top level>", "rules", "last rule must be the default"),
    ],
)
def test_bad_rule_configs_name_file_entry_field(tmp_path, mutate, entry, field, message):
    config = copy.deepcopy(BASE)
    mutate(config)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match=message) as info:
        RatingRules.from_yaml(path)
    assert info.value.source == str(path)
    assert info.value.entry == entry
    assert info.value.field.startswith(field)


def test_bad_yaml(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules: [ {name: a, ")
    with pytest.raises(ConfigError, match="not valid YAML"):
        RatingRules.from_yaml(path)


def test_rules_table():
    table = RatingRules.default().table()
    assert list(table["order"]) == list(range(1, len(table) + 1))
    assert table["rule"].iloc[-1] == "master_scale"
    assert "state_ownership_pct > 80" in table.loc[table.rule == "whitelist_central_soe", "condition"].iloc[0]


def test_condition_type_mismatches_are_errors_not_silent_misses():
    import numpy as np
    import pandas as pd

    from riskkit.scoring import parse_condition

    frame = pd.DataFrame({"flag": [1.0, np.nan, 0.0], "terms": [30, 60, 90]})
    # a 0/1 column with a missing value: the missing row is simply not a match
    assert parse_condition("flag == True").evaluate(frame).tolist() == [True, False, False]
    assert parse_condition("flag == False").evaluate(frame).tolist() == [False, False, True]
    with pytest.raises(TypeError, match="column 'terms' is numeric but the options \\['30'\\] are not numbers"):
        parse_condition({"column": "terms", "op": "in", "value": ["30", 60]}).evaluate(frame)
    with pytest.raises(TypeError, match="column 'terms' is numeric; compare it with a number"):
        parse_condition("terms == '30'").evaluate(frame)
    assert parse_condition({"column": "terms", "op": "in", "value": [30, 60]}).evaluate(frame).tolist() == \
        [True, True, False]
