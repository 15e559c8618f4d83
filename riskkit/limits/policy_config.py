"""The credit-limit policy (授信政策): YAML loading and validation.

A limit policy says which limit methods apply, their parameters, the caps and floors and
how the recommended limit is put together (:func:`riskkit.limits.recommend_limits`).  The
default is ``riskkit/configs/limit_policy.yaml``, where every field is documented.  Every
problem raises :class:`~riskkit._core.config.ConfigError` reading
``<file>: <entry>: field '<field>': <problem>``; columns named by the policy are checked
against the customer frame when the policy is applied (:meth:`LimitPolicy.check_columns`),
since a config file cannot know the profile's columns.

Conventions: money is in the book's currency; shares are fractions (0.2 = 20 %).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._core.config import CONFIG_DIR, Checker, ConfigError, read_yaml
from .._core.errors import InputError
from .._core.expressions import ExpressionError, parse_expression

__all__ = [
    "GRADES",
    "METHODS",
    "METHOD_LABELS",
    "DEFAULT_LIMIT_POLICY_PATH",
    "LimitInputError",
    "LimitPolicy",
    "TradeInputs",
    "SizeBand",
    "RatingSizeMatrix",
    "NetWorthMethod",
    "WorkingCapitalMethod",
    "MonthlySalesMethod",
    "NeedsMethod",
    "ELBudgetMethod",
    "ProfitMethod",
    "Bounds",
    "ApprovalLevel",
    "ApprovalAuthority",
    "load_limit_policy",
    "check_columns_present",
    "grade_ranks",
]

DEFAULT_LIMIT_POLICY_PATH = CONFIG_DIR / "limit_policy.yaml"

#: master-scale grades, best first: S (whitelist) above AAA, D = default
GRADES = ("S", "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "D")

#: every limit method a policy may enable, in the order reports list them
METHODS = ("net_worth", "working_capital", "monthly_sales", "needs", "matrix", "el_budget", "profit")

#: how a method is named in a reason sentence
METHOD_LABELS = {
    "net_worth": "% of net worth",
    "working_capital": "% of working capital",
    "monthly_sales": "% of monthly sales",
    "needs": "needs-based limit",
    "matrix": "rating x size matrix",
    "el_budget": "expected-loss budget",
    "profit": "expected-profit optimum",
}

_SATURATIONS = ("exponential", "min")


class LimitInputError(InputError):
    """A frame given to a limit function lacks columns or holds values it cannot use."""


def check_columns_present(frame: pd.DataFrame, columns, what: str) -> None:
    """Raise :class:`LimitInputError` naming every column of ``columns`` absent from ``frame``."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a DataFrame, got {type(frame).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise LimitInputError(f"{what} lacks column(s) {missing}")


def grade_ranks(grades: pd.Series | np.ndarray, order=GRADES, what: str = "grade") -> np.ndarray:
    """Position of each grade on ``order`` (0 = best); NaN where missing.

    Raises :class:`LimitInputError` naming unknown grades.
    """
    values = pd.Series(np.asarray(grades, dtype=object))
    present = values.notna().to_numpy()
    position = {g: i for i, g in enumerate(order)}
    ranks = values.map(position).to_numpy(dtype=float, na_value=np.nan)
    unknown = present & np.isnan(ranks)
    if unknown.any():
        bad = sorted(set(values[unknown].astype(str)))
        raise LimitInputError(f"{what} has unknown grade(s) {bad}; the grade order is {list(order)}")
    return ranks


