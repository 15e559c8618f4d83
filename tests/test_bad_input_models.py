"""Bad model and config files are refused with an error naming the file, entry and field.

YAML (the kit's one reader, :func:`riskkit._core.config.read_yaml`): duplicate keys, alias
bombs, recursive aliases, too-deep nesting. Conditions: nesting beyond MAX_DEPTH is the
condition language's own error, not RecursionError. Scorecard JSON: every field of the
document is checked (each case below edits one field of a real, freshly fitted card and
states the expected field path by hand).
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from riskkit._core.conditions import MAX_DEPTH, ConditionError, parse_condition
from riskkit._core.config import MAX_EXPANDED_NODES, MAX_NESTING, ConfigError, parse_yaml, read_yaml
from riskkit.scoring import MasterScale, RatingRules, Scorecard, WoEBinner


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- YAML ------------------------------------------------------------------------------------

def test_duplicate_top_level_key_names_file_line_and_key(tmp_path):
    path = _write(tmp_path, "dup.yaml", """\
        name: a
        version: "1"
        name: b
        """)
    with pytest.raises(ConfigError) as info:
        read_yaml(path)
    err = info.value
    assert (err.source, err.entry, err.field) == (str(path), "line 3", "name")
    assert "duplicate key (first given at line 1)" in str(err)
    assert str(err).startswith(f"{path}: line 3: field 'name': ")


def test_duplicate_key_inside_a_list_item_names_its_line(tmp_path):
    path = _write(tmp_path, "dup.yaml", """\
        rules:
          - name: r1
            grade: A
          - name: r2
            grade: B
            grade: C
        """)
    with pytest.raises(ConfigError, match=r"line 6: field 'grade': duplicate key \(first given at line 5\)"):
        read_yaml(path)


def test_duplicate_key_in_a_real_config_loader_names_the_file(tmp_path):
    # a master scale whose grade B is listed with two upper bounds: before the fix the
    # second one silently won
    path = _write(tmp_path, "scale.yaml", """\
        grades:
          - {grade: A, pd_upper: 0.01}
          - {grade: B, pd_upper: 0.05, pd_upper: 0.5}
          - {grade: C, pd_upper: 1.0}
        """)
    with pytest.raises(ConfigError) as info:
        MasterScale.from_yaml(path)
    assert info.value.source == str(path) and info.value.field == "pd_upper"
    assert info.value.entry == "line 3"


def test_merge_key_override_is_not_a_duplicate():
    # '<<: *base' then 'x: 2' overrides the merged value: legal YAML, kept
    data = parse_yaml("base: &b {x: 1, y: 3}\nd:\n  <<: *b\n  x: 2\n", "m.yaml")
    assert data == {"base": {"x": 1, "y": 3}, "d": {"x": 2, "y": 3}}


def _billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_without_expanding(tmp_path):
    # 10**10 'lol's if expanded; run in a child with a hard timeout so a regression that
    # expands (or walks) the aliases fails the test instead of hanging the suite
    path = _write(tmp_path, "bomb.yaml", _billion_laughs())
    code = ("import sys\nfrom riskkit._core.config import read_yaml, ConfigError\n"
            f"try:\n    read_yaml({str(path)!r})\nexcept ConfigError as e:\n    print(e)\n    sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert f"{path}: line " in done.stdout
    assert f"field '<aliases>': the document expands to more than {MAX_EXPANDED_NODES:,} values" in done.stdout


def test_alias_use_within_the_limit_is_kept():
    # 10 * 10 * 10 = 1,000 leaves through aliases: a legitimate document
    data = parse_yaml(_billion_laughs(levels=2), "ok.yaml")
    assert len(data["l2"]) == 10 and data["l2"][3][4] == ["lol"] * 10


def test_recursive_alias_is_refused():
    with pytest.raises(ConfigError, match=r"r\.yaml: line 1: field '<aliases>': .*recursive"):
        parse_yaml("a: &a [1, *a]\n", "r.yaml")


@pytest.mark.parametrize("text, line, what", [
    ("[" * 5000 + "]" * 5000, 1, "lists/mappings"),
    ("{a: " * 5000 + "1" + "}" * 5000, 1, "lists/mappings"),
    ("".join(" " * i + "a:\n" for i in range(300)) + " " * 300 + "b: 1\n", MAX_NESTING + 1, "indented blocks"),
], ids=["flow-lists", "flow-mappings", "block-indentation"])
def test_nesting_beyond_the_limit_is_refused_by_the_scanner(text, line, what):
    # PyYAML's scanner is quadratic in the depth (5,000 levels: about a minute); the
    # strict loader stops at MAX_NESTING, on the line where the limit is crossed
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, "deep.yaml")
    assert (info.value.entry, info.value.field) == (f"line {line}", "<nesting>")
    assert f"{what} nested deeper than {MAX_NESTING} levels" in info.value.problem


def test_nesting_within_the_limit_is_kept():
    depth = MAX_NESTING - 1
    data = parse_yaml("[" * depth + "1" + "]" * depth, "ok.yaml")
    for _ in range(depth - 1):
        data = data[0]
    assert data == [1]


def test_invalid_yaml_names_the_file_and_the_line(tmp_path):
    path = _write(tmp_path, "bad.yaml", "a: [1, 2\nb: 3\n")
    with pytest.raises(ConfigError) as info:
        read_yaml(path)
    assert info.value.source == str(path) and info.value.field == "<yaml>"
    assert "line 2" in str(info.value)


def test_non_utf8_file_is_a_config_error(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin\.yaml: <file>: field '<encoding>': not UTF-8 text"):
        read_yaml(path)


# -- conditions ------------------------------------------------------------------------------

def _nested_not(depth: int) -> dict:
    spec = {"column": "x", "op": ">", "value": 1}
    for _ in range(depth):
        spec = {"not": spec}
    return spec


def test_deep_structured_condition_is_a_condition_error_naming_where():
    with pytest.raises(ConditionError) as info:
        parse_condition(_nested_not(5000), "when")
    assert not isinstance(info.value, RecursionError)
    assert f"nested deeper than {MAX_DEPTH} levels" in info.value.problem
    # the path into the structure, one '.not' per level, up to the refusing level
    assert info.value.where == "when" + ".not" * (MAX_DEPTH + 1)


def test_condition_at_the_depth_limit_still_parses():
    frame = pd.DataFrame({"x": [0, 2]})
    cond = parse_condition(_nested_not(MAX_DEPTH), "when")
    # an even number of negations: the condition is 'x > 1'
    assert cond.evaluate(frame).tolist() == [False, True]


@pytest.mark.parametrize("text", ["not " * 5000 + "x > 1", "(" * 100_000 + "x > 1" + ")" * 100_000],
                         ids=["5000-nots", "100000-parentheses"])
def test_deep_expression_is_a_condition_error(text):
    with pytest.raises(ConditionError) as info:
        parse_condition(text, "rules[0].when")
    assert info.value.where == "rules[0].when"
    assert "nested" in info.value.problem


def test_deep_condition_in_rating_rules_names_file_rule_and_path(tmp_path):
    when = json.dumps(_nested_not(100))  # deeper than MAX_DEPTH, within MAX_NESTING  # JSON is YAML: a one-line nested mapping
    path = _write(tmp_path, "rules.yaml", f"""\
        name: deep
        pd_column: pd
        rules:
          - name: deep_rule
            when: {when}
            grade: A
          - name: scale
            default: true
        """)
    with pytest.raises(ConfigError) as info:
        RatingRules.from_yaml(path)
    err = info.value
    assert err.source == str(path) and err.entry == "rules[0] (deep_rule)"
    assert err.field.startswith("when.not.not") and f"deeper than {MAX_DEPTH}" in err.problem


# -- Scorecard JSON --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def card_payload() -> dict:
    """A real fitted card: numeric x (with a special value), numeric z, categorical cat."""
    rng = np.random.default_rng(0)
    n = 2000
    x, z = rng.normal(size=n), rng.normal(size=n)
    cat = rng.choice(["a", "b", "c"], size=n)
    logit = -1 + 1.2 * x + 0.8 * z + np.select([cat == "a", cat == "b"], [0.8, 0.0], -0.8)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({"x": x, "z": z, "cat": cat})
    card = Scorecard(binner=WoEBinner(max_bins=4, special_values={"x": [-99.0]}), min_iv=0.0).fit(X, y)
    payload = json.loads(card.to_json())
    names = [f["name"] for f in payload["binner"]["features"]]
    assert names == ["x", "z", "cat"] and payload["features"] == ["x", "z", "cat"]
    assert len(payload["binner"]["features"][0]["splits"]) >= 2
    return payload


def _feature(payload, name):
    return next(f for f in payload["binner"]["features"] if f["name"] == name)


def _load(payload, source="card.json"):
    return Scorecard.from_json(json.dumps(payload, allow_nan=True), source=source)


def test_valid_card_loads_and_scores(card_payload):
    card = _load(card_payload)
    frame = pd.DataFrame({"x": [-99.0, 0.0, np.nan], "z": [0.0, 1.0, 2.0], "cat": ["a", "b", "zzz"]})
    assert np.isfinite(card.total_points(frame)).all()


def _parent(payload, path: str):
    *parents, last = path.split("/")
    node = payload
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node, (int(last) if isinstance(node, list) else last)


def _set(path: str, value):
    def edit(p):
        node, key = _parent(p, path)
        node[key] = value
    return edit


def _drop(path: str):
    def edit(p):
        node, key = _parent(p, path)
        del node[key]
    return edit


def _woe_x(edit_list):
    def edit(p):
        edit_list(_feature(p, "x"))
    return edit


# (edit, expected entry, expected field, words of the problem)
CASES = {
    "missing top-level key": (_drop("stats"), "<top level>", "stats", "is required"),
    "unknown top-level key": (_set("comment", "hand edited"), "<top level>", "comment", "unknown field"),
    "missing pdo": (_drop("params/pdo"), "params", "pdo", "is required"),
    "unknown parameter": (_set("params/pd0", 20), "params", "pd0", "unknown field"),
    "zero pdo": (_set("params/pdo", 0), "params", "pdo", "must be > 0"),
    "negative pdo": (_set("params/pdo", -20.0), "params", "pdo", "must be >= 0.0"),
    "pdo as text": (_set("params/pdo", "20"), "params", "pdo", "must be a number"),
    "NaN pdo": (_set("params/pdo", math.nan), "params", "pdo", "finite"),
    "zero base_odds": (_set("params/base_odds", 0), "params", "base_odds", "must be > 0"),
    "check_sign as text": (_set("params/check_sign", "yes"), "params", "check_sign", "true or false"),
    "unknown stepwise": (_set("params/stepwise", "forward"), "params", "stepwise", "must be one of"),
    "NaN coefficient": (_set("stats/coef/z", math.nan), "stats.coef", "z", "finite"),
    "infinite coefficient": (_set("stats/coef/const", math.inf), "stats.coef", "const", "finite"),
    "coefficient as text": (_set("stats/coef/x", "-0.5"), "stats.coef", "x", "must be a number"),
    "coefficient missing": (_drop("stats/coef/cat"), "stats.coef", "<keys>", "missing ['cat']"),
    "p-value above 1": (_set("stats/p_value/x", 1.5), "stats.p_value", "x", "<= 1.0"),
    "vif missing a feature": (_drop("vif/z"), "vif", "<keys>", "missing ['z']"),
    "model feature without binning": (_set("features", ["x", "z", "cat", "w"]), "<top level>", "features[3]",
                                      "no binning"),
    "feature listed twice": (_set("features", ["x", "x"]), "<top level>", "features", "twice"),
    "selection row missing a key": (_drop("selection/0/reason"), "selection[0]", "reason", "is required"),
}


def _binning_case(edit, field, words):
    return edit, "binner.features[0] (x)", field, words


BINNING_CASES = {
    "WoE list too short": _binning_case(_woe_x(lambda f: f["woe"].pop()), "woe", "must have 6 values"),
    "WoE list too long": _binning_case(_woe_x(lambda f: f["woe"].append(0.1)), "woe", "must have 6 values"),
    "NaN WoE": _binning_case(_woe_x(lambda f: f["woe"].__setitem__(1, math.nan)), "woe[1]", "finite"),
    "events of the wrong length": _binning_case(_woe_x(lambda f: f["events"].pop()), "events", "must have 6"),
    "negative count": _binning_case(_woe_x(lambda f: f["nonevents"].__setitem__(0, -1.0)), "nonevents[0]",
                                    ">= 0.0"),
    "unsorted splits": _binning_case(_woe_x(lambda f: f["splits"].reverse()), "splits", "strictly increasing"),
    "repeated split": _binning_case(_woe_x(lambda f: f["splits"].__setitem__(1, f["splits"][0])), "splits",
                                    "strictly increasing"),
    "split as text": _binning_case(_woe_x(lambda f: f["splits"].__setitem__(0, "low")), "splits[0]",
                                   "must be a number"),
    "unknown kind": _binning_case(_woe_x(lambda f: f.__setitem__("kind", "ordinal")), "kind", "must be one of"),
    "missing woe": _binning_case(_woe_x(lambda f: f.pop("woe")), "woe", "is required"),
    "unknown binning field": _binning_case(_woe_x(lambda f: f.__setitem__("bins", [])), "bins", "unknown field"),
    "groups on a numeric feature": _binning_case(_woe_x(lambda f: f.__setitem__("groups", [["a"]])), "groups",
                                                 "must be empty"),
    "special value NaN": _binning_case(_woe_x(lambda f: f.__setitem__("special_values", [math.nan])),
                                       "special_values[0]", "finite"),
    "negative shape_draws": _binning_case(_woe_x(lambda f: f.__setitem__("shape_draws", -1)), "shape_draws",
                                          "non-negative"),
    "unknown shape_rule": _binning_case(_woe_x(lambda f: f.__setitem__("shape_rule", "oracle")), "shape_rule",
                                        "cv"),
    "cv_pvalue above 1": _binning_case(_woe_x(lambda f: f.__setitem__("cv_pvalue", 1.5)), "cv_pvalue", "1"),
    "negative turning_events": _binning_case(_woe_x(lambda f: f.__setitem__("turning_events", -3.0)),
                                             "turning_events", ">= 0"),
    "cv_auc_gain below -1": _binning_case(_woe_x(lambda f: f.__setitem__("cv_auc_gain", -2.0)), "cv_auc_gain",
                                          "-1"),
}


def _cat(edit):
    def wrapped(p):
        edit(_feature(p, "cat"))
    return wrapped


CATEGORICAL_CASES = {
    "level in two groups": (_cat(lambda f: f["groups"][1].append(f["groups"][0][0])),
                            "binner.features[2] (cat)", "groups[1]", "is in groups[0] too"),
    "splits on a categorical feature": (_cat(lambda f: f.__setitem__("splits", [0.5])),
                                        "binner.features[2] (cat)", "splits", "must be empty"),
    "categorical WoE of the wrong length": (_cat(lambda f: f["woe"].pop()), "binner.features[2] (cat)", "woe",
                                            "must have 4 values (3 regular bin(s) + 0 special + 1 missing"),
}

BINNER_CASES = {
    "binner parameter out of range": (_set("binner/params/max_bins", 0), "binner.params", "max_bins",
                                      "positive integer"),
    "unknown binner parameter": (_set("binner/params/bins", 5), "binner.params", "bins", "unknown field"),
    "binner without features": (_set("binner/features", []), "binner", "features", "at least 1 item"),
}


@pytest.mark.parametrize("case", [*CASES, *BINNING_CASES, *CATEGORICAL_CASES, *BINNER_CASES])
def test_bad_scorecard_field_is_refused_naming_it(card_payload, case):
    edit, entry, field, words = {**CASES, **BINNING_CASES, **CATEGORICAL_CASES, **BINNER_CASES}[case]
    payload = copy.deepcopy(card_payload)
    edit(payload)
    with pytest.raises(ConfigError) as info:
        _load(payload)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.source, err.entry, err.field) == ("card.json", entry, field), str(err)
    assert words in err.problem, str(err)


def test_invalid_json_names_line_and_column():
    with pytest.raises(ConfigError) as info:
        Scorecard.from_json('{"format": "riskkit.scoring.Scorecard",\n "version": 1,\n "params": {,}}',
                            source="card.json")
    assert info.value.source == "card.json" and info.value.entry == "line 3 column 13"  # the comma: 1-based


def test_duplicate_json_key_is_refused(card_payload):
    text = json.dumps(card_payload)
    text = text.replace('"pdo": ', '"pdo": 40.0, "pdo": ', 1)  # the later one would silently win
    with pytest.raises(ConfigError, match=r"card\.json: <json>: field 'pdo': duplicate key"):
        Scorecard.from_json(text, source="card.json")


@pytest.mark.parametrize("edit, field, words", [
    (_set("format", "pickle"), "format", "not a riskkit Scorecard JSON"),
    (_set("version", 2), "version", "unsupported Scorecard JSON version 2"),
])
def test_other_format_or_version_is_refused(card_payload, edit, field, words):
    payload = copy.deepcopy(card_payload)
    edit(payload)
    with pytest.raises(ConfigError) as info:
        _load(payload)
    assert info.value.field == field and words in info.value.problem


def test_json_that_is_not_an_object_is_refused():
    with pytest.raises(ConfigError, match=r"card\.json: <top level>: field 'format': not a riskkit Scorecard"):
        Scorecard.from_json("[1, 2, 3]", source="card.json")
