"""Benchmark data shared by riskkit's bench scripts and the anchor scripts (numpy + pandas only)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_binning_data(n_rows: int, n_features: int = 10, missing_share: float = 0.05, seed: int = 0):
    """Synthetic credit-like data: mixed shapes (normal, lognormal, integer counts, U-shape)."""
    rng = np.random.default_rng(seed)
    columns = {}
    logit = np.full(n_rows, -1.5)
    for j in range(n_features):
        kind = j % 4
        if kind == 0:
            x = rng.normal(size=n_rows)
            effect = 0.6 * x
        elif kind == 1:
            x = rng.lognormal(mean=8, sigma=1, size=n_rows)
            effect = -0.3 * np.log(x) + 2.4
        elif kind == 2:
            x = rng.poisson(3, size=n_rows).astype(float)
            effect = 0.15 * (x - 3)
        else:
            x = rng.uniform(-2, 2, size=n_rows)
            effect = 0.3 * x**2 - 0.4
        logit += effect / np.sqrt(n_features / 4)
        x[rng.random(n_rows) < missing_share] = np.nan
        columns[f"x{j}"] = x
    y = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pd.DataFrame(columns), y
