"""The one life cycle of a monitored item across runs (alerts and recommended actions).

An item is named by a key (``customer_id, rule`` for an alert, ``customer_id, action`` for a
recommended action) and carries an ordered level (alert ``level`` red...info, action
``priority`` critical...low; rank 0 is the most urgent).  Between two runs each key goes
through exactly one transition, compared with the items open before the run:

===============  ==========================================================================
transition       condition
===============  ==========================================================================
``opened``       present now, not open before
``escalated``    open, and now more urgent than any level notified so far (``raised_level``)
``deescalated``  open, and now milder than at the previous run
``persisting``   open otherwise (same level, back up to a level already notified, or a
                 level missing on either side)
``closed``       open, not present now
===============  ==========================================================================

:func:`riskkit.monitoring.reconcile_alerts` and :func:`riskkit.monitoring.reconcile_actions`
are thin wrappers that name the transitions for their item and add what is theirs (the
alerts' carried-over rules, the actions' due dates and controller closes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .rules import MonitoringInputError

__all__ = ["TRANSITIONS", "check_items", "empty_open", "transitions"]

TRANSITIONS = ("opened", "escalated", "deescalated", "persisting", "closed")


def check_items(frame, name: str, key: Sequence[str], level: str, allowed: Sequence[str], *,
                required: Sequence[str] = (), level_required: bool = True) -> pd.DataFrame:
    """Check a frame of items: a DataFrame with the key, level and ``required`` columns, no
    missing key (or required) values, levels in ``allowed``, one row per key."""
    if not isinstance(frame, pd.DataFrame):
        raise MonitoringInputError(f"{name} must be a DataFrame, got {type(frame).__name__}")
    complete = [*key, *([level] if level_required else []), *required]
    absent = [c for c in [*key, level, *required] if c not in frame.columns]
    if absent:
        raise MonitoringInputError(f"{name}: column(s) {absent} missing")
    for column in complete:
        missing = frame[column].isna().to_numpy()
        if missing.any():
            raise MonitoringInputError(f"{name}.{column}: {int(missing.sum())} missing value(s) at rows "
                                       f"{np.flatnonzero(missing)[:5].tolist()}")
    levels = frame[level]
    bad = (levels.notna() & ~levels.isin(list(allowed))).to_numpy()
    if bad.any():
        raise MonitoringInputError(f"{name}.{level}: unknown {level}(s) {sorted(set(levels[bad].astype(str)))}; "
                                   f"allowed: {list(allowed)}")
    dupes = frame.duplicated(list(key))
    if dupes.any():
        first = frame.loc[dupes, list(key)].head(3).astype(str).values.tolist()
        raise MonitoringInputError(f"{name}: ({', '.join(key)}) must be unique; {int(dupes.sum())} duplicate "
                                   f"row(s), e.g. {first}")
    return frame.reset_index(drop=True)


def empty_open(columns: Sequence[str], dates: Sequence[str] = ("first_seen",)) -> pd.DataFrame:
    """An empty frame of open items (object columns, ``dates`` as datetime64)."""
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return out.astype({d: "datetime64[ns]" for d in dates if d in out.columns})


def transitions(new: pd.DataFrame, old: pd.DataFrame, *, key: Sequence[str], level: str,
                rank: Mapping[str, int], as_of: pd.Timestamp, carry: Sequence[str] = ()) -> pd.DataFrame:
    """Merge the items of this run with the open ones and name each key's transition.

    Parameters
    ----------
    new : DataFrame
        This run's items (checked): the key, ``level`` and any other columns.
    old : DataFrame
        The open items (checked): the key, ``level``, ``raised_level`` and ``first_seen``
        (datetime64), plus the ``carry`` columns.
    rank : mapping
        Level -> rank, 0 the most urgent.
    carry : sequence of str
        Further columns of ``old`` to bring along, renamed ``<column>_before``.

    Returns
    -------
    DataFrame
        The outer merge (``new``'s columns, ``level_before``, ``raised_before``,
        ``first_seen_before``, the carried columns) with ``transition`` (:data:`TRANSITIONS`),
        ``first_seen`` (``as_of`` when opened, else carried) and ``is_new`` (present now,
        not open before).
    """
    key = list(key)
    renamed = {level: "level_before", "raised_level": "raised_before", "first_seen": "first_seen_before",
               **{c: f"{c}_before" for c in carry}}
    before = old[[*key, level, "raised_level", "first_seen", *carry]].rename(columns=renamed)
    both = new.merge(before, on=key, how="outer", indicator=True, sort=False)
    is_new = (both["_merge"] == "left_only").to_numpy()
    is_closed = (both["_merge"] == "right_only").to_numpy()
    is_open = (both["_merge"] == "both").to_numpy()

    def ranks(column: str) -> np.ndarray:
        return both[column].map(rank).to_numpy(dtype=float, na_value=np.nan)

    rank_now, rank_raised, rank_before = ranks(level), ranks("raised_before"), ranks("level_before")
    with np.errstate(invalid="ignore"):  # a missing level compares false: persisting
        escalated = is_open & (rank_now < rank_raised)
        milder = is_open & (rank_now > rank_before)
    transition = np.select([is_new, escalated, milder, is_open, is_closed], list(TRANSITIONS), default="")
    first_seen = both["first_seen_before"].where(~pd.Series(is_new), as_of).astype("datetime64[ns]")
    return both.drop(columns="_merge").assign(transition=transition, first_seen=first_seen.to_numpy(),
                                              is_new=is_new)
