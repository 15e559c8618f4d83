"""Model validation: discrimination, calibration, stability, migration, back-testing.

Score convention: a higher score means a higher risk of default (``y = 1``); pass
``higher_is_riskier=False`` for scores where higher means safer. Every test returns a
frozen :class:`ValidationResult` (``statistic``, ``pvalue``, ``verdict`` green/amber/red
with the ``thresholds`` used, ``summary()``, ``to_frame()``); thresholds default to
``riskkit/configs/validation.yaml``.

Verdict direction: red marks a finding against the model under validation.  A two-sided
comparison of two scores has no favourable side, so ``compare_challengers`` colours only
the pairs with a named ``champion`` (one-sided: red when the champion is significantly
worse) and ``validation_report(challengers=...)`` reports the one-sided
``challenger_outperforms`` rows; ``delong_test`` and ``delong_test_unpaired`` take an
``alternative`` for the same purpose.
"""

from .backtest import ChallengerComparison, backtest_default_rates, compare_challengers
from .calibration import (
    binomial_test,
    brier_score,
    brier_skill_score,
    hosmer_lemeshow,
    jeffreys_test,
    jeffreys_test_portfolio,
    normal_test,
    spiegelhalter,
    traffic_light,
    vasicek_default_rate_quantile,
)
from .config import ValidationConfigError, load_validation_config
from .discrimination import (
    accuracy_ratio,
    auc,
    auc_initial_test,
    auc_variance_bound,
    cap_curve,
    delong_test,
    delong_test_unpaired,
    gini,
    ks,
    pietra_index,
    roc_curve,
)
from .migration import (
    MigrationMatrix,
    migration_matrix,
    migration_stability_test,
    migration_weighted_bandwidth,
)
from .report import grade_order, validation_report
from .results import AUCResult, ValidationResult
from .stability import csi, herfindahl_index, herfindahl_test, psi

__all__ = [
    # discrimination
    "auc", "AUCResult", "delong_test", "delong_test_unpaired", "auc_initial_test",
    "auc_variance_bound", "gini", "accuracy_ratio", "ks", "pietra_index", "roc_curve", "cap_curve",
    # calibration
    "binomial_test", "vasicek_default_rate_quantile", "jeffreys_test", "jeffreys_test_portfolio",
    "hosmer_lemeshow", "spiegelhalter", "brier_score", "brier_skill_score", "normal_test",
    "traffic_light",
    # stability and migration
    "psi", "csi", "herfindahl_index", "herfindahl_test",
    "MigrationMatrix", "migration_matrix", "migration_weighted_bandwidth", "migration_stability_test",
    # back-testing
    "backtest_default_rates", "compare_challengers", "ChallengerComparison",
    # results, config, report
    "ValidationResult", "ValidationConfigError", "load_validation_config",
    "validation_report", "grade_order",
]
