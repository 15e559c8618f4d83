"""Alert state across runs: deduplicate, escalate and close alerts (pure pandas).

An alert is identified by (``customer_id``, ``rule``).  Between two monitoring runs each
key goes through exactly one transition:

===============  ====================================================  ==========
event            condition                                             raised?
===============  ====================================================  ==========
``opened``       raised now, not open before                           yes
``escalated``    open, and now more severe than any level raised so    yes
                 far for it (``raised_level``)
``deescalated``  open, and now milder than at the previous run         no
``persisting``   open otherwise (same level, or back up to a level     no
                 already raised)
``closed``       open, not raised now (the condition cleared, or the   no
                 customer left the book)
===============  ====================================================  ==========

The transitions are those of ``riskkit/monitoring/_lifecycle.py``, the one definition
shared with the recommended actions (:func:`~riskkit.monitoring.reconcile_actions`).
:class:`~riskkit.monitoring.Archive` runs record the events it computes (``Run.add_alerts``), so an archived monitoring run and a
replay over plain frames agree.  An alert that falls back and rises again is not notified
twice: red, then orange, then red is opened, deescalated, persisting.

A ``change``, ``downgrade``, ``event`` or ``network`` alert reports something that happened
between two runs, so it closes at the next run unless it happens again; a ``threshold`` or
``limit_breach`` alert describes a state and stays open (raised once) while the state lasts.

``first_seen`` is the ``as_of`` of the run that opened the alert and is carried over for
as long as it stays open; an alert closed and raised again later opens anew.  Open alerts
of a rule that was not evaluated in this run (``evaluated_rules``) are carried over
unchanged instead of being closed, so that a skipped optional rule does not close and
then reopen every alert it raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from .._core.dates import check_as_of
from .._core.display import HTMLReprMixin
from .._core.levels import LEVELS, SEVERITY_RANK as _RANK
from ..data.privacy import mask_pii as _mask_pii
from ._lifecycle import TRANSITIONS, check_items, empty_open, transitions
from .rules import MonitoringInputError

__all__ = ["ALERT_EVENTS", "AlertReconciliation", "reconcile_alerts"]

ALERT_EVENTS = TRANSITIONS
_KEY = ["customer_id", "rule"]


@dataclass(frozen=True, repr=False)
class AlertReconciliation(HTMLReprMixin):
    """Outcome of :func:`reconcile_alerts`.

    Attributes
    ----------
    events : DataFrame
        One row per key that changed or persisted: ``customer_id, rule, event``
        (:data:`ALERT_EVENTS`), ``level_before`` (level of the open alert, missing if
        opened), ``level_after`` (missing if closed), ``first_seen`` and ``as_of``;
        sorted by event (in the order of :data:`ALERT_EVENTS`), customer and rule.
    to_raise : DataFrame
        The new alerts to notify (opened or escalated), with their columns plus
        ``status`` (opened/escalated), ``first_seen`` and ``previous_level`` (missing if
        opened), in the order of ``new_alerts``.
    open_alerts : DataFrame
        The open alerts after this run (to store for the next run): every new alert with
        ``first_seen``, ``last_seen`` (= as_of) and ``raised_level``, plus the open
        alerts of rules not evaluated, unchanged.
    as_of : Timestamp
    """

    events: pd.DataFrame
    to_raise: pd.DataFrame
    open_alerts: pd.DataFrame
    as_of: pd.Timestamp

    def counts(self) -> pd.Series:
        """Number of keys per event, in the order of :data:`ALERT_EVENTS`."""
        return self.events["event"].value_counts().reindex(list(ALERT_EVENTS), fill_value=0)

    def _display_parts(self) -> dict:
        counts = self.counts()
        return {"headline": self.summary(), "frames": [("events", self.events), ("to raise", self.to_raise)],
                "fields": {f"{event}": int(counts[event]) for event in ALERT_EVENTS}, "mask": _mask_pii}

    def summary(self) -> str:
        counts = self.counts()
        parts = ", ".join(f"{counts[e]} {e}" for e in ALERT_EVENTS)
        return f"alerts as of {self.as_of.date()}: {parts}; {len(self.to_raise)} to raise, " \
               f"{len(self.open_alerts)} open"


def _check_alerts(frame, name: str, required) -> pd.DataFrame:
    return check_items(frame, name, _KEY, "level", LEVELS, required=[c for c in required if c not in (*_KEY, "level")])


def reconcile_alerts(new_alerts: pd.DataFrame, open_alerts: pd.DataFrame | None, *, as_of,
                     evaluated_rules: Iterable[str] | None = None) -> AlertReconciliation:
    """Compare this run's alerts with the open ones: what opens, escalates, persists, closes.

    Parameters
    ----------
    new_alerts : DataFrame
        Alerts of this run (:meth:`MonitoringRules.evaluate`): at least ``customer_id``,
        ``rule``, ``level``; unique per (customer_id, rule).
    open_alerts : DataFrame or None
        Open alerts after the previous run (the ``open_alerts`` of the previous
        reconciliation): ``customer_id``, ``rule``, ``level``, ``first_seen`` and
        optionally ``raised_level`` (default: ``level``).  None or empty on the first run.
    as_of : date
        Date of this run; ``first_seen`` of newly opened alerts.
    evaluated_rules : iterable of str, optional
        Rules evaluated in this run (default: all).  Open alerts of other rules are
        carried over, not closed.

    Returns
    -------
    AlertReconciliation

    Raises
    ------
    MonitoringInputError
        Missing columns or values, unknown levels, duplicate keys, or a new alert of a
        rule outside ``evaluated_rules``.
    """
    as_of = check_as_of(as_of)
    new = _check_alerts(new_alerts, "new_alerts", ["customer_id", "rule", "level"])
    if open_alerts is None or len(open_alerts) == 0:
        old = empty_open(["customer_id", "rule", "level", "first_seen"])
    else:
        old = _check_alerts(open_alerts, "open_alerts", ["customer_id", "rule", "level", "first_seen"])
    if not pd.api.types.is_datetime64_dtype(old["first_seen"].dtype):
        raise MonitoringInputError(f"open_alerts.first_seen must be a datetime64 column, got dtype "
                                   f"{old['first_seen'].dtype}")
    raised_before = old["raised_level"] if "raised_level" in old.columns else old["level"]
    bad = ~raised_before.isin(LEVELS).to_numpy()
    if bad.any():
        raise MonitoringInputError(f"open_alerts.raised_level: unknown level(s) "
                                   f"{sorted(set(raised_before[bad].astype(str)))}")
    old = old.assign(raised_level=raised_before)

    if evaluated_rules is None:
        evaluated = pd.Index(pd.concat([new["rule"], old["rule"]]).unique())
    else:
        evaluated = pd.Index(list(evaluated_rules))
        stray = sorted(set(new["rule"]) - set(evaluated))
        if stray:
            raise MonitoringInputError(f"new_alerts: rule(s) {stray} are not in evaluated_rules")
    carried = old[~old["rule"].isin(evaluated)]
    old = old[old["rule"].isin(evaluated)]

    both = transitions(new, old, key=_KEY, level="level", rank=_RANK, as_of=as_of)
    event = both["transition"].to_numpy()  # the alert events are the transitions, named alike
    first_seen = both["first_seen"]
    events = pd.DataFrame({
        "customer_id": both["customer_id"].to_numpy(),
        "rule": both["rule"].to_numpy(),
        "event": event,
        "level_before": both["level_before"].to_numpy(dtype=object),
        "level_after": both["level"].to_numpy(dtype=object),
        "first_seen": first_seen.to_numpy(),
        "as_of": as_of,
    })
    order = events["event"].map({e: i for i, e in enumerate(ALERT_EVENTS)})
    events = events.assign(_o=order).sort_values(["_o", "customer_id", "rule"], kind="stable") \
        .drop(columns="_o").reset_index(drop=True)

    # this run's alerts with their state, in the order of new_alerts
    state = new.merge(both[[*_KEY, "level_before", "raised_before"]].assign(
        first_seen=first_seen.to_numpy(), event=event), on=_KEY, how="left", sort=False)
    raised = state["event"].isin(["opened", "escalated"]).to_numpy()
    raised_level = state["level"].where(pd.Series(raised), state["raised_before"])
    to_raise = new[raised].assign(status=state["event"][raised].to_numpy(),
                                  first_seen=state["first_seen"][raised].to_numpy(),
                                  previous_level=state["level_before"][raised].to_numpy(dtype=object))
    now_open = new.assign(first_seen=state["first_seen"].to_numpy(), last_seen=as_of,
                          raised_level=raised_level.to_numpy(dtype=object))
    open_after = pd.concat([now_open, carried], ignore_index=True) if len(carried) else now_open
    return AlertReconciliation(events=events, to_raise=to_raise.reset_index(drop=True),
                               open_alerts=open_after.reset_index(drop=True), as_of=as_of)
