"""Input checks shared by every layer: the one binary-target check, frames from arrays, and
the one rule for pairing pandas inputs (:func:`align_by_index`).

Errors name the argument, the problem and the offending rows (index labels for pandas
input, positions otherwise; the first few and a count) and are :class:`InputError`
(a :class:`~riskkit._core.errors.RiskkitError` and a ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = ["as_frame", "align_by_index", "check_binary_target", "offenders", "format_ids"]

#: how many offending rows a message lists
_SHOW = 5
#: ``pandas.api.types.infer_dtype`` results that hold numbers (or booleans) only
_NUMERIC_INFERRED = {"floating", "integer", "mixed-integer-float", "boolean", "empty", "decimal"}


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
        raise InputError(f"X must be 2-dimensional, got an array of shape {arr.shape}")
    names = feature_names if feature_names is not None else [f"x{i}" for i in range(arr.shape[1])]
    if len(names) != arr.shape[1]:
        raise InputError(f"X has {arr.shape[1]} columns but {len(names)} feature names were expected")
    return pd.DataFrame(arr, columns=names)


def offenders(mask: np.ndarray, original: Any) -> str:
    """Describe the rows where ``mask`` is True: the first few labels/positions and a count."""
    where = np.flatnonzero(mask)
    if isinstance(original, (pd.Series, pd.DataFrame)):
        labels = [repr(v) for v in original.index[where[:_SHOW]]]
        kind = "index labels"
    else:
        labels = [str(v) for v in where[:_SHOW]]
        kind = "positions"
    more = f" and {where.size - _SHOW} more" if where.size > _SHOW else ""
    return f"{where.size} row(s), {kind} {', '.join(labels)}{more}"


def format_ids(ids: Iterable[Any], limit: int = 10) -> str:
    """Ids for a message: the first ``limit`` ids, then a count of the rest.

    The text reads ``['A', 'B', ... and N more]``.
    """
    ids = list(ids)
    shown = ", ".join(repr(i) for i in ids[:limit])
    if len(ids) > limit:
        shown += f", ... and {len(ids) - limit} more"
    return f"[{shown}]"


def align_by_index(**inputs: Any) -> tuple:
    """Pair the rows of several inputs by index label, never by position; return them in order.

    The arguments are the inputs of one statistic that belong to the same rows (e.g.
    ``y=..., score=...``), passed by name so that messages can name them.  Among them, the
    pandas Series and DataFrames are paired by their index: the first one's index is the
    reference, and every later one must have the same labels:

    * the same index (same labels, same order): returned as it is;
    * the same labels in another order: reindexed to the reference order (so a shuffled
      Series gives the statistic of the aligned data, not of a scrambled pairing);
    * other labels (some only in one of them), or duplicate labels that make a reorder
      ambiguous: refused with :class:`InputError` naming both arguments and the first
      labels found in only one of them.

    Arrays, lists and scalars have no labels and are returned unchanged (paired by
    position with the others; lengths are checked by the caller).  With fewer than two
    pandas inputs nothing changes.

    Raises
    ------
    InputError
        ``<name> and <reference> have different indexes: ...``.
    """
    names = list(inputs)
    values = list(inputs.values())
    labelled = [i for i, v in enumerate(values) if isinstance(v, (pd.Series, pd.DataFrame))]
    if len(labelled) < 2:
        return tuple(values)
    ref_pos = labelled[0]
    ref_name, ref_index = names[ref_pos], values[ref_pos].index
    for i in labelled[1:]:
        index = values[i].index
        if index.equals(ref_index) and index.dtype == ref_index.dtype:
            continue
        only_ref = ref_index.difference(index, sort=False)
        only_here = index.difference(ref_index, sort=False)
        if len(only_ref) or len(only_here) or len(index) != len(ref_index):
            parts = []
            if len(only_ref):
                parts.append(f"{len(only_ref)} label(s) only in {ref_name} {format_ids(only_ref, _SHOW)}")
            if len(only_here):
                parts.append(f"{len(only_here)} label(s) only in {names[i]} {format_ids(only_here, _SHOW)}")
            if not parts:
                parts.append(f"{ref_name} has {len(ref_index)} rows and {names[i]} has {len(index)}, "
                             "with repeated labels")
            raise InputError(f"{names[i]} and {ref_name} have different indexes: {'; '.join(parts)}; "
                             "pandas inputs are paired by index label, never by position (align them, "
                             "or pass arrays to pair by position)")
        if not (index.is_unique and ref_index.is_unique):
            dup_name = ref_name if not ref_index.is_unique else names[i]
            dup = (ref_index if not ref_index.is_unique else index)
            raise InputError(f"{names[i]} and {ref_name} hold the same labels in another order, but {dup_name} "
                             f"has repeated labels {format_ids(pd.unique(dup[dup.duplicated()]), _SHOW)}, so "
                             "the rows cannot be paired by index; make the index unique or pass arrays")
        values[i] = values[i].reindex(ref_index)
    return tuple(values)


def _target_floats(y: Any, name: str) -> np.ndarray:
    """``y`` as a 1-d float array (NaN where missing); text and other labels are refused, never parsed."""
    values = y.to_numpy() if isinstance(y, (pd.Series, pd.Index)) else np.asarray(y)
    if values.ndim != 1:
        raise InputError(f"{name} must be 1-dimensional (one 0/1 value per row), got shape {values.shape}")
    if isinstance(getattr(y, "dtype", None), pd.CategoricalDtype):
        values = np.asarray(y, dtype=object)
    if values.dtype.kind in "biuf":
        return values.astype(float)
    if values.dtype.kind in "OUS" or isinstance(getattr(y, "dtype", None), pd.api.extensions.ExtensionDtype):
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if inferred in _NUMERIC_INFERRED:
            return pd.Series(values, dtype=object).to_numpy(dtype=float, na_value=np.nan)
        labels = pd.unique(pd.Series(values, dtype=object).dropna())[:_SHOW].tolist()
        raise InputError(f"{name} must be binary: only 0/1 (1 = event: bad, default), got {inferred} "
                         f"labels {labels}")
    raise InputError(f"{name} must be binary: only 0/1 (1 = event: bad, default), got dtype {values.dtype}")


def check_binary_target(y: Any, name: str = "y", *, n_rows: int | None = None, rows_of: str = "X",
                        require_both: bool = True) -> np.ndarray:
    """The kit's one check of a binary target; returns it as a float array of 0.0/1.0.

    Parameters
    ----------
    y : array-like, 1-d
        Numbers or booleans holding only 0 and 1 (1 = event: bad, default). Text labels
        are refused rather than parsed, so nothing is coerced silently.
    name : str
        Name of the argument, used in every message.
    n_rows : int, optional
        Required length (the rows of ``rows_of``).
    rows_of : str
        What ``n_rows`` counts, for the message (e.g. ``"X"``, ``"score"``).
    require_both : bool
        Refuse a target with a single class (every statistic of discrimination and every
        estimator needs both events and non-events).

    Raises
    ------
    InputError
        Naming ``name`` and the problem: not 1-d, a length other than ``n_rows``, text or
        other non-numeric labels, missing values or values other than 0/1 (with the
        offending rows: index labels for pandas input, positions otherwise), a single class.
    """
    values = _target_floats(y, name)
    if n_rows is not None and values.size != n_rows:
        raise InputError(f"{name} has {values.size} values but {rows_of} has {n_rows} rows")
    missing = np.isnan(values)
    if missing.any():
        raise InputError(f"{name} has missing values in {offenders(missing, y)}; the target must be 0/1 "
                         "(1 = event: bad, default)")
    bad = (values != 0.0) & (values != 1.0)
    if bad.any():
        found = pd.unique(values[bad])[:_SHOW].tolist()
        raise InputError(f"{name} must be binary: only 0/1 (1 = event: bad, default), found other values "
                         f"{found} in {offenders(bad, y)}")
    if require_both:
        n_events = int(values.sum())
        if n_events == 0 or n_events == values.size:
            raise InputError(f"{name} has a single class ({n_events} events, {values.size - n_events} "
                             "non-events); both are needed")
    return values
