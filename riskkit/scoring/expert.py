"""Expert (weighted self-service, 自助评分) scorecard configured in YAML.

Each indicator reads one profile column and awards 0-100 points through numeric bands or
a category map; the total score is the weighted sum of indicator points,

.. math::

    S = \\sum_j w^{eff}_j \\, p_j, \\qquad \\sum_j w_j = 1,\\ p_j \\in [0, 100],

so ``S`` is on a 0-100 scale, **higher = lower risk** (the additive weighted-factor model
of expert judgement scorecards; e.g. Basel Committee, *Studies on the Validation of
Internal Rating Systems*, WP 14, 2005, sec. on expert systems).

Missing values (NaN, or the column value absent for a customer) follow the indicator's
``missing_policy``:

``zero``
    0 points, weight kept.
``fixed``
    ``missing_points`` points, weight kept.
``reallocate``
    the indicator drops out and its weight is shared among the customer's available
    indicators in proportion to their weights:
    :math:`w^{eff}_j = w_j / \\sum_{k \\notin R} w_k` for :math:`j \\notin R`, where
    :math:`R` is the set of missing ``reallocate`` indicators.  A customer with every
    indicator missing under ``reallocate`` gets a NaN score.

Config format (see ``riskkit/configs/expert_scorecard.yaml``)::

    name: ...
    missing_policy: reallocate        # default for every indicator
    missing_points: 50                # default points for the fixed policy
    indicators:
      - name: payment_delay
        column: avg_days_beyond_terms
        weight: 0.15
        bands:                        # (previous upper, upper] -> points
          - {upper: 0, points: 100}
          - {upper: 15, points: 70}
          - {points: 0}               # the last band has no upper bound
        missing_policy: fixed         # optional override
        missing_points: 40
      - name: ownership
        column: ownership_type
        weight: 0.05
        categories: {central_soe: 100, private: 50}
        other_points: 40              # unlisted categories (else they raise)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._core.config import CONFIG_DIR, Checker, read_yaml

__all__ = ["ExpertScorecard", "Indicator", "DEFAULT_EXPERT_SCORECARD_PATH", "MISSING_POLICIES"]

DEFAULT_EXPERT_SCORECARD_PATH = CONFIG_DIR / "expert_scorecard.yaml"
MISSING_POLICIES = ("zero", "reallocate", "fixed")
_WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Indicator:
    """One scored factor: a column, its band/category points, weight and missing policy."""

    name: str
    column: str
    weight: float
    missing_policy: str
    missing_points: float = 0.0
    uppers: tuple[float, ...] = ()  # numeric: inclusive upper bounds of all but the last band
    band_points: tuple[float, ...] = ()  # numeric: len(uppers) + 1 points
    categories: dict = field(default_factory=dict)  # categorical: level -> points
    other_points: float | None = None
    description: str = ""

    @property
    def kind(self) -> str:
        return "numeric" if self.band_points else "categorical"

    def band_labels(self) -> list[str]:
        edges = ["-inf", *[f"{u:g}" for u in self.uppers], "inf"]
        return [f"({lo}, {hi}]" if hi != "inf" else f"({lo}, inf)" for lo, hi in zip(edges[:-1], edges[1:])]

    def evaluate(self, values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(points, band label, missing flag) per row; points NaN where missing."""
        if self.kind == "numeric":
            if pd.api.types.is_bool_dtype(values.dtype):
                x = values.to_numpy(dtype=float, na_value=np.nan)
            else:
                converted = pd.to_numeric(values, errors="coerce")
                bad = converted.isna() & values.notna()
                if bad.any():
                    raise ValueError(
                        f"expert indicator {self.name!r}: column {self.column!r} has non-numeric values "
                        f"for {int(bad.sum())} customer(s), e.g. {values[bad].index[:5].tolist()}"
                    )
                x = converted.to_numpy(dtype=float, na_value=np.nan)
            missing = np.isnan(x)
            band = np.searchsorted(np.asarray(self.uppers, dtype=float), x, side="left")
            band = np.minimum(band, len(self.band_points) - 1)
            points = np.asarray(self.band_points, dtype=float)[band]
            labels = np.asarray(self.band_labels(), dtype=object)[band]
        else:
            missing = values.isna().to_numpy()
            text = values.astype("str")
            mapped = text.map({str(k): float(v) for k, v in self.categories.items()})
            unlisted = mapped.isna().to_numpy() & ~missing
            if unlisted.any():
                if self.other_points is None:
                    levels = sorted(set(text[unlisted]))
                    raise ValueError(
                        f"expert indicator {self.name!r}: column {self.column!r} has categories "
                        f"{levels[:10]} not in the config (customers {values.index[unlisted][:5].tolist()}); "
                        "add them or set other_points"
                    )
                mapped = mapped.where(~unlisted, self.other_points)
            points = mapped.to_numpy(dtype=float, na_value=np.nan)
            labels = np.where(unlisted, "other", text.to_numpy(dtype=object))
        points = np.where(missing, np.nan, points)
        labels = np.where(missing, "missing", labels).astype(object)
        return points, labels, missing


