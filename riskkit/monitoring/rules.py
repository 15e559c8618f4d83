"""Monitoring rules (监控规则配置): which changes in a customer's risk raise which alert.

A monitoring-rules config is YAML a credit controller can read and edit
(default: ``riskkit/configs/monitoring_rules.yaml``).  Every rule has

``name``
    unique; the alert carries it, and open alerts are deduplicated on (customer, rule);
``kind``
    one of :data:`RULE_KINDS` (below);
``level``
    ``red``, ``orange``, ``yellow`` or ``info`` (:data:`LEVELS`, most severe first);
``description`` (optional)
    one line in plain words; it starts the alert message;
``tags`` (optional)
    restrict the rule to customers whose tag columns take the listed values, e.g.
    ``{industry: [construction], grade: [B, CCC]}`` (columns :data:`TAG_COLUMNS`;
    ``group_id`` is the control group);
``where`` (optional)
    a further condition on the current snapshot (safe condition language of
    :mod:`riskkit._core.conditions`), e.g. ``"grade != 'D'"``;
``recipients`` (optional)
    addresses added to those of the top-level ``recipients`` section;
``optional`` (default false)
    when a column the rule needs is absent, skip the rule (recorded in
    ``alerts.attrs["skipped_rules"]``) instead of raising;
``silent`` (default false)
    evaluate the rule for ``combination`` rules only; it raises no alert of its own.

Rule kinds
----------
``threshold``
    ``when``: a condition on the current snapshot, e.g. ``"current_dpd >= 60"``.
``change``
    Against the previous snapshot.  Either ``column`` + ``direction`` (``increase`` /
    ``decrease``) + ``by`` (> 0) + ``unit`` (``absolute``, in the column's unit, or
    ``relative``: a fraction of the previous value, 0.3 = 30 %), or ``newly``: a
    condition true now and false in the previous snapshot (e.g. ``"utilisation > 1"``).
    Relative change is :math:`(x_t - x_{t-1}) / |x_{t-1}|`, undefined (no alert) when
    :math:`x_{t-1}` is 0 or missing.  A customer absent from the previous snapshot has
    not *changed* (it is new to the book): change rules never fire for it.
``trailing``
    Against a trailing window of archived snapshots (``history``, a long frame
    ``as_of, customer_id, <columns>``): the window is the last ``window`` distinct
    ``as_of`` dates of ``history`` strictly before the run's ``as_of`` (all dates when
    ``as_of`` is not given); the reference is the customer's ``stat`` (``mean``, ``min``
    or ``max``, missing values ignored) over it, needing at least ``min_periods``
    (default: ``window``) values; then ``direction``/``by``/``unit`` as for ``change``
    with the reference in place of the previous value.
``downgrade``
    The grade (``grade_column``, default ``grade``) worsened by at least ``notches``
    (default 1) positions of ``grade_order`` against the previous snapshot.
``limit_breach``
    ``basis: utilisation`` (default): ``utilisation > 1 + tolerance``; ``basis: ead``:
    ``ead > credit_limit * (1 + tolerance)`` (no limit, 0, is breached by any exposure).
    ``newly: true`` fires only if the previous snapshot was not in breach.
``event``
    Events (table ``event_id, customer_id, date, category, severity, source, text``)
    dated in ``(previous_as_of, as_of]`` (``(as_of - lookback_days, as_of]`` without a
    previous run, ``lookback_days`` default 31) with ``category`` in ``categories``,
    ``severity >= min_severity`` (default 1) and, if ``keywords`` are given, any keyword
    in ``text``, case-insensitive; ``match: substring`` (default; right for Chinese text,
    which has no spaces between words) or ``match: word`` (whole words, regex ``\\b``).
    One alert per customer, listing every matching event.
``network``
    A linked party (``links`` frame, :mod:`riskkit.monitoring.network_rules`) whose role
    is in ``relations`` newly defaulted (``events: [default]``: entered the default grade)
    and/or was downgraded by at least ``notches`` without defaulting (``events:
    [downgrade]``) between the previous and the current snapshot; the evidence names the
    party, the relation and the grades.  Network PD and stress results are plain
    ``threshold`` rules on the ``network_pd`` and ``stress_distress`` columns.
``combination``
    ``all: [rule, ...]`` or ``any: [rule, ...]`` of other rules (their tags and ``where``
    included), with its own level.
``review_due``
    The periodic review is overdue: ``review_overdue_days > min_days`` (default 0).

Top level::

    name: ...
    grade_order: [S, AAA, AA, A, BBB, BB, B, CCC, D]   # best first
    default_grade: D                                   # default: the last grade
    grade_column: grade
    recipients:
      red: [cro@example.com]                           # per level
      orange: [credit-manager@example.com]
      by_tag:                                          # per level and tag filter
        - {levels: [red, orange], tags: {region: [east]}, to: [east-credit@example.com]}
    rules: [...]

An alert's recipients are the rule's own, then the level's, then those of every
``by_tag`` route whose levels and tags match (a route without ``levels`` takes every
level), each address once, in that order.

Inputs not supplied to :meth:`MonitoringRules.evaluate` (no previous snapshot on the first
run, no events, links or history) make the rules that need them find nothing; each such
rule is listed with the reason in ``alerts.attrs["skipped_rules"]``.  A column missing
from a supplied frame is an error (:class:`MissingColumnError`) unless the rule is
``optional``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._core.conditions import Condition, ConditionError, parse_condition
from .._core.config import CONFIG_DIR, Checker, ConfigError, read_yaml
from .._core.dates import check_as_of
from .._core.errors import InputError
from ..data.schemas import EVENT_CATEGORIES
from .._core.levels import LEVELS
from .network_rules import (
    NETWORK_EVENTS,
    RELATIONS,
    LinksInputError,
    check_links,
    grade_codes,
    linked_party_hits,
    party_changes,
)

__all__ = [
    "ALERT_COLUMNS",
    "DEFAULT_GRADE_ORDER",
    "DEFAULT_MONITORING_RULES_PATH",
    "EVENT_COLUMNS",
    "LEVELS",
    "RULE_KINDS",
    "TAG_COLUMNS",
    "MissingColumnError",
    "MonitoringInputError",
    "MonitoringRule",
    "MonitoringRules",
    "RecipientRoute",
    "UnknownRuleError",
    "level_rank",
]

RULE_KINDS = ("threshold", "change", "trailing", "downgrade", "limit_breach", "event", "network", "combination",
              "review_due")
#: columns a rule's ``tags`` (and a recipient route's) may filter on
TAG_COLUMNS = ("industry", "region", "grade", "group_id", "kind", "ownership_type")
DEFAULT_GRADE_ORDER = ("S", "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "D")
DEFAULT_MONITORING_RULES_PATH = CONFIG_DIR / "monitoring_rules.yaml"
#: columns of the alerts frame returned by :meth:`MonitoringRules.evaluate`
ALERT_COLUMNS = ("customer_id", "rule", "level", "message", "evidence", "recipients", "tags", "kind")
EVENT_COLUMNS = ("event_id", "customer_id", "date", "category", "severity", "text")

_COMMON_FIELDS = {"name", "kind", "level", "description", "tags", "where", "recipients", "optional", "silent"}
_KIND_FIELDS = {
    "threshold": {"when"},
    "change": {"column", "direction", "by", "unit", "newly"},
    "trailing": {"column", "stat", "window", "min_periods", "direction", "by", "unit"},
    "downgrade": {"notches", "column"},
    "limit_breach": {"basis", "tolerance", "newly"},
    "event": {"categories", "keywords", "match", "min_severity", "lookback_days"},
    "network": {"relations", "events", "notches"},
    "combination": {"all", "any"},
    "review_due": {"min_days"},
}


def level_rank(level) -> int:
    """0 for ``red`` (most severe) ... 3 for ``info``."""
    return LEVELS.index(level)


class MonitoringInputError(InputError):
    """An input of :meth:`MonitoringRules.evaluate` cannot serve a rule (names the rule)."""


class UnknownRuleError(MonitoringInputError, KeyError):
    """A rule name that the rule set does not have."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return self.args[0]


