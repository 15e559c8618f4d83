"""Exposure at default (风险敞口) of each customer and the expected loss.

EAD of trade credit on ``as_of`` is what the customer owes plus what it has ordered and
will owe once the orders ship::

    open_ar     = unpaid amount of invoices issued on or before as_of and not paid by it
    open_orders = amount of orders placed on or before as_of and not closed (fulfilled or
                  cancelled) by it
    ead         = open_ar + open_orders
    utilisation = ead / credit_limit        (NaN when the limit is 0)

A payment or closing dated after as_of has not happened on as_of (point in time), so an
order cancelled after as_of still counts as open on as_of.  A fulfilled order becomes an
invoice, so it is counted once, in open_ar.  A paid invoice is closed even if
``paid_amount < amount`` (short payment), as in :mod:`riskkit.profile.payment`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
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
        ``as_of``, columns ``open_ar``, ``open_orders``, ``ead`` (= open_ar + open_orders),
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
    """
    as_of = check_as_of(as_of)
    check_portfolio(portfolio)
    T = day_number(as_of)
    known = portfolio.as_of(as_of)
    all_ids = pd.Index(known.customers["customer_id"], name="customer_id")
    n = len(all_ids)

    inv = known.invoices
    code = customer_codes(all_ids, inv["customer_id"], "invoices")
    open_ = (days(inv, "invoices", "issue_date") <= T) & (
        days(inv, "invoices", "paid_date", nat=NEVER) > T)
    # an open invoice's paid_amount is 0 in the data model, so its unpaid amount is amount
    open_ar = group_sum(code[open_], n, floats(inv, "invoices", "amount")[open_])

    orders = known.orders
    code = customer_codes(all_ids, orders["customer_id"], "orders")
    open_o = (days(orders, "orders", "order_date") <= T) & (
        days(orders, "orders", "closed_date", nat=NEVER) > T)
    open_orders = group_sum(code[open_o], n, floats(orders, "orders", "amount")[open_o])

    limit = floats(known.customers, "customers", "credit_limit")
    ead = open_ar + open_orders
    out = pd.DataFrame({"open_ar": open_ar, "open_orders": open_orders, "ead": ead,
                        "credit_limit": limit, "utilisation": safe_divide(ead, limit)},
                       index=all_ids)
    onboarded = (known.customers["onboarded"] <= as_of).to_numpy()
    return out[onboarded].sort_index(kind="stable")


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
