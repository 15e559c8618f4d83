"""The monitoring archive: an embedded DuckDB file, append-only and hash-chained.

Every monitoring run leaves its inputs and outputs here (traceability, 可追溯): the run's
provenance (``runs``), one snapshot row per customer (``snapshots``), the alerts it raised
and their life cycle (``alerts``, ``alert_events``), expert ``overrides``,
``limit_decisions``, recommended ``actions`` and their life cycle as the controllers' work
list (``action_events``: opened, persisting, resolved, closed by a controller, ...; see
:mod:`riskkit.monitoring.actions`), and the notifications it queued (``outbox``) with
every delivery attempt (``deliveries``).

Use
---
>>> archive = Archive(":memory:")
>>> with archive.run(as_of="2024-06-30", rules_hash="r1") as run:   # doctest: +SKIP
...     run.add_snapshots(ratings)       # ratings frame indexed by customer_id
...     run.add_alerts(alerts)           # alerts frame (see riskkit.monitoring)
...     run.queue(compose_digests(alerts, run.info))
>>> archive.verify().ok                                           # doctest: +SKIP
True

Append-only
-----------
The API only ever INSERTs: a change is a new row (an alert that closes gets a ``closed``
row in ``alert_events``; a message that is delivered gets a ``sent`` row in
``deliveries``; a controller's close of an action gets a ``closed`` row in
``action_events``, sealed like a run).  Current states are derived as "the latest row"
(``open_alerts``, ``open_actions``).

Hash chain: what ``verify()`` detects
-------------------------------------
Every row of every table carries ``seq`` (0, 1, 2, ... per table) and
``row_hash = sha256(previous row_hash + sha256(canonical row))`` (canonical form and chain
in :mod:`riskkit.monitoring._archive_schema`; the canonical text is DuckDB's own text of the
stored values, so writing and checking agree by construction).  Every write transaction
ends with one row in ``commits`` that seals, for every other table, its row count and last
``row_hash`` at that moment; ``commits`` is chained too.  Hashing is per row and chained
row by row; the content hash is computed by DuckDB (vectorised ``sha256``) and only the
chaining step (one ``hashlib.sha256`` of 128 hex characters per row) runs in Python:
0.2-0.35 s per 100,000 rows.  ``bench/bench_archive.py`` times a whole run.

:meth:`Archive.verify` recomputes everything and reports, per table, the first broken row
(and all of them in ``problems``):

- a value edited behind the kit's back: the row's link no longer matches (named by table,
  ``seq`` and key, e.g. ``run_id``/``customer_id``); an edited ``row_hash`` likewise;
- a row deleted in the middle: a gap in ``seq`` (and a broken link after it);
- a row inserted: a duplicate ``seq`` or a link that does not match, or rows after the last
  commit seal;
- the last rows of a table deleted: the newest commit seal records more rows than remain;
- a whole tail of history rewritten consistently (every hash recomputed, or the last
  transaction removed with its seal) is *not* detectable from inside the file: anyone who
  can write the file can recompute an unkeyed chain.  Keep :meth:`Archive.head` (row
  counts and last hashes, 64 hex characters per table) somewhere else, e.g. in the run
  report or a notification, and pass it as ``verify(anchor=...)``: every row up to that
  anchor is then protected.

The ``meta`` table (schema version, creation time) is not chained.

Transactions and a process killed mid-run
-----------------------------------------
``with archive.run(...) as run:`` is one DuckDB transaction: everything the run adds, the
alert closures and the ``runs`` row are committed together on a normal exit and rolled
back on an exception (after which a ``runs`` row with ``status='failed'`` and the error
type and message is recorded in a transaction of its own).  A process that dies inside
the block (SIGKILL, power loss) leaves nothing: DuckDB's write-ahead log replays only
committed transactions, so on reopening the archive holds exactly the previous state and
``verify()`` passes.  No ``failed`` row can be written in that case.

Concurrency
-----------
DuckDB lets one process at a time open a file for writing.  An :class:`Archive` opens the
file only for the duration of one operation (a run, a query, a delivery pass) and closes
it afterwards, so processes take turns.  A process that finds the file in use retries
until ``timeout`` seconds have passed and then raises :class:`ArchiveBusyError`; it never
writes around the lock.  Within one process, archives on the same path share a lock, so
threads take turns too.  ``":memory:"`` keeps one private in-memory database.

Times (``started_at``, ``finished_at``, ``at``, ``created_at``) are UTC, naive, to the
microsecond.

Snapshot fields other than the core ratings columns
---------------------------------------------------
``snapshots`` keeps the core columns (``score, pd, grade, credit_limit, ead,
expected_loss``) typed, and every other column of the frame (e.g. the profile features
that monitoring compares with the previous snapshot) as one JSON object per customer in
``extra``, written by DuckDB's ``to_json`` and read back into typed columns with
``json_transform`` (vectorised, both ways), with the field types recorded in the run's
``snapshot_fields`` so reading needs no pass to discover them.  Measured in one session
on 100,000 customers x 25 fields (2 shared cores at load average 2-5, so wall-clock
figures are inflated): JSON write 0.9-1.1 s, hash 0.1 s, read 0.05-0.1 s; a long table
(customer, field, value) has 25x the rows, so hashing it cost 4-6 s and pivoting it back
3.6 s; a DuckDB MAP column cost 2.5 s to write and 1.7 s to hash.  JSON also keeps each
row self-describing, so runs whose profiles have different columns share one table.
JSON holds numbers, strings, booleans and null: missing floats become null (read back as
NaN), timestamps come back as ISO strings, categories as strings, and infinite floats are
refused.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from .. import __version__ as _VERSION
from .._core.dates import check_as_of
from . import _archive_rows as _rows
from ._archive_errors import ArchiveBusyError, ArchiveError, ArchiveInputError, ArchiveVersionError
from ._archive_schema import CHAINED_TABLES, SCHEMA_VERSION, SEALED_TABLES, TABLES, link_ok
from ._archive_schema import GENESIS as _GENESIS
from ._recipients import RecipientError, channel_of, mask_recipient
from .actions import CLOSE_OUTCOMES, default_priorities, reconcile_actions
from .alerts import reconcile_alerts
from .rules import MonitoringInputError
from .._core.levels import LEVELS

__all__ = ["Archive", "Run", "Outbox", "RunInfo", "VerifyResult", "RunDiff", "ArchiveError",
           "ArchiveBusyError", "ArchiveVersionError", "ArchiveInputError", "SCHEMA_VERSION"]

_CORE = ("score", "pd", "grade", "credit_limit", "ead", "expected_loss")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_DELIVERY_STATUS = ("sending", "sent", "failed")
#: what each schema version changed (named in the error for an older file)
_SCHEMA_CHANGES = {2: " (version 2 records the life cycle of recommended actions: actions.priority, "
                      "action_events)"}


# --------------------------------------------------------------------------------------
# result objects


@dataclass(frozen=True)
class RunInfo:
    """One row of ``runs``: a run's identity and provenance."""

    run_id: str
    as_of: pd.Timestamp
    started_at: pd.Timestamp
    finished_at: pd.Timestamp | None
    riskkit_version: str | None
    rules_hash: str | None
    config_hash: str | None
    data_fingerprint: str | None
    status: str
    note: str | None
    #: JSON ``{field: type}`` of the snapshot's ``extra`` fields (what ``snapshot()`` expands)
    snapshot_fields: str | None = None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :meth:`Archive.verify`.

    Attributes
    ----------
    ok : bool
        No problem found.
    table, seq, key, reason :
        The first problem (tables in the order of ``_archive_schema.CHAINED_TABLES``):
        table name, the row's ``seq``, its key columns (e.g. ``{"run_id": ..,
        "customer_id": ..}``; empty for a missing row) and what is wrong.  ``None`` when ok.
    rows : dict
        Rows checked per table.
    problems : DataFrame
        Every problem found: ``table, seq, key, reason`` (at most 100 per table).
    """

    ok: bool
    table: str | None
    seq: int | None
    key: dict
    reason: str | None
    rows: dict
    problems: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.problems.copy()

    def summary(self) -> str:
        total = sum(self.rows.values())
        if self.ok:
            return f"archive verified: {total} rows in {len(self.rows)} tables, hash chains and commit seals intact"
        return (f"archive BROKEN: {len(self.problems)} problem(s); first in table '{self.table}' "
                f"row seq {self.seq} {self.key}: {self.reason}")


@dataclass(frozen=True)
class RunDiff:
    """What changed from ``run_a`` to ``run_b`` (see :meth:`Archive.diff_runs`).

    Attributes
    ----------
    customers : DataFrame
        Indexed by ``customer_id``; ``change`` is ``new``, ``dropped`` or ``changed``;
        ``<field>_a``/``<field>_b`` for grade, pd, score, credit_limit, ead, expected_loss.
        Only customers with a difference (``IS DISTINCT FROM``, so NULL vs value counts).
    new_alerts, closed_alerts : DataFrame
        Alerts (customer_id, rule) raised in b but not in a / raised in a but not in b.
    level_changes : DataFrame
        Alerts in both with a different level: ``customer_id, rule, level_a, level_b``.
    """

    run_a: str
    run_b: str
    customers: pd.DataFrame
    new_alerts: pd.DataFrame
    closed_alerts: pd.DataFrame
    level_changes: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.customers.copy()

    def summary(self) -> str:
        c = self.customers["change"].value_counts() if len(self.customers) else {}
        both = self.customers[self.customers["change"] == "changed"]
        grade = int((both["grade_a"] != both["grade_b"]).sum())
        return (f"{self.run_a} -> {self.run_b}: {c.get('changed', 0)} customers changed "
                f"({grade} grade changes), {c.get('new', 0)} new, {c.get('dropped', 0)} dropped; alerts: "
                f"{len(self.new_alerts)} new, {len(self.closed_alerts)} closed, "
                f"{len(self.level_changes)} changed level")


# --------------------------------------------------------------------------------------
# the archive

_PATH_LOCKS: dict[str, threading.RLock] = {}
_PATH_LOCKS_GUARD = threading.Lock()


class Archive:
    """An append-only, hash-chained monitoring archive in one DuckDB file.

    Parameters
    ----------
    path : str or Path
        The DuckDB file (created with the schema if absent) or ``":memory:"``.
    timeout : float, default 0
        Seconds to wait for another process that holds the file; then
        :class:`ArchiveBusyError`.

    Raises
    ------
    ArchiveBusyError
        The file stays locked by another process for ``timeout`` seconds.
    ArchiveVersionError
        The file's schema version is not :data:`SCHEMA_VERSION`.
    ArchiveError
        The file is not a riskkit archive.

    See the module docstring for the tables, the hash chain and the guarantees.
    """

    def __init__(self, path, timeout: float = 0.0):
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
            raise ArchiveInputError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
        self.timeout = float(timeout)
        self._memory = str(path) == ":memory:"
        self.path = ":memory:" if self._memory else str(Path(path).resolve())
        if self._memory:
            self._lock = threading.RLock()
        else:
            with _PATH_LOCKS_GUARD:
                self._lock = _PATH_LOCKS.setdefault(self.path, threading.RLock())
        self._con = None
        self._in_run = False
        self._in_outbox = False
        if self._memory:
            self._con = duckdb.connect(":memory:")
            self._ensure_schema(self._con)
        else:
            with self._connect():
                pass

    def __repr__(self) -> str:
        return f"Archive({self.path!r}, timeout={self.timeout})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Close the in-memory database (file archives hold no connection between operations)."""
        if self._memory and self._con is not None:
            self._con.close()
            self._con = None

    # -- connections -------------------------------------------------------------------

    def _open(self):
        deadline = time.monotonic() + self.timeout
        wait = 0.02
        while True:
            try:
                con = duckdb.connect(self.path)
                break
            except duckdb.IOException as exc:
                text = str(exc)
                if "lock" not in text.lower():
                    raise ArchiveError(f"cannot open archive {self.path}: {text}") from exc
                left = deadline - time.monotonic()
                if left <= 0:
                    holder = re.search(r"PID \d+", text)
                    raise ArchiveBusyError(
                        f"archive {self.path} is in use by another process"
                        f"{' (' + holder.group(0) + ')' if holder else ''}; gave up after waiting "
                        f"{self.timeout:g} s (Archive(path, timeout=...) waits longer)") from None
                time.sleep(min(wait, left))
                wait = min(wait * 2, 0.5)
            except duckdb.Error as exc:
                raise ArchiveError(f"cannot open archive {self.path}: {exc}") from exc
        try:
            self._ensure_schema(con)
        except BaseException:
            con.close()
            raise
        return con

    @contextmanager
    def _connect(self):
        with self._lock:
            if self._con is not None:  # in-memory, or nested inside a run/outbox of this thread
                yield self._con
                return
            if self._memory:
                raise ArchiveError("the in-memory archive is closed")
            con = self._open()
            self._con = con
            try:
                yield con
            finally:
                self._con = None
                con.close()

    def _ensure_schema(self, con) -> None:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        if "meta" not in tables:
            if tables:
                raise ArchiveError(f"{self.path} is a DuckDB database but not a riskkit archive "
                                   f"(tables: {sorted(tables)[:10]})")
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
                for spec in TABLES.values():
                    con.execute(spec.ddl())
                con.executemany("INSERT INTO meta VALUES (?, ?)", [
                    ["schema_version", str(SCHEMA_VERSION)], ["created_at", str(_rows.now())],
                    ["created_by", f"riskkit {_VERSION}"]])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            return
        row = _rows.one(con.execute("SELECT value FROM meta WHERE key = ?", ["schema_version"]))
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise ArchiveError(f"{self.path}: meta table has no valid schema_version ({row!r})") from None
        if version != SCHEMA_VERSION:
            newer = version > SCHEMA_VERSION
            by = _rows.one(con.execute("SELECT value FROM meta WHERE key = ?", ["created_by"]))
            why = _SCHEMA_CHANGES.get(version + 1, "")
            raise ArchiveVersionError(
                f"{self.path} has archive schema version {version} (created by {by[0] if by else 'unknown'}); "
                f"this riskkit reads version {SCHEMA_VERSION}"
                + ("; upgrade riskkit to open it" if newer else
                   f" and has no migration from older versions{why}: rewriting archived rows would break their "
                   "hash chains, so start a new archive file (or read this one with the riskkit that wrote it)"))
        absent = [t for t in TABLES if t not in tables]
        if absent:
            raise ArchiveError(f"{self.path}: archive tables missing: {absent}")

    # -- writing -------------------------------------------------------------------------

    @contextmanager
    def run(self, as_of, *, rules_hash: str | None = None, config_hash: str | None = None,
            data_fingerprint: str | None = None, note: str | None = None, run_id: str | None = None):
        """Open a monitoring run: one transaction, committed on exit, rolled back on error.

        Parameters
        ----------
        as_of : date-like
            The run's point-in-time date (a calendar day).
        rules_hash, config_hash, data_fingerprint, note : str, optional
            Provenance stored in ``runs`` (hashes of the rule/config files and of the data).
        run_id : str, optional
            Default ``run-YYYYMMDD-<8 hex>``; letters, digits, ``. _ -`` (it becomes part of
            e-mail Message-IDs).

        Yields
        ------
        Run
        """
        as_of = check_as_of(as_of)
        for name, value in (("rules_hash", rules_hash), ("config_hash", config_hash),
                            ("data_fingerprint", data_fingerprint), ("note", note)):
            if value is not None and not isinstance(value, str):
                raise ArchiveInputError(f"{name} must be a str or None, got {type(value).__name__}")
        if run_id is None:
            run_id = f"run-{as_of:%Y%m%d}-{uuid.uuid4().hex[:8]}"
        elif not isinstance(run_id, str) or not _RUN_ID.match(run_id):
            raise ArchiveInputError(f"run_id must be 1-100 letters, digits, '.', '_', '-', got {run_id!r}")
        with self._connect() as con:
            if self._in_run or self._in_outbox:
                raise ArchiveError("a run or an outbox session is already open on this archive")
            if _rows.one(con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id])):
                raise ArchiveInputError(f"run_id {run_id!r} already exists in the archive")
            info = RunInfo(run_id, as_of, _rows.now(), None, _VERSION, rules_hash, config_hash,
                           data_fingerprint, "open", note)
            con.execute("BEGIN TRANSACTION")
            self._in_run = True
            run = Run(self, con, info)
            try:
                yield run
                run._finish()
                con.execute("COMMIT")
            except BaseException as exc:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                run._closed = True
                self._in_run = False
                self._record_failed(con, info, exc)
                raise
            finally:
                run._closed = True
                self._in_run = False

    def _record_failed(self, con, info: RunInfo, exc: BaseException) -> None:
        note = f"{type(exc).__name__}: {exc}"[:500]
        try:
            con.execute("BEGIN TRANSACTION")
            _rows.append(con, "runs", pd.DataFrame([{**info.to_dict(), "finished_at": _rows.now(), "status": "failed",
                                                "note": note}]))
            _rows.seal(con, "run_failed", info.run_id)
            con.execute("COMMIT")
        except Exception as err:  # keep the original error; say why the record is absent
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            exc.add_note(f"riskkit archive: the failed run {info.run_id} could not be recorded: {err}")

    @contextmanager
    def outbox(self):
        """A delivery session: holds the archive (so no other process delivers meanwhile).

        Yields
        ------
        Outbox
            ``pending()`` lists undelivered messages; ``record(...)`` stores one delivery
            attempt in a transaction of its own.
        """
        with self._connect() as con:
            if self._in_run or self._in_outbox:
                raise ArchiveError("a run or an outbox session is already open on this archive")
            self._in_outbox = True
            box = Outbox(con)
            try:
                yield box
            finally:
                box._closed = True
                self._in_outbox = False

    # -- reading -------------------------------------------------------------------------

    def table(self, name: str, run_id: str | None = None) -> pd.DataFrame:
        """Every row of one archived table (optionally of one run), in ``seq`` order."""
        if name not in TABLES:
            raise ArchiveInputError(f"unknown table {name!r}; tables: {list(TABLES)}")
        cols = TABLES[name].quoted() + ", seq, row_hash"
        with self._connect() as con:
            if run_id is None:
                return _rows.query_frame(con, f"SELECT {cols} FROM {name} ORDER BY seq")
            if "run_id" not in TABLES[name].names:
                raise ArchiveInputError(f"table {name!r} has no run_id")
            return _rows.query_frame(con, f"SELECT {cols} FROM {name} WHERE run_id = ? ORDER BY seq", [run_id])

    def runs(self) -> pd.DataFrame:
        """All runs (committed and failed), oldest first."""
        with self._connect() as con:
            return _rows.query_frame(con, f"SELECT {', '.join(TABLES['runs'].names)} FROM runs ORDER BY seq")

    def last_limit_decisions(self) -> pd.Series:
        """Run date (``as_of``) of each customer's latest limit decision in a committed run.

        One aggregate query (its cost grows with the customers, not with the years of
        history a full ``table("limit_decisions")`` would read).

        Returns
        -------
        Series
            Indexed by ``customer_id`` (sorted), datetime values; empty without decisions.
        """
        with self._connect() as con:
            out = _rows.query_frame(con, """
                SELECT l.customer_id, max(r.as_of) AS as_of FROM limit_decisions l
                JOIN runs r ON r.run_id = l.run_id AND r.status = 'committed'
                GROUP BY l.customer_id ORDER BY l.customer_id""")
        return out.set_index("customer_id")["as_of"]

    @staticmethod
    def _info(row) -> RunInfo:
        vals = list(row)
        for i in (1, 2, 3):
            vals[i] = pd.Timestamp(vals[i]) if vals[i] is not None else None
        return RunInfo(*vals)

    def run_info(self, run_id: str) -> RunInfo:
        """The committed (or failed) run ``run_id``; :class:`ArchiveError` if unknown."""
        with self._connect() as con:
            row = _rows.one(con.execute(f"SELECT {', '.join(TABLES['runs'].names)} FROM runs WHERE run_id = ? "
                              "ORDER BY seq DESC LIMIT 1", [run_id]))
        if row is None:
            raise ArchiveError(f"no run {run_id!r} in the archive")
        return self._info(row)

    def latest_run(self, before=None) -> RunInfo | None:
        """The latest committed run, or the latest with ``as_of`` strictly before ``before``.

        Ties on ``as_of`` (a re-run of the same day) go to the later commit.
        """
        cutoff = None if before is None else check_as_of(before, "before").date()
        with self._connect() as con:
            row = _rows.one(con.execute(
                f"SELECT {', '.join(TABLES['runs'].names)} FROM runs WHERE status = 'committed' "
                "AND (CAST(? AS DATE) IS NULL OR as_of < CAST(? AS DATE)) ORDER BY as_of DESC, seq DESC LIMIT 1",
                [cutoff, cutoff]))
        return None if row is None else self._info(row)

    def snapshot(self, run_id: str) -> pd.DataFrame:
        """The snapshot of run ``run_id``, indexed by ``customer_id``.

        Core columns (score, pd, grade, credit_limit, ead, expected_loss) followed by the
        fields stored in ``extra``, expanded into typed columns.
        """
        with self._connect() as con:
            found = _rows.one(con.execute("SELECT snapshot_fields FROM runs WHERE run_id = ? AND status = 'committed'",
                                     [run_id]))
            if found is not None:
                structure = found[0]
            elif self._in_run and _rows.one(con.execute("SELECT 1 FROM snapshots WHERE run_id = ? LIMIT 1", [run_id])):
                # the open run's own snapshot: its field types are not sealed yet
                structure = _rows.one(con.execute("SELECT json_group_structure(CAST(extra AS JSON)) FROM snapshots "
                                             "WHERE run_id = ?", [run_id]))[0]
                structure = _rows.fix_structure(structure) if structure and structure.startswith("{") else None
            else:
                raise ArchiveError(f"no committed run {run_id!r} in the archive")
            core = ", ".join(("customer_id", *_CORE))
            if structure is None:
                out = _rows.query_frame(con, f"SELECT {core} FROM snapshots WHERE run_id = ? ORDER BY seq", [run_id])
            else:
                out = _rows.query_frame(con, f"SELECT {core}, unnest(json_transform(CAST(extra AS JSON), ?)) "
                                             "FROM snapshots WHERE run_id = ? ORDER BY seq", [structure, run_id])
        return out.set_index("customer_id")

    def previous_snapshot(self, as_of) -> pd.DataFrame | None:
        """The snapshot of the latest committed run before ``as_of``; None if there is none."""
        info = self.latest_run(before=as_of)
        return None if info is None else self.snapshot(info.run_id)

    # raised_level: the level last notified (opened or escalated), which reconcile_alerts
    # needs so that an alert falling back and rising again is not notified twice
    _STATE_SQL = """
        SELECT alert_id, any_value(customer_id) AS customer_id, any_value(rule) AS rule,
               arg_max(event, seq) AS last_event, arg_max(level, seq) AS level,
               arg_max(level, seq) FILTER (WHERE event IN ('opened', 'escalated')) AS raised_level,
               arg_max(run_id, seq) AS last_run, arg_min(run_id, seq) AS first_seen_run
        FROM alert_events GROUP BY alert_id HAVING arg_max(event, seq) <> 'closed'
        ORDER BY customer_id, rule"""  # GROUP BY output order is undefined in DuckDB; closes must be reproducible

    def open_alerts(self) -> pd.DataFrame:
        """Alerts whose latest event is not ``closed``, with their latest observation.

        Columns: ``alert_id, customer_id, rule, level, message, evidence, recipients``
        (tuple), ``first_seen_run, first_seen_as_of, last_run, last_as_of, last_event``.
        """
        with self._connect() as con:
            out = _rows.query_frame(con, f"""
                WITH st AS ({self._STATE_SQL})
                SELECT st.alert_id, st.customer_id, st.rule, st.level, a.message, a.evidence, a.recipients,
                       st.first_seen_run, r1.as_of AS first_seen_as_of, st.last_run, r2.as_of AS last_as_of,
                       st.last_event
                FROM st JOIN alerts a ON a.alert_id = st.alert_id AND a.run_id = st.last_run
                LEFT JOIN runs r1 ON r1.run_id = st.first_seen_run AND r1.status = 'committed'
                LEFT JOIN runs r2 ON r2.run_id = st.last_run AND r2.status = 'committed'
                ORDER BY CASE st.level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END,
                         st.customer_id, st.rule""")
        out["recipients"] = [tuple(json.loads(r)) if isinstance(r, str) else () for r in out["recipients"]]
        return out

    # one row per action_id: its latest event and the work item's state (arg_max_null: a
    # missing priority, owner or due date in the latest row is the state, not a gap to skip)
    _ACTION_STATE_SQL = """
        SELECT action_id, any_value(customer_id) AS customer_id, any_value(action) AS action,
               arg_max(event, seq) AS last_event, arg_max_null(priority, seq) AS priority,
               arg_max_null(priority, seq) FILTER (WHERE event IN ('opened', 'reopened', 'escalated'))
                   AS raised_priority,
               arg_max_null(owner, seq) AS owner, arg_max_null(due_date, seq) AS due_date,
               arg_max(run_id, seq) AS last_run, arg_min(run_id, seq) AS first_seen_run,
               count(*) FILTER (WHERE event NOT IN ('resolved', 'closed')) AS age_runs,
               arg_max(closed_by, seq) AS closed_by, arg_max(outcome, seq) AS outcome, arg_max("at", seq) AS closed_at
        FROM action_events GROUP BY action_id"""

    def _action_state(self, con, pending: bool = False) -> pd.DataFrame:
        """Open actions (and, with ``pending``, those closed since the latest committed run)
        with ``first_seen``, the as_of of the run that opened them."""
        keep = "st.last_event NOT IN ('resolved', 'closed')"
        if pending:
            keep += (" OR (st.last_event = 'closed' AND st.last_run = (SELECT run_id FROM runs "
                     "WHERE status = 'committed' ORDER BY seq DESC LIMIT 1))")
        state = _rows.query_frame(con, f"""
            WITH st AS ({self._ACTION_STATE_SQL})
            SELECT st.*, r.as_of AS first_seen FROM st
            LEFT JOIN (SELECT run_id, any_value(as_of) AS as_of FROM runs GROUP BY run_id) r
                   ON r.run_id = st.first_seen_run
            WHERE {keep} ORDER BY st.customer_id, st.action""")
        state["first_seen"] = pd.to_datetime(state["first_seen"]).astype("datetime64[ns]")
        state["due_date"] = pd.to_datetime(state["due_date"]).astype("datetime64[ns]")
        for column in ("priority", "raised_priority", "owner"):
            state[column] = state[column].astype(object).where(state[column].notna(), None)
        return state

    def open_actions(self, as_of=None) -> pd.DataFrame:
        """The credit controllers' work list: recommended actions still open.

        An action is open from the run that recommends it while it is not open
        (``opened``/``reopened``) until a run no longer recommends it (``resolved``) or a
        controller closes it (:meth:`close_action`); see :mod:`riskkit.monitoring.actions`.

        Parameters
        ----------
        as_of : date-like, optional
            The day against which ``age_days`` and ``overdue`` are measured (default: the
            ``as_of`` of the latest committed run).  The list is the current one either way.

        Returns
        -------
        DataFrame
            One row per open action: ``customer_id, action, priority, owner, due_date``
            (the work item's: kept while open, brought forward by an escalation),
            ``reason`` (latest), ``first_run, first_seen`` (run and as_of that opened it),
            ``age_runs`` (runs that recommended it since), ``age_days`` (``as_of -
            first_seen``), ``overdue`` (``due_date < as_of``), ``last_event, last_run,
            action_id``; overdue first, then by due date, customer and action.
        """
        with self._connect() as con:
            if as_of is None:
                last = _rows.one(con.execute("SELECT as_of FROM runs WHERE status = 'committed' "
                                             "ORDER BY seq DESC LIMIT 1"))
                day = pd.Timestamp(last[0]) if last else pd.NaT
            else:
                day = check_as_of(as_of)
            out = _rows.query_frame(con, f"""
                WITH st AS ({self._ACTION_STATE_SQL})
                SELECT st.customer_id, st.action, st.priority, st.owner, st.due_date, a.reason,
                       st.first_seen_run AS first_run, r1.as_of AS first_seen, st.age_runs,
                       st.last_event, st.last_run, st.action_id
                FROM st LEFT JOIN actions a ON a.action_id = st.action_id AND a.run_id = st.last_run
                LEFT JOIN runs r1 ON r1.run_id = st.first_seen_run AND r1.status = 'committed'
                WHERE st.last_event NOT IN ('resolved', 'closed')
                ORDER BY st.customer_id, st.action""")
        out["due_date"] = pd.to_datetime(out["due_date"]).astype("datetime64[ns]")
        out["first_seen"] = pd.to_datetime(out["first_seen"]).astype("datetime64[ns]")
        out["age_runs"] = out["age_runs"].astype("int64")
        out.insert(9, "age_days", (day - out["first_seen"]).dt.days.astype("Int64"))
        out.insert(10, "overdue", (out["due_date"] < day).to_numpy(dtype=bool))
        out = out.sort_values(["overdue", "due_date", "customer_id", "action"], ascending=[False, True, True, True],
                              na_position="last", kind="stable")
        return out.reset_index(drop=True)

    def close_action(self, customer_id: str, action: str, *, by: str, outcome: str, note: str | None = None) -> str:
        """A credit controller closes an open action (audited, in a transaction of its own).

        Appends a ``closed`` row to ``action_events`` (who, when, outcome, note; ``run_id``
        is the latest committed run, whose work list the controller worked from) and seals
        it.  If the next run still recommends the action, it opens anew as ``reopened``.

        Parameters
        ----------
        customer_id, action : str
            The open action.
        by : str
            Who closes it (a user name; stored as ``closed_by``).
        outcome : str
            One of :data:`~riskkit.monitoring.actions.CLOSE_OUTCOMES` (``done``,
            ``not_needed``, ``superseded``).
        note : str, optional

        Returns
        -------
        str
            The ``action_id`` closed.

        Raises
        ------
        ArchiveInputError
            A bad argument, or no such customer or action in the archive.
        ArchiveError
            The action is not open (resolved by a run or already closed), or a run is open.
        """
        for name, value in (("customer_id", customer_id), ("action", action), ("by", by)):
            if not isinstance(value, str) or not value.strip():
                raise ArchiveInputError(f"close_action: {name} must be a non-empty str, got {value!r}")
        if outcome not in CLOSE_OUTCOMES:
            raise ArchiveInputError(f"close_action: outcome must be one of {list(CLOSE_OUTCOMES)}, got {outcome!r}")
        if note is not None and not isinstance(note, str):
            raise ArchiveInputError(f"close_action: note must be a str or None, got {type(note).__name__}")
        with self._connect() as con:
            if self._in_run or self._in_outbox:
                raise ArchiveError("close_action: a run or an outbox session is open on this archive; close the "
                                   "action after it")
            con.execute("BEGIN TRANSACTION")
            try:
                found = _rows.query_frame(con, f"""
                    WITH st AS ({self._ACTION_STATE_SQL})
                    SELECT * FROM st WHERE customer_id = ? ORDER BY action, last_run""", [customer_id])
                if found.empty:
                    raise ArchiveInputError(f"close_action: no action was ever recommended for customer "
                                            f"{customer_id!r} in this archive")
                mine = found[found["action"] == action]
                if mine.empty:
                    raise ArchiveInputError(f"close_action: customer {customer_id!r} has no action {action!r}; its "
                                            f"actions: {sorted(set(found['action']))}")
                live = mine[~mine["last_event"].isin(["resolved", "closed"])]
                if live.empty:
                    last = _rows.one(con.execute(
                        "SELECT event, run_id, closed_by, outcome, \"at\" FROM action_events WHERE customer_id = ? "
                        "AND action = ? ORDER BY seq DESC LIMIT 1", [customer_id, action]))
                    how = (f"closed by {last[2]} ({last[3]}) at {last[4]}" if last[0] == "closed"
                           else f"resolved by run {last[1]} (no longer recommended)")
                    raise ArchiveError(f"close_action: action {action!r} of customer {customer_id!r} is not open: "
                                       f"{how}")
                row = live.iloc[0]
                run_id = _rows.one(con.execute("SELECT run_id FROM runs WHERE status = 'committed' "
                                               "ORDER BY seq DESC LIMIT 1"))[0]
                _rows.append(con, "action_events", pd.DataFrame({
                    "run_id": [run_id], "action_id": [row["action_id"]], "customer_id": [customer_id],
                    "action": [action], "event": ["closed"], "priority": [row["priority"]],
                    "previous_priority": [row["priority"]], "owner": [row["owner"]], "due_date": [row["due_date"]],
                    "closed_by": [by], "outcome": [outcome], "note": [note], "at": [_rows.now()]}))
                _rows.seal(con, "action_close", run_id)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return str(row["action_id"])

    def customer_timeline(self, customer_id: str) -> pd.DataFrame:
        """One customer over the committed runs: snapshot values, alerts, decisions, actions.

        Returns
        -------
        DataFrame
            One row per run in which the customer has any record, oldest ``as_of`` first:
            ``as_of, run_id, score, pd, grade, credit_limit, ead, expected_loss, alerts``
            (``level:rule (status)``; ...), ``closed_alerts``, ``decided_limit``,
            ``limit_reason``, ``actions`` (``action (event)``; ..., e.g. ``reduce_limit
            (persisting)``), ``overrides`` (``from->to``).
        """
        if not isinstance(customer_id, str):
            raise ArchiveInputError(f"customer_id must be a str, got {type(customer_id).__name__}")
        with self._connect() as con:
            return _rows.query_frame(con, """
                WITH r AS (SELECT run_id, as_of, seq FROM runs WHERE status = 'committed'),
                s AS (SELECT run_id, score, pd, grade, credit_limit, ead, expected_loss
                      FROM snapshots WHERE customer_id = ?),
                al AS (SELECT run_id, string_agg(level || ':' || rule || ' (' || status || ')', '; ' ORDER BY seq)
                       AS alerts FROM alerts WHERE customer_id = ? GROUP BY run_id),
                cl AS (SELECT run_id, string_agg(rule, '; ' ORDER BY seq) AS closed_alerts
                       FROM alert_events WHERE customer_id = ? AND event = 'closed' GROUP BY run_id),
                ld AS (SELECT run_id, arg_max(credit_limit, seq) AS decided_limit, arg_max(reason, seq) AS limit_reason
                       FROM limit_decisions WHERE customer_id = ? GROUP BY run_id),
                ac AS (SELECT run_id, string_agg(action || ' (' || status || ')', '; ' ORDER BY seq) AS actions
                       FROM actions WHERE customer_id = ? GROUP BY run_id),
                ov AS (SELECT run_id, string_agg(coalesce(from_grade, '?') || '->' || to_grade, '; ' ORDER BY seq)
                       AS overrides FROM overrides WHERE customer_id = ? GROUP BY run_id)
                SELECT r.as_of, r.run_id, s.score, s.pd, s.grade, s.credit_limit, s.ead, s.expected_loss,
                       al.alerts, cl.closed_alerts, ld.decided_limit, ld.limit_reason, ac.actions, ov.overrides
                FROM r LEFT JOIN s USING (run_id) LEFT JOIN al USING (run_id) LEFT JOIN cl USING (run_id)
                LEFT JOIN ld USING (run_id) LEFT JOIN ac USING (run_id) LEFT JOIN ov USING (run_id)
                WHERE s.grade IS NOT NULL OR s.pd IS NOT NULL OR s.score IS NOT NULL OR s.credit_limit IS NOT NULL
                   OR al.alerts IS NOT NULL OR cl.closed_alerts IS NOT NULL OR ld.decided_limit IS NOT NULL
                   OR ac.actions IS NOT NULL OR ov.overrides IS NOT NULL
                   OR EXISTS (SELECT 1 FROM snapshots x WHERE x.run_id = r.run_id AND x.customer_id = ?)
                ORDER BY r.as_of, r.seq""", [customer_id] * 7)

    def diff_runs(self, run_a: str, run_b: str) -> RunDiff:
        """What changed between two committed runs (customers' ratings/limits and alerts)."""
        fields = ("grade", "pd", "score", "credit_limit", "ead", "expected_loss")
        with self._connect() as con:
            for r in (run_a, run_b):
                if not _rows.one(con.execute("SELECT 1 FROM runs WHERE run_id = ? AND status = 'committed'", [r])):
                    raise ArchiveError(f"no committed run {r!r} in the archive")
            pick = ", ".join(f"a.{f} AS {f}_a, b.{f} AS {f}_b" for f in fields)
            differs = " OR ".join(f"a.{f} IS DISTINCT FROM b.{f}" for f in fields)
            customers = _rows.query_frame(con, f"""
                SELECT coalesce(a.customer_id, b.customer_id) AS customer_id,
                       CASE WHEN a.customer_id IS NULL THEN 'new' WHEN b.customer_id IS NULL THEN 'dropped'
                            ELSE 'changed' END AS change, {pick}
                FROM (SELECT * FROM snapshots WHERE run_id = ?) a
                FULL OUTER JOIN (SELECT * FROM snapshots WHERE run_id = ?) b ON a.customer_id = b.customer_id
                WHERE a.customer_id IS NULL OR b.customer_id IS NULL OR {differs}
                ORDER BY 1""", [run_a, run_b]).set_index("customer_id")
            one_side = """
                SELECT x.customer_id, x.rule, x.level, x.message FROM alerts x
                WHERE x.run_id = ? AND NOT EXISTS (SELECT 1 FROM alerts y WHERE y.run_id = ?
                      AND y.customer_id = x.customer_id AND y.rule = x.rule) ORDER BY x.customer_id, x.rule"""
            new_alerts = _rows.query_frame(con, one_side, [run_b, run_a])
            closed = _rows.query_frame(con, one_side, [run_a, run_b])
            changed = _rows.query_frame(con, """
                SELECT a.customer_id, a.rule, a.level AS level_a, b.level AS level_b
                FROM alerts a JOIN alerts b ON a.customer_id = b.customer_id AND a.rule = b.rule
                WHERE a.run_id = ? AND b.run_id = ? AND a.level <> b.level ORDER BY 1, 2""", [run_a, run_b])
        return RunDiff(run_a, run_b, customers, new_alerts, closed, changed)

    # -- integrity -----------------------------------------------------------------------

    def head(self) -> dict:
        """``{table: [row count, last row_hash]}``: keep it elsewhere as an anchor for ``verify``."""
        with self._connect() as con:
            heads = _rows.heads(con)
            last = _rows.one(con.execute("SELECT count(*), arg_max(row_hash, seq) FROM commits"))
        heads["commits"] = [int(last[0]), last[1]]
        return heads

    def verify(self, anchor: dict | None = None) -> VerifyResult:
        """Recompute every hash chain and commit seal; report what was changed behind the API.

        Tables are streamed in chunks of ``seq`` order, so memory stays flat however long
        the history is.

        Parameters
        ----------
        anchor : dict, optional
            An earlier :meth:`head`; every row it covers must still be there, unchanged.

        Returns
        -------
        VerifyResult
        """
        if anchor is not None:
            bad = [t for t in anchor if t not in TABLES]
            if bad:
                raise ArchiveInputError(f"anchor names unknown table(s) {bad}")
        problems: list[dict] = []
        rows: dict[str, int] = {}
        with self._connect() as con:
            if self._in_run:
                raise ArchiveError("verify() inside an open run would see its unsealed rows; verify after it")
            seals = []
            needed: dict[str, set] = {t: set() for t in TABLES}
            for seq, kind, run_id, heads in con.execute(
                    "SELECT seq, kind, run_id, heads FROM commits ORDER BY seq").fetchall():
                try:
                    heads = {t: (int(v[0]), v[1]) for t, v in json.loads(heads).items()}
                except (TypeError, ValueError, KeyError, IndexError, AttributeError):
                    heads = None
                seals.append((seq, kind, run_id, heads))
                for t, (n, _) in (heads or {}).items():
                    if t in needed and n:
                        needed[t].add(n - 1)
            for t, (n, _) in (anchor or {}).items():
                if n:
                    needed[t].add(int(n) - 1)
            picked: dict[str, dict] = {}
            for table in CHAINED_TABLES:
                rows[table], found, picked[table] = self._scan(con, table, needed[table])
                for p in found[:100]:  # keys are looked up once the scan's result is finished
                    if p["key"] is None:
                        p["key"] = self._key(con, table, p["seq"])
                problems.extend(found[:100])
        problems.extend(self._check_seals(seals, picked, rows))
        if anchor is not None:
            problems.extend(self._check_anchor(anchor, picked))
        frame = pd.DataFrame(problems, columns=["table", "seq", "key", "reason"])
        if problems:
            first = problems[0]
            return VerifyResult(False, first["table"], first["seq"], first["key"], first["reason"], rows, frame)
        return VerifyResult(True, None, None, {}, None, rows, frame)

    @staticmethod
    def _key(con, table: str, seq) -> dict:
        cols = TABLES[table].key
        row = _rows.one(con.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE seq = ? LIMIT 1", [int(seq)]))
        return {} if row is None else dict(zip(cols, row))

    @staticmethod
    def _scan(con, table: str, needed: set, chunk: int = 200_000) -> tuple[int, list, dict]:
        """Stream one table in seq order: (rows, problems, {seq: row_hash} for ``needed``)."""
        cursor = con.execute(f"SELECT seq, sha256({TABLES[table].canonical_sql()}), row_hash FROM {table} "
                             "ORDER BY seq")
        out: list[dict] = []
        picked: dict = {}
        expected, prev, n = 0, _GENESIS, 0
        while batch := cursor.fetchmany(chunk):
            seqs = np.fromiter((r[0] for r in batch), dtype="int64", count=len(batch))
            contents = [r[1] for r in batch]
            stored = [r[2] for r in batch]
            ok = link_ok(contents, stored, prev)
            after_break = np.zeros(len(batch), dtype=bool)  # rows right after a gap or duplicate
            if not np.array_equal(seqs, np.arange(expected, expected + len(batch))):
                for i, s in enumerate(seqs.tolist()):  # only when rows were removed or added
                    if s > expected:
                        out.extend({"table": table, "seq": m, "key": {},
                                    "reason": f"row seq {m} is missing: it was deleted outside the archive API"}
                                   for m in range(expected, min(s, expected + 20)))
                        after_break[i] = True
                    elif s < expected:
                        out.append({"table": table, "seq": s, "key": None,
                                    "reason": f"seq {s} appears more than once: a row was inserted outside "
                                              "the archive API"})
                        after_break[i] = True
                    expected = max(expected, s + 1)
                    if s in needed:
                        picked.setdefault(s, stored[i])
            else:
                expected += len(batch)
                for s in needed:
                    if seqs[0] <= s <= seqs[-1]:
                        picked[s] = stored[s - seqs[0]]
            for i in np.flatnonzero(~ok & ~after_break):
                out.append({"table": table, "seq": int(seqs[i]), "key": None,
                            "reason": "the row's contents or row_hash do not match its hash chain: "
                                      "edited (or inserted) outside the archive API"})
            prev, n = stored[-1], n + len(batch)
        out.sort(key=lambda p: p["seq"])
        return n, out, picked

    @staticmethod
    def _check_seals(seals: list, picked: dict, rows: dict) -> list[dict]:
        out = []
        last = {t: 0 for t in SEALED_TABLES}
        short: set = set()
        for seq, kind, run_id, heads in seals:
            if heads is None:
                out.append({"table": "commits", "seq": seq, "key": {"kind": kind, "run_id": run_id},
                            "reason": "commit seal is not a valid {table: [rows, hash]} object"})
                continue
            for t in SEALED_TABLES:
                n, h = heads.get(t, (0, None))
                last[t] = n
                if t in short:
                    continue
                if n > rows[t]:
                    short.add(t)
                    out.append({"table": t, "seq": rows[t], "key": {},
                                "reason": f"commit seq {seq} ({kind} {run_id}) sealed {n} rows but {rows[t]} remain: "
                                          "rows were deleted outside the archive API"})
                elif n and picked[t].get(n - 1) != h:
                    out.append({"table": t, "seq": n - 1, "key": {},
                                "reason": f"does not match the seal of commit seq {seq} ({kind} {run_id}): "
                                          f"rows up to seq {n - 1} were changed or deleted"})
        for t in SEALED_TABLES:
            if rows[t] > last[t]:
                out.append({"table": t, "seq": last[t], "key": {},
                            "reason": f"{rows[t] - last[t]} row(s) from seq {last[t]} on are not covered by any "
                                      "commit seal: inserted outside the archive API"})
        return out

    @staticmethod
    def _check_anchor(anchor: dict, picked: dict) -> list[dict]:
        out = []
        for t, (n, h) in anchor.items():
            if n and picked[t].get(int(n) - 1) != h:
                out.append({"table": t, "seq": int(n) - 1, "key": {},
                            "reason": f"does not match the anchor ({n} rows, last hash {str(h)[:12]}...): "
                                      "history up to it was rewritten or truncated"})
        return out


# --------------------------------------------------------------------------------------


class Run:
    """An open monitoring run (yielded by :meth:`Archive.run`); every ``add_*`` is part of it.

    Attributes
    ----------
    info : RunInfo
        ``status='open'`` while the run is open.
    """

    def __init__(self, archive: Archive, con, info: RunInfo):
        self._archive = archive
        self._con = con
        self.info = info
        self._closed = False
        self._alerts_added = False
        self._actions_added = False
        self._snap_ids: set | None = None
        self._snap_fields: dict = {}
        self._n_messages = 0

    @property
    def run_id(self) -> str:
        return self.info.run_id

    def __repr__(self) -> str:
        return f"Run({self.info.run_id!r}, as_of={self.info.as_of.date()}, {'closed' if self._closed else 'open'})"

    def _check_open(self):
        if self._closed:
            raise ArchiveError(f"run {self.info.run_id} is closed; open a new one with archive.run(...)")

    def _unique_customers(self, frame: pd.DataFrame, table: str, extra_keys=()) -> None:
        keys = ["customer_id", *extra_keys]
        dup = frame.duplicated(keys, keep=False).to_numpy()
        if dup.any():
            raise ArchiveInputError(f"{table}: duplicate {'/'.join(keys)} in {_rows.where(frame, dup)}")

    def add_snapshots(self, snapshots) -> int:
        """Store one row per customer: core ratings columns typed, all others in ``extra``.

        Parameters
        ----------
        snapshots : DataFrame
            Indexed by (or with a column) ``customer_id``; optional ``score, pd, grade,
            credit_limit, ead, expected_loss`` (absent ones are stored as NULL); any other
            column goes to ``extra`` (JSON).

        Returns
        -------
        int
            Rows stored.
        """
        self._check_open()
        frame, extra = _rows.prepare("snapshots", snapshots, {"run_id": self.run_id})
        self._unique_customers(frame, "snapshots")
        ids = set(frame["customer_id"])
        if self._snap_ids is not None and (again := ids & self._snap_ids):
            raise ArchiveInputError(f"snapshots: customer_id already stored in this run: {sorted(again)[:5]}")
        types: dict = {}
        n = _rows.append(self._con, "snapshots", frame, extra, types)
        for k, v in types.items():
            self._snap_fields[k] = v if self._snap_fields.get(k, v) == v else "JSON"
        self._snap_ids = ids | (self._snap_ids or set())
        return n

    def add_alerts(self, alerts) -> pd.DataFrame:
        """Store this run's alerts and advance each alert's life cycle.

        An alert is identified across runs by ``(customer_id, rule)`` while it stays open.
        The events are those of :func:`~riskkit.monitoring.reconcile_alerts` (the one
        definition of the life cycle) against the alerts open before this run: not open ->
        ``opened`` (new ``alert_id``); more severe than any level notified so far ->
        ``escalated``; milder than at the previous run -> ``deescalated``; otherwise
        ``persisting``.  When the run commits, every alert open before it that this run did
        not raise gets a ``closed`` event (only if the run called ``add_alerts`` at all, even
        with an empty frame: a run that does not monitor closes nothing).  The life cycle
        follows commit order.

        Parameters
        ----------
        alerts : DataFrame
            The alerts frame: ``customer_id, rule, level, message`` (str), ``evidence``
            (JSON object as str, or dict; default ``{}``), ``recipients`` (tuple of str;
            default ``()``); other columns are kept in ``extra``.

        Returns
        -------
        DataFrame
            ``alerts`` with ``alert_id, event, previous_level, first_seen_run`` added.
        """
        self._check_open()
        source = _rows.as_input(alerts, "alerts")
        work = source.copy()
        if "evidence" not in work.columns:
            work["evidence"] = None
        if "recipients" not in work.columns:
            work["recipients"] = [()] * len(work)
        work["evidence"] = [_rows.json_text(v, f"alerts: column 'evidence' (row {i})", "{}")
                            for i, v in enumerate(work["evidence"])]
        work["recipients"] = self._recipients_json(work)
        frame, extra = _rows.prepare("alerts", work, {"run_id": self.run_id, "alert_id": None, "first_seen_run": None,
                                                 "status": None}, reserved=("event", "previous_level"))
        bad = ~frame["level"].isin(LEVELS).to_numpy()
        if bad.any():
            raise ArchiveInputError(f"alerts: column 'level' must be one of {list(LEVELS)}; got "
                                    f"{sorted(set(frame.loc[bad, 'level']))[:5]} in {_rows.where(frame, bad)}")
        self._unique_customers(frame, "alerts", ("rule",))
        state = self._open_before()
        keys = pd.MultiIndex.from_frame(frame[["customer_id", "rule"]])
        again = keys.isin(pd.MultiIndex.from_frame(state.loc[state["last_run"] == self.run_id, ["customer_id", "rule"]]))
        if again.any():
            raise ArchiveInputError("alerts: customer_id/rule already recorded in this run in "
                                    f"{_rows.where(frame, again)}")
        before = state[state["last_run"] != self.run_id]
        reconciled = reconcile_alerts(frame[["customer_id", "rule", "level"]],
                                      before[["customer_id", "rule", "level", "raised_level", "first_seen"]],
                                      as_of=self.info.as_of)
        event = reconciled.events.set_index(["customer_id", "rule"])["event"].reindex(keys).to_numpy(dtype=object)
        merged = before.set_index(["customer_id", "rule"]).reindex(keys).reset_index(drop=True) \
            .rename(columns={"level": "level_prev"})
        new = event == "opened"
        fresh_ids = [hashlib.sha256(f"{self.run_id}|{c}|{r}".encode()).hexdigest()[:16]
                     for c, r in zip(frame.loc[new, "customer_id"], frame.loc[new, "rule"])]
        alert_id = np.array(merged["alert_id"].astype(object).to_numpy(), dtype=object)
        alert_id[new] = fresh_ids
        first_seen = np.where(new, self.run_id, np.array(merged["first_seen_run"].astype(object), dtype=object))
        frame["alert_id"], frame["first_seen_run"], frame["status"] = alert_id, first_seen, event
        _rows.append(self._con, "alerts", frame, extra)
        events = pd.DataFrame({
            "run_id": self.run_id, "alert_id": alert_id, "customer_id": frame["customer_id"], "rule": frame["rule"],
            "event": event, "level": frame["level"],
            "previous_level": merged["level_prev"].astype(object).where(merged["level_prev"].notna(), None),
            "at": _rows.now()})
        _rows.append(self._con, "alert_events", events)
        self._alerts_added = True
        out = source.copy()
        out["alert_id"], out["event"] = alert_id, event
        out["previous_level"] = pd.Series([v if isinstance(v, str) else None for v in events["previous_level"]],
                                          index=out.index, dtype=object)
        out["first_seen_run"] = first_seen
        return out

    def _open_before(self) -> pd.DataFrame:
        """Open alerts (``_STATE_SQL``) with ``first_seen``, the as_of of the run that opened them."""
        state = _rows.query_frame(self._con, f"""
            WITH st AS ({self._archive._STATE_SQL})
            SELECT st.*, r.as_of AS first_seen FROM st
            LEFT JOIN (SELECT run_id, any_value(as_of) AS as_of FROM runs GROUP BY run_id) r
                   ON r.run_id = st.first_seen_run
            ORDER BY st.customer_id, st.rule""")
        # alerts opened in this run: its runs row is written at commit
        state["first_seen"] = pd.to_datetime(state["first_seen"]).fillna(self.info.as_of).astype("datetime64[ns]")
        return state

    @staticmethod
    def _recipients_json(work: pd.DataFrame) -> list[str]:
        out = []
        for i, rec in enumerate(work["recipients"]):  # one small tuple per alert
            if rec is None or (isinstance(rec, float) and np.isnan(rec)):
                rec = ()
            if not isinstance(rec, tuple) or \
                    not all(isinstance(r, str) for r in rec):
                who = work["customer_id"].iloc[i] if "customer_id" in work.columns else i
                raise ArchiveInputError(f"alerts: column 'recipients' must hold tuples of str; row {i} "
                                        f"(customer_id {who}) has {type(rec).__name__}")
            for r in rec:
                try:
                    channel_of(r)
                except RecipientError as exc:
                    raise ArchiveInputError(f"alerts: column 'recipients', row {i}: {exc}") from None
            out.append(json.dumps(list(rec), ensure_ascii=False))
        return out

    def _add(self, table: str, data, keys=()) -> int:
        self._check_open()
        frame, extra = _rows.prepare(table, data, {"run_id": self.run_id})
        self._unique_customers(frame, table, keys)
        return _rows.append(self._con, table, frame, extra)

    def add_overrides(self, overrides) -> int:
        """Store expert override records (``riskkit.scoring.apply_overrides``'s ``records``)."""
        return self._add("overrides", overrides)

    def add_limit_decisions(self, decisions) -> int:
        """Store limit decisions: ``customer_id, credit_limit`` and optional ``previous_limit,
        method, reason, decided_by``; other columns go to ``extra``."""
        return self._add("limit_decisions", decisions)

    def add_actions(self, actions, priorities=None) -> pd.DataFrame:
        """Store this run's recommended actions and advance each action's life cycle.

        A recommended action is a work item named by ``(customer_id, action)`` while it
        stays open.  The events are those of :func:`~riskkit.monitoring.reconcile_actions`
        (the one definition) against the actions open before this run and the controller's
        closes since the previous committed run (:meth:`Archive.close_action`): ``opened``
        (new ``action_id``), ``reopened`` (recommended again right after a close: new
        ``action_id``), ``escalated``, ``deescalated``, ``persisting`` (same ``action_id``,
        first run and due date kept), and ``resolved`` for every open action this run does
        not recommend.  Call it once per run with all the run's actions (even an empty
        frame); a run that does not call it resolves nothing.

        Parameters
        ----------
        actions : DataFrame
            :func:`riskkit.limits.recommend_actions` output: ``customer_id, action`` and
            optional ``priority, reason, owner, due_date``; other columns go to ``extra``.
        priorities : sequence of str, optional
            Priorities, most urgent first (default: the default action policy's).

        Returns
        -------
        DataFrame
            ``actions`` with ``action_id, event, previous_priority, first_seen_run,
            first_seen`` added and ``due_date`` the work item's due date (the recommended
            one is archived in ``actions.due_date`` and returned as ``recommended_due_date``).
        """
        self._check_open()
        if self._actions_added:
            raise ArchiveError(f"run {self.run_id}: add_actions was already called; pass all of the run's actions "
                               "in one call (what a run does not recommend is resolved)")
        priorities = default_priorities() if priorities is None else tuple(priorities)
        source = _rows.as_input(actions, "actions")
        frame, extra = _rows.prepare("actions", source, {"run_id": self.run_id, "action_id": None,
                                                         "first_seen_run": None, "status": None},
                                     reserved=("event", "previous_priority", "first_seen", "recommended_due_date"))
        bad = (frame["priority"].notna() & ~frame["priority"].isin(priorities)).to_numpy()
        if bad.any():
            raise ArchiveInputError(f"actions: column 'priority' must be one of {list(priorities)}; got "
                                    f"{sorted(set(frame.loc[bad, 'priority']))[:5]} in {_rows.where(frame, bad)}")
        self._unique_customers(frame, "actions", ("action",))
        state = self._archive._action_state(self._con, pending=True)
        pending = (state["last_event"] == "closed").to_numpy()
        try:
            reconciled = reconcile_actions(frame[["customer_id", "action", "priority", "due_date"]],
                                           state[["customer_id", "action", "priority", "raised_priority",
                                                  "first_seen", "due_date"]],
                                           as_of=self.info.as_of, priorities=priorities,
                                           closed=state.loc[pending, ["customer_id", "action"]])
        except MonitoringInputError as exc:
            raise ArchiveInputError(f"actions: {exc}") from None
        keys = pd.MultiIndex.from_frame(frame[["customer_id", "action"]])
        done = reconciled.actions
        event = done["event"].to_numpy(dtype=object)
        before = state.set_index(["customer_id", "action"]).reindex(keys).reset_index(drop=True)
        new = np.isin(event, ["opened", "reopened"])
        action_id = np.array(before["action_id"].astype(object).to_numpy(dtype=object), dtype=object)
        action_id[new] = [hashlib.sha256(f"{self.run_id}|{c}|{a}".encode()).hexdigest()[:16]
                          for c, a in zip(frame.loc[new, "customer_id"], frame.loc[new, "action"])]
        first_run = np.where(new, self.run_id, before["first_seen_run"].astype(object).to_numpy(dtype=object))
        frame["action_id"], frame["first_seen_run"], frame["status"] = action_id, first_run, event
        _rows.append(self._con, "actions", frame, extra)
        previous = before["priority"].astype(object).where(before["priority"].notna() & ~new, None)
        at = _rows.now()
        events = pd.DataFrame({
            "run_id": self.run_id, "action_id": action_id, "customer_id": frame["customer_id"],
            "action": frame["action"], "event": event, "priority": frame["priority"],
            "previous_priority": previous.to_numpy(dtype=object), "owner": frame["owner"],
            "due_date": done["due_date"].to_numpy(), "closed_by": None, "outcome": None, "note": None, "at": at})
        resolved = reconciled.events.loc[reconciled.events["event"] == "resolved", ["customer_id", "action"]]
        gone = state[~pending].merge(resolved, on=["customer_id", "action"], validate="one_to_one")
        if len(gone):
            events = pd.concat([events, pd.DataFrame({
                "run_id": self.run_id, "action_id": gone["action_id"], "customer_id": gone["customer_id"],
                "action": gone["action"], "event": "resolved", "priority": gone["priority"],
                "previous_priority": gone["priority"], "owner": gone["owner"], "due_date": gone["due_date"],
                "closed_by": None, "outcome": None, "note": None, "at": at})], ignore_index=True)
        _rows.append(self._con, "action_events", events)
        self._actions_added = True
        out = source.copy()
        out["action_id"], out["event"] = action_id, event
        out["previous_priority"] = previous.to_numpy(dtype=object)
        out["first_seen_run"], out["first_seen"] = first_run, done["first_seen"].to_numpy()
        out["recommended_due_date"] = done["recommended_due_date"].to_numpy()
        out["due_date"] = done["due_date"].to_numpy()
        return out

    def queue(self, messages) -> list[str]:
        """Put messages in the outbox (delivered later by ``deliver_outbox``).

        Parameters
        ----------
        messages : iterable of Message or mapping, or DataFrame
            Each with ``recipient, subject, body`` and optionally ``payload`` (dict or JSON
            text) and ``channel`` (default derived from the recipient).

        Returns
        -------
        list of str
            The ``message_id`` of each message: ``<run_id>.<n>@riskkit``; e-mails carry it
            as their ``Message-ID``, webhooks as ``Idempotency-Key``.
        """
        self._check_open()
        if isinstance(messages, pd.DataFrame):
            items = messages.to_dict("records")
        else:
            items = [m if isinstance(m, dict) else
                     {k: getattr(m, k) for k in ("recipient", "subject", "body", "payload", "channel") if hasattr(m, k)}
                     for m in messages]
        rows = []
        for i, m in enumerate(items):
            where = f"outbox: message #{i}"
            for k in ("recipient", "subject", "body"):
                if not isinstance(m.get(k), str):
                    raise ArchiveInputError(f"{where}: '{k}' must be a str, got {type(m.get(k)).__name__}")
            try:
                channel = channel_of(m["recipient"])
            except RecipientError as exc:
                raise ArchiveInputError(f"{where}: {exc}") from None
            if m.get("channel") not in (None, channel):
                raise ArchiveInputError(f"{where}: channel {m['channel']!r} does not serve recipient "
                                        f"{mask_recipient(m['recipient'])!r} (a {channel} recipient)")
            rows.append({"message_id": f"{self.run_id}.{self._n_messages + i}@riskkit", "run_id": self.run_id,
                         "channel": channel, "recipient": m["recipient"], "subject": m["subject"],
                         "body": m["body"], "payload": _rows.json_text(m.get("payload"), f"{where}: payload", "{}"),
                         "created_at": _rows.now()})
        if rows:
            _rows.append(self._con, "outbox", pd.DataFrame(rows))
        self._n_messages += len(rows)
        return [r["message_id"] for r in rows]

    def _finish(self) -> None:
        if self._alerts_added:
            state = self._open_before()
            this_run = state[state["last_run"] == self.run_id]
            before = state[state["last_run"] != self.run_id]
            closing = reconcile_alerts(this_run[["customer_id", "rule", "level"]],
                                       before[["customer_id", "rule", "level", "raised_level", "first_seen"]],
                                       as_of=self.info.as_of).events
            closing = closing.loc[closing["event"] == "closed", ["customer_id", "rule"]]
            gone = before.merge(closing, on=["customer_id", "rule"], validate="one_to_one")
            if len(gone):
                _rows.append(self._con, "alert_events", pd.DataFrame({
                    "run_id": self.run_id, "alert_id": gone["alert_id"], "customer_id": gone["customer_id"],
                    "rule": gone["rule"], "event": "closed", "level": gone["level"],
                    "previous_level": gone["level"], "at": _rows.now()}))
        fields = json.dumps(self._snap_fields) if self._snap_fields else None
        info = self.info.to_dict() | {"finished_at": _rows.now(), "status": "committed", "snapshot_fields": fields}
        _rows.append(self._con, "runs", pd.DataFrame([info]))
        _rows.seal(self._con, "run", self.run_id)
        self.info = RunInfo(**info)


class Outbox:
    """A delivery session on the archive (see :meth:`Archive.outbox`)."""

    def __init__(self, con):
        self._con = con
        self._closed = False

    def pending(self) -> pd.DataFrame:
        """Messages without a ``sent`` delivery, oldest first, with ``attempts`` so far and
        ``last_status`` (``sending`` = an attempt whose outcome was never recorded: in doubt)."""
        return _rows.query_frame(self._con, """
            SELECT o.message_id, o.run_id, o.channel, o.recipient, o.subject, o.body, o.payload, o.created_at,
                   coalesce(d.attempts, 0) AS attempts, d.last_status
            FROM outbox o LEFT JOIN (
                SELECT message_id, max(attempt) AS attempts, arg_max(status, seq) AS last_status,
                       bool_or(status = 'sent') AS sent
                FROM deliveries GROUP BY message_id) d ON d.message_id = o.message_id
            WHERE NOT coalesce(d.sent, false) ORDER BY o.seq""")

    def record(self, message_id: str, attempt: int, status: str, error: str | None = None) -> None:
        """Append one delivery row (``sending``, ``sent`` or ``failed``) in its own transaction.

        Refuses anything for a message already recorded as ``sent`` (a delivered message is
        never attempted again) and for an unknown message.
        """
        if self._closed:
            raise ArchiveError("the outbox session is closed")
        if status not in _DELIVERY_STATUS:
            raise ArchiveInputError(f"deliveries: status must be one of {_DELIVERY_STATUS}, got {status!r}")
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            if not _rows.one(con.execute("SELECT 1 FROM outbox WHERE message_id = ?", [message_id])):
                raise ArchiveInputError(f"deliveries: no message {message_id!r} in the outbox")
            if _rows.one(con.execute("SELECT 1 FROM deliveries WHERE message_id = ? AND status = 'sent'",
                           [message_id])):
                raise ArchiveError(f"message {message_id!r} was already delivered; it is never sent again")
            _rows.append(con, "deliveries", pd.DataFrame({"message_id": [message_id], "attempt": [int(attempt)],
                                                     "status": [status], "error": [error], "at": [_rows.now()]}))
            _rows.seal(con, "delivery", None)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