class MissingColumnError(MonitoringInputError, KeyError):
    """A rule needs a column that a frame lacks; names rule, frame and column."""

    def __init__(self, rule: str, kind: str, table: str, column: str):
        self.rule, self.kind, self.table, self.column = rule, kind, table, column
        super().__init__(f"rule {rule!r} ({kind}) needs column {column!r}, absent from {table}; "
                         f"supply it or mark the rule 'optional: true'")

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return self.args[0]


# -- rule specifications (one per kind) ----------------------------------------------------------
@dataclass(frozen=True)
class ThresholdSpec:
    when: Condition


@dataclass(frozen=True)
class ChangeSpec:
    column: str | None = None
    direction: str | None = None
    by: float | None = None
    unit: str = "absolute"
    newly: Condition | None = None


@dataclass(frozen=True)
class TrailingSpec:
    column: str
    stat: str
    window: int
    min_periods: int
    direction: str
    by: float
    unit: str


@dataclass(frozen=True)
class DowngradeSpec:
    notches: int = 1
    column: str | None = None  # None: the rules' grade_column


@dataclass(frozen=True)
class LimitBreachSpec:
    basis: str = "utilisation"
    tolerance: float = 0.0
    newly: bool = False


@dataclass(frozen=True)
class EventSpec:
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    match: str = "substring"
    min_severity: int = 1
    lookback_days: int = 31


@dataclass(frozen=True)
class NetworkSpec:
    relations: tuple[str, ...]
    events: tuple[str, ...] = ("default",)
    notches: int = 1


@dataclass(frozen=True)
class CombinationSpec:
    mode: str  # "all" or "any"
    rules: tuple[str, ...]


@dataclass(frozen=True)
class ReviewDueSpec:
    min_days: float = 0.0


@dataclass(frozen=True)
class MonitoringRule:
    """One monitoring rule: common fields and the kind's specification ``spec``."""

    name: str
    kind: str
    level: str
    spec: object
    description: str = ""
    tags: tuple[tuple[str, tuple], ...] = ()
    where: Condition | None = None
    recipients: tuple[str, ...] = ()
    optional: bool = False
    silent: bool = False

    @property
    def tag_filter(self) -> dict[str, list]:
        return {column: list(values) for column, values in self.tags}

    @property
    def label(self) -> str:
        return self.description or self.name.replace("_", " ")


@dataclass(frozen=True)
class RecipientRoute:
    """Extra recipients for alerts of ``levels`` whose customer matches ``tags``."""

    levels: tuple[str, ...]
    tags: tuple[tuple[str, tuple], ...]
    to: tuple[str, ...]


@dataclass
class _Hit:
    """Result of one rule over the current rows (positional, no label lookups).

    ``mask`` has one entry per current row; ``evidence`` maps a field to ``(before,
    after, present)`` arrays aligned with the hit rows ``np.flatnonzero(mask)``
    (``present`` None when every hit row has the field); ``detail`` is the readable text
    per hit row.
    """

    mask: np.ndarray
    evidence: dict = field(default_factory=dict)
    detail: np.ndarray | None = None

    @property
    def rows(self) -> np.ndarray:
        return np.flatnonzero(self.mask)


def _no_hit(n: int) -> _Hit:
    return _Hit(np.zeros(n, dtype=bool), {}, np.empty(0, dtype=object))


