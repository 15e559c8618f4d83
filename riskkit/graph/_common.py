"""Shared helpers of the graph subpackage: input coercion, validation and the
frontier-propagation kernel used by the contagion models.

Everything here is private; the public functions document the conventions.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._core.checks import format_ids as _fmt_ids
from .._core.dates import check_as_of  # ids in messages: the first 10, then a count
from .._core.errors import InputError

__all__: list[str] = []


class GraphInputError(InputError):
    """Bad input to a graph algorithm (unknown ids, negative exposures, self-loops, ...)."""


def _as_of(as_of: Any) -> pd.Timestamp:
    """The kit's one date parser (:func:`riskkit._core.dates.check_as_of`), its errors as GraphInputError."""
    try:
        return check_as_of(as_of)
    except (TypeError, ValueError) as exc:
        raise GraphInputError(str(exc)) from None


def _pd_series(pd_values: Any, name: str = "pd_values") -> pd.Series:
    """A PD per party id as a float Series: a Series or mapping, values in [0, 1], no NaN, unique ids."""
    if pd_values is None:
        raise GraphInputError(f"{name}: none given; pass a stand-alone PD per party id")
    given = pd.Series(pd_values, dtype="float64") if isinstance(pd_values, Mapping) else pd_values
    if not isinstance(given, pd.Series):
        raise GraphInputError(f"{name} must be a Series or mapping indexed by party id")
    given = given.astype("float64")
    if given.isna().any():
        raise GraphInputError(f"{name}: missing values for {_fmt_ids(given.index[given.isna()].tolist())}")
    bad = (given < 0) | (given > 1)
    if bad.any():
        raise GraphInputError(f"{name}: values outside [0, 1] for {_fmt_ids(given.index[bad].tolist())}")
    if given.index.has_duplicates:
        raise GraphInputError(f"{name}: duplicate ids {_fmt_ids(given.index[given.index.duplicated()].tolist())}")
    return given


def _to_csr(
    W: Any,
    *,
    name: str = "W",
    weight: str = "weight",
    nodelist: Sequence[Hashable] | None = None,
    allow_diagonal: bool = False,
) -> tuple[sp.csr_array, list[Hashable] | None]:
    """A square float64 CSR array from a scipy.sparse matrix, a dense array or a graph.

    A networkx graph is read in ``nodelist`` order (default ``list(W)``), edge
    attribute ``weight`` (missing -> 1), parallel edges of a multigraph summed.
    Returns the matrix and the node order (``None`` for matrix input).
    Raises on non-square shape, NaN/inf, negative entries and (unless
    ``allow_diagonal``) self-exposures.
    """
    nodes: list[Hashable] | None = None
    if isinstance(W, nx.Graph):
        if W.number_of_nodes() == 0:
            raise GraphInputError(f"{name}: the graph is empty (no nodes)")
        nodes = list(W) if nodelist is None else list(nodelist)
        M = nx.to_scipy_sparse_array(W, nodelist=nodes, weight=weight, dtype=np.float64, format="csr")
        if not W.is_directed():
            M = M.tocsr()
    elif sp.issparse(W):
        M = sp.csr_array(W, dtype=np.float64)
    else:
        arr = np.asarray(W, dtype=np.float64)
        if arr.ndim != 2:
            raise GraphInputError(f"{name}: expected a square 2-D matrix, got shape {arr.shape}")
        M = sp.csr_array(arr)
    if M.shape[0] != M.shape[1]:
        raise GraphInputError(f"{name}: expected a square matrix, got shape {M.shape}")
    if M.shape[0] == 0:
        raise GraphInputError(f"{name}: the matrix is empty (0 nodes)")
    if sp.issparse(W) and np.shares_memory(M.data, W.data) and (not M.has_canonical_format or not M.data.all()):
        # sum_duplicates / eliminate_zeros work in place: never rewrite the caller's arrays
        M = M.copy()
    M.sum_duplicates()
    if not M.data.all():
        M.eliminate_zeros()
    data = M.data
    if not np.all(np.isfinite(data)):
        bad = _label_rows(M, ~np.isfinite(data), nodes)
        raise GraphInputError(f"{name}: non-finite entries (NaN/inf) in rows {_fmt_ids(bad)}")
    if np.any(data < 0):
        bad = _label_rows(M, data < 0, nodes)
        raise GraphInputError(f"{name}: negative exposures/liabilities in rows {_fmt_ids(bad)}")
    if not allow_diagonal:
        diag = M.diagonal()
        if np.any(diag != 0):
            idx = np.flatnonzero(diag)
            labels = idx.tolist() if nodes is None else [nodes[i] for i in idx]
            raise GraphInputError(
                f"{name}: self-loops (a party exposed to / owing itself) at {_fmt_ids(labels)}; "
                "remove them: they carry no contagion meaning"
            )
    return M, nodes


