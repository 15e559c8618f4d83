"""The package works when installed (not editable), from a folder outside the repository.

The package is built from a copy of the files a source distribution holds (pyproject.toml,
README.md, riskkit/) and installed with pip into a temporary target; every command then
runs in another temporary folder with only that target on PYTHONPATH, so nothing can come
from the checkout: notebooks, configs and the German Credit file must ship as package data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _setuptools_is_recent() -> bool:
    """pyproject's ``license = "MIT"`` (PEP 639) needs setuptools >= 77 in the build env."""
    try:
        return int(metadata.version("setuptools").split(".")[0]) >= 77
    except metadata.PackageNotFoundError:
        return False


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(site folder with the installed riskkit, environment to run it with, a work folder)."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "riskkit", source / "riskkit",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*.running.ipynb"))
    target = root / "site"
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "--quiet",
               "--disable-pip-version-check", "--target", str(target), str(source)]
    if _setuptools_is_recent():
        command.insert(5, "--no-build-isolation")
    done = subprocess.run(command, capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RISKKIT_", "PYTHON"))}
    env.update(PYTHONPATH=str(target), XDG_CACHE_HOME=str(root / "cache"), MPLBACKEND="Agg")
    work = root / "work"
    work.mkdir()
    return target, env, work


def _run(args, env, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_package_data_is_installed(installed):
    target, _, _ = installed
    package = target / "riskkit"
    notebooks = sorted(p.name for p in (package / "notebooks").glob("*.ipynb"))
    assert notebooks == sorted(p.name for p in (REPO / "riskkit" / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 5
    configs = sorted(p.name for p in (package / "configs").glob("*.yaml"))
    assert configs == sorted(p.name for p in (REPO / "riskkit" / "configs").glob("*.yaml"))
    assert (package / "datasets" / "files" / "german_credit.csv").is_file()
    byod = sorted(p.name for p in (package / "datasets" / "files" / "byod").iterdir())
    assert byod == ["ar_ledger.csv", "customer_master.csv", "mapping.yaml", "receipts.csv"]


def test_installed_kit_loads_german_credit_and_configs_from_the_package(installed):
    target, env, work = installed
    code = ("import riskkit as rk; d = rk.datasets.load_german_credit(); "
            "print(rk.__file__); print(rk.datasets.default_german_path()); print(len(d), int(d['bad'].sum())); "
            "print(rk.scoring.MasterScale.default().grades[0])")
    done = _run(["-c", code], env, work)
    assert done.returncode == 0, done.stderr
    module, german, counts, grade = done.stdout.split("\n")[:4]
    assert Path(module).is_relative_to(target) and Path(german).is_relative_to(target)
    assert counts == "1000 300"  # Statlog German Credit: 1,000 applicants, 300 bad (Hofmann 1994)
    assert grade == "AAA"


def test_installed_cli_synth_then_report_from_another_folder(installed):
    _, env, work = installed
    done = _run(["-m", "riskkit", "synth", "--n-customers", "60", "--seed", "1", "--output", "book"], env, work)
    assert done.returncode == 0, done.stderr
    assert (work / "book" / "customers.parquet").is_file()
    done = _run(["-m", "riskkit", "report", "data_overview", "-p", "data_path", "book", "--output-dir", "out"],
                env, work)
    assert done.returncode == 0, done.stderr
    html = list((work / "out").glob("data_overview_book-*.html"))
    assert len(html) == 1, sorted(p.name for p in (work / "out").iterdir())
    text = html[0].read_text(encoding="utf-8")
    assert "Tables and row counts" in text and "Traceback" not in text
    # the run used the installed copy, not the checkout
    executed = html[0].with_suffix(".ipynb").read_text(encoding="utf-8")
    for folder in (REPO / "riskkit", REPO / "data", REPO / "notebooks"):
        assert str(folder) not in executed and str(folder) not in text
