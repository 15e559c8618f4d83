"""Does the network adjustment recover contagion-induced defaults? Out-of-sample evaluation.

:func:`network_pd_scores` puts, for the customers at risk on ``as_of``, the stand-alone PD
next to the network-adjusted PD (:func:`riskkit.graph.network_adjusted_pd`) and the
default outcome within the horizon; :func:`evaluate_network_pd` compares the two by AUC on
all defaults and, on a synthetic book with a known truth, on the contagion-induced ones;
:func:`calibrate_transmission_strength` fits the one parameter of the adjustment (a common
multiplier of every transmission probability) by maximum likelihood on a development
date, to be applied out of time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._core.checks import format_ids
from .._core.dates import check_as_of
from .._core.display import HTMLReprMixin
from ..graph import (
    GraphInputError,
    TransmissionChannels,
    build_graph,
    network_adjusted_pd_from_channels,
    transmission_channels,
)
from ..profile import first_default_dates
from ..validation import auc, delong_test
from ._graph import capital_from_statements, is_portfolio, latest_statement_value

__all__ = [
    "NetworkPDEvaluation",
    "StrengthCalibration",
    "network_pd_scores",
    "evaluate_network_pd",
    "calibrate_transmission_strength",
]

#: targets of :func:`evaluate_network_pd`, in the order reported
TARGETS = ("contagion_default", "default")
_MODELS = (("stand-alone", "pd"), ("network", "pd_network"))
#: PDs are kept in [eps, 1 - eps] inside the log-likelihood so a certain prediction that
#: fails costs a finite (large) penalty
_LL_EPS = 1e-9


@dataclass
class _Setup:
    """Everything that does not depend on the transmission strength."""

    as_of: pd.Timestamp
    graph: nx.Graph
    pd_all: pd.Series
    population: pd.Index
    labels: pd.DataFrame
    capital: pd.Series | str
    default_pd: float


@dataclass(frozen=True)
class _BookFacts:
    """What the network PDs read from the whole book, looked up once.

    :func:`_book_facts` takes them from a Portfolio in memory;
    :func:`riskkit.assess.network_pd_partitioned` gathers them partition by partition
    on Dask.  Everything else of :class:`_Setup` is computed from these.
    """

    customers: pd.DataFrame
    #: :func:`riskkit.profile.first_default_dates` of the whole book (NaT: never)
    first_default: pd.Series
    #: ``customer_id``, ``true_pd``, ``contagion_default`` of a synthetic book, else None
    truth: pd.DataFrame | None
    #: the statement column the capital choice reads, on ``as_of``, per customer (None: none read)
    statement: pd.Series | None
    #: the relationship graph on a date (:func:`riskkit.graph.build_graph` of the book)
    graph_on: Callable[[pd.Timestamp], nx.Graph]


def _check_options(as_of: Any, horizon_days: int, lookback_days: int) -> pd.Timestamp:
    try:
        ts = check_as_of(as_of)
    except (TypeError, ValueError) as exc:
        raise GraphInputError(str(exc)) from None
    if not horizon_days > 0:
        raise GraphInputError(f"horizon_days must be > 0, got {horizon_days}")
    if not lookback_days >= 0:
        raise GraphInputError(f"lookback_days must be >= 0, got {lookback_days}")
    return ts


def _capital_column(capital: Any) -> str | None:
    """The statement column ``capital`` reads (None: it reads no statement)."""
    if capital is None:
        return "equity"                     # the kit's one capital definition, default_capital
    if not isinstance(capital, str) or capital == "registered_capital":
        return None
    if capital not in ("total_assets", "equity"):
        raise GraphInputError(f"capital must be 'total_assets', 'equity', 'registered_capital', a mapping or a Series; "
                              f"got {capital!r}")
    return capital


def _standalone_pd(truth: pd.DataFrame | None, pd_values: Any, ids: pd.Index) -> pd.Series:
    if pd_values is None:
        if truth is None or "true_pd" not in truth.columns:
            raise GraphInputError("pd_values: none given and the portfolio has no truth.true_pd; pass pd_values= "
                                  "(stand-alone PD per customer)")
        given = truth.set_index("customer_id")["true_pd"]
    elif isinstance(pd_values, pd.Series):
        given = pd_values
    elif isinstance(pd_values, dict):
        given = pd.Series(pd_values, dtype="float64")
    else:
        raise GraphInputError("pd_values must be a Series or mapping indexed by customer_id")
    given = given.astype("float64")
    if given.index.has_duplicates:
        raise GraphInputError(f"pd_values: duplicate customer ids {format_ids(given.index[given.index.duplicated()].tolist())}")
    out = given.reindex(ids)
    missing = out.index[out.isna()]
    if len(missing):
        raise GraphInputError(f"pd_values: no stand-alone PD for customers at risk {format_ids(missing.tolist())}")
    bad = (out < 0) | (out > 1)
    if bad.any():
        raise GraphInputError(f"pd_values: values outside [0, 1] for {format_ids(out.index[bad].tolist())}")
    return out


def _capital(statement: pd.Series | None, G: nx.Graph, capital: Any) -> pd.Series | str:
    if capital is None:
        return capital_from_statements(G, statement).dropna()
    if _capital_column(capital) is None:
        return capital
    reg = pd.Series({v: d.get("registered_capital", np.nan) for v, d in G.nodes(data=True)}, dtype="float64")
    stated = statement[statement.index.isin(reg.index) & (statement > 0)]
    reg.loc[stated.index] = stated.to_numpy()
    return reg.dropna()


def _book_facts(portfolio: Any, ts: pd.Timestamp, capital: Any) -> _BookFacts:
    column = _capital_column(capital)
    return _BookFacts(customers=portfolio.customers, first_default=first_default_dates(portfolio),
                      truth=getattr(portfolio, "truth", None),
                      statement=None if column is None else latest_statement_value(portfolio, ts, column),
                      graph_on=lambda day: build_graph(portfolio, day))


def _setup(portfolio: Any, as_of: Any, pd_values: Any, *, horizon_days: int, capital: Any,
           lookback_days: int, graph: nx.Graph | None) -> _Setup:
    if not is_portfolio(portfolio):
        raise GraphInputError(f"expected a riskkit Portfolio, got {type(portfolio).__name__}")
    ts = _check_options(as_of, horizon_days, lookback_days)
    return _setup_from_facts(_book_facts(portfolio, ts, capital), ts, pd_values, horizon_days=horizon_days,
                             capital=capital, lookback_days=lookback_days, graph=graph)


def _setup_from_facts(facts: _BookFacts, ts: pd.Timestamp, pd_values: Any, *, horizon_days: int, capital: Any,
                      lookback_days: int, graph: nx.Graph | None) -> _Setup:
    """:class:`_Setup` from the book's facts (arguments checked by :func:`_check_options`)."""
    cust = facts.customers
    onboarded = cust["onboarded"] if "onboarded" in cust.columns else pd.Series(pd.NaT, index=cust.index)
    known = pd.Index(cust.loc[onboarded.isna() | (onboarded <= ts), "customer_id"])
    if known.empty:
        raise GraphInputError(f"no customer is onboarded on or before as_of {ts.date()}")
    # the kit's one default definition (90+ DPD, bankruptcy or a recorded default)
    first = facts.first_default.dropna()
    prior = first[first <= ts]
    population = known[~known.isin(prior.index)]
    if population.empty:
        raise GraphInputError(f"every customer known on {ts.date()} has already defaulted")
    standalone = _standalone_pd(facts.truth, pd_values, population)

    # a default is a fact: a recent one transmits with certainty, an old one has done its damage
    recent = prior[prior > ts - pd.Timedelta(days=lookback_days)].index
    stale = prior.index.difference(recent)
    pd_all = pd.concat([standalone, pd.Series(1.0, index=recent), pd.Series(0.0, index=stale)])
    pd_all = pd_all[pd_all.index.isin(known)]

    end = ts + pd.Timedelta(days=horizon_days)
    when = first.reindex(population)
    labels = pd.DataFrame({"default": ((when > ts) & (when <= end)).astype("int64")}, index=population)
    truth = facts.truth
    if truth is not None and "contagion_default" in truth.columns:
        induced = truth.set_index("customer_id")["contagion_default"].astype(bool).reindex(population, fill_value=False)
        labels["contagion_default"] = (labels["default"].astype(bool) & induced).astype("int64")
    G = facts.graph_on(ts) if graph is None else graph
    missing = [v for v in population if v not in G]
    if missing:
        raise GraphInputError(f"graph: customers at risk missing from the given graph {format_ids(missing)}")
    return _Setup(as_of=ts, graph=G, pd_all=pd_all, population=population, labels=labels,
                  capital=_capital(facts.statement, G, capital), default_pd=float(standalone.median()))


