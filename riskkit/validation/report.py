"""One tidy verdict table for a PD model: discrimination, calibration, stability."""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from .._core.checks import align_by_index, check_binary_target
from ._checks import as_float_1d, as_probability, offenders
from .calibration import (binomial_test, brier_score, brier_skill_score, hosmer_lemeshow,
                          jeffreys_test, jeffreys_test_portfolio, spiegelhalter, traffic_light)
from .config import load_validation_config, threshold_text, verdict
from .discrimination import auc, auc_initial_test, delong_test, gini, ks, pietra_index
from .migration import migration_matrix, migration_stability_test, migration_weighted_bandwidth
from .results import TIDY_COLUMNS
from .stability import herfindahl_index, herfindahl_test, psi

__all__ = ["validation_report", "grade_order"]

_INITIAL_KEYS = ("auc", "grade", "exposure", "score", "previous_grade")


def grade_order(grade: Any, pd_values: Any | None = None) -> list[Any]:
    """Grades from best to worst.

    The categories of a categorical ``grade``; otherwise the distinct grades sorted by
    their mean PD (ascending, ties by label) when ``pd_values`` is given, else sorted by value.
    """
    g = pd.Series(grade).reset_index(drop=True)
    if isinstance(g.dtype, pd.CategoricalDtype):
        return list(g.cat.categories)
    if pd_values is None:
        return sorted(pd.unique(g.dropna()))
    mean_pd = pd.Series(np.asarray(pd_values, dtype=float)).groupby(g.to_numpy()).mean()
    return list(sorted(mean_pd.index, key=lambda k: (mean_pd[k], str(k))))


def _row(test: str, scope: str, statistic: float, pvalue: float, verdict_: str, threshold: str) -> dict:
    return {"test": test, "scope": scope, "statistic": float(statistic), "pvalue": float(pvalue),
            "verdict": verdict_, "threshold": threshold}


def _check_initial(initial: Mapping[str, Any] | None, n: int) -> dict[str, Any]:
    if initial is None:
        return {}
    if not isinstance(initial, Mapping):
        raise ValueError(f"initial must be a mapping with keys among {_INITIAL_KEYS}, "
                         f"got {type(initial).__name__}")
    unknown = [k for k in initial if k not in _INITIAL_KEYS]
    if unknown:
        raise ValueError(f"initial: unknown key(s) {unknown}; allowed: {list(_INITIAL_KEYS)}")
    if "previous_grade" in initial and len(initial["previous_grade"]) != n:
        raise ValueError(f"initial['previous_grade'] must have one grade per obligor ({n}), "
                         f"got {len(initial['previous_grade'])}")
    if "exposure" in initial and "grade" not in initial:
        raise ValueError("initial['exposure'] needs initial['grade'] (the grades it belongs to)")
    return dict(initial)


