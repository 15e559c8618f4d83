"""Every graph result object is a frozen dataclass with ``to_frame()`` (scipy.stats / statsmodels style)."""

import dataclasses

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from riskkit.graph import (
    debtrank,
    eisenberg_noe,
    guarantee_circles,
    stress_test,
    threshold_cascade,
    transmission_channels,
)


@pytest.fixture
def G():
    G = nx.MultiDiGraph()
    G.add_node("A", registered_capital=10.0, is_customer=True)
    G.add_node("B", registered_capital=4.0, is_customer=True)
    G.add_edge("B", "A", type="guarantee", weight=6.0)
    G.add_edge("A", "B", type="guarantee", weight=1.0)
    return G


def results(G):
    W = np.array([[0.0, 2.0], [5.0, 0.0]])
    return {
        "debtrank": debtrank(W, [10.0, 4.0], np.array([1.0, 0.0])),
        "cascade": threshold_cascade(W, [1.0, 4.0], np.array([True, False])),
        "clearing": eisenberg_noe(W, [1.0, 1.0]),
        "circles": guarantee_circles(G),
        "stress": stress_test(G, {"kind": "default", "nodes": ["A"]}),
        "channels": transmission_channels(G),
    }


@pytest.mark.parametrize("name", ["debtrank", "cascade", "clearing", "circles", "stress", "channels"])
def test_results_are_frozen_dataclasses_with_to_frame(G, name):
    result = results(G)[name]
    assert dataclasses.is_dataclass(result)
    field = dataclasses.fields(result)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(result, field, None)
    assert isinstance(result.to_frame(), pd.DataFrame)
