"""Eisenberg-Noe clearing payments (fictitious default algorithm)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._core.display import HTMLReprMixin
from ._common import GraphInputError, _node_vector, _to_csr

__all__ = ["ClearingResult", "eisenberg_noe"]


@dataclass(frozen=True, eq=False, repr=False)
class ClearingResult(HTMLReprMixin):
    """Outcome of Eisenberg-Noe clearing.

    Attributes
    ----------
    payments : ndarray
        Clearing payment vector ``p*`` (total each node pays, interbank and
        external together).
    nominal : ndarray
        Total nominal obligations ``p_bar`` (interbank + external).
    defaulted : ndarray of bool
        ``p*_i < p_bar_i``.
    default_round : ndarray of int
        Iteration of the algorithm in which each node was found defaulting
        (1 = defaults even if everybody else pays in full; -1 = solvent).
    equity : ndarray
        ``e_i + sum_j Pi_ji p*_j - p*_i``: what remains to the owners (>= 0).
    rounds : int
        Iterations run.
    method : str
        ``"fda"``, or ``"iteration"`` (also used as the fallback when the
        defaulters' subsystem is singular, see Notes of :func:`eisenberg_noe`).
    nodes : list or None
    """

    payments: np.ndarray
    nominal: np.ndarray
    defaulted: np.ndarray
    default_round: np.ndarray
    equity: np.ndarray
    rounds: int
    method: str
    nodes: list | None = None

    @property
    def recovery_rate(self) -> np.ndarray:
        """``p*_i / p_bar_i`` (1 where nothing is owed)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.nominal > 0, self.payments / np.where(self.nominal > 0, self.nominal, 1), 1.0)

    def to_frame(self) -> pd.DataFrame:
        index = pd.Index(self.nodes if self.nodes is not None else range(self.payments.size), name="node")
        return pd.DataFrame(
            {
                "nominal": self.nominal,
                "payment": self.payments,
                "recovery_rate": self.recovery_rate,
                "shortfall": self.nominal - self.payments,
                "equity": self.equity,
                "defaulted": self.defaulted,
                "default_round": self.default_round,
            },
            index=index,
        )

    def summary(self) -> str:
        return (
            f"Eisenberg-Noe clearing ({self.method}): {int(self.defaulted.sum())} of {self.payments.size} "
            f"nodes default; shortfall {float((self.nominal - self.payments).sum()):,.2f}; rounds {self.rounds}"
        )


