"""Exact optimal merge of pre-bins by dynamic programming, for monotone and one-turn shapes.

The problem solved here is the one optbinning states as a mixed-integer programme
(Navas-Palencia 2020, "Optimal binning: mathematical programming formulation",
arXiv:2001.08025): choose a partition of ``K`` ordered pre-bins into contiguous groups
that maximises the information value

.. math::

    IV = \\sum_g (p^{ne}_g - p^{e}_g) \\ln(p^{ne}_g / p^{e}_g)

subject to (a) every group holding at least ``min_count`` records and at least one event
and one non-event, (b) at most ``max_bins`` groups and (c) a shape constraint on the WoE
of consecutive groups:

* ``"ascending"`` / ``"descending"``: strictly monotone WoE;
* ``"peak"``: strictly increasing, then strictly decreasing WoE (at most one turning
  point, a maximum, placed by the optimiser; a monotone sequence is the turning point at
  an end);
* ``"valley"``: strictly decreasing, then strictly increasing (one minimum);
* ``"none"``: no constraint.

IV is additive over groups and every constraint only links consecutive groups plus a
"phase" (have we turned yet?), so the problem has optimal substructure over the state
"(phase, number of groups, start of the last group, end of the last group)".  With
:math:`W(i, j)` the WoE of the group of pre-bins ``i .. j-1`` and :math:`A, D, P, V` the
phases "ascending so far", "descending so far", "rose then fell", "fell then rose":

.. math::

    A_m(i, j) &= IV(i, j) + \\max_{h:\\ W(h,i) < W(i,j)} A_{m-1}(h, i) \\\\
    D_m(i, j) &= IV(i, j) + \\max_{h:\\ W(h,i) > W(i,j)} D_{m-1}(h, i) \\\\
    P_m(i, j) &= IV(i, j) + \\max_{h:\\ W(h,i) > W(i,j)} \\max(A_{m-1}, P_{m-1})(h, i) \\\\
    V_m(i, j) &= IV(i, j) + \\max_{h:\\ W(h,i) < W(i,j)} \\max(D_{m-1}, V_{m-1})(h, i)

with :math:`A_1(0, j) = D_1(0, j) = IV(0, j)`.  The best ascending partition is
:math:`\\max_{m \\le M, i} A_m(i, K)`, the best peak :math:`\\max(A, P)`, the best valley
:math:`\\max(D, V)`.  The recursion is exact (it enumerates every feasible partition
implicitly).  It runs over the feasible transitions ``(h, i) -> (i, j)`` only (pairs with
at least ``min_count`` records), as vectorised segment maxima (``np.maximum.reduceat``),
and can solve many count vectors at once (the parametric bootstrap of
:func:`turning_shape_test` solves all its draws in one pass).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

__all__ = ["PartitionResult", "optimal_partition", "optimal_partitions", "best_partition", "woe_shape",
           "TRENDS", "SHAPES", "ShapeTest", "turning_shape_test", "ShapeCV",
           "turning_shape_cv", "grouped_auc"]

TRENDS = ("ascending", "descending", "peak", "valley", "none")
#: shapes a fitted WoE sequence can have (``"none"``: one bin or no regular pattern)
SHAPES = ("ascending", "descending", "peak", "valley", "none")
#: the two candidates of the shape choice: the best monotone and the best one-turn partition
_SHAPE_CHOICES = {"monotone": ("ascending", "descending"), "turning": ("peak", "valley")}
_PHASES = {"ascending": ("A",), "descending": ("D",), "peak": ("A", "P"), "valley": ("D", "V"),
           "none": ("N",)}


@dataclass(frozen=True)
class PartitionResult:
    """Group boundaries (pre-bin indices, first 0, last ``K``) and the objective value.

    ``trend`` is the constraint that was solved, ``shape`` the shape of the WoE sequence
    of the optimal groups (:func:`woe_shape`), e.g. a ``"peak"`` problem whose optimum is
    monotone has ``shape="ascending"``.
    """

    boundaries: tuple[int, ...]
    iv: float
    trend: str
    shape: str = "none"


def thinner_side_events(events, woe, shape: str) -> float:
    """Events on the thinner side of a peak or valley: the evidence a turn rests on.

    A peak's WoE rises up to its highest bin and falls after it (a valley: falls, then
    rises); the turning bin itself counts on neither side.  The turn is only as well
    supported as the side with fewer events (bads): a peak whose falling side holds 7
    events rests on those 7, however many the rising side holds.

    >>> thinner_side_events([30, 20, 5, 2], [-0.4, 0.1, 0.6, 0.2], "peak")
    2.0
    """
    if shape not in ("peak", "valley"):
        raise ValueError(f"shape must be 'peak' or 'valley', got {shape!r}")
    events = np.asarray(events, dtype=float)
    woe = np.asarray(woe, dtype=float)
    turn = int(np.argmax(woe) if shape == "peak" else np.argmin(woe))
    return float(min(events[:turn].sum(), events[turn + 1:].sum()))


def partition_turn_events(partition: PartitionResult, nonevents, events) -> float:
    """:func:`thinner_side_events` of a one-turn partition of pre-bin counts (NaN for
    another shape).  The WoE's turning group is that of ``log(nonevents / events)``: the
    class totals only shift every group's WoE alike."""
    if partition.shape not in ("peak", "valley"):
        return float("nan")
    starts = np.asarray(partition.boundaries[:-1], dtype=np.intp)
    group_ev = np.add.reduceat(np.asarray(events, dtype=float), starts)
    group_ne = np.add.reduceat(np.asarray(nonevents, dtype=float), starts)
    with np.errstate(divide="ignore"):
        log_odds = np.log(group_ne) - np.log(group_ev)
    return thinner_side_events(group_ev, log_odds, partition.shape)


