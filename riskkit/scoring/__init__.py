"""Scoring: WoE binning, statistical and expert scorecards, rating rules, master scale,
overrides (``docs/architecture.md``).

Conventions: ``y = 1`` is an event (bad); WoE = ln(%good / %bad) so high WoE is low risk;
scorecard points rise with creditworthiness (PDO scaling, Siddiqi 2006); expert scores are
0-100, higher = lower risk; grades are ordered best first (S, AAA, ..., CCC, D).
"""

from importlib import import_module
from typing import TYPE_CHECKING

from .._core.conditions import Condition, ConditionError, parse_condition
from .expert import ExpertScorecard, Indicator
from .master_scale import MasterScale
from .overrides import OverrideError, apply_overrides
from .rules import RatingRule, RatingRules, score_to_pd

if TYPE_CHECKING:
    from .binning import FeatureBinning, WoEBinner, woe_iv
    from .challenger import compare_models, fit_challenger
    from .scorecard import Scorecard
    from .selection import ScorecardFitError, variance_inflation_factors

# The estimators stand on scikit-learn (and the scorecard fit on statsmodels): about 2 s of
# imports that rating with expert cards, rules and the master scale never needs. Their
# modules load on first use of one of their names (PEP 562), e.g. `riskkit.scoring.WoEBinner`
# or `from riskkit.scoring import Scorecard`.
_LAZY = {
    **dict.fromkeys(("FeatureBinning", "WoEBinner", "woe_iv"), "binning"),
    **dict.fromkeys(("compare_models", "fit_challenger"), "challenger"),
    "Scorecard": "scorecard",
    **dict.fromkeys(("ScorecardFitError", "variance_inflation_factors"), "selection"),
}

__all__ = [
    "WoEBinner",
    "FeatureBinning",
    "woe_iv",
    "Scorecard",
    "variance_inflation_factors",
    "ScorecardFitError",
    "fit_challenger",
    "compare_models",
    "ExpertScorecard",
    "Indicator",
    "RatingRules",
    "RatingRule",
    "score_to_pd",
    "Condition",
    "ConditionError",
    "parse_condition",
    "MasterScale",
    "apply_overrides",
    "OverrideError",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
