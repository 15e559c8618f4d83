"""Reports: Papermill execution of the parameterised notebooks and HTML export."""

from .runner import list_reports, notebooks_dir, refresh_notebook, render_html, report_parameters, run_report

__all__ = ["run_report", "refresh_notebook", "list_reports", "report_parameters", "render_html", "notebooks_dir"]