def _parse_indicator(raw, position: int, defaults: dict, source: str) -> Indicator:
    check, raw = Checker.for_item(source, "indicators", position, raw)
    check.only(raw, {"name", "column", "weight", "bands", "categories", "other_points", "missing_policy",
                     "missing_points", "description"})
    name = check.text(check.require(raw, "name"), "name")
    column = check.text(check.require(raw, "column"), "column")
    weight = check.number(check.require(raw, "weight"), "weight", lo=0)
    policy = check.choice(raw.get("missing_policy", defaults["missing_policy"]), "missing_policy", MISSING_POLICIES)
    missing_points = check.number(raw.get("missing_points", defaults["missing_points"]), "missing_points",
                                  lo=0, hi=100)
    description = str(raw.get("description", ""))
    has_bands, has_categories = "bands" in raw, "categories" in raw
    if has_bands == has_categories:
        check.fail("bands", "give exactly one of 'bands' (numeric) or 'categories' (categorical)")
    if has_bands:
        if "other_points" in raw:
            check.fail("other_points", "only applies to 'categories'")
        bands = check.sequence(raw["bands"], "bands", min_len=1)
        uppers, points = [], []
        for i, band in enumerate(bands):
            band = check.mapping(band, f"bands[{i}]")
            check.only(band, {"upper", "points"}, f"bands[{i}]")
            if band.get("points") is None:
                check.fail(f"bands[{i}].points", "is required")
            points.append(check.number(band["points"], f"bands[{i}].points", lo=0, hi=100))
            last = i == len(bands) - 1
            upper = band.get("upper")
            if last:
                if upper is not None:
                    check.fail(f"bands[{i}].upper", "the last band must have no 'upper' (it is open to +inf)")
            else:
                if upper is None:
                    check.fail(f"bands[{i}].upper", "is required for every band but the last")
                upper = check.number(upper, f"bands[{i}].upper")
                if uppers and upper <= uppers[-1]:
                    check.fail(f"bands[{i}].upper",
                               f"band upper bounds must increase strictly; got {upper:g} after {uppers[-1]:g}")
                uppers.append(upper)
        return Indicator(name, column, weight, policy, missing_points, tuple(uppers), tuple(points),
                         description=description)
    categories = check.mapping(raw["categories"], "categories")
    if not categories:
        check.fail("categories", "must map at least one category to points")
    cat_points = {str(k): check.number(v, f"categories.{k}", lo=0, hi=100) for k, v in categories.items()}
    other = raw.get("other_points")
    other = None if other is None else check.number(other, "other_points", lo=0, hi=100)
    return Indicator(name, column, weight, policy, missing_points, categories=cat_points, other_points=other,
                     description=description)


