"""Execute parameterised notebooks with Papermill into reviewer-ready reports."""

from __future__ import annotations

import ast
import datetime as _dt
import os
from pathlib import Path

__all__ = ["run_report", "list_reports", "report_parameters", "notebooks_dir", "refresh_notebook", "render_html"]


#: the report notebooks ship inside the package (package data), so an installed kit renders
#: reports from any folder; the repository's ``notebooks/`` is a link to this folder
PACKAGE_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def notebooks_dir() -> Path:
    """The folder of report notebooks: ``$RISKKIT_NOTEBOOKS_DIR`` or the package's own."""
    return Path(os.environ.get("RISKKIT_NOTEBOOKS_DIR") or PACKAGE_NOTEBOOKS)


def list_reports() -> list[str]:
    """Names of the notebooks that can be run as reports, sorted."""
    return sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))


def _notebook(name: str) -> Path:
    path = notebooks_dir() / f"{name}.ipynb"
    if not path.exists():
        raise ValueError(f"unknown report {name!r}; available: {', '.join(list_reports()) or 'none'}")
    return path


def report_parameters(name: str) -> dict[str, dict]:
    """The parameters a report notebook declares (name -> default, type, help)."""
    import papermill as pm

    return dict(pm.inspect_notebook(str(_notebook(name))))


def _declared_type(declared: dict) -> str:
    """The type of a parameter: its annotation, else the type of its default literal."""
    kind = (declared.get("inferred_type_name") or "None").lower()
    if kind != "none":
        return kind
    try:
        default = ast.literal_eval(declared.get("default", "None"))
    except (ValueError, SyntaxError):
        return "none"
    return type(default).__name__.lower() if default is not None else "none"


def _convert(value, declared: dict):
    """Turn a command-line string into the type of the notebook's default."""
    if not isinstance(value, str):
        return value
    kind = _declared_type(declared)
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            if value.lower() in ("true", "1", "yes"):
                return True
            if value.lower() in ("false", "0", "no"):
                return False
            raise ValueError(value)
    except ValueError as exc:
        raise ValueError(f"parameter {declared['name']!r} expects {kind}, got {value!r}") from exc
    if kind == "str":
        return value
    import yaml

    parsed = yaml.safe_load(value)
    # YAML reads 2024-12-31 as a date; notebooks take dates as ISO strings
    return value if isinstance(parsed, (_dt.date, _dt.datetime)) else parsed


def run_report(name: str, parameters: dict | None = None, output_dir="reports", html: bool = True) -> dict:
    """Execute ``notebooks/<name>.ipynb`` with Papermill and render it for reviewers.

    Parameters
    ----------
    name : str
        Notebook name without ``.ipynb``; see :func:`list_reports`.
    parameters : dict, optional
        Values for the notebook's ``parameters`` cell; names it does not declare are an
        error (a typo would otherwise run the default silently).
    output_dir : str or Path, default "reports"
        Folder for ``<name>.ipynb`` (executed) and ``<name>.html`` (input cells hidden).
        A relative path is taken from the current directory.
    html : bool, default True
        Also render the HTML report.

    Returns
    -------
    dict with the paths written under ``"notebook"`` and ``"html"``.
    """
    import papermill as pm

    source = _notebook(name)
    declared = report_parameters(name)
    parameters = dict(parameters or {})
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ValueError(f"report {name!r} has no parameter(s) {unknown}; it takes {sorted(declared)}")
    parameters = {k: _convert(v, declared[k]) for k, v in parameters.items()}
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    executed = out / f"{name}.ipynb"
    pm.execute_notebook(str(source), str(executed), parameters=parameters, cwd=str(source.parent),
                        progress_bar=False, log_output=False, kernel_name="python3")
    written = {"notebook": executed}
    if html:
        written["html"] = render_html(executed)
    return written


def render_html(notebook_path) -> Path:
    """Render an executed notebook to HTML without input cells (what a reviewer reads)."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook_path = Path(notebook_path)
    nb = nbformat.read(notebook_path, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    target = notebook_path.with_suffix(".html")
    target.write_text(body, encoding="utf-8")
    return target


def refresh_notebook(name: str) -> Path:
    """Re-execute ``notebooks/<name>.ipynb`` in place with its default parameters.

    This is how the committed outputs are produced (``make notebooks``).  Papermill's
    per-cell timings and start/end times are removed afterwards: they differ on every run
    and would make each refresh a diff without a change.
    """
    import nbformat
    import papermill as pm

    source = _notebook(name)
    pm.execute_notebook(str(source), str(source), cwd=str(source.parent), progress_bar=False,
                        log_output=False, kernel_name="python3")
    nb = nbformat.read(source, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(nb, source)
    return source
