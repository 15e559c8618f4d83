"""The input-data fingerprint a monitoring run stores in the archive (``runs.data_fingerprint``).

Reference: the documented canonical byte stream rebuilt here element by element with
``struct`` and ``str.encode`` (no numpy buffers, no pyarrow), hashed with ``hashlib.sha256``.
Then the properties a controller relies on: same data from Parquet and CSV -> same
fingerprint; any changed, missing or reordered value -> a different one.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit.monitoring import data_fingerprint


class _Tables:
    """What ``data_fingerprint`` reads: ``.tables`` (name -> DataFrame), as a Portfolio has."""

    def __init__(self, **tables):
        self.tables = tables


def _mask_bytes(missing) -> bytes:
    out = bytearray()
    for start in range(0, len(missing), 8):
        byte = 0
        for k, flag in enumerate(missing[start:start + 8]):
            if flag:
                byte |= 0x80 >> k  # most significant bit first
        out.append(byte)
    return bytes(out)


def _reference(tables: dict) -> str:
    sha = hashlib.sha256()
    for name, table in tables.items():
        sha.update(f"table {name}|{len(table.columns)}|".encode())
        for column in table.columns:
            s = table[column]
            missing = [bool(v) for v in s.isna()]
            sha.update(f"{column}|{s.dtype}|{len(s)}|".encode())
            sha.update(_mask_bytes(missing))
            if s.dtype.kind == "f":
                sha.update(b"".join(struct.pack("<d", 0.0 if m else float(v)) for v, m in zip(s, missing)))
            elif s.dtype.kind == "i":
                sha.update(b"".join(struct.pack("<q", int(v)) for v in s))
            elif s.dtype.kind == "M":
                nat = -(2 ** 63)
                sha.update(b"".join(struct.pack("<q", nat if m else v.value) for v, m in zip(s, missing)))
            else:  # text: int64 offsets from 0, then the UTF-8 bytes (missing = empty)
                encoded = [b"" if m else str(v).encode("utf-8") for v, m in zip(s, missing)]
                offsets = np.cumsum([0, *map(len, encoded)])
                sha.update(b"".join(struct.pack("<q", int(o)) for o in offsets))
                sha.update(b"".join(encoded))
    return sha.hexdigest()[:16]


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": pd.array(["C1", "C2", "C3", "Ç4"], dtype="str"),
        "amount": [1.5, np.nan, -0.25, 1e9],
        "days": np.array([0, 30, -5, 90], dtype="int64"),
        "date": pd.to_datetime(["2024-01-31", None, "2024-03-31", "2024-06-30"]).astype("datetime64[ns]"),
        "note": pd.array(["a", None, "", "长城"], dtype="str"),
    })


def test_equals_the_canonical_bytes_hashed_by_hand():
    frame = _frame()
    other = pd.DataFrame({"x": [0.1, 0.2]})
    assert data_fingerprint(_Tables(first=frame, second=other)) == _reference({"first": frame, "second": other})


@pytest.mark.parametrize("change", ["value", "missing", "order", "text", "date", "column", "table_name"])
def test_any_change_of_content_changes_it(change):
    base = _frame()
    before = data_fingerprint(_Tables(t=base))
    frame = base.copy()
    name = "t"
    if change == "value":
        frame.loc[0, "amount"] = 1.5000001
    elif change == "missing":
        frame.loc[1, "amount"] = 0.0  # a missing value is not a zero
    elif change == "order":
        frame = frame.iloc[[1, 0, 2, 3]].reset_index(drop=True)
    elif change == "text":
        frame.loc[3, "note"] = "长"
    elif change == "date":
        frame.loc[0, "date"] = pd.Timestamp("2024-01-30")
    elif change == "column":
        frame = frame.rename(columns={"note": "notes"})
    else:
        name = "u"
    assert data_fingerprint(_Tables(**{name: frame})) != before


def test_moving_text_between_neighbouring_cells_changes_it():
    a = pd.DataFrame({"s": pd.array(["ab", "c"], dtype="str")})
    b = pd.DataFrame({"s": pd.array(["a", "bc"], dtype="str")})
    assert data_fingerprint(_Tables(t=a)) != data_fingerprint(_Tables(t=b))


def test_index_and_chunking_do_not_count():
    frame = _frame()
    shifted = frame.set_axis(pd.RangeIndex(10, 14))
    chunked = pd.concat([frame.iloc[:2], frame.iloc[2:]])  # Arrow text in two chunks
    fp = data_fingerprint(_Tables(t=frame))
    assert data_fingerprint(_Tables(t=shifted)) == fp
    assert data_fingerprint(_Tables(t=chunked)) == fp


def test_mixed_object_column_is_hashed_too():
    a = pd.DataFrame({"o": pd.Series([1, "x", None], dtype=object)})
    b = pd.DataFrame({"o": pd.Series([2, "x", None], dtype=object)})
    assert data_fingerprint(_Tables(t=a)) != data_fingerprint(_Tables(t=b))


def test_same_portfolio_from_parquet_and_csv(tiny_portfolio, tmp_path):
    rk.data.save_portfolio(tiny_portfolio, tmp_path / "pq", format="parquet")
    rk.data.save_portfolio(tiny_portfolio, tmp_path / "csv", format="csv")
    from_parquet = rk.data.load_portfolio(tmp_path / "pq")
    from_csv = rk.data.load_portfolio(tmp_path / "csv")
    assert data_fingerprint(from_parquet) == data_fingerprint(from_csv) == data_fingerprint(tiny_portfolio)
    assert data_fingerprint(tiny_portfolio) == _reference(tiny_portfolio.tables)
