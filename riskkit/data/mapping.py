"""Bring your own data: a YAML column mapping turns a firm's exports into a Portfolio.

A mapping names, per Portfolio table, the source CSV file and how its columns become the
model's columns; :func:`load_mapped` applies it and then runs the normal validation of
:func:`riskkit.data.load_portfolio`.  The format (every field is checked on load, and a bad
mapping raises :class:`~riskkit._core.config.ConfigError` naming file, entry and field)::

    reporting_currency: CNY        # the one currency of every amount in the Portfolio
    fx:                            # optional: CNY per unit of each foreign currency
      USD: 7.10
    # or, instead of fx, rates by date (CNY per unit; the latest one on or before a row's date)
    # fx_rates:
    #   file: fx_rates.csv
    #   columns: {date: RateDate, currency: Curr, rate: CNYPerUnit}   # default: date, currency, rate
    #   date_format: "%Y-%m-%d"    # optional, default ISO 8601; sep, decimal, encoding as below
    tables:
      customers:
        file: customer_master.csv  # relative to the export folder
        sep: ";"                   # optional, default ","
        decimal: ","               # optional, default "."; no thousands separator is read
        columns:                   # model column: source column
          customer_id: KUNDENNR
          name: FIRMA
        constants:                 # model column: value for every row
          kind: enterprise
        categories:                # model column: {source value: model value}
          ownership_type: {SOE-C: central_soe, PRIV: private}
        dates:                     # model column: strftime format (default ISO 8601)
          onboarded: "%d.%m.%Y"
        currency: WAEHRUNG         # optional: source column with each row's currency
        rate_date: onboarded       # optional: the model date column whose fx_rates rate applies
      invoices:
        file: ar_ledger.csv
        columns: {invoice_id: BELNR, customer_id: KUNDENNR, issue_date: BLDAT, due_date: FAEDT}
        lines:                     # the file has invoice *lines*; aggregate them to documents
          amount: BETRAG           # signed line amount
          type: BLART              # document type column ...
          types: {RV: invoice, DG: credit_note}   # ... recoded to invoice / credit_note
          credits: REBZG           # credit note line -> the invoice document it credits
        receipts:                  # optional: the payments received
          file: receipts.csv
          invoice_id: BELNR
          date: ZFBDT
          amount: BETRAG
          date_format: "%d.%m.%Y"
          currency: WAEHRUNG

Rules, all explicit (nothing is dropped or coerced silently)
------------------------------------------------------------
* **Categories**: a non-empty source value with no entry in ``categories`` is a violation
  ``mapped_category`` listing file, column, line and value; it is never dropped.
* **Dates**: a value that does not parse with the column's format is a violation
  ``parseable_date`` naming file, column and line; numbers likewise (``parseable_number``).
* **Currency**: with ``fx``, every amount of a row in currency ``c`` is multiplied by
  ``fx[c]`` (a currency without a rate is a violation ``known_currency``); without ``fx``,
  every row must be in ``reporting_currency`` (else ``reporting_currency``).  A table with
  no ``currency`` column is taken to be in the reporting currency.  The model's
  ``currency`` column keeps the original code.  Money columns are those whose unit is the
  reporting currency in :func:`riskkit.data.schemas.data_dictionary`.
* **Dated rates**: with ``fx_rates`` (a CSV of date, currency, rate; one rate per currency
  and day, rates > 0, the reporting currency's rate 1 if listed: ``one_rate_per_day``,
  ``positive_rate``, ``reporting_currency_rate``) a row is converted at the latest rate
  dated on or before its *rate date*: ``onboarded`` for customers, ``issue_date`` for
  invoices, ``order_date`` for orders, ``period_end`` for financials (the closing rate, for
  flows too), ``effective_date`` for credit decisions, or the table's ``rate_date``.  A row
  of a listed currency dated before its first rate, or without a date, is a violation
  ``fx_rate_known``; a currency never listed, ``known_currency``.  A receipt in its
  invoice's currency converts at the invoice's rate, so an invoice paid in full in its
  currency is settled (exchange gains and losses are not credit events); a receipt in
  another currency converts at the rate of its own date.
* **Invoice lines**: the lines of one document are summed into one invoice; its
  customer, dates, currency and (when mapped) order must agree on every line
  (``one_value_per_document``).
* **Orders**: map the sales-order reference of the ledger to ``order_id`` (optional) so
  that :func:`riskkit.limits.exposure` does not count an order's invoiced lots twice; it
  must name an order of the same customer in the ``orders`` table (``foreign_key_to_orders``,
  ``order_same_customer``), an empty cell is an invoice raised against no order.  A part
  split off by receipts keeps its invoice's order.
* **Credit notes**: a ``credit_note`` line is a *ledger credit* against the invoice named
  in ``credits``: its amount (which must be <= 0, ``credit_note_not_positive``) reduces
  that invoice's ``amount``.  A credit note naming no invoice or an unknown one is a
  violation ``credited_invoice_known``.  The model has one amount per invoice, so a
  credit note reduces the invoice from its issue date on.  An invoice credited to zero is
  closed on its last credit note's date with ``paid_amount`` 0; one credited below zero
  fails the normal ``non_negative`` check.
* **Receipts** are summed per invoice.  An invoice whose receipts reach its net amount
  (1 cent tolerance) is paid on the date of its last receipt, ``paid_amount`` = the sum
  (more than the amount fails ``paid_amount_not_above_amount``).  The data model has no
  partly paid open invoice (``open_invoice_has_no_payment``), so a partly paid one is
  **split**: ``<invoice_id>`` stays open for the remainder and ``<invoice_id>/paid``
  holds the part received, paid on the last receipt's date.  The open AR is then the sum
  of open amounts.  A receipt naming an unknown invoice is a violation
  ``receipt_invoice_known``.

Line numbers are those of the CSV file (the header is line 1), for files without
line breaks inside quoted fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._core.config import Checker, read_yaml
from .portfolio import Portfolio, validate_portfolio
from .schemas import TABLES
from .validation import VIOLATION_COLUMNS, DataValidationError

__all__ = ["ColumnMapping", "TableMapping", "LineRules", "ReceiptMapping", "FxRatesFile", "RATE_DATE",
           "read_mapping", "load_mapped"]

_TABLE_FIELDS = {"file", "sep", "decimal", "encoding", "columns", "constants", "categories", "dates",
                 "currency", "lines", "receipts", "rate_date"}
_LINE_KINDS = ("invoice", "credit_note")
#: tolerance for "receipts reach the invoice amount", as in the data model's paid <= amount rule
_CENT = 0.01
_PAID_SUFFIX = "/paid"


@dataclass(frozen=True)
class LineRules:
    """How invoice lines aggregate to invoices: amount, type and credited-invoice columns."""

    amount: str
    type: str
    types: dict
    credits: str


@dataclass(frozen=True)
class ReceiptMapping:
    """The receipts (payments received) file and its columns."""

    file: str
    invoice_id: str
    date: str
    amount: str
    date_format: str | None = None
    currency: str | None = None
    sep: str = ","
    decimal: str = "."
    encoding: str = "utf-8"


@dataclass(frozen=True)
class FxRatesFile:
    """The file of exchange rates by date: reporting-currency units per unit of a currency."""

    file: str
    date: str = "date"
    currency: str = "currency"
    rate: str = "rate"
    date_format: str | None = None
    sep: str = ","
    decimal: str = "."
    encoding: str = "utf-8"


#: the model date column whose exchange rate converts a table's amounts under ``fx_rates``
RATE_DATE = {"customers": "onboarded", "invoices": "issue_date", "orders": "order_date",
             "financials": "period_end", "credit_decisions": "effective_date"}


@dataclass(frozen=True)
class TableMapping:
    """How one source file becomes one Portfolio table."""

    table: str
    file: str
    columns: dict
    constants: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    dates: dict = field(default_factory=dict)
    currency: str | None = None
    sep: str = ","
    decimal: str = "."
    encoding: str = "utf-8"
    lines: LineRules | None = None
    receipts: ReceiptMapping | None = None
    rate_date: str | None = None


@dataclass(frozen=True)
class ColumnMapping:
    """A validated column mapping (see the module docstring for the YAML format)."""

    reporting_currency: str
    tables: dict
    fx: dict | None = None
    source: str = "<mapping>"
    fx_rates: FxRatesFile | None = None


# --------------------------------------------------------------------------- reading
def read_mapping(path) -> ColumnMapping:
    """Read and check a column-mapping YAML file.

    Parameters
    ----------
    path : str or Path
        The mapping file.

    Returns
    -------
    ColumnMapping

    Raises
    ------
    riskkit._core.config.ConfigError
        For any bad field, naming ``<file>: <entry>: field '<field>': <problem>``.
    """
    raw, source = read_yaml(path)
    top = Checker(source, "<top level>")
    top.only(raw, {"reporting_currency", "fx", "fx_rates", "tables"})
    currency = top.text(top.require(raw, "reporting_currency"), "reporting_currency")
    fx = None
    if raw.get("fx") is not None:
        fx = {}
        for code, rate in top.mapping(raw["fx"], "fx").items():
            fx[str(code)] = top.number(rate, f"fx.{code}", lo=0)
            if fx[str(code)] == 0:
                top.fail(f"fx.{code}", "must be > 0")
        fx.setdefault(currency, 1.0)
        if fx[currency] != 1.0:
            top.fail(f"fx.{currency}", f"the reporting currency's rate must be 1, got {fx[currency]}")
    fx_rates = None
    if raw.get("fx_rates") is not None:
        if fx is not None:
            top.fail("fx_rates", "give either fx (one rate per currency) or fx_rates (rates by date), not both")
        fx_rates = _fx_rates_file(source, raw["fx_rates"])
    tables_raw = top.mapping(top.require(raw, "tables"), "tables")
    if "customers" not in tables_raw:
        top.fail("tables", "must map the 'customers' table")
    tables = {}
    for name, spec_raw in tables_raw.items():
        if name not in TABLES:
            top.fail("tables", f"unknown table {name!r}; the Portfolio tables are {list(TABLES)}")
        tables[name] = _table_mapping(source, name, spec_raw, dated=fx_rates is not None)
    return ColumnMapping(reporting_currency=currency, tables=tables, fx=fx, source=source, fx_rates=fx_rates)


def _fx_rates_file(source: str, raw) -> FxRatesFile:
    check = Checker(source, "fx_rates")
    raw = check.mapping(raw, "<entry>")
    check.only(raw, {"file", "columns", "date_format", "sep", "decimal", "encoding"})
    values = {"file": check.text(check.require(raw, "file"), "file")}
    columns = _names(check, raw.get("columns") or {}, "columns")
    for key in columns:
        if key not in ("date", "currency", "rate"):
            check.fail(f"columns.{key}", "must be one of date, currency, rate")
    values.update(columns)
    for key in ("date_format", "sep", "decimal", "encoding"):
        if raw.get(key) is not None:
            values[key] = check.text(raw[key], key)
    return FxRatesFile(**values)


def _names(check: Checker, raw, field: str) -> dict:
    out = {}
    for key, value in check.mapping(raw, field).items():
        out[str(key)] = check.text(value, f"{field}.{key}")
    return out


def _table_mapping(source: str, name: str, raw, dated: bool = False) -> TableMapping:
    check = Checker(source, f"tables.{name}")
    raw = check.mapping(raw, "<entry>")
    check.only(raw, _TABLE_FIELDS)
    spec = TABLES[name]
    file = check.text(check.require(raw, "file"), "file")
    columns = _names(check, raw.get("columns") or {}, "columns")
    constants = dict(check.mapping(raw.get("constants") or {}, "constants"))
    for col in (*columns, *constants):
        if col not in spec.columns:
            check.fail(f"columns.{col}" if col in columns else f"constants.{col}",
                       f"{name} has no column {col!r}; its columns are {spec.columns}")
    both = sorted(set(columns) & set(constants))
    if both:
        check.fail(f"constants.{both[0]}", "is also mapped from a source column; give one")
    categories = {}
    for col, recode in check.mapping(raw.get("categories") or {}, "categories").items():
        if col not in columns:
            check.fail(f"categories.{col}", "recodes a column that is not mapped from a source column")
        recode = check.mapping(recode, f"categories.{col}")
        choices = spec.field(col).choices
        for src, dst in recode.items():
            check.text(dst, f"categories.{col}.{src}")
            if choices is not None and dst not in choices:
                check.fail(f"categories.{col}.{src}", f"must be one of {list(choices)}, got {dst!r}")
        categories[col] = {str(k): v for k, v in recode.items()}
    dates = _names(check, raw.get("dates") or {}, "dates")
    for col in dates:
        if col not in columns or spec.field(col).kind != "date":
            check.fail(f"dates.{col}", "gives a format for a column that is not a mapped date column")
    currency = check.text(raw["currency"], "currency") if raw.get("currency") is not None else None
    rate_date = check.text(raw["rate_date"], "rate_date") if raw.get("rate_date") is not None else None
    if rate_date is not None and (rate_date not in spec.columns or spec.field(rate_date).kind != "date"):
        check.fail("rate_date", f"must be a date column of {name}, got {rate_date!r}")
    money = [f.name for f in spec.fields if f.unit == "reporting currency"]
    if dated and currency is not None and money:
        needed = rate_date or RATE_DATE.get(name)
        if needed is None:
            check.fail("rate_date", "is required to convert this table at dated rates (fx_rates)")
        if needed not in columns and needed not in constants:
            check.fail("currency", f"converting at dated rates (fx_rates) reads each row's {needed!r}; map it "
                                   f"(or name another date column in rate_date)")
    lines = receipts = None
    if raw.get("lines") is not None or raw.get("receipts") is not None:
        if name != "invoices":
            check.fail("lines" if raw.get("lines") is not None else "receipts",
                       "applies to the invoices table only")
        for col in ("amount", "paid_date", "paid_amount"):
            if col in columns or col in constants:
                check.fail(f"columns.{col}", "is computed from the lines and receipts; do not map it")
    if raw.get("lines") is not None:
        lines = _line_rules(source, raw["lines"])
    elif raw.get("receipts") is not None:
        check.fail("lines", "is required when receipts are given")
    if raw.get("receipts") is not None:
        receipts = _receipt_mapping(source, raw["receipts"])
    options = {k: check.text(raw[k], k) for k in ("sep", "decimal", "encoding") if raw.get(k) is not None}
    return TableMapping(table=name, file=file, columns=columns, constants=constants, categories=categories,
                        dates=dates, currency=currency, lines=lines, receipts=receipts, rate_date=rate_date,
                        **options)


def _line_rules(source: str, raw) -> LineRules:
    check = Checker(source, "tables.invoices.lines")
    raw = check.mapping(raw, "<entry>")
    check.only(raw, {"amount", "type", "types", "credits"})
    types = check.mapping(check.require(raw, "types"), "types")
    for src, kind in types.items():
        check.choice(kind, f"types.{src}", _LINE_KINDS)
    return LineRules(amount=check.text(check.require(raw, "amount"), "amount"),
                     type=check.text(check.require(raw, "type"), "type"),
                     types={str(k): v for k, v in types.items()},
                     credits=check.text(check.require(raw, "credits"), "credits"))


def _receipt_mapping(source: str, raw) -> ReceiptMapping:
    check = Checker(source, "tables.invoices.receipts")
    raw = check.mapping(raw, "<entry>")
    allowed = {"file", "invoice_id", "date", "amount", "date_format", "currency", "sep", "decimal", "encoding"}
    check.only(raw, allowed)
    values = {k: check.text(check.require(raw, k), k) for k in ("file", "invoice_id", "date", "amount")}
    for k in ("date_format", "currency", "sep", "decimal", "encoding"):
        if raw.get(k) is not None:
            values[k] = check.text(raw[k], k)
    return ReceiptMapping(**values)


# --------------------------------------------------------------------------- loading
class _Found:
    """Collects mapping violations (``table`` is the source file, ``key`` its line)."""

    def __init__(self):
        self.frames = []

    def add(self, file: str, column: str, check: str, lines, values) -> None:
        lines = list(lines)
        values = [("<missing>" if v is None or (isinstance(v, float) and np.isnan(v)) else repr(v)
                   if isinstance(v, str) else str(v)) for v in values]
        self.frames.append(pd.DataFrame({"table": file, "column": column, "check": check,
                                         "key": [f"line {n}" for n in lines], "value": values},
                                        columns=VIOLATION_COLUMNS))

    def frame(self) -> pd.DataFrame:
        if not self.frames:
            return pd.DataFrame({c: pd.Series([], dtype="str") for c in VIOLATION_COLUMNS})
        return pd.concat(self.frames, ignore_index=True).astype("str")


def _read_source(folder: Path, file: str, needed, sep: str, encoding: str) -> pd.DataFrame:
    path = folder / file
    if not path.is_file():
        raise FileNotFoundError(f"source file {file!r} named by the mapping is not in {str(folder)!r}")
    try:
        df = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""], sep=sep, encoding=encoding)
    except Exception as exc:  # the reader's message says what is wrong with the bytes
        raise DataValidationError(_structure(file, "", "readable_file", f"{type(exc).__name__}: {exc}")) from exc
    missing = [c for c in dict.fromkeys(needed) if c not in df.columns]
    if missing:
        raise DataValidationError(_structure(file, missing[0], "source_column",
                                             f"absent; the file has {list(df.columns)}"))
    df.index = pd.RangeIndex(2, len(df) + 2)  # the file's line numbers (header is line 1)
    return df


def _structure(file: str, column: str, check: str, detail: str) -> pd.DataFrame:
    return pd.DataFrame({"table": [file], "column": [column], "check": [check], "key": ["<file>"],
                         "value": [detail]})


def _parse_dates(text: pd.Series, fmt: str | None, file: str, column: str, found: _Found) -> pd.Series:
    blank = text.isna() | (text.str.strip() == "")
    parsed = pd.to_datetime(text.where(~blank).str.strip(), errors="coerce", format=fmt or "ISO8601")
    bad = parsed.isna() & ~blank
    if bad.any():
        found.add(file, column, "parseable_date", text.index[bad], text[bad])
    return parsed.astype("datetime64[ns]")


def _parse_numbers(text: pd.Series, decimal: str, file: str, column: str, found: _Found) -> pd.Series:
    blank = text.isna() | (text.str.strip() == "")
    cleaned = text.where(~blank).str.strip()
    foreign_point = pd.Series(False, index=text.index)
    if decimal != ".":
        # no thousands separator is read: "1.000,50" or "3200000.00" under a decimal comma is
        # ambiguous, so a point is a parse failure rather than a guess
        foreign_point = cleaned.str.contains(".", regex=False).fillna(False).astype(bool)
        cleaned = cleaned.str.replace(decimal, ".", regex=False)
    numbers = pd.to_numeric(cleaned, errors="coerce").where(~foreign_point)
    bad = numbers.isna() & ~blank
    if bad.any():
        found.add(file, column, "parseable_number", text.index[bad], text[bad])
    return numbers.astype("float64")


@dataclass(frozen=True)
class _Rates:
    """The mapping's exchange rates: none, one per currency (``fx``) or by date (``fx_rates``)."""

    reporting: str
    fx: dict | None = None
    by_date: pd.DataFrame | None = None  # currency, date, rate; sorted by date

    def of(self, currencies: pd.Series, dates: pd.Series | None, file: str, column: str,
           found: _Found) -> pd.Series:
        """Reporting-currency units per unit of each row's currency (NaN where unknown).

        ``dates`` (aligned with ``currencies``) are the rows' rate dates, read only with
        rates by date; None for a table without amounts (the currencies are still checked).
        """
        codes = currencies.fillna(self.reporting).str.strip()
        if self.by_date is not None:
            return self._dated(codes, dates, file, column, found)
        if self.fx is None:
            bad = codes != self.reporting
            if bad.any():
                found.add(file, column, "reporting_currency", codes.index[bad], codes[bad])
            return pd.Series(np.where(bad, np.nan, 1.0), index=codes.index)
        rates = codes.map(self.fx).astype("float64")
        bad = rates.isna()
        if bad.any():
            found.add(file, column, "known_currency", codes.index[bad], codes[bad])
        return rates

    def _dated(self, codes: pd.Series, dates: pd.Series, file: str, column: str, found: _Found) -> pd.Series:
        table = self.by_date
        rates = pd.Series(np.where(codes == self.reporting, 1.0, np.nan), index=codes.index)
        listed = codes.isin(set(table["currency"]))
        unlisted = (codes != self.reporting) & ~listed
        if unlisted.any():
            found.add(file, column, "known_currency", codes.index[unlisted], codes[unlisted])
        if dates is None:  # a table with no amounts to convert: only the currency is checked
            return rates
        ask = listed & (codes != self.reporting) & dates.notna()
        if ask.any():
            left = pd.DataFrame({"currency": codes[ask].to_numpy(), "date": dates[ask].to_numpy(),
                                 "row": np.flatnonzero(ask.to_numpy())}).sort_values("date", kind="stable")
            found_rates = pd.merge_asof(left, table, on="date", by="currency", direction="backward")
            values = rates.to_numpy(copy=True)
            values[found_rates["row"].to_numpy()] = found_rates["rate"].to_numpy()
            rates = pd.Series(values, index=codes.index)
        unknown = listed & (codes != self.reporting) & rates.isna()
        if unknown.any():
            when = dates[unknown]
            described = [f"{c} on {d.date()}" if pd.notna(d) else f"{c} without a date"
                         for c, d in zip(codes[unknown], when, strict=True)]
            found.add(file, column, "fx_rate_known", codes.index[unknown], described)
        return rates