def _scores(setup: _Setup, *, strength: float, transmission: Any, max_hops: int,
            channels: TransmissionChannels | None = None) -> pd.DataFrame:
    if channels is None:
        channels = transmission_channels(setup.graph, transmission=transmission, capital=setup.capital)
    out = network_adjusted_pd_from_channels(channels, setup.pd_all, default_pd=setup.default_pd,
                                            max_hops=max_hops, customers_only=True, strength=strength)
    out = out.reindex(setup.population)
    out.index.name = "customer_id"
    return out.join(setup.labels)


def network_pd_scores(
    portfolio: Any,
    as_of: Any,
    pd_values: Any = None,
    *,
    horizon_days: int = 365,
    strength: float = 1.0,
    transmission: Any = None,
    capital: Any = None,
    lookback_days: int = 365,
    max_hops: int = 3,
    graph: nx.Graph | None = None,
) -> pd.DataFrame:
    """Stand-alone and network-adjusted PD of the customers at risk, with their outcome.

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
        The full book (outcomes after ``as_of`` are read from ``defaults`` and, for the
        contagion label, ``truth``; the PDs use only what is known on ``as_of``).
    as_of : date-like
    pd_values : Series or mapping, optional
        Stand-alone PD per customer. Default: ``truth.true_pd`` of a synthetic book -- an
        *oracle* stand-alone PD, so that a comparison isolates the value of the network
        adjustment.
    horizon_days : int
        Outcome window ``(as_of, as_of + horizon_days]``.
    strength, transmission, max_hops
        Passed to :func:`riskkit.graph.network_adjusted_pd`.
    capital : None, {"total_assets", "equity", "registered_capital"}, mapping or Series
        Size used for materiality: by default the kit's one capital definition,
        :func:`riskkit.assess.default_capital` (equity of the latest statement published
        by ``as_of``, else registered capital); a statement column name picks that
        column instead.
    lookback_days : int
        A party whose default is recorded in ``(as_of - lookback_days, as_of]`` enters
        the adjustment with PD 1; an older default with PD 0 (it has transmitted already).
    graph : networkx graph, optional
        The relationship graph on ``as_of`` (built when None).

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (customers onboarded by ``as_of`` without a default
        recorded by then): the columns of :func:`network_adjusted_pd` (``pd``,
        ``pd_network``, ``pd_uplift``, ``main_source``, ``main_channel``, ``n_links``),
        ``default`` (1 if a default is recorded in the window) and, when the portfolio has
        a truth, ``contagion_default`` (1 if that default was induced by a linked party).

    Raises
    ------
    GraphInputError
        No PD given and no truth, PDs missing or outside [0, 1], bad dates or windows.
    """
    setup = _setup(portfolio, as_of, pd_values, horizon_days=horizon_days, capital=capital,
                   lookback_days=lookback_days, graph=graph)
    return _scores(setup, strength=strength, transmission=transmission, max_hops=max_hops)