def validation_report(y: Any, pd_values: Any, grade: Any, score: Any = None, exposure: Any = None,
                      initial: Mapping[str, Any] | None = None,
                      config: str | PathLike[str] | Mapping[str, Any] | None = None, *,
                      higher_is_riskier: bool = True,
                      challengers: Mapping[str, Any] | None = None,
                      challenger_higher_is_riskier: bool | Mapping[str, bool] = True,
                      notes: bool = False) -> pd.DataFrame:
    """Validation verdict table of one PD model.

    Parameters
    ----------
    y : array-like of 0/1
        Observed default over the horizon, one per obligor.
    pd_values : array-like
        Predicted PD of each obligor, in (0, 1).
    grade : array-like
        Rating grade of each obligor. Order best -> worst: categories of a categorical,
        else by mean PD (see :func:`grade_order`).
    score : array-like, optional
        Model score for discrimination (default: ``pd_values``); higher = riskier unless
        ``higher_is_riskier=False``.
    exposure : array-like, optional
        Exposure of each obligor (exposure-weighted Herfindahl index).
    initial : mapping, optional
        Reference from the initial validation / development sample, any of:
        ``auc`` (float: ECB current-vs-initial AUC test), ``grade`` (grades of the initial
        sample: PSI of grades, Herfindahl test), ``exposure`` (with ``grade``: exposure-
        weighted Herfindahl test), ``score`` (initial scores: PSI of the score),
        ``previous_grade`` (each current obligor's grade at the start of the period:
        migration matrix, MWB, migration stability tests).
    config : path, mapping or None
        Thresholds and parameters (default ``riskkit/configs/validation.yaml``).
    challengers : mapping name -> array-like, optional
        Scores of challenger models on the same obligors.  Each gets a row
        ``challenger_outperforms`` (scope ``"<name> vs <champion>"``): the paired DeLong
        test of H1 "the challenger's AUC is higher than the champion's" (the champion is
        ``score``, or ``pd``), z = (AUC_c - AUC_0)/se, p = 1 - Phi(z).  Red means the
        champion is significantly worse; a champion significantly *better* than a
        challenger is green (a two-sided test would call that difference red).
    challenger_higher_is_riskier : bool or mapping name -> bool, default True
        Direction of each challenger score.
    notes : bool, default False
        Add a column ``note`` that explains rows whose verdicts must be read together:
        the migration-weighted bandwidth against its one-notch floor and the row
        z-tests (they measure different things and need not agree, see
        :func:`migration_weighted_bandwidth`), and the one-sided challenger rows.

    Returns
    -------
    DataFrame
        Columns ``test, scope, statistic, pvalue, verdict, threshold`` (and ``note``);
        verdict ``n/a`` marks informational rows (measures without a threshold).  With
        ``initial["previous_grade"]`` the rows ``mwb_one_notch`` give, per direction,
        the MWB had every migrating obligor moved one notch: an MWB at that floor
        means short moves only, whatever its verdict.

    Notes
    -----
    Statistics and sources: see :func:`auc` (DeLong 1988, ECB 2019), :func:`ks`,
    :func:`pietra_index` (form attributed to BCBS WP14, not verified), :func:`binomial_test`
    (WP14), :func:`jeffreys_test` (ECB 2019), :func:`traffic_light` (OeNB three zones),
    :func:`hosmer_lemeshow`,
    :func:`spiegelhalter`, :func:`psi` (Yurdakul 2018), :func:`herfindahl_test` (ECB 2019),
    :func:`migration_weighted_bandwidth` and :func:`migration_stability_test` (ECB 2019).
    """
    cfg = load_validation_config(config)
    tests, params = cfg["tests"], cfg["parameters"]
    if challengers is not None and not isinstance(challengers, Mapping):
        raise ValueError(f"challengers must be a mapping name -> scores, got {type(challengers).__name__}")
    paired = align_by_index(y=y, pd_values=pd_values, grade=grade, score=score, exposure=exposure,
                            **{f"challengers[{k!r}]": v for k, v in (challengers or {}).items()})
    y, pd_values, grade, score, exposure = paired[:5]
    if challengers is not None:
        challengers = dict(zip(challengers, paired[5:]))
    y_arr = check_binary_target(y, "y", require_both=False).astype(bool)
    p = as_probability(pd_values, "pd_values")
    g = grade if isinstance(grade, pd.Series) else pd.Series(grade)
    n = y_arr.size
    if p.size != n or len(g) != n:
        raise ValueError(f"length mismatch: y={n}, pd_values={p.size}, grade={len(g)}")
    if g.isna().any():
        raise ValueError(f"grade has missing values in {offenders(g.isna().to_numpy(), grade)}")
    main_name = "pd" if score is None else "score"
    main = p if score is None else as_float_1d(score, "score")
    if main.size != n:
        raise ValueError(f"length mismatch: y={n}, score={main.size}")
    direction = True if score is None else higher_is_riskier
    if exposure is not None:
        exposure = as_float_1d(exposure, "exposure")
        if exposure.size != n:
            raise ValueError(f"length mismatch: y={n}, exposure={exposure.size}")
    init = _check_initial(initial, n)

    order = grade_order(g.reset_index(drop=True), p)
    if "grade" in init or "previous_grade" in init:
        extra = pd.concat([pd.Series(init.get("grade", []), dtype=object),
                                  pd.Series(init.get("previous_grade", []), dtype=object)])
        order += [v for v in pd.unique(extra.dropna()) if v not in set(order)]
    position = {v: i for i, v in enumerate(order)}
    grade_codes = g.reset_index(drop=True).astype(object).map(position).to_numpy(dtype=float)

    frames: list[pd.DataFrame] = []
    rows: list[dict] = []
    level = params.get("ci_level", 0.95)

    # discrimination
    a = auc(y_arr, main, higher_is_riskier=direction, thresholds=tests["auc"])
    frames.append(a.to_frame().assign(scope=main_name))
    lo, hi = a.ci(level)
    gi = gini(y_arr, main, higher_is_riskier=direction)
    rows.append(_row("gini", main_name, gi, a.pvalue, verdict(gi, tests["gini"])[0],
                     threshold_text(tests["gini"])))
    frames.append(ks(y_arr, main, higher_is_riskier=direction, thresholds=tests["ks"]).to_frame()
                  .assign(scope=main_name))
    frames.append(pietra_index(y_arr, main, higher_is_riskier=direction, thresholds=tests["pietra"])
                  .to_frame().assign(scope=main_name))
    rows.append(_row("auc_ci_lower", main_name, lo, np.nan, "n/a", f"DeLong CI, level {level:g}"))
    rows.append(_row("auc_ci_upper", main_name, hi, np.nan, "n/a", f"DeLong CI, level {level:g}"))
    frames.append(auc(y_arr, grade_codes, thresholds=tests["auc"]).to_frame().assign(scope="grade"))
    if "auc" in init:
        frames.append(auc_initial_test(y_arr, main, init["auc"], higher_is_riskier=direction,
                                       thresholds=tests["auc_initial"]).to_frame().assign(scope=main_name))

    # calibration, per grade (grades in best -> worst order, empty grades skipped)
    table = (pd.DataFrame({"code": grade_codes, "pd": p, "y": y_arr.astype(int)})
             .groupby("code", sort=True).agg(n=("y", "size"), defaults=("y", "sum"), pd=("pd", "mean")))
    labels = [f"grade {order[int(c)]}" for c in table.index]
    gp, gd, gn = table["pd"].to_numpy(), table["defaults"].to_numpy(), table["n"].to_numpy()
    frames.append(binomial_test(gp, gd, gn, rho=params.get("asset_correlation", 0.0),
                                confidence=params.get("binomial_confidence", 0.99), grades=labels,
                                thresholds=tests["binomial"]).to_frame())
    frames.append(jeffreys_test(gp, gd, gn, grades=labels, thresholds=tests["jeffreys"]).to_frame())
    frames.append(jeffreys_test_portfolio(p, y_arr.astype(int), np.ones(n, dtype=int),
                                          thresholds=tests["jeffreys"]).to_frame())
    frames.append(traffic_light(gp, gd, gn, rho=params.get("asset_correlation", 0.0), grades=labels,
                                thresholds=tests["traffic_light"]).to_frame())
    frames.append(hosmer_lemeshow(gp, gd, gn, df=params.get("hosmer_lemeshow_df"), grades=labels,
                                  thresholds=tests["hosmer_lemeshow"]).to_frame())
    frames.append(spiegelhalter(y_arr, p, thresholds=tests["spiegelhalter"]).to_frame())
    rows.append(_row("brier_score", "portfolio", brier_score(y_arr, p), np.nan, "n/a", "lower is better"))
    if 0 < y_arr.sum() < n:
        bss = brier_skill_score(y_arr, p)
        rows.append(_row("brier_skill", "portfolio", bss, np.nan, verdict(bss, tests["brier_skill"])[0],
                         threshold_text(tests["brier_skill"])))

    # stability
    weightings = [("number", None, None)]
    if exposure is not None and "exposure" in init:
        weightings.append(("exposure", exposure, init["exposure"]))
    if "grade" in init:
        initial_grade = pd.Series(init["grade"]).reset_index(drop=True).astype(object)
        frames.append(psi(initial_grade, g.reset_index(drop=True).astype(object), bins="categories",
                          alpha=params.get("psi_alpha", 0.05), thresholds=tests["psi"])
                      .to_frame().assign(scope="grade"))
        for scope, w_cur, w_init in weightings:
            frames.append(herfindahl_test(g.reset_index(drop=True).astype(object), initial_grade,
                                          exposure=w_cur, exposure_initial=w_init, grades=order,
                                          thresholds=tests["herfindahl"]).to_frame())
        if exposure is not None and "exposure" not in init:
            # without the initial exposures there is nothing to test against: report the
            # index itself rather than dropping the exposure weighting silently
            rows.append(_row("herfindahl_index", "exposure",
                             herfindahl_index(g.reset_index(drop=True).astype(object), exposure, grades=order),
                             np.nan, "n/a", "no initial['exposure'] to test against"))
    else:
        hi_rows = [("number", None)] + ([("exposure", exposure)] if exposure is not None else [])
        for scope, w in hi_rows:
            rows.append(_row("herfindahl_index", scope,
                             herfindahl_index(g.reset_index(drop=True).astype(object), w, grades=order),
                             np.nan, "n/a", "0 = even spread, 1 = one grade"))
    if "score" in init:
        frames.append(psi(as_float_1d(init["score"], "initial['score']"), main,
                          bins=params.get("psi_bins", 10), alpha=params.get("psi_alpha", 0.05),
                          thresholds=tests["psi"]).to_frame().assign(scope=main_name))
    mwb = rows_test = None
    if "previous_grade" in init:
        mm = migration_matrix(pd.Series(init["previous_grade"]).astype(object),
                              g.reset_index(drop=True).astype(object), grades=order)
        mwb = migration_weighted_bandwidth(mm, thresholds=tests["mwb"])
        rows_test = migration_stability_test(mm, thresholds=tests["migration_stability"])
        frames.append(mwb.to_frame())
        frames.append(rows_test.to_frame())
        for scope, floor in zip(np.atleast_1d(mwb.scope), np.atleast_1d(mwb.one_notch)):
            rows.append(_row("mwb_one_notch", scope, floor, np.nan, "n/a",
                             "MWB had every migrating obligor moved one notch (its floor)"))

    champion_rows = []
    if challengers is not None:
        if not isinstance(challengers, Mapping):
            raise ValueError(f"challengers must be a mapping name -> scores, got {type(challengers).__name__}")
        for name, values in challengers.items():
            c = as_float_1d(values, f"challengers[{name!r}]")
            if c.size != n:
                raise ValueError(f"length mismatch: y={n}, challengers[{name!r}]={c.size}")
            if isinstance(challenger_higher_is_riskier, Mapping):
                if name not in challenger_higher_is_riskier:
                    raise ValueError(f"challenger_higher_is_riskier has no direction for challenger {name!r}")
                c_dir = bool(challenger_higher_is_riskier[name])
            else:
                c_dir = bool(challenger_higher_is_riskier)
            # both on the "higher = riskier" scale, challenger first: H1 AUC_c > AUC_0
            c_risk = c if c_dir else -c
            m_risk = main if direction else -main
            r = delong_test(y_arr, c_risk, m_risk, alternative="greater", thresholds=tests["delong"])
            champion_rows.append(_row("challenger_outperforms", f"{name} vs {main_name}", r.statistic,
                                      r.pvalue, r.verdict, threshold_text(tests["delong"])
                                      + " (one-sided: challenger better)"))
        rows.extend(champion_rows)

    frames.append(pd.DataFrame(rows, columns=TIDY_COLUMNS))
    out = pd.concat([f[TIDY_COLUMNS] for f in frames if len(f)], ignore_index=True)
    order_tests = {t: i for i, t in enumerate(pd.unique(out["test"]))}
    # keep the discrimination -> calibration -> stability reading order of the code above
    out["_rank"] = out["test"].map(_READING_ORDER).fillna(len(_READING_ORDER)) * 1000 + \
        out["test"].map(order_tests)
    out = out.sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)
    if notes:
        out["note"] = _notes(out, mwb, rows_test)
    return out


