"""The one YAML config reader and field checker of the kit.

Every YAML config (expert scorecard, rating rules, master scale, validation thresholds,
limit policy, action policy, monitoring rules) is read by :func:`read_yaml` and checked field
by field with a :class:`Checker`, so every bad config raises a :class:`ConfigError` whose
message reads ``<file>: <entry>: field '<field>': <problem>``.

Parsing (:func:`parse_yaml`) uses a subclass of PyYAML's ``SafeLoader`` (plain data only:
no Python objects) that also refuses what ``yaml.safe_load`` lets through:

* a **duplicate key** in one mapping (``safe_load`` keeps the last one silently); the error
  names the line and the key (``<file>: line <n>: field '<key>': duplicate key ...``);
  a key given again after a merge (``<<: *base``) is an override, not a duplicate;
* **alias expansion** beyond :data:`MAX_EXPANDED_NODES` nodes (a "billion laughs" document:
  a few lines whose aliases expand to billions of values; PyYAML shares the aliased
  objects, but any code walking the result would expand them).  The expanded size is
  counted on the composed node graph, once per distinct node, before anything is
  constructed, so such a document fails in milliseconds; a recursive alias is refused too;
* nesting deeper than :data:`MAX_NESTING` levels of lists/mappings (PyYAML's scanner takes
  time quadratic in the nesting depth: 2,000 levels take seconds, 100,000 would take hours),
  refused by the scanner as soon as the limit is crossed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from pathlib import Path

import yaml

from .errors import RiskkitError

__all__ = ["ConfigError", "CONFIG_DIR", "MAX_EXPANDED_NODES", "MAX_NESTING", "parse_yaml", "read_yaml", "Checker"]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"

#: the most YAML nodes (scalars, lists, mappings) a document may expand to, aliases
#: counted at every use; the kit's largest config has a few hundred
MAX_EXPANDED_NODES = 100_000
#: the deepest nesting of lists/mappings (flow ``[ {`` or block indentation) a document may have
MAX_NESTING = 200


class ConfigError(RiskkitError, ValueError):
    """A YAML config (or a mapping standing for one) is invalid.

    The message reads ``<file>: <entry>: field '<field>': <problem>``.

    Attributes
    ----------
    source, entry, field, problem : str
    """

    def __init__(self, source: str, entry: str, field: str, problem: str):
        self.source = source
        self.entry = entry
        self.field = field
        self.problem = problem
        super().__init__(f"{source}: {entry}: field '{field}': {problem}")


class _Refused(yaml.YAMLError):
    """A document the strict loader refuses: ``entry``, ``field`` and ``problem`` for the ConfigError."""

    def __init__(self, entry: str, field: str, problem: str):
        super().__init__(f"{entry}: {field}: {problem}")
        self.entry, self.field, self.problem = entry, field, problem


def _line(node) -> str:
    return f"line {node.start_mark.line + 1}"


class _StrictSafeLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses duplicate mapping keys and oversized alias expansion."""

    def _refuse_nesting(self, what: str, level: int) -> None:
        if level >= MAX_NESTING:
            mark = self.get_mark()
            raise _Refused(f"line {mark.line + 1}", "<nesting>",
                           f"{what} nested deeper than {MAX_NESTING} levels")

    def fetch_flow_collection_start(self, TokenClass):
        self._refuse_nesting("lists/mappings", self.flow_level)
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column):
        self._refuse_nesting("indented blocks", len(self.indents))
        return super().add_indent(column)

    def get_single_node(self):
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node)
        return node

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # '<<: *base' merges; a key repeated after it overrides the base
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    continue  # an unhashable key: the base class reports it
                if first is not key_node:
                    raise _Refused(_line(key_node), str(key),
                                   f"duplicate key (first given at {_line(first)}); each key may appear "
                                   "once in a mapping")
        return super().construct_mapping(node, deep=deep)


