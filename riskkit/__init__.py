"""riskkit: an open research kit for customer (counterparty) credit risk.

``import riskkit as rk`` gives the subpackages ``rk.data``, ``rk.profile``, ``rk.scoring``,
``rk.limits``, ``rk.graph``, ``rk.validation``, ``rk.reports`` and ``rk.plots``, and the main
entry points at the top level (``rk.load_sample()``, ``rk.build_profile(...)``,
``rk.Scorecard()``, ``rk.debtrank(...)``, ...).
"""

from importlib import import_module

__version__ = "0.1.0"

_SUBPACKAGES = ("data", "datasets", "profile", "scoring", "limits", "graph", "validation", "assess", "monitoring",
                "reports", "plots")

#: top-level name -> subpackage that defines it
_ENTRY_POINTS = {
    **dict.fromkeys(("RiskkitError", "RiskkitWarning", "ConfigError", "check_as_of", "AsOfBeforeDataError",
                     "AsOfAfterDataWarning"), "_core"),
    **dict.fromkeys(("Portfolio", "DataValidationError", "load_portfolio", "mask_pii"), "data"),
    **dict.fromkeys(("load_sample", "generate_portfolio", "load_german_credit"), "datasets"),
    **dict.fromkeys(("build_profile", "default_flags", "development_sample"), "profile"),
    **dict.fromkeys(("WoEBinner", "Scorecard", "ExpertScorecard", "RatingRules", "MasterScale", "apply_overrides"),
                    "scoring"),
    **dict.fromkeys(("assess_portfolio", "fit_portfolio_scorecard", "customer_view"), "assess"),
    **dict.fromkeys(("exposure", "expected_loss"), "limits"),
    **dict.fromkeys(("build_graph", "control_groups", "guarantee_circles", "systemic_importance", "debtrank",
                     "threshold_cascade", "eisenberg_noe", "stress_test", "network_adjusted_pd"), "graph"),
    **dict.fromkeys(("validation_report",), "validation"),
    **dict.fromkeys(("run_report",), "reports"),
}

__all__ = [*_SUBPACKAGES, *_ENTRY_POINTS, "__version__"]


def __getattr__(name):
    # subpackages import on first use so that `import riskkit` stays fast for the CLI
    if name in _SUBPACKAGES:
        module = import_module(f"riskkit.{name}")
        globals()[name] = module
        return module
    if name in _ENTRY_POINTS:
        value = getattr(import_module(f"riskkit.{_ENTRY_POINTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'riskkit' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
