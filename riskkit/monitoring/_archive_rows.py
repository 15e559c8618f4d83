"""Rows in and out of the archive: input frames checked against a table's contract, and
the one writer that appends them with ``seq`` and chained ``row_hash`` (see
:mod:`riskkit.monitoring._archive_schema`).  SQL here names only whitelisted tables and
columns; every value is bound or passed as a registered DataFrame."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd

from ._archive_errors import ArchiveInputError
from ._archive_schema import GENESIS, SEALED_TABLES, TABLES, chain

__all__ = ["now", "as_input", "where", "prepare", "json_text", "append", "heads", "seal", "one", "query_frame",
           "fix_structure"]


# --------------------------------------------------------------------------------------
# input frames


def now() -> pd.Timestamp:
    """Wall-clock time in UTC, naive, to the microsecond (DuckDB TIMESTAMP precision)."""
    return pd.Timestamp.now(tz="UTC").tz_localize(None).floor("us")


def as_input(data, table: str) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if not isinstance(data, pd.DataFrame):
        try:
            data = pd.DataFrame(list(data) if not isinstance(data, dict) else [data])
        except (TypeError, ValueError) as exc:
            raise ArchiveInputError(f"{table}: expected a DataFrame, got {type(data).__name__}") from exc
    frame = data
    if "customer_id" not in frame.columns and frame.index.name == "customer_id":
        frame = frame.reset_index()
    else:
        frame = frame.reset_index(drop=True)
    if not frame.columns.is_unique:
        dup = sorted(set(frame.columns[frame.columns.duplicated()].astype(str)))
        raise ArchiveInputError(f"{table}: duplicate column name(s) {dup}")
    bad = [c for c in frame.columns if not isinstance(c, str)]
    if bad:
        raise ArchiveInputError(f"{table}: column names must be str, got {bad[:5]}")
    return frame


def where(frame: pd.DataFrame, mask) -> str:
    """'3 row(s), e.g. customer_id C1, C7' or 'rows 0, 4' to name offending rows."""
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    if "customer_id" in frame.columns:
        ids = [str(v) for v in frame.loc[mask, "customer_id"].tolist()[:5]]
        return f"{n} row(s), e.g. customer_id {', '.join(ids)}"
    return f"{n} row(s), e.g. rows {', '.join(map(str, np.flatnonzero(mask)[:5]))}"


def _is_str(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return s.notna().to_numpy()
    return s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)


def _convert(s: pd.Series, kind: str, required: bool, table: str, column: str, frame: pd.DataFrame) -> pd.Series:
    missing = s.isna().to_numpy()
    label = f"{table}: column '{column}'"
    if required and missing.any():
        raise ArchiveInputError(f"{label}: missing values in {where(frame, missing)}")
    if kind in ("str", "json"):
        bad = ~missing & ~_is_str(s)
        if bad.any():
            raise ArchiveInputError(f"{label}: values must be str, not e.g. {type(s[bad].iloc[0]).__name__}, "
                                    f"in {where(frame, bad)}")
        return s.astype(object).where(~missing, None)
    if kind in ("float", "int"):
        if pd.api.types.is_bool_dtype(s.dtype):
            raise ArchiveInputError(f"{label}: must be numeric, got booleans")
        num = pd.to_numeric(s, errors="coerce") if not pd.api.types.is_numeric_dtype(s.dtype) else s
        bad = num.isna().to_numpy() & ~missing
        if bad.any():
            raise ArchiveInputError(f"{label}: values are not numbers in {where(frame, bad)}")
        num = num.astype("float64")
        if kind == "int":
            frac = ~missing & (np.floor(num.to_numpy()) != num.to_numpy())
            if frac.any():
                raise ArchiveInputError(f"{label}: values must be whole numbers in {where(frame, frac)}")
            return num.astype("Int64")
        return num
    if kind in ("date", "timestamp"):
        ts = pd.to_datetime(s, errors="coerce")
        bad = ts.isna().to_numpy() & ~missing
        if bad.any():
            raise ArchiveInputError(f"{label}: values are not dates in {where(frame, bad)}")
        if getattr(ts.dt, "tz", None) is not None:
            raise ArchiveInputError(f"{label}: dates must be timezone-naive")
        if kind == "date" and (ts.dropna() != ts.dropna().dt.normalize()).any():
            raise ArchiveInputError(f"{label}: must be calendar days without a time of day")
        return ts
    raise AssertionError(kind)


def prepare(table: str, data, fixed: dict, reserved: tuple = ()) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Check ``data`` against ``table``'s contract; return (columns frame, extra-columns frame)."""
    spec = TABLES[table]
    frame = as_input(data, table)
    taken = sorted(set(frame.columns) & ({"seq", "row_hash", "extra", *fixed, *reserved}))
    if taken:
        raise ArchiveInputError(f"{table}: column(s) {taken} are set by the archive, not by the caller")
    out = {}
    for col in spec.columns:
        if col.name in fixed:
            out[col.name] = fixed[col.name]
        elif col.name == "extra":
            continue
        elif col.name in frame.columns:
            out[col.name] = _convert(frame[col.name], col.kind, col.required, table, col.name, frame)
        elif col.required:
            raise ArchiveInputError(f"{table}: required column '{col.name}' is missing "
                                    f"(has: {list(frame.columns)[:20]})")
        else:
            out[col.name] = None
    prepared = pd.DataFrame(out, index=pd.RangeIndex(len(frame)))
    extra = None
    if "extra" in spec.names:
        prepared["extra"] = None
        rest = [c for c in frame.columns if c not in spec.names]
        if rest:
            extra = frame[rest]
            num = extra.select_dtypes(include="number")
            if len(num.columns):
                inf = np.isinf(num.to_numpy(dtype="float64", na_value=np.nan))
                if inf.any():
                    cols = list(num.columns[inf.any(axis=0)])
                    raise ArchiveInputError(f"{table}: column(s) {cols}: infinite values cannot be stored "
                                            f"as JSON, in {where(frame, inf.any(axis=1))}")
    return prepared, extra