def _label_rows(M: sp.csr_array, mask: np.ndarray, nodes: list | None) -> list:
    rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))[mask]
    rows = np.unique(rows)
    return rows.tolist() if nodes is None else [nodes[i] for i in rows]


def _index_of(nodes: Sequence[Hashable] | None, n: int) -> dict[Hashable, int]:
    if nodes is None:
        return {i: i for i in range(n)}
    return {v: i for i, v in enumerate(nodes)}


def _node_vector(
    x: Any,
    *,
    name: str,
    n: int,
    nodes: Sequence[Hashable] | None,
    graph: nx.Graph | None = None,
    fill: float | None = None,
    lower: float | None = None,
    upper: float | None = None,
) -> np.ndarray:
    """A float vector over the nodes from a scalar, an array, a mapping or an attribute name.

    ``fill`` is used for nodes a mapping (or node attribute) does not mention;
    ``fill=None`` makes a missing node an error. Keys that are not nodes are
    always an error naming them.
    """
    if isinstance(x, str):
        if graph is None:
            raise GraphInputError(f"{name}: a node-attribute name ({x!r}) needs a graph input")
        x = {v: d[x] for v, d in graph.nodes(data=True) if x in d and d[x] is not None}
    if isinstance(x, pd.Series) or isinstance(x, Mapping):
        mapping = x if isinstance(x, Mapping) else x.to_dict()
        index = _index_of(nodes, n)
        unknown = [k for k in mapping if k not in index]
        if unknown:
            raise GraphInputError(f"{name}: unknown node ids {_fmt_ids(unknown)}")
        out = np.full(n, np.nan if fill is None else float(fill))
        if mapping:
            pos = np.fromiter((index[k] for k in mapping), dtype=np.int64, count=len(mapping))
            out[pos] = np.asarray(list(mapping.values()), dtype=np.float64)
        if fill is None and np.isnan(out).any():
            missing = np.flatnonzero(np.isnan(out))
            labels = missing.tolist() if nodes is None else [nodes[i] for i in missing]
            raise GraphInputError(f"{name}: no value for nodes {_fmt_ids(labels)}")
    elif np.isscalar(x):
        out = np.full(n, float(x))
    else:
        out = np.asarray(x, dtype=np.float64).ravel()
        if out.shape != (n,):
            raise GraphInputError(f"{name}: expected {n} values (one per node), got {out.shape[0]}")
    nan_idx = np.flatnonzero(np.isnan(out))
    if nan_idx.size:
        labels = nan_idx.tolist() if nodes is None else [nodes[i] for i in nan_idx]
        raise GraphInputError(f"{name}: missing (NaN) values at nodes {_fmt_ids(labels)}")
    if lower is not None and np.any(out < lower):
        bad = np.flatnonzero(out < lower)
        labels = bad.tolist() if nodes is None else [nodes[i] for i in bad]
        raise GraphInputError(f"{name}: values below {lower:g} at nodes {_fmt_ids(labels)}")
    if upper is not None and np.any(out > upper):
        bad = np.flatnonzero(out > upper)
        labels = bad.tolist() if nodes is None else [nodes[i] for i in bad]
        raise GraphInputError(f"{name}: values above {upper:g} at nodes {_fmt_ids(labels)}")
    return out