class ExpertScorecard:
    """Weighted expert scorecard: indicators -> points (0-100) -> weighted total.

    Build with :meth:`from_yaml` / :meth:`from_dict` (validated) or :meth:`default`.

    Parameters
    ----------
    indicators : list of Indicator
    name : str

    Examples
    --------
    >>> card = ExpertScorecard.from_dict({"indicators": [
    ...     {"name": "delay", "column": "avg_days_beyond_terms", "weight": 1.0,
    ...      "bands": [{"upper": 0, "points": 100}, {"points": 0}]}]})
    >>> card.score(pd.DataFrame({"avg_days_beyond_terms": [0.0, 5.0]})).tolist()
    [100.0, 0.0]
    """

    def __init__(self, indicators: list[Indicator], name: str = "expert_scorecard", source: str = "<dict>"):
        self.indicators = list(indicators)
        self.name = name
        self.source = source

    @classmethod
    def from_dict(cls, config: Mapping, source: str = "<dict>") -> "ExpertScorecard":
        """Validate a config mapping (see the module docstring for the format)."""
        check = Checker(source, "<top level>")
        config = check.mapping(config, "<top level>")
        check.only(config, {"name", "version", "description", "missing_policy", "missing_points", "indicators"})
        defaults = {
            "missing_policy": check.choice(config.get("missing_policy", "reallocate"), "missing_policy",
                                           MISSING_POLICIES),
            "missing_points": check.number(config.get("missing_points", 0.0), "missing_points", lo=0, hi=100),
        }
        raw_indicators = check.sequence(check.require(config, "indicators"), "indicators", min_len=1)
        indicators = [_parse_indicator(raw, i, defaults, source) for i, raw in enumerate(raw_indicators)]
        names = [ind.name for ind in indicators]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            check.fail("indicators", f"duplicate indicator names {duplicated}")
        total = sum(ind.weight for ind in indicators)
        if abs(total - 1.0) > _WEIGHT_TOLERANCE:
            check.fail("indicators[*].weight", f"weights must sum to 1, got {total:.6g}")
        return cls(indicators, name=str(config.get("name", "expert_scorecard")), source=source)

    @classmethod
    def from_yaml(cls, path) -> "ExpertScorecard":
        """Load and validate a YAML config; errors name the file, the entry and the field."""
        config, source = read_yaml(path)
        return cls.from_dict(config, source)

    @classmethod
    def default(cls) -> "ExpertScorecard":
        """The default config ``riskkit/configs/expert_scorecard.yaml``."""
        return cls.from_yaml(DEFAULT_EXPERT_SCORECARD_PATH)

    @property
    def columns(self) -> list[str]:
        """Profile columns the scorecard reads."""
        return list(dict.fromkeys(ind.column for ind in self.indicators))

    def weights(self) -> pd.Series:
        return pd.Series({ind.name: ind.weight for ind in self.indicators}, name="weight")

    def _evaluate(self, profile: pd.DataFrame):
        if not isinstance(profile, pd.DataFrame):
            raise TypeError(f"profile must be a DataFrame, got {type(profile).__name__}")
        absent = [c for c in self.columns if c not in profile.columns]
        if absent:
            raise KeyError(f"expert scorecard {self.name!r} needs profile columns that are absent: {absent}")
        n, k = len(profile), len(self.indicators)
        points = np.empty((n, k))
        labels = np.empty((n, k), dtype=object)
        missing = np.empty((n, k), dtype=bool)
        for j, ind in enumerate(self.indicators):
            points[:, j], labels[:, j], missing[:, j] = ind.evaluate(profile[ind.column])
        weights = np.array([ind.weight for ind in self.indicators])
        policy = np.array([ind.missing_policy for ind in self.indicators])
        fixed = np.array([ind.missing_points if ind.missing_policy == "fixed" else 0.0 for ind in self.indicators])
        points = np.where(missing, fixed[None, :], points)
        kept = np.where(missing & (policy == "reallocate")[None, :], 0.0, weights[None, :])
        kept_total = kept.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            effective = np.where(kept_total > 0, kept * (weights.sum() / kept_total), np.nan)
        return points, labels, missing, effective, weights

    def score(self, profile: pd.DataFrame) -> pd.Series:
        """Total score (0-100, higher = lower risk) per row of ``profile``."""
        points, _, _, effective, _ = self._evaluate(profile)
        total = (effective * points).sum(axis=1)
        total = np.where(np.isnan(effective).all(axis=1), np.nan, total)
        return pd.Series(total, index=profile.index, name="expert_score")

    def contributions(self, profile: pd.DataFrame) -> pd.DataFrame:
        """Tidy per-customer, per-indicator table of the score.

        Columns: the profile's index (``customer_id`` when the profile is indexed by it),
        ``indicator, column, value, band, points, weight, effective_weight,
        contribution, missing``.  ``contribution = effective_weight * points`` and the
        contributions of a customer add up to :meth:`score`.
        """
        points, labels, missing, effective, weights = self._evaluate(profile)
        n, k = points.shape
        id_name = profile.index.name or "customer_id"
        values = np.empty((n, k), dtype=object)
        for j, ind in enumerate(self.indicators):
            values[:, j] = profile[ind.column].to_numpy(dtype=object)
        table = pd.DataFrame(
            {
                id_name: np.repeat(profile.index.to_numpy(), k),
                "indicator": np.tile([ind.name for ind in self.indicators], n),
                "column": np.tile([ind.column for ind in self.indicators], n),
                "value": pd.Series(values.ravel(), dtype=object),
                "band": pd.Series(labels.ravel(), dtype="str"),
                "points": points.ravel(),
                "weight": np.tile(weights, n),
                "effective_weight": effective.ravel(),
                "contribution": (effective * points).ravel(),
                "missing": missing.ravel(),
            }
        )
        return table

    def table(self) -> pd.DataFrame:
        """The configuration as a tidy table: indicator, column, weight, band, points."""
        rows = []
        for ind in self.indicators:
            if ind.kind == "numeric":
                for label, p in zip(ind.band_labels(), ind.band_points):
                    rows.append((ind.name, ind.column, ind.weight, label, p))
            else:
                rows.extend((ind.name, ind.column, ind.weight, k, p) for k, p in ind.categories.items())
                if ind.other_points is not None:
                    rows.append((ind.name, ind.column, ind.weight, "other", ind.other_points))
            missing = {"zero": 0.0, "fixed": ind.missing_points, "reallocate": np.nan}[ind.missing_policy]
            rows.append((ind.name, ind.column, ind.weight, f"missing ({ind.missing_policy})", missing))
        return pd.DataFrame(rows, columns=["indicator", "column", "weight", "band", "points"])

    def __repr__(self) -> str:
        return f"ExpertScorecard({self.name!r}, {len(self.indicators)} indicators)"
