"""Scoring: WoE binning, statistical and expert scorecards, rating rules, master scale,
overrides (``docs/architecture.md``).

Conventions: ``y = 1`` is an event (bad); WoE = ln(%good / %bad) so high WoE is low risk;
scorecard points rise with creditworthiness (PDO scaling, Siddiqi 2006); expert scores are
0-100, higher = lower risk; grades are ordered best first (S, AAA, ..., CCC, D).
"""


from .binning import FeatureBinning, WoEBinner, woe_iv
from .challenger import compare_models, fit_challenger
from .._core.conditions import Condition, ConditionError, parse_condition
from .expert import ExpertScorecard, Indicator
from .master_scale import MasterScale
from .overrides import OverrideError, apply_overrides
from .rules import RatingRule, RatingRules, score_to_pd
from .scorecard import Scorecard
from .selection import ScorecardFitError, variance_inflation_factors

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
