"""Network stress tests: who else fails, how the shock travels, what it costs us."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from .._core.display import HTMLReprMixin, format_number
from ._common import GraphInputError, _fmt_ids, _pd_series, _transpose
from .build import MONEY_LAYERS, edge_types, layer
from .cascade import _run_cascade, trace_paths
from .centrality import network_matrices
from .debtrank import _impact_out, _run_debtrank
from .network_pd import network_adjusted_pd
from .ownership import control_groups

__all__ = ["StressScenario", "StressResult", "stress_test"]

_KINDS = ("default", "industry", "region", "largest_guarantor")
_SELECT = ("highest_pd", "random")


@dataclass(frozen=True)
class StressScenario:
    """A stress scenario, validated on creation.

    Parameters
    ----------
    kind : {"default", "industry", "region", "largest_guarantor"}
        ``default``: the ``nodes`` default. ``industry`` / ``region``: a shock
        to the customers whose ``industry`` / ``region`` equals ``segment``,
        either their PDs multiplied by ``pd_multiplier`` or a share
        ``default_share`` of them defaulting. ``largest_guarantor``: the party
        giving the largest total of guarantees defaults.
    nodes : tuple of ids
        Defaulting parties (``kind="default"``).
    segment : str
        Industry or region name.
    pd_multiplier : float
        PD stress factor (> 0; stressed PD capped at 1).
    default_share : float
        Share of the segment's customers that default, in (0, 1]; the number
        is ``ceil(share * n)``.
    select : {"highest_pd", "random"}
        Which customers default under ``default_share``: highest PD first
        (ties by id), or a random draw that needs ``seed``.
    seed : int
        Seed of the random draw.
    name : str
        Label for reports.

    Examples
    --------
    >>> StressScenario.from_dict({"kind": "industry", "segment": "construction", "default_share": 0.1})
    StressScenario(kind='industry', nodes=(), segment='construction', pd_multiplier=None, default_share=0.1, select='highest_pd', seed=None, name='industry construction: 10% default')
    """

    kind: str
    nodes: tuple = ()
    segment: str | None = None
    pd_multiplier: float | None = None
    default_share: float | None = None
    select: str = "highest_pd"
    seed: int | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise GraphInputError(f"scenario.kind must be one of {_KINDS}, got {self.kind!r}")
        nodes = self.nodes
        if isinstance(nodes, (str, bytes)) or not isinstance(nodes, Iterable):
            nodes = (nodes,)
        object.__setattr__(self, "nodes", tuple(nodes))
        if self.kind == "default":
            if not self.nodes:
                raise GraphInputError("scenario 'default' needs nodes (the parties that default)")
            if self.segment is not None or self.pd_multiplier is not None or self.default_share is not None:
                raise GraphInputError("scenario 'default' takes only nodes (no segment/pd_multiplier/default_share)")
        elif self.kind in ("industry", "region"):
            if self.nodes:
                raise GraphInputError(f"scenario {self.kind!r} takes a segment, not nodes")
            if not self.segment:
                raise GraphInputError(f"scenario {self.kind!r} needs segment (the {self.kind} name)")
            if (self.pd_multiplier is None) == (self.default_share is None):
                raise GraphInputError(f"scenario {self.kind!r} needs exactly one of pd_multiplier or default_share")
            if self.pd_multiplier is not None and not (self.pd_multiplier > 0 and math.isfinite(self.pd_multiplier)):
                raise GraphInputError(f"scenario.pd_multiplier must be a positive number, got {self.pd_multiplier}")
            if self.default_share is not None and not 0 < self.default_share <= 1:
                raise GraphInputError(f"scenario.default_share must be in (0, 1], got {self.default_share}")
            if self.select not in _SELECT:
                raise GraphInputError(f"scenario.select must be one of {_SELECT}, got {self.select!r}")
            if self.default_share is not None and self.select == "random" and self.seed is None:
                raise GraphInputError("scenario.select='random' needs a seed (stress results must be reproducible)")
        else:
            if self.nodes or self.segment or self.pd_multiplier is not None or self.default_share is not None:
                raise GraphInputError("scenario 'largest_guarantor' takes no other parameters")
        if self.name is None:
            object.__setattr__(self, "name", self._default_name())

    def _default_name(self) -> str:
        if self.kind == "default":
            return f"default of {', '.join(map(str, self.nodes[:5]))}" + (" ..." if len(self.nodes) > 5 else "")
        if self.kind == "largest_guarantor":
            return "largest guarantor defaults"
        if self.pd_multiplier is not None:
            return f"{self.kind} {self.segment}: PD x {self.pd_multiplier:g}"
        return f"{self.kind} {self.segment}: {self.default_share:.0%} default"

    @classmethod
    def from_text(cls, text: str, *, default_share: float = 0.1) -> StressScenario:
        """Build from a short text, as a notebook parameter gives it.

        ``"largest_guarantor"``; ``"industry:<name>"`` or ``"region:<name>"`` (the
        ``default_share`` of that segment's customers with the highest PD default);
        ``"customers:<id1>,<id2>"`` (those parties default).

        Examples
        --------
        >>> StressScenario.from_text("customers:C1, C2").nodes
        ('C1', 'C2')
        >>> StressScenario.from_text("industry:construction").name
        'industry construction: 10% default'
        """
        if not isinstance(text, str) or not text.strip():
            raise GraphInputError(f"scenario text must be a non-empty string, got {text!r}")
        head, sep, rest = text.strip().partition(":")
        head, rest = head.strip(), rest.strip()
        if not sep:
            if head == "largest_guarantor":
                return cls(kind="largest_guarantor")
            raise GraphInputError(f"scenario {text!r}: expected 'largest_guarantor', 'industry:<name>', "
                                  "'region:<name>' or 'customers:<id1>,<id2>'")
        if not rest:
            raise GraphInputError(f"scenario {text!r}: nothing after ':'")
        if head in ("industry", "region"):
            return cls(kind=head, segment=rest, default_share=default_share)
        if head == "customers":
            ids = tuple(x.strip() for x in rest.split(",") if x.strip())
            return cls(kind="default", nodes=ids)
        raise GraphInputError(f"scenario {text!r}: unknown kind {head!r}; use industry, region or customers")

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> StressScenario:
        """Build from a mapping (e.g. a YAML entry); unknown keys are an error."""
        if isinstance(spec, StressScenario):
            return spec
        if not isinstance(spec, Mapping):
            raise GraphInputError(f"scenario must be a StressScenario or a mapping, got {type(spec).__name__}")
        allowed = {f.name for f in fields(cls)}
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise GraphInputError(f"scenario: unknown keys {unknown}; allowed: {sorted(allowed)}")
        if "kind" not in spec:
            raise GraphInputError(f"scenario: missing 'kind' (one of {_KINDS})")
        return cls(**spec)


@dataclass(frozen=True, eq=False, repr=False)
class StressResult(HTMLReprMixin):
    """Outcome of :func:`stress_test`.

    Attributes
    ----------
    scenario : StressScenario
    affected : DataFrame
        Parties hit, one row each (index ``node``): ``status``
        (``initial_default``, ``contagion_default``, ``distressed`` or, for PD
        shocks, ``shocked`` / ``pd_increase``), ``is_customer``, ``round`` (hops
        from the origin of the shock; for a cascade default, its cascade round),
        ``distress`` (DebtRank ``h``), ``pd_before`` / ``pd_after`` (PD shocks),
        ``path`` (tuple of ids from the origin of the shock to the party),
        ``path_relations`` (relation types of each hop, ``"+"``-joined when
        several link a pair), ``group_id``, ``ead``, ``loss``.
    losses : DataFrame
        Per affected customer: ``ead``, ``lgd``, ``loss`` (EAD x LGD for
        defaults; ``EAD x LGD x (PD after - PD before)`` for PD shocks).
    groups : DataFrame
        Per control group touched: ``n_customers``, ``n_defaulted``,
        ``n_distressed``, ``ead``, ``loss``.
    totals : dict
        Headline numbers.
    """

    scenario: StressScenario
    affected: pd.DataFrame
    losses: pd.DataFrame
    groups: pd.DataFrame
    totals: dict = field(default_factory=dict)

    def summary(self) -> str:
        t = self.totals
        parts = [f"Stress scenario: {self.scenario.name}"]
        for k, v in t.items():
            parts.append(f"  {k}: {v:,.2f}" if isinstance(v, float) else f"  {k}: {v}")
        return "\n".join(parts)

    def _display_parts(self) -> dict:
        figures = "; ".join(f"{k} {format_number(v)}" for k, v in list(self.totals.items())[:4])
        return {"headline": f"stress scenario {self.scenario.name}" + (f": {figures}" if figures else ""),
                "fields": dict(self.totals),
                "frames": [("affected", self.affected), ("losses", self.losses), ("groups", self.groups)]}

    def to_frame(self) -> pd.DataFrame:
        """The affected parties, one row each (:attr:`affected`)."""
        return self.affected


def _segment_members(G: nx.Graph, attr: str, segment: str) -> list:
    members = [v for v, d in G.nodes(data=True) if d.get("is_customer", True) and d.get(attr) == segment]
    if not members:
        values = sorted({str(d.get(attr)) for _, d in G.nodes(data=True) if d.get(attr) is not None})
        raise GraphInputError(f"scenario: no customers with {attr} == {segment!r}; known values: {values[:20]}")
    return sorted(members, key=str)


def _needed_pd(pd_values: Any) -> pd.Series:
    if pd_values is None:
        raise GraphInputError("this scenario needs pd_values= (stand-alone PD per customer)")
    return _pd_series(pd_values)


def _initial_defaults(G: nx.Graph, sc: StressScenario, pd_values: Any) -> list:
    if sc.kind == "default":
        unknown = [v for v in sc.nodes if v not in G]
        if unknown:
            raise GraphInputError(f"scenario: unknown node ids {_fmt_ids(unknown)}")
        return list(dict.fromkeys(sc.nodes))
    if sc.kind == "largest_guarantor":
        H = layer(G, "guarantee")
        given = {v: s for v, s in H.out_degree(weight="weight") if s > 0}
        if not given:
            raise GraphInputError("scenario 'largest_guarantor': the graph has no guarantees")
        top = max(given.values())
        return [min((v for v, s in given.items() if s == top), key=str)]
    members = _segment_members(G, sc.kind, sc.segment)
    k = math.ceil(sc.default_share * len(members) - 1e-12)
    if sc.select == "random":
        rng = np.random.default_rng(sc.seed)
        pick = rng.choice(len(members), size=k, replace=False)
        return [members[i] for i in sorted(pick.tolist())]
    p = _needed_pd(pd_values)
    missing = [m for m in members if m not in p.index]
    if missing:
        raise GraphInputError(f"pd_values: no PD for segment customers {_fmt_ids(missing)}")
    ranked = sorted(members, key=lambda v: (-p[v], str(v)))
    return ranked[:k]


def _hop_relations(G: nx.Graph, path: tuple, layers: tuple[str, ...]) -> tuple[str, ...]:
    # a hop a -> b means b was hit by a: b is exposed to a, so the edges run b -> a
    out = []
    for a, b in zip(path[:-1], path[1:], strict=True):
        types = edge_types(G, b, a, layers) or edge_types(G, a, b, layers + ("common_director",))
        out.append("+".join(types) if types else "?")
    return tuple(out)


def stress_test(
    G: nx.Graph,
    scenario: StressScenario | Mapping[str, Any],
    *,
    pd_values: Any = None,
    lgd: float | pd.Series = 0.45,
    exposure: pd.DataFrame | pd.Series | None = None,
    capital: Any = None,
    contagion_lgd: float = 1.0,
    distress_threshold: float = 0.01,
    layers: Iterable[str] = MONEY_LAYERS,
    trade_credit_days: float = 60.0,
    transmission: Mapping[str, float] | None = None,
    threshold: float = 0.5,
) -> StressResult:
    """Run a stress scenario on the relationship network.

    Parameters
    ----------
    G : networkx graph
        A relationship graph from :func:`build_graph`
        (:func:`riskkit.assess.portfolio_stress_test` builds it, with exposure and
        capital, from a Portfolio).
    scenario : StressScenario or mapping
        See :class:`StressScenario`; a mapping is validated by
        :meth:`StressScenario.from_dict`.
    pd_values : Series or mapping, optional
        Stand-alone PD per customer; needed by PD-multiplier scenarios and by
        ``select="highest_pd"``.
    lgd : float or Series
        Our loss given default per customer (for the loss to us).
    exposure : DataFrame with ``ead`` or Series, optional
        EAD per customer (losses to us are NaN without it).
    capital : str, mapping, Series or None
        Buffers of the parties, as :func:`node_capital` takes them (the kit's
        portfolio default is :func:`riskkit.assess.default_capital`: equity of
        the latest statement published by ``as_of``, else ``registered_capital``,
        else the party's
        total exposure (see :func:`node_capital`).
    contagion_lgd : float
        Share of an exposure between parties that is lost when the
        counterparty defaults (1 = nothing recovered in the short run).
    distress_threshold : float
        Minimum DebtRank distress ``h`` (share of the buffer lost) for a
        surviving party to be reported as ``distressed``.
    layers, trade_credit_days
        Exposure channels, see :func:`exposure_matrix`.
    transmission : mapping, optional
        Channels of :func:`network_adjusted_pd` (PD-multiplier scenarios).
    threshold : float
        Control threshold for the group totals (:func:`control_groups`).

    Returns
    -------
    StressResult
        ``affected``, ``losses``, ``groups``, ``totals``, ``summary()``.

    Raises
    ------
    GraphInputError
        Invalid scenario (unknown kind, keys, node ids or segment; missing
        ``pd_values``), empty graph, negative EAD.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("A", registered_capital=10.0, is_customer=True)
    >>> G.add_node("B", registered_capital=4.0, is_customer=True)
    >>> G.add_edge("B", "A", type="guarantee", weight=6.0)  # B guarantees A's debt
    0
    >>> res = stress_test(G, {"kind": "default", "nodes": ["A"]}, exposure=pd.Series({"A": 100.0, "B": 50.0}))
    >>> res.affected[["status", "path", "path_relations", "loss"]].to_dict("index")["B"]
    {'status': 'contagion_default', 'path': ('A', 'B'), 'path_relations': ('guarantee',), 'loss': 22.5}

    Notes
    -----
    *Default scenarios* (named parties, a share of a segment, the largest
    guarantor): the money exposures between parties (:func:`exposure_matrix`)
    drive a threshold cascade (:func:`threshold_cascade`, Furfine 2003): a
    party defaults when ``contagion_lgd x`` its exposure to defaulted parties
    exceeds its buffer. DebtRank (:func:`debtrank`, original variant) is then
    seeded with every default (``h = 1``) to measure the distress ``h`` of
    the survivors. Each affected party's ``path`` follows, hop by hop, the
    counterparty that tipped it (cascade) or passed it most distress
    (DebtRank) back to an initial default. Loss to us: ``EAD x LGD`` of each
    defaulted customer.

    *PD scenarios* (``pd_multiplier``): the segment's stand-alone PDs are
    multiplied (capped at 1) and :func:`network_adjusted_pd` is recomputed;
    customers whose network PD rises are reported, with the path along the
    largest transmitted risk, and the change of expected loss
    ``EAD x LGD x (PD_after - PD_before)`` (Basel EL = PD x LGD x EAD).
    """
    sc = StressScenario.from_dict(scenario)
    if not isinstance(G, nx.Graph):
        raise GraphInputError(f"G must be a networkx graph (rk.graph.build_graph; "
                              f"rk.assess.portfolio_stress_test takes a Portfolio), got {type(G).__name__}")
    if G.number_of_nodes() == 0:
        raise GraphInputError("the graph is empty (no nodes)")
    layers = tuple(layers)
    exp = _check_exposure(exposure)
    groups = control_groups(G, threshold, customers_only=False)["group_id"]
    if sc.pd_multiplier is not None:
        return _pd_scenario(G, sc, pd_values, lgd, exp, groups, transmission)
    init = _initial_defaults(G, sc, pd_values)
    W, E, nodes = network_matrices(G, capital="registered_capital" if capital is None else capital, layers=layers, trade_credit_days=trade_credit_days)
    n = len(nodes)
    index = {v: i for i, v in enumerate(nodes)}
    if not 0 <= contagion_lgd <= 1:
        raise GraphInputError(f"contagion_lgd must be in [0, 1], got {contagion_lgd}")
    init_idx = np.array([index[v] for v in init], dtype=np.int64)
    init_mask = np.zeros(n, dtype=bool)
    init_mask[init_idx] = True
    cascade = _run_cascade(_transpose(W), E, init_mask, np.full(n, contagion_lgd), nodes)
    dr = _run_debtrank(_impact_out(W * contagion_lgd, E, cap=True), cascade.defaulted.astype(np.float64), np.full(n, 1.0 / n), "original", nodes,
                       track_sources=True)
    distressed = (~cascade.defaulted) & (dr.h >= max(distress_threshold, 1e-15))
    parent = np.where(cascade.defaulted, cascade.trigger, dr.source)
    hit = np.flatnonzero(cascade.defaulted | distressed)
    paths = trace_paths(parent, hit)
    status = np.where(init_mask[hit], "initial_default",
                      np.where(cascade.defaulted[hit], "contagion_default", "distressed"))
    # hops from the origin; for cascade defaults this equals the cascade round
    rnd = np.array([len(p) - 1 for p in paths], dtype=np.int64)
    labels = [nodes[i] for i in hit.tolist()]
    path_ids = [tuple(nodes[k] for k in p) for p in paths]
    affected = pd.DataFrame(
        {
            "status": status,
            "is_customer": [bool(G.nodes[v].get("is_customer", True)) for v in labels],
            "round": rnd.astype(np.int64),
            "distress": np.where(cascade.defaulted[hit], 1.0, dr.h[hit]),
            "loss_from_network": cascade.loss[hit],
            "capital": E[hit],
            "path": path_ids,
            "path_relations": [_hop_relations(G, p, layers) for p in path_ids],
            "group_id": [groups.get(v) for v in labels],
        },
        index=pd.Index(labels, name="node"),
    )
    affected = affected.sort_values(["round", "status"], kind="stable")
    defaulted_flag = affected["status"] != "distressed"
    losses = _loss_table(affected.loc[affected["is_customer"]], exp, lgd, defaulted_flag)
    affected["ead"] = losses["ead"].reindex(affected.index)
    affected["loss"] = losses["loss"].reindex(affected.index)
    group_table = _group_table(affected)
    totals = {
        "initial_defaults": int((affected["status"] == "initial_default").sum()),
        "contagion_defaults": int((affected["status"] == "contagion_default").sum()),
        "contagion_defaults_customers": int(((affected["status"] == "contagion_default") & affected["is_customer"]).sum()),
        "distressed": int((affected["status"] == "distressed").sum()),
        "cascade_rounds": int(cascade.rounds),
        "loss_initial": float(affected.loc[affected["status"] == "initial_default", "loss"].sum()),
        "loss_contagion": float(affected.loc[affected["status"] == "contagion_default", "loss"].sum()),
    }
    totals["loss_total"] = totals["loss_initial"] + totals["loss_contagion"]
    return StressResult(scenario=sc, affected=affected, losses=losses, groups=group_table, totals=totals)


def _check_exposure(exposure: Any) -> pd.DataFrame | None:
    """EAD per customer as a frame with an ``ead`` column, or None when not given."""
    if exposure is None:
        return None
    if isinstance(exposure, pd.Series):
        exposure = exposure.to_frame("ead")
    if "ead" not in exposure.columns:
        raise GraphInputError("exposure: needs an 'ead' column (as rk.limits.exposure returns)")
    if (exposure["ead"] < 0).any():
        bad = exposure.index[exposure["ead"] < 0].tolist()
        raise GraphInputError(f"exposure: negative EAD for customers {bad[:10]}")
    return exposure


def _lgd_for(index: pd.Index, lgd: Any) -> pd.Series:
    if isinstance(lgd, pd.Series):
        out = lgd.reindex(index)
        if out.isna().any():
            raise GraphInputError(f"lgd: no value for customers {_fmt_ids(index[out.isna()].tolist())}")
    else:
        out = pd.Series(float(lgd), index=index)
    if ((out < 0) | (out > 1)).any():
        raise GraphInputError("lgd: values must be in [0, 1]")
    return out.astype("float64")


def _loss_table(cust: pd.DataFrame, exp: pd.DataFrame | None, lgd: Any, factor: pd.Series) -> pd.DataFrame:
    idx = cust.index
    lg = _lgd_for(idx, lgd)
    if exp is None:
        ead = pd.Series(np.nan, index=idx)
    else:
        ead = exp["ead"].reindex(idx).fillna(0.0).astype("float64")
    f = factor.reindex(idx).astype("float64")
    frame = pd.DataFrame({"ead": ead, "lgd": lg, "loss": ead * lg * f}, index=idx)
    frame.index.name = "customer_id"
    return frame


def _group_table(affected: pd.DataFrame) -> pd.DataFrame:
    cust = affected.loc[affected["is_customer"]]
    if cust.empty:
        return pd.DataFrame(columns=["n_customers", "n_defaulted", "n_distressed", "ead", "loss"],
                            index=pd.Index([], name="group_id"))
    defaulted = cust["status"].isin(["initial_default", "contagion_default", "shocked"])
    frame = pd.DataFrame(
        {
            "group_id": cust["group_id"].astype(str),
            "n_customers": 1,
            "n_defaulted": defaulted.astype("int64"),
            "n_distressed": (~defaulted).astype("int64"),
            "ead": cust["ead"],
            "loss": cust["loss"],
        }
    )
    out = frame.groupby("group_id").sum(min_count=1)
    return out.sort_values("loss", ascending=False, kind="stable")


def _pd_scenario(G, sc, pd_values, lgd, exp, groups, transmission) -> StressResult:
    p = _needed_pd(pd_values)
    members = _segment_members(G, sc.kind, sc.segment)
    missing = [m for m in members if m not in p.index]
    if missing:
        raise GraphInputError(f"pd_values: no PD for segment customers {_fmt_ids(missing)}")
    stressed = p.copy()
    stressed.loc[members] = np.minimum(1.0, stressed.loc[members] * sc.pd_multiplier)
    before = network_adjusted_pd(G, p, transmission=transmission)
    after = network_adjusted_pd(G, stressed, transmission=transmission)
    delta = after["pd_network"] - before["pd_network"]
    member_set = set(members)
    hit = [v for v in p.index if v in member_set or delta[v] > 1e-12]
    # path: follow the largest transmitted risk back to a directly stressed customer
    main = after["main_source"].to_dict()
    paths = []
    for v in hit:
        chain = [v]
        while chain[-1] not in member_set and main.get(chain[-1]) is not None and len(chain) <= len(p):
            nxt = main[chain[-1]]
            if nxt in chain or (isinstance(nxt, float) and np.isnan(nxt)):
                break
            chain.append(nxt)
        paths.append(tuple(chain[::-1]))
    affected = pd.DataFrame(
        {
            "status": ["shocked" if v in member_set else "pd_increase" for v in hit],
            "is_customer": True,
            "round": [0 if v in member_set else len(pth) - 1 for v, pth in zip(hit, paths, strict=True)],
            "pd_before": before["pd_network"].reindex(hit).to_numpy(),
            "pd_after": after["pd_network"].reindex(hit).to_numpy(),
            "path": paths,
            "path_relations": [_hop_relations(G, pth, MONEY_LAYERS) for pth in paths],
            "group_id": [groups.get(v, v) for v in hit],
        },
        index=pd.Index(hit, name="node"),
    )
    affected = affected.sort_values(["round"], kind="stable")
    losses = _loss_table(affected, exp, lgd, affected["pd_after"] - affected["pd_before"])
    affected["ead"] = losses["ead"]
    affected["loss"] = losses["loss"]
    group_table = _group_table(affected.assign(status=np.where(affected["status"] == "shocked", "shocked", "pd_increase")))
    group_table = group_table.rename(columns={"n_defaulted": "n_shocked", "n_distressed": "n_pd_increase",
                                              "loss": "expected_loss_change"})
    totals = {
        "shocked_customers": len(members),
        "customers_with_pd_increase": int((affected["status"] == "pd_increase").sum()),
        "expected_loss_before": float((losses["ead"] * losses["lgd"] * affected["pd_before"]).sum()),
        "expected_loss_after": float((losses["ead"] * losses["lgd"] * affected["pd_after"]).sum()),
    }
    totals["expected_loss_change"] = totals["expected_loss_after"] - totals["expected_loss_before"]
    return StressResult(scenario=sc, affected=affected, losses=losses, groups=group_table, totals=totals)

