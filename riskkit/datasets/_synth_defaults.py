"""Monthly simulation of defaults: stand-alone hazard plus contagion along relations.

Stand-alone defaults
    Each calendar year ``y`` has a systematic factor per industry,
    :math:`Z_{k,y} = \\sqrt{1/2}\\,G_y + \\sqrt{1/2}\\,I_{k,y}` (a global and an industry
    part, both standard normal).  A customer's PD in year ``y`` is the Vasicek (2002)
    conditional PD

    .. math:: PD_{i,y} = \\Phi\\left(\\frac{\\Phi^{-1}(PD_i) - \\sqrt{\\rho}\\,Z_{k(i),y}}
              {\\sqrt{1-\\rho}}\\right),

    whose expectation over ``Z`` is the stand-alone PD ``PD_i``, and the monthly hazard is
    :math:`h = 1 - (1 - PD_{i,y})^{1/12}`.

Contagion
    When customer ``j`` defaults on day ``t_j``, every channel ``j -> i`` in force on
    ``t_j`` hits ``i``; the hits of one step add up to an intensity ``x_i`` (a sparse
    matrix-vector product) and ``i`` defaults by contagion with probability
    :math:`1 - e^{-x_i}` (an independent-cascade model, Kempe, Kleinberg & Tardos 2003,
    with exposure-proportional rates), after a delay: 95-270 days when its default will
    show as 90 days past due (it has to stop paying after the trigger), 20-180 days
    otherwise.  Contagion defaults can trigger further ones (cascades).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import special

from . import _synth_vocab as V
from ._synth_customers import Population
from ._synth_network import Network
from ._synth_util import NO_DAY, month_grid, year_of

DPD90, BANKRUPTCY, WRITE_OFF = range(3)


@dataclass
class DefaultPaths:
    default_day: np.ndarray  # NO_DAY if no default in the window
    reason: np.ndarray  # 0 dpd90, 1 bankruptcy, 2 write_off, -1 none
    contagion: np.ndarray
    trigger: np.ndarray  # customer whose default induced this one, -1 if none
    distress_start: np.ndarray  # start of the pre-default deterioration, NO_DAY if none
    cycle_factor: np.ndarray  # (n_years, n_industries) systematic factors Z_{k,y}
    years: np.ndarray
    spell_center: np.ndarray  # temporary stress spell: center day, half width, height
    spell_half_width: np.ndarray
    spell_height: np.ndarray


def simulate_defaults(pop: Population, net: Network, rng: np.random.Generator, opts,
                      start_day: int, end_day: int) -> DefaultPaths:
    n = pop.n
    month_lo, month_hi = month_grid(start_day, end_day)
    years = np.arange(year_of(start_day).item(), year_of(end_day).item() + 1)
    rho = opts.cycle_correlation
    global_f = rng.standard_normal(len(years))
    industry_f = rng.standard_normal((len(years), len(V.INDUSTRY_NAMES)))
    cycle = np.sqrt(0.5) * global_f[:, None] + np.sqrt(0.5) * industry_f
    z = cycle[:, pop.industry]  # (years, n)
    pd_year = special.ndtr((special.ndtri(pop.true_pd)[None, :] - np.sqrt(rho) * z) / np.sqrt(1.0 - rho))
    hazard_year = 1.0 - (1.0 - pd_year) ** (1.0 / 12.0)

    p_mode = np.where(pop.individual[:, None], V.DEFAULT_MODE_P_INDIVIDUAL, V.DEFAULT_MODE_P_ENTERPRISE)
    mode = (rng.random(n)[:, None] > np.cumsum(p_mode, axis=1)).sum(axis=1)
    delay = np.where(mode == DPD90, rng.integers(95, 271, n), rng.integers(20, 181, n))

    default_day = np.full(n, NO_DAY, dtype=np.int64)
    contagion = np.zeros(n, dtype=bool)
    trigger = np.full(n, -1, dtype=np.int64)
    pending_day = np.full(n, NO_DAY, dtype=np.int64)
    pending_trigger = np.full(n, -1, dtype=np.int64)
    at_risk_from = np.maximum(pop.onboard_day, start_day)

    for m in range(len(month_lo)):
        lo, hi = month_lo[m], month_hi[m]
        y = year_of(lo).item() - years[0]
        alive = default_day == NO_DAY
        draw_u = rng.random(n)
        draw_day = rng.random(n)
        contagion_u = rng.random(n)
        active = alive & (at_risk_from < hi)
        first = np.maximum(lo, at_risk_from)
        # a hazard for the part of the month the customer is at risk
        exposure = np.clip((hi - first) / (month_hi[m] - month_lo[m]), 0.0, 1.0)
        standalone = active & (draw_u < hazard_year[y] * exposure)
        sa_day = np.where(standalone, first + (draw_day * np.maximum(hi - first, 1)).astype(np.int64), NO_DAY)
        due = alive & (pending_day < hi)
        ct_day = np.where(due, pending_day, NO_DAY)
        new_day = np.minimum(sa_day, ct_day)
        new = new_day != NO_DAY
        if not new.any():
            continue
        by_contagion = new & (ct_day <= sa_day)
        default_day[new] = new_day[new]
        contagion[by_contagion] = True
        trigger[by_contagion] = pending_trigger[by_contagion]

        # propagate: channels whose trigger defaulted this month and were in force then
        t_day = default_day[net.trigger]
        live = new[net.trigger] & (net.channel_start <= t_day) & (net.channel_end > t_day)
        if not live.any():
            continue
        hits = sp.csr_matrix(
            (net.intensity[live], (net.target[live], net.trigger[live])), shape=(n, n)
        )
        x = np.asarray(hits.sum(axis=1)).ravel()
        source = np.asarray(hits.argmax(axis=1)).ravel()
        # only customers already on the books are hit (their default must be in the ledger)
        struck = (x > 0) & (default_day == NO_DAY) & (contagion_u < -np.expm1(-x)) \
            & (at_risk_from <= default_day[source])
        when = np.full(n, NO_DAY, dtype=np.int64)
        when[struck] = default_day[source[struck]] + delay[struck]
        sooner = struck & (when < pending_day) & (when <= end_day)
        pending_day[sooner] = when[sooner]
        pending_trigger[sooner] = source[sooner]

    defaulted = default_day != NO_DAY
    # a dpd90 default needs an unpaid invoice issued after the ledger starts and after
    # onboarding; earlier ones become bankruptcy or write-off in their usual proportion
    last_issue = default_day - 90 - pop.terms
    too_early = defaulted & (mode == DPD90) & (last_issue < at_risk_from + 7)
    p_bankruptcy = p_mode[:, BANKRUPTCY] / (p_mode[:, BANKRUPTCY] + p_mode[:, WRITE_OFF])
    other = np.where(rng.random(n) < p_bankruptcy, BANKRUPTCY, WRITE_OFF)
    mode = np.where(too_early, other, mode)
    reason = np.where(defaulted, mode, -1)
    ramp = np.where(contagion, default_day[np.maximum(trigger, 0)], default_day - 365)
    distress_start = np.where(defaulted, ramp, NO_DAY)

    # temporary stress spells that heal: weak customers have them more often, so that
    # warning signals also fire for customers that do not default
    has_spell = rng.random(n) < 0.04 + 0.2 * special.ndtr(-pop.quality)
    spell_center = start_day + (rng.random(n) * (end_day - start_day)).astype(np.int64)
    spell_half_width = rng.integers(60, 181, n)
    spell_height = np.where(has_spell, rng.uniform(0.2, 0.6, n), 0.0)
    return DefaultPaths(default_day, reason, contagion, trigger, distress_start, cycle, years,
                        spell_center, spell_half_width, spell_height)


def distress(paths: DefaultPaths, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Pre-default deterioration in [0, 1] of ``customer`` on ``day``.

    ``((day - distress_start) / (default_day - distress_start))**2`` clipped to [0, 1]:
    zero until twelve months before a stand-alone default (or until the trigger's
    default for a contagion default), accelerating to one at the default; zero for
    customers that do not default.
    """
    start = paths.distress_start[customer]
    stop = paths.default_day[customer]
    has = stop != NO_DAY
    length = np.where(has, np.maximum(stop - start, 1), 1)
    frac = np.where(has, (day - np.where(has, start, 0)) / length, 0.0)
    return np.clip(frac, 0.0, 1.0) ** 2


def stress(paths: DefaultPaths, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Observable stress in [0, 1]: the larger of the pre-default :func:`distress` and a
    temporary spell ``height * max(0, 1 - |day - center| / half_width)``."""
    spell = paths.spell_height[customer] * np.clip(
        1.0 - np.abs(day - paths.spell_center[customer]) / paths.spell_half_width[customer], 0.0, 1.0
    )
    return np.maximum(distress(paths, customer, day), spell)
