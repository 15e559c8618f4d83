"""Descriptive views of a Portfolio: coverage over time and observed default rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .portfolio import Portfolio

__all__ = ["record_coverage", "default_rates", "default_rates_total", "relation_summary", "first_defaults",
           "snapshot_counts", "customer_mix", "key_findings"]

#: the date that places a record of each table in time
_RECORD_DATE = {
    "invoices": "issue_date",
    "orders": "order_date",
    "financials": "published_date",
    "bureau": "report_date",
    "events": "date",
    "defaults": "default_date",
}


def record_coverage(portfolio: Portfolio, freq: str = "QE") -> pd.DataFrame:
    """Number of records per period in each dated table (rows: period end, columns: table)."""
    counts = {}
    for name, column in _RECORD_DATE.items():
        dates = portfolio.tables[name][column]
        counts[name] = dates.dt.to_period(freq[0]).value_counts().sort_index() if len(dates) else pd.Series(
            dtype="int64")
    table = pd.DataFrame(counts).fillna(0).astype("int64")
    table.index = table.index.to_timestamp(how="end").normalize() if len(table) else table.index
    table.index.name = "period_end"
    return table


def first_defaults(portfolio: Portfolio) -> pd.Series:
    """Each customer's first default date (customers never in default are absent)."""
    d = portfolio.defaults
    return d.groupby("customer_id")["default_date"].min()


def default_rates(portfolio: Portfolio, by: str | None = None, freq: str = "YE") -> pd.DataFrame:
    """Observed default rates per calendar year (optionally per segment).

    The cohort of year *t* is every customer onboarded on or before 1 January of *t*
    and not in default before it; a customer defaults in *t* when its first default date
    falls in *t*.  ``rate = defaults / cohort`` (the one-year cohort method, as in rating
    agencies' default studies).

    Parameters
    ----------
    portfolio : Portfolio
    by : str, optional
        A column of ``customers`` to segment by (e.g. ``"industry"``).
    freq : {"YE"}
        Only calendar years are supported.

    Returns
    -------
    DataFrame with ``year`` (and ``by``), ``customers``, ``defaults``, ``default_rate``.
    """
    if freq != "YE":
        raise ValueError("default_rates supports calendar years only (freq='YE')")
    customers = portfolio.customers
    if by is not None and by not in customers.columns:
        raise ValueError(f"customers has no column {by!r} to segment by")
    first = first_defaults(portfolio).reindex(customers["customer_id"]).to_numpy()
    dates = pd.concat([portfolio.tables[n][c] for n, c in _RECORD_DATE.items()])
    if dates.dropna().empty:
        raise ValueError("the portfolio has no dated records to define years from")
    years = range(dates.min().year, dates.max().year + 1)
    onboarded = customers["onboarded"].to_numpy()
    frames = []
    for year in years:  # a handful of years, vectorised over customers
        start, end = np.datetime64(f"{year}-01-01", "ns"), np.datetime64(f"{year + 1}-01-01", "ns")
        in_cohort = (onboarded <= start) & ~(first < start)
        defaulted = in_cohort & (first >= start) & (first < end)
        frame = pd.DataFrame({"year": year, "cohort": in_cohort, "defaulted": defaulted})
        if by is not None:
            frame[by] = customers[by].to_numpy()
        frames.append(frame[frame["cohort"]])
    data = pd.concat(frames, ignore_index=True)
    keys = ["year"] + ([by] if by else [])
    out = data.groupby(keys).agg(customers=("cohort", "size"), defaults=("defaulted", "sum")).reset_index()
    out["defaults"] = out["defaults"].astype("int64")
    out["default_rate"] = out["defaults"] / out["customers"]
    return out


def relation_summary(portfolio: Portfolio) -> pd.DataFrame:
    """Per relation type: links, distinct parties, parties outside the customer book, weights."""
    rel = portfolio.relations
    known = set(portfolio.customers["customer_id"])
    rows = []
    for kind, group in rel.groupby("type", sort=True):
        parties = pd.unique(pd.concat([group["src"], group["dst"]]))
        rows.append({
            "type": kind, "links": len(group), "parties": len(parties),
            "external_parties": int((~pd.Index(parties).isin(known)).sum()),
            "in_force_now": int(group["end"].isna().sum()),
            "weight_median": float(group["weight"].median()), "weight_total": float(group["weight"].sum()),
        })
    columns = ["type", "links", "parties", "external_parties", "in_force_now", "weight_median", "weight_total"]
    return pd.DataFrame(rows, columns=columns).set_index("type")


