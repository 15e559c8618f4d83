"""The monitoring run (预警): rate the book as of a date, compare, alert, act, archive, notify.

:func:`run_monitoring` is what the nightly ``riskkit monitor`` executes:

1. profile and rate every customer on ``as_of`` (:func:`riskkit.assess.assess_portfolio`),
   recommend limits (:func:`riskkit.limits.recommend_limits`) and the review calendar;
2. add the network view: the network-adjusted PD (:func:`riskkit.graph.network_adjusted_pd`),
   the parties a stress scenario on today's worst names would distress, and the
   linked-party table (:func:`riskkit.graph.linked_parties`);
3. evaluate the rules against the previous archived snapshot
   (:meth:`MonitoringRules.evaluate`); the archive advances each alert's life cycle
   (:meth:`Run.add_alerts`, by :func:`reconcile_alerts`: an open alert is notified again
   only when it rises above every level notified for it so far);
4. recommend actions (:func:`riskkit.limits.recommend_actions`); the archive advances each
   action's life cycle (:meth:`Run.add_actions`, by :func:`reconcile_actions`: an action
   recommended again while open persists with its first run and due date, and is no new
   work item);
5. write snapshot, alerts, actions, limit decisions and the notification digests (new and
   escalated alerts, new, reopened and escalated actions) into the archive in one
   transaction, then (optionally) deliver the outbox.

:func:`monitoring_frame` (steps 1-2) is shared with the early-warning back-test, so the
replay sees exactly what a nightly run would have seen.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._core.dates import check_as_of
from .._core.display import HTMLReprMixin
from ..assess import assess_portfolio, default_capital, development_dates, fit_portfolio_scorecard, last_reviews
from ..data import data_fingerprint
from ..data.privacy import mask_pii as _mask_pii
from ..graph import StressScenario, build_graph, linked_parties, network_adjusted_pd, stress_test
from ..limits import load_action_policy, next_review_dates, recommend_actions, recommend_limits
from ..profile import build_profile
from ..scoring import Scorecard
from ._recipients import mask_recipient
from .actions import ACTION_EVENTS, NEW_ACTION_EVENTS
from .notify import EmailChannel, WebhookChannel, compose_digests, deliver_outbox
from .rules import MonitoringInputError, MonitoringRules

__all__ = ["MonitoringResult", "MonitoringFrame", "monitoring_frame", "run_monitoring", "data_fingerprint",
           "SNAPSHOT_COLUMNS"]

#: columns of the per-customer frame kept in the archive's snapshots (what later runs compare)
SNAPSHOT_COLUMNS = (
    "score", "pd", "grade", "pd_grade", "expert_score", "credit_limit", "ead", "utilisation", "expected_loss",
    "recommended_limit", "network_pd", "stress_distress", "current_dpd", "max_dpd_365d", "avg_days_beyond_terms",
    "days_to_pay_recent", "orders_amount_90d", "orders_change_90d", "bureau_score", "altman_zone",
    "events_litigation_365d", "industry", "region",
)


@dataclass(frozen=True, repr=False)
class MonitoringFrame(HTMLReprMixin):
    """What a monitoring run sees on ``as_of``.

    Attributes
    ----------
    as_of : Timestamp
    current : DataFrame
        One row per customer onboarded by ``as_of`` (``customer_id`` index): the profile,
        the ratings, ``recommended_limit``, ``network_pd``, ``stress_distress``,
        ``review_overdue_days``.
    limits : DataFrame
        :func:`riskkit.limits.recommend_limits` output.
    links : DataFrame
        :func:`riskkit.graph.linked_parties` (``customer_id, linked_id, relation``).
    """

    as_of: pd.Timestamp
    current: pd.DataFrame
    limits: pd.DataFrame
    links: pd.DataFrame

    def _display_parts(self) -> dict:
        return {"headline": f"as of {self.as_of.date()}: {len(self.current):,} customers rated, "
                            f"{len(self.links):,} links",
                "frames": [("current", self.current), ("limits", self.limits)], "mask": _mask_for_display}


@dataclass(frozen=True, repr=False)
class MonitoringResult(HTMLReprMixin):
    """The outcome of one :func:`run_monitoring`.

    Attributes
    ----------
    as_of : Timestamp
    run_id : str or None
        The archive run (None without an archive).
    frame : MonitoringFrame
    alerts : DataFrame
        This run's alerts with their life-cycle ``event`` (opened, escalated, persisting).
    closed : DataFrame
        Alerts open before this run whose condition cleared.
    actions : DataFrame
        :func:`riskkit.limits.recommend_actions` for the alerted and rated customers, with
        their life-cycle ``event`` (opened, reopened, escalated, deescalated, persisting;
        :mod:`~riskkit.monitoring.actions`), ``action_id``, ``previous_priority``,
        ``first_seen_run``, ``first_seen`` and ``due_date`` the work item's due date (kept
        from when it opened; the night's own is ``recommended_due_date``).  Without an
        archive every action is ``opened``.
    messages : list
        Digests queued for delivery (one per recipient).
    delivery : object or None
        The delivery report when ``notify=True``.
    resolved_actions : DataFrame
        Actions open before this run that it no longer recommends (``customer_id, action,
        priority, owner, due_date, first_run``).
    """

    as_of: pd.Timestamp
    run_id: str | None
    frame: MonitoringFrame
    alerts: pd.DataFrame
    closed: pd.DataFrame
    actions: pd.DataFrame
    messages: list = field(default_factory=list)
    delivery: Any = None
    resolved_actions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["customer_id", "action", "priority", "owner", "due_date", "first_run"]))

    def action_counts(self) -> pd.Series:
        """Actions by event: this run's recommended ones, plus ``resolved`` (in the order of
        :data:`~riskkit.monitoring.actions.ACTION_EVENTS`, without ``closed``)."""
        events = [e for e in ACTION_EVENTS if e != "closed"]
        counts = self.actions["event"].value_counts() if len(self.actions) else pd.Series(dtype="int64")
        out = counts.reindex(events, fill_value=0).astype("int64")
        out["resolved"] = len(self.resolved_actions)
        return out

    def counts(self) -> pd.DataFrame:
        """Alerts by level (rows: red, orange, yellow, info) and event (new, escalated, persisting).

        An alert still open at a milder level than before (the archive's ``deescalated``
        event) counts as persisting: it is not sent again (see :mod:`~riskkit.monitoring.alerts`).
        """
        levels = ["red", "orange", "yellow", "info"]
        if self.alerts.empty:
            return pd.DataFrame(0, index=pd.Index(levels, name="level"), columns=["new", "escalated", "persisting"])
        event = self.alerts["event"].replace({"opened": "new", "deescalated": "persisting"})
        table = pd.crosstab(self.alerts["level"], event).reindex(index=levels, columns=["new", "escalated",
                                                                                         "persisting"], fill_value=0)
        table.index.name = "level"
        return table.astype("int64")

    def _display_parts(self) -> dict:
        n = len(self.frame.current)
        counts = self.counts()
        red_orange = self.alerts.loc[self.alerts["level"].isin(["red", "orange"]), "customer_id"].nunique() \
            if len(self.alerts) else 0
        headline = (f"run {self.run_id or '(not archived)'} as of {self.as_of.date()}: {n:,} customers rated, "
                    f"{len(self.alerts):,} alerts ({red_orange:,} customers red or orange), "
                    f"{len(self.closed):,} closed")
        ac = self.action_counts()
        fields = {"actions recommended": len(self.actions), "new actions": int(ac[list(NEW_ACTION_EVENTS)].sum()),
                  "persisting actions": int(ac["persisting"] + ac["deescalated"]),
                  "resolved actions": int(ac["resolved"]), "notifications queued": len(self.messages)}
        return {"headline": headline, "fields": fields,
                "frames": [("alerts by level and event", counts), ("alerts", self.alerts),
                           ("actions", self.actions)], "mask": _mask_for_display}

    def summary(self) -> str:
        """The one-screen summary the nightly command prints."""
        n = len(self.frame.current)
        counts = self.counts()
        customers = self.alerts.groupby("level")["customer_id"].nunique() if len(self.alerts) else pd.Series(dtype=int)
        lines = [f"riskkit monitoring run {self.run_id or '(not archived)'} as of {self.as_of.date()}: "
                 f"{n:,} customers rated"]
        lines.append(f"{'level':<8}{'customers':>10}{'new':>6}{'escalated':>11}{'persisting':>12}")
        for level, row in counts.iterrows():
            share = customers.get(level, 0)
            lines.append(f"{level:<8}{share:>10,}{row['new']:>6,}{row['escalated']:>11,}{row['persisting']:>12,}")
        lines.append(f"closed since the previous run: {len(self.closed):,}")
        red_orange = self.alerts.loc[self.alerts["level"].isin(["red", "orange"]), "customer_id"].nunique() \
            if len(self.alerts) else 0
        lines.append(f"customers with red or orange alerts: {red_orange:,} ({red_orange / max(n, 1):.1%})")
        ac = self.action_counts()
        lines.append(f"actions: {ac['opened'] + ac['reopened']:,} new ({ac['reopened']:,} reopened after a "
                     f"controller's close), {ac['escalated']:,} escalated, "
                     f"{ac['persisting'] + ac['deescalated']:,} persisting, {ac['resolved']:,} resolved")
        fresh = self.actions[self.actions["event"].isin(NEW_ACTION_EVENTS)] if len(self.actions) else self.actions
        if len(fresh):
            by_action = fresh["action"].value_counts()
            lines.append("new or escalated actions: " + ", ".join(f"{a} {n:,}" for a, n in by_action.items()))
        if self.delivery is not None:
            lines.append(self.delivery.summary())
        else:
            lines.append(f"notifications queued: {len(self.messages):,} (not sent; use --notify)")
        return "\n".join(lines)


# ------------------------------------------------------------------------------- helpers
def _mask_for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`riskkit.data.mask_pii`, and the e-mail addresses in a ``recipients`` column
    (tuples of staff mailboxes and webhook names) masked as the digests show them."""
    out = _mask_pii(frame)
    if "recipients" in out.columns:
        out["recipients"] = [tuple(mask_recipient(r) for r in value) if isinstance(value, (list, tuple))
                             else mask_recipient(value) if isinstance(value, str) else value
                             for value in out["recipients"]]
    return out


