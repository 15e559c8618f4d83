"""A safe condition language over DataFrame columns (for rating and monitoring rules).

Conditions are data, never code.  Two equivalent spellings are accepted:

Structured (YAML mappings)::

    {column: state_ownership_pct, op: ">", value: 80}
    {column: ownership_type, op: in, value: [central_soe, local_soe]}
    {column: altman_z, op: is_null}
    {all: [cond, cond, ...]}     {any: [cond, ...]}     {not: cond}

Expression strings, parsed with :mod:`ast` against a whitelist (comparisons, ``and``,
``or``, ``not``, ``in``, ``not in``, ``is None``, ``is not None``, column names and
literal numbers/strings/lists; no calls, attributes, subscripts or arithmetic, and
nothing is ever evaluated by Python)::

    "ownership_type == 'central_soe' and state_ownership_pct > 80"
    "0 < leverage <= 0.9 or altman_z is None"

A condition may nest at most :data:`MAX_DEPTH` levels of ``all``/``any``/``not`` (in either
spelling); a deeper one is refused with a :class:`ConditionError` naming the depth, never
Python's ``RecursionError``.

Semantics: a comparison involving a missing value is False (use ``is_null`` /
``is None`` to test for missing); ``not`` negates the boolean result.  Everything is
evaluated vectorised over the rows of a DataFrame.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from .errors import RiskkitError

__all__ = ["Condition", "parse_condition", "ConditionError", "OPERATORS", "MAX_DEPTH"]

#: the deepest nesting of all/any/not a condition may have (real rules use two or three)
MAX_DEPTH = 32

OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "not_null")
_ORDERING = ("<", "<=", ">", ">=")
_AST_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
            ast.In: "in", ast.NotIn: "not_in"}
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class ConditionError(RiskkitError, ValueError):
    """A condition cannot be parsed; ``where`` says which part of it."""

    def __init__(self, where: str, problem: str):
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Condition:
    """A parsed condition tree: a leaf (column, op, value) or all/any/not of children."""

    kind: str  # "leaf", "all", "any", "not"
    column: str | None = None
    op: str | None = None
    value: object = None
    children: tuple["Condition", ...] = ()

    @property
    def columns(self) -> list[str]:
        if self.kind == "leaf":
            return [self.column]
        return list(dict.fromkeys(c for child in self.children for c in child.columns))

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean mask over the rows of ``frame``."""
        if self.kind == "all":
            out = np.ones(len(frame), dtype=bool)
            for child in self.children:
                out &= child.evaluate(frame)
            return out
        if self.kind == "any":
            out = np.zeros(len(frame), dtype=bool)
            for child in self.children:
                out |= child.evaluate(frame)
            return out
        if self.kind == "not":
            return ~self.children[0].evaluate(frame)
        return self._leaf(frame)

    def _leaf(self, frame: pd.DataFrame) -> np.ndarray:
        if self.column not in frame.columns:
            raise KeyError(f"condition refers to column {self.column!r}, which is absent")
        values = frame[self.column]
        present = values.notna().to_numpy()
        if self.op == "is_null":
            return ~present
        if self.op == "not_null":
            return present
        if self.op in ("in", "not_in"):
            options = list(self.value)
            numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
            if numeric:
                text = [v for v in options if not _is_number(v)]
                if text:
                    # a YAML list of quoted numbers would otherwise never match, silently
                    raise TypeError(f"condition '{self.column} {self.op} {options!r}': column {self.column!r} is "
                                    f"numeric but the options {text!r} are not numbers")
                hit = values.isin(options).to_numpy()
            else:
                hit = values.astype("str").isin([str(v) for v in options]).to_numpy()
            hit = hit & present
            return hit if self.op == "in" else (~hit & present)
        target = self.value
        if pd.api.types.is_bool_dtype(values.dtype) or isinstance(target, bool):
            if not (pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype)):
                raise TypeError(f"condition '{self.column} {self.op} {target!r}': column {self.column!r} is not "
                                f"boolean or 0/1 (dtype {values.dtype})")
            # missing rows are excluded by `present` below; fill them so the cast is defined
            data = values.astype("boolean").fillna(False).to_numpy(dtype=bool)
            result = _compare(data, self.op, bool(target) if isinstance(target, bool) else target)
        elif _is_number(target):
            if not pd.api.types.is_numeric_dtype(values.dtype):
                raise TypeError(
                    f"condition '{self.column} {self.op} {target!r}': column {self.column!r} is not numeric "
                    f"(dtype {values.dtype})"
                )
            result = _compare(values.to_numpy(dtype=float, na_value=np.nan), self.op, float(target))
        else:
            if self.op in _ORDERING:
                raise TypeError(f"condition '{self.column} {self.op} {target!r}': ordering needs a number")
            if pd.api.types.is_numeric_dtype(values.dtype):
                raise TypeError(f"condition '{self.column} {self.op} {target!r}': column {self.column!r} is "
                                f"numeric; compare it with a number, not the text {target!r}")
            result = _compare(values.astype("str").to_numpy(dtype=object), self.op, str(target))
        return np.asarray(result, dtype=bool) & present

    def to_dict(self):
        if self.kind == "leaf":
            out = {"column": self.column, "op": self.op}
            if self.op not in ("is_null", "not_null"):
                out["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
            return out
        if self.kind == "not":
            return {"not": self.children[0].to_dict()}
        return {self.kind: [c.to_dict() for c in self.children]}

    def __str__(self) -> str:
        if self.kind == "leaf":
            if self.op in ("is_null", "not_null"):
                return f"{self.column} {'is None' if self.op == 'is_null' else 'is not None'}"
            op = {"not_in": "not in"}.get(self.op, self.op)
            value = list(self.value) if isinstance(self.value, tuple) else self.value
            return f"{self.column} {op} {value!r}"
        if self.kind == "not":
            return f"not ({self.children[0]})"
        joiner = " and " if self.kind == "all" else " or "
        return "(" + joiner.join(str(c) for c in self.children) + ")"


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _compare(values: np.ndarray, op: str, target):
    with np.errstate(invalid="ignore"):
        if op == "==":
            return values == target
        if op == "!=":
            return values != target
        if op == "<":
            return values < target
        if op == "<=":
            return values <= target
        if op == ">":
            return values > target
        return values >= target


def _leaf(column, op, value, where) -> Condition:
    if not isinstance(column, str) or not column:
        raise ConditionError(where, f"'column' must be a non-empty string, got {column!r}")
    if op not in OPERATORS:
        raise ConditionError(where, f"unknown operator {op!r}; allowed: {list(OPERATORS)}")
    if op in ("is_null", "not_null"):
        return Condition("leaf", column=column, op=op)
    if op in ("in", "not_in"):
        if not isinstance(value, (list, tuple)) or not value:
            raise ConditionError(where, f"operator {op!r} needs a non-empty list 'value', got {value!r}")
        for v in value:
            if not (isinstance(v, (str, bool)) or _is_number(v)):
                raise ConditionError(where, f"list values must be numbers or strings, got {v!r}")
        return Condition("leaf", column=column, op=op, value=tuple(value))
    if not (isinstance(value, (str, bool)) or _is_number(value)):
        raise ConditionError(where, f"'value' must be a number, string or boolean, got {value!r}")
    if op in _ORDERING and not _is_number(value):
        raise ConditionError(where, f"operator {op!r} needs a numeric 'value', got {value!r}")
    return Condition("leaf", column=column, op=op, value=value)


def _too_deep(where: str) -> ConditionError:
    return ConditionError(where, f"the condition is nested deeper than {MAX_DEPTH} levels of all/any/not; "
                                 "flatten it (all/any take lists)")


def parse_condition(spec, where: str = "when", _depth: int = 0) -> Condition:
    """Parse a structured mapping or an expression string into a :class:`Condition`.

    Raises :class:`ConditionError` naming ``where`` (the path into the structure, e.g.
    ``when.all[1].not``) for any problem, including nesting deeper than :data:`MAX_DEPTH`.
    """
    if _depth > MAX_DEPTH:
        raise _too_deep(where)
    if isinstance(spec, Condition):
        return spec
    if isinstance(spec, str):
        return _parse_expression(spec, where)
    if not isinstance(spec, Mapping):
        raise ConditionError(where, f"a condition must be a mapping or an expression string, got {spec!r}")
    keys = set(spec)
    for combinator in ("all", "any"):
        if combinator in keys:
            if keys != {combinator}:
                raise ConditionError(where, f"'{combinator}' must be the only key, got {sorted(keys)}")
            items = spec[combinator]
            if not isinstance(items, (list, tuple)) or not items:
                raise ConditionError(where, f"'{combinator}' needs a non-empty list of conditions")
            children = tuple(parse_condition(c, f"{where}.{combinator}[{i}]", _depth + 1)
                             for i, c in enumerate(items))
            return Condition(combinator, children=children)
    if "not" in keys:
        if keys != {"not"}:
            raise ConditionError(where, f"'not' must be the only key, got {sorted(keys)}")
        return Condition("not", children=(parse_condition(spec["not"], f"{where}.not", _depth + 1),))
    allowed = {"column", "op", "value"}
    if keys - allowed or "column" not in keys or "op" not in keys:
        raise ConditionError(
            where, f"a leaf condition has keys column, op and value (unless op is is_null/not_null); got {sorted(keys)}"
        )
    if spec["op"] not in ("is_null", "not_null") and "value" not in spec:
        raise ConditionError(where, f"operator {spec['op']!r} needs a 'value'")
    return _leaf(spec["column"], spec["op"], spec.get("value"), where)


def _parse_expression(text: str, where: str) -> Condition:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConditionError(where, f"cannot parse expression {text!r:.80}: {exc.msg}") from None
    except (RecursionError, MemoryError):  # CPython's parser gives up on extreme nesting
        raise _too_deep(where) from None
    return _from_ast(tree.body, where, text)


def _literal(node, where, text):
    if isinstance(node, ast.Constant) and (isinstance(node.value, (str, bool)) or _is_number(node.value)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and _is_number(node.operand.value):
        return -node.operand.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e, where, text) for e in node.elts]
    raise ConditionError(where, f"only literal numbers, strings and lists may be compared in {text!r}; "
                                f"found {ast.dump(node)[:60]}")