@dataclass(frozen=True, eq=False, repr=False)
class NetworkPDEvaluation(HTMLReprMixin):
    """Stand-alone vs network-adjusted PD on one date.

    Attributes
    ----------
    as_of : Timestamp
    horizon_days : int
    strength : float
        Transmission strength used.
    scores : DataFrame
        Output of :func:`network_pd_scores`.
    table : DataFrame
        Tidy: one row per ``target`` x ``model`` with ``auc``, ``se`` (DeLong),
        ``ci_lower``, ``ci_upper`` (95 %), ``n``, ``n_events``.
    comparison : DataFrame
        One row per target: ``auc_standalone``, ``auc_network``, ``difference``
        (network minus stand-alone) and the paired DeLong test ``z``, ``pvalue``.
    """

    as_of: pd.Timestamp
    horizon_days: int
    strength: float
    scores: pd.DataFrame
    table: pd.DataFrame
    comparison: pd.DataFrame = field(repr=False)

    def _display_parts(self) -> dict:
        lines = self.summary().splitlines()
        headline = lines[0].rstrip(":") + ("; " + lines[1].strip() if len(lines) > 1 else "")
        return {"headline": headline, "frames": [("comparison", self.comparison), ("scores", self.scores)]}

    def summary(self) -> str:
        """A few lines for a report."""
        lines = [f"Network-adjusted vs stand-alone PD on {self.as_of.date()} "
                 f"(horizon {self.horizon_days} days, strength {self.strength:.4g}):"]
        for target, row in self.comparison.iterrows():
            lines.append(f"  {target}: AUC stand-alone {row['auc_standalone']:.4f}, network {row['auc_network']:.4f} "
                         f"(difference {row['difference']:+.4f}, DeLong p = {row['pvalue']:.4g}; "
                         f"{int(row['n_events'])} events among {int(row['n'])})")
        return "\n".join(lines)


