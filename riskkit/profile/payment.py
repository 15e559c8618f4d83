"""Payment behaviour from the accounts-receivable ledger (the ``invoices`` table).

Conventions (T = ``as_of``; windows are half-open day ranges ending on T, e.g. the last
365 days are ``(T - 365, T]``):

* An invoice is *known* if ``issue_date <= T``.  It is *paid* at T if
  ``paid_date <= T``; a payment dated after T has not happened yet, so the invoice is
  *open* at T.
* A paid invoice is closed even when ``paid_amount < amount`` (a short payment: discount,
  dispute or write-off); its residual is not accounts receivable.  An open invoice's
  unpaid amount is its ``amount`` (the data model stores ``paid_amount = 0`` while open).
* Days past due (DPD) of an invoice on day t is ``min(paid_date, t) - due_date``: the day
  of payment still counts as a past-due day, so an invoice paid 89 days after its due
  date was 89 days past due.  DPD and days beyond terms are clipped at 0 (paying early
  does not offset paying late).
* Aging buckets use the DPD of open invoices on T: current (DPD <= 0, not yet due or due
  today), 1-30, 31-60, 61-90 and 90+ (DPD >= 91).
* Customers without invoices get 0 for amounts, counts and DPD, and NaN for ratios and
  averages (there is nothing to average).  Every ratio with a zero denominator is NaN,
  never inf.
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
    group_max,
    group_sum,
    safe_divide,
)

__all__ = ["payment_features", "FEATURES", "AGING_BUCKETS"]

#: aging buckets: column -> inclusive DPD range on as_of
AGING_BUCKETS = {
    "ar_current": (-np.inf, 0),
    "ar_1_30": (1, 30),
    "ar_31_60": (31, 60),
    "ar_61_90": (61, 90),
    "ar_90_plus": (91, np.inf),
}

_G = "payment"
FEATURES = (
    Feature("dso_days", _G,
            "days sales outstanding, simple (not count-back) method: ar_open / "
            "credit_sales_365d * 365; NaN when there were no credit sales in the last 365 days",
            "days"),
    Feature("weighted_days_to_pay", _G,
            "amount-weighted mean of paid_date - issue_date over invoices paid in the last "
            "365 days: sum(amount * days) / sum(amount); NaN if none was paid", "days"),
    Feature("avg_days_beyond_terms", _G,
            "amount-weighted mean of max(paid_date - due_date, 0) over invoices paid in the "
            "last 365 days; NaN if none was paid", "days"),
    Feature("max_days_beyond_terms", _G,
            "maximum of max(paid_date - due_date, 0) over invoices paid in the last 365 days; "
            "NaN if none was paid", "days"),
    Feature("current_dpd", _G,
            "maximum over invoices open on as_of of max(as_of - due_date, 0); 0 if none is open",
            "days"),
    Feature("max_dpd_365d", _G,
            "maximum DPD reached in the last 365 days: over invoices open on as_of "
            "(as_of - due_date) and invoices paid in the last 365 days (paid_date - due_date), "
            "clipped at 0; 0 if there are none", "days"),
    Feature("share_overdue", _G,
            "ar_overdue / ar_open: share of the open amount that is past due; NaN if ar_open = 0",
            "share"),
    Feature("ar_open", _G, "unpaid amount of invoices open on as_of (issued on or before it, "
            "not paid by it)", "currency"),
    Feature("ar_overdue", _G, "part of ar_open with DPD >= 1 on as_of", "currency"),
    Feature("ar_current", _G, "part of ar_open not yet past due (DPD <= 0)", "currency"),
    Feature("ar_1_30", _G, "part of ar_open with DPD 1-30", "currency"),
    Feature("ar_31_60", _G, "part of ar_open with DPD 31-60", "currency"),
    Feature("ar_61_90", _G, "part of ar_open with DPD 61-90", "currency"),
    Feature("ar_90_plus", _G, "part of ar_open with DPD >= 91", "currency"),
    Feature("ar_current_share", _G, "ar_current / ar_open; NaN if ar_open = 0", "share"),
    Feature("ar_1_30_share", _G, "ar_1_30 / ar_open; NaN if ar_open = 0", "share"),
    Feature("ar_31_60_share", _G, "ar_31_60 / ar_open; NaN if ar_open = 0", "share"),
    Feature("ar_61_90_share", _G, "ar_61_90 / ar_open; NaN if ar_open = 0", "share"),
    Feature("ar_90_plus_share", _G, "ar_90_plus / ar_open; NaN if ar_open = 0", "share"),
    Feature("n_open_invoices", _G, "number of invoices open on as_of", "count"),
    Feature("credit_sales_365d", _G, "amount invoiced (issue_date) in the last 365 days",
            "currency"),
    Feature("n_invoices_365d", _G, "number of invoices issued in the last 365 days", "count"),
    Feature("share_paid_late_365d", _G,
            "amount share of invoices paid in the last 365 days that were paid after their "
            "due date; NaN if none was paid", "share"),
    Feature("days_to_pay_recent", _G,
            "weighted_days_to_pay over invoices paid in the last 90 days (about 3 months); "
            "NaN if none", "days"),
    Feature("days_to_pay_prior", _G,
            "weighted_days_to_pay over invoices paid 91-365 days before as_of (months 4-12); "
            "NaN if none", "days"),
    Feature("days_to_pay_trend", _G,
            "days_to_pay_recent - days_to_pay_prior (positive: paying more slowly); NaN if "
            "either is NaN", "days"),
)


def _weighted_mean(codes, weights, values, n):
    return safe_divide(group_sum(codes, n, weights * values), group_sum(codes, n, weights))


def payment_features(invoices: pd.DataFrame, customer_ids: pd.Index, as_of_day: int) -> pd.DataFrame:
    """Payment-behaviour features of every customer in ``customer_ids`` on ``as_of_day``.

    Parameters
    ----------
    invoices : DataFrame
        The ``invoices`` table (see ``riskkit.data.schemas``); rows issued after as_of
        and payments dated after it are ignored.
    customer_ids : Index
        The customers to profile, in output order.
    as_of_day : int
        as_of as days since 1970-01-01.

    Returns
    -------
    DataFrame
        Indexed like ``customer_ids``; columns as in :data:`FEATURES` (definitions there
        and in the module docstring).

    Notes
    -----
    DSO by the simple (period-end) method, DSO = AR / credit sales x days in the period,
    i.e. days in the period / receivables turnover (CFA Institute, *International
    Financial Statement Analysis*, activity ratios; the period-end AR is used instead of
    the average so that the figure reflects as_of).  Days beyond terms is paid_date -
    due_date, the measure behind trade-payment scores such as D&B's PAYDEX.
    """
    T = as_of_day
    n = len(customer_ids)
    code = customer_codes(customer_ids, invoices["customer_id"], "invoices")
    issue = days(invoices, "invoices", "issue_date")
    due = days(invoices, "invoices", "due_date")
    paid = days(invoices, "invoices", "paid_date", nat=NEVER)
    amount = floats(invoices, "invoices", "amount")

    known = issue <= T
    code, issue, due, paid, amount = code[known], issue[known], due[known], paid[known], amount[known]
    is_paid = paid <= T
    is_open = ~is_paid

    # --- open AR and aging on as_of
    o_code, o_amount = code[is_open], amount[is_open]
    o_dpd = T - due[is_open]
    ar_open = group_sum(o_code, n, o_amount)
    out: dict[str, np.ndarray] = {}
    buckets = {}
    for name, (lo, hi) in AGING_BUCKETS.items():
        in_bucket = (o_dpd >= lo) & (o_dpd <= hi)
        buckets[name] = group_sum(o_code[in_bucket], n, o_amount[in_bucket])
    overdue = o_dpd >= 1
    ar_overdue = group_sum(o_code[overdue], n, o_amount[overdue])
    current_dpd = group_max(o_code, np.maximum(o_dpd, 0), n, fill=0.0)

    # --- invoices issued and paid in windows
    issued_365 = issue > T - DAYS_PER_YEAR
    credit_sales = group_sum(code[issued_365], n, amount[issued_365])
    n_invoices = group_sum(code[issued_365], n)

    paid_365 = is_paid & (paid > T - DAYS_PER_YEAR)
    p_code, p_amount = code[paid_365], amount[paid_365]
    p_paid, p_issue, p_due = paid[paid_365], issue[paid_365], due[paid_365]
    days_to_pay = (p_paid - p_issue).astype(np.float64)
    beyond_terms = np.maximum(p_paid - p_due, 0).astype(np.float64)
    recent = p_paid > T - DAYS_PER_QUARTER

    out["dso_days"] = safe_divide(ar_open, credit_sales) * DAYS_PER_YEAR
    out["weighted_days_to_pay"] = _weighted_mean(p_code, p_amount, days_to_pay, n)
    out["avg_days_beyond_terms"] = _weighted_mean(p_code, p_amount, beyond_terms, n)
    out["max_days_beyond_terms"] = group_max(p_code, beyond_terms, n, fill=np.nan)
    out["current_dpd"] = current_dpd.astype(np.int64)
    out["max_dpd_365d"] = np.maximum(current_dpd, group_max(p_code, beyond_terms, n, fill=0.0)
                                     ).astype(np.int64)
    out["share_overdue"] = safe_divide(ar_overdue, ar_open)
    out["ar_open"] = ar_open
    out["ar_overdue"] = ar_overdue
    out.update(buckets)
    for name in AGING_BUCKETS:
        out[f"{name}_share"] = safe_divide(buckets[name], ar_open)
    out["n_open_invoices"] = group_sum(o_code, n)
    out["credit_sales_365d"] = credit_sales
    out["n_invoices_365d"] = n_invoices
    late = p_paid > p_due
    out["share_paid_late_365d"] = safe_divide(group_sum(p_code[late], n, p_amount[late]),
                                              group_sum(p_code, n, p_amount))
    out["days_to_pay_recent"] = _weighted_mean(p_code[recent], p_amount[recent],
                                               days_to_pay[recent], n)
    out["days_to_pay_prior"] = _weighted_mean(p_code[~recent], p_amount[~recent],
                                              days_to_pay[~recent], n)
    out["days_to_pay_trend"] = out["days_to_pay_recent"] - out["days_to_pay_prior"]

    columns = [f.name for f in FEATURES]
    return pd.DataFrame({c: out[c] for c in columns}, index=customer_ids)