def _file_hash(path) -> str | None:
    if path is None:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _stress_distress(G, current: pd.DataFrame, exposure: pd.DataFrame, capital: pd.Series, worst: int,
                     threshold: float) -> pd.Series:
    """Customers that a default of today's ``worst`` highest-PD names would distress."""
    candidates = current[current["grade"] != "D"].sort_values(["pd", "ead"], ascending=False, kind="stable")
    names = [c for c in candidates.index[:worst] if c in G]
    flag = pd.Series(False, index=current.index)
    if not names:
        return flag
    result = stress_test(G, StressScenario("default", nodes=tuple(names)), exposure=exposure, capital=capital,
                         distress_threshold=threshold)
    affected = result.affected
    hit = affected.index[affected["status"].isin(["contagion_default", "distressed"])] if len(affected) else []
    flag.loc[flag.index.intersection(pd.Index(hit))] = True
    return flag


@contextmanager
def _timed(timings: dict | None, step: str):
    """Add the wall-clock seconds of the block to ``timings[step]`` (nothing if ``timings`` is None)."""
    if timings is None:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = timings.get(step, 0.0) + time.perf_counter() - start


def monitoring_frame(portfolio, as_of, scorecard: Scorecard, *, last_review: pd.Series | None = None,
                     limit_policy=None, review_policy=None, network: bool = True, stress_worst: int = 10,
                     stress_threshold: float = 0.2, timings: dict | None = None) -> MonitoringFrame:
    """Profile, rate, limit and add the network view of every customer on ``as_of``.

    Parameters
    ----------
    portfolio : Portfolio
    as_of : date-like
    scorecard : Scorecard
        A fitted scorecard.
    last_review : Series, optional
        Date of each customer's last credit review; default
        :func:`riskkit.assess.last_reviews` (the latest recorded credit decision).
    limit_policy, review_policy : optional
        Passed to :func:`riskkit.limits.recommend_limits` / :func:`riskkit.limits.next_review_dates`.
    network : bool
        Add ``network_pd``, ``stress_distress`` and the linked parties (default True).
    stress_worst, stress_threshold : int, float
        The stress scenario: the ``stress_worst`` highest-PD customers default; a customer
        whose DebtRank distress reaches ``stress_threshold`` is flagged.
    timings : dict, optional
        Filled with the wall-clock seconds of each step (``profile``, ``assess``,
        ``limits``, ``network_graph``, ``network_links``, ``network_pd``, ``network_stress``),
        for benchmarks (``bench/bench_monitoring.py``).
    """
    as_of = check_as_of(as_of)
    with _timed(timings, "profile"):
        profile = build_profile(portfolio, as_of)
    with _timed(timings, "assess"):
        ratings = assess_portfolio(portfolio, as_of, scorecard, profile=profile)
    with _timed(timings, "limits"):
        limits = recommend_limits(profile, ratings, limit_policy)
        current = profile.join(ratings.drop(columns=[c for c in ratings.columns if c in profile.columns]))
        current["recommended_limit"] = limits["recommended_limit"].reindex(current.index)
        if last_review is None:
            last_review = last_reviews(getattr(portfolio, "credit_decisions", None), ratings.index, as_of)
        calendar = next_review_dates(ratings, last_review, as_of=as_of, policy=review_policy)
        overdue = (-calendar["days_until_review"]).clip(lower=0)
        current["review_overdue_days"] = overdue.reindex(current.index).fillna(0).astype("int64")
    links = pd.DataFrame(columns=["customer_id", "linked_id", "relation"], dtype="str")
    current["network_pd"] = np.nan
    current["stress_distress"] = False
    if network:
        with _timed(timings, "network_graph"):
            G = build_graph(portfolio, as_of)
        with _timed(timings, "network_links"):
            links = linked_parties(G, current.index)
        with _timed(timings, "network_pd"):
            network_view = network_adjusted_pd(G, current["pd"].where(current["grade"] != "D", 1.0))
            current["network_pd"] = network_view["pd_network"].reindex(current.index)
        with _timed(timings, "network_stress"):
            capital = default_capital(G, portfolio, as_of)
            # the ratings' ead is rk.limits.exposure's (assess_portfolio); the scenario's losses read only it
            current["stress_distress"] = _stress_distress(G, current, current[["ead"]].fillna(0.0), capital,
                                                          stress_worst, stress_threshold)
    return MonitoringFrame(as_of=as_of, current=current, limits=limits, links=links)