def evaluate_network_pd(
    portfolio: Any,
    as_of: Any,
    pd_values: Any = None,
    *,
    horizon_days: int = 365,
    strength: float = 1.0,
    transmission: Any = None,
    capital: Any = None,
    lookback_days: int = 365,
    max_hops: int = 3,
    graph: nx.Graph | None = None,
) -> NetworkPDEvaluation:
    """AUC of the stand-alone and the network-adjusted PD on contagion-induced and on all defaults.

    Parameters are those of :func:`network_pd_scores`.

    Returns
    -------
    NetworkPDEvaluation
        ``table`` (AUC with DeLong standard error and 95 % interval per target and
        model), ``comparison`` (paired DeLong test of the difference), ``scores``.

    Notes
    -----
    The population is the customers at risk on ``as_of`` (onboarded, not yet in
    default). ``contagion_default`` is a default in the window that the synthetic
    generator induced through a linked party (``truth.contagion_default``); it needs a
    portfolio with a truth. A target with no event (or only events) gets NaN. AUC and
    its DeLong variance come from :func:`riskkit.validation.auc`, the paired test from
    :func:`riskkit.validation.delong_test` (DeLong, DeLong & Clarke-Pearson 1988).
    With the default oracle stand-alone PD the difference measures what the network
    adds to a *perfect* stand-alone model; with a fitted model it also picks up
    whatever the network proxies for.
    """

    setup = _setup(portfolio, as_of, pd_values, horizon_days=horizon_days, capital=capital,
                   lookback_days=lookback_days, graph=graph)
    scores = _scores(setup, strength=strength, transmission=transmission, max_hops=max_hops)
    return _evaluation(scores, setup.as_of, horizon_days, strength)


