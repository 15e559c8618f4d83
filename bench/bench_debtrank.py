"""Benchmark: one DebtRank scenario on large sparse exposure networks.

Run:  .venv/bin/python bench/bench_debtrank.py [--quick]   (or BENCH_QUICK=1)

Networks: n nodes, m = 5 n directed edges drawn uniformly (self-loops dropped),
log-normal exposures. Two scenarios:

* original DebtRank, buffers = total exposure held x U(0.5, 3), three nodes default;
* issue #14's fragile network: differential DebtRank, buffers = 0.75 x exposure held
  + 0.5, 100 nodes shocked to h = 1 (50-70 rounds, nearly every node distressed).
  Goals: under 0.15 s at 100k nodes, under 1.5 s at 1M nodes / 5M edges; timed with
  one thread and with two (``n_jobs=2``).

Each riskkit time includes everything a call does (validation, impact matrix,
propagation); the fragile scenario reports min and median of 3 runs, the other the
median of 5. The anchors are plain networkx loops of the same update rules that visit
only the edges of the nodes whose distress changed (and, for the original variant,
one that scans every edge each round as the rule is usually written), timed at the
smallest size only; riskkit must agree with them to 1e-12.
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
from _results import QUICK, emit

from riskkit.graph import debtrank

FRAGILE_GOALS = {100_000: 0.15, 1_000_000: 1.5}


def random_network(n: int, m: int, seed: int = 0) -> tuple[sp.csr_array, np.ndarray]:
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, m)
    j = rng.integers(0, n, m)
    keep = i != j
    W = sp.csr_array((rng.lognormal(0.0, 1.0, int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
    W.sum_duplicates()
    capital = np.asarray(W.sum(axis=1)).ravel() * rng.uniform(0.5, 3.0, n) + 1e-3
    return W, capital


def fragile_buffers(W: sp.csr_array) -> np.ndarray:
    """Issue #14: buffers = 0.75 x total exposure held + 0.5 (distress grows ~1.3x a round)."""
    return np.asarray(W.sum(axis=1)).ravel() * 0.75 + 0.5


def networkx_debtrank_differential(G: nx.DiGraph, capital: dict, shocked: list, tol: float = 1e-12) -> dict:
    """Differential DebtRank as a plain loop: each round only the nodes whose distress rose pass it on."""
    h = dict.fromkeys(G, 0.0)
    for v in shocked:
        h[v] = 1.0
    delta = {v: 1.0 for v in shocked}
    while delta:
        inc: dict = {}
        for j in sorted(delta):  # ascending source: the summation order of riskkit's product
            for i, _, w in G.in_edges(j, data="weight"):
                inc[i] = inc.get(i, 0.0) + w / capital[i] * delta[j]
        new_delta = {}
        for i, x in inc.items():
            new = min(1.0, h[i] + x)
            if new - h[i] > tol:
                new_delta[i] = new - h[i]
            h[i] = new
        delta = new_delta
    return h


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


def to_networkx(W: sp.csr_array) -> nx.DiGraph:
    G = nx.DiGraph()
    G.add_nodes_from(range(W.shape[0]))
    C = W.tocoo()
    G.add_weighted_edges_from(zip(C.row.tolist(), C.col.tolist(), C.data.tolist(), strict=True))
    return G


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k nodes, fewer repeats")
    args = parser.parse_args()
    quick = args.quick or QUICK
    sizes = [10_000, 100_000] if quick else [100_000, 1_000_000]
    rows = []
    for n in sizes:
        W, capital = random_network(n, 5 * n)
        G = to_networkx(W) if n == sizes[0] else None
        # original DebtRank, three defaults
        case = f"debtrank original, 3 defaults, {n:,} nodes"
        shocked = [0, 1, 2]
        t, res = timed(lambda: debtrank(W, capital, shocked), repeat=2 if quick else 5)
        rows.append((n, W.nnz, "riskkit debtrank (original)", t, t, res.rounds, res.n_distressed))
        emit(case, t, rounds=res.rounds, distressed=res.n_distressed, edges=W.nnz)
        if G is not None:
            cap = dict(enumerate(capital.tolist()))
            t_nx, h_nx = timed(lambda: networkx_debtrank(G, cap, shocked), repeat=1)
            if max(abs(h_nx[v] - res.h[v]) for v in range(n)) > 1e-12:
                print("MISMATCH with the networkx frontier loop (original)", file=sys.stderr)
                return 1
            rows.append((n, W.nnz, "networkx frontier edge loop (original)", t_nx, t_nx, None, res.n_distressed))
            emit(case, t_nx, anchor_for=case, anchor="networkx frontier edge loop")
            if not quick:
                t_all, h_all = timed(lambda: networkx_debtrank_all_edges(G, cap, shocked), repeat=1)
                if max(abs(h_all[v] - res.h[v]) for v in range(n)) > 1e-12:
                    print("MISMATCH with the all-edges networkx loop (original)", file=sys.stderr)
                    return 1
                rows.append((n, W.nnz, "networkx all-edges loop (original)", t_all, t_all, None, res.n_distressed))
                emit(case, t_all, anchor_for=case, anchor="networkx all-edges loop")
        # issue #14: differential DebtRank on a fragile network, 100 shocked nodes
        case = f"debtrank differential, fragile, 100 shocked, {n:,} nodes"
        E = fragile_buffers(W)
        hit = np.random.default_rng(1).choice(n, 100, replace=False)
        for n_jobs in (1, 2):
            times = []
            for _ in range(2 if quick else 3):
                t0 = time.perf_counter()
                res = debtrank(W, E, hit, variant="differential", n_jobs=n_jobs)
                times.append(time.perf_counter() - t0)
            t_min, t_med = min(times), statistics.median(times)
            rows.append((n, W.nnz, f"riskkit debtrank (differential, fragile, n_jobs={n_jobs})", t_min, t_med,
                         res.rounds, res.n_distressed))
            emit(case if n_jobs == 1 else f"{case}, 2 threads", t_min, median_seconds=t_med, runs=len(times),
                 goal_seconds=FRAGILE_GOALS.get(n), rounds=res.rounds, distressed=res.n_distressed, edges=W.nnz)
        if G is not None:
            cap = dict(enumerate(E.tolist()))
            t_nx, h_nx = timed(lambda: networkx_debtrank_differential(G, cap, hit.tolist()), repeat=1)
            diff = max(abs(h_nx[v] - res.h[v]) for v in range(n))
            if diff > 1e-12:
                print(f"MISMATCH with the networkx differential loop: max |dh| = {diff:g}", file=sys.stderr)
                return 1
            rows.append((n, W.nnz, "networkx frontier loop (differential)", t_nx, t_nx, None, res.n_distressed))
            emit(case, t_nx, anchor_for=case, anchor="networkx frontier edge loop")
    print(f"DebtRank, one scenario; Python {platform.python_version()}, {platform.machine()}; "
          "seconds: min / median (networkx: 1 run)")
    print(f"{'nodes':>10} {'edges':>10}  {'implementation':<52} {'min s':>8} {'median s':>9} {'rounds':>7} "
          f"{'distressed':>11}")
    for n, m, name, t_min, t_med, rounds, hit_count in rows:
        print(f"{n:>10,} {m:>10,}  {name:<52} {t_min:>8.3f} {t_med:>9.3f} {'' if rounds is None else rounds:>7} "
              f"{hit_count:>11,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
