"""default_flags and development_sample against hand-labelled cases.

as_of = 2023-12-31, horizon 365 days -> the outcome window is (2023-12-31, 2024-12-30].
An invoice defaults on due_date + 90 days if it is still unpaid then (paid_date NaT or
paid_date >= due_date + 90).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from riskkit.data import Portfolio
from riskkit.profile import build_profile, default_flags, development_sample, first_default_dates

AS_OF = pd.Timestamp("2023-12-31")


def ts(*values) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


IDS = ["L1", "L2", "L3", "L3b", "L4", "L5", "L6", "L7", "L8", "L9", "L10", "L11", "L12",
       "L13", "L14", "L15"]


def make_portfolio() -> Portfolio:
    n = len(IDS)
    onboarded = ["2020-01-01"] * n
    onboarded[IDS.index("L10")] = "2024-02-01"
    customers = pd.DataFrame({
        "customer_id": IDS, "name": IDS, "kind": "enterprise", "industry": "retail",
        "region": "east", "ownership_type": "private", "state_ownership_pct": 0.0,
        "registered_capital": 1e6, "founded": ts(*["2010-01-01"] * n),
        "onboarded": ts(*onboarded), "payment_terms_days": 30, "credit_limit": 1e5})
    inv = [
        # customer, issue, due, paid
        ("L1", "2023-12-01", "2024-03-01", None),          # 90 DPD on 2024-05-30: in window
        ("L2", "2023-12-15", "2024-10-15", None),          # 90 DPD on 2025-01-13: after horizon
        ("L3", "2023-12-01", "2024-03-01", "2024-05-29"),  # paid 89 days after due: no
        ("L3b", "2023-12-01", "2024-03-01", "2024-05-30"),  # paid 90 days after due: yes
        ("L4", "2023-11-01", "2023-12-01", "2023-12-01"),  # paid on time (bankruptcy below)
        ("L6", "2023-08-01", "2023-09-01", "2024-01-15"),  # 90 DPD on 2023-11-30 <= as_of
        ("L9", "2023-11-01", "2023-12-01", "2023-11-30"),  # paid early: clean
        ("L13", "2024-02-01", "2024-03-01", None),         # issued after as_of, 90 DPD 2024-05-30
        ("L14", "2023-09-02", "2023-10-02", None),         # 90 DPD on 2023-12-31 = as_of
        ("L15", "2023-09-03", "2023-10-03", None),         # 90 DPD on 2024-01-01 = as_of + 1
        ("L10", "2024-03-01", "2024-04-01", None),         # onboarded after as_of
    ]
    invoices = pd.DataFrame({
        "invoice_id": [f"I{i}" for i in range(len(inv))],
        "customer_id": [r[0] for r in inv],
        "issue_date": ts(*[r[1] for r in inv]), "due_date": ts(*[r[2] for r in inv]),
        "amount": 100.0, "paid_date": ts(*[r[3] for r in inv]),
        "paid_amount": [100.0 if r[3] else 0.0 for r in inv]})
    events = pd.DataFrame({
        "event_id": ["V1", "V2", "V3"], "customer_id": ["L4", "L8", "L9"],
        "date": ts("2024-06-01", "2023-12-31", "2024-03-01"),
        "category": ["bankruptcy", "bankruptcy", "litigation"], "severity": [5, 5, 4],
        "source": "court", "text": ""})
    defaults = pd.DataFrame({
        "customer_id": ["L5", "L7", "L11", "L12"],
        "default_date": ts("2024-09-01", "2023-06-01", "2024-12-30", "2024-12-31"),
        "reason": ["write_off", "write_off", "dpd90", "write_off"]})
    return Portfolio(customers=customers, invoices=invoices, events=events, defaults=defaults)


EXPECTED = {
    "L1": 1, "L2": 0, "L3": 0, "L3b": 1, "L4": 1, "L5": 1, "L9": 0, "L11": 1, "L12": 0,
    "L13": 1, "L15": 1,
}
ALREADY_IN_DEFAULT = {"L6", "L7", "L8", "L14"}


def test_default_flags_hand_labelled_cases():
    flags = default_flags(make_portfolio(), AS_OF)
    assert flags.name == "default"
    assert flags.index.name == "customer_id"
    assert flags.dtype == np.int64
    assert flags.to_dict() == EXPECTED
    assert list(flags.index) == sorted(EXPECTED)


def test_already_defaulted_and_not_onboarded_are_dropped():
    flags = default_flags(make_portfolio(), AS_OF)
    assert ALREADY_IN_DEFAULT.isdisjoint(flags.index)
    assert "L10" not in flags.index
    # they are profiled, though: the profile's extra rows are exactly the excluded ones
    profile = build_profile(make_portfolio(), AS_OF)
    assert set(profile.index.difference(flags.index)) == ALREADY_IN_DEFAULT


def test_shorter_horizon_and_dpd_threshold():
    p = make_portfolio()
    # horizon 150 days -> window (2023-12-31, 2024-05-29]: the 2024-05-30 DPD defaults drop
    # out, L15 (2024-01-01) stays; the bankruptcy on 2024-06-01 and write-off 2024-09-01 too
    flags = default_flags(p, AS_OF, horizon_days=150)
    assert flags[flags == 1].index.tolist() == ["L15"]
    # with a 60-day DPD threshold L3 (paid 89 days late) defaults on 2024-04-30
    flags60 = default_flags(p, AS_OF, dpd_days=60)
    assert flags60["L3"] == 1


def test_first_default_dates():
    first = first_default_dates(make_portfolio())
    assert first["L1"] == pd.Timestamp("2024-05-30")
    assert first["L14"] == pd.Timestamp("2023-12-31")
    assert first["L7"] == pd.Timestamp("2023-06-01")
    assert first["L4"] == pd.Timestamp("2024-06-01")
    assert pd.isna(first["L9"]) and pd.isna(first["L3"])
    # L2's invoice would reach 90 DPD on 2025-01-13, after the data end (2024-12-31): unobserved
    assert pd.isna(first["L2"])
    # L10's invoice (due 2024-04-01, never paid) reaches 90 DPD on 2024-06-30
    assert first["L10"] == pd.Timestamp("2024-06-30")
    assert first.dtype == "datetime64[ns]"


def test_right_censored_horizon_warns():
    # the latest record is 2024-12-31; a horizon to 2025-06-30 is not observed
    with pytest.warns(UserWarning, match="right-censored"):
        default_flags(make_portfolio(), "2024-06-30")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        default_flags(make_portfolio(), AS_OF)


@pytest.mark.parametrize("horizon", [0, -5, 1.5, True, "365"])
def test_bad_horizon(horizon):
    with pytest.raises(ValueError, match="horizon_days"):
        default_flags(make_portfolio(), AS_OF, horizon_days=horizon)


def test_as_of_before_all_data_gives_empty_labels():
    flags = default_flags(make_portfolio(), "2000-01-01")
    assert len(flags) == 0 and flags.dtype == np.int64 and flags.name == "default"


# ---------------------------------------------------------------------------- sample

DATES = ["2023-06-30", "2023-12-31"]


def test_development_sample_stacks_profiles_and_labels():
    p = make_portfolio()
    sample = development_sample(p, DATES)
    profile = build_profile(p, AS_OF)
    assert list(sample.columns) == ["as_of", "customer_id", *profile.columns, "default"]
    assert isinstance(sample.index, pd.RangeIndex)
    assert sample["as_of"].dtype == "datetime64[ns]"
    late = sample[sample["as_of"] == AS_OF].set_index("customer_id")
    assert late["default"].to_dict() == EXPECTED
    pd.testing.assert_frame_equal(late.drop(columns=["as_of", "default"]),
                                  profile.loc[sorted(EXPECTED)], check_names=False)
    # on 2023-06-30 (window to 2024-06-29): L7 (write-off 2023-06-01) is already in default;
    # L6 (2023-11-30), L8 (bankruptcy 2023-12-31), L14 (2023-12-31), L15 (2024-01-01),
    # L1/L3b/L13 (2024-05-30) and L4 (2024-06-01) default; L5 (2024-09-01) and L11
    # (2024-12-30) only later
    early = sample[sample["as_of"] == pd.Timestamp("2023-06-30")].set_index("customer_id")
    assert "L7" not in early.index and "L10" not in early.index
    assert early["default"].to_dict() == {
        "L1": 1, "L11": 0, "L12": 0, "L13": 1, "L14": 1, "L15": 1, "L2": 0, "L3": 0,
        "L3b": 1, "L4": 1, "L5": 0, "L6": 1, "L8": 1, "L9": 0}
    assert sample["as_of"].tolist() == [pd.Timestamp(DATES[0])] * 14 + [AS_OF] * 11


def test_development_sample_bad_input():
    p = make_portfolio()
    with pytest.raises(ValueError, match="empty"):
        development_sample(p, [])
    with pytest.raises(ValueError, match="repeated"):
        development_sample(p, ["2023-12-31", pd.Timestamp("2023-12-31")])
    with pytest.raises(TypeError, match="as_of_dates\\[1\\]"):
        development_sample(p, ["2023-12-31", 20231231])
    with pytest.raises(TypeError, match="list of dates"):
        development_sample(p, "2023-12-31")


def test_development_sample_threads_scheduler_equals_pandas():
    p = make_portfolio()
    pd.testing.assert_frame_equal(development_sample(p, DATES, scheduler="threads"),
                                  development_sample(p, DATES))


def test_development_sample_on_dask_cluster_equals_pandas():
    distributed = pytest.importorskip("distributed")
    p = make_portfolio()
    expected = development_sample(p, DATES)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = development_sample(p, DATES, scheduler=client)
    pd.testing.assert_frame_equal(result, expected)


def test_first_default_dates_match_the_synthetic_ground_truth():
    # an independent implementation of the same definition: the synthetic generator draws
    # default dates first and writes a ledger consistent with them (riskkit.datasets.synthetic)
    synthetic = pytest.importorskip("riskkit.datasets.synthetic")
    p = synthetic.generate_portfolio(1000, seed=3)
    truth = p.truth.set_index("customer_id")["default_date"]
    first = first_default_dates(p)
    assert truth.notna().sum() > 20
    pd.testing.assert_series_equal(first, truth.reindex(first.index), check_names=False)
