"""Financial-statement features from the ``financials`` table.

The statement used on as_of is, among the statements *published* on or before as_of
(``published_date <= as_of``; a statement for 2023 published in April 2024 is not known
in January 2024), the one with the latest ``period_end`` (the freshest figures).  A
customer without such a statement gets NaN in every column.  Every ratio whose
denominator is zero is NaN, never inf.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import Feature, check_as_of, customer_codes, day_number, days, floats, last_per_group, safe_divide

__all__ = ["financial_features", "latest_statements", "altman_z_double_prime", "altman_zone", "FEATURES",
           "ALTMAN_SAFE_ABOVE", "ALTMAN_DISTRESS_BELOW"]

#: Altman Z'' zone cut-offs (Altman 2002, table "Z''-score model")
ALTMAN_SAFE_ABOVE = 2.60
ALTMAN_DISTRESS_BELOW = 1.10

_G = "financials"
FEATURES = (
    Feature("current_ratio", _G, "current_assets / current_liabilities", "ratio"),
    Feature("cash_ratio", _G, "cash / current_liabilities", "ratio"),
    Feature("leverage", _G, "total_liabilities / total_assets", "ratio"),
    Feature("interest_cover", _G, "ebit / interest_expense", "ratio"),
    Feature("ebit_margin", _G, "ebit / revenue", "ratio"),
    Feature("net_margin", _G, "net_income / revenue", "ratio"),
    Feature("roa", _G, "return on assets: net_income / total_assets", "ratio"),
    Feature("revenue", _G, "revenue of the statement's period", "currency"),
    Feature("total_assets", _G, "total assets at period_end (size)", "currency"),
    Feature("equity", _G, "book equity at period_end", "currency"),
    Feature("altman_z", _G, "Altman Z'' = 6.56 X1 + 3.26 X2 + 6.72 X3 + 1.05 X4 with "
            "X1 = (current_assets - current_liabilities) / total_assets, X2 = "
            "retained_earnings / total_assets, X3 = ebit / total_assets, X4 = equity / "
            "total_liabilities (Altman, Hartzell & Peck 1995; Altman 2002); NaN if total "
            "assets or total liabilities are 0", "score"),
    Feature("altman_zone", _G, "'safe' if altman_z > 2.60, 'grey' if 1.10 <= altman_z <= "
            "2.60, 'distress' if altman_z < 1.10; NaN if altman_z is NaN", "category"),
    Feature("statement_age_days", _G, "as_of - period_end of the statement used: how old "
            "its figures are", "days"),
)


def altman_z_double_prime(current_assets, current_liabilities, retained_earnings, ebit,
                          equity, total_assets, total_liabilities) -> np.ndarray:
    """Altman Z''-score for non-manufacturers and emerging-market firms.

    .. math::

        Z'' = 6.56 X_1 + 3.26 X_2 + 6.72 X_3 + 1.05 X_4

    with :math:`X_1` = working capital / total assets, :math:`X_2` = retained earnings /
    total assets, :math:`X_3` = EBIT / total assets and :math:`X_4` = book equity / total
    liabilities.  The model without the constant 3.25 (which the 1995 emerging-market
    bond scale adds) is used, with zones safe > 2.60, grey 1.10-2.60, distress < 1.10.

    Returns NaN (never inf) where total assets or total liabilities are zero.

    References
    ----------
    Altman, E. I., Hartzell, J. and Peck, M. (1995). *Emerging Markets Corporate Bonds: A
    Scoring System*. Salomon Brothers.
    Altman, E. I. (2002). Revisiting credit scoring models in a Basel 2 environment. In
    Ong, M. (ed.), *Credit Rating: Methodologies, Rationale and Default Risk*. Risk Books.
    """
    x1 = safe_divide(np.subtract(current_assets, current_liabilities), total_assets)
    x2 = safe_divide(retained_earnings, total_assets)
    x3 = safe_divide(ebit, total_assets)
    x4 = safe_divide(equity, total_liabilities)
    return 6.56 * x1 + 3.26 * x2 + 6.72 * x3 + 1.05 * x4


def altman_zone(z) -> pd.Series:
    """Zone of Altman Z'' scores: 'safe' (> 2.60), 'grey' (1.10-2.60), 'distress' (< 1.10).

    Boundary values 1.10 and 2.60 are grey; NaN stays NaN.  Returns a ``str`` Series.
    """
    z = np.asarray(z, dtype=np.float64)
    zone = np.select([z > ALTMAN_SAFE_ABOVE, z >= ALTMAN_DISTRESS_BELOW, z < ALTMAN_DISTRESS_BELOW],
                     ["safe", "grey", "distress"], default="")
    out = pd.Series(zone, dtype="str")
    out[np.isnan(z)] = np.nan
    return out


def _latest_rows(financials: pd.DataFrame, code: np.ndarray, as_of_day: int) -> np.ndarray:
    """Row positions of each customer's statement in use on ``as_of_day`` (the rule above)."""
    published = days(financials, "financials", "published_date")
    period_end = days(financials, "financials", "period_end")
    known = np.flatnonzero(published <= as_of_day)
    return known[last_per_group(code[known], period_end[known], published[known])]


