"""Errors of the monitoring archive (all subclasses of :class:`riskkit.RiskkitError`)."""

from __future__ import annotations

from .._core.errors import InputError, RiskkitError

__all__ = ["ArchiveError", "ArchiveBusyError", "ArchiveVersionError", "ArchiveInputError"]


class ArchiveError(RiskkitError, RuntimeError):
    """The archive cannot do what was asked (not an archive, run closed, unknown run, ...)."""


class ArchiveBusyError(RiskkitError, TimeoutError):
    """Another process holds the archive file; raised after waiting ``timeout`` seconds."""


class ArchiveVersionError(ArchiveError):
    """The file was written with a schema version this riskkit cannot read."""


class ArchiveInputError(InputError):
    """A frame handed to the archive breaks the table's contract (names table, column, rows)."""
