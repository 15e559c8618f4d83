"""Validation of Portfolio tables at the boundary.

Every rule of DESIGN.md section 2 is checked here and nowhere deeper in the kit.  A
violation is one row of a tidy DataFrame (``table, column, check, key, value``); the
rows are collected over all tables (pandera's lazy mode) and either raised together as a
:class:`DataValidationError` or returned to the caller (``errors="report"``).

Nothing is dropped or coerced silently.  The only conversions made are lossless ones
(datetime unit to ``ns``, integer to float in money columns, Python strings to the
``str`` dtype, integral floats to ``int64`` in count columns) and the parsing of text
read from CSV, whose failures are violations (``parseable_date``, ``parseable_number``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._core.errors import RiskkitError
from .schemas import (
    CUSTOMER_REFERENCES,
    FOREIGN_KEY_TABLES,
    NOT_BEFORE_ONBOARDING,
    NOT_BEFORE_REFERENCE,
    SHARE_TOLERANCE,
    TABLES,
    TableSpec,
    pandera_schema,
)

__all__ = ["DataValidationError", "VIOLATION_COLUMNS", "normalise_table", "validate_tables"]

VIOLATION_COLUMNS = ["table", "column", "check", "key", "value"]
#: how many offending keys an error message lists per check
_KEYS_SHOWN = 5

# pandera's built-in check names -> the business rule they enforce
_PANDERA_CHECK_NAMES = {
    "not_nullable": "not_null",
    "field_uniqueness": "unique_key",
    "multiple_fields_uniqueness": "unique_key",
    "column_in_dataframe": "required_column",
}


class DataValidationError(RiskkitError, ValueError):
    """Input data broke a rule of the Portfolio data model.

    The message names, for each failed check, the table, the column, the check and the
    first offending row keys with their count.  The full list is in ``violations``.

    Attributes
    ----------
    violations : pandas.DataFrame
        One row per offending row and check: ``table, column, check, key, value``.
    """

    def __init__(self, violations: pd.DataFrame, context: str = ""):
        self.violations = violations.reset_index(drop=True)
        super().__init__(format_violations(self.violations, context))


def format_violations(violations: pd.DataFrame, context: str = "") -> str:
    """A readable multi-line summary of a violations frame, grouped by check."""
    head = "Portfolio data failed validation"
    if context:
        head += f" ({context})"
    groups = violations.groupby(["table", "column", "check"], sort=False, dropna=False)
    lines = [f"{head}: {groups.ngroups} failed check(s), {len(violations)} violation(s)."]
    for (table, column, check), rows in groups:
        keys = [str(k) for k in rows["key"].head(_KEYS_SHOWN)]
        more = f" (+{len(rows) - len(keys)} more)" if len(rows) > len(keys) else ""
        where = f"{table}.{column}" if column else str(table)
        example = rows["value"].iloc[0]
        lines.append(
            f"  - {where}: check '{check}' failed for {len(rows)} row(s): "
            f"{', '.join(keys)}{more}; e.g. value {example}"
        )
    return "\n".join(lines)


def _violations(table: str, column: str, check: str, keys, values) -> pd.DataFrame:
    keys = list(keys)
    values = list(values) if not np.isscalar(values) else [values] * len(keys)
    return pd.DataFrame(
        {
            "table": table,
            "column": column,
            "check": check,
            "key": pd.Series([str(k) for k in keys], dtype="str"),
            "value": pd.Series([_show(v) for v in values], dtype="str"),
        },
        columns=VIOLATION_COLUMNS,
    )


def _show(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "<missing>"
    return repr(value) if isinstance(value, str) else str(value)


def _row_keys(df: pd.DataFrame, spec: TableSpec, rows) -> list[str]:
    """Human-readable keys of ``rows`` (positional or index labels) of ``df``."""
    key_cols = [k for k in spec.key if k in df.columns]
    sub = df.loc[rows, key_cols] if len(rows) else df.iloc[:0][key_cols]
    if not key_cols:
        return [f"row {r}" for r in rows]
    parts = []
    for col in key_cols:
        values = sub[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            parts.append(values.dt.strftime("%Y-%m-%d").fillna("NaT"))
        else:
            parts.append(values.astype("str").fillna("<missing>"))
    joined = parts[0]
    for p in parts[1:]:
        joined = joined + "|" + p
    label = "|".join(key_cols)
    return [f"{label}={k}" for k in joined]


# --------------------------------------------------------------------------- dtypes
#: the dates a ``datetime64[ns]`` column can hold (pandas' nanosecond range, whole days)
_FIRST_DAY = pd.Timestamp("1677-09-22")
_LAST_DAY = pd.Timestamp("2262-04-11")
#: integers beyond this are not all exact in float64 (53-bit mantissa); those that are not
#: would be rounded to a neighbour
_FLOAT_EXACT = 2**53
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# a time of day followed by a UTC offset or Z: "2024-01-31T00:00:00+08:00", "2024-01-31 10:00Z"
_ZONED = r"\d[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)\s*$|^\s*\d{4}-\d{2}-\d{2}[Zz]\s*$"
# an integer written without exponent: "12", "-3", "9007199254740993", "12.000"
_INTEGER_TEXT = r"\s*[+-]?\d+(?:\.0*)?\s*"


def normalise_table(name: str, df: pd.DataFrame, from_text: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bring a table to its schema dtypes, losslessly; report what cannot be.

    Parameters
    ----------
    name : str
        Table name (a key of ``riskkit.data.schemas.TABLES``).
    df : DataFrame
        The table as given or as read from a file.
    from_text : bool
        True when every column was read as text (CSV): dates and numbers are parsed and
        unparseable entries become ``parseable_date`` / ``parseable_number`` violations.

    Returns
    -------
    table : DataFrame
        A copy with a fresh RangeIndex and schema dtypes where conversion was lossless.
    violations : DataFrame
        Missing required columns, unparseable entries and dtypes that cannot be converted
        without loss.
    """
    table, violations, _ = _normalise(name, df, from_text)
    return table, violations


