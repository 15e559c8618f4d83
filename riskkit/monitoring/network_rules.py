"""Linked-party warnings: a related party defaulted or was downgraded since the last run.

Commercial early-warning tools watch each customer on its own; contagion along control,
guarantees and trade (DESIGN.md, 风险传导) is what they miss.  This module derives, from
two consecutive snapshots, which customers *newly* defaulted or were downgraded
(:func:`party_changes`), and which customers are linked to them by the relations a
``network`` rule subscribes to (:func:`linked_party_hits`).

Links frame
-----------
One row per (``customer_id``, ``linked_id``, ``relation``); ``relation`` is the role the
*linked party* plays for the customer:

===============  =================================================================
relation         linked_id ... customer_id
===============  =================================================================
controller       controls the customer (parent, ultimate controller)
controlled       is controlled by the customer (subsidiary)
guarantor        guarantees the customer's debt
guaranteed       is guaranteed by the customer (the customer is its guarantor)
supplier         supplies the customer
buyer            buys from the customer
group_member     belongs to the same control group
circle_member    belongs to the same guarantee circle (担保圈)
===============  =================================================================

The frame is built by the orchestrator from the relationship graph
(:mod:`riskkit.graph`); this module only reads it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._core.errors import InputError

__all__ = [
    "LINK_COLUMNS",
    "NETWORK_EVENTS",
    "RELATIONS",
    "LinksInputError",
    "check_links",
    "grade_codes",
    "linked_party_hits",
    "party_changes",
]

#: roles a linked party can play for a customer (see the module docstring)
RELATIONS = ("controller", "controlled", "guarantor", "guaranteed", "supplier", "buyer", "group_member",
             "circle_member")
#: what can happen to a linked party between two runs
NETWORK_EVENTS = ("default", "downgrade")
LINK_COLUMNS = ("customer_id", "linked_id", "relation")


class LinksInputError(InputError):
    """The links frame or a grade column is malformed (message names table, column, rows)."""


def check_links(links: pd.DataFrame) -> pd.DataFrame:
    """Validate the links frame; return its three columns without exact duplicate rows.

    Raises
    ------
    LinksInputError
        Not a DataFrame, a column missing, a missing id, or a relation outside
        :data:`RELATIONS` (the message lists the offending values and row positions).
    """
    if not isinstance(links, pd.DataFrame):
        raise LinksInputError(f"links must be a DataFrame, got {type(links).__name__}")
    absent = [c for c in LINK_COLUMNS if c not in links.columns]
    if absent:
        raise LinksInputError(f"links: column(s) {absent} missing; expected {list(LINK_COLUMNS)}")
    out = links[list(LINK_COLUMNS)].reset_index(drop=True)
    for column in ("customer_id", "linked_id", "relation"):
        missing = np.flatnonzero(out[column].isna().to_numpy())
        if missing.size:
            raise LinksInputError(f"links.{column}: {missing.size} missing value(s) at rows "
                                  f"{missing[:5].tolist()}")
    unknown = ~out["relation"].isin(RELATIONS).to_numpy()
    if unknown.any():
        rows = np.flatnonzero(unknown)
        values = sorted(set(out["relation"].iloc[rows].astype(str)))
        raise LinksInputError(f"links.relation: unknown relation(s) {values[:5]} at {rows.size} row(s) "
                              f"{rows[:5].tolist()}; allowed: {list(RELATIONS)}")
    # an exact duplicate row says nothing new; it would only repeat the party in the evidence
    return out.drop_duplicates(ignore_index=True)


def grade_codes(values: pd.Series, grade_order: Sequence[str], where: str) -> np.ndarray:
    """Position of each grade in ``grade_order`` (0 = best) as float; NaN where missing.

    Raises
    ------
    LinksInputError
        A grade that is not in ``grade_order`` (``where`` names rule, table and column).
    """
    codes = pd.Index(list(grade_order)).get_indexer(values.astype(object)).astype(float)
    present = values.notna().to_numpy()
    unknown = present & (codes < 0)
    if unknown.any():
        bad = sorted(set(values[unknown].astype(str)))
        raise LinksInputError(f"{where}: grade(s) {bad[:5]} are not in the grade order {list(grade_order)} "
                              f"({int(unknown.sum())} row(s))")
    codes[~present] = np.nan
    return codes


def party_changes(current: pd.DataFrame, previous: pd.DataFrame, *, grade_column: str,
                  grade_order: Sequence[str], default_grade: str, where: str = "network") -> pd.DataFrame:
    """Grade change of every customer present in both snapshots.

    Parameters
    ----------
    current, previous : DataFrame
        Snapshots indexed by ``customer_id`` holding ``grade_column``.
    grade_column : str
    grade_order : sequence of str
        Grades best first; the notch count is the difference of positions.
    default_grade : str
        The default grade (``D``).

    Returns
    -------
    DataFrame
        Indexed by the customers of ``current`` that are also in ``previous``:
        ``grade_before``, ``grade_after``, ``notches`` (positions worse; negative for an
        upgrade; NaN if a grade is missing) and ``defaulted`` (in the default grade now
        and not before).  Customers absent from ``previous`` are not changed: they are
        new to the book, nothing is known about their grade before.
    """
    both = current.index[previous.index.get_indexer(current.index) >= 0]
    after = current.loc[both, grade_column]
    before = previous[grade_column].reindex(both)
    codes_after = grade_codes(after, grade_order, f"{where}: current.{grade_column}")
    codes_before = grade_codes(before, grade_order, f"{where}: previous.{grade_column}")
    defaulted = (after == default_grade).to_numpy(dtype=bool, na_value=False) & \
        (before != default_grade).to_numpy(dtype=bool, na_value=True) & before.notna().to_numpy()
    return pd.DataFrame({"grade_before": before.to_numpy(), "grade_after": after.to_numpy(),
                         "notches": codes_after - codes_before, "defaulted": defaulted}, index=both)


def linked_party_hits(links: pd.DataFrame, changes: pd.DataFrame, customers: pd.Index, *,
                      relations: Sequence[str], events: Sequence[str], notches: int) -> pd.DataFrame:
    """Customers linked to a party that newly defaulted or was downgraded.

    Parameters
    ----------
    links : DataFrame
        Validated by :func:`check_links`.
    changes : DataFrame
        :func:`party_changes` of the run.
    customers : Index
        The customers being monitored (alerts are raised only for them).
    relations : sequence of str
        Roles of the linked party that count (subset of :data:`RELATIONS`).
    events : sequence of str
        ``default`` (the party newly entered the default grade) and/or ``downgrade``
        (worsened by at least ``notches`` notches without entering default: the two
        events are disjoint, so a rule on downgrades does not repeat a rule on defaults).
    notches : int

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (a subset of ``customers``, sorted): ``linked_parties``
        (list of ``"<linked_id> (<relation>): defaulted, grade X -> D"`` or ``"...:
        downgraded X -> Y (n notches)"``), ``n_linked`` and ``detail`` (the list joined
        with ``"; "``).  A self-link (customer linked to itself) is ignored.
    """
    hit = np.zeros(len(changes), dtype=bool)
    if "default" in events:
        hit |= changes["defaulted"].to_numpy(dtype=bool)
    if "downgrade" in events:
        hit |= (changes["notches"] >= notches).to_numpy(dtype=bool, na_value=False) \
            & ~changes["defaulted"].to_numpy(dtype=bool)
    moved = changes[hit]
    # filter on the few moved parties first; ids are hashed once (get_indexer), never isin'ed in bulk
    use = links[links["relation"].isin(list(relations)).to_numpy(dtype=bool)
                & (moved.index.get_indexer(links["linked_id"]) >= 0)]
    use = use[(customers.get_indexer(use["customer_id"]) >= 0) & (use["customer_id"] != use["linked_id"]).to_numpy()]
    if use.empty:
        return pd.DataFrame({"linked_parties": pd.Series(dtype=object), "n_linked": pd.Series(dtype="int64"),
                             "detail": pd.Series(dtype="str")}, index=pd.Index([], name="customer_id"))
    party = moved.reindex(use["linked_id"])
    before = party["grade_before"].astype("str").to_numpy(dtype=object)
    after = party["grade_after"].astype("str").to_numpy(dtype=object)
    steps = party["notches"].to_numpy(dtype=float)
    what = np.where(party["defaulted"].to_numpy(dtype=bool),
                    "defaulted, grade " + before + " -> " + after,
                    "downgraded " + before + " -> " + after + " ("
                    + pd.Series(steps).map(lambda n: f"{n:.0f}").to_numpy(dtype=object) + " notches)")
    text = use["linked_id"].astype("str").to_numpy(dtype=object) + " (" \
        + use["relation"].astype("str").to_numpy(dtype=object) + "): " + what
    table = pd.DataFrame({"customer_id": use["customer_id"].to_numpy(), "text": text})
    table = table.sort_values(["customer_id", "text"], kind="stable")
    grouped = table.groupby("customer_id", sort=True)["text"]
    out = pd.DataFrame({"linked_parties": grouped.agg(list), "n_linked": grouped.size(),
                        "detail": grouped.agg("; ".join)})
    out.index.name = "customer_id"
    return out
