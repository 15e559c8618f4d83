"""Partitioned books: the layout read back whole, validation per partition and across
partitions (on hand-made books whose violations are known), and the partition-wise
generator (global ids, whole customers per partition, relations across partitions)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_tables

import riskkit as rk
from riskkit.data.partitioned import (
    MANIFEST_NAME,
    PartitionedBook,
    part_file,
    validate_partitioned,
)
from riskkit.datasets.partitioned import (
    partition_seed,
    partition_sizes,
    write_partitioned_book,
)


def write_book(folder, parts: list[dict[str, pd.DataFrame]]) -> None:
    """The documented layout written by hand: <table>/part-0000i.parquet and the manifest."""
    for i, tables in enumerate(parts):
        for name, df in tables.items():
            (folder / name).mkdir(parents=True, exist_ok=True)
            df.to_parquet(folder / part_file(name, i), index=False)
    (folder / MANIFEST_NAME).write_text(json.dumps({"format": "riskkit-partitioned", "version": 1,
                                                    "partitions": len(parts)}))


def split(tables, first: list[str]) -> list[dict[str, pd.DataFrame]]:
    """Two partitions: the customers ``first`` with their records, and the others with theirs;
    relations stay with their ``src`` (external parties' relations in partition 0)."""
    parts = [{}, {}]
    for name, df in tables.items():
        key = "src" if name == "relations" else "customer_id"
        in_first = df[key].isin(first) | (~df[key].str.startswith("C") if name == "relations" else False)
        parts[0][name] = df[in_first].reset_index(drop=True)
        parts[1][name] = df[~in_first].reset_index(drop=True)
    return parts


def test_a_valid_split_reads_back_as_the_whole_book(tmp_path, tables):
    write_book(tmp_path, split(tables, ["C1", "C2"]))
    book, violations = validate_partitioned(tmp_path)
    assert book.partitions == 2 and violations.empty
    assert list(violations.columns) == ["partition", "table", "column", "check", "key", "value"]
    loaded = rk.data.load_portfolio(tmp_path)
    whole = rk.data.Portfolio(**tiny_tables())
    for name, df in whole.tables.items():
        # partition 0's rows then partition 1's: the hand-made tables list C3's records last
        got = loaded.tables[name].sort_values(list(df.columns[:2])).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, df.sort_values(list(df.columns[:2])).reset_index(drop=True),
                                      check_dtype=True)
    assert rk.data.is_partitioned(tmp_path) and not rk.data.is_partitioned(tmp_path / "customers")


def test_a_record_stored_away_from_its_customer_breaks_the_layout(tmp_path, tables):
    parts = split(tables, ["C1", "C2"])
    stray = parts[1]["invoices"]                     # C3's invoice I4 moved into partition 0
    parts[0]["invoices"] = pd.concat([parts[0]["invoices"], stray], ignore_index=True)
    parts[1]["invoices"] = stray.iloc[:0]
    write_book(tmp_path, parts)
    _, violations = validate_partitioned(tmp_path)
    assert violations[["partition", "table", "check", "key"]].values.tolist() == [
        [0, "invoices", "foreign_key_to_customers", "invoice_id=I4"]]
    with pytest.raises(rk.data.DataValidationError, match="foreign_key_to_customers") as info:
        rk.data.load_portfolio(tmp_path)
    assert info.value.violations["partition"].tolist() == [0]


def test_keys_repeated_in_two_partitions_are_reported_with_both_partitions(tmp_path, tables):
    parts = split(tables, ["C1", "C2"])
    parts[1]["customers"] = pd.concat([parts[1]["customers"], parts[0]["customers"].iloc[[1]]],
                                      ignore_index=True)                   # C2 in both partitions
    parts[1]["invoices"] = parts[1]["invoices"].assign(invoice_id="I1")    # I1 also in partition 0
    write_book(tmp_path, parts)
    _, violations = validate_partitioned(tmp_path)
    got = violations[["partition", "table", "check", "key", "value"]].values.tolist()
    assert got == [[1, "customers", "unique_key_across_partitions", "C2", "'also in partition 0'"],
                   [1, "invoices", "unique_key_across_partitions", "I1", "'also in partition 0'"]]


def test_shares_and_relation_keys_are_checked_across_partitions(tmp_path, tables):
    parts = split(tables, ["C1", "C2"])
    # P1 holds 60 % of C1 (partition 0); C3 takes another 50 % (partition 1): 110 % in total,
    # which no partition sees on its own.  And partition 0's supply link C1->C2 is repeated.
    extra = pd.DataFrame({"src": ["C3", "C1"], "dst": ["C1", "C2"], "type": ["shareholding", "supply"],
                          "weight": [0.5, 2e6], "start": pd.to_datetime(["2016-01-01", None]),
                          "end": pd.to_datetime([None, None])})
    parts[1]["relations"] = pd.concat([parts[1]["relations"], extra], ignore_index=True)
    write_book(tmp_path, parts)
    _, violations = validate_partitioned(tmp_path)
    got = violations[["partition", "table", "check", "key", "value"]].values.tolist()
    assert got == [
        [1, "relations", "unique_key_across_partitions", "src=C1, dst=C2, type=supply, start=NaT",
         "'also in partition 0'"],
        [1, "relations", "total_owned_share_at_most_1", "dst=C1", "'1.1'"],
    ]


