"""The credit_decisions table: its rules, and limits as they were in Portfolio.as_of.

References are hand computations on the tiny portfolio of conftest.py (three customers)
and, for random books, a direct per-customer search written out in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_tables

import riskkit as rk
from riskkit.data import DataValidationError
from riskkit.limits import exposure


def ts(*values) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def decisions() -> pd.DataFrame:
    """C1 (onboarded 2019-01-01; customers table: 1,000,000 at 60 days) has three
    decisions; C2 has none; C3 (onboarded 2021-01-10) gets its first only on 2021-03-01."""
    return pd.DataFrame({
        "customer_id": ["C1", "C1", "C1", "C3"],
        "effective_date": ts("2019-01-01", "2021-02-01", "2021-06-01", "2021-03-01"),
        "credit_limit": [500_000.0, 200_000.0, 400_000.0, 5_000.0],
        "payment_terms_days": [45, 30, 30, 0],
        "reason": ["onboarding", "deterioration", "improvement", "periodic_review"],
        "decided_by": ["credit_analyst_01", "credit_manager_02", "credit_analyst_01", "credit_committee"],
    })


@pytest.fixture
def book() -> rk.data.Portfolio:
    return rk.data.Portfolio(**tiny_tables(), credit_decisions=decisions())


# --------------------------------------------------------------------------- rules
def _set(row: int, column: str, value):
    def mutate(t):
        try:
            t.loc[row, column] = value
        except (TypeError, ValueError):  # a value the column's dtype cannot hold, e.g. text in a date column
            t[column] = t[column].astype(object)
            t.loc[row, column] = value
    return mutate


BAD = [
    ("negative limit", _set(1, "credit_limit", -1.0), "credit_limit", "non_negative",
     "customer_id|effective_date=C1|2021-02-01"),
    ("infinite limit", _set(0, "credit_limit", float("inf")), "credit_limit", "finite",
     "customer_id|effective_date=C1|2019-01-01"),
    ("terms over a year", _set(2, "payment_terms_days", 400), "payment_terms_days", "at_most_365",
     "customer_id|effective_date=C1|2021-06-01"),
    ("negative terms", _set(3, "payment_terms_days", -30), "payment_terms_days", "non_negative",
     "customer_id|effective_date=C3|2021-03-01"),
    ("fractional terms", _set(0, "payment_terms_days", 30.5), "payment_terms_days", "integer",
     "customer_id|effective_date=C1|2019-01-01"),
    ("unknown reason", _set(1, "reason", "gut_feeling"), "reason", "known_category",
     "customer_id|effective_date=C1|2021-02-01"),
    ("missing decider", _set(2, "decided_by", None), "decided_by", "not_null",
     "customer_id|effective_date=C1|2021-06-01"),
    ("empty decider", _set(2, "decided_by", ""), "decided_by", "not_empty",
     "customer_id|effective_date=C1|2021-06-01"),
    ("missing date", _set(3, "effective_date", pd.NaT), "effective_date", "not_null",
     "customer_id|effective_date=C3|NaT"),
    ("unparseable date", _set(3, "effective_date", "2021-02-30"), "effective_date", "parseable_date",
     "customer_id|effective_date=C3"),
    ("time of day", _set(1, "effective_date", pd.Timestamp("2021-02-01 09:30")), "effective_date",
     "calendar_day", "customer_id|effective_date=C1|2021-02-01"),
    ("two decisions on one day", _set(2, "effective_date", pd.Timestamp("2021-02-01")), "effective_date",
     "unique_key", "customer_id|effective_date=C1|2021-02-01"),
    ("unknown customer", _set(3, "customer_id", "C9"), "customer_id", "foreign_key_to_customers",
     "customer_id|effective_date=C9|2021-03-01"),
    ("before onboarding", _set(3, "effective_date", pd.Timestamp("2021-01-09")), "effective_date",
     "effective_date_not_before_onboarded", "customer_id|effective_date=C3|2021-01-09"),
]


@pytest.mark.parametrize("mutate, column, check, key", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_each_rule_names_table_column_check_and_keys(mutate, column, check, key):
    tables = tiny_tables()
    table = decisions()
    mutate(table)
    with pytest.raises(DataValidationError) as info:
        rk.data.Portfolio(**tables, credit_decisions=table)
    message = str(info.value)
    assert f"credit_decisions.{column}: check '{check}'" in message
    v = info.value.violations
    hit = v[(v["table"] == "credit_decisions") & (v["column"] == column) & (v["check"] == check)]
    # one row per offending row (a duplicated key offends twice), each named by its key
    assert len(hit) == (2 if check == "unique_key" else 1), v
    assert hit["key"].str.startswith(key).all(), hit
    assert key in message


def test_missing_required_column_is_named():
    table = decisions().drop(columns="decided_by")
    with pytest.raises(DataValidationError, match=r"credit_decisions.decided_by: check 'required_column'"):
        rk.data.Portfolio(**tiny_tables(), credit_decisions=table)


def test_decision_on_the_onboarding_day_and_boundaries_are_valid():
    table = decisions()
    table.loc[3, "effective_date"] = pd.Timestamp("2021-01-10")  # C3's onboarding day itself
    table.loc[3, "payment_terms_days"] = 365  # the longest terms allowed
    table.loc[1, "credit_limit"] = 0.0  # a withdrawn line
    p = rk.data.Portfolio(**tiny_tables(), credit_decisions=table)
    assert len(p.credit_decisions) == 4
    assert p.credit_decisions["payment_terms_days"].dtype == "int64"
    assert p.credit_decisions["effective_date"].dtype == "datetime64[ns]"


def test_table_is_optional_and_empty_when_absent(tiny_portfolio):
    assert tiny_portfolio.credit_decisions.empty
    assert list(tiny_portfolio.credit_decisions.columns) == [
        "customer_id", "effective_date", "credit_limit", "payment_terms_days", "reason", "decided_by"]
    assert "credit_decisions=0" in repr(tiny_portfolio)
    assert tiny_portfolio.as_of("2021-03-01").customers["credit_limit"].tolist() == [1e6, 2e5, 1e4]


# --------------------------------------------------------------------------- as_of
def _terms(snapshot) -> dict:
    c = snapshot.customers.set_index("customer_id")
    return {k: (c.loc[k, "credit_limit"], c.loc[k, "payment_terms_days"]) for k in c.index}


@pytest.mark.parametrize("date, c1, c3", [
    # C1: before its 2021-02-01 cut the onboarding decision holds
    ("2020-06-30", (500_000.0, 45), None),
    ("2021-01-31", (500_000.0, 45), (1e4, 30)),  # C3 before its first decision: customers table
    # on the effective date itself the new decision applies
    ("2021-02-01", (200_000.0, 30), (1e4, 30)),
    # between two decisions the earlier one holds
    ("2021-04-15", (200_000.0, 30), (5_000.0, 0)),
    ("2021-06-01", (400_000.0, 30), (5_000.0, 0)),
    ("2030-01-01", (400_000.0, 30), (5_000.0, 0)),
])
def test_as_of_applies_the_latest_decision_on_or_before_the_date(book, date, c1, c3):
    snap = book.as_of(date)
    got = _terms(snap)
    assert got["C1"] == c1
    assert got["C2"] == (2e5, 30)  # no decision at all: the customers table's values
    assert got.get("C3") == c3
    assert snap.customers["credit_limit"].dtype == "float64"
    assert snap.customers["payment_terms_days"].dtype == "int64"
    # the decision log itself is cut at the date, too
    assert (snap.credit_decisions["effective_date"] <= pd.Timestamp(date)).all()
    expected_rows = int((decisions()["effective_date"] <= pd.Timestamp(date)).sum())
    assert len(snap.credit_decisions) == expected_rows


def test_as_of_does_not_touch_the_book(book):
    before = {k: v.copy() for k, v in book.tables.items()}
    book.as_of("2021-04-15")
    for name, df in before.items():
        pd.testing.assert_frame_equal(book.tables[name], df)
    assert book.customers.set_index("customer_id").loc["C1", "credit_limit"] == 1e6


def test_snapshot_with_decisions_is_still_valid(book):
    rk.data.Portfolio(**book.as_of("2021-04-15").tables)


def test_exposure_uses_the_limit_in_force(book):
    # on 2021-03-01 C1 owes I1 (1,000, paid 2021-03-20) and I2 (2,500, issued that day);
    # its orders are closed: EAD 3,500 against the 200,000 in force since 2021-02-01
    e = exposure(book, "2021-03-01")
    assert e.loc["C1", "ead"] == 3500.0
    assert e.loc["C1", "credit_limit"] == 200_000.0
    assert e.loc["C1", "utilisation"] == pytest.approx(3500.0 / 200_000.0, rel=1e-15)
    # C3's first decision is on 2021-03-01: 5,000; its open I4 is 50
    assert e.loc["C3", "utilisation"] == pytest.approx(50.0 / 5_000.0, rel=1e-15)
    assert exposure(book, "2021-01-31").loc["C1", "credit_limit"] == 500_000.0


def test_profile_reads_the_limit_in_force(book):
    profile = rk.profile.build_profile(book, "2021-04-15")
    assert profile.loc["C1", "credit_limit"] == 200_000.0
    assert profile.loc["C1", "payment_terms_days"] == 30


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_as_of_matches_a_direct_search_on_random_books(seed):
    rng = np.random.default_rng(seed)
    n = 40
    tables = tiny_tables()
    base = tables["customers"].iloc[[0]]
    customers = pd.concat([base] * n, ignore_index=True)
    customers["customer_id"] = [f"K{i:03d}" for i in range(n)]
    customers["onboarded"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    customers["credit_limit"] = rng.uniform(1, 9, n).round(2)
    rows = []
    for i in range(n):  # a test may loop: this is the reference
        days = np.unique(rng.integers(0, 900, rng.integers(0, 6)))
        for day in days:
            rows.append((f"K{i:03d}", customers.loc[i, "onboarded"] + pd.Timedelta(days=int(day)),
                         float(rng.integers(0, 100) * 1000), int(rng.choice([0, 30, 60, 90]))))
    table = pd.DataFrame(rows, columns=["customer_id", "effective_date", "credit_limit", "payment_terms_days"])
    table = table.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order
    table["reason"] = "periodic_review"
    table["decided_by"] = "credit_analyst_01"
    p = rk.data.Portfolio(customers, credit_decisions=table)
    for date in pd.to_datetime(["2020-03-01", "2020-09-15", "2021-06-30", "2022-12-31"]):
        snap = p.as_of(date).customers.set_index("customer_id")
        for cid, row in snap.iterrows():
            mine = table[(table["customer_id"] == cid) & (table["effective_date"] <= date)]
            if len(mine):
                latest = mine.loc[mine["effective_date"].idxmax()]
                assert (row["credit_limit"], row["payment_terms_days"]) == (
                    latest["credit_limit"], latest["payment_terms_days"]), (cid, date)
            else:
                original = customers.set_index("customer_id").loc[cid]
                assert (row["credit_limit"], row["payment_terms_days"]) == (
                    original["credit_limit"], original["payment_terms_days"]), (cid, date)


# --------------------------------------------------------------------------- io
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_keeps_the_decisions(book, tmp_path, fmt):
    book.save(tmp_path, format=fmt)
    assert (tmp_path / f"credit_decisions.{fmt}").exists()
    loaded = rk.data.load_portfolio(tmp_path)
    pd.testing.assert_frame_equal(loaded.credit_decisions, book.credit_decisions, check_exact=True)
    assert _terms(loaded.as_of("2021-04-15")) == _terms(book.as_of("2021-04-15"))


def test_a_folder_without_decisions_loads_with_an_empty_table(book, tmp_path):
    book.save(tmp_path, format="csv")
    (tmp_path / "credit_decisions.csv").unlink()
    loaded = rk.data.load_portfolio(tmp_path)
    assert loaded.credit_decisions.empty
    assert list(loaded.credit_decisions.columns) == list(rk.data.empty_table("credit_decisions").columns)


def test_bad_decisions_in_a_file_name_the_file_table(book, tmp_path):
    book.save(tmp_path, format="csv")
    text = (tmp_path / "credit_decisions.csv").read_text().replace("improvement", "whim")
    (tmp_path / "credit_decisions.csv").write_text(text)
    with pytest.raises(DataValidationError, match=r"credit_decisions.reason: check 'known_category'.*C1\|2021-06-01"):
        rk.data.load_portfolio(tmp_path)
