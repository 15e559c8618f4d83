"""Batch rating and network PDs of a partitioned book on Dask.

:func:`assess_partitioned`: every column of :func:`assess_portfolio` (expert score,
scorecard points and PD, the rating rules' grade, exposure, expected loss) is a function
of one customer's own records, so each Dask task rates one partition, read from disk on
the worker, and the ratings are concatenated; the result equals
``assess_portfolio(whole_book, ...)``.

:func:`network_pd_partitioned`: the network-adjusted PDs of
:func:`riskkit.assess.network_pd_scores` need the whole relations table, but that table
is small (about 0.9 relations per customer); what needs the big tables (invoices,
events, defaults, statements) is per customer.  Each task returns its partition's
customers, relations, first default dates (:func:`riskkit.profile.first_default_dates`
with the whole book's end of data), the statement values the capital choice reads and
its truth columns; the client concatenates them and runs the graph part once.  A
relation is stored with the partition of its ``src``, so relations whose counterparty
lives in another partition are all present after the concatenation.

The evaluation and the strength fit of the network PDs
(:func:`evaluate_network_pd_partitioned`, :func:`calibrate_transmission_strength_partitioned`)
reuse those facts.  The relationship features, the network profile and the stress tests
(:func:`portfolio_graph_features_partitioned`, :func:`network_profile_partitioned`,
:func:`portfolio_stress_test_partitioned`) add each partition's exposure
(:func:`riskkit.limits.exposure`, per customer) and statement equity (the default
capital) to the facts.

:func:`network_inputs_partitioned` returns those inputs themselves (the graph, the
exposure table and the default capital), so that every graph function of
:mod:`riskkit.graph` and the group (linked party) tables of
:mod:`riskkit.assess.network_tables` run on a partitioned book too.  A
batch rating of a partitioned book (:func:`assess_partitioned`) has no network
adjustment, as ``assess_portfolio`` has none; ``riskkit rate --network`` joins the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import networkx as nx
import pandas as pd

from .._core.dates import check_as_of, check_as_of_in_period
from ..data.engine import dask_client, map_partitions
from ..data.portfolio import Portfolio
from ..data.privacy import PII_COLUMNS
from ..graph import build_graph
from ..profile import build_profile, first_default_dates
from ..profile.partitioned import (
    book_data_end,
    development_sample_partitioned,
    open_book,
)
from ..scoring import ExpertScorecard, RatingRules, Scorecard
from ..graph import GraphInputError, StressResult, StressScenario, graph_features, stress_test
from ..limits import exposure as exposure_table
from ._graph import capital_from_statements, latest_statement_value
from .network_pd import (
    NetworkPDEvaluation,
    StrengthCalibration,
    _BookFacts,
    _calibration,
    _capital_column,
    _check_options,
    _check_search,
    _evaluation,
    _scores,
    _Setup,
    _setup_from_facts,
)
from .pipeline import (
    DEFAULT_LGD,
    MODEL_FEATURES,
    assess_portfolio,
    fit_portfolio_scorecard,
)

__all__ = ["assess_partitioned", "fit_scorecard_partitioned", "network_pd_partitioned",
           "evaluate_network_pd_partitioned", "calibrate_transmission_strength_partitioned",
           "portfolio_graph_features_partitioned", "network_profile_partitioned",
           "portfolio_stress_test_partitioned", "network_inputs_partitioned", "NetworkInputs"]


def _rate_task(book, partition, as_of, scorecard, expert, rules, lgd, validate) -> pd.DataFrame:
    part = book.read_partition(partition, validate=validate)
    return assess_portfolio(part, as_of, scorecard, expert=expert, rules=rules, lgd=lgd,
                            profile=build_profile(part, as_of))


def assess_partitioned(book, as_of, scorecard: Scorecard, expert: ExpertScorecard | None = None,
                       rules: RatingRules | None = None, lgd: float = DEFAULT_LGD, *,
                       scheduler=None, validate: bool = True) -> pd.DataFrame:
    """Rate every customer of a partitioned book on ``as_of``, one partition per Dask task.

    Parameters
    ----------
    book : PartitionedBook or path
    as_of, scorecard, expert, rules, lgd
        As in :func:`riskkit.assess.assess_portfolio`.
    scheduler : None, str or distributed.Client
        See :func:`riskkit.data.engine.dask_client` (None: a 2-worker LocalCluster).
    validate : bool, default True
        Each task checks its partition against the data model first.

    Returns
    -------
    DataFrame equal to :func:`riskkit.assess.assess_portfolio` on the whole book with
    the same arguments, indexed by the sorted ``customer_id``.
    """
    as_of = check_as_of(as_of)
    expert = ExpertScorecard.default() if expert is None else expert
    rules = RatingRules.default() if rules is None else rules
    book = open_book(book)
    parts = map_partitions(book, _rate_task, as_of, scorecard, expert, rules, lgd, validate, scheduler=scheduler)
    out = pd.concat(parts)
    return out if out.index.is_monotonic_increasing else out.sort_index(kind="stable")


def fit_scorecard_partitioned(book, as_of_dates: Sequence, horizon_days: int = 365,
                              features: Sequence[str] = MODEL_FEATURES, scorecard: Scorecard | None = None, *,
                              scheduler=None) -> tuple[Scorecard, pd.DataFrame]:
    """:func:`fit_portfolio_scorecard` on a partitioned book: the development sample is
    built on Dask (:func:`riskkit.profile.partitioned.development_sample_partitioned`),
    the scorecard is fitted on it in this process (it must fit in memory)."""
    sample = development_sample_partitioned(book, list(as_of_dates), horizon_days=horizon_days, scheduler=scheduler)
    return fit_portfolio_scorecard(None, as_of_dates, horizon_days=horizon_days, features=features,
                                   scorecard=scorecard, sample=sample)


#: truth columns the network PDs read (the oracle stand-alone PD, the contagion label)
_TRUTH_COLUMNS = ("customer_id", "true_pd", "contagion_default")


def _network_facts_task(book, partition, as_of, data_end, statement_column, validate,
                        with_exposure: bool = False) -> dict:
    """The small frames of one partition that the network PDs need (see the module docstring),
    and with ``with_exposure`` its customers' :func:`riskkit.limits.exposure` on ``as_of``."""
    part = book.read_partition(partition, validate=validate)
    truth = part.truth
    if truth is not None:
        truth = truth[[c for c in _TRUTH_COLUMNS if c in truth.columns]]
    customers = part.customers
    return {
        # personal data never reach graph nodes (build_graph drops them): leave them on the worker
        "customers": customers.drop(columns=[c for c in PII_COLUMNS if c in customers.columns]),
        "relations": part.relations,
        "first_default": first_default_dates(part, data_end=data_end),
        "statement": None if statement_column is None else latest_statement_value(part, as_of, statement_column),
        "truth": truth,
        "exposure": exposure_table(part, as_of) if with_exposure else None,
    }