def _fx_table(spec: FxRatesFile, folder: Path, reporting: str, found: _Found) -> pd.DataFrame:
    """The rates by date, checked: a violation per bad line (which then gives no rate)."""
    src = _read_source(folder, spec.file, [spec.date, spec.currency, spec.rate], spec.sep, spec.encoding)
    date = _parse_dates(src[spec.date], spec.date_format, spec.file, spec.date, found)
    rate = _parse_numbers(src[spec.rate], spec.decimal, spec.file, spec.rate, found)
    currency = src[spec.currency].fillna("").str.strip()
    blank = currency == ""
    if blank.any():
        found.add(spec.file, spec.currency, "not_null", src.index[blank], src.loc[blank, spec.currency])
    nonpositive = rate.notna() & (rate <= 0)
    if nonpositive.any():
        found.add(spec.file, spec.rate, "positive_rate", src.index[nonpositive], src.loc[nonpositive, spec.rate])
    home = (currency == reporting) & rate.notna() & (rate != 1.0)
    if home.any():
        found.add(spec.file, spec.rate, "reporting_currency_rate", src.index[home], src.loc[home, spec.rate])
    twice = pd.DataFrame({"c": currency, "d": date}).duplicated(keep=False) & date.notna() & ~blank
    if twice.any():
        found.add(spec.file, spec.date, "one_rate_per_day", src.index[twice],
                  [f"{c} on {d.date()}" for c, d in zip(currency[twice], date[twice], strict=True)])
    usable = date.notna() & rate.notna() & ~blank & ~nonpositive & ~home & ~twice & (currency != reporting)
    table = pd.DataFrame({"currency": currency[usable].to_numpy(dtype=object), "date": date[usable].to_numpy(),
                          "rate": rate[usable].to_numpy()})
    return table.sort_values("date", kind="stable").reset_index(drop=True)


