"""Limit policy YAML: the default loads; every bad config names file, entry and field."""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from riskkit import ConfigError
from riskkit.limits import recommend_limits
from riskkit.limits.policy_config import (
    DEFAULT_LIMIT_POLICY_PATH,
    GRADES,
    ELBudgetMethod,
    LimitPolicy,
    NetWorthMethod,
    ProfitMethod,
    RatingSizeMatrix,
    load_limit_policy,
)


def base_config() -> dict:
    """The default YAML as a mapping, to be broken one field at a time."""
    return yaml.safe_load(DEFAULT_LIMIT_POLICY_PATH.read_text(encoding="utf-8"))


def write(tmp_path, config) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return str(path)


def test_default_policy_loads_with_documented_values():
    policy = LimitPolicy.default()
    assert policy.grades == GRADES and policy.default_grade == "D"
    assert list(policy.methods) == ["net_worth", "working_capital", "monthly_sales", "needs", "matrix",
                                    "el_budget", "profit"]
    assert policy.methods["net_worth"] == NetWorthMethod(share=0.10, column="equity")
    assert policy.methods["el_budget"] == ELBudgetMethod(budget_margin_share=0.25)
    assert policy.methods["profit"] == ProfitMethod(max_el_share=0.5, saturation="exponential")
    matrix = policy.methods["matrix"]
    assert isinstance(matrix, RatingSizeMatrix)
    assert [b.name for b in matrix.bands] == ["small", "medium", "large"] and matrix.bands[-1].upper == math.inf
    assert set(matrix.cells) == set(GRADES[:-1])
    assert policy.caps.absolute == 50e6 and policy.caps.seller_sales_share == 0.05
    assert policy.seller_annual_sales == 3e9 and policy.rounding == 10_000 and policy.review_notches == 3
    assert load_limit_policy(None) == policy
    assert load_limit_policy(str(DEFAULT_LIMIT_POLICY_PATH)) == policy
    with pytest.raises(TypeError, match="LimitPolicy, a YAML path or a mapping"):
        load_limit_policy(42)


def test_disabled_methods_are_left_out(tmp_path):
    config = base_config()
    config["methods"]["profit"]["enabled"] = False
    policy = LimitPolicy.from_yaml(write(tmp_path, config))
    assert "profit" not in policy.methods


def broken(mutate):
    config = base_config()
    mutate(config)
    return config


def _set(path, value):
    def mutate(config):
        node = config
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


def _delete(path):
    def mutate(config):
        node = config
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return mutate


