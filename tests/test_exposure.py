"""exposure and expected_loss against hand computations (as_of = 2024-03-31)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskkit.data import Portfolio
from riskkit.limits import expected_loss, exposure
from riskkit.profile import build_profile

AS_OF = pd.Timestamp("2024-03-31")


def d(k: int) -> pd.Timestamp:
    return AS_OF + pd.Timedelta(days=k)


def ts(*values) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def make_portfolio() -> Portfolio:
    customers = pd.DataFrame({
        "customer_id": ["W", "X", "Y", "Z"], "name": ["w", "x", "y", "z"], "kind": "enterprise",
        "industry": "retail", "region": "east", "ownership_type": "private",
        "state_ownership_pct": 0.0, "registered_capital": 1.0,
        "founded": ts("2000-01-01", "2000-01-01", "2000-01-01", "2000-01-01"),
        "onboarded": ts("2020-01-01", "2020-01-01", "2020-01-01", d(1)),
        "payment_terms_days": 30, "credit_limit": [5000.0, 10000.0, 0.0, 100.0]})
    inv = [
        # id, customer, issue, amount, paid_date, paid_amount
        ("X1", "X", d(-10), 1000.0, None, 0.0),       # open
        ("X2", "X", d(-50), 2000.0, d(-5), 2000.0),   # paid before as_of
        ("X3", "X", d(-40), 1500.0, d(5), 1500.0),    # paid after as_of: open on as_of
        ("X4", "X", d(-30), 700.0, d(0), 700.0),      # paid on as_of
        ("X5", "X", d(2), 3000.0, None, 0.0),         # issued after as_of
        ("X6", "X", d(-20), 800.0, d(-3), 600.0),     # short payment: closed
        ("Y1", "Y", d(-100), 400.0, None, 0.0),
        ("Z1", "Z", d(5), 50.0, None, 0.0),
    ]
    invoices = pd.DataFrame({
        "invoice_id": [r[0] for r in inv], "customer_id": [r[1] for r in inv],
        "issue_date": ts(*[r[2] for r in inv]),
        "due_date": ts(*[r[2] + pd.Timedelta(days=30) for r in inv]),
        "amount": [r[3] for r in inv], "paid_date": ts(*[r[4] for r in inv]),
        "paid_amount": [r[5] for r in inv]})
    od = [
        # id, customer, placed, amount, status, closed
        ("O1", "X", d(-5), 500.0, "open", None),
        ("O2", "X", d(-20), 4000.0, "fulfilled", d(-2)),
        ("O3", "X", d(-8), 300.0, "fulfilled", d(3)),    # fulfilled after as_of: open
        ("O4", "X", d(-15), 900.0, "cancelled", d(-1)),  # cancelled by as_of: out
        ("O5", "X", d(-15), 200.0, "cancelled", d(1)),   # cancelled after as_of: open
        ("O6", "X", d(2), 1000.0, "open", None),         # placed after as_of
        ("O7", "X", d(0), 100.0, "open", None),          # placed on as_of
    ]
    orders = pd.DataFrame({
        "order_id": [r[0] for r in od], "customer_id": [r[1] for r in od],
        "order_date": ts(*[r[2] for r in od]), "amount": [r[3] for r in od],
        "status": [r[4] for r in od], "closed_date": ts(*[r[5] for r in od])})
    return Portfolio(customers=customers, invoices=invoices, orders=orders)


def test_exposure_hand_computed():
    e = exposure(make_portfolio(), AS_OF)
    assert e.index.tolist() == ["W", "X", "Y"]          # Z is onboarded after as_of
    assert e.index.name == "customer_id"
    assert list(e.columns) == ["open_ar", "open_orders", "ead", "credit_limit", "utilisation"]
    x = e.loc["X"]
    assert x["open_ar"] == 1000 + 1500                  # X1 open, X3 paid only after as_of
    assert x["open_orders"] == 500 + 300 + 200 + 100    # O1, O3, O5, O7
    assert x["ead"] == 2500 + 1100
    assert x["credit_limit"] == 10000
    assert x["utilisation"] == pytest.approx(3600 / 10000)
    y = e.loc["Y"]
    assert y["open_ar"] == 400 and y["ead"] == 400
    assert np.isnan(y["utilisation"])                    # limit 0 -> NaN, not inf
    w = e.loc["W"]
    assert (w["open_ar"], w["open_orders"], w["ead"], w["utilisation"]) == (0, 0, 0, 0)


def test_exposure_open_ar_matches_profile():
    p = make_portfolio()
    pd.testing.assert_series_equal(exposure(p, AS_OF)["open_ar"],
                                   build_profile(p, AS_OF)["ar_open"], check_names=False)


def test_exposure_bad_input_and_empty():
    p = make_portfolio()
    with pytest.raises(TypeError, match="as_of must be a date"):
        exposure(p, 2024)
    with pytest.raises(TypeError, match="Portfolio"):
        exposure(p.invoices, AS_OF)
    empty = exposure(p, "1999-12-31")
    assert len(empty) == 0 and list(empty.columns) == ["open_ar", "open_orders", "ead",
                                                       "credit_limit", "utilisation"]


# ---------------------------------------------------------------------------- expected loss


def test_expected_loss_scalar_and_arrays():
    assert expected_loss(0.02, 0.5, 1_000_000.0) == pytest.approx(0.02 * 0.5 * 1_000_000)
    assert isinstance(expected_loss(0.1, 0.4, 50.0), float)
    el = expected_loss([0.01, 0.2, 0.0], 0.45, np.array([100.0, 200.0, 300.0]))
    np.testing.assert_allclose(el, [0.45, 18.0, 0.0])   # 0.01*0.45*100, 0.2*0.45*200, 0


def test_expected_loss_series_keeps_index():
    idx = pd.Index(["a", "b"], name="customer_id")
    el = expected_loss(pd.Series([0.1, 1.0], index=idx), 0.5, pd.Series([10.0, 4.0], index=idx))
    pd.testing.assert_series_equal(el, pd.Series([0.5, 2.0], index=idx, name="expected_loss"))


def test_expected_loss_pairs_reordered_series_by_label():
    pd_ = pd.Series([0.1, 0.2], index=["a", "b"])
    ead = pd.Series([1.0, 2.0], index=["b", "a"])          # ead of a = 2, of b = 1
    el = expected_loss(pd_, 0.4, ead)
    by_hand = expected_loss(pd_, 0.4, ead.reindex(pd_.index))
    pd.testing.assert_series_equal(el, by_hand)
    pd.testing.assert_series_equal(el, pd.Series([0.1 * 0.4 * 2.0, 0.2 * 0.4 * 1.0], index=pd_.index,
                                                 name="expected_loss"))


def test_expected_loss_refuses_other_labels():
    pd_ = pd.Series([0.1, 0.2], index=["a", "b"])
    with pytest.raises(ValueError, match=r"ead and pd have different indexes: .*only in pd \['b'\]"):
        expected_loss(pd_, 0.4, pd.Series([1.0, 2.0], index=["a", "c"]))


@pytest.mark.parametrize("args, message", [
    ((1.5, 0.4, 10.0), r"pd must be in \[0, 1\]"),
    ((-0.1, 0.4, 10.0), r"pd must be in \[0, 1\]"),
    ((0.1, 1.2, 10.0), r"lgd must be in \[0, 1\]"),
    ((0.1, 0.4, -1.0), r"ead must be finite and >= 0"),
    ((0.1, 0.4, np.inf), r"ead must be finite and >= 0"),
    ((np.nan, 0.4, 10.0), r"pd must be in \[0, 1\]"),
    (([0.1, 0.2], 0.4, [1.0, 2.0, 3.0]), "do not broadcast"),
])
def test_expected_loss_bad_values(args, message):
    with pytest.raises(ValueError, match=message):
        expected_loss(*args)


def test_expected_loss_error_names_the_rows():
    pd_ = pd.Series([0.1, 2.0, 3.0], index=pd.Index(["a", "b", "c"], name="customer_id"))
    with pytest.raises(ValueError, match=r"2 bad value\(s\) at \['b', 'c'\]"):
        expected_loss(pd_, 0.4, 1.0)
    with pytest.raises(TypeError, match="lgd must be numeric"):
        expected_loss(0.1, "high", 1.0)