def _snapshot_rows(current: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in SNAPSHOT_COLUMNS if c in current.columns]
    return current[cols].reset_index()


def _fit_default_scorecard(portfolio, as_of, progress: bool | None = None) -> Scorecard:
    dates = development_dates(as_of)
    card, _ = fit_portfolio_scorecard(portfolio, dates, progress=progress)
    return card


def run_monitoring(portfolio, as_of, rules: MonitoringRules | str | Path | None = None, archive=None, *,
                   scorecard: Scorecard | None = None, limit_policy=None, action_policy=None,
                   review_policy=None, network: bool = True, notify: bool = False, channels=None,
                   mask_pii: bool = True, rules_path=None, run_id: str | None = None,
                   timings: dict | None = None) -> MonitoringResult:
    """Rate the book as of ``as_of``, evaluate the rules against the previous run and act.

    Parameters
    ----------
    portfolio : Portfolio
    as_of : date-like
    rules : MonitoringRules, path or None
        Default :meth:`MonitoringRules.default`.
    archive : Archive, optional
        Where the previous snapshot and open alerts come from and this run goes (one
        transaction).  Without it the run compares with nothing and stores nothing.
    scorecard : Scorecard, optional
        A fitted scorecard; by default one is developed on the book's history
        (:func:`riskkit.assess.development_dates` of ``as_of``).
    limit_policy, action_policy, review_policy : optional
        Policies of :mod:`riskkit.limits` (defaults in ``riskkit/configs``).
    network : bool
        Compute the network-aware inputs (network PD, stress scenario, linked parties).
    notify : bool
        Deliver the outbox (this run's digests and any left from earlier runs) through
        ``channels`` (default: e-mail and webhook channels configured by environment
        variables, see :mod:`riskkit.monitoring.notify`).
    mask_pii : bool
        Mask PII in the digests (default True).
    run_id : str, optional
        The archive run's id (default ``run-YYYYMMDD-<8 random hex>``, see
        :meth:`Archive.run`); a fixed id makes alert ids and digests reproducible.
    timings : dict, optional
        Filled with the wall-clock seconds of each step: those of :func:`monitoring_frame`
        plus ``archive_read`` (previous snapshot, open alerts, last reviews), ``rules``,
        ``actions``, ``fingerprint`` (hashes of the rules and the input data),
        ``archive_write`` (the one transaction, digests included) and ``notify``.  For benchmarks (``bench/bench_monitoring.py``).

    Returns
    -------
    MonitoringResult
    """
    as_of = check_as_of(as_of)
    if rules is None:
        rules = MonitoringRules.default()
    elif not isinstance(rules, MonitoringRules):
        rules_path = rules
        rules = MonitoringRules.from_yaml(rules)
    if run_id is not None and archive is None:
        raise MonitoringInputError("run_id names an archive run; pass archive= as well (without an archive "
                                   "nothing is stored)")
    if scorecard is None:
        scorecard = _fit_default_scorecard(portfolio, as_of)

    action_policy = load_action_policy(action_policy)
    previous, previous_as_of, open_alerts, open_actions = None, None, None, None
    if archive is not None:
        with _timed(timings, "archive_read"):
            previous_run = archive.latest_run(before=as_of)
            if previous_run is not None:
                previous = archive.snapshot(previous_run.run_id)
                if "customer_id" in previous.columns:
                    previous = previous.set_index("customer_id")
                previous_as_of = previous_run.as_of
            open_alerts = archive.open_alerts()
            open_actions = archive.open_actions()
    frame = monitoring_frame(portfolio, as_of, scorecard, limit_policy=limit_policy,
                             review_policy=review_policy, network=network, timings=timings)
    current = frame.current
    with _timed(timings, "rules"):
        alerts = rules.evaluate(current, previous, events=portfolio.events, links=frame.links, as_of=as_of,
                                previous_as_of=previous_as_of)
    with _timed(timings, "actions"):
        actions = recommend_actions(current, alerts, action_policy, limits=frame.limits, as_of=as_of)
    messages, delivery = [], None
    if archive is not None:
        with _timed(timings, "fingerprint"):
            provenance = {"rules_hash": _file_hash(rules_path) or rules_fingerprint(rules), "config_hash": None,
                          "data_fingerprint": data_fingerprint(portfolio), "run_id": run_id}
        # the clock stops after the commit (the inner context exits first)
        with _timed(timings, "archive_write"), archive.run(as_of, **provenance) as run:
            run_id = run.run_id
            run.add_snapshots(_snapshot_rows(current))
            raised = run.add_alerts(alerts)
            actions = run.add_actions(actions, priorities=action_policy.priorities)
            run.add_limit_decisions(_limit_decisions(frame.limits))
            to_notify = raised[raised["event"].isin(["opened", "escalated"])]
            messages = compose_digests(to_notify, run.info, mask_pii=mask_pii, customers=portfolio.customers,
                                       actions=_action_recipients(actions, raised))
            run.queue(messages)
        closed = _closed(open_alerts, raised)
        resolved = _resolved(open_actions, actions)
        if notify:
            with _timed(timings, "notify"):
                delivery = deliver_outbox(archive, channels if channels is not None else channels_from_env())
    else:
        # nothing was open before an unarchived run: every alert opens, none closes
        raised = alerts.assign(event="opened")
        closed = _closed(None, raised)
        actions = actions.assign(event="opened", previous_priority=None, first_seen=as_of)
        resolved = _resolved(None, actions)
        messages = compose_digests(raised, {"run_id": "unarchived", "as_of": as_of}, mask_pii=mask_pii,
                                   customers=portfolio.customers, actions=_action_recipients(actions, raised))
    return MonitoringResult(as_of=as_of, run_id=run_id, frame=frame, alerts=raised, closed=closed,
                            actions=actions, messages=list(messages), delivery=delivery, resolved_actions=resolved)