def latest_statements(financials: pd.DataFrame, as_of) -> pd.DataFrame:
    """The statement in use on ``as_of`` of every customer that has one.

    The kit's one "latest statement as of" lookup: among the statements published on or
    before ``as_of``, the one with the latest ``period_end`` (ties: the latest published).

    Parameters
    ----------
    financials : DataFrame
        The ``financials`` table of a Portfolio.
    as_of : date-like

    Returns
    -------
    DataFrame
        The chosen rows, indexed by ``customer_id`` (sorted); customers without a
        published statement are absent.

    Examples
    --------
    >>> fin = pd.DataFrame({"customer_id": ["A", "A"], "equity": [1.0, 2.0],
    ...     "period_end": pd.to_datetime(["2022-12-31", "2023-12-31"]),
    ...     "published_date": pd.to_datetime(["2023-04-30", "2024-04-30"])})
    >>> latest_statements(fin, "2024-01-31")["equity"].tolist()
    [1.0]
    """
    as_of_day = day_number(check_as_of(as_of))
    ids = pd.Index(pd.unique(financials["customer_id"]))
    code = customer_codes(ids, financials["customer_id"], "financials")
    rows = _latest_rows(financials, code, as_of_day)
    out = financials.iloc[rows].set_index("customer_id")
    return out.sort_index(kind="stable")


def financial_features(financials: pd.DataFrame, customer_ids: pd.Index, as_of_day: int
                       ) -> pd.DataFrame:
    """Ratios of the latest statement known on as_of for every customer in ``customer_ids``.

    Parameters
    ----------
    financials : DataFrame
        The ``financials`` table; statements published after as_of are ignored.
    customer_ids : Index
        Customers to profile, in output order.
    as_of_day : int
        as_of as days since 1970-01-01.

    Returns
    -------
    DataFrame
        Indexed like ``customer_ids``, columns as in :data:`FEATURES`.
    """
    n = len(customer_ids)
    code = customer_codes(customer_ids, financials["customer_id"], "financials")
    period_end = days(financials, "financials", "period_end")
    rows = _latest_rows(financials, code, as_of_day)
    target = code[rows]

    def column(name: str) -> np.ndarray:
        values = np.full(n, np.nan)
        values[target] = floats(financials, "financials", name)[rows]
        return values

    ca, cl = column("current_assets"), column("current_liabilities")
    ta, tl = column("total_assets"), column("total_liabilities")
    revenue, ebit, net_income = column("revenue"), column("ebit"), column("net_income")
    equity = column("equity")
    age = np.full(n, np.nan)
    age[target] = as_of_day - period_end[rows]
    z = altman_z_double_prime(ca, cl, column("retained_earnings"), ebit, equity, ta, tl)
    out = pd.DataFrame({
        "current_ratio": safe_divide(ca, cl),
        "cash_ratio": safe_divide(column("cash"), cl),
        "leverage": safe_divide(tl, ta),
        "interest_cover": safe_divide(ebit, column("interest_expense")),
        "ebit_margin": safe_divide(ebit, revenue),
        "net_margin": safe_divide(net_income, revenue),
        "roa": safe_divide(net_income, ta),
        "revenue": revenue,
        "total_assets": ta,
        "equity": equity,
        "altman_z": z,
        "statement_age_days": age,
    }, index=customer_ids)
    zone = altman_zone(z)
    zone.index = customer_ids
    out.insert(out.columns.get_loc("altman_z") + 1, "altman_zone", zone)
    return out
