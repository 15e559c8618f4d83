"""Figures of the relationship graph and of contagion results (``riskkit.graph``).

Every function takes ``ax=None`` and returns the Axes. Network drawings use a seeded
spring layout (Fruchterman & Reingold 1991, :func:`networkx.spring_layout`) on nodes
in sorted order, so the same data and seed always give the same picture.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from ._common import get_axes

#: figure size (inches) when no Axes is given
_FIGSIZE = (8, 5)

__all__ = [
    "RELATION_COLORS",
    "plot_relation_layers",
    "plot_guarantee_circle",
    "plot_ego_network",
    "plot_systemic_importance",
    "plot_stress_paths",
    "plot_pd_comparison",
    "plot_pd_roc",
]

#: one colour per relation type, shared by every drawing
RELATION_COLORS = {
    "guarantee": "tab:red",
    "shareholding": "tab:blue",
    "control": "tab:purple",
    "supply": "tab:green",
    "common_director": "tab:gray",
}
_CUSTOMER_COLOR = "#4c72b0"
_EXTERNAL_COLOR = "#dddddd"
#: labels stay readable on dark nodes and across edges
_LABEL_BOX = {"facecolor": "white", "alpha": 0.7, "linewidth": 0, "boxstyle": "round,pad=0.15"}
_STATUS_COLORS = {
    "initial_default": "black",
    "contagion_default": "tab:red",
    "distressed": "tab:orange",
    "shocked": "black",
    "pd_increase": "tab:orange",
}


def _sorted(nodes: Iterable) -> list:
    nodes = list(nodes)
    try:
        return sorted(nodes)
    except TypeError:
        return sorted(nodes, key=str)


def _network_size(n_nodes: int) -> tuple[float, float]:
    """Figure size (inches) for a drawing of ``n_nodes`` parties: a 2-node circle does not get
    a 9-inch canvas, a 60-node neighbourhood does (side grows with the square root)."""
    width = min(9.0, max(4.5, 2.5 + 0.85 * n_nodes ** 0.5))
    return width, round(0.8 * width, 2)


#: readable axis labels of the systemic-importance columns
_MEASURE_LABELS = {
    "debtrank": "DebtRank: share of the system's economic value lost if the party fails",
    "debtrank_linear": "DebtRank (linear): share of the system's economic value lost",
    "pagerank": "PageRank of the exposure network",
    "in_degree": "parties exposed to it (count)",
    "out_degree": "parties it is exposed to (count)",
}


def _layout(H: nx.Graph, seed: int) -> dict:
    """Seeded spring layout of ``H`` built on its nodes in sorted order (deterministic)."""
    U = nx.Graph()
    U.add_nodes_from(_sorted(H.nodes))
    U.add_edges_from((u, v) for u, v in H.edges() if u != v)
    return nx.spring_layout(U, seed=seed, k=1.5 / np.sqrt(max(U.number_of_nodes(), 1)))


def _is_customer(G: nx.Graph, v: Any) -> bool:
    return bool(G.nodes[v].get("is_customer", True))


def _typed_edges(G: nx.Graph, nodes: set) -> list[tuple[Any, Any, str, float]]:
    out = []
    data = G.edges(data=True)
    for u, v, d in data:
        if u in nodes and v in nodes:
            out.append((u, v, d.get("type", "other"), float(d.get("weight", 1.0))))
    return sorted(out, key=lambda e: (str(e[0]), str(e[1]), str(e[2])))


def _draw(G: nx.Graph, nodes: Iterable, ax, *, seed: int, node_colors: dict | None = None,
          highlight: Any = None, labels: bool = True, edge_labels: bool = False, types: Iterable[str] | None = None):
    nodes = _sorted(nodes)
    keep = set(nodes)
    edges = [e for e in _typed_edges(G, keep) if types is None or e[2] in set(types)]
    H = nx.MultiDiGraph()
    H.add_nodes_from(nodes)
    H.add_edges_from((u, v) for u, v, _, _ in edges)
    pos = _layout(H, seed)
    colors = [node_colors.get(v, _EXTERNAL_COLOR) if node_colors else
              (_CUSTOMER_COLOR if _is_customer(G, v) else _EXTERNAL_COLOR) for v in nodes]
    sizes = [520 if v == highlight else 260 for v in nodes]
    nx.draw_networkx_nodes(H, pos, nodelist=nodes, node_color=colors, node_size=sizes, edgecolors="black",
                           linewidths=[2.5 if v == highlight else 0.6 for v in nodes], ax=ax)
    present = []
    for kind in RELATION_COLORS:
        kind_edges = [(u, v) for u, v, t, _ in edges if t == kind]
        if not kind_edges:
            continue
        present.append(kind)
        # parallel links of several types between one pair are bent apart
        rad = {"guarantee": 0.0, "shareholding": 0.12, "control": 0.24, "supply": -0.12, "common_director": -0.24}[kind]
        nx.draw_networkx_edges(H, pos, edgelist=kind_edges, edge_color=RELATION_COLORS[kind], ax=ax, arrows=True,
                               arrowsize=12, width=1.4, nodelist=nodes, node_size=sizes,
                               connectionstyle=f"arc3,rad={rad}")
    if labels:
        nx.draw_networkx_labels(H, pos, labels={v: str(v) for v in nodes}, font_size=7, ax=ax, bbox=_LABEL_BOX)
    if edge_labels:
        amounts = {}
        for u, v, _, w in edges:
            amounts[(u, v)] = amounts.get((u, v), 0.0) + w
        nx.draw_networkx_edge_labels(nx.DiGraph(list(amounts)), pos,
                                     edge_labels={k: f"{w / 1e6:,.1f}m" for k, w in amounts.items()},
                                     font_size=7, ax=ax)
    handles = [Line2D([0], [0], color=RELATION_COLORS[k], lw=2, label=k) for k in present]
    if node_colors is None:
        handles += [Line2D([0], [0], marker="o", ls="", markerfacecolor=c, markeredgecolor="black", label=lab)
                    for c, lab in ((_CUSTOMER_COLOR, "customer"), (_EXTERNAL_COLOR, "external party"))]
    if handles:
        ax.legend(handles=handles, fontsize="small", loc="best")
    ax.set_axis_off()
    return ax


def plot_relation_layers(G: nx.Graph, ax=None):
    """Relations in force per type: links between two customers vs links with an external party."""
    ax = get_axes(ax, _FIGSIZE)
    rows = []
    for u, v, d in G.edges(data=True):
        both = _is_customer(G, u) and _is_customer(G, v)
        rows.append((d.get("type", "other"), "between customers" if both else "with an external party"))
    frame = pd.DataFrame(rows, columns=["type", "kind"])
    table = pd.crosstab(frame["type"], frame["kind"]).reindex(columns=["between customers", "with an external party"],
                                                               fill_value=0)
    table = table.loc[table.sum(axis=1).sort_values(ascending=True, kind="stable").index]
    table.plot.barh(stacked=True, ax=ax, color=["#4c72b0", "#c7c7c7"], edgecolor="black", linewidth=0.5)
    ax.set_xlabel("relations in force (count)")
    ax.set_ylabel("relation type")
    ax.set_title("Relationship graph: links per layer")
    ax.legend(fontsize="small")
    return ax


def plot_guarantee_circle(G: nx.Graph, members: Iterable, ax=None, *, seed: int = 0):
    """The guarantee links among the members of one circle, amounts in millions on the arrows.

    An arrow ``u -> v`` means ``u`` guarantees ``v``'s debt (``u`` pays if ``v`` defaults).
    """
    members = list(members)
    ax = get_axes(ax, _network_size(len(members)))
    _draw(G, members, ax, seed=seed, edge_labels=True, types=("guarantee",))
    ax.set_title(f"Guarantee circle of {len(members)} parties (arrow: guarantor -> guaranteed)")
    return ax


def plot_ego_network(G: nx.Graph, center: Any, radius: int = 2, ax=None, *, seed: int = 0,
                     max_nodes: int = 60):
    """The parties within ``radius`` links of ``center`` (any relation, either direction).

    Edges are coloured by relation type; customers are blue, external parties grey; the
    centre is drawn larger. Beyond ``max_nodes`` the farthest ring is trimmed, keeping the
    nearest parties (ties by id) so the picture stays legible.
    """
    if center not in G:
        raise ValueError(f"center {center!r} is not a node of the graph")
    if radius < 1:
        raise ValueError(f"radius must be >= 1, got {radius}")
    dist = nx.single_source_shortest_path_length(G.to_undirected(as_view=True), center, cutoff=radius)
    ranked = sorted(dist, key=lambda v: (dist[v], str(v)))
    nodes = ranked[:max_nodes]
    ax = get_axes(ax, _network_size(len(nodes)))
    _draw(G, nodes, ax, seed=seed, highlight=center)
    shown = "" if len(nodes) == len(ranked) else f" (nearest {len(nodes)} of {len(ranked)})"
    ax.set_title(f"Ego network of {center}, radius {radius}{shown}")
    return ax


def plot_systemic_importance(si: pd.DataFrame, top: int = 15, column: str = "debtrank_linear", ax=None):
    """Horizontal bars of the ``top`` parties by ``column`` of :func:`riskkit.graph.systemic_importance`."""
    ax = get_axes(ax, (8, 0.35 * top + 1.5))
    data = si.sort_values(column, ascending=False, kind="stable").head(top).iloc[::-1]
    colors = [_CUSTOMER_COLOR if c else _EXTERNAL_COLOR for c in data.get("is_customer", pd.Series(True, data.index))]
    ax.barh([str(i) for i in data.index], data[column], color=colors, edgecolor="black", linewidth=0.5)
    ax.set_xlabel(_MEASURE_LABELS.get(column, column.replace("_", " ")))
    ax.set_ylabel("party")
    ax.set_title(f"Systemic importance: top {len(data)} by {column}")
    return ax


def plot_stress_paths(G: nx.Graph, result: Any, ax=None, *, seed: int = 0, max_nodes: int = 60):
    """Parties hit by a stress scenario, coloured by status, with the contagion paths.

    ``result`` is a :class:`riskkit.graph.StressResult`; arrows follow the shock, from the
    party that passed it on to the party hit (the reverse of the exposure direction).
    """
    affected = result.affected.sort_values(["round"], kind="stable").head(max_nodes)
    status = affected["status"].to_dict()
    nodes = set(affected.index)
    hops = set()
    for path in affected["path"]:
        nodes.update(path)
        hops.update(zip(path[:-1], path[1:], strict=True))
    nodes = _sorted(nodes)
    ax = get_axes(ax, _network_size(len(nodes)))
    H = nx.DiGraph()
    H.add_nodes_from(nodes)
    H.add_edges_from(sorted(hops, key=lambda e: (str(e[0]), str(e[1]))))
    pos = _layout(H, seed)
    colors = [_STATUS_COLORS.get(status.get(v), "white") for v in nodes]
    nx.draw_networkx_nodes(H, pos, nodelist=nodes, node_color=colors, node_size=300, edgecolors="black", ax=ax)
    nx.draw_networkx_edges(H, pos, ax=ax, arrows=True, arrowsize=12, width=1.4, edge_color="dimgray")
    nx.draw_networkx_labels(H, pos, labels={v: str(v) for v in nodes}, font_size=7, ax=ax, bbox=_LABEL_BOX)
    handles = [Line2D([0], [0], marker="o", ls="", markerfacecolor=c, markeredgecolor="black", label=s)
               for s, c in _STATUS_COLORS.items() if s in set(status.values())]
    ax.legend(handles=handles, fontsize="small", loc="best")
    ax.set_axis_off()
    ax.set_title(f"Stress scenario: {result.scenario.name}")
    return ax


def plot_pd_comparison(scores: pd.DataFrame, target: str = "contagion_default", ax=None):
    """Stand-alone PD vs network-adjusted PD (log scales), customers with a ``target`` event in red.

    ``scores`` is :func:`riskkit.graph.network_pd_scores` (or ``NetworkPDEvaluation.scores``).
    Points above the diagonal got a network uplift.
    """
    ax = get_axes(ax, (6.5, 6))
    floor = 1e-5
    x = scores["pd"].clip(lower=floor)
    y = scores["pd_network"].clip(lower=floor)
    event = scores[target].astype(bool) if target in scores else pd.Series(False, index=scores.index)
    ax.scatter(x[~event], y[~event], s=8, alpha=0.35, color="tab:blue", label="no event")
    ax.scatter(x[event], y[event], s=36, color="tab:red", edgecolors="black", label=target.replace("_", " "))
    lo = float(min(x.min(), y.min()))
    ax.plot([lo, 1], [lo, 1], color="black", lw=0.8, ls="--", label="no uplift")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("stand-alone PD")
    ax.set_ylabel("network-adjusted PD")
    ax.set_title("Stand-alone vs network-adjusted PD")
    ax.legend(fontsize="small")
    return ax


def plot_pd_roc(scores: pd.DataFrame, target: str = "contagion_default", ax=None):
    """ROC curves of the stand-alone and the network-adjusted PD for one target."""
    from ..validation import auc, roc_curve

    ax = get_axes(ax, (6, 6))
    y = scores[target].to_numpy()
    for label, column, color in (("stand-alone", "pd", "tab:blue"), ("network", "pd_network", "tab:red")):
        curve = roc_curve(y, scores[column].to_numpy())
        value = auc(y, scores[column].to_numpy()).auc
        ax.plot(curve["false_positive_rate"], curve["true_positive_rate"], color=color, drawstyle="steps-post",
                label=f"{label} (AUC {value:.3f})")
    ax.plot([0, 1], [0, 1], color="black", lw=0.8, ls="--")
    ax.set_xlabel("false alarm rate")
    ax.set_ylabel("hit rate")
    ax.set_title(f"ROC on {target.replace('_', ' ')}")
    ax.legend(fontsize="small", loc="lower right")
    return ax