def woe_shape(woe) -> str:
    """Shape of a WoE sequence: ``"ascending"``, ``"descending"``, ``"peak"`` (strictly up,
    then strictly down), ``"valley"`` (down, then up) or ``"none"`` (fewer than two values,
    ties, or more than one turning point)."""
    d = np.diff(np.asarray(woe, dtype=float))
    if d.size == 0 or not (d != 0).all():
        return "none"
    up = d > 0
    if up.all():
        return "ascending"
    if not up.any():
        return "descending"
    turns = int(np.count_nonzero(up[1:] != up[:-1]))
    if turns == 1:
        return "peak" if up[0] else "valley"
    return "none"


class _Structure:
    """Feasible groups and transitions of ``K`` pre-bins under the record-count constraint.

    The count constraint does not depend on the class split, so one structure serves every
    bootstrap draw of the events; class-empty groups are excluded per draw (their WoE is
    NaN and their IV ``-inf``).
    """

    def __init__(self, counts: np.ndarray, min_count: float):
        k = counts.size
        self.k = k
        size = k + 1
        cum = np.concatenate(([0.0], np.cumsum(counts, dtype=float)))
        n = cum[None, :] - cum[:, None]
        upper = np.triu(np.ones((size, size), dtype=bool), k=1)
        self.feasible = upper & (n >= min_count)

    @cached_property
    def _transitions(self):
        """Transitions ``(h, i) -> (i, j)`` as flat pair indices, ordered by target pair
        ``(i, j)`` then ``h``, and the start of each target's run."""
        size = self.k + 1
        cube = self.feasible.T[:, :, None] & self.feasible[None, :, :]  # [i, h, j]
        i, j, h = np.nonzero(cube.transpose(0, 2, 1))  # sorted by i, j, h
        src, dst = h * size + i, i * size + j
        change = np.flatnonzero(np.diff(dst)) + 1
        seg_start = np.concatenate(([0], change)).astype(np.intp) if dst.size else change
        return src, dst, seg_start, dst[seg_start]

    @property
    def src(self):
        return self._transitions[0]

    @property
    def dst(self):
        return self._transitions[1]

    @property
    def seg_start(self):
        return self._transitions[2]

    @property
    def seg_dst(self):
        return self._transitions[3]


