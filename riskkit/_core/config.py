"""The one YAML config reader and field checker of the kit.

Every YAML config (expert scorecard, rating rules, master scale, validation thresholds,
limit policy, action policy, monitoring rules) is read by :func:`read_yaml` with
``yaml.safe_load`` (duplicate keys are not refused yet: the last one wins) and checked field by
field with a :class:`Checker`, so every bad config raises a :class:`ConfigError` whose
message reads ``<file>: <entry>: field '<field>': <problem>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from pathlib import Path

import yaml

from .errors import RiskkitError

__all__ = ["ConfigError", "CONFIG_DIR", "read_yaml", "Checker"]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


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


def read_yaml(path) -> tuple[dict, str]:
    """Parse a YAML file with ``yaml.safe_load``; return (mapping, source name)."""
    file = Path(path)
    source = str(file)
    if not file.is_file():
        raise FileNotFoundError(f"config file not found: {file}")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(source, "<file>", "<yaml>", f"not valid YAML: {exc}") from None
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
