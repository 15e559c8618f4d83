"""Validation of a Scorecard JSON document before anything is built from it.

:meth:`riskkit.scoring.Scorecard.from_json` reads text that may have been edited by hand or
come from elsewhere; every field is checked here so that a bad file is refused with a
:class:`riskkit._core.config.ConfigError` naming the field path, e.g.
``card.json: binner.features[3] (age): field 'woe': must have 6 values (4 regular bins +
1 special + missing), got 5``, instead of scoring with a NaN coefficient or a WoE table that
no longer matches its bins.

Checked: the set of keys at every level (missing and unknown keys both refused), types,
finiteness (NaN/inf refused where the score uses the number: coefficients, WoE, splits,
counts), ranges (``pdo > 0``, ``base_odds > 0``, counts >= 0, p-values in [0, 1]), strictly
increasing split points, categorical levels in one group only, the length of every per-bin
list against the bins the binning defines (regular + special + missing), and agreement
between the features of the model, its coefficients, its VIFs and the binner.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from numbers import Integral, Real

from .._core.config import Checker, ConfigError

# fields of one FeatureBinning (FeatureBinning.to_dict); the optional ones have defaults
_BINNING_REQUIRED = ("name", "kind", "splits", "groups", "special_values", "nonevents", "events", "woe", "iv")
_BINNING_OPTIONAL = ("trend", "requested_trend", "iv_monotone", "iv_turning", "shape_pvalue", "shape_qvalue",
                     "shape_draws", "shape_rule", "cv_auc_gain", "cv_auc", "cv_pvalue", "turning_events")
_SHAPE_RULES = ("", "cv", "bootstrap")
#: WoEBinner parameters added after format version 1, with the value a model saved without
#: them was fitted with (the rule of that time, not today's default: ``shape_selection``
#: became ``"cv"`` later, and an old file must still state the bootstrap rule it was fitted under)
BINNER_PARAMS_ADDED = {"shape_selection": "bootstrap", "shape_folds": 5, "shape_repeats": 2, "min_turn_events": 0}
_SHAPES = ("ascending", "descending", "peak", "valley", "none")
_REQUESTED = ("auto", "auto_monotone", "ascending", "descending", "peak", "valley", "none", "event_rate_order")
_TOP_REQUIRED = ("format", "version", "params", "binner", "features", "stats", "vif", "model_stats", "selection")
_BINNER_REQUIRED = ("params", "features", "categorical_features")
_STATS = ("coef", "std_err", "z", "p_value")
_SELECTION = ("feature", "step", "kept", "reason", "value")


def loads_strict(text, source: str):
    """``json.loads`` with duplicate keys refused and syntax errors as ConfigError (line, column)."""
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"{source}: expected JSON text (str), got {type(text).__name__}")

    def pairs(items):
        out = {}
        for key, value in items:
            if key in out:
                raise ConfigError(source, "<json>", key, "duplicate key in one object")
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise ConfigError(source, f"line {exc.lineno} column {exc.colno}", "<json>",
                          f"not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ConfigError(source, "<json>", "<json>", "nested too deeply to read") from None


def _keys(check: Checker, data: Mapping, required, optional=()) -> None:
    missing = [k for k in required if k not in data]
    if missing:
        check.fail(missing[0], "is required" + (f" (missing too: {missing[1:]})" if len(missing) > 1 else ""))
    check.only(data, (*required, *optional))


def _flag(check: Checker, value, field: str) -> bool:
    if not isinstance(value, bool):
        check.fail(field, f"must be true or false, got {value!r}")
    return value


def _numbers(check: Checker, value, field: str, *, length: int | None = None, lo=None,
             what: str = "") -> list[float]:
    items = check.sequence(value, field)
    if length is not None and len(items) != length:
        check.fail(field, f"must have {length} values{what}, got {len(items)}")
    for i, v in enumerate(items):
        check.number(v, f"{field}[{i}]", lo=lo)
    return [float(v) for v in items]


def _optional_number(check: Checker, value, field: str, *, lo=None, hi=None) -> None:
    if value is None:
        return
    if isinstance(value, float) and math.isnan(value):
        return  # a statistic that was not computed
    check.number(value, field, lo=lo, hi=hi)


def check_scorecard_payload(payload, source: str, scorecard_params: tuple[str, ...],
                            binner_cls) -> None:
    """Check a parsed Scorecard JSON document; raise ConfigError naming the field path."""
    top = Checker(source, "<top level>")
    payload = top.mapping(payload, "<document>")
    _keys(top, payload, _TOP_REQUIRED, ("has_feature_names",))
    if "has_feature_names" in payload:
        _flag(top, payload["has_feature_names"], "has_feature_names")
    _check_card_params(Checker(source, "params"), payload["params"], scorecard_params)
    names = _check_binner(source, payload["binner"], binner_cls)

    check = Checker(source, "<top level>")
    features = check.sequence(payload["features"], "features", min_len=1)
    for i, f in enumerate(features):
        check.text(f, f"features[{i}]")
        if f not in names:
            check.fail(f"features[{i}]", f"{f!r} has no binning in binner.features")
    if len(set(features)) != len(features):
        check.fail("features", "lists a feature twice")

    stats_check = Checker(source, "stats")
    stats = stats_check.mapping(payload["stats"], "stats")
    _keys(stats_check, stats, _STATS)
    expected = {"const", *features}
    for column in _STATS:
        column_check = Checker(source, f"stats.{column}")
        values = column_check.mapping(stats[column], column)
        if set(values) != expected:
            extra, absent = sorted(set(values) - expected), sorted(expected - set(values))
            column_check.fail("<keys>", f"must hold 'const' and every model feature; missing {absent}, "
                                        f"unknown {extra}")
        for name, value in values.items():
            if column == "coef":
                column_check.number(value, name)
            elif column == "p_value":
                _optional_number(column_check, value, name, lo=0.0, hi=1.0)
            elif column == "std_err":
                _optional_number(column_check, value, name, lo=0.0)
            else:
                _optional_number(column_check, value, name)

    vif_check = Checker(source, "vif")
    vif = vif_check.mapping(payload["vif"], "vif")
    if set(vif) != set(features):
        vif_check.fail("<keys>", f"must hold every model feature; missing {sorted(set(features) - set(vif))}, "
                                 f"unknown {sorted(set(vif) - set(features))}")
    for name, value in vif.items():
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            vif_check.number(value, name, lo=1.0 - 1e-9, allow_inf=True)

    ms_check = Checker(source, "model_stats")
    for name, value in ms_check.mapping(payload["model_stats"], "model_stats").items():
        if not isinstance(value, bool) and value is not None:
            _optional_number(ms_check, value, str(name))

    sel_check = Checker(source, "<top level>")
    for i, row in enumerate(sel_check.sequence(payload["selection"], "selection")):
        row_check = Checker(source, f"selection[{i}]")
        row = row_check.mapping(row, "<entry>")
        _keys(row_check, row, _SELECTION)


def _check_card_params(check: Checker, raw, names: tuple[str, ...]) -> dict:
    params = check.mapping(raw, "params")
    _keys(check, params, names)
    check.number(params["pdo"], "pdo", lo=0.0)
    if params["pdo"] <= 0:
        check.fail("pdo", f"must be > 0 (points to double the odds), got {params['pdo']!r}")
    check.number(params["base_odds"], "base_odds")
    if params["base_odds"] <= 0:
        check.fail("base_odds", f"must be > 0, got {params['base_odds']!r}")
    check.number(params["base_score"], "base_score")
    check.number(params["min_iv"], "min_iv", lo=0.0)
    if params["max_iv"] is not None:
        check.number(params["max_iv"], "max_iv", lo=params["min_iv"])
    check.number(params["max_correlation"], "max_correlation", lo=0.0, hi=1.0)
    check.number(params["max_vif"], "max_vif", lo=1.0, allow_inf=True)
    check.number(params["max_pvalue"], "max_pvalue", lo=0.0, hi=1.0)
    check.choice(params["stepwise"], "stepwise", (None, "pvalue", "aic"))
    _flag(check, params["check_sign"], "check_sign")
    _flag(check, params["round_points"], "round_points")
    return params


def _check_binner(source: str, raw, binner_cls) -> set[str]:
    check = Checker(source, "binner")
    binner = check.mapping(raw, "binner")
    _keys(check, binner, _BINNER_REQUIRED, ("has_feature_names",))
    if "has_feature_names" in binner:
        _flag(check, binner["has_feature_names"], "has_feature_names")
    fitted = check.sequence(binner["features"], "features", min_len=1)
    names: list[str] = []
    for i, item in enumerate(fitted):
        names.append(_check_binning(source, i, item))
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        check.fail("features", f"feature(s) {dup} binned twice")
    categorical = binner["categorical_features"]
    if categorical is not None:
        for i, name in enumerate(check.sequence(categorical, "categorical_features")):
            check.text(name, f"categorical_features[{i}]")

    params_check = Checker(source, "binner.params")
    params = params_check.mapping(binner["params"], "params")
    names_now = tuple(binner_cls().get_params())
    # parameters added after format version 1: absent from older files, where the value those
    # models were fitted with applies (BINNER_PARAMS_ADDED; WoEBinner.from_dict fills it in)
    _keys(params_check, params, tuple(p for p in names_now if p not in BINNER_PARAMS_ADDED),
          tuple(p for p in names_now if p in BINNER_PARAMS_ADDED))
    try:
        binner_cls(**{**BINNER_PARAMS_ADDED, **params})._check_parameters(names)
    except (TypeError, ValueError) as exc:
        field = next((p for p in params if str(exc).startswith(p)), "<params>")
        params_check.fail(field, str(exc))
    return set(names)


def _check_binning(source: str, position: int, raw) -> str:
    check, item = Checker.for_item(source, "binner.features", position, raw)
    _keys(check, item, _BINNING_REQUIRED, _BINNING_OPTIONAL)
    name = check.text(item["name"], "name")
    kind = check.choice(item["kind"], "kind", ("numeric", "categorical"))
    splits = check.sequence(item["splits"], "splits")
    groups = check.sequence(item["groups"], "groups")
    if kind == "numeric":
        values = _numbers(check, splits, "splits")
        for i in range(1, len(values)):
            if not values[i] > values[i - 1]:
                check.fail("splits", f"must be strictly increasing; splits[{i - 1}] = {values[i - 1]!r} is "
                                     f"followed by splits[{i}] = {values[i]!r}")
        if groups:
            check.fail("groups", "must be empty for a numeric feature")
        n_regular = len(values) + 1
    else:
        if splits:
            check.fail("splits", "must be empty for a categorical feature")
        if not groups:
            check.fail("groups", "a categorical feature needs at least one group of levels")
        seen: dict[str, int] = {}
        for g, group in enumerate(groups):
            levels = check.sequence(group, f"groups[{g}]", min_len=1)
            for level in levels:
                if not isinstance(level, str):
                    check.fail(f"groups[{g}]", f"levels must be strings, got {level!r}")
                if level in seen:
                    check.fail(f"groups[{g}]", f"level {level!r} is in groups[{seen[level]}] too")
                seen[level] = g
        n_regular = len(groups)
    specials = check.sequence(item["special_values"], "special_values")
    for i, v in enumerate(specials):
        if isinstance(v, bool) or not isinstance(v, (str, Real)) or (isinstance(v, float) and not math.isfinite(v)):
            check.fail(f"special_values[{i}]", f"must be a finite number or a string, got {v!r}")
    if len(set(map(repr, specials))) != len(specials):
        check.fail("special_values", "lists a value twice")
    n_bins = n_regular + len(specials) + 1
    what = (f" ({n_regular} regular bin(s) + {len(specials)} special + 1 missing, as "
            f"{'splits' if kind == 'numeric' else 'groups'} and special_values define)")
    _numbers(check, item["nonevents"], "nonevents", length=n_bins, lo=0.0, what=what)
    _numbers(check, item["events"], "events", length=n_bins, lo=0.0, what=what)
    _numbers(check, item["woe"], "woe", length=n_bins, what=what)
    _numbers(check, item["iv"], "iv", length=n_bins, what=what)
    if "trend" in item:
        check.choice(item["trend"], "trend", _SHAPES)
    if "requested_trend" in item:
        check.choice(item["requested_trend"], "requested_trend", _REQUESTED)
    for field in ("iv_monotone", "iv_turning", "turning_events"):
        if field in item:
            _optional_number(check, item[field], field, lo=0.0)
    for field in ("shape_pvalue", "shape_qvalue", "cv_auc", "cv_pvalue"):
        if field in item:
            _optional_number(check, item[field], field, lo=0.0, hi=1.0)
    if "cv_auc_gain" in item:
        _optional_number(check, item["cv_auc_gain"], "cv_auc_gain", lo=-1.0, hi=1.0)
    if "shape_rule" in item:
        check.choice(item["shape_rule"], "shape_rule", _SHAPE_RULES)
    if "shape_draws" in item:
        draws = item["shape_draws"]
        if isinstance(draws, bool) or not isinstance(draws, Integral) or draws < 0:
            check.fail("shape_draws", f"must be a non-negative whole number, got {draws!r}")
    return name
