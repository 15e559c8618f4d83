"""Bad and edge inputs of build_profile: clear errors and documented behaviour."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from riskkit import AsOfBeforeDataError
from riskkit.profile import build_profile, default_flags
from riskkit.profile.payment import payment_features
from test_profile_features import AS_OF, make_invoices, make_portfolio


@pytest.fixture(scope="module")
def portfolio():
    return make_portfolio()


@pytest.mark.parametrize("as_of", [20240630, 1.5, None, True, ["2024-06-30"]])
def test_as_of_not_a_date_is_a_type_error(portfolio, as_of):
    with pytest.raises(TypeError, match="as_of must be a date"):
        build_profile(portfolio, as_of)


@pytest.mark.parametrize("as_of, message", [
    ("not a date", "not a parseable date"),
    ("2024-06-30 12:00", "without a time of day"),
    (pd.Timestamp("2024-06-30", tz="UTC"), "timezone-naive"),
    (pd.NaT, "missing value"),
])
def test_as_of_bad_value_is_a_value_error(portfolio, as_of, message):
    with pytest.raises(ValueError, match=message):
        build_profile(portfolio, as_of)


@pytest.mark.parametrize("as_of", ["2024-06-30", dt.date(2024, 6, 30), dt.datetime(2024, 6, 30),
                                   np.datetime64("2024-06-30"), pd.Timestamp("2024-06-30")])
def test_as_of_accepts_every_date_type(portfolio, as_of):
    pd.testing.assert_frame_equal(build_profile(portfolio, as_of), build_profile(portfolio, AS_OF))


def test_as_of_before_all_data_is_refused(portfolio):
    # nobody is onboarded before 2019-06-30: a profile of nobody is refused, not returned empty
    first = portfolio.customers["onboarded"].min()
    with pytest.raises(AsOfBeforeDataError, match=rf"as_of=2000-01-01 is before the data begin: the first "
                                                  rf"customer was onboarded on {first.date()}"):
        build_profile(portfolio, "2000-01-01")
    assert len(build_profile(portfolio, first)) >= 1  # the first onboarding day itself is in the data


def test_not_a_portfolio(portfolio):
    with pytest.raises(TypeError, match="riskkit.data.Portfolio"):
        build_profile(portfolio.customers, AS_OF)
    with pytest.raises(TypeError, match="riskkit.data.Portfolio"):
        default_flags({"customers": portfolio.customers}, AS_OF)


def test_customer_ids_subset(portfolio):
    full = build_profile(portfolio, AS_OF)
    pd.testing.assert_frame_equal(build_profile(portfolio, AS_OF, customer_ids=["E", "A"]),
                                  full.loc[["A", "E"]])
    pd.testing.assert_frame_equal(build_profile(portfolio, AS_OF, customer_ids="B"), full.loc[["B"]])


def test_unknown_customer_is_a_key_error(portfolio):
    with pytest.raises(KeyError, match=r"unknown customer_id\(s\) \['NOPE'\]"):
        build_profile(portfolio, AS_OF, customer_ids=["A", "NOPE"])


def test_customer_not_yet_onboarded(portfolio):
    with pytest.raises(ValueError, match=r"\['C'\].*not onboarded on or before as_of=2024-06-30"):
        build_profile(portfolio, AS_OF, customer_ids=["C"])


def test_table_with_unknown_customer_names_the_table_and_ids():
    invoices = make_invoices()
    invoices.loc[0, "customer_id"] = "GHOST"
    ids = pd.Index(["A", "B", "C", "E"], name="customer_id")
    with pytest.raises(ValueError, match=r"invoices.customer_id has 1 id\(s\) not in customers "
                                         r"\(1 row\(s\)\): \['GHOST'\]"):
        payment_features(invoices, ids, 19904)


def test_text_dates_are_refused():
    invoices = make_invoices()
    invoices["due_date"] = invoices["due_date"].dt.strftime("%Y-%m-%d")
    ids = pd.Index(["A", "B", "C", "E"], name="customer_id")
    with pytest.raises(TypeError, match="invoices.due_date must be a datetime64 column"):
        payment_features(invoices, ids, 19904)


def test_duplicate_customer_ids_are_refused():
    from types import SimpleNamespace

    p = make_portfolio()
    customers = pd.concat([p.customers, p.customers.iloc[[0]]], ignore_index=True)
    raw = SimpleNamespace(**{**p.tables, "customers": customers})
    with pytest.raises(ValueError, match=r"customers.customer_id is not unique: \['A'\]"):
        build_profile(raw, AS_OF)
