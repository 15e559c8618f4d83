"""DebtRank (original and differential) against hand computations and a slow reference.

The reference implementations below are written from the papers' update rules
with plain Python dicts over a networkx graph, independently of the sparse
frontier implementation in riskkit.
"""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import scipy.sparse as sp

from riskkit.graph import GraphInputError, debtrank, debtrank_linear_impact, impact_matrix


# --- independent slow references ------------------------------------------------------
def ref_original(G: nx.DiGraph, capital: dict, shock: dict) -> dict:
    """Battiston et al. (2012): states U/D/I; D nodes propagate h_j(t-1) once, then go I."""
    h = {v: float(shock.get(v, 0.0)) for v in G}
    s = {v: ("D" if h[v] > 0 else "U") for v in G}
    while any(st == "D" for st in s.values()):
        new_h = {}
        for i in G:
            total = 0.0
            for j in G.successors(i):  # edge i -> j: i is exposed to j
                if s[j] == "D":
                    total += min(1.0, G[i][j]["weight"] / capital[i]) * h[j]
            new_h[i] = min(1.0, h[i] + total)
        new_s = {}
        for i in G:
            if s[i] == "D":
                new_s[i] = "I"
            elif s[i] == "U" and new_h[i] > 0:
                new_s[i] = "D"
            else:
                new_s[i] = s[i]
        h, s = new_h, new_s
    return h


def ref_differential(G: nx.DiGraph, capital: dict, shock: dict, rounds: int = 2000) -> dict:
    """Bardoscia et al. (2015): h(t+1) = min(1, h(t) + sum_j Lambda_ij (h_j(t) - h_j(t-1)))."""
    prev = {v: 0.0 for v in G}
    h = {v: float(shock.get(v, 0.0)) for v in G}
    for _ in range(rounds):
        new_h = {}
        for i in G:
            total = sum(G[i][j]["weight"] / capital[i] * (h[j] - prev[j]) for j in G.successors(i))
            new_h[i] = min(1.0, h[i] + total)
        prev, h = h, new_h
        if max(abs(h[v] - prev[v]) for v in G) < 1e-15:
            break
    return h


def random_exposure_graph(n: int, p: float, seed: int) -> tuple[nx.DiGraph, dict]:
    rng = np.random.default_rng(seed)
    G = nx.gnp_random_graph(n, p, seed=seed, directed=True)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.lognormal(0.0, 1.0))
    capital = {}
    for v in G:
        out = sum(d["weight"] for _, _, d in G.out_edges(v, data=True))
        capital[v] = float(out * rng.uniform(0.3, 2.0) + 0.1)
    return G, capital


# --- hand-computable cases ---------------------------------------------------------
def test_chain_hand_computation():
    # 0 -> 1 -> 2: 0 lent 8 to 1, 1 lent 5 to 2; buffers 10.
    # Lambda_01 = 0.8, Lambda_12 = 0.5. Node 2 defaults (h=1):
    # round 1: h1 = 0.5 * 1 = 0.5; round 2: h0 = 0.8 * 0.5 = 0.4.
    W = np.array([[0, 8, 0], [0, 0, 5], [0, 0, 0]], dtype=float)
    res = debtrank(W, [10, 10, 10], [2], value="uniform")
    np.testing.assert_allclose(res.h, [0.4, 0.5, 1.0])
    assert res.R == pytest.approx((0.4 + 0.5) / 3)
    assert res.rounds == 3  # the last round finds node 0 has no one to pass distress to
    assert res.first_round.tolist() == [2, 1, 0]


def test_exposure_above_capital_is_capped_at_one():
    # 0 is exposed 30 to 1 with a buffer of 10: Lambda = min(1, 3) = 1 in the original variant
    W = np.array([[0, 30], [0, 0]], dtype=float)
    res = debtrank(W, [10, 10], {1: 0.5}, value="uniform")
    assert res.h[0] == pytest.approx(0.5)
    np.testing.assert_allclose(impact_matrix(W, [10, 10]).toarray(), [[0, 1], [0, 0]])
    np.testing.assert_allclose(impact_matrix(W, [10, 10], cap=False).toarray(), [[0, 3], [0, 0]])


