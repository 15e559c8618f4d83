"""Sphinx configuration of the riskkit documentation (``make docs``; warnings are errors).

The API reference is generated here, before Sphinx reads the sources: one page per
subpackage listing every name of its ``__all__`` (an autosummary table, then the full
entry of each name), so a name added to ``__all__`` is documented without editing docs.
Tutorials in ``tutorials/*.ipynb`` are executed by myst-nb during the build.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the worktree's riskkit wins over an installed one
# the notebook kernels must import the same riskkit (a relative PYTHONPATH would not resolve
# from the tutorials' folder)
os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), *filter(None, [os.environ.get("PYTHONPATH")])])
# executed tutorials show results, not progress bars (riskkit._core.progress reads this)
os.environ["RISKKIT_PROGRESS"] = "0"

import riskkit  # noqa: E402

project = "riskkit"
author = "riskkit contributors"
copyright = "riskkit contributors"  # noqa: A001
release = version = riskkit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "examples", "**.ipynb_checkpoints", "jupyter_execute"]
html_theme = "pydata_sphinx_theme"
html_title = f"riskkit {release}"
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}
html_static_path: list[str] = []

# numpydoc: render the sections; members are documented by autodoc (:members:), not as
# autosummary stubs numpydoc would otherwise ask for
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = False
autosummary_generate = False
autodoc_typehints = "none"          # numpydoc's Parameters sections carry the types
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}

myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
# "force": every build executes the tutorials against the code as it is (a cache keyed on the
# notebook alone would hide an API change); RISKKIT_DOCS_EXECUTE=cache|off for quick drafts
nb_execution_mode = os.environ.get("RISKKIT_DOCS_EXECUTE", "force")
nb_execution_timeout = 300
nb_execution_raise_on_error = True   # a tutorial that fails breaks the build
nb_execution_show_tb = True
suppress_warnings = ["mystnb.unknown_mime_type"]

#: API pages: subpackage -> title
API_PAGES = {
    "riskkit.data": "Data model, validation, io and mapping",
    "riskkit.datasets": "Datasets",
    "riskkit.profile": "Risk profile (features and labels)",
    "riskkit.scoring": "Scoring",
    "riskkit.limits": "Limits, exposure, loss and actions",
    "riskkit.graph": "Graph and contagion",
    "riskkit.validation": "Model validation statistics",
    "riskkit.assess": "Assessment (orchestration)",
    "riskkit.monitoring": "Monitoring",
    "riskkit.plots": "Plots",
    "riskkit.reports": "Reports",
    "riskkit._core": "Core: errors, dates, checks, configs",
}


def _directive(obj) -> str:
    if inspect.isclass(obj):
        return "autoexception" if issubclass(obj, BaseException) else "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


def write_api_pages() -> None:
    """One ``api/<subpackage>.rst`` per subpackage, from its ``__all__``."""
    folder = HERE / "api"
    folder.mkdir(exist_ok=True)
    index = ["API reference", "=============", "",
             "Every public name of each subpackage (its ``__all__``). ``import riskkit as rk``",
             "also exposes the main entry points at the top level (``rk.load_sample``, ...).", "",
             ".. toctree::", "   :maxdepth: 1", ""]
    seen: set[int] = set()
    for module_name, title in API_PAGES.items():
        module = importlib.import_module(module_name)
        names = list(module.__all__)
        slug = module_name.replace("riskkit.", "").lstrip("_")
        index.append(f"   {slug}")
        lines = [f"``{module_name}``: {title}", "=" * (len(module_name) + len(title) + 6), "",
                 f".. automodule:: {module_name}", "   :no-members:", "",
                 f".. currentmodule:: {module_name}", "", ".. autosummary::", ""]
        # constants have no docstring of their own (autosummary would show their type's)
        lines += [f"   {name}" for name in names if _directive(getattr(module, name)) != "autodata"]
        lines.append("")
        for name in names:
            obj = getattr(module, name)
            lines.append(f".. {_directive(obj)}:: {name}")
            if _directive(obj) == "autodata":
                lines.append("   :no-value:")
            if id(obj) in seen and _directive(obj) != "autodata":
                lines.append("   :no-index:")  # re-exported: documented on the page of its home
            seen.add(id(obj))
            lines.append("")
        text = "\n".join(lines)
        target = folder / f"{slug}.rst"
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
    text = "\n".join(index) + "\n"
    target = folder / "index.rst"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


write_api_pages()


def _skip_member(app, what, name, obj, skip, options):
    # scikit-learn generates set_<method>_request on every estimator (metadata routing);
    # its docstrings point into scikit-learn's own docs
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
