"""The archive's tables, their canonical row serialisation and the hash chain.

One place defines every archived table (a fixed whitelist: SQL only ever names these
tables and columns), the DDL, and the canonical form that a row's ``row_hash`` covers.

Canonical form of a row (schema versions 1 and 2)
------------------------------------------
``"<table>|<seq>|" + enc(v1) + enc(v2) + ...`` over the table's data columns in the order
listed here, where ``enc(v) = "<n>:<text>"`` with ``text = CAST(v AS VARCHAR)`` (DuckDB's
text form of the stored value) and ``n`` its length in UTF-8 bytes, and ``enc(NULL) = "~"``.
The length prefix makes the encoding unambiguous (a netstring: no separator inside a value
can shift a boundary).  It is computed *by DuckDB from the stored values*, both when a row
is written and when it is verified, so writing and checking can never disagree about how a
float or a timestamp prints.

Chain: ``content = sha256_hex(canonical)``; ``row_hash = sha256_hex(prev_row_hash + content)``
(both hex strings, ASCII), ``prev_row_hash`` being the ``row_hash`` of the row with the
previous ``seq`` of the same table and ``GENESIS`` (64 zeros) for ``seq = 0``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

__all__ = ["SCHEMA_VERSION", "GENESIS", "TABLES", "CHAINED_TABLES", "SEALED_TABLES", "TableSpec", "Col",
           "chain", "link_ok"]

#: bumped whenever a table, a column or the canonical form changes
#: (2: ``actions`` gained ``action_id, status, first_seen_run`` and ``level`` became ``priority``;
#: new table ``action_events``, the recommended actions' life cycle)
SCHEMA_VERSION = 2
GENESIS = "0" * 64


@dataclass(frozen=True)
class Col:
    """One archived column: name, DuckDB type, and how an input frame supplies it."""

    name: str
    sql_type: str
    kind: str  # str | float | int | date | timestamp | json
    required: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A chained, append-only table: data columns in canonical order, then ``seq, row_hash``."""

    name: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]  # columns that name a row in error messages and verify() reports

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def quoted(self, alias: str = "") -> str:
        """The data columns as a quoted SQL list (``at`` and ``timestamp`` are keywords)."""
        pre = f"{alias}." if alias else ""
        return ", ".join(f'{pre}"{c}"' for c in self.names)

    def ddl(self) -> str:
        cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in self.columns)
        return (f"CREATE TABLE IF NOT EXISTS {self.name} ({cols}, "
                f"seq BIGINT NOT NULL, row_hash VARCHAR NOT NULL)")

    def canonical_sql(self, alias: str = "") -> str:
        """SQL expression of the canonical text of a row (see the module docstring)."""
        pre = f"{alias}." if alias else ""
        parts = [f"'{self.name}|' || CAST({pre}seq AS VARCHAR) || '|'"]
        for c in self.columns:
            ref = f'{pre}"{c.name}"'
            text = f"CAST({ref} AS VARCHAR)"
            parts.append(f"CASE WHEN {ref} IS NULL THEN '~' "
                         f"ELSE CAST(strlen({text}) AS VARCHAR) || ':' || {text} END")
        return " || ".join(parts)


def _s(name, required=False):
    return Col(name, "VARCHAR", "str", required)


def _f(name, required=False):
    return Col(name, "DOUBLE", "float", required)


_RUN = _s("run_id", True)

