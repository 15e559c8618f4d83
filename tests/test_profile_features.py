"""build_profile against hand computations on a small hand-made Portfolio.

Dates are written as ``d(k)`` = as_of + k days so that every window test can be read off
directly (as_of = 2024-06-30; windows are (as_of - w, as_of]).

Customers: A has a full history, B has nothing but its customer row, E pays late and has
zero denominators in its statement, C is onboarded after as_of (not profiled).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit.data import Portfolio
from riskkit.profile import FEATURES, build_profile, feature_table
from riskkit.profile.financials import altman_zone

AS_OF = pd.Timestamp("2024-06-30")


def d(k: int) -> pd.Timestamp:
    return AS_OF + pd.Timedelta(days=k)


def ts(*values) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def make_customers() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["A", "B", "C", "E"],
        "name": ["Alpha Co", "Beta Ltd", "Gamma", "Epsilon"],
        "kind": ["enterprise", "individual", "enterprise", "enterprise"],
        "industry": ["manufacturing", "retail", "retail", "construction"],
        "region": ["east", "north", "west", "south"],
        "ownership_type": ["local_soe", "individual", "private", "private"],
        "state_ownership_pct": [51.0, 0.0, 0.0, 0.0],
        "registered_capital": [5e6, 0.0, 1e6, 2e6],
        "founded": ts("2014-06-30", None, "2010-01-01", "2020-06-30"),
        "onboarded": ts("2019-06-30", "2024-06-30", "2024-07-15", "2023-06-30"),
        "payment_terms_days": [30, 0, 60, 30],
        "credit_limit": [25500.0, 10000.0, 5000.0, 0.0],
    })


def make_invoices() -> pd.DataFrame:
    nat = pd.NaT
    rows = [
        # id, customer, issue, due, amount, paid_date, paid_amount
        ("I1", "A", d(-400), d(-370), 5000.0, d(-380), 5000.0),    # paid before the window
        ("I2", "A", d(-300), d(-270), 1000.0, d(-250), 1000.0),    # dtp 50, beyond 20
        ("I3", "A", d(-200), d(-170), 3000.0, d(-175), 3000.0),    # dtp 25, beyond -5 -> 0
        ("I4", "A", d(-100), d(-70), 2000.0, d(-30), 2000.0),      # dtp 70, beyond 40, recent
        ("I5", "A", d(-110), d(-80), 500.0, nat, 0.0),             # open, dpd 80
        ("I6", "A", d(-10), d(20), 4000.0, nat, 0.0),              # open, dpd -20
        ("I7", "A", d(-45), d(-15), 1500.0, nat, 0.0),             # open, dpd 15
        ("I8", "A", d(-125), d(-95), 250.0, nat, 0.0),             # open, dpd 95
        ("I9", "A", d(-70), d(-40), 800.0, nat, 0.0),              # open, dpd 40
        ("I10", "A", d(-60), d(-30), 600.0, d(0), 600.0),          # paid on as_of: dtp 60, beyond 30
        ("I11", "A", d(-5), d(25), 700.0, d(3), 700.0),            # paid after as_of: open, dpd -25
        ("I12", "A", d(10), d(40), 9999.0, nat, 0.0),              # issued after as_of
        ("I13", "A", d(-365), d(-335), 900.0, d(-300), 900.0),     # issued on the window edge
        ("E1", "E", d(-200), d(-170), 1000.0, d(-100), 1000.0),    # dtp 100, beyond 70
        ("E2", "E", d(-20), d(10), 2000.0, nat, 0.0),              # open, dpd -10
        ("E3", "E", d(5), d(35), 3000.0, nat, 0.0),                # issued after as_of
        ("C1", "C", d(20), d(80), 100.0, nat, 0.0),                # customer C onboarded later
    ]
    df = pd.DataFrame(rows, columns=["invoice_id", "customer_id", "issue_date", "due_date",
                                     "amount", "paid_date", "paid_amount"])
    for c in ("issue_date", "due_date", "paid_date"):
        df[c] = df[c].astype("datetime64[ns]")
    return df


def make_orders() -> pd.DataFrame:
    nat = pd.NaT
    rows = [
        ("O1", "A", d(-30), 1000.0, "fulfilled", d(-20)),
        ("O2", "A", d(-200), 3000.0, "fulfilled", d(-150)),
        ("O3", "A", d(-60), 500.0, "cancelled", d(-50)),    # cancelled by as_of: left out
        ("O4", "A", d(-10), 800.0, "cancelled", d(5)),      # cancelled after as_of: counts
        ("O5", "A", d(-365), 10000.0, "fulfilled", d(-300)),  # on the window edge: out
        ("O6", "A", d(3), 7000.0, "open", nat),             # placed after as_of
        ("O7", "A", d(-300), 4200.0, "open", nat),
        ("OE1", "E", d(-300), 4000.0, "fulfilled", d(-290)),
    ]
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount", "status",
                                     "closed_date"])
    for c in ("order_date", "closed_date"):
        df[c] = df[c].astype("datetime64[ns]")
    return df


FIN_COLUMNS = ["customer_id", "period_end", "published_date", "revenue", "ebit", "net_income",
               "total_assets", "total_liabilities", "current_assets", "current_liabilities",
               "retained_earnings", "equity", "cash", "interest_expense"]


def make_financials() -> pd.DataFrame:
    rows = [
        ("A", "2022-12-31", "2023-04-30", 10000, 500, 300, 9000, 6000, 4000, 4000, 1000, 3000, 100, 200),
        ("A", "2023-12-31", "2024-04-30", 20000, 2000, 1200, 16000, 10000, 8000, 5000, 3000, 6000, 1000, 500),
        # period before as_of but published after it: unknown on as_of
        ("A", "2024-03-31", "2024-07-31", 1, -999, -999, 1, 1, 0, 1, -5, 0, 0, 1),
        # zero denominators: revenue, interest expense and total liabilities are 0
        ("E", "2023-12-31", "2024-03-31", 0, 100, 50, 1000, 0, 500, 250, 200, 1000, 50, 0),
    ]
    df = pd.DataFrame(rows, columns=FIN_COLUMNS)
    for c in ("period_end", "published_date"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    for c in FIN_COLUMNS[3:]:
        df[c] = df[c].astype("float64")
    return df


def make_events() -> pd.DataFrame:
    rows = [
        ("V1", "A", d(-10), "litigation", 3),
        ("V2", "A", d(-200), "litigation", 4),
        ("V3", "A", d(-100), "tax", 2),
        ("V4", "A", d(-5), "positive_news", 5),      # not adverse: not in the totals
        ("V5", "A", d(1), "enforcement", 5),         # after as_of
        ("V6", "A", d(-365), "penalty", 1),          # on the window edge: out
        ("V7", "E", d(-90), "negative_news", 2),     # exactly 90 days back: 365d only
    ]
    df = pd.DataFrame(rows, columns=["event_id", "customer_id", "date", "category", "severity"])
    df["date"] = df["date"].astype("datetime64[ns]")
    df["source"] = "court"
    df["text"] = "t"
    return df


def make_bureau() -> pd.DataFrame:
    rows = [
        ("A", "2023-06-30", "alpha", 600.0, 0, 1),
        ("A", "2024-01-31", "alpha", 640.0, 1, 2),
        ("A", "2024-01-31", "beta", 70.0, 2, 3),
        ("A", "2024-03-31", "beta", 75.0, 0, 0),
        ("A", "2024-05-31", "alpha", 620.0, 2, 4),   # latest date, ties with beta: alpha wins
        ("A", "2024-05-31", "beta", 72.0, 9, 9),
        ("A", "2024-07-15", "alpha", 500.0, 5, 5),   # after as_of
        ("E", "2024-06-30", "beta", 80.0, 0, 1),     # on as_of, only report
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "report_date", "source", "score",
                                     "delinquencies", "inquiries"])
    df["report_date"] = pd.to_datetime(df["report_date"]).astype("datetime64[ns]")
    return df


def make_portfolio(**overrides) -> Portfolio:
    tables = dict(customers=make_customers(), invoices=make_invoices(), orders=make_orders(),
                  financials=make_financials(), events=make_events(), bureau=make_bureau())
    tables.update(overrides)
    return Portfolio(**tables)


@pytest.fixture(scope="module")
def profile() -> pd.DataFrame:
    return build_profile(make_portfolio(), AS_OF)


# ---------------------------------------------------------------------------- shape


def test_rows_are_customers_onboarded_by_as_of(profile):
    # C is onboarded 2024-07-15 > as_of; B is onboarded on as_of itself (included)
    assert profile.index.tolist() == ["A", "B", "E"]
    assert profile.index.name == "customer_id"


def test_columns_are_documented_in_features(profile):
    assert list(profile.columns) == list(FEATURES)
    table = feature_table()
    assert list(table.index) == list(profile.columns)
    assert set(table["group"]) == {"payment", "orders", "financials", "events", "bureau", "static"}
    assert table["definition"].str.len().min() > 5
    assert table["unit"].notna().all()


def test_contract_columns_present(profile):
    contract = """dso_days weighted_days_to_pay avg_days_beyond_terms max_days_beyond_terms
    current_dpd max_dpd_365d share_overdue ar_open ar_current ar_1_30 ar_31_60 ar_61_90
    ar_90_plus days_to_pay_recent days_to_pay_prior days_to_pay_trend orders_amount_90d
    orders_amount_365d orders_change_90d orders_drop_flag current_ratio leverage interest_cover
    ebit_margin net_margin roa revenue total_assets altman_z altman_zone statement_age_days
    max_severity_365d events_365d bureau_score bureau_score_change bureau_delinquencies
    bureau_inquiries kind industry region ownership_type state_ownership_pct company_age_years
    relationship_age_years payment_terms_days credit_limit events_litigation_90d
    events_litigation_365d""".split()
    assert set(contract) <= set(profile.columns)


def test_no_infinite_values(profile):
    numeric = profile.select_dtypes("number")
    assert not np.isinf(numeric.to_numpy(dtype=float)).any()


# ---------------------------------------------------------------------------- payment


def test_aging_buckets_customer_a(profile):
    a = profile.loc["A"]
    # open on as_of: I5 500 (dpd 80), I6 4000 (-20), I7 1500 (15), I8 250 (95), I9 800 (40),
    # I11 700 (-25; paid after as_of so still open)
    assert a["ar_open"] == 500 + 4000 + 1500 + 250 + 800 + 700 == 7750
    assert a["ar_current"] == 4000 + 700
    assert a["ar_1_30"] == 1500
    assert a["ar_31_60"] == 800
    assert a["ar_61_90"] == 500
    assert a["ar_90_plus"] == 250
    assert a["ar_overdue"] == 1500 + 800 + 500 + 250
    assert a["n_open_invoices"] == 6
    assert a["share_overdue"] == pytest.approx(3050 / 7750)
    assert a["ar_current_share"] == pytest.approx(4700 / 7750)
    assert a["ar_90_plus_share"] == pytest.approx(250 / 7750)
    assert a["current_dpd"] == 95


def test_dso_customer_a(profile):
    # credit sales issued in (as_of-365, as_of]: I2..I11 except I12 (future); I1 and I13 are
    # out (I13 issued exactly 365 days back)
    sales = 1000 + 3000 + 2000 + 500 + 4000 + 1500 + 250 + 800 + 600 + 700
    assert sales == 14350
    assert profile.loc["A", "credit_sales_365d"] == sales
    assert profile.loc["A", "n_invoices_365d"] == 10
    assert profile.loc["A", "dso_days"] == pytest.approx(7750 / 14350 * 365)


def test_days_to_pay_customer_a(profile):
    a = profile.loc["A"]
    # paid in (as_of-365, as_of]: I2 (1000, dtp 50, beyond 20), I3 (3000, 25, 0), I4 (2000,
    # 70, 40), I10 (600, 60, 30; paid on as_of), I13 (900, 65, 35); I1 paid 380 days back
    assert a["weighted_days_to_pay"] == pytest.approx(
        (1000 * 50 + 3000 * 25 + 2000 * 70 + 600 * 60 + 900 * 65) / 7500)   # 47.9333
    assert a["avg_days_beyond_terms"] == pytest.approx(
        (1000 * 20 + 3000 * 0 + 2000 * 40 + 600 * 30 + 900 * 35) / 7500)   # 19.9333
    assert a["max_days_beyond_terms"] == 40
    assert a["share_paid_late_365d"] == pytest.approx((1000 + 2000 + 600 + 900) / 7500)
    # recent: paid in the last 90 days: I4, I10; prior: I2, I3, I13
    recent = (2000 * 70 + 600 * 60) / 2600
    prior = (1000 * 50 + 3000 * 25 + 900 * 65) / 4900
    assert a["days_to_pay_recent"] == pytest.approx(recent)
    assert a["days_to_pay_prior"] == pytest.approx(prior)
    assert a["days_to_pay_trend"] == pytest.approx(recent - prior)
    # max DPD over the year: open I8 at 95 beats paid-late I4 at 40
    assert a["max_dpd_365d"] == 95


def test_paid_late_invoice_drives_max_dpd_customer_e(profile):
    e = profile.loc["E"]
    # E1 paid 70 days after due (100 days back: prior window); E2 open and not yet due
    assert e["current_dpd"] == 0
    assert e["max_dpd_365d"] == 70
    assert e["max_days_beyond_terms"] == 70
    assert e["weighted_days_to_pay"] == 100
    assert e["ar_open"] == 2000 and e["ar_current"] == 2000 and e["share_overdue"] == 0
    assert e["dso_days"] == pytest.approx(2000 / (1000 + 2000) * 365)
    assert np.isnan(e["days_to_pay_recent"])
    assert e["days_to_pay_prior"] == 100
    assert np.isnan(e["days_to_pay_trend"])


def test_customer_without_invoices_gets_zero_amounts_and_nan_ratios(profile):
    b = profile.loc["B"]
    for amount in ["ar_open", "ar_current", "ar_1_30", "ar_31_60", "ar_61_90", "ar_90_plus",
                   "ar_overdue", "credit_sales_365d", "n_open_invoices", "n_invoices_365d",
                   "current_dpd", "max_dpd_365d"]:
        assert b[amount] == 0, amount
    for ratio in ["dso_days", "weighted_days_to_pay", "avg_days_beyond_terms",
                  "max_days_beyond_terms", "share_overdue", "ar_current_share",
                  "share_paid_late_365d", "days_to_pay_recent", "days_to_pay_prior",
                  "days_to_pay_trend"]:
        assert np.isnan(b[ratio]), ratio


def test_payment_dtypes(profile):
    assert profile["current_dpd"].dtype == np.int64
    assert profile["max_dpd_365d"].dtype == np.int64
    assert profile["n_open_invoices"].dtype == np.int64
    assert profile["ar_open"].dtype == np.float64


# ---------------------------------------------------------------------------- orders


def test_orders_customer_a(profile):
    a = profile.loc["A"]
    # last 90 days: O1 1000 + O4 800 (cancelled only after as_of); O3 cancelled by as_of
    # last 365 days: O1 + O2 3000 + O4 + O7 4200; O5 is exactly 365 days back, O6 is future
    assert a["orders_amount_90d"] == 1800
    assert a["orders_amount_365d"] == 9000
    assert a["orders_count_90d"] == 2
    assert a["orders_count_365d"] == 4
    # baseline = 9000 * 90 / 365 = 2219.18; 1800 / 2219.18 - 1 = -0.18889
    assert a["orders_change_90d"] == pytest.approx(1800 / (9000 * 90 / 365) - 1)
    assert a["orders_change_90d"] == pytest.approx(-17 / 90)
    assert a["orders_drop_flag"] == 0   # 1800 >= 0.5 * 2219.18


def test_orders_drop_customer_e_and_empty_b(profile):
    e, b = profile.loc["E"], profile.loc["B"]
    # E: one order 300 days back, nothing in the last quarter -> change -1, flag
    assert e["orders_amount_90d"] == 0 and e["orders_amount_365d"] == 4000
    assert e["orders_change_90d"] == -1.0
    assert e["orders_drop_flag"] == 1
    # B: no orders -> no baseline
    assert b["orders_amount_365d"] == 0 and np.isnan(b["orders_change_90d"])
    assert b["orders_drop_flag"] == 0


def test_order_to_invoice_days():
    p = build_profile(make_portfolio(), AS_OF)
    # A: orders fulfilled (closed) in the last 365 days: O1 1000 open 10 days, O2 3000 open 50
    # days, O5 10000 open 65 days (placed on the window edge, fulfilled inside it); O3/O4
    # cancelled, O7 open, O6 future -> (1000*10 + 3000*50 + 10000*65) / 14000 = 57.857
    assert p.loc["A", "order_to_invoice_days"] == pytest.approx(810_000 / 14_000)
    assert p.loc["E", "order_to_invoice_days"] == 10      # OE1: 300 -> 290 days back
    assert np.isnan(p.loc["B", "order_to_invoice_days"])  # no orders
    # an order fulfilled after as_of is not known yet: O1 closed one day later than as_of
    late = make_orders()
    late.loc[late["order_id"] == "O1", "closed_date"] = d(1)
    q = build_profile(make_portfolio(orders=late), AS_OF)
    assert q.loc["A", "order_to_invoice_days"] == pytest.approx((3000 * 50 + 10000 * 65) / 13_000)


def test_orders_drop_threshold_parameter():
    p = build_profile(make_portfolio(), AS_OF, orders_drop_threshold=0.9)
    # 1800 < 0.9 * 2219.18 = 1997.26
    assert p.loc["A", "orders_drop_flag"] == 1
    with pytest.raises(ValueError, match="drop_threshold"):
        build_profile(make_portfolio(), AS_OF, orders_drop_threshold=-1.0)


# ---------------------------------------------------------------------------- financials


def test_financial_ratios_customer_a(profile):
    a = profile.loc["A"]
    # statement 2023-12-31 (published 2024-04-30); the 2024-03-31 one is published after as_of
    assert a["current_ratio"] == pytest.approx(8000 / 5000)
    assert a["cash_ratio"] == pytest.approx(1000 / 5000)
    assert a["leverage"] == pytest.approx(10000 / 16000)
    assert a["interest_cover"] == pytest.approx(2000 / 500)
    assert a["ebit_margin"] == pytest.approx(2000 / 20000)
    assert a["net_margin"] == pytest.approx(1200 / 20000)
    assert a["roa"] == pytest.approx(1200 / 16000)
    assert a["revenue"] == 20000 and a["total_assets"] == 16000 and a["equity"] == 6000
    # X1 = 3000/16000 = 0.1875, X2 = 3000/16000 = 0.1875, X3 = 2000/16000 = 0.125,
    # X4 = 6000/10000 = 0.6; Z'' = 1.23 + 0.61125 + 0.84 + 0.63 = 3.31125 > 2.60: safe
    assert a["altman_z"] == pytest.approx(6.56 * 0.1875 + 3.26 * 0.1875 + 6.72 * 0.125 + 1.05 * 0.6)
    assert a["altman_z"] == pytest.approx(3.31125)
    assert a["altman_zone"] == "safe"
    # 2023-12-31 -> 2024-06-30: 31+29+31+30+31+30 = 182 days
    assert a["statement_age_days"] == 182


def test_zero_denominators_give_nan_not_inf(profile):
    e = profile.loc["E"]
    assert e["current_ratio"] == pytest.approx(500 / 250)
    assert np.isnan(e["interest_cover"])     # interest expense 0
    assert np.isnan(e["ebit_margin"]) and np.isnan(e["net_margin"])   # revenue 0
    assert e["leverage"] == 0.0
    assert np.isnan(e["altman_z"])           # X4 = equity / total liabilities = 1000 / 0
    assert pd.isna(e["altman_zone"])


def test_missing_statement_gives_nan(profile):
    b = profile.loc["B"]
    for c in ["current_ratio", "leverage", "altman_z", "revenue", "statement_age_days"]:
        assert np.isnan(b[c]), c
    assert pd.isna(b["altman_zone"])


def test_altman_zone_boundaries():
    z = [3.0, 2.6000001, 2.60, 1.5, 1.10, 1.0999999, -2.0, np.nan]
    zones = altman_zone(z)
    assert zones.iloc[:7].tolist() == ["safe", "safe", "grey", "grey", "grey", "distress", "distress"]
    assert pd.isna(zones.iloc[7])


# ---------------------------------------------------------------------------- events


def test_events_customer_a(profile):
    a = profile.loc["A"]
    assert a["events_litigation_90d"] == 1        # V1 10 days back
    assert a["events_litigation_365d"] == 2       # V1 and V2
    assert a["max_severity_litigation_90d"] == 3
    assert a["max_severity_litigation_365d"] == 4
    assert a["events_tax_90d"] == 0 and a["events_tax_365d"] == 1
    assert a["max_severity_tax_365d"] == 2
    assert a["events_positive_news_90d"] == 1 and a["max_severity_positive_news_90d"] == 5
    assert a["events_enforcement_365d"] == 0      # V5 is after as_of
    assert a["events_penalty_365d"] == 0          # V6 is exactly 365 days back
    # totals over adverse categories: positive_news (severity 5) is left out
    assert a["events_90d"] == 1 and a["max_severity_90d"] == 3
    assert a["events_365d"] == 3 and a["max_severity_365d"] == 4


def test_events_window_edge_and_empty(profile):
    e, b = profile.loc["E"], profile.loc["B"]
    assert e["events_negative_news_90d"] == 0 and e["events_negative_news_365d"] == 1
    assert e["max_severity_90d"] == 0 and e["max_severity_365d"] == 2
    assert b["events_365d"] == 0 and b["max_severity_365d"] == 0
    assert profile["events_365d"].dtype == np.int64


# ---------------------------------------------------------------------------- bureau


def test_bureau_customer_a(profile):
    a = profile.loc["A"]
    # latest date 2024-05-31 has alpha (620) and beta (72): alpha sorts first; its previous
    # alpha report is 2024-01-31 (640); the 2024-07-15 report is after as_of
    assert a["bureau_score"] == 620
    assert a["bureau_score_change"] == 620 - 640
    assert a["bureau_delinquencies"] == 2
    assert a["bureau_inquiries"] == 4
    assert a["bureau_report_age_days"] == 30     # 2024-05-31 -> 2024-06-30


def test_bureau_single_report_and_none(profile):
    e, b = profile.loc["E"], profile.loc["B"]
    assert e["bureau_score"] == 80 and np.isnan(e["bureau_score_change"])
    assert e["bureau_report_age_days"] == 0      # reported on as_of
    assert np.isnan(b["bureau_score"]) and np.isnan(b["bureau_delinquencies"])


# ---------------------------------------------------------------------------- static


def test_static_attributes(profile):
    a, b = profile.loc["A"], profile.loc["B"]
    assert (a["kind"], a["industry"], a["region"], a["ownership_type"]) == (
        "enterprise", "manufacturing", "east", "local_soe")
    assert a["state_ownership_pct"] == 51.0
    assert a["payment_terms_days"] == 30 and a["credit_limit"] == 25500
    # 2014-06-30 -> 2024-06-30: 10 * 365 + 3 leap days (2016, 2020, 2024) = 3653 days
    assert a["company_age_years"] == pytest.approx(3653 / 365.25)
    # 2019-06-30 -> 2024-06-30: 5 * 365 + 2 leap days (2020, 2024) = 1827 days
    assert a["relationship_age_years"] == pytest.approx(1827 / 365.25)
    assert np.isnan(b["company_age_years"])      # founded unknown
    assert b["relationship_age_years"] == 0
    assert profile["kind"].dtype == "str"
    assert profile["payment_terms_days"].dtype == np.int64


# ---------------------------------------------------------------------------- point in time


def _later_records(p: Portfolio) -> Portfolio:
    """The same book with everything that happened after AS_OF added or changed."""
    inv = p.invoices.copy()
    later_paid = inv["invoice_id"].isin(["I5", "I7", "I8", "E2"])   # open on as_of
    inv.loc[later_paid, "paid_date"] = d(40)
    inv.loc[later_paid, "paid_amount"] = inv.loc[later_paid, "amount"]
    new_inv = pd.DataFrame({
        "invoice_id": ["N1", "N2", "N3"], "customer_id": ["A", "B", "C"],
        "issue_date": ts(d(1), d(30), d(60)), "due_date": ts(d(31), d(60), d(90)),
        "amount": [123.0, 456.0, 789.0], "paid_date": ts(d(20), None, None),
        "paid_amount": [123.0, 0.0, 0.0]})
    orders = p.orders.copy()
    still_open = orders["order_id"] == "O7"
    orders.loc[still_open, "status"] = "cancelled"
    orders.loc[still_open, "closed_date"] = d(2)
    new_orders = pd.DataFrame({"order_id": ["NO1", "NO2"], "customer_id": ["A", "B"],
                               "order_date": ts(d(1), d(100)), "amount": [5e4, 7.0],
                               "status": ["fulfilled", "open"], "closed_date": ts(d(9), None)})
    fin = make_financials().iloc[[3]].copy()
    fin["customer_id"], fin["period_end"], fin["published_date"] = "B", d(-1), d(1)
    fin2 = make_financials().iloc[[1]].copy()
    fin2["period_end"], fin2["published_date"] = d(0), d(45)
    events = pd.DataFrame({"event_id": ["NV1", "NV2"], "customer_id": ["A", "B"],
                           "date": ts(d(1), d(200)), "category": ["bankruptcy", "litigation"],
                           "severity": [5, 5], "source": "court", "text": "later"})
    bureau = pd.DataFrame({"customer_id": ["B", "E"], "report_date": ts(d(1), d(2)),
                           "source": ["alpha", "beta"], "score": [1.0, 2.0],
                           "delinquencies": [9, 9], "inquiries": [9, 9]})
    customers = pd.concat([p.customers, pd.DataFrame({
        "customer_id": ["Z"], "name": ["Late"], "kind": ["enterprise"], "industry": ["x"],
        "region": ["y"], "ownership_type": ["private"], "state_ownership_pct": [0.0],
        "registered_capital": [1.0], "founded": ts("2024-07-01"), "onboarded": ts(d(5)),
        "payment_terms_days": [30], "credit_limit": [1.0]})], ignore_index=True)
    defaults = pd.DataFrame({"customer_id": ["A"], "default_date": ts(d(50)),
                             "reason": ["write_off"]})
    return Portfolio(customers=customers, invoices=pd.concat([inv, new_inv], ignore_index=True),
                     orders=pd.concat([orders, new_orders], ignore_index=True),
                     financials=pd.concat([p.financials, fin, fin2], ignore_index=True),
                     events=pd.concat([p.events, events], ignore_index=True),
                     bureau=pd.concat([p.bureau, bureau], ignore_index=True), defaults=defaults)


def test_records_after_as_of_do_not_change_the_profile(profile):
    later = _later_records(make_portfolio())
    changed = build_profile(later, AS_OF)
    pd.testing.assert_frame_equal(changed, profile)
    # and the later records are really there: one day later several features move
    moved = build_profile(later, d(45))
    assert moved.loc["A", "ar_open"] != build_profile(make_portfolio(), d(45)).loc["A", "ar_open"]


def test_records_after_as_of_do_not_change_the_exposure():
    from riskkit.limits import exposure

    pd.testing.assert_frame_equal(exposure(_later_records(make_portfolio()), AS_OF),
                                  exposure(make_portfolio(), AS_OF))


def test_row_order_of_tables_does_not_matter(profile):
    p = make_portfolio()
    shuffled = Portfolio(**{name: df.sample(frac=1.0, random_state=3).reset_index(drop=True)
                            for name, df in p.tables.items()})
    pd.testing.assert_frame_equal(build_profile(shuffled, AS_OF), profile)


def test_features_are_point_in_time_without_the_snapshot(profile):
    # an object without .as_of(): the feature code itself must ignore later records
    from types import SimpleNamespace

    later = _later_records(make_portfolio())
    raw = SimpleNamespace(**later.tables)
    pd.testing.assert_frame_equal(build_profile(raw, AS_OF), profile)


def test_include_graph_joins_relationship_features(tables):
    portfolio = Portfolio(**tables)
    plain = build_profile(portfolio, "2021-06-30")
    joined = rk.assess.network_profile(portfolio, "2021-06-30")
    pd.testing.assert_frame_equal(joined[plain.columns], plain)
    # in the tiny book C1 and C2 guarantee each other (100k and 50k): a guarantee circle of two
    assert joined.loc["C1", "guarantees_given"] == 1e5 and joined.loc["C1", "guarantees_received"] == 5e4
    assert bool(joined.loc["C1", "in_guarantee_circle"]) and bool(joined.loc["C2", "in_guarantee_circle"])
    assert not bool(joined.loc["C3", "in_guarantee_circle"])