def test_unreadable_layouts_are_refused_naming_the_file(tmp_path, tables):
    write_book(tmp_path, split(tables, ["C1", "C2"]))
    (tmp_path / part_file("orders", 1)).unlink()
    with pytest.raises(FileNotFoundError, match=r"orders/part-00001.parquet is missing"):
        PartitionedBook.open(tmp_path)
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"format": "riskkit-partitioned", "version": 1,
                                                      "partitions": 0}))
    with pytest.raises(ValueError, match="field 'partitions' must be a positive integer"):
        PartitionedBook.open(tmp_path)
    (tmp_path / part_file("customers", 1)).write_bytes(b"not parquet")
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"format": "riskkit-partitioned", "version": 1,
                                                      "partitions": 2}))
    (tmp_path / "orders").rename(tmp_path / "ordres")
    with pytest.raises(ValueError, match=r"\['ordres'\] are not Portfolio tables"):
        PartitionedBook.open(tmp_path)


# ------------------------------------------------------------------------- generator
def test_partition_sizes_and_seeds():
    assert partition_sizes(10, 3).tolist() == [4, 3, 3]
    # the seed of partition i is drawn from the i-th child of SeedSequence(seed).spawn
    children = np.random.SeedSequence(42).spawn(3)
    assert [partition_seed(42, i) for i in range(3)] == [
        int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]
    assert len({partition_seed(42, i) for i in range(50)}) == 50


@pytest.fixture(scope="module")
def small_book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("book") / "book"
    write_partitioned_book(folder, 185, 3, seed=9)
    return folder


@pytest.mark.slow
def test_generated_book_holds_whole_customers_with_global_ids(small_book):
    book, violations = validate_partitioned(small_book)
    assert violations.empty
    assert book.manifest["partition_customers"] == [62, 62, 61] and book.manifest["n_customers"] == 185
    ids = [book.read_tables(i)["customers"]["customer_id"].tolist() for i in range(3)]
    assert ids[0][0] == "C000001" and ids[1][0] == "C000063" and ids[2][-1] == "C000185"
    assert [c for part in ids for c in part] == [f"C{k:06d}" for k in range(1, 186)]
    # partition 1 is generate_portfolio(62, seed=partition_seed(9, 1)) with its ids moved to the global range
    alone = rk.datasets.generate_portfolio(62, seed=partition_seed(9, 1))
    part = book.read_partition(1)
    for name in ("customers", "invoices", "credit_decisions"):
        pd.testing.assert_frame_equal(part.tables[name].drop(columns=[c for c in part.tables[name].columns
                                                                      if c.endswith("_id")]),
                                      alone.tables[name].drop(columns=[c for c in alone.tables[name].columns
                                                                       if c.endswith("_id")]))
    assert part.invoices["invoice_id"].iloc[0] == "INV00001-00000001"
    assert part.truth["customer_id"].tolist() == ids[1]


@pytest.mark.slow
def test_generated_book_links_partitions_through_supply_relations(small_book):
    book = PartitionedBook.open(small_book)
    owners = {cid: i for i in range(3) for cid in book.read_tables(i)["customers"]["customer_id"]}
    crossing = 0
    for i in range(3):
        rel = book.read_tables(i)["relations"]
        customers_src = rel["src"].map(owners)
        assert (customers_src.dropna() == i).all()           # a relation lives with its src
        away = rel["dst"].map(owners).notna() & (rel["dst"].map(owners) != i)
        assert set(rel.loc[away, "type"]) <= {"supply"}
        crossing += int(away.sum())
    assert crossing > 0
    assert book.manifest["rows"]["relations"] == sum(len(book.read_tables(i)["relations"]) for i in range(3))


@pytest.mark.slow
def test_generation_is_deterministic_and_refuses_a_used_folder(small_book, tmp_path):
    again = write_partitioned_book(tmp_path / "again", 185, 3, seed=9)
    for i in range(3):
        for name, df in PartitionedBook.open(small_book).read_tables(i).items():
            pd.testing.assert_frame_equal(PartitionedBook.open(again).read_tables(i)[name], df)
    with pytest.raises(FileExistsError, match="not an empty folder"):
        write_partitioned_book(again, 185, 3, seed=9)
    with pytest.raises(ValueError, match="fewer than 20 customers"):
        write_partitioned_book(tmp_path / "x", 100, 6)


