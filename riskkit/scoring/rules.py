"""Rating rules (评级配置): ordered rules, first match wins, then the master scale.

A rating-rules config lists rules in priority order.  Each rule has a condition
(:mod:`riskkit._core.conditions`, never evaluated as code) and one action:

``grade: X``
    assign grade ``X`` (e.g. ``S`` for a whitelist, ``D`` for a knock-out);
``downgrade: n``
    the master-scale grade of the customer's PD, worsened by ``n`` notches (never to D);
``default: true``
    the master-scale grade of the PD (or of a score converted to PD); must be the last
    rule and has no condition.

Flags ``whitelist: true`` / ``knockout: true`` mark policy rules.  Every customer gets
exactly one result, tagged with the rule that produced it.

Config (``riskkit/configs/rating_rules.yaml``)::

    name: ...
    pd_column: pd                    # PD input column for downgrade/default rules
    master_scale: master_scale.yaml  # path (relative to this file) or inline mapping
    extra_grades: [S]                # grades outside the master scale, best first
    rules:
      - name: knockout_bankruptcy
        when: "events_bankruptcy_365d > 0"
        grade: D
        knockout: true
      - name: whitelist_central_soe
        when: {all: [{column: ownership_type, op: "==", value: central_soe},
                     {column: state_ownership_pct, op: ">", value: 80}]}
        grade: S
        whitelist: true
      - name: master_scale
        default: true

A score can replace the PD in the default rule: ``from: score`` with ``score_column`` and
``score_scaling: {pdo, base_score, base_odds}``; the PD is then the inverse of the points
scaling of :class:`~riskkit.scoring.Scorecard`,
:math:`PD = 1 / (1 + base\\_odds \\cdot 2^{(score - base\\_score)/PDO})` (Siddiqi 2006).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._core.config import CONFIG_DIR, Checker, ConfigError, read_yaml
from .._core.conditions import Condition, ConditionError, parse_condition
from .master_scale import MasterScale

__all__ = ["RatingRules", "RatingRule", "DEFAULT_RATING_RULES_PATH", "score_to_pd"]

DEFAULT_RATING_RULES_PATH = CONFIG_DIR / "rating_rules.yaml"


def score_to_pd(score, pdo: float, base_score: float, base_odds: float):
    """PD from scorecard points: :math:`1/(1 + base\\_odds \\cdot 2^{(s - base)/PDO})`.

    Inverse of ``points = offset + factor * ln(good:bad odds)`` with
    ``factor = PDO / ln 2`` and ``offset = base_score - factor * ln(base_odds)``
    (Siddiqi 2006, ch. 6).
    """
    odds_good = base_odds * np.power(2.0, (np.asarray(score, dtype=float) - base_score) / pdo)
    return 1.0 / (1.0 + odds_good)


@dataclass(frozen=True)
class RatingRule:
    """One rating rule: condition and action (fixed grade, downgrade, or default)."""

    name: str
    condition: Condition | None
    grade: str | None = None
    downgrade: int = 0
    default: bool = False
    whitelist: bool = False
    knockout: bool = False
    description: str = ""

    @property
    def needs_pd(self) -> bool:
        return self.default or self.grade is None


class RatingRules:
    """Ordered rating rules with a master scale; first match wins.

    Build with :meth:`from_yaml`, :meth:`from_dict` or :meth:`default`; apply with
    :meth:`apply`.

    Attributes
    ----------
    rules : list of RatingRule
    master_scale : MasterScale
    grade_order : list of str
        Extra grades (e.g. ``S``), then the master-scale grades, then ``D``: best first.
    """

    def __init__(self, rules, master_scale: MasterScale, pd_column: str = "pd", extra_grades=(),
                 score_column: str | None = None, score_scaling: dict | None = None, name: str = "rating_rules",
                 source: str = "<dict>"):
        self.rules = list(rules)
        self.master_scale = master_scale
        self.pd_column = pd_column
        self.extra_grades = list(extra_grades)
        self.score_column = score_column
        self.score_scaling = score_scaling
        self.name = name
        self.source = source

    @property
    def grade_order(self) -> list[str]:
        return [*self.extra_grades, *self.master_scale.all_grades]

    # -- loading -----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, config: Mapping, source: str = "<dict>", base_dir=None) -> "RatingRules":
        """Validate a config mapping (see the module docstring)."""
        top = Checker(source, "<top level>")
        config = top.mapping(config, "<top level>")
        top.only(config, {"name", "version", "description", "pd_column", "master_scale", "extra_grades", "rules"})
        name = str(config.get("name", "rating_rules"))
        pd_column = top.text(config.get("pd_column", "pd"), "pd_column")
        scale_spec = config.get("master_scale")
        if scale_spec is None:
            scale = MasterScale.default()
        elif isinstance(scale_spec, str):
            path = Path(scale_spec)
            if not path.is_absolute():
                path = Path(base_dir or CONFIG_DIR) / path
            if not path.is_file():
                top.fail("master_scale", f"file not found: {path}")
            scale = MasterScale.from_yaml(path)
        else:
            scale = MasterScale.from_dict(top.mapping(scale_spec, "master_scale"), source)
        extra = [top.text(g, f"extra_grades[{i}]")
                 for i, g in enumerate(top.sequence(config.get("extra_grades", []), "extra_grades"))]
        clash = sorted(set(extra) & set(scale.all_grades))
        if clash:
            top.fail("extra_grades", f"{clash} are already master-scale grades")
        known_grades = set(extra) | set(scale.all_grades)

        raw_rules = top.sequence(top.require(config, "rules"), "rules", min_len=1)
        rules: list[RatingRule] = []
        score_column, score_scaling = None, None
        for i, raw in enumerate(raw_rules):
            check, raw = Checker.for_item(source, "rules", i, raw)
            check.only(raw, {"name", "description", "when", "grade", "downgrade", "default", "whitelist",
                             "knockout", "from", "score_column", "score_scaling"})
            rule_name = check.text(check.require(raw, "name"), "name")
            is_default = raw.get("default", False)
            if not isinstance(is_default, bool):
                check.fail("default", f"must be true or false, got {is_default!r}")
            flags = {}
            for flag in ("whitelist", "knockout"):
                value = raw.get(flag, False)
                if not isinstance(value, bool):
                    check.fail(flag, f"must be true or false, got {value!r}")
                flags[flag] = value
            actions = [k for k in ("grade", "downgrade") if k in raw] + (["default"] if is_default else [])
            if len(actions) != 1:
                check.fail("grade", f"give exactly one action of 'grade', 'downgrade' or 'default: true'; got {actions}")
            if is_default:
                if i != len(raw_rules) - 1:
                    check.fail("default", "the default rule must be the last rule")
                if "when" in raw:
                    check.fail("when", "the default rule applies to everyone left and takes no condition")
                source_kind = check.choice(raw.get("from", "pd"), "from", ("pd", "score"))
                if source_kind == "score":
                    score_column = check.text(check.require(raw, "score_column"), "score_column")
                    scaling = check.mapping(check.require(raw, "score_scaling"), "score_scaling")
                    check.only(scaling, {"pdo", "base_score", "base_odds"}, "score_scaling")
                    score_scaling = {
                        "pdo": check.number(check.require(scaling, "pdo"), "score_scaling.pdo", lo=1e-9),
                        "base_score": check.number(check.require(scaling, "base_score"), "score_scaling.base_score"),
                        "base_odds": check.number(check.require(scaling, "base_odds"), "score_scaling.base_odds",
                                                  lo=1e-9),
                    }
                elif "score_column" in raw or "score_scaling" in raw:
                    check.fail("score_column", "only with 'from: score'")
                rules.append(RatingRule(rule_name, None, default=True, description=str(raw.get("description", "")),
                                        **flags))
                continue
            for key in ("from", "score_column", "score_scaling"):
                if key in raw:
                    check.fail(key, "only the default rule takes it")
            if "when" not in raw:
                check.fail("when", "is required (only the default rule has no condition)")
            try:
                condition = parse_condition(raw["when"], "when")
            except ConditionError as exc:
                raise ConfigError(source, check.entry, exc.where, exc.problem) from None
            grade, downgrade = None, 0
            if "grade" in raw:
                grade = str(check.text(raw["grade"], "grade"))
                if grade not in known_grades:
                    check.fail("grade", f"unknown grade {grade!r}; known: {[*extra, *scale.all_grades]}")
            else:
                downgrade = raw["downgrade"]
                if isinstance(downgrade, bool) or not isinstance(downgrade, int) or downgrade < 1:
                    check.fail("downgrade", f"must be a positive whole number of notches, got {downgrade!r}")
            rules.append(RatingRule(rule_name, condition, grade=grade, downgrade=downgrade,
                                    description=str(raw.get("description", "")), **flags))
        names = [r.name for r in rules]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            top.fail("rules", f"duplicate rule names {duplicated}")
        if not rules[-1].default:
            top.fail("rules", "the last rule must be the default rule ('default: true') so that every customer is rated")
        return cls(rules, scale, pd_column=pd_column, extra_grades=extra, score_column=score_column,
                   score_scaling=score_scaling, name=name, source=source)

    @classmethod
    def from_yaml(cls, path) -> "RatingRules":
        """Load and validate a YAML file; errors name the file, the rule and the field."""
        config, source = read_yaml(path)
        return cls.from_dict(config, source, base_dir=Path(path).resolve().parent)

    @classmethod
    def default(cls) -> "RatingRules":
        """The default rules ``riskkit/configs/rating_rules.yaml``."""
        return cls.from_yaml(DEFAULT_RATING_RULES_PATH)

    @property
    def columns(self) -> list[str]:
        """Columns the rules read."""
        cols = [c for r in self.rules if r.condition is not None for c in r.condition.columns]
        if any(r.needs_pd for r in self.rules):
            cols.append(self.score_column if self.score_column else self.pd_column)
        return list(dict.fromkeys(cols))

    # -- application --------------------------------------------------------------------------
    def _pd(self, profile: pd.DataFrame) -> np.ndarray:
        if self.score_column is not None:
            if self.score_column not in profile.columns:
                raise KeyError(f"rating rules {self.name!r} need the score column {self.score_column!r}")
            return score_to_pd(profile[self.score_column].to_numpy(dtype=float, na_value=np.nan), **self.score_scaling)
        if self.pd_column not in profile.columns:
            raise KeyError(f"rating rules {self.name!r} need the PD column {self.pd_column!r}")
        return profile[self.pd_column].to_numpy(dtype=float, na_value=np.nan)

    def apply(self, profile: pd.DataFrame) -> pd.DataFrame:
        """Rate every row of ``profile`` (one row per customer).

        Returns
        -------
        pandas.DataFrame
            Indexed like ``profile``: ``grade``, ``rule`` (name of the rule that fired),
            ``whitelist``, ``knockout`` (flags of that rule), ``pd`` (input PD, or the PD
            implied by the score), ``pd_grade`` (master-scale grade of that PD) and
            ``grade_pd`` (representative PD of the final grade; NaN for extra grades
            such as ``S``).

        Raises
        ------
        KeyError
            A column used by a rule is absent.
        ValueError
            PD missing or outside [0, 1] for customers that reach a PD-based rule (the
            message lists them).
        """
        if not isinstance(profile, pd.DataFrame):
            raise TypeError(f"profile must be a DataFrame, got {type(profile).__name__}")
        absent = [c for r in self.rules if r.condition is not None for c in r.condition.columns
                  if c not in profile.columns]
        if absent:
            raise KeyError(f"rating rules {self.name!r} ({self.source}) use absent columns {sorted(set(absent))}")
        n = len(profile)
        needs_pd = any(r.needs_pd for r in self.rules)
        pd_values = self._pd(profile) if needs_pd else np.full(n, np.nan)
        grade = np.full(n, None, dtype=object)
        rule = np.full(n, None, dtype=object)
        whitelist = np.zeros(n, dtype=bool)
        knockout = np.zeros(n, dtype=bool)
        open_rows = np.ones(n, dtype=bool)
        scale = self.master_scale
        valid_pd = ~np.isnan(pd_values) & (pd_values >= 0) & (pd_values <= 1)
        pd_grade = np.full(n, None, dtype=object)
        if valid_pd.any():
            pd_grade[valid_pd] = scale.grade(pd_values[valid_pd])
        for r in self.rules:
            if not open_rows.any():
                break
            if r.condition is None:
                hit = open_rows.copy()
            else:
                try:
                    hit = r.condition.evaluate(profile) & open_rows
                except (TypeError, KeyError) as exc:
                    raise type(exc)(f"rating rule {r.name!r}: {exc}") from None
            if not hit.any():
                continue
            if r.needs_pd:
                bad = hit & ~valid_pd
                if bad.any():
                    ids = profile.index[bad][:5].tolist()
                    raise ValueError(
                        f"rating rule {r.name!r} needs a PD in [0, 1] but it is missing or invalid for "
                        f"{int(bad.sum())} customer(s), e.g. {ids}"
                    )
            if r.grade is not None:
                grade[hit] = r.grade
            elif r.default:
                grade[hit] = pd_grade[hit]
            else:
                grade[hit] = [scale.shift(g, r.downgrade) for g in pd_grade[hit]]
            rule[hit] = r.name
            whitelist[hit] = r.whitelist
            knockout[hit] = r.knockout
            open_rows &= ~hit
        mids = dict(zip(scale.all_grades, scale.table()["pd_mid"]))
        grade_pd = np.array([mids.get(g, np.nan) for g in grade], dtype=float)
        return pd.DataFrame(
            {
                "grade": pd.Series(grade, dtype="str"),
                "rule": pd.Series(rule, dtype="str"),
                "whitelist": whitelist,
                "knockout": knockout,
                "pd": pd_values,
                "pd_grade": pd.Series(pd_grade, dtype="str"),
                "grade_pd": grade_pd,
            },
        ).set_index(profile.index)

    def table(self) -> pd.DataFrame:
        """The rules as a table: order, name, condition, action, flags."""
        rows = []
        for i, r in enumerate(self.rules, start=1):
            if r.default:
                action = "master scale grade of " + (f"PD from {self.score_column}" if self.score_column
                                                    else self.pd_column)
            elif r.grade is not None:
                action = f"grade {r.grade}"
            else:
                action = f"master scale grade downgraded {r.downgrade} notch(es)"
            rows.append({"order": i, "rule": r.name, "condition": "" if r.condition is None else str(r.condition),
                         "action": action, "whitelist": r.whitelist, "knockout": r.knockout,
                         "description": r.description})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"RatingRules({self.name!r}, {len(self.rules)} rules)"
