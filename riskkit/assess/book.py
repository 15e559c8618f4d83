"""The whole-book assessment: what the portfolio report (``portfolio_assessment.ipynb``) shows.

:func:`portfolio_assessment` rates the book on one date and puts every model layer to work
on it, so the notebook only displays results:

* ratings (:func:`assess_portfolio`) and recommended limits (:func:`riskkit.limits.recommend_limits`);
* exposure, expected loss, PD and limits by grade and by industry;
* concentration by customer, control group (:func:`riskkit.graph.control_groups`), industry
  and region, with the granularity adjustment;
* the loss distribution of the performing book: one-factor Gaussian copula Monte Carlo
  (:func:`riskkit.limits.portfolio_loss`) side by side with the Vasicek large-portfolio
  (ASRF) limit and CreditRisk+ (:func:`riskkit.limits.creditrisk_plus`);
* Basel IRB capital (:func:`riskkit.limits.capital_requirement`);
* top exposures (PII masked), recommended actions, the contingency playbook for defaulted
  customers, the review calendar and overdue reviews;
* the limit back-test (:func:`backtest_limits`) on dates whose outcomes were known by then;
* :meth:`PortfolioAssessment.key_findings`: three to five sentences computed from all of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import integrate, special

from .._core.dates import check_as_of
from .._core.display import HTMLReprMixin
from .._core.errors import RiskkitError
from ..data import mask_pii
from ..graph import build_graph, control_groups, linked_parties
from ..limits import (
    ConcentrationResult,
    CreditRiskPlusResult,
    GranularityAdjustmentResult,
    PortfolioLossResult,
    capital_requirement,
    concentration,
    contingency_playbook,
    creditrisk_plus,
    granularity_adjustment,
    irb_correlation,
    load_action_policy,
    load_limit_policy,
    next_review_dates,
    overdue_reviews,
    portfolio_loss,
    recommend_actions,
    recommend_limits,
    vasicek_quantile,
)
from ..profile import build_profile
from ..scoring import Scorecard
from .limits_backtest import BACKTEST_GOALS, LimitBacktest, backtest_limits
from .pipeline import assess_portfolio, development_dates, fit_portfolio_scorecard

__all__ = ["PortfolioAssessment", "PortfolioAssessmentError", "portfolio_assessment", "last_reviews",
           "asrf_loss_quantile", "asrf_expected_shortfall", "matched_sector_variance", "EUR_PER_CNY"]

#: EUR per CNY for the SME firm-size adjustment (turnover in EUR million, Basel II para 273):
#: about 7.8 CNY per EUR, the level of the ECB reference rate in 2024
EUR_PER_CNY = 1 / 7.8

#: grades reported as "B and worse" in the key findings
_WEAK_GRADES = ("B", "CCC", "D")

_CONCENTRATION_DIMENSIONS = ("customer_id", "group_id", "industry", "region")


class PortfolioAssessmentError(RiskkitError, ValueError):
    """Bad input to :func:`portfolio_assessment` (parameters, an empty book)."""


# ------------------------------------------------------------------------------- Vasicek / ASRF
def asrf_loss_quantile(pd_, rho, weight, q: float) -> float:
    """Loss quantile of an infinitely granular book in the one-factor Gaussian model (ASRF).

    ``VaR_q = sum_i w_i Phi((Phi^-1(PD_i) + sqrt(rho_i) Phi^-1(q)) / sqrt(1 - rho_i))`` with
    ``w_i = LGD_i EAD_i``: every obligor's conditional default rate at the q-quantile of the
    single systematic factor (Vasicek 2002; Gordy 2003, *J. Financial Intermediation* 12(3),
    prop. 5: in the ASRF model the portfolio quantile is the sum of the obligors'
    conditional expected losses).  Idiosyncratic risk is diversified away, so the Monte
    Carlo VaR of a finite book lies above it (name concentration).
    """
    return float(np.sum(np.asarray(weight, dtype=float) * vasicek_quantile(np.asarray(pd_, dtype=float),
                                                                           np.asarray(rho, dtype=float), q)))


def asrf_expected_shortfall(pd_, rho, weight, q: float) -> float:
    """Expected shortfall at level ``q`` of the same infinitely granular book.

    ``ES_q = 1/(1-q) int_{z_q}^inf sum_i w_i Phi((Phi^-1(PD_i) + sqrt(rho_i) z) / sqrt(1 - rho_i)) phi(z) dz``,
    ``z_q = Phi^-1(q)``: the loss is a decreasing function of the systematic factor, so the
    worst ``1 - q`` of outcomes are the factor values beyond its quantile and the ES
    (Acerbi & Tasche 2002) is the average conditional loss over them.  Integrated with
    adaptive Gauss-Kronrod quadrature (``scipy.integrate.quad``).
    """
    p = np.asarray(pd_, dtype=float)
    r = np.asarray(rho, dtype=float)
    w = np.asarray(weight, dtype=float)
    if not 0 < q < 1:
        raise PortfolioAssessmentError(f"q must be in (0, 1), got {q!r}")
    a = special.ndtri(p)
    root_r, root_1r = np.sqrt(r), np.sqrt(1.0 - r)

    def conditional_loss(z: float) -> float:
        return float(np.sum(w * special.ndtr((a + root_r * z) / root_1r))) * math.exp(-0.5 * z * z) / math.sqrt(
            2 * math.pi)

    value, _ = integrate.quad(conditional_loss, float(special.ndtri(q)), np.inf, epsabs=0.0, epsrel=1e-10,
                              limit=200)
    return value / (1.0 - q)


def matched_sector_variance(pd_, rho, weight) -> float:
    """Relative variance of a single CreditRisk+ sector matched to the one-factor Gaussian model.

    In the Gaussian model obligor ``i``'s conditional PD ``p_i(Z)`` has variance
    ``s_i^2 = Phi_2(a_i, a_i; rho_i) - PD_i^2`` (``a_i = Phi^-1(PD_i)``, ``Phi_2`` the
    bivariate normal cdf: the joint default probability of two obligors like ``i``); the
    ``p_i(Z)`` are increasing functions of the same factor, so the systematic loss has
    standard deviation about ``sum_i w_i s_i``.  A CreditRisk+ sector with relative variance
    ``v`` gives ``sqrt(v) sum_i w_i PD_i``.  Equating the two,

        v = (sum_i w_i s_i / sum_i w_i PD_i)^2,

    exact for a homogeneous book (then ``v = s^2 / PD^2``) and a moment match otherwise, so
    that the two models differ in the shape of the distribution, not in how much
    correlation they were given.  ``Phi_2(h, h; r) = Phi(h) - 2 T(h, sqrt((1 - r) / (1 + r)))``
    with Owen's T function (Owen 1956, *Ann. Math. Statist.* 27(4), eq. 2.1 and 3.1).
    """
    p = np.asarray(pd_, dtype=float)
    r = np.asarray(rho, dtype=float)
    w = np.asarray(weight, dtype=float)
    h = special.ndtri(np.clip(p, 1e-300, 1.0))
    joint = special.ndtr(h) - 2.0 * special.owens_t(h, np.sqrt((1.0 - r) / (1.0 + r)))
    # PD 0 or 1 has no variance; PD 0.5 (h = 0) is the formula's limit as well
    s = np.sqrt(np.clip(joint - p * p, 0.0, None))
    s = np.where((p <= 0) | (p >= 1), 0.0, s)
    el = float(np.sum(w * p))
    if not el > 0:
        raise PortfolioAssessmentError("matched_sector_variance: the book has no expected loss")
    return float((np.sum(w * s) / el) ** 2)


# ------------------------------------------------------------------------------- reviews
def last_reviews(decisions: pd.DataFrame | None, customer_ids: pd.Index, as_of) -> pd.Series:
    """Date of each customer's last credit review: its latest credit decision on or before ``as_of``.

    Parameters
    ----------
    decisions : DataFrame or None
        The ``credit_decisions`` table (``customer_id``, ``effective_date``); None or empty
        means no review was ever recorded.
    customer_ids : Index
        The rated customers.
    as_of : date-like

    Returns
    -------
    Series ``last_review`` (datetime64, NaT = never reviewed) indexed by ``customer_ids``;
    decisions of other customers and decisions after ``as_of`` are ignored.
    """
    as_of = check_as_of(as_of)
    out = pd.Series(pd.NaT, index=customer_ids, dtype="datetime64[ns]", name="last_review")
    if decisions is None or len(decisions) == 0:
        return out
    missing = [c for c in ("customer_id", "effective_date") if c not in decisions.columns]
    if missing:
        raise PortfolioAssessmentError(f"credit_decisions lacks column(s) {missing}")
    known = decisions[pd.to_datetime(decisions["effective_date"]) <= as_of]
    latest = pd.to_datetime(known["effective_date"]).groupby(known["customer_id"].to_numpy()).max()
    out.loc[:] = latest.reindex(customer_ids).astype("datetime64[ns]").to_numpy()
    return out


# ------------------------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)
class PortfolioAssessment(HTMLReprMixin):
    """Everything the portfolio report shows, computed by :func:`portfolio_assessment`.

    Attributes
    ----------
    as_of : Timestamp
    customers : DataFrame
        One row per customer onboarded by ``as_of`` (``customer_id`` index): ``name``
        (PII masked), ``kind``, ``industry``, ``region``, ``group_id`` (control group),
        ``grade``, ``pd`` (scorecard), ``loss_pd`` (the PD of the expected loss: 1 for D,
        else the grade's representative PD, else the scorecard PD), ``lgd``, ``ead``,
        ``credit_limit``, ``utilisation``, ``recommended_limit``, ``limit_change``,
        ``expected_loss`` (= loss_pd x lgd x ead), ``turnover_eur_m``, ``rho`` (asset
        correlation), ``rwa``, ``capital``.
    ratings : DataFrame
        :func:`assess_portfolio` output.
    limits : DataFrame
        :func:`riskkit.limits.recommend_limits` output.
    by_grade, by_industry : DataFrame
        Counts, exposure, expected loss, PD and limits per grade (policy order) / industry
        (largest exposure first); see :func:`portfolio_assessment`.
    limit_changes : DataFrame
        Customers whose recommended limit differs from the current one, largest cut first.
    concentration : ConcentrationResult
        By customer, control group, industry and region.
    granularity : GranularityAdjustmentResult or None
        Name-concentration add-on of the performing book (None without exposure).
    loss : PortfolioLossResult
        Monte Carlo loss of the performing book.
    creditrisk_plus : CreditRiskPlusResult
        CreditRisk+ loss of the performing book.
    risk_measures : DataFrame
        Expected loss, VaR and ES at ``levels`` of the three models side by side (rows
        ``monte_carlo``, ``monte_carlo_std_error``, ``vasicek_asrf``, ``creditrisk_plus``).
    defaulted : Series
        The book already in default (grade D): ``n_customers``, ``ead``, ``expected_loss``
        (LGD x EAD, lost in full in expectation; not part of the loss distributions).
    capital : DataFrame
        :func:`riskkit.limits.capital_requirement` per customer.
    capital_by_grade : DataFrame
        ``n_customers, ead, rwa, capital, expected_loss`` and ``capital_rate`` per grade.
    capital_summary : Series
        ``ead, rwa, capital, capital_rate, granularity_add_on, capital_with_add_on``.
    top_exposures : DataFrame
        The largest exposures, names masked (:func:`riskkit.data.mask_pii`).
    actions : DataFrame
        :func:`riskkit.limits.recommend_actions` output.
    contingency : DataFrame
        :func:`riskkit.limits.contingency_playbook` for the defaulted customers.
    review_calendar : DataFrame
        :func:`riskkit.limits.next_review_dates` output.
    overdue : DataFrame
        :func:`riskkit.limits.overdue_reviews` output.
    backtest : LimitBacktest or None
    levels : tuple of float
    lgd, n_sims, seed, maturity, eur_per_unit, sector_variance
        The settings used (``sector_variance`` as a number, also when matched).
    """

    as_of: pd.Timestamp
    customers: pd.DataFrame
    ratings: pd.DataFrame
    limits: pd.DataFrame
    by_grade: pd.DataFrame
    by_industry: pd.DataFrame
    limit_changes: pd.DataFrame
    concentration: ConcentrationResult
    granularity: GranularityAdjustmentResult | None
    loss: PortfolioLossResult
    creditrisk_plus: CreditRiskPlusResult
    risk_measures: pd.DataFrame
    defaulted: pd.Series
    capital: pd.DataFrame
    capital_by_grade: pd.DataFrame
    capital_summary: pd.Series
    top_exposures: pd.DataFrame
    actions: pd.DataFrame
    contingency: pd.DataFrame
    review_calendar: pd.DataFrame
    overdue: pd.DataFrame
    backtest: LimitBacktest | None
    levels: tuple
    lgd: float
    n_sims: int
    seed: int
    maturity: float
    eur_per_unit: float | None
    sector_variance: float

    # -- small tables the report shows -------------------------------------------------
    def limit_change_summary(self) -> pd.DataFrame:
        """Customers and amounts by direction of the recommended change (cut, raise, unchanged,
        no recommendation): ``n_customers``, ``current_limit``, ``recommended_limit``, ``change``."""
        c = self.customers
        direction = np.select([c["recommended_limit"].isna(), c["limit_change"] < 0, c["limit_change"] > 0],
                              ["no recommendation", "cut", "raise"], "unchanged")
        table = c.groupby(direction).agg(n_customers=("grade", "size"), current_limit=("credit_limit", "sum"),
                                         recommended_limit=("recommended_limit", "sum"),
                                         change=("limit_change", "sum"))
        order = [k for k in ("cut", "raise", "unchanged", "no recommendation") if k in table.index]
        table = table.loc[order]
        table.index.name = "direction"
        return table

    def concentration_table(self) -> pd.DataFrame:
        """Concentration measures wide: one row per dimension, one column per measure."""
        wide = self.concentration.measures.pivot(index="dimension", columns="measure", values="value")
        wide = wide.loc[[d for d in _CONCENTRATION_DIMENSIONS if d in wide.index]]
        columns = ["n_names", "hhi", "hhi_normalised", "effective_number"]
        columns += sorted([c for c in wide.columns if c.startswith("top_")], key=lambda c: int(c.split("_")[1]))
        return wide[columns]

    def largest(self, dimension: str, n: int = 10) -> pd.DataFrame:
        """The ``n`` largest groups of a concentration dimension (``ead``, ``share``, ...)."""
        return self.concentration.shares[dimension].head(n)

    def action_counts(self) -> pd.DataFrame:
        """Recommended actions: customers per action (rows) and priority (columns)."""
        if self.actions.empty:
            return pd.DataFrame(dtype="int64")
        table = pd.crosstab(self.actions["action"], self.actions["priority"])
        priorities = [p for p in ("critical", "high", "medium", "low") if p in table.columns]
        table = table[priorities + [p for p in table.columns if p not in priorities]]
        table["total"] = table.sum(axis=1)
        return table.sort_values(["total"], ascending=False, kind="stable")

    def linked_reviews(self) -> pd.DataFrame:
        """The contingency steps for customers linked to a defaulted one (largest exposure first)."""
        return self.contingency[self.contingency["relation"].notna()]

    def review_counts(self) -> pd.DataFrame:
        """Reviews by tier: customers, overdue (due on or before ``as_of``), never reviewed."""
        cal = self.review_calendar
        overdue = cal.index.isin(self.overdue.index)
        table = pd.DataFrame({"tier": cal["tier"], "interval_months": cal["interval_months"],
                              "overdue": overdue, "never_reviewed": cal["never_reviewed"]})
        out = table.groupby(["tier", "interval_months"]).agg(
            n_customers=("overdue", "size"), overdue=("overdue", "sum"), never_reviewed=("never_reviewed", "sum"))
        return out.sort_index(level="interval_months").astype("int64")

    # -- findings ------------------------------------------------------------------------
    def key_findings(self) -> list[str]:
        """Three to five sentences computed from the assessment (five with a back-test)."""
        c = self.customers
        total_ead = float(c["ead"].sum())
        total_el = float(c["expected_loss"].sum())
        weak = c["grade"].isin(_WEAK_GRADES)
        weak_ead, weak_el = float(c.loc[weak, "ead"].sum()), float(c.loc[weak, "expected_loss"].sum())
        d = self.defaulted
        findings = [
            f"Grades B and worse hold {_share(weak_ead, total_ead)} of the exposure at default "
            f"({_money(weak_ead)} of {_money(total_ead)}) and {_share(weak_el, total_el)} of the one-year "
            f"expected loss; {int(d['n_customers']):,} customers with {_money(d['ead'])} of exposure are "
            f"already in default (grade D)."]

        customer = self.concentration.shares["customer_id"]
        sizes = c["group_id"].value_counts()
        groups = self.concentration.shares["group_id"]
        several = groups[groups.index.isin(sizes.index[sizes > 1])]
        industry = self.concentration.shares["industry"]
        text = (f"The largest exposure, customer {customer.index[0]}, is {float(customer['share'].iloc[0]):.1%} of the "
                f"book and the ten largest customers hold "
                f"{self.concentration.value('customer_id', 'top_10_share'):.1%}")
        if len(several):
            text += (f"; the largest control group of several customers, {several.index[0]} "
                     f"({int(sizes[several.index[0]])} customers), holds {float(several['share'].iloc[0]):.1%}")
        text += (f"; the largest industry, {industry.index[0]}, holds {float(industry['share'].iloc[0]):.1%} "
                 f"(industry HHI {self.concentration.value('industry', 'hhi'):.3f}).")
        findings.append(text)

        q = max(self.levels)
        rm = self.risk_measures
        mc_el, mc_var = float(rm.loc["monte_carlo", "expected_loss"]), float(rm.loc["monte_carlo", _col("var", q)])
        performing_ead = float(c.loc[c["grade"] != "D", "ead"].sum())
        ratio = f"{mc_var / mc_el:.1f} times" if mc_el > 0 else "against no"
        findings.append(
            f"The performing book's one-year expected loss is {_money(mc_el)} ({_share(mc_el, performing_ead, 2)} of "
            f"its exposure); its {q:.1%} VaR is {_money(mc_var)}, {ratio} the expected loss "
            f"(Vasicek large-portfolio limit {_money(rm.loc['vasicek_asrf', _col('var', q)])}, CreditRisk+ "
            f"{_money(rm.loc['creditrisk_plus', _col('var', q)])}).")

        s = self.limit_change_summary()
        cut = s.loc["cut"] if "cut" in s.index else None
        up = s.loc["raise"] if "raise" in s.index else None
        over = int((c["utilisation"] > 1).sum())
        text = "The limit policy recommends "
        if cut is not None:
            text += (f"cutting {int(cut['n_customers']):,} limits by {_money(-cut['change'])} in total "
                     f"({_share(-cut['change'], cut['current_limit'], 0)} of those limits)")
        else:
            text += "no cuts"
        text += f" and raising {int(up['n_customers']):,} by {_money(up['change'])}" if up is not None else \
            " and no increases"
        text += (f"; {over:,} customers ({_share(over, len(c), 1)}) are over their current limit and "
                 f"{int(self.limits['review_flag'].sum()):,} limits are flagged for review.")
        findings.append(text)

        if self.backtest is not None:
            h = self.backtest.headline()
            dates = ", ".join(str(t.date()) for t in self.backtest.dates)
            findings.append(
                f"Replayed on {dates}, the recommended limits would have cut exposure at default by "
                f"{_share(h['ead_cut'], 1.0, 0)} while forgoing {_share(h['forgone_share'], 1.0, 0)} of the "
                f"non-defaulters' exposure (the recorded limits: {_share(h['ead_cut_recorded'], 1.0, 0)} and "
                f"{_share(h['forgone_share_recorded'], 1.0, 0)}); the goal of at least "
                f"{BACKTEST_GOALS['ead_cut']:.0%} and under {BACKTEST_GOALS['forgone_share']:.0%} is "
                f"{'met' if h['meets_goal'] else 'not met'}.")
        return findings

    def summary(self) -> str:
        """The key figures and findings as text."""
        c = self.customers
        lines = [f"Portfolio assessment as of {self.as_of.date()}: {len(c):,} customers, exposure "
                 f"{_money(c['ead'].sum())}, expected loss {_money(c['expected_loss'].sum())}, IRB capital "
                 f"{_money(self.capital_summary['capital'])}"]
        lines += [f"- {s}" for s in self.key_findings()]
        return "\n".join(lines)

    def _display_parts(self) -> dict:
        return {"headline": self.summary().splitlines()[0],
                "frames": [("by grade", self.by_grade), ("customers", self.customers)], "mask": mask_pii}

    def to_frame(self) -> pd.DataFrame:
        """The per-customer table (a copy)."""
        return self.customers.copy()


def _money(value) -> str:
    value = float(value)
    return f"{value / 1e6:,.1f} m"


def _share(part, whole, digits: int = 1) -> str:
    part, whole = float(part), float(whole)
    return "n/a" if whole == 0 else f"{part / whole:.{digits}%}"


def _col(measure: str, q: float) -> str:
    return f"{measure}_{q * 100:g}"


# ------------------------------------------------------------------------------- pieces
def _segment_table(c: pd.DataFrame, key: str) -> pd.DataFrame:
    """Counts, exposure, expected loss, PD and limits per value of ``key``."""
    g = c.assign(_pd_x_ead=c["loss_pd"] * c["ead"], _over=(c["utilisation"] > 1),
                 _cut=(c["limit_change"] < 0), _raise=(c["limit_change"] > 0)).groupby(key, sort=False)
    t = pd.DataFrame({
        "n_customers": g.size(),
        "pd_mean": g["pd"].mean(),
        "loss_pd_mean": g["loss_pd"].mean(),
        "ead": g["ead"].sum(),
        "expected_loss": g["expected_loss"].sum(),
        "credit_limit": g["credit_limit"].sum(),
        "recommended_limit": g["recommended_limit"].sum(),
        "limit_change": g["limit_change"].sum(),
        "n_limit_cuts": g["_cut"].sum(),
        "n_limit_raises": g["_raise"].sum(),
        "n_over_limit": g["_over"].sum(),
        "_pd_x_ead": g["_pd_x_ead"].sum(),
    })
    total_ead, total_el = float(c["ead"].sum()), float(c["expected_loss"].sum())
    t.insert(1, "customer_share", t["n_customers"] / len(c))
    t.insert(t.columns.get_loc("ead") + 1, "ead_share", t["ead"] / total_ead if total_ead else np.nan)
    t.insert(t.columns.get_loc("expected_loss") + 1, "el_share", t["expected_loss"] / total_el if total_el else np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t.insert(t.columns.get_loc("el_share") + 1, "el_rate", np.where(t["ead"] > 0, t["expected_loss"] / t["ead"],
                                                                        np.nan))
        t.insert(t.columns.get_loc("loss_pd_mean") + 1, "pd_ead_weighted",
                 np.where(t["ead"] > 0, t["_pd_x_ead"] / t["ead"], np.nan))
    for col in ("n_customers", "n_limit_cuts", "n_limit_raises", "n_over_limit"):
        t[col] = t[col].astype("int64")
    return t.drop(columns="_pd_x_ead")


def _loss_pd(ratings: pd.DataFrame, default_grade: str) -> pd.Series:
    """The PD of the expected loss in :func:`assess_portfolio`: 1 for D, the grade's PD, else the scorecard's."""
    p = ratings["grade_pd"].where(ratings["grade_pd"].notna(), ratings["pd"]).astype(float)
    return p.where(ratings["grade"] != default_grade, 1.0).rename("loss_pd")


def _risk_measures(loss: PortfolioLossResult, crp: CreditRiskPlusResult, p, rho, weight,
                   levels: Sequence[float]) -> pd.DataFrame:
    rows = {"monte_carlo": {"expected_loss": loss.expected_loss},
            "monte_carlo_std_error": {"expected_loss": loss.el_se},
            "vasicek_asrf": {"expected_loss": float(np.sum(weight * p))},
            "creditrisk_plus": {"expected_loss": crp.expected_loss}}
    for q in levels:
        enough = loss.n_sims * (1 - q) >= 10
        rows["monte_carlo"][_col("var", q)] = loss.var(q)
        rows["monte_carlo"][_col("es", q)] = loss.es(q)
        rows["monte_carlo_std_error"][_col("var", q)] = loss.var_se(q) if enough else np.nan
        rows["monte_carlo_std_error"][_col("es", q)] = loss.es_se(q) if enough else np.nan
        rows["vasicek_asrf"][_col("var", q)] = asrf_loss_quantile(p, rho, weight, q)
        rows["vasicek_asrf"][_col("es", q)] = asrf_expected_shortfall(p, rho, weight, q)
        rows["creditrisk_plus"][_col("var", q)] = crp.var(q)
        rows["creditrisk_plus"][_col("es", q)] = crp.es(q)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table


def _check_parameters(n_sims, seed, levels, maturity, eur_per_unit, sector_variance, top_n, horizon_days):
    def whole(value, name, lo):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
            raise PortfolioAssessmentError(f"{name} must be a whole number >= {lo}, got {value!r}")

    whole(n_sims, "n_sims", 1)
    whole(seed, "seed", 0)
    whole(top_n, "top_n", 1)
    whole(horizon_days, "horizon_days", 1)
    levels = tuple(levels)
    if not levels or any(isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1 for q in levels):
        raise PortfolioAssessmentError(f"levels must be probabilities in (0, 1), got {levels!r}")
    if isinstance(maturity, bool) or not isinstance(maturity, (int, float)) or not 1 <= maturity <= 5:
        raise PortfolioAssessmentError(f"maturity must be in [1, 5] years (Basel II para 320), got {maturity!r}")
    if eur_per_unit is not None and (isinstance(eur_per_unit, bool) or not isinstance(eur_per_unit, (int, float))
                                     or not eur_per_unit > 0):
        raise PortfolioAssessmentError(f"eur_per_unit must be a positive exchange rate or None, got {eur_per_unit!r}")
    if sector_variance != "matched" and (isinstance(sector_variance, bool) or not isinstance(
            sector_variance, (int, float)) or sector_variance < 0):
        raise PortfolioAssessmentError(f"sector_variance must be 'matched' or a number >= 0, got {sector_variance!r}")
    return levels


def portfolio_assessment(portfolio, as_of, *, scorecard: Scorecard | None = None, limit_policy=None,
                         action_policy=None, alerts: pd.DataFrame | None = None, n_sims: int = 20_000,
                         seed: int = 0, levels: Sequence[float] = (0.99, 0.999), maturity: float = 1.0,
                         eur_per_unit: float | None = EUR_PER_CNY, sector_variance: float | str = "matched",
                         top_n: int = 10,
                         backtest: bool = True, backtest_dates: Sequence | None = None,
                         horizon_days: int = 365) -> PortfolioAssessment:
    """Assess the whole book on ``as_of``: ratings, limits, exposure, loss, capital, actions.

    Parameters
    ----------
    portfolio : Portfolio
    as_of : date-like
    scorecard : Scorecard, optional
        A fitted scorecard; default one developed on the book's history
        (:func:`development_dates` of ``as_of``), as in the other reports.
    limit_policy : LimitPolicy, path, mapping or None
        For :func:`riskkit.limits.recommend_limits` (default ``limit_policy.yaml``).  Its
        ``trade.lgd`` is the LGD of every customer (expected loss, loss distributions and
        capital; 45 % by default, the Basel foundation-IRB senior unsecured value).
    action_policy : ActionPolicy, path, mapping or None
        For the actions, the contingency playbook and the review tiers (default
        ``action_policy.yaml``).
    alerts : DataFrame, optional
        Monitoring alerts (``customer_id, rule, level``) for the action rules; none by default.
    n_sims, seed : int
        Monte Carlo scenarios and seed of :func:`riskkit.limits.portfolio_loss` (the same
        seed gives the same result).
    levels : sequence of float
        VaR / ES levels (default 99 % and 99.9 %).
    maturity : float
        Effective maturity ``M`` (years) of the IRB capital: 1 by default, the floor of
        Basel II para 320, since trade receivables run for months, not years.
    eur_per_unit : float or None
        EUR per unit of the book's currency, to turn ``revenue`` (latest statement) into the
        turnover in EUR million of the SME firm-size adjustment (para 273: the asset
        correlation is lowered for annual sales under EUR 50 m).  Default
        :data:`EUR_PER_CNY` (the book is in CNY, the ``currency`` of the default limit
        policy); None: no firm-size adjustment.  Customers without revenue get none.
    sector_variance : float or "matched"
        Relative variance of the default rate of the single CreditRisk+ sector.
        ``"matched"`` (default): :func:`matched_sector_variance`, the value that gives
        CreditRisk+ the systematic risk of the Gaussian model with the same correlations;
        a number, e.g. 1 (the standard deviation of the default rate equals its mean, the
        rule of thumb of CSFB 1997, section A7), fixes it.
    top_n : int
        Rows of the top-exposure table.
    backtest : bool
        Run the limit back-test (default True).
    backtest_dates : sequence of dates, optional
        Its dates; default the two month ends, six months apart, whose ``horizon_days``
        outcome windows closed by ``as_of`` (:func:`development_dates` with ``n_dates=2``).
        The back-test runs on ``portfolio.as_of(as_of)``: a report as of a date uses nothing
        recorded after it.
    horizon_days : int
        Outcome window of the back-test.

    Returns
    -------
    PortfolioAssessment

    Notes
    -----
    *Expected loss* ``EL = PD x LGD x EAD`` per customer with the PD of
    :func:`assess_portfolio` (1 for grade D, the grade's representative PD, the scorecard PD
    for grades without one such as S).  *Loss distributions* cover the performing book
    (grades other than D); the defaulted book is lost in expectation (``defaulted``), a
    provisioning matter rather than a risk of the next year.  Asset correlations are the
    Basel IRB corporate ones (:func:`riskkit.limits.irb_correlation`, para 272-273, with the
    SME adjustment), applied to every customer including individuals (a documented
    simplification: retail correlations would be lower).  The Monte Carlo uses one
    systematic factor, so it is comparable with the Vasicek ASRF limit
    (:func:`asrf_loss_quantile`, :func:`asrf_expected_shortfall`: the same model with
    infinitely many small names) and with single-sector CreditRisk+; the Monte Carlo minus
    the ASRF figure is the name-concentration effect.  *Capital* is
    :func:`riskkit.limits.capital_requirement` (corporate, 0.03 % PD floor, no 1.06
    scaling) plus the granularity adjustment of the performing book.  *Last review* =
    the latest credit decision effective on or before ``as_of`` when the portfolio has a
    ``credit_decisions`` table with rows (:func:`last_reviews`), else never (due now).
    """
    as_of = check_as_of(as_of)
    levels = _check_parameters(n_sims, seed, levels, maturity, eur_per_unit, sector_variance, top_n, horizon_days)
    policy = load_limit_policy(limit_policy)
    actions_policy = load_action_policy(action_policy)
    lgd = policy.trade.lgd
    if scorecard is None:
        scorecard, _ = fit_portfolio_scorecard(portfolio, development_dates(as_of, horizon_days=horizon_days),
                                               horizon_days=horizon_days)
    profile = build_profile(portfolio, as_of)
    if profile.empty:
        raise PortfolioAssessmentError(f"no customer was onboarded by {as_of.date()}: nothing to assess")
    ratings = assess_portfolio(portfolio, as_of, scorecard, lgd=lgd, profile=profile)
    limits = recommend_limits(profile, ratings, policy)
    snapshot = portfolio.as_of(as_of)
    ids = ratings.index

    # --- per customer
    G = build_graph(portfolio, as_of)
    groups = control_groups(G)["group_id"].reindex(ids)
    master = mask_pii(snapshot.customers.set_index("customer_id")[["name", "kind"]]).reindex(ids)
    loss_pd = _loss_pd(ratings, policy.default_grade)
    ead = ratings["ead"].fillna(0.0).astype(float)
    revenue = profile["revenue"].reindex(ids).astype(float)
    turnover = (revenue * eur_per_unit / 1e6).where(revenue > 0) if eur_per_unit is not None else \
        pd.Series(np.nan, index=ids)
    rho = irb_correlation(loss_pd, "corporate", turnover=turnover)
    c = pd.DataFrame({
        "name": master["name"], "kind": master["kind"],
        "industry": profile["industry"].reindex(ids), "region": profile["region"].reindex(ids),
        "group_id": groups.where(groups.notna(), pd.Series(ids, index=ids)).astype(object),
        "grade": ratings["grade"], "pd": ratings["pd"], "loss_pd": loss_pd,
        "lgd": lgd, "ead": ead, "credit_limit": ratings["credit_limit"], "utilisation": ratings["utilisation"],
        "recommended_limit": limits["recommended_limit"].reindex(ids),
    }, index=ids)
    c["limit_change"] = c["recommended_limit"] - c["credit_limit"]
    c["expected_loss"] = ratings["expected_loss"]
    c["turnover_eur_m"] = turnover
    c["rho"] = rho

    # --- capital
    capital = capital_requirement(loss_pd, lgd, ead, maturity=maturity, asset_class="corporate", turnover=turnover)
    c["rwa"], c["capital"] = capital["rwa"], capital["capital"]

    # --- tables by grade and industry
    grade_order = [g for g in policy.grades if g in set(c["grade"])]
    by_grade = _segment_table(c, "grade").loc[grade_order]
    by_grade["rwa"] = c.groupby("grade")["rwa"].sum().reindex(by_grade.index)
    by_grade["capital"] = c.groupby("grade")["capital"].sum().reindex(by_grade.index)
    by_industry = _segment_table(c, "industry").sort_values("ead", ascending=False, kind="stable")
    changes = limits.loc[limits["change"].fillna(0) != 0, ["grade", "current_limit", "recommended_limit", "change",
                                                            "change_pct", "binding_constraint", "reason",
                                                            "review_flag", "approval_level"]]
    changes = changes.join(c[["name", "ead", "utilisation"]]).sort_values(["change"], kind="stable")
    changes = changes[["name", "grade", "ead", "utilisation", "current_limit", "recommended_limit", "change",
                       "change_pct", "binding_constraint", "review_flag", "approval_level", "reason"]]

    # --- concentration
    conc = concentration(c[["ead", "group_id", "industry", "region"]], by=list(_CONCENTRATION_DIMENSIONS))

    # --- loss distributions of the performing book
    live = (c["grade"] != policy.default_grade).to_numpy()
    p_live, ead_live, rho_live = c["loss_pd"][live], c["ead"][live], c["rho"][live]
    weight = (lgd * ead_live).to_numpy()
    loss = portfolio_loss(p_live.to_numpy(), lgd, ead_live.to_numpy(), rho_live.to_numpy(), n_sims=n_sims, seed=seed)
    if sector_variance == "matched":
        sector_variance = matched_sector_variance(p_live.to_numpy(), rho_live.to_numpy(), weight)
    crp = creditrisk_plus(p_live.to_numpy(), ead_live.to_numpy(), lgd, sector_variance=sector_variance)
    risk = _risk_measures(loss, crp, p_live.to_numpy(), rho_live.to_numpy(), weight, levels)
    defaulted = pd.Series({"n_customers": int((~live).sum()), "ead": float(c.loc[~live, "ead"].sum()),
                           "expected_loss": float(c.loc[~live, "expected_loss"].sum())})
    ga = None
    names = live & (c["ead"] > 0).to_numpy()
    if names.any():
        ga = granularity_adjustment(c["ead"][names], c["loss_pd"][names], lgd, asset_class="corporate",
                                    turnover=c["turnover_eur_m"][names])
    capital_by_grade = c.groupby("grade").agg(n_customers=("ead", "size"), ead=("ead", "sum"), rwa=("rwa", "sum"),
                                              capital=("capital", "sum"), expected_loss=("expected_loss", "sum"))
    capital_by_grade = capital_by_grade.loc[grade_order]
    capital_by_grade["capital_rate"] = np.where(capital_by_grade["ead"] > 0,
                                                capital_by_grade["capital"] / capital_by_grade["ead"].where(
                                                    capital_by_grade["ead"] > 0), np.nan)
    total_capital = float(c["capital"].sum())
    add_on = ga.ga_amount if ga is not None else 0.0
    capital_summary = pd.Series({"ead": float(c["ead"].sum()), "rwa": float(c["rwa"].sum()), "capital": total_capital,
                                 "capital_rate": total_capital / float(c["ead"].sum()) if c["ead"].sum() else np.nan,
                                 "granularity_add_on": add_on, "capital_with_add_on": total_capital + add_on})

    # --- top exposures
    top = c.sort_values(["ead"], ascending=False, kind="stable").head(top_n)
    top = top[["name", "kind", "industry", "group_id", "grade", "pd", "ead", "credit_limit", "utilisation",
               "recommended_limit", "expected_loss"]].assign(ead_share=top["ead"] / c["ead"].sum())

    # --- actions, contingency, reviews
    actions = recommend_actions(ratings, alerts, actions_policy, limits=limits, as_of=as_of)
    defaulted_ids = list(ids[~live])
    links = linked_parties(G, defaulted_ids) if defaulted_ids else \
        pd.DataFrame(columns=["customer_id", "linked_id", "relation"])
    contingency = contingency_playbook(defaulted_ids, links, c["ead"], actions_policy, as_of=as_of)
    decisions = snapshot.tables.get("credit_decisions")
    calendar = next_review_dates(ratings, last_reviews(decisions, ids, as_of), as_of=as_of, policy=actions_policy)
    overdue = overdue_reviews(calendar, as_of)

    # --- limit back-test on what was known by as_of
    bt = None
    if backtest:
        dates = backtest_dates if backtest_dates is not None else \
            development_dates(as_of, horizon_days=horizon_days, n_dates=2, step_months=6)
        bt = backtest_limits(snapshot, dates, policy, horizon_days=horizon_days)

    return PortfolioAssessment(
        as_of=as_of, customers=c, ratings=ratings, limits=limits, by_grade=by_grade, by_industry=by_industry,
        limit_changes=changes, concentration=conc, granularity=ga, loss=loss, creditrisk_plus=crp,
        risk_measures=risk, defaulted=defaulted, capital=capital, capital_by_grade=capital_by_grade,
        capital_summary=capital_summary, top_exposures=top, actions=actions, contingency=contingency,
        review_calendar=calendar, overdue=overdue, backtest=bt, levels=levels, lgd=lgd, n_sims=int(n_sims),
        seed=int(seed), maturity=float(maturity), eur_per_unit=eur_per_unit, sector_variance=float(sector_variance))
