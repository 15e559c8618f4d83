"""A book too large for one machine's memory: a Parquet dataset partitioned by customer.

Layout of a partitioned book (written by :func:`riskkit.datasets.write_partitioned_book`
or by any tool that follows it)::

    DIR/_riskkit_dataset.json                 manifest: {"format": "riskkit-partitioned",
                                              "version": 1, "partitions": P, ...}
    DIR/<table>/part-00000.parquet ... part-<P-1>.parquet
                                              for each table present (customers required)
                                              and optionally truth

Every partition holds whole customers: a customer's row and all its records (invoices,
orders, statements, bureau reports, events, defaults, credit decisions, the relations
whose ``src`` it is, its truth) are in the same partition.  So every per-customer
computation of the kit (profiles, labels, exposure, ratings) runs on one partition at a
time and gives what it gives on the whole book.

:func:`validate_partitioned` checks the data-model rules partition by partition (with
the partition's own customers as the foreign-key reference, which is the layout rule)
and then the rules that span partitions on key columns only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .portfolio import Portfolio, validate_portfolio
from .schemas import TABLE_ORDER
from .validation import (
    VIOLATION_COLUMNS,
    DataValidationError,
    _total_shares,
    _violations,
    normalise_table,
)

__all__ = ["PartitionedBook", "is_partitioned", "validate_partitioned", "load_partitioned", "MANIFEST_NAME"]

MANIFEST_NAME = "_riskkit_dataset.json"
PARTITIONED_FORMAT = "riskkit-partitioned"
#: the tables of a partition, in the order they are written (truth last)
TABLES_WRITTEN = (*TABLE_ORDER, "truth")
#: single-column keys that must be unique over the whole book
_GLOBAL_KEYS = {"customers": "customer_id", "invoices": "invoice_id", "orders": "order_id", "events": "event_id"}


def part_file(table: str, partition: int) -> str:
    """Relative path of ``table``'s file in ``partition``: ``<table>/part-00007.parquet``."""
    return f"{table}/part-{int(partition):05d}.parquet"


def is_partitioned(path) -> bool:
    """Whether the folder ``path`` holds a partitioned book (has the manifest)."""
    return (Path(path) / MANIFEST_NAME).is_file()


