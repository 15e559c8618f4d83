"""Guarantee circles (担保圈): strongly connected parts of the guarantee layer."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

import networkx as nx
import pandas as pd

from .._core.display import HTMLReprMixin
from ._common import GraphInputError, _sorted_ids
from .build import layer

__all__ = ["GuaranteeCircles", "guarantee_circles", "mutual_guarantees"]


@dataclass(frozen=True, eq=False, repr=False)
class GuaranteeCircles(HTMLReprMixin):
    """Guarantee circles found in a graph.

    Attributes
    ----------
    circles : DataFrame
        One row per circle (``circle_id`` index): ``size``, ``n_guarantees``
        (edges inside), ``total_guaranteed`` (sum of amounts inside),
        ``n_mutual_pairs``, ``n_cycles_listed``, ``cycles_truncated`` (the
        listing hit ``max_cycles``), ``n_customers`` and ``members`` (sorted
        tuple). Ordered by size, then total amount, descending.
    membership : Series
        node -> circle_id for every node in a circle.
    mutual : DataFrame
        Pairs guaranteeing each other: ``a``, ``b`` (``a < b``),
        ``amount_ab`` (a guarantees b), ``amount_ba``, ``circle_id``.
    cycles : DataFrame
        Listed simple cycles: ``circle_id``, ``cycle`` (tuple of ids, each
        guaranteeing the next, the last guaranteeing the first), ``length``,
        ``min_amount`` (the weakest link).
    """

    circles: pd.DataFrame
    membership: pd.Series
    mutual: pd.DataFrame
    cycles: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per circle (:attr:`circles`)."""
        return self.circles

    def summary(self) -> str:
        if self.circles.empty:
            return "No guarantee circles."
        c = self.circles
        return (
            f"{len(c)} guarantee circles; {int(c['size'].sum())} parties; largest {int(c['size'].max())}; "
            f"{int(c['n_mutual_pairs'].sum())} mutual pairs; total guaranteed inside circles "
            f"{float(c['total_guaranteed'].sum()):,.2f}"
        )


def mutual_guarantees(G: nx.Graph, *, weight: str = "weight") -> pd.DataFrame:
    """Pairs of parties that guarantee each other.

    Returns
    -------
    DataFrame
        ``a``, ``b`` (``a`` the smaller id), ``amount_ab``,
        ``amount_ba``; parallel guarantees are summed.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("A", "B", type="guarantee", weight=5.0)
    0
    >>> G.add_edge("B", "A", type="guarantee", weight=2.0)
    0
    >>> mutual_guarantees(G).to_dict("records")
    [{'a': 'A', 'b': 'B', 'amount_ab': 5.0, 'amount_ba': 2.0}]
    """
    return _mutual(layer(G, "guarantee", weight=weight))


def _mutual(H: nx.DiGraph) -> pd.DataFrame:
    rows = []
    for u, v, d in H.edges(data=True):
        if H.has_edge(v, u) and _sorted_ids((u, v))[0] == u:
            rows.append((u, v, d["weight"], H[v][u]["weight"]))
    frame = pd.DataFrame(rows, columns=["a", "b", "amount_ab", "amount_ba"])
    if len(frame):
        frame = frame.sort_values(["a", "b"], key=lambda s: s.astype(str), ignore_index=True)
    return frame


