"""Recommended actions across runs: a work list that does not repeat every night (pure pandas).

:func:`riskkit.limits.recommend_actions` recommends, every night, every action whose
condition holds.  A recommended action is a work item named by (``customer_id``,
``action``); while its condition lasts it stays *open* and is not a new item again.  Each
run gives each key exactly one event, with the transitions of the alert life cycle
(``riskkit/monitoring/_lifecycle.py``, shared with :func:`reconcile_alerts`) plus the
credit controller's closes:

================  =====================================================  ==========  ===========
event             condition                                              new item?   due date
================  =====================================================  ==========  ===========
``opened``        recommended now, not open before                       yes         recommended
``reopened``      recommended now, closed by the controller since the    yes         recommended
                  previous run (the close did not remove the condition)
``escalated``     open, and now more urgent (``priority``) than any      yes         earlier of
                  priority notified for it so far                                    open, new
``deescalated``   open, and now less urgent than at the previous run     no          kept
``persisting``    open otherwise (same priority, or a priority missing)  no          kept
``resolved``      open, not recommended now: the condition is gone       no          kept
``closed``        closed by the controller since the previous run and    no          kept
                  not recommended now
================  =====================================================  ==========  ===========

What changes of a persisting action mean: the *work item* keeps its first run
(``first_seen``) and its due date, so an action recommended night after night becomes
overdue instead of being pushed back.  A higher priority is an escalation: notified again,
and the due date moves to the new recommendation's if that is earlier (an escalation
brings the deadline forward, never back).  A lower priority, another ``owner`` or another
``reason`` is recorded (latest value) but is no new item and no notification.  Priorities
rank as listed in the action policy (``critical, high, medium, low`` by default; the first
is the most urgent).

A controller's close (:meth:`Archive.close_action`, with an outcome such as ``done``)
removes the item from the open list.  If the next run still recommends the action, it
opens anew (``reopened``, a new work item with a new first run and due date): the run says
that the close did not clear the condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from .._core.dates import check_as_of
from ..limits import load_action_policy
from ._lifecycle import check_items, empty_open, transitions
from .rules import MonitoringInputError

__all__ = ["ACTION_EVENTS", "NEW_ACTION_EVENTS", "CLOSE_OUTCOMES", "ActionReconciliation", "reconcile_actions",
           "default_priorities"]

ACTION_EVENTS = ("opened", "reopened", "escalated", "deescalated", "persisting", "resolved", "closed")
#: events that make a new work item for the controller (listed in the digests)
NEW_ACTION_EVENTS = ("opened", "reopened", "escalated")
#: outcomes a controller gives when closing an action
CLOSE_OUTCOMES = ("done", "not_needed", "superseded")

_KEY = ["customer_id", "action"]
_OPEN_COLUMNS = ["customer_id", "action", "priority", "first_seen", "due_date"]


@lru_cache(maxsize=1)
def default_priorities() -> tuple:
    """The priorities of the default action policy, most urgent first."""
    return tuple(load_action_policy(None).priorities)


@dataclass(frozen=True, repr=False)
class ActionReconciliation:
    """Outcome of :func:`reconcile_actions`.

    Attributes
    ----------
    events : DataFrame
        One row per key recommended now, open before or closed since the previous run:
        ``customer_id, action, event`` (:data:`ACTION_EVENTS`), ``priority_before``
        (missing if opened/reopened), ``priority_after`` (missing if resolved/closed),
        ``due_date`` (of the work item), ``first_seen`` and ``as_of``; sorted by event (in
        the order of :data:`ACTION_EVENTS`), customer and action.
    actions : DataFrame
        The recommended actions in their order, with ``event``, ``previous_priority``,
        ``first_seen`` and ``due_date`` replaced by the work item's due date (the
        recommended one is in ``recommended_due_date``).
    open_actions : DataFrame
        The open actions after this run (the input of the next run): the recommended
        actions with ``first_seen``, ``due_date`` (the work item's), ``raised_priority``
        and ``last_seen`` (= as_of).
    as_of : Timestamp
    """

    events: pd.DataFrame
    actions: pd.DataFrame
    open_actions: pd.DataFrame
    as_of: pd.Timestamp

    def counts(self) -> pd.Series:
        """Number of keys per event, in the order of :data:`ACTION_EVENTS`."""
        return self.events["event"].value_counts().reindex(list(ACTION_EVENTS), fill_value=0)

    def to_frame(self) -> pd.DataFrame:
        return self.events.copy()

    def summary(self) -> str:
        counts = self.counts()
        parts = ", ".join(f"{counts[e]} {e}" for e in ACTION_EVENTS)
        new = int(counts[list(NEW_ACTION_EVENTS)].sum())
        return f"actions as of {self.as_of.date()}: {parts}; {new} new work item(s), {len(self.open_actions)} open"


def _dates(frame: pd.DataFrame, name: str, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    values = frame[column]
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.astype("datetime64[ns]")
    converted = pd.to_datetime(values, errors="coerce")
    bad = (converted.isna() & values.notna()).to_numpy()
    if bad.any():
        raise MonitoringInputError(f"{name}.{column}: not dates at rows {np.flatnonzero(bad)[:5].tolist()}")
    return converted.astype("datetime64[ns]")


def _earlier(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise earlier date, ignoring a missing one."""
    return a.where(a.notna() & (b.isna() | (a <= b)), b)


def reconcile_actions(recommended: pd.DataFrame, open_actions: pd.DataFrame | None, *, as_of,
                      priorities=None, closed: pd.DataFrame | None = None) -> ActionReconciliation:
    """Compare this run's recommended actions with the open ones: what opens, persists, resolves.

    Parameters
    ----------
    recommended : DataFrame
        This run's actions (:func:`riskkit.limits.recommend_actions`): ``customer_id``,
        ``action``, ``priority`` (values may be missing) and optionally ``due_date``,
        ``owner``, ``reason``; unique per (customer_id, action).
    open_actions : DataFrame or None
        Open actions after the previous run (the ``open_actions`` of the previous
        reconciliation, or :meth:`Archive.open_actions`): ``customer_id, action,
        priority, first_seen`` (datetime64), ``due_date`` and optionally
        ``raised_priority`` (default ``priority``).  None or empty on the first run.
    as_of : date
        Date of this run; ``first_seen`` of the actions it opens.
    priorities : sequence of str, optional
        Priorities, most urgent first (default: the default action policy's).
    closed : DataFrame, optional
        ``customer_id, action`` of the open actions the controller closed since the
        previous run; each must be in ``open_actions``.

    Returns
    -------
    ActionReconciliation

    Raises
    ------
    MonitoringInputError
        Missing columns or values, unknown priorities, duplicate keys, dates that are not
        dates, or a close of an action that is not open.
    """
    as_of = check_as_of(as_of)
    priorities = default_priorities() if priorities is None else tuple(priorities)
    rank = {p: i for i, p in enumerate(priorities)}
    new = check_items(recommended, "recommended", _KEY, "priority", priorities, level_required=False)
    new = new.assign(recommended_due_date=_dates(new, "recommended", "due_date"))
    if open_actions is None or len(open_actions) == 0:
        old = empty_open([*_OPEN_COLUMNS, "raised_priority"], dates=("first_seen", "due_date"))
    else:
        old = check_items(open_actions, "open_actions", _KEY, "priority", priorities, required=["first_seen"],
                          level_required=False)
        if not pd.api.types.is_datetime64_dtype(old["first_seen"].dtype):
            raise MonitoringInputError(f"open_actions.first_seen must be a datetime64 column, got dtype "
                                       f"{old['first_seen'].dtype}")
        raised = old["raised_priority"] if "raised_priority" in old.columns else old["priority"]
        bad = (raised.notna() & ~raised.isin(priorities)).to_numpy()
        if bad.any():
            raise MonitoringInputError(f"open_actions.raised_priority: unknown priority(ies) "
                                       f"{sorted(set(raised[bad].astype(str)))}")
        old = old.assign(raised_priority=raised, due_date=_dates(old, "open_actions", "due_date"))
    if closed is not None and len(closed):
        closed = check_items(closed.assign(priority=None) if "priority" not in closed.columns else closed,
                             "closed", _KEY, "priority", priorities, level_required=False)
        closed_keys = pd.MultiIndex.from_frame(closed[_KEY])
        not_open = ~closed_keys.isin(pd.MultiIndex.from_frame(old[_KEY]))
        if not_open.any():
            raise MonitoringInputError(f"closed: action(s) not open: {closed_keys[not_open][:5].tolist()}")
        is_closed = pd.MultiIndex.from_frame(old[_KEY]).isin(closed_keys)
    else:
        is_closed = np.zeros(len(old), dtype=bool)

    # closed by the controller: not open any more; recommended again -> reopened, else closed
    both = transitions(new, old[~is_closed].rename(columns={"raised_priority": "raised_level"}), key=_KEY,
                       level="priority", rank=rank, as_of=as_of, carry=["due_date"])
    event = pd.Series(both["transition"]).replace({"closed": "resolved"}).to_numpy(dtype=object)
    was_closed = pd.MultiIndex.from_frame(both[_KEY]).isin(pd.MultiIndex.from_frame(old.loc[is_closed, _KEY]))
    event[was_closed] = "reopened"
    due_before = both["due_date_before"].astype("datetime64[ns]")
    due_now = both["recommended_due_date"].astype("datetime64[ns]")
    due = np.select([np.isin(event, ["opened", "reopened"]), event == "escalated"],
                    [due_now.to_numpy(), _earlier(due_before, due_now).to_numpy()],
                    default=due_before.fillna(due_now).to_numpy())
    events = pd.DataFrame({
        "customer_id": both["customer_id"].to_numpy(dtype=object),
        "action": both["action"].to_numpy(dtype=object),
        "event": event,
        "priority_before": both["level_before"].to_numpy(dtype=object),
        "priority_after": both["priority"].to_numpy(dtype=object),
        "due_date": pd.to_datetime(due),
        "first_seen": both["first_seen"].to_numpy(),
        "as_of": as_of,
    })
    gone = old[is_closed & ~pd.MultiIndex.from_frame(old[_KEY]).isin(pd.MultiIndex.from_frame(new[_KEY]))]
    if len(gone):
        events = pd.concat([events, pd.DataFrame({
            "customer_id": gone["customer_id"].to_numpy(dtype=object), "action": gone["action"].to_numpy(dtype=object),
            "event": "closed", "priority_before": gone["priority"].to_numpy(dtype=object), "priority_after": None,
            "due_date": gone["due_date"].to_numpy(), "first_seen": gone["first_seen"].to_numpy(), "as_of": as_of})],
            ignore_index=True)
    for column in ("priority_before", "priority_after"):
        events[column] = events[column].astype(object).where(events[column].notna(), None)
    order = events["event"].map({e: i for i, e in enumerate(ACTION_EVENTS)})
    events = events.assign(_o=order).sort_values(["_o", "customer_id", "action"], kind="stable") \
        .drop(columns="_o").reset_index(drop=True)

    # this run's recommended actions with their state, in the order of `recommended`
    state = new[_KEY].merge(both[[*_KEY, "level_before", "raised_before", "first_seen"]].assign(
        event=event, work_due=due), on=_KEY, how="left", sort=False)
    notified = np.isin(state["event"].to_numpy(dtype=object), ["opened", "reopened", "escalated"])
    raised_priority = new["priority"].where(pd.Series(notified), state["raised_before"])
    actions = new.assign(event=state["event"].to_numpy(dtype=object),
                         previous_priority=state["level_before"].astype(object)
                         .where(state["level_before"].notna(), None).to_numpy(dtype=object),
                         first_seen=state["first_seen"].to_numpy(),
                         due_date=pd.to_datetime(state["work_due"].to_numpy()))
    open_after = actions.drop(columns=["event", "previous_priority"]).assign(
        raised_priority=raised_priority.to_numpy(dtype=object), last_seen=as_of)
    return ActionReconciliation(events=events, actions=actions, open_actions=open_after, as_of=as_of)