def _statistics(structure: _Structure, nonevents, events, total_nonevents, total_events):
    """WoE and IV of every group (flattened pair index), one row per count vector."""
    size = structure.k + 1
    cum_ne = np.concatenate((np.zeros((nonevents.shape[0], 1)), np.cumsum(nonevents, axis=1)), axis=1)
    cum_e = np.concatenate((np.zeros((events.shape[0], 1)), np.cumsum(events, axis=1)), axis=1)
    ne = (cum_ne[:, None, :] - cum_ne[:, :, None]).reshape(-1, size * size)
    ev = (cum_e[:, None, :] - cum_e[:, :, None]).reshape(-1, size * size)
    ok = structure.feasible.reshape(1, -1) & (ne > 0) & (ev > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_ne = ne / np.asarray(total_nonevents, dtype=float).reshape(-1, 1)
        p_e = ev / np.asarray(total_events, dtype=float).reshape(-1, 1)
        woe = np.log(p_ne / p_e)
        iv = (p_ne - p_e) * woe
    return np.where(ok, woe, np.nan), np.where(ok, iv, -np.inf)


def _forward(structure: _Structure, woe, iv, max_bins: int, phases: set[str]):
    """Best objective per phase, number of groups and last group: ``{phase: (M+1, R, P)}``."""
    r, p = iv.shape
    src, dst = structure.src, structure.dst
    w_prev = woe[:, src]
    w_next = woe[:, dst]
    inc = w_prev < w_next  # NaN compares False: class-empty groups drop out
    dec = w_prev > w_next
    first = np.full((r, p), -np.inf)
    first[:, : structure.k + 1] = iv[:, : structure.k + 1]  # pairs (0, j)
    best = {ph: np.full((max_bins + 1, r, p), -np.inf) for ph in phases}
    for ph in phases & {"A", "D", "N"}:
        best[ph][1] = first
    seg_start, seg_dst = structure.seg_start, structure.seg_dst
    rules = {"A": (("A",), inc), "D": (("D",), dec), "P": (("A", "P"), dec), "V": (("D", "V"), inc),
             "N": (("N",), None)}
    if src.size == 0:
        return best
    for m in range(2, max_bins + 1):
        for ph in phases:
            sources, mask = rules[ph]
            prev = best[sources[0]][m - 1]
            for other in sources[1:]:
                prev = np.maximum(prev, best[other][m - 1])
            vals = prev[:, src]
            if mask is not None:
                vals = np.where(mask, vals, -np.inf)
            seg = np.maximum.reduceat(vals, seg_start, axis=1)
            out = np.full((r, p), -np.inf)
            out[:, seg_dst] = seg + iv[:, seg_dst]
            best[ph][m] = out
    return best


def _final(structure: _Structure, table: np.ndarray) -> tuple[float, int, int]:
    """Best (value, m, i) over partitions ending at pre-bin ``K`` (fewest groups on ties)."""
    size = structure.k + 1
    ends = table[:, np.arange(size) * size + structure.k]  # (M+1, i)
    flat = int(np.argmax(ends))
    m, i = np.unravel_index(flat, ends.shape)
    return float(ends[m, i]), int(m), int(i)


def _backtrack(structure: _Structure, woe, iv, best, phase: str, m: int, i: int) -> list[int]:
    size = structure.k + 1
    j = structure.k
    bounds = [j, i]
    rules = {"A": (("A",), "inc"), "D": (("D",), "dec"), "P": (("A", "P"), "dec"),
             "V": (("D", "V"), "inc"), "N": (("N",), None)}
    while m > 1:
        sources, kind = rules[phase]
        target = best[phase][m][0, i * size + j] - iv[0, i * size + j]
        hs = np.flatnonzero(structure.feasible[:, i])
        w_here = woe[0, i * size + j]
        chosen = None
        for src_phase in sources:
            vals = best[src_phase][m - 1][0, hs * size + i]
            w_prev = woe[0, hs * size + i]
            if kind == "inc":
                vals = np.where(w_prev < w_here, vals, -np.inf)
            elif kind == "dec":
                vals = np.where(w_prev > w_here, vals, -np.inf)
            a = int(np.argmax(vals))
            if np.isfinite(vals[a]) and abs(vals[a] - target) <= 1e-12 * (1.0 + abs(target)):
                chosen = (src_phase, int(hs[a]))
                break
        if chosen is None:  # pragma: no cover - the forward pass guarantees a predecessor
            raise RuntimeError("optimal partition: backtracking lost the path")
        phase, h = chosen
        j, i, m = i, h, m - 1
        bounds.append(i)
    bounds.reverse()
    return bounds


def _solve(nonevents, events, total_nonevents, total_events, min_count, max_bins,
           choices: dict[str, tuple[str, ...]]) -> dict[str, PartitionResult | None]:
    """Best partition for each named choice of shape constraints, from one forward pass.

    ``choices`` maps a name to the trends it may take (e.g. ``"monotone" -> ("ascending",
    "descending")``); its result is the best over them (ties: the earlier trend, a monotone
    phase before a turning one, then the fewest groups).  Only the winners are traced back.
    """
    nonevents = np.asarray(nonevents, dtype=float)
    events = np.asarray(events, dtype=float)
    k = nonevents.size
    if k == 0:
        return {name: None for name in choices}
    max_bins = int(max(1, min(max_bins, k)))
    structure = _Structure(nonevents + events, min_count)
    woe, iv = _statistics(structure, nonevents[None, :], events[None, :], total_nonevents, total_events)
    phases = {ph for trends in choices.values() for t in trends for ph in _PHASES[t]}
    best = _forward(structure, woe, iv, max_bins, phases)
    finals = {ph: _final(structure, best[ph][:, 0, :]) for ph in phases}
    size = k + 1
    out: dict[str, PartitionResult | None] = {}
    for name, trends in choices.items():
        candidates = []
        for t in trends:
            for ph in _PHASES[t]:
                value, m, i = finals[ph]
                if np.isfinite(value):
                    candidates.append((value, m, ph, i, t))
        if not candidates:
            out[name] = None
            continue
        top = max(c[0] for c in candidates)
        value, m, ph, i, t = min((c for c in candidates if c[0] >= top - 1e-12), key=lambda c: c[1])
        bounds = _backtrack(structure, woe, iv, best, ph, m, i)
        group_woe = [woe[0, a * size + b] for a, b in zip(bounds[:-1], bounds[1:])]
        out[name] = PartitionResult(boundaries=tuple(bounds), iv=value, trend=t, shape=woe_shape(group_woe))
    return out


def optimal_partitions(
    nonevents: np.ndarray,
    events: np.ndarray,
    *,
    total_nonevents: float,
    total_events: float,
    min_count: float,
    max_bins: int,
    trends=("ascending", "descending", "peak", "valley"),
) -> dict[str, PartitionResult | None]:
    """Optimal partitions of ordered pre-bins for several shape constraints in one pass.

    Parameters
    ----------
    nonevents, events : array of shape (K,)
        Counts of non-events (goods) and events (bads) per pre-bin, in order.
    total_nonevents, total_events : float
        Totals over the whole feature (including missing and special bins), the
        denominators of the WoE distributions.
    min_count : float
        Minimum number of records per group.
    max_bins : int
        Maximum number of groups.
    trends : iterable of {"ascending", "descending", "peak", "valley", "none"}
        Shape constraints to solve (see the module docstring).

    Returns
    -------
    dict
        ``trend -> PartitionResult`` (``None`` when no feasible partition exists, e.g.
        every group would lack events).
    """
    trends = tuple(trends)
    for t in trends:
        if t not in TRENDS:
            raise ValueError(f"trend must be one of {TRENDS}, got {t!r}")
    return _solve(nonevents, events, total_nonevents, total_events, min_count, max_bins,
                  {t: (t,) for t in trends})


def best_partition(nonevents, events, *, total_nonevents: float, total_events: float, min_count: float,
                   max_bins: int, trends: tuple[str, ...]) -> PartitionResult | None:
    """The best partition over several allowed shapes (ties: the earlier trend, then the
    fewest groups), e.g. ``trends=("ascending", "descending")``; arguments as in
    :func:`optimal_partitions`."""
    for t in trends:
        if t not in TRENDS:
            raise ValueError(f"trend must be one of {TRENDS}, got {t!r}")
    return _solve(nonevents, events, total_nonevents, total_events, min_count, max_bins,
                  {"best": tuple(trends)})["best"]


def optimal_partition(
    nonevents: np.ndarray,
    events: np.ndarray,
    *,
    total_nonevents: float,
    total_events: float,
    min_count: float,
    max_bins: int,
    trend: str,
) -> PartitionResult | None:
    """Partition ordered pre-bins into at most ``max_bins`` groups maximising IV.

    Parameters
    ----------
    nonevents, events : array of shape (K,)
        Counts of non-events (goods) and events (bads) per pre-bin, in order.
    total_nonevents, total_events : float
        Totals over the whole feature (including missing and special bins), the
        denominators of the WoE distributions.
    min_count : float
        Minimum number of records per group.
    max_bins : int
        Maximum number of groups.
    trend : {"ascending", "descending", "peak", "valley", "none"}
        Required shape of WoE from the first to the last group (strict; a peak or valley
        has at most one turning point).

    Returns
    -------
    PartitionResult or None
        ``None`` when no feasible partition exists (e.g. every group would lack events).
    """
    if trend not in TRENDS:
        raise ValueError(f"trend must be one of {TRENDS}, got {trend!r}")
    return optimal_partitions(nonevents, events, total_nonevents=total_nonevents,
                              total_events=total_events, min_count=min_count, max_bins=max_bins,
                              trends=(trend,))[trend]


# --------------------------------------------------------------------------- shape choice
@dataclass(frozen=True)
class ShapeTest:
    """Outcome of the test of a turning WoE shape against the best monotone one.

    Attributes
    ----------
    monotone, turning : PartitionResult or None
        Best monotone (ascending or descending) and best one-turn (peak or valley)
        partitions of the data.
    gain : float
        ``turning.iv - monotone.iv`` (>= 0: a one-turn shape includes the monotone ones).
    pvalue : float
        Parametric-bootstrap p-value of the gain under H0 "the event rate is the fitted
        monotone step function"; 1 when the gain is 0 (nothing to test).
    n_draws : int
        Bootstrap draws used (sequential stopping may use fewer than the maximum).
    chosen : PartitionResult or None
        ``turning`` if ``pvalue <= alpha``, else ``monotone``.
    """

    monotone: PartitionResult | None
    turning: PartitionResult | None
    gain: float
    pvalue: float
    n_draws: int
    chosen: PartitionResult | None
    _bootstrap: object = field(default=None, repr=False, compare=False)

    def extend(self, max_draws: int, alpha: float = 0.05) -> ShapeTest:
        """The same test continued to ``max_draws`` draws (same random stream, no early
        stop), e.g. to resolve a smaller multiple-testing threshold; ``chosen`` then
        compares the new p-value with ``alpha``."""
        if self._bootstrap is None or max_draws <= self.n_draws:
            return self
        boot = self._bootstrap
        boot.batch = max_draws - boot.drawn  # the remaining draws in one vectorised pass
        boot.run(max_draws, allowed=max_draws)
        pvalue = (1 + boot.exceed) / (1 + boot.drawn)
        return replace(self, pvalue=float(pvalue), n_draws=boot.drawn,
                       chosen=self.turning if pvalue <= alpha else self.monotone)


class _Bootstrap:
    """The draws of :func:`turning_shape_test`: parametric bootstrap of the gain statistic."""

    def __init__(self, counts, rate, starts, outside_ne, outside_ev, min_count, observed, rng,
                 first_batch, batch):
        self.counts, self.rate, self.starts = counts, rate, starts
        self.outside_ne, self.outside_ev, self.min_count = outside_ne, outside_ev, min_count
        self.observed, self.rng = observed, rng
        self.first_batch, self.batch = first_batch, batch
        self.exceed = self.drawn = 0

    def statistic(self, ne, ev):
        ne_c = np.add.reduceat(ne, self.starts, axis=1)
        ev_c = np.add.reduceat(ev, self.starts, axis=1)
        mono, turn = _best_values(ne_c, ev_c, ne.sum(axis=1) + self.outside_ne,
                                  ev.sum(axis=1) + self.outside_ev, self.min_count)
        return turn - mono

    def run(self, max_draws: int, allowed: int) -> None:
        """Draw until ``max_draws`` draws or more than ``allowed`` exceedances."""
        n_int = self.counts.astype(np.int64)
        while self.drawn < max_draws and self.exceed <= allowed:
            r = min(self.batch if self.drawn else self.first_batch, max_draws - self.drawn)
            ev = self.rng.binomial(n_int[None, :], self.rate[None, :], size=(r, self.counts.size)).astype(float)
            stat = self.statistic(self.counts[None, :] - ev, ev)
            self.exceed += int(np.count_nonzero(stat >= self.observed - 1e-12))
            self.drawn += r


def _count_below(elements_sorted: np.ndarray, queries: np.ndarray, strict: bool) -> np.ndarray:
    """Row-wise ``searchsorted``: for each query the number of elements ``< q`` (``strict``)
    or ``<= q`` in its row of ``elements_sorted`` (ascending, NaN last)."""
    r, h = elements_sorted.shape
    j = queries.shape[1]
    # a stable sort keeps the first-listed of two equal values first: list the queries first
    # to count only smaller elements, the elements first to count the equal ones too
    merged = np.concatenate((queries, elements_sorted) if strict else (elements_sorted, queries), axis=1)
    order = np.argsort(merged, axis=1, kind="stable")
    is_query = (order < j) if strict else (order >= h)
    elements_before = np.cumsum(~is_query, axis=1)
    rows, cols = np.nonzero(is_query)
    out = np.empty((r, j), dtype=np.intp)
    out[rows, order[rows, cols] - (0 if strict else h)] = elements_before[rows, cols]
    return out


def _best_values(nonevents, events, total_nonevents, total_events, min_count):
    """Best monotone and best one-turn IV without a bin-count limit, for a batch of count
    vectors (rows with the same records per pre-bin, e.g. bootstrap draws of the events):
    the statistic of :func:`turning_shape_test`.

    Without the ``max_bins`` dimension the recursion runs once over the start ``i`` of the
    last group (all groups ending at ``i`` are final before any group starts there).  For
    each ``i`` the best predecessor under a WoE inequality is a prefix (or suffix) maximum
    over the predecessors sorted by WoE, looked up by a row-wise binary search: O(K^2 log K)
    per draw instead of O(K^3), vectorised over the draws.
    """
    r, k = events.shape
    size = k + 1
    counts = nonevents[0] + events[0]
    if not np.array_equal(nonevents + events, np.broadcast_to(counts, events.shape)):
        raise ValueError("_best_values: every row must have the same records per pre-bin")
    structure = _Structure(counts, min_count)
    woe, iv = _statistics(structure, nonevents, events, total_nonevents, total_events)
    woe = woe.reshape(r, size, size)
    iv = iv.reshape(r, size, size)
    best = {ph: np.full((r, size, size), -np.inf) for ph in "ADPV"}
    best["A"][:, 0, :] = iv[:, 0, :]
    best["D"][:, 0, :] = iv[:, 0, :]
    feasible = structure.feasible
    rows = np.arange(r)[:, None]
    for i in range(1, k):
        hs = np.flatnonzero(feasible[:, i])
        js = np.flatnonzero(feasible[i, :])
        if hs.size == 0 or js.size == 0:
            continue
        w_here = woe[:, hs, i]
        order = np.argsort(w_here, axis=1)  # NaN (class-empty groups, value -inf) last
        w_prev = w_here[rows, order]
        w_next = woe[:, i, js]
        below = _count_below(w_prev, w_next, strict=True)  # predecessors with W(h,i) < W(i,j)
        above_from = _count_below(w_prev, w_next, strict=False)  # first with W(h,i) > W(i,j)
        h_sorted = hs[order]
        a, d = best["A"][rows, h_sorted, i], best["D"][rows, h_sorted, i]
        ap = np.maximum(a, best["P"][rows, h_sorted, i])
        dv = np.maximum(d, best["V"][rows, h_sorted, i])
        gain = iv[:, i, js]
        n_prev = hs.size
        table = np.full((r, n_prev + 1), -np.inf)
        for ph, prev, rising in (("A", a, True), ("V", dv, True), ("D", d, False), ("P", ap, False)):
            if rising:  # max over the sorted prefix of length `below`
                np.maximum.accumulate(prev, axis=1, out=table[:, 1:])
                table[:, 0] = -np.inf
                pick = table[rows, below]
            else:  # max over the sorted suffix from `above_from`
                np.maximum.accumulate(prev[:, ::-1], axis=1, out=table[:, n_prev - 1::-1] if n_prev > 1
                                      else table[:, :1])
                table[:, n_prev] = -np.inf
                pick = table[rows, above_from]
            best[ph][:, i, js] = gain + pick
    top = {ph: best[ph][:, :, k].max(axis=1) for ph in "ADPV"}
    monotone = np.maximum(top["A"], top["D"])
    turning = np.maximum(monotone, np.maximum(top["P"], top["V"]))
    return monotone, turning


def _coarsen(counts: np.ndarray, groups: int) -> np.ndarray:
    """Start indices of at most ``groups`` runs of consecutive pre-bins of about equal count."""
    k = counts.size
    if k <= groups:
        return np.arange(k)
    cum = np.cumsum(counts, dtype=float)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, groups) / groups, side="left") + 1
    return np.unique(np.concatenate(([0], cuts[cuts < k])))


