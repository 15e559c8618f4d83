"""environment.yml (conda users) names the same dependencies as pyproject.toml, at the
versions pinned in requirements/constraints.txt (which the Makefile installs with)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    base = re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", base).lower()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_name(name)] = version.strip()
    return pins


def _environment_pip() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "pip" in deps and any(isinstance(d, str) and d.startswith("python=3.11") for d in deps)
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1
    assert deps.index("pip") < next(i for i, d in enumerate(deps) if isinstance(d, dict)), \
        "conda wants 'pip' listed before the '- pip:' section"
    return [d for d in pip_sections[0] if not d.startswith("-")]


def test_environment_names_the_same_dependencies_as_pyproject():
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    wanted = {_name(d) for d in project["dependencies"] + extras["test"] + extras["docs"]}
    assert {_name(d) for d in _environment_pip()} == wanted


def test_environment_versions_match_the_pins():
    pins = _pins()
    for requirement in _environment_pip():
        name = _name(requirement)
        version = requirement.split("==")[1]
        assert pins[name] == version, f"{name}: environment.yml {version}, constraints {pins[name]}"


def test_every_dependency_is_pinned():
    project = _pyproject()["project"]
    pins = _pins()
    extras = [d for group in project["optional-dependencies"].values() for d in group]
    missing = [d for d in project["dependencies"] + extras if _name(d) not in pins]
    assert not missing, f"not pinned in requirements/constraints.txt: {missing}"
