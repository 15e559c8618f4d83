"""Saving and loading a Portfolio folder: lossless round trips and clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

import riskkit as rk
from riskkit.data import DataValidationError


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_is_lossless(tiny_portfolio, tmp_path, fmt):
    truth = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "true_pd": [0.01, 0.05, 0.2],
                          "contagion_default": [False, False, True],
                          "default_date": pd.to_datetime([None, None, "2021-06-15"]).astype("datetime64[ns]")})
    tiny_portfolio.truth = truth
    tiny_portfolio.save(tmp_path, format=fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{t}.{fmt}" for t in rk.data.TABLE_ORDER] + [f"truth.{fmt}"])
    loaded = rk.data.load_portfolio(tmp_path)
    for name in rk.data.TABLE_ORDER:
        pd.testing.assert_frame_equal(loaded.tables[name], tiny_portfolio.tables[name], check_exact=True)
    pd.testing.assert_frame_equal(loaded.truth, truth, check_exact=True)


def test_round_trip_keeps_full_float_precision_in_csv(tables, tmp_path):
    tables["invoices"].loc[0, "amount"] = 1234.5678901234567
    tables["invoices"].loc[0, "paid_amount"] = 1234.5678901234567
    rk.data.Portfolio(**tables).save(tmp_path, format="csv")
    assert rk.data.load_portfolio(tmp_path).invoices.loc[0, "amount"] == 1234.5678901234567


def test_optional_tables_may_be_absent(tiny_portfolio, tmp_path):
    tiny_portfolio.save(tmp_path, format="csv")
    (tmp_path / "events.csv").unlink()
    loaded = rk.data.load_portfolio(tmp_path)
    assert loaded.events.empty and list(loaded.events.columns) == list(rk.data.empty_table("events").columns)


def test_report_mode_returns_every_violation_and_every_row(tiny_portfolio, tmp_path):
    tiny_portfolio.save(tmp_path, format="csv")
    inv = pd.read_csv(tmp_path / "invoices.csv", dtype=str)
    inv.loc[1, "amount"] = "-3"
    inv.loc[2, "customer_id"] = "C404"
    inv.to_csv(tmp_path / "invoices.csv", index=False)
    portfolio, violations = rk.data.load_portfolio(tmp_path, errors="report")
    assert len(portfolio.invoices) == 4  # nothing dropped
    assert set(zip(violations["check"], violations["key"])) == {
        ("non_negative", "invoice_id=I2"), ("foreign_key_to_customers", "invoice_id=I3"),
        ("paid_amount_not_above_amount", "invoice_id=I2")}  # 0 paid exceeds an amount of -3
    with pytest.raises(DataValidationError, match="invoices.amount: check 'non_negative'.*invoice_id=I2"):
        rk.data.load_portfolio(tmp_path)


def test_unparseable_csv_values_are_reported_not_coerced(tiny_portfolio, tmp_path):
    tiny_portfolio.save(tmp_path, format="csv")
    cust = pd.read_csv(tmp_path / "customers.csv", dtype=str)
    cust.loc[0, "onboarded"] = "01/13/2019x"
    cust.loc[1, "payment_terms_days"] = "thirty"
    cust.to_csv(tmp_path / "customers.csv", index=False)
    with pytest.raises(DataValidationError) as info:
        rk.data.load_portfolio(tmp_path)
    message = str(info.value)
    assert "customers.onboarded: check 'parseable_date' failed for 1 row(s): customer_id=C1" in message
    assert "customers.payment_terms_days: check 'parseable_number'" in message and "'thirty'" in message


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        rk.data.load_portfolio(tmp_path / "nope")


def test_path_is_a_file(tmp_path):
    f = tmp_path / "customers.csv"
    f.write_text("x")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        rk.data.load_portfolio(f)


def test_missing_customers_file(tiny_portfolio, tmp_path):
    tiny_portfolio.save(tmp_path, format="parquet")
    (tmp_path / "customers.parquet").unlink()
    # a violation, not an exception, so that the other tables are checked in the same pass
    with pytest.raises(DataValidationError, match="customers: check 'required_table'.*no customers.parquet"):
        rk.data.load_portfolio(tmp_path)
    for table in rk.data.TABLE_ORDER:
        (tmp_path / f"{table}.parquet").unlink(missing_ok=True)
    with pytest.raises(FileNotFoundError, match="no customers.parquet or customers.csv"):
        rk.data.load_portfolio(tmp_path)


def test_empty_file(tiny_portfolio, tmp_path):
    tiny_portfolio.save(tmp_path, format="csv")
    (tmp_path / "orders.csv").write_text("")
    with pytest.raises(DataValidationError, match="orders: check 'empty_file'.*orders.csv"):
        rk.data.load_portfolio(tmp_path)


def test_header_only_customers_file_is_an_empty_table_error(tiny_portfolio, tmp_path):
    tiny_portfolio.save(tmp_path, format="csv")
    header = (tmp_path / "customers.csv").read_text().splitlines()[0]
    (tmp_path / "customers.csv").write_text(header + "\n")
    with pytest.raises(DataValidationError, match="check 'not_empty'"):
        rk.data.load_portfolio(tmp_path)


def test_unreadable_file(tiny_portfolio, tmp_path):
    tiny_portfolio.save(tmp_path, format="parquet")
    (tmp_path / "bureau.parquet").write_bytes(b"this is not parquet at all")
    with pytest.raises(DataValidationError, match="bureau: check 'readable_file'.*bureau.parquet"):
        rk.data.load_portfolio(tmp_path)


def test_misnamed_table_file_is_not_silently_ignored(tiny_portfolio, tmp_path):
    tiny_portfolio.save(tmp_path, format="csv")
    (tmp_path / "invoices.csv").rename(tmp_path / "invoice.csv")
    with pytest.raises(ValueError, match="invoice.csv: not a Portfolio table"):
        rk.data.load_portfolio(tmp_path)


def test_mixed_formats_are_an_error(tiny_portfolio, tmp_path):
    tiny_portfolio.save(tmp_path, format="csv")
    tiny_portfolio.events.to_parquet(tmp_path / "events.parquet")
    (tmp_path / "events.csv").unlink()
    with pytest.raises(ValueError, match="mixes CSV and Parquet"):
        rk.data.load_portfolio(tmp_path)


def test_same_table_twice_is_an_error(tiny_portfolio, tmp_path):
    tiny_portfolio.save(tmp_path, format="csv")
    tiny_portfolio.events.to_parquet(tmp_path / "events.parquet")
    with pytest.raises(ValueError, match="'events' is there twice"):
        rk.data.load_portfolio(tmp_path)


def test_bad_arguments(tiny_portfolio, tmp_path):
    with pytest.raises(ValueError, match="format must be one of"):
        tiny_portfolio.save(tmp_path, format="xlsx")
    with pytest.raises(ValueError, match="errors must be"):
        rk.data.load_portfolio(tmp_path, errors="ignore")


def test_save_replaces_a_previous_portfolio_in_another_format(tiny_portfolio, tmp_path):
    tiny_portfolio.save(tmp_path, format="csv")
    tiny_portfolio.save(tmp_path, format="parquet")
    assert not list(tmp_path.glob("*.csv"))
    assert len(rk.data.load_portfolio(tmp_path).customers) == 3
