"""Execute parameterised notebooks with Papermill into reviewer-ready reports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .._core.progress import ENV_VAR as _PROGRESS_ENV
from .parameters import (
    ReportError,
    ReportParameter,
    ReportParameterError,
    UnknownReportError,
    check_parameters,
    notebook_parameters,
    output_stem,
)

__all__ = ["run_report", "list_reports", "standard_runs", "EXTRA_RUNS", "report_parameters",
           "check_report_parameters", "notebooks_dir", "refresh_notebook", "render_html", "notebook_html",
           "NotebookFailedError"]


#: the report notebooks ship inside the package (package data), so an installed kit renders
#: reports from any folder; the repository's ``notebooks/`` is a link to this folder
PACKAGE_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@contextmanager
def _no_progress_bars() -> Iterator[None]:
    """Kernels started inside inherit ``RISKKIT_PROGRESS=0``: no progress bars in executed notebooks.

    A kernel is a child process that copies this process's environment when it starts;
    setting the variable for the duration of the execution reaches it without changing the
    caller's environment afterwards.
    """
    before = os.environ.get(_PROGRESS_ENV)
    os.environ[_PROGRESS_ENV] = "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(_PROGRESS_ENV, None)
        else:
            os.environ[_PROGRESS_ENV] = before


class NotebookFailedError(ReportError):
    """A cell of a report notebook raised; the message names the notebook, the cell and the error.

    Attributes
    ----------
    report : str
    cell : int or None
        Execution count of the failing cell (``In [n]`` in the executed notebook).
    error : str
        ``"<ExceptionName>: <first line of its message>"``.
    notebook : Path or None
        The executed notebook with the traceback, kept for inspection.
    kernel_log : Path or None
        What the kernel process printed on its own stderr (C libraries, a crash), when it
        printed anything.
    """

    def __init__(self, report: str, cell, error: str, notebook: Path | None, kernel_log: Path | None = None):
        where = f"cell In [{cell}]" if cell is not None else "a cell"
        kept = f" (traceback in {notebook})" if notebook is not None else ""
        if kernel_log is not None:
            kept += f" (kernel process messages in {kernel_log})"
        super().__init__(f"report {report!r} failed at {where}: {error}{kept}")
        self.report, self.cell, self.error, self.notebook = report, cell, error, notebook
        self.kernel_log = kernel_log


#: kernel command-line options: ipykernel's own log lines (e.g. "Kernel is running over TCP
#: without encryption") are noise in the kernel log below; errors in cells reach us through
#: the notebook, not this log
_QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]


def _kernel_manager_logging_to(sink):
    """A kernel manager class whose kernels write their process stderr to ``sink``, not ours.

    Cell output (``print``, warnings, tracebacks) travels to the notebook over ZeroMQ; the
    kernel process's own stderr carries only what C libraries print as the process runs or
    shuts down (a libzmq assertion during kernel shutdown was seen in CI).  Sharing the
    terminal's stderr would let such lines break the CLI's one-line errors, so they go to a
    log file that is kept when a run fails (:class:`NotebookFailedError` names it).
    """
    from jupyter_client.manager import AsyncKernelManager

    class _KernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stderr"] = sink
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return _KernelManager


@contextmanager
def _kernel_log(path: Path) -> Iterator[dict]:
    """Papermill keyword arguments sending the kernel's process stderr to ``path``.

    The file is removed afterwards when empty, and kept (for the error message) otherwise.
    """
    try:
        with open(path, "wb") as sink:
            yield {"kernel_manager_class": _kernel_manager_logging_to(sink)}
    finally:
        if path.exists() and path.stat().st_size == 0:
            path.unlink()


def notebooks_dir() -> Path:
    """The folder of report notebooks: ``$RISKKIT_NOTEBOOKS_DIR`` or the package's own."""
    return Path(os.environ.get("RISKKIT_NOTEBOOKS_DIR") or PACKAGE_NOTEBOOKS)


def list_reports() -> list[str]:
    """Names of the notebooks that can be run as reports, sorted (hidden files excluded)."""
    return sorted(p.stem for p in notebooks_dir().glob("*.ipynb") if not p.name.startswith("."))


