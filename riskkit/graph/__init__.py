"""Relationship graph, groups and control, guarantee circles, systemic importance and contagion.

Convention: ``W[i, j]`` is the exposure of ``i`` to ``j`` (what ``i`` loses if
``j`` defaults); in the relationship graph every money-bearing relation
``src -> dst`` (guarantee, shareholding/control, supply) has the src exposed
to the dst, so contagion runs from dst to src. See :mod:`riskkit.graph.build`.
"""

from ._common import GraphInputError
from .build import (
    MONEY_LAYERS,
    build_graph,
    check_relations,
    edge_types,
    exposure_matrix,
    layer,
    layer_summary,
    node_capital,
    relations_in_force,
    to_sparse,
)
from .cascade import CascadeResult, threshold_cascade
from .centrality import pagerank_sparse, systemic_importance
from .circles import GuaranteeCircles, guarantee_circles, mutual_guarantees
from .clearing import ClearingResult, eisenberg_noe
from .debtrank import DebtRankResult, debtrank, debtrank_linear_impact, impact_matrix
from .features import GRAPH_FEATURES, graph_features
from .links import LINK_RELATIONS, linked_parties
from .network_pd import (
    DEFAULT_TRANSMISSION,
    TransmissionChannels,
    network_adjusted_pd,
    network_adjusted_pd_from_channels,
    transmission_channels,
    transmission_matrix,
)
from .ownership import control_groups, group_totals, integrated_ownership, ownership_matrix, ultimate_controllers
from .stress import StressResult, StressScenario, stress_test

__all__ = [
    "GraphInputError",
    # build
    "build_graph",
    "relations_in_force",
    "check_relations",
    "layer",
    "to_sparse",
    "exposure_matrix",
    "node_capital",
    "edge_types",
    "layer_summary",
    "MONEY_LAYERS",
    # ownership and groups
    "ownership_matrix",
    "integrated_ownership",
    "ultimate_controllers",
    "control_groups",
    "group_totals",
    # guarantee circles
    "guarantee_circles",
    "mutual_guarantees",
    "GuaranteeCircles",
    # systemic importance
    "systemic_importance",
    "pagerank_sparse",
    # contagion models
    "debtrank",
    "debtrank_linear_impact",
    "impact_matrix",
    "DebtRankResult",
    "threshold_cascade",
    "CascadeResult",
    "eisenberg_noe",
    "ClearingResult",
    # stress tests and network PD
    "stress_test",
    "StressScenario",
    "StressResult",
    "network_adjusted_pd",
    "network_adjusted_pd_from_channels",
    "transmission_channels",
    "TransmissionChannels",
    "transmission_matrix",
    "DEFAULT_TRANSMISSION",
    "graph_features",
    "linked_parties",
    "LINK_RELATIONS",
    "GRAPH_FEATURES",
]
