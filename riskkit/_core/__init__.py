"""The lowest layer: kernels every other layer shares and none of them owns.

- :mod:`~riskkit._core.errors`: :class:`RiskkitError`, the base of every kit exception;
- :mod:`~riskkit._core.dates`: :func:`check_as_of`, the one parser of point-in-time dates, and
  :func:`check_as_of_in_period` (an as_of before the data is refused, well after them warned);
- :mod:`~riskkit._core.arrays`: grouped reductions over integer customer codes, day numbers;
- :mod:`~riskkit._core.checks`: input checks (:func:`check_binary_target`, :func:`align_by_index`, :func:`as_frame`, :func:`offenders`);
- :mod:`~riskkit._core.config`: the one YAML reader and field checker (:class:`ConfigError`);
- :mod:`~riskkit._core.conditions`: the safe condition language of rules and policies;
- :mod:`~riskkit._core.levels`: alert levels and their severity order;
- :mod:`~riskkit._core.display`: compact HTML and short reprs of result objects;
- :mod:`~riskkit._core.interval`: :class:`ConfidenceInterval`;
- :mod:`~riskkit._core.progress`: progress bars shown only in interactive sessions.

Nothing here imports any other riskkit layer (see ``docs/architecture.md``).
"""

from .checks import align_by_index, as_frame, check_binary_target, format_ids, offenders
from .conditions import Condition, ConditionError, parse_condition
from .config import CONFIG_DIR, Checker, ConfigError, parse_yaml, read_yaml
from .dates import AsOfAfterDataWarning, AsOfBeforeDataError, check_as_of, check_as_of_in_period
from .errors import InputError, RiskkitError, RiskkitWarning

__all__ = [
    "RiskkitError",
    "InputError",
    "ConfigError",
    "ConditionError",
    "check_as_of",
    "check_as_of_in_period",
    "AsOfBeforeDataError",
    "AsOfAfterDataWarning",
    "RiskkitWarning",
    "check_binary_target",
    "as_frame",
    "align_by_index",
    "offenders",
    "format_ids",
    "Condition",
    "parse_condition",
    "read_yaml",
    "parse_yaml",
    "Checker",
    "CONFIG_DIR",
]
