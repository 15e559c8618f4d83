"""Monitoring and early warning (监控 / 预警): rules, alerts, the run archive, notifications.

- :mod:`~riskkit.monitoring.rules`: :class:`MonitoringRules` (YAML 监控规则配置: thresholds,
  changes against the previous snapshot, trailing windows, downgrades, limit breaches,
  event subscriptions, network-aware warnings, combinations, overdue reviews; levels
  red / orange / yellow / info; recipients per level and tag);
- :mod:`~riskkit.monitoring.alerts`: :func:`reconcile_alerts` (open, escalate, persist, close);
- :mod:`~riskkit.monitoring.actions`: :func:`reconcile_actions` (the recommended actions'
  work list: opened, reopened, escalated, persisting, resolved, closed by a controller);
- :mod:`~riskkit.monitoring.run`: :func:`run_monitoring`, the nightly run (rate, compare with
  the previous archived snapshot, alert, act, archive, notify);
- :mod:`~riskkit.monitoring.ews`: :func:`ews_backtest`, the early-warning back-test against
  outcomes and the true-PD oracle;
- :mod:`~riskkit.monitoring.review`: what a reviewer reads about a run (:func:`key_findings`,
  :func:`alerts_by_rule`, :func:`top_alert`, :func:`diff_overview`,
  :func:`linked_party_table`, :func:`digest_table`, :func:`digest_for`, :func:`digest_text`);

- :mod:`~riskkit.monitoring.archive`: :class:`Archive` (DuckDB, append-only, hash-chained rows,
  one transaction per run, customer timeline, run diffs, the open actions' work list
  :meth:`Archive.open_actions` and :meth:`Archive.close_action`, :meth:`Archive.verify`);
- :mod:`~riskkit.monitoring.notify`: :func:`compose_digests` (one digest per recipient per run),
  :class:`EmailChannel` (SMTP), :class:`WebhookChannel` (JSON POST) and
  :func:`deliver_outbox` (retried, never sent twice once recorded as sent).
"""

from .actions import ACTION_EVENTS, CLOSE_OUTCOMES, NEW_ACTION_EVENTS, ActionReconciliation, reconcile_actions
from .alerts import AlertReconciliation, reconcile_alerts
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
from .network_rules import LinksInputError
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

from .ews import EWSBacktest, ews_backtest
from .rules import MissingColumnError, MonitoringInputError, MonitoringRules, level_rank
from .review import (
                      alerts_by_rule,
                      diff_overview,
                      digest_for,
                      digest_table,
                      digest_text,
                      key_findings,
                      linked_party_table,
                      top_alert,
)
from .run import MonitoringFrame, MonitoringResult, data_fingerprint, monitoring_frame, run_monitoring

__all__ = [
    "run_monitoring", "monitoring_frame", "MonitoringResult", "MonitoringFrame", "data_fingerprint",
    "ews_backtest", "EWSBacktest",
    "key_findings", "alerts_by_rule", "top_alert", "diff_overview", "linked_party_table", "digest_table",
    "digest_for", "digest_text",
    "MonitoringRules", "MonitoringInputError", "MissingColumnError", "LinksInputError", "level_rank",
    "reconcile_alerts", "AlertReconciliation",
    "reconcile_actions", "ActionReconciliation", "ACTION_EVENTS", "NEW_ACTION_EVENTS", "CLOSE_OUTCOMES",
    "Archive", "Run", "Outbox", "RunInfo", "VerifyResult", "RunDiff", "SCHEMA_VERSION",
    "ArchiveError", "ArchiveBusyError", "ArchiveVersionError", "ArchiveInputError",
    "Message", "compose_digests", "mask_text", "EmailChannel", "WebhookChannel", "deliver_outbox", "DeliveryReport",
    "ChannelError", "ChannelConfigError",
]
