"""Monitoring: the run archive and the notification channels.

- :mod:`~riskkit.monitoring.archive`: :class:`Archive` (DuckDB, append-only, hash-chained rows,
  one transaction per run, customer timeline, run diffs, :meth:`Archive.verify`);
- :mod:`~riskkit.monitoring.notify`: :func:`compose_digests` (one digest per recipient per run),
  :class:`EmailChannel` (SMTP), :class:`WebhookChannel` (JSON POST) and
  :func:`deliver_outbox` (retried, never sent twice once recorded as sent).
"""

from .archive import (
                      SCHEMA_VERSION,
                      Archive,
                      ArchiveBusyError,
                      ArchiveError,
                      ArchiveInputError,
                      ArchiveVersionError,
                      Outbox,
                      Run,
                      RunDiff,
                      RunInfo,
                      VerifyResult,
)
from .notify import (
                      ChannelConfigError,
                      ChannelError,
                      DeliveryReport,
                      EmailChannel,
                      Message,
                      WebhookChannel,
                      compose_digests,
                      deliver_outbox,
                      mask_text,
)

__all__ = [
    "Archive", "Run", "Outbox", "RunInfo", "VerifyResult", "RunDiff", "SCHEMA_VERSION",
    "ArchiveError", "ArchiveBusyError", "ArchiveVersionError", "ArchiveInputError",
    "Message", "compose_digests", "mask_text", "EmailChannel", "WebhookChannel", "deliver_outbox", "DeliveryReport",
    "ChannelError", "ChannelConfigError",
]
