"""Sales orders and the accounts-receivable ledger of the synthetic portfolio.

Orders arrive as a Poisson process per customer and month with rate

.. math:: \\lambda_{i,m} = \\frac{r_i}{12}\\, s_m\\, a_{i,m}\\, (1 - 0.7\\, d_{i,m})

(``r_i`` orders a year growing with size, ``s_m`` seasonality, ``a_{i,m}`` the share of
the month the customer is active, ``d_{i,m}`` its stress), so orders fall in the months
before a default.  A non-cancelled order is delivered in 1-3 lots; each delivery is an
invoice (naming its order, ``invoices.order_id``) due after the payment terms in force on
its issue day (see :mod:`._synth_decisions`).  The lots' amounts, each rounded to cents,
sum to the order's amount; the order is fulfilled on its last lot's day.  Days beyond terms are

.. math:: \\text{late} = h_i\\,(1 + 3 d)\\,G - U, \\quad G \\sim \\Gamma(2, 1/2),\\;
          U \\sim U(0, 6)

with a customer habit ``h_i`` that is longer for weak customers, capped at 89 days so
that no invoice reaches 90 days past due except as a default.

Default mechanics (consistent with the default definition of DESIGN.md):

* ``dpd90`` default on day ``T``: the customer stops paying invoices due on or after
  ``T - 90``; one invoice is due exactly on ``T - 90`` and is still open on ``T``,
  so ``T`` is the first day an invoice is 90 days past due;
* ``bankruptcy`` on ``T``: invoices due on or after ``T - 89`` stay unpaid (they become
  90+ days past due only after ``T``);
* ``write_off`` on ``T``: the open invoices (at least one, issued 15-60 days before
  ``T``) are closed on ``T`` with a recovery of 0-30 % (``paid_amount < amount``)
  before any reaches 90 days past due.

Deliveries stop 30 days before a ``dpd90`` default and at a bankruptcy or write-off;
undelivered lots of open orders are then cancelled.  After a ``dpd90``/``bankruptcy``
default, unpaid invoices stay open (40 %), are partly recovered 30-540 days later (35 %),
or are written off with nothing paid 90-540 days later (25 %).  Payments after the end
of the data are not known: such invoices are open.

Credit check.  Every order is checked against the limit in force on the day it is
placed, as a credit-management system does: it is accepted when the exposure just before
it (the un-invoiced rest of the open orders plus the open invoices, as
:func:`riskkit.limits.exposure` counts them) plus the order stays within 5 % over the
limit; otherwise it is rejected that day (``cancelled``, closed on the order day, no
invoice), except that a credit manager releases 15 % of such orders up to 30 % over the
limit.  The invoice that shows a default always ships.  The book then binds the way a
real one does: most customers well inside their limit, a few percent over it (released
orders, orders invoiced in lots, limits cut below the exposure after deterioration).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._synth_customers import BASE_CANCEL_RATE, ORDER_SIGMA, Population, order_rates
from ._synth_decisions import Decisions
from ._synth_defaults import BANKRUPTCY, DPD90, WRITE_OFF, DefaultPaths, stress
from ._synth_util import NO_DAY, month_grid, segment_starts

ORDER_OPEN, ORDER_FULFILLED, ORDER_CANCELLED = range(3)
#: credit check: an order is accepted up to this share over the limit...
CREDIT_TOLERANCE = 0.05
#: ...and a share of the others is released by a credit manager up to this share over
RELEASE_SHARE = 0.15
RELEASE_TOLERANCE = 0.3
MAX_DAYS_BEYOND_TERMS = 89


@dataclass
class Ledger:
    order_customer: np.ndarray
    order_day: np.ndarray
    order_amount: np.ndarray
    order_status: np.ndarray
    order_closed_day: np.ndarray
    invoice_customer: np.ndarray
    issue_day: np.ndarray
    due_day: np.ndarray
    invoice_amount: np.ndarray
    paid_day: np.ndarray
    paid_amount: np.ndarray
    #: each invoice's order: its position in the order arrays
    invoice_order: np.ndarray


def stop_shipping_day(pop: Population, paths: DefaultPaths) -> np.ndarray:
    """Day deliveries stop: 30 days before a dpd90 default, at other defaults, never
    (``NO_DAY``) without a default."""
    tau = paths.default_day
    return np.where(tau == NO_DAY, NO_DAY, np.where(paths.reason == DPD90, tau - 30, tau))


def make_ledger(pop: Population, paths: DefaultPaths, decisions: Decisions, rng: np.random.Generator, opts,
                start_day: int, end_day: int) -> Ledger:
    n = pop.n
    month_lo, month_hi = month_grid(start_day, end_day)
    n_months = len(month_lo)
    active_from = np.maximum(pop.onboard_day, start_day)
    active_to = np.minimum(stop_shipping_day(pop, paths), end_day + 1)  # exclusive

    orders_per_year, order_value = order_rates(pop, opts.invoices_per_year)

    # orders: Poisson counts per customer x month, customer-major
    lo = np.maximum(month_lo[None, :], active_from[:, None])
    hi = np.minimum(month_hi[None, :], active_to[:, None])
    length = np.maximum(hi - lo, 0)
    month_of_year = (month_lo.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12)
    # mild seasonality with a dip in February (Spring Festival), mean one over a year
    season = (1.0 + 0.12 * np.sin(2 * np.pi * (month_of_year - 2) / 12.0) - 0.25 * (month_of_year == 1)) / (1 - 0.25 / 12)
    cust_grid = np.broadcast_to(np.arange(n)[:, None], lo.shape)
    mid = lo + length // 2
    d_cell = stress(paths, cust_grid, mid)
    rate = (orders_per_year[:, None] / 12.0) * season[None, :] * (length / 30.4375) * (1.0 - 0.7 * d_cell)
    counts = rng.poisson(rate).ravel()
    cell = np.repeat(np.arange(n * n_months), counts)
    o_cust = cell // n_months
    o_day = lo.ravel()[cell] + (rng.random(len(cell)) * length.ravel()[cell]).astype(np.int64)
    d_order = d_cell.ravel()[cell]
    del cell, lo, hi, length, mid, cust_grid, d_cell, rate

    lump = rng.lognormal(-ORDER_SIGMA**2 / 2, ORDER_SIGMA, len(o_cust))
    o_amount = order_value[o_cust] * lump * (1.0 - 0.3 * d_order)
    cancelled = rng.random(len(o_cust)) < BASE_CANCEL_RATE + 0.15 * d_order
    k = np.where(cancelled, 0, 1 + rng.binomial(2, 0.5, len(o_cust)))

    # deliveries: first 2-20 days after the order, then every 5-25 days
    dv_order = np.repeat(np.arange(len(o_cust)), k)
    first_of_order = segment_starts(k)
    gap = rng.integers(5, 26, len(dv_order))
    gap[first_of_order[k > 0]] = rng.integers(2, 21, int((k > 0).sum()))
    csum = np.cumsum(gap)
    offset = csum - (csum - gap)[np.repeat(first_of_order, k)]
    dv_day = o_day[dv_order] + offset
    dv_cust = o_cust[dv_order]
    delivered = dv_day < active_to[dv_cust]
    n_delivered = np.bincount(dv_order[delivered], minlength=len(o_cust))
    weight = rng.uniform(0.5, 1.5, len(dv_order))
    weight_sum = np.bincount(dv_order, weights=weight, minlength=len(o_cust))
    dv_amount = np.round(o_amount[dv_order] * weight / weight_sum[dv_order], 2)
    o_amount = np.round(o_amount, 2)

    stop = stop_shipping_day(pop, paths)[o_cust]
    stopped = stop <= end_day
    last_day = np.full(len(o_cust), NO_DAY, dtype=np.int64)
    has = k > 0
    last_day[has] = dv_day[first_of_order[has] + k[has] - 1]
    status = np.full(len(o_cust), ORDER_OPEN)
    closed = np.full(len(o_cust), NO_DAY, dtype=np.int64)
    fulfilled = has & (n_delivered == k)
    status[fulfilled] = ORDER_FULFILLED
    closed[fulfilled] = last_day[fulfilled]
    cut_by_stop = has & ~fulfilled & stopped
    status[cut_by_stop] = ORDER_CANCELLED
    closed[cut_by_stop] = np.maximum(o_day[cut_by_stop], stop[cut_by_stop])
    cancel_day = o_day + rng.integers(1, 15, len(o_cust))
    known_cancel = cancelled & (cancel_day <= end_day)
    status[known_cancel] = ORDER_CANCELLED
    closed[known_cancel] = cancel_day[known_cancel]

    # the invoice that shows the default in the ledger: for dpd90 the one due exactly 90
    # days before the default, for a write-off one issued 15-60 days before it
    last = np.flatnonzero((paths.reason == DPD90) | (paths.reason == WRITE_OFF))
    tau = paths.default_day[last]
    x_issue = np.minimum(np.maximum(tau - rng.integers(15, 61, len(last)), active_from[last]), tau)
    dpd90 = paths.reason[last] == DPD90
    x_issue[dpd90] = _issue_due_on(decisions, last[dpd90], tau[dpd90] - 90)
    x_order = np.maximum(x_issue - rng.integers(0, 8, len(last)), active_from[last])
    x_stress = stress(paths, last, x_order)
    lump = rng.lognormal(-ORDER_SIGMA**2 / 2, ORDER_SIGMA, len(last))
    x_amount = np.round(order_value[last] * lump * (1.0 - 0.3 * x_stress), 2)

    n_orders = len(o_cust)
    order_customer = np.concatenate([o_cust, last])
    order_day = np.concatenate([o_day, x_order])
    order_amount = np.concatenate([o_amount, x_amount])
    order_status = np.concatenate([status, np.full(len(last), ORDER_FULFILLED)])
    order_closed = np.concatenate([closed, x_issue])
    del o_cust, o_day, o_amount, status, closed, cancelled, k, d_order

    i_cust = np.concatenate([dv_cust[delivered], last])
    i_issue = np.concatenate([dv_day[delivered], x_issue])
    i_amount = np.concatenate([dv_amount[delivered], x_amount])
    i_order = np.concatenate([dv_order[delivered], n_orders + np.arange(len(last))])
    del dv_order, dv_day, dv_cust, delivered, dv_amount, gap, csum, offset, weight
    forced = np.arange(len(order_customer)) >= n_orders  # the invoices that show a default

    order_sort = np.argsort(order_customer * 2**24 + (order_day - start_day + 2**22), kind="stable")
    order_customer, order_day = order_customer[order_sort], order_day[order_sort]
    order_amount, order_status = order_amount[order_sort], order_status[order_sort]
    order_closed, forced = order_closed[order_sort], forced[order_sort]
    sorted_position = np.empty_like(order_sort)
    sorted_position[order_sort] = np.arange(len(order_sort))
    inv_sort = np.argsort(i_cust * 2**24 + (i_issue - start_day + 2**22), kind="stable")
    i_cust, i_issue, i_amount = i_cust[inv_sort], i_issue[inv_sort], i_amount[inv_sort]
    i_order = sorted_position[i_order[inv_sort]]
    i_due, i_paid, i_paid_amount = _payments(pop, paths, decisions, rng, i_cust, i_issue, i_amount, end_day)

    # credit check: an order that takes the customer over its limit is rejected on the day
    limit = decisions.limit_at(order_customer, order_day)
    release = rng.random(len(order_customer)) < RELEASE_SHARE
    blocked = credit_hold(order_customer, order_day, order_amount, order_closed, i_order, i_issue, i_paid,
                          i_amount, np.where(forced, np.inf, limit), release, n)
    order_status[blocked] = ORDER_CANCELLED
    order_closed[blocked] = order_day[blocked]
    kept = ~blocked[i_order]
    return Ledger(
        order_customer, order_day, order_amount, order_status, order_closed,
        i_cust[kept], i_issue[kept], i_due[kept], i_amount[kept], i_paid[kept], i_paid_amount[kept],
        i_order[kept],
    )


def credit_hold(o_cust: np.ndarray, o_day: np.ndarray, o_amount: np.ndarray, o_closed: np.ndarray,
                i_order: np.ndarray, i_issue: np.ndarray, i_paid: np.ndarray, i_amount: np.ndarray,
                limit: np.ndarray, released: np.ndarray, n: int) -> np.ndarray:
    """Orders blocked by the credit check (True = rejected on the day it is placed).

    An order is accepted when the exposure just before it plus its amount stays within
    ``(1 + CREDIT_TOLERANCE)`` times the limit in force, or, when it is ``released`` (a
    credit manager's release), within ``(1 + RELEASE_TOLERANCE)`` times the limit (an
    infinite limit lets an order through).  Exposure is measured as
    :func:`riskkit.limits.exposure` does: an invoice counts its amount from issue until
    paid; an order, from the day it is placed until it is closed, its un-invoiced rest
    ``max(amount - invoiced, 0)``, so an invoice issued against an open order moves its
    amount from the order to the receivables (no net change at issue) and a closing
    removes only the rest.  Orders must be sorted by customer and day (their position
    orders same-day orders); ``i_order`` is each invoice's order, issued on or after the
    order's day.

    Each decision depends on the decisions on the customer's earlier orders.  All
    exposure changes are sorted once (customer, day, then payments and closings before
    new invoices before the orders in their order, each order followed by its own
    changes of that day, so that no order sees a later one) and the exposure before each
    order is a cumulative sum over them, in integer cents so that sums are exact.
    Decisions are then settled by sweeps: a sweep re-evaluates, for each customer with a
    changed decision, the orders from its first changed one on, with the cumulative sums
    recomputed from there.  The first changed order moves forward every sweep (its own
    inputs did not change), so the sweeps end, with the sequential answer, after at most
    as many sweeps as a customer has orders; in practice a few dozen, over a shrinking
    set of customers.
    """
    n_o = len(o_cust)
    if n_o == 0:
        return np.zeros(0, dtype=bool)
    cents = np.rint(o_amount * 100).astype(np.int64)
    i_cents = np.rint(i_amount * 100).astype(np.int64)
    closing = np.flatnonzero(o_closed != NO_DAY)
    paying = np.flatnonzero(i_paid != NO_DAY)
    pay_order = i_order[paying]
    day0 = int(o_day.min())
    span = max(int(o_closed[closing].max(initial=day0)), int(i_paid[paying].max(initial=day0)),
               int(i_issue.max(initial=day0)), int(o_day.max())) - day0 + 1
    if n * span * 3 * n_o * 2 >= 2**63:
        raise AssertionError("the credit-check sort key would overflow int64")

    def key(cust, day, rank, order, own):
        k = cust * span
        k += day - day0
        k *= 3
        k += rank
        k *= n_o
        k += order
        k *= 2
        k += own
        return k

    own_close = o_closed[closing] == o_day[closing]
    own_issue = i_issue == o_day[i_order]
    own_pay = i_paid[paying] == o_day[pay_order]
    i_cust = o_cust[i_order]
    keys = np.concatenate([
        key(o_cust, o_day, 2, np.arange(n_o), 0),
        key(o_cust[closing], o_closed[closing], np.where(own_close, 2, 0), closing, own_close),
        key(i_cust, i_issue, np.where(own_issue, 2, 1), i_order, own_issue),
        key(i_cust[paying], i_paid[paying], np.where(own_pay, 2, 0), pay_order, own_pay),
    ])
    del i_cust, own_close, own_issue, own_pay
    perm = np.argsort(keys, kind="stable")  # the parts are sorted runs already
    del keys
    order_part, rest_at_close = _invoiced_rest(cents, o_closed, i_order, i_issue, i_cents)
    s_delta = np.concatenate([cents, -rest_at_close[closing], i_cents + order_part, -i_cents[paying]])[perm]
    index = np.int32 if n_o < 2**31 else np.int64
    s_order = np.concatenate([np.arange(n_o, dtype=index), closing.astype(index), i_order.astype(index),
                              pay_order.astype(index)])[perm]
    open_at = np.empty(n_o, dtype=np.int64)
    is_open = perm < n_o
    open_at[perm[is_open]] = np.flatnonzero(is_open)
    del perm, is_open
    ev_start = np.searchsorted(o_cust[s_order], np.arange(n + 1))
    o_start = np.searchsorted(o_cust, np.arange(n + 1))
    cap = limit * 100 * np.where(released, 1.0 + RELEASE_TOLERANCE, 1.0 + CREDIT_TOLERANCE)

    # first sweep: every order accepted; before[p] = the customer's exposure just before p
    before = np.cumsum(s_delta)
    before -= s_delta
    counts = np.diff(ev_start)
    busy = counts > 0       # a customer without ledger events (possibly the last) has no first event
    before -= np.repeat(before[ev_start[:-1][busy]], counts[busy])
    accepted = before[open_at] + cents <= cap
    changed = np.flatnonzero(~accepted)
    for _ in range(int(np.diff(o_start).max()) + 1):
        if not len(changed):
            return ~accepted
        who, first = np.unique(o_cust[changed], return_index=True)
        first = changed[first]  # each customer's first changed order
        lo, hi = open_at[first], ev_start[who + 1]
        sub_start = segment_starts(hi - lo)
        ev = np.repeat(lo - sub_start, hi - lo) + np.arange(int((hi - lo).sum()))
        w = s_delta[ev] * accepted[s_order[ev]]
        run = np.cumsum(w)
        run -= w
        run += np.repeat(before[lo] - run[sub_start], hi - lo)
        before[ev] = run
        n_ord = o_start[who + 1] - first
        orders = np.repeat(first - segment_starts(n_ord), n_ord) + np.arange(int(n_ord.sum()))
        ok = before[open_at[orders]] + cents[orders] <= cap[orders]
        changed = orders[ok != accepted[orders]]
        accepted[orders] = ok
    raise AssertionError("the credit check did not settle; an order depends on a later one")


def _invoiced_rest(cents: np.ndarray, o_closed: np.ndarray, i_order: np.ndarray, i_issue: np.ndarray,
                   i_cents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How invoices change their orders' exposure, in cents.

    Returns ``order_part`` (per invoice: the change of its order's rest
    ``max(amount - invoiced, 0)`` when it is issued; 0 for an invoice issued on or after
    the order's closing day, which the credit check's event order puts first) and
    ``rest_at_close`` (per order: its rest when it closes, what the closing removes).
    Invoices of one order issued on one day are applied together.
    """
    before_close = i_issue < o_closed[i_order]
    by_order = np.lexsort((i_issue, i_order))  # each order's invoices, by issue day
    on = i_order[by_order]
    amount = np.where(before_close, i_cents, 0)[by_order]
    counts = np.bincount(i_order, minlength=len(cents))
    first = segment_starts(counts)
    run = np.cumsum(amount)
    run -= amount                       # invoiced before each invoice, from the book's start
    invoiced = run - run[first[on]]     # ... within its order
    order_part = np.empty_like(i_cents)
    order_part[by_order] = (np.maximum(cents[on] - invoiced - amount, 0)
                            - np.maximum(cents[on] - invoiced, 0))
    total = np.zeros(len(cents), dtype=np.int64)
    has = counts > 0
    last = first[has] + counts[has] - 1
    total[has] = invoiced[last] + amount[last]
    return order_part, np.maximum(cents - total, 0)


