"""Tests of the synthetic portfolio generator (riskkit.data.generate_portfolio).

Each property is checked with an independent computation on the generated tables
(pandas/numpy by hand, networkx for cycles and components, scipy/sklearn for rank
statistics), never with the generator's own internals.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

import riskkit as rk
from riskkit.datasets.synthetic import SyntheticOptions

START, END = pd.Timestamp("2021-01-01"), pd.Timestamp("2025-12-31")
N = 2000


@pytest.fixture(scope="module")
def book():
    return rk.datasets.generate_portfolio(N, seed=11)


@pytest.fixture(scope="module")
def truth(book):
    return book.truth.set_index("customer_id")


def _long_history_defaulters(book, truth, months_before=18):
    """Defaulters onboarded before the window whose default leaves ``months_before``
    months of history inside it (so that earlier windows are fully observed)."""
    onboarded = book.customers.set_index("customer_id")["onboarded"]
    ok = truth["defaulted"] & (truth["default_date"] >= START + pd.DateOffset(months=months_before)) \
        & (onboarded.reindex(truth.index) < START)
    return truth.index[ok]


# --------------------------------------------------------------------------- schema
def test_generated_portfolio_passes_validation(book):
    tables, violations = rk.data.validate_portfolio(book.tables)
    assert violations.empty, violations.head(10).to_string()
    # the constructor's own validation accepts it too
    rk.data.Portfolio(**book.tables, truth=book.truth, validate=True)
    for name in rk.data.TABLE_ORDER:
        assert len(book.tables[name]) > 0, name
        for f in rk.data.TABLES[name].fields:
            if f.required:
                assert str(book.tables[name][f.name].dtype) == f.dtype, (name, f.name)


def test_truth_columns_and_consistency_with_defaults_table(book, truth):
    expected = {"latent_quality", "true_pd", "group_id", "defaulted", "default_date", "contagion_default",
                "default_reason", "trigger_customer_id", "industry_factor", "ultimate_parent_id"}
    assert expected <= set(truth.columns)
    assert list(truth.index) == list(book.customers["customer_id"])
    assert truth["true_pd"].between(0, 1).all()
    d = book.defaults.set_index("customer_id")
    assert d.index.is_unique
    assert set(d.index) == set(truth.index[truth["defaulted"]])
    assert (truth.loc[d.index, "default_date"] == d["default_date"]).all()
    assert (truth.loc[d.index, "default_reason"] == d["reason"]).all()
    assert truth.loc[~truth["defaulted"], "default_date"].isna().all()
    assert d["default_date"].between(START, END).all()
    onboarded = book.customers.set_index("customer_id")["onboarded"]
    assert (d["default_date"] >= onboarded.loc[d.index]).all()
    # a contagion default is a default
    assert not (truth["contagion_default"] & ~truth["defaulted"]).any()


def test_records_lie_in_the_window_and_after_onboarding(book):
    onboarded = book.customers.set_index("customer_id")["onboarded"]
    inv, orders = book.invoices, book.orders
    assert inv["issue_date"].between(START, END).all()
    assert orders["order_date"].between(START, END).all()
    assert (inv["issue_date"] >= onboarded.loc[inv["customer_id"]].to_numpy()).all()
    assert (orders["order_date"] >= onboarded.loc[orders["customer_id"]].to_numpy()).all()
    assert (book.financials["published_date"] <= END).all()
    assert (book.financials["period_end"].dt.strftime("%m-%d") == "12-31").all()
    lag = (book.financials["published_date"] - book.financials["period_end"]).dt.days
    assert lag.between(90, 150).all()
    # orders precede invoices: no customer is invoiced before its first order
    first_order = orders.groupby("customer_id")["order_date"].min()
    first_invoice = inv.groupby("customer_id")["issue_date"].min()
    assert (first_invoice >= first_order.reindex(first_invoice.index)).all()
    # balance sheet identity
    f = book.financials
    np.testing.assert_allclose(f["equity"], f["total_assets"] - f["total_liabilities"], atol=0.011)


def test_customer_mix(book):
    c = book.customers
    assert 8 <= c["industry"].nunique() <= 12
    assert 6 <= c["region"].nunique() <= 8
    assert set(c["ownership_type"]) == {"central_soe", "local_soe", "private", "foreign", "individual"}
    soe = c[c["ownership_type"] == "central_soe"]["state_ownership_pct"]
    assert soe.between(51, 100).all()
    assert (c.loc[c["ownership_type"].isin(["private", "foreign", "individual"]), "state_ownership_pct"] == 0).all()
    ind = c["kind"] == "individual"
    assert 0.01 < ind.mean() < 0.15
    assert (c.loc[ind, "ownership_type"] == "individual").all()
    assert not book.financials["customer_id"].isin(c.loc[ind, "customer_id"]).any()
    assert set(c["payment_terms_days"]) <= {30, 45, 60, 90}
    assert 0.05 < (c["onboarded"] >= START).mean() < 0.3
    assert c["email"].str.endswith("example.com").all()
    assert c["name"].str.contains("Co., Ltd.").sum() == (~ind).sum()
    # ten invoices or more per customer-year on average, more for larger customers
    per_customer = book.invoices.groupby("customer_id").size().reindex(c["customer_id"], fill_value=0)
    assert 10 < per_customer.sum() / len(c) / 5 < 30
    rho = stats.spearmanr(c["credit_limit"], per_customer.to_numpy()).statistic
    assert rho > 0.3


# --------------------------------------------------------------------------- determinism
def test_same_seed_same_portfolio_and_other_seed_differs():
    a = rk.datasets.generate_portfolio(300, seed=3)
    b = rk.datasets.generate_portfolio(300, seed=3)
    for name in rk.data.TABLE_ORDER:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True)
    pd.testing.assert_frame_equal(a.truth, b.truth, check_exact=True)
    c = rk.datasets.generate_portfolio(300, seed=4)
    assert not a.invoices.equals(c.invoices)
    assert not np.array_equal(a.truth["true_pd"], c.truth["true_pd"])


# --------------------------------------------------------------------------- defaults
def test_annual_default_rate_in_range(book, truth):
    onboarded = book.customers.set_index("customer_id")["onboarded"].reindex(truth.index)
    at_risk_from = onboarded.clip(lower=START)
    at_risk_to = truth["default_date"].fillna(END).clip(upper=END)
    customer_years = ((at_risk_to - at_risk_from).dt.days.clip(lower=0)).sum() / 365.25
    rate = truth["defaulted"].sum() / customer_years
    assert 0.02 <= rate <= 0.06
    # and per calendar year (cohort method of the data module)
    yearly = rk.data.default_rates(book)
    assert yearly["default_rate"].between(0.01, 0.08).all(), yearly


def test_defaults_concentrate_in_weak_customers(truth):
    pd_def = truth.loc[truth["defaulted"], "true_pd"]
    pd_good = truth.loc[~truth["defaulted"], "true_pd"]
    assert pd_def.mean() > 2.5 * pd_good.mean()
    assert roc_auc_score(truth["defaulted"], truth["true_pd"]) > 0.7
    assert roc_auc_score(truth["defaulted"], -truth["latent_quality"]) > 0.7


def test_pd_calibrated_to_target():
    # mean true PD equals the target: reference is a direct average of Phi(.)
    book = rk.datasets.generate_portfolio(1000, seed=2, target_default_rate=0.05, contagion_strength=0.0)
    assert book.truth["true_pd"].mean() == pytest.approx(0.05, abs=1e-6)
    assert not book.truth["contagion_default"].any()


def test_dpd90_defaults_match_the_ledger(book, truth):
    inv = book.invoices
    ninety = inv["due_date"] + pd.Timedelta(days=90)
    # an invoice is 90 days past due on due+90 if it is still unpaid then
    late = inv[(inv["paid_date"].isna() | (inv["paid_date"] > ninety)) & (ninety <= END)]
    first_dpd90 = (late["due_date"] + pd.Timedelta(days=90)).groupby(late["customer_id"]).min()
    d = book.defaults.set_index("customer_id")
    dpd90 = d[d["reason"] == "dpd90"]
    assert len(dpd90) > 20
    assert (first_dpd90.reindex(dpd90.index) == dpd90["default_date"]).all()
    # nobody reaches 90 days past due without being in the defaults table, and never
    # before the recorded default date
    assert set(first_dpd90.index) <= set(d.index)
    assert (first_dpd90 >= d.loc[first_dpd90.index, "default_date"]).all()


def test_bankruptcy_and_write_off_defaults_show_in_the_data(book):
    d = book.defaults
    assert set(d["reason"]) == {"dpd90", "bankruptcy", "write_off"}
    bk = book.events[book.events["category"] == "bankruptcy"].set_index("customer_id")["date"]
    bank = d[d["reason"] == "bankruptcy"].set_index("customer_id")["default_date"]
    assert bk.index.is_unique and set(bk.index) == set(bank.index)
    assert (bk.loc[bank.index] == bank).all()
    assert (book.events.loc[book.events["category"] == "bankruptcy", "severity"] == 5).all()
    wo = d[d["reason"] == "write_off"].set_index("customer_id")["default_date"]
    inv = book.invoices.merge(wo.rename("wo_date"), left_on="customer_id", right_index=True)
    closed_short = inv[(inv["paid_date"] == inv["wo_date"]) & (inv["paid_amount"] < inv["amount"])]
    with_invoices = set(inv["customer_id"])
    assert with_invoices and set(closed_short["customer_id"]) == with_invoices


def test_payment_delays_lengthen_before_default(book, truth):
    who = _long_history_defaulters(book, truth)
    inv = book.invoices[book.invoices["customer_id"].isin(who)]
    inv = inv.join(truth["default_date"], on="customer_id")
    paid = inv[inv["paid_date"].notna() & (inv["paid_date"] < inv["default_date"])]
    beyond = (paid["paid_date"] - paid["due_date"]).dt.days
    months_before = (paid["default_date"] - paid["due_date"]).dt.days / 30.44
    recent = beyond[(months_before > 0) & (months_before <= 6)]
    earlier = beyond[(months_before > 6) & (months_before <= 18)]
    assert len(recent) > 100 and len(earlier) > 100
    assert recent.mean() > earlier.mean() + 5
    assert stats.mannwhitneyu(recent, earlier, alternative="greater").pvalue < 1e-6
    # weak customers pay later in general
    all_paid = book.invoices[book.invoices["paid_date"].notna()]
    days = (all_paid["paid_date"] - all_paid["due_date"]).dt.days
    q = truth["latent_quality"].reindex(all_paid["customer_id"]).to_numpy()
    assert stats.spearmanr(q, days).statistic < -0.2
    # nobody pays 90 or more days late except for invoices settled after a default
    very_late = all_paid[days >= 90]
    default_date = truth["default_date"].reindex(very_late["customer_id"]).to_numpy()
    assert (very_late["paid_date"].to_numpy() > default_date).all()


def test_orders_fall_before_default(book, truth):
    who = _long_history_defaulters(book, truth)
    o = book.orders[book.orders["customer_id"].isin(who)].join(truth["default_date"], on="customer_id")
    days_before = (o["default_date"] - o["order_date"]).dt.days
    recent = o.loc[(days_before > 0) & (days_before <= 182), "amount"].sum()
    earlier_per_half_year = o.loc[(days_before > 182) & (days_before <= 547), "amount"].sum() / 2
    assert recent < 0.8 * earlier_per_half_year
    # and no orders after the default
    assert (days_before >= 0).all()


def test_signals_track_quality(book, truth):
    f = book.financials.join(truth["latent_quality"], on="customer_id")
    leverage = f["total_liabilities"] / f["total_assets"]
    assert stats.spearmanr(f["latent_quality"], leverage).statistic < -0.5
    assert stats.spearmanr(f["latent_quality"], f["current_assets"] / f["current_liabilities"]).statistic > 0.5
    b = book.bureau.dropna(subset=["score"]).join(truth["latent_quality"], on="customer_id")
    assert stats.spearmanr(b["latent_quality"], b["score"]).statistic > 0.5
    assert set(book.bureau["source"]) == {"bureau_a", "bureau_b"}
    adverse = book.events[book.events["category"].isin(["litigation", "enforcement", "negative_news"])]
    counts = adverse.groupby("customer_id").size().reindex(truth.index, fill_value=0)
    assert stats.spearmanr(truth["latent_quality"], counts).statistic < -0.15
    assert book.events["severity"].between(1, 5).all()
    assert book.events["text"].str.len().gt(10).all()


# --------------------------------------------------------------------------- relations
def test_group_share_and_groups_are_control_components(book, truth):
    grouped = truth["group_id"].notna()
    assert 0.10 <= grouped.mean() <= 0.20
    assert (truth.loc[grouped, "group_id"].value_counts() >= 2).all()
    # independent: connected components of the control layer (with external parents)
    control = book.relations[book.relations["type"] == "control"]
    g = nx.Graph()
    g.add_edges_from(zip(control["src"], control["dst"]))
    customers = set(truth.index)
    components = {frozenset(c & customers) for c in nx.connected_components(g)}
    components = {c for c in components if len(c) >= 2}
    groups = {frozenset(m) for m in truth[grouped].groupby("group_id").groups.values()}
    assert components == groups
    external = control.loc[~control["src"].isin(customers), "src"]
    assert len(external) and external.str.match(r"^P\d+$").all()


def test_total_owned_share_never_exceeds_one(book):
    rel = book.relations
    held = rel[rel["type"] == "shareholding"].copy()
    assert held["weight"].between(0, 1).all()
    lowest = pd.Timestamp("1900-01-01")
    held["from"] = held["start"].fillna(lowest)
    held["to"] = held["end"].fillna(pd.Timestamp("2262-01-01"))
    # the total can only change at a start date, so checking every start suffices
    checkpoints = held[["dst", "from"]].rename(columns={"from": "at"}).drop_duplicates()
    pairs = checkpoints.merge(held, on="dst")
    in_force = pairs[(pairs["from"] <= pairs["at"]) & (pairs["to"] > pairs["at"])]
    totals = in_force.groupby(["dst", "at"])["weight"].sum()
    assert totals.max() <= 1 + 1e-9
    # control edges run parent -> subsidiary along a majority shareholding
    ctrl = rel[rel["type"] == "control"].merge(held, on=["src", "dst"], suffixes=("", "_share"))
    assert len(ctrl) == (rel["type"] == "control").sum()
    assert (ctrl["weight_share"] > 0.5).all()


def test_guarantee_circles_exist(book):
    rel = book.relations
    guarantee = rel[rel["type"] == "guarantee"]
    g = nx.DiGraph()
    g.add_edges_from(zip(guarantee["src"], guarantee["dst"]))
    cycles = list(nx.simple_cycles(g, length_bound=5))
    lengths = {len(c) for c in cycles}
    assert 2 in lengths and lengths & {3, 4, 5}
    assert set(rel["type"]) == {"shareholding", "control", "guarantee", "supply", "common_director"}
    assert rel["end"].isna().mean() > 0.8
    assert rel["start"].isna().mean() > 0.3


def test_contagion_defaults_follow_a_linked_partys_default(book, truth):
    contagion = truth[truth["contagion_default"]]
    assert len(contagion) >= 5
    trigger = contagion["trigger_customer_id"]
    assert trigger.notna().all()
    assert truth.loc[trigger, "defaulted"].all()
    assert (contagion["default_date"].to_numpy() > truth.loc[trigger, "default_date"].to_numpy()).all()
    # the trigger is linked to the victim by a guarantee, control or supply relation
    rel = book.relations[book.relations["type"].isin(["guarantee", "control", "supply"])]
    links = set(zip(rel["src"], rel["dst"])) | set(zip(rel["dst"], rel["src"]))
    assert all((v, t) in links for v, t in zip(contagion.index, trigger))
    # a guarantor is hit when the company it guarantees defaults, with the right direction
    guar = book.relations[book.relations["type"] == "guarantee"]
    by_guarantee = [(v, t) for v, t in zip(contagion.index, trigger)
                    if ((guar["src"] == v) & (guar["dst"] == t)).any()]
    wrong_way = [(v, t) for v, t in zip(contagion.index, trigger)
                 if ((guar["src"] == t) & (guar["dst"] == v)).any()
                 and not ((guar["src"] == v) & (guar["dst"] == t)).any()
                 and not rel[((rel["src"] == t) & (rel["dst"] == v)) | ((rel["src"] == v) & (rel["dst"] == t))]
                 ["type"].isin(["control", "supply"]).any()]
    assert by_guarantee and not wrong_way


def test_contagion_raises_defaults_of_linked_parties():
    # same seed, contagion on vs off: the stand-alone draws are identical, so every extra
    # default with contagion on is a contagion default
    on = rk.datasets.generate_portfolio(3000, seed=8).truth
    off = rk.datasets.generate_portfolio(3000, seed=8, contagion_strength=0.0).truth
    assert not off["contagion_default"].any()
    # contagion only adds defaults (or brings them forward): every stand-alone default of
    # the run without contagion is a default with it, and the extra ones are contagion
    assert (on["defaulted"] | ~off["defaulted"]).all()
    extra = on["defaulted"] & ~off["defaulted"]
    assert extra.sum() > 0 and on.loc[extra, "contagion_default"].all()


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, error, message", [
    ({"n_customers": 5}, ValueError, "at least 20"),
    ({"n_customers": 100.0}, TypeError, "integer"),
    ({"n_customers": 100, "seed": -1}, ValueError, "seed"),
    ({"n_customers": 100, "end": "2021-03-01"}, ValueError, "at least one year"),
    ({"n_customers": 100, "start": "not a date"}, ValueError, "dates"),
    ({"n_customers": 100, "group_size": 3}, TypeError, "unknown option"),
    ({"n_customers": 100, "group_share": 1.5}, ValueError, "group_share"),
    ({"n_customers": 100, "target_default_rate": 0.0}, ValueError, "target_default_rate"),
    ({"n_customers": 100, "invoices_per_year": float("nan")}, ValueError, "invoices_per_year"),
])
def test_bad_arguments_raise_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        rk.datasets.generate_portfolio(**kwargs)


def test_options_defaults_documented():
    opts = SyntheticOptions()
    assert 0.02 <= opts.target_default_rate <= 0.06
    with pytest.raises(ValueError, match="pd_slope"):
        SyntheticOptions(pd_slope=0.0)


def test_custom_window():
    book = rk.datasets.generate_portfolio(200, seed=1, start="2019-07-01", end="2021-06-30")
    assert book.invoices["issue_date"].between("2019-07-01", "2021-06-30").all()
    _, violations = rk.data.validate_portfolio(book.tables)
    assert violations.empty


def test_bureau_and_events_deteriorate_before_default(book, truth):
    who = _long_history_defaulters(book, truth)

    def windows(df, date_col):
        df = df[df["customer_id"].isin(who)].join(truth["default_date"], on="customer_id")
        days = (df["default_date"] - df[date_col]).dt.days
        return df[(days > 0) & (days <= 182)], df[(days > 182) & (days <= 547)]

    recent, earlier = windows(book.bureau, "report_date")
    assert recent["inquiries"].mean() > earlier["inquiries"].mean() + 0.5
    assert recent["delinquencies"].mean() > earlier["delinquencies"].mean()
    assert recent["score"].mean() < earlier["score"].mean() - 20
    adverse = book.events[~book.events["category"].isin(["positive_news", "business_change", "bankruptcy"])]
    recent, earlier = windows(adverse, "date")
    # per half year: the earlier window is two half years long
    assert len(recent) > 1.5 * len(earlier) / 2
    assert recent["severity"].mean() > earlier["severity"].mean()
