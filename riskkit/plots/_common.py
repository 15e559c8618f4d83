"""Helpers shared by the plot modules."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

__all__: list[str] = []


def get_axes(ax: Axes | None, size: tuple[float, float], *, layout: str | None = None) -> Axes:
    """``ax`` itself, or the Axes of a new figure of ``size`` inches (width, height)."""
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout=layout)
    return ax
