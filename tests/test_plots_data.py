"""Data-overview figures: whole-year ticks, legend beside the axes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

import riskkit as rk


def test_default_rates_by_segment_has_one_tick_per_year():
    rates = pd.DataFrame({"year": [2021, 2021, 2022, 2022, 2023, 2023],
                          "industry": ["a", "b"] * 3, "customers": [10] * 6, "defaults": [1, 0, 2, 1, 0, 0],
                          "default_rate": [0.1, 0.0, 0.2, 0.1, 0.0, 0.0]})
    ax = rk.plots.plot_default_rates(rates, by="industry")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2021", "2022", "2023"]
    assert ax.get_ylabel() == "default rate (%)"
    assert max(ax.lines[0].get_ydata()) == 20.0          # segment a in 2022: 0.2 -> 20 %
    plt.close(ax.figure)
