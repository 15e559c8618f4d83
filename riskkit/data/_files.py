"""The table files of a portfolio folder: which file is which table, and reading them.

Every problem with a file (a name that is no table, a format riskkit does not read, a
partitioned folder, an unreadable file, a header with a blank or repeated name, a column
the data model does not know) is a violation row naming the table, the column and the file,
so that :func:`riskkit.data.load_portfolio` can report all of them in one pass with the
data-model rules.  What is accepted and refused is listed in README.md, section "What the
loader accepts and refuses".
"""

from __future__ import annotations

from dataclasses import dataclass
import difflib
from pathlib import Path

import pandas as pd

from .privacy import looks_like_pii
from .schemas import TABLE_ORDER, TABLES
from .template import TEMPLATE_DICTIONARY
from .validation import VIOLATION_COLUMNS

__all__ = ["TRUTH", "TableFile", "file_problem", "find_table_files", "read_table_file", "unknown_columns"]

TRUTH = "truth"
_NAMES = (*TABLE_ORDER, TRUTH)
#: file name ending (lower case) -> (format, compression)
_READABLE = {
    ".parquet": ("parquet", None),
    ".csv": ("csv", None),
    ".csv.gz": ("csv", "gzip"),
    ".csv.bz2": ("csv", "bz2"),
    ".csv.xz": ("csv", "xz"),
    ".csv.zip": ("csv", "zip"),
}
#: endings of files that hold data: one of them that is not a readable table file is refused
#: by name rather than skipped, so that a table cannot silently load zero rows
_DATA_ENDINGS = (".csv", ".tsv", ".parquet", ".pq", ".xlsx", ".xls", ".json", ".jsonl", ".feather", ".arrow",
                 ".orc", ".gz", ".bz2", ".xz", ".zip", ".zst", ".7z", ".tar")


@dataclass(frozen=True)
class TableFile:
    """One table file: its table, path, ``format`` (``csv``/``parquet``) and compression."""

    table: str
    path: Path
    format: str
    compression: str | None = None


def file_problem(table: str, check: str, key: str, detail: str, column: str = "") -> pd.DataFrame:
    """One violation row about a file or a column of it (``key``: the file name)."""
    return pd.DataFrame({"table": [table], "column": [column], "check": [check], "key": [key],
                         "value": [detail]}, columns=VIOLATION_COLUMNS).astype("str")


def _expected() -> str:
    return ", ".join(f"{t}.csv|.parquet" for t in TABLE_ORDER) + " or truth"


def _table_directory(entry: Path, table: str) -> pd.DataFrame:
    """A folder named like a table, e.g. ``customers/`` with part files or Spark's
    ``invoices.parquet/``: refused by name (one file per table is read).

    The one place a partitioned table is handled: to load parts, read them here.
    """
    return file_problem(table, "table_directory", entry.name + "/",
                    f"{entry.name}/ is a folder (a partitioned table?); riskkit reads one file per table: "
                    f"write {table}.parquet or {table}.csv")