def turning_shape_test(
    nonevents: np.ndarray,
    events: np.ndarray,
    *,
    outside_nonevents: float,
    outside_events: float,
    min_count: float,
    max_bins: int,
    alpha: float = 0.05,
    max_draws: int = 99,
    test_prebins: int = 50,
    first_batch: int = 10,
    batch: int = 45,
    rng: np.random.Generator | None = None,
) -> ShapeTest:
    """Choose between the best monotone and the best one-turn WoE shape without over-fitting.

    A peak or valley always reaches at least the IV of the best monotone partition (it
    contains it), and on pure noise it gains a little by fitting the noise at one end.
    The turning shape is therefore kept only when its gain is significant under a
    **parametric bootstrap** (Efron & Tibshirani 1993, ch. 16) of the null hypothesis
    H0 "the event rate is the fitted best monotone step function":

    1. fit the best monotone (``m``) and the best one-turn (``t``) partition of the
       pre-bins under all constraints; if ``t`` has no turning point (or no gain) there is
       nothing to test and ``m`` is kept;
    2. the test statistic is the IV gain :math:`\\Delta = IV_t - IV_m` of the best
       one-turn over the best monotone partition of the pre-bins with the minimum bin
       size but without the bin-count limit (dropping the limit removes a dimension of
       the recursion and makes the draws cheap; with more than ``test_prebins`` pre-bins,
       runs of them of about equal count are merged first).  The statistic is computed
       the same way on the data and on every draw, so the test stays exact;
    3. under H0 the events of pre-bin ``k`` are drawn from
       :math:`\\text{Binomial}(n_k, \\hat\\pi_{g(k)})`, :math:`\\hat\\pi_g` the event rate
       of the group of ``m`` that holds pre-bin ``k`` (missing/special bins keep their
       counts: they only enter the WoE denominators), giving :math:`\\Delta^*_1 .. \\Delta^*_B`;
    4. :math:`p = (1 + \\#\\{b: \\Delta^*_b \\ge \\Delta\\}) / (1 + B)` (Davison & Hinkley
       1997, eq. 4.11); ``t`` is kept when :math:`p \\le \\alpha` (with ``B = 99`` and
       ``alpha = 0.05``: when at most four of the 99 draws reach the observed gain).

    Pure noise is the special case of a flat step function, so on noise a turning shape
    is kept with probability at most about ``alpha`` (tested).  The draws run in
    vectorised batches with sequential stopping (Besag & Clifford 1991): drawing stops as
    soon as so many draws reach :math:`\\Delta` that ``p`` can no longer fall to ``alpha``
    (``pvalue`` is then the sequential estimate ``exceedances / draws``), so a monotone
    feature usually costs one small batch and a clear turning ``max_draws`` draws.

    Parameters
    ----------
    nonevents, events : array of shape (K,)
        Pre-bin counts of the regular (ordered) values.
    outside_nonevents, outside_events : float
        Counts of the missing and special bins (part of the WoE denominators).
    min_count, max_bins
        As in :func:`optimal_partition`.
    alpha : float
        Level of the test.
    max_draws : int
        Number of bootstrap draws ``B`` when the test runs to the end; choose
        ``alpha (1 + B)`` a whole number for an exact Monte Carlo level.
    test_prebins : int
        Largest number of merged pre-bins of the test statistic.
    first_batch, batch : int
        Draws solved together in the first and in later vectorised passes.
    rng : numpy Generator, optional
        Source of the draws (default ``np.random.default_rng(0)``: reproducible).

    References
    ----------
    J. Besag, P. Clifford, "Sequential Monte Carlo p-values", Biometrika 78 (1991).
    A. C. Davison, D. V. Hinkley, *Bootstrap Methods and their Application*, CUP 1997.
    B. Efron, R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall 1993.
    """
    nonevents = np.asarray(nonevents, dtype=float)
    events = np.asarray(events, dtype=float)
    total_ne = nonevents.sum() + outside_nonevents
    total_ev = events.sum() + outside_events
    results = _solve(nonevents, events, total_ne, total_ev, min_count, max_bins, _SHAPE_CHOICES)
    monotone, turning = results["monotone"], results["turning"]
    if monotone is None or turning is None:
        return ShapeTest(monotone=monotone, turning=turning, gain=0.0, pvalue=1.0, n_draws=0,
                         chosen=monotone if monotone is not None else turning)
    gain = turning.iv - monotone.iv
    if gain <= 1e-12 or turning.shape not in ("peak", "valley"):
        return ShapeTest(monotone=monotone, turning=turning, gain=max(gain, 0.0), pvalue=1.0, n_draws=0,
                         chosen=monotone)
    counts = nonevents + events
    rate = np.empty_like(counts)
    b = monotone.boundaries
    for lo, hi in zip(b[:-1], b[1:]):
        rate[lo:hi] = events[lo:hi].sum() / counts[lo:hi].sum()
    boot = _Bootstrap(counts, rate, _coarsen(counts, test_prebins), outside_nonevents, outside_events,
                      min_count, 0.0, np.random.default_rng(0) if rng is None else rng, first_batch, batch)
    boot.observed = float(boot.statistic(nonevents[None, :], events[None, :])[0])
    if not boot.observed > 1e-12:  # the statistic shows no turn: nothing to test
        return ShapeTest(monotone=monotone, turning=turning, gain=gain, pvalue=1.0, n_draws=0,
                         chosen=monotone)
    # keep the turning shape iff (1 + exceed) / (1 + max_draws) <= alpha, i.e. iff at most
    # `allowed` draws reach the observed statistic: stop as soon as more have
    allowed = int(np.floor(alpha * (1 + max_draws) + 1e-9)) - 1
    boot.run(max_draws, allowed)
    exceed, drawn = boot.exceed, boot.drawn
    if exceed > allowed and drawn < max_draws:
        pvalue = exceed / drawn  # Besag & Clifford (1991) sequential estimate
    else:
        pvalue = (1 + exceed) / (1 + drawn)
    keep_turning = drawn == max_draws and exceed <= allowed
    return ShapeTest(monotone=monotone, turning=turning, gain=gain, pvalue=float(min(1.0, pvalue)),
                     n_draws=drawn, chosen=turning if keep_turning else monotone, _bootstrap=boot)