def test_original_propagates_once_around_a_cycle():
    # mutual exposure 5, buffers 10, so Lambda = 0.5 both ways; node 0 shocked by 0.4.
    # round 1: h1 = 0.5 * 0.4 = 0.2 (0 becomes inactive)
    # round 2: h0 = 0.4 + 0.5 * 0.2 = 0.5 (1 becomes inactive) -> stop.
    W = np.array([[0, 5], [5, 0]], dtype=float)
    res = debtrank(W, [10, 10], {0: 0.4}, value="uniform")
    np.testing.assert_allclose(res.h, [0.5, 0.2])
    assert res.R == pytest.approx((0.5 + 0.2) / 2 - 0.4 / 2)


def test_differential_reverberates_to_the_stationary_point():
    # same network, differential: increments keep flowing, h0 = 0.4 + 0.5 h1, h1 = 0.5 h0
    # -> h0 = 0.4 / (1 - 0.25) = 0.5333..., h1 = 0.2666...
    W = np.array([[0, 5], [5, 0]], dtype=float)
    res = debtrank(W, [10, 10], {0: 0.4}, value="uniform", variant="differential")
    np.testing.assert_allclose(res.h, [0.4 / 0.75, 0.2 / 0.75], rtol=1e-10)
    assert res.converged


def test_default_value_is_share_of_exposure_held():
    # exposures held: node 0 holds 8, node 1 holds 2, node 2 none -> v = (0.8, 0.2, 0)
    W = np.array([[0, 8, 0], [0, 0, 2], [0, 0, 0]], dtype=float)
    res = debtrank(W, [10, 10, 10], [2])
    np.testing.assert_allclose(res.value, [0.8, 0.2, 0.0])
    # h1 = 0.2, h0 = 0.8 * 0.2 = 0.16 -> R = 0.8 * 0.16 + 0.2 * 0.2
    assert res.R == pytest.approx(0.8 * 0.16 + 0.2 * 0.2)


def test_zero_buffer_means_full_impact():
    W = np.array([[0, 1e-6], [0, 0]], dtype=float)
    res = debtrank(W, [0.0, 5.0], {1: 0.3}, value="uniform")
    assert res.h[0] == pytest.approx(0.3)


def test_isolated_and_disconnected_parts_are_untouched():
    W = sp.csr_array(([4.0, 4.0], ([0, 2], [1, 3])), shape=(5, 5))
    res = debtrank(W, np.full(5, 10.0), [1], value="uniform")
    np.testing.assert_allclose(res.h, [0.4, 1, 0, 0, 0])
    assert res.n_distressed == 2 and res.n_defaulted == 1


# --- against the slow references ---------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_original_matches_reference_on_random_graphs(seed):
    G, capital = random_exposure_graph(40, 0.08, seed)
    rng = np.random.default_rng(100 + seed)
    shocked = {int(v): float(rng.uniform(0.1, 1.0)) for v in rng.choice(40, 3, replace=False)}
    expected = ref_original(G, capital, shocked)
    res = debtrank(G, capital, shocked, value="uniform")
    np.testing.assert_allclose(res.h, [expected[v] for v in G], rtol=1e-12, atol=1e-14)
    assert res.R == pytest.approx(np.mean([expected[v] for v in G]) - np.mean([shocked.get(v, 0) for v in G]))


@pytest.mark.parametrize("seed", range(4))
def test_differential_matches_reference_on_random_graphs(seed):
    G, capital = random_exposure_graph(30, 0.1, seed)
    shocked = {0: 0.5, 1: 0.2}
    expected = ref_differential(G, capital, shocked)
    res = debtrank(G, capital, shocked, value="uniform", variant="differential", tol=1e-15)
    np.testing.assert_allclose(res.h, [expected[v] for v in G], rtol=1e-9, atol=1e-12)


def test_graph_matrix_and_attribute_inputs_agree():
    G, capital = random_exposure_graph(25, 0.15, 7)
    nx.set_node_attributes(G, capital, "equity")
    nodes = list(G)
    W = nx.to_scipy_sparse_array(G, nodelist=nodes, weight="weight")
    a = debtrank(G, "equity", {3: 1.0})
    b = debtrank(W, [capital[v] for v in nodes], [nodes.index(3)])
    c = debtrank(W.toarray(), np.array([capital[v] for v in nodes]), np.eye(len(nodes))[nodes.index(3)])
    np.testing.assert_allclose(a.h, b.h)
    np.testing.assert_allclose(a.h, c.h)
    assert a.R == pytest.approx(b.R)
    frame = a.to_frame()
    assert list(frame.index) == nodes and frame.loc[3, "h"] == 1.0


