"""The safe arithmetic expression language of policy formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskkit._core.errors import RiskkitError
from riskkit._core.expressions import ExpressionError, parse_expression


def frame():
    return pd.DataFrame({"equity": [10.0, 20.0, np.nan, 4.0],
                         "revenue": [120.0, 0.0, 60.0, 12.0],
                         "debt": [2.0, 0.0, 1.0, 8.0],
                         "name": ["a", "b", "c", "d"]})


@pytest.mark.parametrize("text, expected", [
    # each expected value is the arithmetic written out by hand, row by row
    ("0.1 * equity", [1.0, 2.0, np.nan, 0.4]),
    ("equity + debt * 2", [14.0, 20.0, np.nan, 20.0]),
    ("(equity + debt) * 2", [24.0, 40.0, np.nan, 24.0]),
    ("equity - debt - 1", [7.0, 19.0, np.nan, -5.0]),
    ("-debt + 3", [1.0, 3.0, 2.0, -5.0]),
    ("revenue / 12", [10.0, 0.0, 5.0, 1.0]),
    ("equity / debt", [5.0, np.nan, np.nan, 0.5]),          # division by 0 is NaN, never inf
    ("min(revenue / 12, 6)", [6.0, 0.0, 5.0, 1.0]),
    ("max(equity - debt, 0, 3)", [8.0, 20.0, np.nan, 3.0]),  # NaN propagates through max
    ("min(equity, revenue)", [10.0, 0.0, np.nan, 4.0]),
    ("250000", [250000.0] * 4),
    ("+5", [5.0] * 4),
])
def test_values_match_hand_arithmetic(text, expected):
    np.testing.assert_allclose(parse_expression(text).evaluate(frame()), expected, equal_nan=True)


def test_numbers_and_columns_listed():
    expr = parse_expression("min(0.2 * revenue / 12, equity) + revenue")
    assert expr.columns == ["revenue", "equity"]
    assert not expr.is_constant
    assert parse_expression(1e6).is_constant
    np.testing.assert_array_equal(parse_expression(7).evaluate(frame()), [7.0] * 4)


@pytest.mark.parametrize("text, needle", [
    ("__import__('os').system('echo hi')", "not allowed"),
    ("equity ** 2", "Pow"),
    ("equity.real", "Attribute"),
    ("equity[0]", "Subscript"),
    ("abs(equity)", "'abs' is not allowed"),
    ("min(equity)", "at least two"),
    ("min(equity, key=revenue)", "keyword"),
    ("min", "is a function"),
    ("equity > 2", "Compare"),
    ("'text' + equity", "only numbers"),
    ("True * equity", "only numbers"),
    ("1 +", "cannot parse"),
    ("", "non-empty"),
    (float("inf"), "finite"),
    (True, "number or an expression"),
    (None, "number or a non-empty"),
    ("lambda: 1", "Lambda"),
    ("min(*equity, 1)", "Starred"),
])
def test_bad_expressions_are_refused(text, needle):
    with pytest.raises(ExpressionError, match=needle) as info:
        parse_expression(text, where="cells.BB[1]")
    assert str(info.value).startswith("cells.BB[1]: ")
    assert isinstance(info.value, RiskkitError) and isinstance(info.value, ValueError)


def test_unknown_and_text_columns_raise_on_evaluation():
    with pytest.raises(KeyError, match="nosuch"):
        parse_expression("nosuch * 2").evaluate(frame())
    with pytest.raises(TypeError, match="'name' is not numeric"):
        parse_expression("name * 2").evaluate(frame())


def test_evaluate_returns_writable_copy():
    out = parse_expression("3").evaluate(frame())
    out[0] = 1.0  # a broadcast view would be read-only
    assert out.tolist() == [1.0, 3.0, 3.0, 3.0]
