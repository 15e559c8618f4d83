"""Synthetic enterprise portfolio with a known ground truth.

:func:`generate_portfolio` draws a book of customers whose credit quality is known, then
every table of the data model as noisy signals of it, and defaults from the true PD plus
contagion along guarantees, control and supply links.  ``portfolio.truth`` keeps what a
model is meant to recover.

The generation runs in stages, each in its own module and each with its own random
stream (``numpy.random.SeedSequence(seed).spawn``), so that the output is identical for
a given seed and a change in one stage does not reshuffle the others:

1. population (:mod:`._synth_customers`): attributes, groups, latent quality, true PD;
2. relations (:mod:`._synth_network`): ownership trees, guarantee chains and circles,
   supply links, common directors; the contagion channels;
3. defaults (:mod:`._synth_defaults`): monthly stand-alone hazard with a credit cycle,
   contagion cascades through a sparse matrix;
4. credit decisions (:mod:`._synth_decisions`): limits and terms set at onboarding,
   reviewed periodically, cut after deterioration, restored after recovery, withdrawn at
   default;
5. orders and invoices (:mod:`._synth_ledger`), consistent with the default definition,
   with due dates from the terms in force and orders rejected when they would take the
   customer over its limit;
6. financial statements, bureau reports and events (:mod:`._synth_signals`).

Everything is vectorised over customers and records; the only Python loops run over
months, industries, event categories, the position of a decision in a customer's
history and the sweeps of the credit check (each sweep over all customers at once).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from .._core.progress import progress_steps
from ..data.schemas import CREDIT_DECISION_REASONS
from . import _synth_vocab as V
from ._synth_customers import customer_names, customer_pii, make_population
from ._synth_decisions import make_decisions
from ._synth_defaults import simulate_defaults
from ._synth_ledger import make_ledger
from ._synth_network import TYPE_NAMES, make_network
from ._synth_signals import make_bureau, make_events, make_financials
from ._synth_util import NO_DAY, day_number, format_ids, id_width, take_str, to_datetime

__all__ = ["generate_portfolio", "SyntheticOptions", "truth_summary"]

_ORDER_STATUS = np.array(["open", "fulfilled", "cancelled"], dtype=object)
_KINDS = np.array(["enterprise", "individual"], dtype=object)


@dataclass(frozen=True)
class SyntheticOptions:
    """Tunable parameters of :func:`generate_portfolio` (pass them as keywords).

    Attributes
    ----------
    target_default_rate : float, default 0.04
        Mean stand-alone annual PD of the book (the probit intercept is solved for it);
        contagion adds to the realised rate.
    pd_slope : float, default 0.8
        ``beta`` of the probit link ``PD = Phi(alpha - beta * quality)``: how strongly
        quality separates good from bad customers.
    share_individual : float, default 0.05
        Share of customers that are individuals (no financial statements).
    group_share : float, default 0.15
        Share of customers in groups of two or more customers.
    share_onboarded_during : float, default 0.15
        Share of customers onboarded during the data window (the rest before it).
    invoices_per_year : float, default 22
        Mean invoices per customer and year while the customer is active (onboarded and
        not in default); larger customers get more.  The default gives about 18-19
        invoices per customer-year of the window, i.e. about nine million for 100,000
        customers over five years.
    contagion_strength : float, default 1
        Multiplier of every contagion channel (0 switches contagion off).
    cycle_correlation : float, default 0.015
        Asset correlation ``rho`` of the yearly credit cycle (Vasicek conditional PD).
    guarantee_chains_per_1000, guarantee_circles_per_1000 : float, default 10 and 4
        Guarantee chains (2-4 links) and circles (cycles of 2-5 companies) per 1,000
        customers.
    supply_links_per_customer : float, default 0.4
        Supply relations per customer.
    bureau_second_source_share : float, default 0.35
        Share of customers also reported by a second bureau.
    """

    target_default_rate: float = 0.04
    pd_slope: float = 0.8
    share_individual: float = 0.05
    group_share: float = 0.15
    share_onboarded_during: float = 0.15
    invoices_per_year: float = 22.0
    contagion_strength: float = 1.0
    cycle_correlation: float = 0.015
    guarantee_chains_per_1000: float = 10.0
    guarantee_circles_per_1000: float = 4.0
    supply_links_per_customer: float = 0.4
    bureau_second_source_share: float = 0.35

    def __post_init__(self):
        unit = ("share_individual", "group_share", "share_onboarded_during", "bureau_second_source_share")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(value):
                raise ValueError(f"option {f.name} must be a finite number, got {value!r}")
            if value < 0:
                raise ValueError(f"option {f.name} must be >= 0, got {value!r}")
            if f.name in unit and value > 1:
                raise ValueError(f"option {f.name} is a share and must be in [0, 1], got {value!r}")
        if not 0 < self.target_default_rate < 0.5:
            raise ValueError(f"option target_default_rate must be in (0, 0.5), got {self.target_default_rate!r}")
        if not 0 <= self.cycle_correlation < 1:
            raise ValueError(f"option cycle_correlation must be in [0, 1), got {self.cycle_correlation!r}")
        if self.pd_slope == 0:
            raise ValueError("option pd_slope must be > 0 (0 would make every PD equal)")
        if self.share_individual + self.group_share > 1:
            raise ValueError("options share_individual + group_share must not exceed 1 "
                             "(groups are formed from enterprises)")
        if self.invoices_per_year == 0:
            raise ValueError("option invoices_per_year must be > 0")


#: the stages of generate_portfolio, for its progress bar
_STAGES = ("population", "network", "defaults", "credit decisions", "ledger", "financials", "bureau",
           "events", "tables")


def generate_portfolio(n_customers: int, seed: int = 42, start="2021-01-01", end="2025-12-31", *,
                       progress: bool | None = None, **options):
    """Generate a synthetic enterprise portfolio with a known ground truth.

    Parameters
    ----------
    n_customers : int
        Number of customers (at least 20).  100,000 customers give about ten million
        invoices over five years.
    seed : int, default 42
        Seed of ``numpy.random.SeedSequence``; the same seed gives the same portfolio.
    start, end : date-like, default 2021-01-01 and 2025-12-31
        First and last day of the data window (at least one year apart).  Every dated
        record lies inside it, except statement period ends (a statement for year
        ``start - 1`` is published inside the window), relations in force since
        before it (``start`` NaT) and credit decisions, which start at each customer's
        onboarding (up to ten years before ``start``).
    progress : bool or None, default None
        Show a progress bar over the stages of the generation: None shows it in an
        interactive session only (:func:`riskkit._core.progress.progress_enabled`), True/False
        force it.  It never changes the result.
    **options
        Parameters of :class:`SyntheticOptions`, e.g. ``target_default_rate=0.04``.

    Returns
    -------
    Portfolio
        The nine tables of the data model plus ``truth``, one row per customer:

        ``customer_id``; ``latent_quality`` (higher is better); ``true_pd`` (annual,
        stand-alone); ``industry_factor``, ``region_factor``, ``group_factor`` (NaN
        outside groups), ``idiosyncratic`` (the standard normal factors of the quality);
        ``group_id`` (ground-truth control group of two or more customers at the end
        of the window, NaN if none; some memberships start during the window); ``ultimate_parent_id`` (the group's controlling party, a customer or an
        external ``P...`` party); ``defaulted``; ``default_date``; ``default_reason``;
        ``contagion_default`` (the default was induced by a linked party's default);
        ``trigger_customer_id`` (that party); ``distress_start_date`` (when the
        pre-default deterioration of the signals begins).

    Notes
    -----
    Latent quality (multi-factor Gaussian, Vasicek 2002)::

        q = mu_industry + mu_region + mu_ownership + 0.15 * size
            + sqrt(0.10) Z_industry + sqrt(0.05) Z_region + sqrt(0.25) Z_group
            + sqrt(1 - rho) eps

    and ``true_pd = Phi(alpha - pd_slope * q)`` with ``alpha`` solved so that the mean
    PD equals ``target_default_rate``.  Defaults are simulated month by month from the
    conditional PD of a yearly credit cycle (whose mean is ``true_pd``) plus contagion:
    a linked party's default hits a customer with an intensity proportional to the
    guaranteed amount relative to the guarantor's assets, the control share, or the
    trade volume relative to revenue, and the customer defaults with probability
    ``1 - exp(-intensity)`` 20-270 days later.

    Credit limits and payment terms are point in time (``credit_decisions``): set at
    onboarding from the customer's purchases (its size) and the credit team's rating,
    reviewed annually (every six or three months for weaker customers), cut and
    shortened after deterioration, restored after a temporary spell, raised on request,
    withdrawn after a default; ``customers.credit_limit`` and ``payment_terms_days`` are
    the latest decision's.  Orders that would take a customer over its limit are mostly
    rejected by a credit check, so the book binds as a real one does: at month ends the
    median utilisation is about 0.3-0.4 and 2-6 % of customers are over their limit
    (see :mod:`riskkit.datasets._synth_decisions` and :mod:`riskkit.datasets._synth_ledger`).

    A default is recorded once, on its first day, with the reason the ledger shows
    (DESIGN.md default definition): ``dpd90`` (an invoice due 90 days earlier is still
    open), ``bankruptcy`` (a bankruptcy event that day) or ``write_off`` (open invoices
    closed that day with ``paid_amount < amount``).  No other invoice ever reaches 90
    days past due.  In the months before a default, payments slow down, orders fall,
    adverse events multiply, bureau scores drop and inquiries rise; statements
    deteriorate over the two years before a stand-alone default.

    References
    ----------
    Vasicek, O. (2002). The distribution of loan portfolio value. *Risk* 15(12).
    Kempe, D., Kleinberg, J., Tardos, E. (2003). Maximizing the spread of influence
    through a social network. *KDD '03* (independent-cascade contagion).

    Examples
    --------
    >>> import riskkit as rk
    >>> book = rk.datasets.generate_portfolio(500, seed=1)
    >>> book.truth[["customer_id", "true_pd", "defaulted"]].shape
    (500, 3)
    """
    opts = _check_arguments(n_customers, seed, start, end, options)
    start_day, end_day = day_number(start), day_number(end)
    n = int(n_customers)
    # a new stage takes a new stream at the end, so that the earlier streams keep their seeds
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(9)]
    rng_pop, rng_names, rng_net, rng_def, rng_ledger, rng_fin, rng_bureau, rng_events, rng_dec = streams

    with progress_steps(_STAGES, desc="generate_portfolio", enabled=progress) as done:
        pop = make_population(n, rng_pop, opts, start_day, end_day)
        done("population")
        net = make_network(pop, rng_net, opts, start_day, end_day)
        done("network")
        paths = simulate_defaults(pop, net, rng_def, opts, start_day, end_day)
        done("defaults")
        decisions = make_decisions(pop, paths, rng_dec, opts, start_day, end_day)
        done("credit decisions")
        ledger = make_ledger(pop, paths, decisions, rng_ledger, opts, start_day, end_day)
        done("ledger")
        fin = make_financials(pop, paths, rng_fin, start_day, end_day)
        done("financials")
        bureau = make_bureau(pop, paths, rng_bureau, opts, start_day, end_day)
        done("bureau")
        events = make_events(pop, paths, rng_events, start_day, end_day)
        done("events")

        customer_ids = format_ids("C", np.arange(1, n + 1), id_width(n))
        tables = {
            "customers": _customers_table(pop, decisions, customer_ids, rng_names),
            "invoices": _invoices_table(ledger, customer_ids),
            "orders": _orders_table(ledger, customer_ids),
            "financials": _financials_table(fin, customer_ids),
            "bureau": _bureau_table(bureau, customer_ids),
            "events": _events_table(events, customer_ids),
            "relations": _relations_table(net, pop, customer_ids),
            "defaults": _defaults_table(paths, customer_ids),
            "credit_decisions": _decisions_table(decisions, customer_ids),
        }
        done("tables")
    truth = _truth_table(pop, net, paths, customer_ids)
    from ..data.portfolio import Portfolio

    return Portfolio(**tables, truth=truth, validate=False)


def _check_arguments(n_customers, seed, start, end, options) -> SyntheticOptions:
    if isinstance(n_customers, bool) or not isinstance(n_customers, (int, np.integer)):
        raise TypeError(f"n_customers must be an integer, got {n_customers!r}")
    if n_customers < 20:
        raise ValueError(f"n_customers must be at least 20, got {n_customers}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    try:
        first, last = pd.Timestamp(start), pd.Timestamp(end)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"start and end must be dates, got start={start!r}, end={end!r}") from exc
    if pd.isna(first) or pd.isna(last):
        raise ValueError(f"start and end must be dates, got start={start!r}, end={end!r}")
    if last < first + pd.DateOffset(years=1) - pd.Timedelta(days=1):
        raise ValueError(f"the window from start={first.date()} to end={last.date()} must span at least one year")
    known = {f.name for f in fields(SyntheticOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"unknown option(s) {unknown}; valid options are {sorted(known)}")
    return SyntheticOptions(**options)


# --------------------------------------------------------------------------- tables
def _str(values) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object), dtype="str")


def _customers_table(pop, decisions, ids, rng) -> pd.DataFrame:
    names, brand = customer_names(rng, pop)
    id_number, phone, email = customer_pii(rng, pop, names, brand)
    # today's limit and terms: each customer's latest decision (decisions are sorted by
    # customer and day, and every customer has one from its onboarding)
    latest = np.r_[decisions.customer[1:] != decisions.customer[:-1], True]
    return pd.DataFrame({
        "customer_id": ids,
        "name": _str(names),
        "kind": _str(_KINDS[pop.individual.astype(np.int64)]),
        "industry": _str(np.asarray(V.INDUSTRY_NAMES, dtype=object)[pop.industry]),
        "region": _str(np.asarray(V.REGION_NAMES, dtype=object)[pop.region]),
        "ownership_type": _str(np.asarray(V.OWNERSHIP_NAMES, dtype=object)[pop.ownership]),
        "state_ownership_pct": pop.state_pct.astype("float64"),
        "registered_capital": pop.registered_capital.astype("float64"),
        "founded": to_datetime(pop.founded_day),
        "onboarded": to_datetime(pop.onboard_day),
        "payment_terms_days": decisions.terms[latest].astype("int64"),
        "credit_limit": decisions.limit[latest].astype("float64"),
        "id_number": _str(id_number),
        "phone": _str(phone),
        "email": _str(email),
    })


def _invoices_table(ledger, ids) -> pd.DataFrame:
    m = len(ledger.invoice_customer)
    n_orders = len(ledger.order_customer)
    return pd.DataFrame({
        "invoice_id": format_ids("INV", np.arange(1, m + 1), id_width(m, 8)),
        "customer_id": take_str(ids, ledger.invoice_customer),
        "issue_date": to_datetime(ledger.issue_day),
        "due_date": to_datetime(ledger.due_day),
        "amount": ledger.invoice_amount.astype("float64"),
        "paid_date": to_datetime(ledger.paid_day),
        "paid_amount": ledger.paid_amount.astype("float64"),
        # the ids _orders_table gives the orders, by position
        "order_id": format_ids("ORD", ledger.invoice_order + 1, id_width(n_orders, 8)),
    })


def _orders_table(ledger, ids) -> pd.DataFrame:
    m = len(ledger.order_customer)
    return pd.DataFrame({
        "order_id": format_ids("ORD", np.arange(1, m + 1), id_width(m, 8)),
        "customer_id": take_str(ids, ledger.order_customer),
        "order_date": to_datetime(ledger.order_day),
        "amount": ledger.order_amount.astype("float64"),
        "status": _str(_ORDER_STATUS[ledger.order_status]),
        "closed_date": to_datetime(ledger.order_closed_day),
    })


def _financials_table(fin, ids) -> pd.DataFrame:
    table = pd.DataFrame({
        "customer_id": take_str(ids, fin.customer),
        "period_end": to_datetime(fin.period_end),
        "published_date": to_datetime(fin.published),
    })
    for name, values in fin.columns.items():
        table[name] = values.astype("float64")
    return table


def _bureau_table(bureau, ids) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": take_str(ids, bureau.customer),
        "report_date": to_datetime(bureau.report_day),
        "source": _str(np.asarray(V.BUREAU_SOURCES, dtype=object)[bureau.source]),
        "score": bureau.score.astype("float64"),
        "delinquencies": bureau.delinquencies.astype("int64"),
        "inquiries": bureau.inquiries.astype("int64"),
    })


def _events_table(events, ids) -> pd.DataFrame:
    m = len(events.customer)
    return pd.DataFrame({
        "event_id": format_ids("EV", np.arange(1, m + 1), id_width(m, 7)),
        "customer_id": take_str(ids, events.customer),
        "date": to_datetime(events.day),
        "category": _str(events.category),
        "severity": events.severity.astype("int64"),
        "source": _str(events.source),
        "text": _str(events.text),
    })


def _party_ids(net, pop, customer_ids) -> pd.Series:
    external = format_ids("P", np.arange(1, net.n_parties - pop.n + 1), id_width(net.n_parties - pop.n))
    return pd.concat([customer_ids, external], ignore_index=True)


def _relations_table(net, pop, customer_ids) -> pd.DataFrame:
    parties = _party_ids(net, pop, customer_ids)
    order = np.lexsort((net.dst, net.src, net.type))
    return pd.DataFrame({
        "src": take_str(parties, net.src[order]),
        "dst": take_str(parties, net.dst[order]),
        "type": _str(np.asarray(TYPE_NAMES, dtype=object)[net.type[order]]),
        "weight": net.weight[order].astype("float64"),
        "start": to_datetime(net.start_day[order]),
        "end": to_datetime(net.end_day[order]),
    })


def _defaults_table(paths, ids) -> pd.DataFrame:
    who = np.flatnonzero(paths.default_day != NO_DAY)
    who = who[np.lexsort((who, paths.default_day[who]))]
    return pd.DataFrame({
        "customer_id": take_str(ids, who),
        "default_date": to_datetime(paths.default_day[who]),
        "reason": _str(np.asarray(V.DEFAULT_MODES, dtype=object)[paths.reason[who]]),
    })


def _decisions_table(decisions, ids) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": take_str(ids, decisions.customer),
        "effective_date": to_datetime(decisions.day),
        "credit_limit": decisions.limit.astype("float64"),
        "payment_terms_days": decisions.terms.astype("int64"),
        "reason": _str(np.asarray(CREDIT_DECISION_REASONS, dtype=object)[decisions.reason]),
        "decided_by": _str(decisions.decided_by),
    })


def _truth_table(pop, net, paths, ids) -> pd.DataFrame:
    n = pop.n
    grouped = pop.group >= 0
    group_ids = format_ids("G", pop.group[grouped] + 1, id_width(max(pop.n_groups, 1), 5))
    group_id = np.full(n, np.nan, dtype=object)
    group_id[grouped] = group_ids.to_numpy(dtype=object)

    # the controlling party of each group: its customer root or external holding company
    parties = _party_ids(net, pop, ids).to_numpy(dtype=object)
    top = np.full(max(pop.n_groups, 1), -1, dtype=np.int64)
    first = grouped & (pop.group_pos == 0)
    top[pop.group[first]] = np.where(pop.owner_party[first] >= 0, pop.owner_party[first], np.flatnonzero(first))
    parent = np.full(n, np.nan, dtype=object)
    parent[grouped] = parties[top[pop.group[grouped]]]

    defaulted = paths.default_day != NO_DAY
    reason = np.full(n, np.nan, dtype=object)
    reason[defaulted] = np.asarray(V.DEFAULT_MODES, dtype=object)[paths.reason[defaulted]]
    trigger = np.full(n, np.nan, dtype=object)
    has_trigger = paths.trigger >= 0
    trigger[has_trigger] = ids.to_numpy(dtype=object)[paths.trigger[has_trigger]]
    return pd.DataFrame({
        "customer_id": ids,
        "latent_quality": pop.quality,
        "true_pd": pop.true_pd,
        "industry_factor": pop.industry_factor,
        "region_factor": pop.region_factor,
        "group_factor": pop.group_factor,
        "idiosyncratic": pop.idiosyncratic,
        "group_id": _str(group_id),
        "ultimate_parent_id": _str(parent),
        "defaulted": defaulted,
        "default_date": to_datetime(paths.default_day),
        "default_reason": _str(reason),
        "contagion_default": paths.contagion.copy(),
        "trigger_customer_id": _str(trigger),
        "distress_start_date": to_datetime(paths.distress_start),
    })



def truth_summary(truth: pd.DataFrame | None) -> str:
    """Two sentences on a synthetic book's ground truth (defaults, contagion, true PDs).

    ``truth`` is ``portfolio.truth`` (None for observed data, which has no truth).
    """
    if truth is None:
        return "No ground truth: this is observed data."
    defaulted = truth["defaulted"].astype(bool)
    return (f"Customers with a default in the history: {int(defaulted.sum())} ({defaulted.mean():.1%}); "
            f"induced by contagion: {int(truth['contagion_default'].sum())}.\n"
            f"Mean true annual PD: {truth['true_pd'].mean():.2%}; of later defaulters: "
            f"{truth.loc[defaulted, 'true_pd'].mean():.2%}; of the others: {truth.loc[~defaulted, 'true_pd'].mean():.2%}.")
