"""One customer's risk profile (风险画像) as data: the tables behind ``customer_profile.ipynb``.

:func:`customer_view` assembles, for one customer on ``as_of``, everything a credit
committee reads about it: overview, background, financial statements with Altman Z'',
payment behaviour and its monthly history, events, bureau reports, the expert score with
per-factor contributions, the statistical PD and the grade with the rule that produced it,
linked parties (group, guarantees, ego network), exposure and limit, and the warning
signals that call for a next step.  It only joins the kit's own pipeline
(:func:`~riskkit.profile.build_profile`,
:func:`~riskkit.scoring.fit_portfolio_scorecard`,
:func:`~riskkit.assess.assess_portfolio`, :func:`~riskkit.graph.build_graph`,
:func:`~riskkit.graph.graph_features`, :func:`~riskkit.limits.exposure`); nothing is
re-derived here except the per-month and per-statement histories, which use the same
definitions as the profile columns.

Everything is point in time: only records known on ``as_of`` are read (through
:meth:`riskkit.data.Portfolio.as_of`), and personal data are masked with
:func:`riskkit.data.mask_pii` unless ``unmask=True``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from .._core.arrays import NEVER, day_number, safe_divide
from .._core.conditions import parse_condition
from .._core.dates import check_as_of
from .._core.display import HTMLReprMixin
from .._core.errors import RiskkitError
from ..data.portfolio import Portfolio, check_portfolio
from ..data.privacy import mask_pii
from ..graph import build_graph, control_groups
from ..limits import exposure as exposure_table
from ..profile import build_profile
from ..profile.financials import financial_features
from ..profile.payment import AGING_BUCKETS
from ..scoring import ExpertScorecard, RatingRules
from ._graph import portfolio_graph_features
from .findings import customer_findings
from .pipeline import DEFAULT_LGD, assess_portfolio, development_dates, fit_portfolio_scorecard

__all__ = [
    "CustomerView",
    "UnknownCustomerError",
    "WarningCheck",
    "WARNING_CHECKS",
    "check_customer",
    "customer_view",
    "showcase_customer",
    "payment_history",
    "financial_history",
    "warning_signals",
]

#: how many close matches an unknown id message suggests
N_SUGGESTIONS = 3
#: similarity (difflib ratio) a suggestion needs
SUGGESTION_CUTOFF = 0.6
#: the tables whose rows belong to one customer (keyed by customer_id)
_TABLES = ("invoices", "orders", "financials", "bureau", "events", "defaults", "credit_decisions")


class UnknownCustomerError(RiskkitError, ValueError):
    """A customer id that is not in the portfolio, or not yet a customer on ``as_of``.

    Attributes
    ----------
    customer_id : str
        The id asked for.
    suggestions : list of str
        Close matches among the portfolio's ids (:func:`difflib.get_close_matches`,
        case-insensitive), best first; empty when nothing is close or the customer exists
        but was onboarded after ``as_of``.
    onboarded : Timestamp or None
        The onboarding date when the customer exists but was onboarded after ``as_of``.
    """

    def __init__(self, message: str, customer_id: str, suggestions=(), onboarded=None):
        super().__init__(message)
        self.customer_id = customer_id
        self.suggestions = list(suggestions)
        self.onboarded = onboarded


def check_customer(portfolio, customer_id, as_of) -> str:
    """The id of a customer of ``portfolio`` known on ``as_of``, or a clear error.

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
    customer_id : str
        Ids are strings; another scalar (e.g. an int from a command line) is compared as
        its ``str``.
    as_of : date-like

    Returns
    -------
    str
        ``customer_id`` as a string.

    Raises
    ------
    UnknownCustomerError
        The id is not in ``customers`` (the message names it and suggests up to three
        close matches), or the customer was onboarded after ``as_of``.
    ValueError
        ``customer_id`` is None or empty.

    Examples
    --------
    >>> import riskkit as rk
    >>> p = rk.datasets.generate_portfolio(20, seed=1)
    >>> check_customer(p, "C000007", "2024-12-31")
    'C000007'
    >>> check_customer(p, "c000007", "2024-12-31")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    riskkit.assess.customer.UnknownCustomerError: customer_id 'c000007' is not in the portfolio (20 customers); did you mean 'C000007', ...?
    """
    as_of = check_as_of(as_of)
    check_portfolio(portfolio)
    if customer_id is None or (isinstance(customer_id, str) and not customer_id.strip()):
        raise ValueError("customer_id is required (a customer id such as those in customers.customer_id); "
                         "showcase_customer(portfolio, as_of) picks one")
    customer_id = str(customer_id)
    customers = portfolio.customers
    ids = customers["customer_id"]
    found = (ids == customer_id).to_numpy()
    if not found.any():
        suggestions = _close_matches(customer_id, ids)
        if suggestions:
            hint = "did you mean " + ", ".join(repr(s) for s in suggestions) + "?"
        else:
            example = f" (ids look like {ids.iloc[0]!r})" if len(ids) else ""
            hint = f"no customer id is close to it{example}."
        raise UnknownCustomerError(
            f"customer_id {customer_id!r} is not in the portfolio ({len(ids)} customers); {hint}",
            customer_id, suggestions)
    onboarded = pd.Timestamp(customers.loc[found, "onboarded"].iloc[0])
    if onboarded > as_of:
        raise UnknownCustomerError(
            f"customer_id {customer_id!r} was onboarded on {onboarded.date()}, after as_of {as_of.date()}: "
            f"it was not yet a customer then; choose an as_of on or after {onboarded.date()}",
            customer_id, onboarded=onboarded)
    return customer_id


def _close_matches(customer_id: str, ids: pd.Series) -> list[str]:
    # compare case-insensitively ("c000807" finds "C000807") but suggest the real ids
    lowered: dict[str, str] = {}
    for value in ids.astype("str"):
        lowered.setdefault(value.lower(), value)
    matches = difflib.get_close_matches(customer_id.lower(), list(lowered), n=N_SUGGESTIONS,
                                        cutoff=SUGGESTION_CUTOFF)
    return [lowered[m] for m in matches]


def showcase_customer(portfolio, as_of) -> str:
    """A deterministic customer worth a profile: the largest exposure with litigation and financials.

    Among customers onboarded on or before ``as_of`` that have at least one
    ``litigation`` event dated on or before ``as_of`` and at least one financial statement
    published by then, the one with the highest EAD (:func:`riskkit.limits.exposure`);
    ties go to the smallest id.  If no customer has both, the highest EAD among all
    customers onboarded by ``as_of``.

    Raises
    ------
    ValueError
        No customer was onboarded on or before ``as_of``.
    """
    as_of = check_as_of(as_of)
    check_portfolio(portfolio)
    ead = exposure_table(portfolio, as_of)["ead"]
    if ead.empty:
        raise ValueError(f"no customer was onboarded on or before as_of {as_of.date()}")
    known = portfolio.as_of(as_of)
    litigated = known.events.loc[known.events["category"] == "litigation", "customer_id"]
    with_statements = known.financials["customer_id"]
    eligible = ead.index.isin(litigated) & ead.index.isin(with_statements)
    pool = ead[eligible] if eligible.any() else ead
    ranked = pool.rename("ead").reset_index().sort_values(["ead", "customer_id"], ascending=[False, True],
                                                          kind="stable")
    return str(ranked["customer_id"].iloc[0])


# -- histories --------------------------------------------------------------------------------------
def _customer_snapshot(portfolio, customer_id: str, as_of: pd.Timestamp):
    """The point-in-time snapshot (Portfolio.as_of) of one customer's own records."""


    tables = {name: getattr(portfolio, name) for name in _TABLES}
    tables = {name: df[(df["customer_id"] == customer_id).to_numpy()] for name, df in tables.items()}
    customers = portfolio.customers
    customers = customers[(customers["customer_id"] == customer_id).to_numpy()]
    relations = portfolio.relations.iloc[:0]
    return Portfolio(customers, **tables, relations=relations, validate=False).as_of(as_of)


