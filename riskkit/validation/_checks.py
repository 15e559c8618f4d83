"""Input checks shared by the validation statistics.

Every public function checks its inputs here, at the boundary, and raises a
:class:`ValueError` that names the argument, the problem and the offending rows
(index labels for pandas input, positions otherwise; the first few plus a count:
:func:`riskkit._core.checks.offenders`). Default indicators are checked by the kit's one
binary-target check, :func:`riskkit._core.checks.check_binary_target`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._core.checks import align_by_index, offenders

_NUMERIC_INFERRED = {"floating", "integer", "mixed-integer-float", "boolean", "empty", "decimal"}


def _not_numeric(name: str, what: str) -> ValueError:
    return ValueError(f"{name} must be numeric (or an ordered categorical), got {what}")


def as_float_1d(x: Any, name: str, *, allow_nan: bool = False) -> np.ndarray:
    """A 1-d float array; ordered categoricals become their category codes.

    Strings are refused rather than parsed, so that nothing is coerced silently.
    """
    if isinstance(x, (pd.Series, pd.Index)) and isinstance(x.dtype, pd.CategoricalDtype):
        return _categorical_codes(pd.Categorical(x), name, x, allow_nan)
    if isinstance(x, pd.Categorical):
        return _categorical_codes(x, name, x, allow_nan)
    if isinstance(x, (pd.Series, pd.Index)):
        if not (pd.api.types.is_numeric_dtype(x.dtype) or pd.api.types.is_bool_dtype(x.dtype)):
            if pd.api.types.is_object_dtype(x.dtype):
                arr = as_float_1d(x.to_numpy(), name, allow_nan=True)
                return _finite(arr, name, x, allow_nan)
            raise _not_numeric(name, f"dtype {x.dtype}")
        arr = x.to_numpy(dtype=float, na_value=np.nan)
    else:
        raw = np.asarray(x)
        if raw.dtype.kind in "biuf":
            arr = raw.astype(float)
        elif raw.dtype.kind == "O":
            inferred = pd.api.types.infer_dtype(raw.ravel(), skipna=True)
            if inferred not in _NUMERIC_INFERRED:
                raise _not_numeric(name, f"{inferred} values such as {raw.ravel()[:3].tolist()}")
            arr = pd.Series(raw.ravel(), dtype=object).to_numpy(dtype=float, na_value=np.nan).reshape(raw.shape)
        else:
            raise _not_numeric(name, f"dtype {raw.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {arr.shape}")
    return _finite(arr, name, x, allow_nan)


def _finite(arr: np.ndarray, name: str, original: Any, allow_nan: bool) -> np.ndarray:
    if not allow_nan:
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(f"{name} has missing or infinite values in {offenders(bad, original)}")
    return arr


def _categorical_codes(cat: pd.Categorical, name: str, original: Any, allow_nan: bool) -> np.ndarray:
    if not cat.ordered:
        raise ValueError(f"{name}: an unordered categorical has no risk order; "
                         "pass an ordered categorical or numbers")
    arr = np.asarray(cat.codes, dtype=float)
    missing = arr < 0
    if missing.any() and not allow_nan:
        raise ValueError(f"{name} has missing values in {offenders(missing, original)}")
    arr[missing] = np.nan
    return arr


def same_length(**arrays: np.ndarray) -> int:
    """Check all arrays have one length and return it."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise ValueError(f"length mismatch: {desc}")
    if not lengths:
        return 0
    n = next(iter(lengths.values()))
    if n == 0:
        raise ValueError(f"empty input: {', '.join(lengths)} have no rows")
    return n


def as_probability(p: Any, name: str = "pd") -> np.ndarray:
    """PDs as floats strictly inside (0, 1)."""
    arr = np.atleast_1d(as_float_1d(np.atleast_1d(p) if np.ndim(p) == 0 else p, name))
    bad = (arr <= 0) | (arr >= 1)
    if bad.any():
        raise ValueError(f"{name} must lie strictly between 0 and 1, "
                         f"violated in {offenders(bad, p)}")
    return arr


def as_counts(x: Any, name: str) -> np.ndarray:
    """Non-negative whole numbers as an int64 array."""
    arr = np.atleast_1d(as_float_1d(np.atleast_1d(x) if np.ndim(x) == 0 else x, name))
    bad = (arr < 0) | (arr != np.round(arr))
    if bad.any():
        raise ValueError(f"{name} must be non-negative whole numbers, violated in {offenders(bad, x)}")
    return arr.astype(np.int64)


def grade_inputs(pd_values: Any, defaults: Any, n: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-grade (PD, defaults, obligors) triplets, checked and broadcast to one length.

    Series are paired by index label (:func:`riskkit._core.checks.align_by_index`).
    """
    pd_values, defaults, n = align_by_index(pd_values=pd_values, defaults=defaults, n=n)
    p = as_probability(pd_values, "pd_values")
    d = as_counts(defaults, "defaults")
    m = as_counts(n, "n")
    try:
        p, d, m = np.broadcast_arrays(p, d, m)
    except ValueError:
        raise ValueError(f"length mismatch: pd_values={p.size}, defaults={d.size}, n={m.size}") from None
    empty = m < 1
    if empty.any():
        raise ValueError(f"n must be at least 1 obligor per grade, violated in {offenders(empty, n)}")
    over = d > m
    if over.any():
        raise ValueError(f"defaults exceed n (number of obligors) in {offenders(over, defaults)}")
    return p.astype(float), d.astype(np.int64), m.astype(np.int64)


def scope_labels(labels: Any, size: int, prefix: str) -> np.ndarray:
    """Labels for the rows of a vectorised result: given ``labels`` or ``"<prefix> 1"``, ..."""
    if labels is None:
        return np.array([f"{prefix} {i + 1}" for i in range(size)], dtype=object)
    out = np.asarray(labels, dtype=object).ravel()
    if out.size != size:
        raise ValueError(f"labels: expected {size} labels, got {out.size}")
    return np.array([str(v) for v in out], dtype=object)


def label_codes(values: Any, labels: Sequence[Any]) -> np.ndarray:
    """Position of each value in ``labels`` (int64), -1 where absent or missing."""
    index = pd.Index(list(labels), dtype=object)
    return index.get_indexer(pd.Index(np.asarray(values, dtype=object), dtype=object)).astype(np.int64)
