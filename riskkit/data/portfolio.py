"""The Portfolio: nine validated tables describing a book of customers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._core.arrays import customer_codes, last_per_group
from .._core.dates import check_as_of
from .._core.display import html_card
from .privacy import mask_pii
from .schemas import TABLE_ORDER, TABLES, empty_table
from .validation import DataValidationError, _normalise, validate_tables

__all__ = ["Portfolio", "validate_portfolio", "check_portfolio", "data_period"]


def validate_portfolio(tables: dict[str, pd.DataFrame], from_text: bool = False
                       ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Normalise dtypes (losslessly) and check every data-model rule.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Table name -> frame; absent optional tables may be missing or None.
    from_text : bool
        Whether the frames were read as text (CSV) and need parsing.

    Returns
    -------
    tables : dict
        The normalised tables (all nine; absent ones empty with their columns).
    violations : DataFrame
        ``table, column, check, key, value``, one row per offending row and check;
        empty when the data is valid.
    """
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; the Portfolio tables are {list(TABLE_ORDER)}")
    if tables.get("customers") is None:
        raise ValueError("a Portfolio needs a 'customers' table")
    return _validate_tables_read(tables, from_text=from_text)


def _validate_tables_read(tables: dict, from_text=False, unreadable=()) -> tuple[dict, pd.DataFrame]:
    """:func:`validate_portfolio` for tables read from files: ``from_text`` may be a
    table -> bool mapping (CSV or Parquet file), and the ``unreadable`` tables (whose file
    could not be read, a violation already) are empty and left out of the cross-table checks.

    Every table is checked whatever is wrong with another: a missing column or an
    unparseable cell is reported, and the value rules still run on everything else.
    """
    normalised, found, unconverted = {}, [], {}
    for name in TABLE_ORDER:
        df = tables.get(name)
        if df is None:
            normalised[name] = empty_table(name)
            continue
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"table {name!r} must be a pandas DataFrame, got {type(df).__name__}")
        text = from_text.get(name, False) if isinstance(from_text, dict) else from_text
        table, problems, unconverted[name] = _normalise(name, df, from_text=text)
        normalised[name] = table
        if len(problems):
            found.append(problems)
    checked = {name: df for name, df in normalised.items() if name not in unreadable}
    found.append(validate_tables(checked, unconverted=unconverted))
    violations = pd.concat(found, ignore_index=True)
    return normalised, violations