def _normalise(name: str, df: pd.DataFrame, from_text: bool):
    """:func:`normalise_table`, plus the cells that did not convert: column -> row labels
    (``None``: the whole column), so that value rules skip them instead of reporting the
    same cell twice (see :func:`validate_tables`)."""
    spec = TABLES[name]
    out = df.copy()
    out.index = pd.RangeIndex(len(out))
    found = []
    unconverted: dict[str, pd.Index | None] = {}
    missing = [c for c in spec.required_columns if c not in out.columns]
    for col in missing:
        found.append(_violations(name, col, "required_column", [f"columns={list(df.columns)}"], "<absent>"))
    for f in spec.fields:
        if f.name not in out.columns:
            continue
        converted, problems = _convert(out[f.name], f.kind, from_text)
        for check, rows in problems:
            if rows is None:  # whole-column dtype problem
                found.append(_violations(name, f.name, check, [f"dtype={out[f.name].dtype}"],
                                         f"expected {f.dtype}"))
                unconverted[f.name] = None
            else:
                found.append(_violations(name, f.name, check, _row_keys(out, spec, rows),
                                         out.loc[rows, f.name].tolist()))
                if unconverted.get(f.name, pd.Index([])) is not None:
                    unconverted[f.name] = unconverted.get(f.name, pd.Index([])).union(rows)
        if converted is not None:
            out[f.name] = converted
    violations = pd.concat(found, ignore_index=True) if found else _empty_violations()
    return out, violations, unconverted


def _empty_violations() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="str") for c in VIOLATION_COLUMNS})