def rules_fingerprint(rules: MonitoringRules) -> str:
    """SHA-256 of the rules' table (what the rules are, not where they came from)."""
    table = rules.to_frame().astype(str)
    return hashlib.sha256(table.to_csv().encode()).hexdigest()[:16]


def channels_from_env(environ=None) -> list:
    """The channels configured by environment variables (``RISKKIT_SMTP_HOST``, ``RISKKIT_WEBHOOK_URL``)."""
    import os

    env = os.environ if environ is None else environ
    channels = []
    if env.get("RISKKIT_SMTP_HOST"):
        channels.append(EmailChannel.from_env(env))
    if env.get("RISKKIT_WEBHOOK_URL"):
        channels.append(WebhookChannel.from_env(environ=env))
    return channels


def _limit_decisions(limits: pd.DataFrame) -> pd.DataFrame:
    """The recommended limits as archive rows (a recommendation, decided by the kit)."""
    out = pd.DataFrame({
        "customer_id": limits.index.astype(str),
        "credit_limit": limits["recommended_limit"].to_numpy(dtype="float64"),
        "previous_limit": limits["current_limit"].to_numpy(dtype="float64"),
        "method": limits["binding_method"].astype(object).where(limits["binding_method"].notna(), None).to_numpy(),
        "reason": limits["reason"].astype(object).to_numpy(),
        "decided_by": "riskkit recommendation",
    })
    return out


