"""Exchange rates by date in the column mapping (``fx_rates``).

The worked example (riskkit/datasets/files/byod/) is re-read with rates by date instead of
its one USD rate; every expected amount is recomputed here from the CSV files with the csv
module and a rate looked up by hand, not with riskkit's code.
"""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from riskkit._core.config import ConfigError
from riskkit.data import DataValidationError, load_mapped, read_mapping
from riskkit.datasets import example_exports_path

EXAMPLE = example_exports_path()
# USD rates (CNY per USD) by the date they take effect
RATES = {date(2022, 1, 1): 7.00, date(2023, 6, 1): 7.20, date(2023, 10, 1): 7.30}


def _rate(day: date, rates=RATES) -> float:
    """The latest rate dated on or before ``day``: a plain scan."""
    eligible = [d for d in rates if d <= day]
    return rates[max(eligible)]


def _rows(folder: Path, name: str) -> list[dict]:
    with open(folder / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write_rates(folder: Path, rows: list[tuple[str, str, str]], header=("date", "currency", "rate")) -> None:
    with open(folder / "fx_rates.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _mapping(folder: Path, edit=None) -> Path:
    raw = yaml.safe_load((EXAMPLE / "mapping.yaml").read_text(encoding="utf-8"))
    del raw["fx"]
    raw["fx_rates"] = {"file": "fx_rates.csv"}
    if edit is not None:
        edit(raw)
    path = folder / "mapping_dated.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def exports(tmp_path):
    folder = tmp_path / "exports"
    shutil.copytree(EXAMPLE, folder)
    _write_rates(folder, [(d.isoformat(), "USD", f"{r:.2f}") for d, r in RATES.items()] + [("2023-01-01", "EUR", "7.9")])
    return folder


def test_each_row_converts_at_the_rate_of_its_date(exports):
    book = load_mapped(exports, _mapping(exports))
    master = {r["CustNo"]: r for r in _rows(exports, "customer_master.csv")}
    usd_customers = [c for c, r in master.items() if r["Curr"] == "USD"]
    assert usd_customers, "the example lost its USD customers"
    customers = book.customers.set_index("customer_id")
    for c in usd_customers:
        onboarded = datetime.strptime(master[c]["OpenDate"], "%d/%m/%Y").date()
        assert customers.loc[c, "credit_limit"] == pytest.approx(float(master[c]["CreditLimit"]) * _rate(onboarded))
        assert customers.loc[c, "registered_capital"] == pytest.approx(float(master[c]["RegCapital"]) * _rate(onboarded))

    # invoices: the lines of a USD document at the rate of its issue date, credit notes at theirs
    net = defaultdict(float)
    issue = {}
    for r in _rows(exports, "ar_ledger.csv"):
        if r["Curr"] != "USD":
            continue
        day = datetime.strptime(r["DocDate"], "%Y%m%d").date()
        target = r["DocNo"] if r["DocType"] == "RV" else r["RefDoc"]
        net[target] += float(r["LineAmount"]) * _rate(day)
        if r["DocType"] == "RV":
            issue[r["DocNo"]] = day
    assert len({_rate(d) for d in issue.values()}) == 3, "the example's USD invoices should span all three rates"
    inv = book.invoices.set_index("invoice_id")
    for doc, amount in net.items():
        parts = inv.loc[inv.index.isin([doc, f"{doc}/paid"]), "amount"]
        assert parts.sum() == pytest.approx(amount, abs=1e-6), doc


def test_a_receipt_in_the_invoice_currency_settles_it_at_the_invoice_rate(exports):
    book = load_mapped(exports, _mapping(exports))
    inv = book.invoices.set_index("invoice_id")
    received = defaultdict(float)
    for r in _rows(exports, "receipts.csv"):
        if r["Curr"] == "USD":
            received[r["DocNo"]] += float(r["Amount"])
    ledger = _rows(exports, "ar_ledger.csv")
    usd_amount = defaultdict(float)
    issue = {}
    for r in ledger:
        if r["Curr"] == "USD" and r["DocType"] == "RV":
            usd_amount[r["DocNo"]] += float(r["LineAmount"])
            issue[r["DocNo"]] = datetime.strptime(r["DocDate"], "%Y%m%d").date()
    credited = {r["RefDoc"] for r in ledger if r["DocType"] == "DG"}
    # paid in full in USD, no credit note: settled, paid amount = amount, at the issue-date rate
    full = [d for d in usd_amount if d not in credited and abs(received[d] - usd_amount[d]) < 0.005]
    assert full
    for doc in full:
        assert pd.notna(inv.loc[doc, "paid_date"]), doc
        assert inv.loc[doc, "paid_amount"] == pytest.approx(received[doc] * _rate(issue[doc]), abs=1e-6)
        assert inv.loc[doc, "paid_amount"] == pytest.approx(inv.loc[doc, "amount"], abs=0.01)
    # at the receipt date's rate the same invoices would not balance: the test can tell the two apart
    receipt_days = {r["DocNo"]: datetime.strptime(r["ValueDate"], "%d.%m.%Y").date()
                    for r in _rows(exports, "receipts.csv")}
    assert any(_rate(receipt_days[d]) != _rate(issue[d]) for d in full)


def test_a_row_before_its_currency_first_rate_is_named(exports):
    late = {d: r for d, r in RATES.items() if d >= date(2023, 6, 1)}
    _write_rates(exports, [(d.isoformat(), "USD", str(r)) for d, r in late.items()])
    with pytest.raises(DataValidationError) as info:
        load_mapped(exports, _mapping(exports))
    v = info.value.violations
    early = v[(v["check"] == "fx_rate_known") & (v["table"] == "customer_master.csv")]
    master = _rows(exports, "customer_master.csv")
    expected = {f"line {i + 2}" for i, r in enumerate(master)
                if r["Curr"] == "USD" and datetime.strptime(r["OpenDate"], "%d/%m/%Y").date() < date(2023, 6, 1)}
    assert expected and set(early["key"]) == expected
    assert set(early["column"]) == {"Curr"}
    assert all(value.startswith("'USD on 20") for value in early["value"])


def test_a_currency_without_rates_is_named(exports):
    _write_rates(exports, [("2022-01-01", "EUR", "7.9")])
    with pytest.raises(DataValidationError) as info:
        load_mapped(exports, _mapping(exports))
    v = info.value.violations
    unknown = v[v["check"] == "known_currency"]
    # receipts in USD settle USD invoices at the invoices' rate: named once, on the ledger
    assert set(unknown["table"]) == {"customer_master.csv", "ar_ledger.csv"} and set(unknown["value"]) == {"'USD'"}


def test_bad_rate_lines_are_named(exports):
    _write_rates(exports, [("2022-01-01", "USD", "7.0"), ("2022-01-01", "USD", "7.1"), ("2023-06-01", "USD", "-7"),
                           ("2023-07-01", "CNY", "1.5"), ("2023-08-01", "USD", "seven"), ("2023-13-01", "USD", "7.2"),
                           ("2023-09-01", "", "7.2")])
    with pytest.raises(DataValidationError) as info:
        load_mapped(exports, _mapping(exports))
    v = info.value.violations
    rates = v[v["table"] == "fx_rates.csv"].set_index("check")
    assert set(rates.loc[["one_rate_per_day"], "key"]) == {"line 2", "line 3"}
    assert rates.loc["positive_rate", "key"] == "line 4"
    assert rates.loc["reporting_currency_rate", "key"] == "line 5"
    assert rates.loc["parseable_number", "key"] == "line 6"
    assert rates.loc["parseable_date", "key"] == "line 7"
    assert rates.loc["not_null", "key"] == "line 8"


def test_rates_file_with_own_column_names_and_format(exports):
    _write_rates(exports, [(d.strftime("%d.%m.%Y"), "USD", str(r).replace(".", ",")) for d, r in RATES.items()],
                 header=("Datum", "Waehrung", "Kurs"))

    def edit(raw):
        raw["fx_rates"].update({"columns": {"date": "Datum", "currency": "Waehrung", "rate": "Kurs"},
                                "date_format": "%d.%m.%Y", "decimal": ","})

    dated = load_mapped(exports, _mapping(exports, edit))
    _write_rates(exports, [(d.isoformat(), "USD", str(r)) for d, r in RATES.items()])
    plain = load_mapped(exports, _mapping(exports))
    pd.testing.assert_frame_equal(dated.invoices, plain.invoices)


@pytest.mark.parametrize("edit, entry, field", [
    (lambda raw: raw.update(fx={"USD": 7.1}), "<top level>", "fx_rates"),
    (lambda raw: raw["tables"]["customers"].update(rate_date="name"), "tables.customers", "rate_date"),
    (lambda raw: raw["tables"]["customers"]["columns"].pop("onboarded")
     and raw["tables"]["customers"]["dates"].pop("onboarded"), "tables.customers", "currency"),
    (lambda raw: raw["fx_rates"].update(columns={"day": "Datum"}), "fx_rates", "columns.day"),
    (lambda raw: raw["fx_rates"].pop("file"), "fx_rates", "file"),
])
def test_bad_fx_rates_mapping_names_entry_and_field(tmp_path, edit, entry, field):
    path = _mapping(tmp_path, edit)
    with pytest.raises(ConfigError) as info:
        read_mapping(path)
    assert str(info.value).startswith(f"{path}: {entry}: field '{field}': "), str(info.value)


def test_rate_date_names_another_date_column(exports):
    rates = {date(1980, 1, 1): 6.1, date(2005, 1, 1): 6.6, **RATES}
    _write_rates(exports, [(d.isoformat(), "USD", str(r)) for d, r in rates.items()])

    def edit(raw):
        raw["tables"]["customers"]["rate_date"] = "founded"

    book = load_mapped(exports, _mapping(exports, edit))
    master = {r["CustNo"]: r for r in _rows(exports, "customer_master.csv")}
    customers = book.customers.set_index("customer_id")
    for c, r in master.items():
        if r["Curr"] == "USD":
            founded = datetime.strptime(r["Founded"], "%d/%m/%Y").date()
            expected = float(r["CreditLimit"]) * _rate(founded, rates)
            assert customers.loc[c, "credit_limit"] == pytest.approx(expected)
    assert len({_rate(datetime.strptime(r["Founded"], "%d/%m/%Y").date(), rates)
                for r in master.values() if r["Curr"] == "USD"}) > 1
