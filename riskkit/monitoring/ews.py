"""Early-warning back-test: replay monthly monitoring runs on a book with known outcomes.

:func:`ews_backtest` re-runs what the nightly monitor would have seen at each month end
(:func:`riskkit.monitoring.monitoring_frame`, the same rules, each month compared with the
previous one) and scores the alerts against what happened next:

capture at level L
    share of the defaults (the kit's one definition, :func:`riskkit.profile.first_default_dates`)
    that had an alert of level L or more on a run date between ``lookback_days`` (365) and
    ``lead_days`` (90) before the default date.  Only defaults at least ``lead_days`` after
    the first run and at most ``lead_days`` after the last can be caught, so only those count.
lead time
    days from the first such alert to the default.
alerts per 100 customers per month
    customers with an alert of level L or more, per 100 customers monitored, averaged
    over the runs.
false alarm rate
    share of alerted customer-months (level L or more) whose customer did not default in
    the ``horizon_days`` after the run.
oracle
    at the same alert budget (the number of customers alerted at level L or more on each
    run date), flag instead the customers with the highest *true* PD of the synthetic book
    (``truth.true_pd``): the best any ranking could do with that budget.  The goal of the
    default rules is a capture of at least 80 % of the oracle's.
contagion defaults
    on a synthetic book, the capture of defaults induced by a linked party's default
    (``truth.contagion_default``) by all rules and by the stand-alone rules alone (the
    network-aware rules removed), which shows what the network view adds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._core.dates import check_as_of
from .._core.display import HTMLReprMixin
from .._core.progress import progress as progress_bar
from ..profile import first_default_dates
from .._core.levels import LEVELS
from .rules import MonitoringRules, level_rank
from .run import _fit_default_scorecard, monitoring_frame

__all__ = ["EWSBacktest", "ews_backtest", "NETWORK_RULE_KINDS"]

#: rules that use the relationship network (left out for the stand-alone comparison)
NETWORK_RULE_KINDS = ("network",)
NETWORK_COLUMNS = ("network_pd", "stress_distress")


@dataclass(frozen=True, repr=False)
class EWSBacktest(HTMLReprMixin):
    """Result of :func:`ews_backtest`.

    Attributes
    ----------
    by_level : DataFrame
        One row per level L (alerts of level L or more): ``n_defaults`` (catchable),
        ``captured``, ``capture``, ``oracle_capture``, ``capture_vs_oracle``,
        ``alerts_per_100_per_month``, ``false_alarm_rate``, ``median_lead_days``.
    lead_times : DataFrame
        One row per catchable default: ``customer_id``, ``default_date``,
        ``contagion_default``, and per level the ``lead_days_<level>`` (NaN if missed).
    contagion : DataFrame
        Capture of contagion-induced defaults at each level by ``all_rules`` and
        ``standalone_rules``.
    alerts : DataFrame
        Every alert of the replay with its run date ``as_of``.
    run_dates : DatetimeIndex
    """

    by_level: pd.DataFrame
    lead_times: pd.DataFrame
    contagion: pd.DataFrame
    alerts: pd.DataFrame
    run_dates: pd.DatetimeIndex
    lead_days: int

    def _display_parts(self) -> dict:
        return {"headline": self.summary().splitlines()[0], "frames": [("capture by level", self.by_level)]}

    def summary(self) -> str:
        lines = [f"Early-warning back-test: {len(self.run_dates)} monthly runs "
                 f"{self.run_dates[0].date()} to {self.run_dates[-1].date()}, "
                 f"alerts at least {self.lead_days} days before default"]
        for level, row in self.by_level.iterrows():
            lines.append(f"  {level:>6}+: capture {row['capture']:.0%} of {int(row['n_defaults'])} defaults "
                         f"(oracle {row['oracle_capture']:.0%}, ratio {row['capture_vs_oracle']:.2f}); "
                         f"{row['alerts_per_100_per_month']:.1f} alerts per 100 customers a month; "
                         f"false alarms {row['false_alarm_rate']:.0%}")
        return "\n".join(lines)


def _level_at_least(levels: pd.Series, level: str) -> np.ndarray:
    return np.asarray([level_rank(v) for v in levels]) <= level_rank(level)


def _caught(flags: pd.DataFrame, defaults: pd.Series, lead_days: int, lookback_days: int) -> pd.Series:
    """Per default: days from the first flag in [d - lookback, d - lead] to d (NaN if none)."""
    if flags.empty or defaults.empty:
        return pd.Series(np.nan, index=defaults.index)
    joined = flags.merge(defaults.rename("default_date"), left_on="customer_id", right_index=True)
    ahead = (joined["default_date"] - joined["as_of"]).dt.days
    window = joined[(ahead >= lead_days) & (ahead <= lookback_days)]
    first = window.groupby("customer_id")["as_of"].min()
    return (defaults - first.reindex(defaults.index)).dt.days


def ews_backtest(portfolio, start, end, rules: MonitoringRules | None = None, *, scorecard=None,
                 lead_days: int = 90, lookback_days: int = 365, horizon_days: int = 365,
                 network: bool = True, progress: bool | None = None) -> EWSBacktest:
    """Replay monthly monitoring runs from ``start`` to ``end`` and score the alerts.

    Parameters
    ----------
    portfolio : Portfolio
        A book with outcomes after ``end`` (a synthetic book adds ``truth`` for the oracle
        and the contagion defaults).
    start, end : date-like
        First and last run date; runs are at every month end in between.
    rules : MonitoringRules, optional
        Default :meth:`MonitoringRules.default`.
    scorecard : Scorecard, optional
        A fitted scorecard; default one developed on the book's history before ``start``
        (:func:`riskkit.assess.development_dates`), so the replay is out of time.
    lead_days, lookback_days, horizon_days : int
        Alerts count for a default when raised between ``lookback_days`` and ``lead_days``
        before it; a false alarm is an alert not followed by a default within
        ``horizon_days``.
    network : bool
        Compute the network-aware inputs.
    progress : bool or None, default None
        Show a progress bar over the runs: None shows it in an interactive session only
        (:func:`riskkit._core.progress.progress_enabled`), True/False force it.  It never
        changes the result.

    Returns
    -------
    EWSBacktest
    """
    start, end = check_as_of(start, "start"), check_as_of(end, "end")
    if end <= start:
        raise ValueError(f"end ({end.date()}) must be after start ({start.date()})")
    if not 0 < lead_days < lookback_days:
        raise ValueError(f"need 0 < lead_days < lookback_days, got {lead_days} and {lookback_days}")
    rules = MonitoringRules.default() if rules is None else rules
    scorecard = _fit_default_scorecard(portfolio, start, progress) if scorecard is None else scorecard
    run_dates = pd.date_range(start, end, freq="ME")
    if len(run_dates) < 2:
        raise ValueError("the replay needs at least two month ends between start and end")

    alerts, monitored, previous, previous_as_of = [], [], None, None
    for as_of in progress_bar(run_dates, desc="ews_backtest", unit="run", enabled=progress):
        frame = monitoring_frame(portfolio, as_of, scorecard, network=network)
        current = frame.current
        found = rules.evaluate(current, previous, events=portfolio.events, links=frame.links, as_of=as_of,
                               previous_as_of=previous_as_of)
        alerts.append(found.assign(as_of=as_of))
        alive = current.index[current["grade"] != "D"]
        monitored.append(pd.DataFrame({"as_of": as_of, "customer_id": alive}))
        previous, previous_as_of = current, as_of
    alerts = pd.concat(alerts, ignore_index=True)
    monitored = pd.concat(monitored, ignore_index=True)
    alerts = alerts.merge(monitored, on=["as_of", "customer_id"])       # customers in default are in workout
    kinds = rules.to_frame().set_index("name")["kind"]
    network_rules = set(kinds.index[kinds.isin(NETWORK_RULE_KINDS)])
    network_rules |= {name for name in kinds.index if any(c in str(rules.to_frame().set_index("name").loc[name].to_dict())
                                                          for c in NETWORK_COLUMNS)}

    first_default = first_default_dates(portfolio).dropna()
    catchable = first_default[(first_default >= start + pd.Timedelta(days=lead_days))
                              & (first_default <= end + pd.Timedelta(days=lead_days))]
    truth = getattr(portfolio, "truth", None)
    contagion = pd.Series(False, index=catchable.index)
    true_pd = None
    if truth is not None:
        t = truth.set_index("customer_id")
        if "contagion_default" in t.columns:
            contagion = t["contagion_default"].astype(bool).reindex(catchable.index, fill_value=False)
        if "true_pd" in t.columns:
            true_pd = t["true_pd"].astype("float64")

    rows, lead_cols, contagion_rows = [], {}, []
    for level in LEVELS:
        flags = alerts.loc[_level_at_least(alerts["level"], level), ["as_of", "customer_id"]].drop_duplicates()
        lead = _caught(flags, catchable, lead_days, lookback_days)
        lead_cols[f"lead_days_{level}"] = lead
        budget = flags.groupby("as_of").size().reindex(run_dates, fill_value=0)
        per_month = (budget / monitored.groupby("as_of").size().reindex(run_dates)).mean() * 100
        outcome = flags.merge(first_default.rename("default_date"), left_on="customer_id", right_index=True,
                              how="left")
        days_to_default = (outcome["default_date"] - outcome["as_of"]).dt.days
        false_alarm = float(1 - ((days_to_default > 0) & (days_to_default <= horizon_days)).mean()) \
            if len(outcome) else np.nan
        oracle_capture = np.nan
        if true_pd is not None:
            ranked = monitored.assign(true_pd=monitored["customer_id"].map(true_pd).to_numpy())
            ranked = ranked.sort_values(["as_of", "true_pd", "customer_id"], ascending=[True, False, True],
                                        kind="stable")
            ranked["rank"] = ranked.groupby("as_of").cumcount()
            oracle_flags = ranked[ranked["rank"] < ranked["as_of"].map(budget).to_numpy()]
            oracle_lead = _caught(oracle_flags[["as_of", "customer_id"]], catchable, lead_days, lookback_days)
            oracle_capture = float(oracle_lead.notna().mean()) if len(catchable) else np.nan
        capture = float(lead.notna().mean()) if len(catchable) else np.nan
        rows.append({"level": level, "n_defaults": len(catchable), "captured": int(lead.notna().sum()),
                     "capture": capture, "oracle_capture": oracle_capture,
                     "capture_vs_oracle": capture / oracle_capture if oracle_capture else np.nan,
                     "alerts_per_100_per_month": float(per_month), "false_alarm_rate": false_alarm,
                     "median_lead_days": float(lead.median()) if lead.notna().any() else np.nan})
        standalone = alerts[_level_at_least(alerts["level"], level) & ~alerts["rule"].isin(network_rules)]
        lead_alone = _caught(standalone[["as_of", "customer_id"]].drop_duplicates(), catchable, lead_days,
                             lookback_days)
        induced = contagion[contagion].index
        contagion_rows.append({"level": level, "n_contagion_defaults": len(induced),
                               "all_rules": int(lead.reindex(induced).notna().sum()),
                               "standalone_rules": int(lead_alone.reindex(induced).notna().sum())})
    by_level = pd.DataFrame(rows).set_index("level")
    lead_times = pd.DataFrame({"default_date": catchable, "contagion_default": contagion, **lead_cols})
    lead_times.index.name = "customer_id"
    return EWSBacktest(by_level=by_level, lead_times=lead_times.reset_index(),
                       contagion=pd.DataFrame(contagion_rows).set_index("level"), alerts=alerts,
                       run_dates=run_dates, lead_days=lead_days)
