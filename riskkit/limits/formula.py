"""Formula credit limits (公式授信), vectorised over the book.

Each function takes a customer frame (the profile, possibly joined with ratings; one row per
customer) and returns a DataFrame indexed like it with two columns:

``limit``
    the amount in the book's currency; NaN where the data needed is missing (never a
    silent 0);
``explanation``
    one readable phrase per customer saying how the amount came about, e.g.
    ``"10 % of equity 6.0 m"`` or ``"no working capital data"``.

Methods (shares are fractions, 0.2 = 20 %):

==================  =========================================================================
net worth           ``share x equity`` (0 where equity <= 0)
working capital     ``share x (current_assets - current_liabilities)`` (0 where <= 0)
monthly sales       ``share x base / 12``; base = sales to us over 365 days or revenue
needs-based         ``P (1 + g) / 12 x (order to invoice + terms + days beyond terms) / 30
                    x k`` with P the expected annual purchases, g their growth, k a peak
                    factor
rating x size       a cell of a grade x size-band matrix (an amount or a safe formula)
==================  =========================================================================

These are the classic rules of thumb of trade-credit management (e.g. Bundesverband
Credit Management / Dun & Bradstreet practice; Bass, *Credit Management*, ch. 5: a limit
as a percentage of net worth or working capital, or of the customer's monthly needs at its
payment speed).  The needs-based limit is the exposure a customer runs when it buys a
month's purchases, its orders stay open ``order to invoice`` days (open orders count in
the exposure) and it pays ``terms + days beyond terms`` days after invoicing, counting
months of 30 days, so it equals ``P (1 + g) x days / 360`` (times the peak factor).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from .policy_config import (
    GRADES,
    LimitInputError,
    RatingSizeMatrix,
    check_columns_present,
    grade_ranks,
)

__all__ = [
    "format_money",
    "format_share",
    "net_worth_limit",
    "working_capital_limit",
    "monthly_sales_limit",
    "needs_limit",
    "matrix_limit",
    "expected_annual_purchases",
    "days_outstanding",
]

#: the months of the needs-based formula have 30 days (12 x 30 = 360-day year)
DAYS_PER_MONTH = 30


# --------------------------------------------------------------------------- text helpers
# Text is built with numpy's variable-width StringDType, whose concatenation and int -> str
# casts run in C (an object array would concatenate one Python str at a time).
_STR = np.dtypes.StringDType()


def _filled(n: int, text: str) -> np.ndarray:
    """A StringDType array of ``n`` copies of ``text`` (``np.full`` is ~40x slower for StringDType)."""
    out = np.empty(n, dtype=_STR)
    out.fill(text)
    return out


def _fixed(values, decimals: int) -> np.ndarray:
    """Every value with ``decimals`` decimals, vectorised (StringDType; ``"nan"`` for NaN/inf)."""
    x = np.asarray(values, dtype=float)
    scale = 10 ** decimals
    finite = np.isfinite(x)
    # half away from zero, as people round amounts (np.round would give 3.45 -> "3.4")
    units = np.floor(np.abs(np.where(finite, x, 0.0)) * scale + 0.5).astype(np.int64)
    text = units.astype(_STR)
    if decimals:
        # one int -> str cast, then "1234" -> "12.34" by slicing off the last `decimals` digits
        text = np.strings.zfill(text, decimals + 1)
        text = np.strings.add(np.strings.add(np.strings.slice(text, 0, -decimals), "."),
                              np.strings.slice(text, -decimals, None))
    negative = (x < 0) & (units > 0)
    if negative.any():
        text[negative] = np.strings.add("-", text[negative])
    if not finite.all():
        text[~finite] = "nan"
    return text


def _money(values) -> np.ndarray:
    v = np.atleast_1d(np.asarray(values, dtype=float))
    out = _filled(v.shape, "n/a")
    a = np.abs(v)
    finite = np.isfinite(v)
    # the thresholds sit where the rounded text would reach the next unit ("1000 k" -> "1.0 m")
    for lo, hi, div, decimals, unit in ((999_950_000.0, math.inf, 1e9, 1, " bn"),
                                        (999_500.0, 999_950_000.0, 1e6, 1, " m"),
                                        (9_999.5, 999_500.0, 1e3, 0, " k"), (-1.0, 9_999.5, 1.0, 0, "")):
        m = finite & (a >= lo) & (a < hi)
        if m.any():
            out[m] = np.strings.add(_fixed(v[m] / div, decimals), unit)
    out[np.isposinf(v)] = "unbounded"
    out[np.isneginf(v)] = "-unbounded"
    return out


def format_money(values):
    """Amounts as short text: ``850``, ``12 k``, ``1.2 m``, ``3.4 bn``; ``n/a`` for NaN.

    A scalar gives a ``str``, an array an object array of ``str``.
    """
    out = _money(values)
    return str(out[0]) if np.ndim(values) == 0 else out.astype(object)


def format_share(share: float) -> str:
    """A fraction as a percentage for text: 0.2 -> ``"20 %"``."""
    return f"{share * 100:.4g} %"


def _text(*parts) -> np.ndarray:
    """Element-wise concatenation of strings and arrays of strings (a StringDType array)."""
    out = None
    for part in parts:
        if not isinstance(part, str):
            part = np.asarray(part)
            if part.dtype != _STR:
                part = part.astype(object).astype(_STR)
        out = part if out is None else np.strings.add(out, part)
    out = np.asarray(out)
    return out if out.dtype == _STR else out.astype(_STR)


def _put(target: np.ndarray, mask: np.ndarray, *parts) -> None:
    """``target[mask] = _text(*parts)`` built for the masked rows only (parts: str or full-length arrays)."""
    if mask.any():
        target[mask] = _text(*(p if isinstance(p, str) else np.asarray(p)[mask] for p in parts))


def _result(frame: pd.DataFrame, limit: np.ndarray, explanation: np.ndarray) -> pd.DataFrame:
    # an object column: inferring pandas' pyarrow "str" dtype would cost more than the text itself
    text = pd.Series(np.broadcast_to(np.asarray(explanation), (len(frame),)).astype(object), index=frame.index,
                     dtype=object)
    return pd.DataFrame({"limit": np.asarray(limit, dtype=float), "explanation": text}, index=frame.index)


def _frame_result(impl):
    """Make ``impl(frame, ...) -> (limit, explanation)`` the public function returning a DataFrame.

    The array version stays reachable as ``<function>.arrays`` (StringDType explanations),
    which :func:`riskkit.limits.recommend_limits` uses to skip a round trip through objects.
    """
    @functools.wraps(impl)
    def public(frame, *args, **kwargs):
        limit, explanation = impl(frame, *args, **kwargs)
        return _result(frame, limit, explanation)

    public.arrays = impl
    return public


# --------------------------------------------------------------------------- input helpers
def _check_share(share, name: str, hi: float | None = None) -> float:
    if isinstance(share, bool) or not isinstance(share, (int, float, np.integer, np.floating)):
        raise LimitInputError(f"{name} must be a number (a fraction: 0.2 = 20 %), got {share!r}")
    share = float(share)
    if not math.isfinite(share) or share < 0:
        raise LimitInputError(f"{name} must be a finite number >= 0 (a fraction: 0.2 = 20 %), got {share!r}")
    if hi is not None and share > hi:
        raise LimitInputError(f"{name} must be <= {hi} (a fraction: 0.2 = 20 %), got {share!r}")
    return share


def _numeric(frame: pd.DataFrame, column: str, *, nonnegative: bool = False) -> np.ndarray:
    values = frame[column]
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        raise LimitInputError(f"column {column!r} must be numeric, got dtype {values.dtype}")
    out = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(out).any():
        bad = frame.index[np.isinf(out)][:5].tolist()
        raise LimitInputError(f"column {column!r} has infinite values for {int(np.isinf(out).sum())} "
                              f"customer(s), e.g. {bad}")
    if nonnegative:
        negative = out < 0
        if negative.any():
            bad = frame.index[negative][:5].tolist()
            raise LimitInputError(f"column {column!r} must be >= 0 but is negative for {int(negative.sum())} "
                                  f"customer(s), e.g. {bad}")
    return out


#: the purchases column covers at most this many days (``credit_sales_365d``)
PURCHASES_WINDOW_DAYS = 365


def purchase_history_days(frame: pd.DataFrame, history_column: str | None,
                          min_history_days: float = 90.0) -> np.ndarray:
    """Days of purchases the purchases column covers: ``min(365, max(years x 365.25, min_history_days))``.

    ``history_column`` holds the years the customer has been with us (the profile's
    ``relationship_age_years`` = (as_of - onboarded) / 365.25); None (or a missing value)
    means a full year.  ``min_history_days`` keeps a customer of a few days from having
    its first order multiplied into a year.
    """
    n = len(frame)
    if history_column is None:
        return np.full(n, float(PURCHASES_WINDOW_DAYS))
    if isinstance(min_history_days, bool) or not isinstance(min_history_days, (int, float)) \
            or not 0 < min_history_days <= PURCHASES_WINDOW_DAYS:
        raise LimitInputError(f"min_history_days must be a number in (0, {PURCHASES_WINDOW_DAYS}], "
                              f"got {min_history_days!r}")
    check_columns_present(frame, [history_column], "the customer frame")
    years = _numeric(frame, history_column, nonnegative=True)
    known = np.where(np.isnan(years), PURCHASES_WINDOW_DAYS, years * 365.25)
    return np.clip(known, float(min_history_days), float(PURCHASES_WINDOW_DAYS))


def expected_annual_purchases(frame: pd.DataFrame, *, purchases_column: str = "credit_sales_365d",
                              purchases_growth: float = 0.0, history_column: str | None = None,
                              min_history_days: float = 90.0) -> np.ndarray:
    """Expected purchases from us over the next year: ``P x 365 / h x (1 + g)``; NaN where P is missing.

    ``P`` is what the customer bought over the last 365 days and ``h`` the days of that
    window it has been our customer (:func:`purchase_history_days`; 365 without
    ``history_column``): a customer onboarded 120 days ago bought for 120 days, not a
    year, and its purchases are scaled to a year like any annual figure from a part-year.
    """
    check_columns_present(frame, [purchases_column], "the customer frame")
    if isinstance(purchases_growth, bool) or not isinstance(purchases_growth, (int, float)) \
            or not math.isfinite(purchases_growth) or purchases_growth < -1:
        raise LimitInputError(f"purchases_growth must be a number >= -1 (0.1 = +10 %), got {purchases_growth!r}")
    scale = PURCHASES_WINDOW_DAYS / purchase_history_days(frame, history_column, min_history_days)
    return _numeric(frame, purchases_column, nonnegative=True) * scale * (1.0 + purchases_growth)


def days_outstanding(frame: pd.DataFrame, *, terms_column: str = "payment_terms_days",
                     days_beyond_terms_column: str = "avg_days_beyond_terms",
                     days_beyond_terms_if_missing: float | None = 0.0,
                     include_days_beyond_terms: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Days an invoice stays unpaid: ``terms + days beyond terms``.

    Returns
    -------
    days : ndarray
        NaN where the terms are missing, or the days beyond terms are missing and
        ``days_beyond_terms_if_missing`` is None.
    assumed : ndarray of bool
        Where the days beyond terms were missing and the assumption was used.
    """
    columns = [terms_column] + ([days_beyond_terms_column] if include_days_beyond_terms else [])
    check_columns_present(frame, columns, "the customer frame")
    terms = _numeric(frame, terms_column, nonnegative=True)
    if not include_days_beyond_terms:
        return terms, np.zeros(len(frame), dtype=bool)
    dbt = _numeric(frame, days_beyond_terms_column, nonnegative=True)
    assumed = np.isnan(dbt)
    if days_beyond_terms_if_missing is not None:
        if isinstance(days_beyond_terms_if_missing, bool) or days_beyond_terms_if_missing < 0:
            raise LimitInputError(f"days_beyond_terms_if_missing must be a number >= 0 or None, "
                                  f"got {days_beyond_terms_if_missing!r}")
        dbt = np.where(assumed, float(days_beyond_terms_if_missing), dbt)
    else:
        assumed = np.zeros(len(frame), dtype=bool)
    return terms + dbt, assumed


