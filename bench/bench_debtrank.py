"""Benchmark: one DebtRank scenario on large sparse exposure networks.

Run:  .venv/bin/python bench/bench_debtrank.py [--quick]

Networks: n nodes, m = 5 n directed edges drawn uniformly (self-loops dropped),
log-normal exposures, buffers = total exposure held x U(0.5, 3). The shock:
three nodes default (h = 1). Each riskkit time is the median of the repeats
and includes everything a call does (validation, impact matrix, propagation).
The references are plain networkx edge loops of the same original-DebtRank
update -- one that visits only the edges of newly distressed nodes, one that
scans every edge each round as the update rule is usually written -- timed at
100k nodes only, and all must agree to 1e-9.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time

import networkx as nx
import numpy as np
import scipy.sparse as sp

from riskkit.graph import debtrank


def random_network(n: int, m: int, seed: int = 0) -> tuple[sp.csr_array, np.ndarray]:
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, m)
    j = rng.integers(0, n, m)
    keep = i != j
    W = sp.csr_array((rng.lognormal(0.0, 1.0, int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
    W.sum_duplicates()
    capital = np.asarray(W.sum(axis=1)).ravel() * rng.uniform(0.5, 3.0, n) + 1e-3
    return W, capital


def networkx_debtrank(G: nx.DiGraph, capital: dict, shocked: list) -> dict:
    """Original DebtRank as a plain edge loop over a networkx graph (the baseline)."""
    h = dict.fromkeys(G, 0.0)
    for v in shocked:
        h[v] = 1.0
    distressed = set(shocked)
    inactive = set()
    while distressed:
        new_h = dict(h)
        for j in distressed:  # j passes its distress to everyone exposed to it
            for i, _, data in G.in_edges(j, data=True):
                new_h[i] = min(1.0, new_h[i] + min(1.0, data["weight"] / capital[i]) * h[j])
        inactive |= distressed
        distressed = {v for v in G if new_h[v] > 0 and h[v] == 0 and v not in inactive}
        h = new_h
    return h


def networkx_debtrank_all_edges(G: nx.DiGraph, capital: dict, shocked: list) -> dict:
    """The same update written the textbook way: every round loops over every edge."""
    h = dict.fromkeys(G, 0.0)
    state = dict.fromkeys(G, "U")
    for v in shocked:
        h[v], state[v] = 1.0, "D"
    while any(s == "D" for s in state.values()):
        new_h = dict(h)
        for i, j, w in G.edges(data="weight"):
            if state[j] == "D":
                new_h[i] = min(1.0, new_h[i] + min(1.0, w / capital[i]) * h[j])
        for v in G:
            if state[v] == "D":
                state[v] = "I"
            elif state[v] == "U" and new_h[v] > 0:
                state[v] = "D"
        h = new_h
    return h


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k nodes only, no networkx baseline")
    args = parser.parse_args()
    sizes = [(100_000, 500_000)] if args.quick else [(100_000, 500_000), (1_000_000, 5_000_000)]
    shocked = [0, 1, 2]
    rows = []
    for n, m in sizes:
        W, capital = random_network(n, m)
        for variant in ("original", "differential"):
            t, res = timed(lambda v=variant: debtrank(W, capital, shocked, variant=v), repeat=5)
            rows.append((f"{n:,}", f"{W.nnz:,}", f"riskkit debtrank ({variant})", t, res.rounds, res.n_distressed))
        if n == 100_000 and not args.quick:
            G = nx.DiGraph()
            G.add_nodes_from(range(n))
            C = W.tocoo()
            G.add_weighted_edges_from(zip(C.row.tolist(), C.col.tolist(), C.data.tolist(), strict=True))
            cap = dict(enumerate(capital.tolist()))
            t_nx, h_nx = timed(lambda: networkx_debtrank(G, cap, shocked), repeat=1)
            ours = debtrank(W, capital, shocked).h
            diff = max(abs(h_nx[v] - ours[v]) for v in range(n))
            if diff > 1e-9:
                print(f"MISMATCH with the networkx baseline: max |dh| = {diff:g}", file=sys.stderr)
                return 1
            rows.append((f"{n:,}", f"{W.nnz:,}", "networkx frontier edge loop", t_nx, None,
                         int(sum(1 for x in h_nx.values() if x > 0))))
            t_all, h_all = timed(lambda: networkx_debtrank_all_edges(G, cap, shocked), repeat=1)
            diff = max(abs(h_all[v] - ours[v]) for v in range(n))
            if diff > 1e-9:
                print(f"MISMATCH with the all-edges networkx baseline: max |dh| = {diff:g}", file=sys.stderr)
                return 1
            rows.append((f"{n:,}", f"{W.nnz:,}", "networkx all-edges loop", t_all, None,
                         int(sum(1 for x in h_all.values() if x > 0))))
    print(f"DebtRank, one scenario (3 defaults); Python {platform.python_version()}, "
          f"{platform.machine()}, median of 5 (networkx: 1 run)")
    print(f"{'nodes':>10} {'edges':>10}  {'implementation':<34} {'seconds':>9} {'rounds':>7} {'distressed':>11}")
    for n, m, name, t, rounds, hit in rows:
        print(f"{n:>10} {m:>10}  {name:<34} {t:>9.3f} {'' if rounds is None else rounds:>7} {hit:>11,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