@dataclass(frozen=True)
class PartitionedBook:
    """A partitioned book on disk: where its partitions are (nothing is read but the manifest).

    Attributes
    ----------
    path : Path
        The dataset folder.
    partitions : int
        Number of partitions.
    manifest : dict
        The manifest as read (``n_customers``, ``seed``, ... when the generator wrote it).
    """

    path: Path
    partitions: int
    manifest: dict

    @classmethod
    def open(cls, path) -> PartitionedBook:
        """Read the manifest of the partitioned book in ``path`` and check its files exist."""
        folder = Path(path)
        if not folder.is_dir():
            raise FileNotFoundError(f"portfolio folder {str(path)!r} does not exist")
        file = folder / MANIFEST_NAME
        if not file.is_file():
            raise FileNotFoundError(f"{str(path)!r} has no {MANIFEST_NAME}: not a partitioned book")
        try:
            manifest = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{file}: not valid JSON ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != PARTITIONED_FORMAT:
            raise ValueError(f"{file}: field 'format' must be {PARTITIONED_FORMAT!r}")
        if manifest.get("version") != 1:
            raise ValueError(f"{file}: field 'version' must be 1, got {manifest.get('version')!r}")
        n = manifest.get("partitions")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{file}: field 'partitions' must be a positive integer, got {n!r}")
        book = cls(folder, n, manifest)
        for table in TABLES_WRITTEN:
            present = [book.has(table, i) for i in range(n)]
            if table == "customers" and not all(present):
                raise FileNotFoundError(f"{folder / part_file(table, present.index(False))} is missing")
            if any(present) and not all(present):
                raise FileNotFoundError(f"{folder / part_file(table, present.index(False))} is missing "
                                        f"(table {table!r} has files in other partitions)")
        unknown = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name not in TABLES_WRITTEN)
        if unknown:
            raise ValueError(f"{folder}: folder(s) {unknown} are not Portfolio tables")
        return book

    def has(self, table: str, partition: int) -> bool:
        return (self.path / part_file(table, partition)).is_file()

    def file(self, table: str, partition: int) -> Path:
        return self.path / part_file(table, partition)

    def read_tables(self, partition: int, columns: dict[str, list[str]] | None = None) -> dict[str, pd.DataFrame]:
        """The raw frames of one partition (tables that exist), truth included."""
        self._check_partition(partition)
        out = {}
        for table in TABLES_WRITTEN:
            if self.has(table, partition):
                cols = None if columns is None else columns.get(table)
                if columns is not None and cols is None:
                    continue
                out[table] = _read(self.file(table, partition), partition, cols)
        return out

    def read_partition(self, partition: int, validate: bool = True) -> Portfolio:
        """Partition ``partition`` as a Portfolio (with its ``truth`` if written).

        ``validate=True`` checks it against the data model on its own and raises
        :class:`DataValidationError` naming the partition; rules across partitions are
        checked by :func:`validate_partitioned`.
        """
        frames = self.read_tables(partition)
        truth = frames.pop("truth", None)
        if validate:
            tables, violations = validate_portfolio(frames)
            if len(violations):
                raise DataValidationError(violations.assign(partition=partition),
                                          context=f"{self.path}, partition {partition}")
            return Portfolio(**tables, truth=truth, validate=False)
        return Portfolio(**frames, truth=truth, validate=False)

    def _check_partition(self, partition):
        if isinstance(partition, bool) or not isinstance(partition, (int, np.integer)) \
                or not 0 <= partition < self.partitions:
            raise ValueError(f"partition must be an integer in [0, {self.partitions}), got {partition!r}")


def _read(file: Path, partition: int, columns=None) -> pd.DataFrame:
    try:
        return pd.read_parquet(file, columns=columns)
    except Exception as exc:  # the reader's own message says what is wrong with the bytes
        problem = _violations(file.parent.name, "", "readable_file", [file.name], f"{type(exc).__name__}: {exc}")
        raise DataValidationError(problem.assign(partition=partition)) from exc


def validate_partitioned(path) -> tuple[PartitionedBook, pd.DataFrame]:
    """Check every data-model rule of a partitioned book, one partition in memory at a time.

    Per partition: every rule of :func:`riskkit.data.validate_portfolio`, with the
    partition's customers as the foreign-key reference (a record whose customer lives in
    another partition breaks the layout and is a ``foreign_key_to_customers`` violation).
    Across partitions, on key columns only: ``customer_id``, ``invoice_id``, ``order_id``
    and ``event_id`` unique over the book (``unique_key_across_partitions``; partitions
    whose key ranges do not overlap cannot share a key, so only overlapping pairs are
    compared), relation keys ``(src, dst, type, start)`` unique over the book, and the
    total shareholding / control share in a company at most 1 when its holders are
    stored in more than one partition.

    Relation endpoints are not required to be customers (the data model allows external
    parties), so no endpoint check is made across partitions either.

    Returns
    -------
    (PartitionedBook, violations)
        ``violations`` has the columns ``partition, table, column, check, key, value``;
        empty when the book is valid.  A violation across partitions names the later
        partition (``partition``) and the first in ``value``.
    """
    book = PartitionedBook.open(path)
    found, ranges = [], {t: [] for t in _GLOBAL_KEYS}
    relation_keys = []
    for i in range(book.partitions):
        frames = book.read_tables(i)
        frames.pop("truth", None)
        tables, violations = validate_portfolio(frames)
        if len(violations):
            found.append(violations.assign(partition=i))
        for table, column in _GLOBAL_KEYS.items():
            values = tables[table][column].dropna()
            if len(values):
                ranges[table].append((values.min(), values.max(), i))
        rel = tables["relations"]
        relation_keys.append(rel[["src", "dst", "type", "weight", "start", "end"]].assign(partition=i))
        del frames, tables
    for table, column in _GLOBAL_KEYS.items():
        found.extend(_duplicates_across(book, table, column, ranges[table]))
    found.extend(_relations_across(pd.concat(relation_keys, ignore_index=True)))
    found = [f for f in found if len(f)]
    columns = ["partition", *VIOLATION_COLUMNS]
    if not found:
        return book, pd.DataFrame({c: pd.Series(dtype="int64" if c == "partition" else "str") for c in columns})
    return book, pd.concat(found, ignore_index=True)[columns]


