"""Alert levels: the one definition of their names and of their severity order.

Shared by the action rules (:mod:`riskkit.limits.actions`, which read alerts) and by
monitoring (which raises them), so it lives below both.
"""

from __future__ import annotations

__all__ = ["LEVELS", "SEVERITY_RANK"]

#: Alert levels, most severe first.
LEVELS = ("red", "orange", "yellow", "info")

#: Rank of each level, 0 for the most severe (sorting by it puts red first).
SEVERITY_RANK = {level: i for i, level in enumerate(LEVELS)}
