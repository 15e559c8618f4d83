"""What a reviewer reads about a monitoring run: tables and key findings (pure pandas).

These functions turn the objects of a run (:class:`~riskkit.monitoring.MonitoringResult`,
:class:`~riskkit.monitoring.RunDiff`, :class:`~riskkit.monitoring.EWSBacktest`, the digests)
into the tables and sentences of the ``monitoring_run`` report, so the notebook only calls
the package:

- :func:`alerts_by_rule`: alerts per rule with their life-cycle events;
- :func:`top_alert`: the one alert to read first;
- :func:`diff_overview`: what changed since the previous run, in counts;
- :func:`linked_party_table`: a customer's linked parties with their own rating and alerts;
- :func:`digest_table`, :func:`digest_for` and :func:`digest_text`: the digests with masked
  recipients, the one that carries a given alert, and its text;
- :func:`key_findings`: three to five sentences computed from all of the above.

Nothing here shows a run id or a timestamp (run ids carry a random part by default).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.privacy import mask_pii
from ._recipients import mask_recipient
from .._core.levels import LEVELS, SEVERITY_RANK as _SEVERITY
from .rules import MonitoringRules

__all__ = ["alerts_by_rule", "top_alert", "diff_overview", "linked_party_table", "digest_table", "digest_for",
           "digest_text", "key_findings"]

_NEWS = {"opened": 0, "escalated": 0}  # news first; persisting (and anything else) after


def _check(frame, name: str, columns) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame, got {type(frame).__name__}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise KeyError(f"{name}: missing column(s) {absent}")


def alerts_by_rule(alerts: pd.DataFrame, rules: MonitoringRules | None = None) -> pd.DataFrame:
    """Alerts per rule: level, how many customers, and how many are new, escalated or persisting.

    Parameters
    ----------
    alerts : DataFrame
        :attr:`MonitoringResult.alerts` (``customer_id, rule, level`` and ``event``).
    rules : MonitoringRules, optional
        Adds each rule's ``description`` and lists the rules in their configured order
        (rules that raised nothing are left out); default order: level, then name.

    Returns
    -------
    DataFrame
        Indexed by ``rule``: ``level``, ``alerts``, ``new`` (opened), ``escalated``,
        ``persisting`` (still open; a milder level than before, the archive's
        ``deescalated``, counts here too, as in :meth:`MonitoringResult.counts`) and, with
        ``rules``, ``description``.
    """
    _check(alerts, "alerts", ["customer_id", "rule", "level", "event"])
    events = ["opened", "escalated", "persisting"]
    if len(alerts):
        event = alerts["event"].replace({"deescalated": "persisting"})
        unknown = sorted(set(event) - set(events))
        if unknown:
            raise ValueError(f"alerts.event: unknown event(s) {unknown}; expected {events + ['deescalated']}")
        counts = pd.crosstab(alerts["rule"], event).reindex(columns=events, fill_value=0)
        level = alerts.groupby("rule")["level"].agg(lambda s: min(s, key=_SEVERITY.__getitem__))
    else:
        counts = pd.DataFrame(columns=events, index=pd.Index([], name="rule"), dtype="int64")
        level = pd.Series(dtype=object)
    table = pd.DataFrame({"level": level, "alerts": counts.sum(axis=1), "new": counts["opened"],
                          "escalated": counts["escalated"], "persisting": counts["persisting"]})
    table.index.name = "rule"
    if rules is not None:
        configured = rules.to_frame().set_index("name")
        order = [name for name in configured.index if name in table.index]
        order += sorted(set(table.index) - set(order))
        table = table.reindex(order)
        table["description"] = configured["description"].reindex(table.index).fillna("")
    else:
        rank = table["level"].map(_SEVERITY)
        table = table.assign(_r=rank).sort_values(["_r", "rule"], kind="stable").drop(columns="_r")
    return table.astype({c: "int64" for c in ("alerts", "new", "escalated", "persisting")})


def top_alert(alerts: pd.DataFrame, current: pd.DataFrame, kinds=None) -> pd.Series | None:
    """The alert to read first: most severe, news before persisting, largest exposure.

    Order: level (red first); then ``event`` opened or escalated before persisting; then
    the customer's exposure at default ``ead`` in ``current`` (largest first); then
    ``customer_id`` and ``rule`` (so ties resolve the same way every time).

    Parameters
    ----------
    alerts : DataFrame
        :attr:`MonitoringResult.alerts`.
    current : DataFrame
        :attr:`MonitoringFrame.current` (``ead``, ``grade``, ``pd`` by ``customer_id``).
    kinds : sequence of str, optional
        Only alerts of rules of these kinds (the alerts' ``kind`` column), e.g.
        ``("network",)`` for the top linked-party warning.

    Returns
    -------
    Series or None
        The alert's fields plus ``ead``, ``grade`` and ``pd`` of its customer; None when
        there is no (such) alert.
    """
    _check(alerts, "alerts", ["customer_id", "rule", "level"])
    _check(current, "current", ["ead", "grade", "pd"])
    if kinds is not None:
        _check(alerts, "alerts", ["kind"])
        alerts = alerts[alerts["kind"].isin([kinds] if isinstance(kinds, str) else list(kinds))]
    if alerts.empty:
        return None
    work = alerts.reset_index(drop=True)
    facts = current[["ead", "grade", "pd"]].reindex(work["customer_id"]).reset_index(drop=True)
    work = work.drop(columns=[c for c in facts.columns if c in work.columns]).join(facts)
    event = work["event"] if "event" in work.columns else pd.Series("opened", index=work.index)
    order = pd.DataFrame({"severity": work["level"].map(_SEVERITY), "news": event.map(_NEWS).fillna(1),
                          "ead": -work["ead"].fillna(-np.inf), "customer_id": work["customer_id"],
                          "rule": work["rule"]})
    first = order.sort_values(["severity", "news", "ead", "customer_id", "rule"], kind="stable").index[0]
    return work.loc[first]


def diff_overview(diff, grade_order=None) -> pd.DataFrame:
    """What changed between two runs, in counts (from :meth:`Archive.diff_runs`).

    Parameters
    ----------
    diff : RunDiff
    grade_order : sequence of str, optional
        Grades best first (default: the default rules' order, S ... D).  A move to a
        later grade is a downgrade.

    Returns
    -------
    DataFrame
        Indexed by ``change`` (customers new to the book, customers no longer in it,
        downgrades, upgrades, of which into default, alerts raised anew, alerts no longer
        raised, alerts that changed level) with the column ``count``.
    """
    order = list(MonitoringRules.default().grade_order if grade_order is None else grade_order)
    customers = diff.customers
    both = customers[customers["change"] == "changed"]
    rank = {g: i for i, g in enumerate(order)}
    before = both["grade_a"].map(rank)
    after = both["grade_b"].map(rank)
    unknown = sorted(set(both.loc[before.isna() & both["grade_a"].notna(), "grade_a"])
                     | set(both.loc[after.isna() & both["grade_b"].notna(), "grade_b"]))
    if unknown:
        raise ValueError(f"diff: grade(s) {unknown} are not in grade_order {order}")
    rows = {
        "customers new to the book": int((customers["change"] == "new").sum()),
        "customers no longer in the book": int((customers["change"] == "dropped").sum()),
        "grade downgrades": int((after > before).sum()),
        "grade upgrades": int((after < before).sum()),
        "entered default (grade D)": int(((both["grade_b"] == order[-1]) & (both["grade_a"] != order[-1])).sum()),
        "alerts raised anew": len(diff.new_alerts),
        "alerts no longer raised": len(diff.closed_alerts),
        "alerts that changed level": len(diff.level_changes),
    }
    return pd.DataFrame({"count": pd.Series(rows, dtype="int64")}).rename_axis("change")


def linked_party_table(frame, customer_id: str, alerts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The parties linked to one customer on the run date, with their own rating and alerts.

    Parameters
    ----------
    frame : MonitoringFrame
        :attr:`MonitoringResult.frame` (``links`` and ``current``).
    customer_id : str
    alerts : DataFrame, optional
        :attr:`MonitoringResult.alerts`: adds each linked customer's most severe alert level.

    Returns
    -------
    DataFrame
        One row per (``linked_id``, ``relation``), sorted by relation then id:
        ``customer`` (whether the party is a customer of ours on the date), ``grade``,
        ``pd``, ``network_pd``, ``ead`` (missing for parties outside the book) and, with
        ``alerts``, ``worst_alert``.
    """
    links, current = frame.links, frame.current
    _check(links, "frame.links", ["customer_id", "linked_id", "relation"])
    if customer_id not in current.index:
        raise KeyError(f"customer_id {customer_id!r} is not in the run (frame.current)")
    own = links[links["customer_id"] == customer_id].sort_values(["relation", "linked_id"], kind="stable")
    facts = current.reindex(own["linked_id"])
    table = pd.DataFrame({"linked_id": own["linked_id"].to_numpy(), "relation": own["relation"].to_numpy(),
                          "customer": current.index.get_indexer(own["linked_id"]) >= 0})
    for column in ("grade", "pd", "network_pd", "ead"):
        table[column] = facts[column].to_numpy() if column in facts.columns else np.nan
    if alerts is not None:
        _check(alerts, "alerts", ["customer_id", "level"])
        worst = alerts.assign(_s=alerts["level"].map(_SEVERITY)).groupby("customer_id")["_s"].min()
        table["worst_alert"] = table["linked_id"].map(worst).map(dict(enumerate(LEVELS)))
    return table


def digest_table(messages) -> pd.DataFrame:
    """One row per digest: masked recipient, channel, subject and alerts per level.

    Parameters
    ----------
    messages : list of Message
        :attr:`MonitoringResult.messages` (:func:`compose_digests`).

    Returns
    -------
    DataFrame
        ``recipient`` (e-mail addresses as ``c***@example.com``), ``channel``,
        ``subject`` and one count column per level.
    """
    rows = []
    for m in messages:
        counts = m.payload.get("counts", {})
        rows.append({"recipient": mask_recipient(m.recipient), "channel": m.channel, "subject": m.subject,
                     **{level: int(counts.get(level, 0)) for level in LEVELS}})
    return pd.DataFrame(rows, columns=["recipient", "channel", "subject", *LEVELS])


def digest_for(messages, alert: pd.Series | None = None):
    """The digest that carries ``alert`` (the first such recipient), else the most severe one.

    Parameters
    ----------
    messages : list of Message
    alert : Series, optional
        With ``customer_id`` and ``rule`` (e.g. :func:`top_alert`).

    Returns
    -------
    Message or None
        Without ``alert``, or when no digest carries it (a persisting alert is not sent
        again), the digest with the most red alerts, then orange, yellow, info, then the
        fewest alerts, then the recipient; None when there are no digests.
    """
    if not messages:
        return None
    if alert is not None:
        key = (alert["customer_id"], alert["rule"])
        for m in sorted(messages, key=lambda m: m.recipient):
            if any((a["customer_id"], a["rule"]) == key for a in m.payload.get("alerts", [])):
                return m

    def severity(m):
        counts = m.payload.get("counts", {})
        return (*(-counts.get(level, 0) for level in LEVELS), sum(counts.values()), m.recipient)
    return min(messages, key=severity)


def digest_text(message) -> str:
    """A digest as the recipient reads it, recipient masked: ``To``, ``Subject``, the body.

    The body is :func:`compose_digests`' text (PII inside it already masked unless the run
    was told otherwise); only the address line is added here, as ``c***@example.com``.
    """
    return f"To: {mask_recipient(message.recipient)}\nSubject: {message.subject}\n\n{message.body}"


def _customer_name(customers: pd.DataFrame | None, customer_id: str) -> str:
    """The customer's name as shown in reports (individuals masked), or '' if unknown."""
    if customers is None or "name" not in customers.columns:
        return ""
    table = customers.reset_index() if "customer_id" not in customers.columns else customers
    row = table[table["customer_id"] == customer_id]
    if row.empty:
        return ""
    name = mask_pii(row)["name"].iloc[0]
    return name if isinstance(name, str) else ""


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def key_findings(result, *, diff=None, backtest=None, customers: pd.DataFrame | None = None,
                 level: str = "orange") -> list[str]:
    """Three to five sentences on a monitoring run, computed from its results.

    Parameters
    ----------
    result : MonitoringResult
        The run reported on.
    diff : RunDiff, optional
        :meth:`Archive.diff_runs` from the previous run to this one (adds what changed).
    backtest : EWSBacktest, optional
        :func:`ews_backtest` (adds what the replay says, at ``level``).
    customers : DataFrame, optional
        ``customer_id, name, kind``: names the top alert's customer (individuals masked
        with :func:`riskkit.data.mask_pii`).
    level : str, default "orange"
        The back-test level quoted (alerts of this level or more severe).

    Returns
    -------
    list of str
        1. customers rated and how many have a red / orange alert (their most severe);
        2. alerts opened, escalated, persisting and closed, and (with ``diff``) grade moves;
        3. the top alert (:func:`top_alert`) and its message;
        4. (with ``backtest``) capture, lead time and the ratio to the true-PD oracle;
        5. (with ``backtest`` on a book with contagion defaults) all rules against
           stand-alone rules on contagion-induced defaults.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {list(LEVELS)}, got {level!r}")
    alerts, current = result.alerts, result.frame.current
    n = len(current)
    worst = alerts.assign(_s=alerts["level"].map(_SEVERITY)).groupby("customer_id")["_s"].min() \
        if len(alerts) else pd.Series(dtype="int64")
    red, orange = int((worst == 0).sum()), int((worst == 1).sum())
    day = f"{result.as_of:%Y-%m-%d}"
    out = [(f"On {day} the run rated {n:,} customers: {red:,} have a red alert and {orange:,} an orange one "
            f"at worst ({(red + orange) / max(n, 1):.1%} of the book); {_plural(len(alerts), 'alert')} in all.")]

    event = alerts["event"].replace({"deescalated": "persisting"}).value_counts() if len(alerts) \
        else pd.Series(dtype="int64")
    news = (f"Since the previous run {_plural(int(event.get('opened', 0)), 'alert')} opened, "
            f"{int(event.get('escalated', 0)):,} escalated, {int(event.get('persisting', 0)):,} persist "
            f"and {len(result.closed):,} closed")
    if diff is not None:
        moves = diff_overview(diff)["count"]
        news += (f"; {_plural(int(moves['grade downgrades']), 'customer')} were downgraded "
                 f"({int(moves['entered default (grade D)']):,} into default) and "
                 f"{int(moves['grade upgrades']):,} upgraded")
    out.append(news + ".")

    top = top_alert(alerts, current)
    if top is not None:
        name = _customer_name(customers, top["customer_id"])
        who = f"customer {top['customer_id']}" + (f" ({name})" if name else "")
        ead = f"exposure {top['ead'] / 1e6:,.2f} m, " if np.isfinite(top["ead"]) else ""
        out.append(f"The top alert is {top['level']} '{top['rule']}' for {who}, {ead}grade {top['grade']}: "
                   f"{top['message'].rstrip('.')}.")

    if backtest is not None:
        row = backtest.by_level.loc[level]
        dates = backtest.run_dates
        lead = f", median lead {row['median_lead_days']:.0f} days" if np.isfinite(row["median_lead_days"]) else ""
        text = (f"Replayed over {len(dates)} month ends ({dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}), {level} "
                f"or more severe alerts flagged {int(row['captured']):,} of {int(row['n_defaults']):,} defaults at "
                f"least {backtest.lead_days} days ahead ({row['capture']:.0%}{lead}) with "
                f"{row['alerts_per_100_per_month']:.1f} alerts per 100 customers a month")
        if np.isfinite(row["oracle_capture"]):
            text += (f"; a ranking by the true PD with the same alert budget flags {row['oracle_capture']:.0%}, "
                     f"so the rules reach {row['capture_vs_oracle']:.0%} of that oracle")
        out.append(text + ".")
        contagion = backtest.contagion.loc[level]
        if contagion["n_contagion_defaults"] > 0:
            out.append(f"Of {_plural(int(contagion['n_contagion_defaults']), 'default')} caused by a linked party, "
                       f"all rules flagged {int(contagion['all_rules']):,} in time and the stand-alone rules "
                       f"alone {int(contagion['standalone_rules']):,}.")
    return out
