"""The shared table formatter and the provenance block of the reports.

Expected strings are written out by hand from the convention in riskkit.reports.tables.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit.reports import EM_DASH, format_table, provenance


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "ead": [1_234_567.0, 25_000_000.0, np.nan],
        "pd": [0.0123, 0.00031, np.nan],
        "default_rate": [0.5, 0.0, 1.0],
        "n_customers": np.array([3, 1200, 0], dtype="int64"),
        "n_defaults": [1.0, 25.0, np.nan],
        "as_of": pd.to_datetime(["2024-12-31", "2023-06-30", None]),
        "auc": [0.123456789, 1234.56789, 0.00001],
        "mixed": ["text", 0.98765432, None],
    }, index=["AAA", "BB", "D"])


def test_kinds_by_convention_and_by_list():
    t = format_table(_table(), money=["ead"], unit="CNY m", caption="By grade")
    assert t.caption == "By grade (amounts in CNY m)"
    assert t.text["ead"].tolist() == ["1.23", "25.00", EM_DASH]
    assert t.text["pd"].tolist() == ["1.23%", "0.03%", EM_DASH]
    assert t.text["default_rate"].tolist() == ["50.00%", "0.00%", "100.00%"]
    assert t.text["n_customers"].tolist() == ["3", "1,200", "0"]
    assert t.text["n_defaults"].tolist() == ["1", "25", EM_DASH]
    assert t.text["as_of"].tolist() == ["2024-12-31", "2023-06-30", EM_DASH]
    assert t.text["auc"].tolist() == ["0.1235", "1,234.6", "<0.0001"]
    assert t.text["mixed"].tolist() == ["text", "0.9877", EM_DASH]
    assert "By grade (amounts in CNY m)" in t.to_html() and "0x" not in repr(t)


def test_html_is_reproducible_and_verdicts_coloured_green_good_red_bad():
    frame = pd.DataFrame({"test": ["auc", "psi"], "verdict": ["green (0)", "red (2)"]})
    first = format_table(frame, verdicts=["verdict"], index=False).to_html()
    assert first == format_table(frame, verdicts=["verdict"], index=False).to_html()
    assert "#c6efce" in first and "#ffc7ce" in first          # green and red backgrounds
    assert first.index("#c6efce") < first.index("#ffc7ce")     # row 0 (green) before row 1 (red)


def test_numbers_inside_text_and_labels_are_rounded_to_four_decimals():
    frame = pd.DataFrame({"note": ["edge 0.123456789", "C000123"]}, index=["[0.180929, 0.244187)", "(-inf, 3913)"])
    t = format_table(frame)
    assert t.text["note"].tolist() == ["edge 0.1235", "C000123"]
    assert list(t.text.index) == ["[0.1809, 0.2442)", "(-inf, 3913)"]


def test_key_value_rows():
    values = pd.Series({"capital": 12_000_000.0, "capital_rate": 0.08, "n_customers": 3.0, "ratio": 1 / 3})
    t = format_table(values.to_frame("value"), by="index", money=["capital"], unit="CNY m")
    assert t.text["value"].tolist() == ["12.00", "8.00%", "3", "0.3333"]


@pytest.mark.parametrize("kwargs, message", [
    ({"money": ["ead"]}, "need a unit"),
    ({"money": ["nope"], "unit": "m"}, "'nope' is not in the table"),
    ({"rates": ["pd"], "counts": ["pd"]}, "given as rate and as count"),
    ({"by": "rows"}, "by must be"),
    ({"rate_decimals": 6}, "rate_decimals"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        format_table(_table(), **kwargs)


def test_provenance_states_version_fingerprint_and_no_absolute_path(tmp_path):
    frame = pd.DataFrame({"x": [1.5, 2.5]})
    # the fingerprint of one DataFrame is that of the table "data", hashed by hand as in
    # tests/test_monitoring_fingerprint.py: name, column header, mask, float64 bytes
    sha = hashlib.sha256()
    sha.update(b"table data|1|")
    sha.update(b"x|float64|2|")
    sha.update(bytes([0]))
    sha.update(np.array([1.5, 2.5]).tobytes())
    block = provenance({"data_path": str(tmp_path / "book"), "seed": 42, "other": 1},
                       report="portfolio_assessment", data=frame, as_of="2024-12-31 00:00")
    assert block.fingerprint == sha.hexdigest()[:16]
    assert block.parameters == {"data_path": "…/book"}          # only declared names; path cut
    text = block.to_markdown()
    assert f"`{rk.__version__}`" in text and block.fingerprint in text and "2024-12-31" in text
    assert str(tmp_path) not in text and str(tmp_path) not in repr(block)
