"""The provenance block of a report: what it was computed from, so that a reader can reproduce it.

Every report ends with the same block: the report, its parameters, the riskkit version, the
fingerprint of the input data (:func:`riskkit.data.data_fingerprint`) and the as-of date.
It holds nothing that changes between two runs on the same data (no run time, no host, no
absolute path: a path parameter is shown by its last component), so a re-executed
notebook's outputs do not change and a reviewer can compare two reports by their blocks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import pandas as pd

from .._core.dates import check_as_of
from ..data import data_fingerprint

__all__ = ["Provenance", "provenance"]


def _shown(value: Any) -> str:
    """A parameter value as shown: absolute paths by their last component (machine-specific)."""
    if isinstance(value, PurePath):
        value = str(value)
    if isinstance(value, str) and os.path.isabs(value):
        return f"…/{PurePath(value).name}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Provenance:
    """What a report was computed from.

    Attributes
    ----------
    report : str or None
    parameters : dict
        Name -> value as shown (strings; absolute paths cut to their last component).
    version : str
        ``riskkit.__version__``.
    fingerprint : str or None
        :func:`riskkit.data.data_fingerprint` of the input data.
    as_of : str or None
        ``YYYY-MM-DD``.
    """

    report: str | None
    parameters: dict
    version: str
    fingerprint: str | None
    as_of: str | None

    def to_frame(self) -> pd.DataFrame:
        """One row per item (``item``, ``value``)."""
        rows = [("report", self.report)] if self.report else []
        rows += [(f"parameter {k}", v) for k, v in self.parameters.items()]
        rows += [("riskkit version", self.version),
                 ("data fingerprint", self.fingerprint or "not given"),
                 ("as of", self.as_of or "not given")]
        return pd.DataFrame(rows, columns=["item", "value"])

    def summary(self) -> str:
        """One line of text."""
        params = ", ".join(f"{k}={v}" for k, v in self.parameters.items()) or "none"
        return (f"Provenance: report {self.report or '-'}; parameters {params}; riskkit {self.version}; "
                f"data fingerprint {self.fingerprint or '-'}; as of {self.as_of or '-'}")

    def to_markdown(self) -> str:
        """The block as Markdown (what the notebooks display)."""
        params = ", ".join(f"`{k} = {v}`" for k, v in self.parameters.items()) or "none"
        lines = ["**Provenance**", "",
                 "| item | value |", "|---|---|"]
        if self.report:
            lines.append(f"| report | `{self.report}` |")
        lines += [f"| parameters | {params} |",
                  f"| riskkit version | `{self.version}` |",
                  f"| data fingerprint | `{self.fingerprint or 'not given'}` (SHA-256 of the input tables' "
                  f"content, `rk.data.data_fingerprint`) |",
                  f"| as of | {self.as_of or 'not given'} |"]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return self.summary()


def provenance(parameters: Mapping[str, Any] | None = None, *, report: str | None = None, data=None,
               as_of=None) -> Provenance:
    """The provenance block of a report.

    Parameters
    ----------
    parameters : mapping, optional
        The report's parameter values.  With ``report`` given, only the names the report
        declares are taken, so a notebook can pass ``globals()``.
    report : str, optional
        The report's name (one of :func:`riskkit.reports.list_reports`).
    data : Portfolio, mapping of DataFrames or DataFrame, optional
        The input data; its :func:`riskkit.data.data_fingerprint` is shown.
    as_of : date-like, optional
        The as-of date of the report.

    Returns
    -------
    Provenance
        Displays as a Markdown table in a notebook.

    Raises
    ------
    riskkit.reports.UnknownReportError
        ``report`` is not a shipped report.
    ValueError
        ``as_of`` is not a date.
    """
    from .. import __version__

    values = dict(parameters or {})
    if report is not None:
        from .runner import report_parameters

        declared = report_parameters(report)
        values = {name: values[name] for name in declared if name in values}
    shown = {name: _shown(value) for name, value in values.items()}
    fingerprint = None if data is None else data_fingerprint(data)
    day = None if as_of is None else check_as_of(as_of, "as_of").strftime("%Y-%m-%d")
    return Provenance(report=report, parameters=shown, version=__version__, fingerprint=fingerprint, as_of=day)