def test_multidigraph_parallel_edges_are_summed():
    M = nx.MultiDiGraph()
    M.add_edge("a", "b", weight=3.0)
    M.add_edge("a", "b", weight=2.0)
    res = debtrank(M, {"a": 10.0, "b": 1.0}, {"b": 1.0}, value="uniform")
    assert res.h[0] == pytest.approx(0.5)


def test_sources_record_who_passed_distress():
    # 0 is exposed to 1 and 2; both shocked, 2's impact is larger
    W = np.array([[0, 1, 3], [0, 0, 0], [0, 0, 0]], dtype=float)
    res = debtrank(W, [10, 1, 1], [1, 2], value="uniform", track_sources=True)
    assert res.source.tolist() == [2, -1, -1]


# --- linearised impact -----------------------------------------------------------------
def test_linear_impact_first_order_equals_first_round():
    G, capital = random_exposure_graph(30, 0.1, 3)
    nodes = list(G)
    W = nx.to_numpy_array(G, nodelist=nodes)
    E = np.array([capital[v] for v in nodes])
    lam = np.minimum(1.0, W / E[:, None])
    v = W.sum(axis=1) / W.sum()
    lin1 = debtrank_linear_impact(W, E, rounds=1)
    np.testing.assert_allclose(lin1, np.minimum(v @ lam, 1 - v))
    lin3 = debtrank_linear_impact(W, E, rounds=3)
    expected = v @ (lam + lam @ lam + lam @ lam @ lam)
    np.testing.assert_allclose(lin3, np.minimum(expected, 1 - v))


def test_linear_impact_is_exact_on_a_chain():
    # on a chain no node is reached twice, so K >= depth reproduces DebtRank exactly (no caps hit)
    W = np.array([[0, 8, 0, 0], [0, 0, 5, 0], [0, 0, 0, 4], [0, 0, 0, 0]], dtype=float)
    E = np.full(4, 10.0)
    lin = debtrank_linear_impact(W, E, value="uniform", rounds=3)
    exact = [debtrank(W, E, [k], value="uniform").R for k in range(4)]
    np.testing.assert_allclose(lin, exact)


# --- bad input -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("W", "capital", "shocked", "match"),
    [
        (np.array([[1.0, 2.0], [0.0, 0.0]]), [1, 1], [0], "self-loops"),
        (np.array([[0.0, -2.0], [0.0, 0.0]]), [1, 1], [0], "negative"),
        (np.array([[0.0, np.nan], [0.0, 0.0]]), [1, 1], [0], "non-finite"),
        (np.zeros((2, 3)), [1, 1], [0], "square"),
        (np.zeros((0, 0)), [], [], "empty"),
        (np.zeros((2, 2)), [1, -1], [0], "below 0"),
        (np.zeros((2, 2)), [1, 1, 1], [0], "expected 2 values"),
        (np.zeros((2, 2)), [1, 1], [5], "unknown node positions"),
        (np.zeros((2, 2)), [1, 1], np.array([1.5, 0.0]), "above 1"),
    ],
)
def test_bad_input_is_a_clear_error(W, capital, shocked, match):
    with pytest.raises(GraphInputError, match=match):
        debtrank(W, capital, shocked)


def test_unknown_ids_and_variant_are_errors():
    G = nx.DiGraph()
    G.add_edge("a", "b", weight=1.0)
    with pytest.raises(GraphInputError, match=r"unknown node ids \['zz'\]"):
        debtrank(G, {"a": 1, "b": 1}, {"zz": 1.0})
    with pytest.raises(GraphInputError, match=r"no value for nodes \['b'\]"):
        debtrank(G, {"a": 1}, ["a"])
    with pytest.raises(GraphInputError, match="variant"):
        debtrank(G, {"a": 1, "b": 1}, ["a"], variant="linear")
    with pytest.raises(GraphInputError, match="empty"):
        debtrank(nx.DiGraph(), {}, [])


