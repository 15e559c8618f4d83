"""A confidence interval that still unpacks as ``(low, high)``."""

from __future__ import annotations

import math

__all__ = ["ConfidenceInterval"]


class ConfidenceInterval(tuple):
    """``(low, high)`` with the ``level`` and the ``estimate`` it surrounds.

    A 2-tuple, so ``low, high = result.ci()``, indexing and ``ci == (low, high)`` work as
    for a plain tuple; the repr states the estimate and the level, so a displayed interval
    says what it is an interval of.  Read-only.

    Examples
    --------
    >>> ci = ConfidenceInterval(0.82, 0.922, level=0.95, estimate=0.871)
    >>> ci
    ConfidenceInterval(estimate=0.871, low=0.82, high=0.922, level=0.95)
    >>> low, high = ci
    >>> str(ci)
    '0.871 (95% CI 0.82 to 0.922)'
    """

    def __new__(cls, low: float, high: float, *, level: float, estimate: float = math.nan):
        self = super().__new__(cls, (float(low), float(high)))
        self.__dict__.update(level=float(level), estimate=float(estimate))
        return self

    def __getnewargs_ex__(self):
        return (self[0], self[1]), {"level": self.level, "estimate": self.estimate}

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only")

    @property
    def low(self) -> float:
        return self[0]

    @property
    def high(self) -> float:
        return self[1]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(estimate={self.estimate:.4g}, low={self.low:.4g}, "
                f"high={self.high:.4g}, level={self.level:g})")

    def __str__(self) -> str:
        interval = f"{self.level * 100:g}% CI {self.low:.4g} to {self.high:.4g}"
        return interval if math.isnan(self.estimate) else f"{self.estimate:.4g} ({interval})"
