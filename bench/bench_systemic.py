"""Benchmark: all-node systemic importance on a 100k-node exposure network.

Run:  .venv/bin/python bench/bench_systemic.py [--quick]

``systemic_importance`` computes exposures, PageRank, the linearised DebtRank
impact of every node's own default (K = 8 sparse products) and exact DebtRank
for the top 20. It is timed on a matrix and on a networkx graph input (the
graph path includes reading the graph into a sparse matrix). The baseline does
the same with networkx: ``nx.pagerank``, a Python edge loop for the linear
impact, and the networkx edge-loop DebtRank of ``bench_debtrank.py`` for the
top nodes (one run is timed and multiplied by 20, since 20 runs take minutes).
A second table checks, on 2,000 nodes, how well the linear impact ranks nodes
against exact DebtRank run for every node.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time

import networkx as nx
import numpy as np
from _results import QUICK, emit
from bench_debtrank import networkx_debtrank, random_network
from scipy.stats import spearmanr

from riskkit.graph import debtrank, debtrank_linear_impact, systemic_importance


def networkx_linear_impact(G: nx.DiGraph, capital: dict, value: dict, rounds: int) -> dict:
    """u_t = Lambda^T u_{t-1} as an edge loop; impact = min(1 - v_k, sum_t u_t)."""
    u = dict(value)
    total = dict.fromkeys(G, 0.0)
    for _ in range(rounds):
        nxt = dict.fromkeys(G, 0.0)
        for i, j, w in G.edges(data="weight"):
            nxt[j] += min(1.0, w / capital[i]) * u[i]
        u = nxt
        for k in G:
            total[k] += u[k]
    return {k: min(1.0 - value[k], total[k]) for k in G}


def ranking_quality(n: int = 2000, seed: int = 1) -> list[tuple]:
    W, capital = random_network(n, 3 * n, seed)
    exact = np.array([debtrank(W, capital, [k]).R for k in range(n)])
    top = set(np.argsort(-exact)[:20].tolist())
    rows = []
    for K in (1, 2, 4, 8):
        lin = debtrank_linear_impact(W, capital, rounds=K)
        order = np.argsort(-lin)
        rows.append((K, spearmanr(lin, exact).statistic, len(top & set(order[:20].tolist())),
                     len(top & set(order[:100].tolist()))))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k nodes, no networkx baseline")
    args = parser.parse_args()
    quick = args.quick or QUICK
    n = 10_000 if quick else 100_000
    W, capital = random_network(n, 5 * n)
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    C = W.tocoo()
    G.add_weighted_edges_from(zip(C.row.tolist(), C.col.tolist(), C.data.tolist(), strict=True))
    cap = dict(enumerate(capital.tolist()))
    nx.set_node_attributes(G, cap, "registered_capital")

    rows = []
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        si = systemic_importance(W, capital=capital)
        times.append(time.perf_counter() - t0)
    rows.append(("riskkit systemic_importance (matrix)", statistics.median(times)))
    case = f"systemic importance, all nodes, {n:,} nodes"
    emit(case, statistics.median(times), goal_seconds=10.0 if n == 100_000 else None)
    t0 = time.perf_counter()
    si_g = systemic_importance(G)
    rows.append(("riskkit systemic_importance (nx graph)", time.perf_counter() - t0))
    assert np.allclose(si_g.sort_index()["debtrank_linear"], si.sort_index()["debtrank_linear"])

    if not quick:
        value = (np.asarray(W.sum(axis=1)).ravel() / W.sum()).tolist()
        t0 = time.perf_counter()
        pr = nx.pagerank(G, weight="weight", tol=1e-10, max_iter=1000)  # same stopping rule as ours
        t_pr = time.perf_counter() - t0
        t0 = time.perf_counter()
        lin = networkx_linear_impact(G, cap, dict(enumerate(value)), rounds=8)
        t_lin = time.perf_counter() - t0
        top = int(si.index[0])
        t0 = time.perf_counter()
        networkx_debtrank(G, cap, [top])
        t_one = time.perf_counter() - t0
        ours = si.sort_index()
        if not np.allclose([lin[k] for k in range(n)], ours["debtrank_linear"], rtol=1e-9, atol=1e-15):
            print("MISMATCH: linear impact differs from the networkx loop", file=sys.stderr)
            return 1
        if not np.allclose([pr[k] for k in range(n)], ours["pagerank"], rtol=1e-4, atol=1e-12):
            print("MISMATCH: PageRank differs from networkx", file=sys.stderr)
            return 1
        rows.append(("networkx: pagerank", t_pr))
        rows.append(("networkx: linear impact edge loop (K=8)", t_lin))
        rows.append(("networkx: exact DebtRank x 20 (1 run x 20)", 20 * t_one))
        rows.append(("networkx total", t_pr + t_lin + 20 * t_one))
        emit(case, t_pr + t_lin + 20 * t_one, anchor_for=case,
             anchor="networkx: pagerank + linear-impact edge loop + 20 exact DebtRank loops")

    print(f"All-node systemic importance, {n:,} nodes, {W.nnz:,} edges; Python {platform.python_version()}, "
          f"{platform.machine()}")
    print(f"{'implementation':<46} {'seconds':>9}")
    for name, t in rows:
        print(f"{name:<46} {t:>9.3f}")
    print()
    print("Linear impact vs exact DebtRank for every node (2,000 nodes, 6,000 edges)")
    print(f"{'K':>3} {'spearman':>9} {'top20 in top20':>15} {'top20 in top100':>16}")
    for K, rho, a, b in ranking_quality():
        print(f"{K:>3} {rho:>9.4f} {a:>15} {b:>16}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
