"""``build_profile``: the point-in-time risk profile (风险画像) of every customer."""

from __future__ import annotations

import pandas as pd

from . import bureau, events, financials, orders, payment, static
from .._core.dates import check_as_of_in_period
from ..data.portfolio import data_period
from ._common import Feature, check_as_of, check_portfolio, day_number, snapshot

__all__ = ["build_profile", "FEATURES", "feature_table"]

#: every profile column: name -> Feature(name, group, definition, unit), in column order
FEATURES: dict[str, Feature] = {
    f.name: f
    for module in (payment, orders, financials, events, bureau, static)
    for f in module.FEATURES
}


def feature_table() -> pd.DataFrame:
    """The documentation of every profile column as a DataFrame indexed by ``name``.

    Columns ``group``, ``definition`` and ``unit``; one row per column of
    :func:`build_profile`, in the same order.
    """
    return pd.DataFrame(
        {"group": [f.group for f in FEATURES.values()],
         "definition": [f.definition for f in FEATURES.values()],
         "unit": [f.unit for f in FEATURES.values()]},
        index=pd.Index(list(FEATURES), name="name"),
    )


def build_profile(portfolio, as_of, *, customer_ids=None,
                  orders_drop_threshold: float = orders.DEFAULT_DROP_THRESHOLD) -> pd.DataFrame:
    """Point-in-time risk profile: one row per customer known on ``as_of``.

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
        The book.  Only its point-in-time snapshot ``portfolio.as_of(as_of)`` is read:
        invoices issued, payments made, orders placed or closed, statements *published*,
        bureau reports and events dated after ``as_of`` do not influence any feature.
    as_of : date-like
        The observation date (``"2024-06-30"``, ``datetime.date``, ``pd.Timestamp``,
        ``np.datetime64``); a calendar day without time of day.
    customer_ids : list-like of str, optional
        Profile only these customers (all must exist and be onboarded on or before
        ``as_of``); by default every customer onboarded on or before ``as_of``.
    orders_drop_threshold : float, default 0.5
        ``orders_drop_flag`` is 1 when the last 90 days' orders fall below this share of
        the trailing year's quarterly run rate.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted), one column per entry of :data:`FEATURES`,
        grouped as payment, orders, financials, events, bureau, static.  Amounts and
        counts of customers without records are 0; ratios and averages without data are
        NaN; a zero denominator gives NaN, never inf.

    Raises
    ------
    TypeError
        ``as_of`` is not a date or ``portfolio`` is not a Portfolio.
    riskkit.AsOfBeforeDataError
        (a ``ValueError``) ``as_of`` is before the first customer's onboarding: nobody was a
        customer yet (:func:`riskkit._core.dates.check_as_of_in_period`).
    ValueError
        ``as_of`` has a time of day, a table references an unknown customer, or a
        requested customer was not onboarded by ``as_of``.
    KeyError
        A requested customer id is not in ``customers``.

    Warns
    -----
    riskkit.AsOfAfterDataWarning
        ``as_of`` lies more than 31 days after the latest record of any table: current days
        past due, ages and "days since" features grow with no data to stop them.

    See Also
    --------
    feature_table : definition and unit of every column.
    riskkit.assess.network_profile : this profile joined with the relationship features.
    default_flags : the label for the year after ``as_of``.

    Examples
    --------
    >>> import riskkit as rk
    >>> p = rk.datasets.load_sample()                                   # doctest: +SKIP
    >>> profile = rk.profile.build_profile(p, "2024-06-30")         # doctest: +SKIP
    >>> profile[["dso_days", "current_dpd", "altman_zone"]].head()  # doctest: +SKIP
    """
    as_of = check_as_of(as_of)
    check_portfolio(portfolio)
    check_as_of_in_period(as_of, *data_period(portfolio), what="build_profile")
    T = day_number(as_of)
    known = snapshot(portfolio, as_of)
    customers = known.customers
    customers = customers[customers["onboarded"] <= as_of]
    if customer_ids is not None:
        customers = _select_customers(portfolio.customers, customers, customer_ids, as_of)
    customers = customers.sort_values("customer_id", kind="stable")
    ids = pd.Index(customers["customer_id"], name="customer_id")
    # the snapshot's tables hold only customers onboarded by as_of; without a snapshot
    # (a duck-typed portfolio) they may hold later ones, so code against all customers
    all_ids = pd.Index(known.customers["customer_id"], name="customer_id")
    groups = [
        payment.payment_features(known.invoices, all_ids, T),
        orders.order_features(known.orders, all_ids, T, drop_threshold=orders_drop_threshold,
                              invoices=known.invoices),
        financials.financial_features(known.financials, all_ids, T),
        events.event_features(known.events, all_ids, T),
        bureau.bureau_features(known.bureau, all_ids, T),
    ]
    positions = all_ids.get_indexer(ids)
    parts = [g.iloc[positions].set_axis(ids, axis=0) for g in groups]
    parts.append(static.static_features(customers, T))
    profile = pd.concat(parts, axis=1).loc[:, list(FEATURES)]
    return profile


def _select_customers(all_customers: pd.DataFrame, onboarded: pd.DataFrame, customer_ids,
                      as_of: pd.Timestamp) -> pd.DataFrame:
    if isinstance(customer_ids, str):
        customer_ids = [customer_ids]
    wanted = pd.Index(pd.unique(pd.Series(list(customer_ids), dtype="str")))
    unknown = wanted.difference(pd.Index(all_customers["customer_id"]))
    if len(unknown):
        raise KeyError(f"unknown customer_id(s) {unknown[:5].tolist()} ({len(unknown)} not in "
                       f"customers)")
    late = wanted.difference(pd.Index(onboarded["customer_id"]))
    if len(late):
        raise ValueError(f"customer_id(s) {late[:5].tolist()} ({len(late)}) were not onboarded "
                         f"on or before as_of={as_of.date()}")
    return onboarded[onboarded["customer_id"].isin(wanted)]
