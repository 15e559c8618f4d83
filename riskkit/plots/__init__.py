"""matplotlib figures used by the notebooks; each takes ``ax=None`` and returns the Axes.

One module per area (``data``, ``scoring``, ``graph``, ``validation``); the public names are
re-exported here so that notebooks call ``rk.plots.<name>``.
"""

from .data import plot_default_rates, plot_record_coverage

__all__ = ["plot_record_coverage", "plot_default_rates"]
