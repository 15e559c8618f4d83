"""Who is linked to whom, and how: the linked-party table of the relationship graph.

Monitoring (a linked party defaulted or was downgraded) and the contingency playbook
(which customers to review when one defaults) both need, for every customer, its linked
parties and the nature of each link.  :func:`linked_parties` reads them off the graph of
:func:`riskkit.graph.build_graph` once, as a tidy table.

Relation names are from the point of view of ``customer_id``:

==================  ==========================================================
relation            ``linked_id`` is ...
==================  ==========================================================
``controller``      a shareholder or controller of the customer (edge linked -> customer)
``controlled``      a company the customer holds shares in or controls
``guarantor``       a party guaranteeing the customer's debt
``guaranteed``      a party whose debt the customer guarantees
``supplier``        a supplier of the customer
``buyer``           a buyer from the customer
``group_member``    another member of the customer's control group
``circle_member``   another member of the customer's guarantee circle
==================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx
import pandas as pd

from ._common import GraphInputError
from .circles import guarantee_circles
from .ownership import control_groups

__all__ = ["LINK_RELATIONS", "linked_parties"]

#: the relations of :func:`linked_parties`
LINK_RELATIONS = ("controller", "controlled", "guarantor", "guaranteed", "supplier", "buyer",
                  "group_member", "circle_member")

#: edge type -> (relation of dst seen from src, relation of src seen from dst)
_EDGE_RELATIONS = {
    "shareholding": ("controlled", "controller"),
    "control": ("controlled", "controller"),
    "guarantee": ("guaranteed", "guarantor"),
    "supply": ("buyer", "supplier"),
}
_COLUMNS = ["customer_id", "linked_id", "relation"]


def _co_members(membership: pd.Series, relation: str) -> pd.DataFrame:
    """All ordered pairs of distinct nodes that share a label of ``membership``."""
    frame = membership.rename("label").rename_axis("customer_id").reset_index()
    pairs = frame.merge(frame.rename(columns={"customer_id": "linked_id"}), on="label")
    pairs = pairs[pairs["customer_id"] != pairs["linked_id"]]
    return pairs.assign(relation=relation)[_COLUMNS]


def linked_parties(G: nx.Graph, customer_ids: Iterable[Any] | None = None, *,
                   threshold: float = 0.5, include_groups: bool = True,
                   include_circles: bool = True) -> pd.DataFrame:
    """Every (customer, linked party, relation) of the graph.

    Parameters
    ----------
    G : networkx graph
        A relationship graph (:func:`build_graph`); edges carry ``type``.
    customer_ids : iterable, optional
        Keep rows whose ``customer_id`` is one of these; default the nodes with
        ``is_customer=True``.  Linked parties may be anyone (external owners too).
    threshold : float
        Control threshold of the groups (:func:`control_groups`).
    include_groups, include_circles : bool
        Add ``group_member`` (same control group, groups of two or more nodes) and
        ``circle_member`` (same guarantee circle) rows.

    Returns
    -------
    DataFrame
        ``customer_id, linked_id, relation``, unique rows, sorted.  A pair linked in
        several ways has one row per relation.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("A", {"is_customer": True}), ("B", {"is_customer": True})])
    >>> _ = G.add_edge("A", "B", type="guarantee", weight=5.0)
    >>> linked_parties(G, include_groups=False).values.tolist()
    [['A', 'B', 'guaranteed'], ['B', 'A', 'guarantor']]
    """
    if not isinstance(G, nx.Graph):
        raise GraphInputError(f"G must be a networkx graph (rk.graph.build_graph), got {type(G).__name__}")
    if customer_ids is None:
        keep = pd.Index([v for v, is_customer in G.nodes(data="is_customer") if is_customer])
    else:
        keep = pd.Index(list(customer_ids))
        missing = keep.difference(pd.Index(list(G)))
        if len(missing):
            raise GraphInputError(f"customer_ids not in G: {missing[:10].tolist()}")
    edges = pd.DataFrame([(u, v, d.get("type")) for u, v, d in G.edges(data=True)],
                         columns=["src", "dst", "type"])
    edges = edges[edges["type"].isin(list(_EDGE_RELATIONS)) & (edges["src"] != edges["dst"])]
    forward = edges["type"].map({k: v[0] for k, v in _EDGE_RELATIONS.items()})
    backward = edges["type"].map({k: v[1] for k, v in _EDGE_RELATIONS.items()})
    parts = [
        pd.DataFrame({"customer_id": edges["src"], "linked_id": edges["dst"], "relation": forward}),
        pd.DataFrame({"customer_id": edges["dst"], "linked_id": edges["src"], "relation": backward}),
    ]
    if include_groups and G.number_of_nodes():
        groups = control_groups(G, threshold, customers_only=False)["group_id"]
        sizes = groups.map(groups.value_counts())
        parts.append(_co_members(groups[sizes > 1], "group_member"))
    if include_circles and G.number_of_nodes():
        circles = guarantee_circles(G, max_cycles=0)
        parts.append(_co_members(circles.membership, "circle_member"))
    out = pd.concat(parts, ignore_index=True)
    out = out[out["customer_id"].isin(keep)].drop_duplicates()
    out = out.astype({"customer_id": "str", "linked_id": "str", "relation": "str"})
    return out.sort_values(_COLUMNS, kind="stable").reset_index(drop=True)
