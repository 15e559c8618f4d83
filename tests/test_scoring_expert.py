"""Expert scorecard: hand-worked scores, missing policies, config validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from riskkit import ConfigError
from riskkit.scoring import ExpertScorecard
from riskkit.scoring.expert import DEFAULT_EXPERT_SCORECARD_PATH

CONFIG = {
    "name": "hand",
    "missing_policy": "reallocate",
    "indicators": [
        {"name": "delay", "column": "avg_days_beyond_terms", "weight": 0.5,
         "bands": [{"upper": 0, "points": 100}, {"upper": 30, "points": 60}, {"points": 0}]},
        {"name": "leverage", "column": "leverage", "weight": 0.3,
         "bands": [{"upper": 0.5, "points": 100}, {"points": 20}]},
        {"name": "owner", "column": "ownership_type", "weight": 0.2,
         "categories": {"central_soe": 100, "private": 50}, "other_points": 30},
    ],
}


def profile():
    return pd.DataFrame(
        {
            "avg_days_beyond_terms": [0.0, 30.0, 31.0, np.nan, np.nan],
            "leverage": [0.4, 0.5, 0.9, 0.6, np.nan],
            "ownership_type": ["central_soe", "private", "foreign", None, None],
        },
        index=pd.Index(["A", "B", "C", "D", "E"], name="customer_id"),
    )


def test_hand_worked_scores_and_reallocation():
    card = ExpertScorecard.from_dict(CONFIG)
    score = card.score(profile())
    # A: 0.5*100 + 0.3*100 + 0.2*100; B: bands are (prev, upper] so 30 -> 60 and 0.5 -> 100
    # C: 31 -> 0, 0.9 -> 20, foreign -> other 30
    # D: delay and owner missing -> only leverage (0.6 -> 20) keeps weight 1
    expected = [100.0, 0.5 * 60 + 0.3 * 100 + 0.2 * 50, 0.3 * 20 + 0.2 * 30, 20.0, np.nan]
    np.testing.assert_allclose(score.to_numpy(), expected)
    assert score.name == "expert_score" and list(score.index) == list("ABCDE")


def test_zero_and_fixed_policies():
    config = {**CONFIG, "missing_policy": "zero"}
    config["indicators"] = [dict(i) for i in CONFIG["indicators"]]
    config["indicators"][1].update(missing_policy="fixed", missing_points=40)
    score = ExpertScorecard.from_dict(config).score(profile())
    # D: delay 0 (zero), leverage 20, owner 0 -> 0.3*20; E: leverage missing -> fixed 40
    assert score["D"] == pytest.approx(0.3 * 20)
    assert score["E"] == pytest.approx(0.3 * 40)


def test_contributions_tidy_and_add_up():
    card = ExpertScorecard.from_dict(CONFIG)
    prof = profile()
    table = card.contributions(prof)
    assert list(table.columns) == ["customer_id", "indicator", "column", "value", "band", "points", "weight",
                                   "effective_weight", "contribution", "missing"]
    assert len(table) == len(prof) * 3
    sums = table.groupby("customer_id")["contribution"].sum(min_count=1)
    pd.testing.assert_series_equal(sums.reindex(prof.index), card.score(prof), check_names=False)
    d = table[table.customer_id == "D"].set_index("indicator")
    assert d.loc["leverage", "effective_weight"] == pytest.approx(1.0)
    assert d.loc["delay", "missing"] and d.loc["delay", "band"] == "missing"
    c = table[table.customer_id == "C"].set_index("indicator")
    assert c.loc["owner", "band"] == "other" and c.loc["delay", "band"] == "(30, inf)"


def test_default_config_on_profile_columns():
    card = ExpertScorecard.default()
    assert sum(i.weight for i in card.indicators) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    n = 50
    prof = pd.DataFrame({c: rng.normal(1, 2, n) for c in card.columns if c != "ownership_type"})
    prof["ownership_type"] = rng.choice(["central_soe", "private", "local_soe"], n)
    prof.iloc[:10, :5] = np.nan
    score = card.score(prof)
    assert score.between(0, 100).all()
    table = card.table()
    assert {"indicator", "column", "weight", "band", "points"} == set(table.columns)


def test_default_config_on_built_profile(tiny_portfolio):
    import riskkit as rk

    prof = rk.profile.build_profile(tiny_portfolio, pd.Timestamp("2021-06-30"))
    card = ExpertScorecard.default()
    score = card.score(prof)
    assert score.notna().all() and score.between(0, 100).all()
    contrib = card.contributions(prof)
    np.testing.assert_allclose(contrib.groupby("customer_id")["contribution"].sum().reindex(prof.index), score)


def _write(tmp_path, config, name="card.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config) if not isinstance(config, str) else config)
    return path


@pytest.mark.parametrize(
    "mutate, entry, field, message",
    [
        (lambda c: c["indicators"][0]["bands"].__setitem__(1, {"upper": -5, "points": 60}),
         "indicators[0] (delay)", "bands[1].upper", "increase strictly"),
        (lambda c: c["indicators"][1].__setitem__("weight", 0.4), "<top level>", "indicators[*].weight",
         "sum to 1"),
        (lambda c: c["indicators"][1].__setitem__("weight", -0.3), "indicators[1] (leverage)", "weight", ">= 0"),
        (lambda c: c["indicators"][2].__setitem__("missing_policy", "ignore"), "indicators[2] (owner)",
         "missing_policy", "must be one of"),
        (lambda c: c["indicators"][0]["bands"][2].__setitem__("upper", 99), "indicators[0] (delay)",
         "bands[2].upper", "no 'upper'"),
        (lambda c: c["indicators"][0]["bands"][0].__setitem__("points", 150), "indicators[0] (delay)",
         "bands[0].points", "<= 100"),
        (lambda c: c["indicators"][0].__setitem__("colum", "x"), "indicators[0] (delay)", "colum", "unknown"),
        (lambda c: c["indicators"][1].pop("bands"), "indicators[1] (leverage)", "bands", "exactly one"),
    ],
)
def test_bad_configs_name_file_entry_field(tmp_path, mutate, entry, field, message):
    import copy

    config = copy.deepcopy(CONFIG)
    mutate(config)
    path = _write(tmp_path, config)
    with pytest.raises(ConfigError, match=message) as info:
        ExpertScorecard.from_yaml(path)
    assert info.value.source == str(path)
    assert info.value.entry == entry
    assert info.value.field == field
    assert str(path) in str(info.value)


def test_bad_yaml_and_missing_file(tmp_path):
    path = _write(tmp_path, "indicators: [\n  - name: x\n   bad indent")
    with pytest.raises(ConfigError, match="not valid YAML") as info:
        ExpertScorecard.from_yaml(path)
    assert str(path) in str(info.value)
    with pytest.raises(FileNotFoundError):
        ExpertScorecard.from_yaml(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="mapping"):
        ExpertScorecard.from_yaml(_write(tmp_path, "- just\n- a list\n", "list.yaml"))


def test_scoring_errors():
    config = {**CONFIG, "indicators": [dict(i) for i in CONFIG["indicators"]]}
    config["indicators"][2] = {k: v for k, v in config["indicators"][2].items() if k != "other_points"}
    card = ExpertScorecard.from_dict(config)
    with pytest.raises(ValueError, match="foreign"):
        card.score(profile())
    with pytest.raises(KeyError, match="leverage"):
        card.score(profile().drop(columns="leverage"))
    bad = profile().astype({"leverage": object})
    bad.loc["A", "leverage"] = "high"
    with pytest.raises(ValueError, match="non-numeric"):
        ExpertScorecard.from_dict(CONFIG).score(bad)


def test_default_config_file_is_shipped():
    assert DEFAULT_EXPERT_SCORECARD_PATH.is_file()
