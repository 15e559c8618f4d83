"""exposure with invoices linked to their orders (invoices.order_id): hand-computed books.

Customer A: order O1 of 100 placed 2024-01-10, invoiced in two lots, I1 = 30 on 01-15
(paid 02-10) and I2 = 70 on 01-25 (the order is fulfilled that day; I2 paid 02-20).
Customer B: order O2 of 200 placed 03-01, lot I3 = 50 on 03-05 (open until 04-10), the
rest cancelled on 03-10.
Customer C: order O3 of 100 (open) over-invoiced by I4 = 120 on 05-03 (freight), an
order O4 of 60 not invoiced yet, and a service fee F1 = 25 on 05-02 raised against no
order.

EAD is what the customer owes plus the un-invoiced rest of its open orders; the old rule
(no order link) counts every open order at its full amount.
"""

from __future__ import annotations

import pandas as pd
import pytest

from riskkit.data import Portfolio
from riskkit.limits import exposure


def ts(*values) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def book(with_link: bool = True) -> Portfolio:
    customers = pd.DataFrame({
        "customer_id": ["A", "B", "C"], "name": ["a", "b", "c"], "kind": "enterprise",
        "industry": "retail", "region": "east", "ownership_type": "private",
        "state_ownership_pct": 0.0, "registered_capital": 1.0,
        "founded": ts("2000-01-01", "2000-01-01", "2000-01-01"),
        "onboarded": ts("2020-01-01", "2020-01-01", "2020-01-01"),
        "payment_terms_days": 30, "credit_limit": [1000.0, 400.0, 500.0]})
    inv = [
        # id, customer, issue, amount, paid_date, order
        ("I1", "A", "2024-01-15", 30.0, "2024-02-10", "O1"),
        ("I2", "A", "2024-01-25", 70.0, "2024-02-20", "O1"),
        ("I3", "B", "2024-03-05", 50.0, "2024-04-10", "O2"),
        ("F1", "C", "2024-05-02", 25.0, None, None),
        ("I4", "C", "2024-05-03", 120.0, None, "O3"),
    ]
    invoices = pd.DataFrame({
        "invoice_id": [r[0] for r in inv], "customer_id": [r[1] for r in inv],
        "issue_date": ts(*[r[2] for r in inv]),
        "due_date": ts(*[r[2] for r in inv]) + pd.Timedelta(days=30),
        "amount": [r[3] for r in inv], "paid_date": ts(*[r[4] for r in inv]),
        "paid_amount": [r[3] if r[4] else 0.0 for r in inv]})
    if with_link:
        invoices["order_id"] = pd.Series([r[5] for r in inv], dtype="str")
    od = [
        # id, customer, placed, amount, status, closed
        ("O1", "A", "2024-01-10", 100.0, "fulfilled", "2024-01-25"),
        ("O2", "B", "2024-03-01", 200.0, "cancelled", "2024-03-10"),
        ("O3", "C", "2024-05-01", 100.0, "open", None),
        ("O4", "C", "2024-05-01", 60.0, "open", None),
    ]
    orders = pd.DataFrame({
        "order_id": [r[0] for r in od], "customer_id": [r[1] for r in od],
        "order_date": ts(*[r[2] for r in od]), "amount": [r[3] for r in od],
        "status": [r[4] for r in od], "closed_date": ts(*[r[5] for r in od])})
    return Portfolio(customers=customers, invoices=invoices, orders=orders)


def row(portfolio: Portfolio, customer: str, as_of: str) -> tuple[float, float, float]:
    e = exposure(portfolio, as_of).loc[customer]
    return e["open_ar"], e["open_orders"], e["ead"]


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2024-01-09", (0, 0, 0)),        # before the order
    ("2024-01-10", (0, 100, 100)),    # placed: the full order
    ("2024-01-14", (0, 100, 100)),    # the day before lot 1
    ("2024-01-15", (30, 70, 100)),    # lot 1 issued: 30 moves from the order to AR
    ("2024-01-24", (30, 70, 100)),    # between the lots (the old rule: 130)
    ("2024-01-25", (100, 0, 100)),    # lot 2 issued, the order fulfilled
    ("2024-02-09", (100, 0, 100)),
    ("2024-02-10", (70, 0, 70)),      # I1 paid on as_of
    ("2024-02-20", (0, 0, 0)),        # I2 paid
])
def test_order_invoiced_in_two_lots(as_of, expected):
    assert row(book(), "A", as_of) == expected


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2024-03-04", (0, 200, 200)),
    ("2024-03-05", (50, 150, 200)),   # issue day of the lot (the old rule: 250)
    ("2024-03-09", (50, 150, 200)),
    ("2024-03-10", (50, 0, 50)),      # the rest cancelled: only the invoiced lot is owed
    ("2024-04-10", (0, 0, 0)),
])
def test_partly_invoiced_order_cancelled(as_of, expected):
    assert row(book(), "B", as_of) == expected


def test_over_invoiced_order_floored_and_invoice_without_order():
    # AR 25 (fee) + 120 (I4); O3 100 - 120 -> 0, not -20; O4 60 not invoiced
    assert row(book(), "C", "2024-05-05") == (145, 60, 205)
    # before I4 is issued the fee does not reduce any order
    assert row(book(), "C", "2024-05-02") == (25, 160, 185)
    e = exposure(book(), "2024-05-05").loc["C"]
    assert e["utilisation"] == pytest.approx(205 / 500)


def test_without_order_link_every_open_order_counts_in_full():
    old = book(with_link=False)
    assert "order_id" not in old.invoices.columns
    assert row(old, "A", "2024-01-15") == (30, 100, 130)
    assert row(old, "A", "2024-01-25") == (100, 0, 100)
    assert row(old, "B", "2024-03-05") == (50, 200, 250)
    assert row(old, "C", "2024-05-05") == (145, 160, 305)


def test_empty_order_id_everywhere_is_the_old_rule():
    p = book()
    tables = p.tables
    tables["invoices"] = tables["invoices"].assign(order_id=pd.Series([None] * 5, dtype="str"))
    unlinked = Portfolio(**tables)
    assert row(unlinked, "A", "2024-01-15") == (30, 100, 130)
