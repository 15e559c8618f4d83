"""matplotlib figures used by the notebooks; each takes ``ax=None`` and returns the Axes.

One module per area (``data``, ``profile``, ``scoring``, ``validation``, ``graph``, ``limits``,
``monitoring``); every name in a module's ``__all__`` is available here, so notebooks call
``rk.plots.<name>``.
"""

from importlib import import_module

_MODULES = ("data", "profile", "scoring", "validation", "graph", "limits", "monitoring")


def _public_names() -> dict[str, str]:
    names = {}
    for module in _MODULES:
        try:
            mod = import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{module}":
                raise
            continue
        names.update({name: module for name in getattr(mod, "__all__", ())})
    return names


_NAMES = _public_names()
__all__ = sorted(_NAMES)


def __getattr__(name):
    if name in _NAMES:
        return getattr(import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_NAMES])