def _convert(s: pd.Series, kind: str, from_text: bool):
    """Return (converted or None, [(check, offending row labels or None for the whole column)]).

    Offending cells of a converted column are NaT / NaN in it.
    """
    if kind in ("id", "str"):
        return _convert_text(s)
    if kind == "date":
        return _convert_date(s)
    if kind in ("float", "int"):
        if pd.api.types.is_bool_dtype(s.dtype):
            return None, [("numeric_dtype", None)]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            return _number_from_text(s, kind)
        if not pd.api.types.is_numeric_dtype(s.dtype):
            return None, [("numeric_dtype", None)]
        return (_float_from_numbers if kind == "float" else _int_from_numbers)(s)
    if kind == "bool":
        if pd.api.types.is_bool_dtype(s.dtype):
            return s.astype("bool"), []
        if from_text:
            text = s.astype("str").str.strip().str.lower()
            mapped = text.map({"true": True, "false": False, "1": True, "0": False})
            bad = mapped.isna()
            if bad.any():
                return None, [("parseable_bool", s.index[bad.to_numpy()])]
            return mapped.astype("bool"), []
        return None, [("bool_dtype", None)]
    raise ValueError(f"unknown field kind {kind!r}")


def _convert_text(s: pd.Series):
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return s.astype("str"), []
    if s.dtype == object:
        is_text = s.map(lambda v: isinstance(v, str) or v is None or (isinstance(v, float) and np.isnan(v)))
        if is_text.all():
            return s.astype("str"), []
        # the other cells stay text, so the rules still check them
        return s.where(is_text).astype("str"), [("text_dtype", s.index[~is_text.to_numpy()])]
    if len(s) == 0:
        return s.astype("str"), []
    return None, [("text_dtype", None)]


def _convert_date(s: pd.Series):
    """Dates as ``datetime64[ns]`` calendar days.

    Refused, never shifted: a UTC offset (``timezone_naive_date``: the book's dates are days
    of one calendar, and converting to UTC would move a day across midnight), a day
    outside what ``datetime64[ns]`` holds, 1677-09-22 to 2262-04-11 (``date_in_range``:
    sentinels such as 9999-12-31 or 0001-01-01), a time of day (``calendar_day``).
    """
    problems = []
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return None, [("timezone_naive_date", None)]
    if pd.api.types.is_datetime64_dtype(s.dtype):
        parsed = s
    elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype) or len(s) == 0:
        text = s.astype("str")
        blank = text.isna() | (text.str.strip() == "")
        # the pattern runs per row in Python; only text with a sign or Z after the day can match
        maybe = text.str.slice(10).str.contains(r"[-+Zz]", regex=True, na=False).to_numpy(dtype=bool)
        zoned = pd.Series(False, index=s.index)
        zoned.iloc[np.flatnonzero(maybe)] = text[maybe].str.contains(_ZONED, regex=True, na=False).to_numpy()
        parsed = pd.to_datetime(text.where(~blank & ~zoned), errors="coerce", format="ISO8601")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):  # an offset the pattern above missed
            return None, [("timezone_naive_date", None)]
        unparsed = parsed.isna() & ~blank & ~zoned
        if unparsed.any():
            problems.append(("parseable_date", s.index[unparsed.to_numpy()]))
        if zoned.any():
            problems.append(("timezone_naive_date", s.index[zoned.to_numpy()]))
    else:
        return None, [("date_dtype", None)]
    outside = ((parsed < _FIRST_DAY) | (parsed > _LAST_DAY)).to_numpy()
    if outside.any():
        problems.append(("date_in_range", s.index[outside]))
        parsed = parsed.where(~outside)
    dates = parsed.astype("datetime64[ns]")
    timed = dates.notna() & (dates != dates.dt.normalize())
    # a time of day would make the point-in-time cut (records dated on or before as_of)
    # depend on the hour, so it is a violation, not dropped
    if timed.any():
        problems.append(("calendar_day", s.index[timed.to_numpy()]))
    return dates, problems


