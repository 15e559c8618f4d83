"""Reading and writing a Portfolio as a folder of Parquet or CSV files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .partitioned import is_partitioned, load_partitioned
from .portfolio import Portfolio, validate_portfolio
from .schemas import TABLE_ORDER
from .validation import DataValidationError

__all__ = ["load_portfolio", "save_portfolio"]

_FORMATS = {"parquet": ".parquet", "csv": ".csv"}
_TRUTH = "truth"


def save_portfolio(portfolio: Portfolio, path, format: str = "parquet") -> None:
    """Write ``portfolio`` into the folder ``path``: one ``<table>.<format>`` per table.

    Tables are written whether empty or not, so a reader sees every column.  CSV dates
    are ISO 8601 and floats are written with full precision, so that loading gives back
    the same values and dtypes.
    """
    if format not in _FORMATS:
        raise ValueError(f"format must be one of {sorted(_FORMATS)}, got {format!r}")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():  # a folder holds one portfolio in one format
        if stale.suffix in _FORMATS.values() and stale.stem in (*TABLE_ORDER, _TRUTH):
            stale.unlink()
    tables = dict(portfolio.tables)
    if portfolio.truth is not None:
        tables[_TRUTH] = portfolio.truth
    for name, df in tables.items():
        target = folder / f"{name}{_FORMATS[format]}"
        if format == "parquet":
            df.to_parquet(target, index=False)
        else:
            df.to_csv(target, index=False, date_format="%Y-%m-%dT%H:%M:%S")


def _read(file: Path) -> pd.DataFrame:
    if file.stat().st_size == 0:
        raise DataValidationError(_file_problem(file, "empty_file", "the file is empty (no header)"))
    try:
        if file.suffix == ".parquet":
            return pd.read_parquet(file)
        return pd.read_csv(file, dtype="str", keep_default_na=False, na_values=[""])
    except Exception as exc:  # the reader's own message says what is wrong with the bytes
        raise DataValidationError(
            _file_problem(file, "readable_file", f"{type(exc).__name__}: {exc}")) from exc


def _file_problem(file: Path, check: str, detail: str) -> pd.DataFrame:
    return pd.DataFrame({"table": [file.stem], "column": [""], "check": [check],
                         "key": [file.name], "value": [detail]})


def load_portfolio(path, errors: str = "raise"):
    """Load and validate a Portfolio from a folder of CSV or Parquet files.

    Parameters
    ----------
    path : str or Path
        A folder with one file per table, ``<table>.parquet`` or ``<table>.csv``
        (``customers`` required, others optional), and optionally ``truth``; or a
        partitioned book (see :mod:`riskkit.data.partitioned`), validated partition by
        partition and returned whole, its violations with a ``partition`` column.
    errors : {"raise", "report"}
        ``"raise"``: raise :class:`DataValidationError` naming table, column, check and
        offending keys.  ``"report"``: return ``(portfolio, violations)`` instead, the
        portfolio built from the data as read (unvalidated).

    Returns
    -------
    Portfolio, or (Portfolio, DataFrame) when ``errors="report"``.

    Notes
    -----
    Nothing is dropped or coerced: every row read is in the result, and text that does
    not parse as the column's type is a violation (``parseable_date``,
    ``parseable_number``).  Files whose name is not a table are an error, so that a typo
    cannot silently leave a table out.
    """
    if errors not in ("raise", "report"):
        raise ValueError(f"errors must be 'raise' or 'report', got {errors!r}")
    folder = Path(path)
    if not folder.exists():
        raise FileNotFoundError(f"portfolio folder {str(path)!r} does not exist")
    if is_partitioned(folder):
        return load_partitioned(folder, errors=errors)
    if not folder.is_dir():
        raise NotADirectoryError(f"{str(path)!r} is not a folder; a portfolio is a folder of table files")
    files = {}
    for file in sorted(folder.iterdir()):
        if file.suffix not in _FORMATS.values():
            continue
        if file.stem not in (*TABLE_ORDER, _TRUTH):
            raise ValueError(f"{file.name}: not a Portfolio table; expected one of "
                             f"{[t + '.csv|.parquet' for t in TABLE_ORDER]} or truth")
        if file.stem in files:
            raise ValueError(f"table {file.stem!r} is there twice ({files[file.stem].name} and {file.name}); keep one")
        files[file.stem] = file
    if "customers" not in files:
        raise FileNotFoundError(f"portfolio folder {str(path)!r} has no customers.parquet or customers.csv")
    frames = {name: _read(file) for name, file in files.items()}
    truth = frames.pop(_TRUTH, None)
    if truth is not None and files[_TRUTH].suffix == ".csv":
        truth = _parse_truth_csv(truth)
    from_text = {name: files[name].suffix == ".csv" for name in frames}
    if len(set(from_text.values())) > 1:
        raise ValueError(f"portfolio folder {str(path)!r} mixes CSV and Parquet files; use one format")
    tables, violations = validate_portfolio(frames, from_text=any(from_text.values()))
    portfolio = Portfolio(**tables, truth=truth, validate=False)
    if errors == "report":
        return portfolio, violations
    if len(violations):
        raise DataValidationError(violations, context=str(path))
    return portfolio


def _parse_truth_csv(truth: pd.DataFrame) -> pd.DataFrame:
    out = truth.copy()
    for col in out.columns:
        if col.endswith("_date"):
            out[col] = pd.to_datetime(out[col], format="ISO8601").astype("datetime64[ns]")
        elif col.endswith("_id"):
            continue
        else:
            lowered = out[col].str.lower()
            if lowered.isin(["true", "false"]).all():
                out[col] = lowered == "true"
            else:
                numeric = pd.to_numeric(out[col], errors="coerce")
                if numeric.notna().sum() == out[col].notna().sum():
                    out[col] = numeric
    return out