def _rate_dates(tm: TableMapping, out: pd.DataFrame) -> pd.Series | None:
    """The mapped table's rate dates (``rate_date`` or :data:`RATE_DATE`), None if it has none."""
    column = tm.rate_date or RATE_DATE.get(tm.table)
    return out[column] if column is not None and column in out.columns else None


def _map_table(tm: TableMapping, folder: Path, rates: _Rates, found: _Found,
               extra=()) -> pd.DataFrame:
    """The table with model column names and dtypes, indexed by source line number."""
    spec = TABLES[tm.table]
    needed = [*tm.columns.values(), *([tm.currency] if tm.currency else []), *extra]
    src = _read_source(folder, tm.file, needed, tm.sep, tm.encoding)
    out = pd.DataFrame(index=src.index)
    for col, source_col in tm.columns.items():
        text = src[source_col]
        kind = spec.field(col).kind
        if col in tm.categories:
            recode = tm.categories[col]
            present = text.notna()
            unmapped = present & ~text.isin(list(recode))
            if unmapped.any():
                found.add(tm.file, source_col, "mapped_category", text.index[unmapped], text[unmapped])
            text = text.map(recode).where(~unmapped, text).astype("str")
        if kind == "date":
            out[col] = _parse_dates(text, tm.dates.get(col), tm.file, source_col, found)
        elif kind in ("float", "int"):
            out[col] = _parse_numbers(text, tm.decimal, tm.file, source_col, found)
        else:
            out[col] = text.astype("str")
    for col, value in tm.constants.items():
        kind = spec.field(col).kind
        if kind == "date":
            out[col] = pd.Timestamp(str(value))
        elif kind in ("float", "int"):
            out[col] = float(value)
        else:
            out[col] = pd.Series(str(value), index=out.index, dtype="str")
    if tm.currency:
        factor = rates.of(src[tm.currency], _rate_dates(tm, out), tm.file, tm.currency, found)
        for f in spec.fields:
            if f.unit == "reporting currency" and f.name in out.columns:
                out[f.name] = out[f.name] * factor
        if "currency" in spec.columns and "currency" not in out.columns:
            out["currency"] = src[tm.currency].astype("str")
    return out, src


