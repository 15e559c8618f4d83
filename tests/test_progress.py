"""Progress bars: off in tests and in report kernels, on when forced, never changing a result."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

import riskkit as rk
from riskkit._core.errors import InputError
from riskkit._core.progress import ENV_VAR, progress, progress_enabled, progress_steps
from riskkit.profile import development_sample
from riskkit.reports.runner import _no_progress_bars


def test_off_under_the_test_environment(capsys):
    assert os.environ[ENV_VAR] == "0"  # tests/conftest.py
    assert progress_enabled() is False
    items = [1, 2, 3]
    assert progress(items, desc="x") is items  # untouched, not even wrapped
    assert capsys.readouterr().err == ""


def test_off_inside_pytest_without_the_variable(monkeypatch):
    monkeypatch.delenv(ENV_VAR)
    assert "PYTEST_CURRENT_TEST" in os.environ
    assert progress_enabled() is False


def test_forced_on_draws_a_tqdm_bar_on_stderr(capsys):
    assert list(progress(range(5), desc="demo", enabled=True)) == [0, 1, 2, 3, 4]
    err = capsys.readouterr().err
    assert "demo" in err and "5/5" in err


def test_environment_variable_forces_it_on(monkeypatch, capsys):
    monkeypatch.setenv(ENV_VAR, "1")
    assert list(progress("ab", desc="letters")) == ["a", "b"]
    assert "letters" in capsys.readouterr().err


def test_steps_bar_counts_stages(capsys):
    with progress_steps(["a", "b", "c"], desc="stages", enabled=True) as done:
        for name in "abc":
            done(name)
    assert "3/3" in capsys.readouterr().err
    with progress_steps(["a"], desc="quiet") as done:
        done("a")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("value", ["yes", 1, 0.0])
def test_a_bad_value_names_the_parameter(value):
    with pytest.raises(InputError, match="progress must be None, True or False"):
        progress_enabled(value)


def test_terminal_rule_in_a_plain_process():
    # a child process without the variable, stderr a pipe (not a terminal): off
    env = {k: v for k, v in os.environ.items() if k not in (ENV_VAR, "PYTEST_CURRENT_TEST")}
    code = "from riskkit._core.progress import progress_enabled; print(progress_enabled())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=os.getcwd())
    assert out.stdout.strip() == "False"


def test_report_runner_switches_bars_off_for_the_kernels_it_starts(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "1")
    code = "import os; print(os.environ.get('RISKKIT_PROGRESS'))"
    with _no_progress_bars():  # a kernel is a child process: it sees what a subprocess sees
        inside = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert inside.stdout.strip() == "0"
    assert os.environ[ENV_VAR] == "1"  # restored afterwards
    monkeypatch.delenv(ENV_VAR)
    with _no_progress_bars():
        pass
    assert ENV_VAR not in os.environ


@pytest.mark.slow
def test_generation_and_development_sample_accept_progress(capsys):
    quiet = rk.datasets.generate_portfolio(20, seed=3, progress=False)
    loud = rk.datasets.generate_portfolio(20, seed=3, progress=True)
    assert "generate_portfolio" in capsys.readouterr().err
    for name, table in quiet.tables.items():
        pd.testing.assert_frame_equal(table, loud.tables[name], obj=name)
    pd.testing.assert_frame_equal(quiet.truth, loud.truth)
    dates = ["2022-12-31", "2023-06-30"]
    a = development_sample(quiet, dates, progress=True)
    assert "development_sample" in capsys.readouterr().err
    pd.testing.assert_frame_equal(a, development_sample(quiet, dates, progress=False))


@pytest.mark.slow
def test_a_jupyter_kernel_is_interactive_unless_told_otherwise(monkeypatch):
    from jupyter_client.manager import start_new_kernel

    def ask() -> str:
        km, kc = start_new_kernel(kernel_name="python3", cwd=os.getcwd())
        out: list[str] = []
        try:
            kc.execute_interactive(
                f"import sys; sys.path.insert(0, {os.getcwd()!r}); "
                "from riskkit._core.progress import progress_enabled; print(progress_enabled())",
                output_hook=lambda m: out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None,
                timeout=60)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        return "".join(out).strip()

    monkeypatch.delenv(ENV_VAR)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert ask() == "True"  # an IPython kernel: interactive
    with _no_progress_bars():
        assert ask() == "False"