class Portfolio:
    """A book of customers: nine tables validated against the data model.

    Parameters
    ----------
    customers, invoices, orders, financials, bureau, events, relations, defaults, credit_decisions : DataFrame
        The tables of DESIGN.md section 2 (see ``riskkit.data.schemas``); only
        ``customers`` is required, absent tables become empty frames with every column.
        ``credit_decisions`` (limit and terms decisions) makes ``credit_limit`` and
        ``payment_terms_days`` point in time, see :meth:`as_of`.
    truth : DataFrame, optional
        Ground truth of a synthetic portfolio (``customer_id``, ``true_pd``, ...); it is
        not model input and is never validated against the data model.
    validate : bool, default True
        Check every rule and raise :class:`DataValidationError` on a violation.  Internal
        code passes False for data that was validated already.

    Examples
    --------
    >>> import pandas as pd, riskkit as rk
    >>> customers = pd.DataFrame({
    ...     "customer_id": ["C1"], "name": ["Acme"], "kind": ["enterprise"],
    ...     "industry": ["retail"], "region": ["east"], "ownership_type": ["private"],
    ...     "state_ownership_pct": [0.0], "registered_capital": [1e6],
    ...     "founded": pd.to_datetime(["2001-05-01"]), "onboarded": pd.to_datetime(["2019-01-01"]),
    ...     "payment_terms_days": [60], "credit_limit": [5e5]})
    >>> rk.data.Portfolio(customers)
    Portfolio(customers=1, invoices=0, orders=0, financials=0, bureau=0, events=0, relations=0, defaults=0, credit_decisions=0)
    """

    def __init__(self, customers: pd.DataFrame, invoices: pd.DataFrame | None = None,
                 orders: pd.DataFrame | None = None, financials: pd.DataFrame | None = None,
                 bureau: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
                 relations: pd.DataFrame | None = None, defaults: pd.DataFrame | None = None,
                 credit_decisions: pd.DataFrame | None = None,
                 *, truth: pd.DataFrame | None = None, validate: bool = True):
        given = {"customers": customers, "invoices": invoices, "orders": orders,
                 "financials": financials, "bureau": bureau, "events": events,
                 "relations": relations, "defaults": defaults, "credit_decisions": credit_decisions}
        if validate:
            tables, violations = validate_portfolio(given)
            if len(violations):
                raise DataValidationError(violations)
        else:
            tables = {name: (df if df is not None else empty_table(name)) for name, df in given.items()}
        self._tables = tables
        self.truth = truth
        self._as_of: pd.Timestamp | None = None  # set on a snapshot made by as_of()

    # tables as attributes -------------------------------------------------------
    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The nine tables by name (the frames themselves, not copies)."""
        return dict(self._tables)

    customers = property(lambda self: self._tables["customers"], doc="one row per customer")
    invoices = property(lambda self: self._tables["invoices"], doc="the AR ledger")
    orders = property(lambda self: self._tables["orders"], doc="sales orders")
    financials = property(lambda self: self._tables["financials"], doc="financial statements")
    bureau = property(lambda self: self._tables["bureau"], doc="credit-bureau reports")
    events = property(lambda self: self._tables["events"], doc="external events")
    relations = property(lambda self: self._tables["relations"], doc="links between parties")
    defaults = property(lambda self: self._tables["defaults"], doc="observed defaults")
    credit_decisions = property(lambda self: self._tables["credit_decisions"],
                                doc="credit limit and payment terms decisions")

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(df)}" for name, df in self._tables.items())
        return f"Portfolio({counts})"

    def _repr_html_(self) -> str:
        """Rows and date range of every table and the first customers, personal data masked."""
        summary = self.summary()
        first, last = summary["first"].min(), summary["last"].max()
        headline = f"{len(self.customers):,} customers"
        if self._as_of is not None:
            headline += f", as of {self._as_of.date()}"
        if pd.notna(first):
            headline += f", dates {first.date()} to {last.date()}"
        fields = {"synthetic truth": "attached"} if self.truth is not None else None
        table = summary.assign(first=summary["first"].dt.date, last=summary["last"].dt.date)
        return html_card("Portfolio", headline=headline, fields=fields,
                         frames=[("tables", table), ("customers", self.customers)], mask=mask_pii)

    def summary(self) -> pd.DataFrame:
        """Rows, columns and date range of every table."""
        rows = []
        for name, df in self._tables.items():
            spec = TABLES[name]
            date_cols = [f.name for f in spec.fields if f.kind == "date" and f.name in df.columns]
            first_date = spec.fields[[f.kind for f in spec.fields].index("date")].name if date_cols else None
            dates = df[first_date] if first_date else pd.Series([], dtype="datetime64[ns]")
            rows.append({"table": name, "rows": len(df), "columns": df.shape[1],
                         "date_column": first_date or "", "first": dates.min(), "last": dates.max()})
        return pd.DataFrame(rows).set_index("table")

    # point in time ----------------------------------------------------------------
    def as_of(self, date) -> "Portfolio":
        """What was known on ``date``: the point-in-time snapshot of the book.

        Customers onboarded after ``date`` are left out, with everything else dated after
        it: invoices issued, orders placed, statements *published*, bureau reports,
        events, defaults and relations starting after ``date``.  Facts that happened later
        are undone: an invoice paid after ``date`` is open (``paid_date`` NaT,
        ``paid_amount`` 0), an order closed after it is open, a relation ending after it is
        still in force.  ``truth`` is dropped (it describes the future).

        Credit limits and payment terms are those in force on ``date``: each customer's
        ``credit_limit`` and ``payment_terms_days`` are taken from its latest
        ``credit_decisions`` row effective on or before ``date`` (a decision effective on
        ``date`` applies on ``date``), and ``credit_decisions`` keeps only rows effective on
        or before ``date``.  A customer without such a decision keeps the values of the
        ``customers`` table, which are today's: a book whose decision history starts at
        onboarding has no such customer, otherwise a back-test sees today's limit for it.

        Every feature and model input of the kit is computed from such a snapshot; this is
        the single place where the point-in-time rule of DESIGN.md section 2 is applied.
        """
        as_of = check_as_of(date)
        t = self._tables
        onboarded = t["customers"]["onboarded"] <= as_of
        customers = t["customers"][onboarded]
        # records of customers not yet onboarded are dropped with them; there are usually
        # few such customers, so test membership against them, after the date filter
        not_yet = t["customers"].loc[~onboarded, "customer_id"]

        def dated(name: str, column: str) -> pd.DataFrame:
            df = t[name]
            df = df[df[column] <= as_of]
            return df[~df["customer_id"].isin(not_yet)] if len(not_yet) else df

        inv = dated("invoices", "issue_date").copy()
        later = inv["paid_date"] > as_of
        inv.loc[later, "paid_date"] = pd.NaT
        inv.loc[later, "paid_amount"] = 0.0

        orders = dated("orders", "order_date").copy()
        later = orders["closed_date"] > as_of
        orders.loc[later, "closed_date"] = pd.NaT
        orders.loc[later, "status"] = "open"

        rel = t["relations"]
        rel = rel[rel["start"].isna() | (rel["start"] <= as_of)].copy()
        rel.loc[rel["end"] > as_of, "end"] = pd.NaT

        decisions = dated("credit_decisions", "effective_date")
        tables = {
            "customers": _limits_in_force(customers, decisions), "invoices": inv, "orders": orders,
            "financials": dated("financials", "published_date"),
            "bureau": dated("bureau", "report_date"), "events": dated("events", "date"),
            "relations": rel, "defaults": dated("defaults", "default_date"),
            "credit_decisions": decisions,
        }
        tables = {name: df.reset_index(drop=True) for name, df in tables.items()}
        snapshot = Portfolio(**tables, truth=None, validate=False)
        snapshot._as_of = as_of
        return snapshot

    # persistence --------------------------------------------------------------------
    def save(self, path, format: str = "parquet") -> None:
        """Write one file per table (and ``truth``) into the folder ``path``.

        See :func:`riskkit.data.load_portfolio`; the round trip is lossless, dtypes
        included.
        """
        from .io import save_portfolio

        save_portfolio(self, path, format=format)


def _limits_in_force(customers: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """``customers`` with ``credit_limit`` and ``payment_terms_days`` of each customer's
    latest decision in ``decisions`` (already cut to the snapshot date); customers
    without a decision keep their own values.  One sort of the decisions (customer code,
    then date), no loop over customers."""
    if decisions.empty:
        return customers
    ids = pd.Index(customers["customer_id"])
    code = customer_codes(ids, decisions["customer_id"], "credit_decisions")
    when = decisions["effective_date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    latest = last_per_group(code, when)
    out = customers.copy()
    rows = code[latest]
    for column in ("credit_limit", "payment_terms_days"):
        values = out[column].to_numpy(copy=True)
        values[rows] = decisions[column].to_numpy()[latest]
        out[column] = values
    return out


#: the dated columns whose latest value ends the observation period (records of what happened)
_RECORD_DATES = {"invoices": ("issue_date", "paid_date"), "orders": ("order_date", "closed_date"),
                 "financials": ("published_date",), "bureau": ("report_date",), "events": ("date",),
                 "defaults": ("default_date",)}


def data_period(portfolio) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period a portfolio's data describe: (first onboarding, latest record).

    ``first`` is the earliest ``customers.onboarded``; ``last`` the latest date of any record
    (invoice issued or paid, order placed or closed, statement published, bureau report,
    event, default): the end of the observation period.  Either is NaT when there is no
    such date.  Works on a Portfolio or anything with those tables as attributes.
    """
    onboarded = portfolio.customers["onboarded"] if "onboarded" in portfolio.customers.columns else None
    first = onboarded.min() if onboarded is not None and len(onboarded) else pd.NaT
    ends = [getattr(portfolio, t)[c].max() for t, cs in _RECORD_DATES.items() for c in cs
            if hasattr(portfolio, t) and c in getattr(portfolio, t).columns]
    ends = [e for e in ends if not pd.isna(e)]
    return (pd.NaT if pd.isna(first) else pd.Timestamp(first)), (max(ends) if ends else pd.NaT)


def check_portfolio(portfolio) -> None:
    """Refuse anything that does not look like a :class:`riskkit.data.Portfolio`."""
    missing = [t for t in ("customers", "invoices", "orders", "financials", "bureau",
                           "events", "defaults") if not hasattr(portfolio, t)]
    if missing:
        raise TypeError(f"portfolio must be a riskkit.data.Portfolio (tables as attributes); "
                        f"{type(portfolio).__name__} has no {missing}")
    ids = portfolio.customers["customer_id"]
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].unique().tolist()
        raise ValueError(f"customers.customer_id is not unique: {dup[:5]} "
                         f"({len(dup)} duplicated id(s))")