def _from_ast(node, where, text, depth: int = 0) -> Condition:
    if depth > MAX_DEPTH:
        raise _too_deep(where)
    if isinstance(node, ast.BoolOp):
        kind = "all" if isinstance(node.op, ast.And) else "any"
        return Condition(kind, children=tuple(_from_ast(v, where, text, depth + 1) for v in node.values))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return Condition("not", children=(_from_ast(node.operand, where, text, depth + 1),))
    if isinstance(node, ast.Compare):
        leaves = []
        left = node.left
        for op, right in zip(node.ops, node.comparators):
            leaves.append(_comparison(left, op, right, where, text))
            left = right
        return leaves[0] if len(leaves) == 1 else Condition("all", children=tuple(leaves))
    raise ConditionError(
        where,
        f"unsupported syntax in {text!r}: only comparisons joined by and/or/not are allowed "
        f"(found {type(node).__name__})",
    )


def _comparison(left, op, right, where, text) -> Condition:
    if isinstance(op, (ast.Is, ast.IsNot)):
        if not (isinstance(left, ast.Name) and isinstance(right, ast.Constant) and right.value is None):
            raise ConditionError(where, f"'is' only tests 'column is None' / 'column is not None' in {text!r}")
        return Condition("leaf", column=left.id, op="is_null" if isinstance(op, ast.Is) else "not_null")
    if type(op) not in _AST_OPS:
        raise ConditionError(where, f"operator {type(op).__name__} is not allowed in {text!r}")
    name = _AST_OPS[type(op)]
    if isinstance(left, ast.Name) and not isinstance(right, ast.Name):
        return _leaf(left.id, name, _literal(right, where, text), where)
    if isinstance(right, ast.Name) and not isinstance(left, ast.Name) and name in _MIRROR:
        return _leaf(right.id, _MIRROR[name], _literal(left, where, text), where)
    raise ConditionError(where, f"each comparison needs exactly one column name and one literal in {text!r}")
