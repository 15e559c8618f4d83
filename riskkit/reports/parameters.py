"""Report parameters: what a notebook declares, and checking a user's values before a kernel starts.

A report notebook declares its parameters in the cell tagged ``parameters`` (Papermill's
convention): ``name = default  # help``.  A value given on the command line is a string;
:func:`check_parameters` turns it into the value the notebook expects and refuses anything
the notebook would trip over later, so that a typo costs one line on stderr, not a kernel
start and a traceback.  The kind of a parameter follows from its name first (a kit-wide
naming convention), then from its default:

==========================  ====================================================================
name                        value
==========================  ====================================================================
``as_of``, ``*_date``       a calendar day, checked by ``riskkit._core.dates.check_as_of``;
                            passed on as ``"YYYY-MM-DD"``
``*_dates``                 a list of such days (YAML list ``[a, b]`` or ``a,b``)
``*_path``, ``config``      an existing file or folder; passed on as an absolute path (the
                            notebook runs in its own folder, not in the caller's)
``customer_id``, ``*_id``,  an id, always a string (``-p customer_id 1153`` is ``"1153"``)
``*_customer``
other                       the type of the default (int, float, bool, str); a ``None`` default
                            takes any YAML scalar or list
==========================  ====================================================================
"""

from __future__ import annotations

import ast
import datetime as _dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._core.config import ConfigError, parse_yaml
from .._core.dates import check_as_of
from .._core.errors import RiskkitError

__all__ = ["ReportError", "UnknownReportError", "ReportParameterError", "ReportParameter",
           "notebook_parameters", "check_parameters", "output_stem"]


class ReportError(RiskkitError, ValueError):
    """A report cannot be run as asked (unknown report, bad parameter, failed notebook)."""


class UnknownReportError(ReportError):
    """A report name that is not one of the shipped notebooks."""


class ReportParameterError(ReportError):
    """A parameter the report does not declare, or a value it cannot take."""


#: the longest output name built from parameter values before it is shortened with a hash
MAX_STEM = 80


@dataclass(frozen=True)
class ReportParameter:
    """One parameter of a report notebook.

    Attributes
    ----------
    name : str
    default : Any
        The default as a Python value (``ast.literal_eval`` of the source text).
    default_text : str
        The default as written in the notebook.
    kind : str
        ``"date"``, ``"dates"``, ``"path"``, ``"id"``, ``"int"``, ``"float"``, ``"bool"``,
        ``"str"`` or ``"any"`` (see the module notes).
    help : str
        The comment after the default.
    """

    name: str
    default: Any
    default_text: str
    kind: str
    help: str


def _kind_by_name(name: str) -> str | None:
    if name == "as_of" or name.endswith("_date"):
        return "date"
    if name.endswith("_dates"):
        return "dates"
    if name.endswith("_path") or name == "config":
        return "path"
    if name == "customer_id" or name.endswith(("_id", "_customer")):
        return "id"
    return None


def _default_kind(name: str, default: Any, annotation: str | None) -> str:
    kind = _kind_by_name(name)
    if kind is not None:
        return kind
    if annotation in ("int", "float", "bool", "str"):
        return annotation
    if default is not None and type(default).__name__ in ("int", "float", "bool", "str"):
        return type(default).__name__
    return "any"


