"""Graph features per customer, to be joined onto the risk profile."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ._common import GraphInputError
from .build import layer
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
    G: nx.Graph,
    customer_ids: Iterable[Any] | None = None,
    *,
    exposure: pd.DataFrame | pd.Series | None = None,
    threshold: float = 0.5,
    capital: Any = None,
) -> pd.DataFrame:
    """Relationship features of customers in the graph ``G``.

    Parameters
    ----------
    G : networkx graph
        A relationship graph (:func:`build_graph`).
    customer_ids : iterable, optional
        The customers to describe (all must be nodes of ``G``); default every node
        with ``is_customer=True`` (as :func:`build_graph` marks the customers).
    exposure : DataFrame with ``ead`` or Series, optional
        Our EAD per customer (for ``group_exposure``); NaN when not given.
    threshold : float
        Control threshold of the groups.
    capital : optional
        Buffers for the DebtRank impact, as :func:`node_capital` takes them; the
        portfolio-aware default (latest equity, else registered capital) is
        :func:`riskkit.assess.default_capital`.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``, columns :data:`GRAPH_FEATURES`:

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
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("A", {"is_customer": True, "registered_capital": 10.0}),
    ...                   ("B", {"is_customer": True, "registered_capital": 5.0})])
    >>> _ = G.add_edge("A", "B", type="guarantee", weight=3.0)
    >>> _ = G.add_edge("B", "A", type="guarantee", weight=2.0)
    >>> f = graph_features(G, exposure=pd.Series({"A": 1.0, "B": 2.0}))
    >>> f[["guarantees_given", "in_guarantee_circle", "group_exposure"]].to_dict("index")["A"]
    {'guarantees_given': 3.0, 'in_guarantee_circle': True, 'group_exposure': 1.0}
    """
    if not isinstance(G, nx.Graph):
        raise GraphInputError(f"G must be a networkx graph (rk.graph.build_graph), got {type(G).__name__}")
    if customer_ids is None:
        customer_ids = [v for v, is_customer in G.nodes(data="is_customer") if is_customer]
    ids = pd.Index(list(customer_ids), name="customer_id")
    missing = ids.difference(pd.Index(list(G)))
    if len(missing):
        raise GraphInputError(f"customer_ids not in G (build it on the same as_of): {missing[:10].tolist()}")
    if exposure is None:
        ead = pd.Series(np.nan, index=ids)
    else:
        if isinstance(exposure, pd.DataFrame):
            if "ead" not in exposure.columns:
                raise GraphInputError("exposure: needs an 'ead' column (as rk.limits.exposure returns)")
            exposure = exposure["ead"]
        if (exposure < 0).any():
            raise GraphInputError(f"exposure: negative EAD for customers {exposure.index[exposure < 0][:10].tolist()}")
        ead = exposure.reindex(ids).fillna(0.0).astype("float64")

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

    si = systemic_importance(G, capital="registered_capital" if capital is None else capital, top_k=0)
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