def guarantee_circles(
    G: nx.Graph,
    max_length: int | None = 6,
    max_cycles: int | None = 1000,
    *,
    weight: str = "weight",
) -> GuaranteeCircles:
    """Guarantee circles: strongly connected components (size >= 2) of the guarantee layer.

    Parameters
    ----------
    G : networkx graph
        Relationship graph (``guarantee`` edges src -> dst: src guarantees
        dst's debt, ``weight`` = amount).
    max_length : int or None
        Longest simple cycle listed (``length_bound`` of
        :func:`networkx.simple_cycles`); None lists cycles of any length.
    max_cycles : int or None
        Cap on the cycles listed per circle; the listing of a dense circle
        stops there (``cycles_truncated``) instead of enumerating the
        exponentially many cycles. ``0`` lists none.

    Returns
    -------
    GuaranteeCircles
        ``circles``, ``membership``, ``mutual``, ``cycles`` DataFrames.

    Examples
    --------
    A -> B -> C -> A is a circle; D only guarantees into it.

    >>> G = nx.MultiDiGraph()
    >>> for s, d in [("A", "B"), ("B", "C"), ("C", "A"), ("D", "A")]:
    ...     _ = G.add_edge(s, d, type="guarantee", weight=1.0)
    >>> gc = guarantee_circles(G)
    >>> gc.circles[["size", "total_guaranteed"]].to_dict("records")
    [{'size': 3, 'total_guaranteed': 3.0}]
    >>> gc.cycles["cycle"].tolist()
    [('A', 'B', 'C')]

    Notes
    -----
    A guarantee circle is a set of firms in which every firm is, directly or
    through a chain, a guarantor of every other; a default anywhere inside
    can come back to its origin, which is why regulators track them. That is
    exactly a strongly connected component (Tarjan 1972) of size >= 2 of the
    guarantee layer; ``total_guaranteed`` sums the guarantee amounts on
    edges inside it (guarantees from outside into the circle are left out).
    Cycles are listed with the length-bounded algorithm of Gupta & Suzumura
    (networkx ``simple_cycles(..., length_bound=...)``) and an iteration cap,
    so a dense component cannot blow up the run. Each cycle is rotated to
    start at its smallest id.

    References
    ----------
    .. [1] R. Tarjan, "Depth-first search and linear graph algorithms", SIAM J.
       Computing 1(2), 146-160 (1972).
    .. [2] A. Gupta, T. Suzumura, "Finding All Bounded-Length Simple Cycles in
       a Directed Graph", arXiv:2105.10094 (2021).
    """
    if max_length is not None and max_length < 2:
        raise GraphInputError(f"max_length must be >= 2 (a mutual guarantee is a cycle of 2), got {max_length}")
    if max_cycles is not None and max_cycles < 0:
        raise GraphInputError(f"max_cycles must be >= 0, got {max_cycles}")
    H = layer(G, "guarantee", weight=weight)
    comps = [c for c in nx.strongly_connected_components(H) if len(c) >= 2]
    mutual = _mutual(H)

    records = []
    for comp in comps:
        sub = H.subgraph(comp)
        members = tuple(_sorted_ids(comp))
        amount = float(sum(w for _, _, w in sub.edges(data="weight")))
        records.append((members, sub, amount))
    records.sort(key=lambda r: (-len(r[0]), -r[2], str(r[0][0])))  # ties: by first member as text

    circle_rows, cycle_rows, membership = [], [], {}
    for cid, (members, sub, amount) in enumerate(records):
        listed = []
        truncated = False
        if max_cycles != 0:
            gen = nx.simple_cycles(sub, length_bound=max_length)
            listed = list(islice(gen, max_cycles)) if max_cycles is not None else list(gen)
            if max_cycles is not None and len(listed) == max_cycles:
                truncated = next(gen, None) is not None
        for cyc in listed:
            k = cyc.index(_sorted_ids(cyc)[0])
            cyc = tuple(cyc[k:] + cyc[:k])
            weakest = min(sub[cyc[i]][cyc[(i + 1) % len(cyc)]]["weight"] for i in range(len(cyc)))
            cycle_rows.append((cid, cyc, len(cyc), float(weakest)))
        n_cust = sum(bool(sub.nodes[v].get("is_customer", True)) for v in members)
        circle_rows.append((cid, len(members), sub.number_of_edges(), amount, 0, len(listed),
                            truncated, n_cust, members))
        for v in members:
            membership[v] = cid
    if len(mutual):
        # a mutual pair is a 2-cycle, so both parties lie in the same circle: count by a's circle
        n_mutual = mutual["a"].map(membership).value_counts()
        circle_rows = [(*r[:4], int(n_mutual.get(r[0], 0)), *r[5:]) for r in circle_rows]
    circles = pd.DataFrame(
        circle_rows,
        columns=["circle_id", "size", "n_guarantees", "total_guaranteed", "n_mutual_pairs",
                 "n_cycles_listed", "cycles_truncated", "n_customers", "members"],
    ).set_index("circle_id")
    circles = circles.astype({"size": "int64", "n_guarantees": "int64", "n_mutual_pairs": "int64",
                              "n_cycles_listed": "int64", "n_customers": "int64", "total_guaranteed": "float64",
                              "cycles_truncated": "bool"})
    cycles = pd.DataFrame(cycle_rows, columns=["circle_id", "cycle", "length", "min_amount"])
    cycles = cycles.astype({"circle_id": "int64", "length": "int64", "min_amount": "float64"})
    if len(cycles):
        cycles = cycles.sort_values(["circle_id", "length", "cycle"], key=_sort_key, ignore_index=True)
    if len(mutual):
        mutual["circle_id"] = mutual["a"].map(membership).astype("int64")
    else:
        mutual["circle_id"] = pd.Series([], dtype="int64")
    member_series = pd.Series(membership, name="circle_id", dtype="int64")
    member_series.index.name = "node"
    return GuaranteeCircles(circles=circles, membership=member_series, mutual=mutual, cycles=cycles)


def _sort_key(s: pd.Series) -> pd.Series:
    if s.name == "cycle":
        return s.map(lambda c: tuple(str(x) for x in c)).astype(object).map(str)
    return s

