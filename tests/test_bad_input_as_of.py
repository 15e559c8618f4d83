"""An as_of outside the period the data cover.

Decision (see :func:`riskkit._core.dates.check_as_of_in_period`): an as_of before the first
customer's onboarding is refused (AsOfBeforeDataError: the profile would be empty, the
graph would hold parties that were no customers yet); an as_of more than 31 days after the
latest record of any table is computed but warned about (AsOfAfterDataWarning, a
RiskkitWarning): a run on a stale extract is still wanted, but its days past due grow
without limit (an open invoice due 2024 is "27,000 days past due" in 2100).

The tiny book below has hand-known dates: customers onboarded 2020-03-01 and 2021-05-10;
the latest record is the payment of 2024-05-20.
"""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd
import pytest

import riskkit as rk
from riskkit import AsOfAfterDataWarning, AsOfBeforeDataError, RiskkitError, RiskkitWarning
from riskkit._core.dates import AS_OF_TOLERANCE_DAYS, check_as_of_in_period
from riskkit.data import Portfolio, data_period

FIRST = pd.Timestamp("2020-03-01")
LAST = pd.Timestamp("2024-05-20")


def _ts(*values) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


@pytest.fixture(scope="module")
def book() -> Portfolio:
    customers = pd.DataFrame({
        "customer_id": ["A", "B"], "name": ["Alpha", "Beta"], "kind": ["enterprise", "enterprise"],
        "industry": ["retail", "retail"], "region": ["east", "west"], "ownership_type": ["private", "private"],
        "state_ownership_pct": [0.0, 0.0], "registered_capital": [1e6, 2e6],
        "founded": _ts("2010-01-01", "2015-01-01"), "onboarded": _ts("2020-03-01", "2021-05-10"),
        "payment_terms_days": [30, 30], "credit_limit": [1e5, 1e5],
    })
    invoices = pd.DataFrame({
        "invoice_id": ["I1", "I2", "I3"], "customer_id": ["A", "A", "B"],
        "issue_date": _ts("2023-01-10", "2024-04-01", "2024-03-15"),
        "due_date": _ts("2023-02-09", "2024-05-01", "2024-04-14"),
        "amount": [100.0, 200.0, 300.0],
        "paid_date": _ts("2023-02-15", None, "2024-05-20"),
        "paid_amount": [100.0, 0.0, 300.0],
    })
    relations = pd.DataFrame({"src": ["A"], "dst": ["B"], "type": ["guarantee"], "weight": [1000.0],
                              "start": _ts("2021-06-01"), "end": _ts(None)})
    return Portfolio(customers=customers, invoices=invoices, relations=relations)


def test_data_period_is_first_onboarding_and_latest_record(book):
    assert data_period(book) == (FIRST, LAST)


@pytest.mark.parametrize("build", [rk.build_profile, rk.build_graph], ids=["build_profile", "build_graph"])
def test_as_of_before_the_first_onboarding_is_refused(book, build):
    with pytest.raises(AsOfBeforeDataError) as info:
        build(book, "2020-02-29")
    assert isinstance(info.value, RiskkitError) and isinstance(info.value, ValueError)
    assert str(info.value) == (f"{build.__name__}: as_of=2020-02-29 is before the data begin: the first customer "
                               "was onboarded on 2020-03-01, so nobody was a customer yet")


def test_the_first_onboarding_day_is_inside_the_data(book):
    profile = rk.build_profile(book, FIRST)
    assert profile.index.tolist() == ["A"]
    graph = rk.build_graph(book, FIRST)
    assert graph.number_of_edges() == 0  # the guarantee starts 2021-06-01


def _after(build, book, as_of):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = build(book, as_of)
    return result, [w for w in caught if issubclass(w.category, AsOfAfterDataWarning)]


@pytest.mark.parametrize("build", [rk.build_profile, rk.build_graph], ids=["build_profile", "build_graph"])
def test_as_of_long_after_the_latest_record_warns_and_names_the_gap(book, build):
    result, caught = _after(build, book, "2100-01-01")
    assert len(caught) == 1
    gap = (dt.date(2100, 1, 1) - dt.date(2024, 5, 20)).days  # the standard library's calendar
    assert gap == 27619
    message = str(caught[0].message)
    assert message.startswith(f"{build.__name__}: as_of=2100-01-01 is 27,619 days after the latest record of "
                              "the data (2024-05-20)")
    assert issubclass(caught[0].category, RiskkitWarning) and issubclass(caught[0].category, UserWarning)
    assert result is not None  # computed all the same


def test_the_warning_exists_because_dpd_explode(book):
    profile, caught = _after(rk.build_profile, book, "2100-01-01")
    # open invoice I2 due 2024-05-01: 27,638 days past due on 2100-01-01 (what the warning is about)
    assert profile.loc["A", "current_dpd"] == (dt.date(2100, 1, 1) - dt.date(2024, 5, 1)).days
    assert caught


def test_within_the_tolerance_there_is_no_warning_and_one_day_more_warns(book):
    edge = LAST + pd.Timedelta(days=AS_OF_TOLERANCE_DAYS)
    _, caught = _after(rk.build_profile, book, edge)
    assert caught == []
    _, caught = _after(rk.build_profile, book, edge + pd.Timedelta(days=1))
    assert len(caught) == 1 and "is 32 days after the latest record" in str(caught[0].message)


def test_the_warning_can_be_made_an_error(book):
    with warnings.catch_warnings():
        warnings.simplefilter("error", AsOfAfterDataWarning)
        with pytest.raises(AsOfAfterDataWarning, match="build_profile: as_of=2030-01-01"):
            rk.build_profile(book, "2030-01-01")


def test_a_book_without_onboarding_dates_is_refused():
    with pytest.raises(AsOfBeforeDataError, match=r"^customer_view: as_of=2024-01-01: the data hold no customer"):
        check_as_of_in_period(pd.Timestamp("2024-01-01"), pd.NaT, pd.NaT, what="customer_view")