# --------------------------------------------------------------------------- the methods
@_frame_result
def net_worth_limit(frame: pd.DataFrame, share: float, *, column: str = "equity") -> pd.DataFrame:
    """Limit as a share of net worth: ``share x equity``.

    Equity <= 0 gives 0 (a company without net worth earns no limit by this rule); missing
    equity gives NaN with the explanation "no equity data".

    Parameters
    ----------
    frame : DataFrame
        One row per customer with the equity column.
    share : float
        Fraction of equity, 0..1 (0.1 = 10 %).
    column : str, default "equity"

    Examples
    --------
    >>> import pandas as pd
    >>> net_worth_limit(pd.DataFrame({"equity": [6e6, -1e6]}), 0.2)
           limit                    explanation
    0  1200000.0           20 % of equity 6.0 m
    1        0.0  equity -1.0 m is not positive
    """
    share = _check_share(share, "share", 1.0)
    check_columns_present(frame, [column], "the customer frame")
    equity = _numeric(frame, column)
    limit = np.where(equity > 0, share * equity, 0.0)
    limit[np.isnan(equity)] = np.nan
    explanation = _filled(len(frame), f"no {column} data")
    money = _money(equity)
    _put(explanation, equity > 0, f"{format_share(share)} of {column} ", money)
    _put(explanation, equity <= 0, f"{column} ", money, " is not positive")
    return limit, explanation


