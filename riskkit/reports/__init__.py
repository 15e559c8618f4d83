"""Reports: Papermill execution of the parameterised notebooks and HTML export.

Report names come from :func:`list_reports` (the notebooks shipped as package data);
parameters are checked by :func:`check_report_parameters` before a kernel starts.
"""

from .parameters import ReportError, ReportParameter, ReportParameterError, UnknownReportError, output_stem
from .runner import (
    NotebookFailedError,
    check_report_parameters,
    list_reports,
    notebooks_dir,
    refresh_notebook,
    render_html,
    notebook_html,
    report_parameters,
    run_report,
    standard_runs,
    EXTRA_RUNS,
)
from .provenance import Provenance, provenance
from .tables import EM_DASH, VERDICT_COLOURS, FormattedTable, KeyFindings, findings, format_table, round_floats

__all__ = [
    "run_report",
    "standard_runs",
    "EXTRA_RUNS",
    "refresh_notebook",
    "list_reports",
    "report_parameters",
    "check_report_parameters",
    "output_stem",
    "render_html",
    "notebook_html",
    "round_floats",
    "format_table",
    "findings",
    "KeyFindings",
    "FormattedTable",
    "VERDICT_COLOURS",
    "EM_DASH",
    "provenance",
    "Provenance",
    "notebooks_dir",
    "ReportParameter",
    "ReportError",
    "UnknownReportError",
    "ReportParameterError",
    "NotebookFailedError",
]