def _number_from_text(s: pd.Series, kind: str):
    """Numbers from text without rounding: an integer written out that float64 cannot hold
    exactly (some past 2**53, e.g. 2**53 + 1: ``exact_in_float64``) or int64 cannot hold
    (``int64_range``) is a violation, never a rounded or wrapped value."""
    text = s.astype("str")
    blank = (text.isna() | (text.str.strip() == "")).to_numpy()
    as_float = pd.to_numeric(text.where(~blank), errors="coerce").astype("float64")
    values = as_float.to_numpy()
    problems = []
    unparsed = np.isnan(values) & ~blank
    if unparsed.any():
        problems.append(("parseable_number", s.index[unparsed]))
    # only a number of 16+ digits can leave the exact range: those (few) rows written as
    # integers are compared as Python ints, the others are floats as written
    long = np.flatnonzero(np.abs(values) >= _FLOAT_EXACT)
    integer_text = np.zeros(len(s), dtype=bool)
    integer_text[long] = text.iloc[long].str.fullmatch(_INTEGER_TEXT).fillna(False).to_numpy(dtype=bool)
    exact = {row: int(text.iloc[row].strip().split(".")[0]) for row in np.flatnonzero(integer_text)}
    if kind == "float":
        inexact = np.zeros(len(s), dtype=bool)
        inexact[[r for r, v in exact.items() if not _exact_in_float64(v, values[r])]] = True
        if inexact.any():
            problems.append(("exact_in_float64", s.index[inexact]))
            values = np.where(inexact, np.nan, values)
        return pd.Series(values, index=s.index, dtype="float64"), problems
    out_of_range = np.zeros(len(s), dtype=bool)
    out_of_range[[r for r, v in exact.items() if not _INT64_MIN <= v <= _INT64_MAX]] = True
    # a float written with an exponent or fraction: beyond int64, not finite, or fractional
    out_of_range |= ~integer_text & ~np.isnan(values) & ~((values >= _INT64_MIN) & (values < 2.0**63))
    fractional = ~np.isnan(values) & ~out_of_range & (values != np.round(values))
    missing = blank
    if missing.any():
        problems.append(("not_null", s.index[missing]))
    if out_of_range.any():
        problems.append(("int64_range", s.index[out_of_range]))
    if fractional.any():
        problems.append(("integer", s.index[fractional]))
    bad = unparsed | missing | out_of_range | fractional
    # past 2**63 as a float (int64 max written out rounds up to it), the exact value comes below
    ints = np.where(bad | ~(np.abs(values) < 2.0**63), 0, values).astype("int64")
    for row, v in exact.items():  # digits float64 rounded away
        if not bad[row]:
            ints[row] = v
    if bad.any():  # the good cells stay exact integers beside the bad ones (pandas' nullable Int64)
        return pd.Series(pd.arrays.IntegerArray(ints, bad), index=s.index), problems
    return pd.Series(ints, index=s.index), problems


def _exact_in_float64(integer: int, as_float: float) -> bool:
    """Whether ``integer`` is exactly the float64 ``as_float`` it parsed to (true up to
    2**53 and for some integers past it, e.g. 2**60, or 9449653838769832 written by
    :func:`riskkit.data.save_portfolio` from a float)."""
    return bool(np.isfinite(as_float)) and int(as_float) == integer


def _float_from_numbers(s: pd.Series):
    if pd.api.types.is_integer_dtype(s.dtype):
        # int64 to float64 rounds past 2**53; compare as integers, not as rounded floats
        big = ((s > _FLOAT_EXACT) | (s < -_FLOAT_EXACT)).fillna(False).to_numpy(dtype=bool, copy=True)
        for row in np.flatnonzero(big):  # few: compare those past 2**53 as Python ints
            value = int(s.iloc[row])
            big[row] = not _exact_in_float64(value, float(value))
        if big.any():
            return s.astype("float64").where(~big), [("exact_in_float64", s.index[big])]
    return s.astype("float64"), []


