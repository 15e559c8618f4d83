"""Portfolio-facing glue shared by stress tests and graph features."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ._common import GraphInputError
from .build import build_graph


def is_portfolio(data: Any) -> bool:
    return hasattr(data, "customers") and hasattr(data, "relations")


def resolve_graph(data: Any, as_of: Any) -> tuple[nx.Graph, Any]:
    """(graph, portfolio or None) from a Portfolio or a graph."""
    if isinstance(data, nx.Graph):
        if data.number_of_nodes() == 0:
            raise GraphInputError("the graph is empty (no nodes)")
        return data, None
    if is_portfolio(data):
        if as_of is None:
            raise GraphInputError("as_of is required with a Portfolio (relations in force and exposure on that date)")
        G = build_graph(data, as_of)
        if G.number_of_nodes() == 0:
            raise GraphInputError("the portfolio has no customers or parties on as_of")
        return G, data
    raise GraphInputError(f"expected a riskkit Portfolio or a networkx graph, got {type(data).__name__}")


def latest_equity(portfolio: Any, as_of: Any) -> pd.Series:
    """Book equity of the latest statement published on or before ``as_of`` (>= 0).

    Negative equity is a zero buffer. Customers without a statement are left
    out (callers fall back to ``registered_capital``).
    """
    fin = getattr(portfolio, "financials", None)
    if fin is None or len(fin) == 0 or "equity" not in fin.columns:
        return pd.Series(dtype="float64")
    ts = pd.Timestamp(as_of)
    known = fin[fin["published_date"] <= ts] if "published_date" in fin.columns else fin
    if known.empty:
        return pd.Series(dtype="float64")
    last = known.sort_values(["customer_id", "period_end"]).groupby("customer_id").tail(1)
    eq = last.set_index("customer_id")["equity"].astype("float64")
    return eq.clip(lower=0.0).dropna()


def default_capital(G: nx.Graph, portfolio: Any, as_of: Any) -> pd.Series:
    """Loss-absorbing buffer of every node of ``G`` on ``as_of``, as the stress tests use it.

    The book equity of the latest statement published on or before ``as_of`` (negative
    equity counts as 0), else the node's ``registered_capital``, else NaN (external
    parties; :func:`riskkit.graph.node_capital` then applies its rule for unknown
    buffers). Pass it as ``capital=`` to :func:`riskkit.graph.systemic_importance` to
    rank parties with the same buffers as :func:`riskkit.graph.stress_test`.

    Returns
    -------
    Series
        Indexed by node, float.
    """
    reg = pd.Series({v: d.get("registered_capital", np.nan) for v, d in G.nodes(data=True)}, dtype="float64")
    if portfolio is not None and as_of is not None:
        eq = latest_equity(portfolio, as_of)
        eq = eq[eq.index.isin(reg.index)]
        reg.loc[eq.index] = eq.to_numpy()
    return reg


def resolve_exposure(portfolio: Any, as_of: Any, exposure: Any) -> pd.DataFrame | None:
    """EAD per customer: the given frame/Series, else ``rk.limits.exposure``; None if unavailable."""
    if exposure is not None:
        if isinstance(exposure, pd.Series):
            exposure = exposure.to_frame("ead")
        if "ead" not in exposure.columns:
            raise GraphInputError("exposure: needs an 'ead' column (as rk.limits.exposure returns)")
        if (exposure["ead"] < 0).any():
            bad = exposure.index[exposure["ead"] < 0].tolist()
            raise GraphInputError(f"exposure: negative EAD for customers {bad[:10]}")
        return exposure
    if portfolio is None:
        return None
    try:
        from ..limits import exposure as limits_exposure
    except ImportError as exc:  # the limits subpackage is optional for graph work
        raise GraphInputError(
            "exposure: rk.limits.exposure is not available; pass exposure= (DataFrame with 'ead')"
        ) from exc
    return limits_exposure(portfolio, as_of)


def latest_statement_value(portfolio: Any, as_of: Any, column: str) -> pd.Series:
    """``column`` of the latest statement published on or before ``as_of``, per customer.

    Customers without a published statement (or a missing value) are left out.
    """
    fin = getattr(portfolio, "financials", None)
    if fin is None or len(fin) == 0 or column not in fin.columns:
        return pd.Series(dtype="float64")
    ts = pd.Timestamp(as_of)
    known = fin[fin["published_date"] <= ts] if "published_date" in fin.columns else fin
    if known.empty:
        return pd.Series(dtype="float64")
    last = known.sort_values(["customer_id", "period_end"]).groupby("customer_id").tail(1)
    return last.set_index("customer_id")[column].astype("float64").dropna()
