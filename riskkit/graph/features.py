"""Graph features per customer, to be joined onto the risk profile."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ._common import GraphInputError
from ._portfolio import default_capital, resolve_exposure
from .build import build_graph, layer
from .centrality import systemic_importance
from .circles import guarantee_circles
from .ownership import control_groups

__all__ = ["GRAPH_FEATURES", "graph_features"]

#: columns returned by :func:`graph_features`
GRAPH_FEATURES = (
    "group_id",
    "group_size",
    "group_exposure",
    "guarantees_given",
    "guarantees_received",
    "n_guarantees_given",
    "n_guarantees_received",
    "in_guarantee_circle",
    "guarantee_circle_size",
    "debtrank_impact",
)


def graph_features(
    G: nx.Graph | None,
    portfolio: Any,
    as_of: Any,
    *,
    exposure: pd.DataFrame | pd.Series | None = None,
    threshold: float = 0.5,
    capital: Any = None,
) -> pd.DataFrame:
    """Relationship features of every customer on ``as_of``.

    Parameters
    ----------
    G : networkx graph or None
        The graph of ``portfolio`` on ``as_of`` (built with :func:`build_graph`
        when None).
    portfolio : riskkit.data.Portfolio
    as_of : date-like
    exposure : DataFrame with ``ead`` or Series, optional
        Default ``rk.limits.exposure(portfolio, as_of)``.
    threshold : float
        Control threshold of the groups.
    capital : optional
        Buffers for the DebtRank impact (default: latest equity, else
        registered capital).

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (every customer of the portfolio known on
        ``as_of``), columns :data:`GRAPH_FEATURES`:

        * ``group_id``, ``group_size``: control group (:func:`control_groups`)
          and its number of customers;
        * ``group_exposure``: our EAD summed over the group;
        * ``guarantees_given`` / ``guarantees_received``: total amount the
          customer guarantees for others / others guarantee for it, and the
          counts ``n_guarantees_*``;
        * ``in_guarantee_circle``, ``guarantee_circle_size`` (0 outside);
        * ``debtrank_impact``: linearised DebtRank impact of the customer's
          default (:func:`systemic_importance`, ``debtrank_linear``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> customers = pd.DataFrame({"customer_id": ["A", "B"], "registered_capital": [10.0, 5.0]})
    >>> relations = pd.DataFrame({"src": ["A", "B"], "dst": ["B", "A"], "type": "guarantee",
    ...     "weight": [3.0, 2.0], "start": pd.NaT, "end": pd.NaT})
    >>> pf = SimpleNamespace(customers=customers, relations=relations)
    >>> f = graph_features(None, pf, "2024-01-01", exposure=pd.Series({"A": 1.0, "B": 2.0}))
    >>> f[["guarantees_given", "in_guarantee_circle", "group_exposure"]].to_dict("index")["A"]
    {'guarantees_given': 3.0, 'in_guarantee_circle': True, 'group_exposure': 1.0}
    """
    if G is None:
        G = build_graph(portfolio, as_of)
    customers = portfolio.customers
    ts = pd.Timestamp(as_of)
    if "onboarded" in customers.columns:
        customers = customers[customers["onboarded"].isna() | (customers["onboarded"] <= ts)]
    ids = pd.Index(customers["customer_id"], name="customer_id")
    missing = ids.difference(pd.Index(list(G)))
    if len(missing):
        raise GraphInputError(f"G lacks customers of the portfolio (build it on the same as_of): {missing[:10].tolist()}")
    exp = resolve_exposure(portfolio, as_of, exposure)
    ead = exp["ead"].reindex(ids).fillna(0.0) if exp is not None else pd.Series(np.nan, index=ids)

    groups = control_groups(G, threshold, customers_only=False).reindex(ids)
    group_exposure = ead.groupby(groups["group_id"]).sum()

    H = layer(G, "guarantee")
    given = pd.Series(dict(H.out_degree(weight="weight")), dtype="float64").reindex(ids).fillna(0.0)
    received = pd.Series(dict(H.in_degree(weight="weight")), dtype="float64").reindex(ids).fillna(0.0)
    n_given = pd.Series(dict(H.out_degree()), dtype="int64").reindex(ids).fillna(0).astype("int64")
    n_received = pd.Series(dict(H.in_degree()), dtype="int64").reindex(ids).fillna(0).astype("int64")

    circles = guarantee_circles(G, max_cycles=0)
    size = circles.membership.map(circles.circles["size"]) if len(circles.membership) else pd.Series(dtype="int64")
    circle_size = size.reindex(ids).fillna(0).astype("int64")

    if capital is None:
        capital = default_capital(G, portfolio, as_of)
    si = systemic_importance(G, capital=capital, top_k=0)
    impact = si["debtrank_linear"].reindex(ids).fillna(0.0)

    out = pd.DataFrame(
        {
            "group_id": groups["group_id"],
            "group_size": groups["group_size"].astype("int64"),
            "group_exposure": groups["group_id"].map(group_exposure).astype("float64"),
            "guarantees_given": given,
            "guarantees_received": received,
            "n_guarantees_given": n_given,
            "n_guarantees_received": n_received,
            "in_guarantee_circle": circle_size > 0,
            "guarantee_circle_size": circle_size,
            "debtrank_impact": impact,
        },
        index=ids,
    )
    return out
