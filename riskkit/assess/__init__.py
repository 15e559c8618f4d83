"""Orchestration: the only layer that combines the sibling model layers.

``scoring``, ``graph``, ``limits`` and ``validation`` are pure and never import each
other; this layer wires them to a Portfolio:

- :mod:`~riskkit.assess.pipeline`: develop a scorecard on the book's history and rate the
  book on a date (profile -> expert score -> scorecard PD -> grade -> exposure -> EL);
- :mod:`~riskkit.assess.customer`: the one-customer view;
- :mod:`~riskkit.assess.network_pd`: does the network adjustment recover contagion
  defaults (out-of-sample evaluation, strength calibration);
- :mod:`~riskkit.assess.partitioned`: batch rating and network PDs of a partitioned book
  on Dask;
- :mod:`~riskkit.assess.network_tables`: our exposure in groups and circles, a party's direct
  relations;
- :mod:`~riskkit.assess.backtest`: out-of-time and hold-out back-test runners;
- :mod:`~riskkit.assess.model_validation`: the whole validation of the PD model in one call
  (:func:`validate_model`, :func:`validate_model_holdout`);
- :mod:`~riskkit.assess.scorecard_development`: develop a scorecard and judge it on a test
  sample (:func:`develop_scorecard_holdout`, :func:`develop_scorecard_out_of_time`);
- :mod:`~riskkit.assess.limits_backtest`: the limit back-test (:func:`backtest_limits`);
- :mod:`~riskkit.assess.book`: the whole-book assessment of the portfolio report
  (:func:`portfolio_assessment`);
- :mod:`~riskkit.assess._graph`: the portfolio-aware inputs of the graph algorithms (the
  kit's one definition of a party's loss-absorbing capital).

See ``docs/architecture.md``.
"""

from ._graph import default_capital, network_profile, portfolio_graph_features, portfolio_stress_test
from .backtest import (
    PREDICTION_COLUMNS,
    DevelopedModels,
    HoldoutBacktest,
    champion_vs_challengers,
    develop_models,
    holdout_backtest,
    out_of_time_backtest,
    summarise_verdicts,
)
from .customer import (
    WARNING_CHECKS,
    CustomerView,
    UnknownCustomerError,
    WarningCheck,
    check_customer,
    customer_view,
    financial_history,
    payment_history,
    showcase_customer,
    warning_signals,
)
from .findings import (
    contagion_findings,
    customer_findings,
    scorecard_findings,
    shape_sentence,
    thin_turn_sentence,
    validation_findings,
)
from .model_validation import MigrationPeriod, ModelValidation, validate_model, validate_model_holdout
from .network_pd import (
    NetworkPDEvaluation,
    StrengthCalibration,
    calibrate_transmission_strength,
    evaluate_network_pd,
    network_pd_scores,
)
from .network_tables import (
    GroupConcentration,
    circle_exposure,
    direct_relations,
    group_concentration,
    party_counts,
)
from .book import (
    EUR_PER_CNY,
    PortfolioAssessment,
    PortfolioAssessmentError,
    asrf_expected_shortfall,
    asrf_loss_quantile,
    last_reviews,
    matched_sector_variance,
    portfolio_assessment,
)
from .limits_backtest import BACKTEST_GOALS, LimitBacktest, LimitBacktestError, backtest_limits
from .partitioned import (
    assess_partitioned,
    calibrate_transmission_strength_partitioned,
    evaluate_network_pd_partitioned,
    fit_scorecard_partitioned,
    NetworkInputs,
    network_inputs_partitioned,
    network_pd_partitioned,
    network_profile_partitioned,
    portfolio_graph_features_partitioned,
    portfolio_stress_test_partitioned,
)
from .pipeline import DEFAULT_LGD, MODEL_FEATURES, assess_portfolio, development_dates, fit_portfolio_scorecard
from .scorecard_development import (
    ScorecardDevelopment,
    develop_scorecard_holdout,
    develop_scorecard_out_of_time,
)

__all__ = [
    # pipeline
    "fit_portfolio_scorecard",
    "assess_portfolio",
    # the same on a partitioned book, on Dask
    "assess_partitioned",
    "fit_scorecard_partitioned",
    "network_pd_partitioned",
    "evaluate_network_pd_partitioned",
    "calibrate_transmission_strength_partitioned",
    "portfolio_graph_features_partitioned",
    "network_profile_partitioned",
    "portfolio_stress_test_partitioned",
    "network_inputs_partitioned",
    "NetworkInputs",
    "development_dates",
    "MODEL_FEATURES",
    "DEFAULT_LGD",
    # graph inputs
    "default_capital",
    "network_profile",
    "portfolio_graph_features",
    "portfolio_stress_test",
    # one customer
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
    # network PD evaluation
    "network_pd_scores",
    "evaluate_network_pd",
    "NetworkPDEvaluation",
    "calibrate_transmission_strength",
    "StrengthCalibration",
    # network tables
    "party_counts",
    "direct_relations",
    "circle_exposure",
    "group_concentration",
    "GroupConcentration",
    # back-tests
    "out_of_time_backtest",
    "develop_models",
    "holdout_backtest",
    "champion_vs_challengers",
    "summarise_verdicts",
    "DevelopedModels",
    "HoldoutBacktest",
    "PREDICTION_COLUMNS",
    # model validation
    "scorecard_findings",
    "validation_findings",
    "contagion_findings",
    "customer_findings",
    "shape_sentence",
    "thin_turn_sentence",
    "validate_model",
    "validate_model_holdout",
    "ModelValidation",
    "MigrationPeriod",
    # scorecard development
    "develop_scorecard_holdout",
    "develop_scorecard_out_of_time",
    "ScorecardDevelopment",
    # limit back-test
    "backtest_limits",
    "LimitBacktest",
    "LimitBacktestError",
    "BACKTEST_GOALS",
    # whole-book assessment
    "portfolio_assessment",
    "PortfolioAssessment",
    "PortfolioAssessmentError",
    "last_reviews",
    "asrf_loss_quantile",
    "asrf_expected_shortfall",
    "matched_sector_variance",
    "EUR_PER_CNY",
]