# -- the rule set --------------------------------------------------------------------------------
class MonitoringRules:
    """A validated set of monitoring rules; :meth:`evaluate` turns snapshots into alerts.

    Build with :meth:`from_yaml`, :meth:`from_dict` or :meth:`default` (the package file
    ``riskkit/configs/monitoring_rules.yaml``).  See the module docstring for the config.

    Attributes
    ----------
    rules : list of MonitoringRule
        In config order (alerts are sorted by level, then by this order).
    grade_order : tuple of str
        Grades best first.
    default_grade : str
    grade_column : str
    level_recipients : dict
        Level -> tuple of addresses.
    routes : tuple of RecipientRoute
    name, source : str
    """

    def __init__(self, rules, *, grade_order=DEFAULT_GRADE_ORDER, default_grade: str | None = None,
                 grade_column: str = "grade", level_recipients: Mapping | None = None, routes=(),
                 name: str = "monitoring_rules", source: str = "<rules>"):
        self.rules = list(rules)
        self.grade_order = tuple(grade_order)
        self.default_grade = self.grade_order[-1] if default_grade is None else default_grade
        self.grade_column = grade_column
        self.level_recipients = {level: tuple(v) for level, v in (level_recipients or {}).items()}
        self.routes = tuple(routes)
        self.name = name
        self.source = source
        self._by_name = {rule.name: rule for rule in self.rules}
        if len(self._by_name) != len(self.rules):
            dupes = sorted({r.name for r in self.rules if sum(q.name == r.name for q in self.rules) > 1})
            raise ConfigError(source, "rules", "name", f"rule names must be unique; duplicated: {dupes}")
        self._order = _evaluation_order(self.rules)

    # -- loading --------------------------------------------------------------------------------
    @classmethod
    def from_yaml(cls, path) -> MonitoringRules:
        """Read and validate a YAML rules file (errors name file, rule and field)."""
        config, source = read_yaml(path)
        return cls.from_dict(config, source=source)

    @classmethod
    def default(cls) -> MonitoringRules:
        """The package default rules, ``riskkit/configs/monitoring_rules.yaml``."""
        return cls.from_yaml(DEFAULT_MONITORING_RULES_PATH)

    @classmethod
    def from_dict(cls, config: Mapping, source: str = "<dict>") -> MonitoringRules:
        """Validate a config mapping; raise :class:`ConfigError` naming source, rule and field."""
        top = Checker(source, "<top level>")
        config = top.mapping(config, "<top level>")
        top.only(config, {"name", "version", "description", "grade_order", "default_grade", "grade_column",
                          "recipients", "rules"})
        grade_order = tuple(_texts(top, config.get("grade_order", list(DEFAULT_GRADE_ORDER)), "grade_order",
                                   min_len=2))
        if len(set(grade_order)) != len(grade_order):
            top.fail("grade_order", f"grades must be unique, got {list(grade_order)}")
        default_grade = config.get("default_grade", grade_order[-1])
        top.choice(default_grade, "default_grade", grade_order)
        grade_column = top.text(config.get("grade_column", "grade"), "grade_column")
        level_recipients, routes = _parse_recipients(config.get("recipients"), source, grade_order)

        raw_rules = top.sequence(top.require(config, "rules"), "rules", min_len=1)
        rules, seen = [], {}
        for i, raw in enumerate(raw_rules):
            entry = f"rules[{i}]"
            if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
                entry += f" ({raw['name']})"
            rule = _parse_rule(raw, Checker(source, entry), grade_order)
            if rule.name in seen:
                Checker(source, entry).fail("name", f"duplicate rule name {rule.name!r} "
                                                    f"(also rules[{seen[rule.name]}])")
            seen[rule.name] = i
            rules.append(rule)
        for i, rule in enumerate(rules):
            if rule.kind == "combination":
                check = Checker(source, f"rules[{i}] ({rule.name})")
                unknown = [r for r in rule.spec.rules if r not in seen]
                if unknown:
                    check.fail(rule.spec.mode, f"refers to unknown rule(s) {unknown}; known: {list(seen)}")
                if rule.name in rule.spec.rules:
                    check.fail(rule.spec.mode, "a combination cannot refer to itself")
        try:
            _evaluation_order(rules)
        except _CycleError as exc:
            Checker(source, f"rules ({exc.name})").fail("all/any", f"combinations refer to each other in a "
                                                                   f"cycle: {exc.cycle}")
        return cls(rules, grade_order=grade_order, default_grade=default_grade, grade_column=grade_column,
                   level_recipients=level_recipients, routes=routes, name=str(config.get("name", "monitoring_rules")),
                   source=source)

    # -- inspection -----------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [rule.name for rule in self.rules]

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self):
        return iter(self.rules)

    def __getitem__(self, name: str) -> MonitoringRule:
        if name not in self._by_name:
            raise UnknownRuleError(f"no rule named {name!r}; rules: {self.names}")
        return self._by_name[name]

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: ``name, kind, level, description, tags, optional, silent, recipients``."""
        return pd.DataFrame({
            "name": [r.name for r in self.rules],
            "kind": [r.kind for r in self.rules],
            "level": [r.level for r in self.rules],
            "description": [r.description for r in self.rules],
            "tags": [json.dumps(r.tag_filter) if r.tags else "" for r in self.rules],
            "optional": [r.optional for r in self.rules],
            "silent": [r.silent for r in self.rules],
            "recipients": [r.recipients for r in self.rules],
        })

    def summary(self) -> str:
        counts = pd.Series([r.level for r in self.rules]).value_counts()
        levels = ", ".join(f"{counts.get(level, 0)} {level}" for level in LEVELS)
        return f"{self.name} ({self.source}): {len(self.rules)} rules ({levels})"

    def __repr__(self) -> str:
        return f"MonitoringRules({self.summary()})"

    # -- evaluation -----------------------------------------------------------------------------
    def evaluate(self, current: pd.DataFrame, previous: pd.DataFrame | None = None, *,
                 events: pd.DataFrame | None = None, links: pd.DataFrame | None = None,
                 history: pd.DataFrame | None = None, as_of=None, previous_as_of=None) -> pd.DataFrame:
        """Alerts raised by the rules on the current snapshot.

        Parameters
        ----------
        current : DataFrame
            One row per monitored customer, indexed by ``customer_id``: profile and
            ratings columns (plus ``network_pd``, ``stress_distress``,
            ``review_overdue_days``, tag columns... as the rules need).
        previous : DataFrame, optional
            The previous archived snapshot, same layout.  Without it, ``change``,
            ``downgrade``, ``network`` and ``newly`` limit rules find nothing changed.
        events : DataFrame, optional
            The events table (:data:`EVENT_COLUMNS`); needed for ``event`` rules to fire.
        links : DataFrame, optional
            ``customer_id, linked_id, relation`` (:mod:`riskkit.monitoring.network_rules`).
        history : DataFrame, optional
            Long frame ``as_of, customer_id, <columns>`` of earlier snapshots (``trailing``).
        as_of, previous_as_of : date, optional
            Dates of the current and previous snapshots; ``as_of`` is required for
            ``event`` rules when ``events`` is given.

        Returns
        -------
        DataFrame
            One row per alert, columns :data:`ALERT_COLUMNS`: ``customer_id``, ``rule``,
            ``level``, ``message`` (the rule's description and what was observed),
            ``evidence`` (JSON ``{field: {"before": x, "after": y}}``; ``before`` is the
            previous snapshot's value or the trailing reference, null when unknown),
            ``recipients`` (tuple), ``tags`` (JSON of the customer's tag columns) and
            ``kind``; sorted by level (red first), rule order, customer.
            ``attrs["skipped_rules"]`` maps each rule that could not run to the reason
            (an optional rule's missing column, an input not supplied).

        Raises
        ------
        MissingColumnError
            A non-optional rule needs a column a frame lacks.
        MonitoringInputError
            A malformed input (duplicate customers, wrong dtype, unknown grade...).
        """
        current = _check_snapshot(current, "current")
        previous = None if previous is None else _check_snapshot(previous, "previous")
        as_of = None if as_of is None else check_as_of(as_of)
        previous_as_of = None if previous_as_of is None else check_as_of(previous_as_of, "previous_as_of")
        if as_of is not None and previous_as_of is not None and previous_as_of >= as_of:
            raise MonitoringInputError(f"previous_as_of ({previous_as_of.date()}) must be before as_of "
                                       f"({as_of.date()})")
        if events is not None:
            events = _check_events(events)
        if links is not None:
            try:
                links = check_links(links)
            except LinksInputError as exc:
                raise MonitoringInputError(str(exc)) from None
        if history is not None:
            history = _check_history(history)
        run = _Run(self, current, previous, events, links, history, as_of, previous_as_of)
        hits: dict[str, _Hit] = {}
        skipped: dict[str, str] = {}
        for rule in self._order:
            reason = run.missing(rule)
            if reason is not None:
                skipped[rule.name] = reason
                hits[rule.name] = _no_hit(len(current))
                continue
            hit = _EVALUATORS[rule.kind](rule, run, hits)
            hits[rule.name] = _restrict(hit, run.scope(rule))
            if run.unsupplied:
                skipped[rule.name] = run.unsupplied
                run.unsupplied = None
        parts = [run.alerts(rule, hits[rule.name]) for rule in self.rules if not rule.silent]
        parts = [part for part in parts if len(part)]
        out = pd.concat(parts, ignore_index=True) if parts else _empty_alerts()
        rank = {name: i for i, name in enumerate(self.names)}
        out = out.assign(_lv=out["level"].map(level_rank), _ru=out["rule"].map(rank))
        out = out.sort_values(["_lv", "_ru", "customer_id"], kind="stable").drop(columns=["_lv", "_ru"])
        out = out.reset_index(drop=True)
        out.attrs["skipped_rules"] = skipped
        return out


# -- config parsing ------------------------------------------------------------------------------
class _CycleError(Exception):
    def __init__(self, name, cycle):
        self.name, self.cycle = name, cycle


def _evaluation_order(rules) -> list[MonitoringRule]:
    """Rules with every combination after the rules it refers to (depth-first)."""
    by_name = {r.name: r for r in rules}
    done, active, order = set(), [], []

    def visit(rule):
        if rule.name in done:
            return
        if rule.name in active:
            raise _CycleError(rule.name, active[active.index(rule.name):] + [rule.name])
        active.append(rule.name)
        if rule.kind == "combination":
            for ref in rule.spec.rules:
                if ref in by_name:
                    visit(by_name[ref])
        active.pop()
        done.add(rule.name)
        order.append(rule)

    for rule in rules:
        visit(rule)
    return order


def _texts(check: Checker, value, field_name: str, *, min_len: int = 1) -> list[str]:
    items = check.sequence(value, field_name, min_len=min_len)
    return [check.text(v, f"{field_name}[{i}]") for i, v in enumerate(items)]


def _integer(check: Checker, value, field_name: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        check.fail(field_name, f"must be a whole number, got {value!r}")
    if value < lo:
        check.fail(field_name, f"must be >= {lo}, got {value!r}")
    return int(value)


def _flag(check: Checker, raw: Mapping, field_name: str) -> bool:
    value = raw.get(field_name, False)
    if not isinstance(value, bool):
        check.fail(field_name, f"must be true or false, got {value!r}")
    return value


def _condition(check: Checker, spec, field_name: str) -> Condition:
    try:
        return parse_condition(spec, field_name)
    except ConditionError as exc:
        raise ConfigError(check.source, check.entry, exc.where, exc.problem) from None


def _tags(check: Checker, value, field_name: str, grade_order) -> tuple[tuple[str, tuple], ...]:
    tags = check.mapping(value, field_name)
    if not tags:
        check.fail(field_name, "must name at least one tag column")
    check.only(tags, TAG_COLUMNS, field_name)
    out = []
    for column, values in tags.items():
        items = check.sequence(values, f"{field_name}.{column}", min_len=1)
        for j, v in enumerate(items):
            if not (isinstance(v, str) and v.strip()) and (isinstance(v, bool) or not isinstance(v, (int, float))):
                check.fail(f"{field_name}.{column}[{j}]", f"must be a string or number, got {v!r}")
        if column == "grade":
            unknown = [g for g in items if g not in grade_order]
            if unknown:
                check.fail(f"{field_name}.grade", f"unknown grade(s) {unknown}; grade_order is {list(grade_order)}")
        out.append((column, tuple(items)))
    return tuple(out)


def _parse_recipients(value, source: str, grade_order):
    if value is None:
        return {}, ()
    check = Checker(source, "recipients")
    section = check.mapping(value, "recipients")
    check.only(section, {*LEVELS, "by_tag"}, "recipients")
    levels = {level: tuple(_texts(check, section[level], level, min_len=0)) for level in LEVELS if level in section}
    routes = []
    for i, raw in enumerate(check.sequence(section.get("by_tag", []), "by_tag")):
        route = Checker(source, f"recipients.by_tag[{i}]")
        raw = route.mapping(raw, "<entry>")
        route.only(raw, {"levels", "tags", "to"})
        route_levels = raw.get("levels", list(LEVELS))
        route_levels = [route_levels] if isinstance(route_levels, str) else route_levels
        for j, level in enumerate(route.sequence(route_levels, "levels", min_len=1)):
            route.choice(level, f"levels[{j}]", LEVELS)
        tags = _tags(route, route.require(raw, "tags"), "tags", grade_order)
        to = tuple(_texts(route, route.require(raw, "to"), "to"))
        routes.append(RecipientRoute(tuple(route_levels), tags, to))
    return levels, tuple(routes)


def _direction_by_unit(check: Checker, raw: Mapping):
    direction = check.choice(check.require(raw, "direction"), "direction", ("increase", "decrease"))
    unit = check.choice(raw.get("unit", "absolute"), "unit", ("absolute", "relative"))
    by = check.number(check.require(raw, "by"), "by", lo=0.0)
    if by == 0:
        check.fail("by", "must be > 0 (the size of the change that raises the alert)")
    if unit == "relative" and direction == "decrease" and by > 1:
        check.fail("by", f"a relative decrease of more than 100 % (by > 1) can never happen, got {by!r}")
    return direction, by, unit


def _parse_rule(raw, check: Checker, grade_order) -> MonitoringRule:
    raw = check.mapping(raw, "<entry>")
    name = check.text(check.require(raw, "name"), "name")
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
        check.fail("name", f"use letters, digits, '_', '-', '.' only (it keys the open alerts), got {name!r}")
    kind = check.choice(check.require(raw, "kind"), "kind", RULE_KINDS)
    check.only(raw, _COMMON_FIELDS | _KIND_FIELDS[kind])
    level = check.choice(check.require(raw, "level"), "level", LEVELS)
    description = raw.get("description", "")
    if not isinstance(description, str):
        check.fail("description", f"must be text, got {description!r}")
    tags = _tags(check, raw["tags"], "tags", grade_order) if raw.get("tags") is not None else ()
    where = _condition(check, raw["where"], "where") if raw.get("where") is not None else None
    recipients = tuple(_texts(check, raw.get("recipients", []), "recipients", min_len=0))
    spec = _SPEC_PARSERS[kind](raw, check, grade_order)
    return MonitoringRule(name, kind, level, spec, description=description.strip(), tags=tags, where=where,
                          recipients=recipients, optional=_flag(check, raw, "optional"),
                          silent=_flag(check, raw, "silent"))


def _spec_threshold(raw, check, grade_order):
    return ThresholdSpec(_condition(check, check.require(raw, "when"), "when"))


def _spec_change(raw, check, grade_order):
    if "newly" in raw:
        extra = sorted({"column", "direction", "by", "unit"} & set(raw))
        if extra:
            check.fail(extra[0], "give either 'newly' (a condition) or column/direction/by/unit, not both")
        return ChangeSpec(newly=_condition(check, check.require(raw, "newly"), "newly"))
    column = check.text(check.require(raw, "column"), "column")
    direction, by, unit = _direction_by_unit(check, raw)
    return ChangeSpec(column=column, direction=direction, by=by, unit=unit)


def _spec_trailing(raw, check, grade_order):
    column = check.text(check.require(raw, "column"), "column")
    stat = check.choice(raw.get("stat", "mean"), "stat", ("mean", "min", "max"))
    window = _integer(check, check.require(raw, "window"), "window", 1)
    min_periods = _integer(check, raw.get("min_periods", window), "min_periods", 1)
    if min_periods > window:
        check.fail("min_periods", f"must be <= window ({window}), got {min_periods}")
    direction, by, unit = _direction_by_unit(check, raw)
    return TrailingSpec(column, stat, window, min_periods, direction, by, unit)


def _spec_downgrade(raw, check, grade_order):
    notches = _integer(check, raw.get("notches", 1), "notches", 1)
    if notches >= len(grade_order):
        check.fail("notches", f"must be < {len(grade_order)} (the number of grades), got {notches}")
    column = check.text(raw["column"], "column") if "column" in raw else None
    return DowngradeSpec(notches, column)


def _spec_limit_breach(raw, check, grade_order):
    basis = check.choice(raw.get("basis", "utilisation"), "basis", ("utilisation", "ead"))
    tolerance = check.number(raw.get("tolerance", 0.0), "tolerance", lo=0.0)
    return LimitBreachSpec(basis, tolerance, _flag(check, raw, "newly"))


def _spec_event(raw, check, grade_order):
    categories = tuple(_texts(check, raw["categories"], "categories")) if "categories" in raw else ()
    unknown = [c for c in categories if c not in EVENT_CATEGORIES]
    if unknown:
        check.fail("categories", f"unknown event categories {unknown}; known: {list(EVENT_CATEGORIES)}")
    keywords = tuple(_texts(check, raw["keywords"], "keywords")) if "keywords" in raw else ()
    match = check.choice(raw.get("match", "substring"), "match", ("substring", "word"))
    if "match" in raw and not keywords:
        check.fail("match", "only with 'keywords'")
    min_severity = _integer(check, raw.get("min_severity", 1), "min_severity", 1)
    if min_severity > 5:
        check.fail("min_severity", f"severity runs from 1 to 5, got {min_severity}")
    lookback = _integer(check, raw.get("lookback_days", 31), "lookback_days", 1)
    return EventSpec(categories, keywords, match, min_severity, lookback)


def _spec_network(raw, check, grade_order):
    relations = _texts(check, check.require(raw, "relations"), "relations")
    unknown = [r for r in relations if r not in RELATIONS]
    if unknown:
        check.fail("relations", f"unknown relation(s) {unknown}; allowed: {list(RELATIONS)}")
    events = _texts(check, raw.get("events", ["default"]), "events")
    bad = [e for e in events if e not in NETWORK_EVENTS]
    if bad:
        check.fail("events", f"unknown network event(s) {bad}; allowed: {list(NETWORK_EVENTS)}")
    if "notches" in raw and "downgrade" not in events:
        check.fail("notches", "only with 'events: [downgrade]'")
    notches = _integer(check, raw.get("notches", 1), "notches", 1)
    return NetworkSpec(tuple(dict.fromkeys(relations)), tuple(dict.fromkeys(events)), notches)


def _spec_combination(raw, check, grade_order):
    modes = [m for m in ("all", "any") if m in raw]
    if len(modes) != 1:
        check.fail("all", f"give exactly one of 'all' or 'any' (a list of rule names), got {modes}")
    refs = _texts(check, raw[modes[0]], modes[0], min_len=2)
    if len(set(refs)) != len(refs):
        check.fail(modes[0], f"lists a rule twice: {refs}")
    return CombinationSpec(modes[0], tuple(refs))


def _spec_review_due(raw, check, grade_order):
    return ReviewDueSpec(check.number(raw.get("min_days", 0), "min_days", lo=0.0))


_SPEC_PARSERS = {"threshold": _spec_threshold, "change": _spec_change, "trailing": _spec_trailing,
                 "downgrade": _spec_downgrade, "limit_breach": _spec_limit_breach, "event": _spec_event,
                 "network": _spec_network, "combination": _spec_combination, "review_due": _spec_review_due}


# -- input checks --------------------------------------------------------------------------------
def _check_snapshot(frame, name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise MonitoringInputError(f"{name} must be a DataFrame indexed by customer_id, got {type(frame).__name__}")
    if frame.index.hasnans:
        raise MonitoringInputError(f"{name}: the index (customer_id) has missing values")
    if not frame.index.is_unique:
        dupes = frame.index[frame.index.duplicated()].unique()
        raise MonitoringInputError(f"{name}: customer_id must be unique; duplicated: {list(dupes[:5])} "
                                   f"({len(dupes)} id(s))")
    return frame


def _check_events(events) -> pd.DataFrame:
    if not isinstance(events, pd.DataFrame):
        raise MonitoringInputError(f"events must be a DataFrame, got {type(events).__name__}")
    absent = [c for c in EVENT_COLUMNS if c not in events.columns]
    if absent:
        raise MonitoringInputError(f"events: column(s) {absent} missing; expected {list(EVENT_COLUMNS)}")
    if not pd.api.types.is_datetime64_dtype(events["date"].dtype):
        raise MonitoringInputError(f"events.date must be a datetime64 column, got dtype {events['date'].dtype}")
    if not pd.api.types.is_numeric_dtype(events["severity"].dtype):
        raise MonitoringInputError(f"events.severity must be numeric (1-5), got dtype {events['severity'].dtype}")
    return events


def _check_history(history) -> pd.DataFrame:
    if not isinstance(history, pd.DataFrame):
        raise MonitoringInputError(f"history must be a DataFrame, got {type(history).__name__}")
    absent = [c for c in ("as_of", "customer_id") if c not in history.columns]
    if absent:
        raise MonitoringInputError(f"history: column(s) {absent} missing (a long frame as_of, customer_id, "
                                   f"<columns>)")
    if not pd.api.types.is_datetime64_dtype(history["as_of"].dtype):
        raise MonitoringInputError(f"history.as_of must be a datetime64 column, got dtype {history['as_of'].dtype}")
    dupes = history.duplicated(["as_of", "customer_id"])
    if dupes.any():
        first = history.loc[dupes, ["as_of", "customer_id"]].head(3).astype(str).values.tolist()
        raise MonitoringInputError(f"history: (as_of, customer_id) must be unique; {int(dupes.sum())} duplicate "
                                   f"row(s), e.g. {first}")
    return history


def _numbers(frame: pd.DataFrame, column: str, rule: MonitoringRule, table: str) -> np.ndarray:
    values = frame[column]
    if not (pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)):
        raise MonitoringInputError(f"rule {rule.name!r} ({rule.kind}): column {column!r} of {table} must be "
                                   f"numeric, got dtype {values.dtype}")
    return values.astype("float64").to_numpy(dtype=float, na_value=np.nan)


# -- evaluation ----------------------------------------------------------------------------------
# Everything below works on row positions of the current snapshot: ids are hashed once per
# input table (Index.get_indexer), never looked up label by label.
class _Run:
    """Inputs of one evaluation, shared by the rule evaluators."""

    def __init__(self, rules: MonitoringRules, current, previous, events, links, history, as_of, previous_as_of):
        self.rules = rules
        self.current = current
        self.previous = previous
        self.events = events
        self.links = links
        self.history = history
        self.as_of = as_of
        self.previous_as_of = previous_as_of
        self.n = len(current)
        self.unsupplied: str | None = None  # set by an evaluator whose input is missing
        #: position in ``previous`` of each current customer, -1 if absent
        self.prev_pos = np.full(self.n, -1, dtype=np.int64) if previous is None else \
            previous.index.get_indexer(current.index)
        self.in_previous = self.prev_pos >= 0
        self._values: dict[tuple[str, str], np.ndarray] = {}
        self._changes = None

    # columns ----------------------------------------------------------------------------------
    def needs(self, rule: MonitoringRule) -> list[tuple[str, str]]:
        """(table, column) pairs the rule reads."""
        cur, prev, hist = [], [], []
        spec = rule.spec
        grade = self.rules.grade_column
        if rule.kind == "threshold":
            cur += spec.when.columns
        elif rule.kind == "change":
            cols = spec.newly.columns if spec.newly is not None else [spec.column]
            cur += cols
            prev += cols
        elif rule.kind == "trailing":
            cur.append(spec.column)
            hist.append(spec.column)
        elif rule.kind == "downgrade":
            cur.append(spec.column or grade)
            prev.append(spec.column or grade)
        elif rule.kind == "limit_breach":
            cols = ["utilisation"] if spec.basis == "utilisation" else ["ead", "credit_limit"]
            cur += cols
            if spec.newly:
                prev += cols
        elif rule.kind == "network":
            cur.append(grade)
            prev.append(grade)
        elif rule.kind == "review_due":
            cur.append("review_overdue_days")
        if rule.where is not None:
            cur += rule.where.columns
        cur += [column for column, _ in rule.tags]
        out = [("current", c) for c in cur]
        if self.previous is not None:
            out += [("previous", c) for c in prev]
        if self.history is not None:
            out += [("history", c) for c in hist]
        return list(dict.fromkeys(out))

    def missing(self, rule: MonitoringRule) -> str | None:
        """None if the rule can run; the reason to skip an optional rule; raises otherwise."""
        frames = {"current": self.current, "previous": self.previous, "history": self.history}
        for table, column in self.needs(rule):
            if column not in frames[table].columns:
                if rule.optional:
                    return f"optional rule: column {column!r} absent from {table}"
                raise MissingColumnError(rule.name, rule.kind, table, column)
        return None

    def scope(self, rule: MonitoringRule) -> np.ndarray:
        """Customers the rule applies to: its tags and its ``where`` condition."""
        mask = np.ones(self.n, dtype=bool)
        for column, values in rule.tags:
            mask &= _isin(self.current[column], values)
        if rule.where is not None:
            mask &= _evaluate(rule.where, self.current, rule, "current", "where")
        return mask

    def values(self, column: str) -> np.ndarray:
        """Current values of ``column`` (float if numeric, else object)."""
        key = ("current", column)
        if key not in self._values:
            self._values[key] = _as_array(self.current[column])
        return self._values[key]

    def before(self, column: str) -> np.ndarray:
        """Previous values of ``column`` aligned to the current rows (missing when unknown)."""
        key = ("previous", column)
        if key not in self._values:
            if self.previous is None or column not in self.previous.columns:
                out = np.full(self.n, None, dtype=object)
            else:
                source = _as_array(self.previous[column])
                out = source[np.where(self.in_previous, self.prev_pos, 0)] if len(source) else \
                    np.full(self.n, None, dtype=object)
                out = out.astype(float if out.dtype.kind == "f" else object)
                out[~self.in_previous] = np.nan if out.dtype.kind == "f" else None
            self._values[key] = out
        return self._values[key]

    def previous_rows(self) -> pd.DataFrame:
        """The previous snapshot's rows of the customers present in both, in current order."""
        return self.previous.iloc[self.prev_pos[self.in_previous]]

    def changes(self) -> pd.DataFrame:
        if self._changes is None:
            try:
                self._changes = party_changes(self.current, self.previous, grade_column=self.rules.grade_column,
                                              grade_order=self.rules.grade_order,
                                              default_grade=self.rules.default_grade)
            except LinksInputError as exc:
                raise MonitoringInputError(str(exc)) from None
        return self._changes

    # alerts -----------------------------------------------------------------------------------
    def alerts(self, rule: MonitoringRule, hit: _Hit) -> pd.DataFrame:
        rows = hit.rows
        if rows.size == 0:
            return _empty_alerts()
        detail = hit.detail.astype(object)
        message = np.where(detail == "", rule.label + ".", rule.label + ": " + detail + ".")
        return pd.DataFrame({
            "customer_id": self.current.index[rows].astype("str").to_numpy(dtype=object),
            "rule": rule.name,
            "level": rule.level,
            "message": message,
            "evidence": _evidence_json(hit.evidence, rows.size),
            "recipients": self.recipients(rule, rows),
            "tags": self.tags_json(rows),
            "kind": rule.kind,
        })

    def recipients(self, rule: MonitoringRule, rows: np.ndarray) -> list[tuple[str, ...]]:
        base = rule.recipients + self.rules.level_recipients.get(rule.level, ())
        routes = [r for r in self.rules.routes if rule.level in r.levels]
        code = np.zeros(rows.size, dtype=np.int64)
        for k, route in enumerate(routes):
            match = np.ones(rows.size, dtype=bool)
            for column, values in route.tags:
                if column not in self.current.columns:
                    raise MonitoringInputError(f"recipients.by_tag route to {list(route.to)} filters on column "
                                               f"{column!r}, absent from current (needed for rule {rule.name!r})")
                match &= _isin(self.current[column].iloc[rows], values)
            code |= match.astype(np.int64) << k
        lists = {}
        for c in np.unique(code):  # one address list per combination of matching routes
            addresses = list(base)
            for k, route in enumerate(routes):
                if c >> k & 1:
                    addresses += route.to
            lists[c] = tuple(dict.fromkeys(addresses))
        return [lists[c] for c in code]

    def tags_json(self, rows: np.ndarray) -> np.ndarray:
        present = [c for c in TAG_COLUMNS if c in self.current.columns]
        out = np.full(rows.size, "", dtype=object)
        for c in present:
            piece = json.dumps(c) + ": " + _json_values(self.current[c].iloc[rows])
            out = np.where(out == "", piece, out + ", " + piece)
        return "{" + out + "}"


def _as_array(values: pd.Series) -> np.ndarray:
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    return values.to_numpy(dtype=float, na_value=np.nan) if numeric else values.to_numpy(dtype=object)


def _isin(values: pd.Series, options) -> np.ndarray:
    """Membership in a short list that matches numbers with numbers and text with text (never coerces)."""
    options = list(options)
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    if numeric:
        return values.isin([o for o in options if not isinstance(o, str)]).to_numpy(dtype=bool)
    return values.isin([o for o in options if isinstance(o, str)]).to_numpy(dtype=bool)


def _evaluate(condition: Condition, frame: pd.DataFrame, rule: MonitoringRule, table: str, what: str) -> np.ndarray:
    try:
        return condition.evaluate(frame)
    except (TypeError, KeyError) as exc:
        raise MonitoringInputError(f"rule {rule.name!r} ({rule.kind}): {what} on {table}: "
                                   f"{exc.args[0] if exc.args else exc}") from None


def _restrict(hit: _Hit, scope: np.ndarray) -> _Hit:
    keep = scope[hit.rows]
    if keep.all():
        return hit
    evidence = {name: (b[keep], a[keep], None if p is None else p[keep]) for name, (b, a, p) in hit.evidence.items()}
    return _Hit(hit.mask & scope, evidence, hit.detail[keep])


def _nulls(m: int) -> np.ndarray:
    return np.full(m, None, dtype=object)


def _fmt(value) -> str:
    """A number for a message: thousands separators for large, 4 significant digits otherwise."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if v == int(v):
            return str(int(v))
        return f"{v:.4g}"
    return str(value)


def _fmt_array(values) -> np.ndarray:
    return np.array([_fmt(v) for v in np.asarray(values, dtype=object)], dtype=object).reshape(-1)


def _plain(value):
    """A JSON-ready Python value (NaN/inf/NaT/NA -> None, numpy -> Python, dates -> ISO)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)


def _json_values(values) -> np.ndarray:
    """JSON text of each value: numbers formatted in bulk, other values once per distinct value."""
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind == "b":
        return np.where(arr, "true", "false").astype(object)
    if arr.dtype.kind in "iu":
        return arr.astype(str).astype(object)
    if arr.dtype.kind == "f":
        # numpy prints the shortest repr that round-trips (as json.dumps does); JSON has no NaN
        return np.where(np.isfinite(arr), arr.astype(str), "null").astype(object)
    arr = arr.astype(object)
    try:
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    except TypeError:  # unhashable values (lists of events or linked parties)
        return np.array([json.dumps(_plain(v), ensure_ascii=False) for v in arr], dtype=object)
    texts = [json.dumps(_plain(u), ensure_ascii=False) for u in uniques] + ["null"]
    return np.asarray(texts, dtype=object)[codes]


def _evidence_json(evidence: dict, m: int) -> np.ndarray:
    """``{field: {"before": b, "after": a}, ...}`` per hit row; a field only where present."""
    out = np.full(m, "", dtype=object)
    for name, (before, after, present) in evidence.items():
        piece = json.dumps(name, ensure_ascii=False) + ': {"before": ' + _json_values(before) \
            + ', "after": ' + _json_values(after) + "}"
        if present is not None:
            piece = np.where(present, piece, "")
        joiner = np.where((out != "") & (piece != ""), ", ", "")
        out = out + joiner + piece
    return "{" + out + "}"


def _empty_alerts() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ALERT_COLUMNS})


def _compare_change(after: np.ndarray, reference: np.ndarray, direction: str, by: float, unit: str):
    """(mask, change): absolute ``after - reference`` or relative ``(after - ref) / |ref|``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        change = after - reference
        if unit == "relative":
            change = np.where(reference != 0, change / np.abs(reference), np.nan)
        mask = change >= by if direction == "increase" else change <= -by
    return mask & np.isfinite(change), change


def _change_text(column: str, before, after, change, unit: str, reference: str = "") -> np.ndarray:
    change = np.asarray(change, dtype=float)
    sign = np.where(change >= 0, "+", "").astype(object)
    if unit == "relative":
        amount = np.array([f"{v * 100:.0f} %" for v in change], dtype=object)
    else:
        amount = _fmt_array(change)
    return column + " " + reference + _fmt_array(before) + " -> " + _fmt_array(after) + " (" + sign + amount + ")"


def _previous_numbers(run: _Run, column: str, rule) -> np.ndarray:
    """Numeric previous values aligned to the current rows, NaN where absent."""
    out = np.full(run.n, np.nan)
    out[run.in_previous] = _numbers(run.previous, column, rule, "previous")[run.prev_pos[run.in_previous]]
    return out


# one evaluator per kind: (rule, run, earlier hits) -> _Hit over the current rows ----------------
def _eval_threshold(rule, run: _Run, hits) -> _Hit:
    mask = _evaluate(rule.spec.when, run.current, rule, "current", "when")
    return _condition_hit(rule.spec.when, mask, run)


def _condition_hit(condition: Condition, mask: np.ndarray, run: _Run) -> _Hit:
    rows = np.flatnonzero(mask)
    evidence, detail = {}, np.full(rows.size, "", dtype=object)
    for i, column in enumerate(condition.columns):
        after = run.values(column)[rows]
        evidence[column] = (run.before(column)[rows], after, None)
        text = column + " = " + _fmt_array(after)
        detail = text if i == 0 else detail + ", " + text
    return _Hit(mask, evidence, detail)


def _eval_change(rule, run: _Run, hits) -> _Hit:
    spec: ChangeSpec = rule.spec
    if run.previous is None:
        run.unsupplied = "no previous snapshot: nothing can have changed"
        return _no_hit(run.n)
    if spec.newly is not None:
        now = _evaluate(spec.newly, run.current, rule, "current", "newly")
        was = np.zeros(run.n, dtype=bool)
        was[run.in_previous] = _evaluate(spec.newly, run.previous_rows(), rule, "previous", "newly")
        return _condition_hit(spec.newly, now & run.in_previous & ~was, run)
    after = _numbers(run.current, spec.column, rule, "current")
    before = _previous_numbers(run, spec.column, rule)
    mask, change = _compare_change(after, before, spec.direction, spec.by, spec.unit)
    evidence = {spec.column: (before[mask], after[mask], None)}
    return _Hit(mask, evidence, _change_text(spec.column, before[mask], after[mask], change[mask], spec.unit))


def _eval_trailing(rule, run: _Run, hits) -> _Hit:
    spec: TrailingSpec = rule.spec
    if run.history is None:
        run.unsupplied = "no history of earlier snapshots supplied"
        return _no_hit(run.n)
    history = run.history
    dates = history["as_of"].drop_duplicates()
    if run.as_of is not None:
        dates = dates[dates < run.as_of]
    window = np.sort(dates.to_numpy())[-spec.window:]
    rows = history[history["as_of"].isin(window)]
    position = run.current.index.get_indexer(rows["customer_id"])
    known = position >= 0
    values = pd.Series(_numbers(rows, spec.column, rule, "history")[known])
    grouped = values.groupby(position[known])
    stat, count = grouped.agg(spec.stat), grouped.count()
    stat = stat[count >= spec.min_periods]
    reference = np.full(run.n, np.nan)
    reference[stat.index.to_numpy(dtype=np.int64)] = stat.to_numpy(dtype=float)
    after = _numbers(run.current, spec.column, rule, "current")
    mask, change = _compare_change(after, reference, spec.direction, spec.by, spec.unit)
    evidence = {spec.column: (reference[mask], after[mask], None)}
    label = f"{spec.stat} of the last {len(window)} snapshots "
    return _Hit(mask, evidence, _change_text(spec.column, reference[mask], after[mask], change[mask], spec.unit,
                                             reference=label))


def _eval_downgrade(rule, run: _Run, hits) -> _Hit:
    spec: DowngradeSpec = rule.spec
    if run.previous is None:
        run.unsupplied = "no previous snapshot: nothing can have changed"
        return _no_hit(run.n)
    column = spec.column or run.rules.grade_column
    order = run.rules.grade_order
    try:
        after = grade_codes(run.current[column], order, f"rule {rule.name!r}: current.{column}")
        before = grade_codes(pd.Series(run.before(column)), order, f"rule {rule.name!r}: previous.{column}")
    except LinksInputError as exc:
        raise MonitoringInputError(str(exc)) from None
    with np.errstate(invalid="ignore"):
        notches = after - before
        mask = (notches >= spec.notches) & run.in_previous
    grade_before, grade_after = run.before(column)[mask], run.values(column)[mask]
    detail = (column + " " + _fmt_array(grade_before) + " -> " + _fmt_array(grade_after) + " ("
              + _fmt_array(notches[mask]) + " notches down)")
    return _Hit(mask, {column: (grade_before, grade_after, None)}, detail)


def _breach(frame: pd.DataFrame, spec: LimitBreachSpec, rule, table: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if spec.basis == "utilisation":
            return _numbers(frame, "utilisation", rule, table) > 1.0 + spec.tolerance
        ead = _numbers(frame, "ead", rule, table)
        limit = _numbers(frame, "credit_limit", rule, table)
        return ead > limit * (1.0 + spec.tolerance)


def _eval_limit_breach(rule, run: _Run, hits) -> _Hit:
    spec: LimitBreachSpec = rule.spec
    mask = _breach(run.current, spec, rule, "current")
    if spec.newly:
        if run.previous is None:
            run.unsupplied = "no previous snapshot: no breach can be new"
            return _no_hit(run.n)
        was = np.zeros(run.n, dtype=bool)
        was[run.in_previous] = _breach(run.previous_rows(), spec, rule, "previous")
        mask = mask & run.in_previous & ~was
    rows = np.flatnonzero(mask)
    columns = [c for c in ("utilisation", "ead", "credit_limit") if c in run.current.columns]
    evidence = {c: (run.before(c)[rows], run.values(c)[rows], None) for c in columns}
    detail = np.full(rows.size, "", dtype=object)
    for i, c in enumerate(columns):
        text = c + " " + _fmt_array(run.values(c)[rows])
        detail = text if i == 0 else detail + ", " + text
    return _Hit(mask, evidence, detail)


def _eval_event(rule, run: _Run, hits) -> _Hit:
    spec: EventSpec = rule.spec
    if run.events is None:
        run.unsupplied = "no events table supplied"
        return _no_hit(run.n)
    if run.as_of is None:
        raise MonitoringInputError(f"rule {rule.name!r} (event): as_of is required to select the events of the run")
    start = run.previous_as_of if run.previous_as_of is not None else run.as_of - pd.Timedelta(days=spec.lookback_days)
    ev = run.events
    keep = ((ev["date"] > start) & (ev["date"] <= run.as_of)).to_numpy(dtype=bool, na_value=False)
    keep = keep & (ev["severity"] >= spec.min_severity).to_numpy(dtype=bool, na_value=False)
    if spec.categories:
        keep = keep & ev["category"].isin(list(spec.categories)).to_numpy(dtype=bool)
    sel = ev[keep]
    if spec.keywords:
        alternatives = "|".join(re.escape(k) for k in spec.keywords)
        pattern = rf"\b(?:{alternatives})\b" if spec.match == "word" else alternatives
        sel = sel[sel["text"].astype("str").str.contains(pattern, case=False, regex=True).to_numpy(dtype=bool,
                                                                                               na_value=False)]
    position = run.current.index.get_indexer(sel["customer_id"])
    sel = sel[position >= 0].assign(_row=position[position >= 0])
    if sel.empty:
        return _no_hit(run.n)
    # per customer: the most severe event first, then by date
    sel = sel.sort_values(["_row", "severity", "date", "event_id"], ascending=[True, False, True, True],
                          kind="stable")
    line = (sel["date"].dt.strftime("%Y-%m-%d") + " " + sel["category"].astype("str") + " (severity "
            + sel["severity"].astype("int64").astype("str") + "): " + sel["text"].astype("str") + " ["
            + sel["event_id"].astype("str") + "]")
    grouped = line.groupby(sel["_row"].to_numpy(), sort=True)
    listed, count, first = grouped.agg(list), grouped.size(), grouped.first()
    worst = sel.groupby("_row", sort=True)["severity"].max()
    mask = np.zeros(run.n, dtype=bool)
    mask[listed.index.to_numpy(dtype=np.int64)] = True  # groups are sorted by row, like np.flatnonzero(mask)
    evidence = {"events": (_nulls(mask.sum()), listed.to_numpy(dtype=object), None),
                "max_severity": (_nulls(mask.sum()), worst.to_numpy(), None)}
    window = f"({start.date()}, {run.as_of.date()}]"
    detail = (count.to_numpy().astype(str).astype(object) + " event(s) dated in " + window + ", most severe "
              + first.to_numpy(dtype=object))
    return _Hit(mask, evidence, detail)


def _eval_network(rule, run: _Run, hits) -> _Hit:
    spec: NetworkSpec = rule.spec
    if run.previous is None or run.links is None:
        run.unsupplied = "no previous snapshot" if run.previous is None else "no links frame supplied"
        return _no_hit(run.n)
    found = linked_party_hits(run.links, run.changes(), run.current.index, relations=spec.relations,
                              events=spec.events, notches=spec.notches)
    position = run.current.index.get_indexer(found.index)
    found = found.iloc[np.argsort(position, kind="stable")]
    mask = np.zeros(run.n, dtype=bool)
    mask[position] = True
    evidence = {"linked_parties": (_nulls(len(found)), found["linked_parties"].to_numpy(dtype=object), None)}
    return _Hit(mask, evidence, "linked party " + found["detail"].to_numpy(dtype=object))


def _eval_combination(rule, run: _Run, hits) -> _Hit:
    spec: CombinationSpec = rule.spec
    parts = [hits[name] for name in spec.rules]
    masks = np.vstack([p.mask for p in parts])
    mask = masks.all(axis=0) if spec.mode == "all" else masks.any(axis=0)
    rows = np.flatnonzero(mask)
    evidence: dict[str, tuple] = {}
    detail = np.full(rows.size, "", dtype=object)
    for name, part in zip(spec.rules, parts):
        part_rows = part.rows
        here = part.mask[rows]
        detail = detail + np.where((detail != "") & here, " + ", "") + np.where(here, name, "")
        if part_rows.size == 0:
            continue
        lookup = np.full(run.n, -1, dtype=np.int64)
        lookup[part_rows] = np.arange(part_rows.size)
        take = np.where(here, lookup[rows], 0)
        # the first component that holds a field for a customer gives its evidence
        for field_name, (before, after, present) in part.evidence.items():
            has = here if present is None else here & present[take]
            b, a = before.astype(object)[take], after.astype(object)[take]
            if field_name in evidence:
                eb, ea, ep = evidence[field_name]
                fill = has & ~ep
                evidence[field_name] = (np.where(fill, b, eb), np.where(fill, a, ea), ep | has)
            else:
                evidence[field_name] = (np.where(has, b, None), np.where(has, a, None), has)
    return _Hit(mask, evidence, "triggered " + detail)


def _eval_review_due(rule, run: _Run, hits) -> _Hit:
    spec: ReviewDueSpec = rule.spec
    days = _numbers(run.current, "review_overdue_days", rule, "current")
    with np.errstate(invalid="ignore"):
        mask = days > spec.min_days
    evidence = {"review_overdue_days": (_nulls(int(mask.sum())), days[mask], None)}
    return _Hit(mask, evidence, "periodic review " + _fmt_array(days[mask]) + " day(s) overdue")


_EVALUATORS = {"threshold": _eval_threshold, "change": _eval_change, "trailing": _eval_trailing,
               "downgrade": _eval_downgrade, "limit_breach": _eval_limit_breach, "event": _eval_event,
               "network": _eval_network, "combination": _eval_combination, "review_due": _eval_review_due}
