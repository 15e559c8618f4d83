"""Coverage and default-rate tables, checked by hand on the tiny portfolio."""

from __future__ import annotations

import pandas as pd
import pytest

import riskkit as rk
from riskkit.data.describe import default_rates, record_coverage, relation_summary


def test_default_rates_use_one_year_cohorts(tables):
    # C1 (onboarded 2019) and C2 (2020) are in the 2021 cohort; C3 joined on 2021-01-10, after
    # 1 January, so it is not, although it defaulted in 2021.  In 2022 (an event that year
    # extends the data), C3 is out because it defaulted before; C2 defaults on 2022-05-01.
    tables["events"].loc[1, "date"] = pd.Timestamp("2022-03-05")
    tables["defaults"] = pd.concat([tables["defaults"], pd.DataFrame({
        "customer_id": ["C2"], "default_date": [pd.Timestamp("2022-05-01")], "reason": ["bankruptcy"]})],
        ignore_index=True)
    p = rk.data.Portfolio(**tables)
    rates = default_rates(p).set_index("year")
    assert rates.loc[2021, "customers"] == 2 and rates.loc[2021, "defaults"] == 0
    assert rates.loc[2022, "customers"] == 2 and rates.loc[2022, "defaults"] == 1
    assert rates.loc[2022, "default_rate"] == pytest.approx(0.5)
    by = default_rates(p, by="industry").set_index(["year", "industry"])
    assert by.loc[(2022, "retail"), "default_rate"] == 1.0
    assert by.loc[(2022, "manufacturing"), "default_rate"] == 0.0


def test_default_rates_bad_arguments(tiny_portfolio):
    with pytest.raises(ValueError, match="no column 'sector'"):
        default_rates(tiny_portfolio, by="sector")
    with pytest.raises(ValueError, match="calendar years"):
        default_rates(tiny_portfolio, freq="QE")


def test_record_coverage_counts_by_quarter(tiny_portfolio):
    cov = record_coverage(tiny_portfolio)
    assert cov.loc[pd.Timestamp("2021-03-31"), "invoices"] == 4
    assert cov.loc[pd.Timestamp("2021-06-30"), "financials"] == 2  # by publication date
    assert cov.sum().to_dict() == {"invoices": 4, "orders": 3, "financials": 2, "bureau": 2, "events": 2,
                                   "defaults": 1}


def test_relation_summary(tiny_portfolio):
    s = relation_summary(tiny_portfolio)
    assert s.loc["shareholding", "links"] == 2
    assert s.loc["shareholding", "external_parties"] == 1  # P1
    assert s.loc["guarantee", "in_force_now"] == 1
    assert s.loc["supply", "weight_total"] == 2e6
