"""Master scale: log-spaced bands, grade lookup, representative PDs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from riskkit import ConfigError
from riskkit.scoring import MasterScale


def test_default_scale_structure():
    scale = MasterScale.default()
    assert scale.grades == ["AAA", "AA", "A", "BBB", "BB", "B", "CCC"]
    assert scale.all_grades[-1] == "D"
    assert scale.pd_floor == 0.0003
    # independent: 7 boundaries log-spaced from the floor to 30 %, then 1
    bounds = np.geomspace(0.0003, 0.3, 7)
    np.testing.assert_allclose(scale.upper_pd, [*bounds[1:], 1.0])
    table = scale.table()
    assert list(table.columns) == ["grade", "rank", "pd_lower", "pd_upper", "pd_mid"]
    np.testing.assert_allclose(table["pd_mid"].iloc[:-1], np.sqrt(table["pd_lower"] * table["pd_upper"]).iloc[:-1])
    assert table["pd_mid"].iloc[-1] == 1.0
    # each band spans the same factor, 1000 ** (1/6)
    ratios = table["pd_upper"].iloc[:6] / table["pd_lower"].iloc[:6]
    np.testing.assert_allclose(ratios, 1000 ** (1 / 6))


def test_grade_lookup_by_hand():
    scale = MasterScale.default()
    b1 = 0.0003 * 1000 ** (1 / 6)  # AAA/AA boundary, 0.000949
    assert scale.grade(0.0) == "AAA"  # below the floor -> best grade
    assert scale.grade(b1 * 0.999) == "AAA"
    assert scale.grade(b1) == "AA"  # bands are [lower, upper)
    assert scale.grade(0.0299) == "BBB"
    assert scale.grade(0.03) == "BB"
    assert scale.grade(0.3) == "CCC"
    assert scale.grade(0.9999) == "CCC"
    assert scale.grade(1.0) == "D"
    assert scale.grade(float("nan")) is None
    values = pd.Series([0.001, 0.2, 1.0], index=["x", "y", "z"])
    out = scale.grade(values)
    assert list(out) == ["AA", "B", "D"] and list(out.index) == ["x", "y", "z"]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        scale.grade([0.5, 1.5])


def test_representative_pd_and_shift():
    scale = MasterScale.default()
    assert scale.pd_of("A") == pytest.approx(math.sqrt(0.003 * 0.3 ** 0.5 * 0.0003 ** 0.5))
    assert scale.pd_of("D") == 1.0
    np.testing.assert_allclose(scale.pd_of(["AAA", "D"]), [math.sqrt(0.0003 * 0.0003 * 1000 ** (1 / 6)), 1.0])
    with pytest.raises(KeyError, match="ZZZ"):
        scale.pd_of("ZZZ")
    assert scale.shift("BBB", 2) == "B"
    assert scale.shift("B", 5) == "CCC"  # never pushed into D
    assert scale.shift("AA", -3) == "AAA"
    assert scale.rank("D") == 8


def test_explicit_bands_and_bad_configs(tmp_path):
    grades = ["1", "2", "3", "4", "5", "6", "7", "8"]
    upper = [0.001, 0.002, 0.005, 0.01, 0.03, 0.1, 0.3, 1.0]
    scale = MasterScale.from_dict({"grades": grades, "upper_pd": upper})
    assert scale.grade(0.004) == "3"
    path = tmp_path / "scale.yaml"
    path.write_text(yaml.safe_dump({"grades": grades[:5], "log_spaced": {"pd_top": 0.3}}))
    with pytest.raises(ConfigError, match="at least 7") as info:
        MasterScale.from_yaml(path)
    assert str(path) in str(info.value) and info.value.field == "grades"
    path.write_text(yaml.safe_dump({"grades": grades, "upper_pd": [0.001, 0.0005, *upper[2:]]}))
    with pytest.raises(ConfigError, match="increase strictly"):
        MasterScale.from_yaml(path)
    path.write_text(yaml.safe_dump({"grades": grades, "upper_pd": upper, "log_spaced": {"pd_top": 0.3}}))
    with pytest.raises(ConfigError, match="exactly one"):
        MasterScale.from_yaml(path)
    with pytest.raises(ConfigError, match="last upper bound"):
        MasterScale(grades, [*upper[:-1], 0.9])
