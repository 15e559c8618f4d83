"""Relations of the synthetic portfolio and the contagion channels they open.

Parties are integer codes: customers ``0..n-1``, external parties (holding companies,
natural persons) ``n, n+1, ...``; they become ``customer_id`` / ``P000123`` strings only
when the relations table is assembled.  Directions follow ``riskkit.data.schemas``:
``shareholding``/``control`` src owns/controls dst, ``guarantee`` src guarantees dst's
debt, ``supply`` src supplies dst, ``common_director`` is symmetric.

Contagion channel intensities (the expected number of "hits" a target takes when the
trigger defaults; see :mod:`riskkit.datasets._synth_defaults` for how they are used):

* guarantee src->dst: dst's default calls the guarantee, ``k_g * amount / assets_src``;
* control owner->owned: the owner's default hits the subsidiary with ``k_down * share``
  and the subsidiary's default hits the owner with
  ``k_up * share * min(1, assets_owned / assets_owner)``;
* supply src->dst of volume ``v``: the buyer's default costs the supplier its
  receivables, ``k_s * v / revenue_src``; the supplier's default disrupts the buyer,
  ``k_s * v / revenue_dst``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._synth_customers import Population
from ._synth_util import NO_DAY

TYPE_NAMES = ("shareholding", "control", "guarantee", "supply", "common_director")
SHAREHOLDING, CONTROL, GUARANTEE, SUPPLY, COMMON_DIRECTOR = range(5)

K_GUARANTEE = 2.0
K_CONTROL_DOWN = 0.5
K_CONTROL_UP = 0.4
K_SUPPLY = 1.0


@dataclass
class Network:
    """Relation edges (party codes) and the customer-to-customer contagion channels."""

    src: np.ndarray
    dst: np.ndarray
    type: np.ndarray
    weight: np.ndarray
    start_day: np.ndarray  # NO_DAY: NaT (in force since before the data)
    end_day: np.ndarray  # NO_DAY: NaT (still in force)
    n_parties: int
    # contagion channels: trigger's default hits target with intensity w while in force
    trigger: np.ndarray
    target: np.ndarray
    intensity: np.ndarray
    channel_start: np.ndarray  # -inf-like when NaT
    channel_end: np.ndarray


def make_network(pop: Population, rng: np.random.Generator, opts, start_day: int, end_day: int) -> Network:
    """Draw ownership trees, guarantees (chains and circles), supply links and common
    directors, and derive the contagion channels between customers."""
    n = pop.n
    span = end_day - start_day
    parts: list[tuple] = []
    next_party = n + pop.n_external_parents

    def window_day(size):
        return start_day + (rng.random(size) * span).astype(np.int64)

    def dates(size, p_start, p_end):
        start = np.where(rng.random(size) < p_start, window_day(size), NO_DAY)
        base = np.where(start == NO_DAY, start_day, start)
        end = base + (rng.uniform(0.5, 3.0, size) * 365).astype(np.int64)
        end = np.where((rng.random(size) < p_end) & (end <= end_day), end, NO_DAY)
        return start, end

    # ownership trees: shareholding and control edges from the owner to the member
    owned = np.flatnonzero(pop.owner_party >= 0)
    owner = pop.owner_party[owned]
    share = pop.owner_share[owned]
    start, _ = dates(len(owned), 0.15, 0.0)
    no_end = np.full(len(owned), NO_DAY)
    parts.append((owner, owned, SHAREHOLDING, share, start, no_end))
    parts.append((owner, owned, CONTROL, share, start, no_end))

    # minority holders of group members: external persons, never pushing the total over 1
    minority = owned[(share < 1.0) & (rng.random(len(owned)) < 0.5)]
    rest = 1.0 - pop.owner_share[minority]
    m_share = np.floor(rng.uniform(0.2, 0.95, len(minority)) * rest * 1e4) / 1e4
    keep = m_share > 0
    minority, m_share = minority[keep], m_share[keep]
    holders = next_party + np.arange(len(minority))
    next_party += len(minority)
    start, end = dates(len(minority), 0.1, 0.1)
    parts.append((holders, minority, SHAREHOLDING, m_share, start, end))

    # cross-holdings: a customer holds a minority stake in a stand-alone enterprise
    alone = np.flatnonzero((pop.group < 0) & ~pop.individual)
    enterprises = np.flatnonzero(~pop.individual)
    stake = alone[rng.random(len(alone)) < 0.02]
    holder = enterprises[rng.integers(0, len(enterprises), len(stake))]
    keep = holder != stake
    stake, holder = stake[keep], holder[keep]
    start, end = dates(len(stake), 0.2, 0.05)
    parts.append((holder, stake, SHAREHOLDING, np.round(rng.uniform(0.05, 0.3, len(stake)), 4), start, end))

    # guarantees inside groups: parents guarantee subsidiaries (and a few the reverse)
    by_customer = owned[owner < n]
    parent = pop.owner_party[by_customer]
    down = rng.random(len(by_customer)) < 0.4
    up = rng.random(len(by_customer)) < 0.1
    amount_down = rng.uniform(0.05, 0.3, len(by_customer)) * pop.revenue[by_customer]
    amount_up = rng.uniform(0.05, 0.2, len(by_customer)) * pop.revenue[parent]
    start, end = dates(len(by_customer), 0.4, 0.1)
    parts.append((parent[down], by_customer[down], GUARANTEE, amount_down[down], start[down], end[down]))
    parts.append((by_customer[up], parent[up], GUARANTEE, amount_up[up], start[up], end[up]))

    # guarantee chains and circles among enterprises of one region
    region_sorted, region_start, region_count = _region_lists(rng, pop)
    n_chains = int(round(opts.guarantee_chains_per_1000 * n / 1000))
    chain_len = rng.integers(3, 6, n_chains)  # nodes: 3-5, i.e. 2-4 edges
    nodes = _region_picks(rng, pop, region_sorted, region_start, region_count, chain_len)
    c_src, c_dst = _consecutive(nodes, chain_len, closed=False)
    amount = rng.uniform(0.1, 0.6, len(c_src)) * np.minimum(pop.revenue[c_src], pop.revenue[c_dst])
    start, end = dates(len(c_src), 0.5, 0.15)
    parts.append((c_src, c_dst, GUARANTEE, amount, start, end))

    n_circles = int(round(opts.guarantee_circles_per_1000 * n / 1000))
    if n >= 20:
        n_circles = max(n_circles, 1)
    circle_len = rng.choice([2, 3, 4, 5], size=n_circles, p=[0.4, 0.3, 0.2, 0.1])
    circle_len = np.minimum(circle_len, max(int(region_count.max()), 2))
    nodes = _region_picks(rng, pop, region_sorted, region_start, region_count, circle_len)
    c_src, c_dst = _consecutive(nodes, circle_len, closed=True)
    amount = rng.uniform(0.1, 0.6, len(c_src)) * np.minimum(pop.revenue[c_src], pop.revenue[c_dst])
    start, _ = dates(len(c_src), 0.3, 0.0)
    parts.append((c_src, c_dst, GUARANTEE, amount, start, np.full(len(c_src), NO_DAY)))

    # supply links: src supplies dst
    n_supply = int(round(opts.supply_links_per_customer * n))
    s_src = enterprises[rng.integers(0, len(enterprises), n_supply)]
    s_dst = enterprises[rng.integers(0, len(enterprises), n_supply)]
    volume = rng.uniform(0.02, 0.25, n_supply) * np.minimum(pop.revenue[s_src], pop.revenue[s_dst])
    start, end = dates(n_supply, 0.3, 0.1)
    parts.append((s_src, s_dst, SUPPLY, volume, start, end))

    # common directors: half inside groups, half between enterprises of one region
    grouped = np.flatnonzero(pop.group >= 0)
    n_cd = int(round(0.04 * n))
    a = grouped[rng.integers(0, max(len(grouped), 1), n_cd)] if len(grouped) else np.zeros(0, np.int64)
    b = _group_partner(rng, pop, a)
    pairs2 = _region_picks(rng, pop, region_sorted, region_start, region_count, np.full(n_cd, 2))
    a = np.concatenate([a, pairs2[0::2]])
    b = np.concatenate([b, pairs2[1::2]])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    directors = 1.0 + (rng.random(len(lo)) < 0.2) + (rng.random(len(lo)) < 0.05)
    start, end = dates(len(lo), 0.2, 0.05)
    parts.append((lo, hi, COMMON_DIRECTOR, directors, start, end))

    src = np.concatenate([np.asarray(p[0], np.int64) for p in parts])
    dst = np.concatenate([np.asarray(p[1], np.int64) for p in parts])
    typ = np.concatenate([np.full(len(p[0]), p[2], np.int64) for p in parts])
    weight = np.concatenate([np.asarray(p[3], float) for p in parts])
    start = np.concatenate([np.asarray(p[4], np.int64) for p in parts])
    end = np.concatenate([np.asarray(p[5], np.int64) for p in parts])
    weight = np.where(typ == GUARANTEE, np.round(weight, -3), weight)
    weight = np.where(typ == SUPPLY, np.round(weight, -3), weight)

    # one row per (src, dst, type, start): the key of the relations table
    keep = src != dst
    key = np.stack([src, dst, typ, start])[:, keep]
    _, first = np.unique(key, axis=1, return_index=True)
    idx = np.flatnonzero(keep)[np.sort(first)]
    src, dst, typ, weight, start, end = src[idx], dst[idx], typ[idx], weight[idx], start[idx], end[idx]

    trigger, target, intensity, ch_start, ch_end = _channels(pop, src, dst, typ, weight, start, end, opts)
    return Network(src, dst, typ, weight, start, end, next_party, trigger, target, intensity, ch_start, ch_end)


def _channels(pop, src, dst, typ, weight, start, end, opts):
    n = pop.n
    between = (src < n) & (dst < n)
    s_safe, d_safe = np.minimum(src, n - 1), np.minimum(dst, n - 1)
    k = opts.contagion_strength
    g = between & (typ == GUARANTEE)
    c = between & (typ == CONTROL)
    s = between & (typ == SUPPLY)
    triggers = [dst[g], src[c], dst[c], dst[s], src[s]]
    targets = [src[g], dst[c], src[c], src[s], dst[s]]
    intensity = [
        K_GUARANTEE * weight[g] / pop.assets[s_safe[g]],
        K_CONTROL_DOWN * weight[c],
        K_CONTROL_UP * weight[c] * np.minimum(1.0, pop.assets[d_safe[c]] / pop.assets[s_safe[c]]),
        K_SUPPLY * weight[s] / pop.revenue[s_safe[s]],
        K_SUPPLY * weight[s] / pop.revenue[d_safe[s]],
    ]
    masks = [g, c, c, s, s]
    lo = np.iinfo(np.int64).min
    ch_start = np.concatenate([np.where(start[m] == NO_DAY, lo, start[m]) for m in masks])
    ch_end = np.concatenate([end[m] for m in masks])  # NO_DAY is +inf already
    return (np.concatenate(triggers), np.concatenate(targets), k * np.concatenate(intensity), ch_start, ch_end)


def _region_lists(rng, pop):
    """Enterprises sorted by region (random order inside), with per-region offsets."""
    ent = np.flatnonzero(~pop.individual)
    order = np.lexsort((rng.random(len(ent)), pop.region[ent]))
    region_sorted = ent[order]
    region_count = np.bincount(pop.region[ent], minlength=pop.region.max() + 1)
    region_start = np.concatenate([[0], np.cumsum(region_count)[:-1]])
    return region_sorted, region_start, region_count


def _region_picks(rng, pop, region_sorted, region_start, region_count, lengths):
    """For each requested set, ``lengths[k]`` distinct enterprises of one region.

    The region is that of a random enterprise; members are consecutive entries (modulo
    the region size) from a random offset of the region's shuffled list, hence distinct
    whenever the region holds at least ``lengths[k]`` enterprises.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(lengths) == 0:
        return np.zeros(0, dtype=np.int64)
    anchor = region_sorted[rng.integers(0, len(region_sorted), len(lengths))]
    r = pop.region[anchor]
    offset = rng.integers(0, np.iinfo(np.int64).max, len(lengths)) % region_count[r]
    set_id = np.repeat(np.arange(len(lengths)), lengths)
    step = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    where = region_start[r[set_id]] + (offset[set_id] + step) % region_count[r[set_id]]
    return region_sorted[where]


def _consecutive(nodes, lengths, closed: bool):
    """Edges node_j -> node_{j+1} inside each set (and last -> first when ``closed``)."""
    if len(nodes) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.cumsum(lengths) - lengths
    set_id = np.repeat(np.arange(len(lengths)), lengths)
    step = np.arange(len(nodes)) - starts[set_id]
    nxt = step + 1
    last = nxt == lengths[set_id]
    if closed:
        nxt = np.where(last, 0, nxt)
        keep = np.ones(len(nodes), dtype=bool)
    else:
        keep = ~last
    return nodes[keep], nodes[(starts[set_id] + np.minimum(nxt, lengths[set_id] - 1))[keep]]


def _group_partner(rng, pop, members):
    """Another member of the same group for each of ``members``."""
    if len(members) == 0:
        return members
    grouped = np.flatnonzero(pop.group >= 0)
    order = grouped[np.lexsort((pop.group_pos[grouped], pop.group[grouped]))]
    sizes = np.bincount(pop.group[grouped], minlength=pop.n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    g = pop.group[members]
    shift = 1 + (rng.random(len(members)) * (sizes[g] - 1)).astype(np.int64)
    return order[starts[g] + (pop.group_pos[members] + shift) % sizes[g]]
