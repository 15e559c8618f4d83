"""Benchmark: the WoE shape rules on the kit's customer book, out of time on every usable date.

The German Credit benchmark (``bench_german_shapes.py``) compares shape rules on random
70/30 splits of one cross-section.  A scorecard on a customer book is developed on past
observation dates and used on later ones, so this script tests the rules by **rolling
origin** on the sample book: for every quarter-end test date ``d`` whose one-year outcome
is known (up to 2024-12-31; the book ends 2025-12-31) a scorecard is developed on earlier
observation dates whose outcome windows close by ``d`` and scored on the customers
performing on ``d``.  Two development designs:

* ``kit``: the dates of ``riskkit.assess.development_dates(d)`` (three dates six months
  apart, the last one year before ``d``), as ``riskkit.assess.develop_scorecard_out_of_time``
  develops;
* ``expanding``: every quarter end from 2021-12-31 (the first with a full year of payment
  history) to the last month end one year before ``d``.

Three binners, each inside ``riskkit.scoring.Scorecard()`` with its defaults:

* ``monotone``: ``WoEBinner(monotonic_trend="auto_monotone")``, ascending or descending only;
* ``bootstrap``: ``WoEBinner(shape_selection="bootstrap")``, a turn only when significant
  under the parametric bootstrap after Benjamini-Hochberg;
* ``cv``: ``WoEBinner(shape_selection="cv")``, the default: a turn whose thinner side holds at
  least ``min_turn_events=50`` development events, kept when it ranks held-out records better
  in 2 x 5-fold cross-validation and carries signal;
* ``cv_no_bar``: the same with ``min_turn_events=0`` (the default before the event bar).

Per date: customers, defaults, the AUC of each rule, the features that turn and the
paired DeLong test of each turning rule against ``monotone``
(``riskkit.validation.delong_test``, two-sided; tested against pROC).

Pooled over dates: the mean AUC difference against ``monotone``.  The test dates share
customers and their one-year outcome windows overlap (quarterly dates), so the per-date
tests are not independent; the standard error of the mean is therefore a **customer
cluster bootstrap** (resample customers with replacement, each with all its test rows on
every date; the fitted scorecards stay fixed, as in DeLong's test: the uncertainty of the
test sample), ``--draws`` draws, two-sided p from the normal approximation ``z = mean/se``
and the share of draws on the other side of zero.

``--books N`` adds the cleanest pooled test: ``N`` independent synthetic books
(``riskkit.datasets.generate_portfolio(2000, seed)``, seeds 11, 12, ...), each developed on
``development_dates("2024-12-31")`` and tested on 2024-12-31 with each rule; the books are
independent, so the mean difference over books has the ordinary standard error (one-sample
t-test, which also carries the variability of the development fit), printed beside the
per-book paired DeLong tests.

``--ablation`` explains a date (default 2024-12-31, ``kit`` design): for every feature the
``cv`` rule turns, the out-of-time AUC when only that feature is reverted to monotone and
when only that feature may turn, the population stability index of the feature between
development and test (``riskkit.validation.psi``, 10 quantile bins of development), and the
bin at the turning point with its development and test event rates.

Run: ``PYTHONPATH=. .venv/bin/python bench/bench_shape_rules_book.py [--design kit expanding]
[--draws 2000] [--ablation] [--books 12]`` (on one quiet core: under a minute per design, a
minute for the ablation, about 12 s per book).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _results import QUICK, emit

FIRST_FULL_HISTORY = pd.Timestamp("2021-12-31")
LAST_TEST = pd.Timestamp("2024-12-31")
RULES = {"monotone": {"monotonic_trend": "auto_monotone"},
         "bootstrap": {"shape_selection": "bootstrap"},
         "cv": {"shape_selection": "cv"},
         "cv_no_bar": {"shape_selection": "cv", "min_turn_events": 0}}


def compared_rules() -> list[str]:
    """The rules tested against ``monotone`` (every other entry of :data:`RULES`)."""
    return [rule for rule in RULES if rule != "monotone"]


# ----------------------------------------------------------------------------- data
def book_sample(data) -> pd.DataFrame:
    """Profiles and one-year default labels of the sample book on every quarter end
    2021-06-30 .. 2024-12-31 (one ``riskkit.profile.development_sample`` call)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return book_sample_on(data, pd.date_range("2021-06-30", LAST_TEST, freq="QE"))


