"""German Credit loader: shape, dtypes, target, validation errors."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

import riskkit as rk
from riskkit.data import DataValidationError
from riskkit.datasets.german import GERMAN_CATEGORICAL, GERMAN_NUMERIC, default_german_path, load_german_credit


@pytest.fixture(scope="module")
def raw_rows():
    with open(default_german_path(), newline="") as handle:
        return list(csv.DictReader(handle))


def test_shape_columns_and_target(raw_rows):
    data = rk.datasets.load_german_credit()
    assert data.shape == (1000, 21)
    header = list(raw_rows[0].keys())
    assert list(data.columns) == [c for c in header if c != "creditability"] + ["bad"]
    assert "creditability" not in data.columns
    # target from the csv module, independently of pandas
    expected_bad = [1 if row["creditability"] == "bad" else 0 for row in raw_rows]
    assert data["bad"].tolist() == expected_bad
    assert data["bad"].sum() == 300
    assert str(data["bad"].dtype) == "int64"


def test_dtypes(raw_rows):
    data = load_german_credit()
    assert len(GERMAN_NUMERIC) == 7 and len(GERMAN_CATEGORICAL) == 13
    for c in GERMAN_NUMERIC:
        assert str(data[c].dtype) == "int64", c
        assert data[c].tolist() == [int(row[c]) for row in raw_rows]
    for c in GERMAN_CATEGORICAL:
        assert isinstance(data[c].dtype, pd.CategoricalDtype), c
        assert data[c].astype(str).tolist() == [row[c] for row in raw_rows]
    assert set(data["status_of_existing_checking_account"].cat.categories) == {
        "... < 0 DM", "0 <= ... < 200 DM", "no checking account",
        "... >= 200 DM / salary assignments for at least 1 year",
    }


def _copy_with(tmp_path, edit):
    frame = pd.read_csv(default_german_path(), dtype=str, keep_default_na=False)
    frame = edit(frame)
    path = tmp_path / "german.csv"
    frame.to_csv(path, index=False)
    return path


def test_missing_file_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        load_german_credit(tmp_path / "absent.csv")


def test_bad_label_names_column_and_rows(tmp_path):
    def edit(f):
        f.loc[[3, 7], "creditability"] = "maybe"
        return f

    with pytest.raises(DataValidationError) as info:
        load_german_credit(_copy_with(tmp_path, edit))
    message = str(info.value)
    assert "creditability" in message and "label_good_or_bad" in message
    assert "row=3" in message and "row=7" in message and "maybe" in message


def test_unparseable_number_and_missing_column(tmp_path):
    def edit(f):
        f.loc[5, "age_in_years"] = "forty"
        return f

    with pytest.raises(DataValidationError, match="age_in_years") as info:
        load_german_credit(_copy_with(tmp_path, edit))
    assert "parseable_number" in str(info.value) and "row=5" in str(info.value)

    with pytest.raises(DataValidationError, match="required_column") as info:
        load_german_credit(_copy_with(tmp_path, lambda f: f.drop(columns=["housing", "job"])))
    assert "housing" in str(info.value) and "job" in str(info.value)

    def blank(f):
        f.loc[0, "purpose"] = ""
        return f

    with pytest.raises(DataValidationError, match="not_null"):
        load_german_credit(_copy_with(tmp_path, blank))


def test_other_row_counts_are_accepted(tmp_path):
    data = load_german_credit(_copy_with(tmp_path, lambda f: f.iloc[:100]))
    assert len(data) == 100
