"""Benchmark: the WoE shape rules on the kit's customer book, tested out of time.

The German Credit benchmark (``bench_german_shapes.py``) compares shape rules on random
70/30 splits of one cross-section.  A scorecard on a customer book is developed on past
observation dates and used on later ones, so this script develops
``riskkit.assess.develop_scorecard_out_of_time`` on the sample book (observation dates
before 2024-12-31, 5,081 customer-years) with three binners and prints the out-of-time AUC
on 2024-12-31 and the features that turn:

* ``auto_monotone``: ascending or descending only;
* ``WoEBinner()``: the default, ``shape_selection="bootstrap"``;
* ``WoEBinner(shape_selection="cv")``: the cross-validated rule.

Run: ``PYTHONPATH=. .venv/bin/python bench/bench_shape_rules_book.py``
"""

from __future__ import annotations

import time
import warnings

from _results import emit

import riskkit as rk
from riskkit.scoring import Scorecard, WoEBinner


def main() -> None:
    from sklearn.metrics import roc_auc_score

    data = rk.datasets.load_sample()
    base = rk.assess.develop_scorecard_out_of_time(data, "2024-12-31")
    X_train, y_train = base.X_train, base.y_train.astype(int)
    X_test, y_test = base.X_test, base.y_test.astype(int)
    print(f"sample book: development {len(X_train):,} customer-years "
          f"({base.development['customer_id'].nunique():,} customers, "
          f"{base.development['as_of'].nunique()} dates, {int(y_train.sum())} defaults); out-of-time test "
          f"2024-12-31: {len(X_test):,} customers, {int(y_test.sum())} defaults")
    for label, binner in (("monotone only", WoEBinner(monotonic_trend="auto_monotone")),
                          ("default (bootstrap)", WoEBinner()),
                          ("cv", WoEBinner(shape_selection="cv"))):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            card = Scorecard(binner=binner).fit(X_train, y_train)
        seconds = time.perf_counter() - start
        auc = roc_auc_score(y_test, card.predict_proba(X_test)[:, 1])
        summary = card.binner_.summary().set_index("feature")
        turned = list(summary.index[summary["shape"].isin(["peak", "valley"])])
        print(f"{label:22s} out-of-time AUC {auc:.4f}; {len(turned)} features turn: {turned}")
        emit(f"scorecard fit, sample book, binner {label}", seconds, out_of_time_auc=round(float(auc), 4),
             turned=len(turned))


if __name__ == "__main__":
    main()
