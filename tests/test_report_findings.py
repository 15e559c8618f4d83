"""Key findings of the reports, from hand-built tables: every figure in a sentence is
counted or computed here by hand, not taken from the code under test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_tables

import riskkit as rk
from riskkit.assess import (
    contagion_findings,
    customer_findings,
    scorecard_findings,
    shape_sentence,
    thin_turn_sentence,
    validation_findings,
)
from riskkit.scoring.binning import FeatureBinning


def test_shape_sentence_names_every_shape_chosen():
    text = shape_sentence({"dpd": "descending", "liquidity": "ascending", "age": "peak", "size": "descending"})
    assert text == ("WoE shapes chosen for the 4 model features: ascending for liquidity; descending for dpd and "
                    "size; peak for age; 1 feature turns once (peak or valley).")
    assert "no feature turns" in shape_sentence({"x": "ascending"})


def test_validation_findings_count_red_on_the_latest_sample():
    verdicts = pd.DataFrame({
        "sample": ["2024", "2024", "2024", "2024", "2024", "2023", "2023", "over time"],
        "test": ["binomial", "binomial", "psi", "auc", "ks", "binomial", "auc", "normal"],
        "scope": ["grade A", "grade B", "score", "score", "score", "grade A", "score", "portfolio"],
        "verdict": ["red", "red", "amber", "green", "n/a", "red", "green", "green"],
    })
    discrimination = pd.DataFrame({
        "auc": [0.9, 0.8, 0.75], "ci_lower": [np.nan, 0.7, 0.70], "ci_upper": [np.nan, 0.9, 0.80],
        "auc_verdict": [np.nan, "green", "amber"], "ecb_pvalue": [np.nan, np.nan, 0.012],
        "ecb_verdict": [np.nan, np.nan, "red"]}, index=["development (in-sample)", "2023", "2024"])
    overview = pd.DataFrame({"obligors": [1000], "defaults": [40], "default_rate": [0.04], "mean_pd": [0.02]},
                            index=["2024"])
    outperform = pd.DataFrame({"group": ["2024"], "challenger": ["gbm"], "verdict": ["green"]})
    out = validation_findings(verdicts, discrimination, overview, {"x": "valley"}, "2024", outperform=outperform)
    # latest: 4 rated rows (n/a left out), 2 red (binomial twice), 1 amber; all: 7 rated, 3 red, 1 amber
    assert out[0] == ("On the latest sample (2024) 2 of 4 rated checks are red and 1 amber: red binomial (grade A, grade B); "
                      "over all 3 samples and periods 3 of 7 checks are red and 1 amber.")
    assert out[1] == ("The AUC on 2024 is 0.750 (95% CI 0.700 to 0.800) against 0.900 in-sample; its level is "
                      "amber and the ECB test against the reference AUC is red (p = 0.012).")
    assert out[2].endswith("2.00% against an observed one-year default rate of 4.00% (40 defaults among 1,000 "
                           "obligors): below it (too low).")
    assert out[3] == "No challenger (gbm) beats the champion significantly on any sample."
    assert out[4].startswith("WoE shapes chosen for the 1 model feature: valley for x")


def test_scorecard_findings():
    outcome = pd.DataFrame({"observations": [700, 300], "bads": [210, 90], "bad_rate": [0.3, 0.3]},
                           index=["train", "test"])
    discrimination = pd.DataFrame({"auc": [0.82, 0.79], "auc_ci_lower": [0.78, 0.74],
                                   "auc_ci_upper": [0.86, 0.84], "gini": [0.64, 0.58]}, index=["train", "test"])
    iv = pd.DataFrame({"iv": [0.64, 0.2, 0.01], "band": ["strong", "medium", "useless"],
                       "selection": ["in the model", "in the model", "dropped at iv"]}, index=["a", "b", "c"])
    challenger = pd.DataFrame({"auc_scorecard": [0.79], "auc_challenger": [0.81], "pvalue": [0.2]})
    out = scorecard_findings(outcome, discrimination, iv, {"a": "descending", "b": "peak"}, "train", "test",
                             challenger)
    assert out[0] == ("On the test sample the scorecard reaches an AUC of 0.790 (95% CI 0.740 to 0.840, Gini 0.580) "
                      "against 0.820 on the train sample; the test AUC is inside the development AUC's interval "
                      "(Gini gap +0.060).")
    assert out[1] == "Developed on 700 observations with 210 bads (30.0%) and tested on 300 with 90 bads (30.0%)."
    assert out[2] == ("2 of 3 candidate features entered the model; the strongest is a (IV 0.640, strong); "
                      "a has an IV above 0.5, which on real data is a reason to check for leakage.")
    assert "descending for a; peak for b; 1 feature turns once" in out[3]
    assert "finds no significant difference at 5%" in out[4]


def test_contagion_findings():
    groups = pd.DataFrame({"n_customers": [1, 3, 2], "ead": [50e6, 30e6, 20e6]}, index=["G1", "G2", "G3"])
    circles = pd.DataFrame({"size": [3, 4], "n_customers": [2, 4], "members": [["a"], ["b"]]}, index=[0, 1])
    circle_ead = pd.Series([1e6, 4e6], index=[0, 1])
    ranking = pd.DataFrame({"is_customer": [False, True], "debtrank": [0.05, 0.01], "n_exposed": [3, 1]},
                           index=["P9", "C1"])
    totals = {"initial_defaults": 1, "contagion_defaults": 2, "distressed": 1, "loss_total": 4.5e6}
    network = pd.DataFrame({"target": ["contagion_default"] * 2 + ["default"] * 2,
                            "model": ["stand-alone", "network"] * 2, "auc": [0.5, 0.7, 0.76, 0.77],
                            "n_events": [4, 4, 52, 52]})
    out = contagion_findings(groups, 200e6, circles, circle_ead, ranking, totals, "x defaults", network)
    # groups of >1 customers: G2 + G3 = 50 m of 200 m
    assert out[0] == ("2 control groups of two or more customers hold 25.0% of the exposure at default; the "
                      "largest, G2 (3 customers), holds 30.0 m (15.0%).")
    assert out[1] == ("2 guarantee circles link 6 of our customers with 5.0 m of exposure; the largest has 4 "
                      "parties and 4.0 m of exposure.")
    assert out[2].startswith("The most systemically important party is external party P9: its default would take "
                             "5.0% of the network's value (DebtRank) and hits 3 direct creditors.")
    assert "1 initial default(s) cause 2 contagion default(s) and 1 distressed party; our loss at a 45% LGD is 4.5 m" \
        in out[3]
    assert "4 defaults caused by a linked party" in out[4] and "AUC of 0.700 against 0.500" in out[4]


def test_customer_findings():
    overview = pd.Series({"customer_id": "C7", "name": "Acme", "industry": "retail", "grade": "BB",
                          "rule": "master_scale", "pd": 0.0123, "expert_score": 55.0, "current_dpd": 12,
                          "altman_zone": "grey"})
    rating = pd.Series({"rule_description": "grade of the PD", "pd_grade": "BB"})
    exposure = pd.Series({"ead": 12e6, "credit_limit": 10e6, "utilisation": 1.2, "expected_loss": 0.1e6,
                          "group_exposure": 20e6})
    triggered = pd.DataFrame({"observed": ["dpd = 12"], "next_step": ["Call the customer"]}, index=["late"])
    out = customer_findings(overview, rating, exposure, triggered)
    assert out[0].startswith("Customer C7 (Acme, retail) is graded BB by the rule 'master_scale'")
    assert "PD is 1.23%" in out[0]
    assert out[1] == ("Exposure at default is 12.0 m against a credit limit of 10.0 m (120% used; over the limit); "
                      "the one-year expected loss is 0.1 m and its control group owes us 20.0 m in all.")
    assert out[2] == "It is 12 days past due today and the latest Altman Z'' is in the grey zone."
    assert out[3] == "1 warning signal fires: late (dpd = 12): Call the customer."


def test_data_key_findings_on_a_tiny_book():
    tables = tiny_tables()
    tables["customers"].loc[2, "onboarded"] = pd.Timestamp("2020-12-01")   # C3 in the 2021 cohort
    portfolio = rk.data.Portfolio(**tables)
    out = rk.data.key_findings(portfolio, "2020-06-30")
    assert out[0] == "All data-model rules hold for the 22 records of 9 tables."
    # on 2020-06-30: C1 (2019-01-01), C2 (2020-02-01); records dated 2021-01-01 .. 2021-06-15
    assert out[1] == ("On 2020-06-30 2 of the 3 customers were on the book; the dated records run from 2021-01-01 "
                      "to 2021-06-15.")
    # 2021 cohort C1, C2, C3; C3 defaults 2021-06-15: 1 / 3
    assert out[2] == ("One-year cohort default rates range from 33.3% (2021) to 33.3% (2021); 1 customer "
                      "defaulted in all, most often by dpd90 (1 default).")
    # retail C2, C3: 1 of 2; manufacturing C1: 0 of 1
    assert out[3] == ("By industry, retail has the highest default rate (50.0% of 2 customer-years) and "
                      "manufacturing the lowest (0.0% of 1).")
    violations = pd.DataFrame({"table": ["invoices"] * 3, "column": ["amount"] * 3, "check": ["non_negative"] * 3})
    assert rk.data.key_findings(portfolio, "2020-06-30", violations)[0].startswith(
        "1 data-model check fails on 3 rows: invoices.amount non_negative (3 rows)")


@pytest.mark.slow
def test_scorecard_development_findings_name_the_shape_of_every_model_feature():
    data = rk.datasets.load_german_credit()
    dev = rk.assess.develop_scorecard_holdout(data.drop(columns="bad"), data["bad"], test_size=0.3, seed=42)
    summary = dev.scorecard.binner_.summary().set_index("feature")["shape"]
    findings = dev.key_findings()
    shapes = next(s for s in findings if s.startswith("WoE shapes chosen"))
    assert f"for the {len(dev.scorecard.features_)} model features" in shapes
    for shape in set(summary[list(dev.scorecard.features_)]):
        names = [f for f in dev.scorecard.features_ if summary[f] == shape]
        assert f"{shape} for {names[0]}" in shapes
    assert all(f in shapes for f in dev.scorecard.features_)
    # the test-sample AUC quoted is sklearn's on the scorecard's test PDs
    from sklearn.metrics import roc_auc_score
    assert f"AUC of {roc_auc_score(dev.y_test, dev.pd_test()):.3f}" in findings[0]


# -- turns resting on few events ----------------------------------------------------------

def _binning(events, woe, trend):
    """A numeric binning with len(events) regular bins and an empty missing bin."""
    events = np.array([*events, 0], dtype=float)
    return FeatureBinning(name="x", kind="numeric", splits=[float(i) for i in range(1, len(woe))],
                          nonevents=np.full(events.size, 100.0), events=events,
                          woe=np.array([*woe, 0.0]), trend=trend)


@pytest.mark.parametrize("events, woe, trend, expected", [
    # the sample book's cash_ratio: a peak at the sixth bin, 84+62+24+16+12 = 198 events
    # before it, 7 after it, 1 in it
    ([84, 62, 24, 16, 12, 1, 7], [-2.22, -0.99, 0.03, 0.26, 1.16, 3.65, 1.99], "peak", 7),
    # a valley at the third bin: 3+16 before, 57+42+23 after
    ([3, 16, 63, 57, 42, 23], [2.3, 0.05, -0.9, -0.12, 0.2, 0.4], "valley", 19),
    ([5, 5, 5], [-1.0, 0.0, 1.0], "ascending", None),
])
def test_turn_events_counts_the_thinner_side_of_the_turn(events, woe, trend, expected):
    assert _binning(events, woe, trend).turn_events == expected


def test_thin_turn_sentence_names_only_turns_below_the_bar():
    shapes = {"cash": "peak", "dso": "peak", "age": "valley", "dpd": "descending"}
    events = {"cash": 7, "dso": 42, "age": 1, "dpd": None}
    assert thin_turn_sentence(shapes, events, min_turn_events=10) == (
        "2 turns rest on fewer than 10 development events on their thinner side: the peak of cash (7 events) "
        "and the valley of age (1 event); such a turn may not hold on later data, so check it out of time or "
        "force the feature monotone.")
    assert thin_turn_sentence(shapes, events, min_turn_events=5) == (
        "One turn rests on fewer than 5 development events on its thinner side: the valley of age (1 event); "
        "such a turn may not hold on later data, so check it out of time or force the feature monotone.")
    assert thin_turn_sentence(shapes, events, min_turn_events=1) is None


def test_scorecard_findings_add_the_thin_turns_after_the_shapes():
    outcome = pd.DataFrame({"observations": [700, 300], "bads": [210, 90], "bad_rate": [0.3, 0.3]},
                           index=["train", "test"])
    discrimination = pd.DataFrame({"auc": [0.82, 0.79], "auc_ci_lower": [0.78, 0.74],
                                   "auc_ci_upper": [0.86, 0.84], "gini": [0.64, 0.58]}, index=["train", "test"])
    iv = pd.DataFrame({"iv": [0.3, 0.2], "band": ["strong", "medium"],
                       "selection": ["in the model", "in the model"]}, index=["a", "b"])
    shapes = {"a": "descending", "b": "peak"}
    thin = scorecard_findings(outcome, discrimination, iv, shapes, "train", "test", turn_events={"a": None, "b": 3})
    thick = scorecard_findings(outcome, discrimination, iv, shapes, "train", "test", turn_events={"a": None, "b": 50})
    assert len(thin) == len(thick) + 1 and thin[:4] == thick
    # the default bar is the binner's: a turn the default binner would not consider
    assert thin[4].startswith("One turn rests on fewer than 50 development events") and "peak of b (3 events)" in thin[4]
    assert scorecard_findings(outcome, discrimination, iv, shapes, "train", "test", turn_events={"a": None, "b": 49},
                              min_turn_events=10) == thick


def test_scorecard_development_names_its_thin_turns():
    data = rk.datasets.load_german_credit()
    dev = rk.assess.develop_scorecard_holdout(data.drop(columns="bad"), data["bad"], test_size=0.3, seed=42)
    # the events on each side of every turn, read from the binning tables, not from turn_events
    thinner = {}
    for f in dev.scorecard.features_:
        table = dev.scorecard.binner_.binnings_[f].table()
        regular = table.iloc[:dev.scorecard.binner_.binnings_[f].n_regular]
        shape = table["shape"].iloc[0]
        if shape in ("peak", "valley"):
            turn = regular["woe"].idxmax() if shape == "peak" else regular["woe"].idxmin()
            thinner[f] = min(regular.loc[:turn - 1, "events"].sum(), regular.loc[turn + 1:, "events"].sum())
    assert thinner, "the German Credit scorecard has no turning feature any more: pick another example"
    bar = max(thinner.values()) + 1  # every turn is thinner than this
    findings = dev.key_findings(min_turn_events=bar)
    sentence = next(s for s in findings if "development events on" in s)
    for f, n in thinner.items():
        assert f"of {f} ({n} event" in sentence
    assert not any("development events on" in s for s in dev.key_findings(min_turn_events=min(thinner.values())))
