"""Batch rating of a partitioned book on Dask: :func:`assess_portfolio` partition by partition.

Every column of :func:`assess_portfolio` (expert score, scorecard points and PD, the
rating rules' grade, exposure, expected loss) is a function of one customer's own
records, so each Dask task rates one partition, read from disk on the worker, and the
ratings are concatenated; the result equals ``assess_portfolio(whole_book, ...)``.

Not partition-wise, hence not here: network PDs, contagion stress and group (linked
party) views of :mod:`riskkit.graph` / :mod:`riskkit.assess.network_pd`, which need the
whole relations table.  A batch rating of a partitioned book has no network adjustment;
compare it with ``assess_portfolio``, which has none either.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._core.dates import check_as_of
from ..data.engine import map_partitions
from ..profile import build_profile
from ..profile.partitioned import development_sample_partitioned, open_book
from ..scoring import ExpertScorecard, RatingRules, Scorecard
from .pipeline import (
    DEFAULT_LGD,
    MODEL_FEATURES,
    assess_portfolio,
    fit_portfolio_scorecard,
)

__all__ = ["assess_partitioned", "fit_scorecard_partitioned"]


def _rate_task(book, partition, as_of, scorecard, expert, rules, lgd, validate) -> pd.DataFrame:
    part = book.read_partition(partition, validate=validate)
    return assess_portfolio(part, as_of, scorecard, expert=expert, rules=rules, lgd=lgd,
                            profile=build_profile(part, as_of))


def assess_partitioned(book, as_of, scorecard: Scorecard, expert: ExpertScorecard | None = None,
                       rules: RatingRules | None = None, lgd: float = DEFAULT_LGD, *,
                       scheduler=None, validate: bool = True) -> pd.DataFrame:
    """Rate every customer of a partitioned book on ``as_of``, one partition per Dask task.

    Parameters
    ----------
    book : PartitionedBook or path
    as_of, scorecard, expert, rules, lgd
        As in :func:`riskkit.assess.assess_portfolio`.
    scheduler : None, str or distributed.Client
        See :func:`riskkit.data.engine.dask_client` (None: a 2-worker LocalCluster).
    validate : bool, default True
        Each task checks its partition against the data model first.

    Returns
    -------
    DataFrame equal to :func:`riskkit.assess.assess_portfolio` on the whole book with
    the same arguments, indexed by the sorted ``customer_id``.
    """
    as_of = check_as_of(as_of)
    expert = ExpertScorecard.default() if expert is None else expert
    rules = RatingRules.default() if rules is None else rules
    book = open_book(book)
    parts = map_partitions(book, _rate_task, as_of, scorecard, expert, rules, lgd, validate, scheduler=scheduler)
    out = pd.concat(parts)
    return out if out.index.is_monotonic_increasing else out.sort_index(kind="stable")


def fit_scorecard_partitioned(book, as_of_dates: Sequence, horizon_days: int = 365,
                              features: Sequence[str] = MODEL_FEATURES, scorecard: Scorecard | None = None, *,
                              scheduler=None) -> tuple[Scorecard, pd.DataFrame]:
    """:func:`fit_portfolio_scorecard` on a partitioned book: the development sample is
    built on Dask (:func:`riskkit.profile.partitioned.development_sample_partitioned`),
    the scorecard is fitted on it in this process (it must fit in memory)."""
    sample = development_sample_partitioned(book, list(as_of_dates), horizon_days=horizon_days, scheduler=scheduler)
    return fit_portfolio_scorecard(None, as_of_dates, horizon_days=horizon_days, features=features,
                                   scorecard=scorecard, sample=sample)