def _concat(parts: list[dict], key: str, **kwargs):
    frames = [p[key] for p in parts if p[key] is not None]
    return pd.concat(frames, **kwargs) if frames else None


def network_pd_partitioned(
    book,
    as_of: Any,
    pd_values: Any = None,
    *,
    horizon_days: int = 365,
    strength: float = 1.0,
    transmission: Any = None,
    capital: Any = None,
    lookback_days: int = 365,
    max_hops: int = 3,
    graph: nx.Graph | None = None,
    scheduler=None,
    validate: bool = True,
) -> pd.DataFrame:
    """:func:`riskkit.assess.network_pd_scores` of a partitioned book: the per-customer
    facts on Dask, the graph part once in this process.

    Parameters
    ----------
    book : PartitionedBook or path
    as_of, pd_values, horizon_days, strength, transmission, capital, lookback_days, max_hops, graph
        As in :func:`riskkit.assess.network_pd_scores`.
    scheduler : None, str or distributed.Client
        See :func:`riskkit.data.engine.dask_client` (None: a 2-worker LocalCluster).
    validate : bool, default True
        Each task checks its partition against the data model first (rules across
        partitions are :func:`riskkit.data.validate_partitioned`'s).

    Returns
    -------
    DataFrame equal to ``network_pd_scores(whole_book, as_of, pd_values, ...)``.

    Raises
    ------
    GraphInputError
        As :func:`riskkit.assess.network_pd_scores` (no PD and no truth, PDs missing or
        outside [0, 1], bad dates, windows or capital choice).

    Notes
    -----
    Two passes over the partitions on one cluster: the end of the book's data
    (:func:`riskkit.profile.partitioned.book_data_end`), which decides whether an
    invoice open at the end is a 90+ DPD default, then the facts.  This process holds
    the customers (without personal data), the relations, one date per customer and
    the graph: about what :func:`network_pd_scores` holds besides the book itself.
    """
    setup = _partitioned_setup(book, as_of, pd_values, horizon_days=horizon_days, capital=capital,
                               lookback_days=lookback_days, graph=graph, scheduler=scheduler, validate=validate)
    return _scores(setup, strength=strength, transmission=transmission, max_hops=max_hops)


