"""Reading and writing a Portfolio as a folder of Parquet or CSV files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._files import TRUTH, file_problem, find_table_files, read_table_file
from .partitioned import is_partitioned, load_partitioned
from .portfolio import Portfolio, _validate_tables_read
from .schemas import TABLE_ORDER, empty_table
from .validation import DataValidationError

__all__ = ["load_portfolio", "save_portfolio"]

_FORMATS = {"parquet": ".parquet", "csv": ".csv"}


def save_portfolio(portfolio: Portfolio, path, format: str = "parquet") -> None:
    """Write ``portfolio`` into the folder ``path``: one ``<table>.<format>`` per table.

    Tables are written whether empty or not, so a reader sees every column.  CSV dates
    are ISO 8601 and floats are written with full precision, so that loading gives back
    the same values and dtypes; lines end in CRLF (RFC 4180), so that any text survives.
    """
    if format not in _FORMATS:
        raise ValueError(f"format must be one of {sorted(_FORMATS)}, got {format!r}")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():  # a folder holds one portfolio in one format
        if stale.suffix in _FORMATS.values() and stale.stem in (*TABLE_ORDER, TRUTH):
            stale.unlink()
    tables = dict(portfolio.tables)
    if portfolio.truth is not None:
        tables[TRUTH] = portfolio.truth
    for name, df in tables.items():
        target = folder / f"{name}{_FORMATS[format]}"
        if format == "parquet":
            df.to_parquet(target, index=False)
        else:
            # CRLF line ends (RFC 4180) make the csv writer quote a text holding a bare "\r",
            # which it leaves unquoted under "\n" line ends and every reader takes as a line end
            df.to_csv(target, index=False, date_format="%Y-%m-%dT%H:%M:%S", lineterminator="\r\n")


def load_portfolio(path, errors: str = "raise"):
    """Load and validate a Portfolio from a folder of CSV or Parquet files.

    Parameters
    ----------
    path : str or Path
        A folder with one file per table, ``<table>.parquet`` or ``<table>.csv`` (also
        ``.csv.gz``, ``.csv.bz2``, ``.csv.xz``, ``.csv.zip``; the ending in any case),
        ``customers`` required, others optional, and optionally ``truth``.
        Or a partitioned book (see :mod:`riskkit.data.partitioned`), validated partition by
        partition and returned whole, its violations with a ``partition`` column.
    errors : {"raise", "report"}
        ``"raise"``: raise :class:`DataValidationError` naming table, column, check and
        offending keys (or file).  ``"report"``: return ``(portfolio, violations)``
        instead, the portfolio built from the data as read (unvalidated; a table whose
        file cannot be read is empty).

    Returns
    -------
    Portfolio, or (Portfolio, DataFrame) when ``errors="report"``.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        ``path`` is not a folder, or holds no table file at all.
    DataValidationError
        (``errors="raise"``) Anything listed in the violations.

    Notes
    -----
    One pass finds every problem: with the folder's entries (a file that is no table, a
    format riskkit does not read, a partitioned table folder, a table twice, CSV and
    Parquet mixed), with each file (unreadable, a header name blank or repeated, a column
    the data model does not know), with each cell (``parseable_date``,
    ``parseable_number``, ``timezone_naive_date``, ``date_in_range``, ``int64_range``,
    ``exact_in_float64``) and with every data-model rule, in every table.  Nothing is
    dropped or coerced: every row read is in the result.  README.md, "What the loader
    accepts and refuses", lists the rules.  ``data_dictionary.csv``, which
    ``riskkit template`` writes beside the table files, is no table and is skipped.
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
    files, problems = find_table_files(folder)
    if not files and not problems:
        raise FileNotFoundError(f"portfolio folder {str(path)!r} has no customers.parquet or customers.csv "
                                "(no table file at all)")
    if "customers" not in files and not any((p["table"] == "customers").any() for p in problems):
        problems.append(file_problem("customers", "required_table", folder.name,
                                     "no customers.parquet or customers.csv"))
    formats = {f.format for f in files.values()}
    if len(formats) > 1:
        counts = pd.Series([f.format for f in files.values()]).value_counts()
        fewer = counts.index[-1]
        for file in files.values():
            if file.format == fewer:
                problems.append(file_problem(
                    file.table, "one_format", file.path.name,
                    f"portfolio folder mixes CSV and Parquet files ({file.path.name} is {fewer}); use one format"))
    frames = {}
    for name, file in files.items():
        frame, found = read_table_file(file)
        problems.extend(found)
        if frame is not None:
            frames[name] = frame
    truth = frames.pop(TRUTH, None)
    if truth is not None and files[TRUTH].format == "csv":
        try:
            truth = _parse_truth_csv(truth)
        except (ValueError, TypeError) as exc:  # ground truth is no model input: kept as text
            problems.append(file_problem(TRUTH, "parseable_truth", files[TRUTH].path.name, str(exc)))
    unreadable = [name for name in TABLE_ORDER if name in files and name not in frames]
    if "customers" not in frames:
        frames["customers"] = empty_table("customers")
        unreadable.append("customers")
    from_text = {name: files[name].format == "csv" for name in frames if name in files}
    tables, violations = _validate_tables_read(frames, from_text=from_text, unreadable=unreadable)
    violations = pd.concat([*problems, violations], ignore_index=True).astype("str")
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