def json_text(value, what: str, default: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return default
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError as exc:
            raise ArchiveInputError(f"{what}: not valid JSON: {value[:80]!r}") from exc
        return value
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ArchiveInputError(f"{what}: cannot be written as JSON: {exc}") from exc


# --------------------------------------------------------------------------------------
# low-level writing and reading (SQL names only whitelisted tables/columns; values are bound)


def append(con, table: str, frame: pd.DataFrame, extra: pd.DataFrame | None = None,
            extra_types: dict | None = None) -> int:
    """Insert ``frame`` (columns of ``TABLES[table]``) with seq and chained row hashes.

    ``extra_types``, when given, receives the JSON types of the ``extra`` columns.
    """
    spec = TABLES[table]
    n = len(frame)
    if n == 0:
        return 0
    last = one(con.execute(f"SELECT seq, row_hash FROM {table} ORDER BY seq DESC LIMIT 1"))
    start, prev = (int(last[0]) + 1, last[1]) if last else (0, GENESIS)
    new = frame[spec.names].copy()
    new.insert(0, "_rk_pos", np.arange(n, dtype="int64"))
    con.register("_rk_new", new)
    use_extra = extra is not None and len(extra.columns) > 0
    if use_extra:
        con.register("_rk_extra", extra.reset_index(drop=True))
    try:
        if use_extra and extra_types is not None:
            extra_types.update(_extra_types(con))
        cols = []
        for c in spec.columns:
            if c.name == "extra" and use_extra:
                cols.append("CAST(to_json(x) AS VARCHAR) AS extra")
            else:
                cols.append(f'CAST(n."{c.name}" AS {c.sql_type}) AS "{c.name}"')
        select = f"SELECT CAST(? AS BIGINT) + n._rk_pos AS seq, {', '.join(cols)} FROM _rk_new n"
        if use_extra:
            # to_json is the costly part: compute it once into a staging table
            try:
                con.execute(f"CREATE OR REPLACE TEMP TABLE _rk_stage AS {select} POSITIONAL JOIN _rk_extra x",
                            [start])
            except duckdb.Error as exc:
                raise ArchiveInputError(f"{table}: the frame could not be stored: {exc}") from exc
            source, params = "_rk_stage", []
        else:
            # plain casts are cheap and deterministic: hash and insert the same SELECT
            source, params = f"({select})", [start]
        try:
            contents = [r[0] for r in con.execute(
                f"SELECT sha256({spec.canonical_sql()}) FROM {source} ORDER BY seq", params).fetchall()]
        except duckdb.Error as exc:
            raise ArchiveInputError(f"{table}: the frame could not be stored: {exc}") from exc
        hashes = pd.DataFrame({"seq": np.arange(start, start + n, dtype="int64"), "row_hash": chain(contents, prev)})
        con.register("_rk_hash", hashes)
        con.execute(f"INSERT INTO {table} ({spec.quoted()}, seq, row_hash) SELECT {spec.quoted('s')}, "
                    f"s.seq, h.row_hash FROM {source} s JOIN _rk_hash h ON s.seq = h.seq ORDER BY s.seq", params)
        if use_extra:
            con.execute("DROP TABLE _rk_stage")
    finally:
        for view in ("_rk_new", "_rk_extra", "_rk_hash"):
            try:
                con.unregister(view)
            except duckdb.Error:
                pass
    return n


def heads(con) -> dict:
    rows = con.execute(" UNION ALL ".join(
        f"SELECT '{t}', count(*), arg_max(row_hash, seq) FROM {t}" for t in SEALED_TABLES)).fetchall()
    return {t: [int(n), h] for t, n, h in rows}


def seal(con, kind: str, run_id: str | None) -> None:
    sealed = json.dumps(heads(con), sort_keys=True)
    append(con, "commits", pd.DataFrame({"kind": [kind], "run_id": [run_id], "at": [now()], "heads": [sealed]}))


def one(cursor):
    """First row of a result or None (fetching all: DuckDB 2 wants results finished)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def query_frame(con, sql: str, params=()) -> pd.DataFrame:
    return con.execute(sql, list(params)).fetchdf()


def _extra_types(con) -> dict:
    """``{column: json_transform type}`` of the registered ``_rk_extra`` frame."""
    out = {}
    for name, sql_type, *_ in con.execute("DESCRIBE SELECT * FROM _rk_extra").fetchall():
        t = sql_type.upper()
        if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
            out[name] = "DOUBLE"
        elif t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
                   "HUGEINT"):
            out[name] = "BIGINT"
        elif t == "BOOLEAN":
            out[name] = "BOOLEAN"
        elif t in ("VARCHAR", "DATE") or t.startswith(("ENUM", "TIMESTAMP", "TIME")):
            out[name] = "VARCHAR"  # to_json writes dates and categories as strings
        else:
            out[name] = "JSON"
    return out


def fix_structure(structure: str) -> str:
    """json_group_structure -> a json_transform target with pandas-friendly types."""
    def fix(node):
        if isinstance(node, dict):
            return {k: fix(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        return {"HUGEINT": "BIGINT", "UBIGINT": "BIGINT", "NULL": "VARCHAR"}.get(node, node)
    return json.dumps(fix(json.loads(structure)))
