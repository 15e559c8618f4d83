"""Verdict thresholds for the validation statistics (``riskkit/configs/validation.yaml``).

The file has two mappings:

``tests``
    one entry per statistic with a ``kind`` and its thresholds:

    * ``pvalue``: red if ``pvalue < red_below``, amber if ``pvalue < amber_below``, else
      green (``0 < red_below <= amber_below <= 1``);
    * ``higher_is_better``: green if ``statistic >= green_from``, amber if
      ``statistic >= amber_from``, else red (``amber_from <= green_from``);
    * ``lower_is_better``: red if ``statistic >= red_from``, amber if
      ``statistic >= amber_from``, else green (``amber_from <= red_from``);
    * ``traffic_light``: ``levels`` = three increasing confidence levels in (0, 1) that
      separate green / yellow / orange / red (yellow and orange both give the verdict
      amber).

``parameters``
    settings of the tests themselves (confidence of the binomial critical value, asset
    correlation, PSI bins, ...).

Read by the kit's one YAML reader (:func:`riskkit._core.config.read_yaml`) and checked
field by field with its :class:`~riskkit._core.config.Checker`; an error is a
:class:`~riskkit._core.config.ConfigError` naming the file, the entry and the field.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from .._core.config import CONFIG_DIR, Checker, ConfigError, read_yaml

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ValidationConfigError",
    "load_validation_config",
    "default_thresholds",
    "verdict",
    "threshold_text",
]

DEFAULT_CONFIG_PATH = CONFIG_DIR / "validation.yaml"

#: every statistic that takes a verdict, and the kinds its thresholds may have
KNOWN_TESTS = (
    "auc", "gini", "ks", "pietra", "auc_initial", "delong",
    "binomial", "jeffreys", "hosmer_lemeshow", "spiegelhalter", "normal_test", "traffic_light",
    "brier_skill", "psi", "csi", "herfindahl", "mwb", "migration_stability",
)

_FIELDS = {
    "pvalue": ("amber_below", "red_below"),
    "higher_is_better": ("green_from", "amber_from"),
    "lower_is_better": ("amber_from", "red_from"),
    "traffic_light": ("levels",),
}

#: parameters and a check of each (description used in the error)
_PARAMETERS: dict[str, tuple[str, Any]] = {
    "binomial_confidence": ("a number in (0, 1)", lambda v: _is_number(v) and 0 < v < 1),
    "asset_correlation": ("a number in [0, 1)", lambda v: _is_number(v) and 0 <= v < 1),
    "ci_level": ("a number in (0, 1)", lambda v: _is_number(v) and 0 < v < 1),
    "psi_bins": ("an integer >= 2", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 2),
    "psi_alpha": ("a number in (0, 1)", lambda v: _is_number(v) and 0 < v < 1),
    "hosmer_lemeshow_df": ("null or an integer >= 1",
                           lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1)),
}

#: a malformed validation config: the kit's one config error (kept under its old name)
ValidationConfigError = ConfigError


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)


def _validate_test(source: str, name: str, spec: Any) -> dict[str, Any]:
    check = Checker(source, f"tests.{name}")
    if name not in KNOWN_TESTS:
        check.fail("<name>", f"unknown test; known: {', '.join(KNOWN_TESTS)}")
    spec = check.mapping(spec, "<value>")
    kind = check.choice(spec.get("kind"), "kind", tuple(_FIELDS))
    expected = set(_FIELDS[kind]) | {"kind"}
    extra = sorted(map(str, set(spec) - expected))
    if extra:
        check.fail(extra[0], f"not a field of kind '{kind}' (allowed: {', '.join(sorted(expected))})")
    for field in _FIELDS[kind]:
        if field not in spec:
            check.fail(field, "is required")
    out: dict[str, Any] = {"kind": kind}
    if kind == "traffic_light":
        levels = spec["levels"]
        if (not isinstance(levels, list) or len(levels) != 3
                or not all(_is_number(v) and 0 < v < 1 for v in levels)
                or not levels[0] < levels[1] < levels[2]):
            check.fail("levels", f"must be three increasing numbers in (0, 1), got {levels!r}")
        out["levels"] = [float(v) for v in levels]
        return out
    for field in _FIELDS[kind]:
        out[field] = check.number(spec[field], field)
    if kind == "pvalue":
        if not 0 < out["red_below"] <= out["amber_below"] <= 1:
            check.fail("red_below", "need 0 < red_below <= amber_below <= 1, got "
                       f"red_below={out['red_below']}, amber_below={out['amber_below']}")
    elif kind == "higher_is_better":
        if out["amber_from"] > out["green_from"]:
            check.fail("amber_from", "need amber_from <= green_from, got "
                       f"amber_from={out['amber_from']}, green_from={out['green_from']}")
    elif out["amber_from"] > out["red_from"]:
        check.fail("amber_from", "need amber_from <= red_from, got "
                   f"amber_from={out['amber_from']}, red_from={out['red_from']}")
    return out


def validate_config(raw: Any, source: str = "<config>") -> dict[str, Any]:
    """Check a parsed config and return it normalised (floats, every known key present).

    Tests missing from ``raw`` take their thresholds from the packaged default; unknown
    tests, kinds or fields raise :class:`~riskkit._core.config.ConfigError`
    (``<file>: <entry>: field '<field>': <problem>``).
    """
    top = Checker(source, "<top level>")
    raw = top.mapping(raw, "<value>")
    top.only(raw, {"version", "tests", "parameters"})
    tests = Checker(source, "tests").mapping(raw.get("tests") or {}, "<value>")
    params = Checker(source, "parameters").mapping(raw.get("parameters") or {}, "<value>")
    out_tests = {name: _validate_test(source, str(name), spec) for name, spec in tests.items()}
    out_params: dict[str, Any] = {}
    for key, value in params.items():
        check = Checker(source, f"parameters.{key}")
        if key not in _PARAMETERS:
            check.fail("<name>", f"unknown parameter; known: {', '.join(_PARAMETERS)}")
        description, is_valid = _PARAMETERS[key]
        if not is_valid(value):
            check.fail(key, f"must be {description}, got {value!r}")
        out_params[key] = value
    return {"tests": out_tests, "parameters": out_params}


@lru_cache(maxsize=8)
def _load_file(path: str) -> dict[str, Any]:
    raw, source = read_yaml(path)
    return validate_config(raw, source)


def load_validation_config(config: str | PathLike[str] | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Load, validate and complete a validation config.

    Parameters
    ----------
    config : path, mapping or None
        A YAML file, an already-parsed mapping, or None for the packaged default
        ``riskkit/configs/validation.yaml``. Entries absent from a user config are taken
        from the default.

    Returns
    -------
    dict
        ``{"tests": {name: thresholds}, "parameters": {...}}``.

    Raises
    ------
    ConfigError
        (also importable as ``ValidationConfigError``) reading
        ``<file>: <entry>: field '<field>': <problem>``.
    FileNotFoundError
        The file does not exist.
    """
    default = _load_file(str(DEFAULT_CONFIG_PATH))
    missing = [t for t in KNOWN_TESTS if t not in default["tests"]]
    if missing:
        Checker(str(DEFAULT_CONFIG_PATH), f"tests.{missing[0]}").fail("<entry>", "missing from the default config")
    merged = copy.deepcopy(default)
    if config is None:
        return merged
    user = (validate_config(config, "<mapping>") if isinstance(config, Mapping)
            else _load_file(str(Path(config).resolve())))
    merged["tests"].update(copy.deepcopy(user["tests"]))
    merged["parameters"].update(copy.deepcopy(user["parameters"]))
    return merged


