"""Property-based tests of the loader: random valid portfolios round-trip through CSV and
Parquet without losing a bit, and a random single-cell corruption of a CSV file is always
reported at its table, column and row (issue #11)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskkit as rk
from riskkit.data import load_portfolio
from riskkit.data.schemas import CUSTOMER_KINDS, EVENT_CATEGORIES, OWNERSHIP_TYPES

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# the days a datetime64[ns] column holds
FIRST, LAST = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-11")
ids = st.text(st.characters(codec="utf-8", categories=("L", "N", "Pd", "Pc")), min_size=1, max_size=8)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
days = st.integers(0, (LAST - FIRST).days).map(lambda d: FIRST + pd.Timedelta(days=d))
money = st.floats(min_value=0, max_value=1e300, allow_nan=False, allow_infinity=False)
signed = st.floats(allow_nan=False, allow_infinity=False)
counts = st.integers(0, 2**63 - 1)


def _ns(values) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def _frame(table: str, columns: dict) -> pd.DataFrame:
    """A table in its schema dtypes, built directly: the portfolio is built unvalidated
    (validation costs ~0.4 s CPU), and loading it validates it."""
    spec = rk.data.TABLES[table]
    return pd.DataFrame({c: pd.Series(v, dtype=spec.field(c).dtype) for c, v in columns.items()})


@st.composite
def portfolios(draw) -> rk.data.Portfolio:
    n = draw(st.integers(1, 4))
    cids = draw(st.lists(ids, min_size=n, max_size=n, unique=True))
    founded = draw(st.lists(st.one_of(st.none(), days), min_size=n, max_size=n))
    onboarded = [max(f, d) if f is not None else d
                 for f, d in zip(founded, draw(st.lists(days, min_size=n, max_size=n)))]
    customers = _frame("customers", {
        "customer_id": cids,
        "name": draw(st.lists(text, min_size=n, max_size=n)),
        "kind": draw(st.lists(st.sampled_from(CUSTOMER_KINDS), min_size=n, max_size=n)),
        "industry": draw(st.lists(text, min_size=n, max_size=n)),
        "region": draw(st.lists(text, min_size=n, max_size=n)),
        "ownership_type": draw(st.lists(st.sampled_from(OWNERSHIP_TYPES), min_size=n, max_size=n)),
        "state_ownership_pct": draw(st.lists(st.floats(0, 100), min_size=n, max_size=n)),
        "registered_capital": draw(st.lists(money, min_size=n, max_size=n)),
        "founded": _ns(founded),
        "onboarded": _ns(onboarded),
        "payment_terms_days": pd.Series(draw(st.lists(counts, min_size=n, max_size=n)), dtype="int64"),
        "credit_limit": draw(st.lists(money, min_size=n, max_size=n)),
        "email": draw(st.lists(st.one_of(st.none(), text), min_size=n, max_size=n)),
    })
    m = draw(st.integers(0, 4))
    owners = draw(st.lists(st.sampled_from(cids), min_size=m, max_size=m))
    issued = draw(st.lists(days, min_size=m, max_size=m))
    amounts = draw(st.lists(money, min_size=m, max_size=m))
    paid = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    invoices = _frame("invoices", {
        "invoice_id": [f"I{i}" for i in range(m)],
        "customer_id": pd.Series(owners, dtype="str"),
        "issue_date": _ns(issued),
        "due_date": _ns(issued),
        "amount": pd.Series(amounts, dtype="float64"),
        "paid_date": _ns([d if p else None for d, p in zip(issued, paid)]),
        "paid_amount": pd.Series([a if p else 0.0 for a, p in zip(amounts, paid)], dtype="float64"),
    })
    k = draw(st.integers(0, 3))
    events = _frame("events", {
        "event_id": [f"E{i}" for i in range(k)],
        "customer_id": pd.Series(draw(st.lists(st.sampled_from(cids), min_size=k, max_size=k)), dtype="str"),
        "date": _ns(draw(st.lists(days, min_size=k, max_size=k))),
        "category": pd.Series(draw(st.lists(st.sampled_from(EVENT_CATEGORIES), min_size=k, max_size=k)), dtype="str"),
        "severity": pd.Series(draw(st.lists(st.integers(1, 5), min_size=k, max_size=k)), dtype="int64"),
        "source": pd.Series(draw(st.lists(text, min_size=k, max_size=k)), dtype="str"),
        "text": pd.Series(draw(st.lists(st.one_of(st.none(), text), min_size=k, max_size=k)), dtype="str"),
    })
    financials = _frame("financials", {
        "customer_id": cids[:1], "period_end": _ns([onboarded[0]]), "published_date": _ns([onboarded[0]]),
        **{c: [draw(money)] for c in ("revenue", "total_assets", "total_liabilities", "current_assets",
                                      "current_liabilities", "cash", "interest_expense")},
        **{c: [draw(signed)] for c in ("ebit", "net_income", "retained_earnings", "equity")},
    })
    tables = {"customers": customers, "invoices": invoices, "events": events, "financials": financials}
    return rk.data.Portfolio(**tables, validate=False)


@given(portfolio=portfolios(), fmt=st.sampled_from(["csv", "parquet"]))
@SETTINGS
def test_random_valid_portfolios_round_trip_losslessly(portfolio, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        portfolio.save(tmp, format=fmt)
        loaded = load_portfolio(tmp)  # raises if the portfolio drawn were not valid
    for name in rk.data.TABLE_ORDER:
        pd.testing.assert_frame_equal(loaded.tables[name], portfolio.tables[name], check_exact=True,
                                      obj=f"{fmt} {name}")


#: corruptions that break a cell of each kind of column, whatever the valid value was
BAD_TEXT = {
    "date": ["2021-02-30", "9999-12-31", "0001-01-01", "2021-01-01T00:00:00+01:00", "2021-01-01T00:00:00Z",
             "31/12/2021", "yesterday"],
    "float": ["abc", "1,5", "9007199254740993", "-9007199254740993", "inf", "NaN"],
    "int": ["1.5", "99999999999999999999", "9223372036854775808", "1e20", "x", ""],
    "id": ["<pad>", ""],
}
#: table -> columns whose any corruption above must be reported (non-nullable or parsed)
CORRUPTIBLE = {
    "customers": ["customer_id", "kind", "ownership_type", "state_ownership_pct", "registered_capital", "founded",
                  "onboarded", "payment_terms_days", "credit_limit"],
    "financials": ["period_end", "published_date", "revenue", "ebit", "equity", "cash"],
}


def _corruption(kind, value):
    if kind in BAD_TEXT:
        return st.sampled_from(BAD_TEXT[kind]).map(lambda t: f" {value}" if t == "<pad>" else t)
    return st.sampled_from(["", "not one of the categories"])  # a category column


@given(portfolio=portfolios(), data=st.data())
@settings(SETTINGS, max_examples=15)
def test_a_random_single_cell_corruption_is_always_reported(portfolio, data):
    table = data.draw(st.sampled_from(sorted(CORRUPTIBLE)))
    column = data.draw(st.sampled_from(CORRUPTIBLE[table]))
    frame = portfolio.tables[table]
    row = data.draw(st.integers(0, len(frame) - 1))
    spec = rk.data.TABLES[table]
    kind = spec.field(column).kind
    kind = "category" if spec.field(column).choices else kind
    bad = data.draw(_corruption(kind, frame[column].iloc[row]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        portfolio.save(folder, format="csv")
        text = pd.read_csv(folder / f"{table}.csv", dtype="str", keep_default_na=False)
        text.loc[row, column] = bad
        text.to_csv(folder / f"{table}.csv", index=False)
        _, violations = load_portfolio(folder, errors="report")  # errors="raise" raises on these
    hit = violations[(violations["table"] == table) & (violations["column"] == column)]
    assert len(hit), (table, column, row, bad, violations.to_string())
    if column not in spec.key:  # the message names the row by its key
        keys = [str(frame[k].iloc[row].date()) if k.endswith(("_end", "_date")) else str(frame[k].iloc[row])
                for k in spec.key]
        assert hit["key"].str.contains("|".join(keys), regex=False).any(), hit.to_string()
