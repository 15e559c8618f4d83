"""Exposure at default (风险敞口) of each customer and the expected loss.

EAD of trade credit on ``as_of`` is what the customer owes plus what it has ordered and
will owe once the orders ship::

    open_ar     = unpaid amount of invoices issued on or before as_of and not paid by it
    invoiced_o  = amount of the invoices against order o (invoices.order_id) issued on or
                  before as_of, paid or not
    open_orders = sum over the orders placed on or before as_of and not closed (fulfilled
                  or cancelled) by it of  max(amount_o - invoiced_o, 0)
    ead         = open_ar + open_orders
    utilisation = ead / credit_limit        (NaN when the limit is 0)

An order invoiced in lots moves each lot from the order to the receivables on the lot's
issue day, so a delivered lot is counted once, in ``open_ar`` (then not at all once
paid), and an open order only with its un-invoiced rest.  The rest is floored at 0: an
order invoiced above its amount (freight, price changes) adds nothing, and the excess is
in ``open_ar`` where it belongs.  An invoice with an empty ``order_id`` (a service fee)
counts in ``open_ar`` only.  When ``invoices`` has no ``order_id`` column nothing links
invoices to orders and every open order counts at its full amount: ``open_orders`` and
``ead`` are then upper bounds, exact only for books whose orders are invoiced once, on
the day they close.

A payment or closing dated after as_of has not happened on as_of (point in time), so an
order cancelled after as_of still counts as open on as_of.  A fulfilled order has become
invoices, so it is counted once, in open_ar.  A paid invoice is closed even if
``paid_amount < amount`` (short payment), as in :mod:`riskkit.profile.payment`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas import Index, Series

from .._core.arrays import NEVER, customer_codes, day_number, days, floats, group_sum, safe_divide
from .._core.checks import align_by_index
from .._core.dates import check_as_of
from ..data.portfolio import check_portfolio

__all__ = ["exposure", "expected_loss"]


def exposure(portfolio, as_of) -> pd.DataFrame:
    """Exposure at default (EAD) and limit utilisation of every customer on ``as_of``.

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
        The book; only its point-in-time snapshot ``portfolio.as_of(as_of)`` is read.
    as_of : date-like
        Calendar day of the measurement.

    Returns
    -------
    DataFrame
        Indexed by the sorted ``customer_id`` of every customer onboarded on or before
        ``as_of``, columns ``open_ar``, ``open_orders`` (the un-invoiced rest of the open
        orders, see the module docstring), ``ead`` (= open_ar + open_orders),
        ``credit_limit`` (the limit in force on ``as_of``: the snapshot applies the book's
        ``credit_decisions``, see :meth:`riskkit.data.Portfolio.as_of`) and
        ``utilisation`` (= ead / credit_limit; NaN if the limit is 0, e.g. a line
        withdrawn after a default).
        Zero rows if nobody was onboarded by ``as_of``.

    Notes
    -----
    EAD for a trade-credit line is the drawn amount (receivables) plus committed but
    undrawn amounts that will be drawn before default (accepted orders), in the sense of
    the Basel II IRB approach (BCBS 2006, para. 474 ff.: EAD of undrawn commitments); a
    credit-conversion factor of 100 % is applied to open orders.

    An open order adds ``max(amount - invoiced, 0)``, where ``invoiced`` is the amount of
    its invoices (``invoices.order_id``) issued on or before ``as_of``: a lot already
    invoiced is in ``open_ar`` (or paid), not counted twice; over-invoicing (freight)
    never makes an order's rest negative.  Without an ``invoices.order_id`` column an
    open order counts its full amount, so ``open_orders`` and ``ead`` are upper bounds
    (delivered lots of orders still open are counted twice).
    """
    as_of = check_as_of(as_of)
    check_portfolio(portfolio)
    T = day_number(as_of)
    known = portfolio.as_of(as_of)
    all_ids = pd.Index(known.customers["customer_id"], name="customer_id")
    n = len(all_ids)

    inv = known.invoices
    code = customer_codes(all_ids, inv["customer_id"], "invoices")
    issued = days(inv, "invoices", "issue_date") <= T
    open_ = issued & (days(inv, "invoices", "paid_date", nat=NEVER) > T)
    # an open invoice's paid_amount is 0 in the data model, so its unpaid amount is amount
    amount = floats(inv, "invoices", "amount")
    open_ar = group_sum(code[open_], n, amount[open_])

    orders = known.orders
    code = customer_codes(all_ids, orders["customer_id"], "orders")
    open_o = (days(orders, "orders", "order_date") <= T) & (
        days(orders, "orders", "closed_date", nat=NEVER) > T)
    rest = floats(orders, "orders", "amount")
    if "order_id" in inv.columns:
        rest = np.maximum(rest - _invoiced(orders["order_id"], inv["order_id"], np.where(issued, amount, 0.0)), 0.0)
    open_orders = group_sum(code[open_o], n, rest[open_o])

    limit = floats(known.customers, "customers", "credit_limit")
    ead = open_ar + open_orders
    out = pd.DataFrame({"open_ar": open_ar, "open_orders": open_orders, "ead": ead,
                        "credit_limit": limit, "utilisation": safe_divide(ead, limit)},
                       index=all_ids)
    onboarded = (known.customers["onboarded"] <= as_of).to_numpy()
    return out[onboarded].sort_index(kind="stable")


def _invoiced(order_ids: pd.Series, invoice_order_ids: pd.Series, amount: np.ndarray) -> np.ndarray:
    """Amount invoiced against each order of ``order_ids``: the sum of ``amount`` by the
    invoices' ``invoice_order_ids`` (empty ones and orders not in ``order_ids`` left out;
    order ids are unique in a validated portfolio)."""
    # Arrow's hash lookup: ~3x faster than pandas' get_indexer on the str dtype
    position = pc.index_in(pa.array(invoice_order_ids), value_set=pa.array(order_ids))
    position = position.fill_null(-1).to_numpy().astype(np.int64)
    known = position >= 0
    return group_sum(position[known], len(order_ids), amount[known])


def _check_array(value, name: str, upper: float | None):
    """Validate one input of expected_loss; return it as a float array (or Series)."""
    if isinstance(value, Series):
        values = value.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            values = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be numeric, got {value!r}") from exc
    bad = ~np.isfinite(values) | (values < 0)
    if upper is not None:
        bad |= values > upper
    if bad.any():
        where = np.flatnonzero(bad.ravel())
        labels = (value.index[where] if isinstance(value, Series) else where)[:5]
        rule = f"in [0, {upper:g}]" if upper is not None else "finite and >= 0"
        raise ValueError(f"{name} must be {rule}; {len(where)} bad value(s) at "
                         f"{list(labels)}, e.g. {values.ravel()[where[0]]!r}")
    return values


def expected_loss(pd, lgd, ead):
    """Expected loss EL = PD x LGD x EAD.

    Parameters
    ----------
    pd : float, array-like or Series
        Probability of default over the horizon, in [0, 1].
    lgd : float, array-like or Series
        Loss given default as a share of EAD, in [0, 1].
    ead : float, array-like or Series
        Exposure at default (currency), finite and >= 0 (see :func:`exposure`).

    Returns
    -------
    float, ndarray or Series
        Element-wise ``pd * lgd * ead`` (numpy broadcasting).  If any input is a Series
        the result is a Series named ``expected_loss`` indexed like the first Series input,
        in its order: Series are paired by index label
        (:func:`riskkit._core.checks.align_by_index`), never by position; a float if every
        input is a scalar.

    Raises
    ------
    ValueError
        A value is NaN, infinite or out of range (the message lists where), or the shapes
        do not broadcast.
    riskkit._core.errors.InputError
        Series with different index labels (or repeated labels that make the pairing
        ambiguous), naming both arguments (a ``ValueError`` too).

    References
    ----------
    Basel Committee on Banking Supervision (2005). *An Explanatory Note on the Basel II
    IRB Risk Weight Functions*, section 3: expected loss EL = PD x LGD x EAD.

    Examples
    --------
    >>> expected_loss(0.02, 0.5, 1_000_000.0)
    10000.0
    """
    inputs = dict(zip(("pd", "lgd", "ead"), align_by_index(pd=pd, lgd=lgd, ead=ead)))
    arrays = {name: _check_array(v, name, upper=None if name == "ead" else 1.0)
              for name, v in inputs.items()}
    # after the pairing every Series has the first one's index
    index: Index | None = next((v.index for v in inputs.values() if isinstance(v, Series)), None)
    try:
        loss = arrays["pd"] * arrays["lgd"] * arrays["ead"]
    except ValueError as exc:
        shapes = {k: v.shape for k, v in arrays.items()}
        raise ValueError(f"expected_loss: pd, lgd and ead do not broadcast: {shapes}") from exc
    if index is not None:
        if loss.shape != (len(index),):
            raise ValueError(f"expected_loss: result shape {loss.shape} does not match the "
                             f"Series index of length {len(index)}")
        return Series(loss, index=index, name="expected_loss")
    if loss.ndim == 0:
        return float(loss)
    return loss
