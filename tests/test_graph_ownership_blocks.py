"""Integrated ownership solved component by component equals the dense closed form.

Reference: ``X = (I - A)^{-1} A`` by ``numpy.linalg.inv`` on the dense matrix, and the
corrected ``X'_ij = X_ij / (1 + X_ii)`` (Vitali, Glattfelder & Battiston 2011, SI; see
``integrated_ownership``), for many small ownership components plus one component larger
than a system, with systems of every size from one node up.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from riskkit.graph.ownership import _integrate, integrated_ownership


def _ownership(rng, sizes, density=2.0, max_held=0.95) -> sp.csr_array:
    """Block-diagonal random ownership (components of the given sizes, shuffled node order)."""
    n = int(sum(sizes))
    rows, cols = [], []
    start = 0
    for size in sizes:
        m = int(density * size) + 1
        r, c = rng.integers(start, start + size, m), rng.integers(start, start + size, m)
        keep = r != c
        rows.append(r[keep])
        cols.append(c[keep])
        start += size
    r, c = np.concatenate(rows), np.concatenate(cols)
    A = sp.coo_array((rng.uniform(0.05, 1.0, r.size), (r, c)), shape=(n, n)).toarray()
    held = A.sum(axis=0)
    A *= np.where(held > max_held, max_held / np.maximum(held, 1e-300), 1.0)  # nobody held above 95 %
    perm = rng.permutation(n)  # components interleaved in node order, as in a real graph
    return sp.csr_array(A[np.ix_(perm, perm)])


def _dense_reference(A: sp.csr_array, corrected: bool) -> np.ndarray:
    D = A.toarray()
    X = np.linalg.inv(np.eye(D.shape[0]) - D) @ D
    if corrected:
        X = X / (1.0 + np.diag(X))[:, None]
    return X


@pytest.mark.parametrize("corrected", [True, False])
@pytest.mark.parametrize("chunk_nodes, block", [(1, 1), (3, 2), (16, 5), (512, 256), (10_000, 256)])
def test_blocked_solve_equals_the_dense_inverse(corrected, chunk_nodes, block):
    rng = np.random.default_rng(7)
    sizes = [1, 2, 3, 5, 8, 2, 40, 1, 13, 4, 4, 21]  # the 40-node component is larger than most systems
    A = _ownership(rng, sizes)
    got = _integrate(A, tol=0.0, corrected=corrected, chunk_nodes=chunk_nodes, block=block).toarray()
    np.testing.assert_allclose(got, _dense_reference(A, corrected), rtol=1e-10, atol=1e-13)


def test_nothing_leaks_between_components():
    rng = np.random.default_rng(3)
    sizes = [6, 6, 6, 6]
    A = _ownership(rng, sizes, density=3.0)
    X = _integrate(A, chunk_nodes=7).toarray()
    # nodes are linked only inside their component, so X is zero across components
    from scipy.sparse.csgraph import connected_components

    _, label = connected_components(A, directed=True, connection="weak")
    across = label[:, None] != label[None, :]
    assert np.all(X[across] == 0.0)
    assert np.count_nonzero(X) > 0


def test_cross_holding_example_of_the_docstring_through_small_systems():
    # A and B hold 20 % and 30 % of each other, plus a separate pair: 0.2 / (1 - 0.06) uncorrected
    A = np.array([[0, .2, 0, 0], [.3, 0, 0, 0], [0, 0, 0, .5], [0, 0, 0, 0]])
    X, _ = integrated_ownership(A, format="sparse", corrected=False)
    np.testing.assert_allclose(X.toarray()[0, 1], 0.2 / (1 - 0.2 * 0.3))
    Xc = _integrate(sp.csr_array(A), chunk_nodes=1).toarray()
    np.testing.assert_allclose(Xc, [[0.06, 0.2, 0, 0], [0.3, 0.06, 0, 0], [0, 0, 0, 0.5], [0, 0, 0, 0]], atol=1e-12)


def test_empty_matrix():
    X = _integrate(sp.csr_array((5, 5), dtype=float))
    assert X.shape == (5, 5) and X.nnz == 0