def test_shock_forms_bool_mask_float_vector_and_positions_agree():
    W = np.array([[0, 8, 0], [0, 0, 5], [0, 0, 0]], dtype=float)
    E = [10, 10, 10]
    ref = debtrank(W, E, {2: 1.0}, value="uniform").h
    for shocked in ([2], np.array([False, False, True]), np.array([0.0, 0.0, 1.0])):
        np.testing.assert_array_equal(debtrank(W, E, shocked, value="uniform").h_initial, [0.0, 0.0, 1.0])
        np.testing.assert_allclose(debtrank(W, E, shocked, value="uniform").h, ref)
    # a 0/1 integer indicator is ambiguous with positions 0 and 1: refused, not read as [0, 1]
    with pytest.raises(GraphInputError, match="listed more than once"):
        debtrank(W, E, np.array([0, 0, 1]), value="uniform")


# --- differential variant, round by round, against a plain loop --------------------------
def loop_differential(rows: list[dict], capital: list, h0: list, tol: float, max_rounds: int = 10_000):
    """Bardoscia et al. (2015) with riskkit's ``tol`` rule, as a plain Python loop over exposure lists.

    ``rows[i]`` maps ``j -> W_ij`` (i's exposure to j). Round t: every node i adds
    ``sum_j Lambda_ij delta_j`` (``Lambda_ij = W_ij / E_i``, 1 if ``E_i = 0``), caps at 1;
    increments above ``tol`` are passed on next round. Returns (h, rounds, first_round, converged).
    """
    n = len(rows)
    h = [float(x) for x in h0]
    delta = [x if x > 0 else 0.0 for x in h]
    first = [0 if x > 0 else -1 for x in h]
    rounds = 0
    while any(d > 0 for d in delta):
        if rounds >= max_rounds:
            return h, rounds, first, False
        rounds += 1
        new_h = []
        for i in range(n):
            total = 0.0
            for j in sorted(rows[i]):
                if delta[j] > 0:
                    lam = rows[i][j] / capital[i] if capital[i] > 0 else 1.0
                    total += lam * delta[j]
            new_h.append(min(1.0, h[i] + total))
        for i in range(n):
            if h[i] == 0 and new_h[i] > 0:
                first[i] = rounds
        delta = [(new_h[i] - h[i]) if new_h[i] - h[i] > tol else 0.0 for i in range(n)]
        h = new_h
    return h, rounds, first, True


