"""Reports: Papermill execution of the parameterised notebooks and HTML export."""

from .runner import list_reports, notebooks_dir, render_html, report_parameters, run_report

__all__ = ["run_report", "list_reports", "report_parameters", "render_html", "notebooks_dir"]
