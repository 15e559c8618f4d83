"""Key findings: the three to six sentences that open a report, computed from its results.

A reviewer who reads only the first screen of a report should know the verdict: what is
red, what changed, which customers matter and why.  Each function here takes the tables a
report shows (plain DataFrames, so that a test can build them by hand) and returns the
sentences; the result objects call them (``ScorecardDevelopment.key_findings``,
``ModelValidation.key_findings``, ``CustomerView.key_findings``).  The portfolio assessment
(:meth:`PortfolioAssessment.key_findings`) and the monitoring run
(:func:`riskkit.monitoring.key_findings`) have their own; the data overview's is
:func:`riskkit.data.key_findings`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..scoring.binning import DEFAULT_MIN_TURN_EVENTS

__all__ = ["shape_sentence", "scorecard_findings", "validation_findings", "contagion_findings",
           "customer_findings", "SHAPES"]

#: the WoE shapes of :class:`riskkit.scoring.WoEBinner`, in the order the sentences name them
SHAPES = ("ascending", "descending", "peak", "valley")


def _m(value) -> str:
    return f"{float(value) / 1e6:,.1f} m"


def _list(items) -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def shape_sentence(shapes: Mapping[str, str]) -> str:
    """One sentence naming the WoE shape chosen for each feature.

    ``shapes`` maps feature -> shape (``ascending``, ``descending``, ``peak``, ``valley``;
    any other value, e.g. ``none`` for a single bin, is listed as it is).  The WoE is
    ln(%good / %bad), so *ascending* means risk falls as the value rises.
    """
    shapes = dict(shapes)
    if not shapes:
        return "No feature entered the model, so no WoE shape was chosen."
    order = list(SHAPES) + sorted({s for s in shapes.values() if s not in SHAPES})
    parts = []
    for shape in order:
        names = [f for f, s in shapes.items() if s == shape]
        if names:
            parts.append(f"{shape} for {_list(names)}")
    turning = sum(s in ("peak", "valley") for s in shapes.values())
    turn = ("no feature turns (peak or valley)" if turning == 0 else
            f"{turning} feature{'s turn' if turning > 1 else ' turns'} once (peak or valley)")
    return (f"WoE shapes chosen for the {len(shapes)} model feature{'s' if len(shapes) > 1 else ''}: "
            f"{'; '.join(parts)}; {turn}.")


def thin_turn_sentence(shapes: Mapping[str, str], turn_events: Mapping[str, int | None],
                       min_turn_events: int = DEFAULT_MIN_TURN_EVENTS) -> str | None:
    """The sentence naming peaks and valleys that rest on fewer than ``min_turn_events`` events.

    ``turn_events`` maps feature -> :attr:`riskkit.scoring.binning.FeatureBinning.turn_events`
    (events on the thinner side of the turn).  None when no turn is that thin.
    """
    thin = [(f, shapes[f], int(turn_events[f])) for f in shapes
            if shapes[f] in ("peak", "valley") and turn_events.get(f) is not None
            and turn_events[f] < min_turn_events]
    if not thin:
        return None
    named = _list([f"the {shape} of {f} ({n} event{'s' if n != 1 else ''})" for f, shape, n in thin])
    one = len(thin) == 1
    return (f"{'One turn rests' if one else f'{len(thin)} turns rest'} on fewer than {min_turn_events} development "
            f"events on {'its' if one else 'their'} thinner side: {named}; such a turn may not hold on later data, "
            f"so check it out of time or force the feature monotone.")


# ------------------------------------------------------------------------------- scorecard
def scorecard_findings(outcome: pd.DataFrame, discrimination: pd.DataFrame, iv_table: pd.DataFrame,
                       shapes: Mapping[str, str], train_name: str, test_name: str,
                       challenger: pd.DataFrame | None = None, alpha: float = 0.05,
                       turn_events: Mapping[str, int | None] | None = None,
                       min_turn_events: int = DEFAULT_MIN_TURN_EVENTS) -> list[str]:
    """Key findings of a scorecard development.

    Parameters
    ----------
    outcome : DataFrame
        :meth:`ScorecardDevelopment.outcome_summary` (index sample; ``observations``,
        ``bads``, ``bad_rate``).
    discrimination : DataFrame
        :meth:`ScorecardDevelopment.discrimination` (index sample; ``auc``,
        ``auc_ci_lower``, ``auc_ci_upper``, ``gini``).
    iv_table : DataFrame
        :meth:`ScorecardDevelopment.iv_table` (index feature; ``iv``, ``band``,
        ``selection``).
    shapes : mapping
        Model feature -> chosen WoE shape.
    train_name, test_name : str
    challenger : DataFrame, optional
        :meth:`ScorecardDevelopment.challenger_delong` (``auc_scorecard``,
        ``auc_challenger``, ``pvalue``).
    alpha : float
        Level of the challenger test.
    turn_events : mapping, optional
        Model feature -> events on the thinner side of its turn
        (:attr:`~riskkit.scoring.binning.FeatureBinning.turn_events`); with it, turns
        resting on fewer than ``min_turn_events`` events are named (:func:`thin_turn_sentence`).
    min_turn_events : int, default 50
        :data:`riskkit.scoring.binning.DEFAULT_MIN_TURN_EVENTS`, the bar below which the
        default binner does not consider a turn at all (a model fitted with a lower bar, or
        an older one, may hold thinner turns).

    Returns
    -------
    list of str
        Discrimination on the test sample against development; samples; features kept and
        the strongest; WoE shapes; thin turns (if any); (with ``challenger``) the challenger
        test.
    """
    test, train = discrimination.loc[test_name], discrimination.loc[train_name]
    inside = train["auc_ci_lower"] <= test["auc"] <= train["auc_ci_upper"]
    out = [f"On the {test_name} sample the scorecard reaches an AUC of {test['auc']:.3f} "
           f"(95% CI {test['auc_ci_lower']:.3f} to {test['auc_ci_upper']:.3f}, Gini {test['gini']:.3f}) against "
           f"{train['auc']:.3f} on the {train_name} sample; the test AUC is "
           f"{'inside' if inside else 'outside'} the development AUC's interval "
           f"(Gini gap {train['gini'] - test['gini']:+.3f})."]
    tr, te = outcome.loc[train_name], outcome.loc[test_name]
    out.append(f"Developed on {int(tr['observations']):,} observations with {int(tr['bads']):,} bads "
               f"({tr['bad_rate']:.1%}) and tested on {int(te['observations']):,} with {int(te['bads']):,} bads "
               f"({te['bad_rate']:.1%}).")
    kept = iv_table[iv_table["selection"] == "in the model"].sort_values("iv", ascending=False, kind="stable")
    strongest = kept.index[0] if len(kept) else None
    text = f"{len(kept)} of {len(iv_table)} candidate features entered the model"
    if strongest is not None:
        text += (f"; the strongest is {strongest} (IV {kept['iv'].iloc[0]:.3f}, {kept['band'].iloc[0]})")
    leaky = list(iv_table.sort_values("iv", ascending=False, kind="stable").index[iv_table["iv"] > 0.5])
    if len(leaky) == 1:
        text += f"; {leaky[0]} has an IV above 0.5, which on real data is a reason to check for leakage"
    elif leaky:
        named = _list(leaky) if len(leaky) <= 3 else ", ".join(leaky[:3]) + f" and {len(leaky) - 3} more"
        text += (f"; {len(leaky)} features have an IV above 0.5 ({named}), which on real data is a reason to "
                 f"check for leakage")
    out.append(text + ".")
    out.append(shape_sentence(shapes))
    thin = None if turn_events is None else thin_turn_sentence(shapes, turn_events, min_turn_events)
    if thin is not None:
        out.append(thin)
    if challenger is not None and len(challenger):
        row = challenger.iloc[0]
        differ = row["pvalue"] < alpha
        out.append(f"A gradient-boosting challenger reaches a test AUC of {row['auc_challenger']:.3f} against "
                   f"{row['auc_scorecard']:.3f}; the paired DeLong test (p = {row['pvalue']:.3f}) "
                   f"{'finds a significant difference' if differ else 'finds no significant difference'} "
                   f"at {alpha:.0%}.")
    return out


# ------------------------------------------------------------------------------- validation
_RANK = {"red": 0, "amber": 1, "green": 2}


def validation_findings(verdicts: pd.DataFrame, discrimination: pd.DataFrame, overview: pd.DataFrame,
                        shapes: Mapping[str, str], latest: str, level: float = 0.95,
                        outperform: pd.DataFrame | None = None) -> list[str]:
    """Key findings of a model validation.

    Parameters
    ----------
    verdicts : DataFrame
        ``sample, test, scope, verdict`` (:attr:`ModelValidation.verdicts`); the scopes
        of a red test are named when there are at most two.
    discrimination : DataFrame
        :meth:`ModelValidation.discrimination` (index sample; ``auc``, ``ci_lower``,
        ``ci_upper``, ``auc_verdict``, ``ecb_pvalue``, ``ecb_verdict``; first row the
        in-sample development).
    overview : DataFrame
        :meth:`ModelValidation.overview` (index sample; ``obligors``, ``defaults``,
        ``default_rate``, ``mean_pd``).
    shapes : mapping
        Model characteristic -> chosen WoE shape.
    latest : str
        The latest validation sample.
    level : float
        Confidence level of the AUC interval.
    outperform : DataFrame, optional
        One-sided challenger tests (``group``, ``challenger``, ``verdict``).

    Returns
    -------
    list of str
        Red and amber checks on the latest sample (and over all samples) with the red
        tests named; discrimination; calibration in level; (with ``outperform``) whether a
        challenger beats the champion; the WoE shapes.
    """
    rated = verdicts[verdicts["verdict"].isin(list(_RANK))]
    now = rated[rated["sample"] == latest]
    red, amber = int((now["verdict"] == "red").sum()), int((now["verdict"] == "amber").sum())
    text = (f"On the latest sample ({latest}) {red} of {len(now)} rated checks {'is' if red == 1 else 'are'} red "
            f"and {amber} amber")
    if red:
        scopes = now[now["verdict"] == "red"].groupby("test", sort=False)["scope"].agg(list) \
            if "scope" in now.columns else now[now["verdict"] == "red"].groupby("test", sort=False)["test"].agg(list)
        named = []
        for test, where in scopes.items():
            where = [w for w in where if isinstance(w, str)]
            if "scope" in now.columns and 0 < len(where) <= 2:
                named.append(f"{test} ({', '.join(where)})")
            else:
                named.append(f"{test} ({len(where)} scopes)" if len(where) > 1 else test)
        text += ": red " + _list(named)
    all_red = int((rated["verdict"] == "red").sum())
    all_amber = int((rated["verdict"] == "amber").sum())
    text += (f"; over all {rated['sample'].nunique()} samples and periods {all_red} of {len(rated)} checks are red "
             f"and {all_amber} amber.")
    out = [text]

    d, dev = discrimination.loc[latest], discrimination.iloc[0]
    text = (f"The AUC on {latest} is {d['auc']:.3f} ({level:.0%} CI {d['ci_lower']:.3f} to {d['ci_upper']:.3f}) "
            f"against {dev['auc']:.3f} in-sample; its level is {d['auc_verdict']}")
    if pd.notna(d.get("ecb_verdict")):
        text += f" and the ECB test against the reference AUC is {d['ecb_verdict']} (p = {d['ecb_pvalue']:.3f})"
    out.append(text + ".")

    o = overview.loc[latest]
    ratio = o["mean_pd"] / o["default_rate"] if o["default_rate"] > 0 else np.inf
    reading = ("above it (conservative)" if ratio > 1.1 else "below it (too low)" if ratio < 0.9 else "close to it")
    out.append(f"On {latest} the mean predicted PD is {o['mean_pd']:.2%} against an observed one-year default rate "
               f"of {o['default_rate']:.2%} ({int(o['defaults']):,} defaults among {int(o['obligors']):,} "
               f"obligors): {reading}.")
    if outperform is not None and len(outperform):
        beats = outperform[outperform["verdict"] == "red"]
        if len(beats):
            out.append("A challenger beats the champion significantly: "
                       + _list(f"{r['challenger']} on {r['group']}" for _, r in beats.iterrows()) + ".")
        else:
            out.append(f"No challenger ({_list(pd.unique(outperform['challenger']))}) beats the champion "
                       f"significantly on any sample.")
    out.append(shape_sentence(shapes))
    return out


# ------------------------------------------------------------------------------- contagion
def contagion_findings(group_totals: pd.DataFrame, total_ead: float, circles: pd.DataFrame,
                       circle_ead: pd.Series, ranking: pd.DataFrame, stress_totals: Mapping,
                       scenario: str, network_auc: pd.DataFrame | None = None) -> list[str]:
    """Key findings of the contagion analysis.

    Parameters
    ----------
    group_totals : DataFrame
        Control groups (index group id; ``n_customers``, ``ead``).
    total_ead : float
        The book's exposure at default.
    circles : DataFrame
        Guarantee circles (``size``, ``n_customers``, ``members``).
    circle_ead : Series
        Our exposure to each circle's members (same index as ``circles``).
    ranking : DataFrame
        Systemic importance ordered most important first (index party; ``is_customer``,
        ``debtrank``, ``n_exposed``).
    stress_totals : mapping
        ``initial_defaults``, ``contagion_defaults``, ``distressed``, ``loss_total``.
    scenario : str
        The scenario's name.
    network_auc : DataFrame, optional
        :attr:`NetworkPDEvaluation.table`: ``target`` (``contagion_default``,
        ``default``), ``model`` (``stand-alone``, ``network``), ``auc``, ``n_events``.

    Returns
    -------
    list of str
    """
    several = group_totals[group_totals["n_customers"] > 1].sort_values("ead", ascending=False, kind="stable")
    share = several["ead"].sum() / total_ead if total_ead > 0 else np.nan
    text = (f"{len(several):,} control groups of two or more customers hold {share:.1%} of the exposure at "
            f"default")
    if len(several):
        top = several.iloc[0]
        text += (f"; the largest, {several.index[0]} ({int(top['n_customers'])} customers), holds {_m(top['ead'])} "
                 f"({top['ead'] / total_ead:.1%})")
    out = [text + "."]
    if len(circles):
        largest = circles["size"].idxmax()
        out.append(f"{len(circles):,} guarantee circles link {int(circles['n_customers'].sum()):,} of our customers "
                   f"with {_m(circle_ead.sum())} of exposure; the largest has {int(circles.loc[largest, 'size'])} "
                   f"parties and {_m(circle_ead.loc[largest])} of exposure.")
    else:
        out.append("There is no guarantee circle in the book.")
    ranked = ranking[ranking["debtrank"].notna()]
    if len(ranked):
        first = ranked.iloc[0]
        who = "customer" if bool(first["is_customer"]) else "external party"
        out.append(f"The most systemically important party is {who} {ranked.index[0]}: its default would take "
                   f"{first['debtrank']:.1%} of the network's value (DebtRank) and hits "
                   f"{int(first['n_exposed'])} direct creditor{'' if int(first['n_exposed']) == 1 else 's'}.")
    out.append(f"In the scenario '{scenario}', {int(stress_totals['initial_defaults'])} initial default(s) cause "
               f"{int(stress_totals['contagion_defaults'])} contagion default(s) and "
               f"{int(stress_totals['distressed'])} distressed part{'y' if stress_totals['distressed'] == 1 else 'ies'}; "
               f"our loss at a 45% LGD is {_m(stress_totals['loss_total'])}.")
    if network_auc is not None:
        auc = network_auc.pivot(index="target", columns="model", values="auc")
        events = network_auc.groupby("target")["n_events"].first()
        c, a = auc.loc["contagion_default"], auc.loc["default"]
        out.append(f"On the {int(events['contagion_default'])} defaults caused by a linked party in the following "
                   f"year the network-adjusted PD ranks with an AUC of {c['network']:.3f} against "
                   f"{c['stand-alone']:.3f} for the stand-alone PD (all {int(events['default'])} defaults: "
                   f"{a['network']:.3f} against {a['stand-alone']:.3f}).")
    return out


# ------------------------------------------------------------------------------- customer
def customer_findings(overview: pd.Series, rating: pd.Series, exposure: pd.Series,
                      triggered: pd.DataFrame) -> list[str]:
    """Key findings of one customer's profile.

    Parameters
    ----------
    overview : Series
        Item -> value: ``customer_id``, ``name``, ``industry``, ``grade``, ``rule``,
        ``pd``, ``expert_score``, ``current_dpd``, ``altman_zone``.
    rating : Series
        Item -> value: ``rule_description``, ``pd_grade``.
    exposure : Series
        Item -> value: ``ead``, ``credit_limit``, ``utilisation``, ``expected_loss``,
        ``group_exposure``.
    triggered : DataFrame
        The triggered warning signals (index check; ``observed``, ``next_step``).

    Returns
    -------
    list of str
    """
    o, r, e = overview, rating, exposure
    out = [f"Customer {o['customer_id']} ({o['name']}, {o['industry']}) is graded {o['grade']} by the rule "
           f"'{o['rule']}' ({r['rule_description']}); its statistical PD is {float(o['pd']):.2%} "
           f"(master-scale grade {r['pd_grade']}) and its expert score {float(o['expert_score']):.1f} of 100."]
    util = float(e["utilisation"]) if pd.notna(e["utilisation"]) else np.nan
    text = (f"Exposure at default is {_m(e['ead'])} against a credit limit of {_m(e['credit_limit'])}"
            + (f" ({util:.0%} used" + ("; over the limit)" if util > 1 else ")") if np.isfinite(util) else "")
            + f"; the one-year expected loss is {_m(e['expected_loss'])}")
    if float(e["group_exposure"]) > float(e["ead"]):
        text += f" and its control group owes us {_m(e['group_exposure'])} in all"
    out.append(text + ".")
    zone = o.get("altman_zone")
    zone_text = f"the latest Altman Z'' is in the {zone} zone" if isinstance(zone, str) else \
        "there is no published statement for an Altman Z''"
    out.append(f"It is {int(o['current_dpd'])} days past due today and {zone_text}.")
    if len(triggered):
        steps = "; ".join(f"{check} ({triggered.loc[check, 'observed']}): {triggered.loc[check, 'next_step']}"
                          for check in triggered.index)
        out.append(f"{len(triggered)} warning signal{'s fire' if len(triggered) > 1 else ' fires'}: {steps}.")
    else:
        out.append("No warning signal fires.")
    return out
