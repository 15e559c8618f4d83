"""Input checks of the scoring estimators, keeping scikit-learn's estimator contract.

``X`` goes through :func:`sklearn.utils.validation.validate_data` (without converting it:
features may be text or categorical), which records ``n_features_in_`` and
``feature_names_in_`` at fit and refuses, with scikit-learn's messages, a later ``X``
with other features; ``y`` through the kit's one binary-target check
(:func:`riskkit._core.checks.check_binary_target`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

from .._core.checks import as_frame, check_binary_target
from .._core.errors import InputError

__all__: list[str] = []


def fitted_feature_names(estimator: Any) -> list[str]:
    """The fitted features: ``feature_names_in_``, or ``x0, x1, ...`` for array input (scikit-learn's names)."""
    if hasattr(estimator, "feature_names_in_"):
        return [str(c) for c in estimator.feature_names_in_]
    return [f"x{i}" for i in range(estimator.n_features_in_)]


def check_X(estimator: Any, X: Any, *, reset: bool) -> pd.DataFrame:
    """``X`` as a DataFrame whose columns are the fitted feature names, checked the scikit-learn way.

    ``reset=True`` (in ``fit``) records ``n_features_in_`` and ``feature_names_in_``;
    ``reset=False`` refuses a different number of features, or other, missing or
    reordered feature names (scikit-learn's messages).
    """
    name = type(estimator).__name__
    if sp.issparse(X):
        raise InputError(f"{name}: sparse input is not supported; pass a dense array or a DataFrame")
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if isinstance(X, pd.DataFrame):
        if not all(isinstance(c, str) for c in X.columns):
            # column names are read as text (a column named 3 is feature "3"); a new frame, the caller's is kept
            X = X.set_axis([str(c) for c in X.columns], axis=1)
    else:
        X = np.asarray(X)
    if not isinstance(X, pd.DataFrame) and X.ndim != 2:
        raise InputError(f"{name}: expected a 2-dimensional X, got shape {X.shape}. Reshape your data either "
                         "using array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) "
                         "if it contains a single sample.")
    validate_data(estimator, X, reset=reset, skip_check_array=True)
    frame = as_frame(X)
    n_rows, n_columns = frame.shape
    if n_columns == 0:
        raise InputError(f"{name}: 0 feature(s) (shape=({n_rows}, 0)) while a minimum of 1 is required.")
    if n_rows == 0:
        raise InputError(f"{name}: 0 sample(s) (shape=(0, {n_columns})) while a minimum of 1 is required.")
    complex_columns = [c for c in frame.columns if frame[c].dtype.kind == "c"]
    if complex_columns:
        raise InputError(f"{name}: Complex data not supported (columns {complex_columns})")
    # a new frame under the fitted names; the caller's frame is never renamed
    return frame.set_axis(fitted_feature_names(estimator), axis=1)


def check_y(estimator: Any, y: Any, n_rows: int) -> np.ndarray:
    """The 0/1 target of ``fit`` as floats (1 = event: bad, default).

    A column vector is flattened with scikit-learn's ``DataConversionWarning``; a
    multiclass or continuous target is refused in scikit-learn's words; everything else
    is :func:`riskkit._core.checks.check_binary_target`'s.
    """
    name = type(estimator).__name__
    if y is None:
        raise InputError(f"{name} requires y to be passed, but the target y is None")
    if n_rows < 2:
        raise InputError(f"{name}: n_samples={n_rows}; fitting needs at least 2 samples (an event and a non-event)")
    if not isinstance(y, (pd.Series, pd.DataFrame)):
        y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    try:
        return check_binary_target(y, "y", n_rows=n_rows)
    except InputError as err:
        try:
            with np.errstate(invalid="ignore"):  # NaN cast to int while sklearn classifies the target
                kind = type_of_target(y, input_name="y")
        except (ValueError, TypeError):  # missing values, mixed types: the check's message says it
            raise err from None
        if kind in ("multiclass", "continuous"):
            raise InputError(f"{name}: Only binary classification is supported. The type of the target is "
                             f"{kind}: {err}") from None
        raise
