"""One customer's view (riskkit.assess.customer) on the tiny hand-made portfolio.

Every expected number below is worked out by hand from ``tests/conftest.py::tiny_tables``
(as of 2021-06-30 unless said otherwise); the statistical scorecard is replaced by a stub
with a fixed PD so that the grade can be derived by hand from the master scale.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import tiny_tables  # noqa: E402

import riskkit as rk  # noqa: E402
from riskkit.plots.profile import (  # noqa: E402
    plot_altman_z_history,
    plot_expert_contributions,
    plot_payment_history,
)
from riskkit.assess.customer import (  # noqa: E402
    WARNING_CHECKS,
    UnknownCustomerError,
    WarningCheck,
    check_customer,
    customer_view,
    financial_history,
    payment_history,
    showcase_customer,
    warning_signals,
)

AS_OF = "2021-06-30"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


class FixedPDScorecard:
    """Stands in for a fitted Scorecard: the same PD and points for everyone."""

    feature_names_in_ = np.array(["current_dpd", "leverage"], dtype=object)

    def __init__(self, pd_value: float):
        self.pd_value = pd_value

    def predict_proba(self, X):
        p = np.full(len(X), self.pd_value)
        return np.column_stack([1 - p, p])

    def points(self, X):
        return pd.DataFrame({"current_dpd": 10.0, "leverage": 20.0}, index=X.index)

    def total_points(self, X):
        return self.points(X).sum(axis=1).rename("total_points")


@pytest.fixture(scope="module")
def book():
    return rk.data.Portfolio(**tiny_tables())


@pytest.fixture(scope="module")
def c2(book):
    return customer_view(book, "C2", AS_OF, scorecard=FixedPDScorecard(0.02))


def value(table: pd.DataFrame, item: str):
    return table.loc[item, "value"]


# -- unknown ids ------------------------------------------------------------------------------------
def test_unknown_id_names_it_and_suggests_close_matches(book):
    with pytest.raises(UnknownCustomerError, match=r"customer_id 'C11' is not in the portfolio \(3 customers\)"
                       ) as info:
        check_customer(book, "C11", AS_OF)
    # difflib ratio of "C11" and "C1" is 2*2/5 = 0.8; with "C2", "C3" it is 2*1/5 = 0.4 (< 0.6)
    assert info.value.suggestions == ["C1"]
    assert "did you mean 'C1'?" in str(info.value)
    assert info.value.customer_id == "C11"
    assert isinstance(info.value, ValueError)


def test_unknown_id_suggestions_ignore_case(book):
    with pytest.raises(UnknownCustomerError) as info:
        check_customer(book, "c2", AS_OF)
    assert info.value.suggestions[0] == "C2"


def test_unknown_id_without_close_match(book):
    with pytest.raises(UnknownCustomerError, match="no customer id is close to it .ids look like 'C1'.") as info:
        check_customer(book, "NOPE", AS_OF)
    assert info.value.suggestions == []


def test_customer_onboarded_after_as_of(book):
    # C3 was onboarded on 2021-01-10
    with pytest.raises(UnknownCustomerError, match="onboarded on 2021-01-10, after as_of 2020-12-31") as info:
        check_customer(book, "C3", "2020-12-31")
    assert info.value.onboarded == pd.Timestamp("2021-01-10")


def test_missing_id_and_non_string_id(book):
    with pytest.raises(ValueError, match="customer_id is required"):
        check_customer(book, None, AS_OF)
    with pytest.raises(ValueError, match="customer_id is required"):
        check_customer(book, "  ", AS_OF)
    # a number (e.g. from a command line) is compared as text
    with pytest.raises(UnknownCustomerError, match="customer_id '1' is not in the portfolio"):
        check_customer(book, 1, AS_OF)


def test_view_checks_the_id_before_fitting_anything(book):
    # scorecard=None would fit on the book's history, which the tiny book cannot support;
    # the id error must come first
    with pytest.raises(UnknownCustomerError, match="'C9'"):
        customer_view(book, "C9", AS_OF)


# -- the view against hand-checked values ------------------------------------------------------------
def test_rating_grade_and_rule_by_hand(c2):
    # master scale: 7 grades log-spaced from 0.0003 to 0.3: bounds 0.0003 * 1000**(k/6)
    bounds = [0.0003 * 1000 ** (k / 6) for k in range(1, 7)]
    assert bounds[2] <= 0.02 < bounds[3]  # PD 2 % is in [0.949 %, 3 %): BBB
    assert value(c2.rating, "pd") == pytest.approx(0.02)
    assert value(c2.rating, "pd_grade") == "BBB"
    # Altman distress (below) costs a notch: BBB -> BB; no knock-out, no whitelist (private)
    assert value(c2.rating, "grade") == "BB"
    assert value(c2.rating, "rule") == "distress_zone_downgrade"
    assert "distress zone" in value(c2.rating, "rule_description")
    assert value(c2.rating, "knockout") is False and value(c2.rating, "whitelist") is False
    bb_mid = math.sqrt(bounds[3] * bounds[4])  # geometric midpoint of [3 %, 9.49 %)
    assert value(c2.rating, "grade_pd") == pytest.approx(bb_mid)
    assert value(c2.rating, "score") == pytest.approx(30.0)
    assert c2.scorecard_points["points"].to_dict() == {"current_dpd": 10.0, "leverage": 20.0}
    assert c2.scorecard_points.loc["leverage", "value"] == pytest.approx(3.5e6 / 4e6)


def test_financials_and_altman_by_hand(c2):
    fin = c2.financials
    assert list(fin.index) == [pd.Timestamp("2020-12-31")]
    row = fin.iloc[0]
    # X1 = (2.0 - 2.5)/4, X2 = -0.3/4, X3 = -0.1/4, X4 = 0.5/3.5 (millions)
    z = 6.56 * (-0.5 / 4) + 3.26 * (-0.3 / 4) + 6.72 * (-0.1 / 4) + 1.05 * (0.5 / 3.5)
    assert row["altman_z"] == pytest.approx(z) == pytest.approx(-1.0825)
    assert row["altman_zone"] == "distress"
    assert row["current_ratio"] == pytest.approx(0.8)
    assert row["leverage"] == pytest.approx(0.875)
    assert row["interest_cover"] == pytest.approx(-0.1 / 0.2)
    assert row["net_margin"] == pytest.approx(-0.2 / 5)
    assert row["published_date"] == pd.Timestamp("2021-05-15")


def test_financials_are_point_in_time(book):
    # C2's 2020 statement was published on 2021-05-15
    assert financial_history(book, "C2", "2021-05-14").empty
    assert len(financial_history(book, "C2", "2021-05-15")) == 1


def test_expert_score_by_hand(c2):
    contrib = c2.expert_contributions
    # share_overdue and days_to_pay_trend are missing (no open AR; no payments before the
    # last 90 days): their 0.10 of weight is reallocated, so every weight is divided by 0.9
    assert set(contrib.index[contrib["missing"]]) == {"share_overdue", "days_to_pay_trend"}
    points = {
        "days_beyond_terms": (0.15, 100),  # paid two days early: 0 days beyond terms
        "max_dpd": (0.10, 100),  # never past due
        "orders_trend": (0.05, 0),  # no orders in the last 90 days: change -100 %
        "altman_z": (0.10, 0),  # Z'' below 0
        "leverage": (0.05, 0),  # 0.875 > 0.85
        "current_ratio": (0.05, 0),  # 0.8 is in (-inf, 0.8]
        "interest_cover": (0.05, 0),  # -0.5
        "net_margin": (0.05, 25),  # -4 % is in (-5 %, 0]
        "bureau_score": (0.10, 50),  # 560 is in (550, 650]
        "event_severity": (0.05, 35),  # worst adverse event: litigation, severity 3
        "litigation": (0.05, 60),  # one lawsuit
        "company_age": (0.05, 90),  # 11 years
        "ownership": (0.05, 50),  # private
    }
    for name, (weight, pts) in points.items():
        assert contrib.loc[name, "points"] == pts, name
        assert contrib.loc[name, "contribution"] == pytest.approx(weight / 0.9 * pts), name
    expected = sum(w * p for w, p in points.values()) / 0.9  # 43 / 0.9
    assert value(c2.rating, "expert_score") == pytest.approx(expected) == pytest.approx(47.7777778)
    assert contrib["contribution"].sum() == pytest.approx(expected)
    assert value(c2.overview, "expert_score") == pytest.approx(expected)


def test_exposure_by_hand(c2):
    # no open invoice (I3 paid 2021-03-01); order O3 (700) is open
    assert value(c2.exposure, "open_ar") == 0.0
    assert value(c2.exposure, "open_orders") == 700.0
    assert value(c2.exposure, "ead") == 700.0
    assert value(c2.exposure, "utilisation") == pytest.approx(700 / 2e5)
    bb_mid = math.sqrt(0.03 * 0.0003 * 1000 ** (5 / 6))
    assert value(c2.exposure, "expected_loss") == pytest.approx(bb_mid * 0.45 * 700)
    assert value(c2.exposure, "guarantees_given") == 5e4
    assert value(c2.exposure, "guarantees_received") == 1e5


def test_linked_parties_and_network_by_hand(c2):
    links = c2.linked_parties
    # in force on 2021-06-30: P1 holds 30 % of C2; C1 guarantees 100k of C2's debt; C2
    # guarantees 50k of C1's (ends 2022); C1 supplies C2
    got = {(r.party, r.relation, r.role, r.weight) for r in links.itertuples()}
    assert got == {
        ("P1", "shareholding", "shareholder", 0.3),
        ("C1", "guarantee", "guarantor of the customer", 1e5),
        ("C1", "guarantee", "party the customer guarantees", 5e4),
        ("C1", "supply", "supplier of the customer", 2e6),
    }
    assert not links.loc[links["party"] == "P1", "is_customer"].item()
    c1 = links[links["party"] == "C1"]
    # C1 is a central SOE with 85 % state share: whitelisted S
    assert set(c1["grade"]) == {"S"} and set(c1["name"]) == {"Acme Steel Co., Ltd."}
    net = c2.network
    # P1's 30 % does not control C2: C2 is its own group
    assert value(net, "group_id") == "C2" and value(net, "group_size") == 1
    assert value(net, "in_guarantee_circle") is True
    assert value(net, "guarantee_circle_size") == 2
    assert value(net, "n_guarantees_given") == 1 and value(net, "n_guarantees_received") == 1
    assert list(c2.group_members.index) == ["C2"]


def test_a_controlled_customer_is_in_its_controllers_group(book):
    view = customer_view(book, "C1", AS_OF, scorecard=FixedPDScorecard(0.02))
    # P1 holds 60 % of C1: a majority, so P1 controls it
    assert value(view.network, "group_id") == "P1"
    assert value(view.network, "ultimate_controller") == "P1"
    assert value(view.rating, "grade") == "S" and value(view.rating, "rule") == "whitelist_central_soe"


def test_events_and_bureau(c2):
    assert c2.events["category"].tolist() == ["negative_news", "litigation"]  # newest first
    assert c2.events["date"].tolist() == [pd.Timestamp("2021-03-05"), pd.Timestamp("2021-02-10")]
    assert c2.bureau[["score", "delinquencies"]].values.tolist() == [[560.0, 2]]


def test_warnings_by_hand(c2):
    hit = set(c2.warnings.loc[c2.warnings["triggered"], "check"])
    # orders: none in (2021-04-01, 2021-06-30] against 1,100 in the trailing year -> drop
    assert hit == {"orders_drop", "altman_distress_zone", "interest_not_covered", "recent_litigation",
                   "in_guarantee_circle"}
    assert len(c2.warnings) == len(WARNING_CHECKS)
    assert list(c2.triggered_warnings.index) == [c.name for c in WARNING_CHECKS if c.name in hit]
    assert value(c2.overview, "warnings_triggered") == 5
    assert c2.triggered_warnings.loc["interest_not_covered", "observed"] == "interest_cover = -0.5"


def test_knocked_out_individual(book):
    view = customer_view(book, "C3", AS_OF, scorecard=FixedPDScorecard(0.02))
    # I4 (due 2021-03-17) is open: 14 + 30 + 31 + 30 = 105 days past due on 2021-06-30
    assert value(view.overview, "current_dpd") == 105
    assert value(view.rating, "grade") == "D" and value(view.rating, "rule") == "knockout_dpd90"
    assert value(view.exposure, "expected_loss") == pytest.approx(1.0 * 0.45 * 50)
    hit = set(view.warnings.loc[view.warnings["triggered"], "check"])
    # no statement, but an individual is not expected to file one
    assert hit == {"overdue_over_30_days", "weak_or_default_grade"}
    assert view.financials.empty and view.linked_parties.empty


# -- masking ------------------------------------------------------------------------------------------
def test_personal_data_are_masked(book):
    view = customer_view(book, "C3", AS_OF, scorecard=FixedPDScorecard(0.02))
    bg = view.background
    assert value(bg, "name") == "W*** W**"
    assert value(bg, "id_number") == "110" + "*" * 13 + "34"
    assert value(bg, "phone") == "****0303"
    assert value(bg, "email") == "w***@example.com"
    assert value(view.overview, "name") == "W*** W**"
    assert view.group_members["name"].tolist() == ["W*** W**"]
    raw = customer_view(book, "C3", AS_OF, scorecard=FixedPDScorecard(0.02), unmask=True)
    assert value(raw.background, "name") == "Wang Wei"
    assert value(raw.background, "phone") == "+86 138 0000 0303"


def test_linked_individuals_are_masked():
    tables = tiny_tables()
    extra = pd.DataFrame({"src": ["C3"], "dst": ["C2"], "type": ["guarantee"], "weight": [1e3],
                          "start": pd.to_datetime(["2021-01-15"]).astype("datetime64[ns]"),
                          "end": pd.Series([pd.NaT], dtype="datetime64[ns]")})
    tables["relations"] = pd.concat([tables["relations"], extra], ignore_index=True)
    view = customer_view(rk.data.Portfolio(**tables), "C2", AS_OF, scorecard=FixedPDScorecard(0.02))
    c3 = view.linked_parties[view.linked_parties["party"] == "C3"]
    assert c3["name"].tolist() == ["W*** W**"]
    assert c3["role"].tolist() == ["guarantor of the customer"]
    # an enterprise's name is public register data and stays
    assert "Acme Steel Co., Ltd." in set(view.linked_parties["name"])


# -- monthly payment history --------------------------------------------------------------------------
def test_payment_history_by_hand(book):
    h = payment_history(book, "C1", AS_OF)
    # I1: 1,000 issued 2021-01-10, due 03-11, paid 03-20 (69 days to pay, 9 beyond terms);
    # I2: 2,500 issued 2021-03-01, due 04-30, open
    assert [str(m) for m in h.index] == ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06"]
    assert h["invoiced_amount"].tolist() == [1000.0, 0.0, 2500.0, 0.0, 0.0, 0.0]
    assert h["n_invoices"].tolist() == [1, 0, 1, 0, 0, 0]
    assert h["paid_amount"].tolist() == [0.0, 0.0, 1000.0, 0.0, 0.0, 0.0]
    assert h.loc["2021-03", "weighted_days_to_pay"] == 69.0
    assert h.loc["2021-03", "weighted_days_beyond_terms"] == 9.0
    assert h["weighted_days_to_pay"].isna().tolist() == [True, True, False, True, True, True]
    assert h["open_ar"].tolist() == [1000.0, 1000.0, 2500.0, 2500.0, 2500.0, 2500.0]
    # I2 is due 04-30: 0 days past due on 04-30, 31 on 05-31, 61 on as_of
    assert h["overdue_ar"].tolist() == [0.0, 0.0, 0.0, 0.0, 2500.0, 2500.0]
    assert h["max_dpd"].tolist() == [0, 0, 0, 0, 31, 61]
    assert h["measured_on"].iloc[-1] == pd.Timestamp(AS_OF)
    # the last month agrees with the profile on as_of
    profile = rk.profile.build_profile(book, AS_OF)
    assert h["max_dpd"].iloc[-1] == profile.loc["C1", "current_dpd"]
    assert h["open_ar"].iloc[-1] == profile.loc["C1", "ar_open"]


def test_payment_history_is_point_in_time(book):
    # on 2021-03-15 the payment of I1 (2021-03-20) has not happened: I1 is 4 days past due
    h = payment_history(book, "C1", "2021-03-15")
    assert h.index[-1] == pd.Period("2021-03", "M")
    last = h.iloc[-1]
    assert last["measured_on"] == pd.Timestamp("2021-03-15")
    assert (last["open_ar"], last["overdue_ar"], last["max_dpd"]) == (3500.0, 1000.0, 4)
    assert last["n_paid"] == 0 and np.isnan(last["weighted_days_to_pay"])


def test_payment_history_window_and_bad_months(book):
    h = payment_history(book, "C1", AS_OF, months=2)
    assert [str(m) for m in h.index] == ["2021-05", "2021-06"]
    # invoices issued before the window still count in the month-end state
    assert h["open_ar"].tolist() == [2500.0, 2500.0]
    with pytest.raises(ValueError, match="months must be a positive"):
        payment_history(book, "C1", AS_OF, months=0)
    with pytest.raises(UnknownCustomerError):
        payment_history(book, "C7", AS_OF)


def test_weighted_days_are_amount_weighted():
    tables = tiny_tables()
    tables["invoices"] = pd.DataFrame({
        "invoice_id": ["A", "B"], "customer_id": ["C2", "C2"],
        "issue_date": pd.to_datetime(["2021-02-01", "2021-02-05"]).astype("datetime64[ns]"),
        "due_date": pd.to_datetime(["2021-03-03", "2021-03-07"]).astype("datetime64[ns]"),
        "amount": [100.0, 300.0],
        "paid_date": pd.to_datetime(["2021-03-13", "2021-03-07"]).astype("datetime64[ns]"),
        "paid_amount": [100.0, 300.0],
    })
    h = payment_history(rk.data.Portfolio(**tables), "C2", AS_OF)
    march = h.loc["2021-03"]
    # A: 40 days to pay, 10 beyond terms; B: 30 days, 0 beyond
    assert march["weighted_days_to_pay"] == pytest.approx((100 * 40 + 300 * 30) / 400)
    assert march["weighted_days_beyond_terms"] == pytest.approx(100 * 10 / 400)
    assert march["max_days_beyond_terms"] == 10.0
    assert march["n_paid"] == 2


# -- showcase customer ---------------------------------------------------------------------------------
def test_showcase_customer(book):
    # only C2 has litigation; its statement is published on 2021-05-15
    assert showcase_customer(book, AS_OF) == "C2"
    # before that nobody qualifies: highest EAD overall on 2021-05-01 is C1 (I2 open, 2,500)
    assert showcase_customer(book, "2021-05-01") == "C1"
    with pytest.raises(ValueError, match="no customer was onboarded"):
        showcase_customer(book, "2018-12-31")


# -- warning signals -----------------------------------------------------------------------------------
def test_warning_signals_semantics():
    facts = pd.DataFrame({"current_dpd": [45, 0, np.nan], "grade": ["CCC", "A", "D"]},
                         index=pd.Index(["A", "B", "C"], name="customer_id"))
    checks = [WarningCheck("late", "current_dpd > 30", "late", "call"),
              WarningCheck("weak", "grade in ['CCC', 'D']", "weak", "review")]
    out = warning_signals(facts, checks)
    assert out["customer_id"].tolist() == ["A", "A", "B", "B", "C", "C"]
    assert out["triggered"].tolist() == [True, True, False, False, False, True]  # NaN compares False
    assert out.loc[4, "observed"] == "current_dpd = missing"
    with pytest.raises(KeyError, match="'late'.*absent from facts.*current_dpd"):
        warning_signals(facts.drop(columns="current_dpd"), checks)
    with pytest.raises(ValueError, match="warning check 'bad'"):
        warning_signals(facts, [WarningCheck("bad", "current_dpd + 1 > 2", "", "")])


def test_default_checks_parse():
    for check in WARNING_CHECKS:
        rk.scoring.parse_condition(check.condition, check.name)
    assert len({c.name for c in WARNING_CHECKS}) == len(WARNING_CHECKS)


# -- figures -----------------------------------------------------------------------------------------
def test_plots_draw_the_data(c2, book):
    history = payment_history(book, "C1", AS_OF)
    fig, ax = plt.subplots()
    assert plot_payment_history(history, 60, ax=ax) is ax
    heights = [p.get_height() for p in ax.patches]
    assert heights == history["invoiced_amount"].tolist()
    days_ax = [a for a in fig.axes if a is not ax][0]
    terms = [line for line in days_ax.get_lines() if "payment terms" in line.get_label()]
    assert terms and list(terms[0].get_ydata()) == [60, 60]
    plt.close(fig)

    ax = plot_altman_z_history(c2.financials)
    assert ax.get_lines()[-1].get_ydata()[0] == pytest.approx(-1.0825)
    plt.close(ax.figure)

    ax = plot_expert_contributions(c2.expert_contributions)
    assert "47.8 of 100" in ax.get_title()
    plt.close(ax.figure)

    with pytest.raises(KeyError, match="invoiced_amount"):
        plot_payment_history(pd.DataFrame({"x": [1]}))
    # the plots package exposes them by name
    assert rk.plots.plot_payment_history is plot_payment_history


def test_repr(c2):
    assert repr(c2) == "CustomerView('C2', as_of=2021-06-30, grade='BB', 5 warning(s) triggered)"


# -- the notebook with an unknown id --------------------------------------------------------------------
def test_notebook_with_unknown_customer_stops_with_the_error(tmp_path):
    # an unknown id is an error (the CLI refuses it before a kernel starts; papermill stops at
    # the first cell that needs the customer, naming it), never eleven empty sections
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "customer_profile_nope.ipynb"
    with pytest.raises(papermill.PapermillExecutionError, match="customer_id 'NOPE' is not in the portfolio"):
        papermill.execute_notebook(str(NOTEBOOKS / "customer_profile.ipynb"), str(out), cwd=str(NOTEBOOKS),
                                   kernel_name="python3", parameters={"customer_id": "NOPE"}, progress_bar=False)


def test_limit_and_terms_are_those_in_force_on_as_of():
    # C2's customers table says 200,000 at 30 days (today); on 2021-05-01 a cut to 80,000
    # at 30 days took effect, and a raise to 300,000 at 45 days only on 2021-09-01
    decisions = pd.DataFrame({
        "customer_id": ["C2", "C2", "C2"],
        "effective_date": pd.to_datetime(["2020-02-01", "2021-05-01", "2021-09-01"]).astype("datetime64[ns]"),
        "credit_limit": [150_000.0, 80_000.0, 300_000.0], "payment_terms_days": [45, 30, 45],
        "reason": ["onboarding", "deterioration", "improvement"], "decided_by": ["a", "b", "a"]})
    book = rk.data.Portfolio(**tiny_tables(), credit_decisions=decisions)
    view = customer_view(book, "C2", AS_OF, scorecard=FixedPDScorecard(0.02))
    assert value(view.background, "credit_limit") == 80_000.0
    assert value(view.background, "payment_terms_days") == 30
    assert value(view.overview, "credit_limit") == 80_000.0
    assert value(view.exposure, "utilisation") == pytest.approx(700 / 80_000.0)
    assert view.payment_terms_days == 30.0


def test_customer_without_records(book):
    tables = tiny_tables()
    for name in ("invoices", "events", "bureau"):
        tables[name] = tables[name][tables[name]["customer_id"] != "C3"]
    tables["defaults"] = tables["defaults"].iloc[:0]
    view = customer_view(rk.data.Portfolio(**tables), "C3", AS_OF, scorecard=FixedPDScorecard(0.02))
    # one (the as_of) month with nothing in it
    assert [str(m) for m in view.payment_history.index] == ["2021-06"]
    assert view.payment_history[["n_invoices", "open_ar", "max_dpd"]].iloc[0].tolist() == [0, 0.0, 0]
    assert view.events.empty and view.bureau.empty and view.financials.empty
    assert value(view.rating, "grade") == "BBB"  # PD 2 % and no rule other than the master scale