@_frame_result
def working_capital_limit(frame: pd.DataFrame, share: float, *, current_assets: str = "current_assets",
                          current_liabilities: str = "current_liabilities") -> pd.DataFrame:
    """Limit as a share of working capital: ``share x (current assets - current liabilities)``.

    Working capital <= 0 gives 0; a missing value gives NaN.  The profile has no current
    assets/liabilities today: when the columns are absent every customer gets NaN with the
    explanation "no working capital data (columns ... absent)", never a silent 0.
    """
    share = _check_share(share, "share", 1.0)
    absent = [c for c in (current_assets, current_liabilities) if c not in frame.columns]
    if absent:
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"frame must be a DataFrame, got {type(frame).__name__}")
        text = f"no working capital data (column(s) {', '.join(absent)} absent)"
        return np.full(len(frame), np.nan), _filled(len(frame), text)
    ca = _numeric(frame, current_assets, nonnegative=True)
    cl = _numeric(frame, current_liabilities, nonnegative=True)
    wc = ca - cl
    limit = np.where(wc > 0, share * wc, 0.0)
    limit[np.isnan(wc)] = np.nan
    explanation = _filled(len(frame), "no working capital data")
    known = ~np.isnan(wc)
    detail = _filled(len(frame), "")
    _put(detail, known, " (current assets ", _money(ca), " - current liabilities ", _money(cl), ")")
    money = _money(wc)
    _put(explanation, wc > 0, f"{format_share(share)} of working capital ", money, detail)
    _put(explanation, wc <= 0, "working capital ", money, detail, " is not positive")
    return limit, explanation