@dataclass(frozen=True)
class ShapeCV:
    """Outcome of the cross-validated choice between the best monotone and the best
    one-turn WoE shape (:func:`turning_shape_cv`).

    Attributes
    ----------
    monotone, turning : PartitionResult or None
        Best monotone and best one-turn partitions of all the data.
    auc_gain : float
        Mean over the held-out folds of AUC(turning) - AUC(monotone), each binning fitted
        on the other folds (NaN when not run).
    auc_turning : float
        Out-of-fold AUC of the turning procedure (pooled over the folds of a repetition,
        averaged over repetitions; NaN when not run).
    pvalue : float
        One-sided p-value of ``auc_turning`` against 0.5 (no signal), from the
        Mann-Whitney null variance :math:`(n_1 + n_0 + 1) / (12 n_1 n_0)`; 1 when not run.
    folds, repeats : int
        The cross-validation actually run (0, 0 when there was nothing to test).
    chosen : PartitionResult or None
        ``turning`` when ``auc_gain > 0``, ``pvalue <= alpha`` and ``turn_events >=
        min_turn_events``, else ``monotone``.
    turn_events : float
        Events on the thinner side of ``turning``'s turn (:func:`thinner_side_events`; NaN
        when it does not turn).
    """

    monotone: PartitionResult | None
    turning: PartitionResult | None
    auc_gain: float
    auc_turning: float
    pvalue: float
    folds: int
    repeats: int
    chosen: PartitionResult | None
    turn_events: float = float("nan")