def find_table_files(folder: Path) -> tuple[dict[str, TableFile], list[pd.DataFrame]]:
    """The table files of ``folder`` by table name, and the problems with its entries.

    Hidden entries (``.name``) and markers (``_SUCCESS``) are skipped, and so are files that
    hold no data (``README.md``, the template's ``data_dictionary.csv``); any other entry named like a table or ending like a data
    file must be a readable table file.  A file ending's case does not matter
    (``customers.CSV``); a table name's does (``Customers.csv`` is refused with a hint).
    """
    files: dict[str, TableFile] = {}
    problems = []
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if name.startswith((".", "_")) or name == TEMPLATE_DICTIONARY:
            continue  # the data dictionary `riskkit template` writes beside the tables is no table
        base, dot, rest = name.partition(".")
        ending = (dot + rest).lower()
        table = base.lower() if base.lower() in _NAMES else None
        if entry.is_dir():
            if table is not None:
                problems.append(_table_directory(entry, table))
            continue
        readable = _READABLE.get(ending)
        if readable is not None and base in _NAMES:
            if base in files:
                problems.append(file_problem(base, "one_file_per_table", name,
                                         f"table {base!r} is there twice ({files[base].path.name} and {name}); "
                                         "keep one"))
                continue
            files[base] = TableFile(base, entry, *readable)
        elif table is not None and readable is not None:
            problems.append(file_problem(table, "table_file_name", name,
                                     f"{name}: table names are lower case; rename it {table}{ending}"))
        elif table is not None:
            hint = (f"Parquet compresses inside the file: write {table}.parquet"
                    if ending.startswith((".parquet", ".pq"))
                    else f"use {table}.parquet, {table}.csv or {table}.csv.gz|.bz2|.xz|.zip")
            problems.append(file_problem(table, "file_format", name, f"{name}: a format riskkit does not read; {hint}"))
        elif readable is not None or any(ending.endswith(e) or ending.startswith(e) for e in _DATA_ENDINGS):
            close = difflib.get_close_matches(base.lower(), _NAMES, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(file_problem(base, "table_file_name", name,
                                     f"{name}: not a Portfolio table{hint}; expected one of {_expected()}"))
    return files, problems


def read_table_file(file: TableFile) -> tuple[pd.DataFrame | None, list[pd.DataFrame]]:
    """The table as read (CSV: every cell as text) and the problems found; ``None`` when
    the file cannot be read at all."""
    path = file.path
    if path.stat().st_size == 0:
        return None, [file_problem(file.table, "empty_file", path.name, "the file is empty (no header)")]
    try:
        if file.format == "parquet":
            df = pd.read_parquet(path)
            header = [str(c) for c in df.columns]
        else:
            # header=None: the header is read as a row, so that repeated or blank names are
            # seen as written (pandas would rename them "a.1" / "Unnamed: 3"), and a row with
            # more fields than the header is a ParserError naming the line (with a header
            # row, pandas would silently make the first column an index)
            raw = pd.read_csv(path, header=None, dtype="str", keep_default_na=False, na_values=[""],
                              compression=file.compression)
            if raw.empty:
                return None, [file_problem(file.table, "empty_file", path.name, "the file has no header")]
            header = raw.iloc[0].tolist()
            df = raw.iloc[1:].reset_index(drop=True)
    except Exception as exc:  # the reader's own message says what is wrong with the bytes
        return None, [file_problem(file.table, "readable_file", path.name, f"{type(exc).__name__}: {exc}")]
    names, problems = _header_names(header, file)
    df.columns = names
    if file.table in TABLES:
        problems.extend(unknown_columns(file.table, [n for n in names if n in header], path.name))
    return df, problems


def _header_names(header: list, file: TableFile) -> tuple[list[str], list[pd.DataFrame]]:
    """Unique column names; a blank or repeated header name is a violation, and its column
    is kept under a made-up name (``unnamed_4``, ``amount.2``) so nothing is lost."""
    names, problems, first = [], [], {}
    for position, name in enumerate(header, start=1):
        if not isinstance(name, str) or not name.strip():
            made = f"unnamed_{position}"
            problems.append(file_problem(file.table, "named_column", file.path.name,
                                     f"column {position} has no name in the header (a trailing comma?)", made))
            names.append(made)
        elif name in first:
            made = f"{name}.{position}"
            problems.append(file_problem(file.table, "unique_column_name", file.path.name,
                                     f"columns {first[name]} and {position} are both named {name!r}; "
                                     f"column {position} kept as {made!r}", name))
            names.append(made)
        else:
            first[name] = position
            names.append(name)
    return names, problems


def unknown_columns(table: str, columns, where: str) -> list[pd.DataFrame]:
    """A ``known_column`` violation for each column that table ``table`` does not define.

    Such a column is kept as read; the violation says whether it looks like a misspelt
    column of the data model, and whether it looks like personal data (which
    :func:`riskkit.data.mask_pii` masks, whatever the data model says).
    """
    spec_columns = TABLES[table].columns
    folded = {c.lower(): c for c in spec_columns}
    problems = []
    for column in columns:
        if column in spec_columns:
            continue
        exact = folded.get(str(column).strip().lower())
        if exact is not None:
            detail = f"differs from {exact!r} only by case or surrounding spaces"
        else:
            close = difflib.get_close_matches(str(column), spec_columns, n=1)
            detail = f"not in the data model (did you mean {close[0]!r}?)" if close else "not in the data model"
        detail += "; kept as read"
        if looks_like_pii(column):
            detail += "; looks like personal data, masked by mask_pii"
        problems.append(file_problem(table, "known_column", where, detail, str(column)))
    return problems