def _int_from_numbers(s: pd.Series):
    if pd.api.types.is_integer_dtype(s.dtype):
        missing = s.isna().to_numpy()
        big = (s > _INT64_MAX).fillna(False).to_numpy(dtype=bool)  # numpy's cast would wrap these
        problems = [(check, s.index[rows]) for check, rows in (("not_null", missing), ("int64_range", big))
                    if rows.any()]
        if problems:
            bad = missing | big
            ints = s.where(~bad, 0).to_numpy(dtype="int64")  # in range once the bad cells are 0
            return pd.Series(pd.arrays.IntegerArray(ints, bad), index=s.index), problems
        return s.astype("int64"), []  # not through float64, which loses digits past 2**53
    values = s.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(values)
    out_of_range = ~missing & ~((values >= _INT64_MIN) & (values < 2.0**63))
    fractional = ~missing & ~out_of_range & (values != np.round(values))
    problems = [(check, s.index[rows]) for check, rows in
                (("not_null", missing), ("int64_range", out_of_range), ("integer", fractional)) if rows.any()]
    if problems:
        return None, problems
    return pd.Series(values.astype("int64"), index=s.index), []


# --------------------------------------------------------------------------- values
def _validate_values(name: str, df: pd.DataFrame, unconverted: dict | None = None) -> pd.DataFrame:
    spec = TABLES[name]
    from pandera.errors import SchemaErrors  # imported with the schema, on first validation

    unconverted = unconverted or {}
    df = df.drop(columns=[c for c, rows in unconverted.items() if rows is None and c in df.columns])
    schema = pandera_schema(spec, df.columns)
    try:
        schema.validate(df, lazy=True)
    except SchemaErrors as exc:
        return _translate_pandera(name, spec, df, exc.failure_cases, unconverted)
    return _empty_violations()


def _involved_columns(spec: TableSpec, column: str, check: str) -> tuple[str, ...]:
    """The columns a failed check reads: a row rule's columns, the key, or the column."""
    for rule in spec.rules:
        if rule.name == check:
            return rule.columns
    return spec.key if check == "unique_key" else (column,)


def _translate_pandera(name: str, spec: TableSpec, df: pd.DataFrame, cases: pd.DataFrame,
                       unconverted: dict | None = None) -> pd.DataFrame:
    rule_columns = {r.name: r.column for r in spec.rules}
    cases = cases.copy()
    cases["check"] = cases["check"].astype("str").map(lambda c: _PANDERA_CHECK_NAMES.get(c, c))
    # pandera reports a failed row rule or a duplicate key once per column of the row;
    # a violation is one per (rule, row), reported under the rule's column
    is_rule = cases["check"].isin(list(rule_columns))
    cases.loc[is_rule, "column"] = cases.loc[is_rule, "check"].map(rule_columns)
    is_key = cases["check"] == "unique_key"
    cases.loc[is_key, "column"] = spec.key[-1]
    cases["column"] = cases["column"].astype("str").fillna("")
    cases = cases.drop_duplicates(["column", "check", "index"])
    found = []
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
        rows = pd.Index(group["index"].dropna().astype("int64").unique())
        # a cell that did not convert is reported once, as such; a rule reading it is not
        # reported again for that row (its NaN / NaT would fail not_null or the rule)
        skipped = [unconverted[c] for c in _involved_columns(spec, column, check)
                   if unconverted and unconverted.get(c) is not None]
        if skipped and len(rows):
            rows = rows[~rows.isin(skipped[0].append(skipped[1:]) if len(skipped) > 1 else skipped[0])]
            if len(rows) == 0:
                continue
        if len(rows) == 0:
            found.append(_violations(name, column, check, ["<table>"], group["failure_case"].iloc[0]))
            continue
        values = df.loc[rows, column].tolist() if column in df.columns else group["failure_case"].tolist()
        found.append(_violations(name, column, check, _row_keys(df, spec, rows), values))
    return pd.concat(found, ignore_index=True) if found else _empty_violations()


