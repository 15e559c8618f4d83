"""The small description tables of the data overview, against hand counts on the tiny book."""

import pandas as pd
import pytest

import riskkit as rk


def test_snapshot_counts_by_hand(tiny_portfolio):
    counts = rk.data.snapshot_counts(tiny_portfolio, "2021-06-30")
    assert list(counts.columns) == ["full history", "known on 2021-06-30"]
    for name, table in tiny_portfolio.tables.items():
        assert counts.loc[name, "full history"] == len(table)
        assert counts.loc[name, "known on 2021-06-30"] == len(tiny_portfolio.as_of("2021-06-30").tables[name])


def test_customer_mix_by_hand():
    customers = pd.DataFrame({"kind": ["enterprise", "enterprise", "individual"], "region": ["n", "s", "s"]})
    mix = rk.data.customer_mix(customers, columns=("kind", "region"))
    assert mix.loc[("kind", "enterprise"), "customers"] == 2
    assert mix.loc[("region", "s"), "share"] == pytest.approx(2 / 3)
    assert mix.groupby(level=0)["share"].sum().tolist() == pytest.approx([1.0, 1.0])


def test_default_rates_total_sums_the_years(tiny_portfolio):
    yearly = rk.data.default_rates(tiny_portfolio, by="industry")
    total = rk.data.default_rates_total(tiny_portfolio, "industry")
    for industry, row in total.iterrows():
        part = yearly[yearly["industry"] == industry]
        assert row["customers"] == part["customers"].sum()
        assert row["defaults"] == part["defaults"].sum()
    assert total["default_rate"].is_monotonic_decreasing


def test_truth_summary():
    assert rk.datasets.truth_summary(None).startswith("No ground truth")
    truth = pd.DataFrame({"defaulted": [True, False, False, False], "contagion_default": [True, False, False, False],
                          "true_pd": [0.10, 0.02, 0.02, 0.02]})
    text = rk.datasets.truth_summary(truth)
    assert "1 (25.0%)" in text and "contagion: 1" in text and "later defaulters: 10.00%" in text