def _evaluation(scores: pd.DataFrame, as_of: pd.Timestamp, horizon_days: int, strength: float) -> NetworkPDEvaluation:
    """AUCs and the paired DeLong test of the stand-alone and network PDs in ``scores``
    (:func:`network_pd_scores`' frame, with its outcome columns)."""
    rows, comp = [], []
    for target in TARGETS:
        if target not in scores.columns:
            continue
        y = scores[target].to_numpy()
        n, m = y.size, int(y.sum())
        both = 0 < m < n
        aucs = {}
        for model, column in _MODELS:
            if both:
                r = auc(y, scores[column].to_numpy())
                lo, hi = r.ci(0.95)
                aucs[model] = r.auc
                rows.append((target, model, r.auc, r.se, lo, hi, n, m))
            else:
                aucs[model] = np.nan
                rows.append((target, model, np.nan, np.nan, np.nan, np.nan, n, m))
        if both:
            test = delong_test(y, scores["pd_network"].to_numpy(), scores["pd"].to_numpy())
            z, p = float(np.atleast_1d(test.statistic)[0]), float(np.atleast_1d(test.pvalue)[0])
        else:
            z = p = np.nan
        comp.append((target, aucs["stand-alone"], aucs["network"], aucs["network"] - aucs["stand-alone"], z, p, n, m))
    table = pd.DataFrame(rows, columns=["target", "model", "auc", "se", "ci_lower", "ci_upper", "n", "n_events"])
    comparison = pd.DataFrame(comp, columns=["target", "auc_standalone", "auc_network", "difference", "z", "pvalue",
                                             "n", "n_events"]).set_index("target")
    return NetworkPDEvaluation(as_of=as_of, horizon_days=horizon_days, strength=float(strength),
                               scores=scores, table=table, comparison=comparison)


@dataclass(frozen=True, eq=False, repr=False)
class StrengthCalibration(HTMLReprMixin):
    """Maximum-likelihood transmission strength on a development date.

    Attributes
    ----------
    strength : float
        Fitted common multiplier of the transmission probabilities.
    log_likelihood : float
        Bernoulli log-likelihood of the defaults in the window at ``strength``.
    log_likelihood_null : float
        The same at strength 0 (stand-alone PDs).
    statistic : float
        Likelihood-ratio statistic ``2 (LL(strength) - LL(0))``.
    pvalue : float
        ``0.5 P(chi2_1 > statistic)`` (the null lies on the boundary, Self & Liang 1987).
    profile : DataFrame
        ``strength`` -> ``log_likelihood`` on the search grid.
    n, n_events : int
        Customers at risk and defaults in the window.
    as_of : Timestamp
    horizon_days : int
    """

    strength: float
    log_likelihood: float
    log_likelihood_null: float
    statistic: float
    pvalue: float
    profile: pd.DataFrame
    n: int
    n_events: int
    as_of: pd.Timestamp
    horizon_days: int

    def summary(self) -> str:
        return (f"Transmission strength fitted on {self.as_of.date()} (horizon {self.horizon_days} days, "
                f"{self.n_events} defaults among {self.n}): {self.strength:.4g}; log-likelihood "
                f"{self.log_likelihood:.3f} vs {self.log_likelihood_null:.3f} at 0; LR = {self.statistic:.3f}, "
                f"p = {self.pvalue:.4g}")


def _log_likelihood(y: np.ndarray, q: np.ndarray) -> float:
    q = np.clip(q, _LL_EPS, 1.0 - _LL_EPS)
    return float(np.sum(y * np.log(q) + (1 - y) * np.log1p(-q)))


