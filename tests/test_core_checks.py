"""The kit's one binary-target check (riskkit._core.checks.check_binary_target)."""

import numpy as np
import pandas as pd
import pytest

from riskkit._core.checks import check_binary_target, offenders
from riskkit._core.errors import InputError, RiskkitError


@pytest.mark.parametrize("y", [[0, 1, 1, 0], np.array([False, True, True, False]), pd.Series([0.0, 1.0, 1.0, 0.0]),
                               pd.Series([0, 1, 1, 0], dtype="Int64"), np.array([0, 1, 1, 0], dtype=object)])
def test_accepts_numbers_and_booleans(y):
    out = check_binary_target(y, n_rows=4)
    assert out.dtype == np.float64 and out.tolist() == [0.0, 1.0, 1.0, 0.0]


def test_errors_name_the_argument_and_the_rows():
    y = pd.Series([0, 1, 2, 1, 0], index=list("abcde"))
    with pytest.raises(InputError, match=r"default_flag must be binary: only 0/1 .* found other values \[2.0\] "
                                         r"in 1 row\(s\), index labels 'c'"):
        check_binary_target(y, "default_flag")
    with pytest.raises(InputError, match=r"y has missing values in 2 row\(s\), positions 1, 3"):
        check_binary_target([0, np.nan, 1, None], require_both=False)
    with pytest.raises(InputError, match=r"y has a single class \(0 events, 3 non-events\)"):
        check_binary_target(np.zeros(3))
    assert check_binary_target(np.zeros(3), require_both=False).sum() == 0
    with pytest.raises(InputError, match="y has 2 values but X has 3 rows"):
        check_binary_target([0, 1], n_rows=3)
    with pytest.raises(InputError, match=r"got string labels \['good', 'bad'\]"):
        check_binary_target(pd.Series(["good", "bad"]))  # text is refused, never parsed
    with pytest.raises(InputError, match="got string labels"):
        check_binary_target(["0", "1"])
    with pytest.raises(InputError, match=r"1-dimensional .* shape \(2, 2\)"):
        check_binary_target(np.eye(2))


def test_errors_are_kit_errors_and_value_errors():
    with pytest.raises(RiskkitError):
        check_binary_target([0, 3])
    with pytest.raises(ValueError):
        check_binary_target([0, 3])


def test_offenders_lists_the_first_five_and_counts_the_rest():
    mask = np.arange(8) % 1 == 0
    assert offenders(mask, np.arange(8)) == "8 row(s), positions 0, 1, 2, 3, 4 and 3 more"
    assert offenders(np.array([False, True]), pd.Series([1, 2], index=["x", "y"])) == "1 row(s), index labels 'y'"
