r"""Customer population of the synthetic portfolio: attributes, groups, latent quality, PD.

The latent credit quality follows a multi-factor Gaussian model (Vasicek 2002; the
"asset value" of Merton 1974 in standardised form):

.. math::

    q_i = \mu_{ind(i)} + \mu_{reg(i)} + \mu_{own(i)} + \gamma\, s_i
          + \sqrt{\rho_I} Z_{ind(i)} + \sqrt{\rho_R} Z_{reg(i)}
          + \sqrt{\rho_G} Z_{grp(i)} + \sqrt{1-\rho_I-\rho_R-\rho_G}\,\varepsilon_i
          - 0.3\, n_i

with standard normal industry, region, group and idiosyncratic factors, ``s_i`` the
standardised log size (``gamma = 0.15``), ``rho_G = 0`` outside groups and ``n_i = 1``
for customers onboarded during the data window (new relationships are riskier).  The
true stand-alone annual PD is the probit link :math:`PD_i = \Phi(\alpha - \beta q_i)`,
with ``alpha`` solved so that the mean PD of the book equals the target default rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from . import _synth_vocab as V
from ._synth_util import NO_DAY, choose, str_concat

#: factor loadings (shares of variance) of industry, region and group
RHO_INDUSTRY = 0.10
RHO_REGION = 0.05
RHO_GROUP = 0.25
#: PD floor and cap keep the probit tails inside what a rating scale can express
PD_FLOOR = 0.0003
PD_CAP = 0.60
#: customers onboarded during the window are weaker on average (new relationships are
#: riskier), which also keeps the book's default rate from drifting down as the weakest
#: customers leave by default
NEW_RELATIONSHIP_SHIFT = -0.3


@dataclass
class Population:
    """Static per-customer arrays (index = customer number) and the group structure."""

    n: int
    individual: np.ndarray
    industry: np.ndarray
    region: np.ndarray
    ownership: np.ndarray
    state_pct: np.ndarray
    revenue: np.ndarray
    assets: np.ndarray
    size_std: np.ndarray
    founded_day: np.ndarray
    onboard_day: np.ndarray
    terms: np.ndarray
    annual_sales: np.ndarray
    limit_noise: np.ndarray  # U(0, 1): onboarding estimate of annual_sales
    registered_capital: np.ndarray
    # groups: -1 outside a group
    group: np.ndarray
    group_pos: np.ndarray
    group_is_root: np.ndarray
    owner_party: np.ndarray  # party code of the controlling owner, -1 if none
    owner_share: np.ndarray
    n_groups: int
    n_external_parents: int
    # latent quality and its parts
    quality: np.ndarray
    industry_factor: np.ndarray
    region_factor: np.ndarray
    group_factor: np.ndarray
    idiosyncratic: np.ndarray
    true_pd: np.ndarray
    pd_intercept: float


def make_population(n: int, rng: np.random.Generator, opts, start_day: int, end_day: int) -> Population:
    """Draw every static attribute of ``n`` customers."""
    individual = rng.random(n) < opts.share_individual
    industry = rng.choice(len(V.INDUSTRY_NAMES), size=n, p=V.INDUSTRY_SHARE)
    region = rng.choice(len(V.REGION_NAMES), size=n, p=V.REGION_SHARE)
    ownership = rng.choice(len(V.OWNERSHIP_SHARE), size=n, p=V.OWNERSHIP_SHARE)
    ownership[individual] = V.INDIVIDUAL

    enterprises = np.flatnonzero(~individual)
    n_grouped = min(int(round(opts.group_share * n)), len(enterprises))
    groups = _form_groups(rng, enterprises, n_grouped, n)
    group, group_pos, group_is_root, owner_party, owner_share, n_groups, n_ext = groups

    # group members mostly share the parent's ownership type, region and industry
    member = group >= 0
    first_of_group = np.full(max(n_groups, 1), -1, dtype=np.int64)
    first_of_group[group[member & (group_pos == 0)]] = np.flatnonzero(member & (group_pos == 0))
    lead = np.where(member, first_of_group[np.maximum(group, 0)], -1)
    for attr, p in ((ownership, 0.8), (region, 0.7), (industry, 0.5)):
        inherit = member & (rng.random(n) < p)
        attr[inherit] = attr[lead[inherit]]

    state_pct = _state_share(rng, ownership)

    # size: annual revenue in CNY, log-normal; SOEs and group parents are larger
    log_rev = np.log(30e6) + 1.2 * rng.standard_normal(n) + np.log(V.OWNERSHIP_SIZE_MULT[ownership])
    log_rev[group_is_root] += np.log(4.0)
    log_rev[individual] = np.log(0.5e6) + 0.5 * rng.standard_normal(int(individual.sum()))
    revenue = np.exp(log_rev)
    assets = revenue / V.INDUSTRY_ASSET_TURNOVER[industry] * np.exp(0.2 * rng.standard_normal(n))
    ent = ~individual
    size_std = np.zeros(n)
    if ent.sum() > 1:
        size_std[ent] = (log_rev[ent] - log_rev[ent].mean()) / log_rev[ent].std()

    # onboarding and founding dates
    span = end_day - start_day
    during = rng.random(n) < opts.share_onboarded_during
    age_days = (365.25 * (0.3 + rng.gamma(2.0, 5.0, n))).astype(np.int64)
    founded_day = np.where(individual, NO_DAY, start_day - age_days)
    history = np.minimum(age_days, 3653)
    onboard_before = start_day - 1 - (rng.random(n) * np.where(individual, 3653, history)).astype(np.int64)
    onboard_during = start_day + (rng.random(n) * max(span - 180, 1)).astype(np.int64)
    onboard_day = np.where(during, onboard_during, onboard_before)

    # latent quality
    z_industry = rng.standard_normal(len(V.INDUSTRY_NAMES))
    z_region = rng.standard_normal(len(V.REGION_NAMES))
    z_group = rng.standard_normal(max(n_groups, 1))
    eps = rng.standard_normal(n)
    industry_factor = z_industry[industry]
    region_factor = z_region[region]
    group_factor = np.where(member, z_group[np.maximum(group, 0)], np.nan)
    rho_g = np.where(member, RHO_GROUP, 0.0)
    quality = (
        V.INDUSTRY_QUALITY_SHIFT[industry]
        + V.REGION_QUALITY_SHIFT[region]
        + V.OWNERSHIP_QUALITY_SHIFT[ownership]
        + 0.15 * size_std
        + np.sqrt(RHO_INDUSTRY) * industry_factor
        + np.sqrt(RHO_REGION) * region_factor
        + np.sqrt(rho_g) * np.nan_to_num(group_factor)
        + np.sqrt(1.0 - RHO_INDUSTRY - RHO_REGION - rho_g) * eps
        + NEW_RELATIONSHIP_SHIFT * during
    )
    true_pd, alpha = calibrate_pd(quality, opts.pd_slope, opts.target_default_rate)

    # payment terms: longer for larger and stronger customers
    terms_score = 0.6 * size_std + 0.3 * quality + rng.standard_normal(n)
    cuts = stats.norm.ppf(np.cumsum([0.35, 0.25, 0.25])) * np.sqrt(1 + 0.36 + 0.09)
    terms = V.PAYMENT_TERMS_DAYS[np.searchsorted(cuts, terms_score)]
    terms[individual] = 30

    share_of_wallet = np.where(individual, 0.10, rng.uniform(0.02, 0.10, n))
    annual_sales = revenue * share_of_wallet
    # the credit team's error in estimating purchases when it sets the first limit
    # (riskkit.datasets._synth_decisions)
    limit_noise = rng.random(n)
    registered_capital = np.where(individual, 0.0, np.maximum(np.round(revenue * rng.uniform(0.05, 0.3, n), -4), 10_000.0))

    return Population(
        n=n, individual=individual, industry=industry, region=region, ownership=ownership,
        state_pct=state_pct, revenue=revenue, assets=assets, size_std=size_std,
        founded_day=founded_day, onboard_day=onboard_day, terms=terms.astype(np.int64),
        annual_sales=annual_sales, limit_noise=limit_noise, registered_capital=registered_capital,
        group=group, group_pos=group_pos, group_is_root=group_is_root, owner_party=owner_party,
        owner_share=owner_share, n_groups=n_groups, n_external_parents=n_ext, quality=quality,
        industry_factor=industry_factor, region_factor=region_factor, group_factor=group_factor,
        idiosyncratic=eps, true_pd=true_pd, pd_intercept=alpha,
    )


#: orders that are cancelled before any delivery (the ledger adds more under stress)
BASE_CANCEL_RATE = 0.02
#: order amounts are ``order_value * LogNormal(-0.18, 0.6)``: mean ``order_value`` and
#: second moment ``exp(0.6**2) * order_value**2``
ORDER_SIGMA = 0.6


def order_rates(pop: Population, invoices_per_year: float) -> tuple[np.ndarray, np.ndarray]:
    """Orders a year and mean order amount of each customer (purchases ``annual_sales``).

    Larger customers order more often (``(revenue / median)**0.35``, individuals 0.15,
    scaled to mean one); two deliveries (invoices) per order on average and
    ``BASE_CANCEL_RATE`` of orders cancelled undelivered give ``invoices_per_year``.
    """
    size = np.where(pop.individual, 0.15, (pop.revenue / np.median(pop.revenue)) ** 0.35)
    size = np.clip(size / size.mean(), 0.1, 10.0)
    orders_per_year = invoices_per_year * size / 2.0 / (1.0 - BASE_CANCEL_RATE)
    return orders_per_year, pop.annual_sales / orders_per_year


def calibrate_pd(quality: np.ndarray, slope: float, target: float) -> tuple[np.ndarray, float]:
    """Probit PD :math:`\\Phi(\\alpha - \\beta q)` clipped to [PD_FLOOR, PD_CAP], with
    ``alpha`` solved (Brent) so that the mean PD equals ``target``."""

    def pd_of(alpha: float) -> np.ndarray:
        return np.clip(special.ndtr(alpha - slope * quality), PD_FLOOR, PD_CAP)

    alpha = optimize.brentq(lambda a: pd_of(a).mean() - target, -10.0, 10.0, xtol=1e-12)
    return pd_of(alpha), float(alpha)


def _form_groups(rng: np.random.Generator, enterprises: np.ndarray, n_grouped: int, n: int):
    """Partition ``n_grouped`` random enterprises into ownership trees.

    Group sizes are 2 + Geometric(0.45) - 1 (mean about 3.2, capped at 25).  Position 0 of
    a group is its parent: a customer (60 %) or, for the other groups, the first
    subsidiary of an external holding company (party code ``n + j``).  Each later member
    is owned by a random earlier member, or by the external parent, which gives trees.
    """
    group = np.full(n, -1, dtype=np.int64)
    group_pos = np.full(n, -1, dtype=np.int64)
    is_root = np.zeros(n, dtype=bool)
    owner_party = np.full(n, -1, dtype=np.int64)
    owner_share = np.zeros(n)
    if n_grouped < 2:
        return group, group_pos, is_root, owner_party, owner_share, 0, 0
    sizes = np.minimum(1 + rng.geometric(0.45, size=n_grouped), 25)
    sizes = sizes[np.cumsum(sizes) <= n_grouped]
    remainder = n_grouped - int(sizes.sum())
    if remainder >= 2:
        sizes = np.append(sizes, remainder)
    elif remainder == 1 and len(sizes):
        sizes[-1] += 1
    n_groups = len(sizes)
    members = rng.permutation(enterprises)[: int(sizes.sum())]
    gid = np.repeat(np.arange(n_groups), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pos = np.arange(len(members)) - starts[gid]

    external = rng.random(n_groups) < 0.4
    ext_number = np.cumsum(external) - 1  # external parent j of group g
    ext_party = n + ext_number

    # owner of member at position k >= 1: a random earlier member (floor(U * k)), or the
    # external parent (40 % in externally owned groups); position 0 of an external group
    # belongs to the external parent
    earlier = starts[gid] + (rng.random(len(members)) * pos).astype(np.int64)
    owner = members[earlier]
    ext_g = external[gid]
    to_external = ext_g & ((pos == 0) | (rng.random(len(members)) < 0.4))
    owner = np.where(to_external, ext_party[gid], owner)
    owner = np.where(~ext_g & (pos == 0), -1, owner)

    share = np.where(rng.random(len(members)) < 0.3, 1.0, np.round(rng.uniform(0.51, 0.99, len(members)), 4))
    share = np.where(owner < 0, 0.0, share)

    group[members] = gid
    group_pos[members] = pos
    is_root[members] = (pos == 0) & ~ext_g
    owner_party[members] = owner
    owner_share[members] = share
    return group, group_pos, is_root, owner_party, owner_share, n_groups, int(external.sum())


def _state_share(rng: np.random.Generator, ownership: np.ndarray) -> np.ndarray:
    """State share in percent: central SOEs 51-100 (30 % wholly state-owned), local SOEs
    30-100, others 0."""
    lo = V.OWNERSHIP_STATE_RANGE[ownership, 0]
    hi = V.OWNERSHIP_STATE_RANGE[ownership, 1]
    pct = np.round(lo + (hi - lo) * rng.random(len(ownership)), 2)
    full = (hi > 0) & (rng.random(len(ownership)) < 0.3)
    return np.where(full, 100.0, pct)


def customer_names(rng: np.random.Generator, pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic names, e.g. "Shanghai Huaxin Precision Manufacturing Co., Ltd.", and the
    brand part of each (used for e-mail domains)."""
    n = pop.n
    syl = len(V.BRAND_SYLLABLES)
    first = choose(V.BRAND_SYLLABLES, rng.integers(0, syl, n))
    second = np.strings.lower(choose(V.BRAND_SYLLABLES, rng.integers(0, syl, n)))
    brand = np.strings.add(first, second)
    foreign = pop.ownership == V.FOREIGN
    brand = np.where(foreign, choose(V.FOREIGN_BRANDS, rng.integers(0, len(V.FOREIGN_BRANDS), n)), brand)

    pick = rng.random(n)
    city_pick = rng.random(n)
    descriptor = np.empty(n, dtype=np.dtypes.StringDType())
    city = np.empty(n, dtype=np.dtypes.StringDType())
    for k, words in enumerate(V.INDUSTRY_DESCRIPTORS):
        at = pop.industry == k
        descriptor[at] = choose(words, (pick[at] * len(words)).astype(np.int64))
    for k, cities in enumerate(V.REGION_CITIES):
        at = pop.region == k
        city[at] = choose(cities, (city_pick[at] * len(cities)).astype(np.int64))
    city_prefix = np.where(rng.random(n) < 0.5, np.strings.add(city, " "), "")
    suffix = np.where(pop.group_is_root, " Group Co., Ltd.", " Co., Ltd.")
    suffix = np.where(foreign, " (China) Co., Ltd.", suffix)
    company = str_concat(np.where(foreign, "", city_prefix), brand, " ", descriptor, suffix)

    person = str_concat(
        choose(V.FAMILY_NAMES, rng.integers(0, len(V.FAMILY_NAMES), n)), " ",
        choose(V.GIVEN_NAMES, rng.integers(0, len(V.GIVEN_NAMES), n)),
    )
    return np.where(pop.individual, person, company), brand


