"""A synthetic book written as a partitioned Parquet dataset, one partition at a time.

:func:`write_partitioned_book` splits ``n_customers`` into ``partitions`` contiguous
chunks of customers and generates each chunk with :func:`generate_portfolio` under its
own seed, derived from ``(seed, partition)`` by ``numpy.random.SeedSequence``; only one
partition is ever in memory, so the book may be far larger than the machine's memory.

Ids are global: customer ``k`` of the book (1-based, counted over the partitions in
order) is ``C`` + ``k`` zero-padded to the width of ``n_customers``, whatever partition
it is in, so a counterparty in another partition is known without reading it.  Ids of
records (invoices, orders, events), of external parties (``P``) and of ground-truth
groups (``G``) carry the partition number (``INV00003-00000001``) and are unique over
the book.

What is *not* the monolithic book: the draws differ from ``generate_portfolio(N, seed)``
(each partition is a book of its own size with its own streams), ownership groups,
guarantee chains and circles, common directors and the contagion of the ground truth
stay inside a partition, and the credit cycle is drawn per partition.  Relations across
partitions are supply links: a share ``cross_partition_supply_share`` of each
partition's supply links is copied with its counterparty re-drawn uniformly among the
customers of the *other* partitions; they are stored in the partition of their ``src``
and carry no contagion in ``truth``.

The volumes are the monolithic book's (measured, ``bench/RESULTS.md``, "Partitioned vs
monolithic"): over 8 seeds of 8,000 customers in 2 partitions, partitioned minus
monolithic averaged +0.5 invoices per customer (sd 1.1, of about 83), -0.1 orders (sd
0.3, of 48) and +0.007 in the realised default rate (sd 0.008, of 0.15); at 100,000
customers (seed 42, 4 partitions) 83.5 against 84.9 invoices per customer.  What differs
by design is the spread between seeds: a partitioned book averages the independent credit
cycles of its partitions, so its volumes and default rate vary less from seed to seed
(at 20,000 customers in 4 partitions the sd of invoices per customer over 6 seeds was 0.3
against 1.6 for the monolithic book).  The "10 % fewer invoices" once reported compared a
partitioned book with a figure of the generator from before its credit check (9.33 M
invoices per 100,000 customers, where the credit check now rejects about one order in
eight and about 8.4 M invoices remain on either path).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ..data.partitioned import (
    MANIFEST_NAME,
    PARTITIONED_FORMAT,
    TABLES_WRITTEN,
    part_file,
)
from ._synth_util import format_ids, id_width
from .synthetic import _check_arguments, generate_portfolio

__all__ = ["write_partitioned_book", "partition_sizes", "partition_seed"]

#: version of the generator's partitioned layout, in the manifest
GENERATOR_VERSION = 1


def partition_sizes(n_customers: int, partitions: int) -> np.ndarray:
    """Customers per partition: ``n_customers`` split as evenly as possible, larger chunks first."""
    base, extra = divmod(int(n_customers), int(partitions))
    return np.array([base + (i < extra) for i in range(int(partitions))], dtype=np.int64)


def partition_seed(seed: int, partition: int) -> int:
    """The seed of ``generate_portfolio`` for ``partition``: 63 bits of the state of
    ``SeedSequence(seed, spawn_key=(partition,))``, i.e. of ``SeedSequence(seed).spawn(...)[partition]``."""
    state = np.random.SeedSequence(int(seed), spawn_key=(int(partition),)).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


def write_partitioned_book(folder, n_customers: int, partitions: int, seed: int = 42,
                           start="2021-01-01", end="2025-12-31", *,
                           cross_partition_supply_share: float = 0.1, **options) -> Path:
    """Generate a synthetic book partition by partition into a partitioned Parquet dataset.

    Parameters
    ----------
    folder : str or Path
        Output folder; it must not exist or be empty.  Written: ``<table>/part-00000.parquet``
        ... for the nine tables and ``truth``, and the manifest ``_riskkit_dataset.json``
        (written last, so a folder without it is an unfinished book).
    n_customers : int
        Customers in the book; every partition gets at least 20.
    partitions : int
        Number of partitions (chunks of consecutive customer ids).
    seed : int, default 42
        Seed of the book; partition ``i`` is generated with :func:`partition_seed` ``(seed, i)``.
    start, end, **options
        As in :func:`riskkit.datasets.generate_portfolio`.
    cross_partition_supply_share : float, default 0.1
        Supply links across partitions per supply link inside a partition (see module notes).

    Returns
    -------
    Path of the folder.

    Notes
    -----
    Peak memory is that of generating one partition (about 37 KB per customer, i.e.
    ~1.9 GB for 50,000 customers), whatever ``n_customers``.  The book is not the book
    ``generate_portfolio(n_customers, seed)`` would give: see the module notes.
    """
    if isinstance(partitions, bool) or not isinstance(partitions, (int, np.integer)) or partitions < 1:
        raise ValueError(f"partitions must be a positive integer, got {partitions!r}")
    _check_arguments(n_customers, seed, start, end, options)
    if not 0 <= cross_partition_supply_share <= 1:
        raise ValueError(f"cross_partition_supply_share must be in [0, 1], got {cross_partition_supply_share!r}")
    sizes = partition_sizes(n_customers, partitions)
    if sizes.min() < 20:
        raise ValueError(f"n_customers={n_customers} in {partitions} partitions leaves fewer than 20 "
                         f"customers in a partition; use fewer partitions")
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"output {str(folder)!r} exists and is not an empty folder; "
                              f"a partitioned book is written into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(partitions):
        _write_partition(folder, i, sizes, seed, start, end, cross_partition_supply_share, options)
    return _write_manifest(folder, n_customers, partitions, seed, start, end, cross_partition_supply_share, options)


def _write_partition(folder: Path, i: int, sizes: np.ndarray, seed: int, start, end, cross_share: float,
                     options: dict) -> None:
    """Generate partition ``i`` and write its table files (the partitions are independent)."""
    offsets = np.r_[0, np.cumsum(sizes)]
    book = generate_portfolio(int(sizes[i]), seed=partition_seed(seed, i), start=start, end=end, **options)
    tables = _globalise(book, i, offsets, id_width(int(offsets[-1])), cross_share, seed)
    del book
    for name, df in tables.items():
        target = folder / part_file(name, i)
        target.parent.mkdir(exist_ok=True)
        df.to_parquet(target, index=False)


def _write_manifest(folder: Path, n_customers: int, partitions: int, seed: int, start, end, cross_share: float,
                    options: dict) -> Path:
    """The manifest, written last; row counts are read from the Parquet footers."""
    rows = {name: sum(pq.ParquetFile(folder / part_file(name, i)).metadata.num_rows for i in range(partitions))
            for name in TABLES_WRITTEN}
    manifest = {
        "format": PARTITIONED_FORMAT, "version": 1, "generator_version": GENERATOR_VERSION,
        "n_customers": int(n_customers), "partitions": int(partitions), "seed": int(seed),
        "start": str(pd.Timestamp(start).date()), "end": str(pd.Timestamp(end).date()),
        "partition_customers": partition_sizes(n_customers, partitions).tolist(), "rows": rows,
        "options": {k: float(v) for k, v in sorted(options.items())},
        "cross_partition_supply_share": float(cross_share),
    }
    _write_json(folder / MANIFEST_NAME, manifest)
    return folder


def _write_json(target: Path, content: dict) -> None:
    handle, staging = tempfile.mkstemp(prefix=".manifest-", dir=target.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(content, out, indent=2, sort_keys=True)
    os.replace(staging, target)


def _mapper(local: pd.Series, global_: pd.Series):
    """A function replacing the ids ``local`` by ``global_`` in a str Series (others kept)."""
    index = pd.Index(local)

    def apply(values: pd.Series) -> pd.Series:
        pos = index.get_indexer(values)
        hit = pos >= 0
        out = values.to_numpy(dtype=object, copy=True)
        out[hit] = global_.to_numpy(dtype=object)[pos[hit]]
        return pd.Series(out, index=values.index, dtype="str")
    return apply


def _prefixed(values: pd.Series, letters: str, partition: int) -> pd.Series:
    """``INV00000001`` -> ``INV00003-00000001`` (the partition number after the letters)."""
    rest = values.str.slice(len(letters))
    return (letters + f"{partition:05d}-" + rest).astype("str")


def _globalise(book, i: int, offsets: np.ndarray, width: int, cross_share: float, seed: int) -> dict[str, pd.DataFrame]:
    tables = dict(book.tables)
    truth = book.truth.copy()
    n_i = int(offsets[i + 1] - offsets[i])
    local_ids = tables["customers"]["customer_id"]
    global_ids = format_ids("C", np.arange(offsets[i] + 1, offsets[i + 1] + 1), width)
    # external parties and groups are local to the partition; namespace their ids
    party = _mapper(local_ids, global_ids)

    def parties(values: pd.Series) -> pd.Series:
        mapped = party(values)
        external = values.str.startswith("P").fillna(False).to_numpy(dtype=bool)
        if external.any():
            mapped[external] = _prefixed(values[external], "P", i)
        return mapped

    out = {}
    for name, df in tables.items():
        df = df.copy()
        if "customer_id" in df.columns:
            df["customer_id"] = party(df["customer_id"])
        for column, letters in (("invoice_id", "INV"), ("order_id", "ORD"), ("event_id", "EV")):
            if column in df.columns:
                df[column] = _prefixed(df[column], letters, i)
        if name == "relations":
            df["src"], df["dst"] = parties(df["src"]), parties(df["dst"])
            df = pd.concat([df, _cross_links(df, i, offsets, width, cross_share, seed)], ignore_index=True)
        out[name] = df
    truth["customer_id"] = party(truth["customer_id"])
    truth["trigger_customer_id"] = party(truth["trigger_customer_id"])
    truth["ultimate_parent_id"] = parties(truth["ultimate_parent_id"])
    grouped = truth["group_id"].notna()
    truth.loc[grouped, "group_id"] = _prefixed(truth.loc[grouped, "group_id"], "G", i)
    out["truth"] = truth
    assert len(out["customers"]) == n_i
    return {name: out[name] for name in TABLES_WRITTEN}


def _cross_links(relations: pd.DataFrame, i: int, offsets: np.ndarray, width: int, share: float,
                 seed: int) -> pd.DataFrame:
    """Supply links from this partition's customers to customers of other partitions:
    copies of a random ``share`` of its supply links with the counterparty re-drawn."""
    n_total, n_parts = int(offsets[-1]), len(offsets) - 1
    supply = relations[relations["type"] == "supply"]
    k = int(round(share * len(supply)))
    if n_parts == 1 or k == 0:
        return relations.iloc[:0]
    # its own stream, after the partition's: SeedSequence(seed, spawn_key=(partition, 1))
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(i, 1)))
    rows = supply.iloc[np.sort(rng.choice(len(supply), size=k, replace=False))].copy()
    others = n_total - int(offsets[i + 1] - offsets[i])
    draw = rng.integers(0, others, size=k)
    # skip this partition's block: positions at or after its first customer move up by its size
    draw = np.where(draw >= offsets[i], draw + (offsets[i + 1] - offsets[i]), draw)
    rows["dst"] = format_ids("C", draw + 1, width).to_numpy()
    rows["dst"] = rows["dst"].astype("str")
    return rows.drop_duplicates(["src", "dst", "type", "start"]).reset_index(drop=True)