#: runs that ``riskkit report --all`` (``make reports``) renders besides each report's defaults:
#: the scorecard is developed on the customer book by default and on German Credit as well,
#: a public data set a reviewer can check the method on (output ``scorecard_development_german``)
EXTRA_RUNS: dict[str, tuple[dict, ...]] = {
    "scorecard_development": ({"dataset": "german"},),
}


def standard_runs() -> list[tuple[str, dict]]:
    """The runs of ``riskkit report --all``: every report with its defaults, then the
    :data:`EXTRA_RUNS` of the reports that are shipped, as ``(name, parameters)``."""
    names = list_reports()
    runs = [(name, {}) for name in names]
    for name in names:
        runs += [(name, dict(parameters)) for parameters in EXTRA_RUNS.get(name, ())]
    return runs


def _notebook(name) -> Path:
    """The notebook of a report *named in* :func:`list_reports` (never a path built from
    user text: ``../x`` is not a report name)."""
    available = list_reports()
    if not isinstance(name, str) or name not in available:
        raise UnknownReportError(f"unknown report {name!r}; available: {', '.join(available) or 'none'}")
    return notebooks_dir() / f"{name}.ipynb"


def report_parameters(name: str) -> dict[str, ReportParameter]:
    """The parameters a report notebook declares, in order (name -> :class:`ReportParameter`)."""
    return notebook_parameters(_notebook(name))


def _read_customers(folder: Path):
    """The normalised customers table of a portfolio folder; None if absent or unreadable."""
    import pandas as pd

    from ..data import validate_portfolio

    for suffix in ("parquet", "csv"):
        file = folder / f"customers.{suffix}"
        if file.is_file():
            try:
                raw = (pd.read_parquet(file) if suffix == "parquet"
                       else pd.read_csv(file, dtype="str", keep_default_na=False, na_values=[""]))
                tables, violations = validate_portfolio({"customers": raw}, from_text=suffix == "csv")
            except Exception:  # noqa: BLE001 - the notebook's loader reports what is wrong
                return None
            return tables["customers"] if violations.empty else None
    return None


def _check_customer(name: str, declared: dict[str, ReportParameter], values: dict) -> None:
    """A ``customer_id`` must be a customer of the data, onboarded by ``as_of``, when the
    data is on disk (a given ``data_path`` or the generated sample)."""
    if "customer_id" not in declared:
        return

    def value(key):
        return values.get(key, declared[key].default) if key in declared else None

    customer_id = value("customer_id")
    if customer_id is None:
        return
    data_path = value("data_path")
    if data_path is None:
        from ..datasets import sample_path

        folder = sample_path()
    else:
        folder = Path(data_path)
    customers = _read_customers(folder)
    if customers is None:
        return
    from ..assess import UnknownCustomerError, check_customer
    from ..data import Portfolio

    as_of = value("as_of")
    if as_of is None and len(customers):
        as_of = customers["onboarded"].max()
    try:
        check_customer(Portfolio(customers, validate=False), customer_id, as_of)
    except UnknownCustomerError as exc:
        raise ReportParameterError(f"report {name!r}: parameter 'customer_id': {exc}") from None


def check_report_parameters(name: str, parameters: dict | None = None) -> dict:
    """Validate and convert parameters for report ``name`` without starting a kernel.

    Names the notebook does not declare, values of the wrong kind (see
    :mod:`riskkit.reports.parameters`), paths that do not exist and, for a report that
    takes a ``customer_id``, an id that is not a customer of the data on ``as_of`` raise
    :class:`~riskkit.reports.parameters.ReportParameterError` naming the parameter.

    Returns
    -------
    dict
        The converted values (relative paths made absolute).
    """
    declared = report_parameters(name)
    values = check_parameters(name, declared, parameters)
    _check_customer(name, declared, values)
    return values