def calibrate_transmission_strength(
    portfolio: Any,
    as_of: Any,
    pd_values: Any = None,
    *,
    horizon_days: int = 365,
    bounds: tuple[float, float] = (0.0, 2.0),
    grid_size: int = 21,
    transmission: Any = None,
    capital: Any = None,
    lookback_days: int = 365,
    max_hops: int = 3,
    graph: nx.Graph | None = None,
) -> StrengthCalibration:
    """Fit the transmission strength by maximum likelihood on a development date.

    Parameters
    ----------
    portfolio, as_of, pd_values, horizon_days, transmission, capital, lookback_days, max_hops, graph
        As in :func:`network_pd_scores`; ``as_of`` is the development date.
    bounds : (float, float)
        Search interval for the strength (``0 <= low < high``).
    grid_size : int
        Points of the coarse grid (>= 3); Brent's bounded search then refines around
        the best grid point.

    Returns
    -------
    StrengthCalibration

    Notes
    -----
    The strength ``s`` multiplies every transmission probability
    (:func:`riskkit.graph.transmission_matrix`). With ``q_i(s)`` the network-adjusted PD
    of customer ``i`` and ``y_i`` its default in the window, ``s`` maximises the
    Bernoulli log-likelihood ``sum_i y_i log q_i(s) + (1 - y_i) log(1 - q_i(s))`` (PDs
    clipped to ``[1e-9, 1 - 1e-9]``). The likelihood treats customers as independent
    given their PDs, which contagion itself violates, so read the likelihood-ratio
    p-value as indicative. Apply the fitted strength out of time
    (:func:`evaluate_network_pd` on a later ``as_of``).

    References
    ----------
    .. [1] S. G. Self, K.-Y. Liang, "Asymptotic properties of maximum likelihood
       estimators and likelihood ratio tests under nonstandard conditions", JASA 82
       (1987) 605-610.
    """
    low, high = _check_search(bounds, grid_size)
    setup = _setup(portfolio, as_of, pd_values, horizon_days=horizon_days, capital=capital,
                   lookback_days=lookback_days, graph=graph)
    return _calibration(setup, low, high, grid_size, transmission=transmission, max_hops=max_hops,
                        horizon_days=horizon_days)


def _check_search(bounds, grid_size: int) -> tuple[float, float]:
    low, high = (float(b) for b in bounds)
    if not (np.isfinite(low) and np.isfinite(high) and 0 <= low < high):
        raise GraphInputError(f"bounds must satisfy 0 <= low < high, got {bounds}")
    if grid_size < 3:
        raise GraphInputError(f"grid_size must be >= 3, got {grid_size}")
    return low, high


def _calibration(setup: _Setup, low: float, high: float, grid_size: int, *, transmission: Any, max_hops: int,
                 horizon_days: int) -> StrengthCalibration:
    """The maximum-likelihood strength on a prepared setup (see :func:`calibrate_transmission_strength`)."""
    y = setup.labels["default"].to_numpy()
    # the channels do not depend on the strength: build them once
    channels = transmission_channels(setup.graph, transmission=transmission, capital=setup.capital)

    def loglik(s: float) -> float:
        q = _scores(setup, strength=s, transmission=transmission, max_hops=max_hops,
                    channels=channels)["pd_network"].to_numpy()
        return _log_likelihood(y, q)

    grid = np.linspace(low, high, grid_size)
    values = np.array([loglik(s) for s in grid])
    k = int(np.argmax(values))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, grid_size - 1)]
    best_s, best_ll = float(grid[k]), float(values[k])
    fit = optimize.minimize_scalar(lambda s: -loglik(s), bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-4 * (high - low)})
    if fit.success and -fit.fun > best_ll:
        best_s, best_ll = float(fit.x), float(-fit.fun)
    null_ll = loglik(0.0)
    lr = max(0.0, 2.0 * (best_ll - null_ll))
    profile = pd.DataFrame({"strength": grid, "log_likelihood": values})
    return StrengthCalibration(strength=best_s, log_likelihood=best_ll, log_likelihood_null=null_ll, statistic=lr,
                               pvalue=float(0.5 * stats.chi2.sf(lr, 1)), profile=profile, n=int(y.size),
                               n_events=int(y.sum()), as_of=setup.as_of, horizon_days=horizon_days)
