"""Exact optimal merge of pre-bins by dynamic programming.

The problem solved here is the one optbinning states as a mixed-integer programme
(Navas-Palencia 2020, "Optimal binning: mathematical programming formulation",
arXiv:2001.08025): choose a partition of ``K`` ordered pre-bins into contiguous groups
that maximises the information value

.. math::

    IV = \\sum_g (p^{ne}_g - p^{e}_g) \\ln(p^{ne}_g / p^{e}_g)

subject to (a) every group holding at least ``min_count`` records and at least one event
and one non-event, (b) at most ``max_bins`` groups and (c) a strictly monotonic WoE across
consecutive groups (ascending, descending or unconstrained).

IV is additive over groups and the monotonicity constraint only links consecutive groups,
so the problem has optimal substructure over the state "(number of groups, start of the
last group, end of the last group)":

.. math::

    B_m(i, j) = IV(i, j) + \\max_{h < i,\\ WoE(h, i) \\prec WoE(i, j)} B_{m-1}(h, i)

with :math:`B_1(0, j) = IV(0, j)`.  The answer is :math:`\\max_{m \\le M, i} B_m(i, K)`.
The recursion is exact (it enumerates every feasible partition implicitly) and costs
:math:`O(M K^3)` elementary operations, done here as ``M`` vectorised numpy reductions
over a ``(K+1)^3`` array, i.e. milliseconds for ``K <= 64``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PartitionResult", "optimal_partition", "TRENDS"]

TRENDS = ("ascending", "descending", "none")


@dataclass(frozen=True)
class PartitionResult:
    """Group boundaries (pre-bin indices, first 0, last ``K``) and the objective value."""

    boundaries: tuple[int, ...]
    iv: float
    trend: str


def _group_statistics(nonevents, events, total_nonevents, total_events, min_count):
    k = len(nonevents)
    cum_ne = np.concatenate(([0.0], np.cumsum(nonevents, dtype=float)))
    cum_e = np.concatenate(([0.0], np.cumsum(events, dtype=float)))
    # [i, j] = statistics of the group made of pre-bins i .. j-1
    ne = cum_ne[None, :] - cum_ne[:, None]
    ev = cum_e[None, :] - cum_e[:, None]
    upper = np.triu(np.ones((k + 1, k + 1), dtype=bool), k=1)
    feasible = upper & (ne + ev >= min_count) & (ne > 0) & (ev > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_ne = ne / total_nonevents
        p_e = ev / total_events
        woe = np.log(p_ne / p_e)
        iv = (p_ne - p_e) * woe
    woe = np.where(feasible, woe, np.nan)
    iv = np.where(feasible, iv, -np.inf)
    return woe, iv, feasible


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
    trend : {"ascending", "descending", "none"}
        Required direction of WoE from the first to the last group (strict).

    Returns
    -------
    PartitionResult or None
        ``None`` when no feasible partition exists (e.g. every group would lack events).
    """
    if trend not in TRENDS:
        raise ValueError(f"trend must be one of {TRENDS}, got {trend!r}")
    nonevents = np.asarray(nonevents, dtype=float)
    events = np.asarray(events, dtype=float)
    k = len(nonevents)
    if k == 0:
        return None
    woe, iv, feasible = _group_statistics(nonevents, events, total_nonevents, total_events, min_count)
    max_bins = int(max(1, min(max_bins, k)))

    # allowed[h, i, j]: group (i, j) may follow group (h, i)
    if trend == "ascending":
        allowed = woe[:, :, None] < woe[None, :, :]
    elif trend == "descending":
        allowed = woe[:, :, None] > woe[None, :, :]
    else:
        allowed = feasible[:, :, None] & feasible[None, :, :]
    # comparisons with NaN are False, so infeasible groups are excluded automatically

    best = np.full((max_bins + 1, k + 1, k + 1), -np.inf)
    back = np.zeros((max_bins + 1, k + 1, k + 1), dtype=np.int64)
    best[1, 0, :] = iv[0, :]
    for m in range(2, max_bins + 1):
        candidates = np.where(allowed, best[m - 1][:, :, None], -np.inf)
        arg = candidates.argmax(axis=0)
        value = np.take_along_axis(candidates, arg[None, :, :], axis=0)[0]
        best[m] = np.where(feasible & np.isfinite(value), value + iv, -np.inf)
        back[m] = arg

    final = best[:, :, k]  # (m, i)
    if not np.isfinite(final).any():
        return None
    # ties: argmax over the flattened (m, i) prefers fewer groups
    m, i = np.unravel_index(np.argmax(final), final.shape)
    objective = float(final[m, i])
    boundaries = [k]
    j = k
    while m >= 1:
        boundaries.append(int(i))
        if m == 1:
            break
        h = back[m, i, j]
        j, i, m = i, h, m - 1
    boundaries.reverse()
    return PartitionResult(boundaries=tuple(boundaries), iv=objective, trend=trend)