@_frame_result
def monthly_sales_limit(frame: pd.DataFrame, share: float, *, column: str = "credit_sales_365d",
                        label: str | None = None) -> pd.DataFrame:
    """Limit as a share of average monthly sales: ``share x base / 12``.

    Parameters
    ----------
    share : float
        Months of sales as a fraction, 0..12 (2.0 = 200 % = two months).
    column : str, default "credit_sales_365d"
        Annual base: sales to us over the last 365 days, or e.g. ``revenue`` (the
        customer's own sales).
    label : str, optional
        How the base is named in the explanation (default "sales to us" for
        ``credit_sales_365d``, else the column name).
    """
    share = _check_share(share, "share", 12.0)
    check_columns_present(frame, [column], "the customer frame")
    label = label or ("sales to us" if column == "credit_sales_365d" else column)
    annual = _numeric(frame, column, nonnegative=True)
    monthly = annual / 12.0
    limit = share * monthly
    explanation = _filled(len(frame), f"no {label} data")
    _put(explanation, ~np.isnan(annual), f"{format_share(share)} of monthly {label} ", _money(monthly), " (",
         _money(annual), " a year / 12)")
    return limit, explanation


@_frame_result
def needs_limit(frame: pd.DataFrame, *, purchases_column: str = "credit_sales_365d", purchases_growth: float = 0.0,
                terms_column: str = "payment_terms_days", days_beyond_terms_column: str = "avg_days_beyond_terms",
                days_beyond_terms_if_missing: float | None = 0.0,
                include_days_beyond_terms: bool = True, peak_factor: float = 1.0,
                order_to_invoice_column: str | None = None,
                order_to_invoice_days_if_missing: float = 0.0, history_column: str | None = None,
                min_history_days: float = 90.0) -> pd.DataFrame:
    """Needs-based limit: monthly purchases x (order to invoice + terms + days beyond terms) / 30 x peak factor.

    .. math:: L = \\frac{P (1 + g)}{12} \\cdot \\frac{o + t + d}{30} \\cdot k

    with ``P`` the expected annual purchases (default: sales to us over the last 365
    days), ``g`` their expected growth, ``o`` the days an order stays open before it is
    fully invoiced (``order_to_invoice_column``; 0 when None), ``t`` the payment terms and
    ``d`` the average days beyond terms (``days_beyond_terms_if_missing`` where the
    customer has no payment history, stated in the explanation; NaN if that is None).

    ``P (t + d) / 360`` is the average receivable of a customer that buys evenly and pays
    at its usual speed; ``P o / 360`` is its average book of open orders, which counts in
    the exposure a limit is checked against (EAD = open receivables + the un-invoiced rest
    of the open orders,
    :func:`riskkit.limits.exposure`; a credit-management system checks every order
    against the limit, Bass, *Credit Management*, ch. 5), by Little's law (average
    balance = inflow rate x time in the book).  Leaving ``o`` out compares the limit with
    only part of what it must cover.  The peak factor ``k >= 1`` is the headroom above the
    average exposure for lumpy orders (trade-credit practice sizes a limit to the peak,
    not the mean, exposure; 1.5 is the default policy's choice, see ``limit_policy.yaml``).

    Parameters
    ----------
    order_to_invoice_column : str or None, default None
        Days from order to (last) invoice per customer, e.g. the profile's
        ``order_to_invoice_days``; None leaves the open orders out (the formula of
        limit policy v1.1).
    order_to_invoice_days_if_missing : float, default 0
        Days assumed where that column is NaN (no order fulfilled in the last year);
        stated in the explanation.
    history_column : str or None, default None
        Years the customer has been with us (e.g. ``relationship_age_years``): the
        purchases of a customer with us for fewer than 365 days are scaled to a year
        (:func:`expected_annual_purchases`, stated in the explanation); None takes the
        purchases column as a full year's.
    min_history_days : float, default 90
        The shortest history scaled up (a newer customer counts as 90 days).
    """
    if isinstance(peak_factor, bool) or not isinstance(peak_factor, (int, float)) or not peak_factor >= 1 \
            or not np.isfinite(peak_factor):
        raise LimitInputError(f"peak_factor must be a number >= 1, got {peak_factor!r}")
    if isinstance(order_to_invoice_days_if_missing, bool) \
            or not isinstance(order_to_invoice_days_if_missing, (int, float)) \
            or not np.isfinite(order_to_invoice_days_if_missing) or order_to_invoice_days_if_missing < 0:
        raise LimitInputError(f"order_to_invoice_days_if_missing must be a number >= 0, "
                              f"got {order_to_invoice_days_if_missing!r}")
    annual = expected_annual_purchases(frame, purchases_column=purchases_column, purchases_growth=purchases_growth,
                                       history_column=history_column, min_history_days=min_history_days)
    history = purchase_history_days(frame, history_column, min_history_days)
    days, assumed = days_outstanding(frame, terms_column=terms_column, days_beyond_terms_column=days_beyond_terms_column,
                                     days_beyond_terms_if_missing=days_beyond_terms_if_missing,
                                     include_days_beyond_terms=include_days_beyond_terms)
    n = len(frame)
    if order_to_invoice_column is not None:
        check_columns_present(frame, [order_to_invoice_column], "the customer frame")
        lead = _numeric(frame, order_to_invoice_column, nonnegative=True)
        lead_assumed = np.isnan(lead)
        lead = np.where(lead_assumed, float(order_to_invoice_days_if_missing), lead)
    else:
        lead, lead_assumed = np.zeros(n), np.zeros(n, dtype=bool)
    monthly = annual / 12.0
    limit = monthly * (lead + days) / DAYS_PER_MONTH * peak_factor
    terms = _numeric(frame, terms_column)
    growth = f" (+{format_share(purchases_growth)} growth)" if purchases_growth > 0 else (
        f" ({format_share(purchases_growth)} growth)" if purchases_growth < 0 else "")
    part_year = _filled(n, "")
    _put(part_year, history < PURCHASES_WINDOW_DAYS, " (", _money(annual / (1.0 + purchases_growth) * history
                                                                 / PURCHASES_WINDOW_DAYS),
         " bought in ", _fixed(history, 0), " days as a customer, scaled to a year)")
    explanation = _filled(n, "no purchase data")
    explanation[~np.isnan(annual) & np.isnan(terms)] = "no payment terms data"
    explanation[~np.isnan(annual) & ~np.isnan(terms) & np.isnan(days)] = \
        "no days-beyond-terms data (no payment history)"
    ok = ~np.isnan(limit)
    lead_text = (_fixed(lead, 0), " days order to invoice + ") if order_to_invoice_column is not None else ()
    if include_days_beyond_terms:
        day_text = (*lead_text, _fixed(terms, 0), " days terms + ", _fixed(np.nan_to_num(days - terms, nan=0.0), 0),
                    " days beyond terms")
    else:
        day_text = (*lead_text, _fixed(terms, 0), " days terms")
    note = f" (no payment history: {days_beyond_terms_if_missing:g} days beyond terms assumed)" \
        if days_beyond_terms_if_missing is not None else ""
    lead_note = f" (no order fulfilled in the last year: {order_to_invoice_days_if_missing:g} days order to " \
        f"invoice assumed)"
    peak = f" x {peak_factor:g} peak factor" if peak_factor != 1 else ""
    for dbt_assumed in (False, True):
        for o_assumed in (False, True):
            rows = ok & (assumed == dbt_assumed) & (lead_assumed == o_assumed)
            _put(explanation, rows, "monthly purchases ", _money(monthly), part_year, growth, " x (", *day_text, ") / 30",
                 peak, note if dbt_assumed else "", lead_note if o_assumed else "")
    return limit, explanation


