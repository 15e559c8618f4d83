"""Monitoring: the run archive and the notification channels.

- :mod:`~riskkit.monitoring.archive`: :class:`Archive` (DuckDB, append-only, hash-chained rows,
  one transaction per run, customer timeline, run diffs, :meth:`Archive.verify`);
- :mod:`~riskkit.monitoring.notify`: :func:`compose_digests` (one digest per recipient per run),
  :class:`EmailChannel` (SMTP), :class:`WebhookChannel` (JSON POST) and
  :func:`deliver_outbox` (retried, never sent twice once recorded as sent).
"""

from .archive import (SCHEMA_VERSION, Archive, ArchiveBusyError, ArchiveError, ArchiveInputError,
                      ArchiveVersionError, Outbox, Run, RunDiff, RunInfo, VerifyResult)

__all__ = [
    "Archive", "Run", "Outbox", "RunInfo", "VerifyResult", "RunDiff", "SCHEMA_VERSION",
    "ArchiveError", "ArchiveBusyError", "ArchiveVersionError", "ArchiveInputError",
]
