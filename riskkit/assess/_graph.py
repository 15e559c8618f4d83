"""Portfolio-aware inputs of the graph algorithms: the kit's one capital default.

The graph layer is pure (a graph and node-indexed inputs in, results out); this module
supplies, from a Portfolio on a date, what its algorithms need:

- :func:`default_capital`: **the** loss-absorbing buffer of every party used by every
  contagion computation of the kit (stress tests, systemic importance, graph features,
  network-PD evaluation): book equity of the latest statement published on or before
  ``as_of`` (:func:`riskkit.profile.latest_statements`; negative equity is a zero buffer),
  else the registered capital, else NaN (external parties, for which
  :func:`riskkit.graph.node_capital` applies its documented rule for unknown buffers);
- :func:`network_profile`: the point-in-time profile joined with the relationship
  features;
- :func:`portfolio_stress_test`: a stress scenario on the book as it stood on a date.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from .._core.dates import check_as_of
from ..graph import GraphInputError, StressResult, StressScenario, build_graph, graph_features, stress_test
from ..limits import exposure as exposure_table
from ..profile import build_profile, latest_statements

__all__ = ["default_capital", "network_profile", "portfolio_stress_test", "portfolio_graph_features"]


def is_portfolio(data: Any) -> bool:
    return hasattr(data, "customers") and hasattr(data, "relations")


def latest_statement_value(portfolio: Any, as_of: Any, column: str) -> pd.Series:
    """``column`` of the statement in use on ``as_of``, per customer (missing values left out)."""
    fin = getattr(portfolio, "financials", None)
    if fin is None or len(fin) == 0:
        return pd.Series(dtype="float64")
    if column not in fin.columns:
        raise GraphInputError(f"capital: financials has no column {column!r}")
    return latest_statements(fin, as_of)[column].astype("float64").dropna()


def default_capital(G: nx.Graph, portfolio: Any, as_of: Any) -> pd.Series:
    """Loss-absorbing buffer of every node of ``G`` on ``as_of`` (the kit's one definition).

    Book equity of the latest statement published on or before ``as_of`` (negative
    equity counts as 0: a company with negative equity absorbs nothing), else the node's
    ``registered_capital``, else NaN (parties outside the book;
    :func:`riskkit.graph.node_capital` then applies its rule for unknown buffers).

    Returns
    -------
    Series
        Indexed by node, float.
    """
    as_of = check_as_of(as_of)
    equity = None if portfolio is None else latest_statement_value(portfolio, as_of, "equity")
    return capital_from_statements(G, equity)


def capital_from_statements(G: nx.Graph, equity: pd.Series | None) -> pd.Series:
    """:func:`default_capital` from the equity of the statements in use, per customer,
    already looked up (:func:`latest_statement_value`; None: no statements)."""
    capital = pd.Series({v: d.get("registered_capital", np.nan) for v, d in G.nodes(data=True)}, dtype="float64")
    if equity is not None:
        equity = equity.clip(lower=0.0)
        equity = equity[equity.index.isin(capital.index)]
        capital.loc[equity.index] = equity.to_numpy()
    return capital


def portfolio_graph_features(portfolio: Any, as_of: Any, *, G: nx.Graph | None = None,
                             exposure: pd.DataFrame | pd.Series | None = None,
                             threshold: float = 0.5) -> pd.DataFrame:
    """:func:`riskkit.graph.graph_features` of the customers onboarded by ``as_of``.

    The graph is built on ``as_of`` unless given; exposure defaults to
    :func:`riskkit.limits.exposure` and capital to :func:`default_capital`.
    """
    as_of = check_as_of(as_of)
    if G is None:
        G = build_graph(portfolio, as_of)
    customers = portfolio.customers
    onboarded = customers[customers["onboarded"].isna() | (customers["onboarded"] <= as_of)]
    if exposure is None:
        exposure = exposure_table(portfolio, as_of)
    return graph_features(G, onboarded["customer_id"], exposure=exposure, threshold=threshold,
                          capital=default_capital(G, portfolio, as_of))


def network_profile(portfolio: Any, as_of: Any, **profile_options) -> pd.DataFrame:
    """:func:`riskkit.profile.build_profile` joined with the relationship features.

    The features of :func:`riskkit.graph.graph_features` (control group and its exposure,
    guarantees given/received, guarantee-circle membership, DebtRank impact) from the
    relations in force on ``as_of``, with the kit's default capital and exposure.
    """
    profile = build_profile(portfolio, as_of, **profile_options)
    relationship = portfolio_graph_features(portfolio, as_of)
    return profile.join(relationship.reindex(profile.index))


def portfolio_stress_test(portfolio: Any, as_of: Any, scenario: StressScenario | Any, *,
                          G: nx.Graph | None = None, exposure: pd.DataFrame | pd.Series | None = None,
                          capital: Any = None, **options) -> StressResult:
    """:func:`riskkit.graph.stress_test` on the book as it stood on ``as_of``.

    The graph of the relations in force on ``as_of``; EAD from
    :func:`riskkit.limits.exposure` and buffers from :func:`default_capital` unless given;
    ``options`` go to :func:`riskkit.graph.stress_test` (``pd_values``, ``lgd``,
    ``contagion_lgd``, ...).
    """
    as_of = check_as_of(as_of)
    if not is_portfolio(portfolio):
        raise GraphInputError(f"expected a riskkit Portfolio, got {type(portfolio).__name__}")
    if G is None:
        G = build_graph(portfolio, as_of)
    if G.number_of_nodes() == 0:
        raise GraphInputError("the portfolio has no customers or parties on as_of")
    if exposure is None:
        exposure = exposure_table(portfolio, as_of)
    if capital is None:
        capital = default_capital(G, portfolio, as_of)
    return stress_test(G, scenario, exposure=exposure, capital=capital, **options)
