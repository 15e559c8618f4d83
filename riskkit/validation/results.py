"""Result objects of the validation statistics (statsmodels-style, frozen, tidy)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._core.display import HTMLReprMixin
from .._core.interval import ConfidenceInterval
from .config import threshold_text

__all__ = ["ValidationResult", "AUCResult", "TIDY_COLUMNS"]

#: columns of every tidy verdict table
TIDY_COLUMNS = ["test", "scope", "statistic", "pvalue", "verdict", "threshold"]


def _scalar(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _frozen_array(x: Any, dtype: Any = None) -> np.ndarray:
    arr = np.array(np.atleast_1d(x), dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False, kw_only=True)
class ValidationResult(HTMLReprMixin):
    """Outcome of one validation statistic, possibly vectorised over grades/periods/cells.

    Attributes
    ----------
    test : str
        Name of the statistic (``"binomial"``, ``"psi"``, ...).
    statistic, pvalue : float or ndarray
        One value per scope; a scalar when there is one scope. ``pvalue`` is NaN for
        measures without a sampling distribution.
    verdict : str or ndarray of str
        ``"green"``, ``"amber"``, ``"red"`` (``"n/a"`` where undefined) under ``thresholds``.
    thresholds : mapping
        The thresholds used (kind and limits), as in ``riskkit/configs/validation.yaml``.
    scope : str or ndarray of str
        What each value refers to (``"portfolio"``, a grade, a period, a cell ``"2->4"``).
    hypothesis : str
        The null hypothesis and the direction of the test.
    details : mapping of name -> ndarray
        Further per-scope numbers (critical values, counts, ...), also readable as
        attributes: ``result.critical_value``.
    table : DataFrame or None
        A supplementary tidy table (e.g. per-bin PSI contributions).
    """

    test: str
    statistic: Any
    pvalue: Any
    verdict: Any
    thresholds: Mapping[str, Any]
    scope: Any = "portfolio"
    hypothesis: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    table: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        # Arrays are made read-only and scalars unwrapped so that a result cannot be
        # altered after the fact (it is the record of a validation run).
        size = np.atleast_1d(self.statistic).size
        scope = _frozen_array(self.scope, dtype=object)
        if scope.size == 1 and size > 1:
            scope = _frozen_array(np.repeat(scope, size), dtype=object)
        parts = {
            "statistic": _frozen_array(self.statistic, dtype=float),
            "pvalue": _frozen_array(np.broadcast_to(np.asarray(self.pvalue, dtype=float), (size,))),
            "verdict": _frozen_array(np.broadcast_to(np.asarray(self.verdict, dtype=object), (size,)),
                                     dtype=object),
            "scope": scope,
        }
        for name, arr in parts.items():
            if arr.size != size:
                raise ValueError(f"{self.test}: {name} has {arr.size} values, statistic has {size}")
            object.__setattr__(self, name, _scalar(arr[0]) if size == 1 else arr)
        details = {}
        for key, value in dict(self.details).items():
            arr = _frozen_array(value)
            details[key] = _scalar(arr[0]) if (size == 1 and arr.size == 1) else arr
        object.__setattr__(self, "details", MappingProxyType(details))
        object.__setattr__(self, "thresholds", MappingProxyType(dict(self.thresholds)))
        if self.table is not None:
            object.__setattr__(self, "table", self.table.copy())

    def __getattr__(self, name: str) -> Any:
        details = self.__dict__.get("details")
        if details is not None and name in details:
            return details[name]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def __len__(self) -> int:
        return int(np.atleast_1d(self.statistic).size)

    def to_frame(self) -> pd.DataFrame:
        """Tidy form: one row per scope with ``test, scope, statistic, pvalue, verdict,
        threshold`` followed by the ``details`` columns."""
        n = len(self)
        frame = pd.DataFrame({
            "test": [self.test] * n,
            "scope": np.atleast_1d(self.scope).astype(str),
            "statistic": np.atleast_1d(self.statistic).astype(float),
            "pvalue": np.atleast_1d(self.pvalue).astype(float),
            "verdict": np.atleast_1d(self.verdict).astype(str),
            "threshold": [threshold_text(self.thresholds)] * n,
        })
        for key, value in self.details.items():
            arr = np.atleast_1d(value)
            if arr.size == n:
                frame[key] = arr
        return frame

    def summary(self) -> str:
        """Plain-text summary: the hypothesis, a table of the results and the thresholds."""
        frame = self.to_frame().drop(columns=["test", "threshold"])
        lines = [f"{self.test}"]
        if self.hypothesis:
            lines.append(f"H0: {self.hypothesis}")
        lines.append(frame.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        lines.append(f"verdict thresholds: {threshold_text(self.thresholds)}")
        return "\n".join(lines)

    def _headline(self) -> str:
        if len(self) == 1:
            return f"{self.test}: statistic {self.statistic:.4g}, p-value {self.pvalue:.4g}, verdict {self.verdict}"
        counts = pd.Series(np.atleast_1d(self.verdict)).value_counts().to_dict()
        verdicts = ", ".join(f"{k} {v}" for k, v in counts.items())
        return f"{self.test}: {len(self)} scopes; verdicts {verdicts}"

    def _display_parts(self) -> dict:
        fields = {"H0": self.hypothesis} if self.hypothesis else {}
        fields["verdict thresholds"] = threshold_text(self.thresholds)
        frames = [("results", self.to_frame().drop(columns=["test", "threshold"]))]
        if self.table is not None:
            frames.append(("table", self.table))
        return {"headline": self._headline(), "fields": fields, "frames": frames}

    def __repr__(self) -> str:
        if len(self) == 1:
            return (f"<{type(self).__name__} {self.test}: statistic={self.statistic:.6g}, "
                    f"pvalue={self.pvalue:.6g}, verdict={self.verdict}>")
        counts = pd.Series(np.atleast_1d(self.verdict)).value_counts().to_dict()
        return f"<{type(self).__name__} {self.test}: {len(self)} scopes, verdicts {counts}>"


@dataclass(frozen=True, eq=False, kw_only=True)
class AUCResult(ValidationResult):
    """AUC with its DeLong variance.

    ``statistic`` is the AUC; ``pvalue`` is that of the one-sided test of
    H0: AUC <= 0.5 with z = (AUC - 0.5) / sqrt(variance).

    Attributes
    ----------
    auc : float
        Area under the ROC curve.
    variance : float
        DeLong (1988) variance estimate (the ECB instructions' s^2); NaN with fewer than
        two defaults or non-defaults.
    n_defaults, n_non_defaults : int
    """

    auc: float
    variance: float
    n_defaults: int
    n_non_defaults: int

    @property
    def se(self) -> float:
        """Standard error sqrt(variance)."""
        return float(np.sqrt(self.variance))

    def ci(self, level: float = 0.95) -> ConfidenceInterval:
        """Two-sided normal (Wald) confidence interval AUC -/+ z_{(1+level)/2} * se.

        As in pROC's ``ci.auc(method="delong")`` the bounds are clipped to [0, 1].  A
        :class:`~riskkit._core.interval.ConfidenceInterval`: it unpacks as ``(low, high)``
        and shows the AUC and the level when displayed.
        """
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level}")
        half = stats.norm.ppf(0.5 + level / 2) * self.se
        return ConfidenceInterval(max(self.auc - half, 0.0), min(self.auc + half, 1.0), level=level,
                                  estimate=self.auc)

    def _headline(self) -> str:
        low, high = self.ci()
        return (f"AUC {self.auc:.3f}, 95% CI {low:.3f} to {high:.3f}, "
                f"n={self.n_defaults + self.n_non_defaults:,}, defaults={self.n_defaults:,}, "
                f"p-value (H0: AUC <= 0.5) {self.pvalue:.4g}, verdict {self.verdict}")

    def _display_parts(self) -> dict:
        parts = super()._display_parts()
        parts["fields"] = {"AUC": self.auc, "standard error (DeLong)": self.se,
                           "obligors": self.n_defaults + self.n_non_defaults, "defaults": self.n_defaults,
                           **parts["fields"]}
        parts["frames"] = []  # one scope: the headline says it all
        return parts

    def __repr__(self) -> str:
        low, high = self.ci()
        return (f"AUCResult(auc={self.auc:.3f}, 95% CI [{low:.3f}, {high:.3f}], "
                f"n={self.n_defaults + self.n_non_defaults}, defaults={self.n_defaults}, "
                f"pvalue={self.pvalue:.4g}, verdict={self.verdict})")