def _gather_facts(book, as_of: pd.Timestamp, statement_column: str | None, validate: bool, scheduler,
                  with_exposure: bool = False):
    """The per-partition facts (:func:`_network_facts_task`) gathered on one cluster, the
    skeleton book they make (customers and relations) and a graph builder on it."""
    book = open_book(book)
    with dask_client(scheduler) as client:  # one cluster for both passes
        data_end = book_data_end(book, scheduler=client)
        parts = map_partitions(book, _network_facts_task, as_of, data_end, statement_column, validate,
                               with_exposure, scheduler=client)
    # partition order is the order of the book loaded whole (load_partitioned)
    skeleton = Portfolio(_concat(parts, "customers", ignore_index=True),
                         relations=_concat(parts, "relations", ignore_index=True), validate=False)
    first_onboarded = skeleton.customers["onboarded"].min()

    def graph_on(day: pd.Timestamp) -> nx.Graph:
        # build_graph checks the date against the skeleton's period, which lacks the records' end
        check_as_of_in_period(day, first_onboarded, data_end, what="build_graph")
        return build_graph(skeleton, day)

    return parts, skeleton, graph_on


def _partitioned_setup(book, as_of, pd_values, *, horizon_days: int, capital: Any, lookback_days: int,
                       graph: nx.Graph | None, scheduler, validate: bool) -> _Setup:
    """The network-PD setup of a partitioned book (the facts on Dask, the rest here)."""
    ts = _check_options(as_of, horizon_days, lookback_days)
    parts, skeleton, graph_on = _gather_facts(book, ts, _capital_column(capital), validate, scheduler)
    statement = _concat(parts, "statement")
    facts = _BookFacts(customers=skeleton.customers, first_default=_concat(parts, "first_default"),
                       truth=_concat(parts, "truth", ignore_index=True),
                       statement=None if statement is None else statement.sort_index(kind="stable"),
                       graph_on=graph_on)
    return _setup_from_facts(facts, ts, pd_values, horizon_days=horizon_days, capital=capital,
                             lookback_days=lookback_days, graph=graph)


def evaluate_network_pd_partitioned(
    book,
    as_of: Any,
    pd_values: Any = None,
    *,
    horizon_days: int = 365,
    strength: float = 1.0,
    transmission: Any = None,
    capital: Any = None,
    lookback_days: int = 365,
    max_hops: int = 3,
    graph: nx.Graph | None = None,
    scheduler=None,
    validate: bool = True,
) -> NetworkPDEvaluation:
    """:func:`riskkit.assess.evaluate_network_pd` of a partitioned book: the scores of
    :func:`network_pd_partitioned`, then the same AUCs and paired DeLong test.

    Parameters and errors are those of :func:`network_pd_partitioned`; the result equals
    ``evaluate_network_pd(whole_book, as_of, pd_values, ...)``.
    """
    scores = network_pd_partitioned(book, as_of, pd_values, horizon_days=horizon_days, strength=strength,
                                    transmission=transmission, capital=capital, lookback_days=lookback_days,
                                    max_hops=max_hops, graph=graph, scheduler=scheduler, validate=validate)
    return _evaluation(scores, check_as_of(as_of), horizon_days, strength)


def calibrate_transmission_strength_partitioned(
    book,
    as_of: Any,
    pd_values: Any = None,
    *,
    horizon_days: int = 365,
    bounds: tuple[float, float] = (0.0, 2.0),
    grid_size: int = 21,
    transmission: Any = None,
    capital: Any = None,
    lookback_days: int = 365,
    max_hops: int = 3,
    graph: nx.Graph | None = None,
    scheduler=None,
    validate: bool = True,
) -> StrengthCalibration:
    """:func:`riskkit.assess.calibrate_transmission_strength` of a partitioned book.

    The facts are gathered once on Dask (as in :func:`network_pd_partitioned`); the
    likelihood search runs here on the graph.  Parameters and errors are those of the
    two functions; the result equals the pandas path's on the book loaded whole.
    """
    low, high = _check_search(bounds, grid_size)
    setup = _partitioned_setup(book, as_of, pd_values, horizon_days=horizon_days, capital=capital,
                               lookback_days=lookback_days, graph=graph, scheduler=scheduler, validate=validate)
    return _calibration(setup, low, high, grid_size, transmission=transmission, max_hops=max_hops,
                        horizon_days=horizon_days)


