r"""Credit limit and payment terms decisions of the synthetic portfolio.

Each customer gets a decision history from its onboarding on (before the data window for
most customers), the way a credit department keeps one.  Every limit comes from one
needs-based formula with a buffer for lumpy orders:

.. math::

    N = \hat S\, \frac{T + 30 + \delta(r)}{365}, \qquad
    L = m(r)\, \max\left(N + z \sqrt{e^{\sigma^2} N \hat v},\; 2.5\, \hat v\right),
    \qquad m(r) = \min\left(\max\left(M e^{0.25 r}, 0.5\right), 2\right)

``N`` is the mean exposure (expected purchases :math:`\hat S` a year, outstanding for the
terms ``T``, a month from order to invoice and the days beyond terms
:math:`\delta(r) = 1.5 + 7 e^{-0.7 r}` a customer of rating ``r`` takes, as in the
ledger); purchases come as ``lambda`` orders of mean :math:`\hat v` and log-normal
spread :math:`\sigma = 0.6` in that time, a compound Poisson sum with variance
:math:`\lambda E[X^2] = e^{\sigma^2} N \hat v` (e.g. Klugman, Panjer & Willmot, *Loss
Models*, chapter on aggregate losses), and the limit covers ``z = 1`` standard deviation
above the mean, or 2.5 typical orders for customers who order rarely; the rating
multiplier ``m`` (``M = 0.95``) gives weaker customers less room.  Limits are rounded to two significant digits and are
at least 10,000.  :math:`\hat S` and :math:`\hat v` are the customer's true purchases
(a share of its revenue, i.e. its size) with a log-normal estimation error of 35 % at
onboarding and 10 % at later decisions (the purchase history is known by then).  The
rating is the latent quality seen through a persistent analyst error, the stress a month
earlier (late payment, adverse news and falling orders show with a lag) and noise:
:math:`r(t) = q + a_i - 2.5\, d(t - 30) + 0.2\, \varepsilon` with ``d`` the stress of
:func:`riskkit.datasets._synth_defaults.stress`.

* **onboarding**: the formula; 2 % of the limits (8 % for SOEs) are set 1.5-2.5 times
  higher by the credit committee (``override``).
* **periodic_review**: annually, every six months for weaker customers (rating at
  onboarding below -0.5) and quarterly for the weakest (below -1.3).  The formula is
  re-run; between 0.7 and 1.25 times the current limit confirms it, otherwise the limit
  moves towards the formula by at most +30 % or -40 % (limits move moderately).  While a
  cut after deterioration is in force a review can only lower the limit; 1 % of reviews
  are committee overrides.
* **deterioration**: when the stress first exceeds a customer-specific threshold
  ``U(0.25, 0.45)`` (7-45 days later, when the late payments are noticed) the limit is
  cut to 35-65 % of what it was (possibly below 10,000) and the payment terms are
  shortened by one step (90 -> 60 -> 45 -> 30 days); a second cut follows when the
  stress exceeds the threshold plus 0.3.  Defaulters cross these thresholds in their
  last months; customers with a temporary stress spell that heals cross them too (false
  alarms).
* **improvement**: 30-120 days after such a spell has faded (stress below half the
  threshold) the limit is restored to its level before the cut.  Terms stay shortened:
  terms only ever shorten after onboarding.
* **request**: customers ask for more about once every seven years (Poisson); a request
  is granted (+20 % to +60 %) when the current rating is above -0.5 and no cut is in
  force, otherwise it leaves no decision.
* **default**: 1-5 days after a default the line is withdrawn (limit 0, terms kept); no
  decision follows.  The limit on the default day itself is the one before.

At most one decision per customer and day (the more urgent one is kept: default,
deterioration, improvement, request, review).  The analyst looking after the customer
signs, a regional manager above 2 million and for withdrawals, the credit committee above
20 million and for overrides.  Every step is vectorised over customers; the only Python
loop runs over the position of a decision in its customer's history.  The ledger
(:mod:`._synth_ledger`) then holds orders against these limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import _synth_vocab as V
from ._synth_customers import ORDER_SIGMA, Population, order_rates
from ._synth_defaults import DefaultPaths, stress
from ._synth_util import NO_DAY, segment_starts

#: decision reasons, in the order of ``riskkit.data.schemas.CREDIT_DECISION_REASONS``
ONBOARDING, REVIEW, DETERIORATION, IMPROVEMENT, OVERRIDE, REQUEST, DEFAULT = range(7)
#: which of two candidates on the same day is kept (higher wins)
_PRIORITY = np.array([7, 2, 5, 4, 2, 3, 6])

MIN_LIMIT = 10_000.0
#: multiplier of the needs-based limit at rating 0
LIMIT_MULTIPLIER = 0.95
#: standard deviations of exposure the limit covers above the mean
LUMP_Z = 1.0
#: days from order to invoice (deliveries) during which an order counts as exposure
ORDER_TO_INVOICE_DAYS = 30
#: a limit covers at least this many typical orders (customers who order rarely)
LARGEST_ORDERS = 2.5
#: review interval (days) by rating tier at onboarding, and the tier bounds
REVIEW_INTERVAL_DAYS = np.array([365, 182, 91])
REVIEW_TIER_BOUNDS = (-0.5, -1.3)
#: requests for a higher limit per customer-year
REQUEST_RATE = 0.15
#: staff: credit analysts (one looks after each customer) and managers; the committee
#: decides large limits and overrides
N_ANALYSTS, N_MANAGERS = 12, 4
MANAGER_LIMIT, COMMITTEE_LIMIT = 2e6, 2e7


@dataclass
class Decisions:
    """Decisions sorted by customer and day (one per customer and day)."""

    customer: np.ndarray
    day: np.ndarray
    limit: np.ndarray
    terms: np.ndarray
    reason: np.ndarray
    decided_by: np.ndarray  # object array of str

    def in_force(self, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Row of the decision in force for ``customer`` on ``day`` (the latest effective
        on or before it); -1 where the customer has none yet."""
        key = _key(self.customer, self.day)
        at = np.searchsorted(key, _key(customer, day), side="right") - 1
        found = at >= 0
        found[found] = self.customer[at[found]] == np.asarray(customer)[found]
        return np.where(found, at, -1)

    def terms_at(self, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Payment terms in force (every customer has a decision from its onboarding)."""
        return self.terms[self._require(customer, day)]

    def limit_at(self, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
        return self.limit[self._require(customer, day)]

    def _require(self, customer, day) -> np.ndarray:
        at = self.in_force(customer, day)
        if (at < 0).any():
            raise AssertionError("a record is dated before its customer's onboarding decision")
        return at


def _key(customer, day) -> np.ndarray:
    # days are far inside +-2**30 (years 1970 +- 2.9 million)
    return np.asarray(customer, dtype=np.int64) * 2**32 + (np.asarray(day, dtype=np.int64) + 2**30)


def nice_round(values: np.ndarray) -> np.ndarray:
    """Round to two significant digits (1,234,567 -> 1,200,000), as limits are written."""
    values = np.asarray(values, dtype=np.float64)
    positive = values > 0
    exponent = np.floor(np.log10(np.where(positive, values, 1.0))) - 1
    scale = 10.0 ** exponent
    return np.where(positive, np.round(values / scale) * scale, 0.0)


def shorter_terms(terms: np.ndarray) -> np.ndarray:
    """One step shorter on the terms scale (30 stays 30)."""
    steps = V.PAYMENT_TERMS_DAYS
    at = np.searchsorted(steps, terms)
    return np.where(terms > steps[0], steps[np.maximum(at - 1, 0)], terms)


def make_decisions(pop: Population, paths: DefaultPaths, rng: np.random.Generator, opts,
                   start_day: int, end_day: int) -> Decisions:
    n = pop.n
    tau = paths.default_day
    # decisions other than the withdrawal come before the default and inside the data
    stop = np.where(tau == NO_DAY, end_day + 1, np.minimum(tau, end_day + 1))
    onboard = pop.onboard_day
    analyst_bias = 0.4 * rng.standard_normal(n)

    # ---- candidate decisions: (customer, day, kind)
    parts = [(np.arange(n), onboard, np.full(n, ONBOARDING))]

    r0 = pop.quality + analyst_bias  # rating at onboarding (no stress known yet)
    tier = (r0 < REVIEW_TIER_BOUNDS[0]).astype(np.int64) + (r0 < REVIEW_TIER_BOUNDS[1])
    interval = REVIEW_INTERVAL_DAYS[tier]
    n_reviews = np.maximum((stop - 8 - onboard) // interval, 0)
    cust = np.repeat(np.arange(n), n_reviews)
    k = np.arange(len(cust)) - np.repeat(segment_starts(n_reviews), n_reviews) + 1
    day = onboard[cust] + k * interval[cust] + rng.integers(-7, 8, len(cust))
    parts.append((cust, day, np.full(len(cust), REVIEW)))

    theta = rng.uniform(0.25, 0.45, n)
    first = _stress_trigger(pop, paths, theta, rng.integers(7, 46, n))
    second = _stress_trigger(pop, paths, theta + 0.3, rng.integers(7, 46, n))
    ok1 = (first >= onboard + 30) & (first < stop)
    ok2 = ok1 & (second > first + 14) & (second < stop)
    parts.append((np.flatnonzero(ok1), first[ok1], np.full(int(ok1.sum()), DETERIORATION)))
    parts.append((np.flatnonzero(ok2), second[ok2], np.full(int(ok2.sum()), DETERIORATION)))

    # a spell that fades: restore once stress is below half the threshold again
    h, c, w = paths.spell_height, paths.spell_center, paths.spell_half_width
    faded = c + np.floor(w * (1.0 - 0.5 * theta / np.where(h > 0, h, 1.0))).astype(np.int64)
    back = np.maximum(faded + rng.integers(30, 121, n), first + 60)
    calm = stress(paths, np.arange(n), np.minimum(back, end_day)) < 0.5 * theta
    ok3 = ok1 & (h > theta) & calm & (back < stop)
    parts.append((np.flatnonzero(ok3), back[ok3], np.full(int(ok3.sum()), IMPROVEMENT)))

    years = np.maximum(stop - onboard - 90, 0) / 365.25
    n_requests = rng.poisson(REQUEST_RATE * years)
    cust = np.repeat(np.arange(n), n_requests)
    day = onboard[cust] + 90 + (rng.random(len(cust)) * (stop[cust] - onboard[cust] - 90)).astype(np.int64)
    parts.append((cust, day, np.full(len(cust), REQUEST)))

    defaulted = np.flatnonzero(tau <= end_day)
    withdrawn = np.maximum(tau[defaulted] + rng.integers(1, 6, len(defaulted)), onboard[defaulted] + 1)
    parts.append((defaulted, np.minimum(withdrawn, end_day), np.full(len(defaulted), DEFAULT)))

    cust, day, kind = (np.concatenate([p[i] for p in parts]).astype(np.int64) for i in range(3))
    order = np.lexsort((-_PRIORITY[kind], day, cust))
    cust, day, kind = cust[order], day[order], kind[order]
    first_of_day = np.r_[True, (cust[1:] != cust[:-1]) | (day[1:] != day[:-1])]
    cust, day, kind = cust[first_of_day], day[first_of_day], kind[first_of_day]
    m = len(cust)

    # ---- what the formula says on each candidate's day (no dependence between rows)
    noise = np.where(kind == ONBOARDING, 0.35 * special.ndtri(np.clip(pop.limit_noise[cust], 1e-9, 1 - 1e-9)),
                     0.10 * rng.standard_normal(m))
    rating = (pop.quality[cust] + analyst_bias[cust] - 2.5 * stress(paths, cust, day - 30)
              + 0.2 * rng.standard_normal(m))
    _, order_value = order_rates(pop, opts.invoices_per_year)
    # expected days beyond terms at this rating (the ledger's payment habit at quality r)
    late = 1.5 + 7.0 * np.exp(-0.7 * np.clip(rating, -3.0, 3.0))
    need = pop.annual_sales[cust] * np.exp(noise) * (pop.terms[cust] + ORDER_TO_INVOICE_DAYS + late) / 365.0
    buffer = LUMP_Z * np.sqrt(np.exp(ORDER_SIGMA**2) * need * order_value[cust] * np.exp(noise))
    multiplier = np.clip(LIMIT_MULTIPLIER * np.exp(0.25 * rating), 0.5, 2.0)
    largest = LARGEST_ORDERS * order_value[cust] * np.exp(noise)
    formula = np.maximum(nice_round(multiplier * np.maximum(need + buffer, largest)), MIN_LIMIT)
    soe = np.isin(pop.ownership[cust], [V.OWNERSHIP_NAMES.index("central_soe"),
                                        V.OWNERSHIP_NAMES.index("local_soe")])
    overridden = ((kind == ONBOARDING) & (rng.random(m) < 0.02 + 0.06 * soe)) \
        | ((kind == REVIEW) & (rng.random(m) < 0.01))
    override_factor = rng.uniform(1.5, 2.5, m)
    cut_factor = rng.uniform(0.35, 0.65, m)
    raise_factor = rng.uniform(1.2, 1.6, m)

    # ---- the history, one decision position at a time (each depends on the previous)
    limit = np.zeros(m)
    terms = np.zeros(m, dtype=np.int64)
    reason = kind.copy()
    kept = np.ones(m, dtype=bool)
    counts = np.bincount(cust, minlength=n)
    starts = segment_starts(counts)
    cur_limit = np.zeros(n)
    cur_terms = pop.terms.astype(np.int64).copy()
    is_cut = np.zeros(n, dtype=bool)
    before_cut = np.zeros(n)
    for pos in range(int(counts.max()) if n else 0):
        who = np.flatnonzero(counts > pos)
        j = starts[who] + pos
        kd, old, f = kind[j], cur_limit[who], formula[j]
        new = old.copy()
        new_terms = cur_terms[who].copy()

        at = kd == ONBOARDING
        new[at] = np.where(overridden[j[at]], nice_round(f[at] * override_factor[j[at]]), f[at])

        at = (kd == REVIEW) & overridden[j]
        new[at] = np.maximum(old[at], nice_round(f[at] * override_factor[j[at]]))
        at = (kd == REVIEW) & ~overridden[j]
        moved = np.clip(f[at], 0.6 * old[at], 1.3 * old[at])
        moved = np.where(is_cut[who[at]], np.minimum(moved, old[at]), moved)
        small = (f[at] >= 0.7 * old[at]) & (f[at] <= 1.25 * old[at])
        new[at] = np.where(small, old[at], np.maximum(nice_round(moved), MIN_LIMIT))

        at = kd == DETERIORATION
        before_cut[who[at]] = np.where(is_cut[who[at]], before_cut[who[at]], old[at])
        is_cut[who[at]] = True
        new[at] = nice_round(old[at] * cut_factor[j[at]])  # a cut may go below the smallest limit granted
        new_terms[at] = shorter_terms(new_terms[at])

        at = kd == IMPROVEMENT
        restore = at & is_cut[who]
        new[restore] = np.maximum(old[restore], before_cut[who[restore]])
        is_cut[who[restore]] = False
        kept[j[at & ~restore]] = False

        at = kd == REQUEST
        granted = at & ~is_cut[who] & (rating[j] > -0.5)
        new[granted] = nice_round(old[granted] * raise_factor[j[granted]])
        kept[j[at & ~granted]] = False

        at = kd == DEFAULT
        new[at] = 0.0

        limit[j], terms[j] = new, new_terms
        cur_limit[who], cur_terms[who] = new, new_terms
    reason[overridden] = OVERRIDE

    cust, day, limit, terms, reason = cust[kept], day[kept], limit[kept], terms[kept], reason[kept]
    return Decisions(cust, day, limit, terms, reason, _decided_by(rng, pop, cust, limit, reason))


def _stress_trigger(pop: Population, paths: DefaultPaths, level: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Day the stress first reaches ``level`` plus a reaction ``lag``; NO_DAY if never.

    Stress is the larger of the pre-default distress ``((t - s) / (tau - s))**2`` and a
    spell ``h (1 - |t - c| / w)``, so its first crossing is the earlier of theirs (closed
    forms, no search over days).
    """
    tau, s0 = paths.default_day, paths.distress_start
    has = (tau != NO_DAY) & (level <= 1)
    ramp = np.where(has, tau - s0, 0)
    up_distress = np.where(has, s0 + np.ceil(np.sqrt(np.minimum(level, 1)) * ramp).astype(np.int64), NO_DAY)
    h, c, w = paths.spell_height, paths.spell_center, paths.spell_half_width
    spells = h > level
    before_peak = np.floor(w * (1.0 - level / np.where(spells, h, 1.0))).astype(np.int64)
    up_spell = np.where(spells, c - before_peak, NO_DAY)
    up = np.minimum(up_distress, up_spell)
    return np.where(up == NO_DAY, NO_DAY, up + lag)


def _decided_by(rng: np.random.Generator, pop: Population, cust: np.ndarray, limit: np.ndarray,
                reason: np.ndarray) -> np.ndarray:
    """Who signs: the customer's analyst, a regional manager above 2 million and for
    withdrawals, the credit committee above 20 million and for overrides."""
    analyst = rng.integers(1, N_ANALYSTS + 1, pop.n)[cust]
    manager = pop.region[cust] % N_MANAGERS + 1
    names = np.array([f"credit_analyst_{i:02d}" for i in range(N_ANALYSTS + 1)]
                     + [f"credit_manager_{i:02d}" for i in range(N_MANAGERS + 1)]
                     + ["credit_committee"], dtype=object)
    who = analyst
    to_manager = (limit > MANAGER_LIMIT) | (reason == DEFAULT)
    who = np.where(to_manager, N_ANALYSTS + 1 + manager, who)
    to_committee = ((limit > COMMITTEE_LIMIT) & (reason != DEFAULT)) | (reason == OVERRIDE)
    who = np.where(to_committee, len(names) - 1, who)
    return names[who]
