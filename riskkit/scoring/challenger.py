"""A gradient-boosting challenger for the scorecard and a discrimination comparison.

A challenger model shows how much discrimination the constrained scorecard (monotonic
WoE, linear in log-odds) leaves on the table; model-risk guidance expects one for
material models (e.g. Fed/OCC SR 11-7, 2011, "benchmarking").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from .._core.checks import as_frame, check_binary_target

__all__ = ["fit_challenger", "compare_models"]


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)


#: regularised defaults of the gradient-boosting challenger
CHALLENGER_DEFAULTS = {
    "learning_rate": 0.05,
    "max_iter": 500,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": True,
    "validation_fraction": 0.2,
    "n_iter_no_change": 20,
}


def fit_challenger(X, y, seed: int = 0, **params) -> Pipeline:
    """Fit a ``HistGradientBoostingClassifier`` challenger on raw features.

    Non-numeric columns are ordinal-encoded (unseen categories and missing values become
    NaN, which the trees route as missing) and declared categorical to the booster;
    numeric columns pass through.

    Parameters
    ----------
    X : pandas.DataFrame
    y : array-like of 0/1 (1 = bad)
    seed : int, default=0
        ``random_state`` of the booster.
    **params
        ``HistGradientBoostingClassifier`` parameters; they override the defaults
        :data:`CHALLENGER_DEFAULTS` (early stopping on a 20 % validation split, a slower
        learning rate, smaller and fuller leaves, L2 penalty), chosen so the challenger
        does not memorise a development sample of a few thousand rows.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Fitted; ``predict_proba(X)[:, 1]`` is P(bad).
    """
    frame = as_frame(X)
    target = check_binary_target(y, "y", n_rows=len(frame)).astype(np.int64)
    categorical = [c for c in frame.columns if _is_categorical(frame[c])]
    numeric = [c for c in frame.columns if c not in categorical]
    encoder = ColumnTransformer(
        [
            ("categorical", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                           encoded_missing_value=np.nan), categorical),
            ("numeric", "passthrough", numeric),
        ],
        verbose_feature_names_out=False,
    )
    mask = [True] * len(categorical) + [False] * len(numeric)
    settings = {**CHALLENGER_DEFAULTS, **params}
    booster = HistGradientBoostingClassifier(categorical_features=mask if categorical else None,
                                             random_state=seed, **settings)
    model = Pipeline([("encode", encoder), ("boost", booster)])
    return model.fit(frame, target)


def compare_models(models: dict, X, y) -> pd.DataFrame:
    """AUC and Gini (= 2 AUC - 1) of fitted classifiers on the same sample.

    ``models`` maps a name to anything with ``predict_proba`` (class 1 = bad).  AUC is
    sklearn's ``roc_auc_score``; for confidence intervals and the DeLong comparison use
    :mod:`riskkit.validation`.
    """
    frame = as_frame(X)
    target = check_binary_target(y, "y", n_rows=len(frame))
    rows = []
    for name, model in models.items():
        auc = roc_auc_score(target, model.predict_proba(frame)[:, 1])
        rows.append({"model": name, "auc": auc, "gini": 2 * auc - 1})
    return pd.DataFrame(rows)