def eisenberg_noe(
    L: Any,
    external_assets: Any,
    external_liabilities: Any = None,
    *,
    method: Literal["fda", "iteration"] = "fda",
    weight: str = "weight",
    tol: float = 1e-10,
    max_iter: int = 100_000,
) -> ClearingResult:
    """Clearing payment vector of a network of nominal liabilities (Eisenberg & Noe 2001).

    Parameters
    ----------
    L : scipy.sparse matrix/array, array_like or networkx graph
        Nominal liabilities, ``L[i, j]`` = what ``i`` owes ``j`` (>= 0, no
        diagonal). For a graph an edge ``i -> j`` (attribute ``weight``) is a
        debt of ``i`` to ``j``. Note the direction is the transpose of the
        exposure matrix of :func:`debtrank`: ``W = L.T``.
    external_assets : array_like, mapping, scalar or str
        Operating cash flow / outside assets ``e_i >= 0``.
    external_liabilities : array_like, mapping, scalar, str or None
        Debts to parties outside the network, ranking *pari passu* with
        interbank debts (default none).
    method : {"fda", "iteration"}
        Fictitious default algorithm (exact, at most n linear solves) or
        the monotone fixed-point iteration from ``p_bar``.
    tol : float
        Relative tolerance for "defaults" and for the iteration's convergence.
    max_iter : int
        Bound on fixed-point iterations.

    Returns
    -------
    ClearingResult
        ``payments``, ``defaulted``, ``default_round``, ``equity``.

    Examples
    --------
    Bank 0 owes 10 to bank 1, which owes 10 to bank 2; bank 0 has 4 of assets.

    >>> import numpy as np
    >>> L = np.array([[0, 10, 0], [0, 0, 10], [0, 0, 0]], dtype=float)
    >>> res = eisenberg_noe(L, external_assets=[4, 3, 0])
    >>> res.payments.tolist()  # 0 pays 4; 1 receives 4, has 3, pays 7
    [4.0, 7.0, 0.0]
    >>> res.default_round.tolist()
    [1, 2, -1]

    Notes
    -----
    With ``p_bar_i = sum_j L_ij + l_i^ext`` and relative liabilities
    ``Pi_ij = L_ij / p_bar_i``, a clearing vector solves (Eisenberg & Noe 2001,
    Definition 1)::

        p*_i = min( p_bar_i ,  e_i + sum_j Pi_ji p*_j )

    (limited liability and absolute priority of debt over equity; all debts of
    a node are paid in proportion to their nominal size). This returns the
    greatest clearing vector, unique when every node has positive equity or
    the network is "regular" (Theorem 2).

    Fictitious default algorithm (Section 3): start from ``p = p_bar`` (no one
    defaults). At iteration ``k`` the nodes with
    ``e_i + sum_j Pi_ji p_j < p_bar_i`` join the default set ``D_k``; then
    ``p`` is re-solved assuming exactly ``D_k`` defaults (non-defaulters pay
    ``p_bar``, defaulters pay all they have)::

        p_D = (I - Pi_DD^T)^{-1} (e_D + Pi_ND^T p_bar_N)

    and the loop stops when no new node defaults (at most n iterations).
    ``default_round`` is the iteration in which a node joined: round-1
    defaulters fail on their own, later ones only because others defaulted.
    If ``I - Pi_DD^T`` is singular (a set of defaulters owing only each other,
    where the clearing vector is not unique) the solver falls back to the
    fixed-point iteration ``p <- min(p_bar, max(0, e + Pi^T p))`` from the
    current ``p``, which decreases monotonically to the greatest clearing
    vector (Lemma 4).

    References
    ----------
    .. [1] L. Eisenberg, T. H. Noe, "Systemic Risk in Financial Systems",
       Management Science 47(2), 236-249 (2001).
    """
    if method not in ("fda", "iteration"):
        raise GraphInputError(f"method must be 'fda' or 'iteration', got {method!r}")
    M, nodes = _to_csr(L, name="L", weight=weight)
    n = M.shape[0]
    graph = L if isinstance(L, nx.Graph) else None
    e = _node_vector(external_assets, name="external_assets", n=n, nodes=nodes, graph=graph, lower=0.0)
    if external_liabilities is None:
        ext = np.zeros(n)
    else:
        ext = _node_vector(external_liabilities, name="external_liabilities", n=n, nodes=nodes,
                           graph=graph, fill=0.0, lower=0.0)
    pbar = np.asarray(M.sum(axis=1)).ravel() + ext
    rows = np.repeat(np.arange(n), np.diff(M.indptr))
    Pi = sp.csr_array((M.data / pbar[rows], M.indices, M.indptr), shape=M.shape)
    PiT = sp.csr_array(Pi.T)
    slack = tol * np.maximum(1.0, pbar)

    if method == "iteration":
        p, rnd, rounds = _iterate(PiT, e, pbar, pbar.copy(), np.full(n, -1, dtype=np.int64), 0, tol, max_iter)
        used = "iteration"
    else:
        p = pbar.copy()
        in_default = np.zeros(n, dtype=bool)
        rnd = np.full(n, -1, dtype=np.int64)
        rounds = 0
        used = "fda"
        while True:
            rounds += 1
            value = e + PiT @ p - pbar
            new = (value < -slack) & ~in_default
            if not new.any():
                break
            in_default |= new
            rnd[new] = rounds
            p_d = _solve_defaulters(PiT, e, pbar, in_default)
            if p_d is None:
                p, rnd, rounds = _iterate(PiT, e, pbar, p, rnd, rounds, tol, max_iter)
                used = "iteration"
                break
            p = pbar.copy()
            p[in_default] = p_d
    defaulted = p < pbar - slack
    rnd = np.where(defaulted, rnd, -1)
    equity = np.maximum(e + PiT @ p - p, 0.0)
    return ClearingResult(payments=p, nominal=pbar, defaulted=defaulted, default_round=rnd, equity=equity,
                          rounds=rounds, method=used, nodes=nodes)


def _solve_defaulters(PiT: sp.csr_array, e: np.ndarray, pbar: np.ndarray, D: np.ndarray) -> np.ndarray | None:
    import scipy.sparse.linalg as spla  # the one user in the graph layer's import path: loaded on first solve

    d = np.flatnonzero(D)
    nd = np.flatnonzero(~D)
    A = sp.identity(d.size, format="csc") - sp.csc_array(PiT[d][:, d])
    b = e[d] + (PiT[d][:, nd] @ pbar[nd] if nd.size else 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", spla.MatrixRankWarning)
        try:
            x = spla.spsolve(A, b) if d.size > 1 else np.array([b[0] / A.toarray()[0, 0]])
        except (RuntimeError, ZeroDivisionError, FloatingPointError):
            return None
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if not np.all(np.isfinite(x)):
        return None
    # a valid solution lies in [0, p_bar]; outside it the system was near-singular
    if np.any(x < -1e-9 * np.maximum(1, pbar[d])) or np.any(x > pbar[d] * (1 + 1e-9) + 1e-9):
        return None
    return np.clip(x, 0.0, pbar[d])


def _iterate(PiT, e, pbar, p, rnd, rounds, tol, max_iter):
    slack = tol * np.maximum(1.0, pbar)
    for _ in range(max_iter):
        rounds += 1
        new_p = np.minimum(pbar, np.maximum(0.0, e + PiT @ p))
        newly = (new_p < pbar - slack) & (rnd < 0)
        rnd[newly] = rounds
        if np.max(np.abs(new_p - p), initial=0.0) <= tol * max(1.0, float(pbar.max(initial=0.0))):
            return new_p, rnd, rounds
        p = new_p
    raise GraphInputError(
        f"eisenberg_noe: the fixed-point iteration did not converge in {max_iter} iterations; "
        "raise max_iter (slow convergence happens on closed cycles of defaulters owing only each other)"
    )
