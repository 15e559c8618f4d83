"""The synthetic generator links every invoice to the order it bills (invoices.order_id).

Checked with plain pandas joins, not with the kit's validation: the order exists, is the
invoice's customer's, was placed on or before the invoice; an order ships in 1-3 lots
whose amounts (rounded to cents each) sum to the order amount when it is fulfilled and
to less when its rest was cancelled; a rejected order has no invoice.  The partitioned
generator renames the link with the orders' ids and keeps it inside the partition.
"""

from __future__ import annotations

import pandas as pd
import pytest

from riskkit.data.partitioned import PartitionedBook, validate_partitioned
from riskkit.datasets import generate_portfolio
from riskkit.datasets.partitioned import write_partitioned_book


@pytest.fixture(scope="module")
def book():
    return generate_portfolio(300, seed=3)


def lots(invoices: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Per order: its row joined with the count, sum and first/last issue day of its invoices."""
    per_order = invoices.groupby("order_id").agg(lots=("amount", "size"), invoiced=("amount", "sum"),
                                                 first_issue=("issue_date", "min"),
                                                 last_issue=("issue_date", "max"))
    return orders.set_index("order_id").join(per_order, how="left")


def test_every_invoice_names_an_existing_order_of_its_customer(book):
    inv, orders = book.invoices, book.orders
    assert inv["order_id"].notna().all()
    joined = inv.merge(orders, on="order_id", how="left", suffixes=("", "_order"), validate="many_to_one")
    assert joined["customer_id_order"].notna().all()
    assert (joined["customer_id_order"] == joined["customer_id"]).all()
    assert (joined["issue_date"] >= joined["order_date"]).all()


def test_lots_sum_to_the_order_amount(book):
    t = lots(book.invoices, book.orders)
    invoiced = t[t["lots"].notna()]
    assert invoiced["lots"].between(1, 3).all()
    fulfilled = invoiced[invoiced["status"] == "fulfilled"]
    assert len(fulfilled) > 1000 and (fulfilled["lots"] > 1).mean() > 0.5
    # each lot is rounded to cents: at most half a cent off per lot
    assert ((fulfilled["invoiced"] - fulfilled["amount"]).abs() <= 0.005 * fulfilled["lots"] + 1e-9).all()
    # a fulfilled order closes on its last lot's issue day
    assert (fulfilled["last_issue"] == fulfilled["closed_date"]).all()
    # a cancelled order with invoices had lots undelivered: less than the order was invoiced
    cut = invoiced[invoiced["status"] == "cancelled"]
    assert len(cut) > 0
    assert (cut["invoiced"] < cut["amount"] + 0.005 * cut["lots"]).all()
    assert (cut["last_issue"] <= cut["closed_date"]).all()
    # an open order (at the end of the data) has shipped at most its amount
    still_open = invoiced[invoiced["status"] == "open"]
    assert (still_open["invoiced"] <= still_open["amount"] + 0.005 * still_open["lots"] + 1e-9).all()
    # an order rejected by the credit check is cancelled on its order day and never invoiced
    rejected_day = t[(t["status"] == "cancelled") & (t["closed_date"] == t["order_date"])]
    assert len(rejected_day) > 0 and rejected_day["lots"].isna().all()


def test_partitioned_generator_renames_the_link_with_the_orders(tmp_path):
    folder = write_partitioned_book(tmp_path / "book", 60, 2, seed=4)
    _, violations = validate_partitioned(folder)
    assert violations.empty
    for i in range(2):
        tables = PartitionedBook.open(folder).read_tables(i)
        inv, orders = tables["invoices"], tables["orders"]
        assert inv["order_id"].str.startswith(f"ORD{i:05d}-").all()
        owner = inv["order_id"].map(orders.set_index("order_id")["customer_id"])
        assert (owner == inv["customer_id"]).all()          # in this partition, same customer