def snapshot_counts(portfolio: Portfolio, as_of) -> pd.DataFrame:
    """Rows per table in the full history and in the point-in-time snapshot on ``as_of``."""
    snapshot = portfolio.as_of(as_of)
    label = f"known on {pd.Timestamp(as_of).date()}"
    return pd.DataFrame({"full history": {k: len(v) for k, v in portfolio.tables.items()},
                         label: {k: len(v) for k, v in snapshot.tables.items()}})


def customer_mix(customers: pd.DataFrame, columns=("kind", "ownership_type", "industry", "region")) -> pd.DataFrame:
    """Customers and their share per category of each of ``columns`` (a MultiIndex of column, value)."""
    mix = pd.concat({c: customers[c].value_counts() for c in columns}).rename("customers").to_frame()
    mix["share"] = mix["customers"] / max(len(customers), 1)
    return mix


def default_rates_total(portfolio: Portfolio, by: str) -> pd.DataFrame:
    """Customers, defaults and default rate per value of ``by`` over all years, riskiest first.

    The yearly rows of :func:`default_rates` summed: a customer at risk in several years
    counts once per year (customer-years), as in the yearly table.
    """
    table = default_rates(portfolio, by=by).groupby(by)[["customers", "defaults"]].sum()
    table["default_rate"] = table["defaults"] / table["customers"]
    return table.sort_values("default_rate", ascending=False, kind="stable")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def key_findings(portfolio: Portfolio, as_of, violations: pd.DataFrame | None = None,
                 by: str = "industry") -> list[str]:
    """The sentences that open the data overview, computed from the data.

    Parameters
    ----------
    portfolio : Portfolio
    as_of : date-like
        The snapshot date of the point-in-time counts.
    violations : DataFrame, optional
        The rule violations from ``load_portfolio(..., errors="report")`` (one row per
        offending row, with ``table``, ``column``, ``check``); None or empty: every rule holds.
    by : str, default "industry"
        The customer segment whose default rates are compared.

    Returns
    -------
    list of str
        1. whether every data-model rule holds (else the failing checks and their rows);
        2. customers on the book on ``as_of`` and the span of the dated records;
        3. the lowest and highest one-year cohort default rate (:func:`default_rates`)
           and the commonest default reason;
        4. the riskiest and safest ``by`` segment over all years (:func:`default_rates_total`).
    """
    day = pd.Timestamp(as_of)
    n_records = sum(len(t) for t in portfolio.tables.values())
    if violations is None or len(violations) == 0:
        out = [f"All data-model rules hold for the {n_records:,} records of {len(portfolio.tables)} tables."]
    else:
        checks = violations.groupby(["table", "column", "check"], sort=True).size().sort_values(
            ascending=False, kind="stable")
        listed = "; ".join(f"{t}.{c} {k} ({n:,} rows)" for (t, c, k), n in checks.head(3).items())
        more = f" and {len(checks) - 3} more" if len(checks) > 3 else ""
        out = [f"{len(checks)} data-model check{'s fail' if len(checks) > 1 else ' fails'} on {len(violations):,} rows: "
               f"{listed}{more}; every later report stands on these tables."]
    customers = portfolio.customers
    on_book = int((customers["onboarded"] <= day).sum())
    dates = pd.concat([portfolio.tables[n][c] for n, c in _RECORD_DATE.items()]).dropna()
    span = f"; the dated records run from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}" if len(dates) else ""
    out.append(f"On {day:%Y-%m-%d} {on_book:,} of the {len(customers):,} customers were on the book{span}.")
    rates = default_rates(portfolio)
    if len(rates):
        low, high = rates.loc[rates["default_rate"].idxmin()], rates.loc[rates["default_rate"].idxmax()]
        text = (f"One-year cohort default rates range from {low['default_rate']:.1%} ({int(low['year'])}) to "
                f"{high['default_rate']:.1%} ({int(high['year'])}); {_plural(portfolio.defaults['customer_id'].nunique(), 'customer')} "
                f"defaulted in all")
        reasons = portfolio.defaults["reason"].value_counts()
        if len(reasons):
            text += f", most often by {reasons.index[0]} ({_plural(int(reasons.iloc[0]), 'default')})"
        out.append(text + ".")
        segments = default_rates_total(portfolio, by=by)
        if len(segments) > 1:
            out.append(f"By {by}, {segments.index[0]} has the highest default rate "
                       f"({segments['default_rate'].iloc[0]:.1%} of {int(segments['customers'].iloc[0]):,} "
                       f"customer-years) and {segments.index[-1]} the lowest "
                       f"({segments['default_rate'].iloc[-1]:.1%} of {int(segments['customers'].iloc[-1]):,}).")
    return out