def _foreign_keys(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    customers = tables.get("customers")
    if customers is None or "customer_id" not in customers.columns:
        return []
    known = pd.Index(customers["customer_id"].dropna().unique())
    found = []
    for name in FOREIGN_KEY_TABLES:
        df = tables.get(name)
        if df is None or "customer_id" not in df.columns or df.empty:
            continue
        unknown = ~df["customer_id"].isin(known) & df["customer_id"].notna()
        if unknown.any():
            rows = df.index[unknown.to_numpy()]
            found.append(_violations(name, "customer_id", "foreign_key_to_customers",
                                     _row_keys(df, TABLES[name], rows), df.loc[rows, "customer_id"].tolist()))
    return found


def _customer_references(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """References to rows of another table (``CUSTOMER_REFERENCES``, e.g. an invoice's
    ``order_id``): the row must exist (``foreign_key_to_<table>``) and belong to the same
    customer (e.g. ``order_same_customer``).  Empty references are allowed.

    A referred key that is repeated is left to that table's ``unique_key`` check (its
    first row is compared), a row with an unknown ``customer_id`` to the foreign-key check
    to ``customers``.
    """
    found = []
    for name, (column, target, key, same_customer) in CUSTOMER_REFERENCES.items():
        df = tables.get(name)
        if df is None or df.empty or column not in df.columns:
            continue
        ref = df[column]
        given = ref.notna().to_numpy()
        if not given.any():
            continue
        other = tables.get(target)
        if other is None or key not in other.columns:
            other = pd.DataFrame({key: pd.Series([], dtype="str"), "customer_id": pd.Series([], dtype="str")})
        other = other[other[key].notna()].drop_duplicates(key)
        pos = pd.Index(other[key]).get_indexer(ref)
        unknown = given & (pos < 0)
        if unknown.any():
            rows = df.index[unknown]
            found.append(_violations(name, column, f"foreign_key_to_{target}",
                                     _row_keys(df, TABLES[name], rows), df.loc[rows, column].tolist()))
        if "customer_id" in df.columns and "customer_id" in other.columns:
            owner = np.full(len(df), None, dtype=object)
            owner[pos >= 0] = other["customer_id"].to_numpy(dtype=object)[pos[pos >= 0]]
            own = df["customer_id"].to_numpy(dtype=object)
            known = given & (pos >= 0) & ~pd.isna(own) & ~pd.isna(owner)
            other_customer = known & (owner != own)
            if other_customer.any():
                rows = df.index[other_customer]
                found.append(_violations(
                    name, column, same_customer, _row_keys(df, TABLES[name], rows),
                    [f"{r} of customer {o}, not {c}" for r, o, c in
                     zip(ref.to_numpy(dtype=object)[other_customer], owner[other_customer], own[other_customer])]))
        if name in NOT_BEFORE_REFERENCE:
            date_col, their_col, check = NOT_BEFORE_REFERENCE[name]
            if date_col in df.columns and their_col in other.columns:
                theirs = np.full(len(df), np.datetime64("NaT"), dtype="datetime64[ns]")
                theirs[pos >= 0] = other[their_col].to_numpy(dtype="datetime64[ns]")[pos[pos >= 0]]
                mine = df[date_col].to_numpy(dtype="datetime64[ns]")
                # NaT compares False: missing dates are the not_null checks' business
                early = given & (pos >= 0) & (mine < theirs)
                if early.any():
                    rows = df.index[early]
                    found.append(_violations(
                        name, date_col, check, _row_keys(df, TABLES[name], rows),
                        [f"{str(m)[:10]}, before {r} of {str(t)[:10]}" for m, r, t in
                         zip(mine[early], ref.to_numpy(dtype=object)[early], theirs[early])]))
    return found


def _not_before_onboarding(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """Rows dated before their customer's onboarding (``<table>.<column>`` of
    ``NOT_BEFORE_ONBOARDING``), e.g. a credit decision for a customer not yet onboarded.

    Rows of unknown customers are left to the foreign-key check.
    """
    customers = tables.get("customers")
    if customers is None or not {"customer_id", "onboarded"} <= set(customers.columns):
        return []
    onboarded = customers.drop_duplicates("customer_id").set_index("customer_id")["onboarded"]
    found = []
    for name, column in NOT_BEFORE_ONBOARDING.items():
        df = tables.get(name)
        if df is None or df.empty or not {"customer_id", column} <= set(df.columns):
            continue
        since = onboarded.reindex(df["customer_id"]).to_numpy()
        early = (df[column].to_numpy() < since) & ~pd.isna(since)
        if early.any():
            rows = df.index[early]
            found.append(_violations(name, column, f"{column}_not_before_onboarded",
                                     _row_keys(df, TABLES[name], rows), df.loc[rows, column].tolist()))
    return found


#: share relation type -> the rule that the shares in force in one company sum to at most 1
_SHARE_TOTAL_RULES = {"shareholding": "total_owned_share_at_most_1", "control": "total_control_share_at_most_1"}


def _total_shares(relations: pd.DataFrame) -> list[pd.DataFrame]:
    """A company's shareholders may not hold, nor its controllers control, more than 100 % at any date.

    Shares are summed per type (``shareholding``, ``control``) over the relations in force
    at each date; a relation counts on ``[start, end)``.
    """
    needed = {"src", "dst", "type", "weight", "start", "end"}
    if relations is None or relations.empty or not needed <= set(relations.columns):
        return []
    lowest = pd.Timestamp("1677-09-22")  # the earliest datetime64[ns] day
    found = []
    for kind, check in _SHARE_TOTAL_RULES.items():
        holding = relations[relations["type"] == kind]
        if holding.empty:
            continue
        starts = pd.DataFrame({"dst": holding["dst"], "date": holding["start"].fillna(lowest),
                               "delta": holding["weight"], "order": 1})
        ended = holding["end"].notna()
        ends = pd.DataFrame({"dst": holding.loc[ended, "dst"], "date": holding.loc[ended, "end"],
                             "delta": -holding.loc[ended, "weight"], "order": 0})
        moves = pd.concat([starts, ends], ignore_index=True).sort_values(["dst", "date", "order"], kind="stable")
        moves["total"] = moves.groupby("dst", sort=False)["delta"].cumsum()
        peak = moves.groupby("dst", sort=False)["total"].max()
        over = peak[peak > 1 + SHARE_TOLERANCE]
        if len(over):
            found.append(_violations("relations", "weight", check,
                                     [f"dst={d}" for d in over.index], [f"{v:.6g}" for v in over.to_numpy()]))
    return found


def validate_tables(tables: dict[str, pd.DataFrame], unconverted: dict | None = None) -> pd.DataFrame:
    """All violations of the data-model rules in already-normalised tables.

    Checks, per table: nullability, unique keys, known categories, bounds and row rules
    (pandera); across rows: the total shareholding and the total control share in each
    company at every date; across tables: foreign keys to ``customers``, an invoice's
    ``order_id`` to an order of the same customer, and credit decisions not before the
    customer's onboarding.  Returns an empty frame when everything holds.

    ``unconverted`` (table -> column -> row labels, or None for a whole column) names the
    cells :func:`normalise_table` could not convert and already reported: whole columns are
    left out of every check, and a row is not checked again by a rule reading such a cell.
    So one pass reports every problem, each once.
    """
    unconverted = unconverted or {}
    tables = {name: df.drop(columns=[c for c, rows in unconverted.get(name, {}).items()
                                     if rows is None and c in df.columns])
              for name, df in tables.items() if df is not None}
    found = []
    customers = tables.get("customers")
    if customers is not None and len(customers) == 0:
        found.append(_violations("customers", "customer_id", "not_empty", ["<table>"], "0 rows"))
    for name, df in tables.items():
        if name in TABLES and df is not None:
            found.append(_validate_values(name, df, unconverted.get(name)))
    found.extend(_foreign_keys(tables))
    found.extend(_customer_references(tables))
    found.extend(_not_before_onboarding(tables))
    relations = tables.get("relations")
    if relations is not None and unconverted.get("relations"):
        rows = [r for c, r in unconverted["relations"].items() if r is not None and c in ("weight", "start", "end")]
        if rows:  # a share whose weight or dates did not parse cannot be dated or summed
            relations = relations.drop(index=rows[0].append(rows[1:]).unique())
    found.extend(_total_shares(relations))
    found = [f for f in found if len(f)]
    return pd.concat(found, ignore_index=True) if found else _empty_violations()
