"""Small vectorised helpers of the synthetic generator: ids, dates, strings, segments.

Dates are handled as ``int64`` day numbers (days since 1970-01-01) while generating and
turned into ``datetime64[ns]`` once, when a table is assembled.  ``NO_DAY`` marks a
missing date (an open invoice, a customer that never defaults).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: sentinel day number meaning "no date" (becomes NaT)
NO_DAY = np.iinfo(np.int64).max


def day_number(value) -> int:
    """Day number (days since 1970-01-01) of a date-like value."""
    return int(np.datetime64(pd.Timestamp(value).date(), "D").astype(np.int64))


def to_datetime(days: np.ndarray) -> np.ndarray:
    """``datetime64[ns]`` array from day numbers; ``NO_DAY`` becomes NaT."""
    days = np.asarray(days, dtype=np.int64)
    missing = days == NO_DAY
    out = np.where(missing, 0, days).astype("datetime64[D]").astype("datetime64[ns]")
    out[missing] = np.datetime64("NaT")
    return out


def format_ids(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    """Ids ``prefix`` + zero-padded ``numbers`` as a pandas ``str`` Series.

    Formatting runs in Arrow (a cast and a pad), which is ~20x faster than Python
    f-strings for the ten million invoice ids of a large book.
    """
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")
    joined = pc.binary_join_element_wise(prefix, digits, "")
    return pd.Series(pd.array(joined, dtype="str"))


def id_width(count: int, minimum: int = 6) -> int:
    """Digits needed to number ``count`` items (at least ``minimum``)."""
    return max(minimum, len(str(max(int(count), 1))))


def take_str(values: pd.Series, index: np.ndarray) -> pd.Series:
    """``values[index]`` as a fresh ``str`` Series with a default RangeIndex."""
    return values.take(np.asarray(index, dtype=np.int64)).reset_index(drop=True)


def str_concat(*parts) -> np.ndarray:
    """Element-wise concatenation of string arrays and scalars (numpy StringDType)."""
    out = None
    for part in parts:
        if not isinstance(part, str):
            part = np.asarray(part).astype(np.dtypes.StringDType())
        out = part if out is None else np.strings.add(out, part)
    return out


def choose(words: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    """Words picked by integer ``index`` as a StringDType array."""
    return np.asarray(words, dtype=np.dtypes.StringDType())[index]


def segment_starts(counts: np.ndarray) -> np.ndarray:
    """Start offset of each segment in a flat array holding ``counts[i]`` items per segment."""
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def month_grid(start_day: int, end_day: int) -> tuple[np.ndarray, np.ndarray]:
    """First day of each calendar month overlapping [start_day, end_day] and the
    (exclusive) end of that month clipped to the window: ``(month_lo, month_hi)``."""
    first = np.datetime64(start_day, "D").astype("datetime64[M]")
    last = np.datetime64(end_day, "D").astype("datetime64[M]")
    months = np.arange(first, last + 1)
    lo = months.astype("datetime64[D]").astype(np.int64)
    hi = (months + 1).astype("datetime64[D]").astype(np.int64)
    return np.maximum(lo, start_day), np.minimum(hi, end_day + 1)


def year_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of day numbers."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
