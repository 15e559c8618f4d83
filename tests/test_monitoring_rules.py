"""Monitoring rules: config validation, every rule kind against hand-computed frames."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from riskkit._core.config import ConfigError
from riskkit._core.errors import RiskkitError
from riskkit.monitoring.rules import (
    ALERT_COLUMNS,
    DEFAULT_MONITORING_RULES_PATH,
    LEVELS,
    RULE_KINDS,
    MissingColumnError,
    MonitoringInputError,
    MonitoringRules,
)

ORDER = ["S", "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "D"]


def frame(index, **columns) -> pd.DataFrame:
    return pd.DataFrame(columns, index=pd.Index(index, name="customer_id"))


def rules_of(*rules, **top) -> MonitoringRules:
    return MonitoringRules.from_dict({**top, "rules": list(rules)})


def alerted(alerts: pd.DataFrame, rule: str) -> list[str]:
    return sorted(alerts.loc[alerts["rule"] == rule, "customer_id"])


def evidence(alerts: pd.DataFrame, rule: str, customer: str) -> dict:
    row = alerts[(alerts["rule"] == rule) & (alerts["customer_id"] == customer)]
    assert len(row) == 1
    return json.loads(row["evidence"].iloc[0])


# -- config -----------------------------------------------------------------------------------------
def test_default_rules_load_and_cover_every_kind():
    rules = MonitoringRules.default()
    assert rules.source == str(DEFAULT_MONITORING_RULES_PATH)
    assert {r.kind for r in rules} == set(RULE_KINDS)
    assert {r.level for r in rules} == set(LEVELS)
    assert len(set(rules.names)) == len(rules)
    assert rules.grade_order == tuple(ORDER) and rules.default_grade == "D"
    # the lead supplies these columns; the rules must not break a run without them
    for name in ("network_pd_high", "stress_scenario_distress", "review_overdue"):
        assert rules[name].optional
    assert rules["stress_scenario_distress"].spec.when.columns == ["stress_distress"]
    with pytest.raises(KeyError, match="no rule named 'nope'"):
        rules["nope"]
    table = rules.to_frame()
    assert list(table["name"]) == rules.names
    assert "rules" in rules.summary()


def test_from_yaml_equals_from_dict(tmp_path):
    config = {"recipients": {"red": ["a@x"]},
              "rules": [{"name": "late", "kind": "threshold", "level": "red", "when": "current_dpd >= 60"}]}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    a, b = MonitoringRules.from_yaml(path), MonitoringRules.from_dict(config)
    assert a.rules == b.rules and a.level_recipients == b.level_recipients
    assert a.source == str(path)


GOOD = {"name": "late", "kind": "threshold", "level": "red", "when": "current_dpd >= 60"}


@pytest.mark.parametrize("rules, entry, field_name, words", [
    ([{**GOOD, "kind": "thresold"}], "rules[0] (late)", "kind", "must be one of"),
    ([{**GOOD, "level": "amber"}], "rules[0] (late)", "level", "must be one of"),
    ([{**GOOD, "when": "current_dpd >= max_dpd"}], "rules[0] (late)", "when", "one column name and one literal"),
    ([{**GOOD, "when": "__import__('os')"}], "rules[0] (late)", "when", "unsupported syntax"),
    ([{"name": "slow", "kind": "change", "level": "yellow", "column": "x", "direction": "increase", "by": -15}],
     "rules[0] (slow)", "by", "must be >= 0"),
    ([{"name": "slow", "kind": "change", "level": "yellow", "column": "x", "direction": "increase", "by": 0}],
     "rules[0] (slow)", "by", "must be > 0"),
    ([{"name": "drop", "kind": "change", "level": "yellow", "column": "x", "direction": "decrease", "by": 1.5,
       "unit": "relative"}], "rules[0] (drop)", "by", "can never happen"),
    ([{"name": "o", "kind": "limit_breach", "level": "red", "tolerance": -0.1}], "rules[0] (o)", "tolerance",
     "must be >= 0"),
    ([{"name": "t", "kind": "trailing", "level": "info", "column": "u", "window": 3, "min_periods": 4,
       "direction": "increase", "by": 0.2}], "rules[0] (t)", "min_periods", "must be <= window"),
    ([{"name": "d", "kind": "downgrade", "level": "red", "notches": 0}], "rules[0] (d)", "notches", "must be >= 1"),
    ([GOOD, {**GOOD, "level": "orange"}], "rules[1] (late)", "name", "duplicate rule name"),
    ([GOOD, {"name": "both", "kind": "combination", "level": "red", "all": ["late", "ghost"]}],
     "rules[1] (both)", "all", "unknown rule(s) ['ghost']"),
    ([{"name": "n", "kind": "network", "level": "orange", "relations": ["guarantor", "cousin"]}],
     "rules[0] (n)", "relations", "unknown relation(s) ['cousin']"),
    ([{"name": "n", "kind": "network", "level": "orange", "relations": ["guarantor"], "events": ["fraud"]}],
     "rules[0] (n)", "events", "unknown network event"),
    ([{"name": "n", "kind": "network", "level": "orange", "relations": ["guarantor"], "notches": 2}],
     "rules[0] (n)", "notches", "only with"),
    ([{"name": "e", "kind": "event", "level": "red", "categories": ["litigaton"]}], "rules[0] (e)", "categories",
     "unknown event categories"),
    ([{"name": "e", "kind": "event", "level": "red", "min_severity": 6}], "rules[0] (e)", "min_severity", "1 to 5"),
    ([{**GOOD, "tags": {"sector": ["x"]}}], "rules[0] (late)", "sector", "unknown field"),
    ([{**GOOD, "tags": {"grade": ["AAA", "Z"]}}], "rules[0] (late)", "tags.grade", "unknown grade"),
    ([{**GOOD, "threshold": 60}], "rules[0] (late)", "threshold", "unknown field"),
    ([{**GOOD, "where": "grade = 'D'"}], "rules[0] (late)", "where", "cannot parse"),
    ([{**GOOD, "optional": "yes"}], "rules[0] (late)", "optional", "true or false"),
    ([{**GOOD, "name": "late alert"}], "rules[0] (late alert)", "name", "letters, digits"),
    ([{"name": "c", "kind": "change", "level": "red", "newly": "x > 1", "column": "x"}], "rules[0] (c)", "column",
     "either 'newly'"),
])
def test_invalid_rule_names_file_rule_and_field(tmp_path, rules, entry, field_name, words):
    path = tmp_path / "monitoring.yaml"
    path.write_text(yaml.safe_dump({"rules": rules}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        MonitoringRules.from_yaml(path)
    err = info.value
    assert err.source == str(path)
    assert err.entry == entry
    assert err.field == field_name
    assert words in err.problem
    assert str(err).startswith(f"{path}: {entry}: field '{field_name}'")


def test_combination_cycle_is_a_config_error():
    with pytest.raises(ConfigError, match="cycle"):
        rules_of({"name": "a", "kind": "combination", "level": "red", "all": ["b", "late"]},
                 {"name": "b", "kind": "combination", "level": "red", "any": ["a", "late"]}, GOOD)


@pytest.mark.parametrize("top, field_name", [
    ({"grade_order": ["A", "B", "A"]}, "grade_order"),
    ({"default_grade": "X"}, "default_grade"),
    ({"recipients": {"amber": ["a@x"]}}, "amber"),
    ({"recipients": {"by_tag": [{"levels": ["red"], "to": ["a@x"]}]}}, "tags"),
    ({"recipients": {"by_tag": [{"levels": ["crimson"], "tags": {"region": ["east"]}, "to": ["a@x"]}]}},
     "levels[0]"),
    ({"colour": "red"}, "colour"),
])
def test_invalid_top_level_fields(top, field_name):
    with pytest.raises(ConfigError) as info:
        rules_of(GOOD, **top)
    assert info.value.field == field_name


def test_yaml_default_file_is_readable_text():
    text = DEFAULT_MONITORING_RULES_PATH.read_text(encoding="utf-8")
    assert "rules:" in text and "recipients:" in text


# -- threshold ----------------------------------------------------------------------------------------
def test_threshold_alerts_evidence_message_and_contract():
    current = frame(["A", "B", "C", "D"], current_dpd=[75, 59, np.nan, 60], grade=["B", "BB", "A", "CCC"])
    previous = frame(["A", "B"], current_dpd=[30, 20], grade=["B", "BB"])
    rules = rules_of({"name": "late", "kind": "threshold", "level": "red", "description": "60+ days past due",
                      "when": "current_dpd >= 60"})
    alerts = rules.evaluate(current, previous)
    assert list(alerts.columns) == list(ALERT_COLUMNS)
    # 75 >= 60 and 60 >= 60; 59 is below; a missing value never compares true
    assert alerted(alerts, "late") == ["A", "D"]
    assert evidence(alerts, "late", "A") == {"current_dpd": {"before": 30, "after": 75}}
    assert evidence(alerts, "late", "D") == {"current_dpd": {"before": None, "after": 60}}  # new customer
    message = alerts.set_index("customer_id").loc["A", "message"]
    assert message == "60+ days past due: current_dpd = 75."
    assert all(isinstance(r, tuple) for r in alerts["recipients"])
    assert json.loads(alerts["tags"].iloc[0]) == {"grade": "B"}
    assert alerts.attrs["skipped_rules"] == {}


def test_threshold_without_previous_has_null_before():
    alerts = rules_of(GOOD).evaluate(frame(["A"], current_dpd=[90]))
    assert evidence(alerts, "late", "A") == {"current_dpd": {"before": None, "after": 90}}


def test_evidence_is_strict_json_for_odd_values():
    current = frame(["A", "B", "C"], x=[np.inf, 2.0, 3.0], flag=[True, True, False],
                    note=['say "hi"', None, "冻结"])
    rules = rules_of({"name": "r", "kind": "threshold", "level": "info",
                      "when": "x > 1 and flag == True and (note is None or note != 'x')"})
    alerts = rules.evaluate(current)
    assert alerted(alerts, "r") == ["A", "B"]
    # JSON has no Infinity: an infinite value is reported as null; quotes and Chinese text survive
    assert evidence(alerts, "r", "A") == {"x": {"before": None, "after": None},
                                          "flag": {"before": None, "after": True},
                                          "note": {"before": None, "after": 'say "hi"'}}
    assert evidence(alerts, "r", "B")["note"] == {"before": None, "after": None}
    for text in alerts["evidence"]:
        json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


# -- change -------------------------------------------------------------------------------------------
def test_change_absolute_and_relative_by_hand():
    current = frame(["A", "B", "C", "D", "E", "N"],
                    days=[26.0, 34.0, 5.0, 40.0, 30.0, 99.0],
                    orders=[70.0, 71.0, 10.0, 0.0, np.nan, 0.0])
    previous = frame(["A", "B", "C", "D", "E"],
                     days=[10.0, 20.0, 0.0, np.nan, 10.0],
                     orders=[100.0, 100.0, 0.0, 50.0, 100.0])
    rules = rules_of(
        {"name": "slower", "kind": "change", "level": "yellow", "column": "days", "direction": "increase", "by": 15},
        {"name": "drop", "kind": "change", "level": "yellow", "column": "orders", "direction": "decrease",
         "by": 0.3, "unit": "relative"},
    )
    alerts = rules.evaluate(current, previous)
    # days: A +16 >= 15, B +14 < 15, C +5, D before missing, E +20, N absent before (new: not a change)
    assert alerted(alerts, "slower") == ["A", "E"]
    # orders: A (70-100)/100 = -0.30 <= -0.3, B -0.29, C before 0 (undefined), D -100 %, E after missing
    assert alerted(alerts, "drop") == ["A", "D"]
    assert evidence(alerts, "drop", "D") == {"orders": {"before": 50.0, "after": 0.0}}
    msg = alerts[(alerts["rule"] == "drop") & (alerts["customer_id"] == "D")]["message"].iloc[0]
    assert "orders 50 -> 0 (-100 %)" in msg


def test_change_relative_uses_absolute_previous_value():
    # equity -100 -> -40: (−40 − (−100)) / |−100| = +0.6, an improvement, not a drop
    current, previous = frame(["A"], equity=[-40.0]), frame(["A"], equity=[-100.0])
    up = {"name": "up", "kind": "change", "level": "info", "column": "equity", "direction": "increase", "by": 0.5,
          "unit": "relative"}
    down = {**up, "name": "down", "direction": "decrease"}
    alerts = rules_of(up, down).evaluate(current, previous)
    assert alerted(alerts, "up") == ["A"] and alerted(alerts, "down") == []


def test_change_newly_condition():
    current = frame(["A", "B", "C", "N"], utilisation=[1.3, 1.4, 0.9, 2.0])
    previous = frame(["A", "B", "C"], utilisation=[0.8, 1.1, 1.5])
    rules = rules_of({"name": "over", "kind": "change", "level": "orange", "newly": "utilisation > 1"})
    alerts = rules.evaluate(current, previous)
    # A crossed; B was already over; C went back under; N is new to the book
    assert alerted(alerts, "over") == ["A"]
    assert evidence(alerts, "over", "A") == {"utilisation": {"before": 0.8, "after": 1.3}}


def test_change_rules_without_previous_fire_for_nobody_and_say_so():
    rules = rules_of({"name": "slower", "kind": "change", "level": "yellow", "column": "days",
                      "direction": "increase", "by": 15})
    alerts = rules.evaluate(frame(["A"], days=[100.0]))
    assert alerts.empty and list(alerts.columns) == list(ALERT_COLUMNS)
    assert "no previous snapshot" in alerts.attrs["skipped_rules"]["slower"]


def _reference_change(before, after, direction, by, unit):
    """Plain-Python, one row at a time: the independent reference of the vectorised rule."""
    out = []
    for b, a in zip(before, after):
        if b is None or a is None or np.isnan(b) or np.isnan(a):
            out.append(False)
            continue
        if unit == "relative":
            if b == 0:
                out.append(False)
                continue
            change = (a - b) / abs(b)
        else:
            change = a - b
        out.append(change >= by if direction == "increase" else change <= -by)
    return out


values = st.one_of(st.none(), st.integers(-200, 200).map(float))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(values, values), min_size=1, max_size=25),
       st.sampled_from(["increase", "decrease"]), st.sampled_from(["absolute", "relative"]),
       st.sampled_from([0.25, 0.5, 1.0, 10.0]))
def test_change_matches_row_by_row_reference(pairs, direction, unit, by):
    if unit == "relative" and direction == "decrease" and by > 1:
        by = 1.0
    ids = [f"C{i}" for i in range(len(pairs))]
    before = [np.nan if b is None else b for b, _ in pairs]
    after = [np.nan if a is None else a for _, a in pairs]
    rules = rules_of({"name": "r", "kind": "change", "level": "info", "column": "x", "direction": direction,
                      "by": by, "unit": unit})
    alerts = rules.evaluate(frame(ids, x=after), frame(ids, x=before))
    expected = [i for i, hit in zip(ids, _reference_change(before, after, direction, by, unit)) if hit]
    assert alerted(alerts, "r") == sorted(expected)


# -- trailing -----------------------------------------------------------------------------------------
def test_trailing_window_by_hand():
    dates = pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"])
    history = pd.DataFrame({
        "as_of": np.repeat(dates, 3),
        "customer_id": ["A", "B", "C"] * 5,
        #          A     B     C
        "u": [9.0, 9.0, 9.0,       # Jan: outside a 3-snapshot window
              0.5, 1.0, np.nan,    # Feb
              0.8, 1.0, np.nan,    # Mar
              0.6, 1.0, 1.0,       # Apr
              5.0, 5.0, 5.0],      # May = the run's as_of: not part of its own window
    })
    current = frame(["A", "B", "C", "D"], u=[1.0, 1.1, 2.0, 3.0])
    rule = {"name": "peak", "kind": "trailing", "level": "yellow", "column": "u", "stat": "max", "window": 3,
            "min_periods": 2, "direction": "increase", "by": 0.2, "unit": "relative"}
    alerts = rules_of(rule).evaluate(current, history=history, as_of="2024-05-31")
    # A: max(0.5, 0.8, 0.6) = 0.8, (1.0 - 0.8)/0.8 = 0.25 >= 0.2;  B: max 1.0, +10 %;
    # C: one value in the window (< min_periods 2);  D: no history
    assert alerted(alerts, "peak") == ["A"]
    assert evidence(alerts, "peak", "A") == {"u": {"before": 0.8, "after": 1.0}}
    mean = {**rule, "name": "mean", "stat": "mean", "min_periods": 1, "unit": "absolute", "by": 0.45}
    alerts = rules_of(mean).evaluate(current, history=history, as_of="2024-05-31")
    # A: mean(0.5, 0.8, 0.6) = 0.6333, +0.3667 < 0.45;  B: mean 1.0, +0.1;  C: mean(1.0) = 1.0, +1.0
    assert alerted(alerts, "mean") == ["C"]
    # without as_of every date of the history counts: the last three are Mar, Apr, May
    alerts = rules_of({**mean, "by": 0.01}).evaluate(current, history=history)
    assert alerted(alerts, "mean") == []  # May (5.0) lifts every mean above the current value


def test_trailing_history_duplicates_and_columns_are_errors():
    rule = {"name": "p", "kind": "trailing", "level": "yellow", "column": "u", "window": 2, "direction": "increase",
            "by": 0.2}
    history = pd.DataFrame({"as_of": pd.to_datetime(["2024-01-31"] * 2), "customer_id": ["A", "A"], "u": [1, 2]})
    with pytest.raises(MonitoringInputError, match="duplicate"):
        rules_of(rule).evaluate(frame(["A"], u=[1.0]), history=history)
    with pytest.raises(MissingColumnError, match="absent from history"):
        rules_of(rule).evaluate(frame(["A"], u=[1.0]), history=history.drop(columns="u").iloc[:1])


# -- downgrade ----------------------------------------------------------------------------------------
def test_downgrade_counts_notches_on_the_grade_order():
    current = frame(["A", "B", "C", "D", "E", "N"], grade=["BBB", "BB", "D", "AA", np.nan, "CCC"])
    previous = frame(["A", "B", "C", "D", "E"], grade=["AA", "BBB", "CCC", "A", "B"])
    rules = rules_of({"name": "down2", "kind": "downgrade", "level": "orange", "notches": 2},
                     {"name": "down1", "kind": "downgrade", "level": "yellow"})
    alerts = rules.evaluate(current, previous)
    # positions S0 AAA1 AA2 A3 BBB4 BB5 B6 CCC7 D8: A 2->4 (+2), B 4->5 (+1), C 7->8 (+1), D 3->2 (up)
    assert alerted(alerts, "down2") == ["A"]
    assert alerted(alerts, "down1") == ["A", "B", "C"]
    assert evidence(alerts, "down2", "A") == {"grade": {"before": "AA", "after": "BBB"}}
    assert "grade AA -> BBB (2 notches down)" in alerts["message"].iloc[0]


def test_downgrade_custom_grade_order_and_unknown_grade():
    rules = rules_of({"name": "d", "kind": "downgrade", "level": "red"}, grade_order=["1", "2", "3", "4"])
    alerts = rules.evaluate(frame(["A", "B"], grade=["3", "1"]), frame(["A", "B"], grade=["2", "2"]))
    assert alerted(alerts, "d") == ["A"]
    with pytest.raises(MonitoringInputError, match=r"rule 'd'.*current\.grade.*\['AA'\]"):
        rules.evaluate(frame(["A"], grade=["AA"]), frame(["A"], grade=["2"]))


# -- limit breach -------------------------------------------------------------------------------------
def test_limit_breach_bases_tolerance_and_newly():
    current = frame(["A", "B", "C", "D"], utilisation=[1.05, 1.2, np.nan, 1.5], ead=[105.0, 120.0, 10.0, 150.0],
                    credit_limit=[100.0, 100.0, 0.0, 100.0])
    previous = frame(["A", "B", "C", "D"], utilisation=[0.9, 0.9, np.nan, 1.3], ead=[90.0, 90.0, 0.0, 130.0],
                     credit_limit=[100.0, 100.0, 0.0, 100.0])
    rules = rules_of(
        {"name": "util", "kind": "limit_breach", "level": "orange", "tolerance": 0.1},
        {"name": "ead", "kind": "limit_breach", "level": "orange", "basis": "ead"},
        {"name": "new", "kind": "limit_breach", "level": "orange", "tolerance": 0.1, "newly": True},
    )
    alerts = rules.evaluate(current, previous)
    assert alerted(alerts, "util") == ["B", "D"]              # > 1.1; a missing utilisation is unknown
    assert alerted(alerts, "ead") == ["A", "B", "C", "D"]     # C: any exposure breaches a zero limit
    assert alerted(alerts, "new") == ["B"]                    # D was already over 1.1
    assert evidence(alerts, "util", "B")["ead"] == {"before": 90.0, "after": 120.0}


# -- events -------------------------------------------------------------------------------------------
@pytest.fixture
def events():
    return pd.DataFrame({
        "event_id": ["E1", "E2", "E3", "E4", "E5", "E6", "E7"],
        "customer_id": ["A", "A", "B", "B", "C", "Z", "A"],
        "date": pd.to_datetime(["2024-05-31", "2024-06-01", "2024-06-30", "2024-06-15", "2024-06-10",
                                "2024-06-10", "2024-07-01"]),
        "category": ["litigation", "litigation", "enforcement", "negative_news", "negative_news",
                     "litigation", "litigation"],
        "severity": [5, 2, 4, 1, 3, 5, 5],
        "source": ["court"] * 7,
        "text": ["old", "Contract dispute lawsuit", "Court FROZE bank accounts", "CEO defrauded investors",
                 "法院冻结银行账户", "not a customer", "after the run"],
    })


def test_event_window_categories_severity(events):
    current = frame(["A", "B", "C"], grade=["A", "B", "C"])
    rules = rules_of(
        {"name": "legal", "kind": "event", "level": "orange", "categories": ["litigation", "enforcement"]},
        {"name": "severe", "kind": "event", "level": "red", "min_severity": 4},
    )
    alerts = rules.evaluate(current, events=events, as_of="2024-06-30", previous_as_of="2024-05-31")
    # window (2024-05-31, 2024-06-30]: E1 is on the previous run's date (already seen), E7 after as_of,
    # E6's customer is not monitored
    assert alerted(alerts, "legal") == ["A", "B"]
    assert alerted(alerts, "severe") == ["B"]
    ev = evidence(alerts, "legal", "A")
    assert ev["events"]["after"] == ["2024-06-01 litigation (severity 2): Contract dispute lawsuit [E2]"]
    assert ev["max_severity"] == {"before": None, "after": 2}


def test_event_keywords_substring_word_and_case(events):
    current = frame(["A", "B", "C"], grade=["A", "B", "C"])
    base = {"kind": "event", "level": "yellow"}
    rules = rules_of({**base, "name": "sub", "keywords": ["fraud", "froze"]},
                     {**base, "name": "word", "keywords": ["fraud", "froze"], "match": "word"},
                     {**base, "name": "cn", "keywords": ["冻结"]})
    alerts = rules.evaluate(current, events=events, as_of="2024-06-30", previous_as_of="2024-05-31")
    assert alerted(alerts, "sub") == ["B"]    # "FROZE" (case-insensitive) and "deFRAUDed" (substring)
    assert alerted(alerts, "word") == ["B"]   # only "FROZE" as a whole word
    assert evidence(alerts, "word", "B")["events"]["after"] == [
        "2024-06-30 enforcement (severity 4): Court FROZE bank accounts [E3]"]
    assert len(evidence(alerts, "sub", "B")["events"]["after"]) == 2
    assert alerted(alerts, "cn") == ["C"]     # Chinese text: substring match


def test_event_lookback_without_previous_run_and_missing_inputs(events):
    current = frame(["A", "B", "C"], grade=["A", "B", "C"])
    rule = {"name": "legal", "kind": "event", "level": "orange", "categories": ["litigation"], "lookback_days": 31}
    alerts = rules_of(rule).evaluate(current, events=events, as_of="2024-07-01")
    # (2024-05-31, 2024-07-01]: E2 and E7 of A
    assert alerted(alerts, "legal") == ["A"]
    assert len(evidence(alerts, "legal", "A")["events"]["after"]) == 2
    with pytest.raises(MonitoringInputError, match="as_of is required"):
        rules_of(rule).evaluate(current, events=events)
    alerts = rules_of(rule).evaluate(current)
    assert alerts.empty and "no events" in alerts.attrs["skipped_rules"]["legal"]
    with pytest.raises(MonitoringInputError, match="events.date must be a datetime64"):
        rules_of(rule).evaluate(current, events=events.assign(date=events["date"].astype(str)), as_of="2024-07-01")
    with pytest.raises(MonitoringInputError, match=r"\['text'\] missing"):
        rules_of(rule).evaluate(current, events=events.drop(columns="text"), as_of="2024-07-01")


# -- network ------------------------------------------------------------------------------------------
def test_network_linked_party_defaulted_or_downgraded():
    previous = frame(["G", "P", "S", "X", "A", "B", "C"], grade=["BB", "A", "BBB", "B", "A", "A", "A"])
    current = frame(["G", "P", "S", "X", "A", "B", "C", "N"], grade=["D", "BBB", "BBB", "D", "A", "A", "A", "D"])
    links = pd.DataFrame({
        "customer_id": ["A", "A", "B", "C", "C", "A"],
        "linked_id": ["G", "P", "S", "X", "N", "G"],
        "relation": ["guarantor", "controller", "supplier", "group_member", "guarantor", "guarantor"],  # last: dup
    })
    rules = rules_of(
        {"name": "ld", "kind": "network", "level": "orange", "relations": ["guarantor", "controller", "group_member"]},
        {"name": "ldown", "kind": "network", "level": "yellow", "relations": ["controller"], "events": ["downgrade"],
         "notches": 1},
        {"name": "trade", "kind": "network", "level": "yellow", "relations": ["supplier"],
         "events": ["default", "downgrade"]},
        {"name": "gdown", "kind": "network", "level": "yellow", "relations": ["guarantor", "group_member"],
         "events": ["downgrade"], "notches": 1},
    )
    alerts = rules.evaluate(current, previous, links=links)
    # G (guarantor of A) and X (group member of C) defaulted; N is new (absent before): not "newly";
    # P (controller of A) moved A -> BBB = 1 notch; S (supplier of B) unchanged
    assert alerted(alerts, "ld") == ["A", "C"]
    assert evidence(alerts, "ld", "A") == {
        "linked_parties": {"before": None, "after": ["G (guarantor): defaulted, grade BB -> D"]}}
    assert alerted(alerts, "ldown") == ["A"]
    assert evidence(alerts, "ldown", "A")["linked_parties"]["after"] == [
        "P (controller): downgraded A -> BBB (1 notches)"]
    assert alerted(alerts, "trade") == []
    # a default is not also reported as a downgrade (BB -> D is 3 notches, but G defaulted)
    assert alerted(alerts, "gdown") == []
    # the defaulted parties themselves are not alerted by a network rule
    assert "G" not in alerted(alerts, "ld")


def test_network_inputs_checked():
    rules = rules_of({"name": "ld", "kind": "network", "level": "orange", "relations": ["guarantor"]})
    current, previous = frame(["A"], grade=["A"]), frame(["A"], grade=["A"])
    bad = pd.DataFrame({"customer_id": ["A"], "linked_id": ["B"], "relation": ["cousin"]})
    with pytest.raises(MonitoringInputError, match=r"links.relation: unknown relation\(s\) \['cousin'\]"):
        rules.evaluate(current, previous, links=bad)
    with pytest.raises(MonitoringInputError, match="missing"):
        rules.evaluate(current, previous, links=bad.drop(columns="relation"))
    alerts = rules.evaluate(current, previous)
    assert "no links" in alerts.attrs["skipped_rules"]["ld"]


# -- combination, silent, review due, tags, recipients -----------------------------------------------
def test_combination_all_any_and_silent_components():
    current = frame(["A", "B", "C", "D"], x=[5, 5, 0, 0], y=[5, 0, 5, 0])
    rules = rules_of(
        {"name": "hx", "kind": "threshold", "level": "yellow", "when": "x > 1", "silent": True},
        {"name": "hy", "kind": "threshold", "level": "yellow", "when": "y > 1"},
        {"name": "both", "kind": "combination", "level": "red", "all": ["hx", "hy"]},
        {"name": "either", "kind": "combination", "level": "orange", "any": ["hx", "hy"]},
    )
    alerts = rules.evaluate(current)
    assert alerted(alerts, "hx") == []                # silent: evaluated, never raised
    assert alerted(alerts, "hy") == ["A", "C"]
    assert alerted(alerts, "both") == ["A"]
    assert alerted(alerts, "either") == ["A", "B", "C"]
    assert evidence(alerts, "both", "A") == {"x": {"before": None, "after": 5}, "y": {"before": None, "after": 5}}
    assert evidence(alerts, "either", "B") == {"x": {"before": None, "after": 5}}
    assert alerts.set_index(["rule", "customer_id"]).loc[("either", "A"), "message"] == "either: triggered hx + hy."
    # alerts are sorted by level (red first), then rule order, then customer
    assert list(alerts["level"]) == sorted(alerts["level"], key=LEVELS.index)


def test_review_due():
    current = frame(["A", "B", "C"], review_overdue_days=[0.0, 12.0, np.nan])
    alerts = rules_of({"name": "rv", "kind": "review_due", "level": "info"}).evaluate(current)
    assert alerted(alerts, "rv") == ["B"]
    assert evidence(alerts, "rv", "B") == {"review_overdue_days": {"before": None, "after": 12.0}}


def test_tags_and_where_restrict_a_rule():
    current = frame(["A", "B", "C", "D"], current_dpd=[90] * 4, industry=["construction", "retail", "construction",
                                                                            "retail"],
                    grade=["B", "B", "D", "CCC"], group_id=["G1", "G1", "G2", "G2"])
    rules = rules_of({**GOOD, "tags": {"industry": ["construction"]}, "where": "grade != 'D'"},
                     {**GOOD, "name": "g2", "tags": {"group_id": ["G2"], "grade": ["CCC", "D"]}})
    alerts = rules.evaluate(current)
    assert alerted(alerts, "late") == ["A"]
    assert alerted(alerts, "g2") == ["C", "D"]
    assert json.loads(alerts.set_index(["rule", "customer_id"]).loc[("late", "A"), "tags"]) == {
        "industry": "construction", "grade": "B", "group_id": "G1"}


def test_recipients_merge_rule_level_and_tag_routes_once_each():
    current = frame(["A", "B"], current_dpd=[90, 90], region=["east", "west"])
    rules = rules_of(
        {**GOOD, "recipients": ["own@x", "cro@x"]},
        {**GOOD, "name": "info_rule", "level": "info"},
        recipients={"red": ["cro@x", "committee@x"], "info": [],
                    "by_tag": [{"levels": ["red"], "tags": {"region": ["east"]}, "to": ["east@x", "cro@x"]},
                               {"tags": {"region": ["west"]}, "to": ["west@x"]}]},
    )
    alerts = rules.evaluate(current).set_index(["rule", "customer_id"])
    assert alerts.loc[("late", "A"), "recipients"] == ("own@x", "cro@x", "committee@x", "east@x")
    assert alerts.loc[("late", "B"), "recipients"] == ("own@x", "cro@x", "committee@x", "west@x")
    assert alerts.loc[("info_rule", "A"), "recipients"] == ()
    assert alerts.loc[("info_rule", "B"), "recipients"] == ("west@x",)  # a route without levels takes all


# -- bad inputs ---------------------------------------------------------------------------------------
def test_missing_column_names_rule_and_column_unless_optional():
    rules = rules_of(GOOD)
    with pytest.raises(MissingColumnError) as info:
        rules.evaluate(frame(["A"], max_dpd=[1]))
    assert str(info.value).startswith("rule 'late' (threshold) needs column 'current_dpd', absent from current")
    assert isinstance(info.value, RiskkitError) and isinstance(info.value, KeyError)
    optional = rules_of({**GOOD, "optional": True}, {**GOOD, "name": "combo_src", "when": "x > 0"},
                        {"name": "c", "kind": "combination", "level": "red", "any": ["late", "combo_src"]})
    alerts = optional.evaluate(frame(["A"], x=[1]))
    assert alerted(alerts, "c") == ["A"]
    assert alerts.attrs["skipped_rules"] == {"late": "optional rule: column 'current_dpd' absent from current"}
    with pytest.raises(MissingColumnError, match="absent from previous"):
        rules_of({"name": "d", "kind": "downgrade", "level": "red"}).evaluate(frame(["A"], grade=["A"]),
                                                                              frame(["A"], rating=["A"]))


def test_malformed_frames_are_errors():
    rules = rules_of(GOOD)
    with pytest.raises(MonitoringInputError, match="unique; duplicated: \\['A'\\]"):
        rules.evaluate(frame(["A", "A"], current_dpd=[1, 2]))
    with pytest.raises(MonitoringInputError, match="must be a DataFrame"):
        rules.evaluate({"current_dpd": [1]})
    with pytest.raises(MonitoringInputError, match="rule 'late'.*not numeric"):
        rules.evaluate(frame(["A"], current_dpd=["90"]))
    with pytest.raises(MonitoringInputError, match="previous_as_of .* must be before"):
        rules.evaluate(frame(["A"], current_dpd=[1]), as_of="2024-05-31", previous_as_of="2024-06-30")


def test_default_rules_on_a_hand_built_book():
    """Every default rule runs on the columns the kit supplies; a clear case per level."""
    ids = ["A", "B", "C", "D"]
    base = dict(grade=["BB", "A", "BBB", "B"], current_dpd=[0.0, 0.0, 0.0, 0.0],
                avg_days_beyond_terms=[5.0, 5.0, 5.0, 5.0], orders_amount_90d=[1e6] * 4,
                orders_amount_365d=[4e6] * 4, bureau_score=[600.0] * 4, pd=[0.01, 0.01, 0.01, 0.01],
                altman_zone=["safe"] * 4, utilisation=[0.5] * 4, ead=[50.0] * 4, credit_limit=[100.0] * 4,
                industry=["retail"] * 4, region=["east"] * 4)
    previous = frame(ids, **base)
    now = {**base, "grade": ["D", "A", "BBB", "B"], "current_dpd": [120.0, 45.0, 0.0, 0.0],
           "bureau_score": [600.0, 600.0, 540.0, 600.0]}
    current = frame(ids, **now)
    links = pd.DataFrame({"customer_id": ["D"], "linked_id": ["A"], "relation": ["guarantor"]})
    alerts = MonitoringRules.default().evaluate(current, previous, links=links, as_of="2024-06-30",
                                                previous_as_of="2024-05-31")
    got = {(r.customer_id, r.rule, r.level) for r in alerts.itertuples()}
    assert got == {("A", "newly_defaulted", "red"), ("B", "overdue_30_days", "orange"),
                   ("C", "bureau_score_fell", "yellow"), ("D", "linked_party_defaulted", "orange")}
    skipped = alerts.attrs["skipped_rules"]
    assert set(skipped) >= {"network_pd_high", "stress_scenario_distress", "review_overdue"}
    red = alerts[alerts["level"] == "red"]
    assert red["recipients"].iloc[0] == ("credit-committee@example.com", "head-of-credit@example.com")


@pytest.mark.slow
def test_default_rules_keep_red_and_orange_rare_on_the_sample_book():
    """On the sample book, red/orange alerts concern well under 10 % of customers in a month."""
    import riskkit as rk

    portfolio = rk.load_sample()
    card, _ = rk.fit_portfolio_scorecard(portfolio, rk.assess.development_dates("2024-06-30"))
    snapshots = {}
    for as_of in ("2024-05-31", "2024-06-30"):
        profile = rk.build_profile(portfolio, as_of)
        ratings = rk.assess_portfolio(portfolio, as_of, card, profile=profile)
        snapshots[as_of] = profile.join(ratings.drop(columns=[c for c in ratings if c in profile]))
    alerts = MonitoringRules.default().evaluate(snapshots["2024-06-30"], snapshots["2024-05-31"],
                                                events=portfolio.events, as_of="2024-06-30",
                                                previous_as_of="2024-05-31")
    n = len(snapshots["2024-06-30"])
    severe = alerts.loc[alerts["level"].isin(["red", "orange"]), "customer_id"].nunique() / n
    assert 0 < severe < 0.06
    assert alerts["customer_id"].nunique() / n < 0.30
