"""Running one function per partition of a partitioned book on Dask (``dask.distributed``).

The kit does not schedule work itself: :func:`map_partitions` submits one task per
partition to a ``dask.distributed`` cluster and gathers the results in partition order.
A task receives the :class:`PartitionedBook` (a path and the manifest) and a partition
number and reads its partition from disk on the worker, so the book never travels
through the client or the scheduler; only the (small) per-partition results do.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .partitioned import PartitionedBook

__all__ = ["dask_client", "map_partitions", "DEFAULT_WORKERS"]

#: workers of the default LocalCluster (one single-threaded process per core of a 2-core machine)
DEFAULT_WORKERS = 2


@contextmanager
def dask_client(scheduler=None) -> Iterator:
    """A ``distributed.Client`` for ``scheduler``, closed on exit if it was opened here.

    Parameters
    ----------
    scheduler : None, str or distributed.Client
        None starts a ``LocalCluster(n_workers=2, threads_per_worker=1)`` (worker
        processes, no dashboard) for the duration of the block; a string is the address
        of a running scheduler (``"tcp://10.0.0.5:8786"``); a Client is used as it is.
    """
    import distributed

    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    if scheduler is None:
        with distributed.LocalCluster(n_workers=DEFAULT_WORKERS, threads_per_worker=1, processes=True,
                                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
                distributed.Client(cluster) as client:
            yield client
        return
    if not isinstance(scheduler, str) or not scheduler:
        raise TypeError(f"scheduler must be None, a scheduler address or a distributed.Client, got {scheduler!r}")
    with distributed.Client(scheduler) as client:
        yield client


def map_partitions(book: PartitionedBook, func: Callable, *args, scheduler=None, **kwargs) -> list:
    """``[func(book, i, *args, **kwargs) for i in range(book.partitions)]``, run on Dask.

    ``func`` must be importable on the workers (a module-level function of the kit).
    Results come back in partition order; a task's exception is raised here.
    """
    with dask_client(scheduler) as client:
        task = functools.partial(func, **kwargs) if kwargs else func
        futures = client.map(task, [book] * book.partitions, list(range(book.partitions)),
                             *[[a] * book.partitions for a in args], pure=False)
        try:
            return client.gather(futures)
        finally:
            client.cancel(futures)