TABLES: dict[str, TableSpec] = {t.name: t for t in (
    TableSpec("runs", (
        _RUN, Col("as_of", "DATE", "date", True), Col("started_at", "TIMESTAMP", "timestamp", True),
        Col("finished_at", "TIMESTAMP", "timestamp"), _s("riskkit_version"), _s("rules_hash"),
        _s("config_hash"), _s("data_fingerprint"), _s("status", True), _s("note"),
        Col("snapshot_fields", "VARCHAR", "json"),
    ), ("run_id", "status")),
    TableSpec("snapshots", (
        _RUN, _s("customer_id", True), _f("score"), _f("pd"), _s("grade"), _f("credit_limit"),
        _f("ead"), _f("expected_loss"), Col("extra", "VARCHAR", "json"),
    ), ("run_id", "customer_id")),
    TableSpec("alerts", (
        _s("alert_id", True), _RUN, _s("customer_id", True), _s("rule", True), _s("level", True),
        _s("message", True), Col("evidence", "VARCHAR", "json"), Col("recipients", "VARCHAR", "json"),
        _s("first_seen_run", True), _s("status", True), Col("extra", "VARCHAR", "json"),
    ), ("run_id", "customer_id", "rule")),
    TableSpec("alert_events", (
        _RUN, _s("alert_id", True), _s("customer_id", True), _s("rule", True), _s("event", True),
        _s("level", True), _s("previous_level"), Col("at", "TIMESTAMP", "timestamp", True),
    ), ("run_id", "alert_id", "event")),
    TableSpec("overrides", (
        _RUN, _s("customer_id", True), _s("from_grade"), _s("to_grade", True), Col("notches", "BIGINT", "int"),
        _s("reason", True), _s("author", True), Col("timestamp", "TIMESTAMP", "timestamp"),
        Col("extra", "VARCHAR", "json"),
    ), ("run_id", "customer_id")),
    TableSpec("limit_decisions", (
        _RUN, _s("customer_id", True), _f("credit_limit", True), _f("previous_limit"), _s("method"),
        _s("reason"), _s("decided_by"), Col("extra", "VARCHAR", "json"),
    ), ("run_id", "customer_id")),
    # what each run recommended (due_date as recommended that night), with its life-cycle status
    TableSpec("actions", (
        _s("action_id", True), _RUN, _s("customer_id", True), _s("action", True), _s("priority"), _s("reason"),
        _s("owner"), Col("due_date", "DATE", "date"), _s("first_seen_run", True), _s("status", True),
        Col("extra", "VARCHAR", "json"),
    ), ("run_id", "customer_id", "action")),
    # the work items' life cycle: one row per run event, and one per controller close (run_id:
    # the latest committed run when closed); due_date is the work item's (kept while open)
    TableSpec("action_events", (
        _RUN, _s("action_id", True), _s("customer_id", True), _s("action", True), _s("event", True),
        _s("priority"), _s("previous_priority"), _s("owner"), Col("due_date", "DATE", "date"), _s("closed_by"),
        _s("outcome"), _s("note"), Col("at", "TIMESTAMP", "timestamp", True),
    ), ("run_id", "action_id", "event")),
    TableSpec("outbox", (
        _s("message_id", True), _RUN, _s("channel", True), _s("recipient", True), _s("subject", True),
        _s("body", True), Col("payload", "VARCHAR", "json"), Col("created_at", "TIMESTAMP", "timestamp", True),
    ), ("message_id",)),
    TableSpec("deliveries", (
        _s("message_id", True), Col("attempt", "BIGINT", "int", True), _s("status", True), _s("error"),
        Col("at", "TIMESTAMP", "timestamp", True),
    ), ("message_id", "attempt", "status")),
    # one seal per write transaction: row count and last row_hash of every other table
    TableSpec("commits", (
        _s("kind", True), _s("run_id"), Col("at", "TIMESTAMP", "timestamp", True),
        Col("heads", "VARCHAR", "json", True),
    ), ("kind", "run_id")),
)}

#: verification order: data tables first, the commit seals last
CHAINED_TABLES = tuple(TABLES)
SEALED_TABLES = tuple(t for t in TABLES if t != "commits")


def chain(contents, prev: str = GENESIS) -> np.ndarray:
    """Row hashes ``h_i = sha256_hex(h_{i-1} + c_i)`` over content hashes ``c_i`` (hex)."""
    out = np.empty(len(contents), dtype=object)
    sha = hashlib.sha256
    for i, c in enumerate(contents):  # inherently sequential; ~1 us per row
        prev = sha((prev + c).encode("ascii")).hexdigest()
        out[i] = prev
    return out


def link_ok(contents, stored, prev0: str = GENESIS) -> np.ndarray:
    """Per row: does ``stored_i == sha256_hex(stored_{i-1} + c_i)`` hold (local chain check)?

    Checking each link against the *stored* previous hash pinpoints every edited row
    instead of flagging every row after the first edit.
    """
    sha = hashlib.sha256
    prevs = [prev0, *stored[:-1]] if len(stored) else []
    return np.fromiter(
        ((p is not None and s is not None and c is not None
          and sha((p + c).encode("ascii")).hexdigest() == s) for p, c, s in zip(prevs, contents, stored)),
        dtype=bool, count=len(stored))
