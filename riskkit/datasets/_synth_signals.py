"""Noisy signals of credit quality: financial statements, bureau reports, events.

Each signal is a function of the latent quality ``q`` plus noise, shifted by the stress
``d`` before a default (see :func:`riskkit.datasets._synth_defaults.stress`).  Financial
statements use a slower two-year deterioration before stand-alone defaults and none
before contagion defaults (an external shock does not show in last year's accounts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import _synth_vocab as V
from ._synth_customers import Population
from ._synth_defaults import BANKRUPTCY, DefaultPaths, stress
from ._synth_util import NO_DAY, month_grid, year_of

#: logit shift of leverage by industry (real estate and construction run high gearing)
_LEVERAGE_SHIFT = {"real_estate": 0.8, "construction": 0.4, "energy": 0.2, "technology": -0.3, "healthcare": -0.2}
INDUSTRY_LEVERAGE_SHIFT = np.array([_LEVERAGE_SHIFT.get(name, 0.0) for name in V.INDUSTRY_NAMES])


@dataclass
class Financials:
    customer: np.ndarray
    period_end: np.ndarray
    published: np.ndarray
    columns: dict


def make_financials(pop: Population, paths: DefaultPaths, rng: np.random.Generator,
                    start_day: int, end_day: int) -> Financials:
    """Yearly statements (period end 31 December, published 90-150 days later).

    Statement quality ``qf = q + 0.3 e - 1.5 d2 - 0.8 spell`` (``d2`` rises linearly over
    the two years before a stand-alone default).  Ratios follow ``qf`` (higher is
    better):

    * leverage ``TL/TA = 1.1 * expit(-0.4 - 0.8 qf + shift_industry + 0.3 e)``;
    * current ratio ``exp(0.3 + 0.3 qf + 0.2 e)``;
    * EBIT margin ``margin_industry + 0.03 qf + 0.03 e``;
    * retained earnings / TA ``0.05 + 0.08 qf + 0.05 e`` (at most equity);
    * interest expense ``0.6 TL * U(3.5 %, 7 %)``; net income ``(EBIT - interest)``
      less 25 % tax on profits.
    """
    first_year = year_of(start_day).item() - 1
    last_year = year_of(end_day).item()
    years = np.arange(first_year, last_year + 1)
    period_end = np.array([np.datetime64(f"{y}-12-31").astype(np.int64) for y in years])
    ent = np.flatnonzero(~pop.individual)
    cust = np.repeat(ent, len(years))
    year = np.tile(years, len(ent))
    pe = np.tile(period_end, len(ent))
    published = pe + rng.integers(90, 151, len(cust))
    tau = paths.default_day[cust]
    keep = (
        (published <= end_day)
        & (pe >= pop.founded_day[cust] + 365)
        & (pe >= pop.onboard_day[cust] - 3 * 365)
        & ((tau == NO_DAY) | (pe < tau))
    )
    cust, year, pe, published = cust[keep], year[keep], pe[keep], published[keep]
    m = len(cust)

    tau = paths.default_day[cust]
    slow = (tau != NO_DAY) & ~paths.contagion[cust]
    d2 = np.where(slow, np.clip((pe - (np.where(slow, tau, 0) - 730)) / 730.0, 0.0, 1.0), 0.0)
    spell = stress(paths, cust, pe) * (tau == NO_DAY)
    qf = pop.quality[cust] + 0.3 * rng.standard_normal(m) - 1.5 * d2 - 0.8 * spell

    growth = rng.normal(1.05, 0.05, pop.n)
    revenue = (pop.revenue[cust] * growth[cust] ** (year - years[0] - 1)
               * rng.lognormal(0.0, 0.08, m) * (1.0 - 0.3 * d2))
    assets = pop.assets[cust] / pop.revenue[cust] * revenue * rng.lognormal(0.0, 0.05, m)
    ind = pop.industry[cust]
    leverage = 1.1 * special.expit(-0.4 - 0.8 * qf + INDUSTRY_LEVERAGE_SHIFT[ind] + 0.3 * rng.standard_normal(m))
    liabilities = leverage * assets
    equity = assets - liabilities
    current_assets = np.minimum(assets * V.INDUSTRY_CURRENT_ASSET_SHARE[ind] * rng.lognormal(0.0, 0.1, m), 0.95 * assets)
    current_ratio = np.exp(0.3 + 0.3 * qf + 0.2 * rng.standard_normal(m))
    current_liabilities = np.minimum(current_assets / current_ratio, liabilities)
    cash = current_assets * np.clip(0.15 + 0.05 * qf + 0.05 * rng.standard_normal(m), 0.01, 0.6)
    ebit = revenue * (V.INDUSTRY_EBIT_MARGIN[ind] + 0.03 * qf + 0.03 * rng.standard_normal(m))
    interest = 0.6 * liabilities * rng.uniform(0.035, 0.07, m)
    pre_tax = ebit - interest
    net_income = np.where(pre_tax > 0, 0.75 * pre_tax, pre_tax)
    retained = np.minimum(assets * (0.05 + 0.08 * qf + 0.05 * rng.standard_normal(m)), equity)

    columns = {
        "revenue": revenue, "ebit": ebit, "net_income": net_income, "total_assets": assets,
        "total_liabilities": liabilities, "current_assets": current_assets,
        "current_liabilities": current_liabilities, "retained_earnings": retained,
        "equity": equity, "cash": cash, "interest_expense": interest,
    }
    columns = {k: np.round(v, 2) for k, v in columns.items()}
    # keep the balance-sheet identity exact after rounding
    columns["equity"] = np.round(columns["total_assets"] - columns["total_liabilities"], 2)
    columns["retained_earnings"] = np.minimum(columns["retained_earnings"], columns["equity"])
    return Financials(cust, pe, published, columns)


@dataclass
class Bureau:
    customer: np.ndarray
    report_day: np.ndarray
    source: np.ndarray
    score: np.ndarray
    delinquencies: np.ndarray
    inquiries: np.ndarray


def make_bureau(pop: Population, paths: DefaultPaths, rng: np.random.Generator, opts,
                start_day: int, end_day: int) -> Bureau:
    """Quarterly reports from one or two bureaus (mid-quarter; ``bureau_b`` 10 days later).

    ``score = 620 + 60 q + b_source + 25 u_i + 20 e - 150 d`` clipped to [300, 900]
    (``u_i`` a persistent customer effect), 2 % missing (no hit);
    ``delinquencies ~ Poisson(0.1 exp(-0.8 q) + 3 d)``;
    ``inquiries ~ Poisson(0.5 + 0.3 exp(-0.5 q) + 4 d)``.
    Reports run from onboarding to 180 days after a default.
    """
    month_lo, _ = month_grid(start_day, end_day)
    month_of_year = month_lo.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    quarter_start = month_lo[month_of_year % 3 == 0]
    # bureau_a reports 44 days into each quarter, bureau_b 54 days
    src = np.repeat([0, 1], len(quarter_start))
    rep = np.concatenate([quarter_start + 44, quarter_start + 54])
    second = rng.random(pop.n) < opts.bureau_second_source_share
    cust = np.repeat(np.arange(pop.n), len(rep))
    src = np.tile(src, pop.n)
    rep = np.tile(rep, pop.n)
    tau = paths.default_day[cust]
    keep = (
        (rep >= pop.onboard_day[cust]) & (rep >= start_day) & (rep <= end_day)
        & ((tau == NO_DAY) | (rep <= tau + 180)) & ((src == 0) | second[cust])
    )
    cust, src, rep = cust[keep], src[keep], rep[keep]
    order = np.lexsort((src, rep, cust))
    cust, src, rep = cust[order], src[order], rep[order]
    m = len(cust)
    q = pop.quality[cust]
    d = stress(paths, cust, rep)
    bias = np.array([0.0, -15.0])[src]
    persistent = rng.standard_normal(pop.n)
    score = np.clip(np.rint(620 + 60 * q + bias + 25 * persistent[cust] + 20 * rng.standard_normal(m) - 150 * d), 300, 900)
    score[rng.random(m) < 0.02] = np.nan
    delinquencies = rng.poisson(0.1 * np.exp(-0.8 * q) + 3.0 * d)
    inquiries = rng.poisson(0.5 + 0.3 * np.exp(-0.5 * q) + 4.0 * d)
    return Bureau(cust, rep, src, score, delinquencies.astype(np.int64), inquiries.astype(np.int64))


@dataclass
class Events:
    customer: np.ndarray
    day: np.ndarray
    category: np.ndarray  # index into schemas.EVENT_CATEGORIES order used by the tables
    severity: np.ndarray
    source: np.ndarray  # str
    text: np.ndarray  # str


def make_events(pop: Population, paths: DefaultPaths, rng: np.random.Generator,
                start_day: int, end_day: int) -> Events:
    """Events per customer and month: Poisson with yearly rate
    ``base_c * size * exp(-k_c q) * (1 + (mult_c - 1) d)`` for each category ``c``
    (adverse categories are more frequent for weak and stressed customers, positive news
    less); severity ``base_c + round(1.5 d + 0.8 e)`` in [1, 5].  A bankruptcy default
    has a bankruptcy event (severity 5) on the default day.  Events run up to the default.
    """
    n = pop.n
    month_lo, month_hi = month_grid(start_day, end_day)
    stop = np.minimum(np.where(paths.default_day == NO_DAY, end_day + 1, paths.default_day + 1), end_day + 1)
    lo = np.broadcast_to(month_lo[None, :], (n, len(month_lo)))
    hi = np.minimum(month_hi[None, :], stop[:, None])
    length = np.maximum(hi - lo, 0)
    cust_grid = np.broadcast_to(np.arange(n)[:, None], lo.shape)
    d = stress(paths, cust_grid, lo + length // 2)
    size = np.where(pop.individual, 0.3, (pop.revenue / np.median(pop.revenue)) ** 0.2)
    base = size[:, None] * (length / 365.25)
    q = pop.quality[:, None]

    parts = []
    for c, (name, rate, k, mult, sev, source, texts) in enumerate(V.EVENT_CATEGORIES):
        lam = rate * base * np.exp(-k * q) * np.clip(1.0 + (mult - 1.0) * d, 0.0, None)
        counts = rng.poisson(lam).ravel()
        cell = np.repeat(np.arange(lam.size), counts)
        cust = cell // len(month_lo)
        day = lo.ravel()[cell] + (rng.random(len(cell)) * length.ravel()[cell]).astype(np.int64)
        d_ev = d.ravel()[cell]
        severity = np.clip(sev + np.rint(1.5 * d_ev + 0.8 * rng.standard_normal(len(cell))), 1, 5)
        if name == "positive_news":
            severity = np.ones(len(cell))
        text = np.asarray(texts, dtype=object)[rng.integers(0, len(texts), len(cell))]
        parts.append((cust, day, np.full(len(cell), name, dtype=object), severity,
                      np.full(len(cell), source, dtype=object), text))

    bk = np.flatnonzero(paths.reason == BANKRUPTCY)
    parts.append((bk, paths.default_day[bk], np.full(len(bk), "bankruptcy", dtype=object), np.full(len(bk), 5.0),
                  np.full(len(bk), V.BANKRUPTCY_SOURCE, dtype=object),
                  np.asarray(V.BANKRUPTCY_TEXTS, dtype=object)[rng.integers(0, len(V.BANKRUPTCY_TEXTS), len(bk))]))
    cust, day, category, severity, source, text = (np.concatenate([p[i] for p in parts]) for i in range(6))
    order = np.lexsort((day, cust))
    return Events(cust[order], day[order], category[order], severity[order].astype(np.int64),
                  source[order], text[order])
