"""The master scale: PD bands -> rating grades.

A master scale partitions the probability of default (PD) into ordered bands, one grade
each, plus a default grade ``D`` for PD = 1 (observed default).  Grade ``k`` covers
``[lower_k, upper_k)`` with ``lower_1`` the PD floor and ``upper_K = 1``; PDs below the
floor take the best grade.  The representative PD of a grade is the geometric midpoint
:math:`\\sqrt{lower_k \\cdot upper_k}` (the midpoint on the log-odds-like scale on which
master scales are built; e.g. Bluhm, Overbeck & Wagner, *Introduction to Credit Risk
Modeling*, 2nd ed., 2010, sec. 1.1).  The PD floor of 0.03 % is the Basel IRB floor for
corporate exposures (BCBS, *International Convergence of Capital Measurement*, 2006,
para. 285).

The default scale (``riskkit/configs/master_scale.yaml``) has seven grades AAA .. CCC whose
boundaries are log-spaced between the floor 0.0003 and 0.3, the last grade (CCC) reaching
up to PD 1.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._core.config import CONFIG_DIR, Checker, ConfigError, read_yaml

__all__ = ["MasterScale", "DEFAULT_MASTER_SCALE_PATH", "PD_FLOOR"]

DEFAULT_MASTER_SCALE_PATH = CONFIG_DIR / "master_scale.yaml"
#: Basel IRB PD floor for corporate exposures (BCBS 2006, para. 285)
PD_FLOOR = 0.0003


class MasterScale:
    """PD bands mapped to ordered grades, best first, plus a default grade.

    Parameters
    ----------
    grades : sequence of str
        Non-default grades, best (lowest PD) first; at least 7.
    upper_pd : sequence of float
        Exclusive upper PD bound of each grade, strictly increasing, the last equal to 1.
    pd_floor : float, default=0.0003
        Lower bound of the best grade; smaller PDs are floored to it.
    default_grade : str, default="D"
        Grade for PD = 1 (defaulted).
    name : str, default="master_scale"

    Examples
    --------
    >>> scale = MasterScale.default()
    >>> scale.grade(0.001), scale.grade(1.0)
    ('AA', 'D')
    """

    def __init__(self, grades, upper_pd, pd_floor: float = PD_FLOOR, default_grade: str = "D",
                 name: str = "master_scale"):
        check = Checker("MasterScale", name)
        grades = [str(g) for g in grades]
        upper = np.asarray(upper_pd, dtype=float)
        if len(grades) < 7:
            check.fail("grades", f"need at least 7 non-default grades, got {len(grades)}")
        if len(set(grades)) != len(grades) or default_grade in grades:
            check.fail("grades", f"grades must be distinct and exclude the default grade, got {grades}")
        if upper.shape != (len(grades),):
            check.fail("upper_pd", f"need one upper bound per grade ({len(grades)}), got {upper.size}")
        if not 0 < pd_floor < 1:
            check.fail("pd_floor", f"must be in (0, 1), got {pd_floor!r}")
        bounds = np.concatenate(([pd_floor], upper))
        if not (np.diff(bounds) > 0).all():
            check.fail("upper_pd", f"bounds must increase strictly from the floor {pd_floor}, got {upper.tolist()}")
        if upper[-1] != 1.0:
            check.fail("upper_pd", f"the last upper bound must be 1, got {upper[-1]!r}")
        self.grades = grades
        self.upper_pd = upper
        self.pd_floor = float(pd_floor)
        self.default_grade = str(default_grade)
        self.name = name

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def log_spaced(cls, grades=("AAA", "AA", "A", "BBB", "BB", "B", "CCC"), pd_floor: float = PD_FLOOR,
                   pd_top: float = 0.3, default_grade: str = "D", name: str = "master_scale") -> "MasterScale":
        """Boundaries log-spaced from ``pd_floor`` to ``pd_top``; the worst grade reaches 1.

        Boundary :math:`k` is :math:`pd_{floor} (pd_{top}/pd_{floor})^{k/(K-1)}` for
        :math:`k = 1..K-1`.
        """
        grades = list(grades)
        k = len(grades)
        inner = pd_floor * (pd_top / pd_floor) ** (np.arange(1, k) / (k - 1))
        return cls(grades, np.append(inner, 1.0), pd_floor=pd_floor, default_grade=default_grade, name=name)

    @classmethod
    def from_dict(cls, data: Mapping, source: str = "<dict>") -> "MasterScale":
        """Build from ``{grades, pd_floor, default_grade, upper_pd | log_spaced: {pd_top}}``."""
        check = Checker(source, "master_scale")
        data = check.mapping(data, "<top level>")
        check.only(data, {"name", "grades", "pd_floor", "default_grade", "upper_pd", "log_spaced"})
        grades = check.sequence(check.require(data, "grades"), "grades", min_len=7)
        for i, g in enumerate(grades):
            check.text(g, f"grades[{i}]")
        floor = check.number(data.get("pd_floor", PD_FLOOR), "pd_floor", lo=0, hi=1)
        default = check.text(data.get("default_grade", "D"), "default_grade")
        name = str(data.get("name", "master_scale"))
        if ("upper_pd" in data) == ("log_spaced" in data):
            check.fail("upper_pd", "give exactly one of 'upper_pd' (explicit bounds) or 'log_spaced'")
        try:
            if "upper_pd" in data:
                upper = [check.number(v, f"upper_pd[{i}]", lo=0, hi=1)
                         for i, v in enumerate(check.sequence(data["upper_pd"], "upper_pd"))]
                return cls(grades, upper, pd_floor=floor, default_grade=default, name=name)
            spec = check.mapping(data["log_spaced"], "log_spaced")
            check.only(spec, {"pd_top"}, "log_spaced")
            top = check.number(check.require(spec, "pd_top"), "log_spaced.pd_top", lo=0, hi=1)
            return cls.log_spaced(grades, pd_floor=floor, pd_top=top, default_grade=default, name=name)
        except ConfigError as exc:
            if exc.source == "MasterScale":
                raise ConfigError(source, "master_scale", exc.field, exc.problem) from None
            raise

    @classmethod
    def from_yaml(cls, path) -> "MasterScale":
        data, source = read_yaml(path)
        if "master_scale" in data and len(data) == 1:
            data = data["master_scale"]
        return cls.from_dict(data, source)

    @classmethod
    def default(cls) -> "MasterScale":
        """The scale in ``riskkit/configs/master_scale.yaml`` (AAA .. CCC + D)."""
        return cls.from_yaml(DEFAULT_MASTER_SCALE_PATH)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "grades": list(self.grades),
            "upper_pd": [float(v) for v in self.upper_pd],
            "pd_floor": self.pd_floor,
            "default_grade": self.default_grade,
        }

    # -- queries ----------------------------------------------------------------------------
    @property
    def all_grades(self) -> list[str]:
        """Every grade, best first, the default grade last."""
        return [*self.grades, self.default_grade]

    @property
    def lower_pd(self) -> np.ndarray:
        return np.concatenate(([self.pd_floor], self.upper_pd[:-1]))

    def table(self) -> pd.DataFrame:
        """One row per grade: ``grade, rank, pd_lower, pd_upper, pd_mid`` (D: PD 1)."""
        lower = self.lower_pd
        mid = np.sqrt(lower * self.upper_pd)
        return pd.DataFrame(
            {
                "grade": pd.Series(self.all_grades, dtype="str"),
                "rank": np.arange(1, len(self.grades) + 2),
                "pd_lower": np.append(lower, 1.0),
                "pd_upper": np.append(self.upper_pd, 1.0),
                "pd_mid": np.append(mid, 1.0),
            }
        )

    def grade(self, pd_values):
        """Grade of each PD: ``lower_k <= pd < upper_k``; PD 1 -> default grade.

        A scalar gives a str (``None`` for NaN); a Series gives a Series with the same
        index; other array-likes give an ndarray of objects.  PDs outside [0, 1] raise.
        """
        scalar = np.ndim(pd_values) == 0
        values = np.atleast_1d(np.asarray(pd_values, dtype=float))
        bad = (values < 0) | (values > 1)
        if bad.any():
            raise ValueError(
                f"PD must be in [0, 1]; {int(bad.sum())} value(s) outside, e.g. {values[bad][:5].tolist()}"
            )
        index = np.searchsorted(self.upper_pd, values, side="right")  # PD 1 -> len(grades) -> D
        labels = np.asarray(self.all_grades + [None], dtype=object)
        index = np.where(np.isnan(values), len(self.all_grades), index)
        out = labels[index]
        if scalar:
            return out[0]
        if isinstance(pd_values, pd.Series):
            return pd.Series(out, index=pd_values.index, name="grade", dtype="str")
        return out

    def pd_of(self, grades):
        """Representative PD (geometric midpoint of the band; 1 for the default grade)."""
        lookup = dict(zip(self.all_grades, self.table()["pd_mid"]))
        if isinstance(grades, str):
            if grades not in lookup:
                raise KeyError(f"unknown grade {grades!r}; known grades: {self.all_grades}")
            return float(lookup[grades])
        series = grades if isinstance(grades, pd.Series) else pd.Series(list(grades))
        unknown = sorted(set(series.dropna().astype(str)) - set(lookup))
        if unknown:
            raise KeyError(f"unknown grade(s) {unknown}; known grades: {self.all_grades}")
        result = series.map(lookup).astype(float)
        return result if isinstance(grades, pd.Series) else result.to_numpy()

    def rank(self, grade: str) -> int:
        """1 for the best grade, ..., len(grades) + 1 for the default grade."""
        if grade not in self.all_grades:
            raise KeyError(f"unknown grade {grade!r}; known grades: {self.all_grades}")
        return self.all_grades.index(grade) + 1

    def shift(self, grade: str, notches: int) -> str:
        """Move a non-default grade by ``notches`` (positive = worse), staying off ``D``."""
        position = self.rank(grade) - 1
        if grade == self.default_grade:
            return grade
        return self.grades[int(min(max(position + notches, 0), len(self.grades) - 1))]

    def __repr__(self) -> str:
        return f"MasterScale({self.name!r}, grades={self.all_grades})"

    def __eq__(self, other) -> bool:
        return isinstance(other, MasterScale) and self.to_dict() == other.to_dict()

    __hash__ = None
