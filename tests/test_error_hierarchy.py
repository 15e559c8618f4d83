"""One error hierarchy: every error riskkit raises on purpose is a RiskkitError, and every
"bad argument" error (a class named ``*InputError``) is an :class:`riskkit._core.errors.InputError`,
so a caller can catch all bad-input errors of the kit with one class, whichever layer raised them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import riskkit
from riskkit._core.errors import InputError, RiskkitError


def _error_classes() -> dict[str, type]:
    found = {}
    for info in pkgutil.walk_packages(riskkit.__path__, prefix="riskkit."):
        if info.name.endswith("__main__"):  # importing it runs the command line
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__.startswith("riskkit."):
                found[f"{obj.__module__}.{name}"] = obj
    return found


def test_every_input_error_is_an_input_error_and_a_value_error():
    classes = _error_classes()
    inputs = {name: cls for name, cls in classes.items() if name.endswith("InputError")}
    # the kit's layers each have one; finding fewer means the walk above is broken
    assert len(inputs) >= 6, sorted(inputs)
    wrong = sorted(name for name, cls in inputs.items() if not issubclass(cls, InputError))
    assert not wrong, f"not subclasses of riskkit._core.errors.InputError: {wrong}"
    assert all(issubclass(cls, ValueError) for cls in inputs.values())


def test_every_error_class_of_the_kit_is_a_riskkit_error():
    # private control-flow exceptions (a leading underscore) never reach a caller
    public = {name: cls for name, cls in _error_classes().items()
              if issubclass(cls, Exception) and not issubclass(cls, Warning) and not name.rsplit(".", 1)[1].startswith("_")}
    wrong = sorted(name for name, cls in public.items() if not issubclass(cls, RiskkitError))
    assert not wrong, f"errors outside the RiskkitError hierarchy: {wrong}"
