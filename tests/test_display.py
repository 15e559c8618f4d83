"""Rich display of results: short reprs with the headline numbers, compact escaped HTML.

Headline numbers are computed independently here (scikit-learn, scipy, hand counts) and
looked for in the repr; HTML is parsed with :mod:`html.parser` (tags balanced, script text
escaped, e-mail addresses masked, row count bounded).
"""

from __future__ import annotations

import pickle
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

import riskkit as rk
from riskkit._core.display import MAX_ROWS, html_card
from riskkit.graph import debtrank, eisenberg_noe, threshold_cascade
from riskkit.limits import portfolio_loss
from riskkit.scoring import Scorecard, WoEBinner
from riskkit.validation import (
    auc,
    binomial_test,
    compare_challengers,
    hosmer_lemeshow,
    migration_matrix,
    psi,
    traffic_light,
)

VOID = {"br", "hr", "img", "input", "meta", "link", "col", "area", "base", "wbr"}


class _Checker(HTMLParser):
    """Collects tags (checking they nest), text and the rows of every table."""

    def __init__(self):
        super().__init__()
        self.stack, self.text, self.rows, self.tags = [], [], 0, []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(markup: str) -> _Checker:
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    assert checker.stack == [], f"unclosed tags {checker.stack}"
    return checker


# ------------------------------------------------------------------------ AUC and its CI

@pytest.fixture(scope="module")
def scored():
    rng = np.random.default_rng(7)
    y = rng.binomial(1, 0.1, 1000)
    score = y * 1.2 + rng.normal(size=1000)
    return y, score


def test_auc_repr_states_auc_interval_and_counts(scored):
    y, score = scored
    r = auc(y, score)
    expected = roc_auc_score(y, score)
    # the DeLong interval from its textbook form, variance taken from the result only
    z = stats.norm.ppf(0.975)
    lo, hi = expected - z * np.sqrt(r.variance), expected + z * np.sqrt(r.variance)
    text = repr(r)
    assert f"auc={expected:.3f}" in text
    assert f"95% CI [{lo:.3f}, {hi:.3f}]" in text
    assert f"n={y.size}" in text and f"defaults={int(y.sum())}" in text
    card = parse(r._repr_html_())
    assert f"AUC {expected:.3f}" in "".join(card.text)


def test_ci_is_self_describing_and_still_a_pair(scored):
    y, score = scored
    r = auc(y, score)
    ci = r.ci(0.9)
    low, high = ci  # existing code unpacks two values
    assert (low, high) == ci and len(ci) == 2
    half = stats.norm.ppf(0.95) * np.sqrt(r.variance)
    assert low == pytest.approx(r.auc - half) and high == pytest.approx(r.auc + half)
    assert ci.level == 0.9 and ci.estimate == r.auc
    assert f"estimate={r.auc:.4g}" in repr(ci) and "level=0.9" in repr(ci)
    assert str(ci) == f"{r.auc:.4g} (90% CI {low:.4g} to {high:.4g})"
    again = pickle.loads(pickle.dumps(ci))
    assert again == ci and again.level == 0.9 and again.estimate == ci.estimate
    with pytest.raises(AttributeError):
        ci.level = 0.5


# ------------------------------------------------------------------ other validation results

def test_binomial_and_calibration_reprs_state_statistic_and_pvalue():
    # one grade: PD 2 %, 10 defaults of 300; P(D >= 10) under Binomial(300, 0.02)
    r = binomial_test(0.02, 10, 300)
    p = stats.binom.sf(9, 300, 0.02)
    assert f"pvalue={p:.6g}" in repr(r) and "statistic=10" in repr(r)
    parse(r._repr_html_())
    hl = hosmer_lemeshow([0.01, 0.05], [3, 9], [200, 100])
    expected = (3 - 2) ** 2 / (2 * 0.99) + (9 - 5) ** 2 / (5 * 0.95)
    assert f"statistic={expected:.6g}" in repr(hl)
    tl = traffic_light([0.01, 0.02], [1, 15], [100, 300])
    assert "2 scopes" in repr(tl)
    card = parse(tl._repr_html_())
    assert card.rows == 1 + 2 + 2  # header row + two scopes, plus the two key/value rows


def test_psi_card_shows_its_bin_table():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=2000), rng.normal(0.3, 1, size=2000)
    r = psi(a, b, bins=5)
    card = parse(r._repr_html_())
    assert "table" in "".join(card.text)
    assert f"statistic={r.statistic:.6g}" in repr(r)


def test_migration_matrix_repr_counts_moves():
    m = migration_matrix(["A", "A", "B", "B", "C"], ["A", "B", "B", "A", "C"], grades=["A", "B", "C"])
    # hand count: unchanged A->A, B->B, C->C = 3/5; downgraded A->B = 1/5; upgraded B->A = 1/5
    text = repr(m)
    assert "5 obligors" in text and "unchanged 60.0%" in text and "downgraded 20.0%" in text
    parse(m._repr_html_())


def test_challenger_comparison_names_the_best_score(scored):
    y, score = scored
    data = pd.DataFrame({"default": y, "good": score, "noise": np.random.default_rng(3).normal(size=y.size)})
    r = compare_challengers(data, ["good", "noise"], champion="good")
    assert f"highest AUC good {roc_auc_score(y, score):.3f}" in repr(r)
    parse(r._repr_html_())


# ------------------------------------------------------------------------ the renderer