# --------------------------------------------------------------------------- parts of a policy
@dataclass(frozen=True)
class TradeInputs:
    """Columns and parameters of the customer's trade with us (needs-based and model limits).

    Attributes
    ----------
    purchases_column : str
        Expected annual purchases from us (default ``credit_sales_365d``: what we invoiced
        the customer over the last 365 days).
    purchases_growth : float
        Expected growth of purchases over the next year (0.1 = +10 %).
    purchases_history_column : str or None
        Years the customer has been with us (e.g. ``relationship_age_years``): purchases
        of a customer with us for fewer than 365 days are scaled to a year; None takes the
        purchases column as a full year's (policy v1.1).
    purchases_min_history_days : float
        The shortest history scaled up (0 < days <= 365).
    terms_column, days_beyond_terms_column : str
        Agreed payment terms and the customer's average days beyond terms.
    days_beyond_terms_if_missing : float or None
        Days beyond terms assumed for a customer without payment history; None leaves the
        needs-based and model limits NaN for such customers.
    gross_margin_rate : float
        Gross margin on sales to the customer (0.15 = 15 %).
    lgd : float
        Loss given default of trade receivables (a fraction).
    pd_column, pd_fallback_column : str, str or None
        One-year PD used by the model limits; the fallback fills missing values (e.g. the
        scorecard ``pd`` of a whitelisted S customer whose grade has no representative PD).
    """

    purchases_column: str = "credit_sales_365d"
    purchases_growth: float = 0.0
    purchases_history_column: str | None = None
    purchases_min_history_days: float = 90.0
    terms_column: str = "payment_terms_days"
    days_beyond_terms_column: str = "avg_days_beyond_terms"
    days_beyond_terms_if_missing: float | None = 0.0
    gross_margin_rate: float = 0.15
    lgd: float = 0.45
    pd_column: str = "grade_pd"
    pd_fallback_column: str | None = "pd"


@dataclass(frozen=True)
class NetWorthMethod:
    """Limit = share x equity (净资产比例)."""

    share: float
    column: str = "equity"


@dataclass(frozen=True)
class WorkingCapitalMethod:
    """Limit = share x (current assets - current liabilities) (营运资金比例)."""

    share: float
    current_assets: str = "current_assets"
    current_liabilities: str = "current_liabilities"


@dataclass(frozen=True)
class MonthlySalesMethod:
    """Limit = share x annual base / 12 (a share of average monthly sales)."""

    share: float
    column: str = "credit_sales_365d"
    label: str = "sales to us"


@dataclass(frozen=True)
class NeedsMethod:
    """Limit = monthly purchases x (order to invoice + terms + days beyond terms) / 30 x peak_factor.

    ``order_to_invoice_column`` (days an order stays open before it is invoiced, e.g. the
    profile's ``order_to_invoice_days``) adds the open orders, which count in the exposure;
    None leaves them out (policy v1.1).  ``peak_factor`` (>= 1) is headroom over the
    average exposure for lumpy orders.  See :func:`riskkit.limits.needs_limit`.
    """

    include_days_beyond_terms: bool = True
    peak_factor: float = 1.0
    order_to_invoice_column: str | None = None
    order_to_invoice_days_if_missing: float = 0.0


@dataclass(frozen=True)
class SizeBand:
    """A size band ``[lower, upper)`` of the size column (``upper`` may be ``inf``)."""

    name: str
    lower: float
    upper: float


@dataclass(frozen=True)
class RatingSizeMatrix:
    """A rating x size matrix: rows are grades, columns size bands, cells amounts or formulas.

    Attributes
    ----------
    size_column : str
        Column whose value places a customer in a band (default ``revenue``).
    bands : tuple of SizeBand
        Sorted, contiguous (each lower bound is the previous upper bound), non-overlapping.
    cells : dict grade -> tuple of Expression
        One cell per band for every grade except the default grade (whose limit is 0).
    size_label : str
        How the size column is named in an explanation.
    """

    size_column: str
    bands: tuple[SizeBand, ...]
    cells: dict
    size_label: str = "revenue"

    @property
    def columns(self) -> list[str]:
        cols = [self.size_column]
        for row in self.cells.values():
            for cell in row:
                cols.extend(cell.columns)
        return list(dict.fromkeys(cols))


@dataclass(frozen=True)
class ELBudgetMethod:
    """Largest limit whose expected loss PD x LGD x L stays within a per-customer budget.

    Exactly one of ``budget_amount`` (money per customer) and ``budget_margin_share``
    (share of the customer's expected annual gross margin) is set.
    """

    budget_amount: float | None = None
    budget_margin_share: float | None = None


@dataclass(frozen=True)
class ProfitMethod:
    """Limit maximising expected margin - expected loss, with EL / margin <= max_el_share."""

    max_el_share: float = 0.5
    saturation: str = "exponential"


