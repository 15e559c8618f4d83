"""Importing a subpackage does not load the heavy dependencies that only a few functions use.

Checked in fresh interpreters (real subprocesses): which modules are in ``sys.modules``
after the import, and that the lazily loaded names still resolve, from-import and
tab-complete. Import *time* is measured by ``bench/bench_import.py``, never asserted here.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandera", "statsmodels", "sklearn", "scipy.stats", "scipy.sparse.linalg", "scipy.sparse.csgraph")


def run_child(code: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def loaded_after(statement: str) -> list[str]:
    return run_child(f"import sys, json; {statement}; "
                     f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")


@pytest.mark.parametrize("module", ["riskkit.data", "riskkit.graph", "riskkit.scoring"])
def test_subpackage_import_loads_no_heavy_dependency(module):
    assert loaded_after(f"import {module}") == []


def test_estimators_load_on_first_use_and_stay_discoverable():
    got = run_child(
        "import json, sys, riskkit as rk\n"
        "names = dir(rk.scoring)\n"
        "before = 'sklearn' in sys.modules\n"
        "from riskkit.scoring import Scorecard\n"
        "binner = rk.scoring.WoEBinner\n"
        "print(json.dumps({'dir': [n for n in ('WoEBinner', 'Scorecard', 'fit_challenger', 'MasterScale') if n in names],"
        " 'before': before, 'after': 'sklearn' in sys.modules, 'binner': binner.__module__,"
        " 'card': Scorecard.__module__, 'statsmodels': 'statsmodels' in sys.modules}))"
    )
    assert got == {"dir": ["WoEBinner", "Scorecard", "fit_challenger", "MasterScale"], "before": False,
                   "after": True, "binner": "riskkit.scoring.binning", "card": "riskkit.scoring.scorecard",
                   "statsmodels": False}


def test_every_public_name_of_scoring_resolves():
    from riskkit import scoring

    for name in scoring.__all__:
        assert getattr(scoring, name) is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        scoring.no_such_name  # noqa: B018


def test_validation_loads_pandera_when_it_validates():
    # the value checks still run through pandera (the validation tests check what they find)
    assert loaded_after(
        "import riskkit.data as d; d.validate_portfolio({'customers': d.empty_table('customers')})"
    ) == ["pandera"]