def grouped_auc(score, events, nonevents) -> float:
    """AUC of a step score from grouped counts: the probability that a random event has a
    higher score than a random non-event, ties counted one half (Mann-Whitney U / n1 n0).

    ``score[g]`` is the score of group ``g``; ``events[g]``, ``nonevents[g]`` its counts.
    Returns NaN without events or without non-events.
    """
    score = np.asarray(score, dtype=float)
    events = np.asarray(events, dtype=float)
    nonevents = np.asarray(nonevents, dtype=float)
    n1, n0 = events.sum(), nonevents.sum()
    if n1 <= 0 or n0 <= 0:
        return float("nan")
    levels, inverse = np.unique(score, return_inverse=True)
    ev = np.bincount(inverse, weights=events, minlength=levels.size)
    ne = np.bincount(inverse, weights=nonevents, minlength=levels.size)
    below = np.cumsum(ne) - ne  # non-events with a strictly lower score
    return float((ev * (below + 0.5 * ne)).sum() / (n1 * n0))


def _held_out(part: PartitionResult, train_ne, train_ev, test_ne, test_ev):
    """Score (training event rate of the group, add-one-half smoothed) and held-out counts
    of every group of ``part``."""
    starts = np.asarray(part.boundaries[:-1], dtype=np.intp)
    g_ne, g_ev = np.add.reduceat(train_ne, starts), np.add.reduceat(train_ev, starts)
    rate = (g_ev + 0.5) / (g_ne + g_ev + 1.0)
    return rate, np.add.reduceat(test_ev, starts), np.add.reduceat(test_ne, starts)


