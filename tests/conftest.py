"""Shared fixtures: a tiny, hand-checkable, valid portfolio."""

from __future__ import annotations

import os

import pandas as pd
import pytest

import riskkit as rk

# No progress bars in tests, nor in the kernels that nbval and the notebook tests start
# (a kernel inherits this environment): outputs must stay deterministic.
os.environ["RISKKIT_PROGRESS"] = "0"


def _dates(*values):
    return pd.to_datetime(list(values)).astype("datetime64[ns]")


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Three customers and a few rows in every table; every rule of the data model holds."""
    customers = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3"],
        "name": ["Acme Steel Co., Ltd.", "Bright Retail Co., Ltd.", "Wang Wei"],
        "kind": ["enterprise", "enterprise", "individual"],
        "industry": ["manufacturing", "retail", "retail"],
        "region": ["east", "north", "east"],
        "ownership_type": ["central_soe", "private", "individual"],
        "state_ownership_pct": [85.0, 0.0, 0.0],
        "registered_capital": [5e7, 2e6, 0.0],
        "founded": _dates("1998-03-01", "2010-06-15", None),
        "onboarded": _dates("2019-01-01", "2020-02-01", "2021-01-10"),
        "payment_terms_days": [60, 30, 30],
        "credit_limit": [1e6, 2e5, 1e4],
        "id_number": ["91110000100000001X", "91310000200000002Y", "110101199001011234"],
        "phone": ["+86 10 5555 0101", "+86 21 5555 0202", "+86 138 0000 0303"],
        "email": ["finance@acme.example", "ap@bright.example", "wang.wei@example.com"],
    })
    invoices = pd.DataFrame({
        "invoice_id": ["I1", "I2", "I3", "I4"],
        "customer_id": ["C1", "C1", "C2", "C3"],
        "issue_date": _dates("2021-01-10", "2021-03-01", "2021-02-01", "2021-02-15"),
        "due_date": _dates("2021-03-11", "2021-04-30", "2021-03-03", "2021-03-17"),
        "amount": [1000.0, 2500.0, 400.0, 50.0],
        "paid_date": _dates("2021-03-20", None, "2021-03-01", None),
        "paid_amount": [1000.0, 0.0, 400.0, 0.0],
    })
    orders = pd.DataFrame({
        "order_id": ["O1", "O2", "O3"],
        "customer_id": ["C1", "C2", "C2"],
        "order_date": _dates("2021-01-02", "2021-01-20", "2021-04-01"),
        "amount": [1000.0, 400.0, 700.0],
        "status": ["fulfilled", "fulfilled", "open"],
        "closed_date": _dates("2021-01-10", "2021-02-01", None),
    })
    financials = pd.DataFrame({
        "customer_id": ["C1", "C2"],
        "period_end": _dates("2020-12-31", "2020-12-31"),
        "published_date": _dates("2021-04-30", "2021-05-15"),
        "revenue": [8e7, 5e6], "ebit": [6e6, -1e5], "net_income": [4e6, -2e5],
        "total_assets": [1e8, 4e6], "total_liabilities": [6e7, 3.5e6],
        "current_assets": [4e7, 2e6], "current_liabilities": [3e7, 2.5e6],
        "retained_earnings": [2e7, -3e5], "equity": [4e7, 5e5], "cash": [1e7, 1e5],
        "interest_expense": [1e6, 2e5],
    })
    bureau = pd.DataFrame({
        "customer_id": ["C1", "C2"],
        "report_date": _dates("2021-01-01", "2021-01-01"),
        "source": ["bureau_a", "bureau_a"],
        "score": [720.0, 560.0], "delinquencies": [0, 2], "inquiries": [1, 5],
    })
    events = pd.DataFrame({
        "event_id": ["E1", "E2"],
        "customer_id": ["C2", "C2"],
        "date": _dates("2021-02-10", "2021-03-05"),
        "category": ["litigation", "negative_news"],
        "severity": [3, 2],
        "source": ["court", "news"],
        "text": ["Contract dispute lawsuit filed by a supplier", "Delayed wages reported"],
    })
    relations = pd.DataFrame({
        "src": ["P1", "P1", "C1", "C2", "C1"],
        "dst": ["C1", "C2", "C2", "C1", "C2"],
        "type": ["shareholding", "shareholding", "guarantee", "guarantee", "supply"],
        "weight": [0.6, 0.3, 1e5, 5e4, 2e6],
        "start": _dates("2015-01-01", None, "2020-01-01", "2020-01-01", None),
        "end": _dates(None, None, None, "2022-01-01", None),
    })
    defaults = pd.DataFrame({
        "customer_id": ["C3"],
        "default_date": _dates("2021-06-15"),
        "reason": ["dpd90"],
    })
    return {"customers": customers, "invoices": invoices, "orders": orders, "financials": financials,
            "bureau": bureau, "events": events, "relations": relations, "defaults": defaults}


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return tiny_tables()


@pytest.fixture
def tiny_portfolio() -> "rk.data.Portfolio":
    return rk.data.Portfolio(**tiny_tables())


@pytest.fixture(scope="session")
def partitioned_book_path(tmp_path_factory):
    """A partitioned book of 2,400 customers in 3 partitions (seed 11), written once per test
    run for the modules that compare the Dask path with pandas; tests copy it before editing."""
    folder = tmp_path_factory.mktemp("partitioned") / "book"
    rk.datasets.write_partitioned_book(folder, 2400, 3, seed=11)
    return folder


@pytest.fixture(scope="session")
def partitioned_whole(partitioned_book_path):
    """:func:`partitioned_book_path` loaded whole (the pandas reference); never modify it."""
    return rk.data.load_portfolio(partitioned_book_path)
