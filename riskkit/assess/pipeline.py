"""From a point-in-time profile to a rating: the assessment pipeline of the kit.

One place joins the pieces every report needs, so notebooks do not each re-wire them:

1. :func:`fit_portfolio_scorecard` develops a WoE/logistic scorecard on a development
   sample (profiles and 12-month default labels stacked over several ``as_of`` dates);
2. :func:`assess_portfolio` rates a book on one ``as_of``: expert score, scorecard points
   and PD, master-scale grade, the rating rules' final grade (knock-outs, whitelist,
   downgrades) with the rule that fired, exposure and one-year expected loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..limits import expected_loss, exposure
from ..profile import build_profile, development_sample
from ..scoring import ExpertScorecard, RatingRules, Scorecard

__all__ = ["MODEL_FEATURES", "fit_portfolio_scorecard", "assess_portfolio", "development_dates", "DEFAULT_LGD"]

#: Candidate features for a statistical PD model of trade-credit customers.  Amount
#: levels (``ar_open``, ``credit_sales_365d``) and ``credit_limit`` are left out on
#: purpose: they measure size and our own past decisions, not credit quality, and the
#: customers table holds today's limit, not the one in force at each ``as_of``.
MODEL_FEATURES = (
    # payment behaviour
    "dso_days", "weighted_days_to_pay", "avg_days_beyond_terms", "max_days_beyond_terms",
    "current_dpd", "max_dpd_365d", "share_overdue", "share_paid_late_365d",
    "days_to_pay_recent", "days_to_pay_trend",
    # orders
    "orders_change_90d", "orders_drop_flag",
    # financials
    "current_ratio", "cash_ratio", "leverage", "interest_cover", "ebit_margin", "net_margin", "roa",
    "altman_z",
    # events
    "events_365d", "events_litigation_365d", "events_enforcement_365d", "events_negative_news_365d",
    # bureau
    "bureau_score", "bureau_score_change", "bureau_delinquencies", "bureau_inquiries",
    # static
    "industry", "region", "ownership_type", "company_age_years", "relationship_age_years",
)

#: Loss given default for unsecured senior trade receivables (Basel foundation IRB, 45 %).
DEFAULT_LGD = 0.45


def development_dates(as_of, horizon_days: int = 365, n_dates: int = 3, step_months: int = 6) -> list[pd.Timestamp]:
    """Month-end observation dates for a model used on ``as_of`` whose labels are known by then.

    The latest date is the last month end on or before ``as_of - horizon_days`` (so its
    default window closes by ``as_of``); earlier ones step back ``step_months`` each.  A
    model developed on these dates and applied on ``as_of`` is an honest out-of-time setting.

    Examples
    --------
    >>> [d.date().isoformat() for d in development_dates("2024-12-31")]
    ['2022-12-31', '2023-06-30', '2023-12-31']
    """
    if n_dates < 1 or step_months < 1 or horizon_days < 1:
        raise ValueError("n_dates, step_months and horizon_days must be positive")
    last = pd.offsets.MonthEnd().rollback(pd.Timestamp(as_of) - pd.Timedelta(days=horizon_days))
    dates = [last - pd.DateOffset(months=step_months * k) + pd.offsets.MonthEnd(0) for k in range(n_dates)]
    return sorted(dates)


def fit_portfolio_scorecard(portfolio, as_of_dates: Sequence, horizon_days: int = 365,
                            features: Sequence[str] = MODEL_FEATURES, scorecard: Scorecard | None = None,
                            sample: pd.DataFrame | None = None, *,
                            progress: bool | None = None) -> tuple[Scorecard, pd.DataFrame]:
    """Develop a scorecard on the book's own history.

    Parameters
    ----------
    portfolio : Portfolio
    as_of_dates : sequence of dates
        Observation dates of the development sample; each gets its profile and the
        default label over the following ``horizon_days`` (see
        :func:`riskkit.profile.development_sample`).  The last date plus the horizon
        should not run past the data.
    horizon_days : int, default 365
    features : sequence of str
        Candidate profile columns; the scorecard selects among them (IV, correlation,
        VIF, signs).
    scorecard : Scorecard, optional
        An unfitted scorecard with the wanted parameters; default ``Scorecard()``.
    sample : DataFrame, optional
        A development sample already built, to avoid building it twice.
    progress : bool or None, default None
        Show progress bars over the dates: None shows them in an interactive session only
        (:func:`riskkit._core.progress.progress_enabled`), True/False force them.  They never
        change the result.

    Returns
    -------
    (fitted Scorecard, development sample DataFrame)
    """
    if sample is None:
        sample = development_sample(portfolio, list(as_of_dates), horizon_days=horizon_days, progress=progress)
    missing = [f for f in features if f not in sample.columns]
    if missing:
        raise ValueError(f"features not in the profile: {missing}")
    card = Scorecard() if scorecard is None else scorecard
    card.fit(sample[list(features)], sample["default"].astype("int64"))
    return card, sample


def assess_portfolio(portfolio, as_of, scorecard: Scorecard, expert: ExpertScorecard | None = None,
                     rules: RatingRules | None = None, lgd: float = DEFAULT_LGD,
                     profile: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rate every customer of the book on ``as_of``.

    Parameters
    ----------
    portfolio : Portfolio
    as_of : date
    scorecard : Scorecard
        A fitted scorecard (e.g. from :func:`fit_portfolio_scorecard`).
    expert : ExpertScorecard, optional
        Default: ``ExpertScorecard.default()``.
    rules : RatingRules, optional
        Default: ``RatingRules.default()``; they read the ``pd`` column written here.
    lgd : float, default 0.45
        Loss given default for the expected loss.
    profile : DataFrame, optional
        ``build_profile(portfolio, as_of)`` if already computed.

    Returns
    -------
    DataFrame indexed by ``customer_id``: ``expert_score``, ``score`` (points), ``pd``
    (scorecard PD of default within a year), ``pd_grade`` (master-scale grade of the PD),
    ``grade`` and ``rule`` (the rating rules' result), ``whitelist``, ``knockout``,
    ``grade_pd`` (representative PD of the final grade), ``ead``, ``credit_limit``,
    ``utilisation`` and ``expected_loss`` = PD x LGD x EAD (Basel), where the PD is the
    final grade's PD (1 for D, the scorecard PD for grades off the master scale such as S).
    """
    if profile is None:
        profile = build_profile(portfolio, as_of)
    expert = ExpertScorecard.default() if expert is None else expert
    rules = RatingRules.default() if rules is None else rules
    columns = list(scorecard.feature_names_in_)
    data = profile.copy()
    data["expert_score"] = expert.score(profile)
    data["score"] = scorecard.total_points(profile[columns])
    data["pd"] = scorecard.predict_proba(profile[columns])[:, 1]
    rated = rules.apply(data)
    ead = exposure(portfolio, as_of).reindex(profile.index)
    out = pd.concat([data[["expert_score", "score", "pd"]],
                     rated[["pd_grade", "grade", "rule", "whitelist", "knockout", "grade_pd"]],
                     ead[["ead", "credit_limit", "utilisation"]]], axis=1)
    pd_for_loss = out["grade_pd"].where(out["grade_pd"].notna(), out["pd"])
    pd_for_loss = pd_for_loss.where(out["grade"] != rules.master_scale.default_grade, 1.0)
    out["expected_loss"] = expected_loss(pd_for_loss.to_numpy(), lgd, out["ead"].fillna(0.0).to_numpy())
    out.index.name = "customer_id"
    return out