def _month_window(first_day: pd.Timestamp | None, as_of: pd.Timestamp, months: int | None) -> pd.PeriodIndex:
    last = as_of.to_period("M")
    first = last if first_day is None else min(first_day.to_period("M"), last)
    if months is not None:
        if months < 1:
            raise ValueError(f"months must be a positive number of months or None, got {months!r}")
        first = max(first, last - (months - 1))
    return pd.period_range(first, last, freq="M", name="month")


def _monthly_payments(invoices: pd.DataFrame, as_of: pd.Timestamp, months: int | None) -> pd.DataFrame:
    T = day_number(as_of)
    first = invoices["issue_date"].min() if len(invoices) else None
    periods = _month_window(first, as_of, months)
    starts = np.array([day_number(p.start_time) for p in periods], dtype=np.int64)
    # the last month is measured on as_of, not on its calendar end (point in time)
    ends = np.minimum(np.array([day_number(p.end_time.normalize()) for p in periods], dtype=np.int64), T)
    n = len(periods)

    issue = invoices["issue_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    due = invoices["due_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    paid_at = invoices["paid_date"]
    paid = paid_at.to_numpy().astype("datetime64[D]").astype(np.int64)
    paid[paid_at.isna().to_numpy() | (paid > T)] = NEVER
    amount = invoices["amount"].to_numpy(dtype=np.float64)
    paid_amount = invoices["paid_amount"].to_numpy(dtype=np.float64)

    def month_of(day: np.ndarray) -> np.ndarray:
        k = np.searchsorted(starts, day, side="right") - 1
        return np.where((k >= 0) & (day <= T), k, -1)

    k_issue = month_of(issue)
    issued = k_issue >= 0
    k_paid = month_of(np.where(paid == NEVER, T + 1, paid))
    was_paid = k_paid >= 0
    days_to_pay = (paid - issue).astype(np.float64)
    beyond = np.maximum(paid - due, 0).astype(np.float64)

    def per_month(k, mask, weights=None):
        return np.bincount(k[mask], weights=None if weights is None else weights[mask], minlength=n)[:n]

    paid_weight = per_month(k_paid, was_paid, amount)
    max_beyond = np.full(n, -np.inf)
    np.maximum.at(max_beyond, k_paid[was_paid], beyond[was_paid])

    # state on each month's measurement day: invoices issued by then and not yet paid
    is_open = (issue[:, None] <= ends[None, :]) & (paid[:, None] > ends[None, :])
    dpd = ends[None, :] - due[:, None]
    overdue = is_open & (dpd >= 1)
    out = pd.DataFrame({
        "measured_on": pd.to_datetime(ends, unit="D").astype("datetime64[ns]"),
        "n_invoices": per_month(k_issue, issued).astype(np.int64),
        "invoiced_amount": per_month(k_issue, issued, amount).astype(np.float64),
        "n_paid": per_month(k_paid, was_paid).astype(np.int64),
        "paid_amount": per_month(k_paid, was_paid, paid_amount).astype(np.float64),
        "weighted_days_to_pay": safe_divide(per_month(k_paid, was_paid, amount * days_to_pay), paid_weight),
        "weighted_days_beyond_terms": safe_divide(per_month(k_paid, was_paid, amount * beyond), paid_weight),
        "max_days_beyond_terms": np.where(np.isneginf(max_beyond), np.nan, max_beyond),
        "open_ar": (amount[:, None] * is_open).sum(axis=0),
        "overdue_ar": (amount[:, None] * overdue).sum(axis=0),
        "max_dpd": np.where(is_open, np.maximum(dpd, 0), 0).max(axis=0, initial=0).astype(np.int64),
    }, index=periods)
    return out


def payment_history(portfolio, customer_id, as_of, months: int | None = 36) -> pd.DataFrame:
    """The customer's invoicing and payment behaviour month by month up to ``as_of``.

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
    customer_id : str
    as_of : date-like
        Only invoices issued and payments made on or before it count; a payment after it
        has not happened yet (the invoice is open).
    months : int or None, default 36
        Number of calendar months ending with the month of ``as_of``; the table starts no
        earlier than the month of the customer's first invoice.  None: all months since
        the first invoice.

    Returns
    -------
    DataFrame
        Indexed by ``month`` (monthly ``Period``), columns

        * ``measured_on``: the month end, or ``as_of`` for its (partial) month;
        * ``n_invoices``, ``invoiced_amount``: invoices issued in the month;
        * ``n_paid``, ``paid_amount``: invoices paid in the month and the cash received;
        * ``weighted_days_to_pay``: amount-weighted mean of paid_date - issue_date over
          the invoices paid in the month, ``sum(amount * days) / sum(amount)``;
        * ``weighted_days_beyond_terms``: the same for ``max(paid_date - due_date, 0)``;
        * ``max_days_beyond_terms``: the largest ``max(paid_date - due_date, 0)``;
          these three are NaN in a month without payments;
        * ``open_ar``, ``overdue_ar``: amount of invoices open on ``measured_on`` and the
          part of it at least one day past due;
        * ``max_dpd``: the largest days past due, ``measured_on - due_date``, of an
          invoice open on ``measured_on`` (0 if none).

        These are the month-by-month versions of the profile columns
        ``weighted_days_to_pay``, ``avg_days_beyond_terms``, ``ar_open``,
        ``ar_overdue`` and ``current_dpd`` (:mod:`riskkit.profile.payment`).

    Raises
    ------
    UnknownCustomerError
        See :func:`check_customer`.
    """
    as_of = check_as_of(as_of)
    customer_id = check_customer(portfolio, customer_id, as_of)
    known = _customer_snapshot(portfolio, customer_id, as_of)
    return _monthly_payments(known.invoices, as_of, months)


_STATEMENT_COLUMNS = ("published_date", "revenue", "ebit", "net_income", "total_assets", "total_liabilities",
                      "equity")
_RATIO_COLUMNS = ("current_ratio", "cash_ratio", "leverage", "interest_cover", "ebit_margin", "net_margin", "roa",
                  "altman_z", "altman_zone")


def _statement_history(financials: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    stm = financials.sort_values(["period_end", "published_date"], kind="stable").reset_index(drop=True)
    # every statement its own pseudo-customer, so the profile's own ratio code rates each one
    keys = pd.Index([f"statement_{i}" for i in range(len(stm))], dtype="str", name="customer_id")
    ratios = financial_features(stm.assign(customer_id=keys.to_numpy()), keys, day_number(as_of))
    out = pd.concat([stm[list(_STATEMENT_COLUMNS)].set_axis(keys),
                     ratios[list(_RATIO_COLUMNS)]], axis=1)
    out.index = pd.DatetimeIndex(stm["period_end"], name="period_end")
    return out


def financial_history(portfolio, customer_id, as_of) -> pd.DataFrame:
    """The customer's financial statements published on or before ``as_of``, with ratios.

    Returns
    -------
    DataFrame
        Indexed by ``period_end`` (oldest first): ``published_date``, ``revenue``,
        ``ebit``, ``net_income``, ``total_assets``, ``total_liabilities``, ``equity``
        and the ratios ``current_ratio``, ``cash_ratio``, ``leverage``,
        ``interest_cover``, ``ebit_margin``, ``net_margin``, ``roa``, ``altman_z``
        (Altman Z'', :func:`riskkit.profile.altman_z_double_prime`) and
        ``altman_zone`` with the definitions of :mod:`riskkit.profile.financials`.
        No rows if no statement was published by ``as_of``.
    """
    as_of = check_as_of(as_of)
    customer_id = check_customer(portfolio, customer_id, as_of)
    return _statement_history(_customer_snapshot(portfolio, customer_id, as_of).financials, as_of)


# -- warning signals --------------------------------------------------------------------------------
@dataclass(frozen=True)
class WarningCheck:
    """A warning signal: a condition over profile/assessment columns and the next step it calls for.

    ``condition`` is in the safe condition language of
    :mod:`riskkit._core.conditions` (data, never evaluated as code).
    """

    name: str
    condition: str
    description: str
    next_step: str


#: The default warning signals of a customer profile, each with the step it calls for.
#: Thresholds are round conventional values: 30 days past due is the usual first
#: escalation step of trade-credit collections; Altman Z'' zones as in
#: :mod:`riskkit.profile.financials`; interest cover below 1 means EBIT does not pay the
#: interest; statements older than 18 months are stale.
WARNING_CHECKS: tuple[WarningCheck, ...] = (
    WarningCheck("overdue_over_30_days", "current_dpd > 30",
                 "an invoice is more than 30 days past due today",
                 "Contact the customer's finance team and hold new deliveries until the overdue invoices are paid"),
    WarningCheck("paying_slower", "days_to_pay_trend > 10",
                 "paid more than 10 days slower in the last 3 months than in the 9 months before",
                 "Ask the customer why payments slowed; review the payment terms"),
    WarningCheck("orders_drop", "orders_drop_flag == 1",
                 "orders of the last 90 days fell below half of the trailing year's quarterly run rate",
                 "Check with sales whether the business moved elsewhere or the customer is shrinking"),
    WarningCheck("altman_distress_zone", "altman_zone == 'distress'",
                 "Altman Z'' of the latest statement is in the distress zone (below 1.10)",
                 "Request current management accounts; consider security (guarantee, credit insurance)"),
    WarningCheck("interest_not_covered", "interest_cover < 1",
                 "EBIT of the latest statement does not cover its interest expense",
                 "Review debt service and refinancing needs with the customer"),
    WarningCheck("financials_stale_or_missing",
                 "kind == 'enterprise' and (statement_age_days is None or statement_age_days > 548)",
                 "no financial statement, or the latest one ends more than 18 months ago",
                 "Request the latest audited statements"),
    WarningCheck("recent_litigation", "events_litigation_365d > 0",
                 "litigation in the last 365 days",
                 "Have legal review the case(s): amounts, counterparties, likely outcome"),
    WarningCheck("enforcement_or_bankruptcy", "events_enforcement_365d > 0 or events_bankruptcy_365d > 0",
                 "enforcement or bankruptcy event in the last 365 days",
                 "Escalate to the credit committee; stop new exposure until reviewed"),
    WarningCheck("bureau_score_drop", "bureau_score_change <= -30",
                 "the latest bureau score fell by 30 points or more against the previous report",
                 "Obtain the full bureau report and check the reason for the drop"),
    WarningCheck("over_limit", "utilisation > 1",
                 "exposure (open receivables plus the un-invoiced rest of open orders) above the credit limit",
                 "Hold shipments beyond the limit or take a documented limit decision"),
    WarningCheck("in_guarantee_circle", "guarantee_circle_size > 0",
                 "the customer is part of a guarantee circle (担保圈)",
                 "Assess the whole circle's exposure and the members' ratings together"),
    WarningCheck("weak_or_default_grade", "grade in ['CCC', 'D']",
                 "final grade CCC or D",
                 "Move to close monitoring or workout; reduce or secure the exposure"),
)


def warning_signals(facts: pd.DataFrame, checks=WARNING_CHECKS) -> pd.DataFrame:
    """Which warning signals each customer triggers, with the next step each calls for.

    Parameters
    ----------
    facts : DataFrame
        One row per customer (index ``customer_id``) holding every column the checks read:
        for :data:`WARNING_CHECKS`, the profile columns plus ``utilisation``, ``grade``
        (:func:`riskkit.scoring.assess_portfolio`) and ``guarantee_circle_size``
        (:func:`riskkit.graph.graph_features`).
    checks : sequence of WarningCheck

    Returns
    -------
    DataFrame
        One row per customer and check (checks in the given order): ``customer_id``,
        ``check``, ``triggered`` (bool; a comparison with a missing value is False),
        ``observed`` (the values of the columns the condition reads, as text),
        ``description``, ``next_step`` and ``condition``.

    Raises
    ------
    KeyError
        A check reads a column that ``facts`` lacks (the message names check and columns).

    Examples
    --------
    >>> facts = pd.DataFrame({"current_dpd": [45, 0]}, index=pd.Index(["A", "B"], name="customer_id"))
    >>> check = WarningCheck("late", "current_dpd > 30", "late", "call")
    >>> warning_signals(facts, [check])[["customer_id", "triggered", "observed"]].values.tolist()
    [['A', True, 'current_dpd = 45'], ['B', False, 'current_dpd = 0']]
    """
    if not isinstance(facts, pd.DataFrame):
        raise TypeError(f"facts must be a DataFrame, got {type(facts).__name__}")
    id_name = facts.index.name or "customer_id"
    parts = []
    for check in checks:
        condition = parse_condition(check.condition, f"warning check {check.name!r}")
        absent = [c for c in condition.columns if c not in facts.columns]
        if absent:
            raise KeyError(f"warning check {check.name!r} ({check.condition}) needs columns absent from facts: "
                           f"{absent}")
        observed = pd.Series("", index=facts.index, dtype="str")
        for i, column in enumerate(condition.columns):
            text = column + " = " + facts[column].map(_format_value).astype("str")
            observed = text if i == 0 else observed + ", " + text
        parts.append(pd.DataFrame({
            id_name: facts.index.to_numpy(),
            "check": check.name,
            "triggered": condition.evaluate(facts),
            "observed": observed.to_numpy(),
            "description": check.description,
            "next_step": check.next_step,
            "condition": check.condition,
        }))
    if not parts:
        return pd.DataFrame(columns=[id_name, "check", "triggered", "observed", "description", "next_step",
                                     "condition"])
    table = pd.concat(parts, ignore_index=True)
    order = np.argsort(pd.Index(facts.index).get_indexer(table[id_name]), kind="stable")
    return table.iloc[order].reset_index(drop=True)


def _format_value(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "missing"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


# -- the view -----------------------------------------------------------------------------------------
def _items(values: dict) -> pd.DataFrame:
    """A key-value table (index ``item``, column ``value``) for a one-customer summary."""
    def plain(v):
        # python scalars display and compare naturally (True, not np.True_)
        if isinstance(v, pd.Timestamp) and not pd.isna(v):
            return v.date()
        return v.item() if isinstance(v, np.generic) else v

    cleaned = {k: plain(v) for k, v in values.items()}
    index = pd.Index(list(cleaned), name="item", dtype="str")
    return pd.DataFrame({"value": pd.Series(list(cleaned.values()), index=index, dtype=object)})


@dataclass(frozen=True, repr=False)
class CustomerView(HTMLReprMixin):
    """Everything :func:`customer_view` assembles about one customer on ``as_of``.

    Key-value tables have the index ``item`` and one column ``value``; the others are
    ordinary tables.  Every table is point in time and PII-masked unless built with
    ``unmask=True``.

    Attributes
    ----------
    customer_id, as_of, payment_terms_days
    overview : DataFrame
        Key-value: name, kind, industry, region, ownership, final grade and rule, PD,
        expert score, EAD, limit, utilisation, current DPD, Altman zone, warnings triggered.
    background : DataFrame
        Key-value: the customers row (PII masked), company and relationship age.
    financials : DataFrame
        :func:`financial_history`: statements known on ``as_of`` with ratios and Altman Z''.
    payment_summary : DataFrame
        Key-value: payment and order columns of the profile on ``as_of``.
    aging : DataFrame
        Open receivables by days-past-due bucket: ``amount``, ``share``.
    payment_history : DataFrame
        :func:`payment_history`: the monthly table.
    events : DataFrame
        Events dated on or before ``as_of``, newest first.
    bureau : DataFrame
        Bureau reports of the last ``history_months`` calendar months up to ``as_of``,
        oldest first.
    expert_contributions : DataFrame
        :meth:`riskkit.scoring.ExpertScorecard.contributions`, indexed by ``indicator``.
    scorecard_points : DataFrame
        The statistical scorecard's features for the customer: ``value``, ``points``.
    rating : DataFrame
        Key-value: expert score, scorecard points, PD, master-scale grade, final grade, the
        rule that produced it and its description, whitelist/knock-out flags, grade PD.
    exposure : DataFrame
        Key-value: open AR, open orders, EAD, credit limit, utilisation, LGD, expected
        loss, guarantees given and received, group exposure.
    network : DataFrame
        Key-value: :func:`riskkit.graph.graph_features` of the customer (group, guarantees,
        guarantee circle, DebtRank impact) and its ultimate controller.
    group_members : DataFrame
        The customers of its control group with name, EAD, limit, PD and grade.
    linked_parties : DataFrame
        Every relation in force between the customer and another party (its ego network
        at radius 1): ``party``, ``name``, ``is_customer``, ``relation``, ``role`` (what
        the party is to the customer), ``weight``, ``start``, and the party's ``grade``,
        ``pd`` and ``ead`` when it is a customer.
    warnings : DataFrame
        :func:`warning_signals` of the customer: every check, ``triggered`` and the next step.
    graph : networkx.MultiDiGraph
        The relationship graph on ``as_of`` (for :func:`riskkit.plots.plot_ego_network`).
    """

    customer_id: str
    as_of: pd.Timestamp
    payment_terms_days: float
    overview: pd.DataFrame
    background: pd.DataFrame
    financials: pd.DataFrame
    payment_summary: pd.DataFrame
    aging: pd.DataFrame
    payment_history: pd.DataFrame
    events: pd.DataFrame
    bureau: pd.DataFrame
    expert_contributions: pd.DataFrame
    scorecard_points: pd.DataFrame
    rating: pd.DataFrame
    exposure: pd.DataFrame
    network: pd.DataFrame
    group_members: pd.DataFrame
    linked_parties: pd.DataFrame
    warnings: pd.DataFrame
    graph: nx.MultiDiGraph = field(compare=False)

    @property
    def triggered_warnings(self) -> pd.DataFrame:
        """The warning signals the customer triggers: ``check``, ``observed``, ``next_step``."""
        hit = self.warnings[self.warnings["triggered"]]
        return hit.set_index("check")[["description", "observed", "next_step"]]

    def _display_parts(self) -> dict:
        # the tables are masked when the view is built (unless unmask=True was asked for)
        grade = self.rating.loc["grade", "value"]
        triggered = self.warnings[self.warnings["triggered"].astype(bool)]
        headline = (f"{self.customer_id} as of {self.as_of.date()}: grade {grade}, "
                    f"{len(triggered)} warning(s) triggered")
        return {"headline": headline, "max_rows": 20,
                "frames": [("overview", self.overview), ("warnings triggered", triggered)]}

    def key_findings(self) -> list[str]:
        """The sentences that open the profile (:func:`riskkit.assess.customer_findings`):
        grade and rule, PD, exposure against the limit, arrears and Altman zone, and the
        warning signals with their next steps."""
        return customer_findings(self.overview["value"], self.rating["value"], self.exposure["value"],
                                 self.triggered_warnings)

    def __repr__(self) -> str:
        grade = self.rating.loc["grade", "value"]
        return (f"CustomerView({self.customer_id!r}, as_of={self.as_of.date()}, grade={grade!r}, "
                f"{int(self.warnings['triggered'].sum())} warning(s) triggered)")


_PAYMENT_ITEMS = (
    "dso_days", "weighted_days_to_pay", "avg_days_beyond_terms", "max_days_beyond_terms", "payment_terms_days",
    "current_dpd", "max_dpd_365d", "share_overdue", "share_paid_late_365d", "days_to_pay_recent",
    "days_to_pay_prior", "days_to_pay_trend", "ar_open", "n_open_invoices", "credit_sales_365d",
    "n_invoices_365d", "orders_amount_90d", "orders_amount_365d", "orders_change_90d", "orders_drop_flag",
)
_BACKGROUND_ITEMS = (
    "name", "kind", "industry", "region", "ownership_type", "state_ownership_pct", "registered_capital",
    "currency", "founded", "company_age_years", "onboarded", "relationship_age_years", "payment_terms_days",
    "credit_limit", "id_number", "phone", "email",
)
_NETWORK_ITEMS = (
    "group_id", "ultimate_controller", "group_size", "group_exposure", "guarantees_given", "n_guarantees_given",
    "guarantees_received", "n_guarantees_received", "in_guarantee_circle", "guarantee_circle_size",
    "debtrank_impact",
)
#: what the other party is to the customer, by relation type and edge direction
_ROLE = {
    ("shareholding", "in"): "shareholder", ("shareholding", "out"): "company the customer holds shares in",
    ("control", "in"): "controller", ("control", "out"): "company the customer controls",
    ("guarantee", "in"): "guarantor of the customer", ("guarantee", "out"): "party the customer guarantees",
    ("supply", "in"): "supplier of the customer", ("supply", "out"): "buyer from the customer",
    ("common_director", "in"): "shares directors", ("common_director", "out"): "shares directors",
}


def customer_view(portfolio, customer_id, as_of, *, scorecard=None, expert: ExpertScorecard | None = None,
                  rules: RatingRules | None = None, lgd: float = DEFAULT_LGD, history_months: int | None = 36,
                  graph: nx.MultiDiGraph | None = None, unmask: bool = False) -> CustomerView:
    """One customer's risk profile (风险画像) on ``as_of``, as a :class:`CustomerView` of tables.

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
    customer_id : str
        Checked first (:func:`check_customer`), before any model is fitted, so an unknown
        id fails fast with :class:`UnknownCustomerError`.
    as_of : date-like
        Assessment date; only what was known on it is used.
    scorecard : fitted Scorecard, optional
        Statistical PD model.  Default: developed on the book's own history,
        ``fit_portfolio_scorecard(portfolio, development_dates(as_of))`` (the
        observation dates end a year before ``as_of``, so the PD is out of time).  This
        takes seconds on a book of thousands of customers; pass a fitted card to reuse it.
    expert : ExpertScorecard, optional
        Default ``ExpertScorecard.default()``.
    rules : RatingRules, optional
        Default ``RatingRules.default()``.
    lgd : float, default 0.45
        Loss given default for the expected loss (Basel foundation IRB, senior unsecured).
    history_months : int or None, default 36
        Months of payment and bureau history; None for all.
    graph : networkx.MultiDiGraph, optional
        ``rk.graph.build_graph(portfolio, as_of)`` if already built.
    unmask : bool, default False
        Show personal data (id number, phone, e-mail, names of individuals) unmasked;
        an explicit opt-out for authorised internal use.

    Returns
    -------
    CustomerView

    Raises
    ------
    UnknownCustomerError
        The id is not a customer of the portfolio on ``as_of``; the message suggests close
        matches.

    Notes
    -----
    The whole book is profiled and rated (:func:`riskkit.scoring.assess_portfolio`) so that
    linked parties and group members show their own grades; the customer's own rows are
    exactly those of the book-wide assessment.
    """
    as_of = check_as_of(as_of)
    customer_id = check_customer(portfolio, customer_id, as_of)
    expert = ExpertScorecard.default() if expert is None else expert
    rules = RatingRules.default() if rules is None else rules
    if scorecard is None:
        scorecard, _ = fit_portfolio_scorecard(portfolio, development_dates(as_of))

    profile = build_profile(portfolio, as_of)
    assessment = assess_portfolio(portfolio, as_of, scorecard, expert=expert, rules=rules, lgd=lgd, profile=profile)
    G = build_graph(portfolio, as_of) if graph is None else graph
    network = portfolio_graph_features(portfolio, as_of, G=G, exposure=assessment[["ead"]])
    controllers = control_groups(G)["ultimate_controller"]
    known = _customer_snapshot(portfolio, customer_id, as_of)
    ead = exposure_table(portfolio, as_of).loc[customer_id]

    row = profile.loc[customer_id]
    rated = assessment.loc[customer_id]
    linked = network.loc[customer_id]
    group = network.index[network["group_id"] == linked["group_id"]]
    neighbours = pd.Index(list(nx.all_neighbors(G, customer_id)) if customer_id in G else [], dtype="str")
    shown = portfolio.customers["customer_id"].isin(group.union(neighbours).union([customer_id]))
    customers = mask_pii(portfolio.customers[shown.to_numpy()], unmask=unmask).set_index("customer_id")
    customer = customers.loc[customer_id]

    facts = profile.loc[[customer_id]].join(assessment.loc[[customer_id], ["grade", "utilisation"]]).join(
        network.loc[[customer_id], ["guarantee_circle_size"]])
    warnings = warning_signals(facts)

    overview = _items({
        "customer_id": customer_id, "name": customer["name"], "kind": customer["kind"],
        "industry": customer["industry"], "region": customer["region"], "ownership_type": customer["ownership_type"],
        "grade": rated["grade"], "rule": rated["rule"], "pd": rated["pd"], "expert_score": rated["expert_score"],
        "ead": rated["ead"], "credit_limit": rated["credit_limit"], "utilisation": rated["utilisation"],
        "current_dpd": row["current_dpd"], "altman_zone": row["altman_zone"],
        "warnings_triggered": int(warnings["triggered"].sum()),
    })
    background = {item: customer[item] for item in _BACKGROUND_ITEMS if item in customer.index}
    # the limit and terms in force on as_of (the profile's), not today's customers-table values
    background["payment_terms_days"] = row["payment_terms_days"]
    background["credit_limit"] = row["credit_limit"]
    background["company_age_years"] = row["company_age_years"]
    background["relationship_age_years"] = row["relationship_age_years"]
    background = _items({k: background[k] for k in _BACKGROUND_ITEMS if k in background})

    aging = pd.DataFrame({"amount": [row[b] for b in AGING_BUCKETS],
                          "share": [row[f"{b}_share"] for b in AGING_BUCKETS]},
                         index=pd.Index(list(AGING_BUCKETS), name="bucket", dtype="str"))

    history = _monthly_payments(known.invoices, as_of, history_months)
    events = known.events.sort_values(["date", "event_id"], ascending=[False, True], kind="stable")
    events = events[["date", "category", "severity", "source", "text"]].reset_index(drop=True)
    bureau = known.bureau
    if history_months is not None:
        window_start = (as_of.to_period("M") - (history_months - 1)).start_time
        bureau = bureau[bureau["report_date"] >= window_start]
    bureau = bureau.sort_values(["report_date", "source"], kind="stable")
    bureau = bureau[["report_date", "source", "score", "delinquencies", "inquiries"]].reset_index(drop=True)

    contributions = expert.contributions(profile.loc[[customer_id]])
    contributions = contributions.drop(columns=contributions.columns[0]).set_index("indicator")
    columns = list(scorecard.feature_names_in_)
    X = profile.loc[[customer_id], columns]
    points = scorecard.points(X)
    scorecard_points = pd.DataFrame({"value": X[points.columns].iloc[0].astype(object),
                                     "points": points.iloc[0].astype(np.float64)})
    scorecard_points.index.name = "feature"

    descriptions = {r.name: r.description for r in rules.rules}
    rating = _items({
        "expert_score": rated["expert_score"], "score": rated["score"], "pd": rated["pd"],
        "pd_grade": rated["pd_grade"], "grade": rated["grade"], "rule": rated["rule"],
        "rule_description": descriptions.get(rated["rule"], ""), "whitelist": bool(rated["whitelist"]),
        "knockout": bool(rated["knockout"]), "grade_pd": rated["grade_pd"],
    })
    exposure = _items({
        "open_ar": ead["open_ar"], "open_orders": ead["open_orders"], "ead": rated["ead"],
        "credit_limit": rated["credit_limit"], "utilisation": rated["utilisation"], "lgd": lgd,
        "expected_loss": rated["expected_loss"], "guarantees_given": linked["guarantees_given"],
        "guarantees_received": linked["guarantees_received"], "group_exposure": linked["group_exposure"],
    })
    network_items = linked.to_dict()
    network_items["ultimate_controller"] = controllers.get(customer_id, customer_id)
    network_table = _items({k: network_items[k] for k in _NETWORK_ITEMS})

    group_members = pd.DataFrame({
        "name": customers["name"].reindex(group),
        "ead": assessment["ead"].reindex(group), "credit_limit": assessment["credit_limit"].reindex(group),
        "pd": assessment["pd"].reindex(group), "grade": assessment["grade"].reindex(group),
    }).sort_values(["ead"], ascending=False, kind="stable")

    return CustomerView(
        customer_id=customer_id, as_of=as_of, payment_terms_days=float(row["payment_terms_days"]),
        overview=overview, background=background, financials=_statement_history(known.financials, as_of),
        payment_summary=_items({k: row[k] for k in _PAYMENT_ITEMS}), aging=aging, payment_history=history,
        events=events, bureau=bureau, expert_contributions=contributions, scorecard_points=scorecard_points,
        rating=rating, exposure=exposure, network=network_table, group_members=group_members,
        linked_parties=_linked_parties(G, customer_id, customers, assessment),
        warnings=warnings.drop(columns=warnings.columns[0]), graph=G,
    )


def _linked_parties(G: nx.MultiDiGraph, customer_id: str, customers: pd.DataFrame,
                    assessment: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for src, dst, data in G.in_edges(customer_id, data=True):
        rows.append((src, data["type"], "in", data["weight"], data.get("start")))
    for src, dst, data in G.out_edges(customer_id, data=True):
        rows.append((dst, data["type"], "out", data["weight"], data.get("start")))
    table = pd.DataFrame(rows, columns=["party", "relation", "direction", "weight", "start"])
    table = table.astype({"party": "str", "relation": "str", "direction": "str", "weight": "float64"})
    table["start"] = pd.to_datetime(table["start"]).astype("datetime64[ns]")
    table["role"] = [_ROLE.get((r, d), r) for r, d in zip(table["relation"], table["direction"])]
    table["is_customer"] = table["party"].isin(customers.index)
    table["name"] = customers["name"].reindex(table["party"]).to_numpy()
    for column in ("grade", "pd", "ead"):
        table[column] = assessment[column].reindex(table["party"]).to_numpy()
    table = table.sort_values(["relation", "direction", "weight", "party"], ascending=[True, True, False, True],
                              kind="stable").reset_index(drop=True)
    return table[["party", "name", "is_customer", "relation", "role", "weight", "start", "grade", "pd", "ead"]]
