"""Credit limits (授信), exposure (风险敞口), loss, capital and the response to risk.

- exposure and expected loss: :func:`exposure` (EAD = open AR + open orders, utilisation),
  :func:`expected_loss` (EL = PD x LGD x EAD);
- formula limits (公式授信): % of net worth, % of working capital, % of monthly sales,
  needs-based, rating x size matrix; model limits (模型授信): EL budget and expected profit;
  :func:`recommend_limits` combines them under a YAML policy with caps, floors and a reason,
  and :func:`approval_levels` says who must approve each limit (审批权限);
- portfolio loss: :func:`portfolio_loss` (one-factor / sector Gaussian copula Monte Carlo),
  :func:`vasicek_quantile`, :func:`creditrisk_plus` (CSFB 1997);
- capital: :func:`irb_risk_weight` (Basel II IRB), :func:`capital_requirement`;
- concentration: :func:`concentration` (HHI, top-N), :func:`granularity_adjustment`;
- response (风险应对策略): :func:`recommend_actions`, :func:`contingency_playbook` (应急预案),
  and the periodic review calendar :func:`next_review_dates` / :func:`overdue_reviews`.

Pure: DataFrames and arrays in, results out; the portfolio-aware wiring is in
:mod:`riskkit.assess` and :mod:`riskkit.monitoring`.
"""

from .actions import ActionPolicy, contingency_playbook, load_action_policy, recommend_actions
from .approval import approval_levels
from .capital import ASSET_CLASSES, capital_requirement, irb_capital, irb_correlation, irb_risk_weight
from .concentration import ConcentrationResult, GranularityAdjustmentResult, concentration, granularity_adjustment
from .creditrisk_plus import CreditRiskPlusResult, creditrisk_plus
from .exposure import expected_loss, exposure
from .formula import matrix_limit, monthly_sales_limit, needs_limit, net_worth_limit, working_capital_limit
from .model_limits import el_budget_limit, el_budget_max_exposure, profit_limit, profit_optimal_limit
from .policy_config import LimitInputError, LimitPolicy, load_limit_policy
from .portfolio_loss import LossInputError, PortfolioLossResult, portfolio_loss, vasicek_quantile
from .recommend import recommend_limits
from .review import ReviewPolicy, next_review_dates, overdue_reviews

__all__ = [
    # exposure and loss
    "exposure", "expected_loss",
    # limits
    "net_worth_limit", "working_capital_limit", "monthly_sales_limit", "needs_limit", "matrix_limit",
    "el_budget_limit", "el_budget_max_exposure", "profit_limit", "profit_optimal_limit",
    "LimitPolicy", "LimitInputError", "load_limit_policy", "recommend_limits",
    "approval_levels",
    # portfolio loss
    "LossInputError", "PortfolioLossResult", "portfolio_loss", "vasicek_quantile",
    "CreditRiskPlusResult", "creditrisk_plus",
    # capital and concentration
    "ASSET_CLASSES", "irb_correlation", "irb_capital", "irb_risk_weight", "capital_requirement",
    "ConcentrationResult", "concentration", "GranularityAdjustmentResult", "granularity_adjustment",
    # actions and reviews
    "ActionPolicy", "load_action_policy", "recommend_actions", "contingency_playbook",
    "ReviewPolicy", "next_review_dates", "overdue_reviews",
]
