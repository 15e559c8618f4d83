"""Order-trend features from the ``orders`` table.

An order counts from its ``order_date`` on; it is left out once it is known to be
cancelled (``status == "cancelled"`` with ``closed_date <= as_of``).  An order cancelled
after as_of was a live order on as_of and counts.  Windows are ``(as_of - w, as_of]``.

The drop signal compares the last quarter with the quarterly run rate of the trailing
year (which includes that quarter)::

    baseline          = orders_amount_365d * 90 / 365
    orders_change_90d = orders_amount_90d / baseline - 1          (NaN if baseline = 0)
    orders_drop_flag  = 1 if orders_amount_90d < drop_threshold * baseline else 0

so with the default threshold 0.5 the flag is raised when the last 90 days brought less
than half of an average quarter.  A customer without orders in the trailing year has no
baseline: change NaN, flag 0 (there is nothing to drop from).

``order_to_invoice_days`` is how long an ordered amount counts in the exposure as an open
order (:func:`riskkit.limits.exposure`) before it is invoiced.  With invoices linked to
their orders (``invoices.order_id``) the exposure moves each invoiced lot from the order to
the receivables on the lot's issue day, so the measure is the amount-weighted mean of
``issue_date - order_date`` over the linked invoices issued in the last 365 days (an order
invoiced 4,000 after 10 days and 6,000 after 30 gives 22 days).  Without the link an open
order counts in full until it closes, and the measure is the amount-weighted mean of
``closed_date - order_date`` over the orders fulfilled in the last 365 days.  Either way,
by Little's law the average open-order balance is the annual ordered amount x
``order_to_invoice_days`` / 365, the part of the exposure the needs-based limit adds to the
receivable (:func:`riskkit.limits.needs_limit`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import (
    DAYS_PER_QUARTER,
    DAYS_PER_YEAR,
    NEVER,
    Feature,
    customer_codes,
    days,
    floats,
    group_sum,
    safe_divide,
)

__all__ = ["order_features", "FEATURES", "DEFAULT_DROP_THRESHOLD"]

DEFAULT_DROP_THRESHOLD = 0.5

_G = "orders"
FEATURES = (
    Feature("orders_amount_90d", _G, "amount of orders placed in the last 90 days, not "
            "cancelled by as_of", "currency"),
    Feature("orders_amount_365d", _G, "amount of orders placed in the last 365 days, not "
            "cancelled by as_of", "currency"),
    Feature("orders_count_90d", _G, "number of such orders in the last 90 days", "count"),
    Feature("orders_count_365d", _G, "number of such orders in the last 365 days", "count"),
    Feature("orders_change_90d", _G, "orders_amount_90d / (orders_amount_365d * 90/365) - 1: "
            "last quarter relative to the trailing year's quarterly run rate; NaN if there "
            "were no orders in the trailing year", "ratio"),
    Feature("orders_drop_flag", _G, "1 if orders_amount_90d < drop_threshold (default 0.5) * "
            "orders_amount_365d * 90/365, else 0 (0 without orders in the trailing year)",
            "flag"),
    Feature("order_to_invoice_days", _G, "how long an ordered amount counts as open exposure: "
            "amount-weighted mean of issue_date - order_date over the invoices of the last 365 days "
            "linked to an order (invoices.order_id), or, without that link, of closed_date - order_date "
            "over the orders fulfilled in the last 365 days; NaN if there is none", "days"),
)


def order_features(orders: pd.DataFrame, customer_ids: pd.Index, as_of_day: int,
                   drop_threshold: float = DEFAULT_DROP_THRESHOLD,
                   invoices: pd.DataFrame | None = None) -> pd.DataFrame:
    """Order-volume features of every customer in ``customer_ids`` on ``as_of_day``.

    Parameters
    ----------
    orders : DataFrame
        The ``orders`` table; orders placed after as_of are ignored.
    customer_ids : Index
        Customers to profile, in output order.
    as_of_day : int
        as_of as days since 1970-01-01.
    drop_threshold : float, default 0.5
        Share of the trailing quarterly run rate below which ``orders_drop_flag`` is 1.
    invoices : DataFrame, optional
        The ``invoices`` table; when it has ``order_id``, ``order_to_invoice_days`` is
        measured per invoiced lot (module docstring).

    Returns
    -------
    DataFrame
        Indexed like ``customer_ids``, columns as in :data:`FEATURES`.
    """
    if not np.isfinite(drop_threshold) or drop_threshold < 0:
        raise ValueError(f"drop_threshold must be a finite number >= 0, got {drop_threshold!r}")
    T = as_of_day
    n = len(customer_ids)
    code = customer_codes(customer_ids, orders["customer_id"], "orders")
    placed = days(orders, "orders", "order_date")
    closed = days(orders, "orders", "closed_date", nat=NEVER)
    amount = floats(orders, "orders", "amount")
    cancelled = (orders["status"] == "cancelled").to_numpy(dtype=bool, na_value=False)

    fulfilled = (orders["status"] == "fulfilled").to_numpy(dtype=bool, na_value=False) \
        & (closed <= T) & (closed > T - DAYS_PER_YEAR)
    f_code, f_amount = code[fulfilled], amount[fulfilled]
    open_days = (closed[fulfilled] - placed[fulfilled]).astype(np.float64)

    live = (placed <= T) & ~(cancelled & (closed <= T))
    in_365 = live & (placed > T - DAYS_PER_YEAR)
    in_90 = live & (placed > T - DAYS_PER_QUARTER)
    amount_90 = group_sum(code[in_90], n, amount[in_90])
    amount_365 = group_sum(code[in_365], n, amount[in_365])
    baseline = amount_365 * (DAYS_PER_QUARTER / DAYS_PER_YEAR)
    out = {
        "orders_amount_90d": amount_90,
        "orders_amount_365d": amount_365,
        "orders_count_90d": group_sum(code[in_90], n),
        "orders_count_365d": group_sum(code[in_365], n),
        "orders_change_90d": safe_divide(amount_90, baseline) - 1.0,
        "orders_drop_flag": ((baseline > 0) & (amount_90 < drop_threshold * baseline)).astype(np.int64),
        "order_to_invoice_days": (
            _lot_days(orders, placed, invoices, customer_ids, T) if invoices is not None and "order_id" in invoices
            else safe_divide(group_sum(f_code, n, f_amount * open_days), group_sum(f_code, n, f_amount))),
    }
    return pd.DataFrame(out, index=customer_ids)


def _lot_days(orders: pd.DataFrame, placed: np.ndarray, invoices: pd.DataFrame, customer_ids: pd.Index,
              T: int) -> np.ndarray:
    """Amount-weighted mean of ``issue_date - order_date`` over each customer's invoices of the
    last 365 days that name an order (invoices naming no order, or an order not in ``orders``,
    are left out; a validated book has neither an unknown order nor a lot before its order)."""
    issued = days(invoices, "invoices", "issue_date")
    position = pd.Index(orders["order_id"]).get_indexer(invoices["order_id"])
    lot = (position >= 0) & (issued <= T) & (issued > T - DAYS_PER_YEAR)
    code = customer_codes(customer_ids, invoices["customer_id"][lot], "invoices")
    amount = floats(invoices, "invoices", "amount")[lot]
    waited = (issued[lot] - placed[position[lot]]).astype(np.float64)
    n = len(customer_ids)
    return safe_divide(group_sum(code, n, amount * waited), group_sum(code, n, amount))