def turning_shape_cv(
    nonevents: np.ndarray,
    events: np.ndarray,
    *,
    outside_nonevents: float,
    outside_events: float,
    min_count: float,
    max_bins: int,
    alpha: float = 0.05,
    folds: int = 5,
    repeats: int = 2,
    rng: np.random.Generator | None = None,
    min_turn_events: float = 0.0,
) -> ShapeCV:
    """Choose between the best monotone and the best one-turn WoE shape by cross-validation.

    A peak or valley always gains IV in sample (it contains the monotone shapes), so the
    in-sample gain cannot decide.  This rule asks the question a scorecard cares about,
    whether the turning binning *ranks unseen records better* (a held-out criterion;
    Hastie, Tibshirani & Friedman 2009, sec. 7.10), with a guard against pure noise:

    1. fit the best monotone and the best one-turn partition on all data; if the one-turn
       optimum does not turn or gains nothing, keep the monotone one (nothing to test);
    2. ``repeats`` times, assign every record to one of ``folds`` folds at random (drawn
       from the pre-bin counts: per pre-bin and class a multinomial split with equal
       probabilities, which is what a per-record random assignment gives); for each fold
       fit both shapes on the other folds (minimum bin count scaled by the training share)
       and score the held-out fold with the training event rate of its bin;
    3. keep the turning shape when (a) its held-out AUC beats the monotone binning's on
       average over the ``folds x repeats`` held-out folds, and (b) its out-of-fold AUC is
       significantly above 0.5 at level ``alpha`` (one-sided, Mann-Whitney null variance).

    (a) is the held-out criterion: under a monotone truth the turning binning ranks
    held-out records worse (it spends a bin on noise), so (a) rarely holds; on pure noise
    both binnings are coin flips and (a) holds about half the time, which (b) stops: the
    chance that noise passes both is at most ``alpha`` (tested on simulated noise).
    Missing and special values are left out of the held-out AUC (both shapes bin them
    alike).

    Parameters
    ----------
    nonevents, events : array of shape (K,)
        Pre-bin counts of the regular (ordered) values.
    outside_nonevents, outside_events : float
        Counts of the missing and special bins (part of the WoE denominators).
    min_count, max_bins
        As in :func:`optimal_partition` (``min_count`` for all the data).
    alpha : float
        Level of the no-signal test (b).
    folds, repeats : int
        K-fold cross-validation repeated ``repeats`` times.
    rng : numpy Generator, optional
        Source of the fold assignment (default ``np.random.default_rng(0)``).

    References
    ----------
    T. Hastie, R. Tibshirani, J. Friedman, *The Elements of Statistical Learning*, 2nd ed.,
    Springer 2009, sec. 7.10 (cross-validation).
    E. R. DeLong, D. M. DeLong, D. L. Clarke-Pearson, Biometrics 44 (1988) (AUC as the
    Mann-Whitney statistic).
    """
    from scipy.special import ndtr

    nonevents = np.asarray(nonevents, dtype=float)
    events = np.asarray(events, dtype=float)
    total_ne = nonevents.sum() + outside_nonevents
    total_ev = events.sum() + outside_events
    results = _solve(nonevents, events, total_ne, total_ev, min_count, max_bins, _SHAPE_CHOICES)
    monotone, turning = results["monotone"], results["turning"]
    turn_events = partition_turn_events(turning, nonevents, events) if turning is not None else float("nan")
    nothing = ShapeCV(monotone=monotone, turning=turning, auc_gain=float("nan"), auc_turning=float("nan"),
                      pvalue=1.0, folds=0, repeats=0, chosen=monotone if monotone is not None else turning,
                      turn_events=turn_events)
    if (monotone is None or turning is None or turning.shape not in ("peak", "valley")
            or turning.iv - monotone.iv <= 1e-12 or turn_events < min_turn_events):
        return nothing
    rng = np.random.default_rng(0) if rng is None else rng
    share = (folds - 1) / folds
    train_min = max(1.0, min_count * share)
    uniform = np.full(folds, 1.0 / folds)
    gains, pooled = [], []
    for _ in range(repeats):
        fold_ne = rng.multinomial(nonevents.astype(np.int64), uniform).astype(float)  # (K, folds)
        fold_ev = rng.multinomial(events.astype(np.int64), uniform).astype(float)
        turn_parts = []
        for f in range(folds):
            test_ne, test_ev = fold_ne[:, f], fold_ev[:, f]
            train_ne, train_ev = nonevents - test_ne, events - test_ev
            fitted = _solve(train_ne, train_ev, train_ne.sum() + outside_nonevents * share,
                            train_ev.sum() + outside_events * share, train_min, max_bins, _SHAPE_CHOICES)
            if fitted["monotone"] is None or fitted["turning"] is None:
                continue
            mono = _held_out(fitted["monotone"], train_ne, train_ev, test_ne, test_ev)
            turn = _held_out(fitted["turning"], train_ne, train_ev, test_ne, test_ev)
            a_mono, a_turn = grouped_auc(mono[0], mono[1], mono[2]), grouped_auc(turn[0], turn[1], turn[2])
            if np.isfinite(a_mono) and np.isfinite(a_turn):
                gains.append(a_turn - a_mono)
            turn_parts.append(turn)
        if turn_parts:
            pooled.append(grouped_auc(*(np.concatenate(parts) for parts in zip(*turn_parts))))
    if not gains or not pooled:
        return nothing
    auc_gain = float(np.mean(gains))
    auc_turning = float(np.nanmean(pooled))
    n1, n0 = events.sum(), nonevents.sum()
    z = (auc_turning - 0.5) / np.sqrt((n1 + n0 + 1.0) / (12.0 * n1 * n0))
    pvalue = float(ndtr(-z))
    keep = auc_gain > 0 and pvalue <= alpha
    return ShapeCV(monotone=monotone, turning=turning, auc_gain=auc_gain, auc_turning=auc_turning,
                   pvalue=pvalue, folds=folds, repeats=repeats, chosen=turning if keep else monotone,
                   turn_events=turn_events)