@_frame_result
def matrix_limit(frame: pd.DataFrame, matrix: RatingSizeMatrix, *, grade_column: str = "grade",
                 grades=GRADES) -> pd.DataFrame:
    """Limit read from a rating x size matrix.

    The customer's row is its grade, its column the size band ``[lower, upper)`` holding
    its ``matrix.size_column`` value.  A cell is an amount or a formula in the safe
    arithmetic language (:mod:`riskkit._core.expressions`), evaluated on the customer's
    columns.  The default grade (the last of ``grades``) gets 0.  Missing grade, size or
    formula inputs give NaN; a size outside every band gives NaN ("outside the bands"); a
    formula that comes out negative (e.g. a share of negative equity) gives 0, explained.

    Parameters
    ----------
    frame : DataFrame
        One row per customer with the grade, the size column and any formula columns.
    matrix : RatingSizeMatrix
        E.g. ``LimitPolicy.default().methods["matrix"]``.
    grade_column : str, default "grade"
    grades : sequence of str
        Grade order; the last is the default grade.
    """
    if not isinstance(matrix, RatingSizeMatrix):
        raise TypeError(f"matrix must be a RatingSizeMatrix, got {type(matrix).__name__}")
    check_columns_present(frame, [grade_column, *matrix.columns], "the customer frame")
    grade = frame[grade_column].to_numpy(dtype=object, na_value=None)
    grade_ranks(frame[grade_column], grades, what=f"column {grade_column!r}")
    size = _numeric(frame, matrix.size_column)
    n = len(frame)
    lowers = np.array([b.lower for b in matrix.bands])
    band = np.searchsorted(lowers, size, side="right") - 1
    inside = ~np.isnan(size) & (band >= 0) & (size < matrix.bands[-1].upper)
    limit = np.full(n, np.nan)
    explanation = _filled(n, "")
    for j, b in enumerate(matrix.bands):
        span = (f"{format_money(b.lower)} and above" if b.upper == math.inf
                else f"{format_money(b.lower)} to {format_money(b.upper)}")
        band_text = f"{b.name} {matrix.size_label} band ({span})"
        in_band = inside & (band == j)
        for g, row in matrix.cells.items():
            rows = in_band & (grade == g)
            if not rows.any():
                continue
            cell = row[j]
            values = cell.evaluate(frame.loc[rows])
            if cell.kind == "number":
                text = _text(f"grade {g}, {band_text}: ", _money(values))
            else:
                text = _text(f"grade {g}, {band_text}: {cell.text} = ", _money(values))
                text[np.isnan(values)] = f"grade {g}, {band_text}: {cell.text} = n/a (missing data)"
            # a formula over e.g. negative equity can go below 0: no limit, said so
            negative = values < 0
            _put(text, negative, text, " is negative: 0")
            limit[rows] = np.where(negative, 0.0, values)
            explanation[rows] = text
    default = grade == grades[-1]
    limit[default] = 0.0
    explanation[default] = f"grade {grades[-1]}: 0"
    no_grade = pd.isna(grade)
    limit[no_grade] = np.nan
    explanation[no_grade] = "no grade"
    no_size = np.isnan(size) & ~default & ~no_grade
    explanation[no_size] = f"no {matrix.size_label} data"
    outside = ~np.isnan(size) & ~inside & ~default & ~no_grade
    _put(explanation, outside, f"{matrix.size_label} ", _money(size), " outside the matrix bands")
    return limit, explanation