def _invoices(tm: TableMapping, folder: Path, rates: _Rates, found: _Found) -> pd.DataFrame:
    rules = tm.lines
    lines, src = _map_table(tm, folder, rates, found, extra=(rules.amount, rules.type, rules.credits))
    amount = _parse_numbers(src[rules.amount], tm.decimal, tm.file, rules.amount, found)
    line_rate = pd.Series(1.0, index=src.index)
    if tm.currency:
        line_rate = rates.of(src[tm.currency], _rate_dates(tm, lines), "", "", _Found())  # reported above
        amount = amount * line_rate
    kind = src[rules.type].map(rules.types)
    unknown = kind.isna()
    if unknown.any():
        found.add(tm.file, rules.type, "mapped_category", src.index[unknown], src.loc[unknown, rules.type])
    is_credit = (kind == "credit_note").to_numpy()
    positive = is_credit & (amount > 0).to_numpy()
    if positive.any():
        found.add(tm.file, rules.amount, "credit_note_not_positive", src.index[positive], src.loc[positive, rules.amount])
    doc = lines["invoice_id"]
    inv = lines[(kind == "invoice").to_numpy()]
    headers = [c for c in inv.columns if c != "invoice_id"]
    # every line of a document carries the same customer, dates and currency
    spread = inv.groupby("invoice_id", sort=False)[headers].nunique(dropna=False)
    for col in headers:
        bad_docs = spread.index[spread[col] > 1]
        if len(bad_docs):
            rows = inv.index[inv["invoice_id"].isin(bad_docs).to_numpy()]
            found.add(tm.file, tm.columns.get(col, col), "one_value_per_document", rows, inv.loc[rows, col])
    invoices = inv.groupby("invoice_id", sort=False)[headers].first()
    # each document's currency and rate (its lines share them: one_value_per_document)
    doc_rate = line_rate[(kind == "invoice").to_numpy()].groupby(doc[(kind == "invoice").to_numpy()],
                                                                  sort=False).first()
    doc_currency = (src.loc[(kind == "invoice").to_numpy(), tm.currency].fillna(rates.reporting).str.strip()
                    .groupby(doc[(kind == "invoice").to_numpy()], sort=False).first()
                    if tm.currency else pd.Series(rates.reporting, index=invoices.index))
    invoices["amount"] = amount[(kind == "invoice").to_numpy()].groupby(doc[(kind == "invoice").to_numpy()],
                                                                       sort=False).sum()
    # credit notes: a ledger credit against the invoice they name
    credited = src.loc[is_credit, rules.credits]
    known = credited.isin(invoices.index)
    if (~known).any():
        found.add(tm.file, rules.credits, "credited_invoice_known", credited.index[~known], credited[~known])
    credit_amount = amount[is_credit][known.to_numpy()]
    credit_target = credited[known]
    invoices["amount"] = invoices["amount"].add(credit_amount.groupby(credit_target).sum(), fill_value=0.0)
    if "customer_id" in lines.columns:
        their = lines.loc[credit_target.index, "customer_id"].to_numpy()
        own = invoices.loc[credit_target.to_numpy(), "customer_id"].to_numpy()
        other = their != own
        if other.any():
            rows = credit_target.index[other]
            found.add(tm.file, tm.columns["customer_id"], "credit_note_same_customer", rows, lines.loc[rows, "customer_id"])
    last_credit = (lines.loc[credit_target.index, "issue_date"].groupby(credit_target).max()
                   if "issue_date" in lines.columns else pd.Series(dtype="datetime64[ns]"))
    invoices["paid_date"] = pd.Series(pd.NaT, index=invoices.index, dtype="datetime64[ns]")
    invoices["paid_amount"] = 0.0
    credited_out = invoices["amount"].abs() < _CENT / 2
    invoices.loc[credited_out, "paid_date"] = last_credit.reindex(invoices.index[credited_out]).to_numpy()
    parts = [invoices]
    if tm.receipts is not None:
        parts = _apply_receipts(invoices, tm.receipts, folder, rates, found, doc_rate, doc_currency)
    out = pd.concat(parts).rename_axis("invoice_id").reset_index()
    return out


