"""Sales orders and the accounts-receivable ledger of the synthetic portfolio.

Orders arrive as a Poisson process per customer and month with rate

.. math:: \\lambda_{i,m} = \\frac{r_i}{12}\\, s_m\\, a_{i,m}\\, (1 - 0.7\\, d_{i,m})

(``r_i`` orders a year growing with size, ``s_m`` seasonality, ``a_{i,m}`` the share of
the month the customer is active, ``d_{i,m}`` its stress), so orders fall in the months
before a default.  A non-cancelled order is delivered in 1-3 lots; each delivery is an
invoice due ``payment_terms_days`` after issue.  Days beyond terms are

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._synth_customers import Population
from ._synth_defaults import BANKRUPTCY, DPD90, WRITE_OFF, DefaultPaths, stress
from ._synth_util import NO_DAY, month_grid, segment_starts

ORDER_OPEN, ORDER_FULFILLED, ORDER_CANCELLED = range(3)
MAX_DAYS_BEYOND_TERMS = 89
BASE_CANCEL_RATE = 0.02


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


def stop_shipping_day(pop: Population, paths: DefaultPaths) -> np.ndarray:
    """Day deliveries stop: 30 days before a dpd90 default, at other defaults, never
    (``NO_DAY``) without a default."""
    tau = paths.default_day
    return np.where(tau == NO_DAY, NO_DAY, np.where(paths.reason == DPD90, tau - 30, tau))


def make_ledger(pop: Population, paths: DefaultPaths, rng: np.random.Generator, opts,
                start_day: int, end_day: int) -> Ledger:
    n = pop.n
    month_lo, month_hi = month_grid(start_day, end_day)
    n_months = len(month_lo)
    active_from = np.maximum(pop.onboard_day, start_day)
    active_to = np.minimum(stop_shipping_day(pop, paths), end_day + 1)  # exclusive

    size = np.where(pop.individual, 0.15, (pop.revenue / np.median(pop.revenue)) ** 0.35)
    size = np.clip(size / size.mean(), 0.1, 10.0)
    # two deliveries per order on average; about 2 % of orders are cancelled undelivered
    orders_per_year = opts.invoices_per_year * size / 2.0 / (1.0 - BASE_CANCEL_RATE)
    order_value = pop.annual_sales / orders_per_year

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

    o_amount = order_value[o_cust] * rng.lognormal(-0.18, 0.6, len(o_cust)) * (1.0 - 0.3 * d_order)
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
    x_issue = np.where(
        paths.reason[last] == DPD90,
        tau - 90 - pop.terms[last],
        np.minimum(np.maximum(tau - rng.integers(15, 61, len(last)), active_from[last]), tau),
    )
    x_order = np.maximum(x_issue - rng.integers(0, 8, len(last)), active_from[last])
    x_stress = stress(paths, last, x_order)
    x_amount = np.round(order_value[last] * rng.lognormal(-0.18, 0.6, len(last)) * (1.0 - 0.3 * x_stress), 2)

    order_customer = np.concatenate([o_cust, last])
    order_day = np.concatenate([o_day, x_order])
    order_amount = np.concatenate([o_amount, x_amount])
    order_status = np.concatenate([status, np.full(len(last), ORDER_FULFILLED)])
    order_closed = np.concatenate([closed, x_issue])
    del o_cust, o_day, o_amount, status, closed, cancelled, k, d_order

    i_cust = np.concatenate([dv_cust[delivered], last])
    i_issue = np.concatenate([dv_day[delivered], x_issue])
    i_amount = np.concatenate([dv_amount[delivered], x_amount])
    del dv_order, dv_day, dv_cust, delivered, dv_amount, gap, csum, offset, weight

    order_sort = np.argsort(order_customer * 2**24 + (order_day - start_day + 2**22), kind="stable")
    inv_sort = np.argsort(i_cust * 2**24 + (i_issue - start_day + 2**22), kind="stable")
    i_cust, i_issue, i_amount = i_cust[inv_sort], i_issue[inv_sort], i_amount[inv_sort]
    i_due, i_paid, i_paid_amount = _payments(pop, paths, rng, i_cust, i_issue, i_amount, end_day)

    return Ledger(
        order_customer[order_sort], order_day[order_sort], order_amount[order_sort],
        order_status[order_sort], order_closed[order_sort],
        i_cust, i_issue, i_due, i_amount, i_paid, i_paid_amount,
    )


def _payments(pop, paths, rng, cust, issue, amount, end_day):
    """Due date, payment date (``NO_DAY`` if open) and paid amount of every invoice."""
    m = len(cust)
    due = issue + pop.terms[cust]
    habit = (1.5 + 7.0 * np.exp(-0.7 * pop.quality)) * rng.lognormal(0.0, 0.35, pop.n)
    d_due = stress(paths, cust, due)
    late = habit[cust] * (1.0 + 3.0 * d_due) * rng.gamma(2.0, 0.5, m) - rng.uniform(0.0, 6.0, m)
    late = np.clip(np.rint(late).astype(np.int64), -pop.terms[cust], MAX_DAYS_BEYOND_TERMS)
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
