"""Recommended credit limits: the limit policy applied to the book.

:func:`recommend_limits` runs every enabled method of a :class:`LimitPolicy` (formula limits
公式授信 and model limits 模型授信), takes the minimum, applies floors then caps, sets grade D
and knock-out customers to 0, rounds down and writes one sentence per customer that a credit
committee can read, e.g.::

    Limit 1.2 m bound by % of net worth (20 % of equity 6.0 m); grade BB

A whitelist grade or an expert override that is three or more notches better than the grade
of the statistical PD is flagged for review, never silently trusted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .approval import approval_levels
from .formula import (
    _STR,
    _filled,
    _fixed,
    _money,
    _numeric,
    _put,
    _result,
    _text,
    format_money,
    format_share,
    matrix_limit,
    monthly_sales_limit,
    needs_limit,
    net_worth_limit,
    working_capital_limit,
)
from .model_limits import el_budget_limit, profit_limit
from .policy_config import (
    METHOD_LABELS,
    Bounds,
    LimitInputError,
    LimitPolicy,
    check_columns_present,
    grade_ranks,
    load_limit_policy,
)

__all__ = ["recommend_limits", "method_limits"]

_RATINGS_COLUMNS = ("grade", "pd_grade", "knockout")


def _method_arrays(frame: pd.DataFrame, policy: LimitPolicy) -> dict[str, tuple]:
    """``{method: (limit, explanation)}`` as arrays, for every enabled method of ``policy``."""
    policy.check_columns(frame)
    trade = policy.trade
    out = {}
    for name, spec in policy.methods.items():
        if name == "net_worth":
            out[name] = net_worth_limit.arrays(frame, spec.share, column=spec.column)
        elif name == "working_capital":
            out[name] = working_capital_limit.arrays(frame, spec.share, current_assets=spec.current_assets,
                                                     current_liabilities=spec.current_liabilities)
        elif name == "monthly_sales":
            out[name] = monthly_sales_limit.arrays(frame, spec.share, column=spec.column, label=spec.label)
        elif name == "needs":
            out[name] = needs_limit.arrays(frame, purchases_column=trade.purchases_column,
                                           purchases_growth=trade.purchases_growth,
                                           history_column=trade.purchases_history_column,
                                           min_history_days=trade.purchases_min_history_days,
                                           terms_column=trade.terms_column,
                                           days_beyond_terms_column=trade.days_beyond_terms_column,
                                           days_beyond_terms_if_missing=trade.days_beyond_terms_if_missing,
                                           include_days_beyond_terms=spec.include_days_beyond_terms,
                                           peak_factor=spec.peak_factor,
                                           order_to_invoice_column=spec.order_to_invoice_column,
                                           order_to_invoice_days_if_missing=spec.order_to_invoice_days_if_missing)
        elif name == "matrix":
            out[name] = matrix_limit.arrays(frame, spec, grades=policy.grades)
        elif name == "el_budget":
            out[name] = el_budget_limit.arrays(frame, budget_amount=spec.budget_amount,
                                               budget_margin_share=spec.budget_margin_share, trade=trade,
                                               grades=policy.grades)
        else:
            out[name] = profit_limit.arrays(frame, max_el_share=spec.max_el_share, saturation=spec.saturation,
                                            trade=trade, grades=policy.grades)
    return out


def method_limits(frame: pd.DataFrame, policy: LimitPolicy) -> dict[str, pd.DataFrame]:
    """``{method: DataFrame(limit, explanation)}`` for every enabled method of ``policy``.

    ``frame`` is the customer frame (profile joined with ratings); its columns are checked
    against the policy first (``ConfigError`` naming the policy entry and field).
    """
    return {name: _result(frame, *arrays) for name, arrays in _method_arrays(frame, policy).items()}


def _customer_frame(profile: pd.DataFrame, ratings: pd.DataFrame) -> pd.DataFrame:
    for what, df in (("profile", profile), ("ratings", ratings)):
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"{what} must be a DataFrame indexed by customer_id, got {type(df).__name__}")
        if not df.index.is_unique:
            dup = df.index[df.index.duplicated()].unique()[:5].tolist()
            raise LimitInputError(f"{what} has duplicated customer ids, e.g. {dup}")
    check_columns_present(ratings, _RATINGS_COLUMNS, "ratings")
    absent = ratings.index.difference(profile.index)
    if len(absent):
        raise LimitInputError(f"{len(absent)} rated customer(s) are not in the profile, e.g. {absent[:5].tolist()}")
    overlap = [c for c in profile.columns if c in ratings.columns]
    frame = pd.concat([profile.loc[ratings.index].drop(columns=overlap), ratings], axis=1)
    if "credit_limit" not in frame.columns:
        raise LimitInputError("neither ratings nor profile has the column 'credit_limit' (the current limit)")
    return frame


def _bound(bounds: Bounds, frame: pd.DataFrame, policy: LimitPolicy, kind: str):
    """Per customer the tightest applicable bound (min for caps, max for floors), its label and code."""
    n = len(frame)
    values, labels, codes = [], [], []
    if bounds.absolute is not None:
        values.append(np.full(n, bounds.absolute))
        labels.append(np.full(n, f"the absolute {kind} {format_money(bounds.absolute)}", dtype=object))
        codes.append(f"{kind}_absolute")
    # a grade or ownership bound has one label per key: map the few keys, not the rows
    for mapping, column, what, code in ((bounds.by_grade, "grade", "grade", "grade"),
                                        (bounds.by_ownership, policy.ownership_column, policy.ownership_column,
                                         "ownership")):
        if mapping:
            key = frame[column].astype(object)
            values.append(key.map(mapping).to_numpy(dtype=float, na_value=np.nan))
            texts = {k: f"the {kind} for {what} {k} ({format_money(v)})" for k, v in mapping.items()}
            labels.append(key.map(texts).to_numpy(dtype=object))
            codes.append(f"{kind}_{code}")
    if bounds.seller_sales_share is not None:
        amount = bounds.seller_sales_share * policy.seller_annual_sales
        values.append(np.full(n, amount))
        labels.append(np.full(n, f"the concentration cap {format_money(amount)} "
                                 f"({format_share(bounds.seller_sales_share)} of our annual sales "
                                 f"{format_money(policy.seller_annual_sales)})", dtype=object))
        codes.append(f"{kind}_seller_sales")
    if not values:
        return np.full(n, np.nan), _filled(n, ""), np.full(n, "", dtype=object)
    stack = np.column_stack(values)
    applicable = ~np.isnan(stack)
    fill = np.inf if kind == "cap" else -np.inf
    filled = np.where(applicable, stack, fill)
    pick = filled.argmin(axis=1) if kind == "cap" else filled.argmax(axis=1)
    rows = np.arange(n)
    value = np.where(applicable.any(axis=1), stack[rows, pick], np.nan)
    label = np.column_stack(labels)[rows, pick]
    label = np.where(applicable.any(axis=1), label, "").astype(object).astype(_STR)
    code = np.asarray(codes, dtype=object)[pick]
    return value, label, code


def _matrix_for_approval(frame: pd.DataFrame, policy: LimitPolicy, amount, note):
    """The matrix amount a limit is checked against for approval.

    A customer without size data sits in no column of the matrix; a credit officer then
    takes the smallest band (what is not shown to be large is not treated as large), so its
    limit is checked against that band's cell and the reason says so.  Amounts that stay NaN
    (a formula cell without its inputs, a size outside the bands) cannot be checked, and
    :func:`~riskkit.limits.approval.approval_levels` escalates them.
    """
    matrix = policy.methods["matrix"]
    size = _numeric(frame, matrix.size_column)
    grade = frame["grade"].to_numpy(dtype=object, na_value=None)
    unknown = np.isnan(np.asarray(amount, dtype=float)) & np.isnan(size) & ~pd.isna(grade)
    if not unknown.any():
        return amount, note
    smallest = frame.loc[unknown].copy()
    smallest[matrix.size_column] = float(matrix.bands[0].lower)
    small_amount, small_note = matrix_limit.arrays(smallest, matrix, grades=policy.grades)
    amount = np.asarray(amount, dtype=float).copy()
    amount[unknown] = small_amount
    note = np.asarray(note).copy()
    note[unknown] = _text(f"no {matrix.size_label} data: the smallest band taken, ", small_note)
    return amount, note


def recommend_limits(profile: pd.DataFrame, ratings: pd.DataFrame, config=None) -> pd.DataFrame:
    """Recommended credit limit of every rated customer, with the binding method and a reason.

    For each customer (rows of ``ratings``):

    1. every enabled method of the policy gives an amount (``limit_<method>``) and a phrase
       (``note_<method>``); see :mod:`riskkit.limits.formula` and
       :mod:`riskkit.limits.model_limits`;
    2. ``method_limit`` = the minimum over the methods with data (``on_missing: skip``; with
       ``zero`` a method without data counts 0) that apply to the customer's grade (a
       method with ``grades: [...]`` in the policy is left out for other grades, its
       ``limit_<method>`` NaN and its note "not applied to grade X"); ``binding_method``
       gives it (ties: the method listed first in the policy);
    3. floors raise it, then caps lower it (a cap wins over a floor); floors and caps apply
       only where some method gave a limit;
    4. grade D (the policy's last grade) and knock-out customers get 0;
    5. the result is rounded down to a multiple of ``rounding``.

    Parameters
    ----------
    profile : DataFrame
        Indexed by ``customer_id`` (``riskkit.profile.build_profile``); must hold every rated
        customer and the columns the policy names (checked: ``ConfigError`` naming the
        policy entry and field).  Extra customers are ignored.
    ratings : DataFrame
        Indexed by ``customer_id`` (``assess_portfolio``): at least ``grade``, ``pd_grade``,
        ``knockout``; ``credit_limit`` (else the profile's), the PD columns for model
        limits, and optionally ``whitelist`` and ``rule`` (used in the review reason).
        Ratings columns win over profile columns of the same name.
    config : LimitPolicy, path, mapping or None
        The limit policy; None for ``riskkit/configs/limit_policy.yaml``.

    Returns
    -------
    DataFrame indexed by ``customer_id`` (the order of ``ratings``):

    ``grade``; ``current_limit``; ``recommended_limit``; ``change`` (recommended - current);
    ``change_pct`` (change / current as a fraction, 0.2 = +20 %; NaN if the current limit is
    0 or missing); ``binding_method`` (the method giving the minimum; missing without data
    and for grade D / knock-outs); ``binding_constraint`` (what set the final number: the
    method, ``cap_absolute``, ``cap_grade``, ``cap_ownership``, ``cap_seller_sales``,
    ``floor_absolute``, ``floor_grade``, ``floor_ownership``, ``grade_default``,
    ``knockout``, ``no_data``, ``unbounded``); ``method_limit``; ``limit_<method>`` per
    method; ``reason`` (one sentence); ``review_flag`` and ``review_reason`` (missing where
    not flagged); ``approval_level`` and ``approval_reason`` (who must approve the limit and
    why, from the policy's ``approval`` section, see :func:`riskkit.limits.approval.approval_levels`:
    the first level whose ``up_to`` covers the limit, at least ``above_matrix`` for a limit
    above the rating x size matrix amount of its cell even where the matrix is not applied
    to the grade, a customer without size data checked against the smallest band, and a
    cell without an amount escalated to ``above_matrix``; missing where no positive limit is recommended: grade D, knock-out, a
    limit of 0, no data or unbounded, and with ``increase_only`` for a limit not above the current one; without an
    ``approval`` section every limit goes to the one level ``standard``);
    ``note_<method>`` per method (the method's explanation).  Text columns have object dtype.

    Rounding is downwards, so a floor or cap that is not a multiple of ``rounding`` is
    rounded down as well.

    Review flags: the grade is better than the grade of the statistical PD (``pd_grade``)
    by ``override_review.notches`` (default 3) or more on the policy's grade order (S counts
    one notch above AAA), e.g. a whitelisted S whose PD 0.85 maps to CCC (7 notches); or no
    method had data; or nothing bounds the limit.  Worse-than-PD grades (knock-outs,
    downgrades) are conservative and not flagged.
    """
    policy = load_limit_policy(config)
    frame = _customer_frame(profile, ratings)
    grade_rank = grade_ranks(frame["grade"], policy.grades, what="ratings column 'grade'")
    pd_grade_rank = grade_ranks(frame["pd_grade"], policy.grades, what="ratings column 'pd_grade'")
    results = _method_arrays(frame, policy)
    names = list(results)
    n = len(frame)
    rows = np.arange(n)

    amounts = np.column_stack([np.asarray(results[m][0], dtype=float) for m in names])
    notes = np.column_stack([results[m][1] for m in names])
    # a method restricted to some grades (policy `grades:`) is out of the minimum elsewhere
    grade_text_all = frame["grade"].astype(object).to_numpy(dtype=object)
    applies = np.column_stack([np.isin(grade_text_all, policy.method_grades[m]) if m in policy.method_grades
                               else np.ones(n, dtype=bool) for m in names])
    if not applies.all():
        not_applied = _text("not applied to grade ", grade_text_all.astype(str))
        notes = np.where(applies, notes, not_applied[:, None])
        amounts = np.where(applies, amounts, np.nan)
    no_data = np.isnan(amounts) & applies
    if policy.on_missing == "zero":
        notes = np.where(no_data, _text(notes, " (no data: counted as 0)"), notes)
        amounts = np.where(no_data, 0.0, amounts)
        no_data = np.zeros_like(no_data)
    left_out = no_data | ~applies
    has_data = ~left_out.all(axis=1)
    pick = np.where(left_out, np.inf, amounts).argmin(axis=1)
    method_limit = np.where(has_data, amounts[rows, pick], np.nan)
    labels = np.asarray([METHOD_LABELS[m] for m in names], dtype=object)
    binding_method = np.where(has_data, np.asarray(names, dtype=object)[pick], None)

    floor, floor_label, floor_code = _bound(policy.floors, frame, policy, "floor")
    cap, cap_label, cap_code = _bound(policy.caps, frame, policy, "cap")
    limit = method_limit.copy()
    floored = has_data & (floor > limit)
    limit = np.where(floored, floor, limit)
    capped = has_data & (cap < limit)
    limit = np.where(capped, cap, limit)
    floored &= ~capped
    unbounded = has_data & np.isinf(limit)
    limit = np.where(unbounded, np.nan, limit)

    is_default = (frame["grade"].astype(object) == policy.default_grade).to_numpy(dtype=bool)
    knockout = frame["knockout"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    limit = np.where(is_default | knockout, 0.0, limit)
    if policy.rounding > 0:
        limit = np.floor(limit / policy.rounding + 1e-9) * policy.rounding

    constraint = np.where(has_data, binding_method, "no_data").astype(object)
    constraint = np.where(floored, floor_code, constraint)
    constraint = np.where(capped, cap_code, constraint)
    constraint = np.where(unbounded, "unbounded", constraint)
    constraint = np.where(is_default, "grade_default", constraint)
    constraint = np.where(knockout, "knockout", constraint)
    # the rating, not a method, sets a defaulted or knocked-out customer's limit
    binding_method = np.where(is_default | knockout, None, binding_method)

    # --- the reason sentence (each variant built for its own rows only)
    grade_text = frame["grade"].astype(object).astype(str).to_numpy(dtype=object).astype(_STR)
    rule = frame["rule"].astype(object).astype(str).to_numpy(dtype=object).astype(_STR) \
        if "rule" in frame.columns else None
    money = _money(limit)
    skipped = _filled(n, "")
    for j, m in enumerate(names):
        first = no_data[:, j] & (skipped == "")
        _put(skipped, no_data[:, j] & ~first, skipped, ", ", METHOD_LABELS[m])
        _put(skipped, first, "; no data for ", METHOD_LABELS[m])
    binding = (labels[pick].astype(_STR), " (", notes[rows, pick], ")")
    methods_gave = (" (the methods gave ", _money(method_limit), ", bound by ", *binding, ")")
    plain = has_data & ~floored & ~capped & ~unbounded
    reason = _filled(n, "")
    _put(reason, plain, "Limit ", money, " bound by ", *binding, "; grade ", grade_text, skipped)
    _put(reason, floored, "Limit ", money, " set by ", floor_label, *methods_gave, "; grade ", grade_text, skipped)
    _put(reason, capped, "Limit ", money, " set by ", cap_label, *methods_gave, "; grade ", grade_text, skipped)
    _put(reason, unbounded, "No limit computed: no method or cap bounds it (", *binding, "); grade ", grade_text,
         "; set an absolute cap")
    if (~has_data).any():
        all_notes = _filled(n, "")
        for j, m in enumerate(names):
            _put(all_notes, ~has_data, all_notes, "; " if j else "", METHOD_LABELS[m], ": ", notes[:, j])
        _put(reason, ~has_data, "No limit computed: no method had data (", all_notes, "); grade ", grade_text,
             "; manual assessment needed")
    _put(reason, is_default, "No limit: grade ", grade_text, " (default)")
    if rule is not None:
        _put(reason, knockout, "No limit: knock-out (rule ", rule, "); grade ", grade_text)
    else:
        _put(reason, knockout, "No limit: knock-out; grade ", grade_text)

    # --- review flags
    with np.errstate(invalid="ignore"):
        notches = pd_grade_rank - grade_rank
    contradicts = notches >= policy.review_notches
    review_reason = _filled(n, "")
    if contradicts.any():
        if "whitelist" in frame.columns:
            whitelisted = frame["whitelist"].astype("boolean").fillna(False).to_numpy(dtype=bool)
            how = np.where(whitelisted, "whitelist", "override").astype(_STR)
        else:
            how = _filled(n, "override")
        if rule is not None:
            how = _text(how, ", rule ", rule)
        pd_value = frame["pd"].to_numpy(dtype=float, na_value=np.nan) if "pd" in frame.columns else \
            np.full(n, np.nan)
        pd_text = _filled(n, "")
        _put(pd_text, ~np.isnan(pd_value), " (PD ", _fixed(pd_value * 100, 1), " %)")
        pd_grade_text = frame["pd_grade"].astype(object).astype(str).to_numpy(dtype=object).astype(_STR)
        _put(review_reason, contradicts, "grade ", grade_text, " (", how, ") is ", _fixed(np.nan_to_num(notches), 0),
             " notches better than the PD grade ", pd_grade_text, pd_text, ": review before relying on it")
    for flag, text in ((~has_data & ~is_default & ~knockout, "no limit method had data: manual assessment"),
                       (unbounded & ~is_default & ~knockout, "nothing bounds the limit: set a cap")):
        first = flag & (review_reason == "")
        _put(review_reason, flag & ~first, review_reason, "; " + text)
        _put(review_reason, first, text)
    review_flag = review_reason != ""

    current = frame["credit_limit"].to_numpy(dtype=float, na_value=np.nan)
    change = limit - current
    with np.errstate(divide="ignore", invalid="ignore"):
        change_pct = np.where((current > 0) & np.isfinite(current), change / current, np.nan)

    out = pd.DataFrame({"grade": frame["grade"].to_numpy(dtype=object), "current_limit": current,
                        "recommended_limit": limit, "change": change, "change_pct": change_pct,
                        "binding_method": binding_method, "binding_constraint": constraint,
                        "method_limit": method_limit}, index=frame.index)
    for j, m in enumerate(names):
        out[f"limit_{m}"] = amounts[:, j]
    # text columns stay object (see formula._result)
    out["reason"] = pd.Series(reason.astype(object), index=out.index, dtype=object)
    out["review_flag"] = review_flag.astype(bool)
    review_reason = review_reason.astype(object)
    review_reason[~review_flag] = None
    out["review_reason"] = pd.Series(review_reason, index=out.index, dtype=object)
    # who approves: the matrix amount of every customer's cell, also where the matrix is not
    # applied to its grade (results, not `amounts`, which is masked to the applied grades)
    matrix_amount, matrix_note = results.get("matrix", (None, None))
    if matrix_amount is not None:
        matrix_amount, matrix_note = _matrix_for_approval(frame, policy, matrix_amount, matrix_note)
    approval_level, approval_reason = approval_levels(limit, current, policy.approval,
                                                      no_limit=is_default | knockout,
                                                      matrix_amount=matrix_amount, matrix_note=matrix_note)
    out["approval_level"] = pd.Series(approval_level, index=out.index, dtype=object)
    out["approval_reason"] = pd.Series(approval_reason, index=out.index, dtype=object)
    for j, m in enumerate(names):
        out[f"note_{m}"] = pd.Series(notes[:, j].astype(object), index=out.index, dtype=object)
    out.index.name = "customer_id"
    return out
