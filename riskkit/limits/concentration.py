"""Concentration of a book: HHI, effective number and top-N shares by dimension, and the
granularity adjustment for name concentration (Gordy & Luetkebohmert).

:func:`concentration` measures how concentrated the exposure (EAD) is by customer and by
any grouping column (connected-client group, industry, region); :func:`granularity_adjustment`
is the capital add-on for undiversified idiosyncratic risk that the IRB formula (which
assumes an infinitely granular book) leaves out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as _pandas
from scipy import special, stats

from .._core.display import HTMLReprMixin
from .capital import _check_class, _correlation, _turnover
from .portfolio_loss import (
    LossInputError,
    _check_q,
    _check_range,
    _float_array,
    _listed,
    _obligor_arrays,
    _paired,
)

__all__ = ["ConcentrationResult", "concentration", "GranularityAdjustmentResult",
           "granularity_adjustment"]

#: grouping columns used by default when present, after the customer itself
_DEFAULT_DIMENSIONS = ("group_id", "industry", "region")


@dataclass(frozen=True, eq=False, repr=False)
class ConcentrationResult(HTMLReprMixin):
    """Concentration measures per dimension.

    Attributes
    ----------
    measures : DataFrame
        Tidy: ``dimension, measure, value``.  Measures per dimension: ``n_names`` (groups
        with positive exposure), ``hhi``, ``hhi_normalised``, ``effective_number`` and
        ``top_<N>_share`` for every N asked.
    shares : Mapping[str, DataFrame]
        Per dimension, one row per group (indexed by the group label, largest first):
        ``ead``, ``share``, ``rank`` (1 = largest), ``cumulative_share``.
    total_ead : float
        Total exposure of the book.

    Notes
    -----
    With shares ``s_g = EAD_g / sum EAD`` of the ``N`` groups with positive exposure:
    ``HHI = sum_g s_g^2`` (Herfindahl 1950, Hirschman 1964), in ``[1/N, 1]``; the
    normalised ``HHI* = (HHI - 1/N) / (1 - 1/N)`` in [0, 1] (1 when ``N = 1``); the
    effective number of names ``1 / HHI`` (the number of equal exposures with the same
    HHI); the top-N share ``sum of the N largest s_g`` (1 when ``N`` exceeds the number of
    groups).
    """

    measures: _pandas.DataFrame
    shares: Mapping[str, _pandas.DataFrame]
    total_ead: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "shares", MappingProxyType(dict(self.shares)))

    def to_frame(self) -> _pandas.DataFrame:
        """The tidy table ``dimension, measure, value`` (a copy)."""
        return self.measures.copy()

    def value(self, dimension: str, measure: str) -> float:
        """One measure of one dimension, e.g. ``value("industry", "hhi")``."""
        row = self.measures[(self.measures["dimension"] == dimension)
                            & (self.measures["measure"] == measure)]
        if row.empty:
            raise LossInputError(f"ConcentrationResult.value: no measure {measure!r} for "
                                 f"dimension {dimension!r}")
        return float(row["value"].iloc[0])

    def _display_parts(self) -> dict:
        lines = self.summary().splitlines()
        headline = lines[0] + ("; " + " ".join(lines[1].split()) if len(lines) > 1 else "")
        return {"headline": headline, "frames": [("measures", self.to_frame())]}

    def summary(self) -> str:
        wide = self.measures.pivot(index="dimension", columns="measure", values="value")
        lines = [f"Concentration of {self.total_ead:,.2f} EAD"]
        for dim in self.shares:
            row = wide.loc[dim]
            tops = ", ".join(f"top {c.split('_')[1]} {row[c]:.1%}" for c in wide.columns
                             if c.startswith("top_"))
            lines.append(f"  {dim:<12} names {int(row['n_names']):>6,}  HHI {row['hhi']:.4f}  "
                         f"effective number {row['effective_number']:,.1f}  {tops}")
        return "\n".join(lines)


def _group_labels(exposures: _pandas.DataFrame, dimension: str, customer: _pandas.Series,
                  func: str) -> _pandas.Series:
    if dimension == "customer_id":
        return customer
    labels = exposures[dimension]
    missing = labels.isna().to_numpy()
    if not missing.any():
        return labels
    if dimension == "group_id":
        # a customer outside any group of connected clients is a group of its own
        return labels.where(~missing, customer)
    raise LossInputError(f"{func}: column {dimension!r} has {int(missing.sum())} missing "
                         f"value(s) (customers {_listed(customer[missing].tolist())}); fill "
                         f"them (e.g. 'unknown') before measuring concentration")


def concentration(exposures: _pandas.DataFrame, by: str | Sequence[str] | None = None,
                  top_n: Sequence[int] = (1, 5, 10, 20), *, ead_column: str = "ead"
                  ) -> ConcentrationResult:
    """HHI, normalised HHI, effective number of names and top-N shares of the exposure.

    Parameters
    ----------
    exposures : DataFrame
        One row per exposure with an ``ead`` column (>= 0, finite).  The customer is the
        ``customer_id`` column if there is one, else the index (rows of the same customer
        are added up).  Optional grouping columns, e.g. ``group_id`` (connected-client
        group; a missing value means the customer is a group of its own), ``industry``,
        ``region`` (missing values raise).
    by : str or sequence of str, optional
        Dimensions to measure: ``"customer_id"`` and/or column names.  Default:
        ``customer_id`` followed by whichever of ``group_id``, ``industry``, ``region``
        are present.
    top_n : sequence of int
        The N of the top-N shares (positive integers).
    ead_column : str
        Name of the exposure column.

    Returns
    -------
    ConcentrationResult
        ``to_frame()`` (tidy ``dimension, measure, value``), ``shares[dimension]`` tables,
        ``value(dimension, measure)``, ``summary()``.  Formulas in its Notes.

    Raises
    ------
    LossInputError
        Not a DataFrame, unknown column, negative/NaN exposure (naming the customers),
        zero total exposure, missing labels, bad ``top_n``.

    References
    ----------
    BCBS (2006), para 773 (credit concentration risk, Pillar 2); BCBS (2014), *Supervisory
    framework for measuring and controlling large exposures* (groups of connected
    counterparties).
    """
    func = "concentration"
    if not isinstance(exposures, _pandas.DataFrame):
        raise LossInputError(f"{func}: exposures must be a DataFrame with an {ead_column!r} "
                             f"column, got {type(exposures).__name__}")
    if ead_column not in exposures.columns:
        raise LossInputError(f"{func}: exposures has no column {ead_column!r} (columns: "
                             f"{list(exposures.columns)})")
    if "customer_id" in exposures.columns:
        customer = exposures["customer_id"]
    else:
        customer = _pandas.Series(exposures.index, index=exposures.index, name="customer_id")
    if customer.isna().any():
        raise LossInputError(f"{func}: {int(customer.isna().sum())} exposure(s) have no customer_id")
    ead_values = _float_array(exposures[ead_column], ead_column, func)
    _check_range(ead_values, ead_column, func, low=0.0, labels=customer.tolist())
    total = float(ead_values.sum())
    if not total > 0:
        raise LossInputError(f"{func}: the total {ead_column} is 0; concentration is undefined")
    if by is None:
        dims = ["customer_id"] + [c for c in _DEFAULT_DIMENSIONS if c in exposures.columns]
    else:
        dims = [by] if isinstance(by, str) else list(by)
        unknown = [d for d in dims if d != "customer_id" and d not in exposures.columns]
        if unknown or not dims:
            raise LossInputError(f"{func}: by names unknown column(s) {_listed(unknown)}; "
                                 f"available: {['customer_id'] + list(exposures.columns)}")
    tops = list(top_n)
    if any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 for k in tops):
        raise LossInputError(f"{func}: top_n must be positive integers, got {top_n!r}")

    ead = _pandas.Series(ead_values, index=exposures.index)
    rows: list[tuple[str, str, float]] = []
    shares: dict[str, _pandas.DataFrame] = {}
    for dim in dims:
        labels = _group_labels(exposures, dim, customer, func)
        grouped = ead.groupby(labels.to_numpy(), sort=True).sum()
        grouped = grouped[grouped > 0].sort_values(ascending=False, kind="stable")
        share = grouped.to_numpy() / total
        n_names = share.size
        hhi = float(np.sum(share ** 2))
        cumulative = np.cumsum(share)
        table = _pandas.DataFrame({"ead": grouped.to_numpy(), "share": share,
                                   "rank": np.arange(1, n_names + 1), "cumulative_share": cumulative},
                                  index=_pandas.Index(grouped.index, name=dim))
        shares[dim] = table
        rows += [(dim, "n_names", float(n_names)), (dim, "hhi", hhi),
                 (dim, "hhi_normalised", 1.0 if n_names == 1 else (hhi - 1 / n_names) / (1 - 1 / n_names)),
                 (dim, "effective_number", 1.0 / hhi)]
        rows += [(dim, f"top_{k}_share", float(cumulative[min(k, n_names) - 1])) for k in tops]
    measures = _pandas.DataFrame(rows, columns=["dimension", "measure", "value"])
    return ConcentrationResult(measures=measures, shares=shares, total_ead=total)


# ----------------------------------------------------------------------------------------
# granularity adjustment
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False, repr=False)
class GranularityAdjustmentResult(HTMLReprMixin):
    """Simplified granularity adjustment (Gordy & Luetkebohmert 2013) and its inputs.

    Attributes
    ----------
    ga : float
        The add-on as a share of total EAD (comparable with ``K* = sum s_i K_i``).
    ga_amount : float
        ``ga x total EAD`` (currency).
    k_star : float
        Portfolio IRB capital per unit of EAD, ``sum_i s_i K_i``.
    delta : float
        The regulatory constant ``delta`` (4.83 for q = 0.999, xi = 0.25).
    names : DataFrame
        Per name: ``ead``, ``share`` (s_i), ``pd``, ``lgd`` (ELGD), ``k`` (K_i), ``r``
        (R_i = ELGD_i PD_i), ``c`` (C_i) and ``contribution``
        (``s_i^2 C_i (delta (K_i + R_i) - K_i) / (2 K*)``; they add up to ``ga``).
    """

    ga: float
    ga_amount: float
    k_star: float
    delta: float
    names: _pandas.DataFrame

    def to_frame(self) -> _pandas.DataFrame:
        return self.names.copy()

    def summary(self) -> str:
        return (f"Granularity adjustment (Gordy & Luetkebohmert 2013, simplified): "
                f"{len(self.names):,} names, K* = {self.k_star:.4%} of EAD, "
                f"GA = {self.ga:.4%} of EAD ({self.ga_amount:,.2f}); "
                f"HHI {float((self.names['share'] ** 2).sum()):.4f}, delta {self.delta:.4f}")


def granularity_adjustment(ead, pd, lgd=0.45, *, capital=None, asset_class: str = "corporate",
                           turnover=None, q: float = 0.999, xi: float = 0.25,
                           lgd_variance: float = 0.25, pd_floor: float = 0.0003
                           ) -> GranularityAdjustmentResult:
    """Simplified granularity adjustment for name concentration (Gordy & Luetkebohmert 2013).

        GA = 1 / (2 K*) sum_i s_i^2 C_i (delta (K_i + R_i) - K_i)

    with ``s_i = EAD_i / sum EAD``, ``K_i`` the IRB capital per unit EAD of name ``i``,
    ``R_i = ELGD_i PD_i`` its expected loss, ``K* = sum_i s_i K_i``,
    ``C_i = (ELGD_i^2 + VLGD_i^2) / ELGD_i = lgd_variance + (1 - lgd_variance) ELGD_i``
    (``VLGD_i^2 = lgd_variance ELGD_i (1 - ELGD_i)``: 0.25 + 0.75 ELGD) and
    ``delta = (a_q - 1) (xi + (1 - xi) / a_q)``, ``a_q`` the q-quantile of the systematic
    factor ``X ~ Gamma(shape xi, scale 1/xi)`` (mean 1, variance 1/xi): 4.83 for the
    defaults q = 0.999, xi = 0.25.

    Series inputs (``ead``, ``pd``, ``lgd``, ``capital``, ``turnover``) are paired by index
    label (:func:`riskkit._core.checks.align_by_index`): the same labels in another order
    are reordered to the first Series' order; other labels are refused
    (:class:`LossInputError`).

    Parameters
    ----------
    ead : array-like or Series
        Exposure per *name* (aggregate the exposures of one obligor first), >= 0.
    pd : float, array-like or Series
        PD per name, in [0, 1) (defaulted names carry no idiosyncratic default risk: leave
        them out).
    lgd : float, array-like or Series
        Expected LGD per name, in (0, 1].
    capital : float, array-like or Series, optional
        ``K_i`` per unit EAD.  Default: the one-year IRB formula at level ``q`` without
        maturity adjustment, ``K_i = ELGD_i [N((G(PD_i) + sqrt(R) G(q)) / sqrt(1 - R)) -
        PD_i]``, ``R`` from :func:`irb_correlation` (``asset_class``, ``turnover``) and PD
        floored at ``pd_floor`` (pass e.g. :func:`irb_capital` values to include the
        maturity adjustment).
    q, xi, lgd_variance : float
        Confidence level, precision of the gamma factor and the LGD variance parameter
        (the regulatory calibration of Gordy & Luetkebohmert: 0.999, 0.25, 0.25).

    Returns
    -------
    GranularityAdjustmentResult
        ``ga``, ``ga_amount``, ``k_star``, ``delta`` and the per-name inputs ``names``
        (indexed like the first Series input, in its order).

    Notes
    -----
    The simplified GA drops from the full formula (Gordy & Luetkebohmert 2013, eq. for
    ``GA_n``) the terms quadratic in ``K_i + R_i``.  It is exactly the first-order
    Martin-Wilde granularity adjustment ``GA = -1/(2 h) d/dx [h sigma^2 / mu']`` at
    ``x = a_q`` of a one-factor CreditRisk+ model with factor density ``h`` (the gamma
    above), conditional mean ``mu(x) = sum s_i ELGD_i PD_i (1 + w_i (x - 1))`` calibrated
    to ``K_i = ELGD_i PD_i w_i (a_q - 1)`` and Poisson conditional variance
    ``sigma^2(x) = sum s_i^2 E[LGD_i^2] PD_i (1 + w_i (x - 1))``.  It is proportional to the
    exposure HHI for a homogeneous book and vanishes as the book becomes infinitely
    granular (``max s_i -> 0``).

    References
    ----------
    Gordy, M., Luetkebohmert, E. (2013). Granularity adjustment for regulatory capital
    assessment. *International Journal of Central Banking* 9(3), 33-71 (Deutsche
    Bundesbank Discussion Paper 01/2007, "Granularity adjustment for Basel II").
    Martin, R., Wilde, T. (2002). Unsystematic credit risk. *Risk* 15(11), 123-128.
    """
    func = "granularity_adjustment"
    asset_class = _check_class(asset_class, func)
    ead, pd, lgd, capital, turnover = _paired(func, ead=ead, pd=pd, lgd=lgd, capital=capital,
                                              turnover=turnover)
    specs = {"ead": (ead, 0.0, None, False, False), "pd": (pd, 0.0, 1.0, False, True),
             "lgd": (lgd, 0.0, 1.0, True, False)}
    if capital is not None:
        specs["capital"] = (capital, 0.0, 1.0, False, False)
    arrays, index = _obligor_arrays(func, specs)
    q = _check_q(q, "q", func)
    xi = _check_q(xi, "xi", func)
    gamma_lgd = float(_float_array(lgd_variance, "lgd_variance", func, max_ndim=0))
    _check_range(np.array(gamma_lgd), "lgd_variance", func, low=0.0, high=1.0)
    floor = _float_array(pd_floor, "pd_floor", func, max_ndim=0)
    _check_range(floor, "pd_floor", func, low=0.0, high=1.0, high_open=True)
    e, p_in, elgd = arrays["ead"], arrays["pd"], arrays["lgd"]
    total = float(e.sum())
    if not total > 0:
        raise LossInputError(f"{func}: the total ead is 0; the adjustment is undefined")
    p = np.maximum(p_in, float(floor))
    if capital is None:
        r_corr = _correlation(p, asset_class, _turnover(turnover, p.size, asset_class, func))
        with np.errstate(divide="ignore"):
            conditional = special.ndtr((special.ndtri(p) + np.sqrt(r_corr) * special.ndtri(q))
                                       / np.sqrt(1.0 - r_corr))
        k = elgd * (conditional - p)
    else:
        k = arrays["capital"]
    s = e / total
    r = elgd * p
    c = gamma_lgd + (1.0 - gamma_lgd) * elgd
    k_star = float(s @ k)
    if not k_star > 0:
        raise LossInputError(f"{func}: the portfolio capital K* = sum s_i K_i is 0; the "
                             f"adjustment is undefined")
    a_q = float(stats.gamma.ppf(q, xi, scale=1.0 / xi))
    delta = (a_q - 1.0) * (xi + (1.0 - xi) / a_q)
    contribution = s ** 2 * c * (delta * (k + r) - k) / (2.0 * k_star)
    ga = float(contribution.sum())
    names = _pandas.DataFrame({"ead": e, "share": s, "pd": p, "lgd": elgd, "k": k, "r": r,
                               "c": c, "contribution": contribution},
                              index=index if index is not None else _pandas.RangeIndex(e.size))
    return GranularityAdjustmentResult(ga=ga, ga_amount=ga * total, k_star=k_star, delta=delta,
                                       names=names)
