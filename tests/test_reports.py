"""The report runner and CLI, executing a real (tiny) notebook with Papermill."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

import riskkit as rk
from riskkit.cli import main


@pytest.fixture
def notebooks(tmp_path, monkeypatch):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("as_of = '2024-12-31'\nn = 3\nlabel = 'x'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny report"), params,
                nbformat.v4.new_code_cell("print(as_of, n * 2, label, type(as_of).__name__)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "tiny.ipynb")
    monkeypatch.setenv("RISKKIT_NOTEBOOKS_DIR", str(folder))
    return folder


def _stdout(path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_run_report_writes_notebook_and_html_without_inputs(notebooks, tmp_path):
    written = rk.reports.run_report("tiny", {"n": 5}, output_dir=tmp_path / "out")
    assert "2024-12-31 10 x str" in _stdout(written["notebook"])
    html = written["html"].read_text()
    assert "2024-12-31 10 x str" in html
    assert "print(as_of" not in html  # input cells hidden for reviewers


def test_unknown_report_and_parameter(notebooks, tmp_path):
    with pytest.raises(rk.reports.UnknownReportError, match="unknown report 'nope'; available: tiny"):
        rk.reports.run_report("nope", output_dir=tmp_path)
    with pytest.raises(rk.reports.ReportParameterError, match=r"has no parameter\(s\) \['asof'\]"):
        rk.reports.run_report("tiny", {"asof": "2020-01-01"}, output_dir=tmp_path)


def test_cli_report_converts_types_and_names_the_output_after_the_parameters(notebooks, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["report", "tiny", "-p", "n", "7", "-p", "as_of", "2023-06-30", "--output-dir", str(out)])
    assert code == 0
    assert "2023-06-30 14 x str" in _stdout(out / "tiny_2023-06-30_7.ipynb")
    # a second run with other parameters does not overwrite the first
    assert main(["report", "tiny", "--output-dir", str(out)]) == 0
    assert "2024-12-31 6 x str" in _stdout(out / "tiny.ipynb")
    assert "2023-06-30 14 x str" in _stdout(out / "tiny_2023-06-30_7.ipynb")
    assert sorted(p.name for p in out.iterdir()) == [
        "tiny.html", "tiny.ipynb", "tiny_2023-06-30_7.html", "tiny_2023-06-30_7.ipynb"]


def test_cli_errors_are_messages_not_tracebacks(notebooks, tmp_path, capsys):
    assert main(["report", "tiny", "-p", "n", "seven", "--output-dir", str(tmp_path)]) == 2
    assert "parameter 'n': expects int, got 'seven'" in capsys.readouterr().err
    assert main(["report", "--output-dir", str(tmp_path)]) == 2
    assert main(["report", "missing", "--output-dir", str(tmp_path)]) == 2
    assert "unknown report 'missing'" in capsys.readouterr().err


def test_cli_report_all(notebooks, tmp_path):
    assert main(["report", "--all", "--output-dir", str(tmp_path)]) == 0
    assert (tmp_path / "tiny.html").exists()


def test_python_dash_m_help():
    out = subprocess.run([sys.executable, "-m", "riskkit", "--help"], capture_output=True, text=True, check=True)
    assert "report" in out.stdout and "synth" in out.stdout


def test_cli_validate_data(tiny_portfolio, tmp_path, capsys):
    tiny_portfolio.save(tmp_path / "ok", format="csv")
    assert main(["validate-data", str(tmp_path / "ok")]) == 0
    assert "all data-model rules hold" in capsys.readouterr().out
    bad = (tmp_path / "ok" / "orders.csv").read_text().replace("fulfilled", "shipped", 1)
    (tmp_path / "ok" / "orders.csv").write_text(bad)
    assert main(["validate-data", str(tmp_path / "ok")]) == 1
    assert "known_category" in capsys.readouterr().out


def test_refresh_executes_in_place_without_volatile_metadata(notebooks):
    import json

    rk.reports.refresh_notebook("tiny")
    raw = json.loads((notebooks / "tiny.ipynb").read_text())
    assert "papermill" not in raw["metadata"]
    assert all("papermill" not in c["metadata"] and "execution" not in c["metadata"] for c in raw["cells"])
    assert "2024-12-31 6 x str" in _stdout(notebooks / "tiny.ipynb")
    assert sorted(p.name for p in notebooks.iterdir()) == ["tiny.ipynb"]  # no temporary file left


def test_refresh_leaves_a_failing_notebook_as_it_was(notebooks):
    broken = nbformat.v4.new_notebook()
    broken.cells = [nbformat.v4.new_code_cell("raise RuntimeError('no')")]
    broken.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(broken, notebooks / "broken.ipynb")
    before = (notebooks / "broken.ipynb").read_bytes()
    with pytest.raises(rk.reports.NotebookFailedError, match=r"report 'broken' failed at cell In \[1\]: RuntimeError: no"):
        rk.reports.refresh_notebook("broken")
    assert (notebooks / "broken.ipynb").read_bytes() == before
    assert sorted(p.name for p in notebooks.iterdir()) == ["broken.ipynb", "tiny.ipynb"]


def test_cli_report_all_renders_the_extra_runs(notebooks, tmp_path, monkeypatch):
    monkeypatch.setitem(rk.reports.EXTRA_RUNS, "tiny", ({"n": 7},))
    monkeypatch.setitem(rk.reports.EXTRA_RUNS, "not_shipped", ({"x": 1},))   # skipped: no such notebook
    out = tmp_path / "out"
    assert main(["report", "--all", "--no-html", "--output-dir", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["tiny.ipynb", "tiny_7.ipynb"]
    assert "2024-12-31 14 x str" in _stdout(out / "tiny_7.ipynb")


def test_scorecard_runs_on_the_customer_book_by_default_and_on_german_credit_second(monkeypatch):
    monkeypatch.delenv("RISKKIT_NOTEBOOKS_DIR", raising=False)
    declared = rk.reports.report_parameters("scorecard_development")
    assert declared["dataset"].default == "sample"
    runs = rk.reports.standard_runs()
    assert ("scorecard_development", {}) in runs and ("scorecard_development", {"dataset": "german"}) in runs
    values = rk.reports.check_report_parameters("scorecard_development", {"dataset": "german"})
    assert rk.reports.output_stem("scorecard_development", declared, values) == "scorecard_development_german"