def _issue_due_on(decisions: Decisions, customer: np.ndarray, due: np.ndarray) -> np.ndarray:
    """Issue day ``x`` of an invoice due on ``due`` under the terms in force on ``x``:
    the latest ``x = due - t`` with ``terms_at(x) == t``.

    Such an ``x`` exists because terms only shorten after onboarding: ``t -> terms_at(due
    - t)`` is then non-decreasing on the finite terms scale and has a fixed point (Tarski).
    """
    found = np.full(len(customer), NO_DAY, dtype=np.int64)
    for t in np.sort(np.unique(decisions.terms))[::-1]:  # shortest last: latest issue wins
        x = due - t
        at = decisions.in_force(customer, x)  # -1: before onboarding, not a candidate
        found = np.where((at >= 0) & (decisions.terms[at] == t), x, found)
    if (found == NO_DAY).any():
        raise AssertionError("no issue day matches the payment terms in force")
    return found


def _payments(pop, paths, decisions, rng, cust, issue, amount, end_day):
    """Due date (issue plus the terms in force on the issue day), payment date
    (``NO_DAY`` if open) and paid amount of every invoice."""
    m = len(cust)
    terms = decisions.terms_at(cust, issue)
    due = issue + terms
    habit = (1.5 + 7.0 * np.exp(-0.7 * pop.quality)) * rng.lognormal(0.0, 0.35, pop.n)
    d_due = stress(paths, cust, due)
    late = habit[cust] * (1.0 + 3.0 * d_due) * rng.gamma(2.0, 0.5, m) - rng.uniform(0.0, 6.0, m)
    late = np.clip(np.rint(late).astype(np.int64), -terms, MAX_DAYS_BEYOND_TERMS)
    paid = due + late
    paid_amount = amount.copy()
    short = rng.random(m) < 0.005
    paid_amount[short] = np.round(amount[short] * rng.uniform(0.9, 0.999, int(short.sum())), 2)

    # invoices left unpaid by defaulters
    tau = paths.default_day[cust]
    reason = paths.reason[cust]
    stop_paying = np.where(reason == DPD90, tau - 90, tau - 89)
    unpaid = (tau != NO_DAY) & (due >= stop_paying)
    outcome = rng.random(m)
    recovery_day = tau + rng.integers(30, 541, m)
    write_off_day = tau + rng.integers(90, 541, m)
    recovered = np.round(amount * rng.uniform(0.05, 0.6, m), 2)
    written_off_at_default = unpaid & (reason == WRITE_OFF)
    lingering = unpaid & ((reason == DPD90) | (reason == BANKRUPTCY))
    paid = np.where(lingering, NO_DAY, paid)
    paid_amount = np.where(lingering, 0.0, paid_amount)
    partly = lingering & (outcome >= 0.40) & (outcome < 0.75)
    paid[partly] = recovery_day[partly]
    paid_amount[partly] = recovered[partly]
    nothing = lingering & (outcome >= 0.75)
    paid[nothing] = write_off_day[nothing]
    paid_amount[nothing] = 0.0
    paid[written_off_at_default] = tau[written_off_at_default]
    paid_amount[written_off_at_default] = np.where(
        outcome[written_off_at_default] < 0.5, 0.0,
        np.round(amount[written_off_at_default] * rng.uniform(0.0, 0.3, int(written_off_at_default.sum())), 2),
    )

    # the data end at end_day: later payments are not known yet
    unknown = paid > end_day
    paid[unknown] = NO_DAY
    paid_amount[unknown] = 0.0
    return due, paid, paid_amount
