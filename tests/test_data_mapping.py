"""Bring your own data: the column mapping, the template and their CLI commands.

The worked example (riskkit/datasets/files/byod/) is checked against documents read by
hand from its CSV files and against sums recomputed here with the csv module, not with
riskkit's own code.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from riskkit._core.config import ConfigError
from riskkit.data import DataValidationError, load_mapped, load_portfolio, read_mapping, write_template
from riskkit.datasets import example_exports_path

EXAMPLE = example_exports_path()
MAPPING = EXAMPLE / "mapping.yaml"
USD = 7.10


def _rows(name: str) -> list[dict]:
    with open(EXAMPLE / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def book():
    return load_mapped(EXAMPLE, MAPPING)


@pytest.fixture
def exports(tmp_path):
    folder = tmp_path / "exports"
    shutil.copytree(EXAMPLE, folder)
    return folder


def _edit(file: Path, line: int, column: str, value: str) -> None:
    """Set ``column`` on file line ``line`` (the header is line 1)."""
    with open(file, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[line - 2][column] = value
    with open(file, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# --------------------------------------------------------------------------- the worked example
def test_example_documents_read_by_hand(book):
    inv = book.invoices.set_index("invoice_id")
    # 90000011: three lines 25000.90 + 23600.28 + 23300.19 = 71901.37; one receipt of 28760.55
    # on 31.10.2023 -> the part received is paid, the remainder 43140.82 stays open
    assert inv.loc["90000011", "amount"] == pytest.approx(43140.82, abs=1e-6)
    assert pd.isna(inv.loc["90000011", "paid_date"]) and inv.loc["90000011", "paid_amount"] == 0
    assert inv.loc["90000011/paid", "amount"] == pytest.approx(28760.55, abs=1e-6)
    assert inv.loc["90000011/paid", "paid_date"] == pd.Timestamp("2023-10-31")
    # 90000012: 38800.64 + 23600.06 + 39300.41 - credit note 90000013 (10170.11) = 91531.00,
    # paid in full on 16.12.2023
    assert inv.loc["90000012", "amount"] == pytest.approx(91531.00, abs=1e-6)
    assert inv.loc["90000012", "paid_amount"] == pytest.approx(91531.00, abs=1e-6)
    assert inv.loc["90000012", "paid_date"] == pd.Timestamp("2023-12-16")
    assert inv.loc["90000012", "issue_date"] == pd.Timestamp("2023-06-19")
    assert inv.loc["90000012", "due_date"] == pd.Timestamp("2023-08-18")
    assert "90000013" not in inv.index  # a credit note is a ledger credit, not an invoice
    # 90000020, in USD: (2479.58 + 788.79) * 7.10 CNY
    assert inv.loc["90000020", "amount"] == pytest.approx(3268.37 * USD, abs=1e-6)
    assert inv.loc["90000020", "currency"] == "USD"
    # 90000093: 4500.84 + 19000.86 cancelled by credit note 90000094 (-23501.70) of 29.03.2023
    assert inv.loc["90000093", "amount"] == pytest.approx(0.0, abs=1e-6)
    assert inv.loc["90000093", "paid_date"] == pd.Timestamp("2023-03-29")
    # the customer master: K01028 is billed in USD; its limit 211267.61 USD
    cust = book.customers.set_index("customer_id")
    assert cust.loc["K01028", "credit_limit"] == pytest.approx(211267.61 * USD, abs=1e-6)
    assert cust.loc["K01028", "ownership_type"] == "private"
    assert cust.loc["K01028", "onboarded"] == pd.Timestamp("2022-09-16")
    assert cust.loc["K01049", "ownership_type"] == "local_soe"


def _hand_ledger():
    """Per invoice document: net amount in CNY and receipts in CNY, with the csv module."""
    rate = {"CNY": 1.0, "USD": USD}
    net = defaultdict(float)
    for row in _rows("ar_ledger.csv"):
        doc = row["DocNo"] if row["DocType"] == "RV" else row["RefDoc"]
        net[doc] += float(row["LineAmount"]) * rate[row["Curr"]]
    received = defaultdict(float)
    for row in _rows("receipts.csv"):
        received[row["DocNo"]] += float(row["Amount"]) * rate[row["Curr"]]
    return net, received


def test_example_row_counts(book):
    master = _rows("customer_master.csv")
    ledger = _rows("ar_ledger.csv")
    net, received = _hand_ledger()
    partial = [d for d in net if 0 < received[d] < net[d] - 0.01]
    documents = {r["DocNo"] for r in ledger if r["DocType"] == "RV"}
    assert len(book.customers) == len(master) == 36
    assert len(book.invoices) == len(documents) + len(partial)
    assert len(partial) > 0 and len(documents) < sum(r["DocType"] == "RV" for r in ledger)  # lines > documents
    assert sum(r["DocType"] == "DG" for r in ledger) > 0


def test_example_sums_after_credit_notes_and_receipts(book):
    net, received = _hand_ledger()
    ledger_total = sum(net.values())                        # invoice lines minus credit notes
    open_ar = sum(net[d] - received[d] for d in net if received[d] < net[d] - 0.01)
    inv = book.invoices
    assert inv["amount"].sum() == pytest.approx(ledger_total, abs=1e-4)
    assert inv.loc[inv["paid_date"].isna(), "amount"].sum() == pytest.approx(open_ar, abs=1e-4)
    assert inv["paid_amount"].sum() == pytest.approx(sum(received.values()), abs=1e-4)


def test_example_is_a_valid_portfolio_that_the_kit_profiles(book):
    from riskkit.profile import build_profile

    profile = build_profile(book, "2024-12-31")
    assert len(profile) == 36


# --------------------------------------------------------------------------- errors name file/column/line
def _violations(folder: Path) -> pd.DataFrame:
    with pytest.raises(DataValidationError) as info:
        load_mapped(folder, MAPPING)
    return info.value.violations, str(info.value)


def test_unmapped_category_is_a_violation_listing_the_value(exports):
    _edit(exports / "customer_master.csv", 5, "Ownership", "COOP")
    violations, message = _violations(exports)
    row = violations[violations["check"] == "mapped_category"]
    assert row[["table", "column", "key", "value"]].values.tolist() == [
        ["customer_master.csv", "Ownership", "line 5", "'COOP'"]]
    assert "customer_master.csv.Ownership" in message and "line 5" in message


def test_bad_date_is_a_violation_naming_file_column_line(exports):
    _edit(exports / "ar_ledger.csv", 7, "DocDate", "2023-13-45")
    violations, _ = _violations(exports)
    row = violations[violations["check"] == "parseable_date"]
    assert row[["table", "column", "key"]].values.tolist() == [["ar_ledger.csv", "DocDate", "line 7"]]


def test_unknown_document_type_and_credited_invoice(exports):
    _edit(exports / "ar_ledger.csv", 3, "DocType", "ZZ")
    _edit(exports / "ar_ledger.csv", 28, "RefDoc", "99999999")   # the credit note 90000013
    violations, _ = _violations(exports)
    got = violations.set_index("check")
    assert got.loc["mapped_category", ["column", "key"]].tolist() == ["DocType", "line 3"]
    assert got.loc["credited_invoice_known", ["column", "key", "value"]].tolist() == [
        "RefDoc", "line 28", "'99999999'"]


def test_positive_credit_note_and_unknown_receipt(exports):
    _edit(exports / "ar_ledger.csv", 28, "LineAmount", "10170.11")
    _edit(exports / "receipts.csv", 11, "DocNo", "12345")
    violations, _ = _violations(exports)
    got = violations.set_index("check")
    assert got.loc["credit_note_not_positive", ["table", "key"]].tolist() == ["ar_ledger.csv", "line 28"]
    assert got.loc["receipt_invoice_known", ["table", "column", "key"]].tolist() == [
        "receipts.csv", "DocNo", "line 11"]


def test_missing_source_column_names_file_and_column(exports):
    frame = pd.read_csv(exports / "receipts.csv", dtype="str").drop(columns="ValueDate")
    frame.to_csv(exports / "receipts.csv", index=False)
    with pytest.raises(DataValidationError, match=r"receipts\.csv\.ValueDate: check 'source_column'"):
        load_mapped(exports, MAPPING)


def test_without_fx_every_row_must_be_in_the_reporting_currency(exports):
    text = MAPPING.read_text(encoding="utf-8").replace("fx:", "unused_fx:").replace("  USD: 7.10\n", "")
    text = text.replace("unused_fx:                      # CNY per unit, the rate used for the whole book\n", "")
    (exports / "mapping.yaml").write_text(text.replace("unused_fx:", ""), encoding="utf-8")
    mapping = read_mapping(exports / "mapping.yaml")
    assert mapping.fx is None
    _, violations = load_mapped(exports, mapping, errors="report")
    bad = violations[violations["check"] == "reporting_currency"]
    n_usd = sum(r["Curr"] == "USD" for r in _rows("customer_master.csv"))
    assert (bad["table"] == "customer_master.csv").sum() == n_usd == 4
    assert set(bad["value"]) == {"'USD'"}


def test_report_mode_returns_mapping_and_model_violations(exports):
    _edit(exports / "receipts.csv", 12, "Amount", "99999999.00")  # overpays 90000012
    portfolio, violations = load_mapped(exports, MAPPING, errors="report")
    assert violations[["table", "column", "check", "key"]].values.tolist() == [
        ["invoices", "paid_amount", "paid_amount_not_above_amount", "invoice_id=90000012"]]
    assert len(portfolio.customers) == 36


# --------------------------------------------------------------------------- the mapping file
@pytest.mark.parametrize("bad, entry, field", [
    ({"tables.customers.columns.customer_no": "CustNo"}, "tables.customers", "columns.customer_no"),
    ({"tables.customers.categories.kind.CORP": "company"}, "tables.customers", "categories.kind.CORP"),
    ({"tables.invoices.lines.types.DG": "refund"}, "tables.invoices.lines", "types.DG"),
    ({"tables.customers.colour": "red"}, "tables.customers", "colour"),
])
def test_bad_mapping_names_file_entry_field(tmp_path, bad, entry, field):
    import yaml

    raw = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    for path, value in bad.items():
        *parents, last = path.split(".")
        node = raw
        for p in parents:
            node = node[p]
        node[last] = value
    file = tmp_path / "mapping.yaml"
    file.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_mapping(file)
    assert str(info.value).startswith(f"{file}: {entry}: field '{field}': ")


# --------------------------------------------------------------------------- the template
def test_template_headers_and_dictionary(tmp_path):
    written = write_template(tmp_path / "tpl")
    assert [p.name for p in written][-1] == "data_dictionary.csv" and len(written) == 10
    header = (tmp_path / "tpl" / "invoices.csv").read_text().splitlines()
    assert header == ["invoice_id,customer_id,issue_date,due_date,amount,paid_date,paid_amount,currency,order_id"]
    dictionary = pd.read_csv(tmp_path / "tpl" / "data_dictionary.csv", keep_default_na=False)
    own = dictionary[(dictionary["table"] == "customers") & (dictionary["column"] == "ownership_type")].iloc[0]
    assert own["allowed"] == "central_soe|local_soe|private|foreign|individual"
    paid = dictionary[(dictionary["table"] == "invoices") & (dictionary["column"] == "paid_date")].iloc[0]
    assert paid["dtype"] == "datetime64[ns]" and bool(paid["nullable"]) and paid["unit"] == "date"
    assert (dictionary["meaning"] != "").all()
    # the template folder is a portfolio folder (the dictionary is skipped): an empty customers
    # table is its one problem
    _, violations = load_portfolio(tmp_path / "tpl", errors="report")
    assert violations["check"].tolist() == ["not_empty"]


def test_template_refuses_to_overwrite_and_keeps_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "customers.csv").write_text("my data")
    with pytest.raises(FileExistsError, match="customers.csv"):
        write_template(tmp_path)
    assert (tmp_path / "customers.csv").read_text() == "my data"
    assert not (tmp_path / "invoices.csv").exists()   # nothing written
    write_template(tmp_path, force=True)
    assert (tmp_path / "customers.csv").read_text().startswith("customer_id,name,")
    assert (tmp_path / "notes.txt").read_text() == "mine"


# --------------------------------------------------------------------------- CLI
def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "riskkit.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=_env())


def _env():
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return env


@pytest.mark.slow
def test_cli_template_and_validate_mapping(tmp_path):
    done = _cli("template", "--output", str(tmp_path / "t"))
    assert done.returncode == 0 and "data_dictionary.csv" in done.stdout
    again = _cli("template", "--output", str(tmp_path / "t"))
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    assert "already exist" in again.stderr and "Traceback" not in again.stderr
    assert _cli("template", "--output", str(tmp_path / "t"), "--force").returncode == 0
    ok = _cli("validate-data", str(EXAMPLE), "--mapping", str(MAPPING))
    assert ok.returncode == 0, ok.stderr
    assert "customers=36" in ok.stdout and "all data-model rules hold" in ok.stdout


@pytest.mark.slow
def test_cli_validate_mapping_lists_violations(exports):
    _edit(exports / "customer_master.csv", 5, "Ownership", "COOP")
    done = _cli("validate-data", str(exports), "--mapping", str(exports / "mapping.yaml"))
    assert done.returncode == 1
    assert "customer_master.csv" in done.stdout and "mapped_category" in done.stdout and "line 5" in done.stdout


# --------------------------------------------------------------------------- constants, separators
def test_constants_fill_every_row_and_decimal_comma(exports):
    import yaml

    raw = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    customers = raw["tables"]["customers"]
    del customers["columns"]["region"]
    customers["constants"] = {"region": "Guangdong"}
    customers.update({"sep": ";", "decimal": ","})
    master = pd.read_csv(exports / "customer_master.csv", dtype="str", keep_default_na=False)
    for column in ("CreditLimit", "RegCapital"):
        master[column] = master[column].str.replace(".", ",", regex=False)
    master.to_csv(exports / "customer_master.csv", sep=";", index=False)
    (exports / "mapping.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    book = load_mapped(exports, exports / "mapping.yaml")
    assert (book.customers["region"] == "Guangdong").all()
    # K01049's limit "200000,00" with a decimal comma is 200,000.00 CNY
    limit = book.customers.set_index("customer_id").loc["K01049", "credit_limit"]
    assert limit == 200000.00
    # a point under a decimal comma is not guessed to be a thousands separator
    master.loc[8, "RegCapital"] = "1.000,50"        # file line 10
    master.to_csv(exports / "customer_master.csv", sep=";", index=False)
    _, violations = load_mapped(exports, exports / "mapping.yaml", errors="report")
    bad = violations[violations["check"] == "parseable_number"]
    assert bad[["column", "key", "value"]].values.tolist() == [["RegCapital", "line 10", "'1.000,50'"]]


def test_a_column_both_mapped_and_constant_is_refused(tmp_path):
    import yaml

    raw = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    raw["tables"]["customers"]["constants"] = {"region": "Guangdong"}
    file = tmp_path / "mapping.yaml"
    file.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tables\.customers: field 'constants\.region': is also mapped"):
        read_mapping(file)
