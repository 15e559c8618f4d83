"""A tiny, safe arithmetic language over DataFrame columns (for policy formulas).

Policy cells such as a rating x size limit matrix may be a number or a formula over the
customer's columns::

    "0.1 * equity"
    "min(0.2 * revenue / 12, 5000000)"
    "max(current_assets - current_liabilities, 0) * 0.3"

The text is parsed with :mod:`ast` and checked against a whitelist: numbers, column names,
parentheses, ``+ - * /``, unary ``-``/``+`` and the functions ``min``/``max`` of two or more
arguments.  Nothing else (no attributes, subscripts, other calls, powers, comparisons,
strings) is accepted and nothing is ever evaluated by Python: the parsed tree is walked and
each node computed with numpy over whole columns at once.

Semantics (vectorised, float64):

- a missing value (NaN) anywhere makes the result NaN (``min``/``max`` propagate NaN, so a
  formula never silently ignores missing data);
- ``a / b`` is NaN where ``b`` is 0 or NaN (never ``inf``), as
  :func:`riskkit._core.arrays.safe_divide`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arrays import safe_divide
from .errors import RiskkitError

__all__ = ["Expression", "ExpressionError", "parse_expression"]

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_FUNCTIONS = ("min", "max")


class ExpressionError(RiskkitError, ValueError):
    """An arithmetic expression cannot be parsed; ``where`` says which part of a config."""

    def __init__(self, where: str, problem: str):
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Expression:
    """A parsed arithmetic expression: a number, a column, an operation or min/max.

    Attributes
    ----------
    kind : {"number", "column", "+", "-", "*", "/", "neg", "min", "max"}
    value : float or str or None
        The number (kind ``number``) or the column name (kind ``column``).
    children : tuple of Expression
    text : str
        The source text (for messages).
    """

    kind: str
    value: object = None
    children: tuple[Expression, ...] = ()
    text: str = ""

    @property
    def columns(self) -> list[str]:
        """Column names the expression reads, in order of first appearance."""
        if self.kind == "column":
            return [self.value]
        return list(dict.fromkeys(c for child in self.children for c in child.columns))

    @property
    def is_constant(self) -> bool:
        return not self.columns

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """Float array with one value per row of ``frame``."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise KeyError(f"expression {self.text!r} refers to column(s) {missing}, which are absent")
        return np.broadcast_to(self._eval(frame), (len(frame),)).astype(np.float64, copy=True)

    def _eval(self, frame: pd.DataFrame):
        if self.kind == "number":
            return np.float64(self.value)
        if self.kind == "column":
            column = frame[self.value]
            if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
                raise TypeError(f"expression {self.text!r}: column {self.value!r} is not numeric "
                                f"(dtype {column.dtype})")
            return column.to_numpy(dtype=np.float64, na_value=np.nan)
        args = [child._eval(frame) for child in self.children]
        if self.kind == "neg":
            return -args[0]
        if self.kind == "+":
            return args[0] + args[1]
        if self.kind == "-":
            return args[0] - args[1]
        if self.kind == "*":
            return args[0] * args[1]
        if self.kind == "/":
            return safe_divide(args[0], args[1])
        reduce = np.minimum if self.kind == "min" else np.maximum
        out = args[0]
        for arg in args[1:]:
            out = reduce(out, arg)
        return out

    def __str__(self) -> str:
        return self.text


def parse_expression(text, where: str = "expression") -> Expression:
    """Parse a number or an arithmetic expression string into an :class:`Expression`.

    Parameters
    ----------
    text : str or int or float
        A number, or an expression string of the whitelisted language (module docstring).
    where : str
        Location named in error messages (e.g. ``"cells.BB[2]"``).

    Raises
    ------
    ExpressionError
        Syntax outside the whitelist, an unknown function, a wrong number of arguments.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_expression("min(0.1 * equity, 500)").evaluate(pd.DataFrame({"equity": [1000.0, 9000.0]}))
    array([100., 500.])
    """
    if isinstance(text, bool):
        raise ExpressionError(where, f"must be a number or an expression string, got {text!r}")
    if isinstance(text, (int, float, np.integer, np.floating)):
        value = float(text)
        if not np.isfinite(value):
            raise ExpressionError(where, f"must be a finite number, got {text!r}")
        return Expression("number", value, text=repr(text))
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(where, f"must be a number or a non-empty expression string, got {text!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(where, f"cannot parse expression {text!r}: {exc.msg}") from None
    return _from_ast(tree.body, where, text.strip())


def _from_ast(node, where: str, text: str) -> Expression:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(where, f"only numbers and column names may appear in {text!r}; "
                                         f"found {node.value!r}")
        return Expression("number", float(node.value), text=text)
    if isinstance(node, ast.Name):
        if node.id in _FUNCTIONS:
            raise ExpressionError(where, f"{node.id!r} is a function; call it as {node.id}(a, b) in {text!r}")
        return Expression("column", node.id, text=text)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _from_ast(node.operand, where, text)
        return Expression("neg", children=(operand,), text=text) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ExpressionError(where, f"operator {type(node.op).__name__} is not allowed in {text!r}; "
                                         f"allowed: + - * /")
        return Expression(_BINARY[type(node.op)],
                          children=(_from_ast(node.left, where, text), _from_ast(node.right, where, text)),
                          text=text)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else type(node.func).__name__
            raise ExpressionError(where, f"function {name!r} is not allowed in {text!r}; allowed: {list(_FUNCTIONS)}")
        if node.keywords:
            raise ExpressionError(where, f"{node.func.id}() takes no keyword arguments in {text!r}")
        if len(node.args) < 2:
            raise ExpressionError(where, f"{node.func.id}() needs at least two arguments in {text!r}")
        return Expression(node.func.id, children=tuple(_from_ast(a, where, text) for a in node.args), text=text)
    raise ExpressionError(where, f"unsupported syntax in {text!r}: only numbers, column names, + - * /, "
                                 f"parentheses, min() and max() are allowed (found {type(node).__name__})")