@pytest.mark.slow
def test_generator_survives_a_last_customer_without_orders():
    # seed of partition 1 of a (2400, 3, seed=11) book: its last customer defaults early in
    # 2021 and never orders; the credit check indexed one past the end of its event array
    # (IndexError in _synth_ledger before the fix)
    book = rk.datasets.generate_portfolio(800, seed=6378612423709111291)
    last = book.customers["customer_id"].iloc[-1]
    assert not (book.orders["customer_id"] == last).any()
    assert len(book.orders) > 10_000


def test_cli_validate_data_names_the_partition(tmp_path, tables, capsys):
    from riskkit.cli import main

    parts = split(tables, ["C1", "C2"])
    parts[1]["customers"] = pd.concat([parts[1]["customers"], parts[0]["customers"].iloc[[1]]],
                                      ignore_index=True)
    write_book(tmp_path, parts)
    assert main(["validate-data", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "partitioned book: 2 partitions, ? customers"
    assert out[1].split() == ["partition", "table", "column", "check", "key", "value"]
    assert out[2].split()[:5] == ["1", "customers", "customer_id", "unique_key_across_partitions", "C2"]


@pytest.mark.slow
def test_cli_synth_writes_a_partitioned_book(tmp_path, capsys):
    from riskkit.cli import main

    assert main(["synth", "--n-customers", "60", "--partitions", "2", "--seed", "3",
                 "--output", str(tmp_path / "book")]) == 0
    assert "in 2 partitions" in capsys.readouterr().out
    assert main(["validate-data", str(tmp_path / "book")]) == 0
    assert capsys.readouterr().out.splitlines() == ["partitioned book: 2 partitions, 60 customers",
                                                    "all data-model rules hold"]
    assert main(["synth", "--n-customers", "60", "--partitions", "2", "--output", str(tmp_path / "book")]) == 2
    assert "is not an empty folder" in capsys.readouterr().err


@pytest.mark.slow
def test_partitioned_book_has_the_monolithic_books_volumes(tmp_path):
    # Issue #14: partitioned books were said to have ~10 % fewer invoices per customer than
    # generate_portfolio; the gap was against a figure of the generator before its credit check
    # (9.33 M invoices per 100,000 customers; about 8.4 M since, on either path).  Same settings, both
    # paths, 8,000 customers.  Tolerances from the spread of (partitioned - monolithic) over 8
    # seeds at these settings (bench/RESULTS.md, "Partitioned vs monolithic"): sd 1.14 invoices
    # per customer (1.4 %; the book-level credit cycle dominates), 0.26 orders (0.55 %), 0.0076
    # in the default rate, 0.0042 in the share onboarded in the window; every tolerance is
    # about 4 sd, and a partition losing a tenth of its invoices (the suspected bug) is 7 sd away.
    n, seed = 8_000, 5
    book = PartitionedBook.open(write_partitioned_book(tmp_path / "book", n, 2, seed=seed))
    parts = [book.read_tables(i) for i in range(2)]
    part = {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in parts[0]}
    mono = rk.datasets.generate_portfolio(n, seed=seed)
    ids = part["customers"]["customer_id"]
    assert ids.tolist() == mono.customers["customer_id"].tolist()            # C0001 ... C8000, once each
    assert part["truth"]["customer_id"].tolist() == ids.tolist()
    assert len(part["invoices"]) / n == pytest.approx(len(mono.invoices) / n, rel=0.06)
    assert len(part["orders"]) / n == pytest.approx(len(mono.orders) / n, rel=0.02)
    defaulted = part["truth"]["defaulted"]
    assert defaulted.mean() == pytest.approx(mono.truth["defaulted"].mean(), abs=0.03)
    assert sorted(part["defaults"]["customer_id"]) == sorted(part["truth"].loc[defaulted, "customer_id"])
    in_window = (part["customers"]["onboarded"] >= "2021-01-01").mean()
    assert in_window == pytest.approx((mono.customers["onboarded"] >= "2021-01-01").mean(), abs=0.02)
    # every partition's history runs to the end of the window (nothing cut at its tail)
    for p in parts:
        assert p["invoices"]["issue_date"].max() >= pd.Timestamp("2025-12-01")
        assert p["customers"]["onboarded"].max() >= pd.Timestamp("2025-06-01")
    # every relation's customer end exists; external parties carry their partition's number
    rel = part["relations"]
    for end in ("src", "dst"):
        customer_end = rel[end].str.startswith("C")
        assert rel.loc[customer_end, end].isin(ids).all()
        assert rel.loc[~customer_end, end].str.fullmatch(r"P0000[01]-\d+").all()