BAD = [
    # (mutation, entry, field, words in the problem)
    (_set(["methods", "net_worth", "share"], -0.1), "methods.net_worth", "share", "must not be negative"),
    (_set(["methods", "working_capital", "share"], -5), "methods.working_capital", "share", "must not be negative"),
    (_set(["methods", "monthly_sales", "share"], -1.0), "methods.monthly_sales", "share", "must not be negative"),
    (_set(["methods", "net_worth", "share"], 1.5), "methods.net_worth", "share", "<= 1.0"),
    (_set(["methods", "net_worth", "share"], "20%"), "methods.net_worth", "share", "must be a number"),
    (_delete(["methods", "net_worth", "share"]), "methods.net_worth", "share", "is required"),
    (_set(["methods", "net_worth", "colour"], "red"), "methods.net_worth", "colour", "unknown field"),
    (_set(["methods", "credit_score"], {"share": 0.1}), "methods", "credit_score", "unknown method"),
    (_set(["methods", "net_worth", "enabled"], "yes"), "methods.net_worth", "enabled", "true or false"),
    (_set(["methods"], {"net_worth": {"share": 0.1, "enabled": False}}), "methods", "<entries>",
     "at least one method"),
    # bands: overlapping, unsorted, gapped, open-ended in the middle, empty
    (_set(["methods", "matrix", "bands", 1, "lower"], 1e7), "methods.matrix", "bands[1].lower", "overlaps"),
    (_set(["methods", "matrix", "bands"], [{"name": "big", "lower": 2e7, "upper": None},
                                          {"name": "small", "lower": 0, "upper": 2e7}]),
     "methods.matrix", "bands[0].upper", "only the last band may be open-ended"),
    (_set(["methods", "matrix", "bands"], [{"name": "medium", "lower": 2e7, "upper": 2e8},
                                          {"name": "small", "lower": 0, "upper": 2e7},
                                          {"name": "large", "lower": 2e8, "upper": None}]),
     "methods.matrix", "bands[1].lower", "not sorted"),
    (_set(["methods", "matrix", "bands", 1, "lower"], 3e7), "methods.matrix", "bands[1].lower", "gap"),
    (_set(["methods", "matrix", "bands", 0, "upper"], 0), "methods.matrix", "bands[0].upper", "must be above lower"),
    (_delete(["methods", "matrix", "bands", 0, "name"]), "methods.matrix", "bands[0].name", "is required"),
    # cells: a grade missing, an unknown grade, wrong width, bad formula, negative amount, non-zero D
    (_delete(["methods", "matrix", "cells", "BB"]), "methods.matrix", "cells.BB", "no row for grade 'BB'"),
    (_set(["methods", "matrix", "cells", "AAAA"], [1, 2, 3]), "methods.matrix", "cells.AAAA", "unknown grade"),
    (_set(["methods", "matrix", "cells", "BB"], [1, 2]), "methods.matrix", "cells.BB", "one cell per band"),
    (_set(["methods", "matrix", "cells", "BB"], [1, "equity ** 2", 3]), "methods.matrix", "cells.BB[1]", "Pow"),
    (_set(["methods", "matrix", "cells", "BB"], [1, "__import__('os')", 3]), "methods.matrix", "cells.BB[1]",
     "not allowed"),
    (_set(["methods", "matrix", "cells", "BB"], [1, -5, 3]), "methods.matrix", "cells.BB[1]", "negative"),
    (_set(["methods", "matrix", "cells", "D"], [0, 1, 0]), "methods.matrix", "cells.D", "always gets 0"),
    # model methods
    (_set(["methods", "el_budget", "budget_amount"], 1000), "methods.el_budget", "budget_amount", "exactly one"),
    (_set(["methods", "el_budget"], {}), "methods.el_budget", "budget_amount", "exactly one"),
    (_set(["methods", "el_budget", "budget_margin_share"], -0.25), "methods.el_budget", "budget_margin_share",
     "must not be negative"),
    (_set(["methods", "profit", "saturation"], "linear"), "methods.profit", "saturation", "must be one of"),
    (_set(["methods", "profit", "max_el_share"], 2), "methods.profit", "max_el_share", "<= 1.0"),
    # trade, caps, floors, top level
    (_set(["trade", "lgd"], -0.45), "trade", "lgd", "must not be negative"),
    (_set(["trade", "gross_margin_rate"], 15), "trade", "gross_margin_rate", "<= 1.0"),
    (_set(["trade", "purchases_growth"], -2), "trade", "purchases_growth", ">= -1.0"),
    (_set(["trade", "days_beyond_terms_if_missing"], -1), "trade", "days_beyond_terms_if_missing", ">= 0.0"),
    (_set(["trade", "pd_colum"], "pd"), "trade", "pd_colum", "unknown field"),
    (_set(["caps", "by_grade", "BBBB"], 1e6), "caps", "by_grade.BBBB", "unknown grade"),
    (_set(["caps", "absolute"], -1), "caps", "absolute", ">= 0.0"),
    (_set(["caps", "seller_sales_share"], -0.05), "caps", "seller_sales_share", "must not be negative"),
    (_set(["floors", "seller_sales_share"], 0.05), "floors", "seller_sales_share", "unknown field"),
    (_set(["floors", "by_ownership", "private"], "lots"), "floors", "by_ownership.private", "must be a number"),
    (_delete(["seller_annual_sales"]), "<top level>", "seller_annual_sales", "required when caps.seller_sales_share"),
    (_set(["rounding"], -10), "<top level>", "rounding", ">= 0.0"),
    (_set(["on_missing"], "guess"), "<top level>", "on_missing", "must be one of"),
    (_set(["grades"], ["A", "A", "D"]), "<top level>", "grades", "distinct"),
    (_set(["override_review", "notches"], 0), "override_review", "notches", ">= 1"),
    (_set(["limits"], {}), "<top level>", "limits", "unknown field"),
    (_delete(["methods"]), "<top level>", "methods", "is required"),
]


@pytest.mark.parametrize("mutate, entry, field, problem", BAD,
                         ids=[f"{e}:{f}:{p[:18]}" for _, e, f, p in BAD])
def test_bad_config_names_file_entry_and_field(tmp_path, mutate, entry, field, problem):
    path = write(tmp_path, broken(mutate))
    with pytest.raises(ConfigError) as info:
        LimitPolicy.from_yaml(path)
    err = info.value
    assert err.source == path
    assert (err.entry, err.field) == (entry, field), str(err)
    assert problem in err.problem
    assert str(err).startswith(f"{path}: {entry}: field '{field}': ")