@dataclass(frozen=True)
class Bounds:
    """Caps (upper bounds) or floors (lower bounds) of the recommended limit.

    Attributes
    ----------
    absolute : float or None
    by_grade : dict grade -> amount
    by_ownership : dict ownership type -> amount
    seller_sales_share : float or None
        Caps only: a share of the seller's own annual sales (concentration cap).
    """

    absolute: float | None = None
    by_grade: dict = field(default_factory=dict)
    by_ownership: dict = field(default_factory=dict)
    seller_sales_share: float | None = None

    @property
    def empty(self) -> bool:
        return (self.absolute is None and not self.by_grade and not self.by_ownership
                and self.seller_sales_share is None)


@dataclass(frozen=True)
class ApprovalLevel:
    """One level of delegated approval authority (审批权限): who may approve limits up to ``up_to``.

    ``up_to`` is ``inf`` for the last (highest) level, which has no upper bound.
    """

    name: str
    up_to: float = math.inf


@dataclass(frozen=True)
class ApprovalAuthority:
    """Who must approve a recommended limit (policy section ``approval``).

    A limit goes to the first level whose ``up_to`` covers it (``limit <= up_to``); a limit
    above the rating x size matrix amount of its cell (the committee guideline, even where the
    matrix is not applied to the grade) needs at least the level ``above_matrix``; the approval
    level is the higher of the two.  With ``increase_only`` a limit that does not raise the
    current limit needs no approval.

    Attributes
    ----------
    levels : tuple of ApprovalLevel
        Ascending authority; ``up_to`` strictly increasing, only the last one ``inf``.
    above_matrix : str or None
        A level name, or None (no escalation above the matrix).
    increase_only : bool
    """

    levels: tuple = (ApprovalLevel("standard"),)
    above_matrix: str | None = None
    increase_only: bool = False

    @property
    def names(self) -> tuple:
        return tuple(level.name for level in self.levels)


