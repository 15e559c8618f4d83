"""Network-adjusted PD: stand-alone PD combined with contagion from linked parties."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._common import GraphInputError, _fmt_ids, _pd_series
from .build import RELATION_TYPES, _check_edge_values, _edge_arrays, _num

__all__ = [
    "DEFAULT_TRANSMISSION",
    "TransmissionChannels",
    "transmission_channels",
    "transmission_matrix",
    "network_adjusted_pd",
    "network_adjusted_pd_from_channels",
]

#: base probability that a link passes on a default, before materiality
DEFAULT_TRANSMISSION: dict[str, float] = {
    "guarantee": 1.0,
    "control_down": 0.5,
    "control_up": 0.5,
    "supply": 0.3,
    "common_director": 0.0,
}

_FLOOR = 1e-300  # keeps log(1 - x) finite when a link transmits with certainty


def _check_transmission(transmission: Mapping[str, float] | None) -> dict[str, float]:
    base = dict(DEFAULT_TRANSMISSION)
    if transmission is None:
        return base
    unknown = [k for k in transmission if k not in base]
    if unknown:
        raise GraphInputError(f"transmission: unknown keys {unknown}; known: {list(base)}")
    for k, v in transmission.items():
        if not 0 <= float(v) <= 1:
            raise GraphInputError(f"transmission[{k!r}] must be in [0, 1], got {v}")
        base[k] = float(v)
    return base


def transmission_matrix(
    G: nx.Graph,
    *,
    transmission: Mapping[str, float] | None = None,
    capital: str | Mapping | pd.Series = "registered_capital",
    nodelist: list | None = None,
    strength: float = 1.0,
) -> tuple[sp.csr_array, list, sp.csr_array]:
    """Default-transmission probabilities ``T[i, j]``: P(j's default makes i default).

    Parameters
    ----------
    G : networkx graph
        Relationship graph (typed edges, schema directions).
    transmission : mapping, optional
        Overrides of :data:`DEFAULT_TRANSMISSION` (keys ``guarantee``,
        ``control_down``, ``control_up``, ``supply``, ``common_director``).
    capital : str, mapping or Series
        Size used for materiality (node attribute name or node -> value; keys
        that are not nodes of ``G`` are an error).
    strength : float
        Common multiplier of every channel's probability (>= 0), capped at 1:
        ``t = min(1, strength x base x materiality)``. The one parameter that
        :func:`riskkit.assess.calibrate_transmission_strength` fits.

    Returns
    -------
    (T, nodes, types)
        ``T`` csr in ``nodes`` order; ``types`` a csr of bit flags telling which
        relation types contributed to each entry (1 guarantee, 2 control_down,
        4 control_up, 8 supply, 16 common_director).

    Raises
    ------
    GraphInputError
        An edge with a missing, non-finite or negative weight or a share above
        1 (checked per edge, before channels are combined); ``capital`` keys
        that are not nodes; bad ``transmission`` or ``strength``.

    Notes
    -----
    Per relation ``src -> dst`` (schema direction), with ``E`` the capital
    (unknown means missing, non-finite or <= 0):

    * guarantee (src guarantees dst's debt, amount ``a``): dst's default calls
      the guarantee, ``T[src, dst] = b_g * min(1, a / E_src)``; with ``E_src``
      unknown the guarantee counts as fully material, ``T[src, dst] = b_g``
      (a guarantor we cannot size -- often a person or holding -- is assumed
      unable to absorb the call);
    * shareholding / control (src owns share ``s`` of dst): the parent's
      default hits the subsidiary, ``T[dst, src] = b_down * s``, and the
      subsidiary's default hits the parent by the weight of the stake in the
      parent's balance sheet, ``T[src, dst] = b_up * min(1, s E_dst / E_src)``;
      when either capital is unknown the stake's weight cannot be measured and
      the share itself stands in for it, ``T[src, dst] = b_up * s`` (not 1:
      a minority stake in an unsized company is not presumed to sink its
      holder);
    * supply (src sells volume ``x`` to dst): each side is hit in proportion
      to its dependence on the other, ``T[src, dst] = b_s * x / sales_src``
      and ``T[dst, src] = b_s * x / purchases_dst`` (totals of the observed
      supply links, or the node's ``revenue`` attribute if larger);
    * common_director: ``b_cd`` (0 by default).

    Each channel's probability is then multiplied by ``strength`` and capped
    at 1. Several relations between the same ordered pair combine as independent
    channels: ``T = 1 - prod (1 - t)``.
    """
    channels = transmission_channels(G, transmission=transmission, capital=capital, nodelist=nodelist)
    T, F = channels.matrix(strength)
    return T, channels.nodes, F


def _check_strength(strength: Any) -> float:
    try:
        strength = float(strength)
    except (TypeError, ValueError):
        raise GraphInputError(f"strength must be a number >= 0, got {strength!r}") from None
    if not (np.isfinite(strength) and strength >= 0):
        raise GraphInputError(f"strength must be a finite number >= 0, got {strength}")
    return strength


_FLAG_NAMES = ((1, "guarantee"), (2, "control_down"), (4, "control_up"), (8, "supply"), (16, "common_director"))


def _flag_label(flag: int) -> str:
    return "+".join(name for bit, name in _FLAG_NAMES if flag & bit)


@dataclass(frozen=True, eq=False)
class TransmissionChannels:
    """Every default-transmission channel of a relationship graph, before the strength.

    Built by :func:`transmission_channels`; they do not depend on the transmission
    strength, so a fit over strengths (``riskkit.assess.calibrate_transmission_strength``)
    builds them once and calls :func:`network_adjusted_pd_from_channels` per strength.

    Attributes
    ----------
    nodes : list
        Node order; ``target`` and ``source`` are positions in it.
    target, source : ndarray of int64
        The channel makes ``nodes[target]`` default when ``nodes[source]`` does.
    probability : ndarray of float
        Base transmission times materiality (:func:`transmission_matrix`, Notes), before
        the strength multiplier and the cap at 1.
    flag : ndarray of int64
        Relation type of the channel as a bit: 1 guarantee, 2 control_down,
        4 control_up, 8 supply, 16 common_director.
    """

    nodes: list
    target: np.ndarray
    source: np.ndarray
    probability: np.ndarray
    flag: np.ndarray

    def matrix(self, strength: float = 1.0) -> tuple[sp.csr_array, sp.csr_array]:
        """``T`` (channels scaled by ``strength``, capped at 1, combined per pair as
        ``1 - prod(1 - t)``) and the relation-type bit flags ``F`` per pair, both in ``nodes`` order."""
        return _combine(self, _check_strength(strength))

    def to_frame(self) -> pd.DataFrame:
        """One row per channel: ``target``, ``source`` (node ids), ``channel`` (relation type)
        and ``probability`` (before the strength)."""
        labels = np.array(self.nodes, dtype=object)
        return pd.DataFrame({
            "target": labels[self.target] if self.target.size else np.empty(0, dtype=object),
            "source": labels[self.source] if self.source.size else np.empty(0, dtype=object),
            "channel": [_flag_label(int(f)) for f in self.flag],
            "probability": self.probability,
        })


def transmission_channels(G: nx.Graph, *, transmission: Mapping[str, float] | None = None,
                          capital: str | Mapping | pd.Series = "registered_capital",
                          nodelist: list | None = None) -> TransmissionChannels:
    """The default-transmission channels of a relationship graph, one per relation and direction.

    Parameters are those of :func:`transmission_matrix` (without ``strength``); the
    probability of each channel is given in its Notes. ``channels.matrix(strength)``
    gives the combined matrix, :func:`network_adjusted_pd_from_channels` the
    network-adjusted PD.

    Returns
    -------
    TransmissionChannels

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("A", registered_capital=100.0)
    >>> G.add_node("B", registered_capital=50.0)
    >>> G.add_edge("B", "A", type="guarantee", weight=25.0)
    0
    >>> transmission_channels(G).to_frame().to_dict("records")
    [{'target': 'B', 'source': 'A', 'channel': 'guarantee', 'probability': 0.5}]
    """
    return _channels(G, transmission=transmission, capital=capital, nodelist=nodelist)


def _channels(G: nx.Graph, *, transmission: Mapping[str, float] | None, capital: Any,
              nodelist: list | None = None) -> TransmissionChannels:
    b = _check_transmission(transmission)
    nodes = list(G) if nodelist is None else list(nodelist)
    n = len(nodes)
    rows, cols, w, kinds = _edge_arrays(G, nodes)
    _check_edge_values(rows, cols, w, kinds, nodes, where="transmission", types=RELATION_TYPES)
    if isinstance(capital, str):
        E = np.array([_num(G.nodes[v].get(capital)) for v in nodes])
    else:
        mapping = capital.to_dict() if isinstance(capital, pd.Series) else dict(capital)
        unknown = [k for k in mapping if k not in G]
        if unknown:
            raise GraphInputError(f"capital: unknown node ids {_fmt_ids(unknown)}")
        E = np.array([_num(mapping.get(v)) for v in nodes])
    known = np.isfinite(E) & (E > 0)

    def material(amount: np.ndarray, holder: np.ndarray) -> np.ndarray:
        size = np.where(known[holder], E[holder], np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(known[holder], np.minimum(1.0, amount / size), 1.0)

    ti, tj, tp, tf = [], [], [], []

    def add(i, j, p, flag):
        keep = p > 0
        ti.append(i[keep])
        tj.append(j[keep])
        tp.append(p[keep])
        tf.append(np.full(int(keep.sum()), flag, dtype=np.int64))

    g = kinds == "guarantee"
    add(rows[g], cols[g], b["guarantee"] * material(w[g], rows[g]), 1)
    s = (kinds == "shareholding") | (kinds == "control")
    if s.any():
        # one stake per pair: the larger of the shareholding/control records
        S2 = sp.csr_array((n, n))
        for kind in ("shareholding", "control"):
            k = kinds == kind
            K = sp.coo_array((w[k], (rows[k], cols[k])), shape=(n, n)).tocsr()
            S2 = S2.maximum(K)
        C = S2.tocoo()
        r, c, share = C.row.astype(np.int64), C.col.astype(np.int64), C.data
        add(c, r, b["control_down"] * share, 2)
        stake = share * np.where(known[c], E[c], np.nan)
        with np.errstate(invalid="ignore"):
            up = np.where(known[c] & known[r], np.minimum(1.0, stake / np.where(known[r], E[r], 1.0)), share)
        add(r, c, b["control_up"] * up, 4)
    sup = kinds == "supply"
    if sup.any():
        r, c, x = rows[sup], cols[sup], w[sup]
        sales = np.bincount(r, weights=x, minlength=n)
        purchases = np.bincount(c, weights=x, minlength=n)
        revenue = np.array([_num(G.nodes[v].get("revenue")) for v in nodes])
        revenue = np.where(np.isfinite(revenue), revenue, 0.0)
        sales = np.maximum(sales, revenue)
        with np.errstate(divide="ignore", invalid="ignore"):
            add(r, c, b["supply"] * np.where(sales[r] > 0, x / sales[r], 0.0), 8)
            add(c, r, b["supply"] * np.where(purchases[c] > 0, x / purchases[c], 0.0), 8)
    cd = kinds == "common_director"
    if cd.any() and b["common_director"] > 0:
        r, c = rows[cd], cols[cd]
        p = np.full(r.size, b["common_director"])
        add(r, c, p, 16)
        add(c, r, p, 16)
    i = np.concatenate(ti) if ti else np.empty(0, np.int64)
    j = np.concatenate(tj) if tj else np.empty(0, np.int64)
    p = np.concatenate(tp) if tp else np.empty(0)
    f = np.concatenate(tf) if tf else np.empty(0, np.int64)
    return TransmissionChannels(nodes=nodes, target=i, source=j, probability=p, flag=f)


def _combine(channels: TransmissionChannels, strength: float) -> tuple[sp.csr_array, sp.csr_array]:
    """``T`` (channels scaled by ``strength``, capped at 1, combined per pair) and the type flags ``F``."""
    n = len(channels.nodes)
    i, j, f = channels.target, channels.source, channels.flag
    p = np.minimum(1.0, strength * channels.probability)
    keep = p > 0
    i, j, p, f = i[keep], j[keep], p[keep], f[keep]
    # combine channels per pair: 1 - prod(1 - t) through a sum of logs
    logs = np.log(np.maximum(1.0 - np.clip(p, 0.0, 1.0), _FLOOR))
    L = sp.coo_array((logs, (i, j)), shape=(n, n)).tocsr()
    L.sum_duplicates()
    T = sp.csr_array((1.0 - np.exp(L.data), L.indices, L.indptr), shape=(n, n))
    F = sp.coo_array((f.astype(np.float64), (i, j)), shape=(n, n)).tocsr()
    F.sum_duplicates()  # flags of distinct types are distinct bits; repeats are folded below
    if F.nnz:
        F.data = _fold_flags(i, j, f, F, n)
    return T, F


def _fold_flags(i, j, f, F: sp.csr_array, n: int) -> np.ndarray:
    """Bitwise OR of the flags per (i, j), in F's storage order."""
    key = i * n + j
    order = np.argsort(key, kind="stable")
    key_s, f_s = key[order], f[order]
    first = np.r_[True, key_s[1:] != key_s[:-1]]
    uniq = key_s[first]
    ored = np.bitwise_or.reduceat(f_s, np.flatnonzero(first))
    C = F.tocoo()
    k = C.row.astype(np.int64) * n + C.col.astype(np.int64)
    # F is csr so its entries are in (row, col) order; map back via searchsorted
    pos = np.searchsorted(uniq, k)
    out = np.zeros(F.nnz)
    out[:] = ored[pos]
    return out


def network_adjusted_pd(
    G: nx.Graph,
    pd_values: Any,
    *,
    transmission: Mapping[str, float] | None = None,
    capital: str | Mapping | pd.Series = "registered_capital",
    default_pd: float | None = None,
    max_hops: int = 3,
    customers_only: bool = True,
    strength: float = 1.0,
) -> pd.DataFrame:
    """Stand-alone PD combined with the default risk transmitted by linked parties.

    Parameters
    ----------
    G : networkx graph
        Relationship graph (:func:`build_graph`).
    pd_values : Series or mapping
        Stand-alone PD in [0, 1] per party id (typically per customer). Ids
        absent from ``G`` are returned unchanged (isolated parties).
    transmission : mapping, optional
        Base transmission per channel, overriding :data:`DEFAULT_TRANSMISSION`;
        see :func:`transmission_matrix` for the materiality scaling.
    capital : str, mapping or Series
        Size used for materiality (node attribute name or node -> value; keys
        that are not nodes of ``G`` are an error, as in :func:`node_capital`).
    default_pd : float, optional
        PD of graph nodes without a given PD (non-customer parties); default
        the median of the given PDs.
    max_hops : int
        Longest chain of links through which a default is transmitted (>= 1).
    customers_only : bool
        Return only the ids of ``pd_values`` (else every node of ``G``).
    strength : float
        Common multiplier of all transmission probabilities (capped at 1), see
        :func:`transmission_matrix`; fitted by
        :func:`riskkit.assess.calibrate_transmission_strength`.

    Returns
    -------
    DataFrame
        Indexed by id: ``pd`` (stand-alone), ``pd_network``, ``pd_uplift``
        (``pd_network - pd``), ``main_source`` (the linked party contributing
        the most transmitted risk), ``main_channel`` (its relation types) and
        ``n_links`` (parties that can transmit to it).

    Examples
    --------
    B guarantees all of A's debt with a guarantee as large as its capital, so
    A's default makes B default: ``1 - (1 - 0.05)(1 - 0.10 * 1) = 0.145``.

    >>> G = nx.MultiDiGraph()
    >>> G.add_node("A", registered_capital=100.0)
    >>> G.add_node("B", registered_capital=50.0)
    >>> G.add_edge("B", "A", type="guarantee", weight=50.0)
    0
    >>> out = network_adjusted_pd(G, {"A": 0.10, "B": 0.05})
    >>> out["pd_network"].round(4).to_dict()
    {'A': 0.1, 'B': 0.145}

    Notes
    -----
    Model: an independent-cascade model (Kempe, Kleinberg & Tardos 2003) on
    the transmission graph ``T`` (:func:`transmission_matrix`). Each party
    defaults on its own with its stand-alone PD ``p_i``; a defaulting party
    ``j`` makes each linked party ``i`` default with probability ``T_ij``,
    independently. The probability that ``i`` defaults,

        PD_adj_i = 1 - (1 - p_i) * prod_j (1 - T_ij * m_{j->i}),

    is computed by message passing (Karrer & Newman 2010): ``m_{j->i}`` is
    the probability that ``j`` defaults in the network with ``i`` removed,

        m_{j->i} = 1 - (1 - p_j) * prod_{k != i} (1 - T_jk * m_{k->j}),

    started at ``m = p`` and updated ``max_hops - 1`` times, so chains of up
    to ``max_hops`` links count. Excluding ``i`` from its neighbours' messages
    removes the echo of ``i``'s own risk through mutual guarantees; the
    result is exact when the links form a tree (in particular for a mutual
    guarantee pair) and overstates only through longer cycles, by terms of
    order ``p_i * prod(T around the cycle)``, which ``max_hops`` bounds.

    References
    ----------
    .. [1] D. Kempe, J. Kleinberg, E. Tardos, "Maximizing the spread of
       influence through a social network", KDD (2003).
    .. [2] B. Karrer, M. E. J. Newman, "Message passing approach for general
       epidemic models", Physical Review E 82, 016101 (2010).
    """
    channels = transmission_channels(G, transmission=transmission, capital=capital)
    return network_adjusted_pd_from_channels(channels, pd_values, default_pd=default_pd, max_hops=max_hops,
                                             customers_only=customers_only, strength=strength)


def network_adjusted_pd_from_channels(
    channels: TransmissionChannels,
    pd_values: Any,
    *,
    default_pd: float | None = None,
    max_hops: int = 3,
    customers_only: bool = True,
    strength: float = 1.0,
) -> pd.DataFrame:
    """:func:`network_adjusted_pd` on channels already built by :func:`transmission_channels`.

    The channels do not depend on ``strength``, so a search over strengths builds them
    once. Parameters, result and model are those of :func:`network_adjusted_pd`.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("A", registered_capital=100.0)
    >>> G.add_node("B", registered_capital=50.0)
    >>> G.add_edge("B", "A", type="guarantee", weight=50.0)
    0
    >>> channels = transmission_channels(G)
    >>> out = network_adjusted_pd_from_channels(channels, {"A": 0.10, "B": 0.05}, strength=0.5)
    >>> round(float(out.loc["B", "pd_network"]), 4)  # 1 - (1 - 0.05)(1 - 0.10 * 0.5)
    0.0975
    """
    if max_hops < 1:
        raise GraphInputError(f"max_hops must be >= 1, got {max_hops}")
    given = _pd_series(pd_values)
    if default_pd is None:
        default_pd = float(given.median()) if len(given) else 0.0
    if not 0 <= default_pd <= 1:
        raise GraphInputError(f"default_pd must be in [0, 1], got {default_pd}")

    if not isinstance(channels, TransmissionChannels):
        raise GraphInputError(f"channels must come from transmission_channels(G), got {type(channels).__name__}")
    T, F = channels.matrix(strength)
    nodes = channels.nodes
    n = len(nodes)
    p = np.full(n, float(default_pd))
    where = pd.Index(nodes).get_indexer(given.index)
    in_graph = where >= 0
    if in_graph.any():
        p[where[in_graph]] = given.to_numpy()[in_graph]

    C = T.tocoo()
    tgt, src, t = C.row.astype(np.int64), C.col.astype(np.int64), C.data
    # reverse link of (i <- j) is (j <- i)
    rev = np.empty(0, dtype=np.int64)
    if tgt.size:
        key = tgt * n + src
        order = np.argsort(key)
        key_sorted = key[order]
        where = np.minimum(np.searchsorted(key_sorted, src * n + tgt), key.size - 1)
        rev = np.where(key_sorted[where] == src * n + tgt, order[where], -1)

    m = p[src].copy()
    for _ in range(max_hops - 1):
        lg = np.log(np.maximum(1.0 - t * m, _FLOOR))
        into = np.bincount(tgt, weights=lg, minlength=n)  # sum over all links into each node
        own = np.where(rev >= 0, lg[np.maximum(rev, 0)], 0.0)
        # message j -> i: j's links in, except the one from i
        m = 1.0 - (1.0 - p[src]) * np.exp(into[src] - own)
    lg = np.log(np.maximum(1.0 - t * m, _FLOOR))
    into = np.bincount(tgt, weights=lg, minlength=n)
    q = 1.0 - (1.0 - p) * np.exp(into)
    q = np.clip(np.maximum(q, p), 0.0, 1.0)

    contrib = t * m
    main_src = np.full(n, -1, dtype=np.int64)
    flags = np.zeros(n, dtype=np.int64)
    if contrib.size:
        o = np.lexsort((src, -contrib, tgt))
        first = np.r_[True, tgt[o][1:] != tgt[o][:-1]]
        best = o[first]
        main_src[tgt[best]] = src[best]
        Fc = F.tocsr()
        flags[tgt[best]] = np.asarray(Fc[tgt[best], src[best]]).ravel().astype(np.int64)
    labels = np.array(nodes, dtype=object)
    frame = pd.DataFrame(
        {
            "pd": p,
            "pd_network": q,
            "pd_uplift": q - p,
            "main_source": np.where(main_src >= 0, labels[np.maximum(main_src, 0)], None),
            "main_channel": [(_flag_label(int(x)) or None) for x in flags],
            "n_links": np.bincount(tgt, minlength=n).astype(np.int64),
        },
        index=pd.Index(nodes, name="node"),
    )
    if customers_only:
        out = frame.reindex(given.index)
        missing = ~in_graph
        if missing.any():
            out.loc[missing, "pd"] = given[missing].to_numpy()
            out.loc[missing, "pd_network"] = given[missing].to_numpy()
            out.loc[missing, "pd_uplift"] = 0.0
            out.loc[missing, "n_links"] = 0
        out["n_links"] = out["n_links"].astype("int64")
        out.index.name = given.index.name or "node"
        return out
    return frame
