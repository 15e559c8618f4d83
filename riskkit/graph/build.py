"""The relationship graph of a Portfolio and its matrix forms.

Edge direction follows ``riskkit.data.schemas`` (``relations.src -> dst``):

==================  ==========================  ===============================
type                src -> dst means            weight
==================  ==========================  ===============================
``shareholding``    src owns a share of dst     share in [0, 1]
``control``         src controls dst            share in [0, 1]
``guarantee``       src guarantees dst's debt   guaranteed amount
``supply``          src supplies dst            annual trade volume
``common_director`` shared directors            number of directors
==================  ==========================  ===============================

For every money-bearing type the src is *exposed to* the dst (the guarantor
pays when the guaranteed party defaults, the owner loses its stake, the
supplier its receivables), so the graph is also an exposure network in the
convention of :func:`riskkit.graph.debtrank` (``W[i, j]`` = exposure of i to j)
and contagion runs against the edges, dst -> src.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._core.dates import check_as_of_in_period
from ..data.portfolio import Portfolio, data_period
from ..data.privacy import PII_COLUMNS  # customer columns never copied onto graph nodes
from ..data.schemas import RELATION_TYPES, SHARE_TOLERANCE
from ..data.validation import DataValidationError, normalise_table, validate_tables
from ._common import GraphInputError, _as_of, _fmt_ids

__all__ = [
    "RELATION_TYPES",
    "PII_COLUMNS",
    "MONEY_LAYERS",
    "build_graph",
    "relations_in_force",
    "check_relations",
    "layer",
    "to_sparse",
    "exposure_matrix",
    "node_capital",
    "edge_types",
    "layer_summary",
]

#: relation types that carry a money exposure in :func:`exposure_matrix`
MONEY_LAYERS = ("guarantee", "shareholding", "control", "supply")
_SHARE_TYPES = ("shareholding", "control")
_REL_COLUMNS = ("src", "dst", "type", "weight", "start", "end")


def relations_in_force(relations: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """The relations in force on ``as_of``.

    A relation is in force when ``start`` is NaT or ``<= as_of`` and ``end`` is
    NaT or ``> as_of`` (the end date is exclusive). ``as_of=None`` keeps every row.

    ``relations`` is a table validated by :mod:`riskkit.data.validation` (a
    :class:`riskkit.data.Portfolio`'s ``relations``, or :func:`check_relations`
    of a raw frame): the relation rules live there, not here.

    Raises
    ------
    GraphInputError
        Missing columns or an ``as_of`` that is not a date.
    """
    missing = [c for c in _REL_COLUMNS if c not in relations.columns]
    if missing:
        raise GraphInputError(f"relations: missing columns {missing}")
    rel = relations
    if as_of is not None:
        ts = _as_of(as_of)
        start = pd.to_datetime(rel["start"])
        end = pd.to_datetime(rel["end"])
        rel = rel[(start.isna() | (start <= ts)) & (end.isna() | (end > ts))]
    return rel.reset_index(drop=True)


def check_relations(relations: pd.DataFrame) -> pd.DataFrame:
    """A raw relations table checked against every relation rule of the data model.

    The rules (known types, no self-loops, non-negative finite weights, shares in
    [0, 1], the shares in force in a company summing to at most 1, ``end`` not before
    ``start``, ...) are :mod:`riskkit.data.validation`'s; this applies them to a frame
    that did not come through a :class:`riskkit.data.Portfolio`.

    Returns
    -------
    DataFrame
        The table with its schema dtypes (:func:`riskkit.data.validation.normalise_table`).

    Raises
    ------
    riskkit.data.DataValidationError
        Naming every broken rule (``relations.<column>: check '<rule>'``) and the
        offending relations.
    """
    table, violations = normalise_table("relations", relations)
    if not len(violations):
        violations = validate_tables({"relations": table})
    if len(violations):
        raise DataValidationError(violations, context="relations given to the graph")
    return table


def build_graph(portfolio: Any, as_of: Any) -> nx.MultiDiGraph:
    """The relationship graph of a portfolio on a date.

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
        A validated Portfolio (trusted as it is), or anything else with
        ``customers`` and ``relations`` DataFrames in the schema of
        ``riskkit.data.schemas``, whose relations are then checked by
        :func:`check_relations` (the data model's relation rules).
    as_of : date-like or None
        Relations in force on this date (``start`` NaT or ``<= as_of``, ``end``
        NaT or ``> as_of``); customers onboarded after it are still nodes only
        if a relation names them. ``None`` keeps every relation and customer.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes: every customer (attributes: the ``customers`` columns except
        PII, and ``is_customer=True``) and every other party a relation names
        (``is_customer=False``). Edges: one per relation, ``src -> dst``, with
        attributes ``type``, ``weight``, ``start``, ``end``. ``G.graph["as_of"]``
        records the date.

    Raises
    ------
    riskkit.AsOfBeforeDataError
        For a Portfolio: ``as_of`` is before its first customer was onboarded (a graph of
        parties that were no customers yet).
    riskkit.data.DataValidationError
        Relations of a raw container that break a rule of the data model.
    GraphInputError
        Customers without a ``customer_id`` column or with duplicate ids.

    Warns
    -----
    riskkit.AsOfAfterDataWarning
        For a Portfolio: ``as_of`` more than 31 days after its latest record.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> customers = pd.DataFrame({"customer_id": ["A", "B"], "registered_capital": [10.0, 5.0]})
    >>> relations = pd.DataFrame({"src": ["A", "H"], "dst": ["B", "A"],
    ...     "type": ["guarantee", "shareholding"], "weight": [3.0, 0.6],
    ...     "start": pd.NaT, "end": pd.NaT})
    >>> G = build_graph(SimpleNamespace(customers=customers, relations=relations), "2024-01-01")
    >>> sorted(G.nodes(data="is_customer"))
    [('A', True), ('B', True), ('H', False)]

    Notes
    -----
    The graph is a plain record of the data; algorithms pick layers from it
    (:func:`layer`, :func:`to_sparse`, :func:`exposure_matrix`).
    """
    customers = portfolio.customers
    relations = portfolio.relations
    if not isinstance(portfolio, Portfolio):
        relations = check_relations(relations)
    if "customer_id" not in customers.columns:
        raise GraphInputError("customers: missing column 'customer_id'")
    ts = None if as_of is None else _as_of(as_of)
    if ts is not None and isinstance(portfolio, Portfolio):
        check_as_of_in_period(ts, *data_period(portfolio), what="build_graph")
    if ts is not None and "onboarded" in customers.columns:
        customers = customers[customers["onboarded"].isna() | (customers["onboarded"] <= ts)]
    dup = customers["customer_id"].duplicated()
    if dup.any():
        raise GraphInputError(f"customers: duplicate customer_id {_fmt_ids(sorted(set(customers.loc[dup, 'customer_id'])))}")
    rel = relations_in_force(relations, ts)

    G = nx.MultiDiGraph(as_of=ts)
    attrs = customers.drop(columns=[c for c in PII_COLUMNS if c in customers.columns])
    records = attrs.set_index("customer_id").to_dict("index")
    G.add_nodes_from((cid, {**a, "is_customer": True}) for cid, a in records.items())
    parties = pd.unique(pd.concat([rel["src"], rel["dst"]], ignore_index=True))
    G.add_nodes_from((p, {"is_customer": False}) for p in parties if p not in G)
    cols = [rel[c].tolist() for c in _REL_COLUMNS]
    G.add_edges_from(
        (s, d, {"type": t, "weight": float(w), "start": st, "end": en})
        for s, d, t, w, st, en in zip(*cols, strict=True)
    )
    return G


def _types(types: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if types is None:
        return None
    out = (types,) if isinstance(types, str) else tuple(types)
    unknown = [t for t in out if t not in RELATION_TYPES]
    if unknown:
        raise GraphInputError(f"unknown relation types {unknown}; known: {list(RELATION_TYPES)}")
    return out


def _edges_of(G: nx.Graph, types: tuple[str, ...] | None, weight: str = "weight"):
    """(u, v, weight, type) of the edges of the given types (all if None)."""
    for u, v, d in G.edges(data=True):
        t = d.get("type")
        if types is None or t in types:
            yield u, v, d.get(weight, 1.0), t


def _edge_arrays(
    G: nx.Graph, nodes: Sequence[Hashable], weight: str = "weight"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One pass over the edges: row, col, weight and type (object array) of edges within ``nodes``."""
    index = {v: i for i, v in enumerate(nodes)}
    if len(index) != len(nodes):
        raise GraphInputError("nodelist contains duplicates")
    m = G.number_of_edges()
    rows = np.empty(m, dtype=np.int64)
    cols = np.empty(m, dtype=np.int64)
    vals = np.empty(m, dtype=np.float64)
    kinds = np.empty(m, dtype=object)
    k = 0
    get = index.get
    for u, v, d in G.edges(data=True):
        iu, iv = get(u), get(v)
        if iu is None or iv is None:
            continue
        rows[k], cols[k] = iu, iv
        vals[k] = d.get(weight, 1.0)
        kinds[k] = d.get("type")
        k += 1
    return rows[:k], cols[:k], vals[:k], kinds[:k]


def _check_edge_values(
    rows: np.ndarray,
    cols: np.ndarray,
    vals: np.ndarray,
    kinds: np.ndarray,
    nodes: Sequence[Hashable],
    *,
    where: str,
    types: Iterable[str] | None = None,
) -> None:
    """Raise on edge weights that no layer can hold, naming the offending edges.

    Checked per edge, before parallel edges are summed or layers merged (a sum
    or a ``maximum`` would hide a negative or NaN weight): weights of the
    edges of ``types`` (all if None) must be finite and >= 0, and shares
    (``shareholding``/``control``) at most 1.
    """
    keep = np.ones(vals.size, dtype=bool) if types is None else np.isin(kinds, list(types))

    def edges(mask: np.ndarray) -> list:
        idx = np.flatnonzero(mask)
        return [(nodes[rows[k]], nodes[cols[k]], kinds[k], float(vals[k])) for k in idx]

    bad = keep & ~np.isfinite(vals)
    if bad.any():
        raise GraphInputError(f"{where}: missing or non-finite (NaN/inf) weights on edges (src, dst, type, weight) "
                              f"{_fmt_ids(edges(bad))}")
    bad = keep & (vals < 0)
    if bad.any():
        raise GraphInputError(f"{where}: negative weights on edges (src, dst, type, weight) {_fmt_ids(edges(bad))}")
    bad = keep & np.isin(kinds, list(_SHARE_TYPES)) & (vals > 1 + SHARE_TOLERANCE)
    if bad.any():
        raise GraphInputError(f"{where}: shares above 1 on edges (src, dst, type, weight) {_fmt_ids(edges(bad))}")


def _matrix(rows, cols, vals, n) -> sp.csr_array:
    A = sp.coo_array((vals, (rows, cols)), shape=(n, n)).tocsr()
    A.sum_duplicates()
    return A


def layer(G: nx.Graph, types: str | Iterable[str], *, weight: str = "weight") -> nx.DiGraph:
    """One relation layer as a simple DiGraph, parallel edges summed.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A graph from :func:`build_graph` (edges carry ``type``).
    types : str or iterable of str
        Relation type(s) to keep, e.g. ``"guarantee"``.

    Returns
    -------
    networkx.DiGraph
        All nodes of ``G`` (with their attributes); an edge ``u -> v`` when
        some kept relation links them, with ``weight`` the sum of their
        weights, ``count`` their number and ``types`` the sorted types present.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("A", "B", type="guarantee", weight=2.0)
    0
    >>> G.add_edge("A", "B", type="guarantee", weight=3.0)
    1
    >>> layer(G, "guarantee")["A"]["B"]["weight"]
    5.0
    """
    kept = _types(types)
    H = nx.DiGraph()
    H.add_nodes_from(G.nodes(data=True))
    for u, v, w, t in _edges_of(G, kept, weight):
        if H.has_edge(u, v):
            e = H[u][v]
            e["weight"] += float(w)
            e["count"] += 1
            if t not in e["types"]:
                e["types"] = tuple(sorted((*e["types"], t)))
        else:
            H.add_edge(u, v, weight=float(w), count=1, types=(t,))
    return H


def to_sparse(
    G: nx.Graph,
    layer: str | Iterable[str] | None = None,
    nodelist: Sequence[Hashable] | None = None,
    *,
    weight: str = "weight",
) -> tuple[sp.csr_array, list[Hashable]]:
    """Sparse adjacency matrix of one layer (or of all edges).

    Parameters
    ----------
    G : networkx graph
    layer : str, iterable of str or None
        Relation type(s) to keep; None keeps every edge.
    nodelist : sequence, optional
        Row/column order (default ``list(G)``); edges touching other nodes are
        dropped.

    Returns
    -------
    (scipy.sparse.csr_array, list)
        ``A[i, j]`` = summed weight of the kept edges ``nodes[i] -> nodes[j]``,
        and the node order.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("A", "B", type="guarantee", weight=2.0)
    0
    >>> A, nodes = to_sparse(G, layer="guarantee")
    >>> nodes, A.toarray().tolist()
    (['A', 'B'], [[0.0, 2.0], [0.0, 0.0]])
    """
    nodes = list(G) if nodelist is None else list(nodelist)
    kept = _types(layer)
    rows, cols, vals, kinds = _edge_arrays(G, nodes, weight)
    if kept is not None:
        keep = np.isin(kinds, list(kept))
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
    return _matrix(rows, cols, vals, len(nodes)), nodes


def edge_types(G: nx.Graph, u: Hashable, v: Hashable, types: Iterable[str] | None = None) -> tuple[str, ...]:
    """Sorted relation types on the edges ``u -> v`` (restricted to ``types``)."""
    if not G.has_edge(u, v):
        return ()
    data = G.get_edge_data(u, v)
    found = {d.get("type") for d in data.values()} if G.is_multigraph() else {data.get("type")}
    if types is not None:
        found &= set(types)
    return tuple(sorted(t for t in found if t is not None))


def exposure_matrix(
    G: nx.Graph,
    *,
    layers: Iterable[str] = MONEY_LAYERS,
    equity: str | dict | pd.Series = "registered_capital",
    trade_credit_days: float = 60.0,
    nodelist: Sequence[Hashable] | None = None,
) -> tuple[sp.csr_array, list[Hashable]]:
    """Money exposure between parties, ``W[i, j]`` = what ``i`` loses if ``j`` defaults.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A relationship graph (:func:`build_graph`).
    layers : iterable of str
        Relation types that create exposure (subset of :data:`MONEY_LAYERS`).
    equity : str, mapping or Series
        Equity value of each owned company (node attribute name, or node ->
        value); a stake's exposure is ``share x equity(dst)``.
    trade_credit_days : float
        Days of sales a supplier has outstanding on a buyer.

    Returns
    -------
    (scipy.sparse.csr_array, list)

    Raises
    ------
    GraphInputError
        An edge of a kept layer with a missing, non-finite or negative weight,
        or a share above 1 (each edge is checked before layers are combined).

    Notes
    -----
    Per relation ``src -> dst`` (src is exposed to dst):

    * guarantee: ``W += amount`` (the guarantor pays the guaranteed debt);
    * shareholding / control: ``W += s x equity_dst`` with ``s`` the larger of
      the two shares recorded for the pair (a control record usually restates
      the same stake); stakes in parties without a known equity carry none;
    * supply: ``W += volume x trade_credit_days / 365`` (receivables at risk);
    * common_director: no money exposure.
    """
    kept = _types(layers)
    not_money = [t for t in kept if t not in MONEY_LAYERS]
    if not_money:
        raise GraphInputError(f"layers {not_money} carry no money exposure; use a subset of {list(MONEY_LAYERS)}")
    if trade_credit_days < 0:
        raise GraphInputError(f"trade_credit_days must be >= 0, got {trade_credit_days}")
    nodes = list(G) if nodelist is None else list(nodelist)
    n = len(nodes)
    rows, cols, vals, kinds = _edge_arrays(G, nodes)
    _check_edge_values(rows, cols, vals, kinds, nodes, where="exposure_matrix", types=kept)
    W = sp.csr_array((n, n), dtype=np.float64)
    if "guarantee" in kept:
        k = kinds == "guarantee"
        W = W + _matrix(rows[k], cols[k], vals[k], n)
    if "supply" in kept:
        k = kinds == "supply"
        W = W + _matrix(rows[k], cols[k], vals[k] * (trade_credit_days / 365.0), n)
    share_types = [t for t in kept if t in _SHARE_TYPES]
    if share_types:
        S = None
        for t in share_types:
            k = kinds == t
            A = _matrix(rows[k], cols[k], vals[k], n)
            S = A if S is None else S.maximum(A)
        if isinstance(equity, str):
            eq = np.array([_num(G.nodes[v].get(equity)) for v in nodes])
        else:
            mapping = equity.to_dict() if isinstance(equity, pd.Series) else dict(equity)
            eq = np.array([_num(mapping.get(v)) for v in nodes])
        eq = np.where(np.isfinite(eq) & (eq > 0), eq, 0.0)
        W = W + sp.csr_array(S @ sp.diags_array(eq))
    W = sp.csr_array(W)
    W.sum_duplicates()
    W.eliminate_zeros()
    return W, nodes


def _num(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return np.nan


def node_capital(
    G: nx.Graph,
    W: sp.csr_array,
    nodes: Sequence[Hashable],
    capital: Any = "registered_capital",
    *,
    missing: str | float = "total_exposure",
) -> np.ndarray:
    """Loss-absorbing buffer per node, with a documented rule for unknown buffers.

    Parameters
    ----------
    capital : str, mapping, Series or array_like
        Node attribute name, node -> value, or one value per node.
    missing : "total_exposure", "raise" or float
        Buffer of nodes without a (finite, non-negative) value:
        ``"total_exposure"`` sets it to the node's total exposure
        ``sum_j W_ij`` -- a party we know nothing about (a holding company, a
        natural person guarantor) is assumed to have no buffer beyond what it
        is owed, so losing all of it wipes it out (conservative, and it keeps
        such parties as conduits of contagion); a float uses that value;
        ``"raise"`` makes it an error.
    """
    n = len(nodes)
    if isinstance(capital, str):
        E = np.array([_num(G.nodes[v].get(capital)) for v in nodes])
    elif isinstance(capital, (dict, pd.Series)):
        mapping = capital.to_dict() if isinstance(capital, pd.Series) else capital
        unknown = [k for k in mapping if k not in G]
        if unknown:
            raise GraphInputError(f"capital: unknown node ids {_fmt_ids(unknown)}")
        E = np.array([_num(mapping.get(v)) for v in nodes])
    else:
        E = np.asarray(capital, dtype=np.float64).ravel()
        if E.shape != (n,):
            raise GraphInputError(f"capital: expected {n} values, got {E.shape[0]}")
    neg = np.isfinite(E) & (E < 0)
    if neg.any():
        raise GraphInputError(f"capital: negative buffers at {_fmt_ids([nodes[i] for i in np.flatnonzero(neg)])}")
    gap = ~np.isfinite(E)
    if gap.any():
        if missing == "raise":
            raise GraphInputError(f"capital: no value for nodes {_fmt_ids([nodes[i] for i in np.flatnonzero(gap)])}")
        if missing == "total_exposure":
            E[gap] = np.asarray(W.sum(axis=1)).ravel()[gap]
        else:
            E[gap] = float(missing)
    return E


def layer_summary(G: nx.Graph) -> pd.DataFrame:
    """Size of each relation layer of a relationship graph.

    Returns
    -------
    DataFrame
        Indexed by relation ``type`` (those present, sorted): ``links`` (edges),
        ``between_customers`` (both ends customers), ``with_external`` (at least one end
        an external party), ``parties`` (distinct nodes touched), ``customers`` (of which
        customers) and ``total_weight`` (sum of the edge weights: shares for ownership
        layers, amounts for guarantees, volumes for supply).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("A", is_customer=True)
    >>> G.add_node("P", is_customer=False)
    >>> G.add_edge("P", "A", type="control", weight=0.8)
    0
    >>> layer_summary(G)[["links", "with_external", "customers"]].to_dict("index")
    {'control': {'links': 1, 'with_external': 1, 'customers': 1}}
    """
    columns = ["links", "between_customers", "with_external", "parties", "customers", "total_weight"]
    rows = {}
    for u, v, d in G.edges(data=True):
        kind = d.get("type")
        r = rows.setdefault(kind, {"links": 0, "between_customers": 0, "weight": 0.0, "parties": set()})
        r["links"] += 1
        both = bool(G.nodes[u].get("is_customer", True)) and bool(G.nodes[v].get("is_customer", True))
        r["between_customers"] += int(both)
        r["weight"] += float(d.get("weight", 0.0) or 0.0)
        r["parties"].update((u, v))
    out = pd.DataFrame(
        [(k, r["links"], r["between_customers"], r["links"] - r["between_customers"], len(r["parties"]),
          sum(bool(G.nodes[p].get("is_customer", True)) for p in r["parties"]), r["weight"])
         for k, r in sorted(rows.items(), key=lambda kv: str(kv[0]))],
        columns=["type", *columns],
    ).set_index("type")
    return out.astype({c: "int64" for c in columns[:-1]} | {"total_weight": "float64"})