def _duplicates_across(book: PartitionedBook, table: str, column: str, ranges: list) -> list[pd.DataFrame]:
    """Keys of ``table.column`` found in two partitions; only partitions whose ``[min, max]``
    ranges overlap are read (the key column only), two at a time."""
    ranges = sorted(ranges, key=lambda r: (r[0], r[2]))
    found = []
    for a in range(len(ranges)):
        for b in range(a + 1, len(ranges)):
            if ranges[b][0] > ranges[a][1]:
                break                                   # sorted by min: no later range overlaps a
            first, second = sorted((ranges[a][2], ranges[b][2]))
            keys_first = pd.Index(_read(book.file(table, first), first, [column])[column].dropna())
            keys_second = _read(book.file(table, second), second, [column])[column].dropna()
            shared = keys_second[keys_second.isin(keys_first)]
            if len(shared):
                found.append(_violations(table, column, "unique_key_across_partitions", shared.tolist(),
                                         f"also in partition {first}").assign(partition=second))
    return found


def _relations_across(relations: pd.DataFrame) -> list[pd.DataFrame]:
    found = []
    key = ["src", "dst", "type", "start"]
    spread = relations.groupby(key, dropna=False, sort=False)["partition"].transform("nunique")
    dup = relations[(spread > 1) & relations.duplicated(key, keep="first")]
    if len(dup):
        first = relations.drop_duplicates(key).set_index(key)["partition"]
        firsts = first.reindex(pd.MultiIndex.from_frame(dup[key])).to_numpy()
        keys = [f"src={s}, dst={d}, type={t}, start={st}" for s, d, t, st in dup[key].itertuples(index=False)]
        for part in np.unique(dup["partition"]):
            here = (dup["partition"] == part).to_numpy()
            found.append(_violations("relations", "", "unique_key_across_partitions",
                                     np.asarray(keys, dtype=object)[here],
                                     [f"also in partition {f}" for f in firsts[here]]).assign(partition=part))
    # the share totals of a company whose holders sit in one partition were checked there
    shares = relations[relations["type"].isin(["shareholding", "control"])]
    spread = shares.groupby(["type", "dst"], sort=False)["partition"].transform("nunique")
    spanning = shares[spread > 1]
    if len(spanning):
        for problems in _total_shares(spanning):
            last = spanning.groupby("dst")["partition"].max()
            dst = problems["key"].str.slice(len("dst="))
            found.append(problems.assign(partition=last.reindex(dst).to_numpy()))
    return found


def load_partitioned(path, errors: str = "raise"):
    """The whole partitioned book as one Portfolio (for books that fit in memory).

    Validated as :func:`validate_partitioned` does; ``errors`` as in
    :func:`riskkit.data.load_portfolio`.
    """
    book, violations = validate_partitioned(path)
    frames = {t: [] for t in TABLES_WRITTEN}
    for i in range(book.partitions):
        for name, df in book.read_tables(i).items():
            frames[name].append(df)
    truth = pd.concat(frames.pop("truth"), ignore_index=True) if frames["truth"] else None
    # normalised dtypes only: the rules were checked above, partition by partition
    tables = {name: normalise_table(name, pd.concat(parts, ignore_index=True))[0]
              for name, parts in frames.items() if parts}
    portfolio = Portfolio(**tables, truth=truth, validate=False)
    if errors == "report":
        return portfolio, violations
    if len(violations):
        raise DataValidationError(violations, context=str(path))
    return portfolio
