"""Credit limits, exposure (风险敞口) and loss.

For now: :func:`exposure` (EAD = open AR + open orders, limit utilisation) and
:func:`expected_loss` (EL = PD x LGD x EAD).
"""

from .exposure import expected_loss, exposure

__all__ = ["exposure", "expected_loss"]

# --- credit policy: formula and model limits, recommendation, actions, review calendar
from .formula import (matrix_limit, monthly_sales_limit, needs_limit, net_worth_limit,  # noqa: E402
                      working_capital_limit)
from .model_limits import el_budget_limit, el_budget_max_exposure, profit_limit, profit_optimal_limit  # noqa: E402
from .policy_config import LimitInputError, LimitPolicy, load_limit_policy  # noqa: E402
from .recommend import recommend_limits  # noqa: E402

__all__ += [
    "net_worth_limit", "working_capital_limit", "monthly_sales_limit", "needs_limit", "matrix_limit",
    "el_budget_limit", "el_budget_max_exposure", "profit_limit", "profit_optimal_limit",
    "LimitPolicy", "LimitInputError", "load_limit_policy", "recommend_limits",
]
from .actions import ActionPolicy, contingency_playbook, load_action_policy, recommend_actions  # noqa: E402
from .review import ReviewPolicy, next_review_dates, overdue_reviews  # noqa: E402

__all__ += ["ActionPolicy", "load_action_policy", "recommend_actions", "contingency_playbook",
            "ReviewPolicy", "next_review_dates", "overdue_reviews"]