def _closed(open_before: pd.DataFrame | None, raised: pd.DataFrame) -> pd.DataFrame:
    """Alerts open before the run that this run did not raise again (the archive closed them)."""
    if open_before is None or open_before.empty:
        return pd.DataFrame(columns=["customer_id", "rule", "level"])
    key = pd.MultiIndex.from_frame(raised[["customer_id", "rule"]]) if len(raised) else pd.MultiIndex.from_tuples(
        [], names=["customer_id", "rule"])
    was = pd.MultiIndex.from_frame(open_before[["customer_id", "rule"]])
    return open_before.loc[~was.isin(key), ["customer_id", "rule", "level"]].reset_index(drop=True)




def _resolved(open_before: pd.DataFrame | None, actions: pd.DataFrame) -> pd.DataFrame:
    """Actions open before the run that this run did not recommend again (the archive resolved them)."""
    columns = ["customer_id", "action", "priority", "owner", "due_date", "first_run"]
    if open_before is None or open_before.empty:
        return pd.DataFrame(columns=columns)
    key = pd.MultiIndex.from_frame(actions[["customer_id", "action"]]) if len(actions) else pd.MultiIndex.from_tuples(
        [], names=["customer_id", "action"])
    was = pd.MultiIndex.from_frame(open_before[["customer_id", "action"]])
    return open_before.loc[~was.isin(key), columns].reset_index(drop=True)


def _action_recipients(actions: pd.DataFrame, alerts: pd.DataFrame) -> pd.DataFrame:
    """The actions with ``recipients``: everyone this run's alerts on the same customer go to
    (whatever the alert's event), so the people who follow a customer hear of its new actions."""
    if "recipients" in alerts.columns and len(alerts):
        per_customer = alerts[["customer_id", "recipients"]].explode("recipients").dropna() \
            .drop_duplicates().sort_values(["customer_id", "recipients"]) \
            .groupby("customer_id")["recipients"].agg(tuple)
    else:
        per_customer = pd.Series(dtype=object)
    found = actions["customer_id"].map(per_customer) if len(actions) else pd.Series(dtype=object)
    return actions.assign(recipients=[r if isinstance(r, tuple) else () for r in found])