def _apply_receipts(invoices: pd.DataFrame, rm: ReceiptMapping, folder: Path, rates: _Rates,
                    found: _Found, doc_rate: pd.Series, doc_currency: pd.Series) -> list[pd.DataFrame]:
    needed = [rm.invoice_id, rm.date, rm.amount, *([rm.currency] if rm.currency else [])]
    src = _read_source(folder, rm.file, needed, rm.sep, rm.encoding)
    date = _parse_dates(src[rm.date], rm.date_format, rm.file, rm.date, found)
    amount = _parse_numbers(src[rm.amount], rm.decimal, rm.file, rm.amount, found)
    target = src[rm.invoice_id]
    known = target.isin(invoices.index)
    if rm.currency:
        currency = src[rm.currency].fillna(rates.reporting).str.strip()
        # a receipt in its invoice's currency settles the invoice at the invoice's rate
        same = known & (currency == doc_currency.reindex(target.to_numpy()).to_numpy())
        own = rates.of(src.loc[~same, rm.currency], date[~same], rm.file, rm.currency, found)
        factor = pd.Series(doc_rate.reindex(target.to_numpy()).to_numpy(), index=src.index)
        factor[~same] = own
        amount = amount * factor
    if (~known).any():
        found.add(rm.file, rm.invoice_id, "receipt_invoice_known", target.index[~known], target[~known])
    received = amount[known].groupby(target[known]).sum().reindex(invoices.index, fill_value=0.0)
    last = date[known].groupby(target[known]).max().reindex(invoices.index)
    settled = (received > 0) & (received >= invoices["amount"] - _CENT)
    partial = (received > 0) & ~settled
    out = invoices.copy()
    out.loc[settled, "paid_amount"] = received[settled]
    out.loc[settled, "paid_date"] = last[settled]
    paid_part = invoices[partial].copy()
    paid_part["amount"] = received[partial]
    paid_part["paid_amount"] = received[partial]
    paid_part["paid_date"] = last[partial]
    paid_part.index = paid_part.index + _PAID_SUFFIX
    out.loc[partial, "amount"] = invoices.loc[partial, "amount"] - received[partial]
    return [out, paid_part]