def _output_folder(output_dir) -> Path:
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise ReportError(f"output folder {str(output_dir)!r} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create output folder {str(output_dir)!r}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ReportError(f"output folder {str(output_dir)!r} is not writable")
    return out


def run_report(name: str, parameters: dict | None = None, output_dir="reports", html: bool = True) -> dict:
    """Execute ``notebooks/<name>.ipynb`` with Papermill and render it for reviewers.

    Parameters
    ----------
    name : str
        A report name from :func:`list_reports` (not a path).
    parameters : dict, optional
        Values for the notebook's ``parameters`` cell, checked by
        :func:`check_report_parameters` before any kernel starts.
    output_dir : str or Path, default "reports"
        Folder for the executed notebook and its HTML (input cells hidden), named
        :func:`riskkit.reports.parameters.output_stem`: the report name followed by the
        parameter values that differ from the defaults (``customer_profile_C001153``), so
        runs with different parameters do not overwrite each other.
    html : bool, default True
        Also render the HTML report.

    Returns
    -------
    dict with the paths written under ``"notebook"`` and ``"html"``.

    Raises
    ------
    UnknownReportError, ReportParameterError, ReportError
        Before execution: unknown report, bad parameter, unusable output folder.
    NotebookFailedError
        A cell raised.  Nothing is written under the report's name; the executed notebook
        with the traceback is kept as ``<stem>.failed.ipynb``, and what the kernel process
        printed on its own stderr, if anything, as ``<stem>.kernel.log``.
    """
    import papermill as pm

    source = _notebook(name)
    declared = report_parameters(name)
    values = check_report_parameters(name, parameters)
    out = _output_folder(output_dir)
    stem = output_stem(name, declared, values)
    executed = out / f"{stem}.ipynb"
    if executed.resolve().parent != out.resolve():  # output_stem keeps names flat; make sure
        raise ReportError(f"report output {executed} would leave the output folder {out}")
    running = out / f".{stem}.running.ipynb"
    kernel_log = out / f"{stem}.kernel.log"
    try:
        with _no_progress_bars(), _kernel_log(kernel_log) as kernel:
            pm.execute_notebook(str(source), str(running), parameters=values, cwd=str(source.parent),
                                progress_bar=False, log_output=False, kernel_name="python3",
                                extra_arguments=_QUIET_KERNEL, **kernel)
    except pm.PapermillExecutionError as exc:
        failed = out / f"{stem}.failed.ipynb"
        os.replace(running, failed)
        first_line = (str(exc.evalue).strip().splitlines() or [""])[0]
        raise NotebookFailedError(name, exc.exec_count, f"{exc.ename}: {first_line}", failed,
                                  kernel_log if kernel_log.exists() else None) from None
    except BaseException:
        running.unlink(missing_ok=True)
        raise
    os.replace(running, executed)
    (out / f"{stem}.failed.ipynb").unlink(missing_ok=True)
    # a successful run's kernel messages (e.g. at shutdown) are not the reader's concern
    kernel_log.unlink(missing_ok=True)
    written = {"notebook": executed}
    if html:
        written["html"] = render_html(executed)
    return written


def notebook_html(notebook_path) -> str:
    """An executed notebook as the HTML a reviewer reads: outputs and Markdown, no input cells."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(Path(notebook_path), as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    return body


def render_html(notebook_path) -> Path:
    """Render an executed notebook to HTML without input cells (:func:`notebook_html`) next to it."""
    notebook_path = Path(notebook_path)
    target = notebook_path.with_suffix(".html")
    target.write_text(notebook_html(notebook_path), encoding="utf-8")
    return target


def refresh_notebook(name: str) -> Path:
    """Re-execute ``notebooks/<name>.ipynb`` in place with its default parameters.

    This is how the committed outputs are produced (``make notebooks``).  Papermill's
    per-cell timings and start/end times are removed afterwards: they differ on every run
    and would make each refresh a diff without a change.  A notebook that fails is left
    as it was.
    """
    import nbformat
    import papermill as pm

    source = _notebook(name)
    running = source.with_name(f".{name}.running.ipynb")
    kernel_log = source.with_name(f".{name}.kernel.log")
    try:
        with _no_progress_bars(), _kernel_log(kernel_log) as kernel:
            pm.execute_notebook(str(source), str(running), cwd=str(source.parent), progress_bar=False,
                                log_output=False, kernel_name="python3", extra_arguments=_QUIET_KERNEL,
                                **kernel)
    except pm.PapermillExecutionError as exc:
        running.unlink(missing_ok=True)
        first_line = (str(exc.evalue).strip().splitlines() or [""])[0]
        raise NotebookFailedError(name, exc.exec_count, f"{exc.ename}: {first_line}", None,
                                  kernel_log if kernel_log.exists() else None) from None
    except BaseException:
        running.unlink(missing_ok=True)
        raise
    kernel_log.unlink(missing_ok=True)
    nb = nbformat.read(running, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(nb, running)
    os.replace(running, source)
    return source