# --------------------------------------------------------------------------- the policy
@dataclass(frozen=True)
class LimitPolicy:
    """A validated credit-limit policy (see ``riskkit/configs/limit_policy.yaml``).

    Build with :meth:`from_yaml`, :meth:`from_dict`, :meth:`default` or
    :func:`load_limit_policy`.

    Attributes
    ----------
    name : str
    grades : tuple of str
        Grades best first; the last is the default grade (limit 0).
    methods : dict name -> method spec
        The enabled methods in config order.
    trade : TradeInputs
    caps, floors : Bounds
    ownership_column : str
    seller_annual_sales : float or None
    rounding : float
        The recommended limit is rounded down to a multiple of it (0: no rounding).
    on_missing : {"skip", "zero"}
        A method without data is skipped (the minimum runs over the others) or counts 0.
    review_notches : int
        A grade better than the PD's grade by this many notches or more is flagged.
    method_grades : dict name -> tuple of str
        From a method's optional ``grades: [...]``: the grades it applies to (absent: all).
    approval : ApprovalAuthority
        Who must approve a limit (section ``approval``; absent: one level ``standard``).
    currency : str
    source : str
    """

    name: str
    grades: tuple
    methods: dict
    trade: TradeInputs = TradeInputs()
    caps: Bounds = Bounds()
    floors: Bounds = Bounds()
    ownership_column: str = "ownership_type"
    seller_annual_sales: float | None = None
    rounding: float = 0.0
    on_missing: str = "skip"
    review_notches: int = 3
    currency: str = ""
    source: str = "<dict>"
    #: method -> the grades it applies to (methods absent apply to every grade); a method
    #: outside its grades is left out of the minimum for that customer, as if not enabled
    method_grades: dict = field(default_factory=dict)
    approval: ApprovalAuthority = ApprovalAuthority()

    @property
    def default_grade(self) -> str:
        return self.grades[-1]

    # -- loading -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, config: Mapping, source: str = "<dict>") -> LimitPolicy:
        """Validate a config mapping (the layout of ``limit_policy.yaml``)."""
        top = Checker(source, "<top level>")
        config = top.mapping(config, "<top level>")
        top.only(config, {"name", "version", "description", "currency", "grades", "on_missing", "trade",
                          "methods", "caps", "floors", "ownership_column", "seller_annual_sales", "rounding",
                          "override_review", "approval"})
        name = top.text(config.get("name", "limit_policy"), "name")
        grades = tuple(top.text(g, f"grades[{i}]")
                       for i, g in enumerate(top.sequence(config.get("grades", list(GRADES)), "grades", min_len=2)))
        if len(set(grades)) != len(grades):
            top.fail("grades", f"grades must be distinct, got {list(grades)}")
        on_missing = top.choice(config.get("on_missing", "skip"), "on_missing", ("skip", "zero"))
        trade = _trade(config.get("trade", {}), source)
        methods, method_grades = _methods(top.require(config, "methods"), source, grades)
        caps = _bounds(config.get("caps", {}), source, "caps", grades, allow_share=True)
        floors = _bounds(config.get("floors", {}), source, "floors", grades, allow_share=False)
        ownership_column = top.text(config.get("ownership_column", "ownership_type"), "ownership_column")
        seller_sales = config.get("seller_annual_sales")
        if seller_sales is not None:
            seller_sales = top.number(seller_sales, "seller_annual_sales", lo=0.0)
            if seller_sales == 0:
                top.fail("seller_annual_sales", "must be positive")
        if caps.seller_sales_share is not None and seller_sales is None:
            top.fail("seller_annual_sales", "is required when caps.seller_sales_share is set")
        rounding = top.number(config.get("rounding", 0), "rounding", lo=0.0)
        review = top.mapping(config.get("override_review", {}), "override_review")
        review_check = Checker(source, "override_review")
        review_check.only(review, {"notches"})
        notches = review.get("notches", 3)
        if isinstance(notches, bool) or not isinstance(notches, int) or notches < 1:
            review_check.fail("notches", f"must be a whole number of notches >= 1, got {notches!r}")
        currency = str(config.get("currency", ""))
        approval = _approval(config.get("approval"), source, matrix_enabled="matrix" in methods)
        return cls(name=name, grades=grades, methods=methods, trade=trade, caps=caps, floors=floors,
                   ownership_column=ownership_column, seller_annual_sales=seller_sales, rounding=rounding,
                   on_missing=on_missing, review_notches=notches, currency=currency, source=source,
                   method_grades=method_grades, approval=approval)

    @classmethod
    def from_yaml(cls, path) -> LimitPolicy:
        """Load and validate a YAML file; errors name the file, the entry and the field."""
        config, source = read_yaml(path)
        return cls.from_dict(config, source)

    @classmethod
    def default(cls) -> LimitPolicy:
        """The default policy ``riskkit/configs/limit_policy.yaml``."""
        return cls.from_yaml(DEFAULT_LIMIT_POLICY_PATH)

    # -- columns -------------------------------------------------------------------------
    def required_columns(self) -> dict[tuple[str, str], str]:
        """``{(entry, field): column}`` of every column the policy must find in the frame.

        The working-capital columns are not required: without them that method is NaN
        with the explanation "no working capital data".
        """
        need: dict[tuple[str, str], str] = {}
        trade = self.trade
        for method, spec in self.methods.items():
            entry = f"methods.{method}"
            if isinstance(spec, (NetWorthMethod, MonthlySalesMethod)):
                need[(entry, "column")] = spec.column
            elif isinstance(spec, NeedsMethod) and spec.order_to_invoice_column is not None:
                need[(entry, "order_to_invoice_column")] = spec.order_to_invoice_column
            elif isinstance(spec, RatingSizeMatrix):
                need[(entry, "size_column")] = spec.size_column
                for grade, row in spec.cells.items():
                    for j, cell in enumerate(row):
                        for col in cell.columns:
                            need.setdefault((entry, f"cells.{grade}[{j}]"), col)
        if any(m in self.methods for m in ("needs", "el_budget", "profit")):
            need[("trade", "purchases_column")] = trade.purchases_column
            if trade.purchases_history_column is not None:
                need[("trade", "purchases_history_column")] = trade.purchases_history_column
            need[("trade", "terms_column")] = trade.terms_column
            need[("trade", "days_beyond_terms_column")] = trade.days_beyond_terms_column
        if any(m in self.methods for m in ("el_budget", "profit")):
            need[("trade", "pd_column")] = trade.pd_column
            if trade.pd_fallback_column is not None:
                need[("trade", "pd_fallback_column")] = trade.pd_fallback_column
        if self.caps.by_ownership or self.floors.by_ownership:
            need[("<top level>", "ownership_column")] = self.ownership_column
        return need

    def check_columns(self, frame: pd.DataFrame, what: str = "the profile/ratings frame") -> None:
        """Raise ``ConfigError`` (file, entry, field) for a policy column absent from ``frame``."""
        for (entry, fld), column in self.required_columns().items():
            if column not in frame.columns:
                raise ConfigError(self.source, entry, fld, f"column {column!r} is not in {what}")


