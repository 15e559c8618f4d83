"""Approval authority (审批权限): who must approve a recommended limit.

A limit above an officer's delegated authority, or above the rating x size matrix's
committee guideline, is not refused: it is escalated.  :func:`approval_levels` routes each
recommended limit to a level of the policy's ``approval`` section
(:class:`~riskkit.limits.policy_config.ApprovalAuthority`):

* the **amount level** is the first level whose ``up_to`` covers the limit
  (``limit <= up_to``; the last level has no bound);
* a limit strictly above the matrix amount of its cell needs at least ``above_matrix``, and
  so does a limit that cannot be checked against the matrix (its cell has no amount);
* the approval level is the higher of the two;
* with ``increase_only`` a limit at or below the current limit needs no approval.

The amount compared is the whole recommended limit, not the increase (delegated authority is
set on the limit a customer gets).
"""

from __future__ import annotations

import numpy as np

from .formula import _STR, _filled, _money, _put, _text, format_money
from .policy_config import ApprovalAuthority

__all__ = ["approval_levels"]


def approval_levels(limit, current, authority: ApprovalAuthority, *, no_limit=None, matrix_amount=None,
                    matrix_note=None) -> tuple[np.ndarray, np.ndarray]:
    """Approval level and reason per recommended limit (object arrays; None where no approval).

    Parameters
    ----------
    limit : array of float
        Recommended limits (NaN: none computed; 0: nothing granted; neither has an approval level).
    current : array of float
        Current limits (NaN: none; a new limit counts as an increase).
    authority : ApprovalAuthority
    no_limit : array of bool, optional
        Customers that get no limit (default grade, knock-out): no approval level.
    matrix_amount, matrix_note : arrays, optional
        The rating x size matrix amount of each customer's cell and its explanation
        (``matrix_limit.arrays``), whether or not the matrix applies to the grade; required
        when ``authority.above_matrix`` is set.  A NaN amount (a formula cell without its
        inputs, a size outside the bands, no size data) cannot be checked: the limit goes to
        ``above_matrix`` at least, like a limit above its cell.  (:func:`recommend_limits`
        checks a customer without size data against the smallest band first.)

    Returns
    -------
    level, reason : object arrays of str or None
        ``reason`` is one phrase, e.g. ``"amount 12.5 m above credit_manager's 10.0 m"`` or
        ``"above the rating x size matrix (grade A, large revenue band (200.0 m and above): 15.0 m)"``.
    """
    limit = np.asarray(limit, dtype=float)
    current = np.asarray(current, dtype=float)
    n = len(limit)
    # a limit of 0 grants nothing: there is nothing to approve
    approve = np.isfinite(limit) & (limit > 0)
    if no_limit is not None:
        approve &= ~np.asarray(no_limit, dtype=bool)
    names = np.asarray(authority.names, dtype=object)
    ups = np.asarray([level.up_to for level in authority.levels], dtype=float)
    # first level with limit <= up_to (the last up_to is inf, so every finite limit has one)
    amount_level = np.minimum(np.searchsorted(ups, np.where(approve, limit, 0.0), side="left"), len(ups) - 1)
    money = _money(limit)
    reason = _filled(n, "")
    if len(ups) == 1:
        _put(reason, approve, "amount ", money, ": the policy has one approval level")
    else:
        below = np.concatenate([[""], [f"above {lv.name}'s {format_money(lv.up_to)}" for lv in authority.levels[:-1]]])
        within = f"within {authority.levels[0].name}'s {format_money(authority.levels[0].up_to)}"
        phrase = np.where(amount_level == 0, within, below[amount_level]).astype(_STR)
        _put(reason, approve, "amount ", money, " ", phrase)
    level = amount_level
    if authority.above_matrix is not None:
        if matrix_amount is None or matrix_note is None:
            raise ValueError("approval.above_matrix is set: give matrix_amount and matrix_note")
        matrix_level = list(authority.names).index(authority.above_matrix)
        matrix_amount = np.asarray(matrix_amount, dtype=float)
        unchecked = approve & np.isnan(matrix_amount)
        with np.errstate(invalid="ignore"):
            above = approve & (limit > matrix_amount)
        matrix_text = _text("above the rating x size matrix (", np.asarray(matrix_note), ")")
        _put(matrix_text, unchecked, "the rating x size matrix cannot be checked (", np.asarray(matrix_note), ")")
        above |= unchecked
        _put(reason, above & (matrix_level > amount_level), matrix_text)
        _put(reason, above & (matrix_level == amount_level), reason, "; ", matrix_text)
        level = np.where(above, np.maximum(amount_level, matrix_level), amount_level)
    out_level = np.where(approve, names[level], None).astype(object)
    out_reason = np.where(approve, reason.astype(object), None).astype(object)
    if authority.increase_only:
        with np.errstate(invalid="ignore"):
            no_raise = approve & (limit <= current)
        out_level[no_raise] = None
        out_reason[no_raise] = _text("no increase over the current limit ", _money(current[no_raise]),
                                     ": no approval needed").astype(object)
    return out_level, out_reason