def development_dates_for(design: str, test_date: pd.Timestamp, available) -> list[pd.Timestamp]:
    from riskkit.assess import development_dates

    if design == "kit":
        return list(development_dates(test_date))
    last = pd.offsets.MonthEnd().rollback(test_date - pd.Timedelta(days=365))
    return [d for d in sorted(available) if FIRST_FULL_HISTORY <= d <= last]


def test_dates_for(design: str, available) -> list[pd.Timestamp]:
    """Quarter ends whose development dates are all in the sample (at least two)."""
    out = []
    for d in sorted(available):
        dev = development_dates_for(design, d, available)
        if len(dev) >= 2 and set(dev) <= set(available):
            out.append(d)
    return out


# ----------------------------------------------------------------------------- AUC by weights
def weighted_auc(y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUC of ``score`` (higher = riskier) with row weights, one AUC per row of ``weights``.

    Mann-Whitney with ties counted one half: :math:`\\sum_l E_l (N_{<l} + N_l / 2) /
    (\\sum E \\sum N)`, :math:`E_l, N_l` the weighted events and non-events at score level
    ``l``.  With unit weights it is ``sklearn.metrics.roc_auc_score`` (checked in ``main``).
    """
    levels, inverse = np.unique(score, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(inverse[order]) != 0])
    w = weights[:, order]
    ev = np.add.reduceat(w * y[order], starts, axis=1)
    ne = np.add.reduceat(w * (1 - y[order]), starts, axis=1)
    below = np.cumsum(ne, axis=1) - ne
    return (ev * (below + 0.5 * ne)).sum(axis=1) / (ev.sum(axis=1) * ne.sum(axis=1))


def cluster_bootstrap(tests: list[pd.DataFrame], rules: list[str], draws: int, seed: int = 0) -> dict:
    """Mean over dates of AUC(rule) - AUC(monotone) in ``draws`` customer-cluster
    resamples (see the module docstring); ``tests[i]`` has ``customer_id``, ``default`` and
    one ``pd_<rule>`` column per rule."""
    customers = np.unique(np.concatenate([t["customer_id"].to_numpy() for t in tests]))
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(customers.size, np.full(customers.size, 1.0 / customers.size), size=draws)
    out = {r: np.zeros(draws) for r in rules}
    for t in tests:
        w = counts[:, np.searchsorted(customers, t["customer_id"].to_numpy())].astype(float)
        y = t["default"].to_numpy(float)
        base = weighted_auc(y, t["pd_monotone"].to_numpy(), w)
        for r in rules:
            out[r] += (weighted_auc(y, t[f"pd_{r}"].to_numpy(), w) - base) / len(tests)
    return out


# ----------------------------------------------------------------------------- rolling origin
def rolling_origin(sample: pd.DataFrame, design: str, features: list[str]) -> tuple[pd.DataFrame, list]:
    from sklearn.metrics import roc_auc_score

    from riskkit.scoring import Scorecard, WoEBinner
    from riskkit.validation import delong_test

    available = list(pd.DatetimeIndex(sample["as_of"].unique()))
    dates = test_dates_for(design, available)
    if QUICK:
        dates = dates[-1:]
    rows, tests = [], []
    for d in dates:
        dev = sample[sample["as_of"].isin(development_dates_for(design, d, available))]
        test = sample.loc[sample["as_of"] == d, ["customer_id", "default"]].copy()
        y_test = test["default"].astype(int).to_numpy()
        row = {"date": d.date(), "dev_rows": len(dev), "n": len(test), "defaults": int(y_test.sum())}
        for rule, params in RULES.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                card = Scorecard(binner=WoEBinner(**params)).fit(dev[features], dev["default"].astype(int))
            seconds = time.perf_counter() - start
            test[f"pd_{rule}"] = card.predict_proba(sample.loc[sample["as_of"] == d, features])[:, 1]
            shapes = card.binner_.summary().set_index("feature")["shape"]
            row[f"auc_{rule}"] = roc_auc_score(y_test, test[f"pd_{rule}"])
            row[f"turned_{rule}"] = int(shapes.isin(["peak", "valley"]).sum())
            row[f"turned_in_model_{rule}"] = int(shapes.loc[card.features_].isin(["peak", "valley"]).sum())
            emit(f"scorecard fit, sample book, {design} design, test {d.date()}, binner {rule}", seconds,
                 out_of_time_auc=round(float(row[f"auc_{rule}"]), 4), turned=row[f"turned_{rule}"])
        for rule in compared_rules():
            result = delong_test(y_test, test[f"pd_{rule}"], test["pd_monotone"])
            row[f"diff_{rule}"] = row[f"auc_{rule}"] - row["auc_monotone"]
            row[f"p_{rule}"] = result.pvalue
        rows.append(row)
        tests.append(test)
        print(f"  {d.date()}: n {row['n']}, defaults {row['defaults']}, AUC monotone {row['auc_monotone']:.4f}, "
              f"bootstrap {row['auc_bootstrap']:.4f}, cv {row['auc_cv']:.4f}", flush=True)
    return pd.DataFrame(rows).set_index("date"), tests


def pooled(table: pd.DataFrame, tests: list[pd.DataFrame], draws: int) -> pd.DataFrame:
    from scipy.stats import norm

    boot = cluster_bootstrap(tests, compared_rules(), draws)
    rows = {}
    for rule, values in boot.items():
        mean = float(table[f"diff_{rule}"].mean())
        se = float(values.std(ddof=1))
        z = mean / se if se > 0 else float("nan")
        rows[rule] = {"dates": len(table), "mean_diff_vs_monotone": mean, "cluster_se": se, "z": z,
                      "p_two_sided": 2 * norm.sf(abs(z)),
                      "share_draws_other_side": float(np.mean(values > 0) if mean < 0 else np.mean(values < 0)),
                      "dates_better": int((table[f"diff_{rule}"] > 0).sum()),
                      "dates_worse": int((table[f"diff_{rule}"] < 0).sum()),
                      "dates_p_below_0.05": int((table[f"p_{rule}"] < 0.05).sum())}
    return pd.DataFrame(rows).T


# ----------------------------------------------------------------------------- independent books
def independent_books(n_books: int, features: list[str], customers: int = 2000, first_seed: int = 11
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    from scipy.stats import ttest_1samp

    import riskkit as rk
    from riskkit.assess import development_dates
    from riskkit.scoring import Scorecard, WoEBinner
    from riskkit.validation import delong_test

    rows = []
    for seed in range(first_seed, first_seed + n_books):
        book = rk.datasets.generate_portfolio(customers, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sample = book_sample_on(book, [*development_dates(LAST_TEST), LAST_TEST])
        dev, test = sample[sample["as_of"] < LAST_TEST], sample[sample["as_of"] == LAST_TEST]
        y_test = test["default"].astype(int).to_numpy()
        row = {"seed": seed, "dev_rows": len(dev), "dev_defaults": int(dev["default"].sum()), "n": len(test),
               "defaults": int(y_test.sum())}
        scores = {}
        for rule, params in RULES.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                card = Scorecard(binner=WoEBinner(**params)).fit(dev[features], dev["default"].astype(int))
            scores[rule] = card.predict_proba(test[features])[:, 1]
            shapes = card.binner_.summary().set_index("feature")["shape"]
            row[f"turned_{rule}"] = int(shapes.isin(["peak", "valley"]).sum())
        for rule in compared_rules():
            result = delong_test(y_test, scores[rule], scores["monotone"])
            row["auc_monotone"] = result.details["auc_b"]
            row[f"auc_{rule}"] = result.details["auc_a"]
            row[f"diff_{rule}"] = result.details["difference"]
            row[f"p_{rule}"] = result.pvalue
        rows.append(row)
        print(f"  book {seed}: AUC monotone {row['auc_monotone']:.4f}, bootstrap {row['auc_bootstrap']:.4f}, "
              f"cv {row['auc_cv']:.4f}", flush=True)
    table = pd.DataFrame(rows).set_index("seed")
    summary = {}
    for rule in compared_rules():
        d = table[f"diff_{rule}"]
        summary[rule] = {"books": len(d), "mean_diff_vs_monotone": d.mean(), "se": d.std(ddof=1) / np.sqrt(len(d)),
                         "p_two_sided_t": ttest_1samp(d, 0.0).pvalue, "books_better": int((d > 0).sum()),
                         "books_worse": int((d < 0).sum()), "books_p_below_0.05": int((table[f"p_{rule}"] < 0.05).sum())}
    return table, pd.DataFrame(summary).T


def book_sample_on(book, dates) -> pd.DataFrame:
    from riskkit.profile import development_sample

    return development_sample(book, list(dates), progress=False)


# ----------------------------------------------------------------------------- ablation
def ablation(sample: pd.DataFrame, features: list[str], test_date: pd.Timestamp) -> pd.DataFrame:
    from sklearn.metrics import roc_auc_score

    from riskkit.scoring import Scorecard, WoEBinner
    from riskkit.validation import psi

    available = list(pd.DatetimeIndex(sample["as_of"].unique()))
    dev = sample[sample["as_of"].isin(development_dates_for("kit", test_date, available))]
    test = sample[sample["as_of"] == test_date]
    X, y, X_test, y_test = dev[features], dev["default"].astype(int), test[features], test["default"].astype(int)

    def fit(trend) -> tuple:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            card = Scorecard(binner=WoEBinner(shape_selection="cv", monotonic_trend=trend)).fit(X, y)
        return card, roc_auc_score(y_test, card.predict_proba(X_test)[:, 1])

    monotone, auc_monotone = fit("auto_monotone")
    cv, auc_cv = fit("auto")
    summary = cv.binner_.summary().set_index("feature")
    turned = list(summary.index[summary["shape"].isin(["peak", "valley"])])
    print(f"\nablation on {test_date.date()} (kit design): monotone AUC {auc_monotone:.4f}, cv AUC {auc_cv:.4f}, "
          f"{len(turned)} features turn")
    rows = []
    for f in turned:
        _, reverted = fit({f: "auto_monotone"})
        _, alone = fit({g: ("auto" if g == f else "auto_monotone") for g in features})
        b = cv.binner_.binnings_[f]
        regular = b.table().iloc[: b.n_regular]
        woe = regular["woe"].to_numpy()
        turn = int(np.argmax(woe) if b.trend == "peak" else np.argmin(woe))
        test_bins = pd.Series(y_test.to_numpy()).groupby(b.bin_index(X_test[f])).agg(["size", "sum"])
        x, x_test = X[f].to_numpy(float), X_test[f].to_numpy(float)
        rows.append({
            "feature": f, "shape": b.trend, "in_cv_model": f in cv.features_,
            "in_monotone_model": f in monotone.features_,
            "iv_gain": b.iv_turning - b.iv_monotone, "cv_auc_gain": b.cv_auc_gain,
            "auc_reverted": reverted, "gain_reverting": reverted - auc_cv,
            "auc_only_this_turns": alone, "loss_alone": alone - auc_monotone,
            "psi": psi(x[~np.isnan(x)], x_test[~np.isnan(x_test)], 10).statistic,
            "turning_bin": f"{turn + 1} of {b.n_regular}: {regular['bin'].iloc[turn]}",
            "turning_bin_share": float(regular["share"].iloc[turn]),
            "dev_events_at_turn": f"{int(regular['events'].iloc[turn])}/{int(regular['count'].iloc[turn])}",
            "test_events_at_turn": (f"{int(test_bins['sum'].get(turn, 0))}/"
                                    f"{int(test_bins['size'].get(turn, 0))}"),
            "dev_event_rate_by_bin": " ".join(f"{v:.3f}" for v in regular["event_rate"]),
            "test_event_rate_by_bin": " ".join(
                f"{test_bins['sum'].get(k, 0) / max(test_bins['size'].get(k, 0), 1):.3f}"
                for k in range(b.n_regular)),
        })
    return pd.DataFrame(rows).set_index("feature")


# ----------------------------------------------------------------------------- main
def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design", nargs="*", default=["kit", "expanding"], choices=["kit", "expanding"])
    parser.add_argument("--draws", type=int, default=2000, help="customer-cluster bootstrap draws")
    parser.add_argument("--ablation", action="store_true", help="explain one date (see --ablation-date)")
    parser.add_argument("--ablation-date", default=str(LAST_TEST.date()))
    parser.add_argument("--books", type=int, default=0, help="independent synthetic books (2,000 customers)")
    args = parser.parse_args(argv)

    from sklearn.metrics import roc_auc_score

    import riskkit as rk
    from riskkit.assess import MODEL_FEATURES

    # the weighted AUC of the cluster bootstrap, checked against scikit-learn with ties
    rng = np.random.default_rng(1)
    y_check, s_check = rng.integers(0, 2, 500), rng.integers(0, 20, 500).astype(float)
    assert abs(weighted_auc(y_check, s_check, np.ones((1, 500)))[0] - roc_auc_score(y_check, s_check)) < 1e-12

    data = rk.datasets.load_sample()
    features = list(MODEL_FEATURES)
    start = time.perf_counter()
    sample = book_sample(data)
    print(f"sample book: {len(sample):,} customer-quarters on {sample['as_of'].nunique()} quarter ends "
          f"({time.perf_counter() - start:.1f} s to build)")
    out = {}
    for design in args.design:
        print(f"\n== design {design}: rolling origin, one scorecard per rule and test date")
        start = time.perf_counter()
        table, tests = rolling_origin(sample, design, features)
        seconds = time.perf_counter() - start
        summary = pooled(table, tests, 200 if QUICK else args.draws)
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(table[["dev_rows", "n", "defaults", "auc_monotone", "auc_bootstrap", "auc_cv", "diff_bootstrap",
                         "p_bootstrap", "diff_cv", "p_cv", "turned_bootstrap", "turned_cv",
                         "turned_in_model_cv"]].to_string(float_format=lambda v: f"{v:.4f}"))
            print(f"pooled over the {len(table)} test dates (difference against monotone; customer-cluster "
                  f"bootstrap, {args.draws if not QUICK else 200} draws):")
            print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
        print(f"{design}: {seconds:.0f} s")
        out[design] = {"table": table, "pooled": summary}
    if args.books:
        print(f"\n== {args.books} independent synthetic books of 2,000 customers, tested on {LAST_TEST.date()}")
        table, summary = independent_books(2 if QUICK else args.books, features)
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(table.to_string(float_format=lambda v: f"{v:.4f}"))
            print("pooled over the books (difference against monotone; one-sample t-test over books):")
            print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
        out["books"] = {"table": table, "pooled": summary}
    if args.ablation:
        result = ablation(sample, features, pd.Timestamp(args.ablation_date))
        with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 80):
            print(result.to_string(float_format=lambda v: f"{v:.4f}"))
        out["ablation"] = result
    return out


if __name__ == "__main__":
    main()
