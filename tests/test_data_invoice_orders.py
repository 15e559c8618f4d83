"""invoices.order_id: an optional link from an invoice to the order it bills.

It must name an existing order of the same customer (or be empty); data without the
column still load; files and column mappings carry it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from riskkit.data import (
    DataValidationError,
    Portfolio,
    load_mapped,
    load_portfolio,
    write_template,
)
from riskkit.data.schemas import data_dictionary


def ts(*values) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def tables(order_ids) -> dict[str, pd.DataFrame]:
    customers = pd.DataFrame({
        "customer_id": ["A", "B"], "name": ["a", "b"], "kind": "enterprise",
        "industry": "retail", "region": "east", "ownership_type": "private",
        "state_ownership_pct": 0.0, "registered_capital": 1.0,
        "founded": ts("2000-01-01", "2000-01-01"), "onboarded": ts("2020-01-01", "2020-01-01"),
        "payment_terms_days": 30, "credit_limit": [1000.0, 1000.0]})
    invoices = pd.DataFrame({
        "invoice_id": ["I1", "I2", "I3", "I4"], "customer_id": ["A", "A", "B", "B"],
        "issue_date": ts("2024-01-15", "2024-01-25", "2024-02-01", "2024-02-02"),
        "due_date": ts("2024-02-15", "2024-02-25", "2024-03-01", "2024-03-02"),
        "amount": [30.0, 70.0, 10.0, 20.0], "paid_date": ts(None, None, None, None),
        "paid_amount": 0.0})
    if order_ids is not None:
        invoices["order_id"] = pd.Series(order_ids, dtype="str")
    orders = pd.DataFrame({
        "order_id": ["O1", "O2"], "customer_id": ["A", "B"],
        "order_date": ts("2024-01-10", "2024-01-30"), "amount": [100.0, 30.0],
        "status": ["open", "open"], "closed_date": ts(None, None)})
    return {"customers": customers, "invoices": invoices, "orders": orders}


def test_linked_invoices_validate():
    p = Portfolio(**tables(["O1", "O1", "O2", None]))
    assert p.invoices["order_id"].tolist()[:3] == ["O1", "O1", "O2"]
    assert pd.isna(p.invoices["order_id"].iloc[3])


def test_unknown_order_and_other_customers_order_are_named():
    with pytest.raises(DataValidationError) as info:
        Portfolio(**tables(["O1", "O9", "O1", None]))
    v = info.value.violations
    assert sorted(zip(v["table"], v["column"], v["check"], v["key"])) == [
        ("invoices", "order_id", "foreign_key_to_orders", "invoice_id=I2"),
        ("invoices", "order_id", "order_same_customer", "invoice_id=I3"),   # O1 is A's, I3 is B's
    ]
    message = str(info.value)
    assert "invoices.order_id: check 'foreign_key_to_orders' failed for 1 row(s): invoice_id=I2" in message
    assert "O1 of customer A, not B" in message


def test_an_invoice_issued_before_its_order_is_named():
    t = tables(["O1", "O1", "O2", "O2"])
    # O2 placed on 2024-02-02: I3 (issued 2024-02-01) precedes it, I4 (issued the same day) does not
    t["orders"].loc[1, "order_date"] = pd.Timestamp("2024-02-02")
    with pytest.raises(DataValidationError) as info:
        Portfolio(**t)
    v = info.value.violations
    assert list(zip(v["table"], v["column"], v["check"], v["key"])) == [
        ("invoices", "issue_date", "issued_not_before_order", "invoice_id=I3")]
    assert v["value"].iloc[0] == "'2024-02-01, before O2 of 2024-02-02'"


def test_linked_invoices_without_an_orders_table_fail():
    t = tables(["O1", None, None, None])
    del t["orders"]
    with pytest.raises(DataValidationError, match="foreign_key_to_orders.*invoice_id=I1"):
        Portfolio(**t)


def test_data_without_the_column_load(tmp_path):
    p = Portfolio(**tables(None))
    assert "order_id" not in p.invoices.columns
    for fmt in ("csv", "parquet"):
        p.save(tmp_path / fmt, format=fmt)
        assert "order_id" not in load_portfolio(tmp_path / fmt).invoices.columns


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_order_id_round_trips_with_empty_cells(tmp_path, fmt):
    p = Portfolio(**tables(["O1", "O1", None, "O2"]))
    p.save(tmp_path, format=fmt)
    back = load_portfolio(tmp_path).invoices
    assert back["order_id"].iloc[[0, 1, 3]].tolist() == ["O1", "O1", "O2"]
    assert pd.isna(back["order_id"].iloc[2])


def test_template_and_dictionary_list_the_column(tmp_path):
    d = data_dictionary().set_index(["table", "column"])
    row = d.loc[("invoices", "order_id")]
    assert (row["required"], row["nullable"]) == (False, True)
    write_template(tmp_path)
    assert "order_id" in (tmp_path / "invoices.csv").read_text().splitlines()[0].split(",")


def test_column_mapping_maps_the_order_reference(tmp_path):
    (tmp_path / "cust.csv").write_text(
        "Cust,Name,Since,Limit,Founded\nK1,k one,2020-01-01,1000,\nK2,k two,2020-01-01,500,\n")
    (tmp_path / "ar.csv").write_text(
        "Doc,Cust,Date,Due,Amt,SO,Paid\n"
        "D1,K1,2024-01-15,2024-02-15,30,S1,\n"
        "D2,K1,2024-01-25,2024-02-25,70,S1,\n"
        "D3,K2,2024-01-26,2024-02-26,5,,\n"          # a fee: no order
        "D4,K2,2024-01-27,2024-02-27,6,S1,\n")       # K1's order on K2's invoice
    (tmp_path / "so.csv").write_text(
        "SO,Cust,Date,Amt,St,Closed\nS1,K1,2024-01-10,100,open,\n")
    (tmp_path / "mapping.yaml").write_text("""
reporting_currency: CNY
tables:
  customers:
    file: cust.csv
    columns: {customer_id: Cust, name: Name, onboarded: Since, credit_limit: Limit,
              founded: Founded}
    constants: {kind: enterprise, industry: retail, region: east, ownership_type: private,
                state_ownership_pct: 0, registered_capital: 1, payment_terms_days: 30}
  invoices:
    file: ar.csv
    columns: {invoice_id: Doc, customer_id: Cust, issue_date: Date, due_date: Due, amount: Amt,
              order_id: SO, paid_date: Paid}
    constants: {paid_amount: 0}
  orders:
    file: so.csv
    columns: {order_id: SO, customer_id: Cust, order_date: Date, amount: Amt, status: St,
              closed_date: Closed}
""")
    _, violations = load_mapped(tmp_path, tmp_path / "mapping.yaml", errors="report")
    assert list(zip(violations["table"], violations["column"], violations["check"], violations["key"])) == [
        ("invoices", "order_id", "order_same_customer", "invoice_id=D4")]
    (tmp_path / "ar.csv").write_text((tmp_path / "ar.csv").read_text().replace("K2,2024-01-27", "K1,2024-01-27"))
    book = load_mapped(tmp_path, tmp_path / "mapping.yaml")
    assert book.invoices["order_id"].tolist()[:2] == ["S1", "S1"]
    assert pd.isna(book.invoices["order_id"].iloc[2])