def random_exposures(n: int, m: int, seed: int, buffer_share: float = 0.75, zero_buffers: int = 0):
    """Random exposures W (CSR), buffers ``buffer_share x exposure held + 0.5`` as in the scale issue."""
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = i != j
    W = sp.csr_array((rng.lognormal(0.0, 1.0, int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
    W.sum_duplicates()
    E = np.asarray(W.sum(axis=1)).ravel() * buffer_share + 0.5
    E[rng.choice(n, zero_buffers, replace=False)] = 0.0
    return W, E


def exposure_rows(W: sp.csr_array) -> list[dict]:
    return [dict(zip(W.indices[W.indptr[i]:W.indptr[i + 1]].tolist(),
                     W.data[W.indptr[i]:W.indptr[i + 1]].tolist(), strict=True)) for i in range(W.shape[0])]


def _debtrank_module():
    import importlib

    return importlib.import_module("riskkit.graph.debtrank")


@pytest.mark.parametrize("dense_share", [0.0, 0.1, np.inf])
@pytest.mark.parametrize("seed", range(4))
def test_differential_rounds_match_a_plain_loop(seed, dense_share):
    # fragile network (buffers below the exposure held): distress grows for dozens of rounds,
    # most nodes pass distress on in most rounds, then saturate -- both kinds of round are used
    W, E = random_exposures(60, 240, seed, zero_buffers=2)
    h0 = np.zeros(60)
    h0[np.random.default_rng(seed).choice(60, 3, replace=False)] = [1.0, 0.6, 0.2]
    h, rounds, first, converged = loop_differential(exposure_rows(W), E.tolist(), h0.tolist(), tol=1e-12)
    mod = _debtrank_module()
    out = mod._impact_out(W, E, cap=False)
    res = mod._run_debtrank(out, h0, np.full(60, 1 / 60), "differential", None, dense_share=dense_share)
    assert rounds > 20 and converged and res.converged
    np.testing.assert_allclose(res.h, h, rtol=0, atol=1e-12)
    assert res.rounds == rounds
    assert res.first_round.tolist() == first
    public = debtrank(W, E, h0, value="uniform", variant="differential")
    np.testing.assert_allclose(public.h, h, rtol=0, atol=1e-12)
    assert public.rounds == rounds and public.first_round.tolist() == first


def test_differential_product_and_gather_rounds_agree_to_rounding():
    W, E = random_exposures(400, 2000, 11)
    h0 = np.zeros(400)
    h0[:5] = 1.0
    mod = _debtrank_module()
    out = mod._impact_out(W, E, cap=False)
    runs = [mod._run_debtrank(out, h0, np.full(400, 1 / 400), "differential", None, dense_share=s)
            for s in (0.0, 0.1, np.inf)]
    for other in runs[1:]:
        np.testing.assert_allclose(other.h, runs[0].h, rtol=0, atol=1e-15)
        assert other.rounds == runs[0].rounds > 20
        np.testing.assert_array_equal(other.first_round, runs[0].first_round)


def test_differential_max_rounds_stops_like_the_loop():
    W, E = random_exposures(50, 200, 3)
    h0 = np.zeros(50)
    h0[0] = 1.0
    h, rounds, _, converged = loop_differential(exposure_rows(W), E.tolist(), h0.tolist(), tol=1e-12,
                                                max_rounds=7)
    res = debtrank(W, E, h0, variant="differential", max_rounds=7)
    assert not converged and not res.converged and res.rounds == rounds == 7
    np.testing.assert_allclose(res.h, h, rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 25),
    density=st.floats(0.0, 0.4),
    buffer_share=st.floats(0.2, 3.0),
    seed=st.integers(0, 2**31),
    tol=st.sampled_from([0.0, 1e-12, 1e-6]),
)
def test_differential_property_matches_loop(n, density, buffer_share, seed, tol):
    rng = np.random.default_rng(seed)
    W, E = random_exposures(n, int(density * n * n) + 1, seed, buffer_share=buffer_share,
                            zero_buffers=int(rng.integers(0, 2)))
    h0 = np.where(rng.random(n) < 0.2, rng.uniform(0.0, 1.0, n), 0.0)
    h0[rng.integers(0, n)] = 1.0
    h, rounds, first, converged = loop_differential(exposure_rows(W), E.tolist(), h0.tolist(), tol=tol,
                                                    max_rounds=300)
    res = debtrank(W, E, h0, variant="differential", tol=tol, max_rounds=300, value="uniform")
    np.testing.assert_allclose(res.h, h, rtol=0, atol=1e-12)
    assert (res.rounds, res.converged, res.first_round.tolist()) == (rounds, converged, first)


@pytest.mark.parametrize("n_jobs", [2, 3, -1])
def test_differential_threads_split_rows_without_changing_the_result(n_jobs):
    W, E = random_exposures(500, 2500, 5)
    h0 = np.zeros(500)
    h0[:10] = 1.0
    one = debtrank(W, E, h0, variant="differential")
    many = debtrank(W, E, h0, variant="differential", n_jobs=n_jobs)
    assert one.rounds > 20
    np.testing.assert_array_equal(many.h, one.h)
    np.testing.assert_array_equal(many.first_round, one.first_round)
    assert many.rounds == one.rounds


@pytest.mark.parametrize("n_jobs", [0, -2, 1.5, True, "2"])
def test_bad_n_jobs_is_a_clear_error(n_jobs):
    with pytest.raises(GraphInputError, match="n_jobs"):
        debtrank(np.zeros((2, 2)), [1, 1], [0], variant="differential", n_jobs=n_jobs)


@pytest.mark.parametrize("cap", [False, True])
def test_destination_blocks_reassemble_lambda_transposed(cap):
    # each block (a, out_a) holds Lambda[i, j] at out_a[j, i - a] for its destinations a <= i < b,
    # rows in ascending order of i; side by side the blocks are Lambda.T, every edge once
    W, E = random_exposures(97, 500, 4, buffer_share=0.3, zero_buffers=3)
    mod = _debtrank_module()
    ratio = W.toarray() / np.where(E > 0, E, 1.0)[:, None]
    ratio[(E <= 0)[:, None] & (W.toarray() > 0)] = 1.0  # a zero buffer: any exposure is an impact of 1
    dense = (np.minimum(ratio, 1.0) if cap else ratio).T  # Lambda.T by hand
    assert cap or dense.max() > 1  # the cap matters on this network
    for n_jobs, block_nodes, per_thread in [(1, 10, 1), (2, 10, 1), (3, 97, 1), (3, 97, 10**6), (1, 1000, 1)]:
        blocks = mod._destination_blocks(W, E, cap, n_jobs, block_nodes=block_nodes, edges_per_thread=per_thread)
        starts = [a for a, _ in blocks]
        widths = [block.shape[1] for _, block in blocks]
        assert starts[0] == 0 and np.all(np.diff(starts) == widths[:-1]) and sum(widths) == 97
        # one block per block_nodes destinations; a block per thread only with enough edges each
        assert len(blocks) >= max(-(-97 // block_nodes), n_jobs if per_thread <= W.nnz // n_jobs else 1)
        assert per_thread == 1 or len(blocks) == 1
        # the same divisions as the whole-matrix path: equal to the last bit
        np.testing.assert_array_equal(sp.hstack([block for _, block in blocks]).toarray(), dense)
        for _, block in blocks:
            assert block.has_sorted_indices and block.indices.dtype == np.int32


@pytest.mark.parametrize("dense_share", [0.0, 0.1, np.inf])
@pytest.mark.parametrize(("n_jobs", "block_nodes"), [(1, 7), (2, 13), (3, 5)])
def test_differential_in_destination_blocks_matches_a_plain_loop(n_jobs, block_nodes, dense_share):
    # the block path (what large networks use) against the loop, on a network small enough for it:
    # many blocks, product rounds split over threads, gather rounds over every block
    W, E = random_exposures(60, 240, 7, zero_buffers=2)
    h0 = np.zeros(60)
    h0[[3, 17, 40]] = [1.0, 0.6, 0.2]
    h, rounds, first, converged = loop_differential(exposure_rows(W), E.tolist(), h0.tolist(), tol=1e-12)
    mod = _debtrank_module()
    blocks = mod._destination_blocks(W, E, False, n_jobs, block_nodes=block_nodes, edges_per_thread=1)
    assert len(blocks) >= 60 // block_nodes
    res = mod._run_debtrank(None, h0, np.full(60, 1 / 60), "differential", None, blocks=blocks,
                            dense_share=dense_share, n_jobs=n_jobs)
    assert rounds > 20 and converged and res.converged and res.rounds == rounds
    np.testing.assert_allclose(res.h, h, rtol=0, atol=1e-12)
    assert res.first_round.tolist() == first


def test_differential_result_does_not_depend_on_the_blocks():
    # every layout sums each node's increments in ascending order of the source: equal to the last bit
    W, E = random_exposures(400, 2000, 11)
    h0 = np.zeros(400)
    h0[:5] = 1.0
    mod = _debtrank_module()
    runs = [mod._run_debtrank(None, h0, np.full(400, 1 / 400), "differential", None,
                              blocks=mod._destination_blocks(W, E, False, n_jobs, block_nodes=size,
                                                             edges_per_thread=1), n_jobs=n_jobs)
            for n_jobs, size in [(1, 400), (1, 50), (2, 50), (2, 400), (4, 33)]]
    assert runs[0].rounds > 20
    for other in runs[1:]:
        np.testing.assert_array_equal(other.h, runs[0].h)
        np.testing.assert_array_equal(other.first_round, runs[0].first_round)
        assert other.rounds == runs[0].rounds


@pytest.mark.parametrize("fmt", ["csr_array", "csr_matrix", "coo_array"])
def test_callers_matrix_with_explicit_zeros_and_duplicates_is_not_rewritten(fmt):
    # the input is cleaned (duplicates summed, explicit zeros dropped) on a copy, never in place:
    # before the fix, a CSR with an explicit zero came back with its arrays compacted
    data, cols, ptr = np.array([1.0, 0.0, 2.0, 3.0, 0.5]), np.array([1, 2, 0, 0, 0]), np.array([0, 2, 3, 5])
    W = getattr(sp, fmt)(sp.csr_array((data, cols, ptr), shape=(3, 3)))
    arrays = [a.copy() for a in ((W.data, W.row, W.col) if fmt.startswith("coo") else (W.data, W.indices, W.indptr))]
    res = debtrank(W, [1.0, 1.0, 1.0], [0], variant="differential")
    after = (W.data, W.row, W.col) if fmt.startswith("coo") else (W.data, W.indices, W.indptr)
    for a, b in zip(arrays, after, strict=True):
        np.testing.assert_array_equal(a, b)
    # node 2 holds 3.0 + 0.5 on node 0 (duplicates summed) against a buffer of 1: wiped out
    assert res.h[2] == 1.0 and res.h[1] == 1.0