def notebook_parameters(path) -> dict[str, ReportParameter]:
    """The parameters declared in the ``parameters``-tagged cell of a notebook, in order.

    Reads the notebook as JSON and the cell with :mod:`ast`: every top-level
    ``name = literal`` (or ``name: type = literal``) is a parameter, and a comment after it
    on the same line is its help, as in Papermill's ``inspect_notebook`` (which needs no
    kernel either, but takes seconds to import).  Lines starting with ``%`` or ``!``
    (IPython magics) are skipped.

    Raises
    ------
    ReportError
        The notebook cannot be read or its parameters cell is not valid Python.
    """
    path = Path(path)
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path.name}: cannot read the notebook: {exc}") from None
    cell = next((c for c in cells if c.get("cell_type") == "code"
                 and "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return {}
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError as exc:
        raise ReportError(f"{path.name}: parameters cell line {exc.lineno}: {exc.msg}") from None
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value, annotation = node.targets[0].id, node.value, None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value, annotation = node.target.id, node.value, ast.unparse(node.annotation)
        else:
            continue
        text = ast.get_source_segment("\n".join(lines), value) or ast.unparse(value)
        try:
            default = ast.literal_eval(value)
        except ValueError:
            default = None
        line = lines[node.end_lineno - 1]
        comment = line[node.end_col_offset:].strip()
        help_text = comment[1:].strip() if comment.startswith("#") else ""
        out[name] = ReportParameter(name=name, default=default, default_text=text,
                                    kind=_default_kind(name, default, annotation), help=help_text)
    return out


def _bad(report: str, name: str, problem: str) -> ReportParameterError:
    return ReportParameterError(f"report {report!r}: parameter {name!r}: {problem}")


def _date(report: str, name: str, value: Any) -> str:
    if isinstance(value, (_dt.date, _dt.datetime)):
        value = value.isoformat()
    try:
        return check_as_of(value, name).strftime("%Y-%m-%d")
    except (TypeError, ValueError) as exc:
        raise _bad(report, name, f"expects a date YYYY-MM-DD, got {value!r} ({exc})") from None


def _yaml(text: str) -> Any:
    """A command-line value read as YAML by the kit's strict reader; text that is not YAML stays text."""
    try:
        return parse_yaml(text, "<parameter>")
    except ConfigError:
        return text


def _convert(report: str, parameter: ReportParameter, value: Any) -> Any:
    """The value the notebook gets for a command-line string (or a Python value)."""
    name, kind = parameter.name, parameter.kind
    if value is None:
        if kind in ("date", "dates") or parameter.default is not None:
            raise _bad(report, name, f"cannot be None (default {parameter.default_text})")
        return None
    if kind == "date":
        return _date(report, name, value)
    if kind == "dates":
        items = value
        if isinstance(value, str):
            parsed = _yaml(value)
            items = parsed if isinstance(parsed, list) else [v.strip() for v in value.split(",")]
        if not isinstance(items, (list, tuple)) or not items:
            raise _bad(report, name, f"expects a non-empty list of dates, got {value!r}")
        return [_date(report, f"{name}[{i}]", v) for i, v in enumerate(items)]
    if kind == "path":
        path = Path(str(value)).expanduser()
        if not path.exists():
            raise _bad(report, name, f"{str(value)!r} does not exist")
        return str(path.resolve())
    if kind == "id":
        text = str(value).strip()
        if not text:
            raise _bad(report, name, "is empty")
        return text
    if kind in ("int", "float"):
        if isinstance(value, bool):
            raise _bad(report, name, f"expects {kind}, got {value!r}")
        try:
            number = int(value) if kind == "int" else float(value)
        except (TypeError, ValueError):
            raise _bad(report, name, f"expects {kind}, got {value!r}") from None
        if kind == "int" and isinstance(value, float) and value != number:
            raise _bad(report, name, f"expects int, got {value!r}")
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise _bad(report, name, f"expects bool (true/false), got {value!r}")
    if kind == "str":
        return str(value)
    if not isinstance(value, str):
        return value
    parsed = _yaml(value)
    # YAML reads 2024-12-31 as a date; notebooks take dates as ISO strings
    return value if isinstance(parsed, (_dt.date, _dt.datetime)) else parsed


def check_parameters(report: str, declared: dict[str, ReportParameter], parameters: dict | None) -> dict:
    """Validate and convert the parameters given for ``report``.

    Parameters
    ----------
    report : str
        The report's name (for messages).
    declared : dict of str to ReportParameter
        What the notebook declares (:func:`notebook_parameters`).
    parameters : dict, optional
        Name -> value (strings from the command line, or Python values).

    Returns
    -------
    dict
        The converted values, in the notebook's declared order.

    Raises
    ------
    ReportParameterError
        A name the notebook does not declare (a typo would otherwise run the default
        silently) or a value of the wrong kind; the message names the report and the
        parameter.
    """
    parameters = dict(parameters or {})
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ReportParameterError(
            f"report {report!r} has no parameter(s) {unknown}; it takes {list(declared)}")
    return {name: _convert(report, declared[name], parameters[name]) for name in declared if name in parameters}


def _slug(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "+".join(_slug(v) for v in value)
    text = re.sub(r"[^A-Za-z0-9.\-]+", "-", str(value)).strip("-.")
    return text or "x"


def output_stem(report: str, declared: dict[str, ReportParameter], parameters: dict) -> str:
    """The file name (without suffix) of a run: the report name, then the values that differ
    from the defaults, in the notebook's declared order.

    ``customer_profile`` with ``customer_id="C001153"`` gives ``customer_profile_C001153``;
    a path contributes its last component and 6 hex digits of the SHA-1 of the absolute
    path (two folders may share a name).  Characters other than letters, digits, ``.``
    and ``-`` become ``-``, so the name never leaves the output folder.  A name longer
    than :data:`MAX_STEM` is cut and ends with the first 8 hex digits of the SHA-1 of the
    parameters, which keeps two runs with different parameters apart.
    """
    parts = [report]
    for name, parameter in declared.items():
        if name not in parameters or parameters[name] == parameter.default:
            continue
        value = parameters[name]
        if parameter.kind == "path" and value is not None:
            # the folder's name alone could repeat (two folders called "sample")
            value = f"{Path(value).name}-{hashlib.sha1(str(value).encode()).hexdigest()[:6]}"
        parts.append(_slug(value))
    stem = "_".join(parts)
    if len(stem) > MAX_STEM:
        digest = hashlib.sha1(json.dumps(parameters, sort_keys=True, default=str).encode()).hexdigest()[:8]
        stem = f"{stem[:MAX_STEM - 9]}_{digest}"
    return stem
