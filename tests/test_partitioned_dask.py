"""Profiles, labels, development samples and ratings of a partitioned book on a real Dask
LocalCluster equal those of the pandas path on the same book loaded whole; the CLI picks
the engine by the data's layout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import riskkit as rk
from riskkit.assess.partitioned import assess_partitioned
from riskkit.cli import main
from riskkit.profile.partitioned import (
    book_data_end,
    build_profile_partitioned,
    default_flags_partitioned,
    development_sample_partitioned,
)

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow
AS_OF = "2024-06-30"
DATES = ["2022-12-31", "2023-06-30", "2023-12-31"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def book_path(partitioned_book_path):
    return partitioned_book_path  # conftest: one book for the Dask-vs-pandas modules


@pytest.fixture(scope="module")
def whole(partitioned_whole):
    return partitioned_whole


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


def test_profile_on_dask_equals_pandas_on_the_whole_book(book_path, whole, client):
    expected = rk.profile.build_profile(whole, AS_OF)
    got = build_profile_partitioned(book_path, AS_OF, scheduler=client)
    assert len(got) > 2000
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)


def test_labels_and_development_sample_on_dask_equal_pandas(book_path, whole, client):
    assert book_data_end(book_path, scheduler=client) == pd.Timestamp("2025-12-31")
    flags = default_flags_partitioned(book_path, AS_OF, scheduler=client)
    pd.testing.assert_series_equal(flags, rk.profile.default_flags(whole, AS_OF))
    assert flags.sum() > 20
    sample = development_sample_partitioned(book_path, DATES, scheduler=client)
    pd.testing.assert_frame_equal(sample, rk.profile.development_sample(whole, DATES), rtol=1e-12)
    # the censoring warning looks at the end of the whole book's data, as the pandas path does
    with pytest.warns(UserWarning, match="right-censored"):
        default_flags_partitioned(book_path, "2025-06-30", scheduler=client)


def test_batch_rating_on_dask_equals_assess_portfolio(book_path, whole, client):
    card, _ = rk.assess.fit_portfolio_scorecard(whole, DATES)
    expected = rk.assess.assess_portfolio(whole, AS_OF, card)
    got = assess_partitioned(book_path, AS_OF, card, scheduler=client)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    assert got["grade"].nunique() > 5


def test_cli_profile_and_rate_pick_the_engine_by_layout(book_path, whole, client, tmp_path, capsys):
    # profile: a real subprocess starting its own LocalCluster (2 worker processes)
    expected = rk.profile.build_profile(whole, AS_OF)
    out = tmp_path / "profile.parquet"
    run = subprocess.run([sys.executable, "-m", "riskkit.cli", "profile", "--data", str(book_path),  # noqa: PLW1510
                          "--as-of", AS_OF, "--output", str(out)], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=tmp_path, timeout=900)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"profiled {len(expected)} customers as of {AS_OF}")
    assert "Traceback" not in run.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(out).set_index("customer_id"), expected, rtol=1e-12)
    # rate: on the running cluster by its address, and with --engine pandas on the whole book
    card, _ = rk.assess.fit_portfolio_scorecard(whole, DATES)
    model = tmp_path / "card.json"
    model.write_text(card.to_json(), encoding="utf-8")
    expected = rk.assess.assess_portfolio(whole, AS_OF, card)
    for extra in (["--scheduler", client.scheduler.address], ["--engine", "pandas"]):
        out = tmp_path / "ratings.parquet"
        assert main(["rate", "--data", str(book_path), "--as-of", AS_OF, "--model", str(model),
                     "--output", str(out), *extra]) == 0
        assert capsys.readouterr().out.startswith(f"rated {len(expected)} customers as of {AS_OF}")
        pd.testing.assert_frame_equal(pd.read_parquet(out).set_index("customer_id"), expected, rtol=1e-12)


def test_cli_mistakes_are_one_line(book_path, tmp_path, capsys):
    rk.datasets.write_sample(tmp_path / "flat", n_customers=60, seed=1)
    assert main(["profile", "--data", str(tmp_path / "flat"), "--as-of", AS_OF, "--engine", "dask",
                 "--output", str(tmp_path / "p.parquet")]) == 2
    assert capsys.readouterr().err.strip().endswith("needs a partitioned book; "
                                                    f"{str(tmp_path / 'flat')!r} is a folder of table files")
    assert main(["profile", "--data", str(book_path), "--as-of", AS_OF, "--output", str(tmp_path / "p.csv")]) == 2
    assert "must be a .parquet file" in capsys.readouterr().err
    assert main(["rate", "--data", str(book_path), "--as-of", "2024-02-30", "--output",
                 str(tmp_path / "r.parquet")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--as-of" in err
