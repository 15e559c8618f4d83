"""Risk responses (风险应对策略) and the contingency playbook (应急预案).

:func:`recommend_actions` turns ratings, alerts and recommended limits into actions with an
owner, a priority, a due date and a reason, following a YAML policy
(``riskkit/configs/action_policy.yaml``): low risk earns preferential terms or a higher
limit; high risk tighter terms, a lower limit, a guarantee, prepayment, credit insurance or
a stop of shipments.  :func:`contingency_playbook` lists the steps after a default: for the
defaulted customer (stop supply, collections, insurer, legal, review of linked parties) and
one review per linked customer, its relation as the reason.

Policy layout (every field is checked; errors read ``<file>: <entry>: field '<field>': ...``)::

    owners: [credit_controller, ...]          # roles
    priorities: [critical, high, medium, low] # most urgent first
    actions:                                  # catalogue
      stop_shipping: {owner: credit_controller, description: ..., supersedes: [increase_limit]}
    rules:
      - name: red_alert
        when: "max_alert_level == 'red'"      # riskkit._core.conditions
        then:
          - {action: stop_shipping, priority: critical, due_days: 0, reason: "red alert ({alert_rules})",
             owner: credit_controller}        # owner optional: the catalogue's
    contingency: {defaulted: [step, ...], linked: {action, priority, due_days, reason, by_relation}}
    review: {tiers: [...]}                    # riskkit.limits.review
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._core.arrays import safe_divide
from .._core.conditions import Condition, ConditionError, parse_condition
from .._core.config import Checker, ConfigError, read_yaml
from .._core.dates import check_as_of
from .._core.levels import LEVELS, SEVERITY_RANK
from .formula import _STR, _filled
from .policy_config import GRADES, LimitInputError, check_columns_present, grade_ranks
from .review import DEFAULT_ACTION_POLICY_PATH, ReviewPolicy

__all__ = [
    "ActionPolicy",
    "ActionSpec",
    "ActionRule",
    "RuleAction",
    "Playbook",
    "ALERT_LEVELS",
    "load_action_policy",
    "customer_action_frame",
    "recommend_actions",
    "contingency_playbook",
]

#: alert levels, most severe first, with the severity number used in conditions
#: alert severity for the action rules' ``alert_severity``: 4 red ... 1 info (0: no alert)
ALERT_LEVELS = {level: len(LEVELS) - rank for level, rank in SEVERITY_RANK.items()}

_ACTION_COLUMNS = ["customer_id", "action", "priority", "owner", "due_days", "due_date", "reason", "triggered_by"]
_PLAYBOOK_COLUMNS = ["sequence", "customer_id", "action", "priority", "owner", "due_days", "due_date", "reason",
                     "triggered_by", "relation", "exposure"]


# --------------------------------------------------------------------------- policy objects
@dataclass(frozen=True)
class ActionSpec:
    """A catalogue entry: default owner, meaning, and the actions it overrides."""

    name: str
    owner: str
    description: str = ""
    supersedes: tuple = ()


@dataclass(frozen=True)
class RuleAction:
    """One action a rule (or a playbook step) recommends; ``reason`` may quote ``{column}``."""

    action: str
    owner: str
    priority: str
    due_days: int
    reason: str
    fields: tuple = ()


@dataclass(frozen=True)
class ActionRule:
    """A named condition and the actions it triggers."""

    name: str
    condition: Condition
    actions: tuple
    description: str = ""


@dataclass(frozen=True)
class Playbook:
    """Contingency steps: for each defaulted customer, and one for each linked customer."""

    defaulted: tuple
    linked: RuleAction
    by_relation: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ActionPolicy:
    """A validated risk-response policy (see ``riskkit/configs/action_policy.yaml``).

    Attributes
    ----------
    name : str
    owners : tuple of str
    priorities : tuple of str
        Most urgent first.
    catalogue : dict name -> ActionSpec
    rules : tuple of ActionRule
    playbook : Playbook or None
    review : ReviewPolicy or None
    source : str
    """

    name: str
    owners: tuple
    priorities: tuple
    catalogue: dict
    rules: tuple
    playbook: Playbook | None = None
    review: ReviewPolicy | None = None
    source: str = "<dict>"

    @property
    def columns(self) -> list[str]:
        """Columns the rule conditions and reasons read."""
        cols = [c for r in self.rules for c in r.condition.columns]
        cols += [f for r in self.rules for a in r.actions for f in a.fields]
        return list(dict.fromkeys(cols))

    @classmethod
    def from_dict(cls, config: Mapping, source: str = "<dict>") -> ActionPolicy:
        """Validate a config mapping (module docstring)."""
        top = Checker(source, "<top level>")
        config = top.mapping(config, "<top level>")
        top.only(config, {"name", "version", "description", "owners", "priorities", "actions", "rules",
                          "contingency", "review"})
        name = top.text(config.get("name", "action_policy"), "name")
        owners = tuple(top.text(o, f"owners[{i}]")
                       for i, o in enumerate(top.sequence(top.require(config, "owners"), "owners", min_len=1)))
        priorities = tuple(top.text(p, f"priorities[{i}]") for i, p in
                           enumerate(top.sequence(top.require(config, "priorities"), "priorities", min_len=1)))
        for fld, values in (("owners", owners), ("priorities", priorities)):
            if len(set(values)) != len(values):
                top.fail(fld, f"must be distinct, got {list(values)}")
        catalogue = _catalogue(top.require(config, "actions"), source, owners)
        rules = []
        raw_rules = top.sequence(top.require(config, "rules"), "rules", min_len=1)
        for i, raw in enumerate(raw_rules):
            entry = f"rules[{i}]"
            if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
                entry += f" ({raw['name']})"
            check = Checker(source, entry)
            raw = check.mapping(raw, "<entry>")
            check.only(raw, {"name", "description", "when", "then"})
            rule_name = check.text(check.require(raw, "name"), "name")
            try:
                condition = parse_condition(check.require(raw, "when"), "when")
            except ConditionError as exc:
                raise ConfigError(source, entry, exc.where, exc.problem) from None
            steps = check.sequence(check.require(raw, "then"), "then", min_len=1)
            actions = tuple(_rule_action(check, step, f"then[{j}]", catalogue, owners, priorities)
                            for j, step in enumerate(steps))
            rules.append(ActionRule(rule_name, condition, actions, str(raw.get("description", ""))))
        names = [r.name for r in rules]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            top.fail("rules", f"duplicate rule names {duplicated}")
        playbook = None
        if config.get("contingency") is not None:
            playbook = _playbook(config["contingency"], source, catalogue, owners, priorities)
        review = ReviewPolicy.from_dict(config["review"], source) if config.get("review") is not None else None
        return cls(name, owners, priorities, catalogue, tuple(rules), playbook, review, source)

    @classmethod
    def from_yaml(cls, path) -> ActionPolicy:
        config, source = read_yaml(path)
        return cls.from_dict(config, source)

    @classmethod
    def default(cls) -> ActionPolicy:
        """The default policy ``riskkit/configs/action_policy.yaml``."""
        return cls.from_yaml(DEFAULT_ACTION_POLICY_PATH)


def load_action_policy(policy=None) -> ActionPolicy:
    """An :class:`ActionPolicy` from None (the default), a policy, a YAML path or a mapping."""
    if policy is None:
        return ActionPolicy.default()
    if isinstance(policy, ActionPolicy):
        return policy
    if isinstance(policy, (str, Path)):
        return ActionPolicy.from_yaml(policy)
    if isinstance(policy, Mapping):
        return ActionPolicy.from_dict(policy)
    raise TypeError(f"policy must be None, an ActionPolicy, a YAML path or a mapping, got {type(policy).__name__}")


# --------------------------------------------------------------------------- parsing helpers
def _names(check: Checker, value, fld: str) -> tuple:
    return tuple(check.text(v, f"{fld}[{i}]") for i, v in enumerate(check.sequence(value, fld)))


def _catalogue(raw, source: str, owners: tuple) -> dict:
    top = Checker(source, "actions")
    raw = top.mapping(raw, "actions")
    if not raw:
        top.fail("<entries>", "the catalogue needs at least one action")
    catalogue = {}
    for name, spec in raw.items():
        check = Checker(source, f"actions.{name}")
        spec = check.mapping(spec, "<entry>")
        check.only(spec, {"owner", "description", "supersedes"})
        owner = check.choice(check.require(spec, "owner"), "owner", owners)
        supersedes = _names(check, spec.get("supersedes") or [], "supersedes")
        catalogue[str(name)] = ActionSpec(str(name), owner, str(spec.get("description", "")), supersedes)
    for name, spec in catalogue.items():
        check = Checker(source, f"actions.{name}")
        for other in spec.supersedes:
            if other not in catalogue:
                check.fail("supersedes", f"unknown action {other!r}; catalogue: {sorted(catalogue)}")
            if other == name:
                check.fail("supersedes", "an action cannot supersede itself")
    # a cycle (a supersedes b supersedes a) would remove both: refuse it
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]):
        state[node] = 1
        for nxt in catalogue[node].supersedes:
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                Checker(source, f"actions.{node}").fail("supersedes", f"supersedes cycle {' -> '.join(cycle)}")
            if state.get(nxt) is None:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in catalogue:
        if state.get(name) is None:
            visit(name, [name])
    return catalogue


def _template(check: Checker, text, fld: str) -> tuple[str, tuple]:
    text = check.text(text, fld)
    fields = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        check.fail(fld, f"bad placeholder in {text!r}: {exc}")
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            check.fail(fld, f"a placeholder must be a column name such as {{grade}}, got {{{name}}} in {text!r}")
        if conversion:
            check.fail(fld, f"conversions (!{conversion}) are not allowed in {text!r}")
        if spec and "{" in spec:
            check.fail(fld, f"nested placeholders are not allowed in {text!r}")
        fields.append(name)
    return text, tuple(dict.fromkeys(fields))


def _due_days(check: Checker, value, fld: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        check.fail(fld, f"must be a whole number of days >= 0, got {value!r}")
    return value


def _rule_action(check: Checker, raw, fld: str, catalogue: dict, owners: tuple, priorities: tuple,
                 allowed=("action", "owner", "priority", "due_days", "reason")) -> RuleAction:
    raw = check.mapping(raw, fld)
    check.only(raw, set(allowed), fld)
    for key in ("action", "priority", "due_days", "reason"):
        if raw.get(key) is None:
            check.fail(f"{fld}.{key}", "is required")
    action = raw["action"]
    if action not in catalogue:
        check.fail(f"{fld}.action", f"unknown action {action!r}; catalogue: {sorted(catalogue)}")
    owner = raw.get("owner", catalogue[action].owner)
    check.choice(owner, f"{fld}.owner", owners)
    priority = check.choice(raw["priority"], f"{fld}.priority", priorities)
    due_days = _due_days(check, raw["due_days"], f"{fld}.due_days")
    reason, fields = _template(check, raw["reason"], f"{fld}.reason")
    return RuleAction(action, owner, priority, due_days, reason, fields)


def _playbook(raw, source: str, catalogue: dict, owners: tuple, priorities: tuple) -> Playbook:
    check = Checker(source, "contingency")
    raw = check.mapping(raw, "contingency")
    check.only(raw, {"defaulted", "linked"})
    steps = check.sequence(check.require(raw, "defaulted"), "defaulted", min_len=1)
    defaulted = tuple(_rule_action(check, s, f"defaulted[{i}]", catalogue, owners, priorities)
                      for i, s in enumerate(steps))
    for step, i in zip(defaulted, range(len(defaulted))):
        if step.fields:
            check.fail(f"defaulted[{i}].reason", f"takes no placeholders, got {list(step.fields)}")
    linked_raw = check.mapping(check.require(raw, "linked"), "linked")
    by_relation_raw = check.mapping(linked_raw.get("by_relation") or {}, "linked.by_relation")
    linked = _rule_action(check, {k: v for k, v in linked_raw.items() if k != "by_relation"}, "linked", catalogue,
                          owners, priorities)
    bad = [f for f in linked.fields if f not in ("relation", "linked_to", "customer_id")]
    if bad:
        check.fail("linked.reason", f"may quote only {{relation}}, {{linked_to}} and {{customer_id}}, got {bad}")
    by_relation = {str(k): check.choice(v, f"linked.by_relation.{k}", priorities) for k, v in by_relation_raw.items()}
    return Playbook(defaulted, linked, by_relation)


# --------------------------------------------------------------------------- the customer frame
def _check_alerts(alerts: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    check_columns_present(alerts, ["customer_id", "rule", "level"], "alerts")
    levels = alerts["level"].astype(object)
    bad = ~levels.isin(list(ALERT_LEVELS))
    if bad.any():
        raise LimitInputError(f"alerts column 'level' has unknown level(s) {sorted(set(levels[bad].astype(str)))}; "
                              f"known: {list(ALERT_LEVELS)}")
    if alerts["rule"].isna().any() or alerts["customer_id"].isna().any():
        raise LimitInputError("alerts has rows without a customer_id or a rule")
    clash = sorted(set(alerts["rule"].astype(str)) & {"severity", "rules"})
    if clash:
        raise LimitInputError(f"alert rule name(s) {clash} would clash with the columns alert_severity / alert_rules")
    unknown = pd.Index(alerts["customer_id"].unique()).difference(index)
    if len(unknown):
        raise LimitInputError(f"alerts name {len(unknown)} customer(s) not in ratings, e.g. {unknown[:5].tolist()}")
    return alerts


def customer_action_frame(ratings: pd.DataFrame, alerts: pd.DataFrame | None = None, *,
                          limits: pd.DataFrame | None = None, alert_columns: Sequence[str] = (),
                          grades=GRADES) -> pd.DataFrame:
    """The per-customer frame the action rules read (columns in ``action_policy.yaml``).

    ``ratings`` columns plus ``grade_rank``, ``limit_breach``, ``n_alerts``,
    ``max_alert_level``, ``alert_severity``, ``alert_rules``, one boolean ``alert_<rule>``
    per alert rule present (and per name in ``alert_columns``), and ``recommended_limit``,
    ``limit_change``, ``limit_change_pct`` (the change as a share of the current limit;
    missing where there is no current limit), ``utilisation_recommended`` (ead /
    recommended limit) and ``limit_review_flag`` from ``limits`` (missing without it).
    """
    if not isinstance(ratings, pd.DataFrame):
        raise TypeError(f"ratings must be a DataFrame indexed by customer_id, got {type(ratings).__name__}")
    check_columns_present(ratings, ["grade"], "ratings")
    if not ratings.index.is_unique:
        dup = ratings.index[ratings.index.duplicated()].unique()[:5].tolist()
        raise LimitInputError(f"ratings has duplicated customer ids, e.g. {dup}")
    frame = ratings.copy()
    frame["grade_rank"] = grade_ranks(ratings["grade"], grades, what="ratings column 'grade'")
    if "utilisation" in frame.columns:
        frame["limit_breach"] = (frame["utilisation"].astype(float) > 1).fillna(False).to_numpy(dtype=bool)
    else:
        frame["limit_breach"] = False
    n = len(frame)
    frame["n_alerts"] = 0
    frame["max_alert_level"] = pd.Series([None] * n, index=frame.index, dtype=object)
    frame["alert_severity"] = 0
    frame["alert_rules"] = pd.Series([None] * n, index=frame.index, dtype=object)
    if alerts is not None and len(alerts):
        alerts = _check_alerts(alerts, frame.index)
        severity = alerts["level"].astype(object).map(ALERT_LEVELS).astype(int)
        by_customer = alerts.assign(_severity=severity.to_numpy()).groupby("customer_id")
        worst = by_customer["_severity"].max()
        frame["n_alerts"] = by_customer.size().reindex(frame.index, fill_value=0).astype(int)
        frame["alert_severity"] = worst.reindex(frame.index, fill_value=0).astype(int)
        by_severity = {v: k for k, v in ALERT_LEVELS.items()}
        frame["max_alert_level"] = worst.map(by_severity).reindex(frame.index).astype(object)
        rules = alerts[["customer_id", "rule"]].astype(str).drop_duplicates().sort_values(["customer_id", "rule"])
        names = rules.drop_duplicates("customer_id", keep=False).set_index("customer_id")["rule"]
        several = rules["customer_id"].duplicated(keep=False).to_numpy()
        if several.any():
            names = pd.concat([names, rules.loc[several].groupby("customer_id")["rule"].agg(", ".join)])
        frame["alert_rules"] = names.reindex(frame.index).astype(object)
        has = pd.crosstab(alerts["customer_id"], alerts["rule"]).reindex(frame.index, fill_value=0) > 0
        for rule in has.columns:
            frame[f"alert_{rule}"] = has[rule].to_numpy(dtype=bool)
    for column in alert_columns:
        if column not in frame.columns:
            frame[column] = False
    frame["recommended_limit"] = np.nan
    frame["limit_change"] = np.nan
    frame["limit_change_pct"] = np.nan
    frame["utilisation_recommended"] = np.nan
    frame["limit_review_flag"] = False
    if limits is not None:
        if not isinstance(limits, pd.DataFrame):
            raise TypeError(f"limits must be a DataFrame (recommend_limits output), got {type(limits).__name__}")
        check_columns_present(limits, ["recommended_limit"], "limits")
        extra = limits.index.difference(frame.index)
        if len(extra):
            raise LimitInputError(f"limits has {len(extra)} customer(s) not in ratings, e.g. {extra[:5].tolist()}")
        rec = limits["recommended_limit"].reindex(frame.index).astype(float)
        frame["recommended_limit"] = rec
        current = frame["credit_limit"].astype(float) if "credit_limit" in frame.columns else (
            limits["current_limit"].reindex(frame.index).astype(float) if "current_limit" in limits.columns else np.nan)
        frame["limit_change"] = rec - current
        # relative change, so that a policy can ignore immaterial moves of the model limit
        frame["limit_change_pct"] = safe_divide((rec - current).to_numpy(dtype=float, na_value=np.nan),
                                                np.asarray(current, dtype=float))
        if "ead" in frame.columns:
            # would the customer be over the recommended limit? (NaN where that limit is 0 or missing)
            frame["utilisation_recommended"] = safe_divide(frame["ead"].to_numpy(dtype=float, na_value=np.nan),
                                                           rec.to_numpy(dtype=float, na_value=np.nan))
        if "review_flag" in limits.columns:
            frame["limit_review_flag"] = limits["review_flag"].reindex(frame.index).astype("boolean").fillna(
                False).to_numpy(dtype=bool)
    return frame


def _render(template: str, frame: pd.DataFrame, source: str, entry: str, fld: str) -> np.ndarray:
    """Fill ``{column}`` / ``{column:spec}`` placeholders row by row of ``frame`` (missing: n/a).

    Returns a StringDType array; each distinct value of a column is formatted once.
    """
    out = _filled(len(frame), "")
    for literal, name, spec, _ in string.Formatter().parse(template):
        if literal:
            out = np.strings.add(out, literal)
        if name is None:
            continue
        if name not in frame.columns:
            raise ConfigError(source, entry, fld, f"placeholder {{{name}}}: column {name!r} is not in the "
                                                  f"customer frame")
        codes, uniques = pd.factorize(frame[name], use_na_sentinel=True)
        try:
            texts = np.array([format(v, spec) for v in uniques] + ["n/a"], dtype=_STR)
        except (ValueError, TypeError) as exc:
            raise ConfigError(source, entry, fld, f"placeholder {{{name}:{spec}}}: {exc}") from None
        out = np.strings.add(out, texts[codes])     # code -1 (missing) picks the trailing "n/a"
    return out


# --------------------------------------------------------------------------- recommend_actions
def recommend_actions(ratings: pd.DataFrame, alerts: pd.DataFrame | None = None, policy=None, *,
                      limits: pd.DataFrame | None = None, as_of=None) -> pd.DataFrame:
    """Actions for every customer from the rules of an action policy.

    Every rule whose condition holds for a customer applies (not only the first).  When
    several rules ask for the same action for a customer, the most urgent request is kept
    (then the shortest ``due_days``, then the first rule) and ``triggered_by`` lists every
    rule that asked, most urgent first.  An action then removes, for the same customer, the
    actions its catalogue entry ``supersedes`` (e.g. ``stop_shipping`` removes
    ``offer_preferential_terms``).

    Parameters
    ----------
    ratings : DataFrame
        Indexed by ``customer_id`` (``assess_portfolio``), at least ``grade``; the columns the
        policy's conditions and reasons use.
    alerts : DataFrame, optional
        One row per alert: ``customer_id``, ``rule``, ``level`` (red, orange, yellow, info).
    policy : ActionPolicy, path, mapping or None
        Default ``riskkit/configs/action_policy.yaml``.
    limits : DataFrame, optional
        :func:`recommend_limits` output (``recommended_limit``, ``review_flag``).
    as_of : date-like, optional
        When given, ``due_date = as_of + due_days``; else ``due_date`` is NaT.

    Returns
    -------
    DataFrame with columns ``customer_id``, ``action``, ``priority``, ``owner``, ``due_days``,
    ``due_date``, ``reason``, ``triggered_by``; sorted by priority (most urgent first), due
    days, customer, action.

    Raises
    ------
    ConfigError
        A bad policy, or a condition/reason naming a column absent from the customer frame
        (names the rule and the field).
    """
    policy = load_action_policy(policy)
    as_of = check_as_of(as_of) if as_of is not None else None
    alert_columns = [c for c in policy.columns if c.startswith("alert_") and c not in
                     ("alert_severity", "alert_rules")]
    frame = customer_action_frame(ratings, alerts, limits=limits, alert_columns=alert_columns)
    actions = sorted(policy.catalogue)          # codes in alphabetical order
    action_code = {a: i for i, a in enumerate(actions)}
    priority_code = {p: i for i, p in enumerate(policy.priorities)}
    owner_code = {o: i for i, o in enumerate(policy.owners)}
    parts: dict[str, list] = {key: [] for key in ("customer", "action", "rank", "due_days", "rule", "owner",
                                                   "reason")}
    for i, rule in enumerate(policy.rules):
        entry = f"rules[{i}] ({rule.name})"
        absent = [c for c in rule.condition.columns if c not in frame.columns]
        if absent:
            raise ConfigError(policy.source, entry, "when", f"column(s) {absent} are not in the customer frame; "
                                                            f"available: {sorted(map(str, frame.columns))}")
        try:
            hit = rule.condition.evaluate(frame)
        except (TypeError, KeyError) as exc:
            raise ConfigError(policy.source, entry, "when", str(exc)) from None
        if not hit.any():
            continue
        hit_rows = np.flatnonzero(hit)
        rows = frame.iloc[hit_rows]
        for j, act in enumerate(rule.actions):
            k = len(hit_rows)
            parts["customer"].append(hit_rows)
            parts["action"].append(np.full(k, action_code[act.action]))
            parts["rank"].append(np.full(k, priority_code[act.priority]))
            parts["due_days"].append(np.full(k, act.due_days))
            parts["rule"].append(np.full(k, i))
            parts["owner"].append(np.full(k, owner_code[act.owner]))
            parts["reason"].append(_render(act.reason, rows, policy.source, entry, f"then[{j}].reason"))
    if not parts["customer"]:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in _ACTION_COLUMNS})
        out["due_days"] = out["due_days"].astype("int64")
        out["due_date"] = pd.Series(dtype="datetime64[ns]")
        return out
    cols = {key: np.concatenate(values) for key, values in parts.items()}
    # sort by customer, action, then most urgent, soonest, first rule: the first row of each
    # (customer, action) group is the request that is kept
    order = np.lexsort((cols["rule"], cols["due_days"], cols["rank"], cols["action"], cols["customer"]))
    cols = {key: values[order] for key, values in cols.items()}
    cust, act = cols["customer"], cols["action"]
    new_group = np.r_[True, (cust[1:] != cust[:-1]) | (act[1:] != act[:-1])]
    group = np.cumsum(new_group) - 1
    first = np.flatnonzero(new_group)
    triggered = _join_rule_names(group, cols["rule"], np.array([r.name for r in policy.rules], dtype=_STR),
                                 len(first))
    kept = {key: values[first] for key, values in cols.items()}
    # superseded actions go only where the superseding action is kept for the same customer
    has = np.zeros((len(frame), len(actions)), dtype=bool)
    has[kept["customer"], kept["action"]] = True
    drop = np.zeros(len(first), dtype=bool)
    for name, spec in policy.catalogue.items():
        if spec.supersedes:
            superseded = np.isin(kept["action"], [action_code[a] for a in spec.supersedes])
            drop |= has[kept["customer"], action_code[name]] & superseded
    keep = ~drop
    kept = {key: values[keep] for key, values in kept.items()}
    triggered = triggered[keep]
    # customers in the order of their ids' text, actions alphabetically (their codes)
    ids = frame.index.to_numpy(dtype=object)
    id_rank = np.empty(len(ids), dtype=np.int64)
    id_rank[np.argsort(ids.astype(str), kind="stable")] = np.arange(len(ids))
    final = np.lexsort((kept["action"], id_rank[kept["customer"]], kept["due_days"], kept["rank"]))
    kept = {key: values[final] for key, values in kept.items()}
    due_days = kept["due_days"].astype(np.int64)
    if as_of is not None:
        due_date = (as_of + pd.to_timedelta(due_days, unit="D")).astype("datetime64[ns]")
    else:
        due_date = np.full(len(due_days), np.datetime64("NaT"), dtype="datetime64[ns]")
    # text columns stay object: inferring pandas' pyarrow "str" dtype would cost more than the work
    return pd.DataFrame({
        "customer_id": pd.Series(ids[kept["customer"]], dtype=object),
        "action": pd.Series(np.asarray(actions, dtype=object)[kept["action"]], dtype=object),
        "priority": pd.Series(np.asarray(policy.priorities, dtype=object)[kept["rank"]], dtype=object),
        "owner": pd.Series(np.asarray(policy.owners, dtype=object)[kept["owner"]], dtype=object),
        "due_days": due_days,
        "due_date": pd.Series(due_date, dtype="datetime64[ns]"),
        "reason": pd.Series(kept["reason"].astype(object), dtype=object),
        "triggered_by": pd.Series(triggered[final].astype(object), dtype=object),
    })[_ACTION_COLUMNS]


def _join_rule_names(group: np.ndarray, rule: np.ndarray, names: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group (rows sorted by group), the distinct rule names in row order joined by ", "."""
    n_rules = len(names)
    keep = np.sort(np.unique(group * n_rules + rule, return_index=True)[1])
    g, r = group[keep], rule[keep]
    within = np.arange(len(g)) - np.searchsorted(g, g, side="left")
    table = _filled(n_groups * int(within.max() + 1), "").reshape(n_groups, -1)
    table[g, within] = names[r]
    joined = table[:, 0].copy()
    for k in range(1, table.shape[1]):
        more = table[:, k] != ""
        joined[more] = np.strings.add(np.strings.add(joined[more], ", "), table[more, k])
    return joined


