"""The tiny Examples in the graph docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "riskkit.graph.build",
    "riskkit.graph.ownership",
    "riskkit.graph.circles",
    "riskkit.graph.centrality",
    "riskkit.graph.debtrank",
    "riskkit.graph.cascade",
    "riskkit.graph.clearing",
    "riskkit.graph.stress",
    "riskkit.graph.network_pd",
    "riskkit.graph.features",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