class NetworkInputs(NamedTuple):
    """What every graph function and group table needs, from a partitioned book
    (:func:`network_inputs_partitioned`)."""

    #: the relationship graph on ``as_of`` (:func:`riskkit.graph.build_graph`)
    graph: nx.MultiDiGraph
    #: ids of the customers onboarded by ``as_of``
    customers: pd.Series
    #: :func:`riskkit.limits.exposure` of every customer on ``as_of``
    exposure: pd.DataFrame
    #: the kit's default loss-absorbing capital per node (:func:`riskkit.assess.default_capital`)
    capital: pd.Series


def network_inputs_partitioned(book, as_of, *, scheduler=None, validate: bool = True) -> NetworkInputs:
    """The graph, exposure and default capital of a partitioned book on ``as_of``.

    What the pandas path computes as ``build_graph(portfolio, as_of)``,
    ``exposure(portfolio, as_of)`` and ``default_capital(G, portfolio, as_of)``: each
    partition's exposure and statement equity on Dask, the relations gathered and the graph
    built once here.  With it every graph function (:mod:`riskkit.graph`: control groups,
    guarantee circles, systemic importance) and the group tables of
    :mod:`riskkit.assess.network_tables` run on a book larger than memory, equal to the
    pandas path on the book loaded whole.

    Examples
    --------
    >>> inputs = network_inputs_partitioned("book/", "2024-06-30")          # doctest: +SKIP
    >>> totals = rk.graph.group_totals(rk.graph.control_groups(inputs.graph), inputs.exposure)  # doctest: +SKIP
    >>> rk.assess.group_concentration(totals, inputs.exposure).summary()   # doctest: +SKIP
    """
    as_of = check_as_of(as_of)
    parts, skeleton, graph_on = _gather_facts(book, as_of, "equity", validate, scheduler, with_exposure=True)
    G = graph_on(as_of)
    customers = skeleton.customers
    onboarded = customers.loc[customers["onboarded"].isna() | (customers["onboarded"] <= as_of), "customer_id"]
    exposure = _concat(parts, "exposure").sort_index(kind="stable")
    equity = _concat(parts, "statement")
    capital = capital_from_statements(G, None if equity is None else equity.sort_index(kind="stable"))
    return NetworkInputs(G, onboarded, exposure, capital)


def portfolio_graph_features_partitioned(book, as_of, *, threshold: float = 0.5, scheduler=None,
                                         validate: bool = True) -> pd.DataFrame:
    """:func:`riskkit.assess.portfolio_graph_features` of a partitioned book.

    Exposure (:func:`riskkit.limits.exposure`) and the statement equity behind the default
    capital are computed per partition on Dask; the relations are gathered and the graph
    features computed once here.  The result equals the pandas path's on the book loaded
    whole.
    """
    G, onboarded, exposure, capital = network_inputs_partitioned(book, as_of, scheduler=scheduler, validate=validate)
    return graph_features(G, onboarded, exposure=exposure, threshold=threshold, capital=capital)


def network_profile_partitioned(book, as_of, *, scheduler=None, validate: bool = True,
                                **profile_options) -> pd.DataFrame:
    """:func:`riskkit.assess.network_profile` of a partitioned book: the profile partition by
    partition (:func:`riskkit.profile.partitioned.build_profile_partitioned`) joined with
    :func:`portfolio_graph_features_partitioned`, on one cluster."""
    from ..profile.partitioned import build_profile_partitioned

    with dask_client(scheduler) as client:
        profile = build_profile_partitioned(book, as_of, scheduler=client, validate=validate, **profile_options)
        relationship = portfolio_graph_features_partitioned(book, as_of, scheduler=client, validate=validate)
    return profile.join(relationship.reindex(profile.index))


def portfolio_stress_test_partitioned(book, as_of, scenario: StressScenario | Any, *, scheduler=None,
                                      validate: bool = True, **options) -> StressResult:
    """:func:`riskkit.assess.portfolio_stress_test` of a partitioned book (EAD and the default
    capital from the partitions on Dask, the scenario on the whole graph here); ``options``
    go to :func:`riskkit.graph.stress_test`."""
    G, _, exposure, capital = network_inputs_partitioned(book, as_of, scheduler=scheduler, validate=validate)
    if G.number_of_nodes() == 0:
        raise GraphInputError("the portfolio has no customers or parties on as_of")
    return stress_test(G, scenario, exposure=exposure, capital=capital, **options)
