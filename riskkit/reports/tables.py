"""Small display helpers shared by the report notebooks (they compute nothing)."""

from __future__ import annotations

import pandas as pd

__all__ = ["round_floats"]


def round_floats(table: pd.DataFrame, decimals: int = 4) -> pd.DataFrame:
    """Round every float for display, also inside object (mixed key-value) columns.

    ``DataFrame.round`` leaves object columns alone, so a column holding a name in one row
    and a ratio in the next would print 17 digits; here each Python or NumPy float is
    rounded wherever it sits, other values (text, integers, dates, missing) are kept as
    they are, and every column keeps its dtype.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame, got {type(table).__name__}")

    def column(values: pd.Series) -> pd.Series:
        cells = [round(v, decimals) if isinstance(v, float) else v for v in values]
        return pd.Series(cells, index=values.index, dtype=values.dtype, name=values.name)

    return table.apply(column) if len(table.columns) else table.copy()