def load_mapped(path, mapping, errors: str = "raise"):
    """Load a firm's exports through a column mapping and validate the Portfolio.

    Parameters
    ----------
    path : str or Path
        Folder holding the source files the mapping names.
    mapping : str, Path or ColumnMapping
        The mapping YAML file (read with :func:`read_mapping`) or a mapping already read.
    errors : {"raise", "report"}
        As in :func:`riskkit.data.load_portfolio`: ``"raise"`` raises
        :class:`~riskkit.data.DataValidationError` listing every problem; ``"report"``
        returns ``(portfolio, violations)``, the portfolio unvalidated.

    Returns
    -------
    Portfolio, or (Portfolio, DataFrame) when ``errors="report"``.
        Violations of the mapping step (``parseable_date``, ``mapped_category``, ...)
        name the source file in ``table``, the source column in ``column`` and the file's
        line in ``key``; those of the normal validation follow, naming the model table.

    Raises
    ------
    riskkit._core.config.ConfigError
        The mapping is invalid.
    FileNotFoundError
        A source file is missing.
    DataValidationError
        A source file lacks a mapped column or cannot be read (in both modes), or, with
        ``errors="raise"``, any violation.

    See Also
    --------
    riskkit.data.load_portfolio : the same validation for files already in the model's shape.
    """
    if errors not in ("raise", "report"):
        raise ValueError(f"errors must be 'raise' or 'report', got {errors!r}")
    if not isinstance(mapping, ColumnMapping):
        mapping = read_mapping(mapping)
    folder = Path(path)
    if not folder.is_dir():
        raise NotADirectoryError(f"{str(path)!r} is not a folder of source files")
    found = _Found()
    rates = _Rates(mapping.reporting_currency, mapping.fx,
                   None if mapping.fx_rates is None else _fx_table(mapping.fx_rates, folder,
                                                                   mapping.reporting_currency, found))
    frames = {}
    for name, tm in mapping.tables.items():
        if tm.lines is not None:
            frames[name] = _invoices(tm, folder, rates, found)
        else:
            frames[name] = _map_table(tm, folder, rates, found)[0].reset_index(drop=True)
    tables, violations = validate_portfolio(frames, from_text=False)
    violations = pd.concat([found.frame(), violations], ignore_index=True)
    portfolio = Portfolio(**tables, validate=False)
    if errors == "report":
        return portfolio, violations
    if len(violations):
        raise DataValidationError(violations, context=f"{folder} via {mapping.source}")
    return portfolio