def test_card_escapes_markup_and_bounds_rows():
    frame = pd.DataFrame({"name": ["<script>alert(1)</script>"] * 50, "value": np.arange(50.0)})
    markup = html_card("X <b>", headline="a & b", fields={"k<": "<i>"}, frames=[("t", frame)])
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    card = parse(markup)
    assert "script" not in card.tags and "i" not in card.tags
    assert card.rows == 1 + 1 + MAX_ROWS  # one key/value row, the header, the head of the frame
    assert "50 rows; first 10 shown" in "".join(card.text)


def test_portfolio_card_masks_personal_data_and_escapes_names(tables):
    customers = tables["customers"]
    customers.loc[0, "name"] = "<script>alert('x')</script> Ltd."
    portfolio = rk.data.Portfolio(**tables)
    markup = portfolio._repr_html_()
    card = parse(markup)
    text = "".join(card.text)
    assert "script" not in card.tags and "<script>alert('x')</script> Ltd." in text  # shown as text
    assert "finance@acme.example" not in markup and "wang.wei@example.com" not in markup
    assert "+86 138 0000 0303" not in markup and "110101199001011234" not in markup
    assert "Wang Wei" not in markup  # an individual's name
    assert "3 customers" in text
    # the point-in-time snapshot says which date it is
    assert "as of 2021-02-01" in "".join(parse(portfolio.as_of("2021-02-01")._repr_html_()).text)
    assert repr(portfolio).startswith("Portfolio(customers=3, invoices=4")


def test_individual_name_is_masked_even_when_kind_column_is_cut():
    frame = pd.DataFrame({"name": ["Wang Wei"], **{f"c{i}": [i] for i in range(20)}, "kind": ["individual"]})
    markup = html_card("T", frames=[("f", frame)], mask=rk.data.mask_pii)
    assert "Wang Wei" not in markup


# ------------------------------------------------------------------------ graph results

def test_contagion_reprs_state_defaults_and_rounds():
    # chain 0 -> 1 -> 2: 0 defaults, 1 loses 5 > capital 4, 2 loses 3 > capital 2
    W = np.array([[0, 0, 0], [5.0, 0, 0], [0, 3.0, 0]])
    cascade = threshold_cascade(W, [10.0, 4.0, 2.0], [True, False, False])
    assert "1 initial defaults -> 3 defaults after 2 contagion rounds" in repr(cascade)
    parse(cascade._repr_html_())
    dr = debtrank(W, [10.0, 4.0, 2.0], {0: 1.0})
    assert f"R = {dr.R:.6f}" in repr(dr)
    card = parse(dr._repr_html_())
    assert "most distressed first" in "".join(card.text)
    # two nodes owing each other 10, node 0 with no assets: pays 0 + what it receives
    L = np.array([[0, 10.0], [10.0, 0]])
    clearing = eisenberg_noe(L, [0.0, 5.0])
    assert f"{int(clearing.defaulted.sum())} of 2 nodes default" in repr(clearing)
    parse(clearing._repr_html_())


def test_portfolio_loss_repr_and_var_ci():
    r = portfolio_loss([0.1] * 20, 1.0, 1.0, 0.2, 2000, seed=3)
    assert "n_obligors=20" in repr(r) and "expected_loss=2.00" in repr(r)  # 20 x 0.1 x 1 x 1
    ci = r.var_ci(0.95)
    assert ci.estimate == r.var(0.95) and ci.low <= ci.estimate <= ci.high
    parse(r._repr_html_())


# ------------------------------------------------------------------------ estimators

def test_binner_and_scorecard_html_show_the_fitted_tables():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=3000), "z": rng.normal(size=3000)})
    y = pd.Series((rng.random(3000) < 1 / (1 + np.exp(2.5 - X["x"]))).astype(int))
    binner = WoEBinner()
    assert "WoEBinner" in binner._repr_html_()  # unfitted: scikit-learn's diagram
    binner.fit(X, y)
    card = parse(binner._repr_html_())
    iv_x = binner.binnings_["x"].iv
    assert f"highest IV x {iv_x:.4f}" in "".join(card.text)
    assert binner._repr_mimebundle_()["text/html"] == binner._repr_html_()
    feature = binner.binnings_["x"]
    events = int(y.sum())
    assert f"{events:,} events" in repr(feature) and f"IV {iv_x:.4f}" in repr(feature)
    card = Scorecard(binner=WoEBinner(), min_iv=0.0).fit(X, y)
    markup = card._repr_html_()
    text = "".join(parse(markup).text)
    assert "points" in text and re.search(r"\d+ features, 3,000 observations", text)


def test_concentration_and_creditrisk_plus_headlines():
    from riskkit.limits import concentration, creditrisk_plus

    exposures = pd.DataFrame({"customer_id": ["A", "B", "C", "D"], "ead": [50.0, 25.0, 15.0, 10.0]})
    r = concentration(exposures)
    # HHI by hand: 0.5^2 + 0.25^2 + 0.15^2 + 0.1^2 = 0.345
    assert "HHI 0.3450" in repr(r) and "Concentration of 100.00 EAD" in repr(r)
    parse(r._repr_html_())
    cr = creditrisk_plus([0.01, 0.02, 0.05], [100.0, 200.0, 50.0], loss_unit=10.0)
    # expected loss sum pd x ead x lgd: 1 + 4 + 2.5
    assert "expected loss 7.50" in repr(cr) and "3 obligors" in repr(cr)
    card = parse(cr._repr_html_())
    assert "risk measures" in "".join(card.text)
