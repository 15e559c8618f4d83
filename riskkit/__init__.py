"""riskkit: an open research kit for customer (counterparty) credit risk.

``import riskkit as rk`` gives the subpackages ``rk.data``, ``rk.profile``, ``rk.scoring``,
``rk.limits``, ``rk.graph``, ``rk.validation``, ``rk.reports`` and ``rk.plots``.
"""

from importlib import import_module

__version__ = "0.1.0"

_SUBPACKAGES = ("data", "profile", "scoring", "limits", "graph", "monitoring", "validation", "reports", "plots")
__all__ = [*_SUBPACKAGES, "__version__"]


def __getattr__(name):
    # subpackages import on first use so that `import riskkit` stays fast for the CLI
    if name in _SUBPACKAGES:
        module = import_module(f"riskkit.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'riskkit' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_SUBPACKAGES])
