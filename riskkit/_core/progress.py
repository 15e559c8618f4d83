"""Progress bars on long work, shown only in an interactive session.

:func:`progress` is the one place the kit decides whether to show a bar and draws it
(``tqdm.auto``: a widget in JupyterLab when ipywidgets is installed, else text on stderr).

Automatic (``enabled=None``) means on only in an interactive session: an IPython/Jupyter
kernel or a terminal on stderr.  It is off

- when the environment variable ``RISKKIT_PROGRESS`` is ``0`` (``1`` forces it on).  The
  kit's report runner sets ``RISKKIT_PROGRESS=0`` for the Papermill kernels it starts, and
  ``tests/conftest.py`` sets it for the test run and the nbval kernels it starts (kernels
  inherit the environment), so executed notebooks hold no progress bars;
- inside a pytest run (``PYTEST_CURRENT_TEST`` is set; nbval starts its kernels during a
  test's setup, so they inherit it even without ``tests/conftest.py``);
- when stderr is not a terminal and no IPython kernel is running (scripts, pipes, CI logs).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from .errors import InputError

__all__ = ["progress", "progress_steps", "progress_enabled", "ENV_VAR"]

#: environment variable: "0" turns progress bars off, "1" forces them on
ENV_VAR = "RISKKIT_PROGRESS"

T = TypeVar("T")

_OFF = {"0", "false", "no", "off"}
_ON = {"1", "true", "yes", "on"}


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # an IPython too old or half imported: not interactive for us
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def progress_enabled(enabled: bool | None = None) -> bool:
    """Whether a progress bar is shown: ``enabled`` if True/False, else the automatic rule.

    Raises
    ------
    InputError
        ``enabled`` is neither None nor a bool (the message names the parameter ``progress``).
    """
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise InputError(f"progress must be None, True or False, got {enabled!r}")
        return enabled
    setting = os.environ.get(ENV_VAR, "").strip().lower()
    if setting in _OFF:
        return False
    if setting in _ON:
        return True
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    if _in_kernel():
        return True
    stderr = sys.stderr
    return bool(stderr is not None and hasattr(stderr, "isatty") and stderr.isatty())


def progress(iterable: Iterable[T], *, total: int | None = None, desc: str | None = None,
             enabled: bool | None = None, unit: str = "it", **tqdm_kwargs: Any) -> Iterable[T]:
    """``iterable`` wrapped in a tqdm bar when :func:`progress_enabled`, else unchanged.

    Parameters
    ----------
    iterable : iterable
    total : int, optional
        Number of items (for iterables without ``len``).
    desc : str, optional
        Label of the bar (the function's name).
    enabled : bool or None, default None
        True/False to force; None for the automatic rule (interactive sessions only).
    unit : str
    **tqdm_kwargs
        Passed to ``tqdm`` (e.g. ``leave=False``).

    Returns
    -------
    iterable
        The same items in the same order.
    """
    if not progress_enabled(enabled):
        return iterable
    return _bar(_tqdm(), iterable, total=total, desc=desc, unit=unit, **tqdm_kwargs)


@contextmanager
def progress_steps(steps: Sequence[str], *, desc: str, enabled: bool | None = None
                   ) -> Iterator[Callable[[str], None]]:
    """A bar over the named stages of one computation (for work that is not a loop).

    Yields ``done(name)``, to call when stage ``name`` is finished; a no-op when
    :func:`progress_enabled` is False.

    Examples
    --------
    >>> with progress_steps(["load", "fit"], desc="demo", enabled=False) as done:
    ...     done("load")
    ...     done("fit")
    """
    if not progress_enabled(enabled):
        yield lambda name: None
        return
    with _tqdm()(total=len(steps), desc=desc, unit="stage") as bar:
        def done(name: str) -> None:
            bar.set_postfix_str(name, refresh=False)
            bar.update(1)

        yield done


def _tqdm():
    # imported here: tqdm.auto warns at import inside a kernel without ipywidgets, which
    # must not reach notebooks that never show a bar
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm
    return tqdm


def _bar(tqdm, iterable, **kwargs) -> Iterator:
    with tqdm(iterable, **kwargs) as bar:
        yield from bar
