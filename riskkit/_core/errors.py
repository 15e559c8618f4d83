"""The base of every exception the kit raises on purpose.

Every riskkit error derives from :class:`RiskkitError` *and* from the built-in class a
caller would expect (``ValueError`` for bad values, ``KeyError`` for unknown keys), so
``except rk.RiskkitError`` catches everything the kit reports while existing
``except ValueError`` code keeps working.
"""

from __future__ import annotations

__all__ = ["RiskkitError", "InputError", "RiskkitWarning"]


class RiskkitError(Exception):
    """Base class of every error raised by riskkit on purpose (bad data, config, input)."""


class InputError(RiskkitError, ValueError):
    """A function argument is invalid; the message names the argument and the offending rows."""


class RiskkitWarning(UserWarning):
    """Base class of every warning riskkit issues on purpose (filter them with this class)."""
