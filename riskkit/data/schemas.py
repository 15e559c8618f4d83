"""Table contracts of the Portfolio data model (DESIGN.md section 2).

One :class:`TableSpec` per table is the single source of truth for column names,
dtypes, keys and business rules.  :func:`pandera_schema` turns a spec into a pandera
``DataFrameSchema`` whose checks are named after the rule they enforce, so that a
failure can be reported as "table, column, check, offending keys".

Conventions
-----------
* ids and free text are pandas ``str``; dates are ``datetime64[ns]``; money is
  ``float64`` in one reporting currency; counts are ``int64``.
* ``invoices.order_id`` (optional) names the order an invoice bills, an order of the same
  customer; an order invoiced in lots has several invoices.  Empty: an invoice raised
  against no order.  Without the column nothing links invoices to orders (see
  :func:`riskkit.limits.exposure`).
* ``NaT`` in ``invoices.paid_date`` means open; in ``orders.closed_date`` open; in
  ``relations.end`` still in force; in ``relations.start`` in force since before the
  data begins.
* ``financials.published_date`` is when a statement became known: the point-in-time
  rule applies to it, not to ``period_end`` (a statement for 2023 is not known on
  2024-01-01).
* ``relations.src``/``dst`` may name parties that are not customers (a holding company,
  a natural person), so they are not foreign keys; direction: ``shareholding`` and
  ``control``: src owns/controls dst (``weight`` = share in [0, 1]); ``guarantee``: src
  guarantees dst's debt (``weight`` = guaranteed amount); ``supply``: src supplies dst
  (``weight`` = annual trade volume); ``common_director``: shared directors (``weight`` =
  number of directors).
* ``credit_decisions`` makes ``credit_limit`` and ``payment_terms_days`` point in time: a
  decision holds from its ``effective_date`` until the customer's next decision.  The
  ``customers`` columns of the same names are the values recorded today; a snapshot
  (``Portfolio.as_of``) replaces them by the latest decision effective on or before its
  date, and keeps them only for customers without such a decision.  A decision may not
  take effect before the customer's onboarding (a limit is granted to a customer, not to
  a prospect), though it may on the onboarding day itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = [
    "Field",
    "TableSpec",
    "TABLES",
    "TABLE_ORDER",
    "CUSTOMER_KINDS",
    "OWNERSHIP_TYPES",
    "EVENT_CATEGORIES",
    "RELATION_TYPES",
    "ORDER_STATUSES",
    "DEFAULT_REASONS",
    "CREDIT_DECISION_REASONS",
    "MAX_PAYMENT_TERMS_DAYS",
    "empty_table",
    "pandera_schema",
    "dtype_of",
    "data_dictionary",
]

CUSTOMER_KINDS = ("enterprise", "individual")
OWNERSHIP_TYPES = ("central_soe", "local_soe", "private", "foreign", "individual")
EVENT_CATEGORIES = (
    "litigation",
    "enforcement",
    "tax",
    "penalty",
    "negative_news",
    "business_change",
    "bankruptcy",
    "positive_news",
)
RELATION_TYPES = ("shareholding", "control", "guarantee", "supply", "common_director")
ORDER_STATUSES = ("open", "fulfilled", "cancelled")
DEFAULT_REASONS = ("dpd90", "bankruptcy", "write_off")
#: why a credit limit / payment terms decision was taken: ``onboarding`` (first limit),
#: ``periodic_review`` (scheduled review; the limit may go up, down or stay),
#: ``deterioration`` (cut between reviews: late payment, adverse events, worse rating),
#: ``improvement`` (raised or restored between reviews after the situation improved),
#: ``override`` (a limit set by a credit committee against the policy),
#: ``request`` (the customer or sales asked for more and it was granted),
#: ``default`` (the line withdrawn after a default)
CREDIT_DECISION_REASONS = ("onboarding", "periodic_review", "deterioration", "improvement", "override",
                           "request", "default")
#: longest payment terms a decision may grant: 0 is cash in advance; credit for more than a
#: year is a loan, not trade credit
MAX_PAYMENT_TERMS_DAYS = 365

#: pandas dtype of each field kind
_DTYPES = {
    "id": "str",
    "str": "str",
    "date": "datetime64[ns]",
    "float": "float64",
    "int": "int64",
    "bool": "bool",
}


@dataclass(frozen=True)
class Field:
    """One column: name, kind (id/str/date/float/int/bool), value rules, meaning and unit.

    ``description`` and ``unit`` feed the data dictionary (:func:`data_dictionary`) that
    ``riskkit template`` writes; ``unit`` is empty for identifiers, text and categories.
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    choices: tuple | None = None
    ge: float | None = None
    le: float | None = None
    description: str = ""
    unit: str = ""

    @property
    def dtype(self) -> str:
        return _DTYPES[self.kind]