def load_limit_policy(policy=None) -> LimitPolicy:
    """A :class:`LimitPolicy` from None (the default), a policy, a YAML path or a mapping."""
    if policy is None:
        return LimitPolicy.default()
    if isinstance(policy, LimitPolicy):
        return policy
    if isinstance(policy, (str, Path)):
        return LimitPolicy.from_yaml(policy)
    if isinstance(policy, Mapping):
        return LimitPolicy.from_dict(policy)
    raise TypeError(f"config must be None, a LimitPolicy, a YAML path or a mapping, got {type(policy).__name__}")


# --------------------------------------------------------------------------- section parsers
def _share(check: Checker, value, fld: str, hi: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        check.fail(fld, f"must be a number (a fraction: 0.2 = 20 %), got {value!r}")
    if value < 0:
        check.fail(fld, f"must not be negative, got {value!r} (shares are fractions: 0.2 = 20 %)")
    return check.number(value, fld, lo=0.0, hi=hi)


def _bool(check: Checker, value, fld: str) -> bool:
    if not isinstance(value, bool):
        check.fail(fld, f"must be true or false, got {value!r}")
    return value


def _trade(raw, source: str) -> TradeInputs:
    check = Checker(source, "trade")
    raw = check.mapping(raw, "trade")
    check.only(raw, {"purchases_column", "purchases_growth", "purchases_history_column",
                     "purchases_min_history_days", "terms_column", "days_beyond_terms_column",
                     "days_beyond_terms_if_missing", "gross_margin_rate", "lgd", "pd_column", "pd_fallback_column"})
    base = TradeInputs()
    dbt_missing = raw.get("days_beyond_terms_if_missing", base.days_beyond_terms_if_missing)
    if dbt_missing is not None:
        dbt_missing = check.number(dbt_missing, "days_beyond_terms_if_missing", lo=0.0)
    history = raw.get("purchases_history_column", base.purchases_history_column)
    if history is not None:
        history = check.text(history, "purchases_history_column")
    fallback = raw.get("pd_fallback_column", base.pd_fallback_column)
    if fallback is not None:
        fallback = check.text(fallback, "pd_fallback_column")
    return TradeInputs(
        purchases_column=check.text(raw.get("purchases_column", base.purchases_column), "purchases_column"),
        purchases_growth=check.number(raw.get("purchases_growth", base.purchases_growth), "purchases_growth",
                                      lo=-1.0),
        purchases_history_column=history,
        purchases_min_history_days=check.number(
            raw.get("purchases_min_history_days", base.purchases_min_history_days), "purchases_min_history_days",
            lo=1.0, hi=365.0),
        terms_column=check.text(raw.get("terms_column", base.terms_column), "terms_column"),
        days_beyond_terms_column=check.text(raw.get("days_beyond_terms_column", base.days_beyond_terms_column),
                                            "days_beyond_terms_column"),
        days_beyond_terms_if_missing=dbt_missing,
        gross_margin_rate=_share(check, raw.get("gross_margin_rate", base.gross_margin_rate), "gross_margin_rate", 1.0),
        lgd=_share(check, raw.get("lgd", base.lgd), "lgd", 1.0),
        pd_column=check.text(raw.get("pd_column", base.pd_column), "pd_column"),
        pd_fallback_column=fallback,
    )


def _methods(raw, source: str, grades: tuple) -> dict:
    top = Checker(source, "methods")
    raw = top.mapping(raw, "methods")
    for key in raw:
        if key not in METHODS:
            top.fail(str(key), f"unknown method {key!r}; known methods: {list(METHODS)}")
    methods, method_grades = {}, {}
    for key, spec in raw.items():
        check = Checker(source, f"methods.{key}")
        spec = check.mapping({} if spec is None else spec, "<entry>")
        enabled = _bool(check, spec.get("enabled", True), "enabled")
        body = {k: v for k, v in spec.items() if k not in ("enabled", "grades")}
        parsed = _METHOD_PARSERS[key](check, body, grades)
        applies = _method_grades(check, spec.get("grades"), grades)
        if enabled:
            methods[key] = parsed
            if applies is not None:
                method_grades[key] = applies
    if not methods:
        top.fail("<entries>", "enable at least one method")
    return methods, method_grades


def _method_grades(check: Checker, raw, grades: tuple) -> tuple | None:
    """The optional ``grades`` of a method: a non-empty list of distinct known grades, or None."""
    if raw is None:
        return None
    raw = check.sequence(raw, "grades", min_len=1)
    for i, grade in enumerate(raw):
        if grade not in grades:
            check.fail(f"grades[{i}]", f"unknown grade {grade!r}; grades: {list(grades)}")
    if len(set(raw)) != len(raw):
        check.fail("grades", f"grades must be distinct, got {list(raw)}")
    return tuple(raw)


def _net_worth(check: Checker, raw: dict, grades) -> NetWorthMethod:
    check.only(raw, {"share", "column"})
    return NetWorthMethod(share=_share(check, check.require(raw, "share"), "share", 1.0),
                          column=check.text(raw.get("column", "equity"), "column"))


def _working_capital(check: Checker, raw: dict, grades) -> WorkingCapitalMethod:
    check.only(raw, {"share", "current_assets", "current_liabilities"})
    return WorkingCapitalMethod(
        share=_share(check, check.require(raw, "share"), "share", 1.0),
        current_assets=check.text(raw.get("current_assets", "current_assets"), "current_assets"),
        current_liabilities=check.text(raw.get("current_liabilities", "current_liabilities"), "current_liabilities"))


def _monthly_sales(check: Checker, raw: dict, grades) -> MonthlySalesMethod:
    check.only(raw, {"share", "column", "label"})
    column = check.text(raw.get("column", "credit_sales_365d"), "column")
    default_label = "sales to us" if column == "credit_sales_365d" else column
    return MonthlySalesMethod(share=_share(check, check.require(raw, "share"), "share", 12.0), column=column,
                              label=check.text(raw.get("label", default_label), "label"))


def _needs(check: Checker, raw: dict, grades) -> NeedsMethod:
    check.only(raw, {"include_days_beyond_terms", "peak_factor", "order_to_invoice_column",
                     "order_to_invoice_days_if_missing"})
    peak = raw.get("peak_factor", 1.0)
    if isinstance(peak, bool) or not isinstance(peak, (int, float)) or not math.isfinite(peak) or peak < 1:
        check.fail("peak_factor", f"must be a number >= 1 (1.5 = 50 % headroom over the average exposure), "
                                  f"got {peak!r}")
    column = raw.get("order_to_invoice_column")
    if column is not None:
        column = check.text(column, "order_to_invoice_column")
    return NeedsMethod(include_days_beyond_terms=_bool(check, raw.get("include_days_beyond_terms", True),
                                                       "include_days_beyond_terms"),
                       peak_factor=float(peak), order_to_invoice_column=column,
                       order_to_invoice_days_if_missing=check.number(
                           raw.get("order_to_invoice_days_if_missing", 0.0), "order_to_invoice_days_if_missing",
                           lo=0.0))


def _matrix(check: Checker, raw: dict, grades) -> RatingSizeMatrix:
    check.only(raw, {"size_column", "size_label", "bands", "cells"})
    size_column = check.text(raw.get("size_column", "revenue"), "size_column")
    size_label = check.text(raw.get("size_label", size_column), "size_label")
    raw_bands = check.sequence(check.require(raw, "bands"), "bands", min_len=1)
    bands: list[SizeBand] = []
    for i, band in enumerate(raw_bands):
        fld = f"bands[{i}]"
        band = check.mapping(band, fld)
        check.only(band, {"name", "lower", "upper"}, fld)
        for key in ("name", "lower"):
            if band.get(key) is None:
                check.fail(f"{fld}.{key}", "is required")
        name = check.text(band["name"], f"{fld}.name")
        lower = check.number(band["lower"], f"{fld}.lower")
        upper = band.get("upper")
        upper = math.inf if upper is None else check.number(upper, f"{fld}.upper")
        if upper <= lower:
            check.fail(f"{fld}.upper", f"must be above lower {lower!r}, got {upper!r}")
        if bands:
            previous = bands[-1]
            if lower < previous.upper:
                check.fail(f"{fld}.lower", f"band {name!r} [{lower!r}, {upper!r}) overlaps or is not sorted after "
                                           f"band {previous.name!r} [{previous.lower!r}, {previous.upper!r})")
            if lower > previous.upper:
                check.fail(f"{fld}.lower", f"gap between band {previous.name!r} (upper {previous.upper!r}) and "
                                           f"band {name!r} (lower {lower!r}); bands must be contiguous")
        if upper == math.inf and i < len(raw_bands) - 1:
            check.fail(f"{fld}.upper", "only the last band may be open-ended (upper: null)")
        bands.append(SizeBand(name, lower, upper))
    names = [b.name for b in bands]
    if len(set(names)) != len(names):
        check.fail("bands", f"band names must be distinct, got {names}")
    raw_cells = check.mapping(check.require(raw, "cells"), "cells")
    default_grade = grades[-1]
    for grade in raw_cells:
        if grade not in grades:
            check.fail(f"cells.{grade}", f"unknown grade {grade!r}; grades: {list(grades)}")
    cells = {}
    for grade in grades[:-1]:
        if grade not in raw_cells:
            check.fail(f"cells.{grade}", f"the matrix has no row for grade {grade!r}; every grade but "
                                         f"{default_grade!r} needs one")
        row = check.sequence(raw_cells[grade], f"cells.{grade}")
        if len(row) != len(bands):
            check.fail(f"cells.{grade}", f"needs one cell per band ({len(bands)}: {names}), got {len(row)}")
        parsed = []
        for j, cell in enumerate(row):
            fld = f"cells.{grade}[{j}]"
            try:
                expression = parse_expression(cell, fld)
            except ExpressionError as exc:
                raise ConfigError(check.source, check.entry, exc.where, exc.problem) from None
            if expression.kind == "number" and expression.value < 0:
                check.fail(fld, f"a limit must not be negative, got {cell!r}")
            parsed.append(expression)
        cells[grade] = tuple(parsed)
    if default_grade in raw_cells:
        row = check.sequence(raw_cells[default_grade], f"cells.{default_grade}")
        if any(isinstance(c, bool) or not isinstance(c, (int, float)) or c != 0 for c in row):
            check.fail(f"cells.{default_grade}", f"grade {default_grade!r} always gets 0; omit its row or give zeros")
    return RatingSizeMatrix(size_column=size_column, bands=tuple(bands), cells=cells, size_label=size_label)


def _el_budget(check: Checker, raw: dict, grades) -> ELBudgetMethod:
    check.only(raw, {"budget_amount", "budget_margin_share"})
    given = [k for k in ("budget_amount", "budget_margin_share") if raw.get(k) is not None]
    if len(given) != 1:
        check.fail("budget_amount", f"give exactly one of 'budget_amount' and 'budget_margin_share', got {given}")
    if given[0] == "budget_amount":
        return ELBudgetMethod(budget_amount=check.number(raw["budget_amount"], "budget_amount", lo=0.0))
    return ELBudgetMethod(budget_margin_share=_share(check, raw["budget_margin_share"], "budget_margin_share", 1.0))


def _profit(check: Checker, raw: dict, grades) -> ProfitMethod:
    check.only(raw, {"max_el_share", "saturation"})
    return ProfitMethod(max_el_share=_share(check, raw.get("max_el_share", 0.5), "max_el_share", 1.0),
                        saturation=check.choice(raw.get("saturation", "exponential"), "saturation", _SATURATIONS))


_METHOD_PARSERS = {"net_worth": _net_worth, "working_capital": _working_capital, "monthly_sales": _monthly_sales,
                   "needs": _needs, "matrix": _matrix, "el_budget": _el_budget, "profit": _profit}


def _bounds(raw, source: str, entry: str, grades: tuple, allow_share: bool) -> Bounds:
    check = Checker(source, entry)
    raw = check.mapping({} if raw is None else raw, entry)
    allowed = {"absolute", "by_grade", "by_ownership"} | ({"seller_sales_share"} if allow_share else set())
    check.only(raw, allowed)
    absolute = raw.get("absolute")
    if absolute is not None:
        absolute = check.number(absolute, "absolute", lo=0.0)
    by_grade = {}
    for grade, amount in check.mapping(raw.get("by_grade") or {}, "by_grade").items():
        if grade not in grades:
            check.fail(f"by_grade.{grade}", f"unknown grade {grade!r}; grades: {list(grades)}")
        by_grade[grade] = check.number(amount, f"by_grade.{grade}", lo=0.0)
    by_ownership = {}
    for owner, amount in check.mapping(raw.get("by_ownership") or {}, "by_ownership").items():
        by_ownership[str(owner)] = check.number(amount, f"by_ownership.{owner}", lo=0.0)
    share = raw.get("seller_sales_share")
    if share is not None:
        share = _share(check, share, "seller_sales_share", 1.0)
    return Bounds(absolute=absolute, by_grade=by_grade, by_ownership=by_ownership, seller_sales_share=share)


def _approval(raw, source: str, matrix_enabled: bool) -> ApprovalAuthority:
    """The optional ``approval`` section; absent (or null) gives one level ``standard``."""
    if raw is None:
        return ApprovalAuthority()
    check = Checker(source, "approval")
    raw = check.mapping(raw, "approval")
    check.only(raw, {"levels", "above_matrix", "increase_only"})
    raw_levels = check.sequence(check.require(raw, "levels"), "levels", min_len=1)
    levels: list[ApprovalLevel] = []
    for i, item in enumerate(raw_levels):
        fld = f"levels[{i}]"
        item = check.mapping(item, fld)
        check.only(item, {"name", "up_to"}, fld)
        if item.get("name") is None:
            check.fail(f"{fld}.name", "is required")
        name = check.text(item["name"], f"{fld}.name")
        if name in (level.name for level in levels):
            check.fail(f"{fld}.name", f"level names must be distinct, {name!r} is repeated")
        last = i == len(raw_levels) - 1
        up_to = item.get("up_to")
        if up_to is None:
            if not last:
                check.fail(f"{fld}.up_to", "is required: only the last level is without an upper bound")
            levels.append(ApprovalLevel(name))
            continue
        if last:
            check.fail(f"{fld}.up_to", f"the last level must have no upper bound (omit up_to), got {up_to!r}: "
                                       f"some level must approve any amount")
        up_to = check.number(up_to, f"{fld}.up_to")
        if up_to <= 0:
            check.fail(f"{fld}.up_to", f"must be positive, got {up_to!r}")
        if levels and up_to <= levels[-1].up_to:
            check.fail(f"{fld}.up_to", f"must be above the previous level's up_to {levels[-1].up_to!r} (levels "
                                       f"ascend in authority), got {up_to!r}")
        levels.append(ApprovalLevel(name, up_to))
    names = [level.name for level in levels]
    above_matrix = raw.get("above_matrix")
    if above_matrix is not None:
        if above_matrix not in names:
            check.fail("above_matrix", f"unknown level {above_matrix!r}; levels: {names}")
        if not matrix_enabled:
            check.fail("above_matrix", "needs the rating x size matrix (methods.matrix enabled) to compare with")
    increase_only = _bool(check, raw.get("increase_only", False), "increase_only")
    return ApprovalAuthority(levels=tuple(levels), above_matrix=above_matrix, increase_only=increase_only)