def _check_expansion(root) -> None:
    """Refuse a node graph that expands to more than MAX_EXPANDED_NODES nodes, or a cycle.

    ``size(node) = 1 + sum(size(child))`` with each distinct node's size computed once
    (aliases make the composed graph a DAG whose tree expansion may be exponential);
    iterative, so deep nesting cannot exhaust the stack here.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            total = 1 + sum(size[id(c)] for c in _children(node))
            if total > MAX_EXPANDED_NODES:
                raise _Refused(_line(node), "<aliases>",
                               f"the document expands to more than {MAX_EXPANDED_NODES:,} values "
                               "through aliases (*name); write the values out or shorten the config")
            size[key] = total
            continue
        if key in size:
            continue
        if key in on_path:
            raise _Refused(_line(node), "<aliases>", "an alias refers to a node that contains it (recursive)")
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise _Refused(_line(child), "<aliases>",
                               "an alias refers to a node that contains it (recursive)")
            if id(child) not in size:
                stack.append((child, False))


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def parse_yaml(text: str, source: str = "<text>"):
    """Parse YAML text with the kit's strict safe loader; any problem is a :class:`ConfigError`.

    Refused (see the module docstring): invalid YAML, duplicate keys, alias expansion beyond
    :data:`MAX_EXPANDED_NODES` values, recursive aliases, nesting deeper than the recursion limit.
    """
    try:
        return yaml.load(text, Loader=_StrictSafeLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as exc:
        raise ConfigError(source, exc.entry, exc.field, exc.problem) from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, "<file>", "<yaml>", f"not valid YAML: {exc}") from None
    except RecursionError:
        raise ConfigError(source, "<file>", "<yaml>", "nested too deeply to read") from None


def read_yaml(path) -> tuple[dict, str]:
    """Parse a YAML file with :func:`parse_yaml`; return (mapping, source name)."""
    file = Path(path)
    source = str(file)
    if not file.is_file():
        raise FileNotFoundError(f"config file not found: {file}")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, "<file>", "<encoding>", f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    data = parse_yaml(text, source)
    if not isinstance(data, Mapping):
        raise ConfigError(source, "<file>", "<top level>", f"must be a mapping, got {type(data).__name__}")
    return dict(data), source


class Checker:
    """Field checks that raise :class:`ConfigError` naming source and entry."""

    def __init__(self, source: str, entry: str):
        self.source = source
        self.entry = entry

    @classmethod
    def for_item(cls, source: str, field: str, position: int, raw) -> tuple["Checker", dict]:
        """A checker for item ``position`` of the list ``field`` and the item as a mapping.

        The entry reads ``<field>[<position>]``, followed by ``(<name>)`` when the item
        has a text ``name``, so every config names its list items the same way.
        """
        entry = f"{field}[{position}]"
        if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
            entry += f" ({raw['name']})"
        check = cls(source, entry)
        return check, check.mapping(raw, "<entry>")

    def fail(self, field: str, problem: str):
        raise ConfigError(self.source, self.entry, field, problem)

    def mapping(self, value, field: str) -> dict:
        if not isinstance(value, Mapping):
            self.fail(field, f"must be a mapping, got {type(value).__name__}")
        return dict(value)

    def only(self, data: Mapping, allowed, field: str = "<keys>") -> None:
        unknown = sorted(set(map(str, data)) - set(allowed))
        if unknown:
            self.fail(unknown[0] if len(unknown) == 1 else field,
                      f"unknown field(s) {unknown}; allowed: {sorted(allowed)}")

    def require(self, data: Mapping, field: str):
        if field not in data or data[field] is None:
            self.fail(field, "is required")
        return data[field]

    def number(self, value, field: str, *, lo=None, hi=None, allow_inf: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, Real):
            self.fail(field, f"must be a number, got {value!r}")
        value = float(value)
        if math.isnan(value) or (math.isinf(value) and not allow_inf):
            self.fail(field, f"must be a finite number, got {value!r}")
        if lo is not None and value < lo:
            self.fail(field, f"must be >= {lo}, got {value!r}")
        if hi is not None and value > hi:
            self.fail(field, f"must be <= {hi}, got {value!r}")
        return value

    def text(self, value, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(field, f"must be a non-empty string, got {value!r}")
        return value

    def choice(self, value, field: str, choices) -> str:
        if value not in choices:
            self.fail(field, f"must be one of {list(choices)}, got {value!r}")
        return value

    def sequence(self, value, field: str, *, min_len: int = 0) -> list:
        if not isinstance(value, (list, tuple)):
            self.fail(field, f"must be a list, got {type(value).__name__}")
        if len(value) < min_len:
            self.fail(field, f"must have at least {min_len} item(s), got {len(value)}")
        return list(value)