# --------------------------------------------------------------------------- contingency playbook
def _exposure_series(exposures) -> pd.Series | None:
    if exposures is None:
        return None
    if isinstance(exposures, pd.DataFrame):
        check_columns_present(exposures, ["ead"], "exposures")
        exposures = exposures["ead"]
    elif isinstance(exposures, Mapping):
        exposures = pd.Series(dict(exposures), dtype=float)
    if not isinstance(exposures, pd.Series):
        raise TypeError(f"exposures must be a Series customer_id -> amount, a mapping or a DataFrame with 'ead', "
                        f"got {type(exposures).__name__}")
    if not exposures.index.is_unique:
        raise LimitInputError("exposures has duplicated customer ids")
    if not pd.api.types.is_numeric_dtype(exposures.dtype):
        raise LimitInputError(f"exposures must be numeric, got dtype {exposures.dtype}")
    return exposures.astype(float)


def contingency_playbook(defaulted, linked_parties: pd.DataFrame, exposures=None, policy=None, *,
                         as_of=None) -> pd.DataFrame:
    """The contingency plan (应急预案) after defaults: steps for each defaulted customer and
    one review step for each customer linked to them.

    Parameters
    ----------
    defaulted : sequence of str
        Customer ids that defaulted (or whose default must be handled, e.g. a linked
        party's).  Repeated ids count once.
    linked_parties : DataFrame
        Columns ``customer_id`` (the defaulted party), ``linked_id`` (the party to review),
        ``relation`` (e.g. guarantee, control, shareholding, supply), extra columns allowed;
        supplied by the caller (e.g. computed by :mod:`riskkit.graph`).  Only rows whose
        ``customer_id`` is in ``defaulted`` are used; give both directions for symmetric
        links.
    exposures : Series, mapping or DataFrame, optional
        ``customer_id -> exposure`` (a DataFrame needs an ``ead`` column), used to order.
    policy : ActionPolicy, path, mapping or None
        Its ``contingency`` section (default ``action_policy.yaml``).
    as_of : date-like, optional
        Gives ``due_date = as_of + due_days``.

    Returns
    -------
    DataFrame with ``sequence`` (1, 2, ...), ``customer_id``, ``action``, ``priority``,
    ``owner``, ``due_days``, ``due_date``, ``reason``, ``triggered_by`` (the defaulted
    id(s)), ``relation`` and ``exposure``.  First the defaulted customers' steps (largest
    exposure first, the playbook's order within a customer), then one step per linked
    customer not itself defaulted (largest exposure first, then priority, then id; its
    relations to every defaulted party in the reason, the most urgent relation's priority).
    """
    policy = load_action_policy(policy)
    if policy.playbook is None:
        Checker(policy.source, "<top level>").fail("contingency", "the policy has no contingency playbook")
    book = policy.playbook
    as_of = check_as_of(as_of) if as_of is not None else None
    if isinstance(defaulted, str) or not isinstance(defaulted, (Sequence, pd.Index, np.ndarray, pd.Series, set)):
        raise TypeError(f"defaulted must be a list of customer ids, got {type(defaulted).__name__} {defaulted!r}")
    ids = list(dict.fromkeys(defaulted))
    bad = [d for d in ids if not isinstance(d, str)]
    if bad:
        raise LimitInputError(f"defaulted must hold customer ids as strings, got {bad[:5]}")
    if not isinstance(linked_parties, pd.DataFrame):
        raise TypeError(f"linked_parties must be a DataFrame, got {type(linked_parties).__name__}")
    check_columns_present(linked_parties, ["customer_id", "linked_id", "relation"], "linked_parties")
    if linked_parties[["customer_id", "linked_id", "relation"]].isna().any().any():
        raise LimitInputError("linked_parties has rows with a missing customer_id, linked_id or relation")
    exposure = _exposure_series(exposures)
    rank = {p: i for i, p in enumerate(policy.priorities)}

    def exposure_of(keys) -> np.ndarray:
        if exposure is None:
            return np.full(len(keys), np.nan)
        return exposure.reindex(pd.Index(keys, dtype=object)).to_numpy(dtype=float)

    # --- defaulted customers: largest exposure first (NaN last), then id; the playbook's order within
    d_exp = exposure_of(ids)
    order = np.lexsort((np.asarray(ids, dtype=object).astype(str), np.where(np.isnan(d_exp), np.inf, -d_exp)))
    steps = book.defaulted
    d_ids = np.repeat(np.asarray(ids, dtype=object)[order], len(steps))
    first = pd.DataFrame({
        "customer_id": d_ids,
        "action": np.tile([s.action for s in steps], len(ids)),
        "priority": np.tile([s.priority for s in steps], len(ids)),
        "owner": np.tile([s.owner for s in steps], len(ids)),
        "due_days": np.tile([s.due_days for s in steps], len(ids)).astype(np.int64),
        "reason": np.tile(np.asarray([s.reason for s in steps], dtype=object), len(ids)),
        "triggered_by": d_ids,
        "relation": pd.Series([None] * len(d_ids), dtype=object).to_numpy(),
        "exposure": np.repeat(d_exp[order], len(steps)),
    })
    # --- linked customers not themselves defaulted: one review each
    links = linked_parties.loc[linked_parties["customer_id"].isin(ids) & ~linked_parties["linked_id"].isin(ids)]
    links = links.astype({"customer_id": str, "linked_id": str, "relation": str})
    links = links.drop_duplicates(["customer_id", "linked_id", "relation"])
    relation_priority = links["relation"].map(lambda r: book.by_relation.get(r, book.linked.priority))
    links = links.assign(priority_rank=relation_priority.map(rank).astype(np.int64))
    links = links.sort_values(["linked_id", "priority_rank", "customer_id", "relation"], kind="stable")
    context = links.rename(columns={"customer_id": "linked_to"}).assign(customer_id=links["linked_id"])
    links = links.assign(reason=_render(book.linked.reason, context, policy.source, "contingency",
                                        "linked.reason").astype(object))
    grouped = links.groupby("linked_id", sort=False)
    joined = {"reason": "; ", "customer_id": ", ", "relation": ", "}
    per_linked = pd.DataFrame({
        "priority_rank": grouped["priority_rank"].min(),
        **{name: grouped[name].agg(lambda s, sep=sep: sep.join(dict.fromkeys(s))) for name, sep in joined.items()},
    })
    per_linked["exposure"] = exposure_of(per_linked.index.tolist())
    key = np.lexsort((per_linked.index.to_numpy(dtype=object).astype(str), per_linked["priority_rank"].to_numpy(),
                      np.where(np.isnan(per_linked["exposure"]), np.inf, -per_linked["exposure"].to_numpy())))
    per_linked = per_linked.iloc[key]
    second = pd.DataFrame({
        "customer_id": per_linked.index.to_numpy(dtype=object),
        "action": book.linked.action,
        "priority": np.asarray(policy.priorities, dtype=object)[per_linked["priority_rank"].to_numpy()],
        "owner": book.linked.owner,
        "due_days": np.full(len(per_linked), book.linked.due_days, dtype=np.int64),
        "reason": per_linked["reason"].to_numpy(dtype=object),
        "triggered_by": per_linked["customer_id"].to_numpy(dtype=object),
        "relation": per_linked["relation"].to_numpy(dtype=object),
        "exposure": per_linked["exposure"].to_numpy(dtype=float),
    })
    out = pd.concat([first, second], ignore_index=True) if len(second) else first
    out.insert(0, "sequence", np.arange(1, len(out) + 1, dtype=np.int64))
    out["due_days"] = out["due_days"].astype("int64")
    out["exposure"] = out["exposure"].astype(float)
    if as_of is not None:
        out["due_date"] = (as_of + pd.to_timedelta(out["due_days"], unit="D")).astype("datetime64[ns]")
    else:
        out["due_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    return out[_PLAYBOOK_COLUMNS]