def default_thresholds(test: str) -> dict[str, Any]:
    """Thresholds of one test from the packaged default config."""
    return load_validation_config()["tests"][test]


def resolve_thresholds(test: str, thresholds: Mapping[str, Any] | None) -> dict[str, Any]:
    """User thresholds (validated) or the packaged default for ``test``."""
    if thresholds is None:
        return default_thresholds(test)
    return _validate_test("<thresholds argument>", test, dict(thresholds))


def verdict(values: Any, thresholds: Mapping[str, Any]) -> np.ndarray:
    """Green/amber/red for each value (a p-value or a statistic, by ``thresholds['kind']``).

    NaN gives ``"n/a"``. Kinds as in the module docstring.
    """
    v = np.atleast_1d(np.asarray(values, dtype=float))
    out = np.full(v.shape, "green", dtype=object)
    kind = thresholds["kind"]
    if kind == "pvalue":
        out[v < thresholds["amber_below"]] = "amber"
        out[v < thresholds["red_below"]] = "red"
    elif kind == "higher_is_better":
        out[v < thresholds["green_from"]] = "amber"
        out[v < thresholds["amber_from"]] = "red"
    elif kind == "lower_is_better":
        out[v >= thresholds["amber_from"]] = "amber"
        out[v >= thresholds["red_from"]] = "red"
    else:
        raise ValueError(f"verdict: thresholds of kind {kind!r} are not scalar thresholds")
    out[np.isnan(v)] = "n/a"
    return out


def threshold_text(thresholds: Mapping[str, Any]) -> str:
    """Thresholds as a short human-readable rule (the ``threshold`` column of tidy tables)."""
    kind = thresholds["kind"]
    if kind == "pvalue":
        return f"amber if p < {thresholds['amber_below']:g}; red if p < {thresholds['red_below']:g}"
    if kind == "higher_is_better":
        return (f"green if >= {thresholds['green_from']:g}; amber if >= {thresholds['amber_from']:g}; "
                "else red")
    if kind == "lower_is_better":
        return f"amber if >= {thresholds['amber_from']:g}; red if >= {thresholds['red_from']:g}"
    lv = thresholds["levels"]
    return (f"binomial quantiles {lv[0]:g}/{lv[1]:g}/{lv[2]:g}: green/yellow/orange/red "
            "(yellow, orange -> amber)")
