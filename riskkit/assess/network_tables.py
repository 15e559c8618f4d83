"""Tables of the book's relationship network that join graph results with our exposure.

The graph algorithms (:mod:`riskkit.graph`) know parties and links; what a credit
committee asks is how much of *our* exposure sits in a group or a guarantee circle, and
who a customer is linked to.  These small functions answer that from a graph built by
:func:`riskkit.graph.build_graph` (node attribute ``is_customer``; edge attributes
``type`` and ``weight``) and the EAD of :func:`riskkit.limits.exposure`.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import pandas as pd

__all__ = ["party_counts", "direct_relations", "circle_exposure", "GroupConcentration", "group_concentration"]


def _ead(exposure) -> pd.Series:
    if isinstance(exposure, pd.DataFrame):
        if "ead" not in exposure.columns:
            raise ValueError(f"exposure: no column 'ead'; columns {list(exposure.columns)}")
        exposure = exposure["ead"]
    if not isinstance(exposure, pd.Series):
        raise ValueError(f"exposure must be a Series or the DataFrame of rk.limits.exposure, "
                         f"got {type(exposure).__name__}")
    return exposure.astype(float)


def party_counts(G: nx.Graph) -> pd.DataFrame:
    """Number of nodes that are customers and external parties, and the total.

    Returns
    -------
    DataFrame
        Index ``customers``, ``external parties``, ``total`` (only kinds present, plus the
        total); one column ``nodes``.
    """
    kinds = pd.Series(dict(G.nodes(data="is_customer")), dtype=object)
    labels = kinds.map(lambda v: "customers" if bool(v) else "external parties")
    counts = labels.value_counts().reindex(["customers", "external parties"]).dropna().astype(int)
    counts.loc["total"] = G.number_of_nodes()
    return counts.rename("nodes").to_frame()


def direct_relations(G: nx.MultiDiGraph, node) -> pd.DataFrame:
    """Every relation in force between ``node`` and another party, one row per link.

    Returns
    -------
    DataFrame
        ``direction`` ("out": ``node`` owns / guarantees / supplies the counterparty;
        "in": the reverse), ``counterparty``, ``type``, ``weight``,
        ``counterparty_is_customer``; sorted by type, direction and counterparty.

    Raises
    ------
    KeyError
        ``node`` is not in the graph.
    """
    if node not in G:
        raise KeyError(f"{node!r} is not a party of the graph ({G.number_of_nodes()} parties)")
    rows = ([("out", v, d["type"], d["weight"]) for _, v, d in G.out_edges(node, data=True)]
            + [("in", u, d["type"], d["weight"]) for u, _, d in G.in_edges(node, data=True)])
    table = pd.DataFrame(rows, columns=["direction", "counterparty", "type", "weight"]).astype(
        {"direction": "str", "counterparty": "str", "type": "str", "weight": "float64"})
    table = table.sort_values(["type", "direction", "counterparty"], ignore_index=True, kind="stable")
    table["counterparty_is_customer"] = [bool(G.nodes[v].get("is_customer")) for v in table["counterparty"]]
    return table


def circle_exposure(members: pd.Series, exposure) -> pd.Series:
    """Our EAD summed over the members of each guarantee circle (or any group of parties).

    Parameters
    ----------
    members : Series of collections of party ids
        E.g. ``rk.graph.guarantee_circles(G).circles["members"]``.
    exposure : Series or DataFrame
        EAD by customer id (``rk.limits.exposure``); parties that are not customers count 0.

    Returns
    -------
    Series
        ``ead`` per row of ``members`` (same index).
    """
    ead = _ead(exposure)
    totals = [float(ead.reindex(list(m)).fillna(0.0).sum()) for m in members]
    return pd.Series(totals, index=members.index, name="ead", dtype="float64")


@dataclass(frozen=True)
class GroupConcentration:
    """How much of the book sits in control groups of two or more customers.

    Attributes
    ----------
    n_groups : int
        Groups with at least two customers.
    n_customers : int
        Customers in them.
    ead : float
        Their EAD.
    share_of_ead : float
        ``ead`` / total EAD of the book (NaN if the book has no EAD).
    """

    n_groups: int
    n_customers: int
    ead: float
    share_of_ead: float

    def summary(self) -> str:
        return (f"groups of two or more customers: {self.n_groups}; customers in them: {self.n_customers}; "
                f"share of total EAD: {self.share_of_ead:.1%}")


def group_concentration(totals: pd.DataFrame, exposure) -> GroupConcentration:
    """Concentration of exposure in multi-customer control groups.

    Parameters
    ----------
    totals : DataFrame
        ``rk.graph.group_totals(groups, exposure)``: one row per group with ``n_customers``
        and ``ead``.
    exposure : Series or DataFrame
        EAD of every customer of the book (the denominator).
    """
    missing = [c for c in ("n_customers", "ead") if c not in totals.columns]
    if missing:
        raise ValueError(f"totals: missing column(s) {missing}; expected rk.graph.group_totals output")
    multi = totals[totals["n_customers"] > 1]
    book = float(_ead(exposure).sum())
    ead = float(multi["ead"].sum())
    return GroupConcentration(n_groups=len(multi), n_customers=int(multi["n_customers"].sum()), ead=ead,
                              share_of_ead=ead / book if book > 0 else float("nan"))
