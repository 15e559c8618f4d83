"""Input checks shared by the scoring estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["as_frame", "check_binary_target"]


def as_frame(X, feature_names: list[str] | None = None) -> pd.DataFrame:
    """Return ``X`` as a DataFrame (an ndarray gets columns ``x0, x1, ...``)."""
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        return X.to_frame()
    arr = np.asarray(X)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(f"X must be 2-dimensional, got an array of shape {arr.shape}")
    names = feature_names if feature_names is not None else [f"x{i}" for i in range(arr.shape[1])]
    if len(names) != arr.shape[1]:
        raise ValueError(f"X has {arr.shape[1]} columns but {len(names)} feature names were expected")
    return pd.DataFrame(arr, columns=names)


def check_binary_target(y, n_rows: int) -> np.ndarray:
    """Validate a 0/1 target and return it as a float array.

    Accepts 0/1 numbers or booleans; rejects missing values, other labels, a single class
    and a length different from ``n_rows``, naming what was found.
    """
    y_series = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y).ravel() if np.ndim(y) else [y])
    if len(y_series) != n_rows:
        raise ValueError(f"y has {len(y_series)} values but X has {n_rows} rows")
    if y_series.isna().any():
        where = np.flatnonzero(y_series.isna().to_numpy())
        raise ValueError(
            f"y has {len(where)} missing values (positions {where[:5].tolist()}"
            f"{'...' if len(where) > 5 else ''}); the target must be 0/1 with no gaps"
        )
    if pd.api.types.is_bool_dtype(y_series.dtype):
        values = y_series.to_numpy(dtype=float)
    else:
        try:
            values = pd.to_numeric(y_series, errors="raise").to_numpy(dtype=float)
        except (ValueError, TypeError):
            labels = pd.unique(y_series)[:10].tolist()
            raise ValueError(f"y must be binary 0/1 (1 = event/bad); got labels {labels}") from None
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        labels = pd.unique(values[bad])[:10].tolist()
        raise ValueError(f"y must be binary 0/1 (1 = event/bad); found other values {labels}")
    if values.min() == values.max():
        raise ValueError(f"y has a single class ({int(values[0])}); need both events and non-events")
    return values
