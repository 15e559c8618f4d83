"""The public surface: every advertised name resolves, every public docstring example runs."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import riskkit as rk


@pytest.mark.parametrize("name", rk.__all__)
def test_top_level_names_resolve(name):
    assert getattr(rk, name) is not None


@pytest.mark.parametrize("package", ["data", "profile", "scoring", "limits", "graph", "validation", "reports",
                                     "plots"])
def test_subpackage_all_resolves(package):
    module = getattr(rk, package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"rk.{package}.{name}"


def _modules():
    for info in pkgutil.walk_packages(rk.__path__, prefix="riskkit."):
        if not info.name.endswith("__main__"):
            yield info.name


@pytest.mark.parametrize("module_name", sorted(_modules()))
def test_docstring_examples(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module_name}"