@dataclass(frozen=True)
class RowRule:
    """A rule over several columns of one row; ``test(df)`` is True where the row passes.

    ``columns[0]`` is the column a violation is reported under.
    """

    name: str
    columns: tuple[str, ...]
    test: object  # Callable[[pd.DataFrame], pd.Series]

    @property
    def column(self) -> str:
        return self.columns[0]


@dataclass(frozen=True)
class TableSpec:
    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    required: bool = False
    rules: tuple[RowRule, ...] = field(default_factory=tuple)
    description: str = ""

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_columns(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no column {name!r}")


def _not_before(later: str, earlier: str):
    def test(df: pd.DataFrame) -> pd.Series:
        return df[later].isna() | df[earlier].isna() | (df[later] >= df[earlier])

    return test


def _paid_not_above_amount(df: pd.DataFrame) -> pd.Series:
    # a cent of tolerance for rounding in source systems
    return df["paid_amount"] <= df["amount"] + 0.01


def _open_invoice_unpaid(df: pd.DataFrame) -> pd.Series:
    return df["paid_date"].notna() | (df["paid_amount"] == 0)


def _closed_date_matches_status(df: pd.DataFrame) -> pd.Series:
    is_open = df["status"] == "open"
    return (is_open & df["closed_date"].isna()) | (~is_open & df["closed_date"].notna())


def _share_in_unit_interval(df: pd.DataFrame) -> pd.Series:
    is_share = df["type"].isin(["shareholding", "control"])
    return ~is_share | ((df["weight"] >= 0) & (df["weight"] <= 1))


def _no_self_loop(df: pd.DataFrame) -> pd.Series:
    return df["src"] != df["dst"]


CUSTOMERS = TableSpec(
    name="customers",
    required=True,
    key=("customer_id",),
    description="one row per customer (enterprise or individual)",
    fields=(
        Field("customer_id", "id",
              description="the customer's identifier in the book; every other table refers to it"),
        Field("name", "str",
              description="registered (legal) name"),
        Field("kind", "str", choices=CUSTOMER_KINDS,
              description="enterprise (company) or individual (a natural person)"),
        Field("industry", "str",
              description="industry sector label (free text, one vocabulary per book)"),
        Field("region", "str",
              description="province or region of registration"),
        Field("ownership_type", "str", choices=OWNERSHIP_TYPES,
              description="who ultimately owns the customer"),
        Field("state_ownership_pct", "float", ge=0, le=100,
              description="state share of the equity", unit="percent (0-100)"),
        Field("registered_capital", "float", ge=0,
              description="registered capital", unit="reporting currency"),
        Field("founded", "date", nullable=True,
              description="date of incorporation; empty when unknown", unit="date"),
        Field("onboarded", "date",
              description="date the customer was first granted credit", unit="date"),
        Field("payment_terms_days", "int", ge=0,
              description="payment terms recorded today", unit="days"),
        Field("credit_limit", "float", ge=0,
              description="credit limit recorded today", unit="reporting currency"),
        Field("id_number", "str", required=False, nullable=True,
              description="unified social credit code or national id (PII)"),
        Field("phone", "str", required=False, nullable=True,
              description="contact phone (PII)"),
        Field("email", "str", required=False, nullable=True,
              description="contact e-mail (PII)"),
        Field("currency", "str", required=False, nullable=True,
              description="ISO 4217 code the customer is billed in (informative; amounts are in the reporting currency)"),
    ),
    rules=(
        RowRule("onboarded_not_before_founded", ('onboarded', 'founded'), _not_before("onboarded", "founded")),
    ),
)

INVOICES = TableSpec(
    name="invoices",
    key=("invoice_id",),
    description="the accounts-receivable ledger, one row per invoice",
    fields=(
        Field("invoice_id", "id",
              description="identifier of the receivable (one invoice document)"),
        Field("customer_id", "id",
              description="the customer billed"),
        Field("issue_date", "date",
              description="invoice date", unit="date"),
        Field("due_date", "date",
              description="date payment is due under the terms", unit="date"),
        Field("amount", "float", ge=0,
              description="amount invoiced", unit="reporting currency"),
        Field("paid_date", "date", nullable=True,
              description="date the invoice was settled in full; empty while open", unit="date"),
        Field("paid_amount", "float", ge=0,
              description="amount received against the invoice; 0 while open", unit="reporting currency"),
        Field("currency", "str", required=False, nullable=True,
              description="ISO 4217 code of the original invoice (informative)"),
        Field("order_id", "id", required=False, nullable=True,
              description="the sales order the invoice bills (an orders.order_id of the same customer); "
                          "empty for an invoice raised against no order, e.g. a service fee"),
    ),
    rules=(
        RowRule("due_date_not_before_issue_date", ('due_date', 'issue_date'), _not_before("due_date", "issue_date")),
        RowRule("paid_date_not_before_issue_date", ('paid_date', 'issue_date'), _not_before("paid_date", "issue_date")),
        RowRule("paid_amount_not_above_amount", ('paid_amount', 'amount'), _paid_not_above_amount),
        RowRule("open_invoice_has_no_payment", ('paid_amount', 'paid_date'), _open_invoice_unpaid),
    ),
)

ORDERS = TableSpec(
    name="orders",
    key=("order_id",),
    description="sales orders; closed_date is when fulfilled or cancelled",
    fields=(
        Field("order_id", "id",
              description="identifier of the sales order"),
        Field("customer_id", "id",
              description="the ordering customer"),
        Field("order_date", "date",
              description="date the order was placed", unit="date"),
        Field("amount", "float", ge=0,
              description="order value", unit="reporting currency"),
        Field("status", "str", choices=ORDER_STATUSES,
              description="open, fulfilled or cancelled"),
        Field("closed_date", "date", nullable=True,
              description="date fulfilled or cancelled; empty while open", unit="date"),
    ),
    rules=(
        RowRule("closed_date_not_before_order_date", ('closed_date', 'order_date'), _not_before("closed_date", "order_date")),
        RowRule("closed_date_matches_status", ('closed_date', 'status'), _closed_date_matches_status),
    ),
)

_MONEY_NONNEG = (
    "revenue",
    "total_assets",
    "total_liabilities",
    "current_assets",
    "current_liabilities",
    "cash",
    "interest_expense",
)
FINANCIALS = TableSpec(
    name="financials",
    key=("customer_id", "period_end"),
    description="financial statements, one row per customer and reporting period",
    fields=(
        Field("customer_id", "id",
              description="the reporting customer"),
        Field("period_end", "date",
              description="last day of the reporting period", unit="date"),
        Field("published_date", "date",
              description="when the statement became known (point-in-time rule)", unit="date"),
        Field("revenue", "float", ge=0,
              description="revenue of the period", unit="reporting currency"),
        Field("ebit", "float",
              description="earnings before interest and taxes", unit="reporting currency"),
        Field("net_income", "float",
              description="net income", unit="reporting currency"),
        Field("total_assets", "float", ge=0,
              description="total assets at period end", unit="reporting currency"),
        Field("total_liabilities", "float", ge=0,
              description="total liabilities at period end", unit="reporting currency"),
        Field("current_assets", "float", ge=0,
              description="current assets at period end", unit="reporting currency"),
        Field("current_liabilities", "float", ge=0,
              description="current liabilities at period end", unit="reporting currency"),
        Field("retained_earnings", "float",
              description="retained earnings at period end", unit="reporting currency"),
        Field("equity", "float",
              description="book equity at period end", unit="reporting currency"),
        Field("cash", "float", ge=0,
              description="cash and equivalents at period end", unit="reporting currency"),
        Field("interest_expense", "float", ge=0,
              description="interest expense of the period", unit="reporting currency"),
        Field("currency", "str", required=False, nullable=True,
              description="ISO 4217 code of the original statement (informative)"),
    ),
    rules=(
        RowRule("published_date_not_before_period_end", ('published_date', 'period_end'),
                _not_before("published_date", "period_end")),
    ),
)

BUREAU = TableSpec(
    name="bureau",
    key=("customer_id", "report_date", "source"),
    description="third-party credit-bureau reports",
    fields=(
        Field("customer_id", "id",
              description="the customer reported on"),
        Field("report_date", "date",
              description="date of the bureau report", unit="date"),
        Field("source", "str",
              description="the bureau's name"),
        Field("score", "float", nullable=True,
              description="the bureau's score (its own scale); empty when not scored", unit="bureau points"),
        Field("delinquencies", "int", ge=0,
              description="delinquencies the bureau records", unit="count"),
        Field("inquiries", "int", ge=0,
              description="credit inquiries the bureau records", unit="count"),
    ),
)

EVENTS = TableSpec(
    name="events",
    key=("event_id",),
    description="external events: litigation, enforcement, negative news, ...",
    fields=(
        Field("event_id", "id",
              description="identifier of the event"),
        Field("customer_id", "id",
              description="the customer concerned"),
        Field("date", "date",
              description="date the event became known", unit="date"),
        Field("category", "str", choices=EVENT_CATEGORIES,
              description="kind of event"),
        Field("severity", "int", ge=1, le=5,
              description="severity, 1 (minor) to 5 (grave)", unit="grade 1-5"),
        Field("source", "str",
              description="where the event was found (court records, news, ...)"),
        Field("text", "str", nullable=True,
              description="free-text summary"),
    ),
)

RELATIONS = TableSpec(
    name="relations",
    key=("src", "dst", "type", "start"),
    description="links between parties (customers or external parties)",
    fields=(
        Field("src", "id",
              description="first party (owner, guarantor, supplier)"),
        Field("dst", "id",
              description="second party (owned, guaranteed, supplied)"),
        Field("type", "str", choices=RELATION_TYPES,
              description="kind of link; sets the meaning of weight"),
        Field("weight", "float", ge=0,
              description="share in [0, 1] (shareholding, control), amount (guarantee), annual volume (supply) or director count", unit="share, reporting currency or count"),
        Field("start", "date", nullable=True,
              description="first day in force; empty: since before the data", unit="date"),
        Field("end", "date", nullable=True,
              description="last day in force; empty: still in force", unit="date"),
    ),
    rules=(
        RowRule("no_self_loop", ('dst', 'src'), _no_self_loop),
        RowRule("share_in_unit_interval", ('weight', 'type'), _share_in_unit_interval),
        RowRule("end_not_before_start", ('end', 'start'), _not_before("end", "start")),
    ),
)

DEFAULTS = TableSpec(
    name="defaults",
    key=("customer_id", "default_date"),
    description="observed defaults",
    fields=(
        Field("customer_id", "id",
              description="the defaulted customer"),
        Field("default_date", "date",
              description="date of default", unit="date"),
        Field("reason", "str", choices=DEFAULT_REASONS,
              description="default trigger: 90 days past due, bankruptcy or write-off"),
    ),
)

CREDIT_DECISIONS = TableSpec(
    name="credit_decisions",
    key=("customer_id", "effective_date"),
    description="credit limit and payment terms decisions; each holds until the customer's next one",
    fields=(
        Field("customer_id", "id",
              description="the customer decided on"),
        Field("effective_date", "date",
              description="first day the decision applies (not before onboarded)", unit="date"),
        Field("credit_limit", "float", ge=0,
              description="credit limit granted; 0: no credit (line withdrawn)", unit="reporting currency"),
        Field("payment_terms_days", "int", ge=0, le=MAX_PAYMENT_TERMS_DAYS,
              description="payment terms granted; 0: cash in advance", unit="days"),
        Field("reason", "str", choices=CREDIT_DECISION_REASONS,
              description="why the decision was taken"),
        Field("decided_by", "str",
              description="who took the decision (a person, role or committee)"),
    ),
)

TABLE_ORDER = ("customers", "invoices", "orders", "financials", "bureau", "events", "relations", "defaults",
               "credit_decisions")
TABLES: dict[str, TableSpec] = {
    t.name: t for t in (CUSTOMERS, INVOICES, ORDERS, FINANCIALS, BUREAU, EVENTS, RELATIONS, DEFAULTS,
                        CREDIT_DECISIONS)
}

#: tables whose ``customer_id`` must exist in ``customers``
FOREIGN_KEY_TABLES = ("invoices", "orders", "financials", "bureau", "events", "defaults", "credit_decisions")
#: table -> (column, table it refers to, that table's key column, check name): references
#: other than ``customer_id``, each to a row of the SAME customer (an empty one is allowed),
#: and the name of the check that the referred row is the same customer's
CUSTOMER_REFERENCES = {"invoices": ("order_id", "orders", "order_id", "order_same_customer")}
#: a referring row may not be dated before the row it refers to (e.g. an invoice issued
#: before its order was placed): table -> (its date column, the referred date column, check)
NOT_BEFORE_REFERENCE = {"invoices": ("issue_date", "order_date", "issued_not_before_order")}
#: tables whose date may not precede the customer's ``onboarded`` date: table -> column
NOT_BEFORE_ONBOARDING = {"credit_decisions": "effective_date"}


def dtype_of(kind: str) -> str:
    """pandas dtype used for a field kind."""
    return _DTYPES[kind]


def data_dictionary() -> pd.DataFrame:
    """The data dictionary of the Portfolio model: one row per table and column.

    Returns
    -------
    pandas.DataFrame
        Columns ``table, table_required, column, dtype, required, nullable, allowed,
        unit, meaning``.  ``required`` means the column must be in the file when the table
        is given; ``nullable`` that a cell may be empty; ``allowed`` lists the categories
        (``a|b|c``) or the bounds (``>= 0``, ``<= 100``) a value must respect.  Rows
        follow ``TABLE_ORDER`` and each table's column order, so the dictionary and the
        template files list columns in the same order.
    """
    rows = []
    for table in TABLE_ORDER:
        spec = TABLES[table]
        for f in spec.fields:
            allowed = []
            if f.choices is not None:
                allowed.append("|".join(f.choices))
            if f.ge is not None:
                allowed.append(f">= {f.ge:g}")
            if f.le is not None:
                allowed.append(f"<= {f.le:g}")
            rows.append({"table": table, "table_required": spec.required, "column": f.name,
                         "dtype": f.dtype, "required": f.required, "nullable": f.nullable,
                         "allowed": "; ".join(allowed), "unit": f.unit, "meaning": f.description})
    return pd.DataFrame(rows)


def empty_table(name: str) -> pd.DataFrame:
    """An empty DataFrame with every column of table ``name`` in its dtype."""
    spec = TABLES[name]
    return pd.DataFrame({f.name: pd.Series([], dtype=f.dtype) for f in spec.fields})


def pandera_schema(spec: TableSpec, present_columns) -> pa.DataFrameSchema:
    """Build the pandera schema of ``spec`` for the columns present in a frame.

    Dtypes are checked before (see ``riskkit.data.validation``), so the schema checks
    values only: nullability, key uniqueness, allowed categories, bounds and row rules.
    Each check carries the rule's name as its error, which becomes the ``check`` of a
    violation.
    """
    # pandera serves validation only; importing it here keeps `import riskkit.data`
    # (and every layer above) about 1 s faster
    import pandera.pandas as pa

    columns = {}
    present = set(present_columns)
    for f in spec.fields:
        if f.name not in present:
            continue
        checks = []
        if f.choices is not None:
            checks.append(pa.Check.isin(list(f.choices), error="known_category",
                                        ignore_na=True))
        if f.ge is not None:
            checks.append(pa.Check.ge(f.ge, error="non_negative" if f.ge == 0 else f"at_least_{f.ge:g}",
                                      ignore_na=True))
        if f.le is not None:
            checks.append(pa.Check.le(f.le, error=f"at_most_{f.le:g}", ignore_na=True))
        if f.kind == "float":
            # +-inf would pass the bounds and poison every ratio downstream
            checks.append(pa.Check(lambda s: pd.Series(np.isfinite(s.to_numpy(dtype=float)), index=s.index),
                                   error="finite", ignore_na=True))
        if f.kind == "id":
            # " C1" and "C1" would be two customers: a join or a key check would silently miss
            checks.append(pa.Check(lambda s: s.str.strip() == s, element_wise=False,
                                   error="no_surrounding_whitespace", ignore_na=True))
        if f.kind in ("id", "str") and not f.nullable:
            checks.append(pa.Check(lambda s: s.str.len() > 0, element_wise=False,
                                   error="not_empty", ignore_na=True))
        columns[f.name] = pa.Column(None, nullable=f.nullable, checks=checks)
    rule_checks = [
        pa.Check(r.test, error=r.name)
        for r in spec.rules
        if all(c in present for c in r.columns)
    ]
    key = [k for k in spec.key if k in present]
    return pa.DataFrameSchema(
        columns,
        checks=rule_checks,
        unique=key if len(key) == len(spec.key) else None,
        name=spec.name,
        strict=False,
        coerce=False,
    )


# a tolerance for sums of ownership shares read from source systems
SHARE_TOLERANCE = 1e-9