def customer_pii(rng: np.random.Generator, pop: Population, names: np.ndarray, brand: np.ndarray):
    """Synthetic id numbers, phone numbers and e-mail addresses (never real ones).

    Enterprises get an 18-character code shaped like a unified social credit code
    ("91" + region code + 10 random characters); individuals an 18-digit number shaped
    like a resident id (region code + birth date + sequence).  E-mail domains are under
    ``example.com`` (RFC 2606), so no address can reach anybody.
    """
    n = pop.n
    region_code = choose(V.REGION_CODES, pop.region)
    serial = rng.integers(0, 10**9, n)
    check = choose(tuple("0123456789ABCDEFGHJKLMNPQRTUWXY"), rng.integers(0, 31, n))
    enterprise_id = str_concat("91", region_code, np.strings.zfill(serial.astype(np.dtypes.StringDType()), 9), check)
    birth = (np.datetime64("1960-01-01") + rng.integers(0, 365 * 40, n)).astype("datetime64[D]")
    birth_text = np.strings.replace(birth.astype(np.dtypes.StringDType()), "-", "")
    person_id = str_concat(region_code, birth_text, np.strings.zfill(rng.integers(0, 10_000, n).astype(np.dtypes.StringDType()), 4))
    id_number = np.where(pop.individual, person_id, enterprise_id)

    phone = str_concat(
        "+86 1", rng.integers(30, 90, n).astype(np.dtypes.StringDType()), " ",
        np.strings.zfill(rng.integers(0, 10_000, n).astype(np.dtypes.StringDType()), 4), " ",
        np.strings.zfill(rng.integers(0, 10_000, n).astype(np.dtypes.StringDType()), 4),
    )
    number = np.arange(n).astype(np.dtypes.StringDType())
    slug = np.strings.replace(np.strings.lower(names), " ", ".")
    enterprise_mail = str_concat("finance", number, "@", np.strings.lower(brand), ".example.com")
    person_mail = str_concat(slug, number, "@mail.example.com")
    email = np.where(pop.individual, person_mail, enterprise_mail)
    return id_number, phone, email