def _notes(out: pd.DataFrame, mwb, rows_test) -> list[str]:
    """Explanations of rows whose verdicts are read together (the ``note`` column)."""
    text = {}
    if mwb is not None:
        flagged = int(np.isin(np.atleast_1d(rows_test.verdict), ["amber", "red"]).sum())
        tested = int(np.isfinite(np.atleast_1d(rows_test.pvalue)).sum())
        for scope, value, floor, notch, v in zip(np.atleast_1d(mwb.scope), np.atleast_1d(mwb.statistic),
                                                 np.atleast_1d(mwb.one_notch), np.atleast_1d(mwb.mean_notches),
                                                 np.atleast_1d(mwb.verdict)):
            base = (f"MWB {value:.3f} against {floor:.3f} had every mover moved one notch (mean move "
                    f"{notch:.2f} notches). MWB measures how far obligors move; the row z-tests "
                    f"(migration_stability_row: {flagged} of {tested} cells flagged) test whether shares "
                    "fall with the distance from the diagonal. ")
            if v in ("amber", "red") and flagged == 0:
                base += ("Here they disagree because the moves are short and orderly: the MWB verdict "
                         "reflects the distance of moves, not a break of monotonicity")
                if floor >= mwb.thresholds.get("amber_from", np.inf):
                    base += (f"; even one-notch moves only would reach the amber level "
                             f"{mwb.thresholds['amber_from']:g} on this scale")
                base += "."
            elif v == "green" and flagged > 0:
                base += ("Here they disagree because few obligors move far: the flagged cells are "
                         "non-monotone rows, which MWB does not measure.")
            else:
                base += "They agree here."
            text[("mwb", scope)] = base
            text[("mwb_one_notch", scope)] = "floor of the MWB for these movers (all moves one notch)"
    notes = []
    for test, scope, v in zip(out["test"], out["scope"], out["verdict"]):
        if (test, scope) in text:
            notes.append(text[(test, scope)])
        elif test == "migration_stability_row" and v in ("amber", "red"):
            notes.append("this row holds significantly more obligors in this cell than in its neighbour "
                         "nearer the diagonal (shape of the row; see the mwb note for the distance)")
        elif test == "challenger_outperforms":
            notes.append("one-sided: red only when the challenger is significantly better than the champion; "
                         "a champion significantly better than the challenger is green")
        else:
            notes.append("")
    return notes


_READING_ORDER = {t: i for i, t in enumerate([
    "auc", "auc_ci_lower", "auc_ci_upper", "gini", "ks", "pietra", "auc_initial",
    "binomial", "jeffreys", "traffic_light", "hosmer_lemeshow", "spiegelhalter", "brier_score",
    "brier_skill", "psi", "herfindahl", "herfindahl_index", "mwb", "mwb_one_notch", "migration_stability_row",
    "challenger_outperforms",
])}
