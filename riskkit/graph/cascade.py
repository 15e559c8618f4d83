"""Default cascades with a loss threshold (Furfine 2003; Gai & Kapadia 2010)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._core.display import HTMLReprMixin
from ._common import (
    GraphInputError,
    _node_vector,
    _propagate,
    _shock_vector,
    _to_csr,
    _transpose,
)

__all__ = ["CascadeResult", "threshold_cascade", "trace_paths"]


def trace_paths(parent: np.ndarray, targets: np.ndarray) -> list[list[int]]:
    """Chains ``[root, ..., target]`` following ``parent`` pointers (-1 = root).

    Parents always lie in an earlier round, so the walk ends; a guard against a
    malformed parent array stops after ``len(parent)`` steps.
    """
    paths = []
    limit = parent.size
    for t in targets.tolist():
        chain = [t]
        p = parent[t]
        while p >= 0 and len(chain) <= limit:
            chain.append(int(p))
            p = parent[p]
        paths.append(chain[::-1])
    return paths


@dataclass(frozen=True, eq=False, repr=False)
class CascadeResult(HTMLReprMixin):
    """Outcome of a threshold default cascade.

    Attributes
    ----------
    defaulted : ndarray of bool
        Whether each node has defaulted at the end.
    round : ndarray of int
        Round in which each node defaulted: 0 for the initial defaults, -1 if
        it survived.
    trigger : ndarray of int
        Position of the counterparty that tipped it: among the counterparties
        that defaulted in the round before, the one whose default cost it most
        (-1 for initial defaults and survivors).
    loss : ndarray
        Loss each node suffered from defaulted counterparties.
    capital : ndarray
        The buffers used.
    rounds : int
        Number of contagion rounds that produced at least one default.
    nodes : list or None
        Node labels (graph input) or None (positions).
    """

    defaulted: np.ndarray
    round: np.ndarray
    trigger: np.ndarray
    loss: np.ndarray
    capital: np.ndarray
    rounds: int
    nodes: list | None = None

    @property
    def n_defaulted(self) -> int:
        return int(self.defaulted.sum())

    @property
    def n_initial(self) -> int:
        return int(np.count_nonzero(self.round == 0))

    def _label(self, i: int) -> Any:
        return i if self.nodes is None else self.nodes[i]

    def path(self, node: Any) -> list:
        """Chain of nodes from an initial default to ``node`` (empty if it survived)."""
        idx = node if self.nodes is None else {v: k for k, v in enumerate(self.nodes)}.get(node)
        if idx is None or not (0 <= int(idx) < self.defaulted.size):
            raise GraphInputError(f"unknown node {node!r}")
        if not self.defaulted[idx]:
            return []
        return [self._label(i) for i in trace_paths(self.trigger, np.array([idx]))[0]]

    def to_frame(self, defaulted_only: bool = True) -> pd.DataFrame:
        """Defaulted nodes (or all) with round, trigger, loss, capital and path."""
        idx = np.flatnonzero(self.defaulted) if defaulted_only else np.arange(self.defaulted.size)
        labels = [self._label(i) for i in idx.tolist()]
        paths = trace_paths(self.trigger, idx)
        frame = pd.DataFrame(
            {
                "defaulted": self.defaulted[idx],
                "round": self.round[idx],
                "trigger": [self._label(t) if t >= 0 else None for t in self.trigger[idx].tolist()],
                "loss": self.loss[idx],
                "capital": self.capital[idx],
                "path": [tuple(self._label(i) for i in p) if self.defaulted[p[-1]] else () for p in paths],
            },
            index=pd.Index(labels, name="node"),
        )
        return frame.sort_values(["round"], kind="stable") if defaulted_only else frame

    def summary(self) -> str:
        return (
            f"Threshold cascade: {self.n_initial} initial defaults -> {self.n_defaulted} defaults "
            f"after {self.rounds} contagion rounds"
        )


def threshold_cascade(
    W: Any,
    capital: Any,
    defaulted: Any,
    lgd: Any = 1.0,
    *,
    weight: str = "weight",
) -> CascadeResult:
    """Default cascade: a node defaults once its losses from defaulted counterparties exceed its buffer.

    Parameters
    ----------
    W : scipy.sparse matrix/array, array_like or networkx graph
        ``W[i, j]`` = exposure of ``i`` to ``j`` (>= 0, no diagonal); for a graph,
        an edge ``i -> j`` with attribute ``weight``.
    capital : array_like, mapping, scalar or str
        Buffer ``E_i >= 0`` (a node-attribute name for a graph).
    defaulted : collection of nodes, boolean mask, or mapping/float array of 0/1
        The initial defaults: a node or collection of distinct nodes (labels
        for a graph, integer positions for a matrix), a boolean mask of length
        n, or a mapping/Series or float ndarray of length n with values 0 or 1.
        An integer array is read as positions, so an integer 0/1 indicator is
        refused (duplicate positions): pass it as ``bool``.
    lgd : float, array_like, mapping or str
        Loss given default of each *defaulting* counterparty ``j``, in [0, 1]:
        ``i`` loses ``lgd_j * W_ij`` when ``j`` defaults.
    weight : str
        Edge attribute with the exposure (graph input).

    Returns
    -------
    CascadeResult
        ``defaulted``, ``round`` of default, ``trigger``, ``loss``,
        ``path(node)`` and ``to_frame()``.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[0, 6, 0], [0, 0, 9], [0, 0, 0]], dtype=float)
    >>> res = threshold_cascade(W, capital=[5, 8, 1], defaulted=[2])
    >>> res.round.tolist()  # 1 loses 9 > 8 in round 1, then 0 loses 6 > 5
    [2, 1, 0]
    >>> res.path(0)
    [2, 1, 0]

    Notes
    -----
    Sequential-default algorithm of Furfine (2003): with ``D_0`` the initial
    defaults, at round ``t``::

        loss_i(t) = sum_{j in D_0 ∪ ... ∪ D_{t-1}} lgd_j W_ij
        D_t = { i not yet defaulted : loss_i(t) > E_i }

    until ``D_t`` is empty. With ``E_i`` = capital and ``lgd = 1 - recovery``
    this is Gai & Kapadia (2010)'s condition ``(1 - phi) A_i^IB * (share of
    defaulted debtors) > K_i`` in money terms. The inequality is strict: a
    loss exactly equal to the buffer leaves the node solvent (equity zero).
    The result does not depend on processing order; only the frontier's edges
    are read in each round.

    References
    ----------
    .. [1] C. Furfine, "Interbank Exposures: Quantifying the Risk of Contagion",
       Journal of Money, Credit and Banking 35(1), 111-128 (2003).
    .. [2] P. Gai, S. Kapadia, "Contagion in financial networks", Proceedings of
       the Royal Society A 466, 2401-2423 (2010).
    """
    M, nodes = _to_csr(W, weight=weight)
    n = M.shape[0]
    graph = W if isinstance(W, nx.Graph) else None
    E = _node_vector(capital, name="capital", n=n, nodes=nodes, graph=graph, lower=0.0)
    init = _shock_vector(defaulted, name="defaulted", n=n, nodes=nodes)
    if np.any((init > 0) & (init < 1)):
        raise GraphInputError("defaulted: give 0/1 (a default is all-or-nothing); use debtrank for partial distress")
    L = _node_vector(lgd, name="lgd", n=n, nodes=nodes, graph=graph, fill=1.0, lower=0.0, upper=1.0)
    return _run_cascade(_transpose(M), E, init > 0, L, nodes)


def _run_cascade(
    out: sp.csr_array,
    E: np.ndarray,
    init: np.ndarray,
    lgd: np.ndarray,
    nodes: list | None,
) -> CascadeResult:
    n = E.size
    defaulted = init.copy()
    rnd = np.where(init, 0, -1).astype(np.int64)
    trigger = np.full(n, -1, dtype=np.int64)
    loss = np.zeros(n)
    frontier = np.flatnonzero(init)
    rounds = 0
    while frontier.size:
        touched, inc, top = _propagate(out, frontier, lgd[frontier], n, want_top_source=True)
        if touched.size == 0:
            break
        loss[touched] += inc
        tipped = (loss[touched] > E[touched]) & ~defaulted[touched]
        frontier = touched[tipped]
        if frontier.size == 0:
            break
        rounds += 1
        defaulted[frontier] = True
        rnd[frontier] = rounds
        trigger[frontier] = top[tipped]
    return CascadeResult(defaulted=defaulted, round=rnd, trigger=trigger, loss=loss, capital=E,
                         rounds=rounds, nodes=nodes)
