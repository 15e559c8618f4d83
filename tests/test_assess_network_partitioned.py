"""Network-adjusted PDs of a partitioned book on a real Dask LocalCluster equal
``network_pd_scores`` (the pandas path) on the same book loaded whole, cross-partition
relations included; bad input fails as it does on the pandas path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit.assess import network_pd_partitioned, network_pd_scores
from riskkit.cli import main
from riskkit.graph import GraphInputError

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow
AS_OF = "2024-06-30"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def book_path(partitioned_book_path):
    return partitioned_book_path  # conftest: one book for the Dask-vs-pandas modules


@pytest.fixture(scope="module")
def whole(partitioned_whole):
    return partitioned_whole


@pytest.fixture(scope="module")
def client():
    # the one cluster of this module; on TCP so that a CLI subprocess can use it
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def home(book_path):
    """Partition of every customer, read from the files (not from the code under test)."""
    book = rk.data.PartitionedBook.open(book_path)
    return pd.concat([pd.read_parquet(book.file("customers", i), columns=["customer_id"]).assign(partition=i)
                      for i in range(book.partitions)]).set_index("customer_id")["partition"]


def test_network_pds_on_dask_equal_the_pandas_path_on_the_whole_book(book_path, whole, client, home):
    expected = network_pd_scores(whole, AS_OF)
    got = network_pd_partitioned(book_path, AS_OF, scheduler=client)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    assert len(got) > 2000 and got["default"].sum() > 20 and got["contagion_default"].sum() > 0
    assert (got["pd_network"] > got["pd"] + 1e-6).sum() > 500        # the adjustment does something
    # relations across partitions are honoured: customers whose main source of contagion
    # lives in another partition get the uplift the whole book gives them
    source = got["main_source"].dropna()
    source = source[source.isin(home.index)]
    across = source[home.reindex(source.index).to_numpy() != home.reindex(source).to_numpy()]
    assert len(across) >= 10
    assert (got.loc[across.index, "pd_uplift"] > 0).all()


def test_evaluation_on_dask_equals_the_pandas_path(book_path, whole, client):
    from riskkit.assess import evaluate_network_pd, evaluate_network_pd_partitioned

    expected = evaluate_network_pd(whole, AS_OF, strength=0.5)
    got = evaluate_network_pd_partitioned(book_path, AS_OF, strength=0.5, scheduler=client)
    assert got.as_of == expected.as_of and got.strength == 0.5 and got.horizon_days == 365
    pd.testing.assert_frame_equal(got.comparison, expected.comparison, rtol=1e-12)
    pd.testing.assert_frame_equal(got.table, expected.table, rtol=1e-12)
    # both targets have events, so the comparison is a real one (no NaN rows)
    assert got.comparison[["auc_standalone", "auc_network", "pvalue"]].notna().all().all()


def test_strength_calibration_on_dask_equals_the_pandas_path(book_path, whole, client):
    from riskkit.assess import calibrate_transmission_strength, calibrate_transmission_strength_partitioned

    expected = calibrate_transmission_strength(whole, "2023-06-30", grid_size=5)
    got = calibrate_transmission_strength_partitioned(book_path, "2023-06-30", grid_size=5, scheduler=client)
    assert got.strength == pytest.approx(expected.strength, rel=1e-9)
    assert got.log_likelihood == pytest.approx(expected.log_likelihood, rel=1e-12)
    assert got.pvalue == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-15)
    assert (got.n, got.n_events) == (expected.n, expected.n_events) and got.n_events > 20
    pd.testing.assert_frame_equal(got.profile, expected.profile, rtol=1e-12)
    with pytest.raises(GraphInputError, match="grid_size"):
        calibrate_transmission_strength_partitioned(book_path, "2023-06-30", grid_size=2, scheduler=client)


def test_graph_features_network_profile_and_stress_on_dask_equal_the_pandas_path(book_path, whole, client):
    from riskkit.assess import (
        network_profile,
        network_profile_partitioned,
        portfolio_graph_features,
        portfolio_graph_features_partitioned,
        portfolio_stress_test,
        portfolio_stress_test_partitioned,
    )

    expected = portfolio_graph_features(whole, AS_OF)
    got = portfolio_graph_features_partitioned(book_path, AS_OF, scheduler=client)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    # the features carry information: groups, guarantees and a DebtRank impact somewhere
    assert got.select_dtypes("number").abs().sum().gt(0).sum() >= 5
    pd.testing.assert_frame_equal(network_profile_partitioned(book_path, AS_OF, scheduler=client),
                                  network_profile(whole, AS_OF), rtol=1e-12)
    for scenario in ({"kind": "largest_guarantor"}, {"kind": "default", "nodes": [str(expected.index[0])]}):
        a = portfolio_stress_test_partitioned(book_path, AS_OF, scenario, scheduler=client)
        b = portfolio_stress_test(whole, AS_OF, scenario)
        for name in ("affected", "losses", "groups"):
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), rtol=1e-12)
        assert a.totals == pytest.approx(b.totals, rel=1e-12)
        assert len(a.affected) >= 1 and len(a.losses) >= 1   # the scenario hits somebody


def test_network_inputs_give_the_graph_functions_and_group_tables_of_the_pandas_path(book_path, whole, client):
    import networkx as nx

    from riskkit.assess import network_inputs_partitioned

    inputs = network_inputs_partitioned(book_path, AS_OF, scheduler=client)
    G = rk.graph.build_graph(whole, AS_OF)
    exposure = rk.limits.exposure(whole, AS_OF)
    assert nx.utils.graphs_equal(inputs.graph, G)      # same nodes, edges and attributes
    assert sorted(inputs.graph.edges(keys=True)) == sorted(G.edges(keys=True))
    pd.testing.assert_frame_equal(inputs.exposure, exposure)
    pd.testing.assert_series_equal(inputs.capital, rk.assess.default_capital(G, whole, AS_OF))
    onboarded = whole.customers.loc[whole.customers["onboarded"].isna()
                                    | (whole.customers["onboarded"] <= pd.Timestamp(AS_OF)), "customer_id"]
    assert sorted(inputs.customers) == sorted(onboarded)
    # the group tables of the contagion report, from the partitioned inputs and from the whole book
    totals = rk.graph.group_totals(rk.graph.control_groups(inputs.graph), inputs.exposure)
    expected = rk.graph.group_totals(rk.graph.control_groups(G), exposure)
    pd.testing.assert_frame_equal(totals, expected)
    concentration = rk.assess.group_concentration(totals, inputs.exposure)
    assert concentration == rk.assess.group_concentration(expected, exposure)
    assert concentration.n_groups > 0 and concentration.ead > 0     # the book has groups we lend to
    circles = rk.graph.guarantee_circles(inputs.graph).circles
    pd.testing.assert_series_equal(rk.assess.circle_exposure(circles["members"], inputs.exposure),
                                   rk.assess.circle_exposure(rk.graph.guarantee_circles(G).circles["members"],
                                                             exposure))
    pd.testing.assert_frame_equal(rk.assess.party_counts(inputs.graph), rk.assess.party_counts(G))


def test_options_pass_through(book_path, whole, client):
    # a stand-alone PD of our own (not the oracle), statement total assets as capital,
    # a shorter window and lookback, half strength, two hops
    ids = whole.customers["customer_id"]
    pds = pd.Series(np.linspace(0.001, 0.2, len(ids)), index=ids.to_numpy())
    options = {"horizon_days": 180, "strength": 0.5, "capital": "total_assets", "lookback_days": 90,
               "max_hops": 2}
    expected = network_pd_scores(whole, "2023-12-31", pds, **options)
    got = network_pd_partitioned(book_path, "2023-12-31", pds, scheduler=client, **options)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    assert not got["pd"].equals(network_pd_scores(whole, "2023-12-31")["pd"])


def test_as_of_after_the_data_warns_as_the_pandas_path(book_path, whole, client):
    late = "2026-06-30"                    # the book's data end on 2025-12-31
    with pytest.warns(rk.AsOfAfterDataWarning, match="build_graph"):
        expected = network_pd_scores(whole, late)
    with pytest.warns(rk.AsOfAfterDataWarning, match="build_graph"):
        got = network_pd_partitioned(book_path, late, scheduler=client)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)


def test_open_invoices_are_judged_at_the_end_of_the_whole_book(book_path, whole, client, tmp_path):
    # one record dated 2026-06-30 in the last partition moves the end of the book's data
    # by six months: invoices of the other partitions still open at the end, due in
    # January to March 2026, then reach 90 days past due within the data and are defaults
    # (labels.py) -- on the book loaded whole, hence on every partition too
    later = tmp_path / "book"
    shutil.copytree(book_path, later)
    book = rk.data.PartitionedBook.open(later)
    last = book.file("events", book.partitions - 1)
    events = pd.read_parquet(last)
    row = events[events["category"] == "business_change"].iloc[[0]]
    row = row.assign(event_id="EV-LATE-1", date=pd.Timestamp("2026-06-30"))
    pd.concat([events, row], ignore_index=True).to_parquet(last, index=False)
    moved = rk.data.load_portfolio(later)
    expected = network_pd_scores(moved, "2025-06-30")
    got = network_pd_partitioned(later, "2025-06-30", scheduler=client)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    before = network_pd_scores(whole, "2025-06-30")["default"]
    gained = expected.index[(expected["default"] == 1) & (before.reindex(expected.index) == 0)]
    first_partitions = pd.read_parquet(book.file("customers", 0), columns=["customer_id"])["customer_id"]
    assert gained.isin(first_partitions).sum() >= 5


def _message(error, func, *args, **kwargs) -> str:
    with pytest.raises(error) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        func(*args, **kwargs)
    return str(info.value)


def test_bad_input_fails_as_on_the_pandas_path(book_path, whole, client):
    ids = whole.customers["customer_id"]
    partial = pd.Series(0.05, index=ids.iloc[5:].to_numpy())      # the first five are missing
    cases = [
        ({"pd_values": partial}, "no stand-alone PD for customers at risk"),
        ({"pd_values": [0.1, 0.2]}, "Series or mapping"),
        ({"capital": "turnover"}, "capital must be"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"as_of": "2024-02-30"}, "as_of"),
        ({"as_of": "1990-01-01"}, "onboarded"),
    ]
    for kwargs, words in cases:
        kwargs = {"as_of": AS_OF, **kwargs}
        expected = _message(GraphInputError, network_pd_scores, whole, **kwargs)
        got = _message(GraphInputError, network_pd_partitioned, book_path, scheduler=client, **kwargs)
        assert words in got
        assert got == expected
    assert ids.iloc[0] in _message(GraphInputError, network_pd_partitioned, book_path, AS_OF, partial,
                                   scheduler=client)
    with pytest.raises(TypeError, match="scheduler must be"):
        network_pd_partitioned(book_path, AS_OF, scheduler=42)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        network_pd_partitioned(book_path / "nowhere", AS_OF, scheduler=client)


def test_cli_rate_network_adds_the_network_pd_of_the_scorecard_pd(book_path, whole, client, tmp_path, capsys):
    card, _ = rk.assess.fit_portfolio_scorecard(whole, ["2023-06-30"])     # any scorecard will do
    model = tmp_path / "card.json"
    model.write_text(card.to_json(), encoding="utf-8")
    ratings = rk.assess.assess_portfolio(whole, AS_OF, card)
    network = network_pd_scores(whole, AS_OF, ratings["pd"])
    columns = ["pd_network", "pd_uplift", "main_source", "main_channel", "n_links"]
    expected = ratings.join(network[columns])
    args = ["rate", "--data", str(book_path), "--as-of", AS_OF, "--model", str(model), "--network"]
    # a real subprocess on this module's cluster by its address ...
    out = tmp_path / "dask.parquet"
    run = subprocess.run([sys.executable, "-m", "riskkit.cli", *args, "--output", str(out),  # noqa: PLW1510
                          "--scheduler", client.scheduler.address],
                         capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"rated {len(expected)} customers as of {AS_OF}")
    pd.testing.assert_frame_equal(pd.read_parquet(out).set_index("customer_id"), expected, rtol=1e-12)
    # ... and pandas on the book loaded whole
    out = tmp_path / "pandas.parquet"
    assert main([*args, "--output", str(out), "--engine", "pandas"]) == 0
    assert capsys.readouterr().out.startswith(f"rated {len(expected)} customers as of {AS_OF}")
    got = pd.read_parquet(out).set_index("customer_id")
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    # customers in default on the date keep their rating and get no network PD
    assert got["pd_network"].isna().sum() == len(ratings) - len(network) > 0
    assert "default" not in got.columns                  # outcomes after as_of are not written
