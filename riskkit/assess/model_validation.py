"""One call that runs the validation of the PD model and returns every table the report shows.

:func:`validate_model` is the out-of-time design on a book with history (develop on
observation dates whose outcome windows closed by ``as_of``, rate the book on ``as_of``
and on later test dates, compare each rating with the year after it);
:func:`validate_model_holdout` is the out-of-sample design for data without dates (a
stratified random split, e.g. German Credit).  Both return a :class:`ModelValidation`
whose methods give the report's tables: sample overview, verdict summary and counts,
discrimination, calibration by grade and portfolio tests, stability and concentration,
CSI, migration and the back-test over time.

The statistics are those of :mod:`riskkit.validation` (sources in their docstrings); this
module only decides which samples are compared with which:

* the development sample (in-sample scores) is the reference distribution of the PSI,
  CSI and Herfindahl tests and the reference AUC of the first validation sample;
* the first validation sample (initial validation) is the reference AUC of the later ones
  (ECB 2019 current-vs-initial AUC test);
* migration is measured between consecutive validation dates, on customers performing on
  both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._core.dates import check_as_of
from .._core.display import HTMLReprMixin
from ..scoring import MasterScale
from ..validation import (
    AUCResult,
    ChallengerComparison,
    MigrationMatrix,
    ValidationResult,
    auc,
    backtest_default_rates,
    compare_challengers,
    csi,
    herfindahl_index,
    ks,
    load_validation_config,
    migration_matrix,
    migration_stability_test,
    migration_weighted_bandwidth,
    normal_test,
    validation_report,
)
from .backtest import (
    champion_vs_challengers,
    develop_models,
    holdout_backtest,
    out_of_time_backtest,
    summarise_verdicts,
)
from .pipeline import development_dates

__all__ = ["ModelValidation", "MigrationPeriod", "validate_model", "validate_model_holdout"]

#: columns of the tidy verdict table
VERDICT_COLUMNS = ["sample", "test", "scope", "statistic", "pvalue", "verdict", "threshold"]
#: label of the multi-period back-test in the verdict table
OVER_TIME = "over time"
#: name of the validation sample of the hold-out design
HOLDOUT = "holdout"
_VERDICT_ORDER = ["green", "amber", "red", "n/a"]


@dataclass(frozen=True, eq=False)
class MigrationPeriod:
    """Grade migration between two consecutive validation samples.

    Attributes
    ----------
    start, end : str
        The sample names (dates as ``YYYY-MM-DD``).
    matrix : MigrationMatrix
        PD grades on ``start`` (rows) and ``end`` (columns) of the customers in both.
    bandwidth : ValidationResult
        Upper / lower migration-weighted bandwidth (ECB 2019).
    row_test : ValidationResult
        The ECB row z-tests of the matrix.
    """

    start: str
    end: str
    matrix: MigrationMatrix
    bandwidth: ValidationResult
    row_test: ValidationResult

    @property
    def period(self) -> str:
        return f"{self.start} -> {self.end}"

    def summary_row(self) -> dict:
        """Customers, shares unchanged / downgraded / upgraded, MWB and flagged row-test cells."""
        shares = self.matrix.direction_shares()
        cells = self.row_test.to_frame()
        return {"period": self.period, "customers": self.matrix.n_obligors,
                "share_unchanged": shares["unchanged"], "share_downgraded": shares["downgraded"],
                "share_upgraded": shares["upgraded"],
                "mwb_upper": float(self.bandwidth.statistic[0]), "mwb_lower": float(self.bandwidth.statistic[1]),
                "mwb_verdict": "/".join(self.bandwidth.verdict),
                "cells_tested": int(cells["pvalue"].notna().sum()),
                "cells_amber": int((cells["verdict"] == "amber").sum()),
                "cells_red": int((cells["verdict"] == "red").sum())}

    def flagged_cells(self) -> pd.DataFrame:
        """Cells flagged amber or red by the row test: scope, share, share_near, statistic,
        pvalue, verdict."""
        cells = self.row_test.to_frame()
        cells = cells[cells["verdict"].isin(["amber", "red"])]
        return cells[["scope", "share", "share_near", "statistic", "pvalue", "verdict"]].reset_index(drop=True)


@dataclass(frozen=True, eq=False, repr=False)
class ModelValidation(HTMLReprMixin):
    """Everything the model-validation report shows, computed once.

    Attributes
    ----------
    design : str
        ``"out_of_time"`` (:func:`validate_model`) or ``"holdout"``
        (:func:`validate_model_holdout`).
    scorecard : riskkit.scoring.Scorecard
        The validated model (fitted on the development sample).
    development : DataFrame
        The development sample scored in-sample (``sample = "development"``).
    predictions : DataFrame
        The validation samples, one row per obligor and sample, column ``sample``.
    sample_names : tuple of str
        Validation samples in order; the first is the initial validation (the reference
        of the ECB AUC test for the later ones).
    periods : dict
        Sample -> what it covers (development dates, random split shares).
    features : tuple of str
        The scorecard's selected characteristics.
    config : dict
        The validation config used (thresholds and parameters).
    reports : DataFrame
        ``validation_report`` of every validation sample, with ``sample``.
    csi : DataFrame
        CSI rows (one per characteristic and sample), with ``sample``.
    migrations : tuple of MigrationPeriod
        Consecutive sample pairs (out-of-time design only).
    comparison : ChallengerComparison
        AUCs and paired DeLong tests of the champion, the challenger and benchmarks.
    outperform : DataFrame
        One-sided tests that a challenger beats the champion (the benchmark ``true_pd``
        is shown in ``comparison`` but not tested here).
    by_date : DataFrame or None
        Predicted vs observed default rate per validation date.
    over_time : ValidationResult or None
        The normal test over the dates (BCBS WP14).
    verdicts : DataFrame
        All verdicts: ``sample, test, scope, statistic, pvalue, verdict, threshold``.
    development_auc, reference_auc : AUCResult
        AUC of the development sample and of the first validation sample.
    master_scale : MasterScale
    """

    design: str
    scorecard: Any
    development: pd.DataFrame
    predictions: pd.DataFrame
    sample_names: tuple
    periods: dict
    features: tuple
    config: dict
    reports: pd.DataFrame
    csi: pd.DataFrame
    migrations: tuple
    comparison: ChallengerComparison
    outperform: pd.DataFrame
    by_date: pd.DataFrame | None
    over_time: ValidationResult | None
    verdicts: pd.DataFrame
    development_auc: AUCResult
    reference_auc: AUCResult
    master_scale: MasterScale

    # -- access ---------------------------------------------------------------------------
    @property
    def has_time(self) -> bool:
        """Whether the samples are dated (out-of-time design)."""
        return self.design == "out_of_time"

    @property
    def latest(self) -> str:
        """The last validation sample."""
        return self.sample_names[-1]

    @property
    def level(self) -> float:
        """Confidence level of the intervals (config ``parameters.ci_level``)."""
        return float(self.config["parameters"].get("ci_level", 0.95))

    @property
    def grade_pd(self) -> dict:
        """Representative PD of each master-scale grade (``pd_mid``)."""
        return dict(zip(self.master_scale.all_grades, self.master_scale.table()["pd_mid"]))

    def sample(self, name: str) -> pd.DataFrame:
        """The rows of one sample (``"development"`` or a validation sample)."""
        if name == "development":
            return self.development
        if name not in self.sample_names:
            raise KeyError(f"no sample {name!r}; samples: {['development', *self.sample_names]}")
        return self.predictions[self.predictions["sample"] == name]

    def samples(self, development: bool = False) -> dict[str, pd.DataFrame]:
        """Sample name -> rows, in order (the development sample first when asked)."""
        names = (["development"] if development else []) + list(self.sample_names)
        return {name: self.sample(name) for name in names}

    def _report_rows(self, test: str, scope: str | None = None) -> pd.DataFrame:
        rows = self.reports[self.reports["test"] == test]
        if scope is not None:
            rows = rows[rows["scope"] == scope]
        return rows.set_index("sample")

    # -- tables ---------------------------------------------------------------------------
    def overview(self) -> pd.DataFrame:
        """Per sample: period, obligors, defaults, observed default rate, mean predicted PD."""
        frame = pd.concat([self.development, self.predictions])
        out = frame.groupby("sample", sort=False).agg(
            obligors=("default", "size"), defaults=("default", "sum"),
            default_rate=("default", "mean"), mean_pd=("pd", "mean"))
        out.insert(0, "period", [self.periods.get(k, k) for k in out.index])
        return out

    def verdict_summary(self) -> pd.DataFrame:
        """Worst verdict per test and sample with the count of flagged scopes in brackets
        (informational ``n/a`` rows left out); see
        :func:`riskkit.assess.summarise_verdicts`."""
        rated = self.verdicts[self.verdicts["verdict"] != "n/a"]
        return summarise_verdicts(rated, by="sample", inline_counts=True)

    def _display_parts(self) -> dict:
        counts = self.verdicts["verdict"].value_counts()
        verdicts = ", ".join(f"{v} {int(counts.get(v, 0))}" for v in ("green", "amber", "red", "n/a"))
        low, high = self.development_auc.ci(self.level)
        headline = (f"{self.design.replace('_', '-')} validation of samples {list(self.sample_names)}: "
                    f"development AUC {self.development_auc.auc:.3f} ({self.level:.0%} CI {low:.3f} to {high:.3f}); "
                    f"verdicts {verdicts}")
        return {"headline": headline, "frames": [("samples", self.overview()), ("verdicts", self.verdict_counts())]}

    def verdict_counts(self) -> pd.DataFrame:
        """Number of verdict rows per verdict (green, amber, red, n/a) and sample."""
        counts = self.verdicts.pivot_table(index="verdict", columns="sample", values="test", aggfunc="size",
                                           fill_value=0, sort=False)
        return counts.reindex(index=[v for v in _VERDICT_ORDER if v in counts.index],
                              columns=[c for c in [*self.sample_names, OVER_TIME] if c in counts.columns])

    def discrimination(self) -> pd.DataFrame:
        """AUC with its DeLong interval, Gini, KS, AUC of the grades, the reference AUC and the
        ECB current-vs-reference test, per sample; the in-sample development row first."""
        dev = self.development
        lower, upper = self.development_auc.ci(self.level)
        dev_row = pd.DataFrame({
            "auc": self.development_auc.auc, "ci_lower": lower, "ci_upper": upper,
            "gini": 2 * self.development_auc.auc - 1,
            "ks": ks(dev["default"], dev["score"], higher_is_riskier=False).statistic,
            "auc_of_grades": auc(dev["default"], dev["pd_grade"]).auc,
        }, index=["development (in-sample)"])
        reference = {k: (self.development_auc if k == self.sample_names[0] else self.reference_auc).auc
                     for k in self.sample_names}
        table = pd.DataFrame({
            "auc": self._report_rows("auc", "score")["statistic"],
            "ci_lower": self._report_rows("auc_ci_lower", "score")["statistic"],
            "ci_upper": self._report_rows("auc_ci_upper", "score")["statistic"],
            "gini": self._report_rows("gini", "score")["statistic"],
            "ks": self._report_rows("ks", "score")["statistic"],
            "auc_of_grades": self._report_rows("auc", "grade")["statistic"],
            "reference_auc": pd.Series(reference),
            "ecb_statistic": self._report_rows("auc_initial")["statistic"],
            "ecb_pvalue": self._report_rows("auc_initial")["pvalue"],
            "auc_verdict": self._report_rows("auc", "score")["verdict"],
            "ecb_verdict": self._report_rows("auc_initial")["verdict"],
        }).reindex(list(self.sample_names))
        return pd.concat([dev_row, table])

    def calibration_by_grade(self, sample: str | None = None) -> pd.DataFrame:
        """Per PD grade of one sample (default the latest): obligors, defaults, observed
        rate, mean PD, the grade's representative PD, and the p-value and verdict of the
        binomial, Jeffreys and traffic-light tests."""
        name = self.latest if sample is None else sample
        rates = backtest_default_rates(self.sample(name), by="pd_grade",
                                       thresholds=self.config["tests"]["jeffreys"])
        table = rates[["pd_grade", "n", "defaults", "observed_default_rate", "predicted_pd"]].assign(
            grade_pd=lambda t: t["pd_grade"].astype(str).map(self.grade_pd))
        rows = self.reports[self.reports["sample"] == name]
        grade = table["pd_grade"].astype(str)
        for test in ("binomial", "jeffreys", "traffic_light"):
            part = rows[(rows["test"] == test) & rows["scope"].str.startswith("grade ")]
            part = part.assign(pd_grade=part["scope"].str.removeprefix("grade ")).set_index("pd_grade")
            table[f"{test}_pvalue"] = grade.map(part["pvalue"])
            table[f"{test}_verdict"] = grade.map(part["verdict"])
        return table

    def default_rates(self, sample: str | None = None, by: str = "pd_grade") -> pd.DataFrame:
        """:func:`riskkit.validation.backtest_default_rates` of one sample (default the latest)
        by ``by`` (``"pd_grade"`` or the final ``"grade"`` of the rating rules)."""
        name = self.latest if sample is None else sample
        return backtest_default_rates(self.sample(name), by=by, thresholds=self.config["tests"]["jeffreys"])

    def calibration_tests(self) -> pd.DataFrame:
        """Portfolio-level calibration statistics and p-values per sample (Jeffreys,
        Hosmer-Lemeshow, Spiegelhalter, Brier score and skill)."""
        tests = ["jeffreys", "hosmer_lemeshow", "spiegelhalter", "brier_score", "brier_skill"]
        rows = self.reports[self.reports["test"].isin(tests) & (self.reports["scope"] == "portfolio")]
        return rows.pivot_table(index="test", columns="sample", values=["statistic", "pvalue"], sort=False)

    def stability(self) -> pd.DataFrame:
        """PSI (score, grades) and Herfindahl tests, statistic and p-value per sample."""
        rows = self.reports[self.reports["test"].isin(["psi", "herfindahl"])]
        rows = rows.assign(measure=rows["test"] + " (" + rows["scope"] + ")")
        return rows.pivot_table(index="measure", columns="sample", values=["statistic", "pvalue"], sort=False)

    def concentration(self) -> pd.DataFrame:
        """Herfindahl index of the PD grades per sample, by number of obligors and (dated
        samples) by exposure."""
        samples = self.samples(development=True)
        grades = self.master_scale.grades
        out = pd.DataFrame({"herfindahl_index_number": {
            k: herfindahl_index(f["pd_grade"], grades=grades) for k, f in samples.items()}})
        if self.has_time:
            out["herfindahl_index_exposure"] = {k: herfindahl_index(f["pd_grade"], f["ead"], grades=grades)
                                                for k, f in samples.items()}
        return out

    def csi_table(self) -> pd.DataFrame:
        """CSI per characteristic (rows) and sample (columns), with the latest sample's
        verdict, largest shift in the latest sample first."""
        wide = self.csi.pivot_table(index="scope", columns="sample", values="statistic", sort=False)
        wide["verdict"] = self.csi[self.csi["sample"] == self.latest].set_index("scope")["verdict"]
        wide.index.name = "characteristic"
        return wide.sort_values(self.latest, ascending=False)

    def migration_summary(self) -> pd.DataFrame:
        """One row per migration period: :meth:`MigrationPeriod.summary_row`."""
        rows = [m.summary_row() for m in self.migrations]
        columns = ["period", "customers", "share_unchanged", "share_downgraded", "share_upgraded", "mwb_upper",
                   "mwb_lower", "mwb_verdict", "cells_tested", "cells_amber", "cells_red"]
        return pd.DataFrame(rows, columns=columns).set_index("period")

    def default_rates_by_grade_over_time(self) -> pd.DataFrame:
        """Observed default rate and mean PD per PD grade (rows) and date (columns)."""
        if not self.has_time:
            raise ValueError("no dates: the hold-out design has no time dimension")
        table = backtest_default_rates(self.predictions, by=("as_of", "pd_grade"),
                                       thresholds=self.config["tests"]["jeffreys"])
        table = table.assign(as_of=table["as_of"].dt.strftime("%Y-%m-%d"))
        return table.pivot_table(index="pd_grade", columns="as_of",
                                 values=["observed_default_rate", "predicted_pd"], observed=True)

    def summary(self) -> str:
        """Samples and verdict counts as text."""
        return (f"model validation ({self.design.replace('_', '-')}), samples {list(self.sample_names)}\n"
                + self.overview().to_string() + "\n\nverdicts\n" + self.verdict_counts().to_string())


# -- assembly --------------------------------------------------------------------------------

def _validate(design: str, scorecard, development: pd.DataFrame, predictions: pd.DataFrame,
              periods: dict, config: dict, truth: pd.Series | None) -> ModelValidation:
    tests, parameters = config["tests"], config["parameters"]
    level = parameters.get("ci_level", 0.95)
    has_time = design == "out_of_time"
    scale = MasterScale.default()
    names = tuple(sorted(predictions["sample"].unique()))
    samples = {k: predictions[predictions["sample"] == k] for k in names}
    features = tuple(scorecard.features_)
    reference = names[0]

    dev_auc = auc(development["default"], development["score"], higher_is_riskier=False)
    ref_auc = auc(samples[reference]["default"], samples[reference]["score"], higher_is_riskier=False)
    reports = []
    for key in names:
        frame = samples[key]
        initial = {"auc": (dev_auc if key == reference else ref_auc).auc,
                   "grade": development["pd_grade"], "score": development["score"]}
        if has_time:
            initial["exposure"] = development["ead"]
        report = validation_report(frame["default"], frame["pd"], frame["pd_grade"], score=frame["score"],
                                   exposure=frame["ead"] if has_time else None, initial=initial,
                                   config=config, higher_is_riskier=False, notes=True)
        reports.append(report.assign(sample=key))
    reports = pd.concat(reports, ignore_index=True)

    csi_table = pd.concat(
        [csi(development[list(features)], samples[key][list(features)], bins=parameters.get("psi_bins", 10),
             alpha=parameters.get("psi_alpha", 0.05), thresholds=tests["csi"]).to_frame().assign(sample=key)
         for key in names], ignore_index=True)

    migrations = []
    if has_time:
        for start, end in zip(names[:-1], names[1:]):
            pair = samples[start][["customer_id", "pd_grade"]].merge(
                samples[end][["customer_id", "pd_grade"]], on="customer_id", suffixes=("_start", "_end"))
            matrix = migration_matrix(pair["pd_grade_start"], pair["pd_grade_end"], grades=scale.grades)
            migrations.append(MigrationPeriod(
                start=start, end=end, matrix=matrix,
                bandwidth=migration_weighted_bandwidth(matrix, thresholds=tests["mwb"]),
                row_test=migration_stability_test(matrix, axis="row", thresholds=tests["migration_stability"])))

    scores, direction, data = ["pd", "challenger_pd"], {"pd": True, "challenger_pd": True}, predictions
    if has_time:
        scores.append("expert_score")
        direction["expert_score"] = False
        if truth is not None:
            data = predictions.assign(true_pd=predictions["customer_id"].map(truth))
            scores.append("true_pd")
            direction["true_pd"] = True
    comparison = compare_challengers(data, scores, by="sample", higher_is_riskier=direction, level=level, champion="pd",
                                     thresholds=tests["delong"])
    outperform = champion_vs_challengers(comparison, "pd", exclude=["true_pd"], thresholds=tests["delong"])

    by_date = over_time = None
    if has_time:
        by_date = backtest_default_rates(predictions, by="as_of", thresholds=tests["jeffreys"])
        over_time = normal_test(by_date["predicted_pd"], by_date["defaults"], by_date["n"],
                                thresholds=tests["normal_test"])

    verdicts = pd.concat(
        [reports, csi_table[["test", "scope", "statistic", "pvalue", "verdict", "threshold", "sample"]]]
        + [res.to_frame().assign(sample=m.end) for m in migrations for res in (m.bandwidth, m.row_test)]
        + [outperform.rename(columns={"group": "sample"})[VERDICT_COLUMNS]]
        + ([over_time.to_frame().assign(sample=OVER_TIME)] if over_time is not None else []),
        ignore_index=True)[VERDICT_COLUMNS]

    return ModelValidation(
        design=design, scorecard=scorecard, development=development, predictions=predictions,
        sample_names=names, periods=periods, features=features, config=config, reports=reports,
        csi=csi_table, migrations=tuple(migrations), comparison=comparison, outperform=outperform,
        by_date=by_date, over_time=over_time, verdicts=verdicts, development_auc=dev_auc,
        reference_auc=ref_auc, master_scale=scale)


def validate_model(portfolio, as_of, test_dates: Sequence, config: str | Mapping[str, Any] | None = None, *,
                   seed: int = 0, challenger_params: Mapping[str, Any] | None = None,
                   progress: bool | None = None) -> ModelValidation:
    """Out-of-time validation of the portfolio scorecard.

    The scorecard and its gradient-boosting challenger are developed on the observation
    dates :func:`riskkit.assess.development_dates` ``(as_of)`` (outcome windows closed by
    ``as_of``), then applied unchanged on ``as_of`` (initial validation) and on each of
    ``test_dates`` (monitoring); each customer's outcome is whether it defaulted in the
    year after the date (``riskkit.profile.default_flags``).

    Parameters
    ----------
    portfolio : riskkit.data.Portfolio
        The book with its full history.
    as_of : date-like
        Development / initial-validation reference date.
    test_dates : sequence of date-like
        Later observation dates, each after ``as_of`` with a closed 12-month outcome
        window.
    config : path, mapping or None
        Validation thresholds (``riskkit.validation.load_validation_config``).
    seed : int, default 0
        Random state of the challenger.
    challenger_params : mapping, optional
        Extra ``HistGradientBoostingClassifier`` parameters.
    progress : bool or None, default None
        Show progress bars over the dates: None shows them in an interactive session only
        (:func:`riskkit._core.progress.progress_enabled`), True/False force them.  They never
        change the result.

    Returns
    -------
    ModelValidation

    Raises
    ------
    ValueError
        ``test_dates`` empty or not after ``as_of``; an outcome window that overlaps the
        development labels or runs past the data.
    """
    as_of = check_as_of(as_of)
    if isinstance(test_dates, (str, pd.Timestamp)) or not isinstance(test_dates, Sequence | pd.Index | np.ndarray):
        raise ValueError(f"test_dates must be a list of dates, got {test_dates!r}")
    dates = sorted(check_as_of(d, f"test_dates[{i}]") for i, d in enumerate(test_dates))
    if not dates or dates[0] <= as_of:
        raise ValueError(f"test_dates must be non-empty and after as_of {as_of.date()}, "
                         f"got {[str(d) for d in test_dates]}")
    cfg = load_validation_config(config)
    model_dates = development_dates(as_of)
    models = develop_models(portfolio, model_dates, seed=seed, challenger_params=challenger_params,
                            progress=progress)
    predictions = out_of_time_backtest(portfolio, model_dates, [as_of, *dates], models=models,
                                       keep_features=True, progress=progress)
    predictions["sample"] = predictions["as_of"].dt.strftime("%Y-%m-%d")
    development = models.development.assign(sample="development")
    truth = portfolio.truth.set_index("customer_id")["true_pd"] if portfolio.truth is not None else None
    periods = {"development": ", ".join(d.strftime("%Y-%m-%d") for d in model_dates)}
    return _validate("out_of_time", models.scorecard, development, predictions, periods, cfg, truth)


def validate_model_holdout(X: pd.DataFrame, y: Any, config: str | Mapping[str, Any] | None = None, *,
                           test_size: float = 0.3, seed: int = 0) -> ModelValidation:
    """Out-of-sample validation for data without dates: a stratified random split.

    The scorecard and the challenger are fitted on the development part
    (:func:`riskkit.assess.holdout_backtest`); the test part is the one validation sample,
    named ``"holdout"``.  Time-based sections (migration, back-test over time) are absent.

    Parameters
    ----------
    X : DataFrame
        Candidate characteristics, one row per obligor.
    y : array-like of 0/1
        1 = default (bad).
    config : path, mapping or None
        Validation thresholds.
    test_size : float, default 0.3
    seed : int, default 0

    Returns
    -------
    ModelValidation
    """
    cfg = load_validation_config(config)
    holdout = holdout_backtest(X, y, test_size=test_size, seed=seed)
    parts = holdout.predictions
    # not "test": a sample name becomes a column of the verdict summary, next to its "test" column
    predictions = parts[parts["sample"] == "test"].assign(sample=HOLDOUT)
    development = parts[parts["sample"] == "development"].copy()
    periods = {"development": f"random {1 - test_size:.0%} (stratified)".replace("%", " %"),
               HOLDOUT: f"random {test_size:.0%} (stratified)".replace("%", " %")}
    return _validate("holdout", holdout.scorecard, development, predictions, periods, cfg, None)
