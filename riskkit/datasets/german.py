"""The Statlog German Credit data (UCI; Hofmann 1994; CC BY 4.0).

1000 loan applicants, 20 attributes (7 numeric, 13 categorical with decoded labels) and
the creditability label (700 good, 300 bad).  Shipped as ``data/raw/german_credit.csv``
(immutable raw data); this loader validates it and returns a modelling frame.

Source: H. Hofmann, "Statlog (German Credit Data)", UCI Machine Learning Repository,
1994, https://doi.org/10.24432/C5NC77.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data.validation import VIOLATION_COLUMNS, DataValidationError

__all__ = ["load_german_credit", "GERMAN_NUMERIC", "GERMAN_CATEGORICAL", "default_german_path"]

#: numeric attributes (counts, months, amounts in DM, years)
GERMAN_NUMERIC = (
    "duration_in_month",
    "credit_amount",
    "installment_rate_in_percentage_of_disposable_income",
    "present_residence_since",
    "age_in_years",
    "number_of_existing_credits_at_this_bank",
    "number_of_people_being_liable_to_provide_maintenance_for",
)
#: categorical attributes (decoded labels of the UCI codes A11 ... A202)
GERMAN_CATEGORICAL = (
    "status_of_existing_checking_account",
    "credit_history",
    "purpose",
    "savings_account_and_bonds",
    "present_employment_since",
    "personal_status_and_sex",
    "other_debtors_or_guarantors",
    "property",
    "other_installment_plans",
    "housing",
    "job",
    "telephone",
    "foreign_worker",
)
_LABEL = "creditability"
_LABELS = {"good": 0, "bad": 1}
_TABLE = "german_credit"
_SHOWN = 5


def default_german_path() -> Path:
    """The copy of ``data/raw/german_credit.csv`` shipped inside the package.

    It is package data (``riskkit/datasets/files/``) so that a plain ``pip install`` can
    load it; a test checks that it is byte-identical to the repository's raw file.
    """
    return Path(__file__).resolve().parent / "files" / "german_credit.csv"


def _violation(column: str, check: str, keys, values) -> pd.DataFrame:
    keys = [str(k) for k in keys]
    return pd.DataFrame(
        {
            "table": _TABLE,
            "column": column,
            "check": check,
            "key": pd.Series(keys, dtype="str"),
            "value": pd.Series([repr(v) if isinstance(v, str) else str(v) for v in values], dtype="str"),
        },
        columns=VIOLATION_COLUMNS,
    )


def load_german_credit(path=None) -> pd.DataFrame:
    """Load and validate the German Credit data.

    Parameters
    ----------
    path : str or Path, optional
        CSV with the snake_case header of ``data/raw/german_credit.csv``.  Default: that
        file, located relative to the package (``riskkit/../data/raw``).

    Returns
    -------
    pandas.DataFrame
        One row per applicant: the 20 attributes (categoricals as ``category``,
        numbers as ``int64``, or ``float64`` if a file has fractional values) and
        ``bad`` (``int64``; 1 = bad, 0 = good).  ``creditability`` is dropped.

    Raises
    ------
    FileNotFoundError
        The file does not exist (the message says where it was looked for).
    riskkit.data.DataValidationError
        Columns missing or unexpected, labels other than good/bad, missing values, or
        numeric columns that do not parse; the message names the column, the check and
        the offending rows (``row=<n>``, 0-based data rows).

    Examples
    --------
    >>> import riskkit as rk
    >>> data = rk.datasets.load_german_credit()
    >>> data.shape, int(data["bad"].sum())
    ((1000, 21), 300)
    """
    csv = Path(path) if path is not None else default_german_path()
    if not csv.is_file():
        raise FileNotFoundError(
            f"German Credit file not found: {csv}. Expected the UCI Statlog German Credit CSV "
            "(data/raw/german_credit.csv in the riskkit repository); pass path= to load another copy."
        )
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
    raw.columns = [str(c).strip() for c in raw.columns]

    expected = (*GERMAN_CATEGORICAL, *GERMAN_NUMERIC, _LABEL)
    problems = []
    absent = [c for c in expected if c not in raw.columns]
    extra = [c for c in raw.columns if c not in expected]
    if absent:
        problems.append(_violation(", ".join(absent), "required_column", ["header"], [f"{len(absent)} missing"]))
    if extra:
        problems.append(_violation(", ".join(extra), "unexpected_column", ["header"], [f"{len(extra)} unexpected"]))
    if problems:
        raise DataValidationError(pd.concat(problems, ignore_index=True), context=str(csv))

    out = {}
    for column in expected:
        values = raw[column]
        empty = values.isna() | (values.str.strip() == "")
        if empty.any():
            rows = np.flatnonzero(empty.to_numpy())
            problems.append(_violation(column, "not_null", [f"row={r}" for r in rows], ["<missing>"] * len(rows)))
            continue
        if column in GERMAN_NUMERIC:
            parsed = pd.to_numeric(values.str.strip(), errors="coerce")
            bad = parsed.isna().to_numpy()
            if bad.any():
                rows = np.flatnonzero(bad)
                problems.append(_violation(column, "parseable_number", [f"row={r}" for r in rows], values.iloc[rows]))
                continue
            integral = bool((parsed == np.round(parsed)).all())
            out[column] = parsed.astype("int64" if integral else "float64")
        elif column == _LABEL:
            label = values.str.strip().str.lower()
            bad = ~label.isin(list(_LABELS))
            if bad.any():
                rows = np.flatnonzero(bad.to_numpy())
                problems.append(_violation(column, "label_good_or_bad", [f"row={r}" for r in rows], values.iloc[rows]))
                continue
            out["bad"] = label.map(_LABELS).astype("int64")
        else:
            out[column] = values.astype("category")
    if problems:
        raise DataValidationError(pd.concat(problems, ignore_index=True), context=str(csv))
    columns = [c for c in raw.columns if c != _LABEL] + ["bad"]
    return pd.DataFrame(out)[columns]