def test_not_yaml_and_not_a_mapping(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("methods: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        LimitPolicy.from_yaml(path)
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping"):
        LimitPolicy.from_yaml(path)


# --------------------------------------------------------------------------- columns vs the frame
def frames():
    idx = pd.Index(["C1"], name="customer_id")
    profile = pd.DataFrame({"equity": [1e6], "revenue": [1e7], "credit_sales_365d": [1.2e6],
                            "payment_terms_days": [30], "avg_days_beyond_terms": [0.0],
                            "order_to_invoice_days": [20.0], "relationship_age_years": [3.0],
                            "ownership_type": ["private"], "credit_limit": [1e5]}, index=idx)
    ratings = pd.DataFrame({"grade": ["BB"], "pd_grade": ["BB"], "pd": [0.02], "grade_pd": [0.02],
                            "knockout": [False], "credit_limit": [1e5]}, index=idx)
    return profile, ratings


@pytest.mark.parametrize("drop, entry, field", [
    ("equity", "methods.net_worth", "column"),
    ("revenue", "methods.matrix", "size_column"),
    ("credit_sales_365d", "methods.monthly_sales", "column"),
    ("avg_days_beyond_terms", "trade", "days_beyond_terms_column"),
    ("order_to_invoice_days", "methods.needs", "order_to_invoice_column"),
    ("relationship_age_years", "trade", "purchases_history_column"),
    ("ownership_type", "<top level>", "ownership_column"),
])
def test_unknown_column_is_a_config_error_naming_entry_and_field(drop, entry, field):
    profile, ratings = frames()
    with pytest.raises(ConfigError) as info:
        recommend_limits(profile.drop(columns=drop), ratings)
    err = info.value
    assert err.source == str(DEFAULT_LIMIT_POLICY_PATH)
    assert (err.entry, err.field) == (entry, field)
    assert f"column {drop!r} is not in" in err.problem


def test_renamed_column_in_config_is_checked(tmp_path):
    profile, ratings = frames()
    config = base_config()
    config["methods"]["net_worth"]["column"] = "equitty"
    path = write(tmp_path, config)
    with pytest.raises(ConfigError, match=r"methods.net_worth: field 'column': column 'equitty' is not in"):
        recommend_limits(profile, ratings, path)
    config = base_config()
    config["trade"]["pd_column"] = "pd_12m"
    with pytest.raises(ConfigError, match=r"trade: field 'pd_column': column 'pd_12m'"):
        recommend_limits(profile, ratings, config)
    config = base_config()
    config["methods"]["matrix"]["cells"]["BB"][1] = "0.1 * net_worth"
    with pytest.raises(ConfigError, match=r"methods.matrix: field 'cells.BB\[1\]': column 'net_worth'"):
        recommend_limits(profile, ratings, config)


def test_working_capital_columns_are_optional():
    profile, ratings = frames()
    out = recommend_limits(profile, ratings)
    assert np.isnan(out["limit_working_capital"].iloc[0])
    assert out["note_working_capital"].iloc[0].startswith("no working capital data")


def test_policy_objects_are_immutable():
    policy = LimitPolicy.default()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.rounding = 5  # type: ignore[misc]
    assert copy.deepcopy(policy) == policy


@pytest.mark.parametrize("bad", [0.5, -1, "1.5", True, float("inf")])
def test_needs_peak_factor_bad_value_named(bad):
    config = base_config()
    config["methods"]["needs"] = {"peak_factor": bad}
    with pytest.raises(ConfigError, match=r"methods.needs: field 'peak_factor': must be a number >= 1"):
        LimitPolicy.from_dict(config)


def test_method_grades_parsed_and_bad_values_named():
    config = base_config()
    config["methods"]["net_worth"]["grades"] = ["BB", "B"]
    assert LimitPolicy.from_dict(config).method_grades["net_worth"] == ("BB", "B")
    for bad, message in ((["ZZ"], r"field 'grades\[0\]': unknown grade 'ZZ'"), ([], r"field 'grades': must have at least 1"),
                         (["B", "B"], r"field 'grades': grades must be distinct"), ("B", r"field 'grades': must be a list")):
        config["methods"]["net_worth"]["grades"] = bad
        with pytest.raises(ConfigError, match=r"methods.net_worth: " + message):
            LimitPolicy.from_dict(config)


def test_default_policy_is_needs_with_peak_and_balance_sheet_caps_for_weak_grades():
    policy = LimitPolicy.default()
    assert policy.methods["needs"].peak_factor == 1.5
    # v1.2: the needs-based limit counts the open orders, and the size matrix's fixed amounts
    # cap the weak grades only (for investment grades the full need is granted, up to the caps)
    assert policy.methods["needs"].order_to_invoice_column == "order_to_invoice_days"
    assert policy.method_grades == {m: ("BB", "B", "CCC")
                                    for m in ("net_worth", "working_capital", "monthly_sales", "matrix")}
