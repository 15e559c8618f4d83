"""Every data-model rule: corrupt a valid fixture and check the error names table, column,
check and the offending keys, and that nothing is dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit.data import DataValidationError


def _set(table, column, row, value):
    def mutate(tables):
        df = tables[table]
        # pandas refuses lossy assignment; hold the column as objects to plant a bad value
        if isinstance(value, str) and not pd.api.types.is_string_dtype(df[column]) or (
                isinstance(value, float) and pd.api.types.is_integer_dtype(df[column])):
            df[column] = df[column].astype(object)
        df.loc[row, column] = value
    return mutate


def _append_copy(table, row, **changes):
    def mutate(tables):
        df = tables[table]
        extra = df.iloc[[row]].copy()
        for k, v in changes.items():
            extra[k] = v
        tables[table] = pd.concat([df, extra], ignore_index=True)
    return mutate


def _drop_column(table, column):
    def mutate(tables):
        tables[table] = tables[table].drop(columns=column)
    return mutate


CASES = [
    # (id, mutation, table, column, check, key shown in the message)
    ("duplicate customer", _append_copy("customers", 1), "customers", "customer_id", "unique_key", "customer_id=C2"),
    ("duplicate invoice", _append_copy("invoices", 0, customer_id="C2"), "invoices", "invoice_id", "unique_key",
     "invoice_id=I1"),
    ("duplicate financial period", _append_copy("financials", 0), "financials", "period_end", "unique_key",
     "customer_id|period_end=C1|2020-12-31"),
    ("invoice for unknown customer", _set("invoices", "customer_id", 2, "C99"), "invoices", "customer_id",
     "foreign_key_to_customers", "invoice_id=I3"),
    ("order for unknown customer", _set("orders", "customer_id", 0, "C98"), "orders", "customer_id",
     "foreign_key_to_customers", "order_id=O1"),
    ("event for unknown customer", _set("events", "customer_id", 1, "X"), "events", "customer_id",
     "foreign_key_to_customers", "event_id=E2"),
    ("default for unknown customer", _set("defaults", "customer_id", 0, "C7"), "defaults", "customer_id",
     "foreign_key_to_customers", "customer_id|default_date=C7|2021-06-15"),
    ("bureau for unknown customer", _set("bureau", "customer_id", 0, "Z1"), "bureau", "customer_id",
     "foreign_key_to_customers", "Z1"),
    ("financials for unknown customer", _set("financials", "customer_id", 1, "Z2"), "financials", "customer_id",
     "foreign_key_to_customers", "Z2"),
    ("negative invoice amount", _set("invoices", "amount", 1, -5.0), "invoices", "amount", "non_negative",
     "invoice_id=I2"),
    ("negative order amount", _set("orders", "amount", 2, -1.0), "orders", "amount", "non_negative", "order_id=O3"),
    ("negative credit limit", _set("customers", "credit_limit", 0, -1.0), "customers", "credit_limit",
     "non_negative", "customer_id=C1"),
    ("negative total assets", _set("financials", "total_assets", 0, -1.0), "financials", "total_assets",
     "non_negative", "C1|2020-12-31"),
    ("due before issue", _set("invoices", "due_date", 0, pd.Timestamp("2021-01-01")), "invoices", "due_date",
     "due_date_not_before_issue_date", "invoice_id=I1"),
    ("paid before issue", _set("invoices", "paid_date", 2, pd.Timestamp("2021-01-01")), "invoices", "paid_date",
     "paid_date_not_before_issue_date", "invoice_id=I3"),
    ("paid more than invoiced", _set("invoices", "paid_amount", 0, 1500.0), "invoices", "paid_amount",
     "paid_amount_not_above_amount", "invoice_id=I1"),
    ("open invoice with payment", _set("invoices", "paid_amount", 1, 10.0), "invoices", "paid_amount",
     "open_invoice_has_no_payment", "invoice_id=I2"),
    ("order closed before placed", _set("orders", "closed_date", 0, pd.Timestamp("2020-12-01")), "orders",
     "closed_date", "closed_date_not_before_order_date", "order_id=O1"),
    ("open order with closed date", _set("orders", "closed_date", 2, pd.Timestamp("2021-05-01")), "orders",
     "closed_date", "closed_date_matches_status", "order_id=O3"),
    ("statement published before period end", _set("financials", "published_date", 1, pd.Timestamp("2020-06-30")),
     "financials", "published_date", "published_date_not_before_period_end", "C2|2020-12-31"),
    ("onboarded before founded", _set("customers", "onboarded", 1, pd.Timestamp("2009-01-01")), "customers",
     "onboarded", "onboarded_not_before_founded", "customer_id=C2"),
    ("share above one", _set("relations", "weight", 0, 1.2), "relations", "weight", "share_in_unit_interval",
     "P1|C1|shareholding|2015-01-01"),
    ("negative guarantee", _set("relations", "weight", 2, -1.0), "relations", "weight", "non_negative",
     "C1|C2|guarantee"),
    ("self loop", _set("relations", "dst", 4, "C1"), "relations", "dst", "no_self_loop", "C1|C1|supply"),
    ("relation ends before it starts", _set("relations", "end", 0, pd.Timestamp("2010-01-01")), "relations", "end",
     "end_not_before_start", "P1|C1|shareholding"),
    ("total owned share above one", _append_copy("relations", 1, src="P2", weight=0.8), "relations", "weight",
     "total_owned_share_at_most_1", "dst=C2"),
    # two parties controlling 60 % and 50 % of C2 at once (a rule graph.build_graph used to check on its own)
    ("total control share above one", lambda t: (_append_copy("relations", 1, type="control", weight=0.6)(t),
                                                 _append_copy("relations", 1, src="P2", type="control", weight=0.5)(t)),
     "relations", "weight", "total_control_share_at_most_1", "dst=C2"),
    ("unknown customer kind", _set("customers", "kind", 0, "company"), "customers", "kind", "known_category",
     "customer_id=C1"),
    ("unknown ownership type", _set("customers", "ownership_type", 1, "state"), "customers", "ownership_type",
     "known_category", "customer_id=C2"),
    ("unknown event category", _set("events", "category", 0, "gossip"), "events", "category", "known_category",
     "event_id=E1"),
    ("unknown relation type", _set("relations", "type", 4, "friendship"), "relations", "type", "known_category",
     "C1|C2|friendship"),
    ("unknown default reason", _set("defaults", "reason", 0, "late"), "defaults", "reason", "known_category",
     "C3|2021-06-15"),
    ("unknown order status", _set("orders", "status", 0, "shipped"), "orders", "status", "known_category",
     "order_id=O1"),
    ("severity out of range", _set("events", "severity", 0, 7), "events", "severity", "at_most_5", "event_id=E1"),
    ("severity below range", _set("events", "severity", 1, 0), "events", "severity", "at_least_1", "event_id=E2"),
    ("state share above 100 %", _set("customers", "state_ownership_pct", 0, 120.0), "customers",
     "state_ownership_pct", "at_most_100", "customer_id=C1"),
    ("missing required value", _set("invoices", "issue_date", 3, pd.NaT), "invoices", "issue_date", "not_null",
     "invoice_id=I4"),
    ("empty id", _set("customers", "name", 2, ""), "customers", "name", "not_empty", "customer_id=C3"),
    ("missing required column", _drop_column("invoices", "due_date"), "invoices", "due_date", "required_column",
     "columns="),
    ("unparseable date", _set("invoices", "due_date", 1, "2021-02-30"), "invoices", "due_date", "parseable_date",
     "invoice_id=I2"),
    ("fractional count", _set("bureau", "inquiries", 0, 1.5), "bureau", "inquiries", "integer", "C1|2021-01-01"),
    ("numeric ids", lambda t: t["customers"].__setitem__("customer_id", [1, 2, 3]), "customers", "customer_id",
     "text_dtype", "dtype=int64"),
    ("text in a money column", _set("invoices", "amount", 0, "1,000"), "invoices", "amount", "parseable_number",
     "invoice_id=I1"),
    ("infinite amount", _set("invoices", "amount", 0, float("inf")), "invoices", "amount", "finite",
     "invoice_id=I1"),
    ("infinite EBIT", _set("financials", "ebit", 1, float("-inf")), "financials", "ebit", "finite",
     "C2|2020-12-31"),
    ("time of day in a date", _set("invoices", "paid_date", 0, pd.Timestamp("2021-03-20 10:00")), "invoices",
     "paid_date", "calendar_day", "invoice_id=I1"),
    ("timezone-aware dates", lambda t: t["defaults"].__setitem__(
        "default_date", t["defaults"]["default_date"].dt.tz_localize("UTC")), "defaults", "default_date",
     "timezone_naive_date", "dtype="),
]


@pytest.mark.parametrize("mutate, table, column, check, key", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_names_table_column_check_and_keys(tables, mutate, table, column, check, key):
    mutate(tables)
    with pytest.raises(DataValidationError) as info:
        rk.data.Portfolio(**tables)
    message = str(info.value)
    assert f"{table}.{column}" in message
    assert f"check '{check}'" in message
    assert key in message
    v = info.value.violations
    hit = v[(v["table"] == table) & (v["column"] == column) & (v["check"] == check)]
    assert len(hit) >= 1, v
    assert hit["key"].str.contains(key, regex=False).any()


def test_valid_fixture_passes_and_keeps_every_row(tables):
    p = rk.data.Portfolio(**tables)
    for name, df in tables.items():
        assert len(p.tables[name]) == len(df), name
    assert p.customers["customer_id"].dtype == "str"
    assert p.invoices["issue_date"].dtype == "datetime64[ns]"
    assert p.bureau["inquiries"].dtype == "int64"


def test_many_offenders_are_listed_first_few_plus_count(tables):
    inv = tables["invoices"]
    many = pd.concat([inv.iloc[[0]]] * 12, ignore_index=True)
    many["invoice_id"] = [f"N{i:02d}" for i in range(12)]
    many["amount"] = -1.0
    many["paid_amount"] = 0.0
    many["paid_date"] = pd.NaT
    tables["invoices"] = pd.concat([inv, many], ignore_index=True)
    with pytest.raises(DataValidationError) as info:
        rk.data.Portfolio(**tables)
    message = str(info.value)
    assert "check 'non_negative' failed for 12 row(s)" in message
    assert "invoice_id=N00" in message and "(+7 more)" in message
    assert "N11" not in message  # only the first few keys in the message...
    v = info.value.violations
    assert set(v.loc[v["check"] == "non_negative", "key"]) == {f"invoice_id=N{i:02d}" for i in range(12)}  # ...all here


def test_all_violations_reported_together(tables):
    tables["invoices"].loc[0, "amount"] = -1.0
    tables["events"].loc[0, "category"] = "gossip"
    tables["relations"].loc[4, "dst"] = "C1"
    with pytest.raises(DataValidationError) as info:
        rk.data.Portfolio(**tables)
    checks = set(info.value.violations["check"])
    assert {"non_negative", "known_category", "no_self_loop"} <= checks


def test_empty_customers_table_is_an_error(tables):
    tables["customers"] = tables["customers"].iloc[:0]
    for name in ("invoices", "orders", "financials", "bureau", "events", "defaults"):
        tables[name] = tables[name].iloc[:0]
    with pytest.raises(DataValidationError, match="customers.customer_id: check 'not_empty'"):
        rk.data.Portfolio(**tables)


def test_missing_customers_table_is_an_error(tables):
    del tables["customers"]
    with pytest.raises(TypeError):
        rk.data.Portfolio(**tables)
    with pytest.raises(ValueError, match="needs a 'customers' table"):
        rk.data.validate_portfolio({"invoices": tables["invoices"]})


def test_unknown_table_name_is_an_error(tables):
    with pytest.raises(ValueError, match="unknown table"):
        rk.data.validate_portfolio({**tables, "invoice": tables["invoices"]})


def test_ownership_total_is_checked_over_time_not_just_summed(tables):
    # P2 takes 50 % of C2 only after P1's 30 % ... no: P1 holds 30 % throughout (no end).
    # Give P1's stake an end and let P2 buy 70 % after it: never more than 100 % at once.
    rel = tables["relations"]
    rel.loc[1, "end"] = pd.Timestamp("2020-06-30")
    extra = pd.DataFrame({"src": ["P2"], "dst": ["C2"], "type": ["shareholding"], "weight": [0.95],
                          "start": pd.to_datetime(["2020-06-30"]).astype("datetime64[ns]"),
                          "end": pd.Series([pd.NaT], dtype="datetime64[ns]")})
    tables["relations"] = pd.concat([rel, extra], ignore_index=True)
    rk.data.Portfolio(**tables)  # 0.30 until 2020-06-30, then 0.95: valid
    tables["relations"].loc[1, "end"] = pd.Timestamp("2020-07-01")  # one day of 1.25
    with pytest.raises(DataValidationError, match="total_owned_share_at_most_1"):
        rk.data.Portfolio(**tables)


def test_lossless_dtype_normalisation(tables):
    tables["invoices"]["issue_date"] = tables["invoices"]["issue_date"].astype("datetime64[s]")
    tables["customers"]["credit_limit"] = tables["customers"]["credit_limit"].astype("int64")
    tables["bureau"]["inquiries"] = tables["bureau"]["inquiries"].astype("float64")
    tables["events"]["event_id"] = tables["events"]["event_id"].astype(object)
    p = rk.data.Portfolio(**tables)
    assert p.invoices["issue_date"].dtype == "datetime64[ns]"
    assert p.customers["credit_limit"].dtype == "float64"
    assert p.bureau["inquiries"].dtype == "int64"
    assert p.events["event_id"].dtype == "str"
    np.testing.assert_array_equal(p.customers["credit_limit"], [1e6, 2e5, 1e4])


def test_extra_columns_are_kept(tables):
    tables["customers"]["segment"] = ["large", "small", "retail"]
    p = rk.data.Portfolio(**tables)
    assert list(p.customers["segment"]) == ["large", "small", "retail"]


def test_large_integers_stay_exact(tables):
    tables["bureau"]["inquiries"] = pd.Series([2**53 + 1, 5], dtype="int64")
    p = rk.data.Portfolio(**tables)
    assert p.bureau["inquiries"].iloc[0] == 2**53 + 1
