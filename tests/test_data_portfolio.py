"""Portfolio container and its point-in-time snapshot."""

from __future__ import annotations

import pandas as pd
import pytest

import riskkit as rk


def test_absent_tables_are_empty_with_all_columns(tables):
    p = rk.data.Portfolio(tables["customers"])
    for name in rk.data.TABLE_ORDER[1:]:
        df = p.tables[name]
        assert df.empty
        assert list(df.columns) == [f.name for f in rk.data.TABLES[name].fields]
    assert "Portfolio(customers=3, invoices=0" in repr(p)


def test_summary_counts_rows(tiny_portfolio):
    s = tiny_portfolio.summary()
    assert s.loc["invoices", "rows"] == 4 and s.loc["relations", "rows"] == 5
    assert s.loc["invoices", "first"] == pd.Timestamp("2021-01-10")


def test_as_of_keeps_only_what_was_known(tiny_portfolio):
    snap = tiny_portfolio.as_of("2021-03-01")
    # C3 onboarded 2021-01-10: known; all three customers
    assert list(snap.customers["customer_id"]) == ["C1", "C2", "C3"]
    inv = snap.invoices.set_index("invoice_id")
    assert list(inv.index) == ["I1", "I2", "I3", "I4"]  # I2 issued on 2021-03-01 itself
    # I1 was paid on 2021-03-20, after the snapshot: open then
    assert pd.isna(inv.loc["I1", "paid_date"]) and inv.loc["I1", "paid_amount"] == 0.0
    # I3 was paid on 2021-03-01, on the snapshot date: paid
    assert inv.loc["I3", "paid_date"] == pd.Timestamp("2021-03-01") and inv.loc["I3", "paid_amount"] == 400.0
    # order O3 placed 2021-04-01: not yet; O2 closed 2021-02-01: closed
    assert list(snap.orders["order_id"]) == ["O1", "O2"]
    # statements published 2021-04-30 and 2021-05-15: unknown on 2021-03-01 although period_end is 2020
    assert snap.financials.empty
    assert list(snap.events["event_id"]) == ["E1"]
    assert snap.defaults.empty  # default on 2021-06-15
    # the C2 -> C1 guarantee ends 2022-01-01: on 2021-03-01 it is in force with no known end
    rel = snap.relations
    assert rel.loc[(rel["src"] == "C2") & (rel["type"] == "guarantee"), "end"].isna().all()
    assert snap.truth is None


def test_as_of_reverts_order_status(tiny_portfolio):
    snap = tiny_portfolio.as_of("2021-01-05")
    o1 = snap.orders.set_index("order_id").loc["O1"]
    assert o1["status"] == "open" and pd.isna(o1["closed_date"])


def test_as_of_drops_customers_not_yet_onboarded(tiny_portfolio):
    snap = tiny_portfolio.as_of("2020-06-01")
    assert list(snap.customers["customer_id"]) == ["C1", "C2"]
    assert snap.invoices.empty


def test_as_of_does_not_modify_the_original(tiny_portfolio):
    before = {k: v.copy() for k, v in tiny_portfolio.tables.items()}
    tiny_portfolio.as_of("2021-01-05")
    for name, df in before.items():
        pd.testing.assert_frame_equal(tiny_portfolio.tables[name], df)


def test_snapshot_is_still_valid(tiny_portfolio):
    snap = tiny_portfolio.as_of("2021-03-15")
    rk.data.Portfolio(**snap.tables)  # raises if the snapshot broke a rule


@pytest.mark.parametrize("bad", ["not a date", None, "2021-13-01", pd.Timestamp("2021-01-01", tz="UTC"),
                                 "2021-03-01 12:00", 20210301, 5.0])
def test_as_of_bad_dates(tiny_portfolio, bad):
    # numbers and None are the wrong type; unparseable, zoned or timed dates the wrong value
    with pytest.raises((TypeError, ValueError), match="as_of (must be|is not a parseable date)"):
        tiny_portfolio.as_of(bad)