def _shock_vector(
    shocked: Any, *, name: str, n: int, nodes: Sequence[Hashable] | None
) -> np.ndarray:
    """Initial distress in [0, 1] per node, from one of exactly these forms:

    * a mapping or Series node -> distress in [0, 1] (nodes not mentioned: 0);
    * a boolean array or list of bools of length ``n``: a mask, True -> 1;
    * a float ndarray of length ``n``: the distress vector itself;
    * a single node, or any other collection of nodes -- labels for a graph,
      positions (integers in ``[0, n)``) for a matrix -- each set to 1.
      Duplicates are an error: an integer 0/1 *indicator* array of length
      ``n`` would otherwise be silently read as positions 0 and 1.
    """
    if isinstance(shocked, (Mapping, pd.Series)):
        return _node_vector(shocked, name=name, n=n, nodes=nodes, fill=0.0, lower=0.0, upper=1.0)
    if np.isscalar(shocked) or isinstance(shocked, str):
        shocked = [shocked]
    if isinstance(shocked, np.ndarray):
        if shocked.dtype.kind == "f":
            return _node_vector(shocked, name=name, n=n, nodes=nodes, lower=0.0, upper=1.0)
        members = shocked.ravel().tolist()
        is_mask = shocked.dtype.kind == "b"
    else:
        members = list(shocked)
        is_mask = len(members) > 0 and all(isinstance(m, (bool, np.bool_)) for m in members)
    if is_mask:
        if len(members) != n:
            raise GraphInputError(f"{name}: a boolean mask needs {n} values (one per node), got {len(members)}")
        return np.asarray(members, dtype=bool).astype(np.float64)
    if nodes is None:
        bad = [m for m in members
               if isinstance(m, (bool, np.bool_)) or not (isinstance(m, (int, np.integer)) and 0 <= m < n)]
        if bad:
            raise GraphInputError(f"{name}: unknown node positions {_fmt_ids(bad)} (matrix has {n} nodes)")
        pos = np.asarray(members, dtype=np.int64)
    else:
        index = _index_of(nodes, n)
        bad = [m for m in members if m not in index]
        if bad:
            raise GraphInputError(f"{name}: unknown node ids {_fmt_ids(bad)}")
        pos = np.fromiter((index[m] for m in members), dtype=np.int64, count=len(members))
    uniq, counts = np.unique(pos, return_counts=True)
    if np.any(counts > 1):
        dup = uniq[counts > 1]
        labels = dup.tolist() if nodes is None else [nodes[i] for i in dup]
        raise GraphInputError(
            f"{name}: nodes listed more than once {_fmt_ids(labels)}; a collection lists node "
            "positions/labels -- for a 0/1 indicator over all nodes pass a boolean mask (or floats)"
        )
    out = np.zeros(n)
    out[pos] = 1.0
    return out


def _gather(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All stored entries of the given CSR rows: (row_of_entry, column, value)."""
    starts = indptr[rows]
    counts = indptr[rows + 1] - starts
    total = int(counts.sum())
    if total == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    offsets = np.cumsum(counts) - counts
    pos = np.arange(total, dtype=np.int64) + np.repeat(starts - offsets, counts)
    return np.repeat(rows, counts), indices[pos], data[pos]


def _propagate(
    out: sp.csr_array,
    frontier: np.ndarray,
    amount: np.ndarray,
    n: int,
    *,
    want_top_source: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Push ``amount[k]`` from each ``frontier[k]`` along its out-edges.

    ``out`` is a CSR whose row ``j`` lists the nodes ``i`` that ``j`` impacts
    and the impact ``Lambda_ij`` (the transpose of the impact matrix). Returns
    the touched nodes, the summed increment each receives and (optionally)
    the frontier node contributing most to it (ties -> the lower position, so
    results are deterministic). Only the frontier's rows are read: a round
    costs O(edges of the frontier) -- plus O(n) when those edges are numerous
    enough that a dense accumulation beats sorting.
    """
    indptr, indices, data = out.indptr, out.indices, out.data
    if not want_top_source:
        n_edges = int((indptr[frontier + 1] - indptr[frontier]).sum())
        if n_edges == 0:
            return np.empty(0, dtype=np.int64), np.empty(0), None
        if n_edges * 4 > n:
            # large frontier: scipy's row gather and a transposed mat-vec, in C
            inc = out[frontier].T @ amount
            touched = np.flatnonzero(inc)
            return touched, inc[touched], None
    src, tgt, w = _gather(indptr, indices, data, frontier)
    if tgt.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, np.empty(0), (empty if want_top_source else None)
    contrib = w * np.repeat(amount, indptr[frontier + 1] - indptr[frontier])
    if want_top_source:
        # order by target, then contribution descending, then source ascending
        order = np.lexsort((src, -contrib, tgt))
        tgt_s, contrib_s, src_s = tgt[order], contrib[order], src[order]
        first = np.r_[True, tgt_s[1:] != tgt_s[:-1]]
        touched = tgt_s[first]
        inc = np.add.reduceat(contrib_s, np.flatnonzero(first))
        return touched, inc, src_s[first]
    touched, inverse = np.unique(tgt, return_inverse=True)
    inc = np.bincount(inverse, weights=contrib, minlength=touched.size)
    return touched, inc, None


def _transpose(M: sp.csr_array, scale_rows: np.ndarray | None = None) -> sp.csr_array:
    """CSR of ``M.T`` (row j lists the i with M[i, j] != 0), entries optionally divided by ``scale_rows[i]``."""
    C = sp.csc_array(M)
    data = C.data if scale_rows is None else C.data / scale_rows[C.indices]
    return sp.csr_array((data, C.indices, C.indptr), shape=(M.shape[1], M.shape[0]))


def _sorted_ids(ids: Iterable[Any]) -> list:
    """Ids in their natural order, or ordered as strings when they do not compare."""
    ids = list(ids)
    try:
        return sorted(ids)
    except TypeError:
        return sorted(ids, key=str)
